//! What every face says when something stops it: the exit codes, a failure (a message and a code),
//! and the one mapping from an engine error to the sentence that says what to do, for the
//! commands, plain mode and the wizard alike.

use crate::aws::AwsError;
use crate::engine::{self, EngineError};
use crate::model::aws_types::Caller;
use crate::model::validate::{InputError, Naming};

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

/// A failure to report: a message on stderr and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

/// A refused value on the command line: its flag, why, and where the flags are listed.
impl From<InputError> for Failure {
    fn from(error: InputError) -> Self {
        Failure {
            code: exit::BAD_INPUT,
            message: format!("{error}\n(see segment-aws-setup --help)"),
        }
    }
}

impl Failure {
    /// A refused value in the words of a face that names fields by their labels (plain mode).
    pub fn from_input(error: &InputError, naming: Naming) -> Failure {
        Failure {
            code: exit::BAD_INPUT,
            message: format!("{}: {}", error.field.named(naming), error.words(naming)),
        }
    }
}

/// An engine error as a failure of any face: the exit code and the sentence that says what to do.
pub fn engine_failure(error: EngineError, caller: Option<&Caller>) -> Failure {
    engine_failure_in(
        error,
        &engine::Context {
            caller: caller.cloned(),
            ..engine::Context::default()
        },
    )
}

/// [`engine_failure`], with the commands it suggests for this region and profile.
pub fn engine_failure_in(error: EngineError, context: &engine::Context) -> Failure {
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
