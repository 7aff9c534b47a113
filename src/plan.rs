//! A plan: everything a setup will create, worked out from the user's inputs with no credentials
//! and no network call. Every face (the `plan` command, `create`, the wizard) starts from one.

use crate::catalog::{Catalog, ExternalIdSource, Input, Integration, PresetOffer, SettingValue};
use crate::external_id;
use crate::policy;
use crate::template;
use crate::validate::{self, InputError};
use rand::distr::{Alphanumeric, SampleString};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The files `plan --out DIR` writes and the AWS CLI commands read.
pub const TRUST_POLICY_FILE: &str = "trust-policy.json";
pub const PERMISSION_POLICY_FILE: &str = "permission-policy.json";
pub const TEMPLATE_FILE: &str = "template.json";
pub const PARAMETERS_FILE: &str = "parameters.json";
/// Said with the AWS CLI commands in every face.
pub const DOCUMENTS_NOTE: &str = "Run them where trust-policy.json and permission-policy.json hold the trust and permission policies shown (segment-aws-setup plan ... --out DIR writes them, the one with the external ID mode 0600)";

/// Trust policies longer than this need a quota increase (IAM's default is 2,048 characters).
pub const TRUST_POLICY_MAX_CHARS: usize = 2048;

/// A custom policy file as the face read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFile {
    pub path: String,
    pub text: String,
}

/// What the user asked for, as typed. Nothing here is trusted until [`Plan::build`] checks it.
#[derive(Debug, Clone, Default)]
pub struct PlanRequest {
    pub integration: String,
    pub external_ids: Vec<String>,
    pub workspace_ids: Vec<String>,
    /// Lambda destination: source IDs, trusted too (Segment uses one when the workspace ID
    /// setting is empty).
    pub source_ids: Vec<String>,
    pub bucket: Option<String>,
    pub bucket_region: Option<String>,
    pub lambda_arns: Vec<String>,
    pub policy_file: Option<PolicyFile>,
    pub role_name: Option<String>,
    pub stack_name: Option<String>,
    /// Checking a role that already exists: its external ID is held to AWS's rule only, not to
    /// the minimum length this tool generates.
    pub existing_role: bool,
}

impl PlanRequest {
    fn provided(&self, input: Input) -> bool {
        match input {
            Input::Bucket => self.bucket.is_some(),
            Input::BucketRegion => self.bucket_region.is_some(),
            Input::LambdaArns => !self.lambda_arns.is_empty(),
            Input::PolicyFile => self.policy_file.is_some(),
        }
    }

    fn values(&self, input: Input) -> Vec<String> {
        match input {
            Input::Bucket => self.bucket.iter().cloned().collect(),
            Input::BucketRegion => self.bucket_region.iter().cloned().collect(),
            Input::LambdaArns => self.lambda_arns.clone(),
            Input::PolicyFile => self
                .policy_file
                .iter()
                .map(|file| file.path.clone())
                .collect(),
        }
    }
}

/// One Segment setting with its value (`None` for the role ARN until the role exists).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Setting {
    pub label: String,
    pub key: String,
    pub value: Option<String>,
    pub sensitive: bool,
    #[serde(default)]
    pub required: bool,
    /// Segment sets it and shows it read-only: nothing to paste.
    #[serde(default)]
    pub read_only: bool,
}

/// The tag a role made directly through IAM carries (by this tool or by the plan's AWS CLI
/// commands), besides the template's: it tells such a role from one a stack made.
pub const CREATED_WITH_IAM_TAG: (&str, &str) = ("created-with", "iam");

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub integration_id: String,
    pub integration_title: String,
    pub principal: String,
    pub preset_id: String,
    pub preset_title: String,
    pub external_ids: Vec<String>,
    /// True when the wizard generated the external ID (it must then be kept like a password).
    pub external_id_generated: bool,
    pub trust_policy: Value,
    pub permission_policy: Value,
    pub template_name: String,
    /// The template as it will be deployed.
    pub template: Value,
    pub parameters: Map<String, Value>,
    pub role_name: String,
    pub stack_name: String,
    pub policy_name: String,
    pub role_description: String,
    pub tags: Vec<(String, String)>,
    /// Worth saying, not refusing: an external ID the user brought that looks weak.
    pub warnings: Vec<String>,
    /// What the permission policy grants broadly (`*`, IAM, other roles, every resource): a
    /// custom policy like that is used only after an explicit yes.
    pub broad_grants: Vec<String>,
    inputs: BTreeMap<Input, Vec<String>>,
    setting_specs: Vec<crate::catalog::SettingSpec>,
    /// The code that uses the role (a file in `assets/snippets/`).
    pub snippet: Option<String>,
}

/// The default stack name: readable and unique, such as `segment-destination-function-k3x9qa`.
pub fn default_stack_name(integration_id: &str) -> String {
    let suffix = Alphanumeric
        .sample_string(&mut UnwrapErr(SysRng), 6)
        .to_ascii_lowercase();
    format!("segment-{integration_id}-{suffix}")
}

pub fn default_role_name(integration_id: &str) -> String {
    format!("segment-{integration_id}")
}

impl Plan {
    /// Checks every input and works out the plan. Generates the external ID when the integration
    /// generates one and none was given.
    pub fn build(catalog: &Catalog, request: &PlanRequest) -> Result<Plan, InputError> {
        let integration = catalog.integration(&request.integration).ok_or_else(|| {
            InputError::new(
                "--integration",
                format!("choose one of: {}", catalog.ids().join(", ")),
            )
        })?;
        let offer = choose_preset(catalog, integration, request)?;
        let preset = catalog
            .preset(&offer.preset)
            .ok_or_else(|| InputError::new("--integration", "its preset is not defined"))?;
        let mut inputs = BTreeMap::new();
        for &input in &preset.inputs {
            let values = request.values(input);
            if values.is_empty() {
                let others: Vec<&str> = preset.inputs.iter().map(|i| i.flag()).collect();
                return Err(InputError::new(
                    input.flag(),
                    format!(
                        "{} needs {} ({})",
                        preset.title,
                        others.join(" and "),
                        input.label()
                    ),
                ));
            }
            for value in &values {
                check_input(input, value)?;
            }
            inputs.insert(input, values);
        }

        let (external_ids, external_id_generated) = external_ids(integration, request)?;
        let trust_policy = policy::trust_policy(&integration.principal, &external_ids);
        let trust_chars = trust_policy.to_string().chars().count();
        if trust_chars > TRUST_POLICY_MAX_CHARS {
            return Err(InputError::new(
                external_id_flag(integration),
                format!(
                    "with these external IDs the trust policy is {trust_chars} characters; IAM allows {TRUST_POLICY_MAX_CHARS}: use fewer or shorter IDs"
                ),
            ));
        }
        let permission_policy = match (&preset.statement, &request.policy_file) {
            (Some(statement), _) => {
                let values = inputs
                    .get(&statement.resource_input)
                    .cloned()
                    .unwrap_or_default();
                policy::permission_policy(statement, &values, statement.resource_input.is_list())
            }
            (None, Some(file)) => policy::check_custom_policy(&file.text)
                .map_err(InputError::at(format!("--policy-file {}", file.path)))?,
            (None, None) => {
                return Err(InputError::new(
                    "--policy-file",
                    "give the policy document's path",
                ));
            }
        };

        let broad_grants = policy::broad_grants(&permission_policy);
        let warnings: Vec<String> = if external_id_generated
            || integration.external_id.source != ExternalIdSource::Generated
            || request.existing_role
        {
            Vec::new()
        } else {
            external_ids
                .iter()
                .filter_map(|id| external_id::weakness(id))
                .map(|why| format!("the external ID you brought looks weak: {why}"))
                .collect()
        };
        let role_name = request
            .role_name
            .clone()
            .unwrap_or_else(|| default_role_name(&integration.id));
        validate::role_name(&role_name).map_err(InputError::at("--role-name"))?;
        let stack_name = request
            .stack_name
            .clone()
            .unwrap_or_else(|| default_stack_name(&integration.id));
        validate::stack_name(&stack_name).map_err(InputError::at("--stack-name"))?;

        let source = template::load(&integration.template).ok_or_else(|| {
            InputError::new(
                "--integration",
                format!("template {} is missing", integration.template),
            )
        })?;
        let one_id = external_ids.len() == 1;
        let literal_trust = (!one_id).then_some(&trust_policy);
        let literal_permission = offer
            .template_parameters
            .is_none()
            .then_some(&permission_policy);
        let mut rendered = template::render(&source, literal_trust, literal_permission);
        // The template says what this role may do: the preset actually used.
        rendered["Description"] = json!(format!(
            "IAM role that Segment's {} assumes ({}) with an external ID, allowed to: {} ({}). Made by segment-aws-setup; usable by hand.",
            integration.title.to_lowercase(),
            integration.principal,
            preset.title.to_lowercase(),
            preset.description
        ));
        let mut parameters = Map::new();
        if one_id {
            parameters.insert(
                integration.external_id_parameter.clone(),
                json!(external_ids[0]),
            );
        }
        for (name, source) in offer.template_parameters.iter().flatten() {
            let values = inputs.get(&source.input).cloned().unwrap_or_default();
            parameters.insert(name.clone(), json!(source.value(&values)));
        }
        let declared = rendered.get("Parameters").and_then(Value::as_object);
        parameters.retain(|name, _| declared.is_some_and(|declared| declared.contains_key(name)));

        Ok(Plan {
            integration_id: integration.id.clone(),
            integration_title: integration.title.clone(),
            principal: integration.principal.clone(),
            preset_id: preset.id.clone(),
            preset_title: preset.title.clone(),
            external_ids,
            external_id_generated,
            trust_policy,
            permission_policy,
            template_name: integration.template.clone(),
            policy_name: template::policy_name(&source)
                .unwrap_or("segment-permissions")
                .to_string(),
            role_description: template::role_description(&source)
                .unwrap_or_default()
                .to_string(),
            tags: template::role_tags(&source)
                .into_iter()
                .chain(std::iter::once((
                    CREATED_WITH_IAM_TAG.0.to_string(),
                    CREATED_WITH_IAM_TAG.1.to_string(),
                )))
                .collect(),
            broad_grants,
            warnings,
            template: rendered,
            parameters,
            role_name,
            stack_name,
            inputs,
            setting_specs: integration.settings_with(offer).cloned().collect(),
            snippet: offer.snippet.clone(),
        })
    }

    /// The external ID as Segment's setting holds it (the first one, when several are trusted).
    pub fn external_id(&self) -> &str {
        self.external_ids
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Every value of an input (all the Lambda ARNs, say).
    pub fn inputs(&self, input: Input) -> &[String] {
        self.inputs
            .get(&input)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn input(&self, input: Input) -> Option<&str> {
        self.inputs
            .get(&input)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

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
                    SettingValue::LambdaRegion => self
                        .input(Input::LambdaArns)
                        .and_then(|arn| validate::lambda_arn(arn).ok())
                        .map(str::to_string),
                };
                Setting {
                    label: spec.label.clone(),
                    key: spec.key.clone(),
                    value,
                    sensitive: spec.sensitive,
                    required: spec.required,
                    read_only: spec.read_only,
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

    /// The plan for a person to read (`plan --format text`).
    pub fn to_text(&self) -> String {
        let pretty = |value: &Value| {
            serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
        };
        let indent = |text: &str| {
            text.lines()
                .map(|line| format!("  {line}\n"))
                .collect::<String>()
        };
        let mut out = String::new();
        out.push_str(&format!(
            "Plan: {} ({})\n",
            self.integration_title, self.integration_id
        ));
        out.push_str("Nothing has been changed. This is what setting it up creates.\n\n");
        out.push_str(&format!(
            "Principal (who may assume the role)\n  {}\n\n",
            self.principal
        ));
        let id_note = if self.external_id_generated {
            "generated from the OS's secure random source; keep it like a password"
        } else {
            "as given"
        };
        out.push_str(&format!("External ID ({id_note})\n"));
        for id in &self.external_ids {
            out.push_str(&format!("  {id}\n"));
        }
        for warning in &self.warnings {
            out.push_str(&format!("  ! {warning}\n"));
        }
        out.push_str(&format!(
            "\nTrust policy\n{}\n",
            indent(&pretty(&self.trust_policy))
        ));
        out.push_str(&format!(
            "Permission policy \"{}\" ({})\n{}\n",
            self.policy_name,
            self.preset_title,
            indent(&pretty(&self.permission_policy))
        ));
        if !self.broad_grants.is_empty() {
            out.push_str("Warning: this policy grants broadly; creating the role with it needs an explicit yes\n");
            for grant in &self.broad_grants {
                out.push_str(&format!("  ! {grant}\n"));
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "CloudFormation (stack {}, template assets/templates/{})\n  Parameters:\n",
            self.stack_name, self.template_name
        ));
        for (name, value) in &self.parameters {
            out.push_str(&format!(
                "    {name} = {}\n",
                value.as_str().unwrap_or_default()
            ));
        }
        if self.parameters.is_empty() {
            out.push_str("    (none: the documents are written into the template)\n");
        }
        out.push_str(&format!(
            "  Template:\n{}\n",
            indent(&indent(&pretty(&self.template)))
        ));
        // As every face shows them at the end (attributes such as read-only included).
        out.push_str("Settings in Segment, once the role exists\n");
        let outcome = crate::outcome::Outcome::from_plan(self, None);
        let shown = |setting: &Setting| {
            setting
                .value
                .clone()
                .unwrap_or_else(|| "(known once the role exists)".to_string())
        };
        for line in outcome.settings_lines(&shown) {
            out.push_str(&format!("  {}\n", line.text));
        }
        out.push_str("\nThe same with the AWS CLI (for an administrator)\n");
        out.push_str(&format!("  {DOCUMENTS_NOTE}\n"));
        for command in self.cli_commands() {
            out.push_str(&format!("  {command}\n"));
        }
        out
    }
}

/// Joins words into one shell command line, quoting where the shell needs it.
fn shell_words(words: &[String]) -> String {
    // try_join fails only on a NUL byte, which JSON text and validated names never hold.
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

fn external_id_flag(integration: &Integration) -> &'static str {
    match integration.external_id.source {
        ExternalIdSource::Generated => "--external-id",
        ExternalIdSource::WorkspaceId => "--workspace-id",
    }
}

/// Which permission preset the inputs ask for: exactly one, offered by the integration.
fn choose_preset<'a>(
    catalog: &Catalog,
    integration: &'a Integration,
    request: &PlanRequest,
) -> Result<&'a PresetOffer, InputError> {
    let describe = |offer: &PresetOffer| -> String {
        let preset = catalog.preset(&offer.preset);
        let flags: Vec<&str> = preset
            .map(|p| p.inputs.iter().map(|i| i.flag()).collect())
            .unwrap_or_default();
        format!(
            "{} ({})",
            flags.join(" with "),
            preset.map(|p| p.title.as_str()).unwrap_or_default()
        )
    };
    let offered: Vec<String> = integration.presets.iter().map(describe).collect();
    let mut chosen: Vec<&PresetOffer> = Vec::new();
    let mut stray: Vec<&'static str> = Vec::new();
    for input in [
        Input::Bucket,
        Input::BucketRegion,
        Input::LambdaArns,
        Input::PolicyFile,
    ] {
        if !request.provided(input) {
            continue;
        }
        let offer = integration.presets.iter().find(|offer| {
            catalog
                .preset(&offer.preset)
                .is_some_and(|preset| preset.inputs.contains(&input))
        });
        match offer {
            Some(offer) if !chosen.iter().any(|c| c.preset == offer.preset) => chosen.push(offer),
            Some(_) => {}
            None => stray.push(input.flag()),
        }
    }
    if let Some(flag) = stray.first() {
        return Err(InputError::new(
            *flag,
            format!(
                "the {} integration doesn't use it; it offers: {}",
                integration.id,
                offered.join("; ")
            ),
        ));
    }
    match chosen.as_slice() {
        [one] => Ok(one),
        [] => Err(InputError::new(
            "permissions",
            format!("choose what the role may do: {}", offered.join("; ")),
        )),
        several => Err(InputError::new(
            several
                .iter()
                .filter_map(|o| catalog.preset(&o.preset)?.inputs.first().map(|i| i.flag()))
                .collect::<Vec<_>>()
                .join(" and "),
            "choose one permission preset; for several permissions write them in one policy and use --policy-file",
        )),
    }
}

fn check_input(input: Input, value: &str) -> Result<(), InputError> {
    let result = match input {
        Input::Bucket => validate::bucket_name(value),
        Input::BucketRegion => validate::region(value),
        Input::LambdaArns => validate::lambda_arn(value).map(|_| ()),
        Input::PolicyFile => Ok(()),
    };
    result.map_err(InputError::at(input.flag()))
}

/// The external IDs to trust, checked; generated when the integration generates one and none was
/// given. Returns whether it was generated.
fn external_ids(
    integration: &Integration,
    request: &PlanRequest,
) -> Result<(Vec<String>, bool), InputError> {
    let rule = &integration.external_id;
    let mut ids = Vec::new();
    match rule.source {
        ExternalIdSource::Generated => {
            if !request.workspace_ids.is_empty() {
                return Err(InputError::new(
                    "--workspace-id",
                    format!(
                        "the {} integration uses an external ID of at least {} random characters, not the workspace ID: leave it out to generate one, or bring your own with --external-id",
                        integration.id, rule.min_length
                    ),
                ));
            }
        }
        ExternalIdSource::WorkspaceId => {
            for id in &request.workspace_ids {
                validate::workspace_id(id).map_err(InputError::at("--workspace-id"))?;
                ids.push(id.clone());
            }
        }
    }
    if !request.source_ids.is_empty() && !rule.source_ids {
        return Err(InputError::new(
            "--source-id",
            format!("the {} integration does not use source IDs", integration.id),
        ));
    }
    for id in &request.source_ids {
        validate::workspace_id(id).map_err(|e| {
            InputError::new("--source-id", e.0.replace("workspace ID", "source ID"))
        })?;
        ids.push(id.clone());
    }
    let min_length = if request.existing_role {
        validate::EXTERNAL_ID_MIN_AWS
    } else {
        rule.min_length
    };
    for id in &request.external_ids {
        validate::external_id(id, min_length).map_err(InputError::at("--external-id"))?;
        ids.push(id.clone());
    }
    let mut seen = std::collections::BTreeSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    if ids.len() > 1 && !rule.multiple {
        return Err(InputError::new(
            "--external-id",
            "this integration trusts exactly one external ID: give it once",
        ));
    }
    if !ids.is_empty() {
        return Ok((ids, false));
    }
    match rule.source {
        ExternalIdSource::Generated => Ok((
            vec![external_id::generate(external_id::DEFAULT_LENGTH)],
            true,
        )),
        ExternalIdSource::WorkspaceId => Err(InputError::new(
            "--workspace-id",
            format!(
                "the {} integration's external ID is your Segment workspace ID (Segment shows it in Settings > General, and as the destination's External ID setting): give it with --workspace-id",
                integration.id
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(integration: &str) -> PlanRequest {
        PlanRequest {
            integration: integration.into(),
            ..PlanRequest::default()
        }
    }

    fn s3(integration: &str) -> PlanRequest {
        PlanRequest {
            bucket: Some("my-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            ..request(integration)
        }
    }

    const LAMBDA: &str = "arn:aws:lambda:us-west-2:123456789012:function:my-function";

    #[test]
    fn s3_plan_for_a_destination_function() {
        let plan = Plan::build(Catalog::builtin(), &s3("destination-function")).expect("valid");
        assert!(plan.external_id_generated);
        assert_eq!(plan.external_id().len(), 40);
        assert_eq!(plan.parameters["ExternalId"], json!(plan.external_id()));
        assert_eq!(plan.parameters["BucketName"], json!("my-bucket"));
        assert_eq!(
            plan.settings_json(Some("arn:aws:iam::123456789012:role/r")),
            json!({
                "iamRoleArn": "arn:aws:iam::123456789012:role/r",
                "iamRoleExternalId": plan.external_id(),
                "s3Bucket": "my-bucket",
                "s3BucketRegion": "us-west-2"
            })
        );
        assert!(plan.stack_name.starts_with("segment-destination-function-"));
        assert_eq!(plan.role_name, "segment-destination-function");
    }

    #[test]
    fn lambda_destination_uses_the_workspace_id_and_fills_function_and_region() {
        let plan = Plan::build(
            Catalog::builtin(),
            &PlanRequest {
                workspace_ids: vec!["wXZ2sd8N3mJ".into()],
                lambda_arns: vec![LAMBDA.into()],
                ..request("lambda-destination")
            },
        )
        .expect("valid");
        assert!(!plan.external_id_generated);
        assert_eq!(
            plan.settings_json(None),
            json!({"roleAddress": null, "externalId": "wXZ2sd8N3mJ", "function": LAMBDA, "region": "us-west-2"})
        );
        assert_eq!(plan.parameters["LambdaARN"], json!(LAMBDA));
        assert_eq!(
            plan.permission_policy["Statement"][0]["Resource"],
            json!([LAMBDA])
        );
    }

    #[test]
    fn several_workspace_ids_are_written_into_the_template() {
        let plan = Plan::build(
            Catalog::builtin(),
            &PlanRequest {
                workspace_ids: vec!["ws1abc".into(), "ws2abc".into()],
                lambda_arns: vec![LAMBDA.into()],
                ..request("lambda-destination")
            },
        )
        .expect("valid");
        assert!(!plan.parameters.contains_key("ExternalId"));
        let role = template::role_logical_id(&plan.template)
            .expect("role")
            .to_string();
        assert_eq!(
            plan.template["Resources"][&role]["Properties"]["AssumeRolePolicyDocument"],
            plan.trust_policy
        );
        assert_eq!(plan.to_json()["externalId"], json!(["ws1abc", "ws2abc"]));
    }

    #[test]
    fn a_custom_policy_replaces_the_templates_permission_policy() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}"#;
        let plan = Plan::build(
            Catalog::builtin(),
            &PlanRequest {
                policy_file: Some(PolicyFile {
                    path: "p.json".into(),
                    text: text.into(),
                }),
                ..request("source-function")
            },
        )
        .expect("valid");
        assert_eq!(
            plan.permission_policy,
            serde_json::from_str::<Value>(text).expect("json")
        );
        assert!(!plan.parameters.contains_key("BucketName"));
        assert!(plan.template["Parameters"].get("BucketName").is_none());
    }

    #[test]
    fn bad_inputs_name_their_flag() {
        let catalog = Catalog::builtin();
        let flag_of =
            |request: PlanRequest| Plan::build(catalog, &request).expect_err("invalid").flag;
        assert_eq!(flag_of(request("nope")), "--integration");
        assert_eq!(flag_of(request("destination-function")), "permissions");
        assert_eq!(
            flag_of(PlanRequest {
                bucket_region: None,
                ..s3("destination-function")
            }),
            "--bucket-region"
        );
        assert_eq!(
            flag_of(PlanRequest {
                bucket: Some("Bad_Bucket".into()),
                ..s3("destination-function")
            }),
            "--bucket"
        );
        assert_eq!(
            flag_of(PlanRequest {
                external_ids: vec!["short".into()],
                ..s3("destination-function")
            }),
            "--external-id"
        );
        assert_eq!(
            flag_of(PlanRequest {
                workspace_ids: vec!["ws1abc".into()],
                ..s3("destination-function")
            }),
            "--workspace-id"
        );
        assert_eq!(flag_of(s3("lambda-destination")), "--bucket");
        assert_eq!(
            flag_of(PlanRequest {
                lambda_arns: vec![LAMBDA.into()],
                ..request("lambda-destination")
            }),
            "--workspace-id"
        );
        assert_eq!(
            flag_of(PlanRequest {
                lambda_arns: vec!["my-function".into()],
                ..request("destination-function")
            }),
            "--lambda-arn"
        );
        assert_eq!(
            flag_of(PlanRequest {
                lambda_arns: vec![LAMBDA.into()],
                ..s3("destination-function")
            }),
            "--bucket and --lambda-arn"
        );
        assert_eq!(
            flag_of(PlanRequest {
                role_name: Some("bad name".into()),
                ..s3("source-function")
            }),
            "--role-name"
        );
        assert_eq!(
            flag_of(PlanRequest {
                stack_name: Some("9bad".into()),
                ..s3("source-function")
            }),
            "--stack-name"
        );
    }

    #[test]
    fn too_many_ids_for_the_trust_policy_quota_are_refused() {
        let ids: Vec<String> = (0..100)
            .map(|i| format!("workspace{i:04}abcdefghij"))
            .collect();
        let error = Plan::build(
            Catalog::builtin(),
            &PlanRequest {
                workspace_ids: ids,
                lambda_arns: vec![LAMBDA.into()],
                ..request("lambda-destination")
            },
        )
        .expect_err("too long");
        assert!(error.reason.0.contains("2048"), "{error}");
    }

    #[test]
    fn cli_commands_read_the_documents_from_files_never_the_command_line() {
        let plan = Plan::build(Catalog::builtin(), &s3("destination-function")).expect("valid");
        let commands = plan.cli_commands();
        assert_eq!(commands.len(), 3);
        let id = plan.external_id();
        for command in &commands {
            assert!(
                !command.contains(id),
                "no external ID in a command: {command}"
            );
        }
        let words = shlex::split(&commands[0]).expect("shell words");
        let trust_at = words
            .iter()
            .position(|w| w == "--assume-role-policy-document")
            .expect("flag")
            + 1;
        assert_eq!(words[trust_at], "file://trust-policy.json");
        let words = shlex::split(&commands[1]).expect("shell words");
        assert_eq!(
            words.last().map(String::as_str),
            Some("file://permission-policy.json")
        );
        let documents = plan.documents();
        let trust = documents
            .iter()
            .find(|(name, _, _)| *name == TRUST_POLICY_FILE)
            .expect("the trust policy");
        assert!(trust.2, "it holds the external ID: private");
        assert_eq!(
            serde_json::from_str::<Value>(&trust.1).expect("JSON"),
            plan.trust_policy
        );
        let parameters = documents
            .iter()
            .find(|(name, _, _)| *name == PARAMETERS_FILE)
            .expect("the parameters");
        assert!(parameters.1.contains(id) && parameters.2);
    }

    #[test]
    fn text_shows_every_part() {
        let plan = Plan::build(Catalog::builtin(), &s3("destination-function")).expect("valid");
        let text = plan.to_text();
        for part in [
            "Principal",
            "External ID",
            "Trust policy",
            "Permission policy",
            "Parameters:",
            "Template:",
            "Settings in Segment, once the role exists",
            "IAM Role ARN (iamRoleArn) · required",
            "aws iam create-role",
        ] {
            assert!(text.contains(part), "missing {part}");
        }
        assert!(text.contains(plan.external_id()));
    }
}
