//! IAM's evaluation logic for trust policies, as a pure function: would IAM let this principal
//! call `sts:AssumeRole` with this request context? An explicit Deny wins; otherwise an Allow
//! that matches; otherwise the implicit deny.
//!
//! The answers are three-valued, because a request is often only partly known: "any principal
//! of another account", "an external ID other than yours", a key such as `aws:SourceIp` that this
//! tool can't know. [`Tri::Yes`] means "for every request this describes", [`Tri::No`] "for
//! none", [`Tri::Maybe`] "for some, or we can't tell". Anything not understood (an unknown
//! operator, a policy variable, a malformed element) is `Maybe`, so it can only ever count as
//! "could allow", never as safe.
//!
//! No maintained crate fitted: `iam-rs` and `scratchstack-aspen` answer for one concrete request
//! and treat what they don't understand as a non-match, which is the unsafe direction here.

use regex::Regex;
use serde_json::Value;
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

    fn from_bool(value: bool) -> Tri {
        if value { Tri::Yes } else { Tri::No }
    }

    /// From "some value makes it true" and "every value makes it true".
    fn from_quantifiers(exists: bool, forall: bool) -> Tri {
        match (exists, forall) {
            (_, true) => Tri::Yes,
            (true, false) => Tri::Maybe,
            (false, false) => Tri::No,
        }
    }

    /// Either of two cases may happen (a key may be absent or present).
    fn either(self, other: Tri) -> Tri {
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
    fn may_hold(&self, account: &str) -> bool {
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

    fn allows(&self) -> Tri {
        match self.effect {
            Effect::Allow => self.result,
            Effect::Deny => Tri::No,
            Effect::NotUnderstood => self.result.and(Tri::Maybe),
        }
    }

    fn denies(&self) -> Tri {
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

/// IAM's order: an explicit deny wins, then an allow, then the implicit deny.
fn decide(allow: Tri, deny: Tri) -> Decision {
    if deny == Tri::Yes || allow == Tri::No {
        Decision::Denied
    } else if allow == Tri::Yes && deny == Tri::No {
        Decision::Allowed
    } else {
        Decision::Uncertain
    }
}

/// A policy's statements, whether `Statement` is one object or a list; `None` when it has none
/// that can be read.
pub fn statements(document: &Value) -> Option<Vec<&Value>> {
    match document.get("Statement") {
        Some(Value::Array(list)) => Some(list.iter().collect()),
        Some(one @ Value::Object(_)) => Some(vec![one]),
        _ => None,
    }
}

/// Evaluates a whole policy for a request.
pub fn evaluate(document: &Value, request: &Request) -> Evaluation {
    let Some(list) = statements(document) else {
        return Evaluation {
            decision: Decision::Uncertain,
            allow: Tri::Maybe,
            deny: Tri::Maybe,
            statements: Vec::new(),
            unreadable: true,
        };
    };
    let traces: Vec<StatementTrace> = list
        .iter()
        .enumerate()
        .map(|(index, statement)| evaluate_statement(statement, index + 1, request))
        .collect();
    let allow = traces.iter().fold(Tri::No, |acc, t| acc.or(t.allows()));
    let deny = traces.iter().fold(Tri::No, |acc, t| acc.or(t.denies()));
    Evaluation {
        decision: decide(allow, deny),
        allow,
        deny,
        statements: traces,
        unreadable: false,
    }
}

/// Evaluates one statement (numbered `number`) for a request.
pub fn evaluate_statement(statement: &Value, number: usize, request: &Request) -> StatementTrace {
    let sid = statement
        .get("Sid")
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(object) = statement.as_object() else {
        return StatementTrace {
            number,
            sid,
            effect: Effect::NotUnderstood,
            principal: PrincipalTrace {
                result: Tri::Maybe,
                negated: false,
                matched: vec!["a statement that is not a JSON object".into()],
            },
            action: Tri::Maybe,
            action_note: None,
            conditions: Vec::new(),
            result: Tri::Maybe,
        };
    };
    let effect = match object.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => Effect::NotUnderstood,
    };
    let principal = match (object.get("Principal"), object.get("NotPrincipal")) {
        (Some(element), None) => principal_element(element, &request.who, false),
        (None, Some(element)) => principal_element(element, &request.who, true),
        _ => PrincipalTrace {
            result: Tri::Maybe,
            negated: false,
            matched: vec!["no single Principal or NotPrincipal element".into()],
        },
    };
    let (action, action_note) = action_element(object, &request.action);
    let conditions = match object.get("Condition") {
        None => Vec::new(),
        Some(block) => condition_block(block, request),
    };
    let condition = conditions.iter().fold(Tri::Yes, |acc, c| acc.and(c.result));
    StatementTrace {
        number,
        sid,
        effect,
        result: principal.result.and(action).and(condition),
        principal,
        action,
        action_note,
        conditions,
    }
}

// ---- Principal -------------------------------------------------------------------------------

pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// A principal entry as IAM understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `*`: everyone, anonymous included.
    Everyone,
    /// `123456789012` or `arn:aws:iam::123456789012:root`: every principal of the account.
    Account(String),
    /// A role: its sessions.
    Role {
        account: String,
        name: String,
    },
    /// One session of a role.
    Session {
        account: String,
        role: String,
    },
    /// A user or federated user.
    OtherPrincipal {
        account: String,
    },
    /// A unique ID (`AROA…`): what IAM shows once the principal it named was deleted.
    Deleted,
    NotUnderstood,
}

fn has_wildcard(text: &str) -> bool {
    text.contains('*') || text.contains('?')
}

/// Reads an `AWS` principal entry.
pub fn parse_entry(text: &str) -> Entry {
    if text == "*" {
        return Entry::Everyone;
    }
    if is_account_id(text) {
        return Entry::Account(text.to_string());
    }
    if has_wildcard(text) {
        // IAM refuses partial wildcards in a principal; if one is there, nothing is certain.
        return Entry::NotUnderstood;
    }
    if let Some(rest) = text.strip_prefix("arn:aws:") {
        let parts: Vec<&str> = rest.splitn(4, ':').collect();
        if let [service, "", account, resource] = parts.as_slice()
            && is_account_id(account)
        {
            let account = account.to_string();
            match *service {
                "iam" if *resource == "root" => return Entry::Account(account),
                "iam" => {
                    if let Some(path_and_name) = resource.strip_prefix("role/") {
                        let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
                        return Entry::Role {
                            account,
                            name: name.to_string(),
                        };
                    }
                    if resource.starts_with("user/") {
                        return Entry::OtherPrincipal { account };
                    }
                }
                "sts" => {
                    if let Some(rest) = resource.strip_prefix("assumed-role/")
                        && let Some((role, _session)) = rest.split_once('/')
                    {
                        return Entry::Session {
                            account,
                            role: role.to_string(),
                        };
                    }
                    if resource.starts_with("federated-user/") {
                        return Entry::OtherPrincipal { account };
                    }
                }
                _ => {}
            }
        }
        return Entry::NotUnderstood;
    }
    let unique_id = text.len() >= 16
        && text.starts_with('A')
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if unique_id {
        Entry::Deleted
    } else {
        Entry::NotUnderstood
    }
}

/// The account and role name of a role ARN.
pub fn role_of(arn: &str) -> Option<(String, String)> {
    match parse_entry(arn) {
        Entry::Role { account, name } => Some((account, name)),
        _ => None,
    }
}

/// The account of an account principal, in either of IAM's two spellings.
pub fn account_of_principal(text: &str) -> Option<String> {
    match parse_entry(text) {
        Entry::Account(account) => Some(account),
        _ => None,
    }
}

fn same_role_name(a: &str, b: &str) -> bool {
    // Role names are unique in an account regardless of case.
    a.eq_ignore_ascii_case(b)
}

/// Whether an entry names the asker: every request described (Yes), some (Maybe), none (No).
pub fn entry_matches(entry: &Entry, who: &Who) -> Tri {
    use Entry as E;
    match (entry, who) {
        (E::Everyone, _) => Tri::Yes,
        (E::Deleted, _) => Tri::No,
        (E::NotUnderstood, _) => Tri::Maybe,
        (_, Who::Anonymous) => Tri::No,
        (E::Account(a), Who::Role(arn)) => {
            Tri::from_bool(role_of(arn).is_some_and(|(account, _)| &account == a))
        }
        (E::Account(a), Who::InAccount { account, .. }) => Tri::from_bool(a == account),
        (
            E::Account(account)
            | E::Role { account, .. }
            | E::Session { account, .. }
            | E::OtherPrincipal { account },
            Who::OutsideAccounts(list),
        ) => {
            if list.contains(account) {
                Tri::No
            } else {
                Tri::Maybe
            }
        }
        (E::Role { account, name }, Who::Role(arn)) => Tri::from_bool(
            role_of(arn).is_some_and(|(a, n)| &a == account && same_role_name(&n, name)),
        ),
        // A session of Segment's role matches only when Segment happens to use that session name.
        (E::Session { account, role }, Who::Role(arn)) => {
            if role_of(arn).is_some_and(|(a, n)| &a == account && same_role_name(&n, role)) {
                Tri::Maybe
            } else {
                Tri::No
            }
        }
        (
            E::Role {
                account,
                name: role,
            }
            | E::Session { account, role },
            Who::InAccount {
                account: asker,
                except_role,
            },
        ) => {
            if account != asker
                || except_role
                    .as_deref()
                    .is_some_and(|r| same_role_name(r, role))
            {
                Tri::No
            } else {
                Tri::Maybe
            }
        }
        (E::OtherPrincipal { .. }, Who::Role(_)) => Tri::No,
        (E::OtherPrincipal { account }, Who::InAccount { account: asker, .. }) => {
            if account == asker {
                Tri::Maybe
            } else {
                Tri::No
            }
        }
    }
}

/// The entries of a `Principal` element, by kind (`AWS`, `Service`, …); `*` alone is kind `*`.
pub fn principal_entries(element: &Value) -> Vec<(String, Option<String>)> {
    let strings = |value: &Value| -> Vec<Option<String>> {
        match value {
            Value::String(one) => vec![Some(one.clone())],
            Value::Array(many) => many
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => vec![None],
        }
    };
    match element {
        Value::String(text) => vec![("*".to_string(), Some(text.clone()))],
        Value::Object(kinds) => kinds
            .iter()
            .flat_map(|(kind, value)| {
                strings(value)
                    .into_iter()
                    .map(move |entry| (kind.clone(), entry))
            })
            .collect(),
        _ => vec![("?".to_string(), None)],
    }
}

fn describe_entry(kind: &str, text: &str, entry: &Entry) -> String {
    match (kind, entry) {
        ("*", Entry::Everyone) => "Principal is *".into(),
        (_, Entry::Everyone) => format!("Principal is {{\"{kind}\": \"*\"}}"),
        (_, Entry::Account(account)) => {
            format!("Principal names account {account} (every principal in it)")
        }
        _ => format!("Principal names {text}"),
    }
}

fn principal_element(element: &Value, who: &Who, negated: bool) -> PrincipalTrace {
    let mut result = Tri::No;
    let mut matched = Vec::new();
    for (kind, text) in principal_entries(element) {
        let (tri, description) = match (kind.as_str(), text.as_deref()) {
            ("*", Some("*")) => (Tri::Yes, "Principal is *".to_string()),
            ("AWS", Some(text)) => {
                let entry = parse_entry(text);
                let tri = entry_matches(&entry, who);
                (tri, describe_entry(&kind, text, &entry))
            }
            // Services, identity providers and S3's canonical users are not AWS principals: the
            // questions asked here are never theirs.
            ("Service" | "Federated" | "CanonicalUser", Some(_)) => (Tri::No, String::new()),
            (_, text) => (
                Tri::Maybe,
                format!(
                    "a principal this tool does not understand ({kind}: {})",
                    text.unwrap_or("not a string")
                ),
            ),
        };
        if tri.possible() {
            matched.push(description);
        }
        result = result.or(tri);
    }
    if negated {
        // NotPrincipal applies to everyone it does not name. Whether it excludes a role's
        // sessions depends on listing the session, the role and the account: counted as unsure.
        let applies = match result {
            Tri::Yes if !matches!(who, Who::Anonymous) => Tri::Maybe,
            other => !other,
        };
        return PrincipalTrace {
            result: applies,
            negated,
            matched,
        };
    }
    PrincipalTrace {
        result,
        negated,
        matched,
    }
}

// ---- Action ----------------------------------------------------------------------------------

/// IAM's wildcard match: `*` any run of characters, `?` one character.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if !has_wildcard(pattern) {
        return if ignore_case {
            pattern.to_lowercase() == text.to_lowercase()
        } else {
            pattern == text
        };
    }
    thread_local! {
        // Patterns repeat across probes and statements: compile each once.
        static COMPILED: std::cell::RefCell<std::collections::HashMap<(String, bool), Option<Regex>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > 4096 {
            cache.clear();
        }
        cache
            .entry((pattern.to_string(), ignore_case))
            .or_insert_with(|| {
                let mut expression = String::from(if ignore_case { "(?si)^" } else { "(?s)^" });
                for c in pattern.chars() {
                    match c {
                        '*' => expression.push_str(".*"),
                        '?' => expression.push('.'),
                        other => {
                            expression.push_str(&regex::escape(other.encode_utf8(&mut [0; 4])))
                        }
                    }
                }
                expression.push('$');
                Regex::new(&expression).ok()
            })
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    })
}

fn action_element(object: &serde_json::Map<String, Value>, action: &str) -> (Tri, Option<String>) {
    let (element, negated) = match (object.get("Action"), object.get("NotAction")) {
        (Some(element), None) => (element, false),
        (None, Some(element)) => (element, true),
        _ => {
            return (
                Tri::Maybe,
                Some("no single Action or NotAction element".into()),
            );
        }
    };
    let patterns: Vec<Option<&str>> = match element {
        Value::String(one) => vec![Some(one.as_str())],
        Value::Array(many) => many.iter().map(Value::as_str).collect(),
        _ => vec![None],
    };
    let matched = patterns.iter().fold(Tri::No, |acc, pattern| {
        acc.or(match pattern {
            Some(pattern) => Tri::from_bool(wildcard_match(pattern, action, true)),
            None => Tri::Maybe,
        })
    });
    let plain = !negated && patterns.len() == 1 && patterns[0] == Some(action);
    let written = element.to_string();
    let note = if plain {
        None
    } else if negated {
        Some(format!("NotAction {written} does not exclude {action}"))
    } else {
        Some(format!("Action {written} includes {action}"))
    };
    if negated {
        (!matched, note)
    } else {
        (matched, note)
    }
}

// ---- Condition -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    NumericEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    /// ArnEquals and ArnLike behave the same: each of the six parts matched with wildcards.
    ArnLike,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Operator {
    qualifier: Option<Qualifier>,
    base: Base,
    negated: bool,
    if_exists: bool,
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    (text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &text[prefix.len()..])
}

fn parse_operator(name: &str) -> Option<Operator> {
    let (qualifier, rest) = if let Some(rest) = strip_prefix_ignore_case(name, "ForAnyValue:") {
        (Some(Qualifier::ForAnyValue), rest)
    } else if let Some(rest) = strip_prefix_ignore_case(name, "ForAllValues:") {
        (Some(Qualifier::ForAllValues), rest)
    } else {
        (None, name)
    };
    let lower = rest.to_ascii_lowercase();
    let (core, if_exists) = match lower.strip_suffix("ifexists") {
        Some(core) => (core.to_string(), true),
        None => (lower, false),
    };
    let (base, negated) = match core.as_str() {
        "stringequals" => (Base::StringEquals, false),
        "stringnotequals" => (Base::StringEquals, true),
        "stringequalsignorecase" => (Base::StringEqualsIgnoreCase, false),
        "stringnotequalsignorecase" => (Base::StringEqualsIgnoreCase, true),
        "stringlike" => (Base::StringLike, false),
        "stringnotlike" => (Base::StringLike, true),
        "numericequals" => (Base::NumericEquals, false),
        "numericnotequals" => (Base::NumericEquals, true),
        "numericlessthan" => (Base::NumericLessThan, false),
        "numericlessthanequals" => (Base::NumericLessThanEquals, false),
        "numericgreaterthan" => (Base::NumericGreaterThan, false),
        "numericgreaterthanequals" => (Base::NumericGreaterThanEquals, false),
        "dateequals" => (Base::DateEquals, false),
        "datenotequals" => (Base::DateEquals, true),
        "datelessthan" => (Base::DateLessThan, false),
        "datelessthanequals" => (Base::DateLessThanEquals, false),
        "dategreaterthan" => (Base::DateGreaterThan, false),
        "dategreaterthanequals" => (Base::DateGreaterThanEquals, false),
        "bool" => (Base::Bool, false),
        "binaryequals" => (Base::BinaryEquals, false),
        "ipaddress" => (Base::IpAddress, false),
        "notipaddress" => (Base::IpAddress, true),
        "arnequals" | "arnlike" => (Base::ArnLike, false),
        "arnnotequals" | "arnnotlike" => (Base::ArnLike, true),
        "null" if !if_exists && qualifier.is_none() => (Base::Null, false),
        _ => return None,
    };
    Some(Operator {
        qualifier,
        base,
        negated,
        if_exists,
    })
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn condition_block(block: &Value, request: &Request) -> Vec<ConditionTrace> {
    let not_understood = |operator: &str, key: &str| ConditionTrace {
        operator: operator.to_string(),
        key: key.to_string(),
        values: Vec::new(),
        result: Tri::Maybe,
        holds_when_missing: false,
        not_understood: true,
    };
    let Some(operators) = block.as_object() else {
        return vec![not_understood("Condition", "(not an object)")];
    };
    let mut traces = Vec::new();
    for (name, keys) in operators {
        let operator = parse_operator(name);
        let Some(keys) = keys.as_object() else {
            traces.push(not_understood(name, "(not an object)"));
            continue;
        };
        for (key, raw) in keys {
            let values: Option<Vec<String>> = match raw {
                Value::Array(many) => many.iter().map(scalar).collect(),
                one => scalar(one).map(|v| vec![v]),
            };
            let (Some(operator), Some(values)) = (operator, values) else {
                traces.push(not_understood(name, key));
                continue;
            };
            let value = request.key(key);
            let policy_variable = values.iter().any(|v| v.contains("${"));
            // A policy variable's value is the request's own: unknown here, unless the key is
            // absent (then the value doesn't matter).
            let result = if policy_variable && *value != KeyValue::Absent {
                Tri::Maybe
            } else {
                condition(&operator, &values, value)
            };
            let missing = match value {
                KeyValue::Absent => Tri::Yes,
                KeyValue::Any => Tri::Maybe,
                KeyValue::Known(values) if values.is_empty() => Tri::Yes,
                _ => Tri::No,
            };
            let holds_when_missing = missing.possible()
                && result.possible()
                && if operator.base == Base::Null {
                    values.iter().any(|v| v.eq_ignore_ascii_case("true"))
                } else {
                    absent_result(&operator) == Tri::Yes
                };
            traces.push(ConditionTrace {
                operator: name.clone(),
                key: key.clone(),
                values,
                result,
                holds_when_missing,
                not_understood: policy_variable,
            });
        }
    }
    traces
}

/// What a condition gives when its key is not in the request (IAM's documented rules).
fn absent_result(operator: &Operator) -> Tri {
    if operator.if_exists {
        return Tri::Yes;
    }
    match operator.qualifier {
        Some(Qualifier::ForAllValues) => Tri::Yes,
        Some(Qualifier::ForAnyValue) => Tri::No,
        None => Tri::from_bool(operator.negated),
    }
}

fn condition(operator: &Operator, values: &[String], value: &KeyValue) -> Tri {
    if operator.base == Base::Null {
        return null_check(values, value);
    }
    let absent = absent_result(operator);
    match value {
        KeyValue::Absent => absent,
        KeyValue::Known(request) if request.is_empty() => absent,
        KeyValue::Known(request) => known(operator, values, request),
        KeyValue::Any => absent.either(symbolic(operator, values, &Symbolic::AnyExcept(&[]))),
        KeyValue::AnyExcept(except) => symbolic(operator, values, &Symbolic::AnyExcept(except)),
        KeyValue::PrincipalArn {
            accounts,
            except_role,
        } => symbolic(
            operator,
            values,
            &Symbolic::PrincipalArn(accounts, except_role.as_deref()),
        ),
    }
}

fn null_check(values: &[String], value: &KeyValue) -> Tri {
    let missing = match value {
        KeyValue::Absent => Tri::Yes,
        KeyValue::Known(request) => Tri::from_bool(request.is_empty()),
        KeyValue::Any => Tri::Maybe,
        KeyValue::AnyExcept(_) | KeyValue::PrincipalArn { .. } => Tri::No,
    };
    values.iter().fold(Tri::No, |acc, v| {
        acc.or(match v.to_ascii_lowercase().as_str() {
            "true" => missing,
            "false" => !missing,
            _ => Tri::Maybe,
        })
    })
}

/// The request's values are known: IAM's own comparison.
fn known(operator: &Operator, values: &[String], request: &[String]) -> Tri {
    let one = |r: &String| {
        let matched = values
            .iter()
            .fold(Tri::No, |acc, v| acc.or(compare(operator.base, v, r)));
        if operator.negated { !matched } else { matched }
    };
    match operator.qualifier {
        Some(Qualifier::ForAllValues) => request.iter().fold(Tri::Yes, |acc, r| acc.and(one(r))),
        _ => request.iter().fold(Tri::No, |acc, r| acc.or(one(r))),
    }
}

fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A date as seconds since the epoch: ISO 8601 (as IAM writes them) or epoch seconds.
fn date(text: &str) -> Option<f64> {
    if let Some(seconds) = number(text) {
        return Some(seconds);
    }
    let parsed = humantime::parse_rfc3339_weak(text.trim())
        .or_else(|_| humantime::parse_rfc3339_weak(&format!("{}T00:00:00Z", text.trim())))
        .ok()?;
    Some(match parsed.duration_since(std::time::UNIX_EPOCH) {
        Ok(after) => after.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    })
}

fn arn_like(pattern: &str, arn: &str) -> bool {
    let pattern: Vec<&str> = pattern.splitn(6, ':').collect();
    let arn: Vec<&str> = arn.splitn(6, ':').collect();
    pattern.len() == 6
        && arn.len() == 6
        && pattern
            .iter()
            .zip(&arn)
            .all(|(p, a)| wildcard_match(p, a, false))
}

/// One policy value against one request value.
fn compare(base: Base, policy: &str, request: &str) -> Tri {
    let numeric = |test: fn(f64, f64) -> bool| match (number(request), number(policy)) {
        (Some(r), Some(p)) => Tri::from_bool(test(r, p)),
        _ => Tri::Maybe,
    };
    let dated = |test: fn(f64, f64) -> bool| match (date(request), date(policy)) {
        (Some(r), Some(p)) => Tri::from_bool(test(r, p)),
        _ => Tri::Maybe,
    };
    match base {
        Base::StringEquals | Base::BinaryEquals => Tri::from_bool(policy == request),
        Base::StringEqualsIgnoreCase => {
            Tri::from_bool(policy.to_lowercase() == request.to_lowercase())
        }
        Base::StringLike => Tri::from_bool(wildcard_match(policy, request, false)),
        Base::NumericEquals => numeric(|r, p| r == p),
        Base::NumericLessThan => numeric(|r, p| r < p),
        Base::NumericLessThanEquals => numeric(|r, p| r <= p),
        Base::NumericGreaterThan => numeric(|r, p| r > p),
        Base::NumericGreaterThanEquals => numeric(|r, p| r >= p),
        Base::DateEquals => dated(|r, p| r == p),
        Base::DateLessThan => dated(|r, p| r < p),
        Base::DateLessThanEquals => dated(|r, p| r <= p),
        Base::DateGreaterThan => dated(|r, p| r > p),
        Base::DateGreaterThanEquals => dated(|r, p| r >= p),
        Base::Bool => match policy.to_ascii_lowercase().as_str() {
            "true" | "false" => Tri::from_bool(policy.eq_ignore_ascii_case(request)),
            _ => Tri::Maybe,
        },
        Base::IpAddress => {
            let network = policy.parse::<ipnet::IpNet>().ok().or_else(|| {
                policy
                    .parse::<std::net::IpAddr>()
                    .ok()
                    .map(ipnet::IpNet::from)
            });
            match (network, request.parse::<std::net::IpAddr>()) {
                (Some(network), Ok(address)) => Tri::from_bool(network.contains(&address)),
                _ => Tri::Maybe,
            }
        }
        Base::ArnLike => Tri::from_bool(arn_like(policy, request)),
        Base::Null => Tri::Maybe,
    }
}

/// A present value known only by what it can't be.
enum Symbolic<'a> {
    AnyExcept(&'a [String]),
    PrincipalArn(&'a Accounts, Option<&'a str>),
}

fn only_stars(pattern: &str) -> bool {
    !pattern.is_empty() && pattern.chars().all(|c| c == '*')
}

/// Whether some principal ARN of `accounts` (other than the excepted role) could match.
fn principal_arn_could_match(
    pattern: &str,
    accounts: &Accounts,
    except_role: Option<&str>,
    component_wise: bool,
) -> bool {
    if only_stars(pattern) {
        return true;
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    if parts.len() < 6 {
        // Not ARN-shaped: a string pattern with wildcards may still match, a literal can't.
        return has_wildcard(pattern) && !component_wise;
    }
    // A string pattern's `*` may run across colons: only its literal prefix pins anything.
    if !component_wise && parts[..4].iter().any(|p| has_wildcard(p)) {
        return true;
    }
    let account = parts[4];
    let account_ok = if has_wildcard(account) {
        match accounts {
            Accounts::Only(only) => wildcard_match(account, only, false),
            Accounts::Outside(_) => true,
        }
    } else {
        accounts.may_hold(account)
    };
    if !account_ok {
        return false;
    }
    if has_wildcard(pattern) {
        return true;
    }
    let resource = parts[5];
    let role = resource
        .strip_prefix("role/")
        .map(|r| r.rsplit('/').next().unwrap_or(r))
        .or_else(|| {
            resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split('/').next())
        });
    !matches!((role, except_role), (Some(role), Some(except)) if same_role_name(role, except))
}

fn symbolic(operator: &Operator, values: &[String], value: &Symbolic) -> Tri {
    let (exists, forall) = match value {
        Symbolic::AnyExcept(except) => {
            let listed = |v: &String| except.contains(v);
            match operator.base {
                Base::StringEquals | Base::BinaryEquals => {
                    (values.iter().any(|v| !listed(v)), false)
                }
                Base::StringEqualsIgnoreCase => (
                    values
                        .iter()
                        .any(|v| !listed(v) || v.chars().any(char::is_alphabetic)),
                    false,
                ),
                Base::StringLike => (
                    values.iter().any(|p| has_wildcard(p) || !listed(p)),
                    values.iter().any(|p| only_stars(p)),
                ),
                Base::ArnLike => (values.iter().any(|p| has_wildcard(p) || !listed(p)), false),
                _ => (true, false),
            }
        }
        Symbolic::PrincipalArn(accounts, except_role) => match operator.base {
            Base::StringEquals | Base::StringEqualsIgnoreCase | Base::BinaryEquals => (
                values.iter().any(|v| {
                    !has_wildcard(v) && principal_arn_could_match(v, accounts, *except_role, true)
                        || operator.base == Base::StringEqualsIgnoreCase
                }),
                false,
            ),
            Base::StringLike => (
                values
                    .iter()
                    .any(|p| principal_arn_could_match(p, accounts, *except_role, false)),
                values.iter().any(|p| only_stars(p)),
            ),
            Base::ArnLike => (
                values
                    .iter()
                    .any(|p| principal_arn_could_match(p, accounts, *except_role, true)),
                false,
            ),
            _ => (true, false),
        },
    };
    let positive = Tri::from_quantifiers(exists, forall);
    if operator.negated {
        !positive
    } else {
        positive
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SEGMENT_ROLE: &str =
        "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access";

    fn segment(id: KeyValue) -> Request {
        Request::new(Who::Role(SEGMENT_ROLE.into()), "sts:AssumeRole").with("sts:ExternalId", id)
    }

    fn policy(statement: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": [statement]})
    }

    #[test]
    fn three_valued_logic() {
        assert_eq!(Tri::Yes.and(Tri::Maybe), Tri::Maybe);
        assert_eq!(Tri::No.and(Tri::Maybe), Tri::No);
        assert_eq!(Tri::Yes.or(Tri::Maybe), Tri::Yes);
        assert_eq!(Tri::No.or(Tri::Maybe), Tri::Maybe);
        assert_eq!(!Tri::Maybe, Tri::Maybe);
    }

    #[test]
    fn wildcards_match_like_iam() {
        assert!(wildcard_match("sts:Assume*", "sts:AssumeRole", true));
        assert!(wildcard_match("STS:assumerole", "sts:AssumeRole", true));
        assert!(wildcard_match("sts:AssumeRol?", "sts:AssumeRole", true));
        assert!(!wildcard_match("sts:AssumeRol?", "sts:AssumeRoles", true));
        assert!(!wildcard_match("a.c", "abc", false), "a dot is a dot");
        assert!(!wildcard_match("ABC", "abc", false));
    }

    #[test]
    fn an_exact_external_id_condition_lets_only_that_id_in() {
        let document = policy(
            json!({"Effect": "Allow", "Principal": {"AWS": SEGMENT_ROLE},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "abc"}}}),
        );
        let ask = |id| evaluate(&document, &segment(id)).decision;
        assert_eq!(ask(KeyValue::Known(vec!["abc".into()])), Decision::Allowed);
        assert_eq!(ask(KeyValue::Known(vec!["abd".into()])), Decision::Denied);
        assert_eq!(ask(KeyValue::Absent), Decision::Denied);
        assert_eq!(
            ask(KeyValue::AnyExcept(vec!["abc".into()])),
            Decision::Denied
        );
        assert_eq!(ask(KeyValue::Any), Decision::Uncertain);
    }

    #[test]
    fn missing_keys_follow_the_documented_rules() {
        let with = |operator: &str| {
            let document = policy(
                json!({"Effect": "Allow", "Principal": {"AWS": SEGMENT_ROLE},
                "Action": "sts:AssumeRole", "Condition": {operator: {"sts:ExternalId": "abc"}}}),
            );
            evaluate(&document, &segment(KeyValue::Absent)).decision
        };
        assert_eq!(with("StringEquals"), Decision::Denied);
        assert_eq!(with("StringEqualsIfExists"), Decision::Allowed);
        assert_eq!(with("StringNotEquals"), Decision::Allowed);
        assert_eq!(with("ForAllValues:StringEquals"), Decision::Allowed);
        assert_eq!(with("ForAnyValue:StringEquals"), Decision::Denied);
        assert_eq!(with("StringNotLike"), Decision::Allowed);
    }

    #[test]
    fn null_checks_presence() {
        let document = |flag: &str| {
            policy(
                json!({"Effect": "Allow", "Principal": {"AWS": SEGMENT_ROLE},
                "Action": "sts:AssumeRole", "Condition": {"Null": {"sts:ExternalId": flag}}}),
            )
        };
        let known = KeyValue::Known(vec!["x".into()]);
        assert_eq!(
            evaluate(&document("true"), &segment(KeyValue::Absent)).decision,
            Decision::Allowed
        );
        assert_eq!(
            evaluate(&document("true"), &segment(known.clone())).decision,
            Decision::Denied
        );
        assert_eq!(
            evaluate(&document("false"), &segment(known)).decision,
            Decision::Allowed
        );
    }

    #[test]
    fn an_explicit_deny_wins() {
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:*"}
        ]});
        assert_eq!(
            evaluate(&document, &segment(KeyValue::Any)).decision,
            Decision::Denied
        );
    }

    #[test]
    fn principals_are_read_in_every_form() {
        let root = parse_entry("arn:aws:iam::595280932656:root");
        assert_eq!(root, Entry::Account("595280932656".into()));
        assert_eq!(parse_entry("595280932656"), root);
        let role = Who::Role(SEGMENT_ROLE.into());
        assert_eq!(entry_matches(&root, &role), Tri::Yes);
        let other = Who::InAccount {
            account: "595280932656".into(),
            except_role: Some("customer-lambda-prod-destination-access".into()),
        };
        assert_eq!(entry_matches(&root, &other), Tri::Yes);
        assert_eq!(entry_matches(&parse_entry(SEGMENT_ROLE), &other), Tri::No);
        assert_eq!(
            entry_matches(&parse_entry("arn:aws:iam::595280932656:role/other"), &other),
            Tri::Maybe
        );
        assert_eq!(parse_entry("AROAEXAMPLEEXAMPLE1234"), Entry::Deleted);
        assert_eq!(
            parse_entry("arn:aws:iam::595280932656:role/*"),
            Entry::NotUnderstood
        );
        let outside = Who::OutsideAccounts(vec!["595280932656".into(), "123456789012".into()]);
        assert_eq!(
            entry_matches(&Entry::Account("999999999999".into()), &outside),
            Tri::Maybe
        );
        assert_eq!(
            entry_matches(&Entry::Account("123456789012".into()), &outside),
            Tri::No
        );
        assert_eq!(entry_matches(&Entry::Everyone, &Who::Anonymous), Tri::Yes);
        assert_eq!(entry_matches(&root, &Who::Anonymous), Tri::No);
    }

    #[test]
    fn operators_of_every_family() {
        let ask = |operator: &str, key: &str, policy_value: Value, request: &str| {
            let document = policy(
                json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                "Condition": {operator: {key: policy_value}}}),
            );
            let request = Request::new(Who::Anonymous, "sts:AssumeRole")
                .with(key, KeyValue::Known(vec![request.to_string()]));
            evaluate(&document, &request).decision
        };
        use Decision::{Allowed, Denied};
        assert_eq!(
            ask("NumericLessThan", "sts:DurationSeconds", json!(3600), "900"),
            Allowed
        );
        assert_eq!(
            ask(
                "NumericGreaterThan",
                "sts:DurationSeconds",
                json!("3600"),
                "900"
            ),
            Denied
        );
        assert_eq!(
            ask(
                "DateLessThan",
                "aws:CurrentTime",
                json!("2030-01-01T00:00:00Z"),
                "2026-11-22T00:00:00Z"
            ),
            Allowed
        );
        assert_eq!(
            ask(
                "DateGreaterThan",
                "aws:CurrentTime",
                json!("2030-01-01"),
                "2026-11-22T00:00:00Z"
            ),
            Denied
        );
        assert_eq!(
            ask("Bool", "aws:SecureTransport", json!(true), "true"),
            Allowed
        );
        assert_eq!(
            ask("Bool", "aws:SecureTransport", json!("false"), "true"),
            Denied
        );
        assert_eq!(
            ask("IpAddress", "aws:SourceIp", json!("10.0.0.0/8"), "10.1.2.3"),
            Allowed
        );
        assert_eq!(
            ask(
                "NotIpAddress",
                "aws:SourceIp",
                json!(["10.0.0.0/8"]),
                "10.1.2.3"
            ),
            Denied
        );
        assert_eq!(
            ask(
                "ArnLike",
                "aws:PrincipalArn",
                json!("arn:aws:iam::*:role/x"),
                "arn:aws:iam::123456789012:role/x"
            ),
            Allowed
        );
        assert_eq!(
            ask(
                "ArnNotEquals",
                "aws:PrincipalArn",
                json!("arn:aws:iam::123456789012:role/x"),
                "arn:aws:iam::123456789012:role/x"
            ),
            Denied
        );
        assert_eq!(
            ask(
                "StringEqualsIgnoreCase",
                "aws:PrincipalTag/team",
                json!("DATA"),
                "data"
            ),
            Allowed
        );
        assert_eq!(
            ask(
                "StringNotEqualsIgnoreCase",
                "aws:PrincipalTag/team",
                json!("DATA"),
                "data"
            ),
            Denied
        );
        assert_eq!(
            ask("BinaryEquals", "x:Blob", json!("QmluYXJ5"), "QmluYXJ5"),
            Allowed
        );
        assert_eq!(
            ask("NoSuchOperator", "x:y", json!("a"), "a"),
            Decision::Uncertain
        );
        assert_eq!(
            ask(
                "StringEquals",
                "aws:username",
                json!("${aws:username}"),
                "a"
            ),
            Decision::Uncertain
        );
        assert_eq!(
            ask("stringequals", "AWS:USERNAME", json!("a"), "a"),
            Allowed,
            "names ignore case"
        );
    }

    #[test]
    fn multivalued_keys_follow_the_qualifiers() {
        let ask = |operator: &str, request: &[&str]| {
            let document = policy(
                json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                "Condition": {operator: {"aws:TagKeys": ["a", "b"]}}}),
            );
            let request = Request::new(Who::Anonymous, "sts:AssumeRole").with(
                "aws:TagKeys",
                KeyValue::Known(request.iter().map(|s| s.to_string()).collect()),
            );
            evaluate(&document, &request).decision
        };
        assert_eq!(
            ask("ForAllValues:StringEquals", &["a", "b"]),
            Decision::Allowed
        );
        assert_eq!(
            ask("ForAllValues:StringEquals", &["a", "c"]),
            Decision::Denied
        );
        assert_eq!(
            ask("ForAnyValue:StringEquals", &["a", "c"]),
            Decision::Allowed
        );
        assert_eq!(
            ask("ForAnyValue:StringNotEquals", &["a", "c"]),
            Decision::Allowed
        );
        assert_eq!(
            ask("ForAllValues:StringNotEquals", &["a", "c"]),
            Decision::Denied
        );
    }

    #[test]
    fn a_principal_arn_of_another_account_cannot_match_segments_account() {
        let document = policy(
            json!({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::595280932656:role/*"}}}),
        );
        let outsider = Request::new(
            Who::OutsideAccounts(vec!["595280932656".into()]),
            "sts:AssumeRole",
        )
        .with(
            "aws:PrincipalArn",
            KeyValue::PrincipalArn {
                accounts: Accounts::Outside(vec!["595280932656".into()]),
                except_role: None,
            },
        );
        assert_eq!(evaluate(&document, &outsider).decision, Decision::Denied);
        let insider = Request::new(
            Who::InAccount {
                account: "595280932656".into(),
                except_role: None,
            },
            "sts:AssumeRole",
        )
        .with(
            "aws:PrincipalArn",
            KeyValue::PrincipalArn {
                accounts: Accounts::Only("595280932656".into()),
                except_role: None,
            },
        );
        assert_eq!(evaluate(&document, &insider).decision, Decision::Uncertain);
    }

    #[test]
    fn what_is_not_understood_never_counts_as_safe() {
        for statement in [
            json!("not an object"),
            json!({"Effect": "allow", "Principal": "*", "Action": "sts:AssumeRole"}),
            json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "sts:AssumeRole"}),
            json!({"Effect": "Allow", "Principal": "*", "Action": 7}),
            json!({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Condition": {"Weird": {"k": "v"}}}),
            json!({"Effect": "Allow", "Action": "sts:AssumeRole"}),
        ] {
            let decision = evaluate(
                &policy(statement.clone()),
                &Request::new(Who::Anonymous, "sts:AssumeRole"),
            )
            .decision;
            assert_eq!(decision, Decision::Uncertain, "{statement}");
        }
        assert_eq!(
            evaluate(&json!("garbage"), &segment(KeyValue::Any)).decision,
            Decision::Uncertain
        );
    }

    #[test]
    fn not_principal_and_not_action() {
        let document = policy(
            json!({"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"},
            "NotAction": "s3:*"}),
        );
        let outsider = Request::new(
            Who::OutsideAccounts(vec!["111111111111".into()]),
            "sts:AssumeRole",
        );
        assert_eq!(evaluate(&document, &outsider).decision, Decision::Allowed);
        let excluded = Request::new(
            Who::InAccount {
                account: "111111111111".into(),
                except_role: None,
            },
            "sts:AssumeRole",
        );
        assert_eq!(evaluate(&document, &excluded).decision, Decision::Uncertain);
        let not_assume =
            policy(json!({"Effect": "Allow", "Principal": "*", "NotAction": "sts:Assume*"}));
        assert_eq!(evaluate(&not_assume, &outsider).decision, Decision::Denied);
    }
}
