//! What AWS holds, as plain data: who the caller is, a stack, its events and resources, a change
//! set, a role. The `aws` layer's traits return these; the judge and the engine read them. They
//! live in the model so the pure judge of a role ([`super::verify`], [`super::ownership`]) can
//! read them without importing the layer that calls AWS.

use serde_json::Value;

/// Who the credentials belong to: the account every change lands in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub arn: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInfo {
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    /// NoEcho parameters come back as `****`.
    pub parameters: Vec<(String, String)>,
    pub outputs: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

impl StackInfo {
    pub fn output(&self, key: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackEvent {
    pub id: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

impl StackEvent {
    pub fn is_stack_itself(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }
}

/// One page of a stack's events, newest first, and the token of the next (older) page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventPage {
    pub events: Vec<StackEvent>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleInfo {
    pub name: String,
    pub arn: String,
    /// Decoded from IAM's URL-encoded form.
    pub trust_policy: Value,
    pub tags: Vec<(String, String)>,
    /// The ARN of the role's permissions boundary, if it has one.
    pub permissions_boundary: Option<String>,
    /// When the role was last assumed, and in which region (`RoleLastUsed`; IAM tracks about
    /// 400 days): `None` when IAM has no record of a use.
    pub last_used: Option<LastUsed>,
}

/// IAM's `RoleLastUsed`: the date (ISO 8601, UTC) and the region of the last use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUsed {
    pub date: String,
    /// Epoch seconds of `date`, to say how long ago.
    pub epoch: i64,
    pub region: Option<String>,
}

/// A role as ListRoles shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleListing {
    pub name: String,
    pub arn: String,
    /// Decoded from IAM's URL-encoded form.
    pub trust_policy: Value,
}

/// A resource a stack holds, as CloudFormation lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
}

/// One resource change a change set would make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    /// Add, Modify, Remove, Import, Dynamic.
    pub action: String,
    pub logical_id: String,
    pub resource_type: String,
    /// True, False or Conditional (Modify only).
    pub replacement: Option<String>,
}

impl ResourceChange {
    /// "Modify FunctionPolicy (AWS::IAM::Policy), not replaced".
    pub fn describe(&self) -> String {
        let replacement = match self.replacement.as_deref() {
            Some("True") => ", replaced (a new physical resource)",
            Some("Conditional") => ", maybe replaced",
            Some("False") => ", not replaced",
            _ => "",
        };
        format!(
            "{} {} ({}){replacement}",
            self.action, self.logical_id, self.resource_type
        )
    }
}

/// A change set as CloudFormation describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSetInfo {
    /// CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_COMPLETE, FAILED, …
    pub status: String,
    pub status_reason: Option<String>,
    pub changes: Vec<ResourceChange>,
}

/// Terminal means no `_IN_PROGRESS` suffix: CloudFormation won't change it without a new request.
pub fn is_terminal(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// A failed create: `CREATE_FAILED`, `ROLLBACK_*` or a failed delete.
pub fn is_failed(status: &str) -> bool {
    status.ends_with("_FAILED") || status.starts_with("ROLLBACK_")
}
