//! A policy document's decision for a request: every statement judged, explicit deny first, and
//! the trace that says why.

use super::action::*;
use super::condition::*;
use super::principal::*;
use super::request::*;
use serde_json::Value;

/// IAM's order: an explicit deny wins, then an allow, then the implicit deny.
pub(super) fn decide(allow: Tri, deny: Tri) -> Decision {
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
