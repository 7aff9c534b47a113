//! AWS behind small traits (identity, stacks, roles, and the resources pickers list), with one
//! implementation on the SDK (`sdk`) and a scripted fake (`fake`) for what the emulator can't
//! show: timing, rollbacks, lost connections. The engine is written against the traits only.

pub mod fake;
pub mod sdk;

pub use crate::model::aws_types::{
    Caller, ChangeSetInfo, EventPage, ResourceChange, RoleInfo, RoleListing, StackEvent, StackInfo,
    StackResource, is_failed, is_terminal,
};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// An AWS account to work in: the traits, and the region in use. Every part is a trait object,
/// so the engine and the faces name one type whether the account is real or a fake.
#[derive(Clone)]
pub struct Connection {
    pub identity: Arc<dyn Identity>,
    pub stacks: Arc<dyn Stacks>,
    pub roles: Arc<dyn Roles>,
    /// What the pickers list; read-only, and never needed to finish a setup.
    pub resources: Arc<dyn Resources>,
    /// StackSets, for the same role in many accounts.
    pub stack_sets: Arc<dyn StackSets>,
    /// Lambda functions: a starter function made on the IAM path.
    pub functions: Arc<dyn Functions>,
    pub region: String,
    /// The profile it was made with, if one was named: printed commands carry it.
    pub profile: Option<String>,
}

pub type Connecting = Pin<Box<dyn Future<Output = Result<Connection, String>> + Send>>;
/// Makes a connection for a profile and region: the SDK's credential chain, or a fake account.
pub type Connect = Arc<dyn Fn(Option<String>, Option<String>) -> Connecting + Send + Sync>;

/// Why an AWS call failed, sorted by what the user can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// No credentials, or expired or invalid ones.
    #[error("{0}")]
    Credentials(String),
    /// The identity lacks a permission.
    #[error("AWS refused {action}: {message}")]
    AccessDenied { action: String, message: String },
    /// AWS answered with an error.
    #[error("{action} failed: {code}: {message}")]
    Service {
        action: String,
        code: String,
        message: String,
    },
    /// No answer (connection refused or reset, time-out) after the SDK's retries.
    #[error("{action}: no answer from AWS ({message})")]
    Network { action: String, message: String },
}

impl AwsError {
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn is_network(&self) -> bool {
        matches!(self, AwsError::Network { .. })
    }

    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some("NoSuchEntity" | "ResourceNotFoundException")
        ) || matches!(self, AwsError::Service { code, message, .. }
                if code == "ValidationError" && message.contains("does not exist"))
    }

    pub fn is_already_exists(&self) -> bool {
        matches!(
            self.code(),
            Some("EntityAlreadyExists" | "AlreadyExistsException")
        )
    }
}

/// How a stack is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackCreate {
    pub name: String,
    pub template_body: String,
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleCreate {
    pub name: String,
    pub path: String,
    pub description: String,
    pub trust_policy: String,
    pub tags: Vec<(String, String)>,
}

/// A Lambda function to make: the starter function, on the IAM path (a stack makes its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionCreate {
    pub name: String,
    pub description: String,
    pub runtime: String,
    pub handler: String,
    pub role_arn: String,
    /// The deployment package: a zip of the code.
    pub code_zip: Vec<u8>,
    pub timeout_seconds: i32,
    pub memory_mb: i32,
    pub environment: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
}

/// Lambda functions, as far as a starter function needs them.
#[async_trait::async_trait]
pub trait Functions: Send + Sync {
    /// Returns the function's ARN.
    async fn create_function(&self, request: &FunctionCreate) -> Result<String, AwsError>;
    /// The function's tags, or `None` when no function of that name exists.
    async fn function_tags(&self, name: &str) -> Result<Option<Vec<(String, String)>>, AwsError>;
    async fn delete_function(&self, name: &str) -> Result<(), AwsError>;
}

#[async_trait::async_trait]
pub trait Identity: Send + Sync {
    async fn caller(&self) -> Result<Caller, AwsError>;
}

#[async_trait::async_trait]
pub trait Stacks: Send + Sync {
    /// Returns the stack ID.
    async fn create_stack(&self, request: &StackCreate) -> Result<String, AwsError>;
    /// `None` when no stack of that name exists (deleted stacks included).
    async fn describe_stack(&self, name: &str) -> Result<Option<StackInfo>, AwsError>;
    async fn stack_events(
        &self,
        name: &str,
        next_token: Option<String>,
    ) -> Result<EventPage, AwsError>;
    async fn delete_stack(&self, name: &str) -> Result<(), AwsError>;
    /// Creates a change set that updates an existing stack to this template and parameters.
    async fn create_change_set(
        &self,
        request: &StackCreate,
        change_set: &str,
    ) -> Result<(), AwsError>;
    async fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<ChangeSetInfo, AwsError>;
    async fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError>;
    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError>;
    /// Every stack of the region that is not deleted, with its tags and outputs.
    async fn list_stacks(&self) -> Result<Vec<StackInfo>, AwsError>;
    /// The stack a resource (such as a role, by name) belongs to, if CloudFormation says so.
    async fn stack_owning(&self, physical_id: &str) -> Result<Option<String>, AwsError>;
    /// The template the stack was last deployed with (GetTemplate), parsed; a template that is
    /// not JSON comes back as a string.
    async fn stack_template(&self, name: &str) -> Result<Value, AwsError>;
    /// Every resource the stack holds (DescribeStackResources).
    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, AwsError>;
    /// The names of the stack's change sets (ListChangeSets).
    async fn change_sets(&self, stack: &str) -> Result<Vec<String>, AwsError>;
}

#[async_trait::async_trait]
pub trait Roles: Send + Sync {
    /// `None` when no role of that name exists.
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError>;
    /// Returns the role's ARN.
    async fn create_role(&self, request: &RoleCreate) -> Result<String, AwsError>;
    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), AwsError>;
    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, AwsError>;
    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Value, AwsError>;
    async fn update_trust_policy(&self, role: &str, document: &str) -> Result<(), AwsError>;
    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), AwsError>;
    async fn delete_role(&self, role: &str) -> Result<(), AwsError>;
    /// The managed policies attached to a role: name and ARN.
    async fn attached_policies(&self, role: &str) -> Result<Vec<(String, String)>, AwsError>;
    /// A managed policy's default version's document.
    async fn managed_policy_document(&self, arn: &str) -> Result<Value, AwsError>;
    /// The instance profiles a role is in, by name.
    async fn instance_profiles(&self, role: &str) -> Result<Vec<String>, AwsError>;
    /// Every role: name, ARN and trust policy (ListRoles returns no tags: `get_role` has them).
    async fn list_roles(&self) -> Result<Vec<RoleListing>, AwsError>;
}

/// The account's resources a picker offers: read-only listings.
#[async_trait::async_trait]
pub trait Resources: Send + Sync {
    /// Resources of a kind: buckets of the whole account (each with its region), the others in
    /// `region`. `account` completes ARNs a listing returns only names for.
    async fn list(
        &self,
        kind: crate::model::picker::ResourceKind,
        region: &str,
        account: &str,
    ) -> Result<Vec<crate::model::picker::Resource>, AwsError>;
}

/// How a stack set is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetCreate {
    pub name: String,
    pub description: String,
    pub template_body: String,
    pub parameters: Vec<(String, String)>,
    pub tags: Vec<(String, String)>,
    /// SELF_MANAGED or SERVICE_MANAGED.
    pub permission_model: String,
    /// Service-managed: deploy to accounts added to the units later (and remove from those that
    /// leave).
    pub auto_deploy: bool,
}

/// A stack set as CloudFormation describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetInfo {
    pub name: String,
    /// ACTIVE or DELETED.
    pub status: String,
    pub permission_model: String,
    pub tags: Vec<(String, String)>,
    /// NoEcho parameters come back as `****`.
    pub parameters: Vec<(String, String)>,
    /// The template its instances are made from.
    pub template_body: String,
}

/// A stack set's new template and parameters, for every instance it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetUpdate {
    pub name: String,
    pub template_body: String,
    pub parameters: Vec<(String, String)>,
    pub preferences: crate::model::stackset::Preferences,
}

/// Which instances an operation works on: accounts (self-managed) or units (service-managed),
/// in these regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceTargets {
    pub stack_set: String,
    pub accounts: Vec<String>,
    pub org_units: Vec<String>,
    pub regions: Vec<String>,
    pub preferences: crate::model::stackset::Preferences,
}

/// An operation's state: QUEUED, RUNNING, SUCCEEDED, FAILED, STOPPING or STOPPED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationInfo {
    pub status: String,
    pub reason: Option<String>,
}

impl OperationInfo {
    pub fn is_done(&self) -> bool {
        matches!(self.status.as_str(), "SUCCEEDED" | "FAILED" | "STOPPED")
    }
}

/// CloudFormation StackSets: one role in many accounts.
#[async_trait::async_trait]
pub trait StackSets: Send + Sync {
    async fn create_stack_set(&self, request: &StackSetCreate) -> Result<(), AwsError>;
    /// `None` when there is no such stack set (or it was deleted).
    async fn describe_stack_set(&self, name: &str) -> Result<Option<StackSetInfo>, AwsError>;
    /// Creates instances; returns the operation's ID.
    async fn create_instances(&self, targets: &InstanceTargets) -> Result<String, AwsError>;
    /// Runs the stack set again on these instances (its template and parameters unchanged): how
    /// failed instances are retried. Returns the operation's ID.
    async fn rerun_instances(&self, targets: &InstanceTargets) -> Result<String, AwsError>;
    async fn describe_operation(
        &self,
        stack_set: &str,
        operation: &str,
    ) -> Result<OperationInfo, AwsError>;
    /// Every instance with its detailed status and reason.
    async fn list_instances(
        &self,
        stack_set: &str,
    ) -> Result<Vec<crate::model::stackset::InstanceRow>, AwsError>;
    /// Deletes instances (their stacks and roles); returns the operation's ID.
    async fn delete_instances(&self, targets: &InstanceTargets) -> Result<String, AwsError>;
    async fn delete_stack_set(&self, name: &str) -> Result<(), AwsError>;
    /// Deploys a new template and parameters to every instance (the role in every account);
    /// returns the operation's ID.
    async fn update_stack_set(&self, request: &StackSetUpdate) -> Result<String, AwsError>;
}

/// The member accounts of an organization, entered through a role each one trusts (AWS
/// Organizations makes `OrganizationAccountAccessRole` in the accounts it creates).
#[async_trait::async_trait]
pub trait Members: Send + Sync {
    /// IAM in `account`, with the credentials of role `through` there (sts:AssumeRole).
    async fn enter(&self, account: &str, through: &str) -> Result<Box<dyn Roles>, AwsError>;
    /// The accounts under these organizational units (or the root), their children's too:
    /// each account's ID and status (`ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`), once each.
    async fn accounts_under(&self, units: &[String]) -> Result<Vec<(String, String)>, AwsError>;
}
