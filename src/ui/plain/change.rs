//! Changing a finished setup: the external ID kept, rotated or finished, the preview, then the
//! change, through the engine's one update sequence.

use super::*;
use crate::model::field::Naming;

use crate::engine::saving::SavedSetup;
use crate::engine::update;
use crate::engine::{self, EngineError, WatchOptions};
use crate::model::catalog::Catalog;
use crate::model::catalog::ExternalIdSource;
use crate::model::plan::{Plan, PlanRequest};
use crate::model::{external_id, validate};
use crate::ui::words::Failure;

impl Plain {
    /// Changes a setup this tool made: the same integration, method and name; the external ID kept,
    /// or a rotation begun or finished (in two phases, so Segment is never locked out); the
    /// permissions asked again; a preview (a change set, or the documents' diff) shown and asked
    /// for before anything changes. The sequence is the engine's (`change`), as in `update`.
    #[expect(
        clippy::too_many_lines,
        reason = "a long sequence, to be split by step"
    )]
    pub(super) async fn update(&mut self, saved: SavedSetup) -> Result<(), Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let integration = Catalog::builtin()
            .integration(&saved.integration)
            .ok_or_else(not_connected)?;
        let name = match saved.method {
            crate::engine::saving::Method::Cloudformation => saved.stack_name.clone(),
            crate::engine::saving::Method::Iam => saved.role_name.clone(),
        }
        .ok_or_else(not_connected)?;
        // The record on this machine, if any (a setup found in AWS has none).
        let record = self.store.as_ref().and_then(|store| {
            match saved.method {
                crate::engine::saving::Method::Cloudformation => store.find_stack(&name),
                crate::engine::saving::Method::Iam => store.find_role(&name),
            }
            .filter(|r| r.account == saved.account && r.integration == saved.integration)
        });
        let mut request = PlanRequest {
            account: self.caller.as_ref().map(|c| c.account.clone()),
            integration: integration.id.clone(),
            stack_name: saved.stack_name.clone(),
            role_name: saved.role_name.clone(),
            ..PlanRequest::default()
        };
        self.step(3, "External ID");
        let mut given = Vec::new();
        let mut id_change = update::IdChange::Keep;
        if integration.external_id.source == ExternalIdSource::WorkspaceId {
            let default = saved.external_ids.join(",");
            let ids = self.ask(
                "Segment workspace and source IDs to trust:",
                Some(&default),
                |answer| {
                    validate::comma_separated(
                        answer,
                        "a workspace ID is needed",
                        validate::workspace_id,
                    )
                    .map_err(said)
                },
            )?;
            if ids != saved.external_ids {
                request.workspace_ids = ids.clone();
                given = ids;
            }
        } else if record.is_none() && saved.external_ids.len() == 2 {
            // Found in AWS with two IDs: a rotation under way whose record is elsewhere. Which ID
            // Segment has is the user's to say; kept, both stay accepted.
            self.say("Its role accepts 2 external IDs and nothing is saved here: a rotation is under way (made elsewhere).");
            let finish = self.keep_or(
                "Keep both for now, or finish it (keep only the one Segment's setting holds)?",
                "finish",
            )?;
            if finish {
                let choices: Vec<(String, String)> = saved
                    .external_ids
                    .iter()
                    .enumerate()
                    .map(|(index, id)| {
                        (
                            format!("ID {}", index + 1),
                            format!(
                                "{}, listed {} in the role's trust policy",
                                external_id::masked(id),
                                if index == 0 {
                                    "first"
                                } else {
                                    "second (as a rotation's new one is)"
                                }
                            ),
                        )
                    })
                    .collect();
                let kept = self.choose("Which one does Segment's setting hold", &choices, 1)?;
                given = vec![saved.external_ids[kept].clone()];
                request.external_ids = given.clone();
                id_change = update::IdChange::Finish;
            }
        } else if saved.rotating() {
            let since = saved
                .rotation_since()
                .map(|at| format!(" since {at}"))
                .unwrap_or_default();
            self.say(&format!(
                "A rotation of the external ID is under way{since}: the role accepts the old and the new one."
            ));
            let finish = self.keep_or(
                "Finish it now (Segment's setting holds the new ID; the old one stops working), or keep both for now?",
                "finish",
            )?;
            if finish {
                id_change = update::IdChange::Finish;
            }
        } else {
            let rotate = self.keep_or(
                "Keep the external ID, or rotate it (a new one the role accepts beside the current one until you finish the rotation)?",
                "rotate",
            )?;
            if rotate {
                id_change =
                    update::IdChange::Rotate(external_id::generate(external_id::DEFAULT_LENGTH));
            }
        }
        self.step(4, "Permissions");
        // What the setup has now are the defaults.
        let setting = |key: &str| {
            saved
                .settings
                .iter()
                .find(|s| s.key == key)
                .and_then(|s| s.value.clone())
        };
        request.bucket = setting("s3Bucket");
        request.bucket_region = setting("s3BucketRegion");
        request.lambda_arns = saved.lambda_arns.clone();
        self.permissions_step(integration, &mut request, saved.preset.as_deref())
            .await?;
        // The inputs are checked before anything is read or changed.
        let mut checking = request.clone();
        saved.lend_ids(&mut checking);
        // A generated ID is trusted once: a found rotation's two stand for one here.
        checking.external_ids.truncate(1);
        if checking.external_ids.is_empty() && checking.workspace_ids.is_empty() {
            checking.external_ids = vec!["stand-in-external-id-for-checking-the-inputs".into()];
        }
        checking.next_external_ids.clear();
        Plan::build(Catalog::builtin(), &checking)
            .map_err(|e| Failure::from_input(&e, Naming::Labels))?;
        self.step(6, "Review");
        let asked = update::Asked {
            integration,
            method: saved.method,
            name: name.clone(),
            request,
            given,
            id_change,
            record,
            account: saved.account.clone(),
            region: saved.region.clone(),
            profile: saved.profile.clone(),
            keep_what_role_accepts: false,
        };
        let (prepared, created) = self
            .apply_asked(&connection, asked.clone(), "Progress")
            .await?;
        self.step(8, "Done");
        let mut outcome =
            crate::model::outcome::Outcome::from_plan(&prepared.plan, Some(&created.role_arn))
                .at(&self.context());
        let finish = crate::model::outcome::finish_rotation_command(&prepared.records.after);
        if let Some(note) = update::rotation_note(&prepared.plan, &finish) {
            outcome.next_steps.insert(0, note);
        }
        self.outcome(&outcome);
        // A rotation's new ID (or new ARNs) written into Segment right away, when a token is set.
        let after = &prepared.records.after;
        let (stack, role) = match after.method {
            crate::engine::saving::Method::Cloudformation => (after.stack_name.as_deref(), None),
            crate::engine::saving::Method::Iam => (None, after.role_name.as_deref()),
        };
        let holds = self.offer_segment(&outcome, stack, role).await?;
        if prepared.plan.next_external_ids.is_empty() || !holds {
            return Ok(());
        }
        // Segment holds the new ID, read back: phase 2 now, asked like any change.
        self.say("");
        self.say("Segment's setting holds the new external ID (read back).");
        if !self.yes_no(
            "Finish the rotation now, phase 2 of 2 (the role stops accepting the old ID)",
            true,
        )? {
            self.say(&format!(
                "The rotation stays under way: the role accepts both IDs until you finish it ({finish}).",
                finish = crate::model::outcome::finish_rotation_command(after)
            ));
            return Ok(());
        }
        let (finished, created) = self
            .apply_asked(
                &connection,
                asked.finishing(after),
                "Progress: finishing the rotation",
            )
            .await?;
        let mut outcome =
            crate::model::outcome::Outcome::from_plan(&finished.plan, Some(&created.role_arn))
                .at(&self.context());
        outcome
            .notes
            .insert(0, crate::model::rotation::FINISHED_WITH_SEGMENT.into());
        self.outcome(&outcome);
        Ok(())
    }

    /// One change: worked out (a difference of IDs asked about), previewed, asked for, then
    /// applied; its progress under step 7's `title`.
    async fn apply_asked(
        &mut self,
        connection: &Connection,
        asked: update::Asked,
        title: &str,
    ) -> Result<(update::Prepared, engine::Created), Failure> {
        let options = WatchOptions::default();
        let context = self.context();
        let failure = |e: EngineError| crate::ui::words::engine_failure_in(e, &context);
        let mut report = self.reporter();
        let mut stopped = None;
        let prepared = update::prepare_asking(
            connection.stacks.as_ref(),
            connection.roles.as_ref(),
            asked,
            &options,
            true,
            &mut self.confirmer(&mut stopped),
            &mut report,
        )
        .await;
        if let Some(failure) = stopped {
            return Err(failure);
        }
        let prepared = prepared.map_err(failure)?;
        for line in prepared.preview.lines() {
            self.say(&line);
        }
        if !matches!(prepared.preview, engine::UpdatePreview::Nothing { .. })
            && !self.yes_no("Apply this update", false)?
        {
            let _ = engine::discard_update(connection.stacks.as_ref(), &prepared.preview).await;
            return Err(declined());
        }
        self.step(7, title);
        let created = update::apply(
            connection.stacks.as_ref(),
            connection.roles.as_ref(),
            self.store.as_ref(),
            &prepared.plan,
            &prepared.preview,
            &prepared.records,
            &options,
            &mut report,
        )
        .await
        .map_err(failure)?;
        Ok((prepared, created))
    }
}
