//! The evaluator's tests: each element, each operator, and whole documents.

use super::action::*;
use super::evaluate::*;
use super::principal::*;
use super::request::*;
use serde_json::Value;
use serde_json::json;

const SEGMENT_ROLE: &str = "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access";

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
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
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
