//! Deleting a setup, only when it is provably the tool's: a stack by its tags and template, a role
//! by its tags and trust, each previewed first.

use super::find::*;
use super::lookup::*;
use super::report::*;
use super::watch::*;

use crate::aws::{Functions, RoleInfo, Roles, Stacks};

/// Deletes a stack this tool created and watches it go.
pub async fn delete_stack(
    stacks: &dyn Stacks,
    name: &str,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let Some(info) = stacks.describe_stack(name).await? else {
        return Err(EngineError::StackNotFound {
            stack: name.to_string(),
        });
    };
    prove_stack(stacks, &info).await?;
    report(Progress::Note(format!("Deleting stack {name}")));
    stacks.delete_stack(name).await?;
    match watch(stacks, name, Goal::Delete, options, report).await? {
        WatchOutcome::Done(_) => Ok(()),
        other => Err(other.into_error(name)),
    }
}

/// What deleting a stack removes, each resource named as CloudFormation holds it, once the
/// stack is proven ours: for the confirmation, before anything is deleted.
pub async fn preview_delete_stack(
    stacks: &dyn Stacks,
    name: &str,
) -> Result<Vec<String>, EngineError> {
    let Some(info) = stacks.describe_stack(name).await? else {
        return Err(EngineError::StackNotFound {
            stack: name.to_string(),
        });
    };
    prove_stack(stacks, &info).await?;
    let mut items: Vec<String> = stacks
        .stack_resources(name)
        .await?
        .into_iter()
        .map(|r| {
            let kind = match r.resource_type.as_str() {
                crate::model::template::ROLE_TYPE => "role",
                crate::model::template::POLICY_TYPE => "its inline policy",
                _ => "resource",
            };
            match r.physical_id {
                Some(id) => format!("{kind} {id} ({} {})", r.resource_type, r.logical_id),
                None => format!("{kind} {} ({})", r.logical_id, r.resource_type),
            }
        })
        .collect();
    items.push(format!("the stack {name}"));
    Ok(items)
}

/// What deleting a role removes (the role and its inline policies), once it is proven ours and
/// nothing stands in the way: for the confirmation, before anything is deleted.
pub async fn preview_delete_role(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    functions: &dyn Functions,
    role: &str,
) -> Result<Vec<String>, EngineError> {
    let info = deletable_role(stacks, roles, role_name_of(role)).await?;
    let mut items = vec![format!("role {}", info.arn)];
    items.extend(
        roles
            .role_policy_names(&info.name)
            .await?
            .into_iter()
            .map(|p| format!("its inline policy {p}")),
    );
    if let Some(starter) = super::starter::starter_of(&info) {
        items.extend(super::starter::starter_parts(roles, functions, &starter).await?);
    }
    Ok(items)
}

/// Deletes a role the tool created: its inline policies first, then the role. Everything that
/// would stop it is looked for first (a stack that owns it, managed policies, instance profiles,
/// a permissions boundary), so a refusal changes nothing and says what is in the way.
pub async fn delete_role(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    functions: &dyn Functions,
    role: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let info = deletable_role(stacks, roles, role_name_of(role)).await?;
    // Its starter function first: once the role is gone, nothing would name it.
    if let Some(starter) = super::starter::starter_of(&info) {
        report(Progress::Note(format!(
            "Deleting the starter function {starter} and its execution role"
        )));
        super::starter::remove_starter(roles, functions, &starter).await?;
    }
    report(Progress::Note(format!(
        "Deleting role {} and its inline policies",
        info.name
    )));
    remove_role(roles, &info.name).await?;
    Ok(())
}

/// The role, proven ours, with nothing in the way of deleting it.
pub(super) async fn deletable_role(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    name: &str,
) -> Result<RoleInfo, EngineError> {
    let info = existing_role(roles, name).await?;
    prove_role(&info)?;
    if let Some(stack) = owning_stack(stacks, &info).await? {
        return Err(EngineError::StackOwned {
            role: info.name,
            stack,
        });
    }
    let mut attached: Vec<String> = roles
        .attached_policies(&info.name)
        .await?
        .into_iter()
        .map(|(policy, arn)| format!("managed policy {policy} ({arn})"))
        .collect();
    attached.extend(
        roles
            .instance_profiles(&info.name)
            .await?
            .into_iter()
            .map(|p| format!("instance profile {p}")),
    );
    if let Some(boundary) = &info.permissions_boundary {
        attached.push(format!("permissions boundary {boundary}"));
    }
    if !attached.is_empty() {
        return Err(EngineError::RoleInUse {
            role: info.name,
            attached,
        });
    }
    Ok(info)
}
