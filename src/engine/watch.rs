//! Watching a stack until it settles: new events as they come, its status, lost connections
//! retried, and every failure reason, first cause first.

use super::report::*;

use crate::aws::{self, AwsError, StackEvent, StackInfo, Stacks};
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::Instant;

/// How often and how long to watch a stack. DescribeStackEvents every 1.5 s notices a change
/// within 2 s; with DescribeStacks every 4th poll that is about 50 calls a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    pub interval: Duration,
    pub timeout: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            interval: Duration::from_millis(1500),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchOutcome {
    /// The goal was reached: the stack (create), or `None` once it is gone (delete).
    Done(Option<StackInfo>),
    Failed {
        status: String,
        reasons: Vec<String>,
    },
    TimedOut {
        status: String,
    },
}

impl WatchOutcome {
    /// What did not go to plan, as an error (a `Done` here means the stack vanished).
    pub fn into_error(self, stack: &str) -> EngineError {
        let stack = stack.to_string();
        match self {
            WatchOutcome::Done(_) => EngineError::StackNotFound { stack },
            WatchOutcome::Failed { status, reasons } => EngineError::StackFailed {
                stack,
                status,
                reasons,
            },
            WatchOutcome::TimedOut { status } => EngineError::TimedOut { stack, status },
        }
    }
}

/// Watches a stack until a terminal state: polls its new events and its status every
/// `options.interval`, reports each event once, polls once more after the end so no reason is
/// missed, and keeps polling through lost connections until the deadline.
pub async fn watch(
    stacks: &dyn Stacks,
    name: &str,
    goal: Goal,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<WatchOutcome, EngineError> {
    watch_after(stacks, name, goal, options, HashSet::new(), report).await
}

/// As [`watch`], the events in `seen` (those before an update began) left out.
pub(super) async fn watch_after(
    stacks: &dyn Stacks,
    name: &str,
    goal: Goal,
    options: &WatchOptions,
    mut seen: HashSet<String>,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<WatchOutcome, EngineError> {
    let start = Instant::now();
    let deadline = start + options.timeout;
    let mut events = Vec::new();
    let mut last_status = String::new();
    let mut reconnecting = false;
    let mut poll: u64 = 0;
    loop {
        let polled = async {
            new_events(stacks, name, &mut seen, &mut events, start, report).await?;
            // The stack's own events carry its status, so DescribeStacks is asked only every few
            // polls (for what events may not show) and as soon as the events show an end.
            let events_show_an_end = events
                .iter()
                .rev()
                .find(|e| e.is_stack_itself())
                .is_some_and(|e| aws::is_terminal(&e.status));
            if poll.is_multiple_of(STATUS_EVERY_N_POLLS) || events_show_an_end {
                stacks.describe_stack(name).await.map(Some)
            } else {
                Ok(None)
            }
        }
        .await;
        poll += 1;
        if reconnecting && polled.is_ok() {
            reconnecting = false;
            report(Progress::Reconnected);
        }
        match polled {
            Ok(None) => {}
            Ok(Some(info)) => {
                let status = info
                    .as_ref()
                    .map(|i| i.status.clone())
                    .unwrap_or_else(|| "DELETE_COMPLETE".into());
                if status != last_status {
                    report(Progress::Status {
                        status: status.clone(),
                        elapsed: start.elapsed(),
                    });
                    last_status = status.clone();
                }
                if aws::is_terminal(&status) {
                    // One more look, so the events that came with the end are not missed.
                    if info.is_some() {
                        let _ =
                            new_events(stacks, name, &mut seen, &mut events, start, report).await;
                    }
                    return Ok(outcome(goal, &status, info, &events));
                }
                if info.is_none() {
                    return Ok(outcome(goal, &status, None, &events));
                }
            }
            Err(error) if error.is_network() => {
                if !reconnecting {
                    reconnecting = true;
                    report(Progress::Reconnecting {
                        error: error.to_string(),
                    });
                }
            }
            Err(error) if goal == Goal::Delete && error.is_not_found() => {
                return Ok(WatchOutcome::Done(None));
            }
            Err(error) => return Err(error.into()),
        }
        if Instant::now() >= deadline {
            return Ok(WatchOutcome::TimedOut {
                status: last_status,
            });
        }
        tick(deadline, options).await;
    }
}

/// How often DescribeStacks is asked besides DescribeStackEvents: every 4th poll (6 s), like CDK.
pub(super) const STATUS_EVERY_N_POLLS: u64 = 4;

pub(super) async fn tick(deadline: Instant, options: &WatchOptions) {
    tokio::time::sleep_until((Instant::now() + options.interval).min(deadline)).await;
}

pub(super) fn outcome(
    goal: Goal,
    status: &str,
    info: Option<StackInfo>,
    events: &[StackEvent],
) -> WatchOutcome {
    let done = match goal {
        // Re-attaching after an interrupted update sees the update's end: a success too.
        Goal::Create => status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE",
        Goal::Update => status == "UPDATE_COMPLETE",
        Goal::Delete => status == "DELETE_COMPLETE",
    };
    if done {
        WatchOutcome::Done(if goal == Goal::Delete { None } else { info })
    } else {
        WatchOutcome::Failed {
            status: status.to_string(),
            reasons: failure_reasons(events),
        }
    }
}

/// Pages through the stack's events, newest first, until one already seen; reports the new ones
/// oldest first.
pub(super) async fn new_events(
    stacks: &dyn Stacks,
    name: &str,
    seen: &mut HashSet<String>,
    events: &mut Vec<StackEvent>,
    start: Instant,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), AwsError> {
    const MAX_PAGES: usize = 20;
    let mut fresh = Vec::new();
    let mut token = None;
    for _ in 0..MAX_PAGES {
        let page = stacks.stack_events(name, token).await?;
        let mut reached_seen = false;
        for event in page.events {
            if seen.contains(&event.id) {
                reached_seen = true;
                break;
            }
            fresh.push(event);
        }
        token = page.next_token;
        if reached_seen || token.is_none() {
            break;
        }
    }
    for event in fresh.into_iter().rev() {
        seen.insert(event.id.clone());
        report(Progress::Event {
            event: event.clone(),
            elapsed: start.elapsed(),
        });
        events.push(event);
    }
    Ok(())
}

pub(super) async fn all_events(
    stacks: &dyn Stacks,
    name: &str,
) -> Result<Vec<StackEvent>, AwsError> {
    let mut events = Vec::new();
    new_events(
        stacks,
        name,
        &mut HashSet::new(),
        &mut events,
        Instant::now(),
        &mut |_| {},
    )
    .await?;
    Ok(events)
}

/// Every failure reason, first cause first: resources' failures in the order they happened, then
/// the consequences (cancelled resources), then what the stack itself said.
pub fn failure_reasons(events: &[StackEvent]) -> Vec<String> {
    let failed =
        |e: &&StackEvent| e.status.ends_with("_FAILED") || e.status.starts_with("ROLLBACK_");
    let with_reason = |e: &&StackEvent| e.reason.is_some();
    let describe = |e: &StackEvent| {
        // The stack's own physical ID is its ARN: noise next to its name.
        let physical = e
            .physical_id
            .as_deref()
            .filter(|_| !e.is_stack_itself())
            .map(|p| format!(" - {p}"))
            .unwrap_or_default();
        format!(
            "{}{physical} ({} {}): {}",
            e.logical_id,
            e.resource_type,
            e.status,
            e.reason.as_deref().unwrap_or("")
        )
    };
    let cancelled = |e: &StackEvent| e.reason.as_deref().is_some_and(|r| r.contains("cancelled"));
    let resources: Vec<&StackEvent> = events
        .iter()
        .filter(failed)
        .filter(with_reason)
        .filter(|e| !e.is_stack_itself())
        .collect();
    let causes = resources
        .iter()
        .filter(|e| !cancelled(e))
        .map(|e| describe(e));
    let consequences = resources
        .iter()
        .filter(|e| cancelled(e))
        .map(|e| describe(e));
    let stack = events
        .iter()
        .filter(failed)
        .filter(with_reason)
        .filter(|e| e.is_stack_itself())
        .map(describe);
    causes.chain(consequences).chain(stack).collect()
}
