//! The engine against the scripted fakes, for what moto can't show: stacks that take time,
//! rollbacks with reasons, failed rollbacks, a network that drops, and IAM refusing a call
//! half-way. Tokio's clock is paused, so a 20-second stack runs in no time.

use segment_aws_setup::aws::fake::{
    FAKE_ACCOUNT, FakeIdentity, MemoryFunctions, MemoryRoles, Script, ScriptedStacks,
};
use segment_aws_setup::aws::{AwsError, Roles, Stacks};
use segment_aws_setup::engine::{self, Created, EngineError, Progress, Question, WatchOptions};
use segment_aws_setup::model::plan::PlanRequest;
use segment_aws_setup::model::{policy, verify};
use segment_aws_setup::{Catalog, Plan};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;

fn plan(integration: &str) -> Plan {
    let request = if integration == "lambda-destination" {
        PlanRequest {
            integration: integration.into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            lambda_arns: vec!["arn:aws:lambda:us-west-2:123456789012:function:f".into()],
            ..PlanRequest::default()
        }
    } else {
        PlanRequest {
            integration: integration.into(),
            bucket: Some("events-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            ..PlanRequest::default()
        }
    };
    Plan::build(Catalog::builtin(), &request).expect("valid")
}

/// Progress as it arrived, with the (paused) clock's time since the start.
#[derive(Default)]
struct Recorded {
    start: Option<Instant>,
    items: Vec<(Duration, Progress)>,
}

impl Recorded {
    fn new() -> Self {
        Recorded {
            start: Some(Instant::now()),
            items: Vec::new(),
        }
    }

    fn push(&mut self, progress: Progress) {
        let at = self.start.map(|s| s.elapsed()).unwrap_or_default();
        self.items.push((at, progress));
    }

    fn events(&self) -> Vec<(Duration, String, String)> {
        self.items
            .iter()
            .filter_map(|(at, p)| match p {
                Progress::Event { event, .. } => {
                    Some((*at, event.logical_id.clone(), event.status.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

async fn create(
    stacks: &ScriptedStacks,
    roles: &MemoryRoles,
    plan: &Plan,
    options: WatchOptions,
    answer: bool,
    recorded: &mut Recorded,
    questions: &mut Vec<Question>,
) -> Result<Created, EngineError> {
    let mut confirm = |q: &Question| {
        questions.push(q.clone());
        answer
    };
    let mut report = |p: Progress| recorded.push(p);
    engine::create_with_cloudformation(stacks, roles, plan, &options, &mut confirm, &mut report)
        .await
}

#[tokio::test(start_paused = true)]
async fn a_slow_stack_shows_resources_one_by_one_and_completion_within_2_s() {
    let stacks = ScriptedStacks::new(Script::success(20.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("lambda-destination");
    let mut recorded = Recorded::new();
    let created = create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        true,
        &mut recorded,
        &mut Vec::new(),
    )
    .await
    .expect("created");
    assert!(created.role_arn.starts_with(&format!(
        "arn:aws:iam::{FAKE_ACCOUNT}:role/{}-invokeLambdaRole",
        plan.stack_name
    )));
    assert!(!created.reused);

    let events = recorded.events();
    let sequence: Vec<(&str, &str)> = events
        .iter()
        .map(|(_, l, s)| (l.as_str(), s.as_str()))
        .collect();
    let stack = plan.stack_name.as_str();
    assert_eq!(
        sequence,
        [
            (stack, "CREATE_IN_PROGRESS"),
            ("invokeLambdaRole", "CREATE_IN_PROGRESS"),
            ("invokeLambdaRole", "CREATE_IN_PROGRESS"),
            ("invokeLambdaRole", "CREATE_COMPLETE"),
            ("invokeLambdaPolicy", "CREATE_IN_PROGRESS"),
            ("invokeLambdaPolicy", "CREATE_IN_PROGRESS"),
            ("invokeLambdaPolicy", "CREATE_COMPLETE"),
            (stack, "CREATE_COMPLETE"),
        ],
        "each event once, oldest first"
    );
    // They arrive over time, as the stack makes them, not all at the end.
    let role_done = events
        .iter()
        .find(|(_, l, s)| l == "invokeLambdaRole" && s == "CREATE_COMPLETE")
        .expect("seen")
        .0;
    assert!(
        role_done >= Duration::from_secs(12) && role_done <= Duration::from_secs(14),
        "{role_done:?}"
    );
    // Completion (at 20 s) is noticed within 2 s.
    let done = events.last().expect("events").0;
    assert!(
        done >= Duration::from_secs(20) && done < Duration::from_secs(22),
        "noticed at {done:?}"
    );
    // At most 90 calls a minute while watching.
    let per_minute = stacks.calls() as f64 / (done.as_secs_f64() / 60.0);
    assert!(
        per_minute <= 90.0,
        "{} calls in {done:?} = {per_minute:.0} a minute",
        stacks.calls()
    );
}

#[tokio::test(start_paused = true)]
async fn a_rollback_reports_every_reason_first_cause_first() {
    let stacks = ScriptedStacks::new(Script::rollback(10.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("destination-function");
    let mut recorded = Recorded::new();
    let error = create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        true,
        &mut recorded,
        &mut Vec::new(),
    )
    .await
    .expect_err("rolled back");
    let EngineError::StackFailed {
        status, reasons, ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(status, "ROLLBACK_COMPLETE");
    assert_eq!(reasons.len(), 2, "{reasons:#?}");
    assert!(
        reasons[0].starts_with("FunctionPolicy (AWS::IAM::Policy CREATE_FAILED)"),
        "{reasons:#?}"
    );
    assert!(
        reasons[0].contains("Policy document should not specify a principal"),
        "{reasons:#?}"
    );
    assert!(
        reasons[1].contains("The following resource(s) failed to create: [FunctionPolicy]"),
        "{reasons:#?}"
    );
    // The rollback's own events were shown as they came.
    assert!(
        recorded
            .events()
            .iter()
            .any(|(_, l, s)| l == "FunctionRole" && s == "DELETE_COMPLETE")
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_rollback_reports_both_failures() {
    let stacks = ScriptedStacks::new(Script::rollback_failed(10.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("source-function");
    let error = create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        true,
        &mut Recorded::new(),
        &mut Vec::new(),
    )
    .await
    .expect_err("failed");
    let EngineError::StackFailed {
        status, reasons, ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(status, "ROLLBACK_FAILED");
    assert!(reasons[0].contains("iam:PutRolePolicy"), "{reasons:#?}");
    assert!(
        reasons[1].contains("FunctionRole") && reasons[1].contains("iam:DeleteRole"),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("failed to delete: [FunctionRole]")),
        "{reasons:#?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_watch_that_loses_the_network_keeps_polling_and_says_so() {
    let stacks = ScriptedStacks::new(Script::success(20.0));
    stacks.lose_network(Duration::from_secs(4), Duration::from_secs(8));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("destination-function");
    let mut recorded = Recorded::new();
    create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        true,
        &mut recorded,
        &mut Vec::new(),
    )
    .await
    .expect("created despite the outage");
    let reconnecting: Vec<Duration> = recorded
        .items
        .iter()
        .filter(|(_, p)| matches!(p, Progress::Reconnecting { .. }))
        .map(|(at, _)| *at)
        .collect();
    let reconnected: Vec<Duration> = recorded
        .items
        .iter()
        .filter(|(_, p)| matches!(p, Progress::Reconnected))
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(reconnecting.len(), 1, "said once, not at every failed poll");
    assert_eq!(reconnected.len(), 1);
    assert!(reconnecting[0] >= Duration::from_secs(4) && reconnected[0] >= Duration::from_secs(12));
    let mut ids: Vec<String> = recorded
        .items
        .iter()
        .filter_map(|(_, p)| {
            if let Progress::Event { event, .. } = p {
                Some(event.id.clone())
            } else {
                None
            }
        })
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no event shown twice");
    assert_eq!(total, 8, "no event lost");
}

#[tokio::test(start_paused = true)]
async fn a_watch_stops_at_its_deadline_and_leaves_the_stack_running() {
    let stacks = ScriptedStacks::new(Script::success(120.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("destination-function");
    let options = WatchOptions {
        timeout: Duration::from_secs(30),
        ..WatchOptions::default()
    };
    let started = Instant::now();
    let error = create(
        &stacks,
        &roles,
        &plan,
        options,
        true,
        &mut Recorded::new(),
        &mut Vec::new(),
    )
    .await
    .expect_err("timed out");
    assert!(
        matches!(&error, EngineError::TimedOut { status, .. } if status == "CREATE_IN_PROGRESS"),
        "{error:?}"
    );
    assert!(started.elapsed() <= Duration::from_secs(31));
    let info = stacks
        .describe_stack(&plan.stack_name)
        .await
        .expect("describe")
        .expect("still there");
    assert_eq!(info.status, "CREATE_IN_PROGRESS");
}

#[tokio::test(start_paused = true)]
async fn a_stack_in_progress_is_attached_to_not_created_again() {
    let stacks = ScriptedStacks::new(Script::success(20.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("destination-function");
    stacks
        .create_stack(&engine::stack_request(&plan))
        .await
        .expect("created by an earlier run");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut recorded = Recorded::new();
    create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        true,
        &mut recorded,
        &mut Vec::new(),
    )
    .await
    .expect("attached and finished");
    assert!(
        recorded.items.iter().any(
            |(_, p)| matches!(p, Progress::Note(n) if n.contains("already CREATE_IN_PROGRESS"))
        )
    );
    // Events from before the attach are shown too, once.
    assert_eq!(recorded.events().len(), 8);
}

#[tokio::test(start_paused = true)]
async fn a_rolled_back_stack_is_deleted_after_asking_and_created_again() {
    let stacks = ScriptedStacks::new(Script::rollback(10.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("destination-function");
    create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        true,
        &mut Recorded::new(),
        &mut Vec::new(),
    )
    .await
    .expect_err("first run rolls back");

    // Saying no changes nothing.
    stacks.set_script(Script::success(10.0));
    let mut questions = Vec::new();
    let error = create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        false,
        &mut Recorded::new(),
        &mut questions,
    )
    .await
    .expect_err("declined");
    assert!(matches!(error, EngineError::Declined(_)), "{error:?}");
    assert_eq!(
        questions,
        [Question::DeleteRolledBackStack {
            stack: plan.stack_name.clone()
        }]
    );
    let info = stacks
        .describe_stack(&plan.stack_name)
        .await
        .expect("describe")
        .expect("kept");
    assert_eq!(info.status, "ROLLBACK_COMPLETE");

    // Saying yes deletes it, waits until it is gone, and creates it again.
    let mut recorded = Recorded::new();
    let created = create(
        &stacks,
        &roles,
        &plan,
        WatchOptions::default(),
        true,
        &mut recorded,
        &mut Vec::new(),
    )
    .await
    .expect("created the second time");
    assert!(created.role_arn.contains("FunctionRole"));
    let notes: Vec<&str> = recorded
        .items
        .iter()
        .filter_map(|(_, p)| {
            if let Progress::Note(n) = p {
                Some(n.as_str())
            } else {
                None
            }
        })
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("Deleting the rolled-back stack")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("Creating stack") && n.ends_with("again")),
        "{notes:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn delete_stack_watches_until_it_is_gone() {
    let stacks = ScriptedStacks::new(Script::success(5.0));
    let plan = plan("destination-function");
    stacks
        .create_stack(&engine::stack_request(&plan))
        .await
        .expect("created");
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut recorded = Recorded::new();
    engine::delete_stack(
        &stacks,
        &plan.stack_name,
        &WatchOptions::default(),
        &mut |p| recorded.push(p),
    )
    .await
    .expect("deleted");
    assert!(
        stacks
            .describe_stack(&plan.stack_name)
            .await
            .expect("describe")
            .is_none()
    );
    let missing = engine::delete_stack(
        &stacks,
        "no-such-stack",
        &WatchOptions::default(),
        &mut |_| {},
    )
    .await;
    assert!(matches!(missing, Err(EngineError::StackNotFound { .. })));
}

#[tokio::test]
async fn a_refused_put_role_policy_leaves_no_half_made_role() {
    let roles = MemoryRoles::default();
    roles.refuse("iam:PutRolePolicy");
    let plan = plan("destination-function");
    let mut notes = Vec::new();
    let error = engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &plan,
        "/",
        false,
        &mut |p| notes.push(p),
    )
    .await
    .expect_err("refused");
    assert!(
        matches!(&error, EngineError::Aws(AwsError::AccessDenied { action, .. }) if action == "iam:PutRolePolicy"),
        "{error:?}"
    );
    assert!(
        roles.role_names().is_empty(),
        "the half-made role was deleted"
    );
    assert!(
        notes
            .iter()
            .any(|p| matches!(p, Progress::Note(n) if n.contains("so nothing is left half made")))
    );
}

#[tokio::test]
async fn a_clean_up_that_fails_says_so() {
    let roles = MemoryRoles::default();
    roles.refuse("iam:PutRolePolicy");
    roles.refuse("iam:DeleteRole");
    let plan = plan("source-function");
    let error = engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &plan,
        "/",
        false,
        &mut |_| {},
    )
    .await
    .expect_err("refused");
    let EngineError::CleanupFailed { role, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(role, &plan.role_name);
    assert!(error.to_string().contains("deleting the half-made role"));
}

#[tokio::test]
async fn an_existing_role_is_not_touched_whatever_its_case() {
    let roles = MemoryRoles::default();
    let plan = plan("lambda-destination");
    engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &plan,
        "/",
        false,
        &mut |_| {},
    )
    .await
    .expect("created");
    let mut shouting = plan.clone();
    shouting.role_name = plan.role_name.to_uppercase();
    let error = engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &shouting,
        "/",
        false,
        &mut |_| {},
    )
    .await
    .expect_err("exists");
    assert!(matches!(error, EngineError::RoleExists { .. }), "{error:?}");
    assert_eq!(roles.role_names(), std::slice::from_ref(&plan.role_name));
}

#[tokio::test]
async fn verify_flags_a_confused_deputy_and_repair_keeps_other_statements() {
    let roles = MemoryRoles::default();
    let plan = plan("destination-function");
    let risky = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": {"AWS": plan.principal}, "Action": "sts:AssumeRole"}
    ]});
    let request = segment_aws_setup::aws::RoleCreate {
        name: "handmade".into(),
        path: "/".into(),
        description: String::new(),
        trust_policy: risky.to_string(),
        tags: vec![],
    };
    roles.create_role(&request).await.expect("created");
    let permission = Some((plan.policy_name.as_str(), &plan.permission_policy));
    let integration = Catalog::builtin()
        .integration(&plan.integration_id)
        .expect("known");
    let verification = engine::verify_role(
        &roles,
        "handmade",
        integration,
        &plan.external_ids,
        false,
        permission,
    )
    .await
    .expect("read");
    assert!(!verification.is_right());
    assert!(verification.judgement.confused_deputy_risk());
    assert_eq!(
        verification.permissions.preset,
        verify::PresetState::Missing
    );

    let fix = verification.fix(permission, &[]).expect("a proven fix");
    engine::apply_fix(&roles, "handmade", &fix, &mut |_| {})
        .await
        .expect("repaired");
    let after = engine::verify_role(
        &roles,
        &format!("arn:aws:iam::{FAKE_ACCOUNT}:role/handmade"),
        integration,
        &plan.external_ids,
        false,
        permission,
    )
    .await
    .expect("read");
    assert!(after.is_right(), "{:?}", after.lines());
    let trust = roles
        .get_role("handmade")
        .await
        .expect("get")
        .expect("role")
        .trust_policy;
    assert_eq!(
        trust["Statement"][0], risky["Statement"][0],
        "the service statement is kept"
    );
    assert_eq!(
        trust["Statement"][1],
        policy::trust_policy(&plan.principal, &plan.external_ids)["Statement"][0]
    );
}

#[tokio::test]
async fn delete_role_removes_only_roles_this_tool_made() {
    let stacks = ScriptedStacks::new(Script::success(1.0));
    let roles = MemoryRoles::default();
    let plan = plan("destination-function");
    engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &plan,
        "/",
        false,
        &mut |_| {},
    )
    .await
    .expect("created");
    let handmade = segment_aws_setup::aws::RoleCreate {
        name: "handmade".into(),
        path: "/".into(),
        description: String::new(),
        trust_policy: "{}".into(),
        tags: vec![],
    };
    roles.create_role(&handmade).await.expect("created");
    let refused = engine::delete_role(
        &stacks,
        &roles,
        &MemoryFunctions::default(),
        "handmade",
        &mut |_| {},
    )
    .await;
    assert!(
        matches!(refused, Err(EngineError::NotOurs { .. })),
        "{refused:?}"
    );
    engine::delete_role(
        &stacks,
        &roles,
        &MemoryFunctions::default(),
        &plan.role_name,
        &mut |_| {},
    )
    .await
    .expect("deleted");
    assert_eq!(roles.role_names(), ["handmade"]);
}

#[tokio::test]
async fn delete_role_finds_what_is_in_the_way_first_and_changes_nothing() {
    let stacks = ScriptedStacks::new(Script::success(1.0));
    let roles = MemoryRoles::default();
    let plan = plan("destination-function");
    engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &plan,
        "/",
        false,
        &mut |_| {},
    )
    .await
    .expect("created");
    roles.attach(
        &plan.role_name,
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        json!({"Version": "2012-10-17", "Statement": []}),
    );
    roles.add_to_instance_profile(&plan.role_name, "ec2-profile");
    roles.set_boundary(&plan.role_name, "arn:aws:iam::000000000000:policy/boundary");
    let refused = engine::delete_role(
        &stacks,
        &roles,
        &MemoryFunctions::default(),
        &plan.role_name,
        &mut |_| {},
    )
    .await
    .expect_err("in use");
    let text = refused.to_string();
    for named in [
        "managed policy ReadOnlyAccess",
        "instance profile ec2-profile",
        "permissions boundary arn:aws:iam::000000000000:policy/boundary",
        "nothing was removed",
    ] {
        assert!(text.contains(named), "{named}: {text}");
    }
    let (_, inline) = roles.snapshot(&plan.role_name).expect("still there");
    assert_eq!(inline.len(), 1, "its inline policy is still there too");
}

#[tokio::test(start_paused = true)]
async fn a_stacks_role_is_never_deleted_directly_and_a_foreign_rolled_back_stack_is_left() {
    let stacks = ScriptedStacks::new(Script::success(2.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("destination-function");
    let created = engine::create_with_cloudformation(
        &stacks,
        &roles,
        &plan,
        &WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
    let refused = engine::delete_role(
        &stacks,
        &roles,
        &MemoryFunctions::default(),
        &created.role_arn,
        &mut |_| {},
    )
    .await
    .expect_err("the stack's");
    assert!(
        matches!(&refused, EngineError::StackOwned { stack, .. } if *stack == plan.stack_name),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("delete --stack-name"),
        "{refused}"
    );

    // A stack of that name that rolled back but isn't ours: not deleted, even when asked yes.
    let foreign = ScriptedStacks::new(Script::rollback(2.0));
    let mut request = engine::stack_request(&plan);
    request.tags.clear();
    foreign.create_stack(&request).await.expect("theirs");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let error = engine::create_with_cloudformation(
        &foreign,
        &roles,
        &plan,
        &WatchOptions::default(),
        &mut |_| true,
        &mut |_| {},
    )
    .await
    .expect_err("not ours");
    assert!(matches!(error, EngineError::NotOurs { .. }), "{error:?}");
    assert_eq!(
        foreign
            .describe_stack(&plan.stack_name)
            .await
            .expect("describe")
            .map(|i| i.status),
        Some("ROLLBACK_COMPLETE".to_string())
    );
}

#[tokio::test]
async fn the_fake_identity_is_plainly_fake() {
    let caller = engine::identity(&FakeIdentity).await.expect("caller");
    assert_eq!(caller.account, "000000000000");
}

#[tokio::test(start_paused = true)]
async fn a_stack_of_that_name_made_by_someone_else_is_judged_when_it_completes() {
    let stacks = ScriptedStacks::new(Script::success(20.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let plan = plan("destination-function");
    // Someone else's stack of the same name: its role trusts everyone.
    let mut theirs = engine::stack_request(&plan);
    let mut template: serde_json::Value =
        serde_json::from_str(&theirs.template_body).expect("JSON");
    let role = segment_aws_setup::model::template::role_logical_id(&template)
        .expect("a role")
        .to_string();
    template["Resources"][&role]["Properties"]["AssumeRolePolicyDocument"] = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]
    });
    theirs.template_body = template.to_string();
    stacks.create_stack(&theirs).await.expect("theirs");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let error = engine::create_with_cloudformation(
        &stacks,
        &roles,
        &plan,
        &WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect_err("not ours to trust");
    let EngineError::RoleWrong { problems, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        problems
            .iter()
            .any(|p| p.contains("any other AWS account: must be denied, is allowed")),
        "{problems:?}"
    );
    assert!(error.to_string().starts_with("role "), "{error}");
}

#[tokio::test(start_paused = true)]
async fn an_update_is_previewed_as_a_change_set_then_watched_to_update_complete() {
    let stacks = ScriptedStacks::new(Script::success(4.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let first = plan("lambda-destination");
    engine::create_with_cloudformation(
        &stacks,
        &roles,
        &first,
        &WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
    // The same setup for another function, same workspace ID and stack.
    let request = PlanRequest {
        integration: "lambda-destination".into(),
        workspace_ids: first.external_ids.clone(),
        lambda_arns: vec!["arn:aws:lambda:us-west-2:000000000000:function:other".into()],
        stack_name: Some(first.stack_name.clone()),
        ..PlanRequest::default()
    };
    let changed = Plan::build(Catalog::builtin(), &request).expect("valid");
    let preview = engine::prepare_update(
        &stacks,
        &roles,
        &changed,
        segment_aws_setup::engine::saving::Method::Cloudformation,
        &WatchOptions::default(),
    )
    .await
    .expect("previewed");
    let engine::UpdatePreview::Stack { changes, .. } = &preview else {
        panic!("{preview:?}");
    };
    assert_eq!(
        changes,
        &["Modify invokeLambdaPolicy (AWS::IAM::Policy), not replaced"]
    );
    let mut recorded = Recorded::new();
    let created = engine::apply_update(
        &stacks,
        &roles,
        &changed,
        &preview,
        &WatchOptions::default(),
        &mut |p| recorded.push(p),
    )
    .await
    .expect("updated");
    let statuses: Vec<String> = recorded
        .events()
        .iter()
        .map(|(_, id, status)| format!("{id} {status}"))
        .collect();
    assert!(
        statuses.iter().all(|s| !s.contains("CREATE_")),
        "only the update's events: {statuses:?}"
    );
    assert!(
        statuses.iter().any(|s| s.ends_with("UPDATE_COMPLETE")),
        "{statuses:?}"
    );
    let (_, inline) = roles
        .snapshot(segment_aws_setup::engine::role_name_of(&created.role_arn))
        .expect("the role");
    assert_eq!(
        inline["segment-permissions"]["Statement"][0]["Resource"],
        json!(["arn:aws:lambda:us-west-2:000000000000:function:other"]),
        "the role now invokes the other function"
    );
    // The same again: nothing to change, said so, and no change set left behind.
    let again = engine::prepare_update(
        &stacks,
        &roles,
        &changed,
        segment_aws_setup::engine::saving::Method::Cloudformation,
        &WatchOptions::default(),
    )
    .await
    .expect("previewed");
    assert!(
        matches!(again, engine::UpdatePreview::Nothing { .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn an_update_through_iam_shows_the_documents_diff_and_writes_only_what_changed() {
    let roles = MemoryRoles::default();
    let stacks = ScriptedStacks::new(Script::success(1.0));
    let first = plan("destination-function");
    engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &first,
        "/",
        false,
        &mut |_| {},
    )
    .await
    .expect("created");
    let request = PlanRequest {
        integration: "destination-function".into(),
        external_ids: first.external_ids.clone(),
        bucket: Some("another-bucket".into()),
        bucket_region: Some("us-east-1".into()),
        role_name: Some(first.role_name.clone()),
        ..PlanRequest::default()
    };
    let changed = Plan::build(Catalog::builtin(), &request).expect("valid");
    let preview = engine::prepare_update(
        &stacks,
        &roles,
        &changed,
        segment_aws_setup::engine::saving::Method::Iam,
        &WatchOptions::default(),
    )
    .await
    .expect("previewed");
    let engine::UpdatePreview::Role {
        trust,
        permission,
        diff,
        ..
    } = &preview
    else {
        panic!("{preview:?}");
    };
    assert!(trust.is_none(), "the trust policy stays");
    assert!(permission.is_some());
    assert!(
        diff.iter()
            .any(|l| l.starts_with('+') && l.contains("another-bucket")),
        "{diff:?}"
    );
    assert!(
        !diff.iter().any(|l| l.contains(first.external_id())),
        "no external ID in the diff"
    );
    engine::apply_update(
        &stacks,
        &roles,
        &changed,
        &preview,
        &WatchOptions::default(),
        &mut |_| {},
    )
    .await
    .expect("updated");
    let (_, inline) = roles.snapshot(&first.role_name).expect("role");
    assert_eq!(
        inline["segment-permissions"]["Statement"][0]["Resource"],
        "arn:aws:s3:::another-bucket/*"
    );
    // A role that isn't ours is never updated.
    roles.insert("handmade", json!({}), vec![]);
    let mut theirs = request.clone();
    theirs.role_name = Some("handmade".into());
    let theirs = Plan::build(Catalog::builtin(), &theirs).expect("valid");
    let refused = engine::prepare_update(
        &stacks,
        &roles,
        &theirs,
        segment_aws_setup::engine::saving::Method::Iam,
        &WatchOptions::default(),
    )
    .await;
    assert!(
        matches!(refused, Err(EngineError::NotOurs { .. })),
        "{refused:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn setups_made_elsewhere_are_found_with_the_ids_their_roles_require() {
    let stacks = ScriptedStacks::new(Script::success(2.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    stacks.script_when_named("rolled", Script::rollback(2.0));
    let create = |plan: Plan| {
        let (stacks, roles) = (&stacks, &roles);
        async move {
            engine::create_with_cloudformation(
                stacks,
                roles,
                &plan,
                &WatchOptions::default(),
                &mut |_| false,
                &mut |_| {},
            )
            .await
        }
    };
    let destination = plan("destination-function");
    create(destination.clone()).await.expect("created");
    let lambda = Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            integration: "lambda-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            source_ids: vec!["qwerty1234".into()],
            lambda_arns: vec![
                "arn:aws:lambda:us-west-2:123456789012:function:a".into(),
                "arn:aws:lambda:eu-west-1:123456789012:function:b".into(),
            ],
            ..PlanRequest::default()
        },
    )
    .expect("valid");
    create(lambda.clone()).await.expect("created");
    // Not found: a stack that rolled back, and a complete stack without this tool's tag.
    let mut rolled = plan("source-function");
    rolled.stack_name = "segment-rolled-back".into();
    create(rolled).await.expect_err("rolled back");
    let mut foreign = plan("source-function");
    foreign.stack_name = "someone-elses".into();
    let mut request = engine::stack_request(&foreign);
    request.tags.clear();
    stacks.create_stack(&request).await.expect("theirs");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        stacks
            .describe_stack("someone-elses")
            .await
            .expect("describe")
            .is_some_and(|s| s.status == "CREATE_COMPLETE")
    );
    // Found: a role made through IAM. Not found: one that trusts Segment without the tag.
    let mut direct = plan("source-function");
    direct.role_name = "segment-source-direct".into();
    engine::create_with_iam(
        &roles,
        &MemoryFunctions::default(),
        &direct,
        "/",
        false,
        &mut |_| {},
    )
    .await
    .expect("created");
    roles.insert(
        "by-hand",
        policy::trust_policy("arn:aws:iam::300240842537:root", &direct.external_ids),
        vec![],
    );
    // Not found: a stack's role whose stack CloudFormation doesn't show here (another region),
    // tagged as the template tags it, without the direct-IAM tag.
    roles.insert(
        "old-stack-FunctionRole-1JA5DI73RY06",
        policy::trust_policy("arn:aws:iam::300240842537:root", &direct.external_ids),
        vec![
            ("created-by".into(), "segment-aws-setup".into()),
            ("segment-integration".into(), "source-function".into()),
        ],
    );

    let place = engine::Place {
        account: FAKE_ACCOUNT,
        region: Some("us-east-1"),
        profile: Some("work"),
    };
    let found = engine::find_setups(&stacks, &roles, place)
        .await
        .expect("listed");
    let names: Vec<String> = found.iter().map(|s| s.what()).collect();
    assert_eq!(
        names.len(),
        3,
        "two stacks and one role, nothing else: {names:?}"
    );
    let by = |what: &str| {
        found
            .iter()
            .find(|s| s.what() == what)
            .unwrap_or_else(|| panic!("{what} in {names:?}"))
    };
    let found_destination = by(&format!("stack {}", destination.stack_name));
    assert_eq!(found_destination.integration, "destination-function");
    assert_eq!(found_destination.external_ids, destination.external_ids);
    assert_eq!(found_destination.preset.as_deref(), Some("s3-put-object"));
    assert!(
        found_destination
            .settings
            .iter()
            .any(|s| s.key == "s3Bucket" && s.value.as_deref() == Some("events-bucket")),
        "{found_destination:?}"
    );
    assert_eq!(found_destination.profile.as_deref(), Some("work"));
    assert!(found_destination.finished);
    let found_lambda = by(&format!("stack {}", lambda.stack_name));
    assert_eq!(found_lambda.external_ids, ["wXZ2sd8N3mJ", "qwerty1234"]);
    assert_eq!(
        found_lambda.lambda_arns,
        [
            "arn:aws:lambda:us-west-2:123456789012:function:a",
            "arn:aws:lambda:eu-west-1:123456789012:function:b"
        ]
    );
    let found_role = by("role segment-source-direct");
    assert_eq!(
        found_role.method,
        segment_aws_setup::engine::saving::Method::Iam
    );
    assert_eq!(found_role.integration, "source-function");
    assert_eq!(found_role.external_ids, direct.external_ids);
}

#[tokio::test]
async fn a_role_named_as_a_stacks_is_not_deleted_directly_unless_made_through_iam() {
    let stacks = ScriptedStacks::new(Script::success(2.0));
    let roles = MemoryRoles::default();
    let trust = policy::trust_policy("arn:aws:iam::458175278816:root", &["x".repeat(40)]);
    let ours = ("created-by".to_string(), "segment-aws-setup".to_string());
    // Made by a stack in another region: this region's CloudFormation doesn't know it.
    roles.insert(
        "events-eu-FunctionRole-1JA5DI73RY06",
        trust.clone(),
        vec![ours.clone()],
    );
    let refused = engine::delete_role(
        &stacks,
        &roles,
        &MemoryFunctions::default(),
        "events-eu-FunctionRole-1JA5DI73RY06",
        &mut |_| {},
    )
    .await
    .expect_err("a stack's");
    assert!(
        matches!(&refused, EngineError::StackOwned { stack, .. } if stack == "events-eu"),
        "{refused:?}"
    );
    // The same shape of name, made through IAM (it says so): deleted.
    roles.insert(
        "my-FunctionRole-name",
        trust,
        vec![ours, ("created-with".into(), "iam".into())],
    );
    engine::delete_role(
        &stacks,
        &roles,
        &MemoryFunctions::default(),
        "my-FunctionRole-name",
        &mut |_| {},
    )
    .await
    .expect("deleted");
    assert_eq!(roles.role_names(), ["events-eu-FunctionRole-1JA5DI73RY06"]);
}

/// Stacks whose change sets also name a resource this tool never makes (as when a stack drifted
/// or CloudFormation plans to replace something of someone else's): everything else as the fake.
struct Drifted(ScriptedStacks);

#[async_trait::async_trait]
impl Stacks for Drifted {
    async fn create_stack(
        &self,
        request: &segment_aws_setup::aws::StackCreate,
    ) -> Result<String, AwsError> {
        self.0.create_stack(request).await
    }
    async fn describe_stack(
        &self,
        name: &str,
    ) -> Result<Option<segment_aws_setup::aws::StackInfo>, AwsError> {
        self.0.describe_stack(name).await
    }
    async fn stack_events(
        &self,
        name: &str,
        next_token: Option<String>,
    ) -> Result<segment_aws_setup::aws::EventPage, AwsError> {
        self.0.stack_events(name, next_token).await
    }
    async fn delete_stack(&self, name: &str) -> Result<(), AwsError> {
        self.0.delete_stack(name).await
    }
    async fn create_change_set(
        &self,
        request: &segment_aws_setup::aws::StackCreate,
        change_set: &str,
    ) -> Result<(), AwsError> {
        self.0.create_change_set(request, change_set).await
    }
    async fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<segment_aws_setup::aws::ChangeSetInfo, AwsError> {
        let mut info = self.0.describe_change_set(stack, change_set).await?;
        info.changes.push(segment_aws_setup::aws::ResourceChange {
            action: "Remove".into(),
            logical_id: "EventsQueue".into(),
            resource_type: "AWS::SQS::Queue".into(),
            replacement: None,
        });
        Ok(info)
    }
    async fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        self.0.execute_change_set(stack, change_set).await
    }
    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        self.0.delete_change_set(stack, change_set).await
    }
    async fn list_stacks(&self) -> Result<Vec<segment_aws_setup::aws::StackInfo>, AwsError> {
        self.0.list_stacks().await
    }
    async fn stack_owning(&self, physical_id: &str) -> Result<Option<String>, AwsError> {
        self.0.stack_owning(physical_id).await
    }
    async fn stack_template(&self, name: &str) -> Result<serde_json::Value, AwsError> {
        self.0.stack_template(name).await
    }
    async fn stack_resources(
        &self,
        name: &str,
    ) -> Result<Vec<segment_aws_setup::aws::StackResource>, AwsError> {
        self.0.stack_resources(name).await
    }
    async fn change_sets(&self, stack: &str) -> Result<Vec<String>, AwsError> {
        self.0.change_sets(stack).await
    }
}

/// A change set that would remove (or replace, or add) a resource of a type this tool never makes
/// is refused and deleted, even on a stack that is provably ours; and a tagged stack holding
/// someone else's resources is neither deleted nor updated.
#[tokio::test(start_paused = true)]
async fn a_change_set_touching_what_we_never_make_is_refused_and_deleted() {
    let stacks = Drifted(ScriptedStacks::new(Script::success(2.0)));
    let roles = MemoryRoles::default();
    stacks.0.make_roles_in(roles.clone());
    let first = plan("destination-function");
    engine::create_with_cloudformation(
        &stacks,
        &roles,
        &first,
        &WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
    let mut request = PlanRequest {
        integration: "destination-function".into(),
        external_ids: first.external_ids.clone(),
        bucket: Some("another-bucket".into()),
        bucket_region: Some("us-east-1".into()),
        stack_name: Some(first.stack_name.clone()),
        ..PlanRequest::default()
    };
    let changed = Plan::build(Catalog::builtin(), &request).expect("valid");
    let refused = engine::prepare_update(
        &stacks,
        &roles,
        &changed,
        segment_aws_setup::engine::saving::Method::Cloudformation,
        &WatchOptions::default(),
    )
    .await
    .expect_err("refused");
    assert!(
        matches!(&refused, EngineError::ForeignChange { changes, .. }
            if changes == &["Remove EventsQueue (AWS::SQS::Queue)"]),
        "{refused:?}"
    );
    assert!(
        stacks
            .change_sets(&first.stack_name)
            .await
            .expect("listed")
            .is_empty(),
        "its change set was deleted"
    );

    // A tagged stack of someone else's: neither updated nor deleted.
    let plain = ScriptedStacks::new(Script::success(2.0));
    let theirs = segment_aws_setup::aws::StackCreate {
        name: "team-infra".into(),
        template_body: json!({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}).to_string(),
        parameters: vec![],
        tags: vec![("created-by".into(), "segment-aws-setup".into())],
    };
    plain.create_stack(&theirs).await.expect("theirs");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let refused = engine::delete_stack(&plain, "team-infra", &WatchOptions::default(), &mut |_| {})
        .await
        .expect_err("refused");
    assert!(
        refused.to_string().contains("Queue (AWS::SQS::Queue)"),
        "{refused}"
    );
    request.stack_name = Some("team-infra".into());
    let changed = Plan::build(Catalog::builtin(), &request).expect("valid");
    let refused = engine::prepare_update(
        &plain,
        &roles,
        &changed,
        segment_aws_setup::engine::saving::Method::Cloudformation,
        &WatchOptions::default(),
    )
    .await;
    assert!(
        matches!(refused, Err(EngineError::NotOurs { .. })),
        "{refused:?}"
    );
    assert_eq!(plain.changes(), 1, "only its own create changed anything");
}

/// The verify-then-repair every face runs: without a repair asked for nothing is asked; a no to
/// the repair changes nothing; a yes applies it and answers with the role as read after it.
#[tokio::test]
async fn verify_and_repair_asks_before_it_changes_and_reads_the_role_again() {
    let roles = MemoryRoles::default();
    let plan = plan("destination-function");
    let open = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": plan.principal}, "Action": "sts:AssumeRole"}
    ]});
    let request = segment_aws_setup::aws::RoleCreate {
        name: "handmade".into(),
        path: "/".into(),
        description: String::new(),
        trust_policy: open.to_string(),
        tags: vec![],
    };
    roles.create_role(&request).await.expect("created");
    let integration = Catalog::builtin()
        .integration(&plan.integration_id)
        .expect("known");
    let expected = engine::Expected {
        role: "handmade",
        integration,
        external_ids: &plan.external_ids,
        rotating: false,
        permission: Some((plan.policy_name.as_str(), &plan.permission_policy)),
    };
    let run = |repair: bool, answer: bool| {
        let (roles, expected) = (&roles, &expected);
        async move {
            let mut questions = Vec::new();
            let mut notes = Vec::new();
            let checked = engine::verify_and_repair(
                roles,
                expected,
                repair,
                FAKE_ACCOUNT,
                &mut |question| {
                    questions.push(question.clone());
                    answer
                },
                &mut |progress| {
                    if let Progress::Note(note) = progress {
                        notes.push(note);
                    }
                },
            )
            .await
            .expect("read");
            (checked, questions, notes)
        }
    };
    let trust_now = || async {
        roles
            .get_role("handmade")
            .await
            .expect("get")
            .expect("role")
            .trust_policy
    };

    let (checked, questions, notes) = run(false, true).await;
    assert_eq!(checked.ending, engine::RepairEnding::AsFound);
    assert!(!checked.verification.is_right());
    assert!(
        questions.is_empty() && notes.is_empty(),
        "{questions:?} {notes:?}"
    );

    let (checked, questions, notes) = run(true, false).await;
    assert_eq!(checked.ending, engine::RepairEnding::Declined);
    assert_eq!(
        questions,
        [Question::ApplyRepair {
            role: "handmade".into(),
            account: FAKE_ACCOUNT.into()
        }]
    );
    assert!(
        notes.iter().any(|n| n.starts_with("The repair, proven")),
        "the fix is shown before the question: {notes:?}"
    );
    assert_eq!(trust_now().await, open, "a no changes nothing");

    let (checked, _, notes) = run(true, true).await;
    assert!(
        matches!(checked.ending, engine::RepairEnding::Repaired { .. }),
        "{:?}",
        checked.ending
    );
    assert!(
        checked.verification.is_right(),
        "read again after the repair"
    );
    assert!(notes.iter().any(|n| n.contains("checking the role again")));
    assert_eq!(
        trust_now().await,
        policy::trust_policy(&plan.principal, &plan.external_ids)
    );
}

/// The Lambda destination with a starter function, on the IAM path.
fn starter_plan() -> Plan {
    Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            integration: "lambda-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            starter_function: true,
            region: Some("us-east-1".into()),
            account: Some(segment_aws_setup::aws::fake::FAKE_ACCOUNT.into()),
            stack_name: Some("segment-lambda-destination-iam001".into()),
            ..PlanRequest::default()
        },
    )
    .expect("valid")
}

#[tokio::test(start_paused = true)]
async fn the_iam_path_makes_the_starter_function_waiting_for_its_new_role() {
    let roles = MemoryRoles::default();
    let functions = MemoryFunctions::default();
    // Lambda doesn't see a new role at once: twice "can't be assumed", then it is made.
    functions.role_not_ready_for(2);
    let plan = starter_plan();
    let starter = plan.starter.clone().expect("a starter");
    let created = engine::create_with_iam(&roles, &functions, &plan, "/", false, &mut |_| {})
        .await
        .expect("created");
    assert_eq!(
        functions.create_calls(),
        3,
        "asked again until the role is seen"
    );
    let made = functions.get(&starter.name).expect("the function");
    assert_eq!(made.handler, "index.handler");
    let execution = roles
        .get_role(&starter.role_name())
        .await
        .expect("read")
        .expect("its role");
    assert_eq!(made.role_arn, execution.arn);
    assert_eq!(
        roles
            .get_role_policy(&starter.role_name(), "starter-function-logs")
            .await
            .expect("its policy"),
        starter.execution_policy()
    );
    let segment_role = roles
        .get_role(&plan.role_name)
        .await
        .expect("read")
        .expect("the Segment role");
    assert!(
        segment_role
            .tags
            .contains(&("segment-starter-function".into(), starter.name.clone())),
        "the role names its starter function: {:?}",
        segment_role.tags
    );

    // Deleting the setup takes the function and its role with it.
    let stacks = ScriptedStacks::new(Script::success(1.0));
    let preview = engine::preview_delete_role(&stacks, &roles, &functions, &created.role_arn)
        .await
        .expect("a preview");
    assert!(
        preview.iter().any(|p| p.contains(&starter.name)),
        "{preview:?}"
    );
    engine::delete_role(&stacks, &roles, &functions, &created.role_arn, &mut |_| {})
        .await
        .expect("deleted");
    assert!(functions.names().is_empty());
    assert!(roles.role_names().is_empty(), "{:?}", roles.role_names());
}

#[tokio::test(start_paused = true)]
async fn a_starter_function_that_fails_half_way_leaves_nothing() {
    let roles = MemoryRoles::default();
    let functions = MemoryFunctions::default();
    functions.refuse_create();
    let plan = starter_plan();
    let mut notes = Vec::new();
    let error = engine::create_with_iam(&roles, &functions, &plan, "/", false, &mut |p| {
        notes.push(p)
    })
    .await
    .expect_err("refused");
    assert!(
        matches!(&error, EngineError::Aws(AwsError::AccessDenied { action, .. }) if action == "lambda:CreateFunction"),
        "{error:?}"
    );
    assert!(
        roles.role_names().is_empty(),
        "neither the execution role nor the Segment role is left: {:?}",
        roles.role_names()
    );
    assert!(functions.names().is_empty());
    assert!(
        notes.iter().any(
            |p| matches!(p, Progress::Note(n) if n.contains("removing") && n.contains("starter"))
        ),
        "{notes:?}"
    );

    // Lambda never seeing the role: asked a bounded number of times, then the same clean-up.
    let functions = MemoryFunctions::default();
    functions.role_not_ready_for(100);
    engine::create_with_iam(&roles, &functions, &plan, "/", false, &mut |_| {})
        .await
        .expect_err("given up");
    assert!(
        functions.create_calls() <= 7,
        "{}",
        functions.create_calls()
    );
    assert!(roles.role_names().is_empty());
}

/// Killed after the execution role was made (as AWS sees a kill: every later call fails), then
/// run again resuming: the run finishes what is missing and reuses what the first one made.
#[tokio::test(start_paused = true)]
async fn a_run_killed_half_way_through_the_starter_function_is_finished_when_resumed() {
    let roles = MemoryRoles::default();
    let functions = MemoryFunctions::default();
    let plan = starter_plan();
    let starter = plan.starter.clone().expect("a starter");
    // CreateRole, PutRolePolicy, the execution role's CreateRole: then the process is gone.
    roles.die_after(Some(3));
    engine::create_with_iam(&roles, &functions, &plan, "/", false, &mut |_| {})
        .await
        .expect_err("killed");
    roles.die_after(None);
    assert!(
        roles.role_names().contains(&starter.role_name()),
        "the kill left the execution role: {:?}",
        roles.role_names()
    );
    assert!(functions.names().is_empty());
    engine::create_with_iam(&roles, &functions, &plan, "/", true, &mut |_| {})
        .await
        .expect("finished");
    assert_eq!(functions.names(), vec![starter.name.clone()]);
    assert_eq!(
        roles
            .get_role_policy(&starter.role_name(), "starter-function-logs")
            .await
            .expect("its policy"),
        starter.execution_policy()
    );
    assert_eq!(roles.role_names().len(), 2, "{:?}", roles.role_names());
}

/// A role of ours whose tag names someone else's function (an attacker's tag, or a name taken):
/// deleting the role leaves that function and a role of that name alone.
#[tokio::test]
async fn delete_leaves_a_function_it_did_not_make_whatever_the_tag_says() {
    use segment_aws_setup::aws::{FunctionCreate, Functions};
    let roles = MemoryRoles::default();
    let functions = MemoryFunctions::default();
    let plan = plan("lambda-destination");
    let created = engine::create_with_iam(&roles, &functions, &plan, "/", false, &mut |_| {})
        .await
        .expect("created");
    // Someone else's function and role, and the tag pointing at them.
    functions
        .create_function(&FunctionCreate {
            name: "payments".into(),
            description: String::new(),
            runtime: "python3.13".into(),
            handler: "index.handler".into(),
            role_arn: "arn:aws:iam::000000000000:role/payments-role".into(),
            code_zip: Vec::new(),
            timeout_seconds: 3,
            memory_mb: 128,
            environment: Vec::new(),
            tags: Vec::new(),
        })
        .await
        .expect("theirs");
    roles.insert(
        "payments-role",
        segment_aws_setup::model::starter::Starter::trust_policy(),
        Vec::new(),
    );
    let mut tagged = roles
        .get_role(&plan.role_name)
        .await
        .expect("read")
        .expect("ours");
    tagged
        .tags
        .push(("segment-starter-function".into(), "payments".into()));
    roles.insert(&plan.role_name, tagged.trust_policy.clone(), tagged.tags);
    let stacks = ScriptedStacks::new(Script::success(1.0));
    engine::delete_role(&stacks, &roles, &functions, &created.role_arn, &mut |_| {})
        .await
        .expect("our role deleted");
    assert_eq!(functions.names(), vec!["payments".to_string()]);
    assert_eq!(roles.role_names(), vec!["payments-role".to_string()]);
}
