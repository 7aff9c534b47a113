//! Judging an existing role the way IAM evaluates it, and the smallest repair that provably makes
//! it right. Pure: the engine reads the role, this decides.
//!
//! The trust policy is judged by asking the evaluator ([`crate::model::iam_eval`]) concrete questions,
//! the probes: Segment's principal with your external ID must be allowed; Segment's principal with
//! no external ID or another one, another principal of Segment's account, any other AWS account
//! and anyone at all must be denied. A role is right only when every probe holds. Anything the
//! evaluator does not understand counts as "could allow".

use crate::model::catalog::{ExternalIdSource, Integration};
use crate::model::iam_eval::{
    self, Accounts, Decision, Entry, Evaluation, KeyValue, Request, StatementTrace, Tri, Who,
};
use crate::model::policy;
use serde_json::{Map, Value, json};

pub const ASSUME_ROLE: &str = "sts:AssumeRole";
const EXTERNAL_ID_KEY: &str = "sts:ExternalId";

/// What the judgement is about: the integration's principal, the IDs Segment will send, and the
/// role's own account (its principals are the customer's to trust).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub principal: String,
    pub external_ids: Vec<String>,
    pub customer_account: String,
    /// The IDs are Segment workspace IDs: not secret, and several may be trusted on purpose.
    pub workspace_ids: bool,
    /// Now, in seconds since the epoch, for date conditions.
    pub now: i64,
    /// A rotation is under way (the saved setup says so): an extra strong ID the role accepts is
    /// a warning, not a failure.
    pub rotating: bool,
}

/// The account in an IAM ARN (`arn:aws:iam::ACCOUNT:...`).
pub fn account_in_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| iam_eval::is_account_id(a))
}

impl Subject {
    pub fn new(
        integration: &Integration,
        external_ids: Vec<String>,
        role_arn: &str,
        now: i64,
    ) -> Subject {
        Subject {
            principal: integration.principal.clone(),
            external_ids,
            customer_account: account_in_arn(role_arn).unwrap_or_default().to_string(),
            workspace_ids: integration.external_id.source == ExternalIdSource::WorkspaceId,
            now,
            rotating: false,
        }
    }

    /// The same subject, with a rotation under way or not.
    pub fn with_rotation(mut self, rotating: bool) -> Subject {
        self.rotating = rotating;
        self
    }

    /// Segment's account: the principal's own.
    pub fn segment_account(&self) -> String {
        iam_eval::role_of(&self.principal)
            .map(|(account, _)| account)
            .or_else(|| iam_eval::account_of_principal(&self.principal))
            .unwrap_or_default()
    }

    fn segment_role_name(&self) -> Option<String> {
        iam_eval::role_of(&self.principal).map(|(_, name)| name)
    }

    fn segment(&self) -> Who {
        match iam_eval::role_of(&self.principal) {
            Some(_) => Who::Role(self.principal.clone()),
            None => Who::InAccount {
                account: self.segment_account(),
                except_role: None,
            },
        }
    }

    fn id_word(&self) -> &'static str {
        if self.workspace_ids {
            "workspace ID"
        } else {
            "external ID"
        }
    }

    /// How an ID may be shown: workspace IDs as they are, secrets masked.
    fn shown_id(&self, id: &str) -> String {
        if self.workspace_ids {
            id.to_string()
        } else {
            crate::model::external_id::masked(id)
        }
    }
}

/// The questions asked of every trust policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProbeKind {
    SegmentWithId,
    SegmentWithoutId,
    SegmentOtherId,
    SegmentAccountOther,
    OtherAccount,
    Anonymous,
    /// Segment's principal with an ID the role accepts besides yours that it must not: one
    /// anyone can guess, or (no rotation under way) one that isn't yours.
    SegmentExtraId,
}

impl ProbeKind {
    /// Who asks, as the explanations say it.
    fn asker(self) -> &'static str {
        match self {
            ProbeKind::SegmentExtraId => {
                "Segment's principal with an external ID the role accepts besides yours"
            }
            ProbeKind::SegmentWithId => "Segment's principal",
            ProbeKind::SegmentWithoutId => "Segment's principal with no external ID",
            ProbeKind::SegmentOtherId => {
                "Segment's principal with another external ID (another Segment customer's)"
            }
            ProbeKind::SegmentAccountOther => "another principal of Segment's account",
            ProbeKind::OtherAccount => "any other AWS account",
            ProbeKind::Anonymous => "anyone, signed or not",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    pub kind: ProbeKind,
    pub question: String,
    pub expected: Decision,
    /// `None` when the question does not apply to this integration.
    pub answer: Option<Decision>,
    /// One plain sentence per statement that makes it fail.
    pub why: Vec<String>,
    /// Why the question was not asked.
    pub not_asked: Option<String>,
    pub request: Option<Request>,
    pub evaluation: Option<Evaluation>,
}

impl ProbeResult {
    pub fn holds(&self) -> bool {
        self.answer.is_none_or(|answer| answer == self.expected)
    }

    /// The answer as a word, in capitals when the probe fails.
    pub fn answer_word(&self) -> String {
        let word = match (self.answer, self.expected) {
            (None, _) => return "not asked".into(),
            (Some(Decision::Uncertain), Decision::Denied) => "could be allowed",
            (Some(Decision::Uncertain), _) => "may be refused",
            (Some(Decision::Allowed), _) => "allowed",
            (Some(Decision::Denied), _) => "denied",
        };
        if self.holds() {
            word.to_string()
        } else {
            word.to_uppercase()
        }
    }
}

/// How a report line is marked in every face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Pass,
    Fail,
    Warn,
    Info,
    Skip,
    /// An explanation under the line before it.
    Detail,
}

impl Mark {
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Pass => "✓",
            Mark::Fail => "✗",
            Mark::Warn => "!",
            Mark::Info => "·",
            Mark::Skip => "–",
            Mark::Detail => " ",
        }
    }
}

/// One line of a report, the same in every face.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Line {
    pub mark: Mark,
    pub text: String,
}

impl Line {
    fn new(mark: Mark, text: impl Into<String>) -> Line {
        Line {
            mark,
            text: text.into(),
        }
    }

    /// As plain text: the mark, then the text (details indented).
    pub fn plain(&self) -> String {
        match self.mark {
            Mark::Detail => format!("    {}", self.text),
            mark => format!("{} {}", mark.symbol(), self.text),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub subject: Subject,
    pub probes: Vec<ProbeResult>,
    /// Worth knowing, not failing: an extra external ID a rotation left behind.
    pub warnings: Vec<String>,
    /// Principals the customer chose (services, their own account): listed, not judged.
    pub also_trusted: Vec<String>,
    /// Deny statements (1-based) that refuse Segment or may: removed only when confirmed one by one.
    pub blocking_denies: Vec<usize>,
}

impl Judgement {
    /// Every probe holds.
    pub fn holds(&self) -> bool {
        self.probes.iter().all(ProbeResult::holds)
    }

    /// Segment's principal gets in without your external ID: the confused-deputy case.
    pub fn confused_deputy_risk(&self) -> bool {
        self.probes.iter().any(|p| {
            matches!(
                p.kind,
                ProbeKind::SegmentWithoutId | ProbeKind::SegmentOtherId
            ) && !p.holds()
        })
    }

    pub fn failing(&self) -> impl Iterator<Item = &ProbeResult> {
        self.probes.iter().filter(|p| !p.holds())
    }

    /// The probe table and what goes with it, as every face shows it.
    pub fn lines(&self) -> Vec<Line> {
        let mut lines = vec![Line::new(
            Mark::Info,
            format!("Segment's principal: {}", self.subject.principal),
        )];
        for probe in &self.probes {
            match &probe.not_asked {
                Some(reason) => lines.push(Line::new(
                    Mark::Skip,
                    format!("{:<40} not asked: {reason}", probe.question),
                )),
                None => {
                    lines.push(Line::new(
                        if probe.holds() {
                            Mark::Pass
                        } else {
                            Mark::Fail
                        },
                        format!(
                            "{:<40} must be {:<8} {}",
                            probe.question,
                            probe.expected,
                            probe.answer_word()
                        ),
                    ));
                    if !probe.holds() {
                        lines.extend(probe.why.iter().map(|w| Line::new(Mark::Detail, w.clone())));
                        if probe.kind == ProbeKind::SegmentWithoutId {
                            lines.push(Line::new(
                                Mark::Detail,
                                "this is the confused-deputy risk: another Segment customer could make Segment assume your role",
                            ));
                        }
                    }
                }
            }
        }
        lines.extend(
            self.warnings
                .iter()
                .map(|w| Line::new(Mark::Warn, w.clone())),
        );
        lines.extend(
            self.also_trusted
                .iter()
                .map(|t| Line::new(Mark::Info, format!("{t} (listed, not judged)"))),
        );
        lines
    }

    pub fn to_json(&self) -> Value {
        json!({
            "principal": self.subject.principal,
            "holds": self.holds(),
            "probes": self.probes.iter().map(|p| json!({
                "id": p.kind,
                "question": p.question,
                "expected": p.expected,
                "answer": p.answer,
                "holds": p.holds(),
                "why": p.why,
                "notAsked": p.not_asked,
            })).collect::<Vec<_>>(),
            "warnings": self.warnings,
            "alsoTrusted": self.also_trusted,
        })
    }
}

/// The request Segment's principal makes, with `external_id` as the `sts:ExternalId` key.
fn segment_request(subject: &Subject, external_id: KeyValue) -> Request {
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
fn extra_id_problem(id: &str, subject: &Subject) -> Option<String> {
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
fn listed_external_ids(statement: &Value) -> Vec<String> {
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

fn show_values(key: &str, values: &[String], subject: &Subject) -> String {
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
fn reasons(trace: &StatementTrace, kind: ProbeKind, subject: &Subject) -> Vec<String> {
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
fn why_allowed(evaluation: &Evaluation, kind: ProbeKind, subject: &Subject) -> Vec<String> {
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
fn why_refused(evaluation: &Evaluation, subject: &Subject) -> Vec<String> {
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

fn asked(
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
fn shrink(statement: &Value, number: usize, request: &Request) -> (Option<Value>, Vec<String>) {
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
fn without_external_id(statement: &Value, id: &str) -> Option<Value> {
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

// ---- A verified role, and its fix -----------------------------------------------------------

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
}

impl Verification {
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
            "After this repair Segment gets in only presenting a trusted ID: the workspace ID (or, when the destination's External ID setting is empty, a trusted source ID). If it uses this role now in another way, its deliveries fail until then.".to_string()
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

// ---- The permission side ---------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Catalog;

    const ID: &str = "an-external-id-that-is-long-enough-123";
    const ROLE: &str = "arn:aws:iam::123456789012:role/segment";

    fn subject(integration: &str, ids: &[&str]) -> Subject {
        let integration = Catalog::builtin().integration(integration).expect("known");
        Subject::new(
            integration,
            ids.iter().map(|s| s.to_string()).collect(),
            ROLE,
            1_795_000_000,
        )
    }

    fn answers(judgement: &Judgement) -> Vec<(ProbeKind, Option<Decision>)> {
        judgement
            .probes
            .iter()
            .map(|p| (p.kind, p.answer))
            .collect()
    }

    #[test]
    fn the_documented_policy_holds_for_every_integration() {
        for (integration, id) in [
            ("destination-function", ID),
            ("source-function", ID),
            ("lambda-destination", "wXZ2sd8N3mJ"),
        ] {
            let subject = subject(integration, &[id]);
            let document = policy::trust_policy(&subject.principal, &subject.external_ids);
            let judgement = judge(&document, &subject);
            assert!(judgement.holds(), "{integration}: {:?}", judgement.lines());
            assert!(judgement.warnings.is_empty());
            assert_eq!(repair(&document, &subject, &[]), RepairPlan::NotNeeded);
        }
    }

    #[test]
    fn no_condition_is_the_confused_deputy_and_the_repair_replaces_it() {
        let subject = subject("destination-function", &[ID]);
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Segment", "Effect": "Allow", "Principal": {"AWS": subject.principal}, "Action": "sts:AssumeRole"}
        ]});
        let judgement = judge(&document, &subject);
        assert!(judgement.confused_deputy_risk());
        let failing: Vec<ProbeKind> = judgement.failing().map(|p| p.kind).collect();
        assert_eq!(
            failing,
            [ProbeKind::SegmentWithoutId, ProbeKind::SegmentOtherId]
        );
        let why = &judgement.probes[1].why[0];
        assert!(why.starts_with("statement 1 (\"Segment\") lets Segment's principal with no external ID assume the role"), "{why}");
        assert!(why.contains("no sts:ExternalId condition"), "{why}");
        let RepairPlan::Proposed {
            document: fixed,
            after,
            ..
        } = repair(&document, &subject, &[])
        else {
            panic!("a repair");
        };
        assert!(after.holds());
        assert_eq!(
            fixed,
            policy::trust_policy(&subject.principal, &[ID.into()])
        );
    }

    #[test]
    fn only_the_offending_principal_is_removed_from_a_list() {
        let subject = subject("lambda-destination", &["wXZ2sd8N3mJ"]);
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [subject.principal, "arn:aws:iam::999999999999:root", "arn:aws:iam::123456789012:root"]},
             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}}}
        ]});
        let judgement = judge(&document, &subject);
        assert_eq!(
            judgement.failing().map(|p| p.kind).collect::<Vec<_>>(),
            [ProbeKind::OtherAccount]
        );
        assert!(
            judgement.probes[4].why[0].contains("account 999999999999"),
            "{:?}",
            judgement.probes[4].why
        );
        let RepairPlan::Proposed {
            document: fixed, ..
        } = repair(&document, &subject, &[])
        else {
            panic!("a repair");
        };
        assert_eq!(
            fixed["Statement"][0]["Principal"]["AWS"],
            json!([subject.principal, "arn:aws:iam::123456789012:root"])
        );
        assert_eq!(fixed["Statement"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn segments_2019_template_trusts_the_whole_account() {
        let subject = subject("lambda-destination", &["wXZ2sd8N3mJ"]);
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::595280932656:root"},
             "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}}}
        ]});
        let judgement = judge(&document, &subject);
        assert_eq!(
            judgement.failing().map(|p| p.kind).collect::<Vec<_>>(),
            [ProbeKind::SegmentAccountOther]
        );
        let RepairPlan::Proposed {
            document: fixed, ..
        } = repair(&document, &subject, &[])
        else {
            panic!("a repair");
        };
        assert_eq!(
            fixed,
            policy::trust_policy(&subject.principal, &["wXZ2sd8N3mJ".into()])
        );
    }

    #[test]
    fn a_deny_that_blocks_segment_goes_only_when_confirmed() {
        let subject = subject("destination-function", &[ID]);
        let mut document = policy::trust_policy(&subject.principal, &[ID.into()]);
        document["Statement"].as_array_mut().expect("list").push(
            json!({"Sid": "Lockdown", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}),
        );
        let judgement = judge(&document, &subject);
        assert_eq!(judgement.blocking_denies, [2]);
        assert!(
            judgement.probes[0].why[0]
                .starts_with("statement 2 (\"Lockdown\") denies Segment's principal"),
            "{:?}",
            judgement.probes[0].why
        );
        let RepairPlan::Refused {
            blocking_denies,
            reasons,
        } = repair(&document, &subject, &[])
        else {
            panic!("refused without confirmation");
        };
        assert_eq!(blocking_denies, [2]);
        assert!(reasons.iter().any(|r| r.contains("only when you confirm")));
        let RepairPlan::Proposed {
            document: fixed, ..
        } = repair(&document, &subject, &[2])
        else {
            panic!("a repair once confirmed");
        };
        assert_eq!(
            fixed,
            policy::trust_policy(&subject.principal, &[ID.into()])
        );
    }

    /// Extra IDs are judged: for a function, one anyone can guess (a published default such as
    /// Segment's 2019 `external-id`, `*`, under 32 characters) is NOT OK, as is any other ID
    /// outside a rotation; during one, a strong extra ID is a warning. A Deny-revoked ID, or
    /// one on a statement not for sts:AssumeRole, is not accepted at all. For a workspace-ID
    /// integration an extra ID must look like Segment's. --fix removes only the extra ID.
    #[test]
    fn extra_ids_are_judged_and_the_fix_removes_only_them() {
        let subject_f = subject("destination-function", &[ID]);
        let principal = subject_f.principal.clone();
        let rotated_out = "old-rotated-out-external-id-000000";
        for extra in ["external-id", "*", "short-but-random-Xy7", rotated_out] {
            let document = policy::trust_policy(&principal, &[ID.into(), extra.into()]);
            let judgement = judge(&document, &subject_f);
            assert!(!judgement.holds(), "{extra}: {:?}", judgement.lines());
            let probe = judgement
                .failing()
                .find(|p| p.kind == ProbeKind::SegmentExtraId)
                .unwrap_or_else(|| panic!("{extra}: an extra-ID probe"));
            assert!(probe.why[0].starts_with("statement 1"), "{:?}", probe.why);
            if extra == "external-id" || extra == "*" {
                assert!(
                    probe.question.contains(&format!("{extra:?}")),
                    "{}",
                    probe.question
                );
            } else {
                assert!(
                    !probe.question.contains(extra),
                    "masked: {}",
                    probe.question
                );
            }
            let RepairPlan::Proposed {
                document: fixed,
                changes,
                ..
            } = repair(&document, &subject_f, &[])
            else {
                panic!("{extra}: a repair");
            };
            assert_eq!(
                fixed,
                policy::trust_policy(&principal, &[ID.into()]),
                "{extra}"
            );
            assert!(
                changes[0].contains("stop accepting external ID"),
                "{changes:?}"
            );
        }
        // During a rotation the strong extra ID is expected: a warning naming how to finish it.
        let document = policy::trust_policy(&principal, &[ID.into(), rotated_out.into()]);
        let rotating = subject_f.clone().with_rotation(true);
        let judgement = judge(&document, &rotating);
        assert!(judgement.holds(), "{:?}", judgement.lines());
        assert!(
            judgement.warnings[0].contains("old-••••"),
            "masked: {}",
            judgement.warnings[0]
        );
        assert!(judgement.warnings[0].contains("--finish-rotation"));
        // ...but a guessable one fails even then.
        let document = policy::trust_policy(&principal, &[ID.into(), "external-id".into()]);
        assert!(!judge(&document, &rotating).holds());
        // A Deny that revokes the extra ID, or a statement that isn't for sts:AssumeRole: not
        // accepted, so nothing extra.
        let mut revoked = policy::trust_policy(&principal, &[ID.into(), rotated_out.into()]);
        revoked["Statement"]
            .as_array_mut()
            .expect("list")
            .push(json!({
                "Effect": "Deny", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": rotated_out}}
            }));
        assert_eq!(accepted_external_ids(&revoked, &subject_f), [ID]);
        let judged = judge(&revoked, &subject_f);
        assert!(judged.holds(), "{:#?}", judged.lines());
        let mut tagging = policy::trust_policy(&principal, &[ID.into()]);
        tagging["Statement"]
            .as_array_mut()
            .expect("list")
            .push(json!({
                "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:TagSession",
                "Condition": {"StringEquals": {"sts:ExternalId": rotated_out}}
            }));
        assert_eq!(accepted_external_ids(&tagging, &subject_f), [ID]);
        // The Lambda destination: other workspace IDs are listed; anything else fails.
        let subject_l = subject("lambda-destination", &["wXZ2sd8N3mJ"]);
        let document = policy::trust_policy(
            &subject_l.principal,
            &["wXZ2sd8N3mJ".into(), "otherWorkspace1".into()],
        );
        let judgement = judge(&document, &subject_l);
        assert!(judgement.holds());
        assert!(judgement.also_trusted[0].contains("otherWorkspace1"));
        for bad in ["external-id", "#SEGMENT_WORKSPACE_ID", "*"] {
            let document =
                policy::trust_policy(&subject_l.principal, &["wXZ2sd8N3mJ".into(), bad.into()]);
            assert!(!judge(&document, &subject_l).holds(), "{bad}");
        }
    }

    #[test]
    fn services_and_the_customers_own_account_are_listed_not_judged() {
        let subject = subject("source-function", &[ID]);
        let mut document = policy::trust_policy(&subject.principal, &[ID.into()]);
        let list = document["Statement"].as_array_mut().expect("list");
        list.push(json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}));
        list.push(json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}));
        let judgement = judge(&document, &subject);
        assert!(judgement.holds(), "{:?}", judgement.lines());
        assert_eq!(judgement.also_trusted.len(), 2);
        assert!(judgement.also_trusted[0].contains("lambda.amazonaws.com"));
        assert!(judgement.also_trusted[1].contains("your own account 123456789012"));
        assert_eq!(
            answers(&judgement)[3],
            (ProbeKind::SegmentAccountOther, None)
        );
    }

    #[test]
    fn permission_extras_are_flagged_beyond_a_preset() {
        let wanted = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]});
        let admin = ManagedPolicy {
            name: "AdministratorAccess".into(),
            arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
            document: Some(
                json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            ),
        };
        let permissions = judge_permissions(
            Some(("segment-permissions", &wanted)),
            vec![("segment-permissions".into(), wanted.clone())],
            vec![admin.clone()],
        );
        assert!(!permissions.is_right());
        assert!(
            permissions
                .lines
                .iter()
                .any(|l| l.text.contains("AdministratorAccess"))
        );
        assert!(
            permissions
                .lines
                .iter()
                .any(|l| l.text.contains("every action"))
        );
        let listed = judge_permissions(None, Vec::new(), vec![admin]);
        assert!(listed.is_right(), "without a preset, extras are warnings");
        assert_eq!(listed.lines[0].mark, Mark::Warn);
    }

    #[test]
    fn required_external_ids_are_those_listed_for_the_principal() {
        let principal = "arn:aws:iam::458175278816:root";
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": ["id-one", "id-two"]}}},
            {"Effect": "Allow", "Principal": {"AWS": ["458175278816"]}, "Action": "sts:AssumeRole",
             "Condition": {"StringLike": {"sts:ExternalId": ["id-one", "wild*"]}}},
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "someone-else"}}},
            {"Effect": "Deny", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "denied"}}}
        ]});
        assert_eq!(
            required_external_ids(&document, principal),
            ["id-one", "id-two"]
        );
        assert!(required_external_ids(&json!({}), principal).is_empty());
    }
}
