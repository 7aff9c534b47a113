//! A StackSet's targets (accounts or units, regions, preferences), its run and its rows.

use super::*;

use crate::engine::WatchOptions;
use crate::engine::saving::SavedSetup;
use crate::engine::stack_sets::StackSetRequest;
use crate::model::plan::Plan;
use crate::model::stackset::{self, InstanceRow, Preferences, Targets};
use crate::model::validate;
use crate::ui::words::Failure;

impl Plain {
    /// Where a StackSet goes: accounts or organizational units, the regions, its name.
    pub(super) async fn stack_set_questions(
        &mut self,
        default_name: &str,
    ) -> Result<StackSetRequest, Failure> {
        self.say("Accounts get the role through AWS's self-managed StackSet roles; organizational units through AWS Organizations (service-managed).");
        let listed = self
            .list_for(crate::model::picker::ResourceKind::OrgTargets, "")
            .await;
        let targets = self.ask(
            "Account IDs, or organizational units (ou-..., r-...), separated by commas (numbers pick from the list):",
            None,
            |a| match crate::model::picker::read_answer(a, &listed, true)? {
                crate::model::picker::Answer::Values(values) => {
                    stackset::parse_targets(&values.join(","), false).map_err(said)
                }
                _ => Err("answer numbers from the list, or account IDs or organizational units, separated by commas".into()),
            },
        )?;
        let targets = match targets {
            Targets::OrgUnits { ids, .. } => Targets::OrgUnits {
                ids,
                auto_deploy: self.yes_no(
                    "Also make the role in accounts added to these units later",
                    false,
                )?,
            },
            accounts => accounts,
        };
        let home = self
            .connection
            .as_ref()
            .map(|c| c.region.clone())
            .unwrap_or_else(|| "us-east-1".into());
        self.say("An IAM role is global: one region makes it in every account (a second would make the same role again, and fail).");
        let regions = self.ask("Regions, separated by commas:", Some(&home), |a| {
            stackset::regions(&stackset::split_list(a), &home).map_err(said)
        })?;
        let name = self.ask("StackSet name:", Some(default_name), |a| {
            validate::stack_name(a).map(|_| a.to_string()).map_err(said)
        })?;
        Ok(StackSetRequest {
            name,
            targets,
            regions,
            preferences: Preferences::default(),
        })
    }

    /// Saves the setup, makes the StackSet, watches every instance; when some fail, shows why and
    /// offers to run them again.
    pub(super) async fn create_stack_set(
        &mut self,
        plan: &Plan,
        request: &StackSetRequest,
    ) -> Result<Vec<InstanceRow>, Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let account = self
            .caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default();
        let saved = SavedSetup::for_stack_set(
            plan,
            &request.name,
            &account,
            Some(&connection.region),
            None,
        );
        let mut report = self.reporter();
        let mut rows = crate::engine::resume::create_stack_set(
            connection.stack_sets.as_ref(),
            connection.roles.as_ref(),
            self.store.as_ref(),
            plan,
            &saved,
            request,
            &WatchOptions::default(),
            &mut report,
        )
        .await
        .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
        loop {
            let failed: Vec<&InstanceRow> = rows.iter().filter(|r| r.failed()).collect();
            if failed.is_empty() {
                crate::engine::resume::finish_stack_set(
                    self.store.as_ref(),
                    &saved,
                    &plan.role_name,
                    &rows,
                );
                return Ok(rows);
            }
            self.say(&format!("{} instance(s) failed:", failed.len()));
            for row in failed {
                self.say(&format!("  - {}", row.line()));
            }
            if !self.yes_no(
                "Fix what the reasons say, then run the failed instances again",
                false,
            )? {
                return Ok(rows);
            }
            let units = match &request.targets {
                Targets::OrgUnits { ids, .. } => ids.clone(),
                Targets::Accounts(_) => Vec::new(),
            };
            let mut report = self.reporter();
            rows = crate::engine::stack_sets::retry(
                connection.stack_sets.as_ref(),
                &request.name,
                &units,
                Preferences::default(),
                &WatchOptions::default(),
                &mut report,
            )
            .await
            .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
        }
    }

    /// A row per account, then the settings (the same for every account but its role ARN), and
    /// the retry command when an instance failed.
    pub(super) fn stack_set_done(
        &self,
        plan: &Plan,
        request: &StackSetRequest,
        rows: &[InstanceRow],
    ) {
        for row in rows {
            let detail = if row.succeeded() {
                stackset::role_arn(&row.account, &plan.role_name)
            } else {
                row.reason.clone().unwrap_or_default()
            };
            self.say(&format!(
                "  {}  {}  {:<9}  {detail}",
                row.account, row.region, row.status
            ));
        }
        if rows.iter().any(InstanceRow::failed) {
            self.say(&format!(
                "Once the reasons are fixed, run the failed instances again: segment-aws-setup retry --stack-set {}{}",
                request.name,
                self.context().flags()
            ));
        }
        if let Some(first) = rows.iter().find(|r| r.succeeded()) {
            self.say(
                "The settings for Segment, the same for every account but its role ARN (above):",
            );
            self.outcome(
                &crate::model::outcome::Outcome::for_stack_set(
                    plan,
                    &stackset::role_arn(&first.account, &plan.role_name),
                    &request.name,
                )
                .at(&self.context()),
            );
        }
    }
}
