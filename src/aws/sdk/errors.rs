//! An SDK error sorted by what the user can do about it (credentials, access denied, a service
//! error, a lost connection), and AWS text made safe to show on a line.
use crate::aws::AwsError;
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AuthFailure",
    "RequestExpired",
    "TokenRefreshRequired",
];

pub fn classify<E, R>(action: &str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let action = action.to_string();
    match &error {
        SdkError::ServiceError(context) => {
            // What AWS says is shown to people: one line, its control characters escaped.
            let code = crate::model::text::one_line(context.err().code().unwrap_or("Unknown"))
                .into_owned();
            let message = crate::model::text::one_line(context.err().message().unwrap_or_default())
                .into_owned();
            if CREDENTIAL_CODES.contains(&code.as_str()) {
                AwsError::Credentials(format!("{code}: {message}"))
            } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
                AwsError::AccessDenied { action, message }
            } else {
                AwsError::Service {
                    action,
                    code,
                    message,
                }
            }
        }
        _ => {
            let detail = DisplayErrorContext(&error).to_string();
            if detail.to_ascii_lowercase().contains("credentials") {
                // The first clause says what happened; the rest is the SDK's debug dump.
                let first = detail.split(" (").next().unwrap_or(&detail);
                AwsError::Credentials(first.to_string())
            } else {
                AwsError::Network {
                    action,
                    message: detail,
                }
            }
        }
    }
}

/// Text from AWS that is shown on a line: one line, control and invisible characters escaped.
pub fn shown(text: &str) -> String {
    crate::model::text::one_line(text).into_owned()
}
