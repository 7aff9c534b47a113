//! The judge of a trust policy: Segment's request with your external ID must be allowed, every
//! probe that isn't must be denied; each reason comes from the evaluator's trace.

use super::subject::*;
use crate::model::iam_eval::{
    self, Accounts, Decision, Entry, Evaluation, KeyValue, Request, StatementTrace, Tri, Who,
};
use serde_json::Value;

/// The request Segment's principal makes, with `external_id` as the `sts:ExternalId` key.
pub(super) fn segment_request(subject: &Subject, external_id: KeyValue) -> Request {
    let principal_arn = match subject.segment() {
        Who::Role(arn) => KeyValue::Known(vec![arn]),
        _ => KeyValue::PrincipalArn {
            accounts: Accounts::Only(subject.segment_account()),
            except_role: None,
        },
    };
    let principal_type = match subject.segment() {
        Who::Role(_) => KeyValue::Known(vec!["AssumedRole".into()]),
        _ => KeyValue::Any,
    };
    let now = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(subject.now.max(0) as u64),
    )
    .to_string();
    Request::new(subject.segment(), ASSUME_ROLE)
        .with(EXTERNAL_ID_KEY, external_id)
        .with(
            "aws:PrincipalAccount",
            KeyValue::Known(vec![subject.segment_account()]),
        )
        .with("aws:PrincipalArn", principal_arn)
        .with("aws:PrincipalType", principal_type)
        .with(
            "aws:PrincipalIsAWSService",
            KeyValue::Known(vec!["false".into()]),
        )
        .with("aws:PrincipalServiceName", KeyValue::Absent)
        // Segment calls STS over HTTPS, now.
        .with("aws:SecureTransport", KeyValue::Known(vec!["true".into()]))
        .with("aws:CurrentTime", KeyValue::Known(vec![now]))
        .with(
            "aws:EpochTime",
            KeyValue::Known(vec![subject.now.to_string()]),
        )
}

/// The external IDs a trust policy accepts from `principal`: the values its Allow statements that
/// name the principal list in an exact-match `sts:ExternalId` condition, in order, once each. An
/// update of a setup found in AWS (and not saved on this machine) keeps them.
pub fn required_external_ids(trust_policy: &Value, principal: &str) -> Vec<String> {
    // An account's root is also written as the bare account ID; a role only by its ARN.
    let account = principal
        .strip_suffix(":root")
        .and_then(|p| p.split(':').nth(4))
        .unwrap_or_default();
    let names_principal = |statement: &Value| {
        let aws = statement.pointer("/Principal/AWS");
        let values: Vec<&Value> = match aws {
            Some(Value::Array(many)) => many.iter().collect(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        values
            .into_iter()
            .filter_map(Value::as_str)
            .any(|v| v == principal || (!account.is_empty() && v == account))
    };
    let statements: Vec<&Value> = match trust_policy.get("Statement") {
        Some(Value::Array(many)) => many.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    let mut ids: Vec<String> = Vec::new();
    for statement in statements {
        if statement.get("Effect").and_then(Value::as_str) == Some("Allow")
            && names_principal(statement)
        {
            for id in listed_external_ids(statement) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    ids
}

/// The external IDs with which Segment's principal may assume the role today, as the evaluator
/// answers it: every ID the policy lists (or the subject brings) for which Segment's request is
/// allowed or may be. An ID a Deny revokes, or one listed on a statement that is not for
/// sts:AssumeRole or not for Segment, is not accepted. In the policy's order, once each.
pub fn accepted_external_ids(document: &Value, subject: &Subject) -> Vec<String> {
    let mut candidates = every_listed_id(document);
    for id in &subject.external_ids {
        if !candidates.contains(id) {
            candidates.push(id.clone());
        }
    }
    candidates
        .into_iter()
        .filter(|id| {
            let request = segment_request(subject, KeyValue::Known(vec![id.clone()]));
            iam_eval::evaluate(document, &request).decision != Decision::Denied
        })
        .collect()
}

/// Whether Segment's principal can assume the role at all, as the evaluator answers it: with
/// some external ID (any it chooses) or none, allowed or maybe. What `audit` asks first.
pub fn segment_can_assume(document: &Value, subject: &Subject) -> bool {
    iam_eval::evaluate(document, &segment_request(subject, KeyValue::Any)).decision
        != Decision::Denied
}

/// Every ID any statement lists in an exact-match `sts:ExternalId` condition, once each: what a
/// face masks in presenter mode when it shows the document.
pub fn every_listed_id(document: &Value) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for statement in iam_eval::statements(document).unwrap_or_default() {
        for id in listed_external_ids(statement) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}

/// Why an extra ID the role accepts must go: for a secret ID, anyone can guess it or (outside a
/// rotation) it is not yours; for a workspace ID, it doesn't look like Segment's. `None`: it may
/// stay (a warning or a listing says so).
pub(super) fn extra_id_problem(id: &str, subject: &Subject) -> Option<String> {
    if subject.workspace_ids {
        return (!crate::model::external_id::looks_like_segment_id(id)).then(|| {
            format!(
                "{id:?} doesn't look like a Segment workspace or source ID (8 to 32 letters and digits), so it is no proof Segment asks for you: a Segment customer could set it"
            )
        });
    }
    match crate::model::external_id::guessable(id) {
        Some(why) => Some(format!(
            "{why}, so any Segment customer can put it in their own function's settings and have Segment assume your role"
        )),
        None if subject.rotating => None,
        None => Some(
            "it is not your external ID and no rotation is under way: an ID rotated out (or never yours) still works, for whoever has it"
                .into(),
        ),
    }
}

/// The external IDs a statement accepts as listed values of an exact-match condition.
pub(super) fn listed_external_ids(statement: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    let Some(conditions) = statement.get("Condition").and_then(Value::as_object) else {
        return ids;
    };
    for (operator, keys) in conditions {
        let base = operator
            .rsplit(':')
            .next()
            .unwrap_or(operator)
            .to_ascii_lowercase();
        let base = base.strip_suffix("ifexists").unwrap_or(&base);
        if !matches!(
            base,
            "stringequals" | "stringequalsignorecase" | "stringlike"
        ) {
            continue;
        }
        for (key, values) in keys.as_object().into_iter().flatten() {
            if !key.eq_ignore_ascii_case(EXTERNAL_ID_KEY) {
                continue;
            }
            let values: Vec<&Value> = match values {
                Value::Array(many) => many.iter().collect(),
                one => vec![one],
            };
            for value in values.into_iter().filter_map(Value::as_str) {
                // A policy variable (`${aws:username}`) is no ID: the evaluator treats it as
                // not understood wherever it is.
                let wildcard = base == "stringlike" && value.contains(['*', '?']);
                if !wildcard && !value.contains("${") {
                    ids.push(value.to_string());
                }
            }
        }
    }
    ids
}

pub(super) fn show_values(key: &str, values: &[String], subject: &Subject) -> String {
    let shown: Vec<String> = values
        .iter()
        .take(4)
        .map(|v| {
            let secret = key.eq_ignore_ascii_case(EXTERNAL_ID_KEY)
                && !subject.workspace_ids
                && !v.chars().all(|c| c == '*' || c == '?');
            format!(
                "{:?}",
                if secret {
                    crate::model::external_id::masked(v)
                } else {
                    v.clone()
                }
            )
        })
        .collect();
    let more = values.len().saturating_sub(4);
    match (shown.as_slice(), more) {
        ([one], 0) => one.clone(),
        (_, 0) => format!("[{}]", shown.join(", ")),
        _ => format!("[{}, and {more} more]", shown.join(", ")),
    }
}

/// Why a statement applies to the asker: its principal, its action, its conditions.
pub(super) fn reasons(trace: &StatementTrace, kind: ProbeKind, subject: &Subject) -> Vec<String> {
    let mut out = Vec::new();
    let segment_probe = matches!(
        kind,
        ProbeKind::SegmentWithId | ProbeKind::SegmentWithoutId | ProbeKind::SegmentOtherId
    );
    if trace.effect == iam_eval::Effect::NotUnderstood {
        out.push("its Effect is neither \"Allow\" nor \"Deny\", so it may be either".to_string());
    }
    if trace.principal.negated {
        out.push("NotPrincipal lets in everyone it does not name".to_string());
    } else {
        let segments_own = iam_eval::parse_entry(&subject.principal);
        for matched in &trace.principal.matched {
            let about_segment = matched.ends_with(&subject.principal)
                || matches!(&segments_own, Entry::Account(a) if matched.contains(&format!("account {a} ")));
            if !(segment_probe && about_segment) {
                out.push(matched.clone());
            }
        }
    }
    if let Some(note) = &trace.action_note
        && trace.action != Tri::No
    {
        out.push(note.clone());
    }
    let about_id = matches!(
        kind,
        ProbeKind::SegmentWithoutId | ProbeKind::SegmentOtherId
    );
    if trace.conditions.is_empty() {
        out.push(if about_id {
            "it has no sts:ExternalId condition".into()
        } else {
            "it has no Condition".into()
        });
        return out;
    }
    if about_id && !trace.conditions.iter().any(|c| c.is_on(EXTERNAL_ID_KEY)) {
        out.push("it has no sts:ExternalId condition".into());
    }
    for condition in trace.conditions.iter().filter(|c| c.result.possible()) {
        let written = format!(
            "{} {} {}",
            condition.operator,
            condition.key,
            show_values(&condition.key, &condition.values, subject)
        );
        let attacker = matches!(
            kind,
            ProbeKind::SegmentAccountOther | ProbeKind::OtherAccount | ProbeKind::Anonymous
        );
        let note = if condition.not_understood {
            " is not understood by this tool".to_string()
        } else if condition.holds_when_missing {
            format!(" holds when the request has no {}", condition.key)
        } else if condition.is_on(EXTERNAL_ID_KEY) && attacker {
            " is no barrier: whoever asks sends the external ID they like (it is not a secret)"
                .to_string()
        } else if condition.is_on(EXTERNAL_ID_KEY) && kind == ProbeKind::SegmentOtherId {
            " accepts other values than yours".to_string()
        } else if condition.result == Tri::Maybe && !attacker {
            " can't be known for Segment's requests".to_string()
        } else if condition.result == Tri::Maybe {
            " depends on what the request carries, which whoever asks chooses".to_string()
        } else if attacker {
            " is met by that request".to_string()
        } else {
            continue;
        };
        out.push(format!("{written}{note}"));
    }
    out
}

/// One sentence per statement that lets a must-be-denied asker in.
pub(super) fn why_allowed(
    evaluation: &Evaluation,
    kind: ProbeKind,
    subject: &Subject,
) -> Vec<String> {
    if evaluation.unreadable {
        return vec![
            "the trust policy has no readable Statement, so nothing in it can be relied on".into(),
        ];
    }
    evaluation
        .statements
        .iter()
        .filter(|t| t.effect != iam_eval::Effect::Deny && t.result.possible())
        .map(|t| {
            let verb = if t.result == Tri::Yes && t.effect == iam_eval::Effect::Allow {
                "lets"
            } else {
                "may let"
            };
            format!(
                "{} {verb} {} assume the role: {}",
                t.label(),
                kind.asker(),
                reasons(t, kind, subject).join("; ")
            )
        })
        .collect()
}

/// Why Segment, with the right ID, is (or may be) refused.
pub(super) fn why_refused(evaluation: &Evaluation, subject: &Subject) -> Vec<String> {
    if evaluation.unreadable {
        return vec!["the trust policy has no readable Statement".into()];
    }
    let kind = ProbeKind::SegmentWithId;
    let mut out: Vec<String> = evaluation
        .statements
        .iter()
        .filter(|t| t.effect != iam_eval::Effect::Allow && t.result.possible())
        .map(|t| {
            let verb = if t.result == Tri::Yes && t.effect == iam_eval::Effect::Deny {
                "denies"
            } else {
                "may deny"
            };
            let mut why = reasons(t, kind, subject);
            if why.is_empty() {
                why.push("it matches Segment's request".into());
            }
            format!(
                "{} {verb} Segment's principal: {}",
                t.label(),
                why.join("; ")
            )
        })
        .collect();
    if evaluation.allow == Tri::Yes {
        return out;
    }
    let maybes: Vec<&StatementTrace> = evaluation
        .statements
        .iter()
        .filter(|t| t.effect != iam_eval::Effect::Deny && t.result == Tri::Maybe)
        .collect();
    for t in &maybes {
        let mut why = Vec::new();
        if t.principal.result == Tri::Maybe {
            why.push(format!(
                "{}, which Segment's requests may not come from",
                t.principal.matched.join(", ")
            ));
        }
        for c in t.conditions.iter().filter(|c| c.result == Tri::Maybe) {
            why.push(format!(
                "its condition {} {} {} can't be shown to hold for Segment's requests",
                c.operator,
                c.key,
                show_values(&c.key, &c.values, subject)
            ));
        }
        if t.effect == iam_eval::Effect::NotUnderstood {
            why.push("its Effect is neither Allow nor Deny".into());
        }
        out.push(format!(
            "{} may not let Segment in: {}",
            t.label(),
            why.join("; ")
        ));
    }
    if maybes.is_empty() {
        // Nothing lets Segment in: say what came closest.
        let mut near = Vec::new();
        for t in evaluation
            .statements
            .iter()
            .filter(|t| t.effect == iam_eval::Effect::Allow && t.principal.result.possible())
        {
            if t.action == Tri::No {
                near.push(format!(
                    "{} names Segment's principal but does not allow {ASSUME_ROLE}",
                    t.label()
                ));
            } else if let Some(c) = t.conditions.iter().find(|c| c.result == Tri::No) {
                if c.is_on(EXTERNAL_ID_KEY) {
                    near.push(format!(
                        "{} trusts Segment's principal, but its sts:ExternalId condition does not accept your {}",
                        t.label(),
                        subject.id_word()
                    ));
                } else {
                    near.push(format!(
                        "{} trusts Segment's principal, but its condition {} {} refuses Segment's request",
                        t.label(),
                        c.operator,
                        c.key
                    ));
                }
            }
        }
        if near.is_empty() {
            near.push(format!("no statement trusts {}", subject.principal));
        }
        out.extend(near);
    }
    out
}

pub(super) fn asked(
    kind: ProbeKind,
    question: String,
    expected: Decision,
    request: Request,
    document: &Value,
    subject: &Subject,
) -> ProbeResult {
    let evaluation = iam_eval::evaluate(document, &request);
    let answer = evaluation.decision;
    let why = if answer == expected {
        Vec::new()
    } else if expected == Decision::Allowed {
        why_refused(&evaluation, subject)
    } else {
        why_allowed(&evaluation, kind, subject)
    };
    ProbeResult {
        kind,
        question,
        expected,
        answer: Some(answer),
        why,
        not_asked: None,
        request: Some(request),
        evaluation: Some(evaluation),
    }
}

/// Judges a trust policy for the subject.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn judge(document: &Value, subject: &Subject) -> Judgement {
    let segment_account = subject.segment_account();
    let customer = subject.customer_account.clone();
    let mut probes = Vec::new();
    let mut warnings = Vec::new();
    let mut also_trusted = Vec::new();

    // The IDs Segment gets in with besides ours, as the evaluator answers it: each judged.
    let statements = iam_eval::statements(document).unwrap_or_default();
    let mut listed: Vec<String> = subject.external_ids.clone();
    let mut extra_probes = Vec::new();
    for extra in accepted_external_ids(document, subject)
        .into_iter()
        .filter(|id| !subject.external_ids.contains(id))
    {
        let request = segment_request(subject, KeyValue::Known(vec![extra.clone()]));
        let evaluation = iam_eval::evaluate(document, &request);
        let letting_in: Vec<String> = evaluation
            .statements
            .iter()
            .filter(|t| t.effect != iam_eval::Effect::Deny && t.result.possible())
            .map(StatementTrace::label)
            .collect();
        let shown = if crate::model::external_id::is_public(&extra) {
            // A published default or a wildcard-like value is no secret: shown, to be found.
            format!("{extra:?}")
        } else {
            subject.shown_id(&extra)
        };
        match extra_id_problem(&extra, subject) {
            Some(why) => extra_probes.push(ProbeResult {
                kind: ProbeKind::SegmentExtraId,
                question: format!("Segment's principal, extra {} {shown}", subject.id_word()),
                expected: Decision::Denied,
                answer: Some(evaluation.decision),
                why: letting_in
                    .iter()
                    .map(|label| format!("{label} accepts it: {why}"))
                    .collect(),
                not_asked: None,
                request: Some(request),
                evaluation: Some(evaluation),
            }),
            None if subject.workspace_ids => also_trusted.push(format!(
                "{} also trusts Segment with workspace ID {shown}",
                letting_in.join(", ")
            )),
            None => warnings.push(format!(
                "{} also accepts external ID {shown}: a rotation is under way; finish it (segment-aws-setup update --finish-rotation) once Segment's setting holds the new ID, and the old one stops working",
                letting_in.join(", ")
            )),
        }
    }
    // "Another external ID" is any but those the policy names: each of those was judged on its
    // own above (accepted ones) or is refused (a Deny revokes it, or it's not for AssumeRole).
    for id in every_listed_id(document) {
        if !listed.contains(&id) {
            listed.push(id);
        }
    }

    for id in &subject.external_ids {
        let question = if subject.external_ids.len() > 1 {
            format!(
                "Segment's principal, {} {}",
                subject.id_word(),
                subject.shown_id(id)
            )
        } else {
            format!("Segment's principal, your {}", subject.id_word())
        };
        let request = segment_request(subject, KeyValue::Known(vec![id.clone()]));
        probes.push(asked(
            ProbeKind::SegmentWithId,
            question,
            Decision::Allowed,
            request,
            document,
            subject,
        ));
    }
    probes.extend(extra_probes);
    probes.push(asked(
        ProbeKind::SegmentWithoutId,
        "Segment's principal, no external ID".into(),
        Decision::Denied,
        segment_request(subject, KeyValue::Absent),
        document,
        subject,
    ));
    probes.push(asked(
        ProbeKind::SegmentOtherId,
        "Segment's principal, another external ID".into(),
        Decision::Denied,
        segment_request(subject, KeyValue::AnyExcept(listed)),
        document,
        subject,
    ));
    match subject.segment_role_name() {
        Some(role) => {
            let request = Request::new(
                Who::InAccount {
                    account: segment_account.clone(),
                    except_role: Some(role.clone()),
                },
                ASSUME_ROLE,
            )
            .with(
                "aws:PrincipalAccount",
                KeyValue::Known(vec![segment_account.clone()]),
            )
            .with(
                "aws:PrincipalArn",
                KeyValue::PrincipalArn {
                    accounts: Accounts::Only(segment_account.clone()),
                    except_role: Some(role),
                },
            );
            probes.push(asked(
                ProbeKind::SegmentAccountOther,
                "another principal in Segment's account".into(),
                Decision::Denied,
                request,
                document,
                subject,
            ));
        }
        None => probes.push(ProbeResult {
            kind: ProbeKind::SegmentAccountOther,
            question: "another principal in Segment's account".into(),
            expected: Decision::Denied,
            answer: None,
            why: Vec::new(),
            not_asked: Some(format!(
                "Segment's principal is its whole account {segment_account}"
            )),
            request: None,
            evaluation: None,
        }),
    }
    let known = vec![segment_account.clone(), customer.clone()];
    let outsider = Request::new(Who::OutsideAccounts(known.clone()), ASSUME_ROLE)
        .with("aws:PrincipalAccount", KeyValue::AnyExcept(known.clone()))
        .with(
            "aws:PrincipalArn",
            KeyValue::PrincipalArn {
                accounts: Accounts::Outside(known),
                except_role: None,
            },
        );
    probes.push(asked(
        ProbeKind::OtherAccount,
        "any other AWS account".into(),
        Decision::Denied,
        outsider,
        document,
        subject,
    ));
    let anonymous = Request::new(Who::Anonymous, ASSUME_ROLE)
        .with("aws:PrincipalAccount", KeyValue::Absent)
        .with("aws:PrincipalArn", KeyValue::Absent)
        .with(
            "aws:PrincipalType",
            KeyValue::Known(vec!["Anonymous".into()]),
        );
    probes.push(asked(
        ProbeKind::Anonymous,
        "anyone at all (Principal *)".into(),
        Decision::Denied,
        anonymous,
        document,
        subject,
    ));

    // What the customer chose besides Segment: listed, not judged.
    for (index, statement) in statements.iter().enumerate() {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let Some(element) = statement.get("Principal") else {
            continue;
        };
        let label =
            iam_eval::statement_label(index + 1, statement.get("Sid").and_then(Value::as_str));
        for (kind, entry) in iam_eval::principal_entries(element) {
            let Some(entry) = entry else { continue };
            let listed = match kind.as_str() {
                "Service" => Some(format!("the service {entry}")),
                "Federated" => Some(format!("the identity provider {entry}")),
                "CanonicalUser" => Some(format!("the canonical user {entry}")),
                "AWS" => match iam_eval::parse_entry(&entry) {
                    Entry::Account(a) if a == customer => Some(format!("your own account {a}")),
                    Entry::Role { account, .. }
                    | Entry::Session { account, .. }
                    | Entry::OtherPrincipal { account }
                        if account == customer =>
                    {
                        Some(format!("{entry} of your own account"))
                    }
                    Entry::Deleted => Some(format!(
                        "{entry}, a principal that was deleted (it matches nobody)"
                    )),
                    _ => None,
                },
                _ => None,
            };
            if let Some(listed) = listed {
                also_trusted.push(format!("{label} also trusts {listed}"));
            }
        }
    }

    let mut blocking_denies: Vec<usize> = probes
        .iter()
        .filter(|p| p.kind == ProbeKind::SegmentWithId)
        .filter_map(|p| p.evaluation.as_ref())
        .flat_map(|e| e.statements.iter())
        .filter(|t| t.effect != iam_eval::Effect::Allow && t.result.possible())
        .map(|t| t.number)
        .collect();
    blocking_denies.sort_unstable();
    blocking_denies.dedup();

    Judgement {
        subject: subject.clone(),
        probes,
        warnings,
        also_trusted,
        blocking_denies,
    }
}
