//! The command line: parses flags, reads files the user names, and hands everything to the core.

use clap::{Args, Parser, Subcommand, ValueEnum};
use segment_aws_setup::plan::{PlanRequest, PolicyFile};
use segment_aws_setup::{Catalog, Plan};
use std::io::Write;
use std::process::ExitCode;

/// Exit codes, as listed in the README.
mod exit {
    pub const BAD_INPUT: u8 = 2;
}

#[derive(Parser, Debug)]
#[command(
    name = "segment-aws-setup",
    version,
    about = "Sets up the AWS IAM role Segment assumes, with an external ID, for Segment Functions and the Lambda destination",
    long_about = None,
    arg_required_else_help = true,
    after_help = "Examples:\n  segment-aws-setup plan --integration destination-function --bucket my-bucket --bucket-region us-west-2\n  segment-aws-setup plan --integration lambda-destination --workspace-id wXZ2sd8N3mJ \\\n      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:my-function --format json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print what a setup would create, with no credentials and no network call
    #[command(
        after_help = "Examples:\n  # A destination function that writes events to S3 (the external ID is generated):\n  segment-aws-setup plan --integration destination-function --bucket my-bucket --bucket-region us-west-2\n\n  # The Lambda destination, as JSON for a script or an administrator:\n  segment-aws-setup plan --integration lambda-destination --workspace-id wXZ2sd8N3mJ \\\n      --lambda-arn arn:aws:lambda:us-west-2:123456789012:function:my-function --format json\n\n  # A source function with your own permission policy:\n  segment-aws-setup plan --integration source-function --policy-file policy.json"
    )]
    Plan(PlanArgs),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// What the role is for and what it may do: shared by every command that builds a plan.
#[derive(Args, Debug)]
struct SetupArgs {
    /// Which Segment integration assumes the role: destination-function, source-function or lambda-destination
    #[arg(long, env = "SEGMENT_AWS_SETUP_INTEGRATION", value_name = "ID")]
    integration: String,

    /// Bring your own external ID instead of generating one (functions: at least 32 characters).
    /// Safer in the environment variable than on the command line
    #[arg(
        long = "external-id",
        env = "SEGMENT_AWS_SETUP_EXTERNAL_ID",
        value_name = "X",
        hide_env_values = true
    )]
    external_ids: Vec<String>,

    /// Lambda destination: your Segment workspace ID, which Segment presents as the external ID.
    /// Repeat to trust several
    #[arg(
        long = "workspace-id",
        env = "SEGMENT_AWS_SETUP_WORKSPACE_ID",
        value_name = "W",
        value_delimiter = ','
    )]
    workspace_ids: Vec<String>,

    /// Permissions: let the role write objects to this S3 bucket (s3:PutObject on BUCKET/*)
    #[arg(long, env = "SEGMENT_AWS_SETUP_BUCKET", value_name = "B")]
    bucket: Option<String>,

    /// The S3 bucket's region, for the function's S3 Bucket Region setting
    #[arg(long, env = "SEGMENT_AWS_SETUP_BUCKET_REGION", value_name = "R")]
    bucket_region: Option<String>,

    /// Permissions: let the role invoke this Lambda function (full ARN). Repeat for several
    #[arg(
        long = "lambda-arn",
        env = "SEGMENT_AWS_SETUP_LAMBDA_ARN",
        value_name = "A",
        value_delimiter = ','
    )]
    lambda_arns: Vec<String>,

    /// Permissions: your own permission policy document (JSON)
    #[arg(long, env = "SEGMENT_AWS_SETUP_POLICY_FILE", value_name = "F")]
    policy_file: Option<std::path::PathBuf>,

    /// Role name for the direct IAM method [default: segment-INTEGRATION]
    #[arg(long, env = "SEGMENT_AWS_SETUP_ROLE_NAME", value_name = "R")]
    role_name: Option<String>,

    /// Stack name for the CloudFormation method [default: segment-INTEGRATION-<6 random>]
    #[arg(long, env = "SEGMENT_AWS_SETUP_STACK_NAME", value_name = "S")]
    stack_name: Option<String>,
}

#[derive(Args, Debug)]
struct PlanArgs {
    #[command(flatten)]
    setup: SetupArgs,

    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text, env = "SEGMENT_AWS_SETUP_FORMAT")]
    format: Format,
}

/// A failure to report: a sentence on stderr and an exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<segment_aws_setup::InputError> for Failure {
    fn from(error: segment_aws_setup::InputError) -> Self {
        Failure {
            code: exit::BAD_INPUT,
            message: error.to_string(),
        }
    }
}

impl SetupArgs {
    fn request(&self) -> Result<PlanRequest, Failure> {
        let policy_file = match &self.policy_file {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|error| Failure {
                    code: exit::BAD_INPUT,
                    message: format!("--policy-file: can't read {}: {error}", path.display()),
                })?;
                Some(PolicyFile {
                    path: path.display().to_string(),
                    text,
                })
            }
        };
        Ok(PlanRequest {
            integration: self.integration.clone(),
            external_ids: self.external_ids.clone(),
            workspace_ids: self.workspace_ids.clone(),
            bucket: self.bucket.clone(),
            bucket_region: self.bucket_region.clone(),
            lambda_arns: self.lambda_arns.clone(),
            policy_file,
            role_name: self.role_name.clone(),
            stack_name: self.stack_name.clone(),
        })
    }
}

fn plan(args: &PlanArgs) -> Result<String, Failure> {
    let plan = Plan::build(Catalog::builtin(), &args.setup.request()?)?;
    Ok(match args.format {
        Format::Text => plan.to_text(),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&plan.to_json()).unwrap_or_default();
            text.push('\n');
            text
        }
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Plan(args) => plan(args),
    };
    match result {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`... | head`) is not an error worth a message.
            let _ = stdout
                .write_all(output.as_bytes())
                .and_then(|()| stdout.flush());
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            if failure.code == exit::BAD_INPUT {
                eprintln!("(see segment-aws-setup --help)");
            }
            ExitCode::from(failure.code)
        }
    }
}
