//! What writing a setup's settings into Segment changes, worked out before anything is sent: the
//! setting definitions a function lacks (its own kept, none duplicated), and the values of a
//! destination instance that differ (read-only ones never, masked ones never echoed back); the
//! preview a person confirms; the bodies the API is sent; and the check of what it read back.

use super::{FunctionSetting, MASK, is_masked};
use crate::model::external_id::masked;
use crate::model::plan::Setting;
use serde_json::{Map, Value, json};

/// The definitions a function's settings need for this setup: one per setting the setup fills
/// in, keyed as the guide names them, the external ID Secret.
pub fn wanted_definitions(settings: &[Setting]) -> Vec<FunctionSetting> {
    settings
        .iter()
        .filter(|s| !s.read_only)
        .map(|s| FunctionSetting {
            name: s.key.clone(),
            label: s.label.clone(),
            description: format!("{} (added by segment-aws-setup)", s.label),
            kind: "STRING".into(),
            required: s.required,
            sensitive: s.sensitive,
        })
        .collect()
}

/// The function's whole list of definitions after the change (the API replaces the list):
/// every one it has kept as it is, the missing ones added, and one that should be Secret and
/// isn't made so. `None` when nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionChange {
    pub settings: Vec<FunctionSetting>,
    pub added: Vec<String>,
    pub made_secret: Vec<String>,
}

pub fn merge_definitions(
    existing: &[FunctionSetting],
    wanted: &[FunctionSetting],
) -> Option<DefinitionChange> {
    let mut settings = existing.to_vec();
    let mut added = Vec::new();
    let mut made_secret = Vec::new();
    for want in wanted {
        match settings.iter_mut().find(|have| have.name == want.name) {
            Some(have) => {
                if want.sensitive && !have.sensitive {
                    have.sensitive = true;
                    made_secret.push(have.label.clone());
                }
            }
            None => {
                settings.push(want.clone());
                added.push(want.label.clone());
            }
        }
    }
    (!added.is_empty() || !made_secret.is_empty()).then_some(DefinitionChange {
        settings,
        added,
        made_secret,
    })
}

/// One value an instance's setting changes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueChange {
    pub key: String,
    pub label: String,
    /// As Segment returned it (masked for a secret), `None` when unset.
    pub from: Option<String>,
    pub to: String,
    pub secret: bool,
}

/// What Segment shows of a masked value: the characters after the bullets.
fn visible_tail(masked_value: &str) -> &str {
    masked_value.trim_start_matches(MASK)
}

/// The values to write: each setting the setup knows a value for, unless Segment sets it
/// (read-only) or already has it. A masked secret is compared by the characters Segment shows.
pub fn value_changes(current: &Map<String, Value>, wanted: &[Setting]) -> Vec<ValueChange> {
    wanted
        .iter()
        .filter(|s| !s.read_only)
        .filter_map(|s| {
            let to = s.value.clone()?;
            let have = current.get(&s.key);
            let unchanged = match have {
                Some(value) if is_masked(value) => {
                    let tail = visible_tail(value.as_str().unwrap_or_default());
                    !tail.is_empty() && to.ends_with(tail)
                }
                Some(Value::String(text)) => *text == to,
                _ => false,
            };
            (!unchanged).then(|| ValueChange {
                key: s.key.clone(),
                label: s.label.clone(),
                from: match have {
                    Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
                    Some(Value::Null) | None => None,
                    Some(Value::String(_)) => None,
                    Some(other) => Some(other.to_string()),
                },
                to,
                secret: s.sensitive,
            })
        })
        .collect()
}

/// The body of `PATCH /destinations/{id}`: only the keys that change.
pub fn values_body(changes: &[ValueChange]) -> Value {
    let settings: Map<String, Value> = changes
        .iter()
        .map(|c| (c.key.clone(), Value::String(c.to.clone())))
        .collect();
    json!({ "settings": settings })
}

/// The body of `PATCH /functions/{id}`: the whole list of definitions, never the code.
pub fn definitions_body(change: &DefinitionChange) -> Value {
    json!({ "settings": change.settings })
}

/// The preview: one line per definition added and per value, secrets masked.
pub fn preview_lines(
    definitions: Option<&DefinitionChange>,
    values: &[ValueChange],
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(change) = definitions {
        for label in &change.added {
            let secret = change
                .settings
                .iter()
                .any(|s| &s.label == label && s.sensitive);
            lines.push(format!(
                "add the setting definition \"{label}\" (String{}{})",
                if change
                    .settings
                    .iter()
                    .any(|s| &s.label == label && s.required)
                {
                    ", Required"
                } else {
                    ""
                },
                if secret { ", Secret" } else { "" }
            ));
        }
        for label in &change.made_secret {
            lines.push(format!("turn Secret on for the setting \"{label}\""));
        }
    }
    for change in values {
        let shown = |value: &str| {
            if change.secret {
                masked(value)
            } else {
                value.to_string()
            }
        };
        let from = match &change.from {
            None => "(empty)".to_string(),
            Some(value) if change.secret && !value.contains(MASK) => masked(value),
            Some(value) => value.clone(),
        };
        lines.push(format!(
            "{} ({}): {from} → {}",
            change.label,
            change.key,
            shown(&change.to)
        ));
    }
    lines
}

/// What Segment read back that isn't what was written: a line per key. A secret comes back
/// masked: its visible characters must end the value written.
pub fn read_back_problems(changes: &[ValueChange], returned: &Map<String, Value>) -> Vec<String> {
    changes
        .iter()
        .filter_map(|change| {
            let got = returned.get(&change.key);
            let right = match got {
                Some(value) if is_masked(value) => change
                    .to
                    .ends_with(visible_tail(value.as_str().unwrap_or_default())),
                Some(Value::String(text)) => *text == change.to,
                _ => false,
            };
            (!right).then(|| {
                format!(
                    "{} ({}) reads back as {} after the write",
                    change.label,
                    change.key,
                    match got {
                        None | Some(Value::Null) => "nothing".to_string(),
                        Some(_) if change.secret => "another value".to_string(),
                        Some(value) => value.to_string(),
                    }
                )
            })
        })
        .collect()
}

/// Definitions a function still lacks after a write (a re-read): their labels.
pub fn definitions_missing(have: &[FunctionSetting], wanted: &[FunctionSetting]) -> Vec<String> {
    wanted
        .iter()
        .filter(|want| {
            !have
                .iter()
                .any(|h| h.name == want.name && (h.sensitive || !want.sensitive))
        })
        .map(|want| want.label.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(key: &str, value: Option<&str>, sensitive: bool, read_only: bool) -> Setting {
        Setting {
            label: key.to_uppercase(),
            key: key.into(),
            value: value.map(str::to_string),
            sensitive,
            required: true,
            read_only,
            placeholder: None,
        }
    }

    #[test]
    fn definitions_are_added_once_and_theirs_are_kept() {
        let wanted = wanted_definitions(&[
            setting("iamRoleArn", Some("arn"), false, false),
            setting("iamRoleExternalId", Some("x"), true, false),
        ]);
        let theirs = FunctionSetting {
            name: "apiKey".into(),
            label: "API Key".into(),
            description: "theirs".into(),
            kind: "STRING".into(),
            required: true,
            sensitive: true,
        };
        let change = merge_definitions(std::slice::from_ref(&theirs), &wanted).expect("a change");
        assert_eq!(change.settings.len(), 3);
        assert_eq!(change.settings[0], theirs);
        assert_eq!(change.added, ["IAMROLEARN", "IAMROLEEXTERNALID"]);
        // Run again on the result: nothing to do, nothing duplicated.
        assert_eq!(merge_definitions(&change.settings, &wanted), None);
        assert!(definitions_missing(&change.settings, &wanted).is_empty());
        let body = definitions_body(&change);
        assert!(body.get("code").is_none());
    }

    #[test]
    fn an_external_id_defined_without_secret_is_made_secret() {
        let wanted = wanted_definitions(&[setting("iamRoleExternalId", Some("x"), true, false)]);
        let mut plain = wanted[0].clone();
        plain.sensitive = false;
        let change = merge_definitions(&[plain], &wanted).expect("a change");
        assert!(change.settings[0].sensitive);
        assert_eq!(change.made_secret, ["IAMROLEEXTERNALID"]);
        assert!(
            !definitions_missing(&[wanted[0].clone()], &wanted)
                .iter()
                .any(|_| true)
        );
    }

    #[test]
    fn only_changed_writable_values_are_written_and_masked_ones_never_echoed() {
        let current: Map<String, Value> = serde_json::from_value(json!({
            "roleAddress": "arn:aws:iam::1:role/old",
            "region": "us-west-2",
            "externalId": "••••••••2sd8",
            "secret": "••••••wxyz"
        }))
        .expect("a map");
        let wanted = [
            setting("roleAddress", Some("arn:aws:iam::1:role/new"), false, false),
            setting("region", Some("us-west-2"), false, false),
            setting("externalId", Some("wXZ2sd8"), false, true),
            setting("secret", Some("abcdwxyz"), true, false),
            setting(
                "function",
                Some("arn:aws:lambda:us-west-2:1:function:f"),
                false,
                false,
            ),
        ];
        let changes = value_changes(&current, &wanted);
        let keys: Vec<_> = changes.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["roleAddress", "function"]);
        let body = values_body(&changes).to_string();
        assert!(!body.contains(MASK), "{body}");
        assert!(!body.contains("externalId"), "{body}");
        let preview = preview_lines(None, &changes).join("\n");
        assert!(preview.contains("arn:aws:iam::1:role/old → arn:aws:iam::1:role/new"));
        assert!(preview.contains("(empty) →"));
    }

    #[test]
    fn a_secret_is_masked_in_the_preview_and_checked_by_its_tail() {
        let changes = value_changes(
            &Map::new(),
            &[setting(
                "iamRoleExternalId",
                Some("Sx8KqLmN3pQrT5vW"),
                true,
                false,
            )],
        );
        let preview = preview_lines(None, &changes).join("\n");
        assert!(!preview.contains("Sx8KqLmN3pQrT5vW"), "{preview}");
        let mut returned = Map::new();
        returned.insert("iamRoleExternalId".into(), json!("••••••••T5vW"));
        assert!(read_back_problems(&changes, &returned).is_empty());
        returned.insert("iamRoleExternalId".into(), json!("••••••••AAAA"));
        let problems = read_back_problems(&changes, &returned);
        assert_eq!(problems.len(), 1);
        assert!(!problems[0].contains("Sx8K"), "{problems:?}");
    }
}
