//! The integrations Segment offers, described as data in `assets/integrations.json` and embedded at
//! build time. Adding an integration is a change to that file (and a template in
//! `assets/templates/`), not to code.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::LazyLock;

// The snippets beside the integrations they belong to: the catalog checks each one it names.
include!(concat!(env!("OUT_DIR"), "/snippets.rs"));
include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// The embedded text of a snippet in `assets/snippets/`, by file name.
pub fn snippet_source(name: &str) -> Option<&'static str> {
    SNIPPETS
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, text)| *text)
}

/// The embedded text of a template in `assets/templates/`, by file name.
pub fn template_source(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, text)| *text)
}

/// The names of every embedded template.
pub fn template_names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(name, _)| *name)
}

static BUILTIN_JSON: &str = include_str!("../../assets/integrations.json");

static BUILTIN: LazyLock<Catalog> = LazyLock::new(|| {
    // The file is part of the binary and checked by tests, so a parse failure is a build defect.
    Catalog::from_json(BUILTIN_JSON).expect("assets/integrations.json is valid")
});

/// Where an integration's external ID comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExternalIdSource {
    /// The wizard generates it (or checks one the user brings).
    Generated,
    /// Segment sets it: the workspace ID.
    WorkspaceId,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExternalIdRule {
    pub source: ExternalIdSource,
    pub min_length: usize,
    /// The trust policy may list several IDs (Segment's Lambda destination allows it).
    pub multiple: bool,
    /// Segment uses the source ID when the workspace ID setting is empty: source IDs may be
    /// trusted too (`--source-id`).
    #[serde(default)]
    pub source_ids: bool,
    /// Where Segment shows the ID (a workspace ID): said on the External ID step.
    #[serde(default)]
    pub shown_as: Option<String>,
}

/// A value the user supplies for a permission preset. A statement's resource pattern names an
/// input by its name in braces (`{bucket}`, `{lambdaArns}`): each value of a list input makes
/// one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Input {
    Bucket,
    BucketRegion,
    LambdaArns,
    PolicyFile,
    /// A path prefix in the bucket (AWS S3: objects land under `PREFIX/segment-logs/`); kept
    /// as `a/b/` (or empty) so a pattern writes `{bucket}/{pathPrefix}segment-logs/*`.
    PathPrefix,
    /// A KMS key that encrypts the bucket or stream (an optional statement).
    KmsKeyArn,
    KinesisStreamArn,
    /// Firehose delivery streams, by ARN.
    DeliveryStreamArns,
    /// Data Lakes: the EMR cluster Segment runs its jobs on (a setting, not in the policy).
    EmrClusterId,
}

impl Input {
    /// Every kind, for flags, fields and tests.
    pub const ALL: [Input; 9] = [
        Input::Bucket,
        Input::BucketRegion,
        Input::LambdaArns,
        Input::PolicyFile,
        Input::PathPrefix,
        Input::KmsKeyArn,
        Input::KinesisStreamArn,
        Input::DeliveryStreamArns,
        Input::EmrClusterId,
    ];

    /// The command-line flag that carries this input.
    pub fn flag(self) -> &'static str {
        match self {
            Input::Bucket => "--bucket",
            Input::BucketRegion => "--bucket-region",
            Input::LambdaArns => "--lambda-arn",
            Input::PolicyFile => "--policy-file",
            Input::PathPrefix => "--path-prefix",
            Input::KmsKeyArn => "--kms-key-arn",
            Input::KinesisStreamArn => "--kinesis-stream-arn",
            Input::DeliveryStreamArns => "--delivery-stream-arn",
            Input::EmrClusterId => "--emr-cluster-id",
        }
    }

    /// The name a resource pattern uses for it, in braces.
    pub fn name(self) -> &'static str {
        match self {
            Input::Bucket => "bucket",
            Input::BucketRegion => "bucketRegion",
            Input::LambdaArns => "lambdaArns",
            Input::PolicyFile => "policyFile",
            Input::PathPrefix => "pathPrefix",
            Input::KmsKeyArn => "kmsKeyArn",
            Input::KinesisStreamArn => "kinesisStreamArn",
            Input::DeliveryStreamArns => "deliveryStreamArns",
            Input::EmrClusterId => "emrClusterId",
        }
    }

    /// Inputs that take several values (the flag may be repeated).
    pub fn is_list(self) -> bool {
        matches!(self, Input::LambdaArns | Input::DeliveryStreamArns)
    }

    /// What it takes, with an example: under a wizard field, after a plain-mode question.
    pub fn hint(self) -> &'static str {
        match self {
            Input::Bucket => "the bucket's name, e.g. my-events-bucket",
            Input::BucketRegion => "the bucket's region, e.g. us-west-2",
            Input::LambdaArns => "full ARNs, separated by commas",
            Input::PolicyFile => "a JSON policy document; Enter in the field reads it",
            Input::PathPrefix => "optional: folders in the bucket, e.g. path/prefix",
            Input::KmsKeyArn => "optional: the KMS key that encrypts it, arn:aws:kms:...:key/...",
            Input::KinesisStreamArn => "arn:aws:kinesis:REGION:ACCOUNT:stream/NAME",
            Input::DeliveryStreamArns => {
                "arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME, separated by commas"
            }
            Input::EmrClusterId => "optional: the EMR cluster's ID, e.g. j-2AXXXXXXGAPLF",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Input::Bucket => "S3 bucket",
            Input::BucketRegion => "S3 bucket region",
            Input::LambdaArns => "Lambda function ARNs",
            Input::PolicyFile => "policy file",
            Input::PathPrefix => "path prefix in the bucket",
            Input::KmsKeyArn => "KMS key ARN",
            Input::KinesisStreamArn => "Kinesis stream ARN",
            Input::DeliveryStreamArns => "Firehose delivery stream ARNs",
            Input::EmrClusterId => "EMR cluster ID",
        }
    }
}

/// What a Segment setting is filled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SettingValue {
    RoleArn,
    ExternalId,
    Bucket,
    BucketRegion,
    /// The bucket with the path prefix, as AWS S3's Bucket Name setting takes it
    /// (`bucket/path/prefix`).
    BucketWithPrefix,
    /// The first Lambda function ARN.
    LambdaFunction,
    /// The region of the first Lambda function ARN.
    LambdaRegion,
    /// The Kinesis stream's name, from its ARN.
    StreamName,
    /// The Kinesis stream's region, from its ARN.
    StreamRegion,
    /// The delivery streams' names, to map events to in Segment.
    DeliveryStreamNames,
    /// The delivery streams' region, from their ARNs.
    DeliveryStreamRegion,
    /// The AWS account ID (Data Lakes' Glue Catalog ID).
    AccountId,
    EmrClusterId,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettingSpec {
    /// As Segment labels it in the function's or destination's settings.
    pub label: String,
    /// The setting's key (what `settings.KEY` reads in a function).
    pub key: String,
    pub value: SettingValue,
    #[serde(default)]
    pub sensitive: bool,
    /// Segment requires it.
    #[serde(default)]
    pub required: bool,
    /// Segment sets it and shows it read-only: nothing to paste.
    #[serde(default)]
    pub read_only: bool,
    /// Shown when the value isn't known here (the default: known once the role exists).
    #[serde(default)]
    pub placeholder: Option<String>,
}

/// One Allow statement. Each resource is a pattern: `{name}` stands for an input's value (each
/// value of a list input makes one resource), `{account}` for the account ID and `{role}` for
/// the role's own ARN.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatementSpec {
    #[serde(default)]
    pub sid: Option<String>,
    pub action: serde_json::Value,
    pub resources: Vec<String>,
    #[serde(default)]
    pub condition: Option<serde_json::Value>,
    /// Only when this (optional) input is given, such as a KMS key.
    #[serde(default)]
    pub when: Option<Input>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preset {
    #[serde(skip)]
    pub id: String,
    pub title: String,
    pub description: String,
    pub inputs: Vec<Input>,
    /// Inputs that may be left out (a KMS key, a path prefix).
    #[serde(default)]
    pub optional_inputs: Vec<Input>,
    /// Empty for the custom policy, whose statements come from the user's file.
    #[serde(default)]
    pub statements: Vec<StatementSpec>,
    /// checkov's Terraform checks this preset's documented policy fails on purpose, each with
    /// why (written into `plan --format terraform` as checkov's inline skips).
    #[serde(default)]
    pub checkov_skips: Vec<CheckovSkip>,
}

/// A checkov check skipped, and why, in the words written beside the skip.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckovSkip {
    pub check: String,
    pub why: String,
}

impl Preset {
    /// Every input the preset takes, required first.
    pub fn all_inputs(&self) -> impl Iterator<Item = Input> + '_ {
        self.inputs
            .iter()
            .chain(self.optional_inputs.iter())
            .copied()
    }
}

/// Which values of an input fill a template parameter: all of them (joined with commas), the
/// first, or the rest. Written `lambdaArns`, `lambdaArns:first` or `lambdaArns:rest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ParameterSource {
    pub input: Input,
    pub part: Part,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    All,
    First,
    Rest,
}

impl TryFrom<String> for ParameterSource {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let (name, part) = match text.split_once(':') {
            None => (text.as_str(), Part::All),
            Some((name, "first")) => (name, Part::First),
            Some((name, "rest")) => (name, Part::Rest),
            Some((_, other)) => return Err(format!("unknown part {other:?}: first or rest")),
        };
        let input: Input = serde_json::from_value(serde_json::Value::String(name.to_string()))
            .map_err(|e| e.to_string())?;
        Ok(ParameterSource { input, part })
    }
}

impl ParameterSource {
    /// The parameter's value from the input's values.
    pub fn value(&self, values: &[String]) -> String {
        match self.part {
            Part::All => values.join(","),
            Part::First => values.first().cloned().unwrap_or_default(),
            Part::Rest => values.iter().skip(1).cloned().collect::<Vec<_>>().join(","),
        }
    }
}

/// A preset as an integration offers it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PresetOffer {
    pub preset: String,
    /// Template parameters this preset fills (parameter name → input). When absent, the
    /// template's permission policy is replaced by the preset's literal policy.
    #[serde(default)]
    pub template_parameters: Option<BTreeMap<String, ParameterSource>>,
    /// Settings this preset adds to the integration's own.
    #[serde(default)]
    pub settings: Vec<SettingSpec>,
    /// The code that uses the role (a file in `assets/snippets/`), for functions.
    #[serde(default)]
    pub snippet: Option<String>,
    /// A function this preset can make when the customer has none (`--starter-function`).
    #[serde(default)]
    pub starter_function: Option<crate::model::starter::StarterSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Integration {
    pub id: String,
    pub title: String,
    /// The destination's name in Segment's catalog ("Amazon Lambda"), as its Add Destination
    /// search finds it; none for functions, which are the customer's own.
    #[serde(default)]
    pub catalog_name: Option<String>,
    /// The destination's ID in Segment's catalog (its Public API's `metadataId`).
    #[serde(default)]
    pub catalog_id: Option<String>,
    /// One line: "pick this when …".
    pub pick_when: String,
    /// `Principal.AWS` of the trust policy.
    pub principal: String,
    pub external_id: ExternalIdRule,
    /// File name in `assets/templates/`.
    pub template: String,
    /// The template parameter that carries one external ID.
    pub external_id_parameter: String,
    /// The template parameter that carries a rotation's new external ID beside the current one
    /// (integrations whose ID is generated: the role accepts both until the rotation finishes).
    #[serde(default)]
    pub next_external_id_parameter: Option<String>,
    pub presets: Vec<PresetOffer>,
    pub settings: Vec<SettingSpec>,
    /// What Segment's page still asks for in AWS beyond the role (the function's own execution
    /// role, a bucket's lifecycle rule ...), a step each: the tool doesn't do these.
    #[serde(default)]
    pub aws_steps: Vec<String>,
    /// What to do next in Segment, in Segment's words, a step each.
    #[serde(default)]
    pub next_steps: Vec<String>,
    /// Worth knowing once the role exists.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The regions its functions or streams must be in (Amazon Personalize: us-west-2); empty,
    /// any region. The pickers list these.
    #[serde(default)]
    pub resource_regions: Vec<String>,
}

impl Integration {
    pub fn offer(&self, preset: &str) -> Option<&PresetOffer> {
        self.presets.iter().find(|offer| offer.preset == preset)
    }

    /// The integration's settings followed by the chosen preset's.
    pub fn settings_with<'a>(
        &'a self,
        offer: &'a PresetOffer,
    ) -> impl Iterator<Item = &'a SettingSpec> {
        self.settings.iter().chain(offer.settings.iter())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    presets: BTreeMap<String, Preset>,
    integrations: Vec<Integration>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("integrations file is not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("integration {integration} offers preset {preset}, which is not defined")]
    UnknownPreset { integration: String, preset: String },
    #[error(
        "integration {integration} names template {template}, which is not in assets/templates"
    )]
    UnknownTemplate {
        integration: String,
        template: String,
    },
    #[error("integration {integration} names snippet {snippet}, which is not in assets/snippets")]
    UnknownSnippet {
        integration: String,
        snippet: String,
    },
    #[error(
        "integration {integration} names starter function code {code}, which is not in assets/starter"
    )]
    UnknownStarter { integration: String, code: String },
    #[error("integration id {0} appears twice")]
    DuplicateIntegration(String),
}

impl Catalog {
    /// The integrations built into the binary.
    pub fn builtin() -> &'static Catalog {
        &BUILTIN
    }

    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        let mut catalog: Catalog = serde_json::from_str(text)?;
        for (id, preset) in catalog.presets.iter_mut() {
            preset.id = id.clone();
        }
        let mut seen = std::collections::BTreeSet::new();
        for integration in &catalog.integrations {
            if !seen.insert(integration.id.as_str()) {
                return Err(CatalogError::DuplicateIntegration(integration.id.clone()));
            }
            for offer in &integration.presets {
                if !catalog.presets.contains_key(&offer.preset) {
                    return Err(CatalogError::UnknownPreset {
                        integration: integration.id.clone(),
                        preset: offer.preset.clone(),
                    });
                }
            }
            for offer in &integration.presets {
                if let Some(starter) = &offer.starter_function
                    && crate::model::starter::code_source(&starter.code).is_none()
                {
                    return Err(CatalogError::UnknownStarter {
                        integration: integration.id.clone(),
                        code: starter.code.clone(),
                    });
                }
                if let Some(snippet) = &offer.snippet
                    && snippet_source(snippet).is_none()
                {
                    return Err(CatalogError::UnknownSnippet {
                        integration: integration.id.clone(),
                        snippet: snippet.clone(),
                    });
                }
            }
            if template_source(&integration.template).is_none() {
                return Err(CatalogError::UnknownTemplate {
                    integration: integration.id.clone(),
                    template: integration.template.clone(),
                });
            }
        }
        Ok(catalog)
    }

    pub fn integrations(&self) -> &[Integration] {
        &self.integrations
    }

    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations
            .iter()
            .find(|integration| integration.id == id)
    }

    pub fn preset(&self, id: &str) -> Option<&Preset> {
        self.presets.get(id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.integrations
            .iter()
            .map(|integration| integration.id.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nine integrations and the principal each trusts, as the facts files give them
    /// (`segment-aws-facts.md`, `more-integrations-facts.md`): never `:root` for the
    /// destinations, a different role in 595280932656 for each.
    #[test]
    fn builtin_catalog_has_the_nine_integrations_from_the_facts() {
        let catalog = Catalog::builtin();
        let expected = [
            ("destination-function", "arn:aws:iam::458175278816:root"),
            ("source-function", "arn:aws:iam::300240842537:root"),
            (
                "lambda-destination",
                "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access",
            ),
            (
                "s3-destination",
                "arn:aws:iam::595280932656:role/segment-s3-integration-production-access",
            ),
            (
                "s3-actions-destination",
                "arn:aws:iam::595280932656:role/customer-s3-prod-action-destination-access",
            ),
            (
                "kinesis-destination",
                "arn:aws:iam::595280932656:role/customer-kinesis-access",
            ),
            (
                "firehose-destination",
                "arn:aws:iam::595280932656:role/customer-firehose-access",
            ),
            (
                "personalize-destination",
                "arn:aws:iam::595280932656:role/customer-personalize-prod-destination-access",
            ),
            (
                "data-lakes",
                "arn:aws:iam::595280932656:role/segment-datalakes-production-access",
            ),
        ];
        assert_eq!(
            catalog.ids(),
            expected.iter().map(|(id, _)| *id).collect::<Vec<_>>()
        );
        for (id, principal) in expected {
            assert_eq!(
                catalog.integration(id).map(|i| i.principal.as_str()),
                Some(principal),
                "{id}"
            );
        }
    }

    #[test]
    fn functions_require_32_character_generated_ids_and_lambda_uses_the_workspace_id() {
        let catalog = Catalog::builtin();
        for id in ["destination-function", "source-function"] {
            let rule = &catalog.integration(id).expect("present").external_id;
            assert_eq!(rule.source, ExternalIdSource::Generated);
            assert!(rule.min_length >= 32);
        }
        let lambda = &catalog
            .integration("lambda-destination")
            .expect("present")
            .external_id;
        assert_eq!(lambda.source, ExternalIdSource::WorkspaceId);
        assert!(lambda.multiple);
    }

    #[test]
    fn settings_keys_match_segment() {
        let catalog = Catalog::builtin();
        let keys = |id: &str, preset: &str| -> Vec<String> {
            let integration = catalog.integration(id).expect("present");
            let offer = integration.offer(preset).expect("offered");
            integration
                .settings_with(offer)
                .map(|s| s.key.clone())
                .collect()
        };
        assert_eq!(
            keys("destination-function", "s3-put-object"),
            [
                "iamRoleArn",
                "iamRoleExternalId",
                "s3Bucket",
                "s3BucketRegion"
            ]
        );
        assert_eq!(
            keys("source-function", "custom"),
            ["iamRoleArn", "iamRoleExternalId"]
        );
        assert_eq!(
            keys("lambda-destination", "lambda-invoke"),
            ["roleAddress", "externalId", "function", "region"]
        );
    }

    #[test]
    fn a_catalog_naming_an_unknown_preset_or_template_is_refused() {
        let base: serde_json::Value = serde_json::from_str(BUILTIN_JSON).expect("valid");
        let mut bad_preset = base.clone();
        bad_preset["integrations"][0]["presets"][0]["preset"] = "nope".into();
        assert!(matches!(
            Catalog::from_json(&bad_preset.to_string()),
            Err(CatalogError::UnknownPreset { .. })
        ));
        let mut bad_template = base.clone();
        bad_template["integrations"][0]["template"] = "nope.json".into();
        assert!(matches!(
            Catalog::from_json(&bad_template.to_string()),
            Err(CatalogError::UnknownTemplate { .. })
        ));
    }
}
