//! Saving, resuming and finishing a setup: the one place every face (the wizard, plain mode,
//! `create`) goes through, so a setup killed at any moment is found and finished by the next run,
//! in the account and region it was made for, and nothing is changed on a resume unasked.

use crate::aws::{Roles, Stacks};
use crate::engine::saving::{Method, SavedSetup, StateStore};
use crate::engine::{self, Created, EngineError, Progress, Question, WatchOptions};
use crate::model::catalog::{Catalog, Integration};
use crate::model::plan::Plan;
use crate::model::verify::Verification;
use serde_json::Value;

/// The saved setups as a face offers them once the account is known.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Offers {
    /// Unfinished setups of this account, newest first: the first is offered.
    pub here: Vec<SavedSetup>,
    /// Setups saved for other accounts, a sentence each: listed and left alone.
    pub elsewhere: Vec<String>,
}

/// Sorts unfinished setups into this account's and the others'.
pub fn offers(unfinished: &[SavedSetup], account: &str) -> Offers {
    let mut offers = Offers::default();
    for saved in unfinished.iter().filter(|s| !s.finished) {
        // A StackSet is watched and retried by name, from the command line.
        if let Some(stack_set) = &saved.stack_set {
            offers.elsewhere.push(format!(
                "stack set {stack_set} ({}) is unfinished: watch it with segment-aws-setup watch --stack-set {stack_set}, or run the same create again",
                saved.integration
            ));
            continue;
        }
        if saved.account == account {
            offers.here.push(saved.clone());
        } else {
            offers.elsewhere.push(format!(
                "saved for account {}: {} ({}), left alone; resume it from that account",
                saved.account,
                saved.what(),
                saved.integration
            ));
        }
    }
    offers
}

/// A setup that may be changed (`update`), and where it was learnt of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changeable {
    pub setup: SavedSetup,
    /// Found in AWS (by its tag), not saved on this machine.
    pub found_in_aws: bool,
}

impl Changeable {
    /// "stack S (integration, region R)", with where it was found.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}, {}{})",
            self.setup.what(),
            self.setup.integration,
            self.setup.place(),
            if self.found_in_aws {
                ", found in AWS"
            } else {
                ""
            }
        )
    }
}

/// The setups of this account that may be changed: the finished ones saved here (a stack only in
/// the connected region, stacks being regional), then those found in AWS that aren't saved here
/// (an unfinished one is offered for resuming instead). `saved` holds both kinds.
pub fn changeable(
    saved: &[SavedSetup],
    found: &[SavedSetup],
    account: &str,
    region: &str,
) -> Vec<Changeable> {
    let same = |a: &SavedSetup, b: &SavedSetup| {
        a.method == b.method
            && a.stack_name == b.stack_name
            && a.role_name.as_deref().map(str::to_ascii_lowercase)
                == b.role_name.as_deref().map(str::to_ascii_lowercase)
    };
    let mut setups: Vec<Changeable> = saved
        .iter()
        .filter(|s| s.finished && s.account == account && s.stack_set.is_none())
        .filter(|s| s.method == Method::Iam || s.region.as_deref().is_none_or(|r| r == region))
        .map(|s| Changeable {
            setup: s.clone(),
            found_in_aws: false,
        })
        .collect();
    for setup in found.iter().filter(|s| s.account == account) {
        let known = saved.iter().any(|s| s.account == account && same(s, setup));
        if !known {
            setups.push(Changeable {
                setup: setup.clone(),
                found_in_aws: true,
            });
        }
    }
    setups
}

/// The unfinished setup a re-run of `create` continues: same account, integration and method,
/// and the same stack or role name when one was given; else the newest.
pub fn find_for_rerun(
    store: &StateStore,
    account: &str,
    integration: &str,
    method: Method,
    name: Option<&str>,
) -> Option<SavedSetup> {
    store.unfinished().into_iter().find(|s| {
        s.stack_set.is_none()
            && s.account == account
            && s.integration == integration
            && s.method == method
            && name.is_none_or(|name| match method {
                Method::Cloudformation => s.stack_name.as_deref() == Some(name),
                Method::Iam => s
                    .role_name
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(name)),
            })
    })
}

/// After a failed create: whether anything of ours was left in AWS for a re-run to finish (a
/// stack of that name, or a role tagged as ours). When the answer can't be had, it counts as yes.
pub async fn leftover(stacks: &dyn Stacks, roles: &dyn Roles, saved: &SavedSetup) -> bool {
    match saved.method {
        Method::Cloudformation => {
            let stack = saved.stack_name.as_deref().unwrap_or_default();
            match stacks.describe_stack(stack).await {
                Ok(Some(info)) => engine::is_ours(&info.tags),
                Ok(None) => false,
                Err(_) => true,
            }
        }
        Method::Iam => {
            let role = saved.role_name.as_deref().unwrap_or_default();
            match roles.get_role(role).await {
                Ok(Some(info)) => engine::is_ours(&info.tags),
                Ok(None) => false,
                Err(_) => true,
            }
        }
    }
}

/// Saves the setup before the first change, creates it (or finishes the one an earlier run left:
/// `resuming` when the saved setup came from that run), then marks the record finished; when the
/// create fails having left nothing of ours in AWS, the record goes, so nothing is offered later.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    functions: &dyn crate::aws::Functions,
    store: Option<&StateStore>,
    plan: &Plan,
    saved: &SavedSetup,
    resuming: bool,
    role_path: &str,
    options: &WatchOptions,
    confirm: &mut (dyn FnMut(&Question) -> bool + Send),
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    if let Some(store) = store {
        save_first(store, saved, report)?;
    }
    let result = match saved.method {
        Method::Cloudformation => {
            engine::create_with_cloudformation(stacks, roles, plan, options, confirm, report).await
        }
        Method::Iam => {
            engine::create_with_iam(roles, functions, plan, role_path, resuming, report).await
        }
    };
    if let Some(store) = store {
        match &result {
            Ok(created) => {
                let _ = store.finish(saved, &created.role_arn);
            }
            Err(_) if !leftover(stacks, roles, saved).await => {
                let _ = store.remove(saved);
            }
            Err(_) => {}
        }
    }
    result
}

/// Saves the setup before the first change in AWS: when it can't be saved, nothing is changed.
pub(crate) fn save_first(
    store: &StateStore,
    saved: &SavedSetup,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let path = store.save(saved).map_err(|error| {
        EngineError::NotSaved(format!(
            "can't save the setup in {} before changing anything ({error}), so nothing was changed",
            store.dir().display()
        ))
    })?;
    report(Progress::Saved(path.display().to_string()));
    Ok(())
}

/// The StackSet setup saved on this machine for the stack set `name` in this account, finished
/// or not: a re-run, or accounts added later, must use its external ID.
pub fn stack_set_record(
    store: Option<&StateStore>,
    account: &str,
    name: &str,
) -> Option<SavedSetup> {
    store?
        .load_all()
        .into_iter()
        .find(|s| s.account == account && s.stack_set.as_deref() == Some(name))
}

/// Saves a StackSet setup before the first change, creates the stack set and its instances (or,
/// for one that exists, adds the accounts it lacks) and watches them; the record is finished once
/// every instance succeeded. An existing stack set is used only with the setup saved for it here
/// and that setup's external IDs: a new account's role requires the stack set's own ID, so any
/// other ID printed or saved would lock Segment out of every account.
#[allow(clippy::too_many_arguments)]
pub async fn create_stack_set(
    stack_sets: &dyn crate::aws::StackSets,
    roles: &dyn Roles,
    store: Option<&StateStore>,
    plan: &Plan,
    saved: &SavedSetup,
    request: &crate::engine::stack_sets::StackSetRequest,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<crate::model::stackset::InstanceRow>, EngineError> {
    let record = stack_set_record(store, &saved.account, &request.name);
    if let Some(record) = &record {
        let mut saved_ids = record.all_external_ids();
        let mut planned = plan.accepted_external_ids();
        saved_ids.sort();
        planned.sort();
        if saved_ids != planned {
            return Err(EngineError::NotSaved(format!(
                "the setup saved for stack set {} requires another external ID than this run's: nothing was changed. Run it again without an ID (the saved one is used), or change the stack set's ID with segment-aws-setup update --integration {} --stack-set {} --rotate-external-id",
                request.name, plan.integration_id, request.name
            )));
        }
    }
    if let Some(store) = store {
        let mut saved = saved.clone();
        if let Some(record) = &record {
            saved.pending_external_ids = record.pending_external_ids.clone();
            saved.rotation_started_at = record.rotation_started_at;
        }
        save_first(store, &saved, report)?;
    }
    let rows = crate::engine::stack_sets::create(
        stack_sets,
        roles,
        plan,
        request,
        record.is_some(),
        options,
        report,
    )
    .await?;
    finish_stack_set(store, saved, &plan.role_name, &rows);
    Ok(rows)
}

/// A StackSet setup is finished once every instance succeeded (after its create, or a retry):
/// kept with its role's name so `verify --stack-set` finds its external ID.
pub fn finish_stack_set(
    store: Option<&StateStore>,
    saved: &SavedSetup,
    role_name: &str,
    rows: &[crate::model::stackset::InstanceRow],
) {
    if let Some(store) = store
        && !rows.is_empty()
        && rows
            .iter()
            .all(crate::model::stackset::InstanceRow::succeeded)
    {
        let _ = store.finish(
            saved,
            &crate::model::stackset::role_arn("ACCOUNT", role_name),
        );
    }
}

/// The permission policy a resume may attach: the saved one only when it is what the saved
/// preset and inputs make (built again here), and, for a custom policy, when it grants nothing
/// broadly (that needs the explicit yes `create` asks for). A state file is untrusted input: a
/// policy edited into it is never applied.
pub fn judged_policy(
    saved: &SavedSetup,
) -> Result<Option<(String, serde_json::Value)>, EngineError> {
    let (Some(name), Some(policy)) = (&saved.policy_name, &saved.permission_policy) else {
        return Ok(None);
    };
    let refuse = |why: String| EngineError::SavedPolicyRefused {
        setup: saved.what(),
        why,
    };
    let plan = Plan::build(Catalog::builtin(), &saved.request())
        .map_err(|error| refuse(format!("its preset and inputs don't make a plan ({error})")))?;
    if saved.preset.as_deref().is_some_and(|p| p != plan.preset_id) {
        return Err(refuse(format!(
            "its inputs make preset {}, not the saved {}",
            plan.preset_id,
            saved.preset.as_deref().unwrap_or_default()
        )));
    }
    if &plan.policy_name != name {
        return Err(refuse(format!(
            "the template's policy is {}, not {name}",
            plan.policy_name
        )));
    }
    if !plan.broad_grants.is_empty() {
        return Err(refuse(format!(
            "it grants broadly ({}); run the create again with --policy-file and --allow-broad-policy if you mean it",
            plan.broad_grants.join("; ")
        )));
    }
    if !crate::model::verify::same_policy(policy, &plan.permission_policy) {
        return Err(refuse(
            "it is not the policy its preset and inputs make (the state file was changed)".into(),
        ));
    }
    Ok(Some((name.clone(), plan.permission_policy)))
}

/// A saved direct-IAM setup's role, read and judged for resuming: only a role tagged as this
/// tool's is resumed, and only with a saved policy judged again. The face shows the verification
/// and its fix, and asks before any change.
pub async fn check_saved_role(
    roles: &dyn Roles,
    saved: &SavedSetup,
) -> Result<Verification, EngineError> {
    let (role, integration, judged) = saved_role_expected(roles, saved).await?;
    let ids = saved.all_external_ids();
    let expected = saved_expected(saved, &role, integration, &ids, judged.as_ref());
    engine::verify_expected(roles, &expected).await
}

/// As `check_saved_role`, then the repair every face runs (`engine::verify_and_repair`).
pub async fn repair_saved_role(
    roles: &dyn Roles,
    saved: &SavedSetup,
    account: &str,
    confirm: &mut (dyn FnMut(&Question) -> bool + Send),
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<engine::Checked, EngineError> {
    let (role, integration, judged) = saved_role_expected(roles, saved).await?;
    let ids = saved.all_external_ids();
    let expected = saved_expected(saved, &role, integration, &ids, judged.as_ref());
    engine::verify_and_repair(roles, &expected, true, account, confirm, report).await
}

/// The saved role's name, integration and judged policy, once the role is proven this tool's.
async fn saved_role_expected(
    roles: &dyn Roles,
    saved: &SavedSetup,
) -> Result<(String, &'static Integration, Option<(String, Value)>), EngineError> {
    let role = saved.role_name.clone().unwrap_or_default();
    let integration = Catalog::builtin()
        .integration(&saved.integration)
        .ok_or_else(|| EngineError::RoleNotFound { role: role.clone() })?;
    let Some(info) = roles.get_role(&role).await? else {
        return Err(EngineError::RoleNotFound { role });
    };
    engine::prove_role(&info)?;
    Ok((role, integration, judged_policy(saved)?))
}

fn saved_expected<'a>(
    saved: &SavedSetup,
    role: &'a str,
    integration: &'a Integration,
    ids: &'a [String],
    judged: Option<&'a (String, Value)>,
) -> engine::Expected<'a> {
    engine::Expected {
        role,
        integration,
        external_ids: ids,
        rotating: saved.rotating(),
        permission: judged.map(|(name, document)| (name.as_str(), document)),
    }
}

/// Re-attaches to a saved setup's stack and judges its role.
pub async fn reattach_saved(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    saved: &SavedSetup,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<String, EngineError> {
    let stack = saved.stack_name.clone().unwrap_or_default();
    let integration = Catalog::builtin().integration(&saved.integration);
    let ids = saved.all_external_ids();
    let expected = integration.map(|i| (i, ids.as_slice()));
    engine::reattach(stacks, roles, &stack, expected, options, report).await
}

/// After a resume: the record is finished when the role is right, and forgotten when nothing of
/// it exists in AWS any more (the earlier run stopped before making anything).
pub fn settle(
    store: Option<&StateStore>,
    saved: &SavedSetup,
    result: &Result<String, EngineError>,
) {
    let Some(store) = store else { return };
    match result {
        Ok(role_arn) => {
            let _ = store.finish(saved, role_arn);
        }
        Err(EngineError::StackNotFound { .. } | EngineError::RoleNotFound { .. }) => {
            let _ = store.remove(saved);
        }
        Err(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state file is untrusted: the policy a resume attaches is built again from the saved
    /// preset and inputs, so one edited into the file (wider, or another preset's) is refused.
    #[test]
    fn a_resume_attaches_only_the_policy_its_preset_and_inputs_make() {
        let request = crate::model::plan::PlanRequest {
            integration: "destination-function".into(),
            bucket: Some("my-bucket".into()),
            bucket_region: Some("us-east-1".into()),
            role_name: Some("segment-role".into()),
            ..crate::model::plan::PlanRequest::default()
        };
        let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
        let saved = SavedSetup::new(&plan, Method::Iam, "123456789012", None, None);
        let (name, policy) = judged_policy(&saved).expect("judged").expect("a policy");
        assert_eq!(name, "segment-permissions");
        assert_eq!(policy, plan.permission_policy);
        let mut widened = saved.clone();
        widened.permission_policy =
            Some(serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}));
        let refused = judged_policy(&widened).expect_err("refused");
        assert!(
            refused
                .to_string()
                .contains("not the policy its preset and inputs make"),
            "{refused}"
        );
        let mut custom = saved.clone();
        custom.preset = Some("custom".into());
        custom.inputs.clear();
        custom.settings.clear();
        custom.permission_policy = widened.permission_policy.clone();
        let refused = judged_policy(&custom).expect_err("broad");
        assert!(refused.to_string().contains("grants broadly"), "{refused}");
    }

    #[test]
    fn changeable_keeps_saved_first_and_adds_what_aws_has_once() {
        let setup = |name: &str, region: &str, method: Method| SavedSetup {
            integration: "destination-function".into(),
            method,
            stack_name: (method == Method::Cloudformation).then(|| name.to_string()),
            role_name: (method == Method::Iam).then(|| name.to_string()),
            region: Some(region.into()),
            profile: None,
            account: "111122223333".into(),
            external_ids: vec![],
            settings: vec![],
            policy_name: None,
            permission_policy: None,
            finished: true,
            role_arn: None,
            saved_at: 0,
            preset: None,
            lambda_arns: vec![],
            stack_set: None,
            pending_external_ids: vec![],
            rotation_started_at: None,
            retiring_external_ids: vec![],
            inputs: Default::default(),
            role_path: None,
            starter_function: None,
        };
        let mut unfinished = setup("half-made", "us-west-2", Method::Iam);
        unfinished.finished = false;
        let saved = vec![
            setup("here", "us-west-2", Method::Cloudformation),
            setup("elsewhere", "eu-west-1", Method::Cloudformation),
            setup("Role-A", "eu-west-1", Method::Iam),
            unfinished,
        ];
        let found = vec![
            setup("here", "us-west-2", Method::Cloudformation),
            setup("role-a", "us-west-2", Method::Iam),
            setup("half-made", "us-west-2", Method::Iam),
            setup("new-one", "us-west-2", Method::Cloudformation),
        ];
        let listed: Vec<String> = changeable(&saved, &found, "111122223333", "us-west-2")
            .iter()
            .map(Changeable::describe)
            .collect();
        assert_eq!(
            listed,
            [
                "stack here (destination-function, region us-west-2)",
                "role Role-A (destination-function, region eu-west-1)",
                "stack new-one (destination-function, region us-west-2, found in AWS)",
            ]
        );
        assert!(changeable(&saved, &found, "444455556666", "us-west-2").is_empty());
    }
}
