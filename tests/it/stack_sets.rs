//! Many accounts through a StackSet: the engine on the scripted fake (instances one by one, an
//! account that fails and its retry, units, the administration role checked first, the watch's
//! calls a minute, delete), and on moto (self-managed, three accounts, each account's role read
//! back with moto's per-account header).

use segment_aws_setup::aws::fake::{FAKE_ACCOUNT, FakeMembers, MemoryRoles, ScriptedStackSets};
use segment_aws_setup::aws::{Roles, StackSets};
use segment_aws_setup::engine::stack_sets::{self, StackSetRequest};
use segment_aws_setup::engine::{EngineError, Progress, WatchOptions};
use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::plan::{Plan, PlanRequest};
use segment_aws_setup::model::stackset::{self, Preferences, Targets};
use std::sync::atomic::Ordering;
use std::time::Duration;

const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];

fn plan(role_name: &str) -> Plan {
    let request = PlanRequest {
        integration: "lambda-destination".into(),
        workspace_ids: vec!["wXZ2sd8N3mJ".into()],
        lambda_arns: vec!["arn:aws:lambda:us-east-1:111111111111:function:events".into()],
        role_name: Some(role_name.into()),
        ..PlanRequest::default()
    };
    Plan::build(Catalog::builtin(), &request).expect("a plan")
}

fn request(name: &str, targets: Targets) -> StackSetRequest {
    StackSetRequest {
        name: name.into(),
        targets,
        regions: vec!["us-east-1".into()],
        preferences: Preferences::default(),
    }
}

fn accounts() -> Targets {
    Targets::Accounts(ACCOUNTS.iter().map(|a| a.to_string()).collect())
}

/// The fake account with AWS's administration role in it.
fn administered() -> MemoryRoles {
    let roles = MemoryRoles::default();
    roles.insert(
        stackset::ADMINISTRATION_ROLE,
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]}),
        Vec::new(),
    );
    roles
}

fn options() -> WatchOptions {
    WatchOptions {
        interval: Duration::from_millis(1500),
        timeout: Duration::from_secs(600),
    }
}

/// Three accounts, one failing once with its reason: every instance is reported as it changes,
/// the failure with its reason; `retry` runs only that one again and it succeeds.
#[tokio::test(start_paused = true)]
async fn three_accounts_one_failure_and_its_retry() {
    let sets = ScriptedStackSets::new(Duration::from_secs(20), Duration::from_secs(2));
    sets.fail(
        "222222222222",
        "Account 222222222222 should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'.",
        false,
    );
    let roles = administered();
    let plan = plan("segment-lambda");
    let mut lines = Vec::new();
    let rows = stack_sets::create(
        &sets,
        &roles,
        &plan,
        &request("segment-lambda-set", accounts()),
        true,
        &options(),
        &mut |p| {
            if let Progress::Instance { row, .. } = p {
                lines.push(row.line());
            }
        },
    )
    .await
    .expect("watched to the end");
    let statuses: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.account.clone(), r.status.clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("111111111111".to_string(), "SUCCEEDED".to_string()),
            ("222222222222".to_string(), "FAILED".to_string()),
            ("333333333333".to_string(), "SUCCEEDED".to_string()),
        ]
    );
    assert!(
        rows[1]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("AWSCloudFormationStackSetExecutionRole")),
        "{rows:?}"
    );
    for account in ACCOUNTS {
        let seen: Vec<&String> = lines.iter().filter(|l| l.contains(account)).collect();
        assert!(
            seen.first()
                .is_some_and(|l| l.contains("PENDING") || l.contains("RUNNING")),
            "{account} was seen before it ended: {lines:?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.starts_with(
            "account 222222222222 us-east-1 FAILED: Account 222222222222 should have"
        )),
        "{lines:?}"
    );
    let csv = stackset::csv(&rows, &plan.role_name);
    assert!(csv.contains(
        "111111111111,us-east-1,SUCCEEDED,arn:aws:iam::111111111111:role/segment-lambda,"
    ));
    assert!(csv.contains("222222222222,us-east-1,FAILED,,"));

    let mut retried = Vec::new();
    let rows = stack_sets::retry(
        &sets,
        "segment-lambda-set",
        &[],
        Preferences::default(),
        &options(),
        &mut |p| {
            if let Progress::Note(note) = p {
                retried.push(note);
            }
        },
    )
    .await
    .expect("retried");
    assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
    assert!(
        retried
            .iter()
            .any(|n| n == "Retrying 1 failed instance(s): 222222222222 us-east-1"),
        "{retried:?}"
    );
}

/// The watch's cadence: ListStackInstances every 1.5 s and DescribeStackSetOperation every
/// fourth poll, about 50 calls a minute, as for one stack.
#[tokio::test(start_paused = true)]
async fn the_watch_keeps_to_its_calls_a_minute() {
    let sets = ScriptedStackSets::new(Duration::from_secs(120), Duration::ZERO);
    let roles = administered();
    let start = tokio::time::Instant::now();
    stack_sets::create(
        &sets,
        &roles,
        &plan("segment-lambda"),
        &request("calls", accounts()),
        true,
        &options(),
        &mut |_| {},
    )
    .await
    .expect("watched");
    let minutes = start.elapsed().as_secs_f64() / 60.0;
    let per_minute = sets.calls.load(Ordering::SeqCst) as f64 / minutes;
    assert!(
        (45.0..=55.0).contains(&per_minute),
        "{per_minute:.1} calls a minute"
    );
}

/// 500 accounts: ListStackInstances is five pages a poll, and the watch waits five intervals
/// between polls, so the calls a minute are what 20 accounts cost, within the budget of 90.
#[tokio::test(start_paused = true)]
async fn the_watch_of_500_accounts_keeps_to_the_same_budget() {
    let sets = ScriptedStackSets::new(Duration::from_secs(120), Duration::ZERO);
    let roles = administered();
    let many: Vec<String> = (0..500)
        .map(|i| format!("{:012}", 400_000_000_000u64 + i))
        .collect();
    let start = tokio::time::Instant::now();
    let rows = stack_sets::create(
        &sets,
        &roles,
        &plan("segment-lambda"),
        &request("many", Targets::Accounts(many)),
        true,
        &options(),
        &mut |_| {},
    )
    .await
    .expect("watched");
    assert_eq!(rows.len(), 500);
    let minutes = start.elapsed().as_secs_f64() / 60.0;
    let per_minute = sets.calls.load(Ordering::SeqCst) as f64 / minutes;
    assert!(
        (30.0..=90.0).contains(&per_minute),
        "{per_minute:.1} calls a minute"
    );
}

/// Self-managed without AWS's administration role: refused before anything is made, with how to
/// make the roles.
#[tokio::test(start_paused = true)]
async fn the_administration_role_is_checked_first() {
    let sets = ScriptedStackSets::new(Duration::from_secs(5), Duration::ZERO);
    let error = stack_sets::create(
        &sets,
        &MemoryRoles::default(),
        &plan("segment-lambda"),
        &request("no-admin", accounts()),
        true,
        &options(),
        &mut |_| {},
    )
    .await
    .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("AWSCloudFormationStackSetAdministrationRole is missing")
            && error.to_string().contains("stacksets-prereqs-self-managed"),
        "{error}"
    );
    assert!(
        sets.describe_stack_set("no-admin")
            .await
            .expect("asked")
            .is_none()
    );
    assert_eq!(
        sets.calls.load(Ordering::SeqCst),
        1,
        "nothing made: only the check above asked"
    );
}

/// Organizational units: every account in them, service-managed, no administration role needed.
#[tokio::test(start_paused = true)]
async fn org_units_reach_their_accounts() {
    let sets = ScriptedStackSets::new(Duration::from_secs(10), Duration::from_secs(1));
    sets.org_unit("ou-ab12-cd345678", &ACCOUNTS[..2]);
    sets.org_unit("ou-ab12-ef901234", &ACCOUNTS[2..]);
    let targets = Targets::OrgUnits {
        ids: vec!["ou-ab12-cd345678".into(), "ou-ab12-ef901234".into()],
        auto_deploy: true,
    };
    let rows = stack_sets::create(
        &sets,
        &MemoryRoles::default(),
        &plan("segment-lambda"),
        &request("by-units", targets),
        true,
        &options(),
        &mut |_| {},
    )
    .await
    .expect("watched");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.succeeded()));
    let set = sets
        .describe_stack_set("by-units")
        .await
        .expect("asked")
        .expect("made");
    assert_eq!(set.permission_model, "SERVICE_MANAGED");
}

/// Delete: instances first, watched, then the stack set; a stack set this tool didn't make is
/// refused.
#[tokio::test(start_paused = true)]
async fn delete_removes_the_instances_then_the_stack_set() {
    let sets = ScriptedStackSets::new(Duration::from_secs(10), Duration::ZERO);
    let roles = administered();
    stack_sets::create(
        &sets,
        &roles,
        &plan("segment-lambda"),
        &request("to-delete", accounts()),
        true,
        &options(),
        &mut |_| {},
    )
    .await
    .expect("made");
    let mut notes = Vec::new();
    stack_sets::delete(&sets, "to-delete", &[], &options(), &mut |p| {
        if let Progress::Note(n) = p {
            notes.push(n);
        }
    })
    .await
    .expect("deleted");
    assert_eq!(
        notes,
        [
            "Deleting 3 instance(s) of stack set to-delete",
            "Stack set operation SUCCEEDED",
            "Deleting stack set to-delete"
        ]
    );
    assert!(
        sets.describe_stack_set("to-delete")
            .await
            .expect("asked")
            .is_none()
    );

    sets.create_stack_set(&segment_aws_setup::aws::StackSetCreate {
        name: "someone-elses".into(),
        description: String::new(),
        template_body: "{}".into(),
        parameters: Vec::new(),
        tags: Vec::new(),
        permission_model: "SELF_MANAGED".into(),
        auto_deploy: false,
    })
    .await
    .expect("made");
    let refused = stack_sets::delete(&sets, "someone-elses", &[], &options(), &mut |_| {})
        .await
        .expect_err("not ours");
    assert!(matches!(refused, EngineError::NotOurs { .. }), "{refused}");
}

/// On moto: a self-managed stack set over three accounts makes the named role in each (read back
/// in each account through moto's per-account header), with the plan's trust policy; delete
/// takes them all away.
#[test]
fn moto_makes_the_role_in_every_account_and_deletes_it() {
    let name = crate::support::unique("set");
    let role_name = format!("{name}-role");
    let plan = plan(&role_name);
    let targets: Vec<String> = (0..3)
        .map(|i| format!("9{:05}{:06}", std::process::id() % 100_000, 500 + i))
        .collect();
    let caller = crate::faults::account_proxy(None);
    let config = caller.config();
    let sdk = segment_aws_setup::aws::sdk::Sdk::new(&config);
    crate::support::make_stack_set_administration_role(&config);
    crate::faults::block_on(async {
        let request = request(&name, Targets::Accounts(targets.clone()));
        let rows = stack_sets::create(&sdk, &sdk, &plan, &request, true, &options(), &mut |_| {})
            .await
            .expect("made");
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
    });
    for account in &targets {
        let proxy = crate::faults::account_proxy(Some(account));
        let config = proxy.config();
        let role = crate::faults::block_on(async {
            let sdk = segment_aws_setup::aws::sdk::Sdk::new(&config);
            sdk.get_role(&role_name).await.expect("asked")
        })
        .unwrap_or_else(|| panic!("no role {role_name} in {account}"));
        assert_eq!(role.arn, stackset::role_arn(account, &role_name));
        assert_eq!(role.trust_policy, plan.trust_policy, "{account}");
    }
    crate::faults::block_on(async {
        stack_sets::delete(&sdk, &name, &[], &options(), &mut |_| {})
            .await
            .expect("deleted");
        assert!(
            sdk.describe_stack_set(&name)
                .await
                .expect("asked")
                .is_none()
        );
    });
    for account in &targets {
        let proxy = crate::faults::account_proxy(Some(account));
        let config = proxy.config();
        let role = crate::faults::block_on(async {
            let sdk = segment_aws_setup::aws::sdk::Sdk::new(&config);
            sdk.get_role(&role_name).await.expect("asked")
        });
        assert!(role.is_none(), "{account} still has {role_name}");
    }
}

/// Service-managed permissions on moto: a management account of its own with an organization,
/// a unit holding two accounts and one account left at the root. The StackSet on the unit makes
/// the role in the unit's two accounts only (read back in each with moto's per-account header).
#[test]
fn moto_deploys_to_the_accounts_of_an_organizational_unit() {
    let management = format!("4{:05}{:06}", std::process::id() % 100_000, 600);
    let proxy = crate::faults::account_proxy(Some(&management));
    let config = proxy.config();
    let name = crate::support::unique("ou-set");
    let role_name = format!("{name}-role");
    let plan = plan(&role_name);
    let sdk = segment_aws_setup::aws::sdk::Sdk::new(&config);
    let (unit, members, sandbox) = crate::faults::block_on(async {
        let (org, root) = crate::support::make_organization(&config).await;
        let unit = org
            .create_organizational_unit()
            .parent_id(&root)
            .name("Production")
            .send()
            .await
            .expect("unit")
            .organizational_unit()
            .and_then(|u| u.id().map(str::to_string))
            .expect("unit ID");
        let mut made = Vec::new();
        for account_name in ["prod-eu", "prod-us", "sandbox"] {
            let status = org
                .create_account()
                .email(format!("{account_name}@example.com"))
                .account_name(account_name)
                .send()
                .await
                .expect("account");
            made.push(
                status
                    .create_account_status()
                    .and_then(|s| s.account_id().map(str::to_string))
                    .expect("account ID"),
            );
        }
        for account in &made[..2] {
            org.move_account()
                .account_id(account)
                .source_parent_id(&root)
                .destination_parent_id(&unit)
                .send()
                .await
                .expect("moved");
        }
        // What verify --org-units covers: the unit's accounts, and from the root every one.
        {
            use segment_aws_setup::aws::Members;
            let mut under_unit: Vec<String> = sdk
                .accounts_under(std::slice::from_ref(&unit))
                .await
                .expect("listed")
                .into_iter()
                .map(|(account, _)| account)
                .collect();
            under_unit.sort();
            let mut expected = made[..2].to_vec();
            expected.sort();
            assert_eq!(under_unit, expected);
            let under_root = sdk
                .accounts_under(std::slice::from_ref(&root))
                .await
                .expect("listed");
            assert!(
                made.iter()
                    .all(|m| under_root.iter().any(|(a, s)| a == m && s == "ACTIVE")),
                "{under_root:?}"
            );
        }
        let request = StackSetRequest {
            name: name.clone(),
            targets: Targets::OrgUnits {
                ids: vec![unit.clone()],
                auto_deploy: true,
            },
            regions: vec!["us-east-1".into()],
            preferences: Preferences::default(),
        };
        let rows = stack_sets::create(&sdk, &sdk, &plan, &request, true, &options(), &mut |_| {})
            .await
            .expect("made");
        let mut accounts: Vec<String> = rows.iter().map(|r| r.account.clone()).collect();
        accounts.sort();
        let mut members = made[..2].to_vec();
        members.sort();
        assert_eq!(accounts, members, "{rows:?}");
        assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
        (unit, members, made[2].clone())
    });
    let role_in = |account: &str| {
        let proxy = crate::faults::account_proxy(Some(account));
        let config = proxy.config();
        crate::faults::block_on(async {
            segment_aws_setup::aws::sdk::Sdk::new(&config)
                .get_role(&role_name)
                .await
                .expect("asked")
        })
    };
    for account in &members {
        let role = role_in(account).unwrap_or_else(|| panic!("no role in {account}"));
        assert_eq!(role.trust_policy, plan.trust_policy, "{account}");
    }
    assert!(role_in(&sandbox).is_none(), "the account outside the unit");
    // moto's DeleteStackInstances ignores DeploymentTargets (its docs say so), so deleting by
    // unit can't be shown here: the engine says the instances are left and keeps the stack set,
    // which is what it must say when AWS leaves instances behind.
    let left = crate::faults::block_on(stack_sets::delete(
        &sdk,
        &name,
        &[unit],
        &options(),
        &mut |_| {},
    ));
    assert!(
        matches!(&left, Err(segment_aws_setup::engine::EngineError::Declined(why)) if why.contains("are left")),
        "{left:?}"
    );
}

fn moto_env(state: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", crate::moto::moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
    ]
}

/// Through the binary on moto: `create --accounts ... --output csv` (the setup saved first, a row
/// per account with its role ARN), `watch --stack-set` as JSON, then `delete --stack-set`.
#[test]
fn the_binary_makes_watches_and_deletes_a_stack_set_on_moto() {
    use crate::support::{binary, stderr, stdout, temp_dir, unique};
    let state = temp_dir("stack-set-state");
    let env = moto_env(&state);
    let name = unique("cli-set");
    let role = format!("{name}-role");
    let accounts: Vec<String> = (0..3)
        .map(|i| format!("8{:05}{:06}", std::process::id() % 100_000, 700 + i))
        .collect();
    // AWS's administration role in the caller's (moto's default) account.
    let config = crate::faults::block_on(crate::moto::moto().sdk_config());
    crate::support::make_stack_set_administration_role(&config);
    let output = binary(
        &[
            "create",
            "--integration",
            "lambda-destination",
            "--workspace-id",
            "wXZ2sd8N3mJ",
            "--lambda-arn",
            "arn:aws:lambda:us-west-2:123456789012:function:events",
            "--role-name",
            &role,
            "--stack-set-name",
            &name,
            "--accounts",
            &accounts.join(","),
            "--yes",
            "--output",
            "csv",
        ],
        &env,
    );
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let csv = stdout(&output);
    assert!(
        csv.starts_with("account,region,status,role_arn,reason\n"),
        "{csv}"
    );
    for account in &accounts {
        assert!(
            csv.contains(&format!(
                "{account},us-east-1,SUCCEEDED,arn:aws:iam::{account}:role/{role},"
            )),
            "{csv}"
        );
    }
    let log = stderr(&output);
    assert!(log.contains("Saved the setup to"), "{log}");
    assert!(
        log.find("Saved the setup to") < log.find(&format!("Creating stack set {name}")),
        "saved before the first change:\n{log}"
    );
    assert!(
        log.contains(&format!("account {} us-east-1 SUCCEEDED", accounts[0])),
        "{log}"
    );

    let watched = binary(&["watch", "--stack-set", &name, "--output", "json"], &env);
    assert!(watched.status.success(), "{}", stderr(&watched));
    let json: serde_json::Value = serde_json::from_str(&stdout(&watched)).expect("JSON");
    assert_eq!(
        json["instances"].as_array().map(Vec::len),
        Some(3),
        "{json}"
    );
    crate::support::assert_camel_case_keys(&json);

    // verify across the stack set's accounts: each entered with sts:AssumeRole (moto switches
    // to the role's account), the workspace ID found in the setup saved by create.
    let verified = binary(
        &[
            "verify",
            "--integration",
            "lambda-destination",
            "--role",
            &role,
            "--stack-set",
            &name,
            "--output",
            "csv",
        ],
        &env,
    );
    let csv = stdout(&verified);
    assert!(verified.status.success(), "{csv}\n{}", stderr(&verified));
    assert!(
        stderr(&verified).contains(&format!(
            "Using the external ID saved by the setup of stack set {name}"
        )),
        "{}",
        stderr(&verified)
    );
    assert!(csv.starts_with("account,role_arn,result,reason\n"), "{csv}");
    for account in &accounts {
        assert!(
            csv.contains(&format!(
                "{account},arn:aws:iam::{account}:role/{role},OK,\n"
            )),
            "{csv}"
        );
    }
    // An account without the role, and one whose role trusts Segment with no workspace ID.
    let bare = format!("7{:05}{:06}", std::process::id() % 100_000, 710);
    let open = format!("7{:05}{:06}", std::process::id() % 100_000, 711);
    let proxy = crate::faults::account_proxy(Some(&open));
    let config = proxy.config();
    crate::faults::block_on(async {
        segment_aws_setup::aws::sdk::Sdk::new(&config)
            .create_role(&segment_aws_setup::aws::RoleCreate {
                name: role.clone(),
                path: "/".into(),
                description: "trusts Segment with no external ID".into(),
                trust_policy: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access"},"Action":"sts:AssumeRole"}]}"#.into(),
                tags: Vec::new(),
            })
            .await
            .expect("made");
    });
    let mixed = binary(
        &[
            "verify",
            "--integration",
            "lambda-destination",
            "--role",
            &role,
            "--accounts",
            &format!("{},{bare},{open}", accounts[0]),
            "--workspace-id",
            "wXZ2sd8N3mJ",
        ],
        &env,
    );
    let table = stdout(&mixed);
    assert_eq!(mixed.status.code(), Some(4), "{table}\n{}", stderr(&mixed));
    assert!(table.contains(&format!("{}  OK\n", accounts[0])), "{table}");
    assert!(
        table.contains(&format!(
            "{bare}  NO ROLE\n    no role {role} in this account\n"
        )),
        "{table}"
    );
    assert!(table.contains(&format!("{open}  NOT OK\n")), "{table}");
    assert!(
        table.contains(&format!("Account {open}: arn:aws:iam::{open}:role/{role}")),
        "{table}"
    );
    assert!(table.contains("confused-deputy"), "{table}");
    assert!(
        stderr(&mixed).contains("in 2 of 3 account(s)"),
        "{}",
        stderr(&mixed)
    );

    let deleted = binary(&["delete", "--stack-set", &name, "--yes"], &env);
    assert!(
        deleted.status.success(),
        "{}\n{}",
        stdout(&deleted),
        stderr(&deleted)
    );
    for account in &accounts {
        let proxy = crate::faults::account_proxy(Some(account));
        let config = proxy.config();
        let left = crate::faults::block_on(async {
            segment_aws_setup::aws::sdk::Sdk::new(&config)
                .get_role(&role)
                .await
                .expect("asked")
        });
        assert!(left.is_none(), "{account} still has {role}");
    }
    let _ = std::fs::remove_dir_all(&state);
}

/// verify across accounts: the account of the credentials with its own IAM, the others entered
/// through their access role; a right role, a role that lets Segment in without the workspace
/// ID, an account that can't be entered and one without the role each get their row and reason.
#[tokio::test]
async fn verify_across_accounts_gives_each_account_its_row() {
    let plan = plan("segment-lambda");
    let right = |roles: &MemoryRoles| {
        roles.insert("segment-lambda", plan.trust_policy.clone(), Vec::new());
        roles.put_inline(
            "segment-lambda",
            &plan.policy_name,
            plan.permission_policy.clone(),
        );
    };
    let home = MemoryRoles::default();
    right(&home);
    let members = FakeMembers::default();
    right(&members.account(ACCOUNTS[0]));
    members.account(ACCOUNTS[1]).insert(
        "segment-lambda",
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access"},
            "Action": "sts:AssumeRole"}]}),
        Vec::new(),
    );
    members.close(ACCOUNTS[2]);
    let accounts: Vec<String> = [
        FAKE_ACCOUNT,
        ACCOUNTS[0],
        ACCOUNTS[1],
        ACCOUNTS[2],
        "444444444444",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let integration = Catalog::builtin()
        .integration("lambda-destination")
        .expect("in the catalog");
    let policy = Some((plan.policy_name.clone(), plan.permission_policy.clone()));
    let ids = ["wXZ2sd8N3mJ".to_string()];
    let across = stack_sets::AcrossAccounts {
        through: stackset::MEMBER_ACCESS_ROLE,
        role_name: "segment-lambda",
        integration,
        external_ids: &ids,
        rotating: false,
        permission_for: &|_| policy.clone(),
        at_once: 2,
    };
    let counted = std::sync::Mutex::new(Vec::new());
    let checks = stack_sets::verify_accounts(
        &members,
        Some((FAKE_ACCOUNT, &home)),
        &accounts,
        &across,
        &|done| counted.lock().expect("count").push(done),
    )
    .await;
    let mut counted = counted.into_inner().expect("count");
    counted.sort_unstable();
    assert_eq!(counted, [1, 2, 3, 4, 5], "each account counted once");
    let words: Vec<&str> = checks.iter().map(|c| c.word()).collect();
    assert_eq!(words, ["OK", "OK", "NOT OK", "NOT CHECKED", "NO ROLE"]);
    assert_eq!(
        checks
            .iter()
            .map(|c| c.account.as_str())
            .collect::<Vec<_>>(),
        accounts,
        "in the order given"
    );
    assert!(
        checks[2].reason().contains("must be"),
        "{}",
        checks[2].reason()
    );
    assert!(
        checks[3].reason().contains(&format!(
            "arn:aws:iam::{}:role/OrganizationAccountAccessRole",
            ACCOUNTS[2]
        )) && checks[3].reason().contains("sts:AssumeRole"),
        "{}",
        checks[3].reason()
    );
    assert_eq!(checks[4].reason(), "no role segment-lambda in this account");
    assert_eq!(
        members.account(FAKE_ACCOUNT).role_names(),
        Vec::<String>::new(),
        "the caller's account is read with its own credentials"
    );
    let csv = stackset::checks_csv(&checks);
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(
        csv.contains("111111111111,arn:aws:iam::111111111111:role/segment-lambda,OK,\n"),
        "{csv}"
    );
    let text = stackset::checks_text(&checks);
    let rows: Vec<&str> = text
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with("    "))
        .collect();
    assert_eq!(
        rows,
        [
            "ACCOUNT       RESULT",
            "000000000000  OK",
            "111111111111  OK",
            "222222222222  NOT OK",
            "333333333333  NOT CHECKED",
            "444444444444  NO ROLE"
        ],
        "{text}"
    );
    assert!(
        text.contains("Account 222222222222: arn:aws:iam::222222222222:role/segment-lambda"),
        "{text}"
    );
    let json = checks[2].to_json();
    assert_eq!(json["result"], "NOT OK");
    assert_eq!(json["verification"]["confusedDeputyRisk"], true, "{json}");
}

/// Bad targets and formats are refused before any AWS call, in a sentence.
#[test]
fn targets_and_formats_are_checked_first() {
    use crate::support::{binary, stderr};
    let nowhere = vec![("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_string())];
    let base = [
        "create",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        "arn:aws:lambda:us-west-2:123456789012:function:events",
        "--yes",
    ];
    let run = |more: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(more);
        binary(&args, &nowhere)
    };
    let bad_account = run(&["--accounts", "1234"]);
    assert_eq!(bad_account.status.code(), Some(2));
    assert!(
        stderr(&bad_account).contains("exactly 12 digits"),
        "{}",
        stderr(&bad_account)
    );
    let bad_unit = run(&["--org-units", "ou-x"]);
    assert_eq!(bad_unit.status.code(), Some(2));
    assert!(
        stderr(&bad_unit).contains("ou-ab12-cd345678"),
        "{}",
        stderr(&bad_unit)
    );
    let both = run(&[
        "--accounts",
        "111111111111",
        "--org-units",
        "ou-ab12-cd345678",
    ]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    let auto = run(&["--accounts", "111111111111", "--auto-deploy"]);
    assert!(
        stderr(&auto).contains("--auto-deploy works with --org-units only"),
        "{}",
        stderr(&auto)
    );
    let verify = |more: &[&str]| {
        let mut args = vec![
            "verify",
            "--integration",
            "lambda-destination",
            "--workspace-id",
            "wXZ2sd8N3mJ",
        ];
        args.extend_from_slice(more);
        binary(&args, &nowhere)
    };
    let arn = verify(&[
        "--role",
        "arn:aws:iam::111111111111:role/r",
        "--accounts",
        "111111111111",
    ]);
    assert_eq!(arn.status.code(), Some(2));
    assert!(
        stderr(&arn).contains("give the role's name"),
        "{}",
        stderr(&arn)
    );
    let short = verify(&["--role", "r", "--accounts", "1111"]);
    assert!(
        stderr(&short).contains("exactly 12 digits"),
        "{}",
        stderr(&short)
    );
    let member = verify(&[
        "--role",
        "r",
        "--accounts",
        "111111111111",
        "--member-role",
        "a b",
    ]);
    assert!(
        stderr(&member).contains("--member-role"),
        "{}",
        stderr(&member)
    );
    let fix = verify(&["--role", "r", "--accounts", "111111111111", "--fix"]);
    assert_eq!(fix.status.code(), Some(2), "{}", stderr(&fix));
    let csv = run(&["--output", "csv"]);
    assert_eq!(csv.status.code(), Some(2));
    assert!(
        stderr(&csv).contains("csv is for StackSets"),
        "{}",
        stderr(&csv)
    );
}

/// A re-run after the create was cut off (Ctrl-C, a closed session, kill -9): the instances the
/// first run started are watched, not made again; an account added on a re-run while the first
/// operation still runs waits for it (CloudFormation runs one operation at a time), then gets its
/// instance.
#[tokio::test(start_paused = true)]
async fn a_re_run_after_an_interrupted_create_finishes_it() {
    let sets = ScriptedStackSets::new(Duration::from_secs(10), Duration::from_secs(1));
    let roles = administered();
    let plan = plan("segment-lambda");
    // A create cut off after `after`, then run again to its end: the rows and the notes.
    let cut_off_then_rerun = |first: StackSetRequest, again: StackSetRequest, after: u64| {
        let (sets, roles, plan) = (&sets, &roles, &plan);
        async move {
            let cut_off = tokio::time::timeout(
                Duration::from_secs(after),
                stack_sets::create(sets, roles, plan, &first, true, &options(), &mut |_| {}),
            )
            .await;
            assert!(cut_off.is_err(), "still running when it was cut off");
            let mut notes = Vec::new();
            let rows = stack_sets::create(sets, roles, plan, &again, true, &options(), &mut |p| {
                if let Progress::Note(note) = p {
                    notes.push(note);
                }
            })
            .await
            .expect("finished by the re-run");
            (rows, notes)
        }
    };
    let (rows, notes) = cut_off_then_rerun(
        request("rerun-set", accounts()),
        request("rerun-set", accounts()),
        4,
    )
    .await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
    assert!(
        notes
            .iter()
            .any(|n| n == "Every account already has its instance: watching them"),
        "{notes:?}"
    );

    let mut more = ACCOUNTS.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    more.push("444444444444".into());
    let (rows, notes) = cut_off_then_rerun(
        request("rerun-two", accounts()),
        request("rerun-two", Targets::Accounts(more)),
        2,
    )
    .await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
    let waited = notes
        .iter()
        .position(|n| n.contains("is still running (the one a re-run follows)"))
        .unwrap_or_else(|| panic!("{notes:?}"));
    let added = notes
        .iter()
        .rposition(|n| n == "Creating instances in 1 account(s) that lack one: 444444444444")
        .unwrap_or_else(|| panic!("{notes:?}"));
    assert!(waited < added, "{notes:?}");
}

/// A lost connection while watching is said once, polled through, and the watch ends as
/// before.
#[tokio::test(start_paused = true)]
async fn the_watch_survives_a_lost_connection() {
    let sets = ScriptedStackSets::new(Duration::from_secs(10), Duration::ZERO);
    sets.lose_connection(4);
    let mut seen = Vec::new();
    let rows = stack_sets::create(
        &sets,
        &administered(),
        &plan("segment-lambda"),
        &request("offline", accounts()),
        true,
        &options(),
        &mut |p| match p {
            Progress::Reconnecting { .. } => seen.push("reconnecting"),
            Progress::Reconnected => seen.push("reconnected"),
            _ => {}
        },
    )
    .await
    .expect("watched to the end");
    assert_eq!(seen, ["reconnecting", "reconnected"]);
    assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
}

/// A StackSet's external ID is rotated in two phases like one role's: every account's role
/// accepts the current and the new ID, then only the new one; the record is the truth (the
/// stack set shows its ID parameters masked), and a stack set with no record here is refused.
#[tokio::test(start_paused = true)]
async fn a_stack_sets_rotation_reaches_every_account_in_two_phases() {
    use segment_aws_setup::engine::update::{self, IdChange};
    let members = std::sync::Arc::new(FakeMembers::default());
    let stack_sets = ScriptedStackSets::new(Duration::from_secs(10), Duration::from_secs(1));
    stack_sets.make_roles_in(members.clone());
    let roles = administered();
    let store = segment_aws_setup::engine::saving::StateStore::owned_at(crate::support::temp_dir(
        "stack-set-rotation",
    ));
    let role = "segment-function-everywhere";
    let first = Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            integration: "destination-function".into(),
            bucket: Some("events-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            role_name: Some(role.into()),
            ..PlanRequest::default()
        },
    )
    .expect("plan");
    let old = first.external_ids[0].clone();
    let name = "segment-rotation-set";
    let saved = segment_aws_setup::engine::saving::SavedSetup::for_stack_set(
        &first,
        name,
        FAKE_ACCOUNT,
        None,
        None,
    );
    let rows = segment_aws_setup::engine::resume::create_stack_set(
        &stack_sets,
        &roles,
        Some(&store),
        &first,
        &saved,
        &request(name, accounts()),
        &options(),
        &mut |_| {},
    )
    .await
    .expect("created");
    assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
    let accepted = |account: &str| -> Vec<String> {
        let (trust, _) = members.account(account).snapshot(role).expect("the role");
        segment_aws_setup::model::verify::every_listed_id(&trust)
    };
    let integration = Catalog::builtin()
        .integration("destination-function")
        .expect("integration");
    let asked = |id_change: IdChange, record, given: Vec<String>| update::Asked {
        integration,
        method: segment_aws_setup::engine::saving::Method::Cloudformation,
        name: name.into(),
        request: PlanRequest {
            integration: "destination-function".into(),
            bucket: Some("events-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            ..PlanRequest::default()
        },
        given,
        id_change,
        record,
        account: FAKE_ACCOUNT.into(),
        region: None,
        profile: None,
        keep_what_role_accepts: false,
    };
    let record =
        || segment_aws_setup::engine::resume::stack_set_record(Some(&store), FAKE_ACCOUNT, name);

    // Without a record (another machine) and without the ID, nothing can be known: refused.
    let refused = update::prepare_stack_set(
        &stack_sets,
        asked(IdChange::Keep, None, vec![]),
        &mut |_| {},
    )
    .await
    .map(|_| ())
    .expect_err("no record");
    assert!(
        matches!(refused, EngineError::StackSetNotSaved { .. }),
        "{refused:?}"
    );

    let new = segment_aws_setup::model::external_id::generate(40);
    let phase1 = update::prepare_stack_set(
        &stack_sets,
        asked(IdChange::Rotate(new.clone()), record(), vec![]),
        &mut |_| {},
    )
    .await
    .expect("prepared");
    assert!(!phase1.nothing);
    let shown = phase1.lines.join("\n");
    assert!(shown.contains("a rotation begins"), "{shown}");
    assert!(
        !shown.contains(&new) && !shown.contains(&old),
        "no secret: {shown}"
    );
    assert!(
        !phase1.update.template_body.contains(&new),
        "NoEcho parameter, not the template"
    );
    let rows = update::apply_stack_set(&stack_sets, Some(&store), &phase1, &options(), &mut |_| {})
        .await
        .expect("updated");
    assert!(rows.iter().all(|r| r.succeeded()), "{rows:?}");
    for account in ACCOUNTS {
        assert_eq!(
            accepted(account),
            vec![old.clone(), new.clone()],
            "{account}"
        );
    }
    assert_eq!(
        record().expect("saved").pending_external_ids,
        vec![new.clone()]
    );

    let phase2 = update::prepare_stack_set(
        &stack_sets,
        asked(IdChange::Finish, record(), vec![]),
        &mut |_| {},
    )
    .await
    .expect("prepared");
    update::apply_stack_set(&stack_sets, Some(&store), &phase2, &options(), &mut |_| {})
        .await
        .expect("updated");
    for account in ACCOUNTS {
        assert_eq!(accepted(account), vec![new.clone()], "{account}");
    }
    assert_eq!(
        record().expect("saved").all_external_ids(),
        vec![new.clone()]
    );
    // The same again: nothing to change.
    let again = update::prepare_stack_set(
        &stack_sets,
        asked(IdChange::Keep, record(), vec![]),
        &mut |_| {},
    )
    .await
    .expect("prepared");
    assert!(again.nothing, "{:?}", again.lines);
    let _ = std::fs::remove_dir_all(store.dir());
}

/// Through the binary on moto, the day-2 StackSet runs a customer makes: a finished function
/// StackSet gets another account by running `create` again, which uses and prints the ID it was
/// saved with (the new account's role requires the stack set's own); `verify --stack-set` then
/// passes in every account; another machine, with nothing saved, is refused with the command
/// that takes it over, and nothing changes.
#[test]
fn an_account_added_to_a_finished_stack_set_gets_its_saved_id_on_moto() {
    use crate::support::{binary, stderr, stdout, temp_dir, unique};
    let state = temp_dir("stack-set-add-state");
    let env = moto_env(&state);
    let name = unique("add-set");
    let role = format!("{name}-role");
    let accounts: Vec<String> = (0..3)
        .map(|i| format!("6{:05}{:06}", std::process::id() % 100_000, 720 + i))
        .collect();
    let config = crate::faults::block_on(crate::moto::moto().sdk_config());
    crate::support::make_stack_set_administration_role(&config);
    let create = |targets: &[String], env: &[(&'static str, String)]| {
        binary(
            &[
                "create",
                "--integration",
                "destination-function",
                "--bucket",
                "events-bucket",
                "--bucket-region",
                "us-east-1",
                "--role-name",
                &role,
                "--stack-set-name",
                &name,
                "--accounts",
                &targets.join(","),
                "--yes",
                "--output",
                "json",
            ],
            env,
        )
    };
    let first = create(&accounts[..2], &env);
    assert!(first.status.success(), "{}", stderr(&first));
    let ids = |output: &std::process::Output| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&stdout(output)).expect("JSON")["externalIds"]
            .clone()
    };
    let id = ids(&first);
    let created: serde_json::Value = serde_json::from_str(&stdout(&first)).expect("JSON");
    crate::support::assert_camel_case_keys(&created);
    assert_eq!(
        created["stackSetName"],
        serde_json::json!(name),
        "{created}"
    );
    assert_eq!(
        created["instances"].as_array().map(Vec::len),
        Some(2),
        "{created}"
    );
    let added = create(&accounts, &env);
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(ids(&added), id, "the saved ID, not a new one");
    assert!(
        stderr(&added).contains("Using the external ID of stack set"),
        "{}",
        stderr(&added)
    );
    let verified = binary(
        &[
            "verify",
            "--integration",
            "destination-function",
            "--role",
            &role,
            "--stack-set",
            &name,
            "--output",
            "csv",
        ],
        &env,
    );
    let csv = stdout(&verified);
    assert!(verified.status.success(), "{csv}\n{}", stderr(&verified));
    for account in &accounts {
        assert!(csv.contains(&format!("{account},")), "{csv}");
    }
    assert!(!csv.contains("NOT OK"), "{csv}");

    // Another machine: nothing saved, so the ID can't be known; refused, nothing changed.
    let elsewhere = temp_dir("stack-set-add-elsewhere");
    let other = moto_env(&elsewhere);
    let refused = create(&accounts, &other);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!(
            "update --integration destination-function --stack-set {name} --external-id"
        )),
        "{}",
        stderr(&refused)
    );
    let again = binary(&["delete", "--stack-set", &name, "--yes"], &env);
    assert!(again.status.success(), "{}", stderr(&again));
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&elsewhere);
}
