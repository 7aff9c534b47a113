//! `plan`: everything a setup would create, with no credentials and no network call; `--out`
//! writes the documents the AWS CLI commands read.

use super::*;

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub setup: SetupArgs,

    /// Also write the documents the AWS CLI commands read into this directory: trust-policy.json
    /// and parameters.json (they hold the external ID: mode 0600), permission-policy.json,
    /// template.json
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,

    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text, env = "SEGMENT_AWS_SETUP_FORMAT")]
    pub format: Format,
}

pub(crate) fn plan(args: &PlanArgs) -> Result<String, Failure> {
    no_csv(args.format)?;
    let plan = Plan::build(Catalog::builtin(), &args.setup.request()?)?;
    if let Some(dir) = &args.out {
        write_documents(&plan, dir).map_err(|error| Failure {
            code: exit::BAD_INPUT,
            message: format!("--out {}: {error}", dir.display()),
        })?;
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
        Format::Text | Format::Csv => plan.to_text(),
        Format::Json => pretty_json(&plan.to_json()),
    })
}

/// Writes the plan's documents into a directory (made if missing): never through a symbolic
/// link, and mode 0600 for those that hold the external ID.
fn write_documents(plan: &Plan, dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text, secret) in plan.documents() {
        crate::state::write_file_no_follow(&dir.join(name), text.as_bytes(), secret)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
