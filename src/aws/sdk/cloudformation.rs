//! CloudFormation stacks and change sets on the SDK.
use super::Sdk;
use super::errors::{classify, shown};
use crate::aws::{
    AwsError, ChangeSetInfo, EventPage, ResourceChange, StackCreate, StackEvent, StackInfo,
    StackResource, Stacks,
};
use serde_json::Value;

/// Parameters as CloudFormation takes them (stacks, change sets, stack sets).
pub(super) fn cfn_parameters(
    pairs: &[(String, String)],
) -> Vec<aws_sdk_cloudformation::types::Parameter> {
    pairs
        .iter()
        .map(|(key, value)| {
            aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build()
        })
        .collect()
}

/// Tags as CloudFormation takes them.
pub(super) fn cfn_tags(pairs: &[(String, String)]) -> Vec<aws_sdk_cloudformation::types::Tag> {
    pairs
        .iter()
        .map(|(key, value)| {
            aws_sdk_cloudformation::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

pub(super) fn stack_info(stack: &aws_sdk_cloudformation::types::Stack, name: &str) -> StackInfo {
    StackInfo {
        name: stack.stack_name().unwrap_or(name).to_string(),
        status: stack
            .stack_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_reason: stack
            .stack_status_reason()
            .map(|r| crate::model::text::one_line(r).into_owned()),
        parameters: pairs(
            stack.parameters(),
            |p| p.parameter_key(),
            |p| p.parameter_value(),
        ),
        outputs: pairs(stack.outputs(), |o| o.output_key(), |o| o.output_value()),
        tags: pairs(stack.tags(), |t| t.key(), |t| t.value()),
    }
}

pub(super) fn pairs<T>(
    items: &[T],
    key: impl Fn(&T) -> Option<&str>,
    value: impl Fn(&T) -> Option<&str>,
) -> Vec<(String, String)> {
    items
        .iter()
        .filter_map(|item| {
            Some((
                key(item)?.to_string(),
                value(item).unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

#[async_trait::async_trait]
impl Stacks for Sdk {
    async fn create_stack(&self, request: &StackCreate) -> Result<String, AwsError> {
        use aws_sdk_cloudformation::types::Capability;
        let parameters = cfn_parameters(&request.parameters);
        let tags = cfn_tags(&request.tags);
        let output = self
            .cloudformation
            .create_stack()
            .stack_name(&request.name)
            .template_body(&request.template_body)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("cloudformation:CreateStack", e))?;
        Ok(output.stack_id().unwrap_or(&request.name).to_string())
    }

    async fn describe_stack(&self, name: &str) -> Result<Option<StackInfo>, AwsError> {
        let result = self
            .cloudformation
            .describe_stacks()
            .stack_name(name)
            .send()
            .await;
        let output = match result.map_err(|e| classify("cloudformation:DescribeStacks", e)) {
            Ok(output) => output,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        Ok(output.stacks().first().map(|stack| stack_info(stack, name)))
    }

    async fn list_stacks(&self) -> Result<Vec<StackInfo>, AwsError> {
        let stacks = self
            .cloudformation
            .describe_stacks()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("cloudformation:DescribeStacks", e))?;
        Ok(stacks.iter().map(|stack| stack_info(stack, "")).collect())
    }

    async fn stack_events(
        &self,
        name: &str,
        next_token: Option<String>,
    ) -> Result<EventPage, AwsError> {
        let output = self
            .cloudformation
            .describe_stack_events()
            .stack_name(name)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeStackEvents", e))?;
        let events = output
            .stack_events()
            .iter()
            // Every field is shown on a line of its own: one line each, escaped, whatever a
            // resource's physical ID (free text for some types) holds.
            .map(|event| StackEvent {
                id: event.event_id().unwrap_or_default().to_string(),
                logical_id: shown(event.logical_resource_id().unwrap_or_default()),
                physical_id: event
                    .physical_resource_id()
                    .filter(|id| !id.is_empty())
                    .map(shown),
                resource_type: shown(event.resource_type().unwrap_or_default()),
                status: event
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: event
                    .resource_status_reason()
                    .filter(|r| !r.is_empty())
                    .map(|r| crate::model::text::one_line(r).into_owned()),
            })
            .collect();
        Ok(EventPage {
            events,
            next_token: output.next_token().map(str::to_string),
        })
    }

    async fn create_change_set(
        &self,
        request: &StackCreate,
        change_set: &str,
    ) -> Result<(), AwsError> {
        use aws_sdk_cloudformation::types::{Capability, ChangeSetType};
        let parameters = cfn_parameters(&request.parameters);
        let tags = cfn_tags(&request.tags);
        self.cloudformation
            .create_change_set()
            .stack_name(&request.name)
            .change_set_name(change_set)
            .change_set_type(ChangeSetType::Update)
            .template_body(&request.template_body)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("cloudformation:CreateChangeSet", e))?;
        Ok(())
    }

    async fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<ChangeSetInfo, AwsError> {
        let output = self
            .cloudformation
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeChangeSet", e))?;
        let changes = output
            .changes()
            .iter()
            .filter_map(|change| change.resource_change())
            .map(|change| ResourceChange {
                action: change
                    .action()
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_default(),
                logical_id: shown(change.logical_resource_id().unwrap_or_default()),
                resource_type: shown(change.resource_type().unwrap_or_default()),
                replacement: change.replacement().map(|r| r.as_str().to_string()),
            })
            .collect();
        Ok(ChangeSetInfo {
            status: output
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            status_reason: output
                .status_reason()
                .map(|r| crate::model::text::one_line(r).into_owned()),
            changes,
        })
    }

    async fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        self.cloudformation
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| classify("cloudformation:ExecuteChangeSet", e))?;
        Ok(())
    }

    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        self.cloudformation
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DeleteChangeSet", e))?;
        Ok(())
    }

    async fn stack_owning(&self, physical_id: &str) -> Result<Option<String>, AwsError> {
        let result = self
            .cloudformation
            .describe_stack_resources()
            .physical_resource_id(physical_id)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeStackResources", e));
        match result {
            Ok(output) => Ok(output
                .stack_resources()
                .first()
                .and_then(|r| r.stack_name())
                .map(str::to_string)),
            // No stack knows it (or the endpoint can't look up by resource): not a stack's.
            Err(AwsError::Service { code, .. }) if code == "ValidationError" => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn stack_template(&self, name: &str) -> Result<Value, AwsError> {
        let output = self
            .cloudformation
            .get_template()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| classify("cloudformation:GetTemplate", e))?;
        let body = output.template_body().unwrap_or_default();
        Ok(serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string())))
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, AwsError> {
        let output = self
            .cloudformation
            .describe_stack_resources()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeStackResources", e))?;
        Ok(output
            .stack_resources()
            .iter()
            .map(|resource| StackResource {
                logical_id: shown(resource.logical_resource_id().unwrap_or_default()),
                resource_type: shown(resource.resource_type().unwrap_or_default()),
                physical_id: resource
                    .physical_resource_id()
                    .filter(|id| !id.is_empty())
                    .map(shown),
            })
            .collect())
    }

    async fn change_sets(&self, stack: &str) -> Result<Vec<String>, AwsError> {
        let mut names = Vec::new();
        let mut token = None;
        // No paginator in the SDK for ListChangeSets: its NextToken, by hand.
        loop {
            let output = self
                .cloudformation
                .list_change_sets()
                .stack_name(stack)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("cloudformation:ListChangeSets", e))?;
            names.extend(
                output
                    .summaries()
                    .iter()
                    // Some endpoints list every stack's: only this stack's are its own.
                    .filter(|c| c.stack_name().is_none_or(|s| s == stack))
                    .filter_map(|c| c.change_set_name().map(str::to_string)),
            );
            token = output.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    async fn delete_stack(&self, name: &str) -> Result<(), AwsError> {
        self.cloudformation
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DeleteStack", e))?;
        Ok(())
    }
}
