//! Many accounts at once: the same role in every account of a list, or of organizational units,
//! through a CloudFormation StackSet. Targets, preferences, the template with a fixed role name,
//! and the per-account result, as plain data and functions.

use crate::model::validate::{self, Invalid};
use serde_json::{Value, json};
use std::sync::LazyLock;

/// Instances in one page of ListStackInstances (its largest MaxResults): a watch of N instances
/// costs N / 100 calls a poll, and waits as many intervals, so the calls a minute stay the same.
pub const INSTANCES_PER_PAGE: usize = 100;

/// Where the stack set's instances go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Targets {
    /// Self-managed permissions: these accounts, through the administration and execution roles
    /// AWS documents.
    Accounts(Vec<String>),
    /// Service-managed permissions through AWS Organizations: every account of these units, and
    /// (with `auto_deploy`) accounts added to them later.
    OrgUnits { ids: Vec<String>, auto_deploy: bool },
}

impl Targets {
    /// CloudFormation's permission model for these targets.
    pub fn permission_model(&self) -> &'static str {
        match self {
            Targets::Accounts(_) => "SELF_MANAGED",
            Targets::OrgUnits { .. } => "SERVICE_MANAGED",
        }
    }

    /// The accounts' or units' IDs.
    pub fn ids(&self) -> &[String] {
        match self {
            Targets::Accounts(accounts) => accounts,
            Targets::OrgUnits { ids, .. } => ids,
        }
    }

    /// "3 accounts" or "2 organizational units (and accounts added later)".
    pub fn describe(&self) -> String {
        match self {
            Targets::Accounts(accounts) => plural(accounts.len(), "account", "accounts"),
            Targets::OrgUnits { ids, auto_deploy } => format!(
                "{}{}",
                plural(ids.len(), "organizational unit", "organizational units"),
                if *auto_deploy {
                    " (and accounts added to them later)"
                } else {
                    ""
                }
            ),
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The role AWS Organizations makes in each account it creates, which the management account may
/// assume: how `verify --accounts` enters member accounts unless told another.
pub const MEMBER_ACCESS_ROLE: &str = "OrganizationAccountAccessRole";
/// The self-managed model's roles, by AWS's documented names.
pub const ADMINISTRATION_ROLE: &str = "AWSCloudFormationStackSetAdministrationRole";
pub const EXECUTION_ROLE: &str = "AWSCloudFormationStackSetExecutionRole";

/// How to make the self-managed roles when the administration role is missing.
pub const ROLES_HOWTO: &str = "Self-managed stack sets need the role AWSCloudFormationStackSetAdministrationRole in this account and AWSCloudFormationStackSetExecutionRole in each target account, trusting it; AWS's templates make them: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html (or use --org-units with AWS Organizations' trusted access instead)";

/// How CloudFormation rolls the instances out: percentages of the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    /// Accounts that may fail, per region, before CloudFormation stops (100: every account is
    /// tried; the failures are listed and `retry` runs them again).
    pub failure_tolerance_percent: u8,
    /// Accounts worked on at once (a role is a small stack: all of them by default).
    pub max_concurrent_percent: u8,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            failure_tolerance_percent: 100,
            max_concurrent_percent: 100,
        }
    }
}

static ORG_UNIT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$")
        .unwrap_or_else(|_| unreachable!("a fixed pattern"))
});

/// An organizational unit's ID (`ou-abcd-12345678`), or the root's (`r-abcd`).
pub fn org_unit_id(value: &str) -> Result<(), Invalid> {
    if ORG_UNIT.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "an organizational unit ID looks like ou-ab12-cd345678 (the root: r-ab12); got {value:?}"
        )))
    }
}

/// The targets from the flags: accounts or units, checked, without repeats.
pub fn targets(
    accounts: &[String],
    org_units: &[String],
    auto_deploy: bool,
) -> Result<Targets, Invalid> {
    let unique = |values: &[String]| {
        let mut seen: Vec<String> = Vec::new();
        for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
            if !seen.iter().any(|s| s == value) {
                seen.push(value.to_string());
            }
        }
        seen
    };
    match (unique(accounts), unique(org_units)) {
        (a, o) if !a.is_empty() && !o.is_empty() => Err(Invalid(
            "give accounts or organizational units, not both: they use different permission models (self-managed, service-managed)".into(),
        )),
        (a, _) if !a.is_empty() => {
            for account in &a {
                validate::account_id(account)?;
            }
            if auto_deploy {
                return Err(Invalid(
                    "--auto-deploy works with --org-units only (AWS Organizations adds the accounts)".into(),
                ));
            }
            Ok(Targets::Accounts(a))
        }
        (_, o) if !o.is_empty() => {
            for unit in &o {
                org_unit_id(unit)?;
            }
            Ok(Targets::OrgUnits {
                ids: o,
                auto_deploy,
            })
        }
        _ => Err(Invalid("give at least one account or organizational unit".into())),
    }
}

/// Targets typed as one answer (plain mode, the wizard): account IDs or organizational units
/// (`ou-...`, the root `r-...`), separated by commas or spaces.
pub fn parse_targets(text: &str, auto_deploy: bool) -> Result<Targets, Invalid> {
    let (units, accounts): (Vec<String>, Vec<String>) = split_list(text)
        .into_iter()
        .partition(|value| value.starts_with("ou-") || value.starts_with("r-"));
    targets(&accounts, &units, auto_deploy && !units.is_empty())
}

/// A typed list: the values between commas and spaces.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_string)
        .collect()
}

/// The regions the instances go to: one by default, since an IAM role is global (one region
/// makes it in every account; more regions would try to make the same role again).
pub fn regions(given: &[String], home: &str) -> Result<Vec<String>, Invalid> {
    let mut regions: Vec<String> = Vec::new();
    for region in given.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        validate::region(region)?;
        if !regions.iter().any(|r| r == region) {
            regions.push(region.to_string());
        }
    }
    if regions.is_empty() {
        regions.push(home.to_string());
    }
    Ok(regions)
}

/// The integration's template with the role named, so each account's role ARN is known
/// (`arn:aws:iam::ACCOUNT:role/NAME`), and an output naming it.
pub fn with_role_name(template: &Value, role_name: &str) -> Value {
    let mut template = template.clone();
    if let Some(resources) = template["Resources"].as_object_mut() {
        for resource in resources.values_mut() {
            if resource["Type"] == "AWS::IAM::Role" {
                resource["Properties"]["RoleName"] = json!(role_name);
            }
        }
    }
    template
}

/// Each account's role ARN, as the fixed name makes it.
pub fn role_arn(account: &str, role_name: &str) -> String {
    format!("arn:aws:iam::{account}:role/{role_name}")
}

/// One stack instance as the watcher shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    pub account: String,
    pub region: String,
    /// PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, INOPERABLE, SKIPPED_SUSPENDED_ACCOUNT.
    pub status: String,
    pub reason: Option<String>,
}

impl InstanceRow {
    pub fn succeeded(&self) -> bool {
        self.status == "SUCCEEDED"
    }

    pub fn failed(&self) -> bool {
        matches!(
            self.status.as_str(),
            "FAILED" | "CANCELLED" | "INOPERABLE" | "SKIPPED_SUSPENDED_ACCOUNT"
        )
    }

    /// Still being worked on.
    pub fn pending(&self) -> bool {
        !self.succeeded() && !self.failed()
    }

    /// "account 111111111111 us-east-1 FAILED: reason", the line every face prints.
    pub fn line(&self) -> String {
        let reason = self
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        format!(
            "account {} {} {}{reason}",
            self.account, self.region, self.status
        )
    }
}

/// The result as CSV: a row per instance, with the role ARN where it succeeded. The external ID
/// is not in it (it is one per setup, shown once).
pub fn csv(rows: &[InstanceRow], role_name: &str) -> String {
    let field = csv_field;
    let mut out = String::from("account,region,status,role_arn,reason\n");
    for row in rows {
        let arn = if row.succeeded() {
            role_arn(&row.account, role_name)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            field(&row.account),
            field(&row.region),
            field(&row.status),
            field(&arn),
            field(row.reason.as_deref().unwrap_or(""))
        ));
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). A cell a
/// spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return: OWASP's CSV injection) gets a leading `'`, so it is shown as text; the reason of a
/// failed instance comes from AWS and may hold anything.
pub fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// What verifying the role in one member account found.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// The role was read and judged, right or not.
    Judged(Box<crate::model::verify::Verification>),
    /// The account has no role of that name.
    NoRole,
    /// The account couldn't be entered or read: why, in a sentence.
    NotChecked(String),
}

/// One member account's row of `verify --accounts`.
#[derive(Debug, Clone)]
pub struct AccountCheck {
    pub account: String,
    pub role_arn: String,
    pub verdict: Verdict,
}

impl AccountCheck {
    pub fn is_right(&self) -> bool {
        matches!(&self.verdict, Verdict::Judged(v) if v.is_right())
    }

    /// OK, NOT OK, NO ROLE or NOT CHECKED.
    pub fn word(&self) -> &'static str {
        match &self.verdict {
            Verdict::Judged(v) if v.is_right() => "OK",
            Verdict::Judged(_) => "NOT OK",
            Verdict::NoRole => "NO ROLE",
            Verdict::NotChecked(_) => "NOT CHECKED",
        }
    }

    /// Why it is not OK, in a line: the first failing check, the missing role, or why the
    /// account couldn't be checked. Empty when it is OK.
    pub fn reason(&self) -> String {
        match &self.verdict {
            Verdict::Judged(v) if v.is_right() => String::new(),
            Verdict::Judged(v) => v
                .lines()
                .iter()
                .find(|line| line.mark == crate::model::verify::Mark::Fail)
                .map(|line| line.text.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| "a check failed".into()),
            Verdict::NoRole => format!("no role {} in this account", self.role_name()),
            Verdict::NotChecked(why) => why.clone(),
        }
    }

    fn role_name(&self) -> &str {
        self.role_arn.rsplit('/').next().unwrap_or(&self.role_arn)
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut json = serde_json::json!({
            "account": self.account,
            "roleArn": self.role_arn,
            "result": self.word(),
            "reason": self.reason(),
        });
        if let Verdict::Judged(verification) = &self.verdict {
            json["verification"] = verification.to_json();
        }
        json
    }
}

/// `verify --accounts` as CSV: a row per account.
pub fn checks_csv(checks: &[AccountCheck]) -> String {
    let mut out = String::from("account,role_arn,result,reason\n");
    for check in checks {
        out.push_str(&format!(
            "{},{},{},{}\n",
            csv_field(&check.account),
            csv_field(&check.role_arn),
            csv_field(check.word()),
            csv_field(&check.reason())
        ));
    }
    out
}

/// `verify --accounts` as a table: a row per account, each reason on its own indented line so
/// the rows fit 80 columns; then the full report of each account that is not OK.
pub fn checks_text(checks: &[AccountCheck]) -> String {
    let mut out = format!("{:<14}{}\n", "ACCOUNT", "RESULT");
    for check in checks {
        out.push_str(&format!("{:<14}{}\n", check.account, check.word()));
        let reason = check.reason();
        if !reason.is_empty() {
            out.push_str(&format!("    {reason}\n"));
        }
    }
    for check in checks {
        if let Verdict::Judged(verification) = &check.verdict
            && !verification.is_right()
        {
            out.push_str(&format!(
                "\nAccount {}: {}\n",
                check.account, check.role_arn
            ));
            for line in verification.lines() {
                out.push_str(&line.plain());
                out.push('\n');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn targets_are_accounts_or_units_checked_and_without_repeats() {
        assert_eq!(
            targets(
                &strings(&["111111111111", "222222222222", "111111111111"]),
                &[],
                false
            ),
            Ok(Targets::Accounts(strings(&[
                "111111111111",
                "222222222222"
            ])))
        );
        assert!(targets(&strings(&["1111"]), &[], false).is_err());
        assert!(
            targets(
                &strings(&["111111111111"]),
                &strings(&["ou-ab12-cd345678"]),
                false
            )
            .is_err()
        );
        assert!(targets(&strings(&["111111111111"]), &[], true).is_err());
        assert_eq!(
            targets(&[], &strings(&["ou-ab12-cd345678", "r-ab12"]), true),
            Ok(Targets::OrgUnits {
                ids: strings(&["ou-ab12-cd345678", "r-ab12"]),
                auto_deploy: true
            })
        );
        assert!(targets(&[], &strings(&["ou-x"]), false).is_err());
        assert!(targets(&[], &[], false).is_err());
    }

    #[test]
    fn one_region_by_default() {
        assert_eq!(regions(&[], "eu-west-1"), Ok(strings(&["eu-west-1"])));
        assert_eq!(
            regions(&strings(&["us-east-1", "us-east-1", "eu-west-1"]), "x"),
            Ok(strings(&["us-east-1", "eu-west-1"]))
        );
        assert!(regions(&strings(&["moon-1"]), "x").is_err());
    }

    #[test]
    fn the_role_is_named_and_csv_quotes_what_it_must() {
        let template = json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}, "P": {"Type": "AWS::IAM::Policy"}}});
        let named = with_role_name(&template, "segment-role");
        assert_eq!(
            named["Resources"]["R"]["Properties"]["RoleName"],
            "segment-role"
        );
        assert!(named["Resources"]["P"].get("Properties").is_none());
        let rows = [
            InstanceRow {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                status: "SUCCEEDED".into(),
                reason: None,
            },
            InstanceRow {
                account: "222222222222".into(),
                region: "us-east-1".into(),
                status: "FAILED".into(),
                reason: Some("Role, \"x\" exists".into()),
            },
        ];
        assert_eq!(
            csv(&rows, "segment-role"),
            "account,region,status,role_arn,reason\n111111111111,us-east-1,SUCCEEDED,arn:aws:iam::111111111111:role/segment-role,\n222222222222,us-east-1,FAILED,,\"Role, \"\"x\"\" exists\"\n"
        );
    }
}
