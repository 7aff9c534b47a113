//! What a failed Public API call means to the person running the tool: the token role it needs
//! (401/403), the field Segment named (404/422), how long to wait (429), or no API on the plan.

use serde_json::Value;
use std::time::Duration;

/// A Public API call that failed: its HTTP status and Segment's error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    /// `errors[].message`, with `field` when Segment named one.
    pub messages: Vec<String>,
    /// `errors[0].data.msBeforeNext` of a 429.
    pub wait: Option<Duration>,
}

impl ApiFailure {
    pub fn from_body(status: u16, body: &[u8]) -> ApiFailure {
        let parsed: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let errors = parsed["errors"].as_array().cloned().unwrap_or_default();
        let messages = errors
            .iter()
            .map(|e| {
                let message = e["message"]
                    .as_str()
                    .or_else(|| e["type"].as_str())
                    .unwrap_or("no reason given");
                match e["field"].as_str() {
                    Some(field) => format!("{field}: {message}"),
                    None => message.to_string(),
                }
            })
            .map(|m| crate::model::text::one_line(&m).into_owned())
            .collect();
        let wait = errors
            .first()
            .and_then(|e| e["data"]["msBeforeNext"].as_u64())
            .map(Duration::from_millis);
        ApiFailure {
            status,
            messages,
            wait,
        }
    }

    /// A sentence for `what` ("updating function Enrich"): what failed and what to do.
    pub fn explain(&self, what: &str) -> String {
        let reason = if self.messages.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.messages.join("; "))
        };
        match self.status {
            401 | 403 => format!(
                "Segment refused {what}{reason}: the token lacks the access it needs. Give it Workspace Owner, or Functions Admin and Source Admin on the sources involved (Settings > Workspace settings > Access Management > Tokens); a token is valid in one workspace, and an EU workspace needs --segment-region eu"
            ),
            404 => format!(
                "Segment found nothing for {what}{reason}: check the ID, and that the token is for this workspace"
            ),
            422 | 400 => format!("Segment refused {what}: it said{reason}"),
            429 => format!(
                "Segment is limiting requests: {what} was tried again and still refused{reason}"
            ),
            status => format!("Segment answered {status} to {what}{reason}"),
        }
    }
}

/// Said when the workspace has no Public API (Free plan) or Data Lakes: the paste path stays.
pub const NO_API: &str = "Segment's Public API is for Team and Business workspaces: without it, paste the settings shown into Segment by hand, as the next steps say.";

pub const NO_API_FOR_DATA_LAKES: &str = "Segment's Public API has no Data Lakes endpoint: paste the settings shown into your Data Lakes destination's Settings by hand.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limit_says_how_long_to_wait() {
        let body = br#"{"errors":[{"type":"RequestError","message":"Too many requests","data":{"remainingPoints":0,"msBeforeNext":57647,"consumedPoints":21}}]}"#;
        let failure = ApiFailure::from_body(429, body);
        assert_eq!(failure.wait, Some(Duration::from_millis(57647)));
    }

    #[test]
    fn a_refusal_names_the_role_and_a_validation_the_field() {
        let denied = ApiFailure::from_body(403, b"{}").explain("reading the workspace");
        assert!(denied.contains("Workspace Owner"), "{denied}");
        assert!(
            denied.contains("Functions Admin and Source Admin"),
            "{denied}"
        );
        let invalid = ApiFailure::from_body(
            422,
            br#"{"errors":[{"type":"input-validation","message":"\"metadataId\" is required","field":"destination.metadataId"}]}"#,
        )
        .explain("creating the destination");
        assert!(invalid.contains("destination.metadataId"), "{invalid}");
    }

    #[test]
    fn what_segment_says_is_shown_without_escape_sequences() {
        let failure = ApiFailure::from_body(
            404,
            "{\"errors\":[{\"message\":\"no \u{1b}[2J such\"}]}".as_bytes(),
        );
        assert!(!failure.explain("x").contains('\u{1b}'));
    }
}
