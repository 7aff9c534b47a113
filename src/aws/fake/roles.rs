//! The fake caller and an in-memory IAM that can be told to refuse a call or to die after a number
//! of changes (a kill as AWS sees it).

use super::script::*;
use crate::aws::{AwsError, Caller, Identity, RoleCreate, RoleInfo, RoleListing, Roles};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A fixed, plainly fake identity.
pub struct FakeIdentity;

#[async_trait::async_trait]
impl Identity for FakeIdentity {
    async fn caller(&self) -> Result<Caller, AwsError> {
        Ok(Caller {
            account: FAKE_ACCOUNT.into(),
            arn: format!("arn:aws:iam::{FAKE_ACCOUNT}:user/demo"),
        })
    }
}

#[derive(Default)]
pub(super) struct FakeRole {
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
    /// Every call waits this long first: AWS's round trip, for a benchmark.
    delay: std::sync::Arc<Mutex<std::time::Duration>>,
}

impl MemoryRoles {
    /// Every call from now on waits `by` before it answers (clones share it).
    pub fn delay_calls(&self, by: std::time::Duration) {
        *lock(&self.delay) = by;
    }

    async fn wait(&self) {
        let by = *lock(&self.delay);
        if !by.is_zero() {
            tokio::time::sleep(by).await;
        }
    }

    /// IAM's record of a role's last use, as GetRole answers it.
    pub fn set_last_used(&self, role: &str, used: crate::model::aws_types::LastUsed) {
        if let Some(info) = lock(&self.roles)
            .get_mut(role)
            .and_then(|r| r.info.as_mut())
        {
            info.last_used = Some(used);
        }
    }

    /// Adds a role as if it had been made earlier (by hand, or by another tool).
    pub fn insert(&self, name: &str, trust_policy: Value, tags: Vec<(String, String)>) {
        let info = RoleInfo {
            name: name.to_string(),
            arn: format!("arn:aws:iam::{FAKE_ACCOUNT}:role/{name}"),
            trust_policy,
            tags,
            permissions_boundary: None,
            last_used: None,
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

    pub(super) fn remove(&self, role: &str) {
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

pub(super) fn no_such_role(action: &str, role: &str) -> AwsError {
    AwsError::Service {
        action: action.into(),
        code: "NoSuchEntity".into(),
        message: format!("The role with name {role} cannot be found."),
    }
}

#[async_trait::async_trait]
impl Roles for MemoryRoles {
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError> {
        self.wait().await;
        self.check("iam:GetRole")?;
        let roles = lock(&self.roles);
        Ok(roles
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, r)| r.info.clone()))
    }

    async fn create_role(&self, request: &RoleCreate) -> Result<String, AwsError> {
        self.wait().await;
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
            last_used: None,
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
        self.wait().await;
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
        self.wait().await;
        self.check("iam:ListRolePolicies")?;
        let roles = lock(&self.roles);
        let entry = roles
            .get(role)
            .ok_or_else(|| no_such_role("iam:ListRolePolicies", role))?;
        Ok(entry.policies.keys().cloned().collect())
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Value, AwsError> {
        self.wait().await;
        self.check("iam:GetRolePolicy")?;
        let roles = lock(&self.roles);
        roles
            .get(role)
            .and_then(|r| r.policies.get(policy_name).cloned())
            .ok_or_else(|| no_such_role("iam:GetRolePolicy", role))
    }

    async fn update_trust_policy(&self, role: &str, document: &str) -> Result<(), AwsError> {
        self.wait().await;
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
        self.wait().await;
        self.check("iam:DeleteRolePolicy")?;
        let mut roles = lock(&self.roles);
        roles.get_mut(role).map(|r| r.policies.remove(policy_name));
        Ok(())
    }

    async fn delete_role(&self, role: &str) -> Result<(), AwsError> {
        self.wait().await;
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
        self.wait().await;
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
        self.wait().await;
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
        self.wait().await;
        self.check("iam:ListInstanceProfilesForRole")?;
        Ok(lock(&self.roles)
            .get(role)
            .map(|r| r.instance_profiles.clone())
            .unwrap_or_default())
    }

    async fn list_roles(&self) -> Result<Vec<RoleListing>, AwsError> {
        self.wait().await;
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
