//! Who the trust policy is judged for (the integration's principal, the external ID), the probes
//! asked, and the judgement's parts: marks, lines and the judgement itself.

use crate::model::catalog::{ExternalIdSource, Integration};
use crate::model::iam_eval::{self, Decision, Evaluation, Request, Who};
use serde_json::{Value, json};

pub const ASSUME_ROLE: &str = "sts:AssumeRole";
pub(super) const EXTERNAL_ID_KEY: &str = "sts:ExternalId";

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

    pub(super) fn segment_role_name(&self) -> Option<String> {
        iam_eval::role_of(&self.principal).map(|(_, name)| name)
    }

    pub(super) fn segment(&self) -> Who {
        match iam_eval::role_of(&self.principal) {
            Some(_) => Who::Role(self.principal.clone()),
            None => Who::InAccount {
                account: self.segment_account(),
                except_role: None,
            },
        }
    }

    pub(super) fn id_word(&self) -> &'static str {
        if self.workspace_ids {
            "workspace ID"
        } else {
            "external ID"
        }
    }

    /// How an ID may be shown: workspace IDs as they are, secrets masked.
    pub(super) fn shown_id(&self, id: &str) -> String {
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
    pub(super) fn asker(self) -> &'static str {
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
    pub(super) fn new(mark: Mark, text: impl Into<String>) -> Line {
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
