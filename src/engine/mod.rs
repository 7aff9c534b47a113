//! The engine: every change the tool makes in an AWS account, written against the `aws` traits so
//! that the command line, the plain mode and the wizard drive the same code. It reports progress
//! through a callback and asks the face through another; it never prints.
//!
//! May import: `model`, `aws`. Never `ui`.

pub mod resume;
pub mod saving;
pub mod stack_sets;
pub mod update;

use crate::aws::{
    self, AwsError, Caller, Identity, RoleCreate, RoleInfo, Roles, StackCreate, StackEvent,
    StackInfo, Stacks,
};
use crate::model::catalog::{Catalog, Integration};
use crate::model::plan::Plan;
use crate::model::template::ROLE_ARN_OUTPUT;
use crate::model::verify::{self, Fix, Judgement, ManagedPolicy, Subject, Verification};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::Instant;

pub use crate::model::ownership::{CREATED_BY_TAG, INTEGRATION_TAG};
pub use crate::model::place::{Context, shell_word};

/// What the engine tells the face while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A step begins or ends: one sentence.
    Note(String),
    /// A stack event, with the time since the watch began.
    Event {
        event: StackEvent,
        elapsed: Duration,
    },
    /// The stack's status changed.
    Status {
        status: String,
        elapsed: Duration,
    },
    /// A poll got no answer; the watch keeps polling.
    Reconnecting {
        error: String,
    },
    Reconnected,
    /// The setup was saved (to this path) before the first change, so a re-run can resume it.
    Saved(String),
    /// A stack set's instance changed status, with the time since the watch began.
    Instance {
        row: crate::model::stackset::InstanceRow,
        elapsed: Duration,
    },
}

/// A decision the engine needs from the person (or `--yes`) in the middle of its work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// A stack of that name rolled back earlier; it must go before the name can be used again.
    DeleteRolledBackStack { stack: String },
}

impl Question {
    pub fn text(&self) -> String {
        match self {
            Question::DeleteRolledBackStack { stack } => format!(
                "Stack {stack} exists in ROLLBACK_COMPLETE (an earlier create failed) and must be deleted before it can be created again. Delete it?"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("stack {stack} ended in {status}")]
    StackFailed {
        stack: String,
        status: String,
        reasons: Vec<String>,
    },
    #[error("stack {stack} is still {status} after the watch's time limit")]
    TimedOut { stack: String, status: String },
    #[error("a role named {role} already exists in this account (IAM role names ignore case)")]
    RoleExists { role: String },
    #[error("no role named {role} in this account")]
    RoleNotFound { role: String },
    #[error("stack {stack} already exists with different settings: {}", differences.join("; "))]
    StackMismatch {
        stack: String,
        differences: Vec<String>,
    },
    #[error("stack {stack} does not exist")]
    StackNotFound { stack: String },
    #[error("{what} was not created by segment-aws-setup: {why}. Nothing was changed (a {}={} tag alone proves nothing: anyone who may tag it can set one); change or delete it yourself if you mean to", CREATED_BY_TAG.0, CREATED_BY_TAG.1)]
    NotOurs { what: String, why: String },
    #[error(
        "stack set {name} exists, but no setup of it is saved on this machine, so the external ID its roles require can't be known here: nothing was changed. Add accounts from the machine that made it, or take it over with the ID its roles require: segment-aws-setup update --integration {integration} --stack-set {name} --external-id ID"
    )]
    StackSetNotSaved { name: String, integration: String },
    #[error("stack set {name} exists with other settings ({}): nothing was changed. Change it with segment-aws-setup update --integration {integration} --stack-set {name} (and the inputs you want), or give another --stack-set-name", differences.join("; "))]
    StackSetDiffers {
        name: String,
        integration: String,
        differences: Vec<String>,
    },
    #[error("the change set for stack {stack} would {}, which this tool never makes; nothing was changed and the change set was deleted", changes.join(", "))]
    ForeignChange { stack: String, changes: Vec<String> },
    #[error("{0}: nothing was changed")]
    Declined(String),
    /// Which external ID a change keeps can't be settled without the user (or what they gave
    /// can't be kept): said with what to give.
    #[error("{0}: nothing was changed")]
    IdUnsettled(String),
    /// The ID saved here and the IDs the role accepts differ: a face asks which to keep (and
    /// prepares again), or refuses when it can't ask.
    #[error("the external ID saved on this machine is not what the role accepts now ({}): nothing was changed. Keep what the role accepts (asked on a terminal), or give the ID Segment uses with {flag} (SEGMENT_AWS_SETUP_EXTERNAL_ID keeps it out of the shell's history)", lines.join("; "))]
    IdsDiffer { lines: Vec<String>, flag: String },
    #[error("{0}")]
    NotSaved(String),
    #[error(
        "role {role} belongs to CloudFormation stack {stack}; nothing was removed. Delete the stack instead: segment-aws-setup delete --stack-name {stack}"
    )]
    StackOwned { role: String, stack: String },
    #[error("role {role} still has {}; nothing was removed. Detach or remove them first (IAM refuses to delete a role that has them)", attached.join(", "))]
    RoleInUse { role: String, attached: Vec<String> },
    #[error("role {role} is not right: {}", problems.join("; "))]
    RoleWrong { role: String, problems: Vec<String> },
    #[error("the saved permission policy of {setup} was not applied: {why}")]
    SavedPolicyRefused { setup: String, why: String },
    #[error("{original}; deleting the half-made role {role} failed too ({cleanup})")]
    CleanupFailed {
        role: String,
        original: Box<AwsError>,
        cleanup: Box<AwsError>,
    },
}

/// How many unbroken sections run: paired IAM calls (CreateRole then PutRolePolicy or its
/// clean-up; UpdateAssumeRolePolicy then PutRolePolicy) that an interrupt must not cut apart.
fn unbroken_count() -> &'static tokio::sync::watch::Sender<usize> {
    static COUNT: std::sync::OnceLock<tokio::sync::watch::Sender<usize>> =
        std::sync::OnceLock::new();
    COUNT.get_or_init(|| tokio::sync::watch::Sender::new(0))
}

/// Held across calls an interrupt must not cut apart: while one is held, Ctrl-C (the command
/// line) and quitting (the wizard) wait for it to be dropped ([`unbroken_done`]).
pub struct Unbroken(());

impl Unbroken {
    pub fn enter() -> Unbroken {
        unbroken_count().send_modify(|n| *n += 1);
        Unbroken(())
    }
}

impl Drop for Unbroken {
    fn drop(&mut self) {
        unbroken_count().send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Whether calls that must not be cut apart are running now.
pub fn unbroken_running() -> bool {
    *unbroken_count().borrow() > 0
}

/// Returns once no unbroken section runs.
pub async fn unbroken_done() {
    let mut receiver = unbroken_count().subscribe();
    let _ = receiver.wait_for(|n| *n == 0).await;
}

/// What to do after a stack ended in `status`: a failed create is deleted and made again; a
/// rolled-back update left the stack as it was (nothing to delete: fix and update again); an
/// update whose rollback failed needs CloudFormation to continue it.
pub fn after_failure(stack: &str, status: &str, context: &Context) -> String {
    let flags = context.flags();
    match status {
        "UPDATE_ROLLBACK_FAILED" => format!(
            "\nThe update's rollback failed: the stack can't be changed until CloudFormation continues it (aws cloudformation continue-update-rollback --stack-name {stack}), then watch it: segment-aws-setup watch --stack-name {stack}{flags}"
        ),
        status if status.starts_with("UPDATE_") => "\nThe update was rolled back: the stack and its role are as they were before it. Fix what the reasons say, then run the same update again (keep the stack: don't delete it)".to_string(),
        _ => format!(
            "\nDelete it and try again: segment-aws-setup delete --stack-name {stack}{flags}"
        ),
    }
}

/// The error in words, with what to do about it: shared by every face.
pub fn explain(error: &EngineError, caller: Option<&Caller>) -> String {
    explain_in(
        error,
        &Context {
            caller: caller.cloned(),
            ..Context::default()
        },
    )
}

/// [`explain`], with the commands it suggests for this region and profile.
pub fn explain_in(error: &EngineError, context: &Context) -> String {
    let caller = context.caller.as_ref();
    let flags = context.flags();
    match error {
        EngineError::StackOwned { role, stack } => format!(
            "role {role} belongs to CloudFormation stack {stack}; nothing was removed. Delete the stack instead: segment-aws-setup delete --stack-name {stack}{flags}"
        ),
        EngineError::Aws(AwsError::Credentials(detail)) => format!(
            "no usable AWS credentials ({detail}).\nFix: run `aws configure` (access keys) or `aws sso login --profile NAME` (SSO), or choose a profile with --profile or AWS_PROFILE"
        ),
        EngineError::Aws(AwsError::AccessDenied { action, message }) => {
            let who = caller.map(|c| c.arn.as_str()).unwrap_or("your identity");
            format!(
                "AWS refused {action} for {who}: {message}\nAsk an administrator to allow {action}, or hand them the change: segment-aws-setup plan ..."
            )
        }
        EngineError::TimedOut { stack, .. } => {
            format!(
                "{error}; it keeps going. Watch it again: segment-aws-setup watch --stack-name {stack}{flags}"
            )
        }
        other => other.to_string(),
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Create,
    Update,
    Delete,
}

/// A role the setup produced (or found ready).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub role_arn: String,
    /// True when an existing stack with the same parameters was reused.
    pub reused: bool,
}

pub async fn identity<I: Identity>(identity: &I) -> Result<Caller, EngineError> {
    Ok(identity.caller().await?)
}

/// How long a picker waits for a listing: after that it says so and the user types the value.
pub const LISTING_TIMEOUT: Duration = Duration::from_secs(8);

/// The resources a picker offers, sorted by name. A refusal, an error or a slow answer comes
/// back as the sentence every face shows before falling back to typing.
pub async fn list_resources(
    resources: &dyn crate::aws::Resources,
    kind: crate::model::picker::ResourceKind,
    region: &str,
    account: &str,
) -> Result<Vec<crate::model::picker::Resource>, String> {
    let place = if kind.is_regional() {
        format!(" in {region}")
    } else {
        String::new()
    };
    let what = kind.plural();
    match tokio::time::timeout(LISTING_TIMEOUT, resources.list(kind, region, account)).await {
        Ok(Ok(mut found)) => {
            // The organization's units come in the tree's order, the root first, then accounts.
            if kind != crate::model::picker::ResourceKind::OrgTargets {
                found.sort_by(|a, b| a.name.cmp(&b.name).then(a.value.cmp(&b.value)));
            }
            Ok(found)
        }
        Ok(Err(error)) if error.code() == Some("AWSOrganizationsNotInUseException") => Err(
            "This account is not in an organization (AWS Organizations): type the account IDs."
                .into(),
        ),
        Ok(Err(AwsError::AccessDenied { action, .. })) => Err(format!(
            "AWS refused {action}, so {what}{place} can't be listed: type it instead."
        )),
        Ok(Err(AwsError::Credentials(_))) => Err(format!(
            "{what}{place} can't be listed without working credentials: type it instead."
        )),
        Ok(Err(other)) => Err(format!(
            "{what}{place} couldn't be listed ({other}): type it instead."
        )),
        Err(_) => Err(format!(
            "Listing {what}{place} took over {} s: type it instead.",
            LISTING_TIMEOUT.as_secs()
        )),
    }
}

/// The stack's create request for a plan.
pub fn stack_request(plan: &Plan) -> StackCreate {
    let mut tags = vec![(CREATED_BY_TAG.0.to_string(), CREATED_BY_TAG.1.to_string())];
    tags.push((INTEGRATION_TAG.into(), plan.integration_id.clone()));
    StackCreate {
        name: plan.stack_name.clone(),
        template_body: plan.template.to_string(),
        parameters: plan
            .parameters
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_string()))
            .collect(),
        tags,
    }
}

/// Creates the plan's stack and watches it to the end. An existing stack of that name is handled
/// as a re-run: attached to while in progress, reused when complete with the same parameters,
/// deleted (after asking) and created again when it had rolled back.
pub async fn create_with_cloudformation<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    plan: &Plan,
    options: &WatchOptions,
    confirm: &mut (dyn FnMut(&Question) -> bool + Send),
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = &plan.stack_name;
    match stacks.describe_stack(name).await? {
        None => {
            report(Progress::Note(format!("Creating stack {name}")));
            stacks.create_stack(&stack_request(plan)).await?;
        }
        Some(info) if !aws::is_terminal(&info.status) => {
            report(Progress::Note(format!(
                "Stack {name} is already {}: watching it",
                info.status
            )));
        }
        Some(info) if info.status == "CREATE_COMPLETE" || info.status == "UPDATE_COMPLETE" => {
            return reuse_complete_stack(roles, plan, &info, report).await;
        }
        Some(info) if info.status == "ROLLBACK_COMPLETE" => {
            // Even with --yes: only a stack this tool made is deleted, proven by its template.
            prove_stack(stacks, &info).await?;
            let question = Question::DeleteRolledBackStack {
                stack: name.clone(),
            };
            if !confirm(&question) {
                return Err(EngineError::Declined(format!(
                    "stack {name} was left as it is"
                )));
            }
            report(Progress::Note(format!(
                "Deleting the rolled-back stack {name}"
            )));
            stacks.delete_stack(name).await?;
            match watch(stacks, name, Goal::Delete, options, report).await? {
                WatchOutcome::Done(_) => {}
                other => return Err(other.into_error(name)),
            }
            report(Progress::Note(format!("Creating stack {name} again")));
            stacks.create_stack(&stack_request(plan)).await?;
        }
        Some(info) => {
            let reasons = failure_reasons(&all_events(stacks, name).await.unwrap_or_default());
            return Err(EngineError::StackFailed {
                stack: name.clone(),
                status: info.status,
                reasons,
            });
        }
    }
    match watch(stacks, name, Goal::Create, options, report).await? {
        WatchOutcome::Done(Some(info)) => {
            let role_arn = role_arn_output(&info, name)?;
            check_created_role(roles, plan, &role_arn, report).await?;
            Ok(Created {
                role_arn,
                reused: false,
            })
        }
        other => Err(other.into_error(name)),
    }
}

/// Seconds since the epoch, for the judge's date conditions.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The judge's subject for a plan's role.
pub fn subject_for_plan(plan: &Plan, role_arn: &str) -> Subject {
    match Catalog::builtin().integration(&plan.integration_id) {
        Some(integration) => {
            Subject::new(integration, plan.accepted_external_ids(), role_arn, now())
                .with_rotation(!plan.next_external_ids.is_empty())
        }
        None => Subject {
            principal: plan.principal.clone(),
            external_ids: plan.accepted_external_ids(),
            customer_account: verify::account_in_arn(role_arn)
                .unwrap_or_default()
                .to_string(),
            workspace_ids: false,
            now: now(),
            rotating: false,
        },
    }
}

fn judge_for_plan(plan: &Plan, role: &RoleInfo) -> Judgement {
    verify::judge(&role.trust_policy, &subject_for_plan(plan, &role.arn))
}

/// A failing judgement as short sentences: the probe, then why.
pub fn problems(judgement: &Judgement) -> Vec<String> {
    judgement
        .failing()
        .map(|p| {
            let mut text = format!(
                "{}: must be {}, is {}",
                p.question,
                p.expected,
                p.answer_word().to_lowercase()
            );
            if !p.why.is_empty() {
                text.push_str(&format!(" ({})", p.why.join("; ")));
            }
            text
        })
        .collect()
}

/// The role a stack made, judged like any other: a stack of the same name that was already there
/// (in progress, or attached to after a crash) may have been made by someone else.
async fn check_created_role<R: Roles>(
    roles: &R,
    plan: &Plan,
    role_arn: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let subject = subject_for_plan(plan, role_arn);
    judge_role(roles, &subject, role_arn, report).await
}

/// Reads a role and judges its trust policy; an error that lists the failing probes if wrong.
pub async fn judge_role<R: Roles>(
    roles: &R,
    subject: &Subject,
    role_arn: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let name = role_name_of(role_arn);
    let Some(role) = roles.get_role(name).await? else {
        return Err(EngineError::RoleNotFound {
            role: name.to_string(),
        });
    };
    let judgement = verify::judge(&role.trust_policy, subject);
    if !judgement.holds() {
        return Err(EngineError::RoleWrong {
            role: name.to_string(),
            problems: problems(&judgement),
        });
    }
    report(Progress::Note(format!(
        "Checked role {name}: Segment's principal gets in with your external ID, nobody else does"
    )));
    Ok(())
}

/// Re-attaches to a stack (a resumed setup, `watch`): watches it to the end and, when the setup
/// is known (`expected`: its integration and external IDs), judges the role it made like any other.
pub async fn reattach<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    stack: &str,
    expected: Option<(&Integration, &[String])>,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<String, EngineError> {
    match watch(stacks, stack, Goal::Create, options, report).await? {
        WatchOutcome::Done(Some(info)) => {
            // Any stack may be watched; only a known setup's must carry this tool's output.
            let role_arn = match expected {
                Some(_) => role_arn_output(&info, stack)?,
                None => info.output(ROLE_ARN_OUTPUT).unwrap_or_default().to_string(),
            };
            if let Some((integration, ids)) = expected {
                let subject = Subject::new(integration, ids.to_vec(), &role_arn, now());
                judge_role(roles, &subject, &role_arn, report).await?;
            }
            Ok(role_arn)
        }
        other => Err(other.into_error(stack)),
    }
}

fn role_arn_output(info: &StackInfo, stack: &str) -> Result<String, EngineError> {
    info.output(ROLE_ARN_OUTPUT)
        .map(str::to_string)
        .ok_or_else(|| EngineError::StackMismatch {
            stack: stack.to_string(),
            differences: vec![format!(
                "it has no {ROLE_ARN_OUTPUT} output, so it wasn't made from this tool's template"
            )],
        })
}

/// A complete stack of the same name: reused when its parameters match the plan's. NoEcho
/// parameters come back masked, so the external ID is checked on the role itself.
async fn reuse_complete_stack<R: Roles>(
    roles: &R,
    plan: &Plan,
    info: &StackInfo,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = &plan.stack_name;
    let mut differences = Vec::new();
    for (key, wanted) in &plan.parameters {
        let wanted = wanted.as_str().unwrap_or_default();
        // A NoEcho parameter (the external ID) is a secret: never compared by value here (AWS
        // masks it anyway) nor printed; the role's trust policy is checked below instead.
        let secret =
            plan.template.pointer(&format!("/Parameters/{key}/NoEcho")) == Some(&Value::Bool(true));
        match info.parameters.iter().find(|(k, _)| k == key) {
            Some(_) if secret => {}
            Some((_, actual)) if actual == wanted => {}
            Some((_, actual)) => differences.push(format!(
                "parameter {key} is {actual:?}, the plan wants {wanted:?}"
            )),
            None => differences.push(format!("it has no parameter {key}")),
        }
    }
    let role_arn = role_arn_output(info, name)?;
    let role_name = role_name_of(&role_arn).to_string();
    match roles.get_role(&role_name).await? {
        Some(role) => differences.extend(problems(&judge_for_plan(plan, &role))),
        None => differences.push(format!("its role {role_name} no longer exists")),
    }
    if !differences.is_empty() {
        return Err(EngineError::StackMismatch {
            stack: name.clone(),
            differences,
        });
    }
    report(Progress::Note(format!(
        "Stack {name} already exists with these settings: reusing its role"
    )));
    Ok(Created {
        role_arn,
        reused: true,
    })
}

/// The role name in a role ARN (the part after the last `/`).
pub fn role_name_of(name_or_arn: &str) -> &str {
    if name_or_arn.starts_with("arn:") {
        name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
    } else {
        name_or_arn
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
pub async fn watch<S: Stacks>(
    stacks: &S,
    name: &str,
    goal: Goal,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<WatchOutcome, EngineError> {
    watch_after(stacks, name, goal, options, HashSet::new(), report).await
}

/// As [`watch`], the events in `seen` (those before an update began) left out.
async fn watch_after<S: Stacks>(
    stacks: &S,
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
const STATUS_EVERY_N_POLLS: u64 = 4;

async fn tick(deadline: Instant, options: &WatchOptions) {
    tokio::time::sleep_until((Instant::now() + options.interval).min(deadline)).await;
}

fn outcome(
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
async fn new_events<S: Stacks>(
    stacks: &S,
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

async fn all_events<S: Stacks>(stacks: &S, name: &str) -> Result<Vec<StackEvent>, AwsError> {
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

/// The direct IAM path: CreateRole, then PutRolePolicy. If anything after CreateRole fails, the
/// role is deleted again: a half-made role is never left behind. A role of that name left half
/// made by an earlier run of this setup (`resuming`: its saved record is this account's; the
/// role carries the `created-by` tag; the judge finds its trust policy right) is finished, not
/// refused; any other role of that name is refused.
pub async fn create_with_iam<R: Roles>(
    roles: &R,
    plan: &Plan,
    path: &str,
    resuming: bool,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = &plan.role_name;
    if let Some(existing) = roles.get_role(name).await? {
        return finish_half_made(roles, plan, existing, resuming, report).await;
    }
    let mut tags = vec![(CREATED_BY_TAG.0.to_string(), CREATED_BY_TAG.1.to_string())];
    tags.extend(
        plan.tags
            .iter()
            .filter(|(k, _)| k != CREATED_BY_TAG.0)
            .cloned(),
    );
    let request = RoleCreate {
        name: name.clone(),
        path: path.to_string(),
        description: plan.role_description.clone(),
        trust_policy: plan.trust_policy.to_string(),
        tags,
    };
    report(Progress::Note(format!("Creating role {name}")));
    // From CreateRole to its policy (or its clean-up), nothing may cut in.
    let _unbroken = Unbroken::enter();
    let role_arn = match roles.create_role(&request).await {
        Ok(arn) => arn,
        Err(error) if error.is_already_exists() => {
            return match roles.get_role(name).await? {
                Some(existing) => finish_half_made(roles, plan, existing, resuming, report).await,
                None => Err(EngineError::RoleExists { role: name.clone() }),
            };
        }
        Err(error) => return Err(error.into()),
    };
    attach_or_clean_up(roles, plan, name, report).await?;
    report(Progress::Note(format!("Role {name} is ready")));
    Ok(Created {
        role_arn,
        reused: false,
    })
}

/// PutRolePolicy; when it fails, the role goes (its inline policies first).
async fn attach_or_clean_up<R: Roles>(
    roles: &R,
    plan: &Plan,
    name: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    report(Progress::Note(format!(
        "Attaching inline policy {} to {name}",
        plan.policy_name
    )));
    if let Err(error) = roles
        .put_role_policy(name, &plan.policy_name, &plan.permission_policy.to_string())
        .await
    {
        report(Progress::Note(format!(
            "Attaching the policy failed; deleting role {name} so nothing is left half made"
        )));
        return Err(match remove_role(roles, name).await {
            Ok(()) => error.into(),
            Err(cleanup) => EngineError::CleanupFailed {
                role: name.to_string(),
                original: Box::new(error),
                cleanup: Box::new(cleanup),
            },
        });
    }
    Ok(())
}

/// A role of the plan's name already exists: finished when it is this setup's own, left half
/// made by an earlier run; refused otherwise.
async fn finish_half_made<R: Roles>(
    roles: &R,
    plan: &Plan,
    existing: RoleInfo,
    resuming: bool,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let name = existing.name.clone();
    let ours = resuming && is_ours(&existing.tags) && judge_for_plan(plan, &existing).holds();
    if !ours {
        return Err(EngineError::RoleExists { role: name });
    }
    report(Progress::Note(format!(
        "Role {name} was left by an earlier run of this setup (saved for this account, tagged {}={}, trust policy right): finishing it",
        CREATED_BY_TAG.0, CREATED_BY_TAG.1
    )));
    let present = if roles
        .role_policy_names(&name)
        .await?
        .iter()
        .any(|p| p == &plan.policy_name)
    {
        let current = roles.get_role_policy(&name, &plan.policy_name).await?;
        verify::same_policy(&current, &plan.permission_policy)
    } else {
        false
    };
    if !present {
        attach_or_clean_up(roles, plan, &name, report).await?;
    }
    report(Progress::Note(format!("Role {name} is ready")));
    Ok(Created {
        role_arn: existing.arn,
        reused: true,
    })
}

/// Deletes a role's inline policies, then the role.
async fn remove_role<R: Roles>(roles: &R, name: &str) -> Result<(), AwsError> {
    for policy in roles.role_policy_names(name).await? {
        roles.delete_role_policy(name, &policy).await?;
    }
    roles.delete_role(name).await
}

async fn existing_role<R: Roles>(roles: &R, name: &str) -> Result<RoleInfo, EngineError> {
    roles
        .get_role(name)
        .await?
        .ok_or_else(|| EngineError::RoleNotFound {
            role: name.to_string(),
        })
}

/// Reads a role and judges it: its trust policy with the probes, and every permission policy on
/// it (inline and attached), against the preset when one is given.
pub async fn verify_role<R: Roles>(
    roles: &R,
    role: &str,
    integration: &Integration,
    external_ids: &[String],
    rotating: bool,
    permission: Option<(&str, &Value)>,
) -> Result<Verification, EngineError> {
    let name = role_name_of(role);
    let info = existing_role(roles, name).await?;
    let subject =
        Subject::new(integration, external_ids.to_vec(), &info.arn, now()).with_rotation(rotating);
    let judgement = verify::judge(&info.trust_policy, &subject);
    let mut inline = Vec::new();
    for policy in roles.role_policy_names(&info.name).await? {
        let document = roles.get_role_policy(&info.name, &policy).await?;
        inline.push((policy, document));
    }
    let mut managed = Vec::new();
    for (policy, arn) in roles.attached_policies(&info.name).await? {
        // A managed policy's document may be unreadable (AccessDenied): still listed, as unknown.
        let document = roles.managed_policy_document(&arn).await.ok();
        managed.push(ManagedPolicy {
            name: policy,
            arn,
            document,
        });
    }
    let permissions = verify::judge_permissions(permission, inline, managed);
    Ok(Verification {
        role: info,
        judgement,
        permissions,
    })
}

/// Applies a fix worked out (and proven) by [`Verification::fix`].
pub async fn apply_fix<R: Roles>(
    roles: &R,
    role: &str,
    fix: &Fix,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let _unbroken = Unbroken::enter();
    if let Some(trust) = &fix.trust {
        report(Progress::Note(format!(
            "Updating the trust policy of {role}"
        )));
        roles.update_trust_policy(role, &trust.to_string()).await?;
    }
    if let Some((policy_name, document)) = &fix.permission {
        report(Progress::Note(format!(
            "Attaching inline policy {policy_name} to {role}"
        )));
        roles
            .put_role_policy(role, policy_name, &document.to_string())
            .await?;
    }
    Ok(())
}

// ---- Changing an existing setup ----------------------------------------------------------------

/// What an update would change, shown before anything changes.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdatePreview {
    /// A change set, created and waiting: each resource change, replacement or not, and what
    /// the stack's role's documents become (secrets masked).
    Stack {
        stack: String,
        change_set: String,
        changes: Vec<String>,
        diff: Vec<String>,
        /// Every external ID the documents before and after hold, for a face to mask.
        ids: Vec<String>,
    },
    /// The role's documents, before and after (secrets masked), and what will be written.
    Role {
        role: String,
        trust: Option<Value>,
        permission: Option<(String, Value)>,
        diff: Vec<String>,
        /// Every external ID the documents before and after hold, for a face to mask.
        ids: Vec<String>,
    },
    /// The setup already is what the plan says.
    Nothing { role_arn: String },
}

impl UpdatePreview {
    /// The IDs a face masks while it shows the preview (presenter mode).
    pub fn shown_ids(&self) -> &[String] {
        match self {
            UpdatePreview::Role { ids, .. } | UpdatePreview::Stack { ids, .. } => ids,
            UpdatePreview::Nothing { .. } => &[],
        }
    }

    /// The preview, a line each.
    pub fn lines(&self) -> Vec<String> {
        match self {
            UpdatePreview::Stack {
                stack,
                changes,
                diff,
                ..
            } => {
                let mut lines = vec![format!("The change set for stack {stack} would:")];
                lines.extend(changes.iter().map(|c| format!("  {c}")));
                if changes.is_empty() {
                    lines.push("  (CloudFormation listed no resource by name; the template or its parameters differ)".into());
                }
                if !diff.is_empty() {
                    lines.push("Its role's documents before (-) and after (+):".into());
                    lines.extend(diff.iter().cloned());
                }
                lines
            }
            UpdatePreview::Role { role, diff, .. } => {
                let mut lines = vec![format!(
                    "Role {role}, its documents before (-) and after (+):"
                )];
                lines.extend(diff.iter().cloned());
                lines
            }
            UpdatePreview::Nothing { .. } => {
                vec!["Nothing to change: the setup already is what you asked for.".into()]
            }
        }
    }
}

/// Works out an update of the plan's stack (CloudFormation: a change set, created and described,
/// not executed) or role (IAM: the documents' diff). Nothing changes yet; only a setup this tool
/// made is updated.
pub async fn prepare_update<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    plan: &Plan,
    method: crate::engine::saving::Method,
    options: &WatchOptions,
) -> Result<UpdatePreview, EngineError> {
    match method {
        crate::engine::saving::Method::Cloudformation => {
            let name = &plan.stack_name;
            let Some(info) = stacks.describe_stack(name).await? else {
                return Err(EngineError::StackNotFound {
                    stack: name.clone(),
                });
            };
            prove_stack(stacks, &info).await?;
            if !matches!(
                info.status.as_str(),
                "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
            ) {
                return Err(EngineError::StackFailed {
                    stack: name.clone(),
                    status: info.status.clone(),
                    reasons: vec![format!(
                        "a stack is updated only when it is complete; it is {}",
                        info.status
                    )],
                });
            }
            // A preview declined, interrupted or killed earlier left its change set: gone now.
            for leftover in stacks.change_sets(name).await.unwrap_or_default() {
                if leftover.starts_with(CHANGE_SET_PREFIX) {
                    let _ = stacks.delete_change_set(name, &leftover).await;
                }
            }
            // What the role's documents become, read before the change set is made.
            let documents = match info.output(ROLE_ARN_OUTPUT) {
                Some(arn) => match roles.get_role(role_name_of(arn)).await? {
                    Some(role) => Some(documents_change(roles, plan, &role).await?),
                    None => None,
                },
                None => None,
            };
            let change_set = format!("{CHANGE_SET_PREFIX}{}", now());
            stacks
                .create_change_set(&stack_request(plan), &change_set)
                .await?;
            let deadline = Instant::now() + options.timeout;
            loop {
                let described = stacks.describe_change_set(name, &change_set).await?;
                match described.status.as_str() {
                    "CREATE_COMPLETE" => {
                        let foreign: Vec<String> = described
                            .changes
                            .iter()
                            .filter(|c| crate::model::ownership::foreign_change(c))
                            .map(|c| c.describe())
                            .collect();
                        if !foreign.is_empty() {
                            let _ = stacks.delete_change_set(name, &change_set).await;
                            return Err(EngineError::ForeignChange {
                                stack: name.clone(),
                                changes: foreign,
                            });
                        }
                        let (diff, ids) = documents.map(|d| (d.diff, d.ids)).unwrap_or_default();
                        return Ok(UpdatePreview::Stack {
                            stack: name.clone(),
                            change_set,
                            changes: described.changes.iter().map(|c| c.describe()).collect(),
                            diff,
                            ids,
                        });
                    }
                    "FAILED" => {
                        let _ = stacks.delete_change_set(name, &change_set).await;
                        let reason = described.status_reason.unwrap_or_default();
                        if reason.contains("didn't contain changes")
                            || reason.contains("No updates")
                        {
                            return Ok(UpdatePreview::Nothing {
                                role_arn: role_arn_output(&info, name)?,
                            });
                        }
                        return Err(EngineError::StackFailed {
                            stack: name.clone(),
                            status: "change set FAILED".into(),
                            reasons: vec![reason],
                        });
                    }
                    _ if Instant::now() >= deadline => {
                        return Err(EngineError::TimedOut {
                            stack: name.clone(),
                            status: described.status,
                        });
                    }
                    _ => tick(deadline, options).await,
                }
            }
        }
        crate::engine::saving::Method::Iam => {
            let name = &plan.role_name;
            let role = existing_role(roles, name).await?;
            prove_role(&role)?;
            let change = documents_change(roles, plan, &role).await?;
            if change.trust.is_none() && change.permission.is_none() {
                return Ok(UpdatePreview::Nothing { role_arn: role.arn });
            }
            Ok(UpdatePreview::Role {
                role: name.clone(),
                trust: change.trust,
                permission: change.permission,
                diff: change.diff,
                ids: change.ids,
            })
        }
    }
}

/// The names of the change sets this tool makes (a leftover one is deleted on the next preview).
pub const CHANGE_SET_PREFIX: &str = "segment-aws-setup-";

/// What a plan changes in a role's documents: the trust policy and the inline policy to write
/// (`None` when already so), their diff (external IDs masked for a secret), and every ID the
/// documents hold, for a face to mask in presenter mode.
struct DocumentsChange {
    trust: Option<Value>,
    permission: Option<(String, Value)>,
    diff: Vec<String>,
    ids: Vec<String>,
}

async fn documents_change<R: Roles>(
    roles: &R,
    plan: &Plan,
    role: &RoleInfo,
) -> Result<DocumentsChange, EngineError> {
    let name = &role.name;
    let trust = (role.trust_policy != plan.trust_policy).then(|| plan.trust_policy.clone());
    let current = if roles
        .role_policy_names(name)
        .await?
        .iter()
        .any(|p| p == &plan.policy_name)
    {
        Some(roles.get_role_policy(name, &plan.policy_name).await?)
    } else {
        None
    };
    let permission = (!current
        .as_ref()
        .is_some_and(|c| verify::same_policy(c, &plan.permission_policy)))
    .then(|| (plan.policy_name.clone(), plan.permission_policy.clone()));
    let subject = subject_for_plan(plan, &role.arn);
    let mask = |doc: &Value| verify::masked_external_ids(doc, !subject.workspace_ids);
    let mut diff = Vec::new();
    if trust.is_some() {
        diff.push("Trust policy:".into());
        diff.extend(verify::diff(
            &mask(&role.trust_policy),
            &mask(&plan.trust_policy),
        ));
    }
    if permission.is_some() {
        diff.push(format!("Inline policy {}:", plan.policy_name));
        diff.extend(verify::diff(
            current.as_ref().unwrap_or(&Value::Null),
            &plan.permission_policy,
        ));
    }
    let mut ids = verify::every_listed_id(&role.trust_policy);
    ids.extend(verify::every_listed_id(&plan.trust_policy));
    Ok(DocumentsChange {
        trust,
        permission,
        diff,
        ids,
    })
}

/// Applies a previewed update: executes the change set and watches the stack to UPDATE_COMPLETE,
/// or writes the role's documents; then judges the role like any other.
pub async fn apply_update<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    plan: &Plan,
    preview: &UpdatePreview,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Created, EngineError> {
    let role_arn = match preview {
        UpdatePreview::Nothing { role_arn } => role_arn.clone(),
        UpdatePreview::Stack {
            stack, change_set, ..
        } => {
            // Only what happens from now on is reported.
            let seen: HashSet<String> = all_events(stacks, stack)
                .await?
                .into_iter()
                .map(|e| e.id)
                .collect();
            report(Progress::Note(format!(
                "Executing change set {change_set} on stack {stack}"
            )));
            stacks.execute_change_set(stack, change_set).await?;
            match watch_after(stacks, stack, Goal::Update, options, seen, report).await? {
                WatchOutcome::Done(Some(info)) => role_arn_output(&info, stack)?,
                other => return Err(other.into_error(stack)),
            }
        }
        UpdatePreview::Role {
            role,
            trust,
            permission,
            ..
        } => {
            let info = existing_role(roles, role).await?;
            // The trust and permission policies are two calls: nothing may cut in between.
            let _unbroken = Unbroken::enter();
            if let Some(trust) = trust {
                report(Progress::Note(format!(
                    "Updating the trust policy of {role}"
                )));
                roles.update_trust_policy(role, &trust.to_string()).await?;
            }
            if let Some((name, document)) = permission {
                report(Progress::Note(format!(
                    "Writing inline policy {name} of {role}"
                )));
                roles
                    .put_role_policy(role, name, &document.to_string())
                    .await?;
            }
            info.arn
        }
    };
    check_created_role(roles, plan, &role_arn, report).await?;
    Ok(Created {
        role_arn,
        reused: true,
    })
}

/// Where the setups found in AWS are: the account and the connection's region and profile.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub account: &'a str,
    pub region: Option<&'a str>,
    pub profile: Option<&'a str>,
}

/// The setups this tool made in the account, found in AWS rather than in this machine's saved
/// state (made on another machine, or the state was lost): the region's complete stacks tagged
/// `created-by=segment-aws-setup` with a known integration, and roles with that tag that trust one
/// of Segment's principals and that no stack made. Each comes as a finished setup with the
/// external IDs its role requires (read from its trust policy, so an update keeps them) and, for a
/// stack, the preset and inputs its parameters show. Nothing changes.
pub async fn find_setups<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    place: Place<'_>,
) -> Result<Vec<crate::engine::saving::SavedSetup>, EngineError> {
    let catalog = Catalog::builtin();
    let mut found = Vec::new();
    let mut stack_roles = HashSet::new();
    for info in stacks.list_stacks().await? {
        if let Some(setup) = stack_setup(stacks, roles, &info, place).await? {
            if let Some(arn) = &setup.role_arn {
                stack_roles.insert(role_name_of(arn).to_string());
            }
            found.push(setup);
        }
    }
    for listed in roles.list_roles().await? {
        // ListRoles has no tags: only roles that trust a Segment principal are read further.
        let trusts_segment = catalog
            .integrations()
            .iter()
            .any(|i| crate::model::ownership::names_principal(&listed.trust_policy, &i.principal));
        if !trusts_segment || stack_roles.contains(&listed.name) {
            continue;
        }
        if let Some(role) = roles.get_role(&listed.name).await?
            && let Some(setup) = role_setup(stacks, &role, place).await?
        {
            found.push(setup);
        }
    }
    Ok(found)
}

/// The setup of one stack or role this tool made, read from AWS as `find_setups` reads it: for
/// `update` when nothing is saved on this machine. `None` when there is no such setup.
pub async fn find_setup<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    method: crate::engine::saving::Method,
    name: &str,
    place: Place<'_>,
) -> Result<Option<crate::engine::saving::SavedSetup>, EngineError> {
    match method {
        crate::engine::saving::Method::Cloudformation => match stacks.describe_stack(name).await? {
            Some(info) => stack_setup(stacks, roles, &info, place).await,
            None => Ok(None),
        },
        crate::engine::saving::Method::Iam => match roles.get_role(name).await? {
            Some(role) => role_setup(stacks, &role, place).await,
            None => Ok(None),
        },
    }
}

/// A complete stack this tool made (proven by its template, not only its tag), as a setup.
async fn stack_setup<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    info: &StackInfo,
    place: Place<'_>,
) -> Result<Option<crate::engine::saving::SavedSetup>, EngineError> {
    let complete = matches!(
        info.status.as_str(),
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
    );
    let (Some(role_arn), true, true) =
        (info.output(ROLE_ARN_OUTPUT), complete, is_ours(&info.tags))
    else {
        return Ok(None);
    };
    // A tagged stack that isn't ours (someone's team-infra) is not a setup: never offered.
    let integration = match prove_stack(stacks, info).await {
        Ok(integration) => integration,
        Err(EngineError::NotOurs { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let Some(role) = roles.get_role(role_name_of(role_arn)).await? else {
        return Ok(None);
    };
    let mut setup = found_setup(
        integration,
        crate::engine::saving::Method::Cloudformation,
        &role,
        place,
    );
    setup.stack_name = Some(info.name.clone());
    stack_inputs(integration, &info.parameters, &mut setup);
    Ok(Some(setup))
}

/// A role this tool made directly through IAM (tagged, trusting its integration's principal, no
/// stack's), as a setup.
async fn role_setup<S: Stacks>(
    stacks: &S,
    role: &RoleInfo,
    place: Place<'_>,
) -> Result<Option<crate::engine::saving::SavedSetup>, EngineError> {
    let Ok(integration) = prove_role(role) else {
        return Ok(None);
    };
    // A stack's role is changed through its stack, never directly. A role made through IAM says
    // so in a tag; one made before that tag existed must not look like a stack's role (named
    // STACK-LOGICALID-SUFFIX; the stack may be in another region, where this region's
    // CloudFormation can't see it) and no stack here may own it.
    let made_with_iam = tag(&role.tags, crate::model::plan::CREATED_WITH_IAM_TAG.0)
        == Some(crate::model::plan::CREATED_WITH_IAM_TAG.1);
    let named_like_a_stacks = crate::model::template::load(&integration.template)
        .as_ref()
        .and_then(crate::model::template::role_logical_id)
        .is_some_and(|logical| role.name.contains(&format!("-{logical}-")));
    if (!made_with_iam && named_like_a_stacks) || stacks.stack_owning(&role.name).await?.is_some() {
        return Ok(None);
    }
    Ok(Some(found_setup(
        integration,
        crate::engine::saving::Method::Iam,
        role,
        place,
    )))
}

/// The stack a role belongs to, if any: CloudFormation's own tag, else CloudFormation's answer
/// for this region, else, for a role without the direct-IAM tag, its name when it is shaped as
/// one of this tool's stacks names its role (STACK-LOGICALID-SUFFIX): the stack may be in another
/// region, where this region's CloudFormation can't see it.
pub async fn owning_stack<S: Stacks>(
    stacks: &S,
    role: &RoleInfo,
) -> Result<Option<String>, EngineError> {
    if let Some(stack) = tag(&role.tags, "aws:cloudformation:stack-name") {
        return Ok(Some(stack.to_string()));
    }
    if let Some(stack) = stacks.stack_owning(&role.name).await? {
        return Ok(Some(stack));
    }
    let made_with_iam = tag(&role.tags, crate::model::plan::CREATED_WITH_IAM_TAG.0)
        == Some(crate::model::plan::CREATED_WITH_IAM_TAG.1);
    if made_with_iam {
        return Ok(None);
    }
    Ok(crate::model::template::names()
        .filter_map(crate::model::template::load)
        .filter_map(|t| crate::model::template::role_logical_id(&t).map(str::to_string))
        .find_map(|logical| {
            role.name
                .find(&format!("-{logical}-"))
                .map(|at| role.name[..at].to_string())
        }))
}

fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn found_setup(
    integration: &Integration,
    method: crate::engine::saving::Method,
    role: &RoleInfo,
    place: Place<'_>,
) -> crate::engine::saving::SavedSetup {
    crate::engine::saving::SavedSetup {
        integration: integration.id.clone(),
        method,
        stack_name: None,
        role_name: (method == crate::engine::saving::Method::Iam).then(|| role.name.clone()),
        region: place.region.map(str::to_string),
        profile: place.profile.map(str::to_string),
        account: place.account.to_string(),
        external_ids: keepable_external_ids(integration, role).0,
        settings: Vec::new(),
        policy_name: None,
        permission_policy: None,
        finished: true,
        role_arn: Some(role.arn.clone()),
        saved_at: 0,
        preset: None,
        lambda_arns: Vec::new(),
        stack_set: None,
        pending_external_ids: Vec::new(),
        rotation_started_at: None,
        retiring_external_ids: Vec::new(),
        inputs: Default::default(),
        role_path: None,
    }
}

/// The external IDs a role accepts today (the evaluator's answer: none a Deny revokes, none on a
/// statement not for sts:AssumeRole) that a change may keep, and those it must not, each with
/// why: one anyone can guess (a function's), or one that doesn't look like a Segment ID (a
/// workspace integration's).
pub fn keepable_external_ids(
    integration: &Integration,
    role: &RoleInfo,
) -> (Vec<String>, Vec<(String, String)>) {
    let subject = Subject::new(integration, Vec::new(), &role.arn, now());
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for id in verify::accepted_external_ids(&role.trust_policy, &subject) {
        let problem = if subject.workspace_ids {
            (!crate::model::external_id::looks_like_segment_id(&id))
                .then(|| "it doesn't look like a Segment workspace or source ID".to_string())
        } else {
            crate::model::external_id::guessable(&id)
        };
        match problem {
            Some(why) => dropped.push((id, why)),
            None => kept.push(id),
        }
    }
    (kept, dropped)
}

/// The preset whose template parameters the stack has, and the inputs they hold.
fn stack_inputs(
    integration: &Integration,
    parameters: &[(String, String)],
    setup: &mut crate::engine::saving::SavedSetup,
) {
    let value = |name: &str| {
        parameters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    for offer in &integration.presets {
        let Some(mapping) = &offer.template_parameters else {
            continue;
        };
        if mapping.is_empty() || !mapping.keys().all(|name| value(name).is_some()) {
            continue;
        }
        setup.preset = Some(offer.preset.clone());
        for (name, source) in mapping {
            let text = value(name).unwrap_or_default();
            let values = text
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string);
            match source.input {
                crate::model::catalog::Input::LambdaArns => setup.lambda_arns.extend(values),
                crate::model::catalog::Input::Bucket => {
                    setup.settings.extend(
                        offer
                            .settings
                            .iter()
                            .filter(|spec| {
                                spec.value == crate::model::catalog::SettingValue::Bucket
                            })
                            .map(|spec| crate::model::plan::Setting {
                                label: spec.label.clone(),
                                key: spec.key.clone(),
                                value: Some(text.clone()),
                                sensitive: spec.sensitive,
                                required: spec.required,
                                read_only: spec.read_only,
                                placeholder: spec.placeholder.clone(),
                            }),
                    );
                }
                _ => {}
            }
        }
        return;
    }
}

/// Drops a previewed update that was not wanted: its change set is deleted (a quit waits for it).
pub async fn discard_update<S: Stacks>(
    stacks: &S,
    preview: &UpdatePreview,
) -> Result<(), EngineError> {
    if let UpdatePreview::Stack {
        stack, change_set, ..
    } = preview
    {
        let _unbroken = Unbroken::enter();
        stacks.delete_change_set(stack, change_set).await?;
    }
    Ok(())
}

/// Whether it carries the `created-by` tag: a hint (a re-run's leftovers), never proof enough to
/// change or delete anything ([`prove_stack`], [`prove_role`]).
pub fn is_ours(tags: &[(String, String)]) -> bool {
    crate::model::ownership::tagged(tags)
}

/// A stack is ours when its template and resources are exactly what this tool makes: its
/// integration, or an error naming what it holds.
pub async fn prove_stack<S: Stacks>(
    stacks: &S,
    info: &StackInfo,
) -> Result<&'static Integration, EngineError> {
    let not_ours = |why: String| EngineError::NotOurs {
        what: format!("stack {}", info.name),
        why,
    };
    if !is_ours(&info.tags) {
        return Err(not_ours(format!(
            "it has no {}={} tag",
            CREATED_BY_TAG.0, CREATED_BY_TAG.1
        )));
    }
    let template = stacks.stack_template(&info.name).await?;
    let resources = stacks.stack_resources(&info.name).await?;
    crate::model::ownership::stack_is_ours(&info.tags, &template, &resources).map_err(not_ours)
}

/// A role is ours when it carries our tag and trusts its integration's principal.
pub fn prove_role(role: &RoleInfo) -> Result<&'static Integration, EngineError> {
    crate::model::ownership::role_is_ours(role).map_err(|why| EngineError::NotOurs {
        what: format!("role {}", role.name),
        why,
    })
}

/// Deletes a stack this tool created and watches it go.
pub async fn delete_stack<S: Stacks>(
    stacks: &S,
    name: &str,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let Some(info) = stacks.describe_stack(name).await? else {
        return Err(EngineError::StackNotFound {
            stack: name.to_string(),
        });
    };
    prove_stack(stacks, &info).await?;
    report(Progress::Note(format!("Deleting stack {name}")));
    stacks.delete_stack(name).await?;
    match watch(stacks, name, Goal::Delete, options, report).await? {
        WatchOutcome::Done(_) => Ok(()),
        other => Err(other.into_error(name)),
    }
}

/// What deleting a stack removes, each resource named as CloudFormation holds it, once the
/// stack is proven ours: for the confirmation, before anything is deleted.
pub async fn preview_delete_stack<S: Stacks>(
    stacks: &S,
    name: &str,
) -> Result<Vec<String>, EngineError> {
    let Some(info) = stacks.describe_stack(name).await? else {
        return Err(EngineError::StackNotFound {
            stack: name.to_string(),
        });
    };
    prove_stack(stacks, &info).await?;
    let mut items: Vec<String> = stacks
        .stack_resources(name)
        .await?
        .into_iter()
        .map(|r| {
            let kind = match r.resource_type.as_str() {
                crate::model::template::ROLE_TYPE => "role",
                crate::model::template::POLICY_TYPE => "its inline policy",
                _ => "resource",
            };
            match r.physical_id {
                Some(id) => format!("{kind} {id} ({} {})", r.resource_type, r.logical_id),
                None => format!("{kind} {} ({})", r.logical_id, r.resource_type),
            }
        })
        .collect();
    items.push(format!("the stack {name}"));
    Ok(items)
}

/// What deleting a role removes (the role and its inline policies), once it is proven ours and
/// nothing stands in the way: for the confirmation, before anything is deleted.
pub async fn preview_delete_role<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    role: &str,
) -> Result<Vec<String>, EngineError> {
    let info = deletable_role(stacks, roles, role_name_of(role)).await?;
    let mut items = vec![format!("role {}", info.arn)];
    items.extend(
        roles
            .role_policy_names(&info.name)
            .await?
            .into_iter()
            .map(|p| format!("its inline policy {p}")),
    );
    Ok(items)
}

/// Deletes a role the tool created: its inline policies first, then the role. Everything that
/// would stop it is looked for first (a stack that owns it, managed policies, instance profiles,
/// a permissions boundary), so a refusal changes nothing and says what is in the way.
pub async fn delete_role<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    role: &str,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let info = deletable_role(stacks, roles, role_name_of(role)).await?;
    report(Progress::Note(format!(
        "Deleting role {} and its inline policies",
        info.name
    )));
    remove_role(roles, &info.name).await?;
    Ok(())
}

/// The role, proven ours, with nothing in the way of deleting it.
async fn deletable_role<S: Stacks, R: Roles>(
    stacks: &S,
    roles: &R,
    name: &str,
) -> Result<RoleInfo, EngineError> {
    let info = existing_role(roles, name).await?;
    prove_role(&info)?;
    if let Some(stack) = owning_stack(stacks, &info).await? {
        return Err(EngineError::StackOwned {
            role: info.name,
            stack,
        });
    }
    let mut attached: Vec<String> = roles
        .attached_policies(&info.name)
        .await?
        .into_iter()
        .map(|(policy, arn)| format!("managed policy {policy} ({arn})"))
        .collect();
    attached.extend(
        roles
            .instance_profiles(&info.name)
            .await?
            .into_iter()
            .map(|p| format!("instance profile {p}")),
    );
    if let Some(boundary) = &info.permissions_boundary {
        attached.push(format!("permissions boundary {boundary}"));
    }
    if !attached.is_empty() {
        return Err(EngineError::RoleInUse {
            role: info.name,
            attached,
        });
    }
    Ok(info)
}
