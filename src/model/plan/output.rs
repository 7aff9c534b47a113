//! What a plan gives the user: the settings for Segment, the policy documents, the AWS CLI
//! commands that make the same setup, and the plan as JSON.

use super::build::*;
use super::inputs::*;
use super::request::*;
use crate::model::catalog::{Input, SettingValue};
use crate::model::validate::{self};
use serde_json::{Value, json};

/// What a plan gives the user: the settings for Segment, the policy documents and the AWS CLI
/// commands that make the same setup, and the plan as JSON.
impl Plan {
    /// The settings to paste into Segment; `role_arn` is known once the role exists.
    pub fn settings(&self, role_arn: Option<&str>) -> Vec<Setting> {
        self.setting_specs
            .iter()
            .map(|spec| {
                let value = match spec.value {
                    SettingValue::RoleArn => role_arn.map(str::to_string),
                    SettingValue::ExternalId => Some(self.external_id().to_string()),
                    SettingValue::Bucket => self.input(Input::Bucket).map(str::to_string),
                    SettingValue::BucketRegion => {
                        self.input(Input::BucketRegion).map(str::to_string)
                    }
                    SettingValue::LambdaFunction => {
                        self.input(Input::LambdaArns).map(str::to_string)
                    }
                    // A starter function's ARN may still name the placeholders: its region is known.
                    SettingValue::LambdaRegion => match &self.starter {
                        Some(starter) => Some(starter.region.clone()),
                        None => self
                            .input(Input::LambdaArns)
                            .and_then(|arn| validate::lambda_arn(arn).ok())
                            .map(str::to_string),
                    },
                    SettingValue::BucketWithPrefix => self.input(Input::Bucket).map(|bucket| {
                        match self.input(Input::PathPrefix).map(|p| p.trim_matches('/')) {
                            Some(prefix) if !prefix.is_empty() => format!("{bucket}/{prefix}"),
                            _ => bucket.to_string(),
                        }
                    }),
                    SettingValue::StreamName => self
                        .input(Input::KinesisStreamArn)
                        .and_then(|arn| validate::kinesis_stream_arn(arn).ok())
                        .map(|(_, name)| name.to_string()),
                    SettingValue::StreamRegion => self
                        .input(Input::KinesisStreamArn)
                        .and_then(|arn| validate::kinesis_stream_arn(arn).ok())
                        .map(|(region, _)| region.to_string()),
                    SettingValue::DeliveryStreamNames => {
                        let names: Vec<&str> = self
                            .inputs(Input::DeliveryStreamArns)
                            .iter()
                            .filter_map(|arn| validate::delivery_stream_arn(arn).ok())
                            .map(|(_, name)| name)
                            .collect();
                        (!names.is_empty()).then(|| names.join(", "))
                    }
                    SettingValue::DeliveryStreamRegion => self
                        .input(Input::DeliveryStreamArns)
                        .and_then(|arn| validate::delivery_stream_arn(arn).ok())
                        .map(|(region, _)| region.to_string()),
                    SettingValue::AccountId => self.account.clone(),
                    SettingValue::EmrClusterId => {
                        self.input(Input::EmrClusterId).map(str::to_string)
                    }
                };
                Setting {
                    label: spec.label.clone(),
                    key: spec.key.clone(),
                    value,
                    sensitive: spec.sensitive,
                    required: spec.required,
                    read_only: spec.read_only,
                    placeholder: spec.placeholder.clone(),
                }
            })
            .collect()
    }

    /// The settings as one JSON object keyed as Segment's settings are.
    pub fn settings_json(&self, role_arn: Option<&str>) -> Value {
        Value::Object(
            self.settings(role_arn)
                .into_iter()
                .map(|setting| {
                    (
                        setting.key,
                        setting.value.map_or(Value::Null, Value::String),
                    )
                })
                .collect(),
        )
    }

    fn external_id_json(&self) -> Value {
        match self.external_ids.as_slice() {
            [one] => json!(one),
            many => json!(many),
        }
    }

    /// The documents the AWS CLI commands read (`file://NAME`), as `plan --out DIR` writes them:
    /// name, contents, and whether the file holds the external ID (then it is mode 0600).
    pub fn documents(&self) -> Vec<(&'static str, String, bool)> {
        let pretty = |value: &Value| serde_json::to_string_pretty(value).unwrap_or_default() + "\n";
        let parameters: Vec<Value> = self
            .parameters
            .iter()
            .map(|(key, value)| json!({"ParameterKey": key, "ParameterValue": value}))
            .collect();
        vec![
            (TRUST_POLICY_FILE, pretty(&self.trust_policy), true),
            (
                PERMISSION_POLICY_FILE,
                pretty(&self.permission_policy),
                false,
            ),
            (TEMPLATE_FILE, pretty(&self.template), false),
            (PARAMETERS_FILE, pretty(&Value::Array(parameters)), true),
        ]
    }

    /// The equivalent AWS CLI commands (the direct IAM path), for handing to an administrator.
    /// The documents are read from files (`file://`), so no external ID is ever on a command line
    /// or in a shell's history.
    pub fn cli_commands(&self) -> Vec<String> {
        let tags: Vec<String> = self
            .tags
            .iter()
            .map(|(key, value)| format!("Key={key},Value={value}"))
            .collect();
        let mut create_role = vec![
            "aws".to_string(),
            "iam".into(),
            "create-role".into(),
            "--role-name".into(),
            self.role_name.clone(),
            "--description".into(),
            self.role_description.clone(),
            "--assume-role-policy-document".into(),
            format!("file://{TRUST_POLICY_FILE}"),
        ];
        if !tags.is_empty() {
            create_role.push("--tags".into());
            create_role.extend(tags);
        }
        let put_policy = vec![
            "aws".to_string(),
            "iam".into(),
            "put-role-policy".into(),
            "--role-name".into(),
            self.role_name.clone(),
            "--policy-name".into(),
            self.policy_name.clone(),
            "--policy-document".into(),
            format!("file://{PERMISSION_POLICY_FILE}"),
        ];
        let get_arn = vec![
            "aws".to_string(),
            "iam".into(),
            "get-role".into(),
            "--role-name".into(),
            self.role_name.clone(),
            "--query".into(),
            "Role.Arn".into(),
            "--output".into(),
            "text".into(),
        ];
        [create_role, put_policy, get_arn]
            .iter()
            .map(|words| shell_words(words))
            .collect()
    }

    /// The plan as one JSON object (`plan --format json`).
    pub fn to_json(&self) -> Value {
        json!({
            "integration": self.integration_id,
            "principal": self.principal,
            "externalId": self.external_id_json(),
            "trustPolicy": self.trust_policy,
            "permissionPolicy": self.permission_policy,
            "template": self.template,
            "parameters": self.parameters,
            "settings": self.settings_json(None),
            "cliCommands": self.cli_commands(),
            "broadGrants": self.broad_grants,
            "warnings": self.warnings,
        })
    }
}
