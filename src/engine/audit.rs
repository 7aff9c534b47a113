//! `audit`: every IAM role in an account, or in many, that a Segment principal of the catalog
//! can assume, judged without knowing the customer's external ID (`model::audit`), with when it
//! was last used. ListRoles once, then for each role Segment can assume only: GetRole (its last
//! use), its inline and attached policies.

use crate::aws::{Members, Roles};
use crate::engine::EngineError;
use crate::model::audit::{self, AuditedRole};
use futures_util::StreamExt;

/// One account's audit: the roles Segment can assume in it, or why it couldn't be read.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountAudit {
    pub account: String,
    /// How many roles the account has (all were looked at).
    pub looked_at: usize,
    pub roles: Vec<AuditedRole>,
    /// Why the account couldn't be audited (entered, or its roles listed).
    pub failed: Option<String>,
}

impl AccountAudit {
    /// Every role is OK and the account was read.
    pub fn is_ok(&self) -> bool {
        self.failed.is_none() && self.roles.iter().all(AuditedRole::is_ok)
    }
}

/// Audits the roles of one account (`roles` is its IAM), `now` in epoch seconds; the roles
/// Segment can assume are read `at_once` at a time, the rows in ListRoles' order.
pub async fn audit_roles(
    roles: &dyn Roles,
    account: &str,
    now: i64,
    at_once: usize,
) -> Result<AccountAudit, EngineError> {
    let listing = roles.list_roles().await?;
    let looked_at = listing.len();
    let candidates: Vec<_> = listing
        .into_iter()
        .filter_map(|role| {
            let integrations = audit::assumable_by(&role.trust_policy, &role.arn, now);
            (!integrations.is_empty()).then_some((role, integrations))
        })
        .collect();
    // The futures made first, so the stream holds no closure (a spawned task must be Send for
    // every lifetime, which a closure over these references can't promise).
    let reads: Vec<_> = candidates
        .into_iter()
        .map(|(role, integrations)| judge_one(roles, account, now, role, integrations))
        .collect();
    let judged: Vec<Result<Option<AuditedRole>, EngineError>> = futures_util::stream::iter(reads)
        .buffered(at_once.max(1))
        .collect()
        .await;
    let mut audited = Vec::new();
    for row in judged {
        audited.extend(row?);
    }
    Ok(AccountAudit {
        account: account.to_string(),
        looked_at,
        roles: audited,
        failed: None,
    })
}

/// One role Segment can assume, read (its last use, its policies) and judged; `None` when it
/// went between ListRoles and GetRole.
async fn judge_one(
    roles: &dyn Roles,
    account: &str,
    now: i64,
    role: crate::aws::RoleListing,
    integrations: Vec<&'static crate::model::catalog::Integration>,
) -> Result<Option<AuditedRole>, EngineError> {
    // ListRoles leaves RoleLastUsed out: GetRole has it.
    let Some(info) = roles.get_role(&role.name).await? else {
        return Ok(None);
    };
    let mut permissions = Vec::new();
    for name in roles.role_policy_names(&role.name).await? {
        let document = roles.get_role_policy(&role.name, &name).await?;
        permissions.push((name, document));
    }
    for (name, arn) in roles.attached_policies(&role.name).await? {
        let document = roles.managed_policy_document(&arn).await?;
        permissions.push((name, document));
    }
    Ok(Some(audit::judge_role(
        account,
        &info,
        &integrations,
        &permissions,
        now,
    )))
}

/// Audits each account, `at_once` at a time: the caller's own (`home`) with its credentials,
/// the others entered through role `through`. An account that can't be entered or read is a
/// row that says why; `done` is told how many are finished; rows in the order given.
pub async fn audit_accounts(
    members: &dyn Members,
    home: Option<(&str, &dyn Roles)>,
    accounts: &[String],
    through: &str,
    at_once: usize,
    now: i64,
    done: &(dyn Fn(usize) + Sync),
) -> Vec<AccountAudit> {
    let one = |account: String| async move {
        let result = match home {
            Some((own, roles)) if own == account => {
                audit_roles(roles, &account, now, at_once).await
            }
            _ => match members.enter(&account, through).await {
                Ok(roles) => audit_roles(roles.as_ref(), &account, now, at_once).await,
                Err(error) => Err(EngineError::Declined(format!(
                    "can't enter it through {}: {error}",
                    crate::model::stackset::role_arn(&account, through)
                ))),
            },
        };
        result.unwrap_or_else(|error| AccountAudit {
            account,
            looked_at: 0,
            roles: Vec::new(),
            failed: Some(error.to_string()),
        })
    };
    let one = &one;
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let finished = &finished;
    let mut rows: Vec<(usize, AccountAudit)> =
        futures_util::stream::iter(accounts.iter().cloned().enumerate())
            .map(|(index, account)| async move {
                let row = one(account).await;
                done(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                (index, row)
            })
            .buffer_unordered(at_once.max(1))
            .collect()
            .await;
    rows.sort_by_key(|(index, _)| *index);
    rows.into_iter().map(|(_, row)| row).collect()
}
