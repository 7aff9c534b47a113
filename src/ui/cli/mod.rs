//! The non-interactive face: the command line, its shared arguments and helpers here, one file
//! per command beside its arguments (`plan`, `create`, `watch`, `verify`, `delete`, `update`),
//! as cargo has its commands. Progress and questions go to stderr, results to stdout, so
//! `... --output json | jq` works.

use crate::aws::sdk::{self, Sdk};
use crate::aws::{AwsError, Caller};
use crate::engine::saving::{Method, SavedSetup, StateStore};
use crate::engine::{self, EngineError, Progress, Question, WatchOptions};
use crate::model::catalog::Catalog;
use crate::model::outcome::Outcome;
use crate::model::plan::Plan;
use crate::model::plan::{PlanRequest, PolicyFile, Setting};
use crate::model::validate::{self, InputError};
use crate::model::verify::Verification;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

mod create;
mod delete;
mod plan;
mod retry;
mod stack_set;
mod update;
mod verify;
mod watch;

pub use create::CreateArgs;
pub use delete::DeleteArgs;
pub use plan::PlanArgs;
pub use retry::RetryArgs;
pub use stack_set::ManyArgs;
pub use update::UpdateArgs;
pub use verify::VerifyArgs;
pub use watch::WatchArgs;

/// Exit codes, as listed in the README.
pub mod exit {
    pub const DONE: u8 = 0;
    /// You answered no; nothing was changed.
    pub const DECLINED: u8 = 1;
    pub const BAD_INPUT: u8 = 2;
    pub const CREDENTIALS: u8 = 3;
    pub const AWS_REFUSED: u8 = 4;
    pub const INTERRUPTED: u8 = 130;
}

const EXAMPLES: &str = "Examples:
  segment-aws-setup plan --integration destination-function \\
      --bucket my-bucket --bucket-region us-west-2
  segment-aws-setup create --integration destination-function \\
      --bucket my-bucket --bucket-region us-west-2 --yes --output json
  segment-aws-setup verify --integration lambda-destination \\
      --role segment-lambda-destination --workspace-id wXZ2sd8N3mJ";

#[derive(Parser, Debug)]
#[command(
    name = "segment-aws-setup",
    version,
    about = "Sets up the AWS IAM role Segment assumes, with an external ID, for Segment Functions and the Lambda destination.\nWith no command, on a terminal, it opens the wizard.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub wizard: WizardArgs,
}

/// The wizard's options (no command).
#[derive(Args, Debug, Clone)]
pub struct WizardArgs {
    /// Presenter mode: the external ID is masked everywhere until F3 reveals it (F2 toggles)
    #[arg(long, env = "SEGMENT_AWS_SETUP_PRESENTER")]
    pub presenter: bool,

    /// No colours in the wizard (as NO_COLOR or TERM=dumb do); symbols still say everything
    #[arg(long)]
    pub no_color: bool,

    /// Clear a copied external ID from the clipboard after this many seconds, if it still holds it (0 = never)
    #[arg(
        long,
        default_value_t = 30,
        value_name = "SECONDS",
        env = "SEGMENT_AWS_SETUP_CLIPBOARD_CLEAR"
    )]
    pub clipboard_clear: u64,

    /// AWS profile to start with (switchable on the first screen)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS region to start with (switchable on the first screen)
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// Plain mode: the same steps as numbered questions, one line at a time, for screen readers
    /// and scripts (automatic when stdin or stdout is not a terminal)
    #[arg(long, env = "SEGMENT_AWS_SETUP_PLAIN")]
    pub plain: bool,

    /// Demo: a built-in simulated AWS account (000000000000); no credentials, nothing leaves the
    /// machine. Name a stack with "rollback" in it to watch a rollback
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print what a setup would create, with no credentials and no network call
    #[command(after_help = "Examples:
  # A destination function that writes events to S3 (the ID is generated):
  segment-aws-setup plan --integration destination-function \\
      --bucket my-bucket --bucket-region us-west-2

  # The Lambda destination, as JSON for a script or an administrator:
  segment-aws-setup plan --integration lambda-destination \\
      --workspace-id wXZ2sd8N3mJ --format json \\
      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:my-function

  # A source function with your own permission policy:
  segment-aws-setup plan --integration source-function \\
      --policy-file policy.json")]
    Plan(PlanArgs),
    /// Create the role in your AWS account, through CloudFormation (default) or directly through IAM
    #[command(after_help = "Examples:
  # Through CloudFormation, asking before the change:
  segment-aws-setup create --integration destination-function \\
      --bucket my-bucket --bucket-region us-west-2

  # Directly through IAM, in a script (no questions), JSON on stdout:
  segment-aws-setup create --integration lambda-destination \\
      --method iam --role-name segment-lambda --workspace-id wXZ2sd8N3mJ \\
      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:f \\
      --yes --output json

  # The role in three accounts through a StackSet, a CSV row per account:
  segment-aws-setup create --integration lambda-destination \\
      --workspace-id wXZ2sd8N3mJ --role-name segment-lambda \\
      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:f \\
      --accounts 111111111111,222222222222,333333333333 --yes --output csv")]
    Create(CreateArgs),
    /// Watch a stack until it is done (re-attach after Ctrl-C or a closed session)
    #[command(after_help = "Example:
  segment-aws-setup watch --region us-west-2 \\
      --stack-name segment-destination-function-k3x9qa
  segment-aws-setup watch --stack-set segment-lambda-destination-k3x9qa")]
    Watch(WatchArgs),
    /// Run a StackSet's failed instances again (after fixing what their reasons say)
    #[command(after_help = "Example:
  segment-aws-setup retry --stack-set segment-lambda-destination-k3x9qa")]
    Retry(RetryArgs),
    /// Check that an existing role lets Segment in with your external ID, and repair it with --fix
    #[command(after_help = "Examples:
  segment-aws-setup verify --integration destination-function --role my-role
  segment-aws-setup verify --integration lambda-destination \\
      --role arn:aws:iam::123456789012:role/my-role \\
      --workspace-id wXZ2sd8N3mJ --fix \\
      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:f")]
    Verify(VerifyArgs),
    /// Delete a stack or a role this tool created
    #[command(after_help = "Examples:
  segment-aws-setup delete --stack-name segment-destination-function-k3x9qa
  segment-aws-setup delete --role-name segment-lambda-destination --yes
  segment-aws-setup delete --stack-set segment-lambda-destination-k3x9qa")]
    Delete(DeleteArgs),
    /// Change a setup this tool made: new Lambda ARNs, another bucket or preset, a rotated external
    /// ID. Previewed (a CloudFormation change set, or the documents' diff) before anything changes
    #[command(after_help = "Examples:
  # The Lambda destination's role, for another function (the ID stays):
  segment-aws-setup update --integration lambda-destination \\
      --stack-name segment-lambda-destination-k3x9qa \\
      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:events-v2

  # A function's role made through IAM, with a new external ID (then
  # change it in Segment):
  segment-aws-setup update --integration destination-function \\
      --method iam --role-name segment-destination-function \\
      --bucket my-bucket --bucket-region us-west-2 --rotate-external-id")]
    Update(UpdateArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// A row per account: StackSet results only.
    Csv,
}

/// CSV is for the rows of a StackSet; other results are one object.
fn no_csv(format: Format) -> Result<(), Failure> {
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

    /// Lambda destination: your Segment workspace ID, which Segment presents as the external ID.
    /// Repeat to trust several
    #[arg(
        long = "workspace-id",
        env = "SEGMENT_AWS_SETUP_WORKSPACE_ID",
        value_name = "W",
        value_delimiter = ','
    )]
    pub workspace_ids: Vec<String>,

    /// Lambda destination: a Segment source ID to trust too (Segment uses it when the External ID
    /// setting is empty). Repeat for several
    #[arg(
        long = "source-id",
        env = "SEGMENT_AWS_SETUP_SOURCE_ID",
        value_name = "S",
        value_delimiter = ','
    )]
    pub source_ids: Vec<String>,

    /// Permissions: let the role write objects to this S3 bucket (s3:PutObject on BUCKET/*)
    #[arg(long, env = "SEGMENT_AWS_SETUP_BUCKET", value_name = "B")]
    pub bucket: Option<String>,

    /// The S3 bucket's region, for the function's S3 Bucket Region setting
    #[arg(long, env = "SEGMENT_AWS_SETUP_BUCKET_REGION", value_name = "R")]
    pub bucket_region: Option<String>,

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

/// A failure to report: a message on stderr and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl From<InputError> for Failure {
    fn from(error: InputError) -> Self {
        Failure {
            code: exit::BAD_INPUT,
            message: format!("{error}\n(see segment-aws-setup --help)"),
        }
    }
}

fn read_policy_file(path: Option<&std::path::Path>) -> Result<Option<PolicyFile>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let text = crate::model::policy::read_policy_file(path).map_err(|error| Failure {
        code: exit::BAD_INPUT,
        message: format!("--policy-file: {error}"),
    })?;
    Ok(Some(PolicyFile {
        path: path.display().to_string(),
        text,
    }))
}

impl SetupArgs {
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
            ..PlanRequest::default()
        })
    }
}

/// Runs a parsed command line; returns what to print on stdout, or the failure.
pub async fn run(cli: Cli) -> Result<String, Failure> {
    match cli.command {
        None => wizard(&cli.wizard).await,
        Some(Command::Plan(args)) => plan::plan(&args),
        Some(Command::Create(args)) => create::create(&args).await,
        Some(Command::Watch(args)) => watch::watch(&args).await,
        Some(Command::Retry(args)) => stack_set::retry(&args).await,
        Some(Command::Verify(args)) => verify::verify(&args).await,
        Some(Command::Delete(args)) => delete::delete(&args).await,
        Some(Command::Update(args)) => update::update(&args).await,
    }
}

/// No command: the wizard on a terminal, else (or with --plain) the plain mode; on the SDK, or on
/// the demo account with --demo.
async fn wizard(args: &WizardArgs) -> Result<String, Failure> {
    if let Some(region) = &args.region {
        validate::region(region).map_err(InputError::at("--region"))?;
    }
    let demo_args = WizardArgs {
        demo: true,
        ..args.clone()
    };
    // The demo saves nothing: no state file, nothing to resume.
    let ending = if args.demo {
        faces(crate::aws::fake::demo_connect(), None, args).await?
    } else {
        faces(sdk::connect(), StateStore::default_location(), args).await?
    };
    match ending {
        FacesEnding::Output(output) => Ok(output),
        // Chosen on Welcome for want of credentials: the wizard again, on the demo account.
        FacesEnding::Demo => match faces(crate::aws::fake::demo_connect(), None, &demo_args).await?
        {
            FacesEnding::Output(output) => Ok(output),
            FacesEnding::Demo => Ok(String::new()),
        },
    }
}

/// What a face ended with: its output, or the wish to try the demo account.
enum FacesEnding {
    Output(String),
    Demo,
}

async fn faces<
    I: crate::aws::Identity + 'static,
    S: crate::aws::Stacks + 'static,
    R: crate::aws::Roles + 'static,
>(
    connect: crate::aws::Connect<I, S, R>,
    store: Option<StateStore>,
    args: &WizardArgs,
) -> Result<FacesEnding, Failure> {
    let loaded = store.as_ref().map(StateStore::load).unwrap_or_default();
    let (finished, saved): (Vec<SavedSetup>, Vec<SavedSetup>) =
        loaded.setups.into_iter().partition(|s| s.finished);
    let state_problems = loaded.problems;
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.plain || !terminal {
        let options = crate::ui::plain::Options {
            profile: args.profile.clone(),
            region: args.region.clone(),
            demo: args.demo,
            saved,
            finished,
            state_problems,
        };
        let input = Box::new(std::io::BufReader::new(std::io::stdin()));
        crate::ui::plain::run(connect, store, options, input, Box::new(std::io::stdout())).await?;
        return Ok(FacesEnding::Output(String::new()));
    }
    let executor = crate::ui::tui::executor::Executor::new(connect, store);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let options = crate::ui::tui::Options {
        presenter: args.presenter,
        color: crate::ui::tui::colors_wanted(args.no_color, env("NO_COLOR"), env("TERM")),
        clipboard_clear: (args.clipboard_clear > 0)
            .then(|| Duration::from_secs(args.clipboard_clear)),
        profile: args.profile.clone(),
        region: args.region.clone(),
        demo: args.demo,
        saved,
        finished,
        state_problems,
    };
    let clipboard =
        std::sync::Arc::new(crate::ui::tui::clipboard::SystemClipboard::from_environment());
    let ending = crate::ui::tui::run(executor, clipboard, options)
        .await
        .map_err(|error| Failure {
            code: exit::AWS_REFUSED,
            message: format!("the terminal failed: {error}"),
        })?;
    Ok(match ending {
        crate::ui::tui::Ending::Left(farewell) => {
            FacesEnding::Output(farewell.map(|line| format!("{line}\n")).unwrap_or_default())
        }
        crate::ui::tui::Ending::Demo => FacesEnding::Demo,
    })
}

fn pretty_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A line on stderr, its control characters escaped (text from AWS may hold escape sequences).
/// The result printed before a failure's message (the rows stay on stdout): escaped as `main`
/// escapes a result, since it holds text from AWS.
fn print_output(output: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = write!(stdout, "{}", crate::model::text::escape_controls(output));
    let _ = stdout.flush();
}

fn say(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", crate::model::text::escape_controls(line));
}

/// Asks on the terminal, or answers yes for `--yes`.
fn ask(yes: bool, question: &str) -> bool {
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
enum Answer {
    Yes,
    No,
    /// Ctrl-C while the question waited: the caller cleans up before it exits.
    Interrupted,
}

/// Asks as [`ask`] does, but Ctrl-C while waiting is an answer of its own, so the caller can
/// delete what it made for the question. The reading thread is detached, so a process that
/// exits doesn't wait for a line that never comes.
async fn ask_interruptibly(yes: bool, question: &str) -> Answer {
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
fn require_a_way_to_ask(yes: bool) -> Result<(), Failure> {
    if yes || (std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        Ok(())
    } else {
        Err(Failure {
            code: exit::BAD_INPUT,
            message: "nothing was changed: this changes your AWS account and I can't ask first (not on a terminal). Run it on a terminal, or add --yes".into(),
        })
    }
}

struct Session {
    sdk: Sdk,
    caller: Caller,
    region: Option<String>,
    profile: Option<String>,
}

impl Session {
    /// Who and where, for errors and the commands they suggest.
    fn context(&self) -> engine::Context {
        engine::Context {
            caller: Some(self.caller.clone()),
            region: self.region.clone(),
            profile: self.profile.clone(),
        }
    }

    /// An engine error as this session's failure.
    fn failure(&self, error: EngineError) -> Failure {
        engine_failure_in(error, &self.context())
    }
}

/// Loads credentials and shows whose account will be changed.
async fn connect(aws: &AwsArgs) -> Result<Session, Failure> {
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

/// An engine error as a failure of any face: the exit code and the sentence that says what to do.
pub(crate) fn engine_failure(error: EngineError, caller: Option<&Caller>) -> Failure {
    engine_failure_in(
        error,
        &engine::Context {
            caller: caller.cloned(),
            ..engine::Context::default()
        },
    )
}

/// [`engine_failure`], with the commands it suggests for this region and profile.
pub(crate) fn engine_failure_in(error: EngineError, context: &engine::Context) -> Failure {
    let code = match &error {
        EngineError::Aws(AwsError::Credentials(_) | AwsError::AccessDenied { .. }) => {
            exit::CREDENTIALS
        }
        EngineError::Declined(_) => exit::DECLINED,
        EngineError::IdUnsettled(_) | EngineError::IdsDiffer { .. } => exit::BAD_INPUT,
        _ => exit::AWS_REFUSED,
    };
    let message = match &error {
        EngineError::StackFailed {
            stack,
            status,
            reasons,
        } => {
            let mut text = format!("stack {stack} ended in {status}. Why, first cause first:");
            for reason in reasons {
                text.push_str(&format!("\n  - {reason}"));
            }
            if reasons.is_empty() {
                text.push_str("\n  (CloudFormation gave no reason)");
            }
            text.push_str(&engine::after_failure(stack, status, context));
            text
        }
        other => engine::explain_in(other, context),
    };
    Failure { code, message }
}

/// Prints progress lines on stderr, one per event.
fn progress_printer() -> impl FnMut(Progress) + Send {
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

fn state_store() -> Result<StateStore, Failure> {
    StateStore::default_location().ok_or_else(|| Failure {
        code: exit::BAD_INPUT,
        message: "no state directory for saving the setup: set SEGMENT_AWS_SETUP_STATE_DIR or HOME"
            .into(),
    })
}

/// Runs the work until it ends or Ctrl-C stops it. Calls that must not be cut apart (a role's
/// two IAM calls) are let finish first: the interrupt waits for them, and says so.
async fn interruptible<T>(
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

fn reattach_hint(stack: &str, session: &Session) -> String {
    let command = format!(
        "segment-aws-setup watch --stack-name {stack}{}",
        session.context().flags()
    );
    format!("stopped watching; the stack keeps going in AWS. Watch it again with:\n  {command}")
}

pub use crate::model::outcome::verify_hint;

/// Files in the state directory that couldn't be read are said, with their paths; they stop
/// nothing.
fn say_state_problems(store: &StateStore) {
    for problem in store.load().problems {
        say(&format!("warning: {problem}"));
    }
}

/// A custom policy that grants broadly is used only after an explicit yes: a question on a
/// terminal, or `--allow-broad-policy` (which `--yes` alone does not imply).
fn accept_broad_policy(plan: &Plan, yes: bool, allow: bool) -> Result<(), Failure> {
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
pub(crate) fn parse(args: &[&str]) -> Result<Command, clap::Error> {
    let cli =
        Cli::try_parse_from(std::iter::once("segment-aws-setup").chain(args.iter().copied()))?;
    cli.command
        .ok_or_else(|| clap::Error::raw(clap::error::ErrorKind::MissingSubcommand, "no command"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Examples are copied into a shell: clap would wrap a longer line at the terminal's width,
    /// breaking the command, so none is wider than 79 columns.
    #[test]
    fn every_example_fits_an_80_column_terminal() {
        let command = Cli::command();
        let mut helps = vec![("segment-aws-setup".to_string(), command.get_after_help())];
        for sub in command.get_subcommands() {
            helps.push((sub.get_name().to_string(), sub.get_after_help()));
        }
        for (name, help) in helps {
            let text = help.map(|h| h.to_string()).unwrap_or_default();
            assert!(!text.is_empty(), "{name} has examples");
            for line in text.lines() {
                assert!(line.chars().count() <= 79, "{name}: {line}");
            }
        }
    }
}
