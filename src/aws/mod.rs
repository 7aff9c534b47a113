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

/// An AWS account to work in: the traits, and the region in use.
pub struct Connection<I, S, R> {
    pub identity: Arc<I>,
    pub stacks: Arc<S>,
    pub roles: Arc<R>,
    /// What the pickers list; read-only, and never needed to finish a setup.
    pub resources: Arc<dyn Resources>,
    /// StackSets, for the same role in many accounts.
    pub stack_sets: Arc<dyn StackSets>,
    pub region: String,
    /// The profile it was made with, if one was named: printed commands carry it.
    pub profile: Option<String>,
}

impl<I, S, R> Clone for Connection<I, S, R> {
    fn clone(&self) -> Self {
        Connection {
            identity: self.identity.clone(),
            stacks: self.stacks.clone(),
            roles: self.roles.clone(),
            resources: self.resources.clone(),
            stack_sets: self.stack_sets.clone(),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }
}

pub type Connecting<I, S, R> =
    Pin<Box<dyn Future<Output = Result<Connection<I, S, R>, String>> + Send>>;
/// Makes a connection for a profile and region: the SDK's credential chain, or a fake account.
pub type Connect<I, S, R> =
    Arc<dyn Fn(Option<String>, Option<String>) -> Connecting<I, S, R> + Send + Sync>;

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
        matches!(self.code(), Some("NoSuchEntity"))
            || matches!(self, AwsError::Service { code, message, .. }
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

pub trait Identity: Send + Sync {
    fn caller(&self) -> impl Future<Output = Result<Caller, AwsError>> + Send;
}

pub trait Stacks: Send + Sync {
    /// Returns the stack ID.
    fn create_stack(
        &self,
        request: &StackCreate,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    /// `None` when no stack of that name exists (deleted stacks included).
    fn describe_stack(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StackInfo>, AwsError>> + Send;
    fn stack_events(
        &self,
        name: &str,
        next_token: Option<String>,
    ) -> impl Future<Output = Result<EventPage, AwsError>> + Send;
    fn delete_stack(&self, name: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Creates a change set that updates an existing stack to this template and parameters.
    fn create_change_set(
        &self,
        request: &StackCreate,
        change_set: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<ChangeSetInfo, AwsError>> + Send;
    fn execute_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn delete_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// Every stack of the region that is not deleted, with its tags and outputs.
    fn list_stacks(&self) -> impl Future<Output = Result<Vec<StackInfo>, AwsError>> + Send;
    /// The stack a resource (such as a role, by name) belongs to, if CloudFormation says so.
    fn stack_owning(
        &self,
        physical_id: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;
    /// The template the stack was last deployed with (GetTemplate), parsed; a template that is
    /// not JSON comes back as a string.
    fn stack_template(&self, name: &str) -> impl Future<Output = Result<Value, AwsError>> + Send;
    /// Every resource the stack holds (DescribeStackResources).
    fn stack_resources(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Vec<StackResource>, AwsError>> + Send;
    /// The names of the stack's change sets (ListChangeSets).
    fn change_sets(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
}

pub trait Roles: Send + Sync {
    /// `None` when no role of that name exists.
    fn get_role(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<RoleInfo>, AwsError>> + Send;
    /// Returns the role's ARN.
    fn create_role(
        &self,
        request: &RoleCreate,
    ) -> impl Future<Output = Result<String, AwsError>> + Send;
    fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn role_policy_names(
        &self,
        role: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    fn get_role_policy(
        &self,
        role: &str,
        policy_name: &str,
    ) -> impl Future<Output = Result<Value, AwsError>> + Send;
    fn update_trust_policy(
        &self,
        role: &str,
        document: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn delete_role_policy(
        &self,
        role: &str,
        policy_name: &str,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
    fn delete_role(&self, role: &str) -> impl Future<Output = Result<(), AwsError>> + Send;
    /// The managed policies attached to a role: name and ARN.
    fn attached_policies(
        &self,
        role: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, AwsError>> + Send;
    /// A managed policy's default version's document.
    fn managed_policy_document(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Value, AwsError>> + Send;
    /// The instance profiles a role is in, by name.
    fn instance_profiles(
        &self,
        role: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
    /// Every role: name, ARN and trust policy (ListRoles returns no tags: `get_role` has them).
    fn list_roles(&self) -> impl Future<Output = Result<Vec<RoleListing>, AwsError>> + Send;
}

/// A listing's answer (boxed: the pickers hold the trait as `dyn`).
pub type Listed<'a> = Pin<
    Box<dyn Future<Output = Result<Vec<crate::model::picker::Resource>, AwsError>> + Send + 'a>,
>;

/// The account's resources a picker offers: read-only listings.
pub trait Resources: Send + Sync {
    /// Resources of a kind: buckets of the whole account (each with its region), the others in
    /// `region`. `account` completes ARNs a listing returns only names for.
    fn list<'a>(
        &'a self,
        kind: crate::model::picker::ResourceKind,
        region: &'a str,
        account: &'a str,
    ) -> Listed<'a>;
}

/// A boxed answer of the `dyn` traits.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, AwsError>> + Send + 'a>>;

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
pub trait StackSets: Send + Sync {
    fn create_stack_set<'a>(&'a self, request: &'a StackSetCreate) -> Answer<'a, ()>;
    /// `None` when there is no such stack set (or it was deleted).
    fn describe_stack_set<'a>(&'a self, name: &'a str) -> Answer<'a, Option<StackSetInfo>>;
    /// Creates instances; returns the operation's ID.
    fn create_instances<'a>(&'a self, targets: &'a InstanceTargets) -> Answer<'a, String>;
    /// Runs the stack set again on these instances (its template and parameters unchanged): how
    /// failed instances are retried. Returns the operation's ID.
    fn rerun_instances<'a>(&'a self, targets: &'a InstanceTargets) -> Answer<'a, String>;
    fn describe_operation<'a>(
        &'a self,
        stack_set: &'a str,
        operation: &'a str,
    ) -> Answer<'a, OperationInfo>;
    /// Every instance with its detailed status and reason.
    fn list_instances<'a>(
        &'a self,
        stack_set: &'a str,
    ) -> Answer<'a, Vec<crate::model::stackset::InstanceRow>>;
    /// Deletes instances (their stacks and roles); returns the operation's ID.
    fn delete_instances<'a>(&'a self, targets: &'a InstanceTargets) -> Answer<'a, String>;
    fn delete_stack_set<'a>(&'a self, name: &'a str) -> Answer<'a, ()>;
    /// Deploys a new template and parameters to every instance (the role in every account);
    /// returns the operation's ID.
    fn update_stack_set<'a>(&'a self, request: &'a StackSetUpdate) -> Answer<'a, String>;
}

/// The member accounts of an organization, entered through a role each one trusts (AWS
/// Organizations makes `OrganizationAccountAccessRole` in the accounts it creates).
pub trait Members: Send + Sync {
    type Roles: Roles;
    /// IAM in `account`, with the credentials of role `through` there (sts:AssumeRole).
    fn enter(
        &self,
        account: &str,
        through: &str,
    ) -> impl Future<Output = Result<Self::Roles, AwsError>> + Send;
}
