//! Changing an existing setup: a change set for a stack (previewed, then executed or deleted), the
//! documents for a role made directly.

use super::account::*;
use super::create::*;
use super::lookup::*;
use super::report::*;
use super::unbroken::*;
use super::verify::*;
use super::watch::*;

use crate::aws::{RoleInfo, Roles, Stacks};
use crate::model::plan::Plan;
use crate::model::template::ROLE_ARN_OUTPUT;
use crate::model::verify::{self};
use serde_json::Value;
use std::collections::HashSet;
use tokio::time::Instant;

/// What an update would change, shown before anything changes.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdatePreview {
    /// A change set, created and waiting: each resource change, replacement or not, and what
    /// the stack's role's documents become (secrets masked).
    Stack {
        stack: String,
        change_set: String,
        changes: Vec<String>,
        diff: Vec<String>,
        /// Every external ID the documents before and after hold, for a face to mask.
        ids: Vec<String>,
    },
    /// The role's documents, before and after (secrets masked), and what will be written.
    Role {
        role: String,
        trust: Option<Value>,
        permission: Option<(String, Value)>,
        diff: Vec<String>,
        /// Every external ID the documents before and after hold, for a face to mask.
        ids: Vec<String>,
    },
    /// The setup already is what the plan says.
    Nothing { role_arn: String },
}

impl UpdatePreview {
    /// The IDs a face masks while it shows the preview (presenter mode).
    pub fn shown_ids(&self) -> &[String] {
        match self {
            UpdatePreview::Role { ids, .. } | UpdatePreview::Stack { ids, .. } => ids,
            UpdatePreview::Nothing { .. } => &[],
        }
    }

    /// The preview, a line each.
    pub fn lines(&self) -> Vec<String> {
        match self {
            UpdatePreview::Stack {
                stack,
                changes,
                diff,
                ..
            } => {
                let mut lines = vec![format!("The change set for stack {stack} would:")];
                lines.extend(changes.iter().map(|c| format!("  {c}")));
                if changes.is_empty() {
                    lines.push("  (CloudFormation listed no resource by name; the template or its parameters differ)".into());
                }
                if !diff.is_empty() {
                    lines.push("Its role's documents before (-) and after (+):".into());
                    lines.extend(diff.iter().cloned());
                }
                lines
            }
            UpdatePreview::Role { role, diff, .. } => {
                let mut lines = vec![format!(
                    "Role {role}, its documents before (-) and after (+):"
                )];
                lines.extend(diff.iter().cloned());
                lines
            }
            UpdatePreview::Nothing { .. } => {
                vec!["Nothing to change: the setup already is what you asked for.".into()]
            }
        }
    }
}

/// Works out an update of the plan's stack (CloudFormation: a change set, created and described,
/// not executed) or role (IAM: the documents' diff). Nothing changes yet; only a setup this tool
/// made is updated.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub async fn prepare_update(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    plan: &Plan,
    method: crate::engine::saving::Method,
    options: &WatchOptions,
) -> Result<UpdatePreview, EngineError> {
    match method {
        crate::engine::saving::Method::Cloudformation => {
            let name = &plan.stack_name;
            let Some(info) = stacks.describe_stack(name).await? else {
                return Err(EngineError::StackNotFound {
                    stack: name.clone(),
                });
            };
            prove_stack(stacks, &info).await?;
            if !matches!(
                info.status.as_str(),
                "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
            ) {
                return Err(EngineError::StackFailed {
                    stack: name.clone(),
                    status: info.status.clone(),
                    reasons: vec![format!(
                        "a stack is updated only when it is complete; it is {}",
                        info.status
                    )],
                });
            }
            // A preview declined, interrupted or killed earlier left its change set: gone now.
            for leftover in stacks.change_sets(name).await.unwrap_or_default() {
                if leftover.starts_with(CHANGE_SET_PREFIX) {
                    let _ = stacks.delete_change_set(name, &leftover).await;
                }
            }
            // What the role's documents become, read before the change set is made.
            let documents = match info.output(ROLE_ARN_OUTPUT) {
                Some(arn) => match roles.get_role(role_name_of(arn)).await? {
                    Some(role) => Some(documents_change(roles, plan, &role).await?),
                    None => None,
                },
                None => None,
            };
            let change_set = format!("{CHANGE_SET_PREFIX}{}", now());
            stacks
                .create_change_set(&stack_request(plan), &change_set)
                .await?;
            let deadline = Instant::now() + options.timeout;
            loop {
                let described = stacks.describe_change_set(name, &change_set).await?;
                match described.status.as_str() {
                    "CREATE_COMPLETE" => {
                        let foreign: Vec<String> = described
                            .changes
                            .iter()
                            .filter(|c| crate::model::ownership::foreign_change(c))
                            .map(|c| c.describe())
                            .collect();
                        if !foreign.is_empty() {
                            let _ = stacks.delete_change_set(name, &change_set).await;
                            return Err(EngineError::ForeignChange {
                                stack: name.clone(),
                                changes: foreign,
                            });
                        }
                        let (diff, ids) = documents.map(|d| (d.diff, d.ids)).unwrap_or_default();
                        return Ok(UpdatePreview::Stack {
                            stack: name.clone(),
                            change_set,
                            changes: described.changes.iter().map(|c| c.describe()).collect(),
                            diff,
                            ids,
                        });
                    }
                    "FAILED" => {
                        let _ = stacks.delete_change_set(name, &change_set).await;
                        let reason = described.status_reason.unwrap_or_default();
                        if reason.contains("didn't contain changes")
                            || reason.contains("No updates")
                        {
                            return Ok(UpdatePreview::Nothing {
                                role_arn: role_arn_output(&info, name)?,
                            });
                        }
                        return Err(EngineError::StackFailed {
                            stack: name.clone(),
                            status: "change set FAILED".into(),
                            reasons: vec![reason],
                        });
                    }
                    _ if Instant::now() >= deadline => {
                        return Err(EngineError::TimedOut {
                            stack: name.clone(),
                            status: described.status,
                        });
                    }
                    _ => tick(deadline, options).await,
                }
            }
        }
        crate::engine::saving::Method::Iam => {
            let name = &plan.role_name;
            let role = existing_role(roles, name).await?;
            prove_role(&role)?;
            let change = documents_change(roles, plan, &role).await?;
            if change.trust.is_none() && change.permission.is_none() {
                return Ok(UpdatePreview::Nothing { role_arn: role.arn });
            }
            Ok(UpdatePreview::Role {
                role: name.clone(),
                trust: change.trust,
                permission: change.permission,
                diff: change.diff,
                ids: change.ids,
            })
        }
    }
}

/// The names of the change sets this tool makes (a leftover one is deleted on the next preview).
pub const CHANGE_SET_PREFIX: &str = "segment-aws-setup-";

/// What a plan changes in a role's documents: the trust policy and the inline policy to write
/// (`None` when already so), their diff (external IDs masked for a secret), and every ID the
/// documents hold, for a face to mask in presenter mode.
pub(super) struct DocumentsChange {
    trust: Option<Value>,
    permission: Option<(String, Value)>,
    diff: Vec<String>,
    ids: Vec<String>,
}

pub(super) async fn documents_change(
    roles: &dyn Roles,
    plan: &Plan,
    role: &RoleInfo,
) -> Result<DocumentsChange, EngineError> {
    let name = &role.name;
    let trust = (role.trust_policy != plan.trust_policy).then(|| plan.trust_policy.clone());
    let current = if roles
        .role_policy_names(name)
        .await?
        .iter()
        .any(|p| p == &plan.policy_name)
    {
        Some(roles.get_role_policy(name, &plan.policy_name).await?)
    } else {
        None
    };
    let permission = (!current
        .as_ref()
        .is_some_and(|c| verify::same_policy(c, &plan.permission_policy)))
    .then(|| (plan.policy_name.clone(), plan.permission_policy.clone()));
    let subject = subject_for_plan(plan, &role.arn);
    let mask = |doc: &Value| verify::masked_external_ids(doc, !subject.workspace_ids);
    let mut diff = Vec::new();
    if trust.is_some() {
        diff.push("Trust policy:".into());
        diff.extend(verify::diff(
            &mask(&role.trust_policy),
            &mask(&plan.trust_policy),
        ));
    }
    if permission.is_some() {
        diff.push(format!("Inline policy {}:", plan.policy_name));
        diff.extend(verify::diff(
            current.as_ref().unwrap_or(&Value::Null),
            &plan.permission_policy,
        ));
    }
    let mut ids = verify::every_listed_id(&role.trust_policy);
    ids.extend(verify::every_listed_id(&plan.trust_policy));
    Ok(DocumentsChange {
        trust,
        permission,
        diff,
        ids,
    })
}

/// Applies a previewed update: executes the change set and watches the stack to UPDATE_COMPLETE,
/// or writes the role's documents; then judges the role like any other.
pub async fn apply_update(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    plan: &Plan,
    preview: &UpdatePreview,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let role_arn = match preview {
        UpdatePreview::Nothing { role_arn } => role_arn.clone(),
        UpdatePreview::Stack {
            stack, change_set, ..
        } => {
            // Only what happens from now on is reported.
            let seen: HashSet<String> = all_events(stacks, stack)
                .await?
                .into_iter()
                .map(|e| e.id)
                .collect();
            report(Progress::Note(format!(
                "Executing change set {change_set} on stack {stack}"
            )));
            stacks.execute_change_set(stack, change_set).await?;
            match watch_after(stacks, stack, Goal::Update, options, seen, report).await? {
                WatchOutcome::Done(Some(info)) => role_arn_output(&info, stack)?,
                other => return Err(other.into_error(stack)),
            }
        }
        UpdatePreview::Role {
            role,
            trust,
            permission,
            ..
        } => {
            let info = existing_role(roles, role).await?;
            // The trust and permission policies are two calls: nothing may cut in between.
            let _unbroken = Unbroken::enter();
            if let Some(trust) = trust {
                report(Progress::Note(format!(
                    "Updating the trust policy of {role}"
                )));
                roles.update_trust_policy(role, &trust.to_string()).await?;
            }
            if let Some((name, document)) = permission {
                report(Progress::Note(format!(
                    "Writing inline policy {name} of {role}"
                )));
                roles
                    .put_role_policy(role, name, &document.to_string())
                    .await?;
            }
            info.arn
        }
    };
    check_created_role(roles, plan, &role_arn, report).await?;
    Ok(Created {
        role_arn,
        reused: true,
    })
}

/// Drops a previewed update that was not wanted: its change set is deleted (a quit waits for it).
pub async fn discard_update(
    stacks: &dyn Stacks,
    preview: &UpdatePreview,
) -> Result<(), EngineError> {
    if let UpdatePreview::Stack {
        stack, change_set, ..
    } = preview
    {
        let _unbroken = Unbroken::enter();
        stacks.delete_change_set(stack, change_set).await?;
    }
    Ok(())
}
