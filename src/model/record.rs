//! The record of a setup: what is needed to resume it and to find its external ID later
//! (integration, method, stack or role name, region, account, external IDs, a rotation's new one,
//! the settings), and the checks a record read back must pass ([`SavedSetup::check`]), the same a
//! typed value would. Where records are kept on disk is the engine's (`engine::saving`).

use crate::model::catalog::{Catalog, Input};
use crate::model::plan::{Plan, Setting};
use crate::model::validate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Cloudformation,
    Iam,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedSetup {
    pub integration: String,
    pub method: Method,
    pub stack_name: Option<String>,
    pub role_name: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub account: String,
    pub external_ids: Vec<String>,
    /// Segment's settings, the role ARN still empty.
    pub settings: Vec<Setting>,
    /// The inline permission policy, so that a resumed direct-IAM setup can be finished.
    #[serde(default)]
    pub policy_name: Option<String>,
    #[serde(default)]
    pub permission_policy: Option<serde_json::Value>,
    /// The setup ended: its role exists and is right. Not offered for resuming.
    #[serde(default)]
    pub finished: bool,
    /// The role's ARN, once known.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// When it was saved (seconds since the epoch): the newest unfinished setup is resumed first.
    #[serde(default)]
    pub saved_at: u64,
    /// The permission preset, and the Lambda ARNs, for the outcome of a resumed setup.
    #[serde(default)]
    pub preset: Option<String>,
    #[serde(default)]
    pub lambda_arns: Vec<String>,
    /// Made through a StackSet of this name, in many accounts (watched and retried by name).
    #[serde(default)]
    pub stack_set: Option<String>,
    /// A rotation's new external ID: saved before the role is changed to accept it, so that the
    /// role never accepts an ID saved nowhere. Empty when no rotation is under way.
    #[serde(default)]
    pub pending_external_ids: Vec<String>,
    /// When the rotation began (seconds since the epoch).
    #[serde(default)]
    pub rotation_started_at: Option<u64>,
    /// IDs a change under way removes (a rotation's old one, a guessable one): the role may still
    /// accept them until the change is done, so they stay on disk until then.
    #[serde(default)]
    pub retiring_external_ids: Vec<String>,
    /// Every input the plan was built from (bucket, ARNs, prefix, key, streams, cluster), so a
    /// resume can build the same plan again and judge the saved policy against it.
    #[serde(default)]
    pub inputs: BTreeMap<Input, Vec<String>>,
    /// The role's path (the direct IAM method), which its ARN and so its policy may name.
    #[serde(default)]
    pub role_path: Option<String>,
    /// The starter function made with the role, by name (its execution role is
    /// `<name>-role` on the IAM path): deleted with the setup.
    #[serde(default)]
    pub starter_function: Option<String>,
}

/// Seconds since the epoch.
pub fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl SavedSetup {
    pub fn new(
        plan: &Plan,
        method: Method,
        account: &str,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> Self {
        SavedSetup {
            integration: plan.integration_id.clone(),
            method,
            stack_name: (method == Method::Cloudformation).then(|| plan.stack_name.clone()),
            role_name: (method == Method::Iam).then(|| plan.role_name.clone()),
            region: region.map(str::to_string),
            profile: profile.map(str::to_string),
            account: account.to_string(),
            external_ids: plan.external_ids.clone(),
            settings: plan.settings(None),
            policy_name: Some(plan.policy_name.clone()),
            permission_policy: Some(plan.permission_policy.clone()),
            finished: false,
            role_arn: None,
            preset: Some(plan.preset_id.clone()),
            lambda_arns: plan
                .inputs(crate::model::catalog::Input::LambdaArns)
                .to_vec(),
            stack_set: None,
            saved_at: now_seconds(),
            pending_external_ids: plan.next_external_ids.clone(),
            rotation_started_at: None,
            retiring_external_ids: Vec::new(),
            inputs: plan.all_inputs().clone(),
            role_path: (method == Method::Iam && plan.role_path != "/")
                .then(|| plan.role_path.clone()),
            starter_function: plan.starter.as_ref().map(|s| s.name.clone()),
        }
    }

    /// Every ID the role may accept while this record stands: the current ones and a rotation's
    /// new one.
    pub fn all_external_ids(&self) -> Vec<String> {
        let mut ids = self.external_ids.clone();
        for id in self
            .pending_external_ids
            .iter()
            .chain(&self.retiring_external_ids)
        {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    }

    /// The request that builds this setup's plan again: its integration, IDs (a rotation's new
    /// one too), inputs, names and account. A record saved before the inputs were kept gives its
    /// Lambda ARNs and its bucket settings instead.
    pub fn request(&self) -> crate::model::plan::PlanRequest {
        let workspace = Catalog::builtin()
            .integration(&self.integration)
            .is_some_and(|i| {
                i.external_id.source == crate::model::catalog::ExternalIdSource::WorkspaceId
            });
        let mut inputs = self.inputs.clone();
        if inputs.is_empty() {
            if !self.lambda_arns.is_empty() {
                inputs.insert(Input::LambdaArns, self.lambda_arns.clone());
            }
            let setting = |key: &str| {
                self.settings
                    .iter()
                    .find(|s| s.key == key)
                    .and_then(|s| s.value.clone())
            };
            if let Some(bucket) = setting("s3Bucket") {
                inputs.insert(Input::Bucket, vec![bucket]);
            }
            if let Some(region) = setting("s3BucketRegion") {
                inputs.insert(Input::BucketRegion, vec![region]);
            }
        }
        let one = |input: Input| inputs.get(&input).and_then(|v| v.first()).cloned();
        let custom = self.preset.as_deref() == Some("custom");
        crate::model::plan::PlanRequest {
            integration: self.integration.clone(),
            external_ids: if workspace {
                Vec::new()
            } else {
                self.external_ids.clone()
            },
            workspace_ids: if workspace {
                self.external_ids.clone()
            } else {
                Vec::new()
            },
            next_external_ids: self.pending_external_ids.clone(),
            source_ids: Vec::new(),
            bucket: one(Input::Bucket),
            bucket_region: one(Input::BucketRegion),
            // A starter function's ARN is the plan's own again (first), not an input.
            lambda_arns: inputs
                .get(&Input::LambdaArns)
                .into_iter()
                .flatten()
                .filter(|arn| {
                    self.starter_function
                        .as_ref()
                        .is_none_or(|name| !arn.ends_with(&format!(":function:{name}")))
                })
                .cloned()
                .collect(),
            policy_file: if custom {
                self.permission_policy
                    .as_ref()
                    .map(|policy| crate::model::plan::PolicyFile {
                        path: inputs
                            .get(&Input::PolicyFile)
                            .and_then(|v| v.first().cloned())
                            .unwrap_or_else(|| "(the saved policy)".into()),
                        text: policy.to_string(),
                    })
            } else {
                None
            },
            role_name: self.role_name.clone(),
            stack_name: self.stack_name.clone(),
            existing_role: true,
            generated_external_id: true,
            other_inputs: inputs
                .into_iter()
                .filter(|(input, _)| {
                    !matches!(
                        input,
                        Input::Bucket | Input::BucketRegion | Input::LambdaArns | Input::PolicyFile
                    )
                })
                .collect(),
            account: Some(self.account.clone()),
            role_path: self.role_path.clone(),
            starter_function: self.starter_function.is_some(),
            starter_name: self.starter_function.clone(),
            region: self.region.clone(),
        }
    }

    /// Puts this setup's external IDs into a request, in the field its integration takes them in
    /// (a workspace ID or a generated one), with a rotation's new one.
    pub fn lend_ids(&self, request: &mut crate::model::plan::PlanRequest) {
        let saved = self.request();
        request.external_ids = saved.external_ids;
        request.workspace_ids = saved.workspace_ids;
        request.source_ids.clear();
        request.next_external_ids = saved.next_external_ids;
        request.generated_external_id = !request.external_ids.is_empty();
    }

    /// A rotation is under way: the role accepts (or is about to accept) a new ID too.
    pub fn rotating(&self) -> bool {
        !self.pending_external_ids.is_empty()
    }

    /// When the rotation under way began, as every face says it (RFC 3339, UTC).
    pub fn rotation_since(&self) -> Option<String> {
        self.rotation_started_at.map(|at| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(at),
            )
            .to_string()
        })
    }

    /// Checks every field as a typed value is checked: a state file is untrusted input (it may
    /// have been planted or edited), and file names are built from these fields.
    #[expect(
        clippy::too_many_lines,
        reason = "a long sequence, to be split by step"
    )]
    pub fn check(&self) -> Result<(), String> {
        let catalog = Catalog::builtin();
        let Some(integration) = catalog.integration(&self.integration) else {
            return Err(format!(
                "integration {:?} is not one this tool knows",
                crate::model::text::one_line(&self.integration)
            ));
        };
        let field = |name: &str, result: validate::Check| {
            result.map_err(|invalid| format!("{name}: {}", invalid.0))
        };
        field("account", validate::account_id(&self.account))?;
        if let Some(stack) = &self.stack_name {
            field("stackName", validate::stack_name(stack))?;
        }
        if let Some(role) = &self.role_name {
            field("roleName", validate::role_name(role))?;
        }
        if let Some(stack_set) = &self.stack_set {
            field("stackSet", validate::stack_name(stack_set))?;
        }
        let named = match (self.method, &self.stack_set) {
            (_, Some(_)) => true,
            (Method::Cloudformation, None) => self.stack_name.is_some(),
            (Method::Iam, None) => self.role_name.is_some(),
        };
        if !named {
            return Err("it names no stack, role or stack set".into());
        }
        if let Some(region) = &self.region {
            field("region", validate::region(region))?;
        }
        if let Some(profile) = &self.profile {
            field("profile", validate::profile_name(profile))?;
        }
        if let Some(path) = &self.role_path {
            field("rolePath", validate::role_path(path))?;
        }
        const MAX_IDS: usize = 20;
        let ids = self.all_external_ids();
        if ids.len() > MAX_IDS {
            return Err(format!("it holds more than {MAX_IDS} external IDs"));
        }
        for id in &ids {
            field(
                "externalIds",
                validate::external_id(id, validate::EXTERNAL_ID_MIN_AWS),
            )?;
        }
        if let Some(arn) = &self.role_arn {
            // A StackSet's record names its role in every account with ACCOUNT.
            let every_account = self.stack_set.is_some()
                && arn
                    .strip_prefix("arn:aws:iam::ACCOUNT:role/")
                    .is_some_and(|name| validate::role_name(name).is_ok());
            if !every_account {
                field("roleArn", validate::role_arn(arn))?;
            }
        }
        if let Some(preset) = &self.preset
            && !integration.presets.iter().any(|o| &o.preset == preset)
        {
            return Err(format!(
                "preset {:?} is not one of {}'s",
                crate::model::text::one_line(preset),
                integration.id
            ));
        }
        for arn in &self.lambda_arns {
            field("lambdaArns", validate::lambda_arn(arn).map(|_| ()))?;
        }
        for (input, values) in &self.inputs {
            for value in values {
                field(input.label(), validate::input_value(*input, value))?;
            }
        }
        if let Some(name) = &self.policy_name {
            field("policyName", validate::policy_name(name))?;
        }
        if let Some(policy) = &self.permission_policy {
            let text = policy.to_string();
            if crate::model::policy::compact_len(policy)
                > crate::model::policy::INLINE_POLICIES_MAX_CHARS
            {
                return Err(format!(
                    "permissionPolicy is longer than IAM's {} characters",
                    crate::model::policy::INLINE_POLICIES_MAX_CHARS
                ));
            }
            crate::model::policy::check_custom_policy(&text)
                .map_err(|invalid| format!("permissionPolicy: {}", invalid.0))?;
        }
        const MAX_SETTINGS: usize = 50;
        if self.settings.len() > MAX_SETTINGS {
            return Err(format!("it holds more than {MAX_SETTINGS} settings"));
        }
        let plain = |text: &str, max: usize| {
            text.chars().count() <= max
                && !text
                    .chars()
                    .any(|c| c.is_control() || crate::model::text::is_invisible(c))
        };
        for setting in &self.settings {
            let texts = [&setting.label, &setting.key]
                .into_iter()
                .chain(setting.value.as_ref())
                .chain(setting.placeholder.as_ref());
            for text in texts {
                if !plain(text, 2048) {
                    return Err(format!(
                        "setting {:?} holds a control character or is too long",
                        crate::model::text::one_line(&setting.key)
                    ));
                }
            }
        }
        Ok(())
    }

    /// A StackSet setup: the stack set's name instead of a stack's.
    pub fn for_stack_set(
        plan: &Plan,
        stack_set: &str,
        account: &str,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> Self {
        let mut saved = SavedSetup::new(plan, Method::Cloudformation, account, region, profile);
        saved.stack_name = None;
        saved.stack_set = Some(stack_set.to_string());
        saved
    }

    /// "stack S" or "role R".
    pub fn what(&self) -> String {
        if let Some(stack_set) = &self.stack_set {
            return format!("stack set {stack_set}");
        }
        match (&self.stack_name, &self.role_name) {
            (Some(stack), _) => format!("stack {stack}"),
            (None, Some(role)) => format!("role {role}"),
            (None, None) => "a setup".into(),
        }
    }

    /// Where it is resumed: "region R, profile P" (the saved ones, not the current).
    pub fn place(&self) -> String {
        let region = self.region.as_deref().unwrap_or("the default region");
        match &self.profile {
            Some(profile) => format!("region {region}, profile {profile}"),
            None => format!("region {region}"),
        }
    }

    /// The settings with the role ARN filled in.
    pub fn settings_with(&self, role_arn: &str) -> Vec<Setting> {
        self.settings
            .iter()
            .cloned()
            .map(|mut setting| {
                if setting.value.is_none() {
                    setting.value = Some(role_arn.to_string());
                }
                setting
            })
            .collect()
    }

    pub fn file_name(&self) -> String {
        // Each StackSet has its own file: they have neither a stack nor a role name here.
        if let Some(stack_set) = &self.stack_set {
            return format!("{}-stackset-{stack_set}.json", self.account);
        }
        let subject = self
            .stack_name
            .as_deref()
            .or(self.role_name.as_deref())
            .unwrap_or("setup");
        format!("{}-{subject}.json", self.account)
    }
}
