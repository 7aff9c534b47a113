//! What a fake stack goes through (a script of steps, each some time after CreateStack), the
//! fake account, and the lock every fake takes.

use std::sync::Mutex;
use std::time::Duration;

/// The account the fakes pretend to be: plainly not a real one.
pub const FAKE_ACCOUNT: &str = "000000000000";

/// One thing that happens to a stack, some time after CreateStack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub after: Duration,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

/// What a new stack goes through; the resource logical IDs are the template's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub steps: Vec<Step>,
}

pub(super) const STACK_TYPE: &str = "AWS::CloudFormation::Stack";
/// Stand for the template's logical IDs in a script; CreateStack fills them in.
pub(super) const ROLE: &str = "{role}";
pub(super) const POLICY: &str = "{policy}";
pub(super) const ROLE_TYPE: &str = "AWS::IAM::Role";
pub(super) const POLICY_TYPE: &str = "AWS::IAM::Policy";

pub(super) fn step(
    seconds: f64,
    logical_id: &str,
    resource_type: &str,
    status: &str,
    reason: Option<&str>,
) -> Step {
    Step {
        after: Duration::from_secs_f64(seconds),
        logical_id: logical_id.to_string(),
        resource_type: resource_type.to_string(),
        status: status.to_string(),
        reason: reason.map(str::to_string),
    }
}

impl Script {
    /// A create that succeeds over `seconds`, the role then its policy, as CloudFormation does it.
    pub fn success(seconds: f64) -> Script {
        let (role, policy) = (ROLE, POLICY);
        let at = |fraction: f64| seconds * fraction;
        Script {
            steps: vec![
                step(
                    0.0,
                    "",
                    STACK_TYPE,
                    "CREATE_IN_PROGRESS",
                    Some("User Initiated"),
                ),
                step(at(0.05), role, ROLE_TYPE, "CREATE_IN_PROGRESS", None),
                step(
                    at(0.1),
                    role,
                    ROLE_TYPE,
                    "CREATE_IN_PROGRESS",
                    Some("Resource creation Initiated"),
                ),
                step(at(0.6), role, ROLE_TYPE, "CREATE_COMPLETE", None),
                step(at(0.65), policy, POLICY_TYPE, "CREATE_IN_PROGRESS", None),
                step(
                    at(0.7),
                    policy,
                    POLICY_TYPE,
                    "CREATE_IN_PROGRESS",
                    Some("Resource creation Initiated"),
                ),
                step(at(0.95), policy, POLICY_TYPE, "CREATE_COMPLETE", None),
                step(seconds, "", STACK_TYPE, "CREATE_COMPLETE", None),
            ],
        }
    }

    /// A create whose permission policy is refused, then rolled back.
    pub fn rollback(seconds: f64) -> Script {
        let (role, policy) = (ROLE, POLICY);
        let at = |fraction: f64| seconds * fraction;
        let cause = "Resource handler returned message: \"Policy document should not specify a principal. (Service: Iam, Status Code: 400, Request ID: 0f4c3a2e-fake)\" (HandlerErrorCode: InvalidRequest)";
        let summary = format!(
            "The following resource(s) failed to create: [{policy}]. Rollback requested by user."
        );
        Script {
            steps: vec![
                step(
                    0.0,
                    "",
                    STACK_TYPE,
                    "CREATE_IN_PROGRESS",
                    Some("User Initiated"),
                ),
                step(at(0.05), role, ROLE_TYPE, "CREATE_IN_PROGRESS", None),
                step(at(0.35), role, ROLE_TYPE, "CREATE_COMPLETE", None),
                step(at(0.4), policy, POLICY_TYPE, "CREATE_IN_PROGRESS", None),
                step(at(0.5), policy, POLICY_TYPE, "CREATE_FAILED", Some(cause)),
                step(
                    at(0.55),
                    "",
                    STACK_TYPE,
                    "ROLLBACK_IN_PROGRESS",
                    Some(&summary),
                ),
                step(at(0.7), policy, POLICY_TYPE, "DELETE_COMPLETE", None),
                step(at(0.8), role, ROLE_TYPE, "DELETE_IN_PROGRESS", None),
                step(at(0.95), role, ROLE_TYPE, "DELETE_COMPLETE", None),
                step(seconds, "", STACK_TYPE, "ROLLBACK_COMPLETE", None),
            ],
        }
    }

    /// A create that fails and whose rollback fails too, leaving the role behind.
    pub fn rollback_failed(seconds: f64) -> Script {
        let (role, policy) = (ROLE, POLICY);
        let at = |fraction: f64| seconds * fraction;
        let cause = "Resource handler returned message: \"User: arn:aws:sts::000000000000:assumed-role/deployer/session is not authorized to perform: iam:PutRolePolicy\" (HandlerErrorCode: AccessDenied)";
        let delete = "Resource handler returned message: \"User: arn:aws:sts::000000000000:assumed-role/deployer/session is not authorized to perform: iam:DeleteRole\" (HandlerErrorCode: AccessDenied)";
        let summary = format!(
            "The following resource(s) failed to create: [{policy}]. Rollback requested by user."
        );
        let final_reason = format!("The following resource(s) failed to delete: [{role}].");
        Script {
            steps: vec![
                step(
                    0.0,
                    "",
                    STACK_TYPE,
                    "CREATE_IN_PROGRESS",
                    Some("User Initiated"),
                ),
                step(at(0.05), role, ROLE_TYPE, "CREATE_IN_PROGRESS", None),
                step(at(0.3), role, ROLE_TYPE, "CREATE_COMPLETE", None),
                step(at(0.35), policy, POLICY_TYPE, "CREATE_IN_PROGRESS", None),
                step(at(0.45), policy, POLICY_TYPE, "CREATE_FAILED", Some(cause)),
                step(
                    at(0.5),
                    "",
                    STACK_TYPE,
                    "ROLLBACK_IN_PROGRESS",
                    Some(&summary),
                ),
                step(at(0.7), role, ROLE_TYPE, "DELETE_IN_PROGRESS", None),
                step(at(0.9), role, ROLE_TYPE, "DELETE_FAILED", Some(delete)),
                step(
                    seconds,
                    "",
                    STACK_TYPE,
                    "ROLLBACK_FAILED",
                    Some(&final_reason),
                ),
            ],
        }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep going.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The demo organization's member accounts.
pub const DEMO_ACCOUNTS: [&str; 4] = [
    "000000000001",
    "000000000002",
    "000000000003",
    "000000000004",
];
