//! STS on the SDK: who the caller is, and entering a member account through its role.
use super::Sdk;
use super::errors::classify;
use crate::aws::{AwsError, Caller, Identity};

#[async_trait::async_trait]
impl Identity for Sdk {
    async fn caller(&self) -> Result<Caller, AwsError> {
        let output = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("sts:GetCallerIdentity", e))?;
        Ok(Caller {
            account: output.account().unwrap_or_default().to_string(),
            arn: output.arn().unwrap_or_default().to_string(),
        })
    }
}

#[async_trait::async_trait]
impl crate::aws::Members for Sdk {
    async fn enter(
        &self,
        account: &str,
        through: &str,
    ) -> Result<Box<dyn crate::aws::Roles>, AwsError> {
        use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
        let action = "sts:AssumeRole";
        let output = self
            .sts
            .assume_role()
            .role_arn(crate::model::stackset::role_arn(account, through))
            .role_session_name("segment-aws-setup-verify")
            // Long enough for a verify, short for credentials that are never stored.
            .duration_seconds(900)
            .send()
            .await
            .map_err(|e| classify(action, e))?;
        let Some(given) = output.credentials() else {
            return Err(AwsError::Service {
                action: action.into(),
                code: "NoCredentials".into(),
                message: "AWS returned no credentials".into(),
            });
        };
        let credentials = Credentials::new(
            given.access_key_id(),
            given.secret_access_key(),
            Some(given.session_token().to_string()),
            std::time::SystemTime::try_from(*given.expiration()).ok(),
            "segment-aws-setup-member-account",
        );
        let config = self
            .config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        Ok(Box::new(Sdk::new(&config)))
    }

    async fn accounts_under(&self, units: &[String]) -> Result<Vec<(String, String)>, AwsError> {
        use aws_sdk_organizations::operation::list_accounts_for_parent::ListAccountsForParentOutput as Accounts;
        let organizations = super::call_log::client!(aws_sdk_organizations, &self.config);
        let mut parents: std::collections::VecDeque<String> = units.iter().cloned().collect();
        let mut seen_units: Vec<String> = Vec::new();
        let mut accounts: Vec<(String, String)> = Vec::new();
        while let Some(parent) = parents.pop_front() {
            if seen_units.contains(&parent) {
                continue;
            }
            seen_units.push(parent.clone());
            let pages: Vec<Accounts> = organizations
                .list_accounts_for_parent()
                .parent_id(&parent)
                .into_paginator()
                .send()
                .try_collect()
                .await
                .map_err(|e| classify("organizations:ListAccountsForParent", e))?;
            for account in pages.iter().flat_map(|page| page.accounts()) {
                if let Some(id) = account.id()
                    && !accounts.iter().any(|(a, _)| a == id)
                {
                    let status = account.status().map_or("ACTIVE", |s| s.as_str());
                    accounts.push((id.to_string(), status.to_string()));
                }
            }
            for (id, _) in super::resources::child_units(&organizations, &parent).await? {
                parents.push_back(id);
            }
        }
        Ok(accounts)
    }
}
