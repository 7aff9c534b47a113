//! The `Condition` element: operators (with `IfExists`, `ForAllValues`, `ForAnyValue`), values
//! known, absent or symbolic, and what each yields.

use super::action::*;
use super::principal::*;
use super::request::*;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Qualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Base {
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
pub(super) struct Operator {
    qualifier: Option<Qualifier>,
    base: Base,
    negated: bool,
    if_exists: bool,
}

pub(super) fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    (text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &text[prefix.len()..])
}

pub(super) fn parse_operator(name: &str) -> Option<Operator> {
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

pub(super) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

pub(super) fn condition_block(block: &Value, request: &Request) -> Vec<ConditionTrace> {
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
pub(super) fn absent_result(operator: &Operator) -> Tri {
    if operator.if_exists {
        return Tri::Yes;
    }
    match operator.qualifier {
        Some(Qualifier::ForAllValues) => Tri::Yes,
        Some(Qualifier::ForAnyValue) => Tri::No,
        None => Tri::from_bool(operator.negated),
    }
}

pub(super) fn condition(operator: &Operator, values: &[String], value: &KeyValue) -> Tri {
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

pub(super) fn null_check(values: &[String], value: &KeyValue) -> Tri {
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
pub(super) fn known(operator: &Operator, values: &[String], request: &[String]) -> Tri {
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

pub(super) fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A date as seconds since the epoch: ISO 8601 (as IAM writes them) or epoch seconds.
pub(super) fn date(text: &str) -> Option<f64> {
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

pub(super) fn arn_like(pattern: &str, arn: &str) -> bool {
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
pub(super) fn compare(base: Base, policy: &str, request: &str) -> Tri {
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
pub(super) enum Symbolic<'a> {
    AnyExcept(&'a [String]),
    PrincipalArn(&'a Accounts, Option<&'a str>),
}

pub(super) fn only_stars(pattern: &str) -> bool {
    !pattern.is_empty() && pattern.chars().all(|c| c == '*')
}

/// Whether some principal ARN of `accounts` (other than the excepted role) could match.
pub(super) fn principal_arn_could_match(
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

pub(super) fn symbolic(operator: &Operator, values: &[String], value: &Symbolic) -> Tri {
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
