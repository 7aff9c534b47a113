//! Creating the role with IAM directly: the role, then its policy; a half-made role (the policy
//! failed) is cleaned up, never left.

use super::lookup::*;
use super::report::*;
use super::unbroken::*;
use super::verify::*;

use crate::aws::{Functions, RoleCreate, RoleInfo, Roles};
use crate::model::plan::Plan;
use crate::model::verify::{self};

use crate::model::ownership::CREATED_BY_TAG;

/// The direct IAM path: CreateRole, then PutRolePolicy. If anything after CreateRole fails, the
/// role is deleted again: a half-made role is never left behind. A role of that name left half
/// made by an earlier run of this setup (`resuming`: its saved record is this account's; the
/// role carries the `created-by` tag; the judge finds its trust policy right) is finished, not
/// refused; any other role of that name is refused.
pub async fn create_with_iam(
    roles: &dyn Roles,
    functions: &dyn Functions,
    plan: &Plan,
    path: &str,
    resuming: bool,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = &plan.role_name;
    if let Some(existing) = roles.get_role(name).await? {
        return finish_half_made(roles, functions, plan, existing, resuming, report).await;
    }
    let mut tags = vec![(CREATED_BY_TAG.0.to_string(), CREATED_BY_TAG.1.to_string())];
    tags.extend(
        plan.tags
            .iter()
            .filter(|(k, _)| k != CREATED_BY_TAG.0)
            .cloned(),
    );
    let request = RoleCreate {
        name: name.clone(),
        path: path.to_string(),
        description: plan.role_description.clone(),
        trust_policy: plan.trust_policy.to_string(),
        tags,
    };
    report(Progress::Note(format!("Creating role {name}")));
    // From CreateRole to its policy (or its clean-up), nothing may cut in.
    let _unbroken = Unbroken::enter();
    let role_arn = match roles.create_role(&request).await {
        Ok(arn) => arn,
        Err(error) if error.is_already_exists() => {
            return match roles.get_role(name).await? {
                Some(existing) => {
                    finish_half_made(roles, functions, plan, existing, resuming, report).await
                }
                None => Err(EngineError::RoleExists { role: name.clone() }),
            };
        }
        Err(error) => return Err(error.into()),
    };
    attach_or_clean_up(roles, plan, name, report).await?;
    starter_or_clean_up(roles, functions, plan, name, report).await?;
    report(Progress::Note(format!("Role {name} is ready")));
    Ok(Created {
        role_arn,
        reused: false,
    })
}

/// PutRolePolicy; when it fails, the role goes (its inline policies first).
pub(super) async fn attach_or_clean_up(
    roles: &dyn Roles,
    plan: &Plan,
    name: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    report(Progress::Note(format!(
        "Attaching inline policy {} to {name}",
        plan.policy_name
    )));
    if let Err(error) = roles
        .put_role_policy(name, &plan.policy_name, &plan.permission_policy.to_string())
        .await
    {
        report(Progress::Note(format!(
            "Attaching the policy failed; deleting role {name} so nothing is left half made"
        )));
        return Err(without_role(roles, name, error).await);
    }
    Ok(())
}

/// `error` once the half-made role `name` is deleted again, or both errors when that fails too.
async fn without_role(roles: &dyn Roles, name: &str, error: crate::aws::AwsError) -> EngineError {
    match remove_role(roles, name).await {
        Ok(()) => error.into(),
        Err(cleanup) => EngineError::CleanupFailed {
            role: name.to_string(),
            original: Box::new(error),
            cleanup: Box::new(cleanup),
        },
    }
}

/// The plan's starter function, after the role: when it can't be made (its own parts already
/// removed), the role goes too.
async fn starter_or_clean_up(
    roles: &dyn Roles,
    functions: &dyn Functions,
    plan: &Plan,
    name: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let Some(starter) = &plan.starter else {
        return Ok(());
    };
    if let Err(error) = super::starter::make_starter(roles, functions, starter, report).await {
        report(Progress::Note(format!(
            "Deleting role {name} too, so nothing is left half made"
        )));
        return Err(without_role(roles, name, error).await);
    }
    Ok(())
}

/// A role of the plan's name already exists: finished when it is this setup's own, left half
/// made by an earlier run; refused otherwise.
pub(super) async fn finish_half_made(
    roles: &dyn Roles,
    functions: &dyn Functions,
    plan: &Plan,
    existing: RoleInfo,
    resuming: bool,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = existing.name.clone();
    let ours = resuming && is_ours(&existing.tags) && judge_for_plan(plan, &existing).holds();
    if !ours {
        return Err(EngineError::RoleExists { role: name });
    }
    report(Progress::Note(format!(
        "Role {name} was left by an earlier run of this setup (saved for this account, tagged {}={}, trust policy right): finishing it",
        CREATED_BY_TAG.0, CREATED_BY_TAG.1
    )));
    let present = if roles
        .role_policy_names(&name)
        .await?
        .iter()
        .any(|p| p == &plan.policy_name)
    {
        let current = roles.get_role_policy(&name, &plan.policy_name).await?;
        verify::same_policy(&current, &plan.permission_policy)
    } else {
        false
    };
    if !present {
        attach_or_clean_up(roles, plan, &name, report).await?;
    }
    starter_or_clean_up(roles, functions, plan, &name, report).await?;
    report(Progress::Note(format!("Role {name} is ready")));
    Ok(Created {
        role_arn: existing.arn,
        reused: true,
    })
}
