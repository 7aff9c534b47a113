//! `write-settings`: a setup's settings written into Segment through its Public API, so nothing is
//! pasted. The token comes from the environment or a hidden prompt (never a flag), the workspace
//! is named before anything, the change is previewed and confirmed, and each write read back.

use super::common::*;
use crate::engine::segment_settings::{self, PrepareError, Target};
use crate::model::catalog::ExternalIdSource;
use crate::model::segment::{ApiRegion, TOKEN_VARIABLE};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SegmentRegion {
    Us,
    Eu,
}

/// Where in Segment a setup's settings go: shared by `write-settings` and `update`.
#[derive(Args, Debug, Clone, Default)]
pub struct SegmentTargetArgs {
    /// Functions: the function (its ID or its name in Segment) to add the setting definitions to
    #[arg(long, value_name = "ID|NAME")]
    pub function: Option<String>,
    /// The destination instance to write into (its ID); repeat once per settings group, in order
    /// (one per Lambda function). Needed when the workspace has several instances
    #[arg(long = "destination", value_name = "ID")]
    pub destinations: Vec<String>,
    /// Instead: connect a new, disabled instance to this source (ID or name) with the settings
    #[arg(long, value_name = "ID|NAME", conflicts_with = "destinations")]
    pub source: Option<String>,

    /// The workspace's region in Segment; tried US then EU when not given
    #[arg(long, value_enum, env = "SEGMENT_AWS_SETUP_SEGMENT_REGION")]
    pub segment_region: Option<SegmentRegion>,
}

#[derive(Args, Debug)]
#[group(id = "setup", required = true, multiple = false, args = ["stack_name", "role_name"])]
pub struct WriteSettingsArgs {
    /// The setup saved here by its stack's name (its role ARN and external ID are read from it)
    #[arg(long, value_name = "S")]
    pub stack_name: Option<String>,
    /// The setup saved here by its role's name (a role made through IAM)
    #[arg(long, value_name = "R")]
    pub role_name: Option<String>,

    #[command(flatten)]
    pub target: SegmentTargetArgs,

    #[command(flatten)]
    pub change: ChangeArgs,
}

/// An integration whose external ID is the workspace ID, given none, reads it from Segment when
/// a Public API token is in the environment: nothing typed, no slug mistaken for the ID. With
/// `sources`, every source's ID is trusted too (the integrations that accept them).
pub(super) async fn ids_from_segment(
    request: &mut PlanRequest,
    sources: bool,
) -> Result<(), Failure> {
    let integration = Catalog::builtin()
        .integration(&request.integration)
        .ok_or_else(|| InputError::new("--integration", "unknown integration"))?;
    let workspace_id = integration.external_id.source == ExternalIdSource::WorkspaceId;
    if sources && !integration.external_id.source_ids {
        return Err(InputError::new(
            "--source-ids-from-segment",
            "this integration's role trusts no source IDs (Amazon Lambda, Kinesis, Personalize and Data Lakes do)",
        )
        .into());
    }
    let token = std::env::var(TOKEN_VARIABLE);
    if sources && token.is_err() {
        return Err(InputError::new(
            "--source-ids-from-segment",
            "needs a Segment Public API token in SEGMENT_PUBLIC_API_TOKEN",
        )
        .into());
    }
    let Ok(token) = token else {
        return Ok(());
    };
    if !workspace_id || (!request.workspace_ids.is_empty() && !sources) {
        return Ok(());
    }
    let connection = segment_settings::connect_configured(&token, None)
        .await
        .map_err(|message| Failure {
            code: exit::CREDENTIALS,
            message,
        })?;
    let offered = segment_settings::offered_ids(&connection, integration)
        .await
        .map_err(|message| Failure {
            code: exit::AWS_REFUSED,
            message,
        })?;
    if request.workspace_ids.is_empty() {
        say(&format!(
            "The workspace ID is read from Segment (workspace {})",
            offered.workspace.name
        ));
        request.workspace_ids = vec![offered.workspace.id];
    }
    if sources {
        say(&format!(
            "{} source ID(s) read from Segment are trusted too",
            offered.sources.len()
        ));
        for source in offered.sources {
            if !request.source_ids.contains(&source.id) {
                request.source_ids.push(source.id);
            }
        }
    }
    Ok(())
}

/// The token: the environment's, or typed hidden on a terminal. Never an argument.
fn token() -> Result<String, Failure> {
    if let Ok(token) = std::env::var(TOKEN_VARIABLE) {
        return Ok(token);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure {
            code: exit::BAD_INPUT,
            message: format!(
                "no Segment Public API token: set {TOKEN_VARIABLE} (with no terminal to ask on, it is the only way)"
            ),
        });
    }
    rpassword::prompt_password("Segment Public API token (not shown): ").map_err(|e| Failure {
        code: exit::BAD_INPUT,
        message: format!("the token couldn't be read: {e}"),
    })
}

/// The outcome of the setup saved here by that name: its role must exist.
fn saved_outcome(args: &WriteSettingsArgs) -> Result<Outcome, Failure> {
    let store = state_store()?;
    let saved = match (&args.stack_name, &args.role_name) {
        (Some(stack), _) => store.find_stack(stack),
        (None, Some(role)) => store.find_role(role),
        (None, None) => None,
    }
    .ok_or_else(|| Failure {
        code: exit::BAD_INPUT,
        message: format!(
            "no setup of that name is saved in {}: write-settings takes a setup made (or resumed) on this machine",
            store.dir().display()
        ),
    })?;
    let role_arn = saved.role_arn.clone().ok_or_else(|| Failure {
        code: exit::BAD_INPUT,
        message: "that setup's role isn't made yet: finish it first (run the create again, or watch its stack)".into(),
    })?;
    Ok(Outcome::from_saved(&saved, &role_arn))
}

/// What was written, as the output asks.
fn written_output(
    args: &WriteSettingsArgs,
    written: &segment_settings::Written,
    prepared: &segment_settings::Prepared,
) -> String {
    match args.change.output {
        Format::Json => pretty_json(&written.to_json(prepared)),
        Format::Text | Format::Csv => {
            let mut text = String::new();
            for line in &written.lines {
                text.push_str(&format!("Written: {line}\n"));
            }
            for line in &prepared.left {
                text.push_str(&format!("Left to you: {line}\n"));
            }
            text
        }
    }
}

pub(crate) async fn write_settings(args: &WriteSettingsArgs) -> Result<String, Failure> {
    no_csv(args.change.output)?;
    let outcome = saved_outcome(args)?;
    let (prepared, written) = write_outcome(&outcome, &args.target, args.change.yes).await?;
    Ok(written_output(args, &written, &prepared))
}

/// Connects with the token, prepares, previews, asks and writes: what `write-settings` and
/// `update --write-to-segment` do once they have the settings.
pub(super) async fn write_outcome(
    outcome: &Outcome,
    target_args: &SegmentTargetArgs,
    yes: bool,
) -> Result<(segment_settings::Prepared, segment_settings::Written), Failure> {
    let token = token()?;
    let region = target_args.segment_region.map(|r| match r {
        SegmentRegion::Us => ApiRegion::Us,
        SegmentRegion::Eu => ApiRegion::Eu,
    });
    let connection = segment_settings::connect_configured(&token, region)
        .await
        .map_err(|message| Failure {
            code: exit::CREDENTIALS,
            message,
        })?;
    say(&format!(
        "Segment workspace {} ({}, ID {})",
        connection.workspace.name, connection.workspace.slug, connection.workspace.id
    ));
    let target = Target {
        function: target_args.function.clone(),
        destinations: target_args.destinations.clone(),
        source: target_args.source.clone(),
        ..Target::default()
    };
    let prepared = segment_settings::prepare(&connection, outcome, &target)
        .await
        .map_err(|error| Failure {
            code: match error {
                PrepareError::Choose { .. } => exit::BAD_INPUT,
                PrepareError::Refused(_) => exit::AWS_REFUSED,
            },
            message: match &error {
                PrepareError::Choose { what, choices } if !choices.is_empty() => {
                    let mut message = format!("{what}: name it");
                    for choice in choices {
                        let flag = choice.flag().unwrap_or_default();
                        message.push_str(&format!("\n  {flag:<40} {}", choice.detail));
                    }
                    message
                }
                _ => error.to_string(),
            },
        })?;
    for line in &prepared.already {
        say(&format!("Already so: {line}"));
    }
    if prepared.steps.is_empty() {
        say("Nothing to write: Segment holds these settings already.");
    } else {
        say("This writes into Segment:");
        for line in segment_settings::preview(&prepared) {
            say(&format!("  {line}"));
        }
        if !ask(
            yes,
            &format!("Write this into workspace {}?", connection.workspace.name),
        ) {
            return Err(Failure {
                code: exit::DECLINED,
                message: "Nothing was written.".into(),
            });
        }
    }
    let mut report = |line: &str| say(line);
    let written = segment_settings::write(&connection, &prepared, &mut report)
        .await
        .map_err(|failure| Failure {
            code: exit::AWS_REFUSED,
            message: if failure.done.is_empty() {
                failure.message
            } else {
                format!(
                    "{}\nDone before it: {}. Run the same command again: it reads what Segment holds and writes only what is missing.",
                    failure.message,
                    failure.done.join("; ")
                )
            },
        })?;
    Ok((prepared, written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn the_token_is_never_a_flag_and_a_setup_is_named() {
        assert!(parse(&["write-settings"]).is_err());
        assert!(parse(&["write-settings", "--stack-name", "s", "--token", "x"]).is_err());
        match parse(&[
            "write-settings",
            "--role-name",
            "segment-lambda",
            "--destination",
            "d1",
            "--destination",
            "d2",
            "--segment-region",
            "eu",
        ]) {
            Ok(Command::WriteSettings(args)) => {
                assert_eq!(args.target.destinations, ["d1", "d2"]);
                assert_eq!(args.target.segment_region, Some(SegmentRegion::Eu));
            }
            other => panic!("not write-settings: {other:?}"),
        }
        assert!(
            parse(&[
                "write-settings",
                "--role-name",
                "r",
                "--destination",
                "d",
                "--source",
                "s"
            ])
            .is_err()
        );
    }
}
