//! What the engine tells a face: progress while it works, the questions it asks, the errors it
//! ends with, and each error's sentence with the commands it suggests for this region and profile.

use crate::aws::{AwsError, Caller, StackEvent};
use std::time::Duration;

use crate::model::ownership::CREATED_BY_TAG;
use crate::model::place::Context;

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
    /// Statement `number` of a role's trust policy is a Deny that refuses Segment: remove it?
    RemoveDeny { number: usize },
    /// The repair shown: apply it to `role` in `account`?
    ApplyRepair { role: String, account: String },
    /// The IDs saved here and those the role accepts differ: keep what the role accepts?
    KeepWhatRoleAccepts,
}

impl Question {
    pub fn text(&self) -> String {
        match self {
            Question::DeleteRolledBackStack { stack } => format!(
                "Stack {stack} exists in ROLLBACK_COMPLETE (an earlier create failed) and must be deleted before it can be created again. Delete it?"
            ),
            Question::RemoveDeny { number } => format!(
                "Statement {number} is a Deny that refuses Segment's principal. Remove statement {number}?"
            ),
            Question::ApplyRepair { role, account } => {
                format!("Apply this to role {role} in account {account}?")
            }
            Question::KeepWhatRoleAccepts => "Keep what the role accepts now (what Segment can use today), not what was saved here?".to_string(),
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
