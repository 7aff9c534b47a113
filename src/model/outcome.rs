//! The end of a setup, built once and rendered by every face (the wizard's Done screen, plain
//! mode, `create`, `watch` and `verify`, as text or JSON): each Segment setting with its label,
//! key and the attributes Segment shows (required, secret, read-only), the next steps in
//! Segment in Segment's words, what is worth knowing, the code that uses the role, and how to
//! check the role later. Pure: the faces only render it.

use crate::model::catalog::{Catalog, Input, Integration};
use crate::model::plan::{Plan, Setting};
use crate::model::record::SavedSetup;
use serde_json::{Value, json};

pub use crate::model::catalog::snippet_source;

/// The command that checks a role later: never with the external ID in it (`verify` finds it in
/// the saved setup, or asks for it hidden, or reads SEGMENT_AWS_SETUP_EXTERNAL_ID).
pub fn verify_hint(integration: &str, role: &str) -> String {
    format!("segment-aws-setup verify --integration {integration} --role {role}")
}

/// The command that finishes a saved setup's rotation (the old external ID stops working), with
/// the setup's own region and profile.
pub fn finish_rotation_command(saved: &crate::model::record::SavedSetup) -> String {
    let target = match (&saved.stack_set, &saved.stack_name, &saved.role_name) {
        (Some(set), _, _) => format!("--stack-set {set}"),
        (None, Some(stack), _) => format!("--stack-name {stack}"),
        (None, None, Some(role)) => format!("--method iam --role-name {role}"),
        (None, None, None) => String::new(),
    };
    let context = crate::model::place::Context {
        caller: None,
        region: saved.region.clone(),
        profile: saved.profile.clone(),
    };
    format!(
        "segment-aws-setup update --integration {} {target} --finish-rotation{}",
        saved.integration,
        context.flags()
    )
}

/// One group of settings: one Segment destination instance, or a function's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsGroup {
    pub heading: Option<String>,
    pub settings: Vec<Setting>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub integration: String,
    pub title: String,
    pub role_arn: Option<String>,
    pub groups: Vec<SettingsGroup>,
    /// What Segment's page still asks for in AWS beyond the role.
    pub aws_steps: Vec<String>,
    pub next_steps: Vec<String>,
    pub notes: Vec<String>,
    /// The code that uses the role (functions).
    pub code: Option<String>,
    /// The command that checks the role later (never with the external ID in it).
    pub check_later: Option<String>,
    /// The starter function made with the role, when one was.
    pub starter: Option<StarterShown>,
}

/// A starter function as the outcome shows it: where it is and its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterShown {
    pub name: String,
    pub arn: String,
    pub runtime: String,
    pub code: String,
    /// The environment variables to fill in (Personalize's).
    pub environment: Vec<String>,
}

impl StarterShown {
    pub fn of(starter: &crate::model::starter::Starter) -> StarterShown {
        StarterShown {
            name: starter.name.clone(),
            arn: starter.arn(),
            runtime: starter.spec.runtime.clone(),
            code: starter.code.clone(),
            environment: starter.spec.environment.clone(),
        }
    }

    /// What the outcome says to do with it, first among the steps in AWS.
    fn steps(&self) -> Vec<String> {
        let mut steps = vec![format!(
            "The starter function {} ({}) is made: it logs each event Segment sends to CloudWatch Logs (/aws/lambda/{}) and returns. Replace its code with your own in the Lambda console, keeping each call under Segment's 5 seconds",
            self.name, self.runtime, self.name
        )];
        if !self.environment.is_empty() {
            steps.push(format!(
                "Fill in the starter function's environment variables (Lambda console > Configuration > Environment variables): {}",
                self.environment.join(", ")
            ));
        }
        steps
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    Setting,
    Value,
    Step,
    Note,
    Code,
    Blank,
}

/// One line of the outcome as every face shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeLine {
    pub kind: LineKind,
    pub text: String,
}

fn line(kind: LineKind, text: impl Into<String>) -> OutcomeLine {
    OutcomeLine {
        kind,
        text: text.into(),
    }
}

/// The attributes Segment shows for a setting, in its words.
pub fn attributes(setting: &Setting) -> Vec<&'static str> {
    let mut out = Vec::new();
    if setting.read_only {
        out.push("read-only: already set by Segment, nothing to paste");
    } else if setting.required {
        out.push("required");
    }
    if setting.sensitive {
        // Segment's word: a function's setting is marked Secret, an action's field is masked.
        out.push("secret");
    }
    out
}

fn fill_snippet(name: &str, lambda_arns: &[String]) -> Option<String> {
    let source = snippet_source(name)?;
    let function = lambda_arns.first().cloned().unwrap_or_default();
    let region = crate::model::validate::lambda_arn(&function)
        .map(str::to_string)
        .unwrap_or_else(|_| "us-east-1".into());
    Some(
        source
            .replace("{{lambdaFunction}}", &function)
            .replace("{{lambdaRegion}}", &region),
    )
}

impl Outcome {
    /// The outcome of a plan; `role_arn` once the role exists.
    pub fn from_plan(plan: &Plan, role_arn: Option<&str>) -> Outcome {
        let integration = Catalog::builtin().integration(&plan.integration_id);
        Outcome::build(
            integration,
            &plan.integration_id,
            plan.snippet.as_deref(),
            plan.settings(role_arn),
            plan.inputs(Input::LambdaArns),
            &plan.external_ids,
            role_arn,
        )
        .with_starter(plan.starter.as_ref().map(StarterShown::of))
    }

    /// The outcome with the starter function made beside the role: its steps come first among
    /// those in AWS, and the page's own step to build a function is done.
    fn with_starter(mut self, starter: Option<StarterShown>) -> Outcome {
        if let Some(shown) = &starter {
            let mut steps = shown.steps();
            steps.extend(self.aws_steps);
            self.aws_steps = steps;
        }
        self.starter = starter;
        self
    }

    /// The outcome of a saved setup (a resume), once its role exists.
    pub fn from_saved(saved: &SavedSetup, role_arn: &str) -> Outcome {
        let integration = Catalog::builtin().integration(&saved.integration);
        let offer = integration.and_then(|i| saved.preset.as_deref().and_then(|p| i.offer(p)));
        let snippet = offer.and_then(|offer| offer.snippet.clone());
        let starter = offer
            .and_then(|offer| offer.starter_function.clone())
            .zip(saved.starter_function.clone())
            .and_then(|(spec, name)| {
                let code = crate::model::starter::code_source(&spec.code)?;
                Some(crate::model::starter::Starter {
                    name,
                    region: saved.region.clone().unwrap_or_default(),
                    account: saved.account.clone(),
                    spec,
                    code: code.to_string(),
                })
            });
        Outcome::build(
            integration,
            &saved.integration,
            snippet.as_deref(),
            saved.settings_with(role_arn),
            &saved.lambda_arns,
            &saved.external_ids,
            Some(role_arn),
        )
        .with_starter(starter.as_ref().map(StarterShown::of))
    }

    /// The outcome of an existing role that `verify` checked: the settings the integration (and
    /// the preset's plan, when one was given) asks for, with the IDs the role must require.
    pub fn for_existing_role(
        integration: &Integration,
        ids: &[String],
        role_arn: &str,
        plan: Option<&Plan>,
    ) -> Outcome {
        let id_keys: Vec<&str> = integration
            .settings
            .iter()
            .filter(|s| s.value == crate::model::catalog::SettingValue::ExternalId)
            .map(|s| s.key.as_str())
            .collect();
        let settings: Vec<Setting> = match plan {
            Some(plan) => plan.settings(Some(role_arn)),
            None => integration
                .settings
                .iter()
                .map(|spec| Setting {
                    label: spec.label.clone(),
                    key: spec.key.clone(),
                    value: (spec.value == crate::model::catalog::SettingValue::RoleArn)
                        .then(|| role_arn.to_string()),
                    sensitive: spec.sensitive,
                    required: spec.required,
                    read_only: spec.read_only,
                    placeholder: spec.placeholder.clone(),
                })
                .collect(),
        }
        .into_iter()
        .map(|mut setting| {
            if id_keys.contains(&setting.key.as_str()) {
                setting.value = ids.first().cloned();
            }
            setting
        })
        .collect();
        let (snippet, lambda_arns) = match plan {
            Some(plan) => (
                plan.snippet.clone(),
                plan.inputs(Input::LambdaArns).to_vec(),
            ),
            None => (None, Vec::new()),
        };
        Outcome::build(
            Some(integration),
            &integration.id,
            snippet.as_deref(),
            settings,
            &lambda_arns,
            ids,
            Some(role_arn),
        )
    }

    fn build(
        integration: Option<&Integration>,
        id: &str,
        snippet: Option<&str>,
        settings: Vec<Setting>,
        lambda_arns: &[String],
        trusted_ids: &[String],
        role_arn: Option<&str>,
    ) -> Outcome {
        let workspace_ids = integration.is_some_and(|i| i.external_id.source_ids);
        // One destination instance invokes one function: several ARNs, several instances.
        let groups = if lambda_arns.len() > 1 && settings.iter().any(|s| s.key == "function") {
            let destination = integration
                .and_then(|i| i.catalog_name.as_deref())
                .unwrap_or("Segment");
            lambda_arns
                .iter()
                .enumerate()
                .map(|(index, arn)| SettingsGroup {
                    heading: Some(format!(
                        "{destination} destination {} of {} (one per function)",
                        index + 1,
                        lambda_arns.len()
                    )),
                    settings: settings
                        .iter()
                        .cloned()
                        .map(|mut s| {
                            match s.key.as_str() {
                                "function" => s.value = Some(arn.clone()),
                                "region" => {
                                    s.value = crate::model::validate::lambda_arn(arn)
                                        .ok()
                                        .map(str::to_string)
                                }
                                _ => {}
                            }
                            s
                        })
                        .collect(),
                })
                .collect()
        } else {
            vec![SettingsGroup {
                heading: None,
                settings,
            }]
        };
        let mut notes: Vec<String> = integration.map(|i| i.notes.clone()).unwrap_or_default();
        if workspace_ids && trusted_ids.len() > 1 {
            notes.push(format!(
                "The role trusts these IDs: {}. Keep both the workspace ID and the source ID when you trust a source, so deliveries work whether or not Segment's read-only ID setting is set.",
                trusted_ids.join(", ")
            ));
        }
        Outcome {
            integration: id.to_string(),
            title: integration.map(|i| i.title.clone()).unwrap_or_default(),
            role_arn: role_arn.map(str::to_string),
            groups,
            aws_steps: integration.map(|i| i.aws_steps.clone()).unwrap_or_default(),
            next_steps: integration
                .map(|i| i.next_steps.clone())
                .unwrap_or_default(),
            notes,
            code: snippet.and_then(|name| fill_snippet(name, lambda_arns)),
            check_later: role_arn.map(|arn| verify_hint(id, arn)),
            starter: None,
        }
    }

    /// A StackSet's outcome: the settings with the first account's role ARN, and the command that
    /// checks the role in every account.
    pub fn for_stack_set(plan: &Plan, first_role_arn: &str, stack_set: &str) -> Outcome {
        let mut outcome = Outcome::from_plan(plan, Some(first_role_arn));
        outcome.check_later = Some(format!(
            "segment-aws-setup verify --integration {} --role {} --stack-set {stack_set}",
            plan.integration_id, plan.role_name
        ));
        outcome
    }

    /// For this region and profile: the command for later carries them, so it works as printed.
    pub fn at(mut self, context: &crate::model::place::Context) -> Outcome {
        if let Some(check) = &mut self.check_later {
            check.push_str(&context.flags());
        }
        self
    }

    /// The settings, keyed as Segment's settings are (the first destination instance's).
    pub fn settings_json(&self) -> Value {
        Value::Object(
            self.groups
                .first()
                .map(|g| g.settings.as_slice())
                .unwrap_or_default()
                .iter()
                .map(|s| {
                    (
                        s.key.clone(),
                        s.value.clone().map_or(Value::Null, Value::String),
                    )
                })
                .collect(),
        )
    }

    /// The whole outcome for scripts (`--output json`).
    pub fn to_json(&self) -> Value {
        let group = |g: &SettingsGroup| {
            json!({
                "heading": g.heading,
                "settings": g.settings.iter().map(|s| json!({
                    "label": s.label,
                    "key": s.key,
                    "value": s.value,
                    "required": s.required,
                    "sensitive": s.sensitive,
                    "readOnly": s.read_only,
                })).collect::<Vec<_>>(),
            })
        };
        json!({
            "integration": self.integration,
            "roleArn": self.role_arn,
            "settings": self.settings_json(),
            "instances": self.groups.iter().map(group).collect::<Vec<_>>(),
            "awsSteps": self.aws_steps,
            "nextSteps": self.next_steps,
            "notes": self.notes,
            "code": self.code,
            "checkLater": self.check_later,
            "starterFunction": self.starter.as_ref().map(|s| json!({
                "name": s.name,
                "arn": s.arn,
                "runtime": s.runtime,
                "code": s.code,
                "environment": s.environment,
            })),
        })
    }

    /// The settings block alone: what to paste, one label and value each. `shown` gives a
    /// setting's value as it may be shown (a face masks sensitive ones in presenter mode).
    pub fn settings_lines(&self, shown: &dyn Fn(&Setting) -> String) -> Vec<OutcomeLine> {
        let mut lines = Vec::new();
        for group in &self.groups {
            if let Some(heading) = &group.heading {
                lines.push(line(LineKind::Heading, heading.clone()));
            }
            for setting in &group.settings {
                let attributes = attributes(setting);
                let label = if attributes.is_empty() {
                    format!("{} ({})", setting.label, setting.key)
                } else {
                    format!(
                        "{} ({}) · {}",
                        setting.label,
                        setting.key,
                        attributes.join(", ")
                    )
                };
                lines.push(line(LineKind::Setting, label));
                lines.push(line(LineKind::Value, format!("  {}", shown(setting))));
            }
        }
        lines
    }

    /// Everything, in order, as every face shows it.
    pub fn lines(&self, shown: &dyn Fn(&Setting) -> String) -> Vec<OutcomeLine> {
        let mut lines = vec![line(LineKind::Heading, "Settings in Segment:")];
        lines.extend(self.settings_lines(shown));
        if !self.aws_steps.is_empty() {
            lines.push(line(LineKind::Blank, ""));
            lines.push(line(
                LineKind::Heading,
                "Still to do in AWS (the role doesn't cover it):",
            ));
            for (index, step) in self.aws_steps.iter().enumerate() {
                lines.push(line(LineKind::Step, format!("  {}. {step}", index + 1)));
            }
        }
        if !self.next_steps.is_empty() {
            lines.push(line(LineKind::Blank, ""));
            lines.push(line(LineKind::Heading, "Next, in Segment:"));
            for (index, step) in self.next_steps.iter().enumerate() {
                lines.push(line(LineKind::Step, format!("  {}. {step}", index + 1)));
            }
        }
        if !self.notes.is_empty() {
            lines.push(line(LineKind::Blank, ""));
            lines.push(line(LineKind::Heading, "Worth knowing:"));
            for note in &self.notes {
                lines.push(line(LineKind::Note, format!("  - {note}")));
            }
        }
        if let Some(code) = &self.code {
            lines.push(line(LineKind::Blank, ""));
            lines.push(line(
                LineKind::Heading,
                "Code that uses the role in your function (JavaScript):",
            ));
            lines.extend(code.lines().map(|l| match l {
                "" => line(LineKind::Code, ""),
                l => line(LineKind::Code, format!("  {l}")),
            }));
        }
        if let Some(starter) = &self.starter {
            lines.push(line(LineKind::Blank, ""));
            lines.push(line(
                LineKind::Heading,
                format!(
                    "The starter function {} ({}), index.py:",
                    starter.name, starter.runtime
                ),
            ));
            lines.extend(starter.code.lines().map(|l| match l {
                "" => line(LineKind::Code, ""),
                l => line(LineKind::Code, format!("  {l}")),
            }));
        }
        if let Some(check) = &self.check_later {
            lines.push(line(LineKind::Blank, ""));
            lines.push(line(LineKind::Heading, "Check the role any time:"));
            lines.push(line(LineKind::Value, format!("  {check}")));
        }
        lines
    }
}

/// A value as plain text, "(known once the role exists)" before.
pub fn value_text(setting: &Setting) -> String {
    setting.value.clone().unwrap_or_else(|| {
        setting
            .placeholder
            .clone()
            .unwrap_or_else(|| "(known once the role exists)".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::PlanRequest;

    fn plan(request: PlanRequest) -> Plan {
        Plan::build(Catalog::builtin(), &request).expect("valid")
    }

    /// The code is shown indented by two in the Done box of an 80-column terminal: no line of
    /// it may wrap there, or what a user selects with the mouse is broken code.
    #[test]
    fn no_snippet_line_wraps_at_80_columns() {
        let starters = crate::model::starter::STARTERS.iter();
        for (name, source) in crate::model::catalog::SNIPPETS.iter().chain(starters) {
            for line in source.lines() {
                assert!(line.chars().count() <= 74, "{name}: {line}");
            }
        }
    }

    #[test]
    fn a_function_gets_its_settings_steps_and_code_that_passes_the_credentials() {
        let plan = plan(PlanRequest {
            integration: "destination-function".into(),
            bucket: Some("events".into()),
            bucket_region: Some("us-west-2".into()),
            ..PlanRequest::default()
        });
        let outcome = Outcome::from_plan(&plan, Some("arn:aws:iam::123456789012:role/r"));
        let text: Vec<String> = outcome
            .lines(&value_text)
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert!(
            text.contains(
                &"IAM Role External ID (iamRoleExternalId) · required, secret".to_string()
            ),
            "{text:#?}"
        );
        let code = outcome.code.as_deref().expect("code");
        for needed in [
            "RoleArn: settings.iamRoleArn",
            "ExternalId: settings.iamRoleExternalId",
            "RoleSessionName",
            "sessionToken: Credentials.SessionToken",
            "region: settings.s3BucketRegion",
            "30 * 60 * 1000",
        ] {
            assert!(code.contains(needed), "{needed}");
        }
        assert_eq!(outcome.settings_json()["s3Bucket"], "events");
        assert!(
            outcome
                .check_later
                .as_deref()
                .is_some_and(|c| !c.contains(plan.external_id()))
        );
    }

    #[test]
    fn the_lambda_destination_says_external_id_is_read_only_and_one_instance_per_function() {
        let plan = plan(PlanRequest {
            integration: "lambda-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            source_ids: vec!["srcABC123".into()],
            lambda_arns: vec![
                "arn:aws:lambda:us-west-2:123456789012:function:a".into(),
                "arn:aws:lambda:eu-west-1:123456789012:function:b".into(),
            ],
            ..PlanRequest::default()
        });
        let outcome = Outcome::from_plan(&plan, Some("arn:aws:iam::123456789012:role/r"));
        assert!(outcome.code.is_none());
        assert_eq!(outcome.groups.len(), 2);
        let second = &outcome.groups[1].settings;
        assert_eq!(
            second
                .iter()
                .find(|s| s.key == "region")
                .and_then(|s| s.value.as_deref()),
            Some("eu-west-1")
        );
        let text: Vec<String> = outcome
            .lines(&value_text)
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert!(
            text.iter().any(|l| l.contains(
                "External ID (Read-Only) (externalId) · read-only: already set by Segment, nothing to paste"
            )),
            "{text:#?}"
        );
        assert_eq!(
            outcome.groups[0].heading.as_deref(),
            Some("Amazon Lambda destination 1 of 2 (one per function)")
        );
        assert!(text.iter().any(|l| l.contains("select Amazon Lambda.")));
        assert!(text.iter().any(|l| l.contains("5 seconds")));
        assert!(text.iter().any(|l| l.contains("Tail")));
        assert!(text.iter().any(|l| l.contains("wXZ2sd8N3mJ, srcABC123")));
        assert!(
            !text
                .iter()
                .any(|l| l.to_lowercase().contains("mark it sensitive"))
        );
    }

    #[test]
    fn personalize_names_its_own_destinations_and_the_steps_its_function_needs() {
        let plan = plan(PlanRequest {
            integration: "personalize-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            lambda_arns: vec![
                "arn:aws:lambda:us-west-2:123456789012:function:a".into(),
                "arn:aws:lambda:us-west-2:123456789012:function:b".into(),
            ],
            ..PlanRequest::default()
        });
        let outcome = Outcome::from_plan(&plan, Some("arn:aws:iam::123456789012:role/r"));
        let headings: Vec<_> = outcome
            .groups
            .iter()
            .filter_map(|g| g.heading.as_deref())
            .collect();
        assert_eq!(
            headings,
            [
                "Amazon Personalize destination 1 of 2 (one per function)",
                "Amazon Personalize destination 2 of 2 (one per function)"
            ]
        );
        let text: Vec<String> = outcome
            .lines(&value_text)
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert!(
            !text.iter().any(|l| l.contains("Amazon Lambda destination")),
            "{text:#?}"
        );
        let aws = text
            .iter()
            .position(|l| l.starts_with("Still to do in AWS"))
            .expect("the steps in AWS");
        let segment = text
            .iter()
            .position(|l| l == "Next, in Segment:")
            .expect("the steps in Segment");
        assert!(aws < segment, "AWS first: {text:#?}");
        let steps = text[aws..segment].join("\n");
        for needed in [
            "personalize:GetRecommendations",
            "personalize:Record",
            "personalize:PutEvents",
            "Event Tracker",
            "personalize_tracking_id",
            "personalize_campaign_arn",
            "connections_source_api_key",
            "Execution Error",
        ] {
            assert!(steps.contains(needed), "{needed}: {steps}");
        }
        assert_eq!(
            outcome.to_json()["awsSteps"].as_array().map(Vec::len),
            Some(3)
        );
    }
}
