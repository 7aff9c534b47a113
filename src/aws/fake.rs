//! Scripted fakes of the AWS traits: stacks that take time, with resources appearing one by one;
//! stacks that roll back with reasons or fail to roll back; a network that drops for a while; and
//! an in-memory IAM that can be told to refuse a call. Used by the tests (moto creates stacks at
//! once and never rolls back) and by the demo account. Time is tokio's, so tests can pause it.

use super::{
    AwsError, Caller, ChangeSetInfo, EventPage, Identity, ResourceChange, RoleCreate, RoleInfo,
    RoleListing, Roles, StackCreate, StackEvent, StackInfo, StackResource, Stacks,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

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

const STACK_TYPE: &str = "AWS::CloudFormation::Stack";
/// Stand for the template's logical IDs in a script; CreateStack fills them in.
const ROLE: &str = "{role}";
const POLICY: &str = "{policy}";
const ROLE_TYPE: &str = "AWS::IAM::Role";
const POLICY_TYPE: &str = "AWS::IAM::Policy";

fn step(
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

struct FakeStack {
    created: Instant,
    script: Script,
    parameters: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    role_logical_id: String,
    deleted_at: Option<Instant>,
    template: Value,
    /// The role is in the IAM fake (made at CREATE_COMPLETE, gone at DELETE_COMPLETE).
    materialized: bool,
    /// Bumped by each executed change set; the IAM fake follows at UPDATE_COMPLETE.
    version: u64,
    synced_version: u64,
    change_sets: BTreeMap<String, PendingChangeSet>,
}

/// A change set waiting to be executed: the new template, its parameters, what it would change.
type PendingChangeSet = (Value, Vec<(String, String)>, ChangeSetInfo);

/// Stacks that follow a script in time. A window of lost network can be set.
pub struct ScriptedStacks {
    script_for_new: Mutex<Script>,
    /// Scripts for stacks whose name contains a pattern, before `script_for_new`.
    scripts_by_name: Mutex<Vec<(String, Script)>>,
    stacks: Mutex<BTreeMap<String, FakeStack>>,
    outage: Mutex<Option<(Instant, Instant)>>,
    calls: AtomicU64,
    changes: AtomicU64,
    /// Events per DescribeStackEvents page: small, so paging is exercised.
    page_size: usize,
    /// Where a completed stack's role appears, as CloudFormation makes it in IAM.
    roles: Mutex<Option<MemoryRoles>>,
    /// The next executed change set fails with this reason and rolls back.
    failing_update: Mutex<Option<String>>,
}

const DELETE_TAKES: Duration = Duration::from_secs(3);

impl ScriptedStacks {
    pub fn new(script_for_new_stacks: Script) -> Self {
        ScriptedStacks {
            script_for_new: Mutex::new(script_for_new_stacks),
            scripts_by_name: Mutex::new(Vec::new()),
            stacks: Mutex::new(BTreeMap::new()),
            outage: Mutex::new(None),
            calls: AtomicU64::new(0),
            changes: AtomicU64::new(0),
            page_size: 4,
            roles: Mutex::new(None),
            failing_update: Mutex::new(None),
        }
    }

    /// Completed stacks make their role (trust policy, inline policy, tags) in this IAM fake.
    pub fn make_roles_in(&self, roles: MemoryRoles) {
        *lock(&self.roles) = Some(roles);
    }

    /// Makes or removes a stack's role in the IAM fake as the stack completes or goes.
    fn sync_role(&self, name: &str, stack: &mut FakeStack, status: &str) {
        let Some(roles) = lock(&self.roles).clone() else {
            return;
        };
        let role = role_name_for(name, &stack.role_logical_id);
        let settled = status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE";
        if settled && (!stack.materialized || stack.synced_version != stack.version) {
            stack.materialized = true;
            stack.synced_version = stack.version;
            let resolve = |value: &Value| resolve_refs(value, &stack.parameters, &stack.template);
            let resources = stack.template.get("Resources").and_then(Value::as_object);
            let trust = resources
                .and_then(|r| r.get(&stack.role_logical_id))
                .map(|r| resolve(&r["Properties"]["AssumeRolePolicyDocument"]))
                .unwrap_or(Value::Null);
            let mut tags = crate::model::template::role_tags(&stack.template);
            tags.extend(stack.tags.iter().cloned());
            roles.insert(&role, trust, tags);
            for resource in resources.into_iter().flat_map(|r| r.values()) {
                if resource["Type"] == POLICY_TYPE {
                    let policy_name = resource["Properties"]["PolicyName"]
                        .as_str()
                        .unwrap_or("policy");
                    roles.put_inline(
                        &role,
                        policy_name,
                        resolve(&resource["Properties"]["PolicyDocument"]),
                    );
                }
            }
        } else if status == "DELETE_COMPLETE" && stack.materialized {
            stack.materialized = false;
            roles.remove(&role);
        }
    }

    /// The next executed change set fails on its first resource with `reason`, and the stack
    /// rolls back to what it was (UPDATE_ROLLBACK_COMPLETE).
    pub fn fail_next_update(&self, reason: &str) {
        *lock(&self.failing_update) = Some(reason.to_string());
    }

    /// The script the next CreateStack follows.
    pub fn set_script(&self, script: Script) {
        *lock(&self.script_for_new) = script;
    }

    /// A stack whose name contains `pattern` follows `script` instead.
    pub fn script_when_named(&self, pattern: &str, script: Script) {
        lock(&self.scripts_by_name).push((pattern.to_string(), script));
    }

    /// Every call fails as a lost connection from `from` for `lasting`.
    pub fn lose_network(&self, from: Duration, lasting: Duration) {
        let start = Instant::now() + from;
        *lock(&self.outage) = Some((start, start + lasting));
    }

    /// How many API calls were made.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Calls that change something (create, delete, change sets), not reads.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    fn call(&self, action: &str) -> Result<Instant, AwsError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let operation = action.rsplit(':').next().unwrap_or(action);
        if !["Describe", "List", "Get"]
            .iter()
            .any(|read| operation.starts_with(read))
        {
            self.changes.fetch_add(1, Ordering::Relaxed);
        }
        let now = Instant::now();
        if let Some((start, end)) = *lock(&self.outage)
            && now >= start
            && now < end
        {
            return Err(AwsError::Network {
                action: action.to_string(),
                message: "connection reset by peer (scripted outage)".into(),
            });
        }
        Ok(now)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep going.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A template value as CloudFormation resolves it for the fake's roles: `Ref` to a parameter (a
/// CommaDelimitedList becomes a list), and the few functions the templates use (`Fn::If` on a
/// condition of `Fn::Equals`/`Fn::Not`, `Fn::Join`, `Fn::Split`).
fn resolve_refs(value: &Value, parameters: &[(String, String)], template: &Value) -> Value {
    let resolve = |v: &Value| resolve_refs(v, parameters, template);
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (function, argument) = map
                .iter()
                .next()
                .map(|(k, v)| (k.as_str(), v))
                .unwrap_or(("", &Value::Null));
            match (function, argument) {
                ("Ref", Value::String(name)) => {
                    let given = parameters
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone());
                    let declared = &template["Parameters"][name];
                    let given = given.or_else(|| declared["Default"].as_str().map(str::to_string));
                    let list = declared["Type"] == "CommaDelimitedList";
                    match given {
                        Some(text) if list => Value::Array(
                            text.split(',')
                                .map(|s| Value::String(s.trim().to_string()))
                                .collect(),
                        ),
                        Some(text) => Value::String(text),
                        None => value.clone(),
                    }
                }
                ("Fn::Join", Value::Array(args)) if args.len() == 2 => {
                    let separator = args[0].as_str().unwrap_or_default();
                    let parts: Vec<String> = match resolve(&args[1]) {
                        Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().unwrap_or_default().to_string())
                            .collect(),
                        _ => Vec::new(),
                    };
                    Value::String(parts.join(separator))
                }
                ("Fn::Split", Value::Array(args)) if args.len() == 2 => {
                    let separator = args[0].as_str().unwrap_or(",");
                    match resolve(&args[1]) {
                        Value::String(text) => Value::Array(
                            text.split(separator)
                                .map(|s| Value::String(s.to_string()))
                                .collect(),
                        ),
                        other => other,
                    }
                }
                ("Fn::Sub", Value::String(text)) => {
                    let variable =
                        regex::Regex::new(r"\$\{([A-Za-z0-9:]+)\}").expect("a valid pattern");
                    let replaced = variable.replace_all(text, |found: &regex::Captures| {
                        let name = &found[1];
                        match name {
                            "AWS::Partition" => "aws".to_string(),
                            "AWS::AccountId" => FAKE_ACCOUNT.to_string(),
                            "AWS::Region" => "us-east-1".to_string(),
                            _ => match resolve(&serde_json::json!({ "Ref": name })) {
                                Value::String(v) => v,
                                Value::Array(items) => items
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(","),
                                _ => found[0].to_string(),
                            },
                        }
                    });
                    Value::String(replaced.into_owned())
                }
                ("Fn::If", Value::Array(args)) if args.len() == 3 => {
                    let condition = args[0].as_str().unwrap_or_default();
                    if condition_holds(&template["Conditions"][condition], parameters, template) {
                        resolve(&args[1])
                    } else {
                        resolve(&args[2])
                    }
                }
                _ => Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
            }
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

fn condition_holds(condition: &Value, parameters: &[(String, String)], template: &Value) -> bool {
    if let Some(args) = condition.get("Fn::Not").and_then(Value::as_array) {
        return !args
            .first()
            .is_some_and(|c| condition_holds(c, parameters, template));
    }
    if let Some(args) = condition.get("Fn::Equals").and_then(Value::as_array)
        && args.len() == 2
    {
        return resolve_refs(&args[0], parameters, template)
            == resolve_refs(&args[1], parameters, template);
    }
    false
}

fn no_such_stack(action: &str, name: &str) -> AwsError {
    AwsError::Service {
        action: action.into(),
        code: "ValidationError".into(),
        message: format!("Stack with id {name} does not exist"),
    }
}

fn role_name_for(stack: &str, logical_id: &str) -> String {
    let name = format!("{stack}-{logical_id}-DEMO0F4C3A2E");
    name.chars().take(64).collect()
}

impl FakeStack {
    fn visible_steps(&self, now: Instant) -> Vec<&Step> {
        self.script
            .steps
            .iter()
            .filter(|s| self.created + s.after <= now)
            .collect()
    }

    fn status(&self, name: &str, now: Instant) -> StackInfo {
        let steps = self.visible_steps(now);
        let last = steps.iter().rev().find(|s| s.resource_type == STACK_TYPE);
        let mut status = last
            .map(|s| s.status.clone())
            .unwrap_or_else(|| "CREATE_IN_PROGRESS".into());
        let mut reason = last.and_then(|s| s.reason.clone());
        if let Some(deleted) = self.deleted_at {
            status = "DELETE_IN_PROGRESS".into();
            reason = Some("User Initiated".into());
            if now >= deleted + DELETE_TAKES {
                status = "DELETE_COMPLETE".into();
            }
        }
        let outputs = if status == "CREATE_COMPLETE" || status.starts_with("UPDATE_") {
            let arn = format!(
                "arn:aws:iam::{FAKE_ACCOUNT}:role/{}",
                role_name_for(name, &self.role_logical_id)
            );
            vec![("RoleArn".to_string(), arn)]
        } else {
            Vec::new()
        };
        StackInfo {
            name: name.to_string(),
            status,
            status_reason: reason,
            // As CloudFormation shows them: a NoEcho parameter's value is masked.
            parameters: self
                .parameters
                .iter()
                .map(|(k, v)| {
                    let no_echo = self
                        .template
                        .pointer(&format!("/Parameters/{k}/NoEcho"))
                        .is_some_and(|e| e == &Value::Bool(true) || e == "true");
                    (k.clone(), if no_echo { "****".into() } else { v.clone() })
                })
                .collect(),
            outputs,
            tags: self.tags.clone(),
        }
    }

    fn events(&self, name: &str, now: Instant) -> Vec<StackEvent> {
        let mut events: Vec<StackEvent> = self
            .visible_steps(now)
            .into_iter()
            .enumerate()
            .map(|(index, step)| {
                let stack = step.resource_type == STACK_TYPE;
                let logical_id = if stack {
                    name.to_string()
                } else {
                    step.logical_id.clone()
                };
                let physical_id = if stack {
                    Some(format!(
                        "arn:aws:cloudformation:us-east-1:{FAKE_ACCOUNT}:stack/{name}/demo"
                    ))
                } else if step.resource_type == ROLE_TYPE
                    && !(step.status == "CREATE_IN_PROGRESS" && step.reason.is_none())
                {
                    Some(role_name_for(name, &step.logical_id))
                } else {
                    None
                };
                StackEvent {
                    id: format!("{name}-{index}"),
                    logical_id,
                    physical_id,
                    resource_type: step.resource_type.clone(),
                    status: step.status.clone(),
                    reason: step.reason.clone(),
                }
            })
            .collect();
        if let Some(deleted) = self.deleted_at {
            let mut push = |suffix: &str, status: &str| {
                events.push(StackEvent {
                    id: format!("{name}-{suffix}"),
                    logical_id: name.to_string(),
                    physical_id: None,
                    resource_type: STACK_TYPE.into(),
                    status: status.into(),
                    reason: None,
                })
            };
            push("delete-start", "DELETE_IN_PROGRESS");
            if now >= deleted + DELETE_TAKES {
                push("delete-end", "DELETE_COMPLETE");
            }
        }
        events.reverse();
        events
    }
}

impl Stacks for ScriptedStacks {
    async fn create_stack(&self, request: &StackCreate) -> Result<String, AwsError> {
        let now = self.call("cloudformation:CreateStack")?;
        let mut stacks = lock(&self.stacks);
        if let Some(existing) = stacks.get(&request.name)
            && existing.deleted_at.is_none_or(|d| now < d + DELETE_TAKES)
        {
            return Err(AwsError::Service {
                action: "cloudformation:CreateStack".into(),
                code: "AlreadyExistsException".into(),
                message: format!("Stack [{}] already exists", request.name),
            });
        }
        let template: Value = serde_json::from_str(&request.template_body).unwrap_or(Value::Null);
        let role_logical_id = crate::model::template::role_logical_id(&template)
            .unwrap_or("Role")
            .to_string();
        let policy_logical_id = template
            .get("Resources")
            .and_then(Value::as_object)
            .and_then(|r| {
                r.iter()
                    .find(|(_, v)| v["Type"] == POLICY_TYPE)
                    .map(|(k, _)| k.clone())
            })
            .unwrap_or_else(|| "Policy".into());
        // The script's resource names follow the template being deployed.
        let by_name = lock(&self.scripts_by_name)
            .iter()
            .find(|(pattern, _)| request.name.contains(pattern.as_str()))
            .map(|(_, script)| script.clone());
        let mut script = by_name.unwrap_or_else(|| lock(&self.script_for_new).clone());
        let fill = |text: &str| {
            text.replace(ROLE, &role_logical_id)
                .replace(POLICY, &policy_logical_id)
        };
        for step in &mut script.steps {
            step.logical_id = fill(&step.logical_id);
            step.reason = step.reason.as_deref().map(fill);
        }
        stacks.insert(
            request.name.clone(),
            FakeStack {
                created: now,
                script,
                parameters: request.parameters.clone(),
                tags: request.tags.clone(),
                role_logical_id,
                deleted_at: None,
                template,
                materialized: false,
                version: 0,
                synced_version: 0,
                change_sets: BTreeMap::new(),
            },
        );
        Ok(format!(
            "arn:aws:cloudformation:us-east-1:{FAKE_ACCOUNT}:stack/{}/demo",
            request.name
        ))
    }

    async fn describe_stack(&self, name: &str) -> Result<Option<StackInfo>, AwsError> {
        let now = self.call("cloudformation:DescribeStacks")?;
        let mut stacks = lock(&self.stacks);
        let Some(stack) = stacks.get_mut(name) else {
            return Ok(None);
        };
        let info = stack.status(name, now);
        self.sync_role(name, stack, &info.status);
        Ok(Some(info).filter(|info| info.status != "DELETE_COMPLETE"))
    }

    async fn stack_events(
        &self,
        name: &str,
        next_token: Option<String>,
    ) -> Result<EventPage, AwsError> {
        let now = self.call("cloudformation:DescribeStackEvents")?;
        let mut stacks = lock(&self.stacks);
        let Some(stack) = stacks.get_mut(name) else {
            return Err(AwsError::Service {
                action: "cloudformation:DescribeStackEvents".into(),
                code: "ValidationError".into(),
                message: format!("Stack [{name}] does not exist"),
            });
        };
        let status = stack.status(name, now).status;
        self.sync_role(name, stack, &status);
        let events = stack.events(name, now);
        let start: usize = next_token.and_then(|t| t.parse().ok()).unwrap_or(0);
        let end = (start + self.page_size).min(events.len());
        let next_token = (end < events.len()).then(|| end.to_string());
        Ok(EventPage {
            events: events.get(start..end).unwrap_or_default().to_vec(),
            next_token,
        })
    }

    async fn create_change_set(
        &self,
        request: &StackCreate,
        change_set: &str,
    ) -> Result<(), AwsError> {
        let now = self.call("cloudformation:CreateChangeSet")?;
        let mut stacks = lock(&self.stacks);
        let Some(stack) = stacks.get_mut(&request.name) else {
            return Err(AwsError::Service {
                action: "cloudformation:CreateChangeSet".into(),
                code: "ValidationError".into(),
                message: format!("Stack [{}] does not exist", request.name),
            });
        };
        let status = stack.status(&request.name, now).status;
        if !matches!(
            status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
        ) {
            return Err(AwsError::Service {
                action: "cloudformation:CreateChangeSet".into(),
                code: "ValidationError".into(),
                message: format!(
                    "Stack:{} is in {status} state and can not be updated.",
                    request.name
                ),
            });
        }
        let template: Value = serde_json::from_str(&request.template_body).unwrap_or(Value::Null);
        let mut changes = Vec::new();
        let resources = |t: &Value| {
            t.get("Resources")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (old, new) = (resources(&stack.template), resources(&template));
        for (logical_id, resource) in &new {
            let before = old
                .get(logical_id)
                .map(|r| resolve_refs(r, &stack.parameters, &stack.template));
            let after = resolve_refs(resource, &request.parameters, &template);
            let action = match before {
                None => Some("Add"),
                Some(before) if before != after => Some("Modify"),
                Some(_) => None,
            };
            if let Some(action) = action {
                changes.push(ResourceChange {
                    action: action.into(),
                    logical_id: logical_id.clone(),
                    resource_type: resource["Type"].as_str().unwrap_or_default().to_string(),
                    replacement: (action == "Modify").then(|| "False".to_string()),
                });
            }
        }
        for (logical_id, resource) in old.iter().filter(|(id, _)| !new.contains_key(*id)) {
            changes.push(ResourceChange {
                action: "Remove".into(),
                logical_id: logical_id.clone(),
                resource_type: resource["Type"].as_str().unwrap_or_default().to_string(),
                replacement: None,
            });
        }
        let info = if changes.is_empty() {
            ChangeSetInfo {
                status: "FAILED".into(),
                status_reason: Some("The submitted information didn't contain changes. Submit different information to create a change set.".into()),
                changes,
            }
        } else {
            ChangeSetInfo {
                status: "CREATE_COMPLETE".into(),
                status_reason: None,
                changes,
            }
        };
        stack.change_sets.insert(
            change_set.to_string(),
            (template, request.parameters.clone(), info),
        );
        Ok(())
    }

    async fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<ChangeSetInfo, AwsError> {
        self.call("cloudformation:DescribeChangeSet")?;
        lock(&self.stacks)
            .get(stack)
            .and_then(|s| s.change_sets.get(change_set))
            .map(|(_, _, info)| info.clone())
            .ok_or_else(|| AwsError::Service {
                action: "cloudformation:DescribeChangeSet".into(),
                code: "ChangeSetNotFound".into(),
                message: format!("ChangeSet [{change_set}] does not exist"),
            })
    }

    async fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        let now = self.call("cloudformation:ExecuteChangeSet")?;
        let mut stacks = lock(&self.stacks);
        let Some(fake) = stacks.get_mut(stack) else {
            return Err(AwsError::Service {
                action: "cloudformation:ExecuteChangeSet".into(),
                code: "ValidationError".into(),
                message: format!("Stack [{stack}] does not exist"),
            });
        };
        let Some((template, parameters, info)) = fake.change_sets.remove(change_set) else {
            return Err(AwsError::Service {
                action: "cloudformation:ExecuteChangeSet".into(),
                code: "ChangeSetNotFound".into(),
                message: format!("ChangeSet [{change_set}] does not exist"),
            });
        };
        // The update takes a few seconds, resource by resource, like CloudFormation's.
        let base = now.duration_since(fake.created).as_secs_f64();
        fake.script.steps.push(step(
            base,
            "",
            STACK_TYPE,
            "UPDATE_IN_PROGRESS",
            Some("User Initiated"),
        ));
        if let Some(reason) = lock(&self.failing_update).take() {
            let first = info.changes.first();
            let (logical, kind) = first
                .map(|c| (c.logical_id.as_str(), c.resource_type.as_str()))
                .unwrap_or(("", STACK_TYPE));
            let stack_reason = format!("The following resource(s) failed to update: [{logical}].");
            let steps = [
                (1.0, logical, kind, "UPDATE_IN_PROGRESS", None),
                (2.0, logical, kind, "UPDATE_FAILED", Some(reason.as_str())),
                (
                    2.5,
                    "",
                    STACK_TYPE,
                    "UPDATE_ROLLBACK_IN_PROGRESS",
                    Some(stack_reason.as_str()),
                ),
                (3.5, logical, kind, "UPDATE_COMPLETE", None),
                (
                    4.0,
                    "",
                    STACK_TYPE,
                    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
                    None,
                ),
                (4.5, "", STACK_TYPE, "UPDATE_ROLLBACK_COMPLETE", None),
            ];
            for (after, logical, kind, status, why) in steps {
                fake.script
                    .steps
                    .push(step(base + after, logical, kind, status, why));
            }
            // Rolled back: the template, parameters and role stay as they were.
            return Ok(());
        }
        let mut at = base;
        for change in &info.changes {
            at += 1.0;
            fake.script.steps.push(step(
                at,
                &change.logical_id,
                &change.resource_type,
                "UPDATE_IN_PROGRESS",
                None,
            ));
            at += 1.0;
            fake.script.steps.push(step(
                at,
                &change.logical_id,
                &change.resource_type,
                "UPDATE_COMPLETE",
                None,
            ));
        }
        fake.script.steps.push(step(
            at + 0.5,
            "",
            STACK_TYPE,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            None,
        ));
        fake.script
            .steps
            .push(step(at + 1.0, "", STACK_TYPE, "UPDATE_COMPLETE", None));
        fake.template = template;
        fake.parameters = parameters;
        fake.version += 1;
        Ok(())
    }

    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        self.call("cloudformation:DeleteChangeSet")?;
        if let Some(fake) = lock(&self.stacks).get_mut(stack) {
            fake.change_sets.remove(change_set);
        }
        Ok(())
    }

    async fn list_stacks(&self) -> Result<Vec<StackInfo>, AwsError> {
        let now = self.call("cloudformation:DescribeStacks")?;
        let mut stacks = lock(&self.stacks);
        let mut infos = Vec::new();
        for (name, stack) in stacks.iter_mut() {
            let info = stack.status(name, now);
            self.sync_role(name, stack, &info.status);
            if info.status != "DELETE_COMPLETE" {
                infos.push(info);
            }
        }
        Ok(infos)
    }

    async fn stack_owning(&self, physical_id: &str) -> Result<Option<String>, AwsError> {
        self.call("cloudformation:DescribeStackResources")?;
        Ok(lock(&self.stacks)
            .iter()
            .find(|(name, stack)| {
                stack.deleted_at.is_none()
                    && role_name_for(name, &stack.role_logical_id) == physical_id
            })
            .map(|(name, _)| name.clone()))
    }

    async fn stack_template(&self, name: &str) -> Result<Value, AwsError> {
        let now = self.call("cloudformation:GetTemplate")?;
        let stacks = lock(&self.stacks);
        match stacks.get(name) {
            Some(stack) if stack.status(name, now).status != "DELETE_COMPLETE" => {
                Ok(stack.template.clone())
            }
            _ => Err(no_such_stack("cloudformation:GetTemplate", name)),
        }
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, AwsError> {
        let now = self.call("cloudformation:DescribeStackResources")?;
        let stacks = lock(&self.stacks);
        let Some(stack) = stacks
            .get(name)
            .filter(|s| s.status(name, now).status != "DELETE_COMPLETE")
        else {
            return Err(no_such_stack("cloudformation:DescribeStackResources", name));
        };
        // What the template holds, each with the name CloudFormation gives it.
        Ok(stack
            .template
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(logical_id, resource)| StackResource {
                logical_id: logical_id.clone(),
                resource_type: resource["Type"].as_str().unwrap_or_default().to_string(),
                physical_id: Some(if logical_id == &stack.role_logical_id {
                    role_name_for(name, logical_id)
                } else {
                    format!("{name}-{logical_id}-DEMO0F4C3A2E")
                }),
            })
            .collect())
    }

    async fn change_sets(&self, stack: &str) -> Result<Vec<String>, AwsError> {
        self.call("cloudformation:ListChangeSets")?;
        Ok(lock(&self.stacks)
            .get(stack)
            .map(|s| s.change_sets.keys().cloned().collect())
            .unwrap_or_default())
    }

    async fn delete_stack(&self, name: &str) -> Result<(), AwsError> {
        let now = self.call("cloudformation:DeleteStack")?;
        if let Some(stack) = lock(&self.stacks).get_mut(name) {
            stack.deleted_at.get_or_insert(now);
        }
        Ok(())
    }
}

/// A fixed, plainly fake identity.
pub struct FakeIdentity;

impl Identity for FakeIdentity {
    async fn caller(&self) -> Result<Caller, AwsError> {
        Ok(Caller {
            account: FAKE_ACCOUNT.into(),
            arn: format!("arn:aws:iam::{FAKE_ACCOUNT}:user/demo"),
        })
    }
}

#[derive(Default)]
struct FakeRole {
    info: Option<RoleInfo>,
    policies: BTreeMap<String, Value>,
    /// Attached managed policies: ARN and document.
    attached: BTreeMap<String, Value>,
    instance_profiles: Vec<String>,
}

/// IAM in memory. `refuse` makes one action fail, to exercise clean-up. Clones share one IAM,
/// so scripted stacks can make their roles in it.
#[derive(Default, Clone)]
pub struct MemoryRoles {
    roles: std::sync::Arc<Mutex<BTreeMap<String, FakeRole>>>,
    refused: std::sync::Arc<Mutex<Vec<String>>>,
    /// Changing calls left before every call fails as a lost connection: a process killed at
    /// that point, as far as AWS can tell.
    lives: std::sync::Arc<Mutex<Option<u64>>>,
}

impl MemoryRoles {
    /// Adds a role as if it had been made earlier (by hand, or by another tool).
    pub fn insert(&self, name: &str, trust_policy: Value, tags: Vec<(String, String)>) {
        let info = RoleInfo {
            name: name.to_string(),
            arn: format!("arn:aws:iam::{FAKE_ACCOUNT}:role/{name}"),
            trust_policy,
            tags,
            permissions_boundary: None,
        };
        lock(&self.roles).insert(
            name.to_string(),
            FakeRole {
                info: Some(info),
                ..FakeRole::default()
            },
        );
    }

    /// Attaches a managed policy (ARN and document) to a role inserted earlier.
    pub fn attach(&self, role: &str, arn: &str, document: Value) {
        if let Some(entry) = lock(&self.roles).get_mut(role) {
            entry.attached.insert(arn.to_string(), document);
        }
    }

    /// Puts a role inserted earlier in an instance profile.
    pub fn add_to_instance_profile(&self, role: &str, profile: &str) {
        if let Some(entry) = lock(&self.roles).get_mut(role) {
            entry.instance_profiles.push(profile.to_string());
        }
    }

    /// Gives a role inserted earlier a permissions boundary.
    pub fn set_boundary(&self, role: &str, arn: &str) {
        if let Some(info) = lock(&self.roles)
            .get_mut(role)
            .and_then(|r| r.info.as_mut())
        {
            info.permissions_boundary = Some(arn.to_string());
        }
    }

    /// Puts an inline policy on a role inserted earlier, as if made by hand.
    pub fn put_inline(&self, role: &str, name: &str, document: Value) {
        if let Some(entry) = lock(&self.roles).get_mut(role) {
            entry.policies.insert(name.to_string(), document);
        }
    }

    /// The role's trust policy and inline policies as they stand.
    pub fn snapshot(&self, role: &str) -> Option<(Value, BTreeMap<String, Value>)> {
        lock(&self.roles).get(role).and_then(|r| {
            r.info
                .as_ref()
                .map(|i| (i.trust_policy.clone(), r.policies.clone()))
        })
    }

    fn remove(&self, role: &str) {
        lock(&self.roles).remove(role);
    }

    /// After `changes` more changing calls, every call fails as a lost connection (what a
    /// process killed there leaves in AWS); `None` lets calls through again.
    pub fn die_after(&self, changes: Option<u64>) {
        *lock(&self.lives) = changes;
    }

    /// Every later call of `action` (such as `iam:PutRolePolicy`) is refused with AccessDenied.
    pub fn refuse(&self, action: &str) {
        lock(&self.refused).push(action.to_string());
    }

    pub fn role_names(&self) -> Vec<String> {
        lock(&self.roles).keys().cloned().collect()
    }

    fn check(&self, action: &str) -> Result<(), AwsError> {
        if let Some(lives) = lock(&self.lives).as_mut() {
            let operation = action.rsplit(':').next().unwrap_or(action);
            let reading = ["Get", "List"].iter().any(|r| operation.starts_with(r));
            if *lives == 0 {
                return Err(AwsError::Network {
                    action: action.to_string(),
                    message: "the process was killed".into(),
                });
            }
            if !reading {
                *lives -= 1;
            }
        }
        if lock(&self.refused).iter().any(|a| a == action) {
            return Err(AwsError::AccessDenied {
                action: action.to_string(),
                message: format!(
                    "User: arn:aws:iam::{FAKE_ACCOUNT}:user/demo is not authorized to perform: {action}"
                ),
            });
        }
        Ok(())
    }
}

fn no_such_role(action: &str, role: &str) -> AwsError {
    AwsError::Service {
        action: action.into(),
        code: "NoSuchEntity".into(),
        message: format!("The role with name {role} cannot be found."),
    }
}

impl Roles for MemoryRoles {
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError> {
        self.check("iam:GetRole")?;
        let roles = lock(&self.roles);
        Ok(roles
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, r)| r.info.clone()))
    }

    async fn create_role(&self, request: &RoleCreate) -> Result<String, AwsError> {
        self.check("iam:CreateRole")?;
        let mut roles = lock(&self.roles);
        if roles.keys().any(|k| k.eq_ignore_ascii_case(&request.name)) {
            return Err(AwsError::Service {
                action: "iam:CreateRole".into(),
                code: "EntityAlreadyExists".into(),
                message: format!("Role with name {} already exists.", request.name),
            });
        }
        let arn = format!(
            "arn:aws:iam::{FAKE_ACCOUNT}:role{}{}",
            request.path, request.name
        );
        let info = RoleInfo {
            name: request.name.clone(),
            arn: arn.clone(),
            trust_policy: serde_json::from_str(&request.trust_policy).unwrap_or(Value::Null),
            tags: request.tags.clone(),
            permissions_boundary: None,
        };
        roles.insert(
            request.name.clone(),
            FakeRole {
                info: Some(info),
                ..FakeRole::default()
            },
        );
        Ok(arn)
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        self.check("iam:PutRolePolicy")?;
        let mut roles = lock(&self.roles);
        let entry = roles
            .get_mut(role)
            .ok_or_else(|| no_such_role("iam:PutRolePolicy", role))?;
        entry.policies.insert(
            policy_name.into(),
            serde_json::from_str(document).unwrap_or(Value::Null),
        );
        Ok(())
    }

    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, AwsError> {
        self.check("iam:ListRolePolicies")?;
        let roles = lock(&self.roles);
        let entry = roles
            .get(role)
            .ok_or_else(|| no_such_role("iam:ListRolePolicies", role))?;
        Ok(entry.policies.keys().cloned().collect())
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Value, AwsError> {
        self.check("iam:GetRolePolicy")?;
        let roles = lock(&self.roles);
        roles
            .get(role)
            .and_then(|r| r.policies.get(policy_name).cloned())
            .ok_or_else(|| no_such_role("iam:GetRolePolicy", role))
    }

    async fn update_trust_policy(&self, role: &str, document: &str) -> Result<(), AwsError> {
        self.check("iam:UpdateAssumeRolePolicy")?;
        let mut roles = lock(&self.roles);
        let info = roles
            .get_mut(role)
            .and_then(|r| r.info.as_mut())
            .ok_or_else(|| no_such_role("iam:UpdateAssumeRolePolicy", role))?;
        info.trust_policy = serde_json::from_str(document).unwrap_or(Value::Null);
        Ok(())
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), AwsError> {
        self.check("iam:DeleteRolePolicy")?;
        let mut roles = lock(&self.roles);
        roles.get_mut(role).map(|r| r.policies.remove(policy_name));
        Ok(())
    }

    async fn delete_role(&self, role: &str) -> Result<(), AwsError> {
        self.check("iam:DeleteRole")?;
        let mut roles = lock(&self.roles);
        match roles.get(role) {
            Some(r) if !r.policies.is_empty() => Err(AwsError::Service {
                action: "iam:DeleteRole".into(),
                code: "DeleteConflict".into(),
                message: "Cannot delete entity, must delete policies first.".into(),
            }),
            Some(_) => {
                roles.remove(role);
                Ok(())
            }
            None => Err(no_such_role("iam:DeleteRole", role)),
        }
    }

    async fn attached_policies(&self, role: &str) -> Result<Vec<(String, String)>, AwsError> {
        self.check("iam:ListAttachedRolePolicies")?;
        let roles = lock(&self.roles);
        let entry = roles
            .get(role)
            .ok_or_else(|| no_such_role("iam:ListAttachedRolePolicies", role))?;
        Ok(entry
            .attached
            .keys()
            .map(|arn| {
                (
                    arn.rsplit('/').next().unwrap_or(arn).to_string(),
                    arn.clone(),
                )
            })
            .collect())
    }

    async fn managed_policy_document(&self, arn: &str) -> Result<Value, AwsError> {
        self.check("iam:GetPolicyVersion")?;
        lock(&self.roles)
            .values()
            .find_map(|r| r.attached.get(arn).cloned())
            .ok_or_else(|| AwsError::Service {
                action: "iam:GetPolicy".into(),
                code: "NoSuchEntity".into(),
                message: format!("Policy {arn} was not found."),
            })
    }

    async fn instance_profiles(&self, role: &str) -> Result<Vec<String>, AwsError> {
        self.check("iam:ListInstanceProfilesForRole")?;
        Ok(lock(&self.roles)
            .get(role)
            .map(|r| r.instance_profiles.clone())
            .unwrap_or_default())
    }

    async fn list_roles(&self) -> Result<Vec<RoleListing>, AwsError> {
        self.check("iam:ListRoles")?;
        Ok(lock(&self.roles)
            .values()
            .filter_map(|r| r.info.as_ref())
            .map(|i| RoleListing {
                name: i.name.clone(),
                arn: i.arn.clone(),
                trust_policy: i.trust_policy.clone(),
            })
            .collect())
    }
}

/// The demo account: plainly fake (account 000000000000, nothing leaves the machine). A stack
/// takes about 20 s with its resources appearing one by one; a stack whose name contains
/// "rollback" fails and rolls back with its reasons; two roles are there to verify, one of them
/// trusting Segment with no external ID (the confused-deputy risk); the pickers list a few
/// buckets, functions, streams, delivery streams and keys (`FakeResources::demo`); and a small
/// organization for StackSets (`demo_organization`).
pub fn demo_connect() -> super::Connect<FakeIdentity, ScriptedStacks, MemoryRoles> {
    let stacks = std::sync::Arc::new(ScriptedStacks::new(Script::success(20.0)));
    stacks.script_when_named("rollback", Script::rollback(12.0));
    let roles = std::sync::Arc::new(MemoryRoles::default());
    stacks.make_roles_in(roles.as_ref().clone());
    let segment = |principal: &str| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        ]})
    };
    roles.insert(
        "legacy-segment-role",
        segment("arn:aws:iam::458175278816:root"),
        Vec::new(),
    );
    roles.insert(
        "lambda-execution-role",
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]}),
        Vec::new(),
    );
    roles.insert(
        crate::model::stackset::ADMINISTRATION_ROLE,
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]}),
        Vec::new(),
    );
    let resources: std::sync::Arc<dyn super::Resources> =
        std::sync::Arc::new(FakeResources::demo());
    let stack_sets: std::sync::Arc<dyn super::StackSets> = std::sync::Arc::new(demo_organization());
    std::sync::Arc::new(move |profile, _region| {
        let (stacks, roles, resources, stack_sets) = (
            stacks.clone(),
            roles.clone(),
            resources.clone(),
            stack_sets.clone(),
        );
        Box::pin(async move {
            Ok(super::Connection {
                identity: std::sync::Arc::new(FakeIdentity),
                stacks,
                roles,
                resources,
                stack_sets,
                region: "us-east-1".into(),
                profile,
            })
        })
    })
}

/// The demo account's organization: `ou-demo-development` holds accounts 000000000001 and
/// 000000000002, `ou-demo-production` holds 000000000003 and 000000000004 (plainly fake IDs). The
/// demo account itself (000000000000) is the management account, with AWS's StackSet
/// administration role. An instance takes 8 s, one starting every 1.5 s; account 000000000004
/// fails once (its execution role is missing), so a retry shows how failures are run again.
pub fn demo_organization() -> ScriptedStackSets {
    let sets = ScriptedStackSets::new(Duration::from_secs(8), Duration::from_millis(1500));
    sets.org_unit("ou-demo-development", &DEMO_ACCOUNTS[..2]);
    sets.org_unit("ou-demo-production", &DEMO_ACCOUNTS[2..]);
    sets.org_unit("r-demo", &DEMO_ACCOUNTS);
    sets.fail(
        DEMO_ACCOUNTS[3],
        &format!(
            "Account {} should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'.",
            DEMO_ACCOUNTS[3]
        ),
        false,
    );
    sets
}

/// The demo organization's member accounts.
pub const DEMO_ACCOUNTS: [&str; 4] = [
    "000000000001",
    "000000000002",
    "000000000003",
    "000000000004",
];

/// What the pickers list, in memory: per kind and region (buckets: the whole account, under
/// ""), a kind AWS refuses, and a delay before each answer.
#[derive(Default)]
pub struct FakeResources {
    listings: std::sync::Mutex<
        std::collections::BTreeMap<
            (crate::model::picker::ResourceKind, String),
            Vec<crate::model::picker::Resource>,
        >,
    >,
    denied: std::sync::Mutex<std::collections::BTreeSet<crate::model::picker::ResourceKind>>,
    delay: std::sync::Mutex<Duration>,
    /// How many listings were asked for: once per step, not per key.
    pub calls: std::sync::atomic::AtomicUsize,
}

impl FakeResources {
    /// Adds a resource; `region` is a bucket's own region, or the region a regional one is in.
    pub fn add(&self, kind: crate::model::picker::ResourceKind, region: &str, name: &str) {
        use crate::model::picker::ResourceKind::*;
        let (key, value, bucket_region) = match kind {
            Buckets => (String::new(), name.to_string(), Some(region.to_string())),
            Functions => (
                region.to_string(),
                format!("arn:aws:lambda:{region}:{FAKE_ACCOUNT}:function:{name}"),
                None,
            ),
            Streams => (
                region.to_string(),
                format!("arn:aws:kinesis:{region}:{FAKE_ACCOUNT}:stream/{name}"),
                None,
            ),
            DeliveryStreams => (
                region.to_string(),
                format!("arn:aws:firehose:{region}:{FAKE_ACCOUNT}:deliverystream/{name}"),
                None,
            ),
            OrgTargets => {
                self.add_org_target(if name.starts_with("ou-") || name.starts_with("r-") {
                    crate::model::picker::org_unit(name, region)
                } else {
                    crate::model::picker::org_account(name, region)
                });
                return;
            }
            KmsKeys => {
                // A key's ID is a UUID; derive a stable one from the alias.
                let digits: String = name
                    .bytes()
                    .map(|b| format!("{:x}", b % 16))
                    .cycle()
                    .take(32)
                    .collect();
                let id = format!(
                    "{}-{}-{}-{}-{}",
                    &digits[..8],
                    &digits[8..12],
                    &digits[12..16],
                    &digits[16..20],
                    &digits[20..]
                );
                (
                    region.to_string(),
                    format!("arn:aws:kms:{region}:{FAKE_ACCOUNT}:key/{id}"),
                    None,
                )
            }
        };
        if let Ok(mut listings) = self.listings.lock() {
            listings
                .entry((kind, key))
                .or_default()
                .push(crate::model::picker::Resource {
                    name: name.to_string(),
                    value,
                    region: bucket_region,
                });
        }
    }

    /// A unit or account of the organization, in the listing's order.
    fn add_org_target(&self, target: crate::model::picker::Resource) {
        if let Ok(mut listings) = self.listings.lock() {
            listings
                .entry((
                    crate::model::picker::ResourceKind::OrgTargets,
                    String::new(),
                ))
                .or_default()
                .push(target);
        }
    }

    /// AWS refuses to list this kind (AccessDenied).
    pub fn deny(&self, kind: crate::model::picker::ResourceKind) {
        if let Ok(mut denied) = self.denied.lock() {
            denied.insert(kind);
        }
    }

    /// Every answer takes this long.
    pub fn slow(&self, delay: Duration) {
        if let Ok(mut d) = self.delay.lock() {
            *d = delay;
        }
    }

    /// The demo account's resources: a few of each kind, buckets in three regions.
    pub fn demo() -> FakeResources {
        use crate::model::picker::ResourceKind::*;
        let resources = FakeResources::default();
        for (bucket, region) in [
            ("acme-events-archive", "us-east-1"),
            ("acme-segment-logs", "us-west-2"),
            ("acme-eu-exports", "eu-west-1"),
        ] {
            resources.add(Buckets, region, bucket);
        }
        for (function, region) in [
            ("segment-event-handler", "us-east-1"),
            ("enrich-profile", "us-east-1"),
            ("personalize-events-forwarder", "us-west-2"),
            ("segment-event-handler", "us-west-2"),
        ] {
            resources.add(Functions, region, function);
        }
        for stream in ["segment-events", "clickstream"] {
            resources.add(Streams, "us-east-1", stream);
        }
        for stream in ["segment-to-s3", "pageviews-to-redshift"] {
            resources.add(DeliveryStreams, "us-east-1", stream);
        }
        for key in ["alias/segment-exports", "alias/data-lake"] {
            resources.add(KmsKeys, "us-east-1", key);
        }
        // The organization (`demo_organization`): units with their paths, accounts with names.
        for (id, where_or_name) in [
            ("r-demo", "Root"),
            ("ou-demo-development", "Root / Development"),
            ("ou-demo-production", "Root / Production"),
            (FAKE_ACCOUNT, "management"),
            (DEMO_ACCOUNTS[0], "dev"),
            (DEMO_ACCOUNTS[1], "staging"),
            (DEMO_ACCOUNTS[2], "prod-eu"),
            (DEMO_ACCOUNTS[3], "prod-us"),
        ] {
            resources.add(OrgTargets, where_or_name, id);
        }
        resources
    }
}

impl super::Resources for FakeResources {
    fn list<'a>(
        &'a self,
        kind: crate::model::picker::ResourceKind,
        region: &'a str,
        _account: &'a str,
    ) -> super::Listed<'a> {
        Box::pin(async move {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let delay = self.delay.lock().map(|d| *d).unwrap_or_default();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if self.denied.lock().is_ok_and(|d| d.contains(&kind)) {
                return Err(AwsError::AccessDenied {
                    action: kind.permission().to_string(),
                    message: format!(
                        "User: arn:aws:iam::{FAKE_ACCOUNT}:user/demo is not authorized to perform: {}",
                        kind.permission()
                    ),
                });
            }
            let key = if kind.is_regional() { region } else { "" };
            Ok(self
                .listings
                .lock()
                .ok()
                .and_then(|l| l.get(&(kind, key.to_string())).cloned())
                .unwrap_or_default())
        })
    }
}

/// One instance of a fake stack set: when its current operation started on it, how it ends.
#[derive(Debug, Clone)]
struct FakeInstance {
    /// When the current operation reaches it, and when that is over.
    starts: Instant,
    ends: Instant,
    outcome: Result<(), String>,
    deleting: bool,
    /// The template and parameters the operation deploys (what the member's role becomes).
    template: Value,
    parameters: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
struct FakeStackSet {
    info: super::StackSetInfo,
    instances: BTreeMap<(String, String), FakeInstance>,
    /// Operation ID → when it is over and whether it failed.
    operations: BTreeMap<String, (Instant, bool)>,
}

/// Stack sets on tokio's clock, for what moto can't show: instances appearing one by one,
/// accounts that fail with a reason (once, or every time), retries, and how many calls the
/// watcher makes. Organizational units hold the accounts their instances go to.
pub struct ScriptedStackSets {
    sets: Mutex<BTreeMap<String, FakeStackSet>>,
    /// How long one instance takes, and the gap between two instances' starts.
    takes: Duration,
    stagger: Duration,
    /// Account → the reason its instance fails, and whether it fails on retries too.
    failing: Mutex<BTreeMap<String, (String, bool)>>,
    org_units: Mutex<BTreeMap<String, Vec<String>>>,
    next_operation: AtomicU64,
    /// Every call, for the calls-a-minute figure.
    pub calls: AtomicU64,
    /// The next this many ListStackInstances get no answer (a lost connection).
    unanswered: AtomicU64,
    /// Where a succeeded instance's role appears (each account's IAM), when set.
    members: Mutex<Option<std::sync::Arc<FakeMembers>>>,
    /// How many operations were started, for tests that cut a run at each one.
    pub operations_started: AtomicU64,
}

impl ScriptedStackSets {
    pub fn new(takes: Duration, stagger: Duration) -> ScriptedStackSets {
        ScriptedStackSets {
            sets: Mutex::new(BTreeMap::new()),
            takes,
            stagger,
            failing: Mutex::new(BTreeMap::new()),
            org_units: Mutex::new(BTreeMap::new()),
            next_operation: AtomicU64::new(1),
            calls: AtomicU64::new(0),
            unanswered: AtomicU64::new(0),
            members: Mutex::new(None),
            operations_started: AtomicU64::new(0),
        }
    }

    /// Succeeded instances make (or change) their role in these member accounts' IAM, as
    /// CloudFormation does in each account; deleted ones remove it.
    pub fn make_roles_in(&self, members: std::sync::Arc<FakeMembers>) {
        *lock(&self.members) = Some(members);
    }

    /// The role an instance's template and parameters make, in its account's IAM.
    fn sync_member_role(&self, account: &str, instance: &FakeInstance, now: Instant) {
        let Some(members) = lock(&self.members).clone() else {
            return;
        };
        if now < instance.ends || instance.outcome.is_err() {
            return;
        }
        let iam = members.account(account);
        let template = &instance.template;
        let Some((logical, role)) = template
            .get("Resources")
            .and_then(Value::as_object)
            .and_then(|r| r.iter().find(|(_, v)| v["Type"] == ROLE_TYPE))
        else {
            return;
        };
        let name = role["Properties"]["RoleName"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("{account}-{logical}"));
        if instance.deleting {
            iam.remove(&name);
            return;
        }
        let resolve = |value: &Value| resolve_refs(value, &instance.parameters, template);
        let trust = resolve(&role["Properties"]["AssumeRolePolicyDocument"]);
        if iam
            .snapshot(&name)
            .is_some_and(|(current, _)| current == trust)
        {
            return;
        }
        iam.insert(&name, trust, crate::model::template::role_tags(template));
        for resource in template
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|r| r.values())
            .filter(|r| r["Type"] == POLICY_TYPE)
        {
            let policy = resource["Properties"]["PolicyName"]
                .as_str()
                .unwrap_or("policy");
            iam.put_inline(
                &name,
                policy,
                resolve(&resource["Properties"]["PolicyDocument"]),
            );
        }
    }

    /// The next `polls` listings of instances get no answer, as over a lost connection.
    pub fn lose_connection(&self, polls: u64) {
        self.unanswered.store(polls, Ordering::SeqCst);
    }

    /// This account's instance fails with `reason` (on every try when `always`, else once).
    pub fn fail(&self, account: &str, reason: &str, always: bool) {
        if let Ok(mut failing) = self.failing.lock() {
            failing.insert(account.to_string(), (reason.to_string(), always));
        }
    }

    /// An organizational unit and its accounts.
    pub fn org_unit(&self, id: &str, accounts: &[&str]) {
        if let Ok(mut units) = self.org_units.lock() {
            units.insert(
                id.to_string(),
                accounts.iter().map(|a| a.to_string()).collect(),
            );
        }
    }

    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }

    /// When an instance's current operation is over (by the script): what a benchmark compares
    /// the moment the watcher shows it with.
    pub fn ends_at(&self, stack_set: &str, account: &str, region: &str) -> Option<Instant> {
        let sets = self.sets.lock().ok()?;
        sets.get(stack_set)?
            .instances
            .get(&(account.to_string(), region.to_string()))
            .map(|instance| instance.ends)
    }

    /// Starts an operation on these account × region pairs; returns its ID.
    fn operate(
        &self,
        name: &str,
        targets: &super::InstanceTargets,
        deleting: bool,
    ) -> Result<String, AwsError> {
        self.operations_started.fetch_add(1, Ordering::SeqCst);
        let accounts: Vec<String> = if targets.org_units.is_empty() {
            targets.accounts.clone()
        } else {
            let units = self.org_units.lock().map(|u| u.clone()).unwrap_or_default();
            let mut all: Vec<String> = Vec::new();
            for unit in &targets.org_units {
                for account in units.get(unit).cloned().unwrap_or_default() {
                    if !all.contains(&account) {
                        all.push(account);
                    }
                }
            }
            all
        };
        let mut sets = self.sets.lock().map_err(|_| poisoned())?;
        let set = sets.get_mut(name).ok_or_else(|| missing_stack_set(name))?;
        let now = Instant::now();
        // As AWS: one operation at a time per stack set.
        if set.operations.values().any(|(ends, _)| *ends > now) {
            return Err(AwsError::Service {
                action: "cloudformation:CreateStackInstances".into(),
                code: "OperationInProgressException".into(),
                message: format!("Another Operation on StackSet {name} is in progress"),
            });
        }
        let mut failing = self.failing.lock().map_err(|_| poisoned())?;
        let mut last = now;
        let mut any_failed = false;
        let mut index = 0u32;
        for account in &accounts {
            for region in &targets.regions {
                let starts = now + self.stagger * index;
                let ends = starts + self.takes;
                index += 1;
                last = last.max(ends);
                let outcome = match failing.get(account).cloned() {
                    Some((reason, always)) if !deleting => {
                        if !always {
                            failing.remove(account);
                        }
                        any_failed = true;
                        Err(reason)
                    }
                    _ => Ok(()),
                };
                let template = serde_json::from_str(&set.info.template_body).unwrap_or(Value::Null);
                set.instances.insert(
                    (account.clone(), region.clone()),
                    FakeInstance {
                        starts,
                        ends,
                        outcome,
                        deleting,
                        template,
                        parameters: set.info.parameters.clone(),
                    },
                );
            }
        }
        let id = format!("op-{}", self.next_operation.fetch_add(1, Ordering::SeqCst));
        let tolerated = targets.preferences.failure_tolerance_percent >= 100;
        set.operations
            .insert(id.clone(), (last, any_failed && !tolerated));
        Ok(id)
    }
}

fn poisoned() -> AwsError {
    AwsError::Network {
        action: "fake".into(),
        message: "lock poisoned".into(),
    }
}

fn missing_stack_set(name: &str) -> AwsError {
    AwsError::Service {
        action: "cloudformation:DescribeStackSet".into(),
        code: "StackSetNotFoundException".into(),
        message: format!("StackSet {name} not found"),
    }
}

impl super::StackSets for ScriptedStackSets {
    fn create_stack_set<'a>(&'a self, request: &'a super::StackSetCreate) -> super::Answer<'a, ()> {
        Box::pin(async move {
            self.count();
            let mut sets = self.sets.lock().map_err(|_| poisoned())?;
            if sets.contains_key(&request.name) {
                return Err(AwsError::Service {
                    action: "cloudformation:CreateStackSet".into(),
                    code: "NameAlreadyExistsException".into(),
                    message: format!("StackSet {} already exists", request.name),
                });
            }
            sets.insert(
                request.name.clone(),
                FakeStackSet {
                    info: super::StackSetInfo {
                        name: request.name.clone(),
                        status: "ACTIVE".into(),
                        permission_model: request.permission_model.clone(),
                        tags: request.tags.clone(),
                        parameters: request.parameters.clone(),
                        template_body: request.template_body.clone(),
                    },
                    instances: BTreeMap::new(),
                    operations: BTreeMap::new(),
                },
            );
            Ok(())
        })
    }

    fn describe_stack_set<'a>(
        &'a self,
        name: &'a str,
    ) -> super::Answer<'a, Option<super::StackSetInfo>> {
        Box::pin(async move {
            self.count();
            let sets = self.sets.lock().map_err(|_| poisoned())?;
            // As CloudFormation shows them: a NoEcho parameter's value is masked.
            Ok(sets.get(name).map(|set| {
                let mut info = set.info.clone();
                let template: Value =
                    serde_json::from_str(&info.template_body).unwrap_or(Value::Null);
                for (key, value) in &mut info.parameters {
                    if template["Parameters"][key.as_str()]["NoEcho"] == Value::Bool(true) {
                        *value = "****".into();
                    }
                }
                info
            }))
        })
    }

    fn create_instances<'a>(
        &'a self,
        targets: &'a super::InstanceTargets,
    ) -> super::Answer<'a, String> {
        Box::pin(async move {
            self.count();
            self.operate(&targets.stack_set, targets, false)
        })
    }

    /// A retry is one more operation on those instances, as a create is.
    fn rerun_instances<'a>(
        &'a self,
        targets: &'a super::InstanceTargets,
    ) -> super::Answer<'a, String> {
        self.create_instances(targets)
    }

    fn describe_operation<'a>(
        &'a self,
        stack_set: &'a str,
        operation: &'a str,
    ) -> super::Answer<'a, super::OperationInfo> {
        Box::pin(async move {
            self.count();
            let sets = self.sets.lock().map_err(|_| poisoned())?;
            let set = sets
                .get(stack_set)
                .ok_or_else(|| missing_stack_set(stack_set))?;
            let (ends, failed) =
                set.operations
                    .get(operation)
                    .copied()
                    .ok_or_else(|| AwsError::Service {
                        action: "cloudformation:DescribeStackSetOperation".into(),
                        code: "OperationNotFoundException".into(),
                        message: format!("operation {operation} not found"),
                    })?;
            let status = match (Instant::now() >= ends, failed) {
                (false, _) => "RUNNING",
                (true, false) => "SUCCEEDED",
                (true, true) => "FAILED",
            };
            Ok(super::OperationInfo {
                status: status.into(),
                reason: (status == "FAILED").then(|| {
                    "The Operation failed: accounts failed beyond the failure tolerance".into()
                }),
            })
        })
    }

    fn list_instances<'a>(
        &'a self,
        stack_set: &'a str,
    ) -> super::Answer<'a, Vec<crate::model::stackset::InstanceRow>> {
        Box::pin(async move {
            self.count();
            if self
                .unanswered
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(AwsError::Network {
                    action: "cloudformation:ListStackInstances".into(),
                    message: "connection reset".into(),
                });
            }
            let mut sets = self.sets.lock().map_err(|_| poisoned())?;
            let set = sets
                .get_mut(stack_set)
                .ok_or_else(|| missing_stack_set(stack_set))?;
            let now = Instant::now();
            for ((account, _), instance) in &set.instances {
                self.sync_member_role(account, instance, now);
            }
            // A deleted instance is gone once its operation reached it.
            set.instances
                .retain(|_, instance| !(instance.deleting && now >= instance.ends));
            Ok(set
                .instances
                .iter()
                .map(|((account, region), instance)| {
                    let (status, reason) = if now < instance.starts {
                        ("PENDING", None)
                    } else if now < instance.ends {
                        ("RUNNING", None)
                    } else {
                        match &instance.outcome {
                            Ok(()) => ("SUCCEEDED", None),
                            Err(reason) => ("FAILED", Some(reason.clone())),
                        }
                    };
                    crate::model::stackset::InstanceRow {
                        account: account.clone(),
                        region: region.clone(),
                        status: status.into(),
                        reason,
                    }
                })
                .collect())
        })
    }

    fn delete_instances<'a>(
        &'a self,
        targets: &'a super::InstanceTargets,
    ) -> super::Answer<'a, String> {
        Box::pin(async move {
            self.count();
            self.operate(&targets.stack_set, targets, true)
        })
    }

    /// Every instance gets the new template and parameters, in one operation.
    fn update_stack_set<'a>(
        &'a self,
        request: &'a super::StackSetUpdate,
    ) -> super::Answer<'a, String> {
        Box::pin(async move {
            self.count();
            let targets = {
                let mut sets = self.sets.lock().map_err(|_| poisoned())?;
                let set = sets
                    .get_mut(&request.name)
                    .ok_or_else(|| missing_stack_set(&request.name))?;
                let now = Instant::now();
                if set.operations.values().any(|(ends, _)| *ends > now) {
                    return Err(AwsError::Service {
                        action: "cloudformation:UpdateStackSet".into(),
                        code: "OperationInProgressException".into(),
                        message: format!(
                            "Another Operation on StackSet {} is in progress",
                            request.name
                        ),
                    });
                }
                set.info.template_body = request.template_body.clone();
                set.info.parameters = request.parameters.clone();
                let keys: Vec<(String, String)> = set.instances.keys().cloned().collect();
                super::InstanceTargets {
                    stack_set: request.name.clone(),
                    accounts: keys
                        .iter()
                        .map(|(a, _)| a.clone())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                    org_units: Vec::new(),
                    regions: keys
                        .iter()
                        .map(|(_, r)| r.clone())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                    preferences: request.preferences,
                }
            };
            self.operate(&request.name, &targets, false)
        })
    }

    fn delete_stack_set<'a>(&'a self, name: &'a str) -> super::Answer<'a, ()> {
        Box::pin(async move {
            self.count();
            let mut sets = self.sets.lock().map_err(|_| poisoned())?;
            match sets.get(name) {
                Some(set) if !set.instances.is_empty() => Err(AwsError::Service {
                    action: "cloudformation:DeleteStackSet".into(),
                    code: "StackSetNotEmptyException".into(),
                    message: format!("StackSet {name} still has instances"),
                }),
                Some(_) => {
                    sets.remove(name);
                    Ok(())
                }
                None => Err(missing_stack_set(name)),
            }
        })
    }
}

/// Member accounts in memory: each one's IAM (clones share it), and those whose access role
/// can't be assumed.
#[derive(Default)]
pub struct FakeMembers {
    accounts: Mutex<BTreeMap<String, MemoryRoles>>,
    closed: Mutex<Vec<String>>,
}

impl FakeMembers {
    /// The IAM of a member account (made empty on first use).
    pub fn account(&self, id: &str) -> MemoryRoles {
        lock(&self.accounts)
            .entry(id.to_string())
            .or_default()
            .clone()
    }

    /// Assuming a role in this account is refused, as when the caller isn't trusted there.
    pub fn close(&self, id: &str) {
        lock(&self.closed).push(id.to_string());
    }
}

impl super::Members for FakeMembers {
    type Roles = MemoryRoles;

    async fn enter(&self, account: &str, through: &str) -> Result<MemoryRoles, AwsError> {
        let arn = crate::model::stackset::role_arn(account, through);
        if lock(&self.closed).iter().any(|a| a == account) {
            return Err(AwsError::AccessDenied {
                action: "sts:AssumeRole".into(),
                message: format!(
                    "User: arn:aws:iam::{FAKE_ACCOUNT}:user/demo is not authorized to perform: sts:AssumeRole on resource: {arn}"
                ),
            });
        }
        Ok(self.account(account))
    }
}
