//! CloudFormation StackSets on the SDK: one role in many accounts.
use super::Sdk;
use super::cloudformation::{cfn_parameters, cfn_tags, pairs};
use super::errors::classify;
use crate::aws::AwsError;

/// The preferences as CloudFormation takes them: percentages, regions in parallel, and soft
/// failure tolerance (so concurrency isn't capped at the tolerance plus one).
fn operation_preferences(
    preferences: &crate::model::stackset::Preferences,
) -> aws_sdk_cloudformation::types::StackSetOperationPreferences {
    use aws_sdk_cloudformation::types::{
        ConcurrencyMode, RegionConcurrencyType, StackSetOperationPreferences,
    };
    StackSetOperationPreferences::builder()
        .failure_tolerance_percentage(i32::from(preferences.failure_tolerance_percent))
        .max_concurrent_percentage(i32::from(preferences.max_concurrent_percent))
        .region_concurrency_type(RegionConcurrencyType::Parallel)
        .concurrency_mode(ConcurrencyMode::SoftFailureTolerance)
        .build()
}

fn deployment_targets(
    targets: &crate::aws::InstanceTargets,
) -> Option<aws_sdk_cloudformation::types::DeploymentTargets> {
    (!targets.org_units.is_empty()).then(|| {
        aws_sdk_cloudformation::types::DeploymentTargets::builder()
            .set_organizational_unit_ids(Some(targets.org_units.clone()))
            .build()
    })
}

fn accounts_of(targets: &crate::aws::InstanceTargets) -> Option<Vec<String>> {
    targets
        .org_units
        .is_empty()
        .then(|| targets.accounts.clone())
}

fn is_stack_set_missing(error: &AwsError) -> bool {
    matches!(error.code(), Some("StackSetNotFoundException"))
}

#[async_trait::async_trait]
impl crate::aws::StackSets for Sdk {
    async fn create_stack_set(&self, request: &crate::aws::StackSetCreate) -> Result<(), AwsError> {
        use aws_sdk_cloudformation::types::{AutoDeployment, Capability, PermissionModels};
        let parameters = cfn_parameters(&request.parameters);
        let tags = cfn_tags(&request.tags);
        let mut call = self
            .cloudformation
            .create_stack_set()
            .stack_set_name(&request.name)
            .description(&request.description)
            .template_body(&request.template_body)
            .set_parameters(Some(parameters))
            .set_tags(Some(tags))
            // The role has a fixed name (so each account's ARN is known).
            .capabilities(Capability::CapabilityNamedIam)
            .permission_model(PermissionModels::from(request.permission_model.as_str()));
        if request.permission_model == "SERVICE_MANAGED" {
            call = call.auto_deployment(
                AutoDeployment::builder()
                    .enabled(request.auto_deploy)
                    .set_retain_stacks_on_account_removal(request.auto_deploy.then_some(false))
                    .build(),
            );
        }
        call.send()
            .await
            .map_err(|e| classify("cloudformation:CreateStackSet", e))?;
        Ok(())
    }

    async fn describe_stack_set(
        &self,
        name: &str,
    ) -> Result<Option<crate::aws::StackSetInfo>, AwsError> {
        let output = match self
            .cloudformation
            .describe_stack_set()
            .stack_set_name(name)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) => {
                let error = classify("cloudformation:DescribeStackSet", error);
                return if is_stack_set_missing(&error) {
                    Ok(None)
                } else {
                    Err(error)
                };
            }
        };
        Ok(output
            .stack_set()
            .map(|set| crate::aws::StackSetInfo {
                name: set.stack_set_name().unwrap_or(name).to_string(),
                status: set
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                permission_model: set
                    .permission_model()
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_else(|| "SELF_MANAGED".to_string()),
                tags: pairs(set.tags(), |t| t.key(), |t| t.value()),
                parameters: pairs(
                    set.parameters(),
                    |p| p.parameter_key(),
                    |p| p.parameter_value(),
                ),
                template_body: set.template_body().unwrap_or_default().to_string(),
            })
            .filter(|set| set.status != "DELETED"))
    }

    async fn create_instances(
        &self,
        targets: &crate::aws::InstanceTargets,
    ) -> Result<String, AwsError> {
        let output = self
            .cloudformation
            .create_stack_instances()
            .stack_set_name(&targets.stack_set)
            .set_accounts(accounts_of(targets))
            .set_deployment_targets(deployment_targets(targets))
            .set_regions(Some(targets.regions.clone()))
            .operation_preferences(operation_preferences(&targets.preferences))
            .send()
            .await
            .map_err(|e| classify("cloudformation:CreateStackInstances", e))?;
        Ok(output.operation_id().unwrap_or_default().to_string())
    }

    async fn rerun_instances(
        &self,
        targets: &crate::aws::InstanceTargets,
    ) -> Result<String, AwsError> {
        use aws_sdk_cloudformation::types::{Capability, Parameter};
        // Every parameter keeps its value: UpdateStackSet would otherwise reset them.
        let keys: Vec<String> = match self.describe_stack_set(&targets.stack_set).await? {
            Some(set) => set.parameters.into_iter().map(|(key, _)| key).collect(),
            None => Vec::new(),
        };
        let parameters = keys
            .iter()
            .map(|key| {
                Parameter::builder()
                    .parameter_key(key)
                    .use_previous_value(true)
                    .build()
            })
            .collect();
        let output = self
            .cloudformation
            .update_stack_set()
            .stack_set_name(&targets.stack_set)
            .use_previous_template(true)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityNamedIam)
            .set_accounts(accounts_of(targets))
            .set_deployment_targets(deployment_targets(targets))
            .set_regions(Some(targets.regions.clone()))
            .operation_preferences(operation_preferences(&targets.preferences))
            .send()
            .await
            .map_err(|e| classify("cloudformation:UpdateStackSet", e))?;
        Ok(output.operation_id().unwrap_or_default().to_string())
    }

    async fn describe_operation(
        &self,
        stack_set: &str,
        operation: &str,
    ) -> Result<crate::aws::OperationInfo, AwsError> {
        let output = self
            .cloudformation
            .describe_stack_set_operation()
            .stack_set_name(stack_set)
            .operation_id(operation)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeStackSetOperation", e))?;
        let operation = output.stack_set_operation();
        Ok(crate::aws::OperationInfo {
            status: operation
                .and_then(|o| o.status())
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            reason: operation
                .and_then(|o| o.status_reason())
                .map(|r| crate::model::text::one_line(r).into_owned()),
        })
    }

    async fn list_instances(
        &self,
        stack_set: &str,
    ) -> Result<Vec<crate::model::stackset::InstanceRow>, AwsError> {
        let summaries: Vec<_> = self
            .cloudformation
            .list_stack_instances()
            .stack_set_name(stack_set)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("cloudformation:ListStackInstances", e))?;
        Ok(summaries
            .iter()
            .map(|s| crate::model::stackset::InstanceRow {
                account: s.account().unwrap_or_default().to_string(),
                region: s.region().unwrap_or_default().to_string(),
                status: s
                    .stack_instance_status()
                    .and_then(|d| d.detailed_status())
                    .map(|d| d.as_str().to_string())
                    .or_else(|| s.status().map(|st| st.as_str().to_string()))
                    .unwrap_or_default(),
                reason: s
                    .status_reason()
                    .filter(|r| !r.is_empty())
                    .map(|r| crate::model::text::one_line(r).into_owned()),
            })
            .collect())
    }

    async fn delete_instances(
        &self,
        targets: &crate::aws::InstanceTargets,
    ) -> Result<String, AwsError> {
        let output = self
            .cloudformation
            .delete_stack_instances()
            .stack_set_name(&targets.stack_set)
            .set_accounts(accounts_of(targets))
            .set_deployment_targets(deployment_targets(targets))
            .set_regions(Some(targets.regions.clone()))
            .retain_stacks(false)
            .operation_preferences(operation_preferences(&targets.preferences))
            .send()
            .await
            .map_err(|e| classify("cloudformation:DeleteStackInstances", e))?;
        Ok(output.operation_id().unwrap_or_default().to_string())
    }

    async fn update_stack_set(
        &self,
        request: &crate::aws::StackSetUpdate,
    ) -> Result<String, AwsError> {
        use aws_sdk_cloudformation::types::Capability;
        let output = self
            .cloudformation
            .update_stack_set()
            .stack_set_name(&request.name)
            .template_body(&request.template_body)
            .set_parameters(Some(cfn_parameters(&request.parameters)))
            .capabilities(Capability::CapabilityNamedIam)
            .operation_preferences(operation_preferences(&request.preferences))
            .send()
            .await
            .map_err(|e| classify("cloudformation:UpdateStackSet", e))?;
        Ok(output.operation_id().unwrap_or_default().to_string())
    }

    async fn delete_stack_set(&self, name: &str) -> Result<(), AwsError> {
        self.cloudformation
            .delete_stack_set()
            .stack_set_name(name)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DeleteStackSet", e))?;
        Ok(())
    }
}
