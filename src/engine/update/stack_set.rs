//! Changing a StackSet's setup in every account: the record is the truth (CloudFormation masks the
//! ID parameters); the after-record is saved only when every instance succeeded.

use super::single::*;
use crate::engine::saving::{Method, SavedSetup, StateStore};
use crate::engine::{EngineError, Progress, WatchOptions};
use crate::model::catalog::ExternalIdSource;
use crate::model::plan::Plan;
use crate::model::rotation::*;

/// A StackSet change worked out: the update of the stack set (every account's role follows
/// it), what it changes (no secret in it), and its records. Nothing changed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct StackSetChange {
    pub plan: Plan,
    pub update: crate::aws::StackSetUpdate,
    /// What changes, a line each, for the face to show before it asks.
    pub lines: Vec<String>,
    /// The stack set already is what the plan says.
    pub nothing: bool,
    pub records: Records,
}

/// The role name a stack set's template gives its role in every account.
pub(super) fn stack_set_role_name(template: &serde_json::Value) -> Option<String> {
    template["Resources"]
        .as_object()?
        .values()
        .find(|r| r["Type"] == crate::model::template::ROLE_TYPE)
        .and_then(|r| r["Properties"]["RoleName"].as_str())
        .map(str::to_string)
}

/// The first half of a StackSet change: the stack set read and proven ours, the external ID
/// from the record saved here (CloudFormation shows a stack set's ID parameters masked, so the
/// record is the only place it can be read; without one the ID must be given), the IDs chosen as
/// for one role, the update worked out. `asked.name` is the stack set's.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub async fn prepare_stack_set(
    stack_sets: &dyn crate::aws::StackSets,
    asked: Asked,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<StackSetChange, EngineError> {
    let integration = asked.integration;
    let secret = integration.external_id.source != ExternalIdSource::WorkspaceId;
    let name = asked.name.clone();
    let info =
        stack_sets
            .describe_stack_set(&name)
            .await?
            .ok_or_else(|| EngineError::StackNotFound {
                stack: format!("set {name}"),
            })?;
    let made_for = crate::engine::stack_sets::prove(&info)?;
    same_integration(made_for, integration, &format!("stack set {name}"))?;
    let existing: serde_json::Value =
        serde_json::from_str(&info.template_body).unwrap_or(serde_json::Value::Null);
    let role_name = stack_set_role_name(&existing).ok_or_else(|| EngineError::NotOurs {
        what: format!("stack set {name}"),
        why: "its template names no role".into(),
    })?;
    let mut id_change = asked.id_change.clone();
    let mut truth = match &asked.record {
        Some(record) => Truth::Agreed {
            current: record.external_ids.clone(),
            pending: record.pending_external_ids.clone(),
        },
        None if asked.given.is_empty() => {
            return Err(EngineError::StackSetNotSaved {
                name,
                integration: integration.id.clone(),
            });
        }
        None => Truth::Unknown,
    };
    if !asked.given.is_empty() {
        match id_change {
            IdChange::Rotate(_) => {
                truth = Truth::Agreed {
                    current: asked.given.clone(),
                    pending: Vec::new(),
                }
            }
            _ => id_change = IdChange::Given(asked.given.clone()),
        }
    } else {
        for line in describe(&truth, secret) {
            report(Progress::Note(line));
        }
    }
    let chosen = choose(&truth, &id_change).map_err(EngineError::IdUnsettled)?;
    let mut request = asked.request.clone();
    if asked.given.is_empty() || matches!(id_change, IdChange::Rotate(_)) {
        lend(integration, &chosen, &mut request);
    } else {
        request.next_external_ids.clear();
    }
    request.role_name = Some(role_name.clone());
    // As when it was made: the accounts' own IDs come from the template (${AWS::AccountId}).
    request.account = None;
    let plan = Plan::build(crate::model::catalog::Catalog::builtin(), &request)
        .map_err(|e| EngineError::IdUnsettled(e.to_string()))?;
    let template = crate::model::stackset::with_role_name(&plan.template, &role_name);
    let parameters: Vec<(String, String)> = plan
        .parameters
        .iter()
        .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_string()))
        .collect();
    let mut lines = vec![format!(
        "Stack set {name}: every account's role {role_name} follows this change"
    )];
    let mask = |doc: &serde_json::Value| verify_mask(doc, secret);
    let template_changes = crate::model::verify::diff(&mask(&existing), &mask(&template));
    let same_template = existing == template;
    if same_template {
        lines.push("  Its template: unchanged".into());
    } else {
        lines.push("  Its template, before (-) and after (+):".into());
        lines.extend(template_changes);
    }
    let old_ids = asked
        .record
        .as_ref()
        .map(SavedSetup::all_external_ids)
        .unwrap_or_default();
    let new_ids = plan.accepted_external_ids();
    let same_ids = set(&old_ids) == set(&new_ids);
    lines.push(match (&id_change, same_ids) {
        (_, true) => "  The external ID: unchanged".to_string(),
        (IdChange::Rotate(_), false) => "  The external ID: a rotation begins; every account's role accepts the current ID and the new one".to_string(),
        (IdChange::Finish, false) => "  The external ID: the rotation finishes; every account's role accepts only the new one".to_string(),
        _ => "  The external ID: replaced by the one given (Segment must have it)".to_string(),
    });
    let declared = &plan.template["Parameters"];
    let mut same_parameters = true;
    for (key, value) in &parameters {
        let shown = info
            .parameters
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v);
        let no_echo = declared[key]["NoEcho"] == serde_json::json!(true)
            || declared[key]["NoEcho"] == serde_json::json!("true");
        if no_echo {
            continue;
        }
        if shown != Some(value) {
            same_parameters = false;
            lines.push(format!(
                "  Parameter {key}: {} → {}",
                crate::model::text::one_line(shown.map(String::as_str).unwrap_or("(none)")),
                crate::model::text::one_line(value)
            ));
        }
    }
    let nothing = same_template && same_ids && same_parameters;
    let mut records = records(
        &plan,
        Method::Cloudformation,
        Where {
            account: &asked.account,
            region: asked.region.as_deref(),
            profile: asked.profile.as_deref(),
        },
        asked.record.as_ref(),
        &old_ids,
        &crate::model::stackset::role_arn("ACCOUNT", &role_name),
        crate::engine::saving::now_seconds(),
    );
    for record in [&mut records.before, &mut records.after] {
        record.stack_name = None;
        record.stack_set = Some(name.clone());
    }
    Ok(StackSetChange {
        plan,
        update: crate::aws::StackSetUpdate {
            name,
            template_body: template.to_string(),
            parameters,
            preferences: crate::model::stackset::Preferences::default(),
        },
        lines,
        nothing,
        records,
    })
}

pub(super) fn verify_mask(document: &serde_json::Value, secret: bool) -> serde_json::Value {
    crate::model::verify::masked_external_ids(document, secret)
}

/// Applies a StackSet change: the `before` record saved first, the stack set updated and its
/// instances watched; the `after` record saved only once every account's instance succeeded (a
/// failed account still has a role from before, whose IDs `before` holds).
pub async fn apply_stack_set(
    stack_sets: &dyn crate::aws::StackSets,
    store: Option<&StateStore>,
    change: &StackSetChange,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<crate::model::stackset::InstanceRow>, EngineError> {
    if let Some(store) = store {
        crate::engine::resume::save_first(store, &change.records.before, report)?;
    }
    let operation = if change.nothing {
        None
    } else {
        report(Progress::Note(format!(
            "Updating stack set {}",
            change.update.name
        )));
        Some(stack_sets.update_stack_set(&change.update).await?)
    };
    let rows = crate::engine::stack_sets::watch(
        stack_sets,
        &change.update.name,
        operation.as_deref(),
        options,
        report,
    )
    .await?;
    if let Some(store) = store
        && !rows.is_empty()
        && rows
            .iter()
            .all(crate::model::stackset::InstanceRow::succeeded)
        && let Ok(path) = store.save(&change.records.after)
    {
        report(Progress::Saved(path.display().to_string()));
    }
    Ok(rows)
}
