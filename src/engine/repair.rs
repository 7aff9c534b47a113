//! Verifying a role and repairing it: the one sequence every face runs. Judge the role; when it
//! is wrong and a repair is wanted, ask about each Deny that refuses Segment, show the proven
//! fix, ask, apply it, and read the role again, so what is shown after a repair is what AWS
//! holds. The wizard, which asks on screens between messages, runs the same two halves:
//! `verify_expected` and `repair_role`.

use super::report::*;
use super::verify::{apply_fix, verify_role};
use crate::aws::Roles;
use crate::model::catalog::Integration;
use crate::model::verify::{Fix, Verification};
use serde_json::Value;

/// What a role must be: required by this integration with these external IDs, and (when a
/// preset is given) granted this permission policy.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// Its name or ARN.
    pub role: &'a str,
    pub integration: &'a Integration,
    pub external_ids: &'a [String],
    /// A rotation is under way: the role accepts the new ID beside the old.
    pub rotating: bool,
    /// The preset's policy name and document.
    pub permission: Option<(&'a str, &'a Value)>,
}

/// How a verify-and-repair ended; the verification is of the role as AWS holds it at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub verification: Verification,
    pub ending: RepairEnding,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RepairEnding {
    /// Right as found, or wrong with no repair asked for (or nothing a repair may change).
    AsFound,
    /// The repair was applied and the role read again; the warning when the repair refuses
    /// Segment until its setting holds the new ID.
    Repaired { warning: Option<String> },
    /// No repair this tool may make passes every probe (why, a sentence each): nothing changed.
    NoRepair(Vec<String>),
    /// The repair was shown and declined: nothing changed.
    Declined,
}

/// Reads the role and judges it against what it must be.
pub async fn verify_expected(
    roles: &dyn Roles,
    expected: &Expected<'_>,
) -> Result<Verification, EngineError> {
    verify_role(
        roles,
        expected.role,
        expected.integration,
        expected.external_ids,
        expected.rotating,
        expected.permission,
    )
    .await
}

/// Applies a proven fix to role `name`, then reads the role again.
pub async fn repair_role(
    roles: &dyn Roles,
    expected: &Expected<'_>,
    name: &str,
    fix: &Fix,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Verification, EngineError> {
    apply_fix(roles, name, fix, report).await?;
    report(Progress::Note("Repaired; checking the role again".into()));
    verify_expected(roles, expected).await
}

/// Judges the role; with `repair`, a wrong role is repaired as the module doc says. Every line
/// shown goes through `report`, every decision through `confirm` (a Deny to remove, the repair
/// to apply in `account`).
pub async fn verify_and_repair(
    roles: &dyn Roles,
    expected: &Expected<'_>,
    repair: bool,
    account: &str,
    confirm: &mut (dyn FnMut(&Question) -> bool + Send),
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Checked, EngineError> {
    let verification = verify_expected(roles, expected).await?;
    let found = |verification, ending| {
        Ok(Checked {
            verification,
            ending,
        })
    };
    if !repair || verification.is_right() {
        return found(verification, RepairEnding::AsFound);
    }
    for line in verification.lines() {
        report(Progress::Note(line.plain()));
    }
    let confirmed: Vec<usize> = verification
        .judgement
        .blocking_denies
        .iter()
        .copied()
        .filter(|&number| confirm(&Question::RemoveDeny { number }))
        .collect();
    let fix = match verification.fix(expected.permission, &confirmed) {
        Ok(fix) => fix,
        Err(reasons) => return found(verification, RepairEnding::NoRepair(reasons)),
    };
    for line in fix.lines() {
        report(Progress::Note(line));
    }
    let warning = verification.repair_cuts_off(&fix);
    if let Some(warning) = &warning {
        report(Progress::Note(format!("Warning: {warning}")));
    }
    if fix.is_empty() {
        return found(verification, RepairEnding::AsFound);
    }
    let question = Question::ApplyRepair {
        role: verification.role.name.clone(),
        account: account.to_string(),
    };
    if !confirm(&question) {
        return found(verification, RepairEnding::Declined);
    }
    let name = verification.role.name.clone();
    let verification = repair_role(roles, expected, &name, &fix, report).await?;
    found(verification, RepairEnding::Repaired { warning })
}
