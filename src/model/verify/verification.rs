//! A role as read, judged on both sides (trust and permissions), and the fix it needs.

use super::permissions::*;
use super::repair::*;
use super::subject::*;
use crate::model::iam_eval::Decision;
use crate::model::policy;
use serde_json::{Value, json};

/// A role as read, judged on both sides.
#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub role: crate::model::aws_types::RoleInfo,
    pub judgement: Judgement,
    pub permissions: Permissions,
}

/// What `--fix` changes, proven before it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// The new trust policy (every probe holds with it); `None` when the trust policy is right.
    pub trust: Option<Value>,
    /// The inline permission policy to write, when it is missing or different.
    pub permission: Option<(String, Value)>,
    /// What changes, a sentence each.
    pub changes: Vec<String>,
    /// The trust policy before and after, a line each (`-`, `+`), secrets masked.
    pub diff: Vec<String>,
    /// What the fix leaves alone and the user may want to change themselves.
    pub left_alone: Vec<String>,
}

impl Fix {
    pub fn is_empty(&self) -> bool {
        self.trust.is_none() && self.permission.is_none()
    }

    /// The fix in words, as every face shows it before asking: what changes, the trust policy's
    /// diff (secrets masked), the inline policy to write, and what is left alone.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.is_empty() {
            lines.push("Nothing here is for a repair to change.".to_string());
        } else {
            lines.push("The repair, proven to pass every probe before it is applied:".to_string());
            lines.extend(self.changes.iter().map(|change| format!("  - {change}")));
        }
        if !self.diff.is_empty() {
            lines.push("Trust policy, before (-) and after (+):".to_string());
            lines.extend(self.diff.iter().map(|line| format!("  {line}")));
        }
        if let Some((name, document)) = &self.permission {
            lines.push(format!("Inline policy {name} to attach:"));
            let pretty = serde_json::to_string_pretty(document).unwrap_or_default();
            lines.extend(pretty.lines().map(str::to_string));
        }
        lines.extend(
            self.left_alone
                .iter()
                .map(|note| format!("  Left alone: {note}")),
        );
        lines
    }
}

impl Verification {
    /// Without the evaluator's traces (what a repair reads): a row of `verify --accounts` keeps
    /// only what it shows, so a thousand accounts stay small.
    pub fn without_traces(mut self) -> Verification {
        for probe in &mut self.judgement.probes {
            probe.request = None;
            probe.evaluation = None;
        }
        self
    }

    pub fn is_right(&self) -> bool {
        self.judgement.holds() && self.permissions.is_right()
    }

    /// Whether applying `fix` may refuse Segment where it gets in today: Segment can assume the
    /// role now without your external ID, or with another, or can't with yours; after the repair
    /// only your ID(s) work, so Segment's deliveries fail until its setting holds them. A sentence
    /// to say before the repair is confirmed, and after it.
    pub fn repair_cuts_off(&self, fix: &Fix) -> Option<String> {
        fix.trust.as_ref()?;
        let answer = |kind: ProbeKind| {
            self.judgement
                .probes
                .iter()
                .find(|p| p.kind == kind)
                .and_then(|p| p.answer)
        };
        let lets_in = |kind| matches!(answer(kind), Some(Decision::Allowed | Decision::Uncertain));
        let in_some_other_way = lets_in(ProbeKind::SegmentWithoutId)
            || lets_in(ProbeKind::SegmentOtherId)
            || answer(ProbeKind::SegmentWithId) != Some(Decision::Allowed);
        if !in_some_other_way {
            return None;
        }
        Some(if self.judgement.subject.workspace_ids {
            "After this repair Segment gets in only presenting a trusted ID: the workspace ID (or, when the destination's read-only ID setting is empty, a trusted source ID). If it uses this role now in another way, its deliveries fail until then.".to_string()
        } else {
            "After this repair Segment gets in only with your external ID: if your function uses this role now with no ID or another one, its calls fail until the function's IAM Role External ID setting holds this ID. Paste it into Segment right after the repair.".to_string()
        })
    }

    /// The report, the same in every face: the probes, then the permission policies.
    pub fn lines(&self) -> Vec<Line> {
        let mut lines = self.judgement.lines();
        lines.extend(self.permissions.lines.iter().cloned());
        lines
    }

    pub fn to_json(&self) -> Value {
        json!({
            "role": self.role.arn,
            "right": self.is_right(),
            "confusedDeputyRisk": self.judgement.confused_deputy_risk(),
            "trust": self.judgement.to_json(),
            "permission": self.permissions.state_word(),
            "permissions": self.permissions.to_json(),
            "lines": self.lines().iter().map(Line::plain).collect::<Vec<_>>(),
        })
    }

    /// The fix for this role: the smallest trust-policy repair (removing the Deny statements in
    /// `confirmed_denies` only), and the preset's inline policy when it is missing or different.
    /// `Err` holds why no fix this tool may make would pass.
    pub fn fix(
        &self,
        permission: Option<(&str, &Value)>,
        confirmed_denies: &[usize],
    ) -> Result<Fix, Vec<String>> {
        let subject = &self.judgement.subject;
        let preset_name = permission.map(|(name, _)| name.to_string());
        let (trust, mut changes, diff) =
            match repair(&self.role.trust_policy, subject, confirmed_denies) {
                RepairPlan::NotNeeded => (None, Vec::new(), Vec::new()),
                RepairPlan::Proposed {
                    document, changes, ..
                } => {
                    // Every external ID masked, the extra ones being removed too (not only yours).
                    let secret = !subject.workspace_ids;
                    let shown = diff(
                        &masked_external_ids(&masked(&self.role.trust_policy, subject), secret),
                        &masked_external_ids(&masked(&document, subject), secret),
                    );
                    (Some(document), changes, shown)
                }
                RepairPlan::Refused { reasons, .. } => return Err(reasons),
            };
        let permission = match (permission, &self.permissions.preset) {
            (Some((name, document)), PresetState::Missing | PresetState::Different { .. }) => {
                let total = self.permissions.inline_chars_with(name, document);
                if total > policy::INLINE_POLICIES_MAX_CHARS {
                    return Err(vec![format!(
                        "with inline policy {name} the role's inline policies would total {total} characters; IAM allows {}: remove another inline policy first",
                        policy::INLINE_POLICIES_MAX_CHARS
                    )]);
                }
                let verb = if self.permissions.preset == PresetState::Missing {
                    "attach"
                } else {
                    "rewrite"
                };
                changes.push(format!(
                    "{verb} inline policy {name} with the chosen permissions"
                ));
                Some((name.to_string(), document.clone()))
            }
            _ => None,
        };
        let role = &self.role.name;
        let mut left_alone = Vec::new();
        let checked = self.permissions.preset != PresetState::NotChecked;
        for (name, _) in &self.permissions.inline {
            if checked && preset_name.as_deref() != Some(name.as_str()) {
                left_alone.push(format!(
                    "inline policy {name} stays; remove it yourself if Segment shouldn't have it: aws iam delete-role-policy --role-name {role} --policy-name {name}"
                ));
            }
        }
        for managed in &self.permissions.managed {
            left_alone.push(format!(
                "managed policy {} stays attached; detach it yourself if Segment shouldn't have it: aws iam detach-role-policy --role-name {role} --policy-arn {}",
                managed.name, managed.arn
            ));
        }
        Ok(Fix {
            trust,
            permission,
            changes,
            diff,
            left_alone,
        })
    }
}
