//! IAM roles and their policies on the SDK.
use super::Sdk;
use super::cloudformation::pairs;
use super::errors::classify;
use crate::aws::{AwsError, RoleCreate, RoleInfo, RoleListing, Roles};
use serde_json::Value;

/// IAM returns policy documents URL-encoded.
fn decode_policy(document: &str) -> Value {
    let text = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()))
}

#[async_trait::async_trait]
impl Roles for Sdk {
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError> {
        let result = self.iam.get_role().role_name(name).send().await;
        let output = match result.map_err(|e| classify("iam:GetRole", e)) {
            Ok(output) => output,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        Ok(output.role().map(|role| RoleInfo {
            name: role.role_name().to_string(),
            arn: role.arn().to_string(),
            trust_policy: role
                .assume_role_policy_document()
                .map(decode_policy)
                .unwrap_or(Value::Null),
            tags: pairs(role.tags(), |t| Some(t.key()), |t| Some(t.value())),
            permissions_boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
            last_used: role.role_last_used().and_then(|used| {
                let date = used.last_used_date()?;
                Some(crate::model::aws_types::LastUsed {
                    date: date
                        .fmt(aws_smithy_types::date_time::Format::DateTime)
                        .unwrap_or_default(),
                    epoch: date.secs(),
                    region: used.region().map(str::to_string),
                })
            }),
        }))
    }

    async fn create_role(&self, request: &RoleCreate) -> Result<String, AwsError> {
        use aws_sdk_iam::types::Tag;
        let mut tags = Vec::new();
        for (key, value) in &request.tags {
            let tag =
                Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| AwsError::Service {
                        action: "iam:CreateRole".into(),
                        code: "InvalidTag".into(),
                        message: e.to_string(),
                    })?;
            tags.push(tag);
        }
        let output = self
            .iam
            .create_role()
            .role_name(&request.name)
            .path(&request.path)
            .description(&request.description)
            .assume_role_policy_document(&request.trust_policy)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("iam:CreateRole", e))?;
        Ok(output
            .role()
            .map(|role| role.arn().to_string())
            .unwrap_or_default())
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| classify("iam:PutRolePolicy", e))?;
        Ok(())
    }

    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, AwsError> {
        self.iam
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListRolePolicies", e))
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Value, AwsError> {
        let output = self
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
            .map_err(|e| classify("iam:GetRolePolicy", e))?;
        Ok(decode_policy(output.policy_document()))
    }

    async fn update_trust_policy(&self, role: &str, document: &str) -> Result<(), AwsError> {
        self.iam
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| classify("iam:UpdateAssumeRolePolicy", e))?;
        Ok(())
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), AwsError> {
        self.iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteRolePolicy", e))?;
        Ok(())
    }

    async fn delete_role(&self, role: &str) -> Result<(), AwsError> {
        self.iam
            .delete_role()
            .role_name(role)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteRole", e))?;
        Ok(())
    }

    async fn attached_policies(&self, role: &str) -> Result<Vec<(String, String)>, AwsError> {
        let policies = self
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListAttachedRolePolicies", e))?;
        Ok(policies
            .iter()
            .map(|p| {
                (
                    p.policy_name().unwrap_or_default().to_string(),
                    p.policy_arn().unwrap_or_default().to_string(),
                )
            })
            .collect())
    }

    async fn managed_policy_document(&self, arn: &str) -> Result<Value, AwsError> {
        let policy = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify("iam:GetPolicy", e))?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .unwrap_or("v1")
            .to_string();
        let output = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| classify("iam:GetPolicyVersion", e))?;
        Ok(output
            .policy_version()
            .and_then(|v| v.document())
            .map(decode_policy)
            .unwrap_or(Value::Null))
    }

    async fn instance_profiles(&self, role: &str) -> Result<Vec<String>, AwsError> {
        let profiles = self
            .iam
            .list_instance_profiles_for_role()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListInstanceProfilesForRole", e))?;
        Ok(profiles
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .collect())
    }

    async fn list_roles(&self) -> Result<Vec<RoleListing>, AwsError> {
        let roles = self
            .iam
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListRoles", e))?;
        Ok(roles
            .iter()
            .map(|r| RoleListing {
                name: r.role_name().to_string(),
                arn: r.arn().to_string(),
                trust_policy: r
                    .assume_role_policy_document()
                    .map(decode_policy)
                    .unwrap_or(Value::Null),
            })
            .collect())
    }
}
