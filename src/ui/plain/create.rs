//! The review, then creating the role (a stack or IAM directly) or judging and repairing an
//! existing one, with progress lines and the outcome.

use super::*;

use crate::engine::saving::{Method, SavedSetup};
use crate::engine::stack_sets::StackSetRequest;
use crate::engine::{self, EngineError, Progress, WatchOptions};
use crate::model::catalog::Catalog;
use crate::model::plan::Plan;
use crate::ui::words::{Failure, exit};

impl Plain {
    pub(super) fn review(
        &self,
        plan: &Plan,
        method: usize,
        existing_role: Option<&str>,
        stack_set: Option<&StackSetRequest>,
    ) {
        if let Some(caller) = &self.caller {
            let region = self
                .connection
                .as_ref()
                .map(|c| c.region.clone())
                .unwrap_or_default();
            self.say(&format!(
                "Account {} as {}, region {region}.",
                caller.account, caller.arn
            ));
        }
        self.say(&match (method, existing_role) {
            (3, _) => match stack_set {
                Some(request) => format!(
                    "Creates StackSet {} ({}): IAM role {} with inline policy \"{}\" in {} ({}), region {}.",
                    request.name,
                    request.targets.permission_model().to_lowercase().replace('_', "-"),
                    plan.role_name,
                    plan.policy_name,
                    request.targets.describe(),
                    request.targets.ids().join(", "),
                    request.regions.join(", ")
                ) + " " + crate::model::steps::STACK_SET_SHARED_ID,
                None => String::new(),
            },
            (2, Some(role)) => {
                format!("Reads role {role} and checks it; any repair is shown and asked for first.")
            }
            (1, _) => format!(
                "Creates IAM role {} with inline policy \"{}\".",
                plan.role_name, plan.policy_name
            ),
            _ => format!(
                "Creates CloudFormation stack {} with an IAM role and inline policy \"{}\".",
                plan.stack_name, plan.policy_name
            ),
        });
        self.say(&format!(
            "Segment assumes the role as {} with the external ID {}.",
            plan.principal,
            plan.external_ids.join(", ")
        ));
        for warning in &plan.warnings {
            self.say(&format!("Warning: {warning}."));
        }
        self.say("Trust policy:");
        self.say(&serde_json::to_string_pretty(&plan.trust_policy).unwrap_or_default());
        self.say(&format!("Permission policy \"{}\":", plan.policy_name));
        self.say(&serde_json::to_string_pretty(&plan.permission_policy).unwrap_or_default());
    }

    pub(super) fn reporter(&self) -> impl FnMut(Progress) + Send + use<> {
        let output = self.output.clone();
        move |progress| match progress {
            Progress::Event { event, elapsed } => {
                let reason = event.reason.map(|r| format!(": {r}")).unwrap_or_default();
                write_line(
                    &output,
                    &format!(
                        "[7/8] {} {} ({} s){reason}",
                        event.logical_id,
                        event.status,
                        elapsed.as_secs()
                    ),
                );
            }
            Progress::Note(note) => write_line(&output, &format!("[7/8] {note}")),
            Progress::Status { .. } => {}
            Progress::Reconnecting { error } => write_line(
                &output,
                &format!("[7/8] Lost the connection to AWS ({error}); reconnecting."),
            ),
            Progress::Reconnected => write_line(&output, "[7/8] Reconnected."),
            Progress::Saved(path) => write_line(
                &output,
                &format!("[7/8] Saved the setup to {path} so a re-run can resume it."),
            ),
            Progress::Instance { row, elapsed } => write_line(
                &output,
                &format!("[7/8] {} ({} s)", row.line(), elapsed.as_secs()),
            ),
        }
    }

    /// Creates through CloudFormation or IAM (saving first); after a failed stack, offers to
    /// delete it and retry.
    pub(super) async fn create(
        &mut self,
        plan: &Plan,
        cloudformation: bool,
    ) -> Result<String, Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let method = if cloudformation {
            Method::Cloudformation
        } else {
            Method::Iam
        };
        let account = self
            .caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default();
        let saved = SavedSetup::new(plan, method, &account, Some(&connection.region), None);
        loop {
            let mut report = self.reporter();
            let mut confirm = |_: &engine::Question| false;
            let result = crate::engine::resume::create(
                connection.stacks.as_ref(),
                connection.roles.as_ref(),
                connection.functions.as_ref(),
                self.store.as_ref(),
                plan,
                &saved,
                false,
                "/",
                &WatchOptions::default(),
                &mut confirm,
                &mut report,
            )
            .await;
            match result {
                Ok(created) => return Ok(created.role_arn),
                Err(error @ (EngineError::StackFailed { .. } | EngineError::Declined(_))) => {
                    match &error {
                        EngineError::StackFailed { stack, status, reasons } => {
                            self.say(&format!("The stack {stack} ended in {status}. Why, first cause first:"));
                            for reason in reasons {
                                self.say(&format!("  - {reason}"));
                            }
                        }
                        _ => self.say(&format!("The stack {} exists in ROLLBACK_COMPLETE from an earlier failed create.", plan.stack_name)),
                    }
                    if !self.yes_no("Delete the stack and try again", false)? {
                        return Err(Failure {
                            code: exit::AWS_REFUSED,
                            message: error.to_string(),
                        });
                    }
                    let mut report = self.reporter();
                    engine::delete_stack(
                        connection.stacks.as_ref(),
                        &plan.stack_name,
                        &WatchOptions::default(),
                        &mut report,
                    )
                    .await
                    .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
                }
                Err(error) => {
                    return Err(crate::ui::words::engine_failure_in(error, &self.context()));
                }
            }
        }
    }

    /// Checks an existing role; shows and asks before any repair.
    pub(super) async fn existing(&mut self, plan: &Plan, role: &str) -> Result<String, Failure> {
        let integration = Catalog::builtin()
            .integration(&plan.integration_id)
            .ok_or_else(not_connected)?;
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let expected = engine::Expected {
            role,
            integration,
            external_ids: &plan.external_ids,
            rotating: false,
            permission: Some((plan.policy_name.as_str(), &plan.permission_policy)),
        };
        let account = self.account();
        let mut report = self.reporter();
        let mut stopped = None;
        let checked = engine::verify_and_repair(
            connection.roles.as_ref(),
            &expected,
            true,
            &account,
            &mut self.confirmer(&mut stopped),
            &mut report,
        )
        .await;
        self.checked(checked, stopped, role)
    }

    /// Answers the engine's questions with y or n; a question left without an answer (the input
    /// ended) is a no, and the failure is kept in `stopped` for the caller to return.
    pub(super) fn confirmer<'a>(
        &'a mut self,
        stopped: &'a mut Option<Failure>,
    ) -> impl FnMut(&engine::Question) -> bool + Send + 'a {
        move |question| {
            let text = question.text();
            match self.yes_no(text.trim_end_matches('?'), false) {
                Ok(answer) => answer,
                Err(failure) => {
                    stopped.get_or_insert(failure);
                    false
                }
            }
        }
    }

    /// How a verify-and-repair ended, in plain mode's words: the role's ARN when it is right.
    pub(super) fn checked(
        &self,
        checked: Result<engine::Checked, EngineError>,
        stopped: Option<Failure>,
        role: &str,
    ) -> Result<String, Failure> {
        if let Some(failure) = stopped {
            return Err(failure);
        }
        let checked =
            checked.map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
        let verification = checked.verification;
        self.verification_lines(&verification);
        match checked.ending {
            engine::RepairEnding::Declined => return Err(declined()),
            engine::RepairEnding::NoRepair(reasons) => {
                return Err(Failure {
                    code: exit::AWS_REFUSED,
                    message: format!(
                        "role {role} is not right, and no repair this tool may make passes every probe, so nothing was changed: {}",
                        reasons.join("; ")
                    ),
                });
            }
            engine::RepairEnding::Repaired {
                warning: Some(warning),
            } => self.say(&format!("[7/8] Repaired. {warning}")),
            _ => {}
        }
        if verification.is_right() {
            Ok(verification.role.arn)
        } else {
            Err(Failure {
                code: exit::AWS_REFUSED,
                message: format!("role {role} is still not right"),
            })
        }
    }

    /// The account of the credentials, as the questions name it.
    pub(super) fn account(&self) -> String {
        self.caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default()
    }

    fn verification_lines(&self, verification: &crate::model::verify::Verification) {
        for line in verification.lines() {
            self.say(&format!("[7/8] {}", line.plain()));
        }
    }

    /// The outcome, as every face shows it: the settings, the next steps, the code, the check.
    pub(super) fn outcome(&self, outcome: &crate::model::outcome::Outcome) {
        for line in outcome_lines(outcome) {
            self.say(&line);
        }
    }
}
