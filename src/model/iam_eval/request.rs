//! The evaluator's vocabulary: three-valued answers (`Tri`), who asks (`Who`), the values a
//! request's keys may take (`KeyValue`), the request, and the traces and decision an evaluation
//! returns.

use std::collections::BTreeMap;
use std::fmt;

/// A three-valued answer: for every request described, for none, or for some (or unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tri {
    Yes,
    No,
    Maybe,
}

impl Tri {
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Maybe,
        }
    }

    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Maybe,
        }
    }

    /// True unless it is certainly not so.
    pub fn possible(self) -> bool {
        self != Tri::No
    }

    pub(super) fn from_bool(value: bool) -> Tri {
        if value { Tri::Yes } else { Tri::No }
    }

    /// From "some value makes it true" and "every value makes it true".
    pub(super) fn from_quantifiers(exists: bool, forall: bool) -> Tri {
        match (exists, forall) {
            (_, true) => Tri::Yes,
            (true, false) => Tri::Maybe,
            (false, false) => Tri::No,
        }
    }

    /// Either of two cases may happen (a key may be absent or present).
    pub(super) fn either(self, other: Tri) -> Tri {
        if self == other { self } else { Tri::Maybe }
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Maybe => Tri::Maybe,
        }
    }
}

/// Who asks to assume the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The sessions of one role, `arn:aws:iam::ACCOUNT:role/NAME`.
    Role(String),
    /// Some principal of this account; which one is not known. `except_role` is a role name of
    /// that account the asker is known not to be.
    InAccount {
        account: String,
        except_role: Option<String>,
    },
    /// Some principal of an account that is not one of these.
    OutsideAccounts(Vec<String>),
    /// A request signed by nobody.
    Anonymous,
}

/// Which accounts an ARN in the request context may belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    Only(String),
    Outside(Vec<String>),
}

impl Accounts {
    pub(super) fn may_hold(&self, account: &str) -> bool {
        match self {
            Accounts::Only(only) => only == account,
            Accounts::Outside(list) => is_account_id(account) && !list.iter().any(|a| a == account),
        }
    }
}

/// What the request carries for one condition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    /// These values exactly.
    Known(Vec<String>),
    /// The key is not in the request.
    Absent,
    /// Any value or none: what an attacker chooses, or what this tool can't know.
    Any,
    /// Present, one value, any string except these.
    AnyExcept(Vec<String>),
    /// Present: the ARN of some principal of these accounts, never of the role named `except_role`.
    PrincipalArn {
        accounts: Accounts,
        except_role: Option<String>,
    },
}

/// One question for the evaluator: who asks, for what action, with what context. Keys not in
/// `context` are [`KeyValue::Any`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub who: Who,
    pub action: String,
    /// Condition keys in lower case (IAM compares them case-insensitively).
    pub context: BTreeMap<String, KeyValue>,
}

impl Request {
    pub fn new(who: Who, action: &str) -> Request {
        Request {
            who,
            action: action.to_string(),
            context: BTreeMap::new(),
        }
    }

    pub fn with(mut self, key: &str, value: KeyValue) -> Request {
        self.context.insert(key.to_ascii_lowercase(), value);
        self
    }

    pub fn key(&self, key: &str) -> &KeyValue {
        self.context
            .get(&key.to_ascii_lowercase())
            .unwrap_or(&KeyValue::Any)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
    /// Neither `Allow` nor `Deny` as IAM spells them: counted as possibly either.
    NotUnderstood,
}

/// How a statement's principal element met the asker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalTrace {
    pub result: Tri,
    /// `NotPrincipal` rather than `Principal`.
    pub negated: bool,
    /// The entries that match the asker (or may), described for people.
    pub matched: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionTrace {
    /// As written in the policy.
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
    pub result: Tri,
    /// The condition holds because the key is missing from the request (IfExists, a negated
    /// operator, ForAllValues, Null).
    pub holds_when_missing: bool,
    /// The operator or a value was not understood (counted as `Maybe`).
    pub not_understood: bool,
}

impl ConditionTrace {
    pub fn is_on(&self, key: &str) -> bool {
        self.key.eq_ignore_ascii_case(key)
    }
}

/// One statement, evaluated for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementTrace {
    /// 1-based, as people count.
    pub number: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: PrincipalTrace,
    pub action: Tri,
    /// The Action element when it is more than the plain action (a wildcard, NotAction).
    pub action_note: Option<String>,
    pub conditions: Vec<ConditionTrace>,
    /// Whether the statement applies to the request: principal, action and every condition.
    pub result: Tri,
}

impl StatementTrace {
    /// "statement 2" or `statement 2 ("AllowSegment")`.
    pub fn label(&self) -> String {
        statement_label(self.number, self.sid.as_deref())
    }

    pub(super) fn allows(&self) -> Tri {
        match self.effect {
            Effect::Allow => self.result,
            Effect::Deny => Tri::No,
            Effect::NotUnderstood => self.result.and(Tri::Maybe),
        }
    }

    pub(super) fn denies(&self) -> Tri {
        match self.effect {
            Effect::Deny => self.result,
            Effect::Allow => Tri::No,
            Effect::NotUnderstood => self.result.and(Tri::Maybe),
        }
    }
}

/// "statement 2", or `statement 2 ("AllowSegment")` when it has a Sid.
pub fn statement_label(number: usize, sid: Option<&str>) -> String {
    match sid {
        Some(sid) if !sid.is_empty() => format!("statement {number} ({sid:?})"),
        _ => format!("statement {number}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allowed,
    Denied,
    /// Allowed for some of the requests described, or depending on what can't be known.
    Uncertain,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
            Decision::Uncertain => "uncertain",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    pub allow: Tri,
    pub deny: Tri,
    pub statements: Vec<StatementTrace>,
    /// The document has no readable `Statement`: nothing in it can be relied on.
    pub unreadable: bool,
}

pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}
