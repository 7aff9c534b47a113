//! The integrations Segment offers, described as data in `assets/integrations.json` and embedded at
//! build time. Adding an integration is a change to that file (and a template in
//! `assets/templates/`), not to code.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static BUILTIN_JSON: &str = include_str!("../assets/integrations.json");

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
}

/// A value the user supplies for a permission preset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Input {
    Bucket,
    BucketRegion,
    LambdaArns,
    PolicyFile,
}

impl Input {
    /// The command-line flag that carries this input.
    pub fn flag(self) -> &'static str {
        match self {
            Input::Bucket => "--bucket",
            Input::BucketRegion => "--bucket-region",
            Input::LambdaArns => "--lambda-arn",
            Input::PolicyFile => "--policy-file",
        }
    }

    /// Inputs that take several values (the flag may be repeated).
    pub fn is_list(self) -> bool {
        matches!(self, Input::LambdaArns)
    }

    pub fn label(self) -> &'static str {
        match self {
            Input::Bucket => "S3 bucket",
            Input::BucketRegion => "S3 bucket region",
            Input::LambdaArns => "Lambda function ARNs",
            Input::PolicyFile => "policy file",
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
    /// The first Lambda function ARN.
    LambdaFunction,
    /// The region of the first Lambda function ARN.
    LambdaRegion,
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
}

/// One Allow statement: `resource` is a pattern where `{}` stands for each value of
/// `resource_input`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatementSpec {
    pub action: serde_json::Value,
    pub resource: String,
    pub resource_input: Input,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Preset {
    #[serde(skip)]
    pub id: String,
    pub title: String,
    pub description: String,
    pub inputs: Vec<Input>,
    /// Absent for the custom policy, whose statements come from the user's file.
    pub statement: Option<StatementSpec>,
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Integration {
    pub id: String,
    pub title: String,
    /// One line: "pick this when …".
    pub pick_when: String,
    /// `Principal.AWS` of the trust policy.
    pub principal: String,
    pub external_id: ExternalIdRule,
    /// File name in `assets/templates/`.
    pub template: String,
    /// The template parameter that carries one external ID.
    pub external_id_parameter: String,
    pub presets: Vec<PresetOffer>,
    pub settings: Vec<SettingSpec>,
    /// What to do next in Segment, in Segment's words, a step each.
    #[serde(default)]
    pub next_steps: Vec<String>,
    /// Worth knowing once the role exists.
    #[serde(default)]
    pub notes: Vec<String>,
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
                if let Some(snippet) = &offer.snippet
                    && crate::outcome::snippet_source(snippet).is_none()
                {
                    return Err(CatalogError::UnknownSnippet {
                        integration: integration.id.clone(),
                        snippet: snippet.clone(),
                    });
                }
            }
            if crate::template::source(&integration.template).is_none() {
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

    #[test]
    fn builtin_catalog_has_the_three_integrations_from_the_facts() {
        let catalog = Catalog::builtin();
        assert_eq!(
            catalog.ids(),
            [
                "destination-function",
                "source-function",
                "lambda-destination"
            ]
        );
        let principal = |id: &str| catalog.integration(id).map(|i| i.principal.clone());
        assert_eq!(
            principal("destination-function").as_deref(),
            Some("arn:aws:iam::458175278816:root")
        );
        assert_eq!(
            principal("source-function").as_deref(),
            Some("arn:aws:iam::300240842537:root")
        );
        assert_eq!(
            principal("lambda-destination").as_deref(),
            Some("arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access")
        );
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
