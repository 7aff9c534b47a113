//! The many-accounts benchmark that `scripts/bench` runs: `verify --accounts` over 1,000 member
//! accounts on the fakes, every AWS call (AssumeRole, then each IAM read) delayed 100 ms as a
//! real region's round trip, through the engine every face uses, on tokio's real clock. Prints,
//! as JSON, the wall time, the peak memory of the process (`VmHWM`), what the run added to the
//! memory the fake's 1,000 accounts already hold, and the rows' verdicts.
//! Then `audit` of one account holding as many roles Segment can assume, the same delay.
//! `ACCOUNTS_BENCH_ACCOUNTS` and `ACCOUNTS_BENCH_AT_ONCE` change the count and the concurrency.

use segment_aws_setup::aws::fake::{FakeMembers, MemoryRoles};
use segment_aws_setup::engine::stack_sets::{self, AcrossAccounts};
use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::plan::{Plan, PlanRequest};
use std::time::{Duration, Instant};

/// A memory figure of this process from /proc (Linux), in KiB: `VmHWM` (the peak) or `VmRSS`.
fn memory_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn number(variable: &str, default: usize) -> usize {
    std::env::var(variable)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `audit` of one account holding `count` roles a function's principal can assume (every IAM
/// call delayed 100 ms): how long, and how many roles it judged.
async fn audit_one_account(count: usize, at_once: usize) -> Result<(f64, usize), String> {
    let roles = MemoryRoles::default();
    let principal = &Catalog::builtin()
        .integration("destination-function")
        .ok_or("no destination-function")?
        .principal;
    for i in 0..count {
        let trust = segment_aws_setup::model::policy::trust_policy(
            principal,
            &[format!("an-external-id-of-forty-characters-{i:05}")],
        );
        roles.insert(&format!("segment-fn-{i:05}"), trust, Vec::new());
    }
    roles.delay_calls(Duration::from_millis(100));
    let started = Instant::now();
    let audited = segment_aws_setup::engine::audit::audit_roles(
        &roles,
        "200000000000",
        1_795_000_000,
        at_once,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok((started.elapsed().as_secs_f64(), audited.roles.len()))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let count = number("ACCOUNTS_BENCH_ACCOUNTS", 1000);
    let at_once = number(
        "ACCOUNTS_BENCH_AT_ONCE",
        usize::from(stack_sets::ACCOUNTS_AT_ONCE),
    );
    let plan = Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            integration: "lambda-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            lambda_arns: vec!["arn:aws:lambda:us-east-1:111111111111:function:events".into()],
            role_name: Some("segment-lambda".into()),
            ..PlanRequest::default()
        },
    )
    .map_err(|e| e.to_string())?;
    let members = FakeMembers::default();
    let accounts: Vec<String> = (0..count)
        .map(|i| format!("{:012}", 200_000_000_000u64 + i as u64))
        .collect();
    for account in &accounts {
        let roles: MemoryRoles = members.account(account);
        roles.insert("segment-lambda", plan.trust_policy.clone(), Vec::new());
        roles.put_inline(
            "segment-lambda",
            &plan.policy_name,
            plan.permission_policy.clone(),
        );
    }
    members.delay_calls(Duration::from_millis(100));
    // The fake's own IAM of every account is in memory too: measured before the run.
    let fake_kib = memory_kib("VmRSS:");
    let integration = Catalog::builtin()
        .integration("lambda-destination")
        .ok_or("no lambda-destination")?;
    let policy = Some((plan.policy_name.clone(), plan.permission_policy.clone()));
    let across = AcrossAccounts {
        through: "OrganizationAccountAccessRole",
        role_name: "segment-lambda",
        integration,
        external_ids: &plan.external_ids,
        rotating: false,
        permission_for: &|_| policy.clone(),
        at_once,
    };
    let started = Instant::now();
    let checks = stack_sets::verify_accounts(&members, None, &accounts, &across, &|_| {}).await;
    let seconds = started.elapsed().as_secs_f64();
    let ok = checks.iter().filter(|c| c.is_right()).count();
    if ok != count {
        let first = checks.iter().find(|c| !c.is_right()).map(|c| c.reason());
        return Err(format!(
            "{ok} of {count} accounts OK; first other: {first:?}"
        ));
    }
    // Memory read before the audit's own fake account is made.
    let peak = memory_kib("VmHWM:");
    let (audit_seconds, audited) = audit_one_account(count, at_once).await?;
    println!(
        "{}",
        serde_json::json!({
            "accounts": count,
            "atOnce": at_once,
            "seconds": seconds,
            "auditRoles": audited,
            "auditSeconds": audit_seconds,
            "peakMiB": peak.map(|k| k as f64 / 1024.0),
            // What the run added to the fake's accounts: the tool's own share.
            "runMiB": peak.zip(fake_kib).map(|(peak, fake)| peak.saturating_sub(fake) as f64 / 1024.0),
            "ok": ok,
        })
    );
    Ok(())
}
