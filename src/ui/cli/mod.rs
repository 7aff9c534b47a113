//! The non-interactive face: the command line (its top-level options and commands here), one
//! file per command beside its arguments (`plan`, `create`, `watch`, `verify`, `delete`,
//! `update`, `retry`, `write-settings`, `audit`, `completions` and `man`), as cargo has its commands, and what they share in `common`. Progress and
//! questions go to stderr, results to stdout, so `... --output json | jq` works.

use clap::{Args, Parser, Subcommand};

mod audit;
mod common;
mod completions;
mod create;
mod delete;
mod plan;
mod retry;
mod stack_set;
mod update;
mod verify;
mod watch;
mod write_settings;

pub use audit::AuditArgs;
pub use common::{
    AwsArgs, ChangeArgs, Failure, Format, MoreInputArgs, SetupArgs, exit, outcome_output,
    outcome_text,
};
pub use completions::{CompletionsArgs, ManArgs};
pub use create::CreateArgs;
pub use delete::DeleteArgs;
pub use plan::{PlanArgs, plan_text};
pub use retry::RetryArgs;
pub use stack_set::ManyArgs;
pub use update::UpdateArgs;
pub use verify::VerifyArgs;
pub use watch::WatchArgs;
pub use write_settings::WriteSettingsArgs;

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
    about = "Sets up the AWS IAM role Segment assumes, with an external ID, for any of nine integrations:\ndestination and source functions, the Amazon Lambda, AWS S3, AWS S3 (Actions), Amazon Kinesis,\nAmazon Kinesis Firehose and Amazon Personalize destinations, and Data Lakes.\nWith no command, on a terminal, it opens the wizard.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub wizard: WizardArgs,
    #[command(flatten)]
    pub debug: DebugArgs,
}

/// The debug log, for every command and the wizard.
#[derive(Args, Debug, Clone)]
pub struct DebugArgs {
    /// Log every AWS call (service, operation, region, status, request ID, milliseconds) and
    /// every Segment API call on stderr (the wizard: in a file); no bodies, IDs or credentials
    #[arg(long, global = true, env = "SEGMENT_AWS_SETUP_DEBUG",
        value_parser = clap::builder::BoolishValueParser::new())]
    pub debug: bool,

    /// With --debug: write the log to this file (made mode 0600) instead; the wizard's default
    /// is debug.log in the state directory
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "SEGMENT_AWS_SETUP_DEBUG_FILE"
    )]
    pub debug_file: Option<std::path::PathBuf>,
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
    /// Write a setup's settings into Segment through its Public API (Team and Business plans):
    /// the function's setting definitions, the destination's values, each read back
    #[command(after_help = "Examples:
  # The Amazon Lambda destination's role made through IAM (the token from
  # the environment):
  SEGMENT_PUBLIC_API_TOKEN=... segment-aws-setup write-settings \\
      --role-name segment-lambda --destination dst1a2b3c

  # A destination function: its definitions, and a new instance on a source:
  segment-aws-setup write-settings \\
      --stack-name segment-destination-function-k3x9qa \\
      --function \"Send events to S3\" --source Website")]
    WriteSettings(WriteSettingsArgs),
    /// Find every IAM role a Segment principal can assume, here, in the accounts given or in
    /// the whole organization, each judged without knowing your external ID, with its last use
    #[command(after_help = "Examples:
  # This account:
  segment-aws-setup audit

  # Every account of the organization, as CSV:
  segment-aws-setup audit --organization --output csv > segment-roles.csv")]
    Audit(AuditArgs),
    /// Print the shell completion script for bash, zsh, fish or PowerShell
    #[command(after_help = "Install:
  segment-aws-setup completions bash \\
      > ~/.local/share/bash-completion/completions/segment-aws-setup
  segment-aws-setup completions zsh > ~/.zfunc/_segment-aws-setup
      # with fpath+=(~/.zfunc) in ~/.zshrc
  segment-aws-setup completions fish \\
      > ~/.config/fish/completions/segment-aws-setup.fish")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write a page per command with --out
    #[command(after_help = "Install:
  segment-aws-setup man --out ~/.local/share/man/man1
  man segment-aws-setup; man segment-aws-setup-audit")]
    Man(ManArgs),
}

/// Runs a command; returns what to print on stdout, or the failure.
pub async fn run(command: Command) -> Result<String, Failure> {
    match command {
        Command::Plan(args) => plan::plan(&args),
        Command::Create(args) => create::create(&args).await,
        Command::Watch(args) => watch::watch(&args).await,
        Command::Retry(args) => stack_set::retry(&args).await,
        Command::Verify(args) => verify::verify(&args).await,
        Command::Delete(args) => delete::delete(&args).await,
        Command::Update(args) => update::update(&args).await,
        Command::WriteSettings(args) => write_settings::write_settings(&args).await,
        Command::Audit(args) => audit::audit(&args).await,
        Command::Completions(args) => {
            completions::completions(&args, <Cli as clap::CommandFactory>::command())
        }
        Command::Man(args) => completions::man(&args, <Cli as clap::CommandFactory>::command()),
    }
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
