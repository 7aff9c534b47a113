//! Creating a setup through CloudFormation: the stack's request, its creation and watch, reusing a
//! stack already complete, re-attaching to one being made.

use super::account::*;
use super::lookup::*;
use super::report::*;
use super::verify::*;
use super::watch::*;

use crate::aws::{self, Roles, StackCreate, StackInfo, Stacks};
use crate::model::catalog::Integration;
use crate::model::plan::Plan;
use crate::model::template::ROLE_ARN_OUTPUT;
use crate::model::verify::Subject;
use serde_json::Value;

use crate::model::ownership::{CREATED_BY_TAG, INTEGRATION_TAG};

/// The stack's create request for a plan.
pub fn stack_request(plan: &Plan) -> StackCreate {
    let mut tags = vec![(CREATED_BY_TAG.0.to_string(), CREATED_BY_TAG.1.to_string())];
    tags.push((INTEGRATION_TAG.into(), plan.integration_id.clone()));
    StackCreate {
        name: plan.stack_name.clone(),
        template_body: plan.template.to_string(),
        parameters: plan
            .parameters
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_string()))
            .collect(),
        tags,
    }
}

/// Creates the plan's stack and watches it to the end. An existing stack of that name is handled
/// as a re-run: attached to while in progress, reused when complete with the same parameters,
/// deleted (after asking) and created again when it had rolled back.
pub async fn create_with_cloudformation(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    plan: &Plan,
    options: &WatchOptions,
    confirm: &mut (dyn FnMut(&Question) -> bool + Send),
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = &plan.stack_name;
    match stacks.describe_stack(name).await? {
        None => {
            report(Progress::Note(format!("Creating stack {name}")));
            stacks.create_stack(&stack_request(plan)).await?;
        }
        Some(info) if !aws::is_terminal(&info.status) => {
            report(Progress::Note(format!(
                "Stack {name} is already {}: watching it",
                info.status
            )));
        }
        Some(info) if info.status == "CREATE_COMPLETE" || info.status == "UPDATE_COMPLETE" => {
            return reuse_complete_stack(roles, plan, &info, report).await;
        }
        Some(info) if info.status == "ROLLBACK_COMPLETE" => {
            // Even with --yes: only a stack this tool made is deleted, proven by its template.
            prove_stack(stacks, &info).await?;
            let question = Question::DeleteRolledBackStack {
                stack: name.clone(),
            };
            if !confirm(&question) {
                return Err(EngineError::Declined(format!(
                    "stack {name} was left as it is"
                )));
            }
            report(Progress::Note(format!(
                "Deleting the rolled-back stack {name}"
            )));
            stacks.delete_stack(name).await?;
            match watch(stacks, name, Goal::Delete, options, report).await? {
                WatchOutcome::Done(_) => {}
                other => return Err(other.into_error(name)),
            }
            report(Progress::Note(format!("Creating stack {name} again")));
            stacks.create_stack(&stack_request(plan)).await?;
        }
        Some(info) => {
            let reasons = failure_reasons(&all_events(stacks, name).await.unwrap_or_default());
            return Err(EngineError::StackFailed {
                stack: name.clone(),
                status: info.status,
                reasons,
            });
        }
    }
    match watch(stacks, name, Goal::Create, options, report).await? {
        WatchOutcome::Done(Some(info)) => {
            let role_arn = role_arn_output(&info, name)?;
            check_created_role(roles, plan, &role_arn, report).await?;
            Ok(Created {
                role_arn,
                reused: false,
            })
        }
        other => Err(other.into_error(name)),
    }
}

/// Re-attaches to a stack (a resumed setup, `watch`): watches it to the end and, when the setup
/// is known (`expected`: its integration and external IDs), judges the role it made like any other.
pub async fn reattach(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    stack: &str,
    expected: Option<(&Integration, &[String])>,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<String, EngineError> {
    match watch(stacks, stack, Goal::Create, options, report).await? {
        WatchOutcome::Done(Some(info)) => {
            // Any stack may be watched; only a known setup's must carry this tool's output.
            let role_arn = match expected {
                Some(_) => role_arn_output(&info, stack)?,
                None => info.output(ROLE_ARN_OUTPUT).unwrap_or_default().to_string(),
            };
            if let Some((integration, ids)) = expected {
                let subject = Subject::new(integration, ids.to_vec(), &role_arn, now());
                judge_role(roles, &subject, &role_arn, report).await?;
            }
            Ok(role_arn)
        }
        other => Err(other.into_error(stack)),
    }
}

/// A complete stack of the same name: reused when its parameters match the plan's. NoEcho
/// parameters come back masked, so the external ID is checked on the role itself.
pub(super) async fn reuse_complete_stack(
    roles: &dyn Roles,
    plan: &Plan,
    info: &StackInfo,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = &plan.stack_name;
    let mut differences = Vec::new();
    for (key, wanted) in &plan.parameters {
        let wanted = wanted.as_str().unwrap_or_default();
        // A NoEcho parameter (the external ID) is a secret: never compared by value here (AWS
        // masks it anyway) nor printed; the role's trust policy is checked below instead.
        let secret =
            plan.template.pointer(&format!("/Parameters/{key}/NoEcho")) == Some(&Value::Bool(true));
        match info.parameters.iter().find(|(k, _)| k == key) {
            Some(_) if secret => {}
            Some((_, actual)) if actual == wanted => {}
            Some((_, actual)) => differences.push(format!(
                "parameter {key} is {actual:?}, the plan wants {wanted:?}"
            )),
            None => differences.push(format!("it has no parameter {key}")),
        }
    }
    let role_arn = role_arn_output(info, name)?;
    let role_name = role_name_of(&role_arn).to_string();
    match roles.get_role(&role_name).await? {
        Some(role) => differences.extend(problems(&judge_for_plan(plan, &role))),
        None => differences.push(format!("its role {role_name} no longer exists")),
    }
    if !differences.is_empty() {
        return Err(EngineError::StackMismatch {
            stack: name.clone(),
            differences,
        });
    }
    report(Progress::Note(format!(
        "Stack {name} already exists with these settings: reusing its role"
    )));
    Ok(Created {
        role_arn,
        reused: true,
    })
}
