//! `audit`: where Segment can get in. Every IAM role of this account (or of the accounts given,
//! or of the whole organization) that any Segment principal of the catalog can assume, each
//! judged without knowing your external ID, with when it was last used and the command that
//! repairs it. Exit code 4 when one is NOT OK, or an account couldn't be read.

use super::common::*;
use crate::aws::Resources;
use crate::engine::audit::{self, AccountAudit};
use crate::engine::stack_sets::ACCOUNTS_AT_ONCE;
use crate::model::picker::ResourceKind;
use crate::model::stackset;

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Audit these accounts (the account of your credentials with them, the others entered
    /// through --member-role)
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        conflicts_with = "organization"
    )]
    pub accounts: Vec<String>,

    /// Audit every active account of your AWS Organization (organizations:ListAccounts, from
    /// the management account or a delegated administrator)
    #[arg(long)]
    pub organization: bool,

    /// With --accounts or --organization: the role each account is entered through
    #[arg(long, value_name = "NAME", default_value = stackset::MEMBER_ACCESS_ROLE)]
    pub member_role: String,

    /// With --accounts or --organization: how many accounts are audited at once (1 to 64)
    #[arg(long, value_name = "N", default_value_t = ACCOUNTS_AT_ONCE,
        value_parser = clap::value_parser!(u16).range(1..=64),
        env = "SEGMENT_AWS_SETUP_CONCURRENCY")]
    pub concurrency: u16,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// Output on stdout: text for people, json or csv (a row per role) for scripts
    #[arg(long, value_enum, default_value_t = Format::Text, env = "SEGMENT_AWS_SETUP_OUTPUT")]
    pub output: Format,
}

pub(crate) async fn audit(args: &AuditArgs) -> Result<String, Failure> {
    if !args.accounts.is_empty() {
        stackset::targets(&args.accounts, &[], false).map_err(InputError::at("--accounts"))?;
    }
    validate::role_name(&args.member_role).map_err(InputError::at("--member-role"))?;
    let session = connect(&args.aws).await?;
    let accounts = if args.organization {
        let listed = session
            .sdk
            .resources()
            .list(ResourceKind::OrgTargets, "", &session.caller.account)
            .await
            .map_err(|e| session.failure(e.into()))?;
        listed
            .into_iter()
            .map(|r| r.value)
            .filter(|v| crate::model::iam_eval::is_account_id(v))
            .collect()
    } else if args.accounts.is_empty() {
        vec![session.caller.account.clone()]
    } else {
        args.accounts.clone()
    };
    say(&format!(
        "Looking for roles Segment can assume in {} account(s)",
        accounts.len()
    ));
    let bar = progress_bar(accounts.len() as u64, "accounts");
    let audits = audit::audit_accounts(
        &session.sdk,
        Some((session.caller.account.as_str(), &session.sdk)),
        &accounts,
        &args.member_role,
        usize::from(args.concurrency),
        crate::engine::now(),
        &|done| bar.set_position(done as u64),
    )
    .await;
    bar.finish_and_clear();
    let output = audit_output(&audits, args.output);
    let wrong: usize = audits
        .iter()
        .map(|a| a.roles.iter().filter(|r| !r.is_ok()).count() + usize::from(a.failed.is_some()))
        .sum();
    if wrong == 0 {
        return Ok(output);
    }
    print_output(&output);
    Err(Failure {
        code: exit::AWS_REFUSED,
        message: format!(
            "{wrong} finding(s) NOT OK or not checked: each says why and the command that repairs it"
        ),
    })
}

/// The audit as the output asks: rows of roles (and of accounts that couldn't be read).
fn audit_output(audits: &[AccountAudit], format: Format) -> String {
    let roles: Vec<crate::model::audit::AuditedRole> =
        audits.iter().flat_map(|a| a.roles.clone()).collect();
    let looked_at = audits.iter().map(|a| a.looked_at).sum();
    match format {
        Format::Json => pretty_json(&serde_json::json!({
            "accounts": audits.iter().map(|a| serde_json::json!({
                "account": a.account,
                "rolesLookedAt": a.looked_at,
                "failed": a.failed,
            })).collect::<Vec<_>>(),
            "roles": roles.iter().map(crate::model::audit::AuditedRole::to_json).collect::<Vec<_>>(),
            "ok": audits.iter().all(AccountAudit::is_ok),
        })),
        Format::Csv => crate::model::audit::audit_csv(&roles),
        Format::Text => {
            let mut text = String::new();
            for failed in audits.iter().filter(|a| a.failed.is_some()) {
                text.push_str(&format!(
                    "NOT CHECKED {}: {}\n",
                    failed.account,
                    failed.failed.as_deref().unwrap_or_default()
                ));
            }
            text + &crate::model::audit::audit_text(&roles, looked_at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn accounts_and_the_organization_are_one_or_the_other() {
        assert!(parse(&["audit", "--accounts", "111111111111", "--organization"]).is_err());
        match parse(&[
            "audit",
            "--organization",
            "--concurrency",
            "8",
            "--output",
            "csv",
        ]) {
            Ok(Command::Audit(args)) => {
                assert!(args.organization && args.concurrency == 8);
                assert_eq!(args.output, Format::Csv);
            }
            other => panic!("not audit: {other:?}"),
        }
        assert!(parse(&["audit", "--concurrency", "0"]).is_err());
        assert!(parse(&["audit", "--concurrency", "65"]).is_err());
    }
}
