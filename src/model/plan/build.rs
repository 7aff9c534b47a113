//! A plan worked out from its request: the integration and preset, the inputs checked together,
//! the external IDs, the role and stack names.

use super::inputs::*;
use super::request::*;
use crate::model::catalog::{Catalog, ExternalIdSource, Input};
use crate::model::external_id;
use crate::model::policy;
use crate::model::template;
use crate::model::validate::{self, Field, InputError};
use rand::distr::{Alphanumeric, SampleString};
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub integration_id: String,
    pub integration_title: String,
    pub principal: String,
    pub preset_id: String,
    pub preset_title: String,
    /// The IDs Segment presents today.
    pub external_ids: Vec<String>,
    /// A rotation's new ID: the role accepts it beside `external_ids`, and it is the one to paste
    /// into Segment now. Empty when no rotation is under way.
    pub next_external_ids: Vec<String>,
    /// True when the wizard generated the external ID (it must then be kept like a password).
    pub external_id_generated: bool,
    pub trust_policy: Value,
    pub permission_policy: Value,
    pub template_name: String,
    /// The template as it will be deployed.
    pub template: Value,
    pub parameters: Map<String, Value>,
    pub role_name: String,
    /// The role's path (the direct IAM method; `/` otherwise).
    pub role_path: String,
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
    /// The account ID when it was known (a policy or setting names it).
    pub account: Option<String>,
    pub(super) setting_specs: Vec<crate::model::catalog::SettingSpec>,
    /// The code that uses the role (a file in `assets/snippets/`).
    pub snippet: Option<String>,
    /// The function made with the role for Segment to invoke, when asked for.
    pub starter: Option<crate::model::starter::Starter>,
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
    #[expect(
        clippy::too_many_lines,
        reason = "a long sequence, to be split by step"
    )]
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
        let stack_name = request
            .stack_name
            .clone()
            .unwrap_or_else(|| default_stack_name(&integration.id));
        validate::stack_name(&stack_name).map_err(InputError::at("--stack-name"))?;
        let starter = starter_function(offer, request, &stack_name)?;
        let mut inputs = BTreeMap::new();
        for input in preset.optional_inputs.iter().copied() {
            let values = request.values(input);
            for value in &values {
                check_input(input, value)?;
            }
            if !values.is_empty() {
                inputs.insert(input, normalized(input, values));
            }
        }
        for &input in &preset.inputs {
            let values = request.values(input);
            // The starter function's ARN comes first (the Lambda setting names it); its account
            // may still be the placeholder, so it is not held to the ARN check.
            if let Some(starter) = starter.as_ref().filter(|_| input == Input::LambdaArns) {
                for value in &values {
                    check_input(input, value)?;
                }
                let mut all = vec![starter.arn()];
                all.extend(values);
                inputs.insert(input, all);
                continue;
            }
            if values.is_empty() {
                let others: Vec<String> = preset
                    .inputs
                    .iter()
                    .map(|i| Field::Input(*i).mention())
                    .collect();
                return Err(InputError::new(
                    input,
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
        check_together(&inputs)?;

        let (external_ids, generated_here) = external_ids(integration, request)?;
        let external_id_generated = generated_here || request.generated_external_id;
        let next_external_ids = next_external_ids(integration, request, &external_ids)?;
        let accepted: Vec<String> = external_ids
            .iter()
            .chain(&next_external_ids)
            .cloned()
            .collect();
        let trust_policy = policy::trust_policy(&integration.principal, &accepted);
        let trust_chars = trust_policy.to_string().chars().count();
        if trust_chars > TRUST_POLICY_MAX_CHARS {
            return Err(InputError::new(
                external_id_flag(integration),
                format!(
                    "with these external IDs the trust policy is {trust_chars} characters; IAM allows {TRUST_POLICY_MAX_CHARS}: use fewer or shorter IDs"
                ),
            ));
        }
        // The role's name comes first: a policy may name the role itself.
        let role_name = request
            .role_name
            .clone()
            .unwrap_or_else(|| default_role_name(&integration.id));
        validate::role_name(&role_name).map_err(InputError::at("--role-name"))?;
        let account = request
            .account
            .clone()
            .unwrap_or_else(|| ACCOUNT_PLACEHOLDER.to_string());
        let role_path = request.role_path.clone().unwrap_or_else(|| "/".into());
        let role_arn = format!("arn:aws:iam::{account}:role{role_path}{role_name}");
        let permission_policy = match (preset.statements.as_slice(), &request.policy_file) {
            (statements @ [_, ..], _) => policy::permission_policy(
                statements,
                &policy::PatternValues {
                    inputs: &inputs,
                    account: &account,
                    role_arn: &role_arn,
                },
            ),
            ([], Some(file)) => policy::check_custom_policy(&file.text)
                .map_err(InputError::at(Field::PolicyFileAt(file.path.clone())))?,
            ([], None) => {
                return Err(InputError::new(
                    "--policy-file",
                    "give the policy document's path",
                ));
            }
        };

        let broad_grants = policy::broad_grants(&permission_policy);
        let mut warnings: Vec<String> =
            if integration.external_id.source == ExternalIdSource::WorkspaceId {
                external_ids
                    .iter()
                    .filter_map(|id| validate::workspace_id_doubt(id))
                    .collect()
            } else if external_id_generated || request.existing_role {
                Vec::new()
            } else {
                external_ids
                    .iter()
                    .filter_map(|id| external_id::weakness(id))
                    .map(|why| format!("the external ID you brought looks weak: {why}"))
                    .collect()
            };
        // An integration whose functions must be in given regions (Amazon Personalize:
        // us-west-2) says so for each function elsewhere.
        if let Some(starter) = &starter
            && !integration.resource_regions.is_empty()
            && !integration.resource_regions.contains(&starter.region)
        {
            warnings.push(format!(
                "{} needs its Lambda function in {}, where Segment's Lambdas can reach it; the starter function would be made in {} (pass --region {})",
                integration.title,
                integration.resource_regions.join(" or "),
                starter.region,
                integration.resource_regions[0]
            ));
        }
        if starter
            .as_ref()
            .is_some_and(|s| s.region == REGION_PLACEHOLDER)
        {
            warnings.push(format!(
                "the starter function's ARN names {REGION_PLACEHOLDER}: the region it is made in goes there (pass --region or set AWS_REGION; create and the wizard use the setup's region)"
            ));
        }
        if !integration.resource_regions.is_empty() {
            for arn in &request.lambda_arns {
                if let Ok(region) = validate::lambda_arn(arn)
                    && !integration.resource_regions.iter().any(|r| r == region)
                {
                    warnings.push(format!(
                        "{} needs its Lambda function in {}, where Segment's Lambdas can reach it; {arn} is in {region}",
                        integration.title,
                        integration.resource_regions.join(" or ")
                    ));
                }
            }
        }
        if request.account.is_none() && permission_policy.to_string().contains(ACCOUNT_PLACEHOLDER)
        {
            warnings.push(format!(
                "the permission policy names {ACCOUNT_PLACEHOLDER}: your AWS account's ID goes there (create and the wizard fill it in; the template uses the stack's own account)"
            ));
        }
        let source = template::load(&integration.template).ok_or_else(|| {
            InputError::new(
                "--integration",
                format!("template {} is missing", integration.template),
            )
        })?;
        let one_id = external_ids.len() == 1;
        // A rotation's second ID goes in the template's own parameter where it has one (NoEcho:
        // the secret never appears in the template); otherwise several IDs are written literally.
        let next_parameter = integration
            .next_external_id_parameter
            .as_ref()
            .filter(|name| source["Parameters"].get(name.as_str()).is_some());
        let parameterized = one_id && (next_external_ids.is_empty() || next_parameter.is_some());
        let literal_trust = (!parameterized).then_some(&trust_policy);
        let literal_permission = offer
            .template_parameters
            .is_none()
            .then_some(&permission_policy);
        let mut rendered = template::render(&source, literal_trust, literal_permission);
        if let Some(starter) = &starter {
            starter.add_to(&mut rendered);
        }
        // The template says what this role may do: the preset actually used.
        rendered["Description"] = json!(format!(
            "IAM role that Segment's {} assumes ({}) with an external ID, allowed to: {} ({}). Made by segment-aws-setup; usable by hand.",
            integration.title.to_lowercase(),
            integration.principal,
            preset.title.to_lowercase(),
            preset.description
        ));
        let mut parameters = Map::new();
        if parameterized {
            parameters.insert(
                integration.external_id_parameter.clone(),
                json!(external_ids[0]),
            );
            // Always given, empty when not rotating: an update that leaves it out would keep the
            // stack's previous value on some paths and the default on others.
            if let Some(name) = next_parameter {
                parameters.insert(
                    name.clone(),
                    json!(next_external_ids.first().cloned().unwrap_or_default()),
                );
            }
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
            next_external_ids,
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
                .chain(starter.as_ref().map(|s| {
                    (
                        crate::model::starter::STARTER_TAG.to_string(),
                        s.name.clone(),
                    )
                }))
                .collect(),
            broad_grants,
            warnings,
            template: rendered,
            parameters,
            role_name,
            role_path,
            stack_name,
            inputs,
            account: request.account.clone(),
            setting_specs: integration.settings_with(offer).cloned().collect(),
            snippet: offer.snippet.clone(),
            starter,
        })
    }

    /// The external ID as Segment's setting should hold it: a rotation's new one, else the first
    /// one when several are trusted.
    pub fn external_id(&self) -> &str {
        self.next_external_ids
            .first()
            .or(self.external_ids.first())
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Every ID the role accepts: today's, and a rotation's new one.
    pub fn accepted_external_ids(&self) -> Vec<String> {
        self.external_ids
            .iter()
            .chain(&self.next_external_ids)
            .cloned()
            .collect()
    }

    /// Every input the plan was built from, by kind.
    pub fn all_inputs(&self) -> &BTreeMap<Input, Vec<String>> {
        &self.inputs
    }

    /// Every value of an input (all the Lambda ARNs, say).
    pub fn inputs(&self, input: Input) -> &[String] {
        self.inputs
            .get(&input)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub(super) fn input(&self, input: Input) -> Option<&str> {
        self.inputs
            .get(&input)
            .and_then(|values| values.first())
            .map(String::as_str)
    }
}

/// The starter function a request asks for, checked: only a preset that offers one, in a
/// region.
fn starter_function(
    offer: &crate::model::catalog::PresetOffer,
    request: &PlanRequest,
    stack_name: &str,
) -> Result<Option<crate::model::starter::Starter>, InputError> {
    use crate::model::starter::{Starter, code_source};
    if !request.starter_function {
        return Ok(None);
    }
    let spec = offer.starter_function.clone().ok_or_else(|| {
        InputError::new(
            "--starter-function",
            "only the Amazon Lambda and Amazon Personalize destinations invoke a function this tool can make",
        )
    })?;
    // Like the account, the region may be known only once connected.
    let region = match &request.region {
        Some(region) => {
            validate::region(region).map_err(InputError::at("--region"))?;
            region.clone()
        }
        None => REGION_PLACEHOLDER.to_string(),
    };
    let code = code_source(&spec.code)
        .ok_or_else(|| InputError::new("--starter-function", "its code is missing"))?;
    let name = match &request.starter_name {
        Some(name) => {
            let fits = (1..=64).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !fits {
                return Err(InputError::new(
                    "--starter-function",
                    "a Lambda function's name is 1 to 64 letters, digits, hyphens and underscores",
                ));
            }
            name.clone()
        }
        None => Starter::name_for(stack_name),
    };
    Ok(Some(Starter {
        name,
        region,
        account: request
            .account
            .clone()
            .unwrap_or_else(|| ACCOUNT_PLACEHOLDER.to_string()),
        spec,
        code: code.to_string(),
    }))
}

impl PlanRequest {
    /// This request with what `plan` (built from it) generated kept: the external ID and the
    /// names, so building it again (for the account, once known) changes nothing else.
    pub fn pinned_to(mut self, plan: &Plan) -> PlanRequest {
        if self.external_ids.is_empty() && self.workspace_ids.is_empty() {
            self.external_ids = plan.external_ids.clone();
            self.generated_external_id = plan.external_id_generated;
        }
        self.stack_name = Some(plan.stack_name.clone());
        self.role_name = Some(plan.role_name.clone());
        self
    }
}
