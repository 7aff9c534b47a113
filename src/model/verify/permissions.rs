//! The permission side: the role's inline and managed policies against the integration's preset.

use super::subject::*;
use crate::model::iam_eval::{self};
use crate::model::policy;
use serde_json::{Value, json};

/// A managed policy attached to the role, with its document when it could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    pub document: Option<Value>,
}

/// The preset's inline policy on the role.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetState {
    NotChecked,
    Present,
    Missing,
    Different { current: Value },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Permissions {
    pub preset: PresetState,
    pub inline: Vec<(String, Value)>,
    pub managed: Vec<ManagedPolicy>,
    /// Something beyond the chosen preset is on the role (only judged with a preset).
    pub beyond_preset: bool,
    /// The role's inline policies in characters, as IAM counts them (no white space).
    pub inline_chars: usize,
    pub lines: Vec<Line>,
}

impl Permissions {
    pub fn is_right(&self) -> bool {
        matches!(self.preset, PresetState::NotChecked | PresetState::Present)
            && !self.beyond_preset
            && self.inline_chars <= policy::INLINE_POLICIES_MAX_CHARS
    }

    pub fn state_word(&self) -> &'static str {
        match self.preset {
            PresetState::NotChecked => "not checked",
            PresetState::Present => "present",
            PresetState::Missing => "missing",
            PresetState::Different { .. } => "different",
        }
    }

    /// The inline policies' size once the preset's policy is (re)written.
    pub fn inline_chars_with(&self, name: &str, document: &Value) -> usize {
        self.inline
            .iter()
            .filter(|(n, _)| n != name)
            .map(|(_, d)| policy::compact_len(d))
            .sum::<usize>()
            + policy::compact_len(document)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "preset": self.state_word(),
            "inline": self.inline.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "managed": self.managed.iter().map(|m| json!({"name": m.name, "arn": m.arn})).collect::<Vec<_>>(),
            "beyondPreset": self.beyond_preset,
            "inlineCharacters": self.inline_chars,
            "lines": self.lines,
        })
    }
}

/// Whether an inline policy document grants what the preset asks: equal statements, in any order.
pub fn same_policy(a: &Value, b: &Value) -> bool {
    let sorted = |d: &Value| {
        let mut list: Vec<String> = iam_eval::statements(d)
            .unwrap_or_default()
            .iter()
            .map(|s| s.to_string())
            .collect();
        list.sort();
        list
    };
    sorted(a) == sorted(b)
}

/// Judges the role's permission policies: the preset's inline policy (when one was chosen), and
/// everything else on the role, flagged when it goes beyond the preset or grants broadly.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn judge_permissions(
    preset: Option<(&str, &Value)>,
    inline: Vec<(String, Value)>,
    managed: Vec<ManagedPolicy>,
) -> Permissions {
    let mut lines = Vec::new();
    let state = match preset {
        None => PresetState::NotChecked,
        Some((name, wanted)) => match inline.iter().find(|(n, _)| n == name) {
            Some((_, current)) if same_policy(current, wanted) => PresetState::Present,
            Some((_, current)) => PresetState::Different {
                current: current.clone(),
            },
            None => PresetState::Missing,
        },
    };
    match (&state, preset) {
        (PresetState::Present, Some((name, _))) => lines.push(Line::new(
            Mark::Pass,
            format!("inline policy {name} grants exactly the chosen permissions"),
        )),
        (PresetState::Missing, Some((name, _))) => lines.push(Line::new(
            Mark::Fail,
            format!("inline policy {name} (the chosen permissions) is not attached"),
        )),
        (PresetState::Different { .. }, Some((name, _))) => lines.push(Line::new(
            Mark::Fail,
            format!("inline policy {name} grants something else than the chosen permissions"),
        )),
        _ => {}
    }
    let mut beyond = false;
    let flag = if preset.is_some() {
        Mark::Fail
    } else {
        Mark::Warn
    };
    for (name, document) in &inline {
        if preset.is_some_and(|(wanted, _)| wanted == name) {
            continue;
        }
        let broad = policy::broad_grants(document);
        if preset.is_some() {
            beyond = true;
            lines.push(Line::new(
                flag,
                format!("inline policy {name} goes beyond the chosen permissions"),
            ));
        } else {
            lines.push(Line::new(
                if broad.is_empty() {
                    Mark::Info
                } else {
                    Mark::Warn
                },
                format!("inline policy {name}"),
            ));
        }
        lines.extend(broad.into_iter().map(|b| Line::new(Mark::Detail, b)));
    }
    for policy in &managed {
        let broad = policy.document.as_ref().map(policy::broad_grants);
        if preset.is_some() {
            beyond = true;
            lines.push(Line::new(
                flag,
                format!(
                    "managed policy {} ({}) is attached: beyond the chosen permissions",
                    policy.name, policy.arn
                ),
            ));
        } else {
            let mark = if broad.as_ref().is_none_or(|b| !b.is_empty()) {
                Mark::Warn
            } else {
                Mark::Info
            };
            lines.push(Line::new(
                mark,
                format!("managed policy {} ({})", policy.name, policy.arn),
            ));
        }
        match broad {
            Some(broad) => lines.extend(broad.into_iter().map(|b| Line::new(Mark::Detail, b))),
            None => lines.push(Line::new(
                Mark::Detail,
                "its document could not be read, so what it grants is unknown",
            )),
        }
    }
    let inline_chars: usize = inline.iter().map(|(_, d)| policy::compact_len(d)).sum();
    if inline_chars > policy::INLINE_POLICIES_MAX_CHARS {
        lines.push(Line::new(
            Mark::Fail,
            format!(
                "the role's inline policies total {inline_chars} characters; IAM allows {}",
                policy::INLINE_POLICIES_MAX_CHARS
            ),
        ));
    }
    if inline.is_empty() && managed.is_empty() {
        lines.push(Line::new(
            Mark::Info,
            "no permission policy is attached to the role",
        ));
    }
    Permissions {
        preset: state,
        inline,
        managed,
        beyond_preset: beyond,
        inline_chars,
        lines,
    }
}
