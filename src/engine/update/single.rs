//! Changing one setup (a stack, or a role made directly): read what the role accepts and prove it
//! ours, prepare the plan and its preview, save the record before, apply, save the record after.

use crate::aws::{RoleInfo, Roles, Stacks};
use crate::engine::saving::{Method, SavedSetup, StateStore};
use crate::engine::{self, Created, EngineError, Progress, Question, UpdatePreview, WatchOptions};
use crate::model::catalog::{ExternalIdSource, Integration};
use crate::model::plan::{Plan, PlanRequest};
use crate::model::rotation::*;

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
pub async fn read(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
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

/// The starter function the setup holds, by name: its stack's function, or (IAM) the one its
/// record or its role's tag names (a setup found in AWS has no record).
async fn starter_kept(
    stacks: &dyn Stacks,
    role: &RoleInfo,
    asked: &Asked,
) -> Result<Option<String>, EngineError> {
    Ok(match asked.method {
        Method::Cloudformation => stacks
            .stack_resources(&asked.name)
            .await?
            .into_iter()
            .find(|r| r.logical_id == crate::model::starter::FUNCTION_ID)
            .map(|r| {
                r.physical_id
                    .unwrap_or_else(|| crate::model::starter::Starter::name_for(&asked.name))
            }),
        Method::Iam => asked
            .record
            .as_ref()
            .and_then(|r| r.starter_function.clone())
            .or_else(|| crate::engine::starter::starter_of(role)),
    })
}

pub(super) fn same_integration(
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
pub async fn apply(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
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

impl Asked {
    /// Phase 2 of a rotation whose phase 1 left `after`: only the new ID stays. Asked once
    /// Segment's setting holds the new ID (read back), so nothing is locked out.
    pub fn finishing(self, after: &SavedSetup) -> Asked {
        Asked {
            id_change: IdChange::Finish,
            record: Some(after.clone()),
            given: Vec::new(),
            ..self
        }
    }
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

/// `prepare`, with a difference of IDs settled by asking (`Question::KeepWhatRoleAccepts`, its
/// lines said first): yes prepares again keeping what the role accepts, no is `Declined`. A face
/// that can't ask (`--yes` guesses nothing) gets the difference back as `IdsDiffer`.
pub async fn prepare_asking(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    asked: Asked,
    options: &WatchOptions,
    can_ask: bool,
    confirm: &mut (dyn FnMut(&Question) -> bool + Send),
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Prepared, EngineError> {
    match prepare(stacks, roles, asked.clone(), options, report).await {
        Err(EngineError::IdsDiffer { lines, .. }) if can_ask => {
            for line in lines {
                report(Progress::Note(line));
            }
            if !confirm(&Question::KeepWhatRoleAccepts) {
                return Err(EngineError::Declined(
                    "the external IDs saved here and in the role differ, and what the role accepts was not kept".into(),
                ));
            }
            let asked = Asked {
                keep_what_role_accepts: true,
                ..asked
            };
            prepare(stacks, roles, asked, options, report).await
        }
        prepared => prepared,
    }
}

/// The first half of every change, for every face: the role read and proven ours, one truth
/// about its external ID (when the record and the role differ, [`EngineError::IdsDiffer`] says
/// how, for the face to ask and prepare again with `keep_what_role_accepts`), the IDs chosen,
/// the plan built and the change previewed. Nothing changes.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub async fn prepare(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
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
    // A starter function made with the setup stays: the changed plan makes it again, the same.
    if let Some(name) = starter_kept(stacks, &current.role, &asked).await? {
        request.starter_function = true;
        request.starter_name = Some(name);
        request.region = request.region.or_else(|| asked.region.clone());
    }
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
