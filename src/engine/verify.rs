//! Judging a role as AWS holds it (trust and permissions, by the model's judge) and applying the
//! smallest fix.

use super::account::*;
use super::lookup::*;
use super::report::*;
use super::unbroken::*;

use crate::aws::{RoleInfo, Roles};
use crate::model::catalog::{Catalog, Integration};
use crate::model::plan::Plan;
use crate::model::verify::{self, Fix, Judgement, ManagedPolicy, Subject, Verification};
use serde_json::Value;

/// The judge's subject for a plan's role.
pub fn subject_for_plan(plan: &Plan, role_arn: &str) -> Subject {
    match Catalog::builtin().integration(&plan.integration_id) {
        Some(integration) => {
            Subject::new(integration, plan.accepted_external_ids(), role_arn, now())
                .with_rotation(!plan.next_external_ids.is_empty())
        }
        None => Subject {
            principal: plan.principal.clone(),
            external_ids: plan.accepted_external_ids(),
            customer_account: verify::account_in_arn(role_arn)
                .unwrap_or_default()
                .to_string(),
            workspace_ids: false,
            now: now(),
            rotating: false,
        },
    }
}

pub(super) fn judge_for_plan(plan: &Plan, role: &RoleInfo) -> Judgement {
    verify::judge(&role.trust_policy, &subject_for_plan(plan, &role.arn))
}

/// A failing judgement as short sentences: the probe, then why.
pub fn problems(judgement: &Judgement) -> Vec<String> {
    judgement
        .failing()
        .map(|p| {
            let mut text = format!(
                "{}: must be {}, is {}",
                p.question,
                p.expected,
                p.answer_word().to_lowercase()
            );
            if !p.why.is_empty() {
                text.push_str(&format!(" ({})", p.why.join("; ")));
            }
            text
        })
        .collect()
}

/// The role a stack made, judged like any other: a stack of the same name that was already there
/// (in progress, or attached to after a crash) may have been made by someone else.
pub(super) async fn check_created_role(
    roles: &dyn Roles,
    plan: &Plan,
    role_arn: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let subject = subject_for_plan(plan, role_arn);
    judge_role(roles, &subject, role_arn, report).await
}

/// Reads a role and judges its trust policy; an error that lists the failing probes if wrong.
pub async fn judge_role(
    roles: &dyn Roles,
    subject: &Subject,
    role_arn: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let name = role_name_of(role_arn);
    let Some(role) = roles.get_role(name).await? else {
        return Err(EngineError::RoleNotFound {
            role: name.to_string(),
        });
    };
    let judgement = verify::judge(&role.trust_policy, subject);
    if !judgement.holds() {
        return Err(EngineError::RoleWrong {
            role: name.to_string(),
            problems: problems(&judgement),
        });
    }
    report(Progress::Note(format!(
        "Checked role {name}: Segment's principal gets in with your external ID, nobody else does"
    )));
    Ok(())
}

/// Reads a role and judges it: its trust policy with the probes, and every permission policy on
/// it (inline and attached), against the preset when one is given.
pub async fn verify_role(
    roles: &dyn Roles,
    role: &str,
    integration: &Integration,
    external_ids: &[String],
    rotating: bool,
    permission: Option<(&str, &Value)>,
) -> Result<Verification, EngineError> {
    let name = role_name_of(role);
    let info = existing_role(roles, name).await?;
    let subject =
        Subject::new(integration, external_ids.to_vec(), &info.arn, now()).with_rotation(rotating);
    let judgement = verify::judge(&info.trust_policy, &subject);
    let mut inline = Vec::new();
    for policy in roles.role_policy_names(&info.name).await? {
        let document = roles.get_role_policy(&info.name, &policy).await?;
        inline.push((policy, document));
    }
    let mut managed = Vec::new();
    for (policy, arn) in roles.attached_policies(&info.name).await? {
        // A managed policy's document may be unreadable (AccessDenied): still listed, as unknown.
        let document = roles.managed_policy_document(&arn).await.ok();
        managed.push(ManagedPolicy {
            name: policy,
            arn,
            document,
        });
    }
    let permissions = verify::judge_permissions(permission, inline, managed);
    Ok(Verification {
        role: info,
        judgement,
        permissions,
    })
}

/// Applies a fix worked out (and proven) by [`Verification::fix`].
pub async fn apply_fix(
    roles: &dyn Roles,
    role: &str,
    fix: &Fix,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let _unbroken = Unbroken::enter();
    if let Some(trust) = &fix.trust {
        report(Progress::Note(format!(
            "Updating the trust policy of {role}"
        )));
        roles.update_trust_policy(role, &trust.to_string()).await?;
    }
    if let Some((policy_name, document)) = &fix.permission {
        report(Progress::Note(format!(
            "Attaching inline policy {policy_name} to {role}"
        )));
        roles
            .put_role_policy(role, policy_name, &document.to_string())
            .await?;
    }
    Ok(())
}
