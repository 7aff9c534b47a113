//! Entering member accounts: each gets its own fake roles, or is refused where told.

use super::roles::*;
use super::script::*;
use crate::aws::AwsError;
use std::collections::BTreeMap;
use std::sync::Mutex;

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

#[async_trait::async_trait]
impl crate::aws::Members for FakeMembers {
    async fn enter(
        &self,
        account: &str,
        through: &str,
    ) -> Result<Box<dyn crate::aws::Roles>, AwsError> {
        let arn = crate::model::stackset::role_arn(account, through);
        if lock(&self.closed).iter().any(|a| a == account) {
            return Err(AwsError::AccessDenied {
                action: "sts:AssumeRole".into(),
                message: format!(
                    "User: arn:aws:iam::{FAKE_ACCOUNT}:user/demo is not authorized to perform: sts:AssumeRole on resource: {arn}"
                ),
            });
        }
        Ok(Box::new(self.account(account)))
    }
}
