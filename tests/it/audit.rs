//! `audit` and many accounts at once: the roles Segment can assume found and judged without the
//! customer's ID (on the fakes, and through the binary on moto across accounts), and
//! `verify_accounts` bounded to its concurrency on tokio's paused clock.

use segment_aws_setup::aws::fake::{FAKE_ACCOUNT, FakeMembers, MemoryRoles};
use segment_aws_setup::engine::audit;
use segment_aws_setup::engine::stack_sets::{self, AcrossAccounts};
use segment_aws_setup::model::aws_types::LastUsed;
use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::plan::{Plan, PlanRequest};
use serde_json::{Value, json};
use std::time::Duration;

const NOW: i64 = 1_795_000_000;
const LAMBDA: &str = "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access";
const STRONG: &str = "Sx8K4He7wLBN84eQ2BJZB0EN1v5s8HlPnF0poPw3";

fn trusting(principal: Value, condition: Option<Value>) -> Value {
    let mut statement =
        json!({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"});
    if let Some(condition) = condition {
        statement["Condition"] = condition;
    }
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// The Lambda destination's plan every member account's role is made from.
fn lambda_plan() -> Plan {
    Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            integration: "lambda-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            lambda_arns: vec![crate::support::LAMBDA_A.into()],
            role_name: Some("segment-lambda".into()),
            ..PlanRequest::default()
        },
    )
    .expect("plan")
}

fn function_principal() -> String {
    Catalog::builtin()
        .integration("destination-function")
        .expect("known")
        .principal
        .clone()
}

#[tokio::test]
async fn the_roles_segment_can_assume_are_found_and_judged_and_the_rest_left_out() {
    let home = MemoryRoles::default();
    home.insert(
        "segment-lambda",
        trusting(
            json!({"AWS": LAMBDA}),
            Some(json!({"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}})),
        ),
        Vec::new(),
    );
    home.set_last_used(
        "segment-lambda",
        LastUsed {
            date: "2026-11-30T10:00:00Z".into(),
            epoch: NOW - 86_400,
            region: Some("us-west-2".into()),
        },
    );
    home.insert(
        "old-function-role",
        trusting(json!({"AWS": function_principal()}), None),
        Vec::new(),
    );
    home.attach(
        "old-function-role",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    );
    home.insert(
        "ec2-role",
        trusting(json!({"Service": "ec2.amazonaws.com"}), None),
        Vec::new(),
    );
    let members = FakeMembers::default();
    members.account("111111111111").insert(
        "segment-fn",
        trusting(
            json!({"AWS": function_principal()}),
            Some(json!({"StringEquals": {"sts:ExternalId": "segment"}})),
        ),
        Vec::new(),
    );
    members.account("222222222222").insert(
        "anyone",
        trusting(json!({"AWS": "*"}), None),
        Vec::new(),
    );
    members.account("444444444444").insert(
        "fine",
        trusting(
            json!({"AWS": function_principal()}),
            Some(json!({"StringEquals": {"sts:ExternalId": STRONG}})),
        ),
        Vec::new(),
    );
    members.close("333333333333");
    let accounts: Vec<String> = [
        FAKE_ACCOUNT,
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
    ]
    .map(String::from)
    .to_vec();
    let audits = audit::audit_accounts(
        &members,
        Some((FAKE_ACCOUNT, &home)),
        &accounts,
        "OrganizationAccountAccessRole",
        3,
        NOW,
        &|_| {},
    )
    .await;
    let order: Vec<&str> = audits.iter().map(|a| a.account.as_str()).collect();
    assert_eq!(order, accounts, "in the order given");
    let home_audit = &audits[0];
    assert_eq!(home_audit.looked_at, 3);
    let names: Vec<&str> = home_audit.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["old-function-role", "segment-lambda"],
        "the EC2 role isn't Segment's"
    );
    let old = &home_audit.roles[0];
    assert!(
        old.problems.iter().any(|p| p.contains("no external ID")),
        "{:?}",
        old.problems
    );
    assert!(
        old.problems
            .iter()
            .any(|p| p.contains("broad permission in AdministratorAccess")),
        "{:?}",
        old.problems
    );
    assert!(old.notes.iter().any(|n| n.contains("no record")));
    let lambda = &home_audit.roles[1];
    assert!(lambda.is_ok(), "{:?}", lambda.problems);
    assert_eq!(lambda.integrations, ["lambda-destination"]);
    assert_eq!(lambda.last_used_text(), "2026-11-30 in us-west-2");
    assert!(
        audits[1].roles[0]
            .problems
            .iter()
            .any(|p| p.contains("guessable")),
        "{:?}",
        audits[1].roles
    );
    assert!(
        audits[2].roles[0]
            .problems
            .iter()
            .any(|p| p.contains("anyone")),
        "{:?}",
        audits[2].roles
    );
    // Principal "*" lets every integration's principal in: all are named.
    assert_eq!(
        audits[2].roles[0].integrations.len(),
        Catalog::builtin().integrations().len()
    );
    assert!(
        audits[3]
            .failed
            .as_deref()
            .is_some_and(|f| f.contains("can't enter it")),
        "{:?}",
        audits[3]
    );
    assert!(audits[4].is_ok(), "{:?}", audits[4]);
}

/// 40 accounts, every call 100 ms on the paused clock, 8 at once: as long as five rounds of
/// eight, not forty in a row and not all at once.
#[tokio::test(start_paused = true)]
async fn accounts_are_verified_concurrently_within_the_bound() {
    let plan = lambda_plan();
    let members = FakeMembers::default();
    let accounts: Vec<String> = (0..40)
        .map(|i| format!("{:012}", 300_000_000_000u64 + i))
        .collect();
    for account in &accounts {
        let roles = members.account(account);
        roles.insert("segment-lambda", plan.trust_policy.clone(), Vec::new());
        roles.put_inline(
            "segment-lambda",
            &plan.policy_name,
            plan.permission_policy.clone(),
        );
    }
    members.delay_calls(Duration::from_millis(100));
    let policy = Some((plan.policy_name.clone(), plan.permission_policy.clone()));
    let permission = |_: &str| policy.clone();
    let integration = Catalog::builtin()
        .integration("lambda-destination")
        .expect("known");
    let across = |at_once| AcrossAccounts {
        through: "OrganizationAccountAccessRole",
        role_name: "segment-lambda",
        integration,
        external_ids: &plan.external_ids,
        rotating: false,
        permission_for: &permission,
        at_once,
    };
    let timed = |at_once| {
        let members = &members;
        let accounts = &accounts;
        let across = across(at_once);
        async move {
            let started = tokio::time::Instant::now();
            let checks =
                stack_sets::verify_accounts(members, None, accounts, &across, &|_| {}).await;
            assert!(
                checks.iter().all(|c| c.is_right()),
                "{:?}",
                checks[0].reason()
            );
            started.elapsed()
        }
    };
    let one_at_a_time = timed(1).await;
    let eight = timed(8).await;
    assert!(
        one_at_a_time >= Duration::from_millis(40 * 300),
        "{one_at_a_time:?}"
    );
    // Five rounds of eight accounts, each as long as one account alone.
    let one_account = one_at_a_time / 40;
    assert!(
        eight >= one_account * 5 && eight < one_account * 5 + Duration::from_millis(50),
        "{eight:?} against {one_account:?}"
    );
}

/// Through the binary on moto, two fresh accounts entered through their access role: the role
/// trusting a function's principal with no external ID is NOT OK (exit 4) with its repair
/// command, the right one OK, the EC2 role absent; JSON and CSV say the same.
#[test]
fn the_binary_audits_accounts_on_moto() {
    use crate::support::{binary, stderr, stdout, temp_dir};
    let base = std::process::id() % 100_000;
    let (first, second) = (
        format!("6{base:05}{:06}", 901),
        format!("6{base:05}{:06}", 902),
    );
    let make = |account: &str, name: &str, trust: Value| {
        let proxy = crate::faults::account_proxy(Some(account));
        let config = proxy.config();
        crate::faults::block_on(async {
            segment_aws_setup::aws::sdk::Sdk::new(&config)
                .create_role(&segment_aws_setup::aws::RoleCreate {
                    name: name.into(),
                    path: "/".into(),
                    description: "made by the audit test".into(),
                    trust_policy: trust.to_string(),
                    tags: Vec::new(),
                })
                .await
                .expect("made");
        });
    };
    use segment_aws_setup::aws::Roles;
    make(
        &first,
        "open-function-role",
        trusting(json!({"AWS": function_principal()}), None),
    );
    make(
        &first,
        "ec2-role",
        trusting(json!({"Service": "ec2.amazonaws.com"}), None),
    );
    make(
        &second,
        "segment-lambda",
        trusting(
            json!({"AWS": LAMBDA}),
            Some(json!({"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}})),
        ),
    );
    let state = temp_dir("audit-state");
    let env = vec![
        ("AWS_ENDPOINT_URL", crate::moto::moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
    ];
    let accounts = format!("{first},{second}");
    let json_run = binary(
        &["audit", "--accounts", &accounts, "--output", "json"],
        &env,
    );
    assert_eq!(json_run.status.code(), Some(4), "{}", stderr(&json_run));
    let report: Value = serde_json::from_str(&stdout(&json_run)).expect("JSON");
    crate::support::assert_camel_case_keys(&report);
    let roles = report["roles"].as_array().expect("roles");
    let names: Vec<&str> = roles.iter().filter_map(|r| r["role"].as_str()).collect();
    assert_eq!(names, ["open-function-role", "segment-lambda"], "{report}");
    assert_eq!(roles[0]["verdict"], "NOT OK");
    assert_eq!(roles[0]["account"], first.as_str());
    assert!(
        roles[0]["repair"].as_str().is_some_and(|r| r
            .contains("verify --integration destination-function")
            && r.ends_with("--fix")),
        "{report}"
    );
    assert_eq!(roles[1]["verdict"], "OK");
    assert_eq!(report["accounts"][0]["rolesLookedAt"], 2);
    let csv_run = binary(&["audit", "--accounts", &accounts, "--output", "csv"], &env);
    let csv = stdout(&csv_run);
    assert!(
        csv.starts_with("account,role,arn,integrations,verdict,"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let text_run = binary(&["audit", "--accounts", &accounts], &env);
    let text = stdout(&text_run);
    assert!(
        text.contains("2 role(s) Segment can assume, of 3 looked at; 1 NOT OK"),
        "{text}"
    );
    assert!(
        !stderr(&text_run).contains('\u{1b}'),
        "no progress bar when stderr is not a terminal"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// verify --org-units: the accounts under the units and their children, once each; a suspended
/// one is a row of its own, not entered; an unknown unit is AWS's refusal.
#[tokio::test]
async fn the_accounts_of_organizational_units_are_found_and_a_suspended_one_is_a_row() {
    let members = FakeMembers::default();
    members.org_unit(
        "ou-ab12-prod0001",
        &[("111111111111", "ACTIVE")],
        &["ou-ab12-euro0001"],
    );
    members.org_unit(
        "ou-ab12-euro0001",
        &[("222222222222", "ACTIVE"), ("333333333333", "SUSPENDED")],
        &[],
    );
    let (active, skipped) = stack_sets::accounts_of_units(
        &members,
        &[
            "ou-ab12-prod0001".to_string(),
            "ou-ab12-euro0001".to_string(),
        ],
        "segment-lambda",
    )
    .await
    .expect("listed");
    assert_eq!(active, ["111111111111", "222222222222"]);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].account, "333333333333");
    assert_eq!(skipped[0].word(), "NOT CHECKED");
    assert!(
        skipped[0].reason().contains("SUSPENDED"),
        "{}",
        skipped[0].reason()
    );
    let unknown =
        stack_sets::accounts_of_units(&members, &["ou-ab12-gone0001".to_string()], "r").await;
    assert!(unknown.is_err());
}

/// An SCP that denies IAM reads in one account, and a role missing in another: each a row, and
/// the accounts after them are still verified.
#[tokio::test]
async fn a_denied_read_and_a_missing_role_are_rows_and_the_rest_carries_on() {
    let plan = lambda_plan();
    let members = FakeMembers::default();
    let accounts: Vec<String> = ["510000000001", "510000000002", "510000000003"]
        .map(String::from)
        .to_vec();
    for account in [&accounts[0], &accounts[2]] {
        let roles = members.account(account);
        roles.insert("segment-lambda", plan.trust_policy.clone(), Vec::new());
        roles.put_inline(
            "segment-lambda",
            &plan.policy_name,
            plan.permission_policy.clone(),
        );
    }
    // The SCP: IAM refuses the read in the first account.
    members.account(&accounts[0]).refuse("iam:GetRole");
    let policy = Some((plan.policy_name.clone(), plan.permission_policy.clone()));
    let permission = |_: &str| policy.clone();
    let across = AcrossAccounts {
        through: "OrganizationAccountAccessRole",
        role_name: "segment-lambda",
        integration: Catalog::builtin()
            .integration("lambda-destination")
            .expect("known"),
        external_ids: &plan.external_ids,
        rotating: false,
        permission_for: &permission,
        at_once: 3,
    };
    let checks = stack_sets::verify_accounts(&members, None, &accounts, &across, &|_| {}).await;
    let words: Vec<&str> = checks.iter().map(|c| c.word()).collect();
    assert_eq!(words, ["NOT CHECKED", "NO ROLE", "OK"]);
    assert!(
        checks[0].reason().contains("GetRole"),
        "{}",
        checks[0].reason()
    );
}
