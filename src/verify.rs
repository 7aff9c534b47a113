//! Verifying an existing role's trust policy, and the repair that makes it right. Pure: the
//! engine reads the role, this decides.
//!
//! A role is right when a statement lets Segment's principal call `sts:AssumeRole` under a
//! `StringEquals` `sts:ExternalId` condition holding the external ID, and no statement lets that
//! principal assume the role without an external-ID condition (the confused-deputy risk).

use crate::policy;
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Statement N (1-based) trusts the principal with this external ID: what we want.
    Trusted { statement: usize },
    /// Statement N lets the principal assume the role with no external-ID condition.
    NoExternalIdCondition { statement: usize },
    /// Statement N requires an external ID, but not this one.
    OtherExternalId { statement: usize },
    /// Statement N names the principal but not for `sts:AssumeRole` (or denies it).
    NotForAssumeRole { statement: usize },
    /// No statement trusts the principal at all.
    PrincipalNotTrusted,
}

impl Finding {
    pub fn describe(&self, principal: &str) -> String {
        match self {
            Finding::Trusted { statement } => format!(
                "statement {statement} lets {principal} assume the role with this external ID (StringEquals sts:ExternalId)"
            ),
            Finding::NoExternalIdCondition { statement } => format!(
                "statement {statement} lets {principal} assume the role WITHOUT an external ID condition: any Segment workspace could make Segment assume it (confused-deputy risk)"
            ),
            Finding::OtherExternalId { statement } => format!(
                "statement {statement} trusts {principal}, but its sts:ExternalId condition doesn't hold this external ID"
            ),
            Finding::NotForAssumeRole { statement } => {
                format!("statement {statement} names {principal} but doesn't allow sts:AssumeRole")
            }
            Finding::PrincipalNotTrusted => format!("no statement trusts {principal}"),
        }
    }

    pub fn is_problem(&self) -> bool {
        !matches!(self, Finding::Trusted { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub principal: String,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Right: trusted with the external ID, and nothing lets the principal in without one.
    pub fn is_right(&self) -> bool {
        let trusted = self
            .findings
            .iter()
            .any(|f| matches!(f, Finding::Trusted { .. }));
        let risky = self
            .findings
            .iter()
            .any(|f| matches!(f, Finding::NoExternalIdCondition { .. }));
        trusted && !risky
    }

    pub fn has_confused_deputy_risk(&self) -> bool {
        self.findings
            .iter()
            .any(|f| matches!(f, Finding::NoExternalIdCondition { .. }))
    }

    pub fn lines(&self) -> Vec<String> {
        self.findings
            .iter()
            .map(|f| f.describe(&self.principal))
            .collect()
    }
}

/// The account ID of an account principal, in either of IAM's two spellings.
fn account_of(principal: &str) -> Option<&str> {
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return Some(principal);
    }
    principal
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.strip_suffix(":root"))
}

/// Whether a principal written in a policy is the integration's principal. IAM stores an
/// account principal `123456789012` as `arn:aws:iam::123456789012:root`.
pub fn same_principal(written: &str, wanted: &str) -> bool {
    written == wanted
        || matches!((account_of(written), account_of(wanted)), (Some(a), Some(b)) if a == b)
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// A policy's statements, whether `Statement` is one object or a list.
pub fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

fn names_principal(statement: &Value, principal: &str) -> bool {
    strings(statement.pointer("/Principal/AWS"))
        .iter()
        .any(|p| same_principal(p, principal))
}

fn allows_assume_role(statement: &Value) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
        && strings(statement.get("Action")).iter().any(|a| {
            matches!(
                a.to_ascii_lowercase().as_str(),
                "sts:assumerole" | "sts:*" | "*"
            )
        })
}

/// The external IDs a statement's `StringEquals` condition accepts (condition keys are
/// case-insensitive in IAM); `None` when it has no external-ID condition at all.
fn external_id_condition(statement: &Value) -> Option<Vec<&str>> {
    let conditions = statement.get("Condition")?.as_object()?;
    let mut found: Option<Vec<&str>> = None;
    for (operator, keys) in conditions {
        let Some(keys) = keys.as_object() else {
            continue;
        };
        for (key, value) in keys {
            if key.eq_ignore_ascii_case("sts:ExternalId") {
                let ids = found.get_or_insert_with(Vec::new);
                // Only StringEquals holds the ID exactly; another operator still counts as a
                // condition (not a confused-deputy risk) but not as this ID.
                if operator == "StringEquals" {
                    ids.extend(strings(Some(value)));
                }
            }
        }
    }
    found
}

/// Checks a trust policy for the principal and external ID.
pub fn check_trust_policy(document: &Value, principal: &str, external_id: &str) -> Report {
    let mut findings = Vec::new();
    for (index, statement) in statements(document).into_iter().enumerate() {
        let number = index + 1;
        if !names_principal(statement, principal) {
            continue;
        }
        if !allows_assume_role(statement) {
            findings.push(Finding::NotForAssumeRole { statement: number });
            continue;
        }
        findings.push(match external_id_condition(statement) {
            None => Finding::NoExternalIdCondition { statement: number },
            Some(ids) if ids.contains(&external_id) => Finding::Trusted { statement: number },
            Some(_) => Finding::OtherExternalId { statement: number },
        });
    }
    if findings.is_empty() {
        findings.push(Finding::PrincipalNotTrusted);
    }
    Report {
        principal: principal.to_string(),
        findings,
    }
}

/// The repaired trust policy: every statement kept, except those that let the principal in with
/// no external-ID condition, which are the risk being repaired; and the documented statement
/// added when none trusts this external ID. `None` when nothing needs changing.
pub fn repair_trust_policy(document: &Value, principal: &str, external_id: &str) -> Option<Value> {
    let report = check_trust_policy(document, principal, external_id);
    if report.is_right() {
        return None;
    }
    let risky: Vec<usize> = report
        .findings
        .iter()
        .filter_map(|f| match f {
            Finding::NoExternalIdCondition { statement } => Some(*statement),
            _ => None,
        })
        .collect();
    let mut kept: Vec<Value> = statements(document)
        .into_iter()
        .enumerate()
        .filter(|(index, _)| !risky.contains(&(index + 1)))
        .map(|(_, statement)| statement.clone())
        .collect();
    let trusted = report
        .findings
        .iter()
        .any(|f| matches!(f, Finding::Trusted { .. }));
    if !trusted {
        let ours = policy::trust_policy(principal, &[external_id.to_string()]);
        kept.extend(statements(&ours).into_iter().cloned());
    }
    let version = document
        .get("Version")
        .cloned()
        .unwrap_or_else(|| json!(policy::POLICY_VERSION));
    Some(json!({ "Version": version, "Statement": kept }))
}

/// Whether an inline policy document grants what the preset asks: equal statements, in any order.
pub fn same_policy(a: &Value, b: &Value) -> bool {
    let mut left: Vec<String> = statements(a).iter().map(|s| s.to_string()).collect();
    let mut right: Vec<String> = statements(b).iter().map(|s| s.to_string()).collect();
    left.sort();
    right.sort();
    left == right
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEGMENT: &str = "arn:aws:iam::458175278816:root";
    const ID: &str = "an-external-id-that-is-long-enough-123";

    #[test]
    fn the_documented_policy_is_right() {
        let report = check_trust_policy(&policy::trust_policy(SEGMENT, &[ID.into()]), SEGMENT, ID);
        assert!(report.is_right(), "{:?}", report.lines());
        assert_eq!(report.findings, [Finding::Trusted { statement: 1 }]);
    }

    #[test]
    fn an_account_id_principal_counts_as_the_root_arn() {
        let mut document = policy::trust_policy("458175278816", &[ID.into()]);
        assert!(check_trust_policy(&document, SEGMENT, ID).is_right());
        document["Statement"][0]["Principal"]["AWS"] =
            json!(["arn:aws:iam::111111111111:root", "458175278816"]);
        assert!(check_trust_policy(&document, SEGMENT, ID).is_right());
    }

    #[test]
    fn a_statement_without_the_condition_is_a_confused_deputy_risk() {
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": SEGMENT}, "Action": "sts:AssumeRole"}
        ]});
        let report = check_trust_policy(&document, SEGMENT, ID);
        assert!(!report.is_right());
        assert!(report.has_confused_deputy_risk());
        assert!(report.lines()[0].contains("confused-deputy"));
        let repaired = repair_trust_policy(&document, SEGMENT, ID).expect("a repair");
        assert!(check_trust_policy(&repaired, SEGMENT, ID).is_right());
        assert_eq!(statements(&repaired).len(), 1);
    }

    #[test]
    fn a_right_statement_alongside_a_risky_one_is_still_wrong() {
        let mut document = policy::trust_policy(SEGMENT, &[ID.into()]);
        document["Statement"].as_array_mut().expect("list").push(
            json!({"Effect": "Allow", "Principal": {"AWS": SEGMENT}, "Action": "sts:AssumeRole"}),
        );
        assert!(!check_trust_policy(&document, SEGMENT, ID).is_right());
        let repaired = repair_trust_policy(&document, SEGMENT, ID).expect("a repair");
        assert_eq!(repaired, policy::trust_policy(SEGMENT, &[ID.into()]));
    }

    #[test]
    fn other_ids_other_principals_and_services_are_kept() {
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": SEGMENT}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "some-other-id"}}}
        ]});
        let report = check_trust_policy(&document, SEGMENT, ID);
        assert_eq!(report.findings, [Finding::OtherExternalId { statement: 2 }]);
        let repaired = repair_trust_policy(&document, SEGMENT, ID).expect("a repair");
        let list = statements(&repaired);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0], &document["Statement"][0]);
        assert_eq!(list[1], &document["Statement"][1]);
        assert!(check_trust_policy(&repaired, SEGMENT, ID).is_right());
    }

    #[test]
    fn a_list_of_ids_holding_ours_is_right() {
        let document = policy::trust_policy(SEGMENT, &["first-id".into(), ID.into()]);
        assert!(check_trust_policy(&document, SEGMENT, ID).is_right());
    }

    #[test]
    fn nothing_for_the_principal_is_reported_and_repaired() {
        let document = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}});
        let report = check_trust_policy(&document, SEGMENT, ID);
        assert_eq!(report.findings, [Finding::PrincipalNotTrusted]);
        let repaired = repair_trust_policy(&document, SEGMENT, ID).expect("a repair");
        assert_eq!(statements(&repaired).len(), 2);
        assert!(repair_trust_policy(&repaired, SEGMENT, ID).is_none());
    }

    #[test]
    fn deny_or_other_actions_are_not_trust() {
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": {"AWS": SEGMENT}, "Action": "sts:AssumeRole"}
        ]});
        assert_eq!(
            check_trust_policy(&document, SEGMENT, ID).findings,
            [Finding::NotForAssumeRole { statement: 1 }]
        );
    }
}
