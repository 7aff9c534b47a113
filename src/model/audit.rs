//! `audit`: every role Segment can assume, judged without knowing the customer's external ID.
//! Which of the catalog's Segment principals can assume a role (with some ID, or none), and
//! whether that is safe: an external ID required, one nobody can guess, nobody else let in, the
//! one documented role trusted rather than Segment's whole account, no broad permissions; and
//! when the role was last used. Pure: the engine lists the roles and reads their policies.

use crate::model::aws_types::LastUsed;
use crate::model::catalog::{Catalog, ExternalIdSource, Integration};
use crate::model::external_id;
use crate::model::verify::{self, ProbeKind, Subject};
use serde_json::{Value, json};

/// A role unused for this long is said to be (IAM keeps about 400 days of use).
pub const UNUSED_DAYS: i64 = 365;

/// The integrations whose Segment principal can assume a role with this trust policy.
pub fn assumable_by(trust_policy: &Value, role_arn: &str, now: i64) -> Vec<&'static Integration> {
    Catalog::builtin()
        .integrations()
        .iter()
        .filter(|integration| {
            let subject = Subject::new(integration, Vec::new(), role_arn, now);
            verify::segment_can_assume(trust_policy, &subject)
        })
        .collect()
}

/// One role Segment can assume, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditedRole {
    pub account: String,
    pub name: String,
    pub arn: String,
    /// The catalog's integrations whose principal can assume it.
    pub integrations: Vec<String>,
    /// Why it is not safe, a sentence each: empty when it is OK.
    pub problems: Vec<String>,
    pub last_used: Option<LastUsed>,
    /// Worth knowing, not failing: unused for a year, never used.
    pub notes: Vec<String>,
}

impl AuditedRole {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn word(&self) -> &'static str {
        if self.is_ok() { "OK" } else { "NOT OK" }
    }

    /// The command that shows the role in full and repairs it.
    pub fn repair_command(&self) -> String {
        let integration = self
            .integrations
            .first()
            .map_or("INTEGRATION", String::as_str);
        format!(
            "{} --fix",
            crate::model::outcome::verify_hint(integration, &self.arn)
        )
    }

    /// "2026-11-30 in us-west-2", or "never (as far as IAM records)".
    pub fn last_used_text(&self) -> String {
        match &self.last_used {
            Some(used) => format!(
                "{}{}",
                used.date.get(..10).unwrap_or(&used.date),
                used.region
                    .as_ref()
                    .map(|r| format!(" in {r}"))
                    .unwrap_or_default()
            ),
            None => "never (as far as IAM records)".into(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "account": self.account,
            "role": self.name,
            "arn": self.arn,
            "integrations": self.integrations,
            "verdict": self.word(),
            "problems": self.problems,
            "lastUsed": self.last_used.as_ref().map(|u| json!({"date": u.date, "region": u.region})),
            "notes": self.notes,
            "repair": (!self.is_ok()).then(|| self.repair_command()),
        })
    }
}

/// What the role lets in, as the probes answer it, read as problems (the probe of the
/// customer's own ID is left out: the audit doesn't know it).
fn trust_problems(
    trust_policy: &Value,
    integration: &Integration,
    role_arn: &str,
    now: i64,
) -> Vec<String> {
    let listed = verify::every_listed_id(trust_policy);
    let subject = Subject::new(integration, listed.clone(), role_arn, now);
    let judgement = verify::judge(trust_policy, &subject);
    let mut problems = Vec::new();
    for probe in judgement.failing() {
        let what = match probe.kind {
            ProbeKind::SegmentWithId | ProbeKind::SegmentExtraId => continue,
            ProbeKind::SegmentWithoutId => {
                "Segment's principal gets in with no external ID (the confused deputy: any Segment customer could point Segment at this role)"
            }
            ProbeKind::SegmentOtherId => {
                "Segment's principal gets in with another external ID (another Segment customer's)"
            }
            ProbeKind::SegmentAccountOther => {
                "every principal of Segment's account is trusted where Segment documents one role"
            }
            ProbeKind::OtherAccount => "another AWS account can assume it",
            ProbeKind::Anonymous => "anyone can assume it (Principal \"*\")",
        };
        problems.push(what.to_string());
    }
    let workspace = integration.external_id.source == ExternalIdSource::WorkspaceId;
    for id in verify::accepted_external_ids(trust_policy, &subject) {
        let shown = if external_id::is_public(&id) {
            id.clone()
        } else {
            external_id::masked(&id)
        };
        if workspace && !external_id::looks_like_segment_id(&id) {
            problems.push(format!(
                "it accepts the external ID {shown}, which doesn't look like a Segment workspace or source ID"
            ));
        } else if !workspace && let Some(why) = external_id::guessable(&id) {
            problems.push(format!("a guessable external ID ({shown}): {why}"));
        }
    }
    problems
}

/// Judges a role Segment can assume: its trust policy for each integration that gets in, its
/// permission policies (inline and attached, by name) for broad grants, its last use.
pub fn judge_role(
    account: &str,
    role: &crate::model::aws_types::RoleInfo,
    integrations: &[&Integration],
    permissions: &[(String, Value)],
    now: i64,
) -> AuditedRole {
    let mut problems: Vec<String> = Vec::new();
    let mut judged: Vec<&str> = Vec::new();
    for integration in integrations {
        // Two integrations with one principal: both named, the trust judged once.
        if judged.contains(&integration.principal.as_str()) {
            continue;
        }
        judged.push(&integration.principal);
        for problem in trust_problems(&role.trust_policy, integration, &role.arn, now) {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    for (name, document) in permissions {
        for grant in crate::model::policy::broad_grants(document) {
            problems.push(format!("a broad permission in {name}: {grant}"));
        }
    }
    let mut notes = Vec::new();
    match &role.last_used {
        None => {
            notes.push("IAM has no record of it being used: Segment may never have got in".into())
        }
        Some(used) if now - used.epoch > UNUSED_DAYS * 86_400 => notes.push(format!(
            "unused for over a year (last {}): delete it if nothing needs it",
            used.date.get(..10).unwrap_or(&used.date)
        )),
        Some(_) => {}
    }
    AuditedRole {
        account: account.to_string(),
        name: role.name.clone(),
        arn: role.arn.clone(),
        integrations: integrations.iter().map(|i| i.id.clone()).collect(),
        problems,
        last_used: role.last_used.clone(),
        notes,
    }
}

/// The rows as text: a line each (verdict, account, role, integrations, last use), each problem
/// and the repair command under a role that is NOT OK.
pub fn audit_text(rows: &[AuditedRole], looked_at: usize) -> String {
    let mut text = String::new();
    for row in rows {
        text.push_str(&format!(
            "{:<7} {} {}  ({}; last used {})\n",
            row.word(),
            row.account,
            row.name,
            row.integrations.join(", "),
            row.last_used_text()
        ));
        for problem in &row.problems {
            text.push_str(&format!("    ✗ {problem}\n"));
        }
        for note in &row.notes {
            text.push_str(&format!("    · {note}\n"));
        }
        if !row.is_ok() {
            text.push_str(&format!("    repair: {}\n", row.repair_command()));
        }
    }
    let wrong = rows.iter().filter(|r| !r.is_ok()).count();
    text.push_str(&format!(
        "{} role(s) Segment can assume, of {looked_at} looked at; {wrong} NOT OK\n",
        rows.len()
    ));
    text
}

/// The rows as CSV (RFC 4180 quoting), one line a role.
pub fn audit_csv(rows: &[AuditedRole]) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n']) {
            format!("\"{}\"", field.replace('"', "\"\""))
        } else {
            field.to_string()
        }
    };
    let mut text = String::from(
        "account,role,arn,integrations,verdict,problems,last_used,last_used_region,repair\n",
    );
    for row in rows {
        let fields = [
            row.account.clone(),
            row.name.clone(),
            row.arn.clone(),
            row.integrations.join(" "),
            row.word().to_string(),
            row.problems.join("; "),
            row.last_used
                .as_ref()
                .map(|u| u.date.clone())
                .unwrap_or_default(),
            row.last_used
                .as_ref()
                .and_then(|u| u.region.clone())
                .unwrap_or_default(),
            if row.is_ok() {
                String::new()
            } else {
                row.repair_command()
            },
        ];
        let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::aws_types::RoleInfo;

    const NOW: i64 = 1_795_000_000;

    fn role(trust: Value, last_used: Option<LastUsed>) -> RoleInfo {
        RoleInfo {
            name: "r".into(),
            arn: "arn:aws:iam::123456789012:role/r".into(),
            trust_policy: trust,
            tags: Vec::new(),
            permissions_boundary: None,
            last_used,
        }
    }

    fn trusting(principal: &str, condition: Option<Value>) -> Value {
        let mut statement =
            json!({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"});
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        json!({"Version": "2012-10-17", "Statement": [statement]})
    }

    #[test]
    fn a_role_is_found_by_the_principal_that_can_assume_it() {
        let lambda = "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access";
        let right = trusting(
            lambda,
            Some(json!({"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}})),
        );
        let found = assumable_by(&right, "arn:aws:iam::123456789012:role/r", NOW);
        assert_eq!(
            found.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            ["lambda-destination"]
        );
        let unrelated = trusting("arn:aws:iam::111122223333:root", None);
        assert!(assumable_by(&unrelated, "arn:aws:iam::123456789012:role/r", NOW).is_empty());
    }

    #[test]
    fn each_unsafe_trust_is_a_problem_and_a_safe_one_none() {
        let catalog = Catalog::builtin();
        let function = catalog.integration("destination-function").expect("known");
        let strong = "Sx8K4He7wLBN84eQ2BJZB0EN1v5s8HlPnF0poPw3";
        let judge = |trust: Value| {
            let role = role(trust, None);
            let found = assumable_by(&role.trust_policy, &role.arn, NOW);
            judge_role("123456789012", &role, &found, &[], NOW)
        };
        let safe = judge(trusting(
            &function.principal,
            Some(json!({"StringEquals": {"sts:ExternalId": strong}})),
        ));
        assert!(safe.is_ok(), "{:?}", safe.problems);
        assert!(safe.notes[0].contains("no record"), "{:?}", safe.notes);
        let open = judge(trusting(&function.principal, None));
        assert!(
            open.problems[0].contains("no external ID"),
            "{:?}",
            open.problems
        );
        assert!(open.repair_command().ends_with("--fix"));
        let weak = judge(trusting(
            &function.principal,
            Some(json!({"StringEquals": {"sts:ExternalId": "segment"}})),
        ));
        assert!(
            weak.problems.iter().any(|p| p.contains("guessable")),
            "{:?}",
            weak.problems
        );
        let anyone = judge(trusting("*", None));
        assert!(
            anyone.problems.iter().any(|p| p.contains("anyone")),
            "{:?}",
            anyone.problems
        );
        let whole = judge(trusting(
            "arn:aws:iam::595280932656:root",
            Some(json!({"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}})),
        ));
        assert!(
            whole
                .problems
                .iter()
                .any(|p| p.contains("whole") || p.contains("every principal")),
            "{:?}",
            whole.problems
        );
    }

    #[test]
    fn a_broad_grant_and_a_year_unused_are_said() {
        let catalog = Catalog::builtin();
        let function = catalog.integration("destination-function").expect("known");
        let trust = trusting(
            &function.principal,
            Some(
                json!({"StringEquals": {"sts:ExternalId": "Sx8K4He7wLBN84eQ2BJZB0EN1v5s8HlPnF0poPw3"}}),
            ),
        );
        let used = LastUsed {
            date: "2024-01-02T03:04:05Z".into(),
            epoch: NOW - 400 * 86_400,
            region: Some("us-west-2".into()),
        };
        let role = role(trust, Some(used));
        let admin = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let judged = judge_role(
            "123456789012",
            &role,
            &[function],
            &[("AdministratorAccess".into(), admin)],
            NOW,
        );
        assert!(
            judged.problems[0].contains("AdministratorAccess"),
            "{:?}",
            judged.problems
        );
        assert!(
            judged.notes[0].contains("over a year"),
            "{:?}",
            judged.notes
        );
        assert_eq!(judged.last_used_text(), "2024-01-02 in us-west-2");
        let csv = audit_csv(std::slice::from_ref(&judged));
        assert!(
            csv.lines().nth(1).is_some_and(|l| l.contains("NOT OK")),
            "{csv}"
        );
        let text = audit_text(&[judged], 7);
        assert!(
            text.contains("1 role(s) Segment can assume, of 7 looked at; 1 NOT OK"),
            "{text}"
        );
    }
}
