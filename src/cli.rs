//! The non-interactive face: `plan`, `create`, `watch`, `verify`, `delete`. Progress and
//! questions go to stderr, results to stdout, so `... --output json | jq` works.

use crate::aws::sdk::{self, Sdk};
use crate::aws::{AwsError, Caller};
use crate::engine::{self, EngineError, Progress, Question, WatchOptions};
use crate::outcome::Outcome;
use crate::plan::{PlanRequest, PolicyFile, Setting};
use crate::state::{Method, SavedSetup, StateStore};
use crate::validate::{self, InputError};
use crate::verify::Verification;
use crate::{Catalog, Plan};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

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
  segment-aws-setup plan --integration destination-function --bucket my-bucket --bucket-region us-west-2
  segment-aws-setup create --integration destination-function --bucket my-bucket --bucket-region us-west-2 --yes --output json
  segment-aws-setup verify --integration lambda-destination --role segment-lambda-destination --workspace-id wXZ2sd8N3mJ";

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
  # A destination function that writes events to S3 (the external ID is generated):
  segment-aws-setup plan --integration destination-function --bucket my-bucket --bucket-region us-west-2

  # The Lambda destination, as JSON for a script or an administrator:
  segment-aws-setup plan --integration lambda-destination --workspace-id wXZ2sd8N3mJ \\
      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:my-function --format json

  # A source function with your own permission policy:
  segment-aws-setup plan --integration source-function --policy-file policy.json")]
    Plan(PlanArgs),
    /// Create the role in your AWS account, through CloudFormation (default) or directly through IAM
    #[command(after_help = "Examples:
  # Through CloudFormation, asking before the change:
  segment-aws-setup create --integration destination-function --bucket my-bucket --bucket-region us-west-2

  # Directly through IAM, in a script (no questions), the settings as JSON on stdout:
  segment-aws-setup create --integration lambda-destination --method iam --role-name segment-lambda \\
      --workspace-id wXZ2sd8N3mJ --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:f --yes --output json")]
    Create(CreateArgs),
    /// Watch a stack until it is done (re-attach after Ctrl-C or a closed session)
    #[command(after_help = "Example:
  segment-aws-setup watch --stack-name segment-destination-function-k3x9qa --region us-west-2")]
    Watch(WatchArgs),
    /// Check that an existing role lets Segment in with your external ID, and repair it with --fix
    #[command(after_help = "Examples:
  segment-aws-setup verify --integration destination-function --role my-role --external-id \"$EXTERNAL_ID\"
  segment-aws-setup verify --integration lambda-destination --role arn:aws:iam::123456789012:role/my-role \\
      --workspace-id wXZ2sd8N3mJ --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:f --fix")]
    Verify(VerifyArgs),
    /// Delete a stack or a role this tool created
    #[command(after_help = "Examples:
  segment-aws-setup delete --stack-name segment-destination-function-k3x9qa
  segment-aws-setup delete --role-name segment-lambda-destination --yes")]
    Delete(DeleteArgs),
    /// Change a setup this tool made: new Lambda ARNs, another bucket or preset, a rotated external
    /// ID. Previewed (a CloudFormation change set, or the documents' diff) before anything changes
    #[command(after_help = "Examples:
  # The Lambda destination's role, now for another function (the external ID stays):
  segment-aws-setup update --integration lambda-destination --stack-name segment-lambda-destination-k3x9qa \\
      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:events-v2

  # A function's role made through IAM, with a new external ID (then update it in Segment):
  segment-aws-setup update --integration destination-function --method iam --role-name segment-destination-function \\
      --bucket my-bucket --bucket-region us-west-2 --rotate-external-id")]
    Update(UpdateArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// What the role is for and what it may do: shared by every command that builds a plan.
#[derive(Args, Debug, Clone)]
pub struct SetupArgs {
    /// Which Segment integration assumes the role: destination-function, source-function or lambda-destination
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
}

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

    /// Output on stdout: text for people, json (the Segment settings object) for scripts
    #[arg(long, value_enum, default_value_t = Format::Text, env = "SEGMENT_AWS_SETUP_OUTPUT")]
    pub output: Format,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,

    /// How to create the role: a CloudFormation stack (recommended) or directly through IAM
    #[arg(long, value_enum, default_value_t = Method::Cloudformation, env = "SEGMENT_AWS_SETUP_METHOD")]
    pub method: Method,

    /// IAM method: the role's path
    #[arg(long, default_value = "/", value_name = "PATH")]
    pub role_path: String,

    /// CloudFormation method: stop watching after this long (the stack keeps going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Use a --policy-file that grants broadly (Action or Resource "*", iam:*, iam:PassRole,
    /// sts:AssumeRole, NotAction) without asking; needed with --yes
    #[arg(long, env = "SEGMENT_AWS_SETUP_ALLOW_BROAD_POLICY")]
    pub allow_broad_policy: bool,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,

    /// How the setup was made: a CloudFormation stack (--stack-name) or directly through IAM
    /// (--role-name)
    #[arg(long, value_enum, default_value_t = Method::Cloudformation, env = "SEGMENT_AWS_SETUP_METHOD")]
    pub method: Method,

    /// Functions: replace the external ID with a newly generated one (then change it in Segment)
    #[arg(long)]
    pub rotate_external_id: bool,

    /// Stop watching the stack's update after this long (it keeps going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Use a --policy-file that grants broadly without asking; needed with --yes
    #[arg(long, env = "SEGMENT_AWS_SETUP_ALLOW_BROAD_POLICY")]
    pub allow_broad_policy: bool,
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The stack to watch
    #[arg(long, env = "SEGMENT_AWS_SETUP_STACK_NAME", value_name = "S")]
    pub stack_name: String,
    #[command(flatten)]
    pub aws: AwsArgs,

    /// Stop watching after this long (the stack keeps going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Output on stdout: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Which Segment integration assumes the role
    #[arg(long, env = "SEGMENT_AWS_SETUP_INTEGRATION", value_name = "ID")]
    pub integration: String,

    /// The role: its name or ARN
    #[arg(long, value_name = "NAME_OR_ARN")]
    pub role: String,

    /// The external ID the role must require
    #[arg(
        long,
        env = "SEGMENT_AWS_SETUP_EXTERNAL_ID",
        value_name = "X",
        hide_env_values = true,
        conflicts_with = "workspace_id"
    )]
    pub external_id: Option<String>,

    /// Lambda destination: the workspace ID the role must require as external ID
    #[arg(long, env = "SEGMENT_AWS_SETUP_WORKSPACE_ID", value_name = "W")]
    pub workspace_id: Option<String>,

    /// Also check the permission preset: let the role write to this S3 bucket
    #[arg(long, value_name = "B")]
    pub bucket: Option<String>,
    /// The S3 bucket's region
    #[arg(long, value_name = "R")]
    pub bucket_region: Option<String>,
    /// Also check the permission preset: let the role invoke these Lambda functions
    #[arg(long = "lambda-arn", value_name = "A", value_delimiter = ',')]
    pub lambda_arns: Vec<String>,
    /// Also check the permission preset: this policy document
    #[arg(long, value_name = "F")]
    pub policy_file: Option<std::path::PathBuf>,

    /// Repair what is wrong: the smallest change that makes every probe hold, shown as a diff,
    /// proven before it is applied, and applied only after asking
    #[arg(long)]
    pub fix: bool,

    /// With --fix: also remove this Deny statement (its number, as the report counts) that
    /// refuses Segment. Repeat for several. Without it a Deny is removed only when you confirm it
    #[arg(long = "remove-deny", value_name = "N", requires = "fix")]
    pub remove_deny: Vec<usize>,

    /// Use a --policy-file that grants broadly (Action or Resource "*", iam:*, iam:PassRole,
    /// sts:AssumeRole, NotAction) without asking; needed with --yes
    #[arg(long, env = "SEGMENT_AWS_SETUP_ALLOW_BROAD_POLICY")]
    pub allow_broad_policy: bool,

    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Args, Debug)]
#[group(id = "what", required = true, multiple = false, args = ["stack_name", "role_name"])]
pub struct DeleteArgs {
    /// Delete this CloudFormation stack (and the role it made)
    #[arg(long, value_name = "S")]
    pub stack_name: Option<String>,
    /// Delete this role (its inline policies first); only roles this tool created
    #[arg(long, value_name = "R")]
    pub role_name: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,

    /// Stop watching the deletion after this long
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
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
    let text = crate::policy::read_policy_file(path).map_err(|error| Failure {
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
            ..PlanRequest::default()
        })
    }
}

/// Runs a parsed command line; returns what to print on stdout, or the failure.
pub async fn run(cli: Cli) -> Result<String, Failure> {
    match cli.command {
        None => wizard(&cli.wizard).await,
        Some(Command::Plan(args)) => plan(&args),
        Some(Command::Create(args)) => create(&args).await,
        Some(Command::Watch(args)) => watch(&args).await,
        Some(Command::Verify(args)) => verify(&args).await,
        Some(Command::Delete(args)) => delete(&args).await,
        Some(Command::Update(args)) => update(&args).await,
    }
}

/// No command: the wizard on a terminal, else (or with --plain) the plain mode; on the SDK, or on
/// the demo account with --demo.
async fn wizard(args: &WizardArgs) -> Result<String, Failure> {
    if let Some(region) = &args.region {
        validate::region(region).map_err(InputError::at("--region"))?;
    }
    if args.demo {
        // The demo saves nothing: no state file, nothing to resume.
        faces(crate::aws::fake::demo_connect(), None, args).await
    } else {
        faces(sdk::connect(), StateStore::default_location(), args).await
    }
}

async fn faces<
    I: crate::aws::Identity + 'static,
    S: crate::aws::Stacks + 'static,
    R: crate::aws::Roles + 'static,
>(
    connect: crate::aws::Connect<I, S, R>,
    store: Option<StateStore>,
    args: &WizardArgs,
) -> Result<String, Failure> {
    let loaded = store.as_ref().map(StateStore::load).unwrap_or_default();
    let (finished, saved): (Vec<SavedSetup>, Vec<SavedSetup>) =
        loaded.setups.into_iter().partition(|s| s.finished);
    let state_problems = loaded.problems;
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.plain || !terminal {
        let options = crate::plain::Options {
            profile: args.profile.clone(),
            region: args.region.clone(),
            demo: args.demo,
            saved,
            finished,
            state_problems,
        };
        let input = Box::new(std::io::BufReader::new(std::io::stdin()));
        crate::plain::run(connect, store, options, input, Box::new(std::io::stdout())).await?;
        return Ok(String::new());
    }
    let executor = crate::tui::executor::Executor::new(connect, store);
    let options = crate::tui::Options {
        presenter: args.presenter,
        clipboard_clear: (args.clipboard_clear > 0)
            .then(|| Duration::from_secs(args.clipboard_clear)),
        profile: args.profile.clone(),
        region: args.region.clone(),
        demo: args.demo,
        saved,
        finished,
        state_problems,
    };
    let clipboard = std::sync::Arc::new(crate::tui::clipboard::SystemClipboard::from_environment());
    let farewell = crate::tui::run(executor, clipboard, options)
        .await
        .map_err(|error| Failure {
            code: exit::AWS_REFUSED,
            message: format!("the terminal failed: {error}"),
        })?;
    Ok(farewell.map(|line| format!("{line}\n")).unwrap_or_default())
}

fn plan(args: &PlanArgs) -> Result<String, Failure> {
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
        Format::Text => plan.to_text(),
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

fn pretty_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A line on stderr, its control characters escaped (text from AWS may hold escape sequences).
fn say(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", crate::text::escape_controls(line));
}

/// Asks on the terminal, or answers yes for `--yes`.
fn ask(yes: bool, question: &str) -> bool {
    if yes {
        say(&format!("{question} yes (--yes)"));
        return true;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{} [y/N] ", crate::text::escape_controls(question));
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
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

/// Loads credentials and shows whose account will be changed.
async fn connect(aws: &AwsArgs) -> Result<Session, Failure> {
    if let Some(region) = &aws.region {
        validate::region(region).map_err(InputError::at("--region"))?;
    }
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
    let code = match &error {
        EngineError::Aws(AwsError::Credentials(_) | AwsError::AccessDenied { .. }) => {
            exit::CREDENTIALS
        }
        EngineError::Declined(_) => exit::DECLINED,
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
            text.push_str(&format!(
                "\nDelete it and try again: segment-aws-setup delete --stack-name {stack}"
            ));
            text
        }
        other => engine::explain(other, caller),
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
    }
}

/// The outcome as the result: its lines for people, its object for scripts. `reveal` shows
/// sensitive values as they are (a command's own result); else they are masked.
pub fn outcome_output(outcome: &Outcome, format: Format, reveal: bool) -> String {
    match format {
        Format::Json => pretty_json(&outcome.to_json()),
        Format::Text => outcome_text(outcome, reveal),
    }
}

/// The outcome's lines as `create`, `watch` and `verify` print them.
pub fn outcome_text(outcome: &Outcome, reveal: bool) -> String {
    let shown = |setting: &Setting| {
        let value = crate::outcome::value_text(setting);
        if setting.sensitive && !reveal {
            crate::external_id::masked(&value)
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

async fn interruptible<T>(
    work: impl std::future::Future<Output = T>,
    on_interrupt: impl FnOnce() -> String,
) -> Result<T, Failure> {
    tokio::select! {
        result = work => Ok(result),
        _ = tokio::signal::ctrl_c() => Err(Failure { code: exit::INTERRUPTED, message: on_interrupt() }),
    }
}

fn reattach_hint(stack: &str, session: &Session) -> String {
    let mut command = format!("segment-aws-setup watch --stack-name {stack}");
    if let Some(profile) = &session.profile {
        command.push_str(&format!(" --profile {profile}"));
    }
    if let Some(region) = &session.region {
        command.push_str(&format!(" --region {region}"));
    }
    format!("stopped watching; the stack keeps going in AWS. Watch it again with:\n  {command}")
}

async fn create(args: &CreateArgs) -> Result<String, Failure> {
    let store = state_store()?;
    let mut request = args.setup.request()?;
    let plan = Plan::build(Catalog::builtin(), &request)?;
    validate::role_path(&args.role_path).map_err(InputError::at("--role-path"))?;
    require_a_way_to_ask(args.change.yes)?;
    accept_broad_policy(&plan, args.change.yes, args.allow_broad_policy)?;
    for warning in &plan.warnings {
        say(&format!("warning: {warning}"));
    }
    let session = connect(&args.aws).await?;
    say_state_problems(&store);

    // A re-run resumes: the unfinished setup saved for this account (same integration, method and
    // name when one was given) lends its external IDs and its stack or role name.
    let given_name = match args.method {
        Method::Cloudformation => request.stack_name.clone(),
        Method::Iam => request
            .role_name
            .clone()
            .or_else(|| Some(plan.role_name.clone())),
    };
    let rerun = crate::resume::find_for_rerun(
        &store,
        &session.caller.account,
        &plan.integration_id,
        args.method,
        given_name.as_deref(),
    );
    let plan = match &rerun {
        Some(saved) => {
            say(&format!(
                "Resuming the unfinished setup saved for this account: {} (same external ID). To start another instead, give another --{}",
                saved.what(),
                if args.method == Method::Iam {
                    "role-name"
                } else {
                    "stack-name"
                }
            ));
            if request.external_ids.is_empty() && request.workspace_ids.is_empty() {
                let workspace = Catalog::builtin()
                    .integration(&saved.integration)
                    .is_some_and(|i| {
                        i.external_id.source == crate::catalog::ExternalIdSource::WorkspaceId
                    });
                if workspace {
                    request.workspace_ids = saved.external_ids.clone();
                } else {
                    request.external_ids = saved.external_ids.clone();
                }
            }
            request.stack_name = request.stack_name.clone().or(saved.stack_name.clone());
            request.role_name = request.role_name.clone().or(saved.role_name.clone());
            Plan::build(Catalog::builtin(), &request)?
        }
        None => plan,
    };

    let what = match args.method {
        Method::Cloudformation => format!(
            "Create CloudFormation stack {} (an IAM role trusted by {} with your external ID, and its inline policy {}: {})",
            plan.stack_name, plan.principal, plan.policy_name, plan.preset_title
        ),
        Method::Iam => format!(
            "Create IAM role {} (trusted by {} with your external ID) with inline policy {}: {}",
            plan.role_name, plan.principal, plan.policy_name, plan.preset_title
        ),
    };
    if !ask(
        args.change.yes,
        &format!("{what} in account {}?", session.caller.account),
    ) {
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    let saved = SavedSetup::new(
        &plan,
        args.method,
        &session.caller.account,
        session.region.as_deref(),
        session.profile.as_deref(),
    );
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let yes = args.change.yes;
    let mut confirm = move |question: &Question| ask(yes, &question.text());
    let mut report = progress_printer();
    let work = crate::resume::create(
        &session.sdk,
        &session.sdk,
        Some(&store),
        &plan,
        &saved,
        rerun.is_some(),
        &args.role_path,
        &options,
        &mut confirm,
        &mut report,
    );
    let created = match args.method {
        Method::Cloudformation => {
            interruptible(work, || reattach_hint(&plan.stack_name, &session)).await?
        }
        Method::Iam => {
            // Ctrl-C must not cut the create between CreateRole and PutRolePolicy (or its clean-up):
            // the direct path is two calls, so it runs to the end.
            let guard = tokio::spawn(async {
                while tokio::signal::ctrl_c().await.is_ok() {
                    say("finishing the role first, so nothing is left half made…");
                }
            });
            let result = work.await;
            guard.abort();
            result
        }
    };
    let created = created.map_err(|e| {
        let mut failure = engine_failure(e.clone(), Some(&session.caller));
        if let EngineError::RoleExists { role } = &e {
            failure.message.push_str(&format!(
                "\nCheck it: {}",
                verify_hint(&plan.integration_id, role)
            ));
        }
        failure
    })?;
    say("Done. The settings for Segment and what to do next:");
    let outcome = Outcome::from_plan(&plan, Some(&created.role_arn));
    Ok(outcome_output(&outcome, args.change.output, true))
}

/// The command that checks a role later: never with the external ID in it (`verify` finds it in
/// the saved setup, or asks for it hidden, or reads SEGMENT_AWS_SETUP_EXTERNAL_ID).
pub fn verify_hint(integration: &str, role: &str) -> String {
    format!("segment-aws-setup verify --integration {integration} --role {role}")
}

/// Files in the state directory that couldn't be read are said, with their paths; they stop
/// nothing.
fn say_state_problems(store: &StateStore) {
    for problem in store.load().problems {
        say(&format!("warning: {problem}"));
    }
}

async fn watch(args: &WatchArgs) -> Result<String, Failure> {
    validate::stack_name(&args.stack_name).map_err(InputError::at("--stack-name"))?;
    let session = connect(&args.aws).await?;
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let store = state_store()?;
    let saved = store.find_stack(&args.stack_name);
    let integration = saved
        .as_ref()
        .and_then(|s| Catalog::builtin().integration(&s.integration));
    let expected = integration.zip(saved.as_ref().map(|s| s.external_ids.as_slice()));
    let mut report = progress_printer();
    let work = engine::reattach(
        &session.sdk,
        &session.sdk,
        &args.stack_name,
        expected,
        &options,
        &mut report,
    );
    let role_arn = interruptible(work, || reattach_hint(&args.stack_name, &session))
        .await?
        .map_err(|e| engine_failure(e, Some(&session.caller)))?;
    match saved {
        Some(saved) => {
            let _ = store.finish(&saved, &role_arn);
            say("Done. The settings for Segment and what to do next:");
            Ok(outcome_output(
                &Outcome::from_saved(&saved, &role_arn),
                args.output,
                true,
            ))
        }
        None => Ok(match args.output {
            Format::Json => pretty_json(&serde_json::json!({ "RoleArn": role_arn })),
            Format::Text => format!("RoleArn  {role_arn}\n"),
        }),
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
            message: "nothing was changed: the policy file grants broadly, and --yes alone doesn't accept that; add --allow-broad-policy if you mean it".into(),
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

async fn verify(args: &VerifyArgs) -> Result<String, Failure> {
    let catalog = Catalog::builtin();
    let integration = catalog.integration(&args.integration).ok_or_else(|| {
        Failure::from(InputError::new(
            "--integration",
            format!("choose one of: {}", catalog.ids().join(", ")),
        ))
    })?;
    if args.role.starts_with("arn:") {
        validate::role_arn(&args.role).map_err(InputError::at("--role"))?;
    } else {
        validate::role_name(&args.role).map_err(InputError::at("--role"))?;
    }
    // The ID the role must require: given (an environment variable keeps it out of the shell's
    // history), else found in the saved setup for the role, else asked for without echo.
    let given = match (&args.external_id, &args.workspace_id) {
        (Some(id), _) => Some(("--external-id", id.clone())),
        (None, Some(id)) => Some(("--workspace-id", id.clone())),
        (None, None) => None,
    };
    if let Some((flag, id)) = &given {
        // An existing role may hold a shorter ID than this tool would generate: only AWS's rule applies.
        validate::external_id(id, validate::EXTERNAL_ID_MIN_AWS).map_err(InputError::at(*flag))?;
    }
    let workspace = integration.external_id.source == crate::catalog::ExternalIdSource::WorkspaceId;
    let preset_given =
        args.bucket.is_some() || !args.lambda_arns.is_empty() || args.policy_file.is_some();
    let plan = if preset_given {
        // The permission policy doesn't depend on the ID: a stand-in checks the inputs until the
        // ID is known.
        let id = given
            .as_ref()
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| "stand-in-external-id-for-checking-the-inputs".into());
        let request = PlanRequest {
            integration: integration.id.clone(),
            external_ids: if workspace { vec![] } else { vec![id.clone()] },
            workspace_ids: if workspace { vec![id] } else { vec![] },
            bucket: args.bucket.clone(),
            bucket_region: args.bucket_region.clone(),
            lambda_arns: args.lambda_arns.clone(),
            policy_file: read_policy_file(args.policy_file.as_deref())?,
            existing_role: true,
            ..PlanRequest::default()
        };
        Some(Plan::build(catalog, &request)?)
    } else {
        None
    };
    if args.fix {
        require_a_way_to_ask(args.change.yes)?;
        if let Some(plan) = &plan {
            accept_broad_policy(plan, args.change.yes, args.allow_broad_policy)?;
        }
    }
    let session = connect(&args.aws).await?;
    if let Some(account) = crate::verify::account_in_arn(&args.role)
        && account != session.caller.account
    {
        return Err(InputError::new(
            "--role",
            format!(
                "that role is in account {account}, but your credentials are for account {}: verify it with credentials for {account}",
                session.caller.account
            ),
        )
        .into());
    }
    let ids = match given {
        Some((_, id)) => vec![id],
        None => external_ids_for(&args.role, &session.caller.account, workspace)?,
    };
    let permission = plan
        .as_ref()
        .map(|p| (p.policy_name.as_str(), &p.permission_policy));
    let failure = |e| engine_failure(e, Some(&session.caller));
    let mut verification =
        engine::verify_role(&session.sdk, &args.role, integration, &ids, permission)
            .await
            .map_err(failure)?;
    if args.fix && !verification.is_right() {
        for line in verification.lines() {
            say(&line.plain());
        }
        let confirmed = confirm_denies(&verification, &args.remove_deny, args.change.yes);
        let fix = match verification.fix(permission, &confirmed) {
            Ok(fix) => fix,
            Err(reasons) => {
                let outcome = Outcome::for_existing_role(
                    integration,
                    &ids,
                    &verification.role.arn,
                    plan.as_ref(),
                );
                print!(
                    "{}",
                    verify_output(&verification, &outcome, args.change.output)
                );
                let mut message = format!(
                    "role {} is not right, and no repair this tool may make passes every probe, so nothing was changed:",
                    verification.role.name
                );
                for reason in reasons {
                    message.push_str(&format!("\n  - {reason}"));
                }
                return Err(Failure {
                    code: exit::AWS_REFUSED,
                    message,
                });
            }
        };
        say_fix(&fix);
        if !fix.is_empty() {
            if !ask(
                args.change.yes,
                &format!(
                    "Apply this to role {} in account {}?",
                    verification.role.name, session.caller.account
                ),
            ) {
                return Err(Failure {
                    code: exit::DECLINED,
                    message: "nothing was changed".into(),
                });
            }
            let mut report = progress_printer();
            engine::apply_fix(&session.sdk, &verification.role.name, &fix, &mut report)
                .await
                .map_err(failure)?;
            say("Checking the role again");
            verification =
                engine::verify_role(&session.sdk, &args.role, integration, &ids, permission)
                    .await
                    .map_err(failure)?;
        }
    }
    let outcome =
        Outcome::for_existing_role(integration, &ids, &verification.role.arn, plan.as_ref());
    let output = verify_output(&verification, &outcome, args.change.output);
    if verification.is_right() {
        Ok(output)
    } else {
        print!("{output}");
        let hint = if args.fix {
            ""
        } else {
            "; repair it with --fix"
        };
        Err(Failure {
            code: exit::AWS_REFUSED,
            message: format!("role {} is not right{hint}", verification.role.name),
        })
    }
}

/// The IDs a role must require when none was given: those of the setup saved for the role, else
/// asked for on the terminal without echo (never on the command line, never in the history).
fn external_ids_for(role: &str, account: &str, workspace: bool) -> Result<Vec<String>, Failure> {
    if let Some(saved) = state_store()
        .ok()
        .and_then(|store| store.find_for_role(account, role))
    {
        say(&format!(
            "Using the external ID saved by the setup of {} (pass --external-id or set SEGMENT_AWS_SETUP_EXTERNAL_ID for another)",
            saved.what()
        ));
        return Ok(saved.external_ids);
    }
    let word = if workspace {
        "workspace ID"
    } else {
        "external ID"
    };
    let missing = || Failure {
        code: exit::BAD_INPUT,
        message: format!(
            "no {word} given and none saved for this role: set SEGMENT_AWS_SETUP_EXTERNAL_ID (or pass {}), or run it on a terminal to type it hidden",
            if workspace {
                "--workspace-id"
            } else {
                "--external-id"
            }
        ),
    };
    if !std::io::stdin().is_terminal() {
        return Err(missing());
    }
    let typed =
        rpassword::prompt_password(format!("The {word} the role must require (not shown): "))
            .map_err(|_| missing())?;
    let typed = typed.trim().to_string();
    validate::external_id(&typed, validate::EXTERNAL_ID_MIN_AWS).map_err(InputError::at(word))?;
    Ok(vec![typed])
}

/// The Deny statements that refuse Segment and may go: those named with `--remove-deny`, and on a
/// terminal (without --yes) each one the person confirms, one question per statement.
fn confirm_denies(verification: &Verification, given: &[usize], yes: bool) -> Vec<usize> {
    let mut confirmed = Vec::new();
    for &number in &verification.judgement.blocking_denies {
        if given.contains(&number) {
            say(&format!(
                "Removing statement {number} as asked (--remove-deny {number})"
            ));
            confirmed.push(number);
        } else if !yes
            && ask(
                false,
                &format!(
                    "Statement {number} is a Deny that refuses Segment's principal. Remove statement {number}?"
                ),
            )
        {
            confirmed.push(number);
        }
    }
    confirmed
}

fn say_fix(fix: &crate::verify::Fix) {
    if fix.is_empty() {
        say("Nothing here is for --fix to change.");
    } else {
        say("The repair, proven to pass every probe before it is applied:");
        for change in &fix.changes {
            say(&format!("  - {change}"));
        }
    }
    if !fix.diff.is_empty() {
        say("Trust policy, before (-) and after (+):");
        for line in &fix.diff {
            say(&format!("  {line}"));
        }
    }
    if let Some((name, document)) = &fix.permission {
        say(&format!(
            "Inline policy {name} to attach:\n{}",
            serde_json::to_string_pretty(document).unwrap_or_default()
        ));
    }
    for note in &fix.left_alone {
        say(&format!("  Left alone: {note}"));
    }
}

/// The report; when the role is right, the outcome too (its secret masked in text).
fn verify_output(verification: &Verification, outcome: &Outcome, format: Format) -> String {
    match format {
        Format::Json => {
            let mut json = verification.to_json();
            json["outcome"] = outcome.to_json();
            pretty_json(&json)
        }
        Format::Text => {
            let mut text = format!("Role {}\n", verification.role.arn);
            for line in verification.lines() {
                text.push_str(&line.plain());
                text.push('\n');
            }
            if verification.is_right() {
                text.push_str("OK: Segment's principal gets in with your external ID, and every other probe is denied.\n\n");
                text.push_str(&outcome_text(outcome, false));
            } else {
                text.push_str("NOT OK\n");
            }
            text
        }
    }
}

async fn update(args: &UpdateArgs) -> Result<String, Failure> {
    let store = state_store()?;
    let mut request = args.setup.request()?;
    let catalog = Catalog::builtin();
    let integration = catalog.integration(&request.integration).ok_or_else(|| {
        Failure::from(InputError::new(
            "--integration",
            format!("choose one of: {}", catalog.ids().join(", ")),
        ))
    })?;
    let workspace = integration.external_id.source == crate::catalog::ExternalIdSource::WorkspaceId;
    let name = match args.method {
        Method::Cloudformation => request.stack_name.clone().ok_or_else(|| {
            Failure::from(InputError::new(
                "--stack-name",
                "give the stack of the setup to change",
            ))
        })?,
        Method::Iam => request.role_name.clone().ok_or_else(|| {
            Failure::from(InputError::new(
                "--role-name",
                "give the role of the setup to change (with --method iam)",
            ))
        })?,
    };
    if args.rotate_external_id && workspace {
        return Err(InputError::new(
            "--rotate-external-id",
            "the Lambda destination's external ID is your workspace ID, set by Segment: give --workspace-id (and --source-id) instead",
        )
        .into());
    }
    let given = !request.external_ids.is_empty() || !request.workspace_ids.is_empty();
    if args.rotate_external_id && given {
        return Err(InputError::new(
            "--rotate-external-id",
            "rotate, or give the external ID: not both",
        )
        .into());
    }
    // Checked before any call: the plan, with a stand-in ID when the real one comes later.
    let mut checking = request.clone();
    if !given && !args.rotate_external_id {
        checking.external_ids = if workspace {
            vec![]
        } else {
            vec!["stand-in-external-id-for-checking-the-inputs".into()]
        };
        checking.workspace_ids = if workspace {
            vec!["standInWorkspace".into()]
        } else {
            vec![]
        };
    }
    let checked = Plan::build(catalog, &checking)?;
    require_a_way_to_ask(args.change.yes)?;
    accept_broad_policy(&checked, args.change.yes, args.allow_broad_policy)?;
    let session = connect(&args.aws).await?;
    say_state_problems(&store);
    let saved = match args.method {
        Method::Cloudformation => store.find_stack(&name),
        Method::Iam => store.find_role(&name),
    }
    .filter(|s| s.account == session.caller.account);
    if !given && !args.rotate_external_id {
        let Some(saved) = &saved else {
            return Err(InputError::new(
                if workspace { "--workspace-id" } else { "--external-id" },
                "no setup of that name is saved for this account: give the ID the role requires now (SEGMENT_AWS_SETUP_EXTERNAL_ID keeps it out of the shell's history), or --rotate-external-id for a new one",
            )
            .into());
        };
        say(&format!(
            "Keeping the external ID saved by the setup of {}",
            saved.what()
        ));
        if workspace {
            request.workspace_ids = saved.external_ids.clone();
        } else {
            request.external_ids = saved.external_ids.clone();
        }
    }
    let plan = Plan::build(catalog, &request)?;
    if args.rotate_external_id {
        say(
            "Rotating the external ID: a new one was generated; change it in Segment once the role is updated",
        );
    }
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let failure = |e| engine_failure(e, Some(&session.caller));
    let preview = engine::prepare_update(&session.sdk, &session.sdk, &plan, args.method, &options)
        .await
        .map_err(failure)?;
    for line in preview.lines() {
        say(&line);
    }
    if !matches!(preview, engine::UpdatePreview::Nothing { .. })
        && !ask(
            args.change.yes,
            &format!(
                "Apply this update to {name} in account {}?",
                session.caller.account
            ),
        )
    {
        let _ = engine::discard_update(&session.sdk, &preview).await;
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    let updated = SavedSetup::new(
        &plan,
        args.method,
        &session.caller.account,
        session.region.as_deref(),
        session.profile.as_deref(),
    );
    let mut report = progress_printer();
    let work = engine::apply_update(
        &session.sdk,
        &session.sdk,
        &plan,
        &preview,
        &options,
        &mut report,
    );
    let created = interruptible(work, || reattach_hint(&plan.stack_name, &session))
        .await?
        .map_err(failure)?;
    let _ = store.finish(&updated, &created.role_arn);
    say("Done. The settings for Segment and what to do next:");
    Ok(outcome_output(
        &Outcome::from_plan(&plan, Some(&created.role_arn)),
        args.change.output,
        true,
    ))
}

async fn delete(args: &DeleteArgs) -> Result<String, Failure> {
    if let Some(stack) = &args.stack_name {
        validate::stack_name(stack).map_err(InputError::at("--stack-name"))?;
    }
    if let Some(role) = &args.role_name {
        validate::role_name(role).map_err(InputError::at("--role-name"))?;
    }
    require_a_way_to_ask(args.change.yes)?;
    let session = connect(&args.aws).await?;
    let what = match (&args.stack_name, &args.role_name) {
        (Some(stack), _) => format!("Delete stack {stack} and the role it made"),
        (None, Some(role)) => format!("Delete role {role} and its inline policies"),
        (None, None) => {
            return Err(InputError::new("--stack-name", "give --stack-name or --role-name").into());
        }
    };
    if !ask(
        args.change.yes,
        &format!("{what} in account {}?", session.caller.account),
    ) {
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    let mut report = progress_printer();
    let failure = |e| engine_failure(e, Some(&session.caller));
    let store = state_store()?;
    if let Some(stack) = &args.stack_name {
        let options = WatchOptions {
            timeout: args.timeout,
            ..WatchOptions::default()
        };
        engine::delete_stack(&session.sdk, stack, &options, &mut report)
            .await
            .map_err(failure)?;
        if let Some(saved) = store.find_stack(stack) {
            let _ = store.remove(&saved);
        }
        Ok(format!("Deleted stack {stack}\n"))
    } else {
        let role = args.role_name.as_deref().unwrap_or_default();
        // A role a saved CloudFormation setup made belongs to its stack.
        if let Some(saved) = store.find_for_role(&session.caller.account, role)
            && let Some(stack) = saved.stack_name.clone()
        {
            return Err(failure(EngineError::StackOwned {
                role: role.to_string(),
                stack,
            }));
        }
        engine::delete_role(&session.sdk, &session.sdk, role, &mut report)
            .await
            .map_err(failure)?;
        if let Some(saved) = store.find_for_role(&session.caller.account, role) {
            let _ = store.remove(&saved);
        }
        Ok(format!("Deleted role {role}\n"))
    }
}
