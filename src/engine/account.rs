//! The account the engine works in: who the caller is, the clock, and what the pickers list.

use super::report::*;

use crate::aws::{AwsError, Caller, Identity};
use std::time::Duration;

pub async fn identity(identity: &dyn Identity) -> Result<Caller, EngineError> {
    Ok(identity.caller().await?)
}

/// How long a picker waits for a listing: after that it says so and the user types the value.
pub const LISTING_TIMEOUT: Duration = Duration::from_secs(8);

/// The resources a picker offers, sorted by name. A refusal, an error or a slow answer comes
/// back as the sentence every face shows before falling back to typing.
pub async fn list_resources(
    resources: &dyn crate::aws::Resources,
    kind: crate::model::picker::ResourceKind,
    region: &str,
    account: &str,
) -> Result<Vec<crate::model::picker::Resource>, String> {
    let place = if kind.is_regional() {
        format!(" in {region}")
    } else {
        String::new()
    };
    let what = kind.plural();
    match tokio::time::timeout(LISTING_TIMEOUT, resources.list(kind, region, account)).await {
        Ok(Ok(mut found)) => {
            // The organization's units come in the tree's order, the root first, then accounts.
            if kind != crate::model::picker::ResourceKind::OrgTargets {
                found.sort_by(|a, b| a.name.cmp(&b.name).then(a.value.cmp(&b.value)));
            }
            Ok(found)
        }
        Ok(Err(error)) if error.code() == Some("AWSOrganizationsNotInUseException") => Err(
            "This account is not in an organization (AWS Organizations): type the account IDs."
                .into(),
        ),
        Ok(Err(AwsError::AccessDenied { action, .. })) => Err(format!(
            "AWS refused {action}, so {what}{place} can't be listed: type it instead."
        )),
        Ok(Err(AwsError::Credentials(_))) => Err(format!(
            "{what}{place} can't be listed without working credentials: type it instead."
        )),
        Ok(Err(other)) => Err(format!(
            "{what}{place} couldn't be listed ({other}): type it instead."
        )),
        Err(_) => Err(format!(
            "Listing {what}{place} took over {} s: type it instead.",
            LISTING_TIMEOUT.as_secs()
        )),
    }
}

/// Seconds since the epoch, for the judge's date conditions.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
