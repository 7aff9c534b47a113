//! Fake StackSets: instances per account and region, operations that take time and fail where told.

use super::members::*;
use super::script::*;
use super::template::*;
use crate::aws::AwsError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// One instance of a fake stack set: when its current operation started on it, how it ends.
#[derive(Debug, Clone)]
pub(super) struct FakeInstance {
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
pub(super) struct FakeStackSet {
    info: crate::aws::StackSetInfo,
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
        targets: &crate::aws::InstanceTargets,
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

pub(super) fn poisoned() -> AwsError {
    AwsError::Network {
        action: "fake".into(),
        message: "lock poisoned".into(),
    }
}

pub(super) fn missing_stack_set(name: &str) -> AwsError {
    AwsError::Service {
        action: "cloudformation:DescribeStackSet".into(),
        code: "StackSetNotFoundException".into(),
        message: format!("StackSet {name} not found"),
    }
}

#[async_trait::async_trait]
impl crate::aws::StackSets for ScriptedStackSets {
    async fn create_stack_set(&self, request: &crate::aws::StackSetCreate) -> Result<(), AwsError> {
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
                info: crate::aws::StackSetInfo {
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
    }

    async fn describe_stack_set(
        &self,
        name: &str,
    ) -> Result<Option<crate::aws::StackSetInfo>, AwsError> {
        self.count();
        let sets = self.sets.lock().map_err(|_| poisoned())?;
        // As CloudFormation shows them: a NoEcho parameter's value is masked.
        Ok(sets.get(name).map(|set| {
            let mut info = set.info.clone();
            let template: Value = serde_json::from_str(&info.template_body).unwrap_or(Value::Null);
            for (key, value) in &mut info.parameters {
                if template["Parameters"][key.as_str()]["NoEcho"] == Value::Bool(true) {
                    *value = "****".into();
                }
            }
            info
        }))
    }

    async fn create_instances(
        &self,
        targets: &crate::aws::InstanceTargets,
    ) -> Result<String, AwsError> {
        self.count();
        self.operate(&targets.stack_set, targets, false)
    }

    /// A retry is one more operation on those instances, as a create is.
    async fn rerun_instances(
        &self,
        targets: &crate::aws::InstanceTargets,
    ) -> Result<String, AwsError> {
        self.create_instances(targets).await
    }

    async fn describe_operation(
        &self,
        stack_set: &str,
        operation: &str,
    ) -> Result<crate::aws::OperationInfo, AwsError> {
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
        Ok(crate::aws::OperationInfo {
            status: status.into(),
            reason: (status == "FAILED").then(|| {
                "The Operation failed: accounts failed beyond the failure tolerance".into()
            }),
        })
    }

    async fn list_instances(
        &self,
        stack_set: &str,
    ) -> Result<Vec<crate::model::stackset::InstanceRow>, AwsError> {
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
        // AWS answers ListStackInstances a page of 100 at a time: each further page is a call.
        let pages = set
            .instances
            .len()
            .div_ceil(crate::model::stackset::INSTANCES_PER_PAGE) as u64;
        self.calls
            .fetch_add(pages.saturating_sub(1), Ordering::SeqCst);
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
    }

    async fn delete_instances(
        &self,
        targets: &crate::aws::InstanceTargets,
    ) -> Result<String, AwsError> {
        self.count();
        self.operate(&targets.stack_set, targets, true)
    }

    /// Every instance gets the new template and parameters, in one operation.
    async fn update_stack_set(
        &self,
        request: &crate::aws::StackSetUpdate,
    ) -> Result<String, AwsError> {
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
            crate::aws::InstanceTargets {
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
    }

    async fn delete_stack_set(&self, name: &str) -> Result<(), AwsError> {
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
    }
}
