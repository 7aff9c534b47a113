//! The StackSet benchmark that `scripts/bench` runs (on tokio's real clock): a
//! StackSet created in 20 accounts (or `STACK_SET_BENCH_ACCOUNTS`) on the scripted fake, instances finishing one by one, watched
//! by the engine every face uses. Prints, as JSON, how long after the last instance succeeded
//! the watcher showed it, the largest such lag of any instance, and the calls a minute.

use segment_aws_setup::aws::fake::{MemoryRoles, ScriptedStackSets};
use segment_aws_setup::engine::stack_sets::{self, StackSetRequest};
use segment_aws_setup::engine::{Progress, WatchOptions};
use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::plan::{Plan, PlanRequest};
use segment_aws_setup::model::stackset::{self, Preferences, Targets};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

const NAME: &str = "segment-bench";
const REGION: &str = "us-east-1";

#[tokio::main]
async fn main() -> Result<(), String> {
    // 20 accounts unless STACK_SET_BENCH_ACCOUNTS says (500: the watch's calls-a-minute budget
    // with ListStackInstances answering 100 a page).
    let accounts_count: usize = std::env::var("STACK_SET_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    // Each instance takes 6 s, their starts spread over 8 s: about 14 s in all.
    let stagger = Duration::from_millis(8_000 / accounts_count.max(1) as u64);
    let sets = ScriptedStackSets::new(Duration::from_secs(6), stagger);
    let roles = MemoryRoles::default();
    roles.insert(
        stackset::ADMINISTRATION_ROLE,
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        Vec::new(),
    );
    let accounts: Vec<String> = (0..accounts_count)
        .map(|i| format!("{:012}", 100_000_000_000u64 + i as u64))
        .collect();
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
    let request = StackSetRequest {
        name: NAME.into(),
        targets: Targets::Accounts(accounts.clone()),
        regions: vec![REGION.into()],
        preferences: Preferences::default(),
    };
    let mut shown: Vec<(String, Instant)> = Vec::new();
    let started = Instant::now();
    let rows = stack_sets::create(
        &sets,
        &roles,
        &plan,
        &request,
        true,
        &WatchOptions::default(),
        &mut |progress| {
            if let Progress::Instance { row, .. } = progress
                && row.succeeded()
            {
                shown.push((row.account, Instant::now()));
            }
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if rows.len() != accounts_count || !rows.iter().all(|r| r.succeeded()) {
        return Err(format!(
            "expected {accounts_count} succeeded instances, got {} rows",
            rows.len()
        ));
    }
    let mut lags = Vec::new();
    let mut last: Option<(Instant, Duration)> = None;
    for (account, at) in &shown {
        let ends = sets
            .ends_at(NAME, account, REGION)
            .ok_or_else(|| format!("no instance for {account}"))?;
        let lag = at.saturating_duration_since(ends);
        lags.push(lag);
        if last.is_none_or(|(end, _)| ends > end) {
            last = Some((ends, lag));
        }
    }
    let calls = sets.calls.load(Ordering::SeqCst);
    let report = serde_json::json!({
        "accounts": accounts_count,
        "seconds": elapsed.as_secs_f64(),
        "lastShownAfterSeconds": last.map(|(_, lag)| lag.as_secs_f64()),
        "largestLagSeconds": lags.iter().max().map(Duration::as_secs_f64),
        "calls": calls,
        "callsPerMinute": calls as f64 / elapsed.as_secs_f64() * 60.0,
    });
    println!("{report}");
    Ok(())
}
