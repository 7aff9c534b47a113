//! What the commands share: the arguments every command takes (what the role is for, where in
//! AWS, how a change is confirmed), the output format, connecting and asking, progress lines, and
//! the outcome as a command prints it. Its imports are the commands' prelude (`use super::common::*`).

pub(super) use crate::aws::Caller;
pub(super) use crate::aws::sdk::{self, Sdk};
pub(super) use crate::engine::saving::{Method, SavedSetup, StateStore};
pub(super) use crate::engine::{self, EngineError, Progress, Question, WatchOptions};
pub(super) use crate::model::catalog::Catalog;
pub(super) use crate::model::outcome::Outcome;
pub(super) use crate::model::plan::Plan;
pub(super) use crate::model::plan::{PlanRequest, PolicyFile, Setting};
pub(super) use crate::model::validate::{self, InputError};
pub(super) use crate::model::verify::Verification;
pub use crate::ui::words::{Failure, engine_failure, engine_failure_in, exit};
pub(super) use clap::{Args, ValueEnum};
pub(super) use std::io::{BufRead, IsTerminal, Write};
pub(super) use std::time::Duration;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// A row per account: StackSet results only.
    Csv,
}

/// CSV is for the rows of a StackSet; other results are one object.
pub(super) fn no_csv(format: Format) -> Result<(), Failure> {
    if format == Format::Csv {
        return Err(InputError::new(
            "--output",
            "csv is for StackSets (create --accounts or --org-units, watch or retry --stack-set, verify --accounts or --stack-set); use text or json",
        )
        .into());
    }
    Ok(())
}

/// What the role is for and what it may do: shared by every command that builds a plan.
#[derive(Args, Debug, Clone)]
pub struct SetupArgs {
    /// Which Segment integration assumes the role: destination-function, source-function,
    /// lambda-destination, s3-destination, s3-actions-destination, kinesis-destination,
    /// firehose-destination, personalize-destination or data-lakes
    #[arg(long, env = "SEGMENT_AWS_SETUP_INTEGRATION", value_name = "ID")]
    pub integration: String,

    /// Bring your own external ID instead of generating one (functions: at least 32 characters).
    /// Safer in the environment variable than on the command line
    #[arg(
        long = "external-id",
        env = "SEGMENT_AWS_SETUP_EXTERNAL_ID",
        value_name = "X",
        hide_env_values = true
    )]
    pub external_ids: Vec<String>,

    /// Destinations and Data Lakes: your Segment workspace ID, which Segment presents as the
    /// external ID (functions and AWS S3 (Actions) use a generated one). Repeat to trust several
    #[arg(
        long = "workspace-id",
        env = "SEGMENT_AWS_SETUP_WORKSPACE_ID",
        value_name = "W",
        value_delimiter = ','
    )]
    pub workspace_ids: Vec<String>,

    /// Amazon Lambda, Kinesis, Personalize, Data Lakes: a Segment source ID to trust too (Segment
    /// uses it when the External ID (Read-Only) setting is empty). Repeat for several
    #[arg(
        long = "source-id",
        env = "SEGMENT_AWS_SETUP_SOURCE_ID",
        value_name = "S",
        value_delimiter = ','
    )]
    pub source_ids: Vec<String>,

    /// create: trust every source ID of the workspace too, as Segment's Public API lists them
    /// (the token from SEGMENT_PUBLIC_API_TOKEN); for the integrations --source-id is for
    #[arg(long, env = "SEGMENT_AWS_SETUP_SOURCE_IDS_FROM_SEGMENT")]
    pub source_ids_from_segment: bool,

    /// Permissions: let the role write objects to this S3 bucket (s3:PutObject on BUCKET/*)
    #[arg(long, env = "SEGMENT_AWS_SETUP_BUCKET", value_name = "B")]
    pub bucket: Option<String>,

    /// The S3 bucket's region, for the function's S3 Bucket Region setting
    #[arg(long, env = "SEGMENT_AWS_SETUP_BUCKET_REGION", value_name = "R")]
    pub bucket_region: Option<String>,

    /// Amazon Lambda, Personalize: also make a starter function for Segment to invoke (Python,
    /// logs each event; its own execution role writes only its log group), in the setup's region
    #[arg(long, env = "SEGMENT_AWS_SETUP_STARTER_FUNCTION")]
    pub starter_function: bool,

    /// Permissions: let the role invoke this Lambda function (full ARN). Repeat for several
    #[arg(
        long = "lambda-arn",
        env = "SEGMENT_AWS_SETUP_LAMBDA_ARN",
        value_name = "A",
        value_delimiter = ','
    )]
    pub lambda_arns: Vec<String>,

    /// Permissions: your own permission policy document (JSON)
    #[arg(long, env = "SEGMENT_AWS_SETUP_POLICY_FILE", value_name = "F")]
    pub policy_file: Option<std::path::PathBuf>,

    /// Role name for the direct IAM method [default: segment-INTEGRATION]
    #[arg(long, env = "SEGMENT_AWS_SETUP_ROLE_NAME", value_name = "R")]
    pub role_name: Option<String>,

    /// Stack name for the CloudFormation method [default: segment-INTEGRATION-<6 random>]
    #[arg(long, env = "SEGMENT_AWS_SETUP_STACK_NAME", value_name = "S")]
    pub stack_name: Option<String>,

    #[command(flatten)]
    pub more: MoreInputArgs,
}

/// The other integrations' permission inputs (AWS S3, Kinesis, Firehose, Data Lakes).
#[derive(Args, Debug, Clone, Default)]
pub struct MoreInputArgs {
    /// AWS S3: a path prefix in the bucket (Segment writes under PREFIX/segment-logs/)
    #[arg(long, value_name = "P")]
    pub path_prefix: Option<String>,

    /// AWS S3, Kinesis: the KMS key that encrypts the bucket or stream (adds its statement)
    #[arg(long, value_name = "ARN")]
    pub kms_key_arn: Option<String>,

    /// Kinesis: the stream Segment writes to, by ARN
    #[arg(long, value_name = "ARN")]
    pub kinesis_stream_arn: Option<String>,

    /// Firehose: a delivery stream Segment writes to, by ARN. Repeat for several (one region)
    #[arg(
        long = "delivery-stream-arn",
        value_name = "ARN",
        value_delimiter = ','
    )]
    pub delivery_stream_arns: Vec<String>,

    /// Data Lakes: the EMR cluster's ID, for the EMR Cluster ID setting
    #[arg(long, value_name = "ID")]
    pub emr_cluster_id: Option<String>,
}

impl MoreInputArgs {
    /// As a plan's request takes them.
    pub fn inputs(&self) -> std::collections::BTreeMap<crate::model::catalog::Input, Vec<String>> {
        use crate::model::catalog::Input;
        [
            (
                Input::PathPrefix,
                self.path_prefix.iter().cloned().collect(),
            ),
            (Input::KmsKeyArn, self.kms_key_arn.iter().cloned().collect()),
            (
                Input::KinesisStreamArn,
                self.kinesis_stream_arn.iter().cloned().collect(),
            ),
            (Input::DeliveryStreamArns, self.delivery_stream_arns.clone()),
            (
                Input::EmrClusterId,
                self.emr_cluster_id.iter().cloned().collect(),
            ),
        ]
        .into_iter()
        .filter(|(_, values): &(Input, Vec<String>)| !values.is_empty())
        .collect()
    }
}

/// Where in AWS: the standard credential chain, with these overrides.
#[derive(Args, Debug, Clone)]
pub struct AwsArgs {
    /// AWS profile from ~/.aws/config (default: AWS_PROFILE, else the default chain)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region (default: AWS_REGION, else the profile's region)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Args, Debug)]
pub struct ChangeArgs {
    /// Don't ask before changing anything (needed when not on a terminal)
    #[arg(long, short = 'y', env = "SEGMENT_AWS_SETUP_YES")]
    pub yes: bool,

    /// Output on stdout: text for people, json (the Segment settings object) for scripts, csv (a
    /// row per account) for a StackSet
    #[arg(long, value_enum, default_value_t = Format::Text, env = "SEGMENT_AWS_SETUP_OUTPUT")]
    pub output: Format,
}

pub(super) fn read_policy_file(
    path: Option<&std::path::Path>,
) -> Result<Option<PolicyFile>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let text = crate::engine::read_policy_file(path).map_err(|error| Failure {
        code: exit::BAD_INPUT,
        message: format!("--policy-file: {error}"),
    })?;
    Ok(Some(PolicyFile {
        path: path.display().to_string(),
        text,
    }))
}

impl SetupArgs {
    /// The request, for a command that reads nothing from Segment (plan, update).
    pub fn offline_request(&self, command: &str) -> Result<PlanRequest, Failure> {
        if self.source_ids_from_segment {
            return Err(InputError::new(
                "--source-ids-from-segment",
                format!("{command} reads nothing from Segment: give the IDs with --source-id (create reads them)"),
            )
            .into());
        }
        self.request()
    }

    pub fn request(&self) -> Result<PlanRequest, Failure> {
        Ok(PlanRequest {
            integration: self.integration.clone(),
            external_ids: self.external_ids.clone(),
            workspace_ids: self.workspace_ids.clone(),
            source_ids: self.source_ids.clone(),
            bucket: self.bucket.clone(),
            bucket_region: self.bucket_region.clone(),
            lambda_arns: self.lambda_arns.clone(),
            policy_file: read_policy_file(self.policy_file.as_deref())?,
            role_name: self.role_name.clone(),
            stack_name: self.stack_name.clone(),
            other_inputs: self.more.inputs(),
            starter_function: self.starter_function,
            ..PlanRequest::default()
        })
    }
}

/// A count, a bar and the time left on stderr while work over many items runs: drawn only on a
/// terminal (nothing when stderr is piped or redirected), cleared when the work ends.
pub(super) fn progress_bar(length: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(length),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let template = format!("{{pos}}/{{len}} {what} {{wide_bar}} {{eta}} left");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

pub(super) fn pretty_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A line on stderr, its control characters escaped (text from AWS may hold escape sequences).
/// The result printed before a failure's message (the rows stay on stdout): escaped as `main`
/// escapes a result, since it holds text from AWS.
pub(super) fn print_output(output: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", crate::model::text::escape_controls(output));
    let _ = stdout.flush();
}

pub(super) fn say(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", crate::model::text::escape_controls(line));
}

/// Asks on the terminal, or answers yes for `--yes`.
pub(super) fn ask(yes: bool, question: &str) -> bool {
    if yes {
        say(&format!("{question} yes (--yes)"));
        return true;
    }
    {
        // Released before the wait for the answer: a message from another thread (Ctrl-C's)
        // must not block behind the question.
        let mut stderr = std::io::stderr().lock();
        let _ = write!(
            stderr,
            "{} [y/N] ",
            crate::model::text::escape_controls(question)
        );
        let _ = stderr.flush();
    }
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// An answer to a question asked while something waits in AWS (a change set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Yes,
    No,
    /// Ctrl-C while the question waited: the caller cleans up before it exits.
    Interrupted,
}

/// Asks as [`ask`] does, but Ctrl-C while waiting is an answer of its own, so the caller can
/// delete what it made for the question. The reading thread is detached, so a process that
/// exits doesn't wait for a line that never comes.
pub(super) async fn ask_interruptibly(yes: bool, question: &str) -> Answer {
    if yes {
        return if ask(true, question) {
            Answer::Yes
        } else {
            Answer::No
        };
    }
    // Listening before the question shows: a Ctrl-C the moment it appears is caught too.
    let Ok(mut interrupt) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
    else {
        return if ask(false, question) {
            Answer::Yes
        } else {
            Answer::No
        };
    };
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let question = question.to_string();
    std::thread::spawn(move || {
        let _ = sender.send(ask(false, &question));
    });
    tokio::select! {
        answer = receiver => match answer {
            Ok(true) => Answer::Yes,
            _ => Answer::No,
        },
        _ = interrupt.recv() => Answer::Interrupted,
    }
}

/// Without `--yes` a change needs a person at a terminal to say yes; a script gets exit 2 and
/// no change.
pub(super) fn require_a_way_to_ask(yes: bool) -> Result<(), Failure> {
    if yes || (std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        Ok(())
    } else {
        Err(Failure {
            code: exit::BAD_INPUT,
            message: "nothing was changed: this changes your AWS account and I can't ask first (not on a terminal). Run it on a terminal, or add --yes".into(),
        })
    }
}

pub(super) struct Session {
    pub(super) sdk: Sdk,
    pub(super) caller: Caller,
    pub(super) region: Option<String>,
    pub(super) profile: Option<String>,
}

impl Session {
    /// Who and where, for errors and the commands they suggest.
    pub(super) fn context(&self) -> engine::Context {
        engine::Context {
            caller: Some(self.caller.clone()),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }

    /// An engine error as this session's failure.
    pub(super) fn failure(&self, error: EngineError) -> Failure {
        engine_failure_in(error, &self.context())
    }
}

/// Loads credentials and shows whose account will be changed.
pub(super) async fn connect(aws: &AwsArgs) -> Result<Session, Failure> {
    if let Some(region) = &aws.region {
        validate::region(region).map_err(InputError::at("--region"))?;
    }
    sdk::check_profile(aws.profile.as_deref())
        .await
        .map_err(|message| Failure {
            code: exit::CREDENTIALS,
            message,
        })?;
    let config = sdk::load_config(aws.profile.as_deref(), aws.region.as_deref()).await;
    let Some(region) = config.region().map(|r| r.to_string()) else {
        return Err(Failure {
            code: exit::BAD_INPUT,
            message: "no AWS region: pass --region, set AWS_REGION, or set one in your profile (aws configure)".into(),
        });
    };
    let sdk = Sdk::new(&config);
    let caller = engine::identity(&sdk)
        .await
        .map_err(|e| engine_failure(e, None))?;
    say(&format!(
        "AWS account {} as {} (region {region})",
        caller.account, caller.arn
    ));
    Ok(Session {
        sdk,
        caller,
        region: Some(region),
        profile: aws.profile.clone(),
    })
}

/// Prints progress lines on stderr, one per event.
pub(super) fn progress_printer() -> impl FnMut(Progress) + Send {
    let mut last_stack_status = String::new();
    move |progress| match progress {
        Progress::Note(text) => say(&text),
        Progress::Event { event, elapsed } => {
            if event.is_stack_itself() {
                last_stack_status = event.status.clone();
            }
            let stack_itself = event.is_stack_itself();
            let physical = event
                .physical_id
                .filter(|_| !stack_itself)
                .map(|p| format!(" {p}"))
                .unwrap_or_default();
            let reason = event.reason.map(|r| format!(": {r}")).unwrap_or_default();
            say(&format!(
                "[{:>4} s] {} ({}){physical} {}{reason}",
                elapsed.as_secs(),
                event.logical_id,
                event.resource_type,
                event.status
            ));
        }
        Progress::Status { status, elapsed } => {
            if status != last_stack_status {
                say(&format!("[{:>4} s] stack {status}", elapsed.as_secs()));
                last_stack_status = status;
            }
        }
        Progress::Reconnecting { error } => say(&format!(
            "lost the connection to AWS ({error}); reconnecting…"
        )),
        Progress::Reconnected => say("reconnected"),
        Progress::Saved(path) => say(&format!(
            "Saved the setup to {path} so a re-run can resume it"
        )),
        Progress::Instance { row, elapsed } => {
            say(&format!("[{:>4} s] {}", elapsed.as_secs(), row.line()))
        }
    }
}

/// The outcome as the result: its lines for people, its object for scripts. `reveal` shows
/// sensitive values as they are (a command's own result); else they are masked.
pub fn outcome_output(outcome: &Outcome, format: Format, reveal: bool) -> String {
    match format {
        Format::Json => pretty_json(&outcome.to_json()),
        // CSV is refused before (`no_csv`): one outcome is not rows.
        Format::Text | Format::Csv => outcome_text(outcome, reveal),
    }
}

/// The outcome's lines as `create`, `watch` and `verify` print them.
pub fn outcome_text(outcome: &Outcome, reveal: bool) -> String {
    let shown = |setting: &Setting| {
        let value = crate::model::outcome::value_text(setting);
        if setting.sensitive && !reveal {
            crate::model::external_id::masked(&value)
        } else {
            value
        }
    };
    let mut text = String::new();
    for line in outcome.lines(&shown) {
        text.push_str(&line.text);
        text.push('\n');
    }
    text
}

pub(super) fn state_store() -> Result<StateStore, Failure> {
    StateStore::default_location().ok_or_else(|| Failure {
        code: exit::BAD_INPUT,
        message: "no state directory for saving the setup: set SEGMENT_AWS_SETUP_STATE_DIR or HOME"
            .into(),
    })
}

/// Runs the work until it ends or Ctrl-C stops it. Calls that must not be cut apart (a role's
/// two IAM calls) are let finish first: the interrupt waits for them, and says so.
pub(super) async fn interruptible<T>(
    work: impl std::future::Future<Output = T>,
    on_interrupt: impl FnOnce() -> String,
) -> Result<T, Failure> {
    tokio::pin!(work);
    let interrupted = Failure {
        code: exit::INTERRUPTED,
        message: on_interrupt(),
    };
    tokio::select! {
        result = &mut work => return Ok(result),
        _ = tokio::signal::ctrl_c() => {}
    }
    if !engine::unbroken_running() {
        return Err(interrupted);
    }
    say("finishing the role's IAM calls first, so nothing is left half made…");
    tokio::select! {
        result = &mut work => Ok(result),
        _ = engine::unbroken_done() => Err(interrupted),
    }
}

pub(super) fn reattach_hint(stack: &str, session: &Session) -> String {
    let command = format!(
        "segment-aws-setup watch --stack-name {stack}{}",
        session.context().flags()
    );
    format!("stopped watching; the stack keeps going in AWS. Watch it again with:\n  {command}")
}

pub use crate::model::outcome::verify_hint;

/// Files in the state directory that couldn't be read are said, with their paths; they stop
/// nothing.
pub(super) fn say_state_problems(store: &StateStore) {
    for problem in store.load().problems {
        say(&format!("warning: {problem}"));
    }
}

/// A custom policy that grants broadly is used only after an explicit yes: a question on a
/// terminal, or `--allow-broad-policy` (which `--yes` alone does not imply).
pub(super) fn accept_broad_policy(plan: &Plan, yes: bool, allow: bool) -> Result<(), Failure> {
    if plan.broad_grants.is_empty() {
        return Ok(());
    }
    say("Warning: the permission policy grants broadly:");
    for grant in &plan.broad_grants {
        say(&format!("  ! {grant}"));
    }
    if allow {
        say("Using it: --allow-broad-policy");
        return Ok(());
    }
    if yes {
        return Err(Failure {
            code: exit::BAD_INPUT,
            message: "nothing was changed: the permission policy grants broadly, and --yes alone doesn't accept that; add --allow-broad-policy if you mean it".into(),
        });
    }
    if ask(false, "Let Segment have these permissions anyway?") {
        Ok(())
    } else {
        Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        })
    }
}

/// Parse a command line as the binary does, for each command's tests.
#[cfg(test)]
pub(crate) fn parse(args: &[&str]) -> Result<super::Command, clap::Error> {
    use clap::Parser;
    let cli = super::Cli::try_parse_from(
        std::iter::once("segment-aws-setup").chain(args.iter().copied()),
    )?;
    cli.command
        .ok_or_else(|| clap::Error::raw(clap::error::ErrorKind::MissingSubcommand, "no command"))
}
