//! The smallest repair that provably makes a trust policy right, and the policy's text with the
//! external IDs masked, and a line diff of two documents.

use super::subject::*;
use super::trust::*;
use crate::model::iam_eval::{self, Decision, KeyValue, Request};
use crate::model::policy;
use serde_json::{Map, Value, json};

/// What `--fix` would do, proven by judging the result.
#[derive(Debug, Clone, PartialEq)]
pub enum RepairPlan {
    /// Every probe holds already.
    NotNeeded,
    /// This document makes every probe hold (judged: `after`).
    Proposed {
        document: Value,
        changes: Vec<String>,
        after: Box<Judgement>,
    },
    /// No repair this tool may make passes every probe.
    Refused {
        reasons: Vec<String>,
        /// Deny statements that stand in the way until confirmed one by one.
        blocking_denies: Vec<usize>,
    },
}

/// A statement with only the principal entries that don't let `request` in; `None` when none
/// are left (or its principal can't be shrunk: `*`, NotPrincipal). Also says what went.
pub(super) fn shrink(
    statement: &Value,
    number: usize,
    request: &Request,
) -> (Option<Value>, Vec<String>) {
    let Some(Value::Object(kinds)) = statement.get("Principal") else {
        return (None, Vec::new());
    };
    if statement.get("NotPrincipal").is_some() {
        return (None, Vec::new());
    }
    let mut kept = Map::new();
    let mut removed = Vec::new();
    for (kind, entries) in kinds {
        let list: Vec<Value> = match entries {
            Value::Array(many) => many.clone(),
            one => vec![one.clone()],
        };
        let mut keep = Vec::new();
        for entry in list {
            let mut single = statement.clone();
            single["Principal"] = json!({ kind.clone(): entry.clone() });
            let trace = iam_eval::evaluate_statement(&single, number, request);
            let offends = trace.effect != iam_eval::Effect::Deny && trace.result.possible();
            if offends {
                removed.push(
                    entry
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| entry.to_string()),
                );
            } else {
                keep.push(entry);
            }
        }
        match keep.len() {
            0 => {}
            1 => {
                kept.insert(kind.clone(), keep.remove(0));
            }
            _ => {
                kept.insert(kind.clone(), Value::Array(keep));
            }
        }
    }
    if kept.is_empty() {
        return (None, removed);
    }
    let mut shrunk = statement.clone();
    shrunk["Principal"] = Value::Object(kept);
    (Some(shrunk), removed)
}

/// The statement without `id` among the values of its `sts:ExternalId` conditions; `None` when
/// a condition would be left with no value (removing the condition would let any ID in: the
/// statement goes instead).
pub(super) fn without_external_id(statement: &Value, id: &str) -> Option<Value> {
    let mut narrowed = statement.clone();
    let Some(conditions) = narrowed.get_mut("Condition").and_then(Value::as_object_mut) else {
        return Some(narrowed);
    };
    for keys in conditions.values_mut() {
        let Some(keys) = keys.as_object_mut() else {
            continue;
        };
        for (key, values) in keys.iter_mut() {
            if !key.eq_ignore_ascii_case(EXTERNAL_ID_KEY) {
                continue;
            }
            let list: Vec<Value> = match &*values {
                Value::Array(many) => many.clone(),
                one => vec![one.clone()],
            };
            let kept: Vec<Value> = list.into_iter().filter(|v| v != id).collect();
            *values = match kept.len() {
                0 => return None,
                1 => kept.into_iter().next().unwrap_or(Value::Null),
                _ => Value::Array(kept),
            };
        }
    }
    Some(narrowed)
}

/// The smallest repair that makes every probe hold: remove only the offending principals from a
/// statement (a statement left with none goes), remove a Deny that refuses Segment only when
/// confirmed (`confirmed_denies`, 1-based), add the documented statement if Segment still isn't
/// let in. The result is judged with the same probes; a repair that doesn't pass is refused.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn repair(document: &Value, subject: &Subject, confirmed_denies: &[usize]) -> RepairPlan {
    let before = judge(document, subject);
    if before.holds() {
        return RepairPlan::NotNeeded;
    }
    let Some(list) = iam_eval::statements(document) else {
        return RepairPlan::Refused {
            reasons: vec!["the trust policy has no readable Statement; write it anew (segment-aws-setup plan shows the documented one)".into()],
            blocking_denies: Vec::new(),
        };
    };
    let mut kept: Vec<Option<Value>> = list.into_iter().cloned().map(Some).collect();
    let mut changes = Vec::new();
    for probe in before.failing().filter(|p| p.expected == Decision::Denied) {
        let (Some(request), Some(evaluation)) = (&probe.request, &probe.evaluation) else {
            continue;
        };
        if probe.kind == ProbeKind::SegmentExtraId {
            // The statement stays for your ID; only the extra ID goes from its condition.
            let KeyValue::Known(ids) = request.key(EXTERNAL_ID_KEY) else {
                continue;
            };
            for trace in evaluation
                .statements
                .iter()
                .filter(|t| t.effect != iam_eval::Effect::Deny && t.result.possible())
            {
                let index = trace.number - 1;
                let Some(statement) = kept[index].take() else {
                    continue;
                };
                let narrowed = ids
                    .iter()
                    .try_fold(statement, |s, id| without_external_id(&s, id));
                let which = probe.question.rsplit(' ').next().unwrap_or_default();
                changes.push(match &narrowed {
                    Some(_) => format!(
                        "{}: stop accepting external ID {which} ({})",
                        trace.label(),
                        probe.why.first().and_then(|w| w.split(": ").nth(1)).unwrap_or("it isn't yours")
                    ),
                    None => format!(
                        "remove {} (it let Segment in only with external ID {which}, which isn't yours)",
                        trace.label()
                    ),
                });
                kept[index] = narrowed;
            }
            continue;
        }
        for trace in evaluation
            .statements
            .iter()
            .filter(|t| t.effect != iam_eval::Effect::Deny && t.result.possible())
        {
            let index = trace.number - 1;
            let Some(statement) = kept[index].take() else {
                continue;
            };
            let (shrunk, removed) = shrink(&statement, trace.number, request);
            let because = format!("it let {} in", probe.kind.asker());
            match &shrunk {
                Some(_) => changes.push(format!(
                    "{}: remove {} from its Principal ({because}); the other principals keep their access",
                    trace.label(),
                    removed.join(", ")
                )),
                None => changes.push(format!("remove {} ({because})", trace.label())),
            }
            kept[index] = shrunk;
        }
    }
    for &number in confirmed_denies {
        if before.blocking_denies.contains(&number)
            && let Some(slot) = kept.get_mut(number - 1)
            && slot.take().is_some()
        {
            changes.push(format!(
                "remove statement {number}, the Deny that refused Segment, as you confirmed"
            ));
        }
    }
    let rebuild = |kept: &[Option<Value>], extra: Option<Value>| -> Value {
        let mut statements: Vec<Value> = kept.iter().flatten().cloned().collect();
        statements.extend(extra);
        let mut out = Map::new();
        out.insert(
            "Version".into(),
            document
                .get("Version")
                .cloned()
                .unwrap_or_else(|| json!(policy::POLICY_VERSION)),
        );
        if let Some(id) = document.get("Id") {
            out.insert("Id".into(), id.clone());
        }
        out.insert("Statement".into(), Value::Array(statements));
        Value::Object(out)
    };
    let mut candidate = rebuild(&kept, None);
    let mut after = judge(&candidate, subject);
    let segment_in = |j: &Judgement| {
        j.probes
            .iter()
            .filter(|p| p.kind == ProbeKind::SegmentWithId)
            .all(ProbeResult::holds)
    };
    if !segment_in(&after) {
        let documented =
            policy::trust_policy(&subject.principal, &subject.external_ids)["Statement"][0].clone();
        candidate = rebuild(&kept, Some(documented));
        after = judge(&candidate, subject);
        changes.push(format!(
            "add the documented statement: {} may assume the role only with your {}",
            subject.principal,
            subject.id_word()
        ));
    }
    if after.holds() {
        RepairPlan::Proposed {
            document: candidate,
            changes,
            after: Box::new(after),
        }
    } else {
        let blocking: Vec<usize> = before
            .blocking_denies
            .iter()
            .copied()
            .filter(|n| !confirmed_denies.contains(n))
            .collect();
        let mut reasons: Vec<String> = after
            .failing()
            .flat_map(|p| {
                std::iter::once(format!(
                    "after the repair, {}: must be {}, would be {}",
                    p.question,
                    p.expected,
                    p.answer_word().to_lowercase()
                ))
                .chain(p.why.iter().cloned())
            })
            .collect();
        if !blocking.is_empty() {
            reasons.push(format!(
                "a Deny refuses Segment ({}): it is removed only when you confirm that statement",
                blocking
                    .iter()
                    .map(|n| format!("statement {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        RepairPlan::Refused {
            reasons,
            blocking_denies: blocking,
        }
    }
}

/// A document with the subject's secret external IDs masked, for showing on screen.
pub fn masked(document: &Value, subject: &Subject) -> Value {
    if subject.workspace_ids {
        return document.clone();
    }
    match document {
        Value::String(text) if subject.external_ids.contains(text) => {
            Value::String(crate::model::external_id::masked(text))
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| masked(v, subject)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), masked(v, subject)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A document with every value of an `sts:ExternalId` condition masked (when `secret`), for
/// showing a diff that holds old and new IDs.
pub fn masked_external_ids(document: &Value, secret: bool) -> Value {
    if !secret {
        return document.clone();
    }
    match document {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = if k.eq_ignore_ascii_case(EXTERNAL_ID_KEY) {
                        match v {
                            Value::String(id) => {
                                Value::String(crate::model::external_id::masked(id))
                            }
                            Value::Array(ids) => Value::Array(
                                ids.iter()
                                    .map(|id| match id {
                                        Value::String(id) => {
                                            Value::String(crate::model::external_id::masked(id))
                                        }
                                        other => other.clone(),
                                    })
                                    .collect(),
                            ),
                            other => other.clone(),
                        }
                    } else {
                        masked_external_ids(v, secret)
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| masked_external_ids(v, secret))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The change as a line diff of the pretty-printed documents (`-` before, `+` after).
pub fn diff(before: &Value, after: &Value) -> Vec<String> {
    let before = serde_json::to_string_pretty(before).unwrap_or_default();
    let after = serde_json::to_string_pretty(after).unwrap_or_default();
    similar::TextDiff::from_lines(&before, &after)
        .iter_all_changes()
        .map(|change| {
            let sign = match change.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            format!("{sign} {}", change.value().trim_end_matches('\n'))
        })
        .collect()
}
