//! `plan`: everything a setup would create, with no credentials and no network call; `--out`
//! writes the documents the AWS CLI commands read.

use super::common::*;

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub setup: SetupArgs,

    /// Also write the documents the AWS CLI commands read into this directory: trust-policy.json
    /// and parameters.json (they hold the external ID: mode 0600), permission-policy.json,
    /// template.json
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,

    /// With --starter-function: the region the function is made in, which its ARN names
    #[arg(long, value_name = "REGION", env = "AWS_REGION")]
    pub region: Option<String>,

    /// Output: text for people, json for scripts, terraform for a Terraform configuration (the
    /// external IDs a sensitive variable; with --out, main.tf and segment.tfvars are written too),
    /// cloudformation-yaml for the template as YAML (with --out, template.yaml too)
    #[arg(long, value_enum, default_value_t = PlanFormat::Text, env = "SEGMENT_AWS_SETUP_FORMAT")]
    pub format: PlanFormat,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Terraform,
    CloudformationYaml,
}

/// What `--out` names the YAML template (beside template.json).
pub const TEMPLATE_YAML_FILE: &str = "template.yaml";

pub(crate) fn plan(args: &PlanArgs) -> Result<String, Failure> {
    let request = PlanRequest {
        region: args.region.clone(),
        ..args.setup.offline_request("plan")?
    };
    let plan = Plan::build(Catalog::builtin(), &request)?;
    if plan.starter.is_some() && args.format == PlanFormat::Terraform {
        return Err(InputError::new(
            "--starter-function",
            "the Terraform configuration holds the role and its policy only: leave --starter-function out (the CloudFormation template, JSON or YAML, holds the function too)",
        )
        .into());
    }
    if let Some(dir) = &args.out {
        let out_failure = |error: std::io::Error| Failure {
            code: exit::BAD_INPUT,
            message: format!("--out {}: {error}", dir.display()),
        };
        write_documents(&plan, dir).map_err(out_failure)?;
        if args.format == PlanFormat::CloudformationYaml {
            crate::engine::saving::write_file_no_follow(
                &dir.join(TEMPLATE_YAML_FILE),
                crate::model::cloudformation_yaml::template_yaml(&plan.template).as_bytes(),
                false,
            )
            .map_err(out_failure)?;
            say(&format!("Wrote {TEMPLATE_YAML_FILE} to {}", dir.display()));
        }
        if args.format == PlanFormat::Terraform {
            let terraform = [
                (
                    "main.tf",
                    crate::model::terraform::configuration(&plan),
                    false,
                ),
                (
                    "segment.tfvars",
                    crate::model::terraform::variables(&plan),
                    true,
                ),
            ];
            for (name, text, private) in terraform {
                crate::engine::saving::write_file_no_follow(
                    &dir.join(name),
                    text.as_bytes(),
                    private,
                )
                .map_err(out_failure)?;
            }
            say(&format!(
                "Wrote main.tf and segment.tfvars (the external IDs: mode 0600, keep it out of version control) to {}",
                dir.display()
            ));
        }
        say(&format!(
            "Wrote {} to {} (the files holding the external ID are mode 0600)",
            plan.documents()
                .iter()
                .map(|(name, _, _)| *name)
                .collect::<Vec<_>>()
                .join(", "),
            dir.display()
        ));
    }
    Ok(match args.format {
        PlanFormat::Text => plan_text(&plan),
        PlanFormat::Json => pretty_json(&plan_json(&plan)),
        PlanFormat::Terraform => crate::model::terraform::configuration(&plan),
        PlanFormat::CloudformationYaml => {
            crate::model::cloudformation_yaml::template_yaml(&plan.template)
        }
    })
}

/// The plan for scripts, with the procedure after the role in the keys `create --output json`
/// gives it.
fn plan_json(plan: &Plan) -> serde_json::Value {
    let mut json = plan.to_json();
    let outcome = crate::model::outcome::Outcome::from_plan(plan, None).to_json();
    for key in ["awsSteps", "nextSteps", "notes", "code"] {
        json[key] = outcome[key].clone();
    }
    json["segmentCommands"] = serde_json::json!(
        crate::model::catalog::Catalog::builtin()
            .integration(&plan.integration_id)
            .map(|integration| crate::model::segment::commands::api_commands(
                &crate::model::outcome::Outcome::from_plan(plan, None),
                integration
            ))
            .unwrap_or_default()
    );
    json
}

/// The plan for a person to read (`plan --format text`): rendered here, by the command that
/// shows it, so the plan itself stays below the outcome it would be rendered with.
pub fn plan_text(plan: &Plan) -> String {
    let pretty = |value: &serde_json::Value| {
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
        plan.integration_title, plan.integration_id
    ));
    out.push_str("Nothing has been changed. This is what setting it up creates.\n\n");
    out.push_str(&format!(
        "Principal (who may assume the role)\n  {}\n\n",
        plan.principal
    ));
    let id_note = if plan.external_id_generated {
        "generated from the OS's secure random source; keep it like a password"
    } else {
        "as given"
    };
    out.push_str(&format!("External ID ({id_note})\n"));
    for id in &plan.external_ids {
        out.push_str(&format!("  {id}\n"));
    }
    for warning in &plan.warnings {
        out.push_str(&format!("  ! {warning}\n"));
    }
    out.push_str(&format!(
        "\nTrust policy\n{}\n",
        indent(&pretty(&plan.trust_policy))
    ));
    out.push_str(&format!(
        "Permission policy \"{}\" ({})\n{}\n",
        plan.policy_name,
        plan.preset_title,
        indent(&pretty(&plan.permission_policy))
    ));
    if !plan.broad_grants.is_empty() {
        out.push_str("Warning: this policy grants broadly; creating the role with it needs an explicit yes\n");
        for grant in &plan.broad_grants {
            out.push_str(&format!("  ! {grant}\n"));
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "CloudFormation (stack {}, template assets/templates/{})\n  Parameters:\n",
        plan.stack_name, plan.template_name
    ));
    for (name, value) in &plan.parameters {
        match value.as_str().unwrap_or_default() {
            "" => out.push_str(&format!("    {name} = (empty)\n")),
            value => out.push_str(&format!("    {name} = {value}\n")),
        }
    }
    if plan.parameters.is_empty() {
        out.push_str("    (none: the documents are written into the template)\n");
    }
    out.push_str(&format!(
        "  Template:\n{}\n",
        indent(&indent(&pretty(&plan.template)))
    ));
    // As every face shows them at the end (attributes such as read-only included), with the
    // steps, notes and code create shows: the hand-off carries the whole procedure.
    out.push_str("Once the role exists\n");
    let outcome = crate::model::outcome::Outcome::from_plan(plan, None);
    for line in outcome.lines(&crate::model::outcome::value_text) {
        match line.text.as_str() {
            "" => out.push('\n'),
            text => out.push_str(&format!("  {text}\n")),
        }
    }
    let commands = crate::model::catalog::Catalog::builtin()
        .integration(&plan.integration_id)
        .map(|integration| crate::model::segment::commands::api_commands(&outcome, integration))
        .unwrap_or_default();
    if !commands.is_empty() {
        out.push_str(
            "\nThe settings written into Segment through its Public API (for an administrator)\n",
        );
        for command in &commands {
            out.push_str(&format!("  {command}\n"));
        }
    }
    out.push_str("\nThe same with the AWS CLI (for an administrator)\n");
    out.push_str(&format!("  {}\n", crate::model::plan::DOCUMENTS_NOTE));
    for command in plan.cli_commands() {
        out.push_str(&format!("  {command}\n"));
    }
    out
}

/// Writes the plan's documents into a directory (made if missing): never through a symbolic
/// link, and mode 0600 for those that hold the external ID.
fn write_documents(plan: &Plan, dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text, secret) in plan.documents() {
        crate::engine::saving::write_file_no_follow(&dir.join(name), text.as_bytes(), secret)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn text_shows_every_part() {
        let request = PlanRequest {
            integration: "destination-function".into(),
            bucket: Some("my-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            ..PlanRequest::default()
        };
        let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
        let text = plan_text(&plan);
        for part in [
            "Principal",
            "External ID",
            "Trust policy",
            "Permission policy",
            "Parameters:",
            "Template:",
            "Once the role exists",
            "Settings in Segment:",
            "IAM Role ARN (iamRoleArn) · required",
            "Next, in Segment:",
            "Worth knowing:",
            "Code that uses the role in your function",
            "settings.iamRoleExternalId",
            "aws iam create-role",
        ] {
            assert!(text.contains(part), "missing {part}");
        }
        assert!(text.contains(plan.external_id()));
    }

    fn plan_args(args: &[&str]) -> PlanArgs {
        match parse(&[&["plan"], args].concat()) {
            Ok(Command::Plan(args)) => args,
            other => panic!("not a plan: {other:?}"),
        }
    }

    #[test]
    fn json_plan_names_segments_principal() {
        let args = plan_args(&[
            "--integration",
            "destination-function",
            "--bucket",
            "my-bucket",
            "--bucket-region",
            "us-west-2",
            "--format",
            "json",
        ]);
        let output = plan(&args).expect("a plan");
        let json: serde_json::Value = serde_json::from_str(&output).expect("JSON");
        assert!(
            output.contains("arn:aws:iam::458175278816:root"),
            "{output}"
        );
        assert_eq!(json["integration"], "destination-function", "{output}");
        // The hand-off carries the procedure after the role, as create's JSON does.
        let integration = Catalog::builtin()
            .integration("destination-function")
            .expect("in the catalog");
        assert_eq!(json["nextSteps"], serde_json::json!(integration.next_steps));
        assert_eq!(json["notes"], serde_json::json!(integration.notes));
        assert!(
            json["code"]
                .as_str()
                .is_some_and(|code| code.contains("settings.iamRoleExternalId")),
            "{output}"
        );
    }

    #[test]
    fn a_plan_gives_the_steps_in_aws_the_page_adds() {
        let args = plan_args(&[
            "--integration",
            "personalize-destination",
            "--workspace-id",
            "wks_abc123",
            "--lambda-arn",
            "arn:aws:lambda:us-west-2:123456789012:function:recommend",
        ]);
        let text = plan(&args).expect("a plan");
        assert!(text.contains("Still to do in AWS"), "{text}");
        assert!(text.contains("personalize:PutEvents"), "{text}");
        assert!(text.contains("personalize_tracking_id"), "{text}");
    }

    #[test]
    fn a_short_brought_id_is_refused_before_anything() {
        let args = plan_args(&[
            "--integration",
            "source-function",
            "--bucket",
            "my-bucket",
            "--bucket-region",
            "us-west-2",
            "--external-id",
            "short",
        ]);
        let failure = plan(&args).expect_err("too short");
        assert_eq!(failure.code, exit::BAD_INPUT);
        assert!(
            failure.message.contains("--external-id"),
            "{}",
            failure.message
        );
    }
}
