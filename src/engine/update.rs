//! Changing a setup after the first day, one sequence for every face (the CLI's `update`, plain
//! mode and the wizard): what the role accepts now is compared with what is saved (one truth
//! about the external ID); the record of the change is saved before the first change in AWS (a
//! rotation's new ID beside the current one, the IDs a change retires kept until it is done); a
//! rotation has two phases, so Segment is never locked out.

use std::collections::BTreeSet;

use crate::aws::{RoleInfo, Roles, Stacks};
use crate::engine::saving::{Method, SavedSetup, StateStore};
use crate::engine::{self, Created, EngineError, Progress, UpdatePreview, WatchOptions};
use crate::model::catalog::{ExternalIdSource, Integration};
use crate::model::plan::{Plan, PlanRequest};

/// What the external ID of a setup is, from the record saved here and the role in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// The record and the role agree (or nothing is saved and the role says it plainly): the IDs
    /// Segment uses and, during a rotation, the new one.
    Agreed {
        current: Vec<String>,
        pending: Vec<String>,
    },
    /// This machine saved one thing and the role accepts another: a person must say which.
    Differ {
        saved: Vec<String>,
        in_aws: Vec<String>,
    },
    /// Nothing saved here, and the role accepts several generated IDs: which one Segment uses
    /// (and which is a rotation's new one) can't be read from AWS.
    Ambiguous { in_aws: Vec<String> },
    /// Nothing saved here and the role accepts no ID that may be kept.
    Unknown,
}

fn set(ids: &[String]) -> BTreeSet<&str> {
    ids.iter().map(String::as_str).collect()
}

/// One truth about the external ID: the record when the role's accepted IDs (the evaluator's
/// answer) are a state the record's own sequence can leave (before or after each step of a
/// change or rotation), else what differs. `generated`: the integration's ID is a secret this
/// tool generates (several accepted means a rotation), not workspace IDs (several is normal).
pub fn reconcile(record: Option<&SavedSetup>, accepted: &[String], generated: bool) -> Truth {
    let accepted_set = set(accepted);
    let Some(record) = record else {
        return match accepted.len() {
            0 => Truth::Unknown,
            n if generated && n > 1 => Truth::Ambiguous {
                in_aws: accepted.to_vec(),
            },
            _ => Truth::Agreed {
                current: accepted.to_vec(),
                pending: Vec::new(),
            },
        };
    };
    let all = record.all_external_ids();
    let within = accepted_set.is_subset(&set(&all));
    let current = set(&record.external_ids);
    let pending = set(&record.pending_external_ids);
    if within && !current.is_empty() && current.is_subset(&accepted_set) {
        // Before a change reached the role, or after (a rotation's first phase, or IDs still
        // retiring): the record's current IDs are what Segment uses.
        return Truth::Agreed {
            current: record.external_ids.clone(),
            pending: record.pending_external_ids.clone(),
        };
    }
    if within && !pending.is_empty() && pending.is_subset(&accepted_set) {
        // A rotation's second phase reached the role before its record did.
        return Truth::Agreed {
            current: record.pending_external_ids.clone(),
            pending: Vec::new(),
        };
    }
    let mut saved = record.external_ids.clone();
    saved.extend(record.pending_external_ids.iter().cloned());
    Truth::Differ {
        saved,
        in_aws: accepted.to_vec(),
    }
}

/// What a change does to the external ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdChange {
    /// Keep what Segment uses (and a rotation under way).
    Keep,
    /// A rotation's first phase: the role accepts the current ID and this new one (a rotation
    /// under way keeps its own new ID instead).
    Rotate(String),
    /// A rotation's second phase: only the new ID is accepted.
    Finish,
    /// These IDs, given by the user, and nothing else.
    Given(Vec<String>),
}

/// The IDs a change's plan trusts: what Segment uses, and a rotation's new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenIds {
    pub current: Vec<String>,
    pub next: Vec<String>,
}

/// The IDs a change leaves the role accepting, or why it can't be decided without the user.
pub fn choose(truth: &Truth, change: &IdChange) -> Result<ChosenIds, String> {
    let chosen = |current: &[String], next: &[String]| ChosenIds {
        current: current.to_vec(),
        next: next.to_vec(),
    };
    match (truth, change) {
        (_, IdChange::Given(ids)) => Ok(chosen(ids, &[])),
        (Truth::Agreed { current, pending }, IdChange::Keep) => Ok(chosen(current, pending)),
        (Truth::Agreed { current, pending }, IdChange::Rotate(new)) => {
            if pending.is_empty() {
                Ok(chosen(current, std::slice::from_ref(new)))
            } else {
                // A rotation is under way (perhaps interrupted): its new ID, saved already, is
                // the one Segment may have; a third would be saved nowhere Segment knows.
                Ok(chosen(current, pending))
            }
        }
        (Truth::Agreed { current, pending }, IdChange::Finish) => {
            if pending.is_empty() {
                Ok(chosen(current, &[]))
            } else {
                Ok(chosen(pending, &[]))
            }
        }
        // The status quo: both IDs the role accepts stay accepted, read in the order the trust
        // policy lists them (as this tool writes a rotation: the current one, then the new).
        // Which one Segment has is the user's to say when the rotation is finished.
        (Truth::Ambiguous { in_aws }, IdChange::Keep) if in_aws.len() == 2 => {
            Ok(chosen(&in_aws[..1], &in_aws[1..]))
        }
        (Truth::Ambiguous { in_aws }, _) => Err(format!(
            "the role accepts {} external IDs and no setup of it is saved on this machine, so which one Segment uses can't be known: give it with --external-id (SEGMENT_AWS_SETUP_EXTERNAL_ID keeps it out of the shell's history)",
            in_aws.len()
        )),
        (Truth::Differ { .. }, _) => Err(
            "the external IDs saved on this machine are not the ones the role accepts now: say which to keep, or give the ID with --external-id".into(),
        ),
        (Truth::Unknown, _) => Err(
            "no external ID that may be kept is saved here or accepted by the role: give the one Segment uses with --external-id, or --rotate-external-id for a new one".into(),
        ),
    }
}

/// The setup's role as AWS has it now, with the IDs it accepts (the evaluator's answer) that a
/// change may keep, and those it must not, each with why.
#[derive(Debug, Clone)]
pub struct Current {
    pub role: RoleInfo,
    pub accepted: Vec<String>,
    pub dropped: Vec<(String, String)>,
}

impl Current {
    /// Every ID the role accepts now, kept or not: a record saved before a change holds them all.
    pub fn every_accepted(&self) -> Vec<String> {
        let mut ids = self.accepted.clone();
        ids.extend(self.dropped.iter().map(|(id, _)| id.clone()));
        ids
    }
}

/// Reads the role of the stack or role `name` this tool made for `integration`. Nothing changes.
pub async fn read<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    integration: &Integration,
    method: Method,
    name: &str,
) -> Result<Current, EngineError> {
    let role_name =
        match method {
            Method::Cloudformation => {
                let info = stacks.describe_stack(name).await?.ok_or_else(|| {
                    EngineError::StackNotFound {
                        stack: name.to_string(),
                    }
                })?;
                let made_for = engine::prove_stack(stacks, &info).await?;
                same_integration(made_for, integration, &format!("stack {name}"))?;
                let arn = info
                    .output(crate::model::template::ROLE_ARN_OUTPUT)
                    .ok_or_else(|| EngineError::NotOurs {
                        what: format!("stack {name}"),
                        why: "it has no RoleArn output".into(),
                    })?;
                engine::role_name_of(arn).to_string()
            }
            Method::Iam => name.to_string(),
        };
    let role = roles
        .get_role(&role_name)
        .await?
        .ok_or_else(|| EngineError::RoleNotFound {
            role: role_name.clone(),
        })?;
    if method == Method::Iam {
        let made_for = engine::prove_role(&role)?;
        same_integration(made_for, integration, &format!("role {role_name}"))?;
    }
    let (accepted, dropped) = engine::keepable_external_ids(integration, &role);
    Ok(Current {
        role,
        accepted,
        dropped,
    })
}

fn same_integration(
    made_for: &Integration,
    asked: &Integration,
    what: &str,
) -> Result<(), EngineError> {
    if made_for.id == asked.id {
        return Ok(());
    }
    Err(EngineError::NotOurs {
        what: what.to_string(),
        why: format!(
            "it was made for the {} integration, not {}: give --integration {}",
            made_for.id, asked.id, made_for.id
        ),
    })
}

/// Puts the chosen IDs into a request, in the field the integration takes them in.
pub fn lend(integration: &Integration, ids: &ChosenIds, request: &mut PlanRequest) {
    if integration.external_id.source == ExternalIdSource::WorkspaceId {
        request.workspace_ids = ids.current.clone();
        request.external_ids.clear();
    } else {
        request.external_ids = ids.current.clone();
        request.workspace_ids.clear();
    }
    request.source_ids.clear();
    request.next_external_ids = ids.next.clone();
    request.existing_role = true;
    request.generated_external_id = true;
}

/// The records of a change: `before`, saved ahead of the first change in AWS, holds every ID the
/// role accepts before, during and after it; `after`, saved once it is done, only the plan's.
#[derive(Debug, Clone, PartialEq)]
pub struct Records {
    pub before: SavedSetup,
    pub after: SavedSetup,
}

/// Where a setup lives, for its record.
#[derive(Debug, Clone, Copy)]
pub struct Where<'a> {
    pub account: &'a str,
    pub region: Option<&'a str>,
    pub profile: Option<&'a str>,
}

/// The records of changing to `plan` a setup whose role accepts `accepted` now and whose old
/// record (if any) is `old`. A rotation keeps the time it began.
pub fn records(
    plan: &Plan,
    method: Method,
    place: Where<'_>,
    old: Option<&SavedSetup>,
    accepted: &[String],
    role_arn: &str,
    now: u64,
) -> Records {
    let mut after = SavedSetup::new(plan, method, place.account, place.region, place.profile);
    after.finished = true;
    after.role_arn = Some(role_arn.to_string());
    after.stack_set = old.and_then(|o| o.stack_set.clone());
    after.rotation_started_at = (!plan.next_external_ids.is_empty()).then(|| {
        old.filter(|o| o.pending_external_ids == plan.next_external_ids)
            .and_then(|o| o.rotation_started_at)
            .unwrap_or(now)
    });
    let kept = plan.accepted_external_ids();
    let mut before = after.clone();
    let old_ids = old.map(SavedSetup::all_external_ids).unwrap_or_default();
    for id in accepted.iter().chain(&old_ids) {
        let storable =
            crate::model::validate::external_id(id, crate::model::validate::EXTERNAL_ID_MIN_AWS)
                .is_ok();
        if storable && !kept.contains(id) && !before.retiring_external_ids.contains(id) {
            before.retiring_external_ids.push(id.clone());
        }
    }
    Records { before, after }
}

/// Applies a previewed change: the `before` record saved first (when it can't be, nothing
/// changes and the change set goes), the change made and the role judged, then the `after`
/// record saved. A failure leaves `before`, which still names every ID the role may accept.
#[allow(clippy::too_many_arguments)]
pub async fn apply<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    store: Option<&StateStore>,
    plan: &Plan,
    preview: &UpdatePreview,
    records: &Records,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    if let Some(store) = store
        && let Err(error) = crate::engine::resume::save_first(store, &records.before, report)
    {
        let _ = engine::discard_update(stacks, preview).await;
        return Err(error);
    }
    let created = engine::apply_update(stacks, roles, plan, preview, options, report).await?;
    if let Some(store) = store {
        let mut after = records.after.clone();
        after.role_arn = Some(created.role_arn.clone());
        if let Ok(path) = store.save(&after) {
            report(Progress::Saved(path.display().to_string()));
        }
    }
    Ok(created)
}

/// A change a face asks for: the setup (its integration, method, name and record here), the
/// plan's inputs, the IDs the user gave (if any) and what to do with the external ID.
#[derive(Debug, Clone)]
pub struct Asked {
    pub integration: &'static Integration,
    pub method: Method,
    pub name: String,
    /// The inputs of the changed plan; its IDs are the user's, when `given` holds any.
    pub request: PlanRequest,
    /// The IDs the user gave: kept as given, or with a rotation flag, the one of those the role
    /// accepts to rotate from or finish with.
    pub given: Vec<String>,
    pub id_change: IdChange,
    pub record: Option<SavedSetup>,
    /// Where the setup lives: its account, and the region and profile its record keeps.
    pub account: String,
    pub region: Option<String>,
    pub profile: Option<String>,
    /// The user said to keep what the role accepts where it differs from the record (asked
    /// after [`EngineError::IdsDiffer`]).
    pub keep_what_role_accepts: bool,
}

// Two asks are the same change when every field is; the integration by its ID.
impl PartialEq for Asked {
    fn eq(&self, other: &Self) -> bool {
        self.integration.id == other.integration.id
            && self.method == other.method
            && self.name == other.name
            && self.request == other.request
            && self.given == other.given
            && self.id_change == other.id_change
            && self.record == other.record
            && self.account == other.account
            && self.region == other.region
            && self.profile == other.profile
            && self.keep_what_role_accepts == other.keep_what_role_accepts
    }
}

/// A change worked out and previewed, nothing changed yet (a change set may wait in AWS:
/// [`engine::discard_update`] drops it).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub plan: Plan,
    pub preview: UpdatePreview,
    pub records: Records,
    /// The truth the change was chosen from, after any answer.
    pub truth: Truth,
    /// Every external ID this change saw (the role's and the plan's), for a face to mask.
    pub ids: Vec<String>,
}

/// The first half of every change, for every face: the role read and proven ours, one truth
/// about its external ID (when the record and the role differ, [`EngineError::IdsDiffer`] says
/// how, for the face to ask and prepare again with `keep_what_role_accepts`), the IDs chosen,
/// the plan built and the change previewed. Nothing changes.
pub async fn prepare<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    asked: Asked,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Prepared, EngineError> {
    let integration = asked.integration;
    let secret = integration.external_id.source != ExternalIdSource::WorkspaceId;
    let current = read(stacks, roles, integration, asked.method, &asked.name).await?;
    for (id, why) in &current.dropped {
        report(Progress::Note(format!(
            "Not kept: an external ID the role accepts now, {}: {why}",
            crate::model::external_id::masked(id)
        )));
    }
    let accepted_now = current.every_accepted();
    let mut truth = reconcile(asked.record.as_ref(), &current.accepted, secret);
    let mut id_change = asked.id_change.clone();
    let mut request = asked.request.clone();
    if !asked.given.is_empty() {
        let rotating = matches!(id_change, IdChange::Rotate(_) | IdChange::Finish);
        if rotating && !asked.given.iter().all(|id| accepted_now.contains(id)) {
            return Err(EngineError::IdUnsettled(
                "the role doesn't accept the ID given now: to begin or finish a rotation, give the one Segment uses (one the role accepts); to replace it outright, leave out the rotation".into(),
            ));
        }
        match id_change {
            IdChange::Rotate(_) => {
                truth = Truth::Agreed {
                    current: asked.given.clone(),
                    pending: Vec::new(),
                }
            }
            _ => id_change = IdChange::Given(asked.given.clone()),
        }
    }
    let given_as_is = matches!(id_change, IdChange::Given(_)) && !asked.given.is_empty();
    if !given_as_is {
        if asked.record.is_none() {
            report(Progress::Note(
                "Nothing is saved on this machine for this setup: its external ID is read from its role in AWS (the IDs the role accepts that may be kept)".into(),
            ));
        }
        // A difference is said once, by the face that asks about it.
        if !matches!(truth, Truth::Differ { .. }) {
            for line in describe(&truth, secret) {
                report(Progress::Note(line));
            }
        }
    }
    if let (Truth::Differ { in_aws, .. }, false) = (&truth, given_as_is) {
        let flag = if secret {
            "--external-id"
        } else {
            "--workspace-id"
        };
        if in_aws.is_empty() {
            return Err(EngineError::IdUnsettled(format!(
                "the role accepts no external ID that may be kept: give the ID Segment uses with {flag}"
            )));
        }
        if !asked.keep_what_role_accepts {
            return Err(EngineError::IdsDiffer {
                lines: describe(&truth, secret),
                flag: flag.into(),
            });
        }
        truth = reconcile(None, in_aws, secret);
        for line in describe(&truth, secret) {
            report(Progress::Note(format!("Kept, as you said: {line}")));
        }
    }
    let chosen = choose(&truth, &id_change).map_err(EngineError::IdUnsettled)?;
    // Said as asked: a finish with the ID given is still a finish.
    match &asked.id_change {
        IdChange::Rotate(new) if chosen.next.first() != Some(new) => report(Progress::Note(
            "A rotation is under way: its new external ID, saved here, is used again (not a third)".into(),
        )),
        IdChange::Rotate(_) => report(Progress::Note(
            "Rotating the external ID, phase 1 of 2: the role will accept the current ID and a new one, so Segment keeps working while you paste the new one".into(),
        )),
        IdChange::Finish if set(&chosen.current) == set(&accepted_now) => report(Progress::Note(
            "No rotation is under way: the role accepts only the ID Segment uses".into(),
        )),
        IdChange::Finish => report(Progress::Note(
            "Finishing the rotation, phase 2 of 2: the role will accept only the new external ID; the old one stops working".into(),
        )),
        _ => {}
    }
    if given_as_is {
        request.next_external_ids.clear();
    } else {
        lend(integration, &chosen, &mut request);
    }
    request.account = Some(asked.account.clone());
    let plan = Plan::build(crate::model::catalog::Catalog::builtin(), &request)
        .map_err(|e| EngineError::IdUnsettled(e.to_string()))?;
    let preview = engine::prepare_update(stacks, roles, &plan, asked.method, options).await?;
    let records = records(
        &plan,
        asked.method,
        Where {
            account: &asked.account,
            region: asked.region.as_deref(),
            profile: asked.profile.as_deref(),
        },
        asked.record.as_ref(),
        &accepted_now,
        &current.role.arn,
        crate::engine::saving::now_seconds(),
    );
    let mut ids = accepted_now;
    ids.extend(plan.accepted_external_ids());
    ids.extend(preview.shown_ids().iter().cloned());
    Ok(Prepared {
        plan,
        preview,
        records,
        truth,
        ids,
    })
}

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
fn stack_set_role_name(template: &serde_json::Value) -> Option<String> {
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

fn verify_mask(document: &serde_json::Value, secret: bool) -> serde_json::Value {
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

/// What a face says about the IDs before a change: the truth, masked when the ID is a secret.
pub fn describe(truth: &Truth, secret: bool) -> Vec<String> {
    let shown = |ids: &[String]| {
        ids.iter()
            .map(|id| {
                if secret {
                    crate::model::external_id::masked(id)
                } else {
                    crate::model::text::one_line(id).into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match truth {
        Truth::Agreed { current, pending } if pending.is_empty() => {
            vec![format!("The external ID Segment uses: {}", shown(current))]
        }
        Truth::Agreed { current, pending } => vec![
            format!("The external ID Segment used: {}", shown(current)),
            format!(
                "A rotation is under way; its new external ID: {}",
                shown(pending)
            ),
        ],
        Truth::Differ { saved, in_aws } => vec![
            format!("Saved on this machine: {}", shown(saved)),
            format!(
                "The role accepts now: {}",
                if in_aws.is_empty() {
                    "no external ID that may be kept".to_string()
                } else {
                    shown(in_aws)
                }
            ),
        ],
        Truth::Ambiguous { in_aws } => vec![format!(
            "The role accepts {} external IDs ({}) and none is saved here: kept, they are read as a rotation under way (the first as Segment's, the second as the new one); to finish it, give the one Segment has with --finish-rotation --external-id",
            in_aws.len(),
            shown(in_aws)
        )],
        Truth::Unknown => vec!["No external ID is saved here or accepted by the role".into()],
    }
}

/// The note an outcome carries after a change that began or finished a rotation.
pub fn rotation_note(plan: &Plan, finish_command: &str) -> Option<String> {
    (!plan.next_external_ids.is_empty()).then(|| {
        format!(
            "Rotation, phase 1 of 2: paste the new External ID above into Segment now. The role accepts the old and the new one until you finish the rotation, then only the new one: change this setup again and choose to finish, or run {finish_command}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(current: &[&str], pending: &[&str], retiring: &[&str]) -> SavedSetup {
        let strings = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        SavedSetup {
            integration: "destination-function".into(),
            method: Method::Iam,
            stack_name: None,
            role_name: Some("r".into()),
            region: None,
            profile: None,
            account: "123456789012".into(),
            external_ids: strings(current),
            settings: Vec::new(),
            policy_name: None,
            permission_policy: None,
            finished: true,
            role_arn: None,
            saved_at: 0,
            preset: None,
            lambda_arns: Vec::new(),
            stack_set: None,
            pending_external_ids: strings(pending),
            rotation_started_at: None,
            retiring_external_ids: strings(retiring),
            inputs: Default::default(),
            role_path: None,
        }
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_state_a_rotation_leaves_agrees_with_its_record() {
        // Phase 1 saved, role not yet changed; and changed.
        let phase1 = record(&["old"], &["new"], &[]);
        for accepted in [ids(&["old"]), ids(&["old", "new"])] {
            assert_eq!(
                reconcile(Some(&phase1), &accepted, true),
                Truth::Agreed {
                    current: ids(&["old"]),
                    pending: ids(&["new"])
                }
            );
        }
        // Phase 2 saved (old retiring), role not yet changed; and changed.
        let phase2 = record(&["new"], &[], &["old"]);
        for accepted in [ids(&["old", "new"]), ids(&["new"])] {
            assert_eq!(
                reconcile(Some(&phase2), &accepted, true),
                Truth::Agreed {
                    current: ids(&["new"]),
                    pending: vec![]
                }
            );
        }
        // Phase 2 reached the role, the record is phase 1's.
        assert_eq!(
            reconcile(Some(&phase1), &ids(&["new"]), true),
            Truth::Agreed {
                current: ids(&["new"]),
                pending: vec![]
            }
        );
    }

    #[test]
    fn a_stale_record_is_not_believed_over_the_role() {
        // The leaked ID saved; the role was rotated elsewhere.
        let stale = record(&["leaked"], &[], &[]);
        assert_eq!(
            reconcile(Some(&stale), &ids(&["fresh"]), true),
            Truth::Differ {
                saved: ids(&["leaked"]),
                in_aws: ids(&["fresh"])
            }
        );
        // The role accepts nothing keepable now.
        assert!(matches!(
            reconcile(Some(&stale), &[], true),
            Truth::Differ { .. }
        ));
        // Keeping what differs needs the user.
        assert!(
            choose(
                &reconcile(Some(&stale), &ids(&["fresh"]), true),
                &IdChange::Keep
            )
            .is_err()
        );
    }

    #[test]
    fn found_setups_say_what_can_be_known() {
        assert_eq!(reconcile(None, &[], true), Truth::Unknown);
        assert_eq!(
            reconcile(None, &ids(&["a", "b"]), true),
            Truth::Ambiguous {
                in_aws: ids(&["a", "b"])
            }
        );
        // Workspace and source IDs: several is normal.
        assert_eq!(
            reconcile(None, &ids(&["ws", "src"]), false),
            Truth::Agreed {
                current: ids(&["ws", "src"]),
                pending: vec![]
            }
        );
        let ambiguous = reconcile(None, &ids(&["a", "b"]), true);
        assert_eq!(
            choose(&ambiguous, &IdChange::Keep),
            Ok(ChosenIds {
                current: ids(&["a"]),
                next: ids(&["b"])
            })
        );
        let three = reconcile(None, &ids(&["a", "b", "c"]), true);
        assert!(choose(&three, &IdChange::Keep).is_err());
        assert!(choose(&ambiguous, &IdChange::Rotate("n".into())).is_err());
        assert!(choose(&ambiguous, &IdChange::Finish).is_err());
    }

    #[test]
    fn rotating_twice_keeps_the_first_new_id_and_finishing_keeps_only_it() {
        let under_way = Truth::Agreed {
            current: ids(&["old"]),
            pending: ids(&["new"]),
        };
        assert_eq!(
            choose(&under_way, &IdChange::Rotate("third".into())),
            Ok(ChosenIds {
                current: ids(&["old"]),
                next: ids(&["new"])
            })
        );
        assert_eq!(
            choose(&under_way, &IdChange::Finish),
            Ok(ChosenIds {
                current: ids(&["new"]),
                next: vec![]
            })
        );
        assert_eq!(
            choose(&under_way, &IdChange::Keep),
            Ok(ChosenIds {
                current: ids(&["old"]),
                next: ids(&["new"])
            })
        );
    }

    fn plan_with(current: &[&str], next: &[&str]) -> Plan {
        try_plan(current, next).expect("plan")
    }

    fn try_plan(
        current: &[&str],
        next: &[&str],
    ) -> Result<Plan, crate::model::validate::InputError> {
        let request = PlanRequest {
            integration: "destination-function".into(),
            external_ids: ids(current),
            next_external_ids: ids(next),
            role_name: Some("r".into()),
            bucket: Some("events-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            existing_role: true,
            generated_external_id: true,
            account: Some("123456789012".into()),
            ..PlanRequest::default()
        };
        Plan::build(crate::model::catalog::Catalog::builtin(), &request)
    }

    const OLD: &str = "old-external-id-0123456789abcdef0123";
    const NEW: &str = "new-external-id-0123456789abcdef0123";

    #[test]
    fn the_record_saved_first_names_every_id_the_role_accepts_at_any_point() {
        let place = Where {
            account: "123456789012",
            region: None,
            profile: None,
        };
        // Phase 2: the old ID is retiring until the role no longer accepts it.
        let plan = plan_with(&[NEW], &[]);
        let old = record(&[OLD], &[NEW], &[]);
        let r = records(
            &plan,
            Method::Iam,
            place,
            Some(&old),
            &ids(&[OLD, NEW]),
            "arn:aws:iam::123456789012:role/r",
            7,
        );
        assert_eq!(r.before.all_external_ids(), ids(&[NEW, OLD]));
        assert_eq!(r.after.all_external_ids(), ids(&[NEW]));
        assert!(r.before.check().is_ok() && r.after.check().is_ok());
        // Phase 1 begins now, and a re-run keeps when it began.
        let plan = plan_with(&[OLD], &[NEW]);
        let first = records(&plan, Method::Iam, place, None, &ids(&[OLD]), "arn", 7);
        assert_eq!(first.after.rotation_started_at, Some(7));
        let again = records(
            &plan,
            Method::Iam,
            place,
            Some(&first.after),
            &ids(&[OLD, NEW]),
            "arn",
            99,
        );
        assert_eq!(again.after.rotation_started_at, Some(7));
    }

    proptest! {
        /// Whatever the role accepts and whatever the record holds, a record saved before a
        /// change holds every ID the role accepts before it and after it.
        #[test]
        fn no_accepted_id_is_ever_unsaved(
            accepted in proptest::sample::subsequence(vec![OLD, NEW, "third-external-id-0123456789abcdef"], 0..=3),
            rotate in any::<bool>(),
        ) {
            let accepted = ids(&accepted);
            let truth = reconcile(None, &accepted, true);
            let change = if rotate { IdChange::Rotate(NEW.into()) } else { IdChange::Keep };
            if let Ok(chosen) = choose(&truth, &change) {
                let current: Vec<&str> = chosen.current.iter().map(String::as_str).collect();
                let next: Vec<&str> = chosen.next.iter().map(String::as_str).collect();
                // A new ID the role accepts already is refused by the plan, as it should be.
                prop_assume!(next.iter().all(|n| !current.contains(n)));
                let plan = plan_with(&current, &next);
                let place = Where { account: "123456789012", region: None, profile: None };
                let r = records(&plan, Method::Iam, place, None, &accepted, "arn", 1);
                let saved = r.before.all_external_ids();
                for id in accepted.iter().chain(&plan.accepted_external_ids()) {
                    prop_assert!(saved.contains(id));
                }
            }
        }
    }
}
