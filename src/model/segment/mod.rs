//! Segment's side of the connection, as plain data: the workspace a Public API token belongs to,
//! a function's setting definitions, a destination instance's settings, and (in `write`) what
//! writing a setup's settings into them changes. No HTTP here: `crate::segment` speaks the API.

pub mod commands;
pub mod errors;
pub mod target;
pub mod write;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The character Segment masks secret values with when it returns them (`••••••4eed`).
pub const MASK: char = '\u{2022}';

/// The debug log's target for Segment's calls (the AWS calls have their own).
pub const CALL_LOG_TARGET: &str = "segment_aws_setup::calls";

/// The environment variable a Public API token is read from (never a flag: argv is visible).
pub const TOKEN_VARIABLE: &str = "SEGMENT_PUBLIC_API_TOKEN";

/// Where a workspace's Public API answers: US or EU workspaces have their own host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiRegion {
    Us,
    Eu,
}

impl ApiRegion {
    pub const ALL: [ApiRegion; 2] = [ApiRegion::Us, ApiRegion::Eu];

    pub fn base_url(self) -> &'static str {
        match self {
            ApiRegion::Us => "https://api.segmentapis.com",
            ApiRegion::Eu => "https://eu1.api.segmentapis.com",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ApiRegion::Us => "us",
            ApiRegion::Eu => "eu",
        }
    }
}

/// `GET /`: the workspace the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub slug: String,
}

/// A function's kind, as the API's `resourceType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    Destination,
    Source,
}

impl FunctionKind {
    /// The kind an integration of the catalog sets up, if it is a function.
    pub fn of_integration(id: &str) -> Option<FunctionKind> {
        match id {
            "destination-function" => Some(FunctionKind::Destination),
            "source-function" => Some(FunctionKind::Source),
            _ => None,
        }
    }

    pub fn resource_type(self) -> &'static str {
        match self {
            FunctionKind::Destination => "DESTINATION",
            FunctionKind::Source => "SOURCE",
        }
    }
}

/// One setting definition of a function (FunctionSettingV1: all six fields are required).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSetting {
    pub name: String,
    pub label: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// Segment's settings dialog calls it Secret.
    #[serde(default)]
    pub sensitive: bool,
}

/// A function, as the API returns it; its code is never read into this, nor ever sent.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Function {
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub resource_type: String,
    /// The ID its destination instances carry as `metadata.id`.
    #[serde(default)]
    pub catalog_id: String,
    #[serde(default)]
    pub settings: Vec<FunctionSetting>,
}

/// A destination instance (a catalog destination, or a destination function, connected to a
/// source), with its settings as Segment returns them (secrets masked).
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    /// The catalog destination (or the function's catalog ID) it is an instance of.
    pub metadata_id: String,
    pub metadata_name: String,
    pub source_id: String,
    pub settings: Map<String, Value>,
}

impl Destination {
    /// From a DestinationV1 object.
    pub fn from_json(value: &Value) -> Option<Destination> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        Some(Destination {
            id: value["id"].as_str()?.to_string(),
            name: text(&value["name"]),
            enabled: value["enabled"].as_bool().unwrap_or(false),
            metadata_id: text(&value["metadata"]["id"]),
            metadata_name: text(&value["metadata"]["name"]),
            source_id: text(&value["sourceId"]),
            settings: value["settings"].as_object().cloned().unwrap_or_default(),
        })
    }

    /// How a person recognises it in a list: its name, what it is, and its source.
    pub fn describe(&self, source_name: Option<&str>) -> String {
        let name = if self.name.is_empty() {
            self.metadata_name.as_str()
        } else {
            self.name.as_str()
        };
        let state = if self.enabled { "enabled" } else { "disabled" };
        format!(
            "{name} ({}, {state}) on source {}",
            self.id,
            source_name.unwrap_or(&self.source_id)
        )
    }
}

/// A source of the workspace (to name a destination's source, or to connect a function to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: String,
    pub name: String,
    pub slug: String,
}

impl Source {
    pub fn from_json(value: &Value) -> Option<Source> {
        Some(Source {
            id: value["id"].as_str()?.to_string(),
            name: value["name"].as_str().unwrap_or_default().to_string(),
            slug: value["slug"].as_str().unwrap_or_default().to_string(),
        })
    }
}

/// Plain mode's answer to "which source IDs to trust too", the workspace's sources listed:
/// `none`, `all`, or row numbers and IDs separated by commas (an ID not in the list is taken as
/// typed, once it is a valid ID: a source of another workspace can be trusted too).
pub fn source_ids_answer(answer: &str, sources: &[Source]) -> Result<Vec<String>, String> {
    let answer = answer.trim();
    if answer.eq_ignore_ascii_case("none") || answer.is_empty() {
        return Ok(Vec::new());
    }
    if answer.eq_ignore_ascii_case("all") {
        return Ok(sources.iter().map(|s| s.id.clone()).collect());
    }
    let mut ids: Vec<String> = Vec::new();
    for item in answer.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let id = match item.parse::<usize>() {
            Ok(number) if (1..=sources.len()).contains(&number) => sources[number - 1].id.clone(),
            Ok(_) if !sources.is_empty() => {
                return Err(format!(
                    "{item} is not a row: answer none, all, or rows 1 to {} and source IDs, separated by commas",
                    sources.len()
                ));
            }
            _ => {
                crate::model::validate::workspace_id(item)
                    .map_err(|e| e.0.replace("workspace ID", "source ID"))?;
                item.to_string()
            }
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// A value Segment returned masked: it can't be compared, and is never written back.
pub fn is_masked(value: &Value) -> bool {
    value.as_str().is_some_and(|text| text.contains(MASK))
}

/// A token must look like one before it is sent anywhere: printable, no white space, and of a
/// sane length. Its format isn't documented, so nothing stricter is asked.
pub fn check_token(token: &str) -> Result<(), String> {
    let token = token.trim();
    if token.is_empty() {
        return Err(format!(
            "no Segment Public API token: set {TOKEN_VARIABLE}, or type it when asked (Settings > Workspace settings > Access Management > Tokens in Segment)"
        ));
    }
    if token.len() > 512 || token.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(
            "that is not a Segment Public API token: letters, digits and punctuation only, no spaces, at most 512 characters"
                .into(),
        );
    }
    Ok(())
}

/// Where the API is reached: `https://` anywhere, `http://` only on this machine (a test server,
/// a local proxy), so a token never crosses a network in clear.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
    let after_host = |prefix: &str| {
        url.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
    };
    if url.starts_with("https://") || local.iter().any(|p| after_host(p)) {
        Ok(())
    } else {
        Err(format!(
            "{url}: Segment's Public API is reached over https:// (http:// only on this machine, such as http://127.0.0.1:PORT)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ids_are_answered_by_row_by_id_or_all() {
        let source = |id: &str| Source {
            id: id.into(),
            name: id.to_lowercase(),
            slug: id.to_lowercase(),
        };
        let sources = [source("srcWEB"), source("srcIOS")];
        assert_eq!(source_ids_answer("none", &sources), Ok(Vec::new()));
        assert_eq!(
            source_ids_answer("ALL", &sources),
            Ok(vec!["srcWEB".to_string(), "srcIOS".to_string()])
        );
        assert_eq!(
            source_ids_answer("2, srcOTHER, 2", &sources),
            Ok(vec!["srcIOS".to_string(), "srcOTHER".to_string()])
        );
        let out_of_range = source_ids_answer("3", &sources).expect_err("no row 3");
        assert!(out_of_range.contains("rows 1 to 2"), "{out_of_range}");
        let bad = source_ids_answer("src WEB!", &sources).expect_err("not an ID");
        assert!(bad.contains("source ID"), "{bad}");
        // With no list, a number is an ID like any other.
        assert_eq!(source_ids_answer("12", &[]), Ok(vec!["12".to_string()]));
    }

    #[test]
    fn a_destination_is_read_from_the_apis_object() {
        let value = serde_json::json!({
            "id": "dst1", "name": "", "enabled": true, "sourceId": "src1",
            "metadata": {"id": "5c86f0512f5eb100013d570b", "name": "Amazon Lambda"},
            "settings": {"roleAddress": "", "externalId": "••••••4eed"}
        });
        let destination = Destination::from_json(&value).expect("a destination");
        assert_eq!(destination.metadata_id, "5c86f0512f5eb100013d570b");
        assert!(is_masked(&destination.settings["externalId"]));
        assert!(!is_masked(&destination.settings["roleAddress"]));
        assert_eq!(
            destination.describe(Some("Website")),
            "Amazon Lambda (dst1, enabled) on source Website"
        );
    }

    #[test]
    fn a_token_is_checked_before_it_is_sent() {
        assert!(check_token("").is_err());
        assert!(check_token("has space").is_err());
        assert!(check_token("sgp_\u{1b}[2J").is_err());
        assert!(check_token("sgp_abcDEF123").is_ok());
    }
}
