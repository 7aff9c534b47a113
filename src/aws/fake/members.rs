//! Entering member accounts: each gets its own fake roles, or is refused where told.

use super::roles::*;
use super::script::*;
use crate::aws::AwsError;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// An organizational unit: its accounts (ID, status) and its child units.
#[derive(Clone, Default)]
struct FakeUnit {
    accounts: Vec<(String, String)>,
    children: Vec<String>,
}

/// Member accounts in memory: each one's IAM (clones share it), and those whose access role
/// can't be assumed.
#[derive(Default)]
pub struct FakeMembers {
    accounts: Mutex<BTreeMap<String, MemoryRoles>>,
    closed: Mutex<Vec<String>>,
    /// Entering an account, and every IAM call in it, waits this long (a benchmark's AWS).
    delay: Mutex<std::time::Duration>,
    /// Organizational units by ID.
    units: Mutex<BTreeMap<String, FakeUnit>>,
}

impl FakeMembers {
    /// The IAM of a member account (made empty on first use).
    pub fn account(&self, id: &str) -> MemoryRoles {
        lock(&self.accounts)
            .entry(id.to_string())
            .or_default()
            .clone()
    }

    /// Every call waits `by` first: sts:AssumeRole here, and IAM in each account entered.
    pub fn delay_calls(&self, by: std::time::Duration) {
        *lock(&self.delay) = by;
    }

    /// An organizational unit with its accounts (ID and status) and its child units.
    pub fn org_unit(&self, id: &str, accounts: &[(&str, &str)], children: &[&str]) {
        lock(&self.units).insert(
            id.to_string(),
            FakeUnit {
                accounts: accounts
                    .iter()
                    .map(|(a, s)| (a.to_string(), s.to_string()))
                    .collect(),
                children: children.iter().map(|c| c.to_string()).collect(),
            },
        );
    }

    /// Assuming a role in this account is refused, as when the caller isn't trusted there.
    pub fn close(&self, id: &str) {
        lock(&self.closed).push(id.to_string());
    }
}

#[async_trait::async_trait]
impl crate::aws::Members for FakeMembers {
    async fn enter(
        &self,
        account: &str,
        through: &str,
    ) -> Result<Box<dyn crate::aws::Roles>, AwsError> {
        let arn = crate::model::stackset::role_arn(account, through);
        let delay = *lock(&self.delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if lock(&self.closed).iter().any(|a| a == account) {
            return Err(AwsError::AccessDenied {
                action: "sts:AssumeRole".into(),
                message: format!(
                    "User: arn:aws:iam::{FAKE_ACCOUNT}:user/demo is not authorized to perform: sts:AssumeRole on resource: {arn}"
                ),
            });
        }
        let roles = self.account(account);
        roles.delay_calls(delay);
        Ok(Box::new(roles))
    }

    async fn accounts_under(&self, units: &[String]) -> Result<Vec<(String, String)>, AwsError> {
        let known = lock(&self.units).clone();
        let mut parents: std::collections::VecDeque<String> = units.iter().cloned().collect();
        let mut accounts: Vec<(String, String)> = Vec::new();
        while let Some(parent) = parents.pop_front() {
            let Some(unit) = known.get(&parent) else {
                return Err(AwsError::Service {
                    action: "organizations:ListAccountsForParent".into(),
                    code: "ParentNotFoundException".into(),
                    message: format!("We can't find a root or OU with the ParentId {parent}."),
                });
            };
            for (id, status) in &unit.accounts {
                if !accounts.iter().any(|(a, _)| a == id) {
                    accounts.push((id.clone(), status.clone()));
                }
            }
            parents.extend(unit.children.iter().cloned());
        }
        Ok(accounts)
    }
}
