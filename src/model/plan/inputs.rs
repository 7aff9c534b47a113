//! The inputs a plan is built from: each checked and normalized, checked together, the preset
//! chosen, the external IDs generated or taken.

use super::request::*;
use crate::model::catalog::{Catalog, ExternalIdSource, Input, Integration, PresetOffer};
use crate::model::external_id;
use crate::model::validate::{self, Field, InputError};
use std::collections::BTreeMap;

/// Joins words into one shell command line, quoting where the shell needs it.
pub(super) fn shell_words(words: &[String]) -> String {
    // try_join fails only on a NUL byte, which JSON text and validated names never hold.
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

pub(super) fn external_id_flag(integration: &Integration) -> &'static str {
    match integration.external_id.source {
        ExternalIdSource::Generated => "--external-id",
        ExternalIdSource::WorkspaceId => "--workspace-id",
    }
}

/// Which permission preset the inputs ask for: exactly one, offered by the integration.
pub(super) fn choose_preset<'a>(
    catalog: &Catalog,
    integration: &'a Integration,
    request: &PlanRequest,
) -> Result<&'a PresetOffer, InputError> {
    let describe = |offer: &PresetOffer| -> String {
        let preset = catalog.preset(&offer.preset);
        let flags: Vec<&str> = preset
            .map(|p| p.inputs.iter().map(|i| i.flag()).collect())
            .unwrap_or_default();
        format!(
            "{} ({})",
            flags.join(" with "),
            preset.map(|p| p.title.as_str()).unwrap_or_default()
        )
    };
    let offered: Vec<String> = integration.presets.iter().map(describe).collect();
    let mut chosen: Vec<&PresetOffer> = Vec::new();
    let mut stray: Vec<Input> = Vec::new();
    for input in Input::ALL {
        if !request.provided(input) {
            continue;
        }
        let offer = integration.presets.iter().find(|offer| {
            catalog
                .preset(&offer.preset)
                .is_some_and(|preset| preset.all_inputs().any(|i| i == input))
        });
        match offer {
            Some(offer) if !chosen.iter().any(|c| c.preset == offer.preset) => chosen.push(offer),
            Some(_) => {}
            None => stray.push(input),
        }
    }
    if let Some(input) = stray.first() {
        return Err(InputError::new(
            *input,
            format!(
                "the {} integration doesn't use it; it offers: {}",
                integration.id,
                offered.join("; ")
            ),
        ));
    }
    match chosen.as_slice() {
        [one] => Ok(one),
        // One preset offered: it is the one, and its own check says what it still needs.
        [] if integration.presets.len() == 1 => Ok(&integration.presets[0]),
        [] => Err(InputError::new(
            "permissions",
            format!("choose what the role may do: {}", offered.join("; ")),
        )),
        several => Err(InputError::new(
            Field::Inputs(
                several
                    .iter()
                    .filter_map(|o| catalog.preset(&o.preset)?.inputs.first().copied())
                    .collect(),
            ),
            format!(
                "choose one permission preset; for several permissions write them in one policy and use {}",
                Field::Input(Input::PolicyFile).mention()
            ),
        )),
    }
}

pub(super) fn check_input(input: Input, value: &str) -> Result<(), InputError> {
    validate::input_value(input, value).map_err(InputError::at(input.flag()))
}

/// An input as the policy uses it: a path prefix as `a/b/`, so a pattern can write
/// `{pathPrefix}segment-logs/*` whether or not there is one.
pub(super) fn normalized(input: Input, values: Vec<String>) -> Vec<String> {
    match input {
        Input::PathPrefix => values
            .into_iter()
            .map(|v| format!("{}/", v.trim_matches('/')))
            .collect(),
        _ => values,
    }
}

/// What several inputs must agree on: Segment's Firehose destination has one region setting, so
/// its delivery streams are in one region.
pub(super) fn check_together(inputs: &BTreeMap<Input, Vec<String>>) -> Result<(), InputError> {
    let regions: std::collections::BTreeSet<&str> = inputs
        .get(&Input::DeliveryStreamArns)
        .into_iter()
        .flatten()
        .filter_map(|arn| {
            validate::delivery_stream_arn(arn)
                .ok()
                .map(|(region, _)| region)
        })
        .collect();
    if regions.len() > 1 {
        return Err(InputError::new(
            Input::DeliveryStreamArns.flag(),
            format!(
                "Segment's Firehose destination has one region setting, so its delivery streams must be in one region; these are in {}",
                regions.into_iter().collect::<Vec<_>>().join(" and ")
            ),
        ));
    }
    Ok(())
}

/// A rotation's new external ID, checked: only for integrations whose ID is generated (a
/// workspace ID is Segment's, not rotated), one at a time, and not one already trusted.
pub(super) fn next_external_ids(
    integration: &Integration,
    request: &PlanRequest,
    current: &[String],
) -> Result<Vec<String>, InputError> {
    if request.next_external_ids.is_empty() {
        return Ok(Vec::new());
    }
    if integration.external_id.source != ExternalIdSource::Generated {
        return Err(InputError::new(
            "--rotate-external-id",
            format!(
                "the {} integration's external ID is your workspace ID, set by Segment: it is not rotated",
                integration.id
            ),
        ));
    }
    if request.next_external_ids.len() > 1 {
        return Err(InputError::new(
            "--rotate-external-id",
            "a rotation brings one new external ID",
        ));
    }
    let next = &request.next_external_ids[0];
    validate::external_id(next, integration.external_id.min_length)
        .map_err(InputError::at("--rotate-external-id"))?;
    if current.contains(next) {
        return Err(InputError::new(
            "--rotate-external-id",
            "the new external ID is the one Segment uses now",
        ));
    }
    Ok(request.next_external_ids.clone())
}

/// The external IDs to trust, checked; generated when the integration generates one and none was
/// given. Returns whether it was generated.
pub(super) fn external_ids(
    integration: &Integration,
    request: &PlanRequest,
) -> Result<(Vec<String>, bool), InputError> {
    let rule = &integration.external_id;
    let mut ids = Vec::new();
    match rule.source {
        ExternalIdSource::Generated => {
            if !request.workspace_ids.is_empty() {
                return Err(InputError::new(
                    "--workspace-id",
                    format!(
                        "the {} integration uses an external ID of at least {} random characters, not the workspace ID: leave it out to generate one, or bring your own with {}",
                        integration.id,
                        rule.min_length,
                        Field::ExternalId.mention()
                    ),
                ));
            }
        }
        ExternalIdSource::WorkspaceId => {
            for id in &request.workspace_ids {
                validate::workspace_id(id).map_err(InputError::at("--workspace-id"))?;
                ids.push(id.clone());
            }
        }
    }
    if !request.source_ids.is_empty() && !rule.source_ids {
        return Err(InputError::new(
            "--source-id",
            format!("the {} integration does not use source IDs", integration.id),
        ));
    }
    for id in &request.source_ids {
        validate::workspace_id(id).map_err(|e| {
            InputError::new("--source-id", e.0.replace("workspace ID", "source ID"))
        })?;
        ids.push(id.clone());
    }
    let min_length = if request.existing_role {
        validate::EXTERNAL_ID_MIN_AWS
    } else {
        rule.min_length
    };
    for id in &request.external_ids {
        validate::external_id(id, min_length).map_err(InputError::at("--external-id"))?;
        ids.push(id.clone());
    }
    let mut seen = std::collections::BTreeSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.len() > 1 && !rule.multiple {
        return Err(InputError::new(
            "--external-id",
            "this integration trusts exactly one external ID: give it once",
        ));
    }
    if !ids.is_empty() {
        return Ok((ids, false));
    }
    match rule.source {
        ExternalIdSource::Generated => Ok((
            vec![external_id::generate(external_id::DEFAULT_LENGTH)],
            true,
        )),
        ExternalIdSource::WorkspaceId => Err(InputError::new(
            "--workspace-id",
            format!(
                "the {} integration's external ID is your Segment workspace ID (Segment shows it in Settings > General, and as some destinations' read-only External ID or Secret ID setting): give it with {}",
                integration.id,
                Field::WorkspaceId.mention()
            ),
        )),
    }
}
