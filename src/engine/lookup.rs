//! Reading what AWS holds and proving it the tool's: a role by name, the role ARN a stack
//! outputs, and the ownership checks every change and delete makes first.

use super::report::*;

use crate::aws::{AwsError, RoleInfo, Roles, StackInfo, Stacks};
use crate::model::catalog::Integration;
use crate::model::ownership::CREATED_BY_TAG;
use crate::model::template::ROLE_ARN_OUTPUT;

/// Whether it carries the `created-by` tag: a hint (a re-run's leftovers), never proof enough to
/// change or delete anything ([`prove_stack`], [`prove_role`]).
pub fn is_ours(tags: &[(String, String)]) -> bool {
    crate::model::ownership::tagged(tags)
}

/// A stack is ours when its template and resources are exactly what this tool makes: its
/// integration, or an error naming what it holds.
pub async fn prove_stack(
    stacks: &dyn Stacks,
    info: &StackInfo,
) -> Result<&'static Integration, EngineError> {
    let not_ours = |why: String| EngineError::NotOurs {
        what: format!("stack {}", info.name),
        why,
    };
    if !is_ours(&info.tags) {
        return Err(not_ours(format!(
            "it has no {}={} tag",
            CREATED_BY_TAG.0, CREATED_BY_TAG.1
        )));
    }
    let template = stacks.stack_template(&info.name).await?;
    let resources = stacks.stack_resources(&info.name).await?;
    crate::model::ownership::stack_is_ours(&info.tags, &template, &resources).map_err(not_ours)
}

/// A role is ours when it carries our tag and trusts its integration's principal.
pub fn prove_role(role: &RoleInfo) -> Result<&'static Integration, EngineError> {
    crate::model::ownership::role_is_ours(role).map_err(|why| EngineError::NotOurs {
        what: format!("role {}", role.name),
        why,
    })
}

/// The role name in a role ARN (the part after the last `/`).
pub fn role_name_of(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
    } else {
        name_or_arn
    }
}

pub(super) fn role_arn_output(info: &StackInfo, stack: &str) -> Result<String, EngineError> {
    info.output(ROLE_ARN_OUTPUT)
        .map(str::to_string)
        .ok_or_else(|| EngineError::StackMismatch {
            stack: stack.to_string(),
            differences: vec![format!(
                "it has no {ROLE_ARN_OUTPUT} output, so it wasn't made from this tool's template"
            )],
        })
}

pub(super) async fn existing_role(roles: &dyn Roles, name: &str) -> Result<RoleInfo, EngineError> {
    roles
        .get_role(name)
        .await?
        .ok_or_else(|| EngineError::RoleNotFound {
            role: name.to_string(),
        })
}

/// Deletes a role's inline policies, then the role.
pub(super) async fn remove_role(roles: &dyn Roles, name: &str) -> Result<(), AwsError> {
    for policy in roles.role_policy_names(name).await? {
        roles.delete_role_policy(name, &policy).await?;
    }
    roles.delete_role(name).await
}
