//! The External ID step and the permission inputs, with the pickers' lists as numbered rows.

use super::*;

use crate::engine;
use crate::model::catalog::Catalog;
use crate::model::catalog::{ExternalIdSource, Input as PresetInput, Integration};
use crate::model::plan::{PlanRequest, PolicyFile};
use crate::model::{external_id, policy, validate};
use crate::ui::words::{Failure, exit};
use std::path::Path;

impl Plain {
    /// `from_segment`: the IDs Segment's Public API gave, offered as the defaults and listed.
    pub(super) fn external_id_step(
        &mut self,
        integration: &Integration,
        request: &mut PlanRequest,
        from_segment: Option<&engine::segment_settings::OfferedIds>,
    ) -> Result<(), Failure> {
        let rule = integration.external_id.clone();
        if rule.source == ExternalIdSource::WorkspaceId {
            for line in crate::model::steps::external_id_intro(integration) {
                self.say(&line);
            }
            let workspace = from_segment.map(|o| o.workspace.id.as_str());
            request.workspace_ids = self.ask("Segment workspace ID:", workspace, |answer| {
                validate::comma_separated(
                    answer,
                    "a workspace ID is needed",
                    validate::workspace_id,
                )
                .map_err(said)
            })?;
            if rule.source_ids {
                self.say(crate::model::steps::SOURCE_ID_WHY);
                let sources = from_segment.map(|o| o.sources.clone()).unwrap_or_default();
                let question = if sources.is_empty() {
                    "Source ID(s) to trust too, separated by commas:"
                } else {
                    self.say("The workspace's sources, as Segment's Public API lists them:");
                    for (row, source) in sources.iter().enumerate() {
                        self.say(&format!("  {}) {}: {}", row + 1, source.name, source.id));
                    }
                    "Source IDs to trust too (all, rows or IDs separated by commas, or none):"
                };
                request.source_ids = self.ask(question, Some("none"), |answer| {
                    crate::model::segment::source_ids_answer(answer, &sources)
                })?;
            }
        } else {
            let generated = external_id::generate(external_id::DEFAULT_LENGTH);
            self.say(&format!("Generated external ID (from the OS's secure random source; keep it like a password): {generated}"));
            self.say(&format!(
                "Press Enter to use it, or type your own (at least {} characters).",
                rule.min_length
            ));
            let id = self.ask("External ID:", Some("use the generated one"), |answer| {
                if answer == "use the generated one" {
                    return Ok(generated.clone());
                }
                external_id::check(answer, &rule)
                    .map(|_| answer.to_string())
                    .map_err(said)
            })?;
            if id != generated
                && let Some(why) = external_id::weakness(&id)
            {
                self.say(&format!(
                    "Note: the external ID you typed looks weak: {why}."
                ));
            }
            request.external_ids = vec![id];
        }
        Ok(())
    }

    /// Step 4. The request's inputs, when it has some (a setup being changed), are the defaults,
    /// and so is `preset`.
    /// The Lambda functions the role may invoke, picked or typed (`current` the default).
    async fn ask_lambda_arns(
        &mut self,
        integration: &Integration,
        current: &str,
    ) -> Result<Vec<String>, Failure> {
        Ok(self
            .ask_picked(
                PresetInput::LambdaArns,
                "Lambda function ARN(s), separated by commas",
                Some(current).filter(|a| !a.is_empty()),
                false,
                integration,
                None,
            )
            .await?
            .values)
    }

    /// A new setup of an integration whose preset can make a starter function: asked whether to
    /// make one (no by default). A change of a setup (`preset_given`) keeps what it has.
    fn offer_starter(
        &mut self,
        integration: &Integration,
        chosen: usize,
        preset_given: bool,
    ) -> Result<bool, Failure> {
        let offered = integration
            .presets
            .get(chosen)
            .is_some_and(|offer| offer.starter_function.is_some());
        if !offered || preset_given || self.connection.is_none() {
            return Ok(false);
        }
        self.yes_no(
            "No Lambda function yet? Make a starter function beside the role (Python: logs each event; its own role writes only its logs)",
            false,
        )
    }

    pub(super) async fn permissions_step(
        &mut self,
        integration: &Integration,
        request: &mut PlanRequest,
        preset: Option<&str>,
    ) -> Result<(), Failure> {
        let catalog = Catalog::builtin();
        let choices: Vec<(String, String)> = crate::model::steps::preset_choices(integration)
            .into_iter()
            .map(|c| {
                let detail = c.detail();
                (c.title, detail)
            })
            .collect();
        let default = integration
            .presets
            .iter()
            .position(|o| Some(o.preset.as_str()) == preset)
            .unwrap_or(0);
        let preset_given = preset.is_some();
        let chosen = self.choose(crate::model::steps::PERMISSIONS_QUESTION, &choices, default)?;
        let Some(preset) = integration
            .presets
            .get(chosen)
            .and_then(|o| catalog.preset(&o.preset))
        else {
            return Err(Failure {
                code: exit::BAD_INPUT,
                message: "no such preset".into(),
            });
        };
        let region = request.bucket_region.clone().unwrap_or_else(|| {
            self.connection
                .as_ref()
                .map(|c| c.region.clone())
                .unwrap_or_else(|| "us-east-1".into())
        });
        let bucket = request.bucket.clone();
        let lambda_arns = request.lambda_arns.join(",");
        let mut detected_region = None;
        for input in &preset.inputs {
            match input {
                PresetInput::Bucket => {
                    let picked = self
                        .ask_picked(
                            PresetInput::Bucket,
                            "S3 bucket name",
                            bucket.as_deref(),
                            false,
                            integration,
                            None,
                        )
                        .await?;
                    request.bucket = picked.values.into_iter().next();
                    detected_region = picked.bucket_region;
                }
                PresetInput::BucketRegion => {
                    let default = detected_region.clone().unwrap_or_else(|| region.clone());
                    if detected_region.is_some() {
                        self.say(&format!("AWS says the bucket is in {default}."));
                    }
                    request.bucket_region =
                        Some(self.ask("S3 bucket region:", Some(&default), |a| {
                            validate::region(a).map(|_| a.to_string()).map_err(said)
                        })?);
                }
                PresetInput::LambdaArns
                    if self.offer_starter(integration, chosen, preset_given)? =>
                {
                    request.starter_function = true;
                    request.region = Some(region.clone());
                    request.lambda_arns = Vec::new();
                }
                PresetInput::LambdaArns => {
                    request.starter_function = false;
                    request.lambda_arns = self.ask_lambda_arns(integration, &lambda_arns).await?;
                }
                PresetInput::PolicyFile => {
                    request.policy_file =
                        Some(
                            self.ask("Path of the policy document (JSON):", None, |path| {
                                let text = engine::read_policy_file(Path::new(path))?;
                                policy::check_custom_policy(&text).map_err(said)?;
                                Ok(PolicyFile {
                                    path: path.to_string(),
                                    text,
                                })
                            })?,
                        );
                }
                other => {
                    let values = self.ask_input(*other, false, request, integration).await?;
                    request.other_inputs.insert(*other, values);
                }
            }
        }
        for input in &preset.optional_inputs {
            let values = self.ask_input(*input, true, request, integration).await?;
            request.other_inputs.insert(*input, values);
        }
        Ok(())
    }

    /// One of the inputs beyond the first four, asked with its hint and checked (several values
    /// separated by commas for a list); an optional one may be answered `none`.
    async fn ask_input(
        &mut self,
        input: PresetInput,
        optional: bool,
        request: &PlanRequest,
        integration: &crate::model::catalog::Integration,
    ) -> Result<Vec<String>, Failure> {
        let current = request
            .other_inputs
            .get(&input)
            .map(|v| v.join(","))
            .filter(|v| !v.is_empty());
        let default = current.or_else(|| optional.then(|| "none".to_string()));
        let question = format!("{} ({})", capitalized(input.label()), input.hint());
        // A key is listed where the bucket or stream is: it encrypts data in its own region only.
        let home = (input == PresetInput::KmsKeyArn)
            .then(|| crate::model::picker::key_region(request))
            .flatten();
        Ok(self
            .ask_picked(
                input,
                &question,
                default.as_deref(),
                optional,
                integration,
                home,
            )
            .await?
            .values)
    }

    /// The account's resources for a picker, listed (or the sentence why not), numbered.
    pub(super) async fn list_for(
        &self,
        kind: crate::model::picker::ResourceKind,
        region: &str,
    ) -> Vec<crate::model::picker::Resource> {
        let (Some(connection), Some(caller)) = (&self.connection, &self.caller) else {
            return Vec::new();
        };
        let place = if kind.is_regional() {
            format!(" in {region}")
        } else {
            String::new()
        };
        self.say(&format!("Listing {}{place}…", kind.plural()));
        match engine::list_resources(connection.resources.as_ref(), kind, region, &caller.account)
            .await
        {
            Ok(found) if found.is_empty() => {
                self.say(&format!(
                    "  No {}{place} in this account: type it.",
                    kind.plural()
                ));
                Vec::new()
            }
            Ok(found) => {
                let rows: Vec<(usize, &crate::model::picker::Resource)> =
                    found.iter().enumerate().map(|(i, r)| (i + 1, r)).collect();
                self.show_rows(&rows);
                found
            }
            Err(why) => {
                self.say(&format!("  {why}"));
                Vec::new()
            }
        }
    }

    /// Numbered rows, at most a screenful; the rest is reached with `/text`.
    fn show_rows(&self, rows: &[(usize, &crate::model::picker::Resource)]) {
        const SHOWN: usize = 20;
        for (number, resource) in rows.iter().take(SHOWN) {
            self.say(&format!("  {number}) {}", resource.describe()));
        }
        if rows.len() > SHOWN {
            self.say(&format!(
                "  … and {} more: /text shows those that hold the text",
                rows.len() - SHOWN
            ));
        }
    }

    /// A question whose answer may be picked from the account's resources (a numbered list:
    /// numbers, `/text` to filter, `@region` for another region) or typed by hand; checked as
    /// the input requires. A bucket picked from the list brings its region.
    async fn ask_picked(
        &mut self,
        input: PresetInput,
        question: &str,
        default: Option<&str>,
        optional: bool,
        integration: &crate::model::catalog::Integration,
        home: Option<String>,
    ) -> Result<Picked, Failure> {
        let kind = crate::model::picker::ResourceKind::of(input);
        let home = home
            .or_else(|| self.connection.as_ref().map(|c| c.region.clone()))
            .unwrap_or_else(|| "us-east-1".into());
        let mut region = crate::model::picker::regions(&integration.resource_regions, &home)
            .into_iter()
            .next()
            .unwrap_or(home);
        let mut listed = match kind {
            Some(kind) => self.list_for(kind, &region).await,
            None => Vec::new(),
        };
        let list = input.is_list();
        loop {
            let how = match (kind, listed.is_empty()) {
                (Some(kind), false) if kind.is_regional() => {
                    " (a number, /text to filter, @region for another region, or type it):"
                }
                (Some(_), false) => " (a number, /text to filter, or type it):",
                (Some(kind), true) if kind.is_regional() => {
                    " (type it, or @region to list another region):"
                }
                _ => ":",
            };
            let rows = listed.clone();
            let answer = self.ask(&format!("{question}{how}"), default, move |answer| {
                if optional && (answer == "none" || answer.is_empty()) {
                    return Ok(crate::model::picker::Answer::Values(Vec::new()));
                }
                let answer = crate::model::picker::read_answer(answer, &rows, list)?;
                if let crate::model::picker::Answer::Values(values) = &answer {
                    if values.is_empty() {
                        return Err("at least one is needed".into());
                    }
                    for value in values {
                        validate::input_value(input, value).map_err(said)?;
                    }
                }
                Ok(answer)
            })?;
            match answer {
                crate::model::picker::Answer::Values(values) => {
                    let bucket_region = values
                        .first()
                        .and_then(|bucket| crate::model::picker::bucket_region(&listed, bucket))
                        .map(str::to_string);
                    return Ok(Picked {
                        values,
                        bucket_region,
                    });
                }
                crate::model::picker::Answer::Filter(text) => {
                    let needle = text.to_lowercase();
                    let rows: Vec<(usize, &crate::model::picker::Resource)> = listed
                        .iter()
                        .enumerate()
                        .map(|(i, r)| (i + 1, r))
                        .filter(|(_, r)| {
                            r.name.to_lowercase().contains(&needle)
                                || r.value.to_lowercase().contains(&needle)
                        })
                        .collect();
                    if rows.is_empty() {
                        self.say(&format!("  none of the list holds \"{text}\""));
                    } else {
                        self.show_rows(&rows);
                    }
                }
                crate::model::picker::Answer::Region(next) => match kind {
                    Some(kind) if kind.is_regional() => {
                        region = next;
                        listed = self.list_for(kind, &region).await;
                    }
                    _ => self.say("  this one isn't listed by region"),
                },
            }
        }
    }
}
