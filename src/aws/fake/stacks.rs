//! Fake CloudFormation: stacks that take time, resources appearing one by one, rollbacks with
//! reasons, change sets previewed and executed, a network that drops for a while.

use super::roles::*;
use super::script::*;
use super::template::*;
use crate::aws::{
    AwsError, ChangeSetInfo, EventPage, ResourceChange, StackCreate, StackEvent, StackInfo,
    StackResource, Stacks,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

pub(super) struct FakeStack {
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
pub(super) type PendingChangeSet = (Value, Vec<(String, String)>, ChangeSetInfo);

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

pub(super) const DELETE_TAKES: Duration = Duration::from_secs(3);

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

pub(super) fn no_such_stack(action: &str, name: &str) -> AwsError {
    AwsError::Service {
        action: action.into(),
        code: "ValidationError".into(),
        message: format!("Stack with id {name} does not exist"),
    }
}

pub(super) fn role_name_for(stack: &str, logical_id: &str) -> String {
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

#[async_trait::async_trait]
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
