//! The engine for many accounts: create a stack set of the plan's role, its instances in every
//! target account, watch them live, retry the failed ones, delete them all. Every face drives
//! these functions; the data they work on is `stackset`.

use crate::aws::{InstanceTargets, Members, Roles, StackSetCreate, StackSets};
use crate::engine::{CREATED_BY_TAG, EngineError, INTEGRATION_TAG, Progress, WatchOptions};
use crate::model::catalog::Integration;
use crate::model::plan::Plan;
use crate::model::stackset::{self, AccountCheck, InstanceRow, Preferences, Targets, Verdict};
use futures_util::StreamExt;
use serde_json::Value;
use std::collections::BTreeMap;
use tokio::time::Instant;

/// A stack set to make: the plan's role under a fixed name in every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSetRequest {
    pub name: String,
    pub targets: Targets,
    pub regions: Vec<String>,
    pub preferences: Preferences,
}

impl StackSetRequest {
    fn instances(&self, accounts: Vec<String>) -> InstanceTargets {
        let (accounts, org_units) = match &self.targets {
            Targets::Accounts(all) if accounts.is_empty() => (all.clone(), Vec::new()),
            Targets::Accounts(_) => (accounts, Vec::new()),
            Targets::OrgUnits { ids, .. } => (accounts, ids.clone()),
        };
        InstanceTargets {
            stack_set: self.name.clone(),
            accounts,
            org_units,
            regions: self.regions.clone(),
            preferences: self.preferences,
        }
    }
}

/// The stack set's create request: the template with the role named, the plan's parameters,
/// and the tags that make it ours.
pub fn stack_set_create(plan: &Plan, request: &StackSetRequest) -> StackSetCreate {
    let template = stackset::with_role_name(&plan.template, &plan.role_name);
    StackSetCreate {
        name: request.name.clone(),
        description: format!(
            "Role {} that Segment's {} assumes with an external ID, in {}. Made by segment-aws-setup.",
            plan.role_name,
            plan.integration_title.to_lowercase(),
            request.targets.describe()
        ),
        template_body: template.to_string(),
        parameters: plan
            .parameters
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_string()))
            .collect(),
        tags: vec![
            (CREATED_BY_TAG.0.to_string(), CREATED_BY_TAG.1.to_string()),
            (INTEGRATION_TAG.to_string(), plan.integration_id.clone()),
        ],
        permission_model: request.targets.permission_model().to_string(),
        auto_deploy: matches!(
            request.targets,
            Targets::OrgUnits {
                auto_deploy: true,
                ..
            }
        ),
    }
}

/// Self-managed stack sets need AWS's administration role in this account: checked before
/// anything is made, with how to create it.
pub async fn check_prerequisites(roles: &dyn Roles, targets: &Targets) -> Result<(), EngineError> {
    if let Targets::Accounts(_) = targets
        && roles
            .get_role(stackset::ADMINISTRATION_ROLE)
            .await?
            .is_none()
    {
        return Err(EngineError::Declined(format!(
            "role {} is missing. {}",
            stackset::ADMINISTRATION_ROLE,
            stackset::ROLES_HOWTO
        )));
    }
    Ok(())
}

/// Creates the stack set (or reuses ours of that name) and its instances, then watches them to
/// the end. Returns every instance with its final status. An existing stack set of that name is
/// reused only when it is provably ours, its setup is saved on this machine (`saved_here`: else
/// its external ID can't be known here) and its template and parameters are the plan's: new
/// accounts then get the same role, requiring the same ID.
pub async fn create(
    stack_sets: &dyn StackSets,
    roles: &dyn Roles,
    plan: &Plan,
    request: &StackSetRequest,
    saved_here: bool,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<InstanceRow>, EngineError> {
    check_prerequisites(roles, &request.targets).await?;
    match stack_sets.describe_stack_set(&request.name).await? {
        None => {
            report(Progress::Note(format!(
                "Creating stack set {} ({})",
                request.name,
                request.targets.permission_model()
            )));
            stack_sets
                .create_stack_set(&stack_set_create(plan, request))
                .await?;
        }
        Some(existing) => {
            prove(&existing)?;
            if !saved_here {
                return Err(EngineError::StackSetNotSaved {
                    name: request.name.clone(),
                    integration: plan.integration_id.clone(),
                });
            }
            let differences = differences(plan, request, &existing);
            if !differences.is_empty() {
                return Err(EngineError::StackSetDiffers {
                    name: request.name.clone(),
                    integration: plan.integration_id.clone(),
                    differences,
                });
            }
            // A re-run (after Ctrl-C, a lost session, a dead laptop): the instances already
            // there are watched, not made again; only missing ones are added.
            report(Progress::Note(format!(
                "Stack set {} exists (made by this tool): adding only the instances it lacks",
                request.name
            )));
            return add_missing(stack_sets, request, options, report).await;
        }
    }
    report(Progress::Note(format!(
        "Creating instances in {} × {} (failure tolerance {} %, {} % at once)",
        request.targets.describe(),
        plural_regions(&request.regions),
        request.preferences.failure_tolerance_percent,
        request.preferences.max_concurrent_percent
    )));
    let operation = stack_sets
        .create_instances(&request.instances(Vec::new()))
        .await?;
    watch(stack_sets, &request.name, Some(&operation), options, report).await
}

/// Times an operation still running (the interrupted create's) is waited for before giving up.
const BUSY_TRIES: usize = 3;

/// The targets' instances on an existing stack set: the accounts that lack one get it (units
/// are asked for again: CloudFormation adds only what they lack), the rest are watched. An
/// operation still running, such as the create a re-run follows, is watched to its end first.
async fn add_missing(
    stack_sets: &dyn StackSets,
    request: &StackSetRequest,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<InstanceRow>, EngineError> {
    for _ in 0..BUSY_TRIES {
        let existing = stack_sets.list_instances(&request.name).await?;
        let missing: Vec<String> = match &request.targets {
            Targets::Accounts(accounts) => accounts
                .iter()
                .filter(|account| {
                    !request.regions.iter().all(|region| {
                        existing
                            .iter()
                            .any(|row| &row.account == *account && &row.region == region)
                    })
                })
                .cloned()
                .collect(),
            Targets::OrgUnits { .. } => Vec::new(),
        };
        let units = matches!(request.targets, Targets::OrgUnits { .. });
        if missing.is_empty() && !units {
            report(Progress::Note(
                "Every account already has its instance: watching them".into(),
            ));
            return watch(stack_sets, &request.name, None, options, report).await;
        }
        if !units {
            report(Progress::Note(format!(
                "Creating instances in {} account(s) that lack one: {}",
                missing.len(),
                missing.join(", ")
            )));
        }
        match stack_sets
            .create_instances(&request.instances(missing))
            .await
        {
            Ok(operation) => {
                return watch(stack_sets, &request.name, Some(&operation), options, report).await;
            }
            Err(error) if error.code() == Some("OperationInProgressException") => {
                report(Progress::Note(format!(
                    "Another operation on stack set {} is still running (the one a re-run follows): watching it first",
                    request.name
                )));
                watch(stack_sets, &request.name, None, options, report).await?;
                tokio::time::sleep(options.interval).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(EngineError::Declined(format!(
        "stack set {} is still busy with another operation: watch it, then run this again",
        request.name
    )))
}

fn plural_regions(regions: &[String]) -> String {
    if regions.len() == 1 {
        format!("region {}", regions[0])
    } else {
        format!("{} regions", regions.len())
    }
}

/// A stack set is ours when its template is one of this tool's (the tag alone proves nothing).
pub fn prove(set: &crate::aws::StackSetInfo) -> Result<&'static Integration, EngineError> {
    let template: Value = serde_json::from_str(&set.template_body).unwrap_or(Value::Null);
    crate::model::ownership::stack_set_is_ours(&set.tags, &template).map_err(|why| {
        EngineError::NotOurs {
            what: format!("stack set {}", set.name),
            why,
        }
    })
}

/// How an existing stack set differs from what the plan would make: its template, and each
/// parameter CloudFormation shows (a NoEcho one, the external ID, comes back masked).
fn differences(
    plan: &Plan,
    request: &StackSetRequest,
    existing: &crate::aws::StackSetInfo,
) -> Vec<String> {
    let wanted = stack_set_create(plan, request);
    let mut differences = Vec::new();
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    if parse(&existing.template_body) != parse(&wanted.template_body) {
        differences.push(
            "its template is not the one this plan makes (another preset, other inputs or another role name)"
                .to_string(),
        );
    }
    for (key, value) in &wanted.parameters {
        match existing.parameters.iter().find(|(k, _)| k == key) {
            Some((_, shown)) if shown == "****" || shown == value => {}
            Some((_, shown)) => differences.push(format!(
                "parameter {key} is {shown:?}, the plan's is {value:?}"
            )),
            None => differences.push(format!("it has no parameter {key}")),
        }
    }
    differences
}

/// Watches a stack set's instances (and its operation, when one is named) until none is being
/// worked on, reporting each instance whose status changes. ListStackInstances every interval
/// and DescribeStackSetOperation every fourth: about 50 calls a minute, as for one stack.
pub async fn watch(
    stack_sets: &dyn StackSets,
    name: &str,
    operation: Option<&str>,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<InstanceRow>, EngineError> {
    let started = Instant::now();
    let mut seen: BTreeMap<(String, String), InstanceRow> = BTreeMap::new();
    let mut operation_done = operation.is_none();
    let mut poll: u64 = 0;
    let mut offline = false;
    // Pages the last listing took: the wait between polls grows with them (500 instances are
    // five calls a poll), so the calls a minute stay within the budget at any size.
    let mut pages: u32 = 1;
    loop {
        let listed = stack_sets.list_instances(name).await;
        let rows = match listed {
            Ok(rows) => {
                if offline {
                    offline = false;
                    report(Progress::Reconnected);
                }
                Some(rows)
            }
            Err(error) if error.is_network() => {
                if !offline {
                    offline = true;
                    report(Progress::Reconnecting {
                        error: error.to_string(),
                    });
                }
                None
            }
            Err(error) => return Err(error.into()),
        };
        if let Some(rows) = rows {
            pages = u32::try_from(rows.len().div_ceil(stackset::INSTANCES_PER_PAGE))
                .unwrap_or(u32::MAX)
                .max(1);
            for row in &rows {
                let key = (row.account.clone(), row.region.clone());
                if seen.get(&key) != Some(row) {
                    report(Progress::Instance {
                        row: row.clone(),
                        elapsed: started.elapsed(),
                    });
                    seen.insert(key, row.clone());
                }
            }
            if let (Some(operation), false) = (operation, operation_done)
                && poll.is_multiple_of(4)
            {
                let info = stack_sets.describe_operation(name, operation).await?;
                if info.is_done() {
                    operation_done = true;
                    report(Progress::Note(format!(
                        "Stack set operation {}{}",
                        info.status,
                        info.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    )));
                }
            }
            if operation_done && !rows.iter().any(InstanceRow::pending) {
                return Ok(rows);
            }
        }
        if started.elapsed() >= options.timeout {
            return Err(EngineError::TimedOut {
                stack: format!("stack set {name}"),
                status: "being worked on".into(),
            });
        }
        poll += 1;
        // The operation is asked about every poll once the instances are all done, so the end
        // shows without waiting for the fourth poll.
        if seen.values().all(|r| !r.pending()) && !operation_done {
            poll = poll.next_multiple_of(4);
        }
        tokio::time::sleep(options.interval.saturating_mul(pages)).await;
    }
}

/// Runs the failed instances again (their template and parameters unchanged) and watches them.
pub async fn retry(
    stack_sets: &dyn StackSets,
    name: &str,
    org_units: &[String],
    preferences: Preferences,
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<Vec<InstanceRow>, EngineError> {
    let set = ours(stack_sets, name).await?;
    let rows = stack_sets.list_instances(name).await?;
    let failed: Vec<&InstanceRow> = rows.iter().filter(|r| r.failed()).collect();
    if failed.is_empty() {
        report(Progress::Note(format!(
            "No failed instance in stack set {name}: nothing to retry"
        )));
        return Ok(rows);
    }
    report(Progress::Note(format!(
        "Retrying {} failed instance(s): {}",
        failed.len(),
        failed
            .iter()
            .map(|r| format!("{} {}", r.account, r.region))
            .collect::<Vec<_>>()
            .join(", ")
    )));
    // Service-managed stack sets are run on their units again (the instances that succeeded
    // are left as they are); self-managed ones on the failed accounts only.
    if set.permission_model == "SERVICE_MANAGED" && org_units.is_empty() {
        return Err(EngineError::Declined(format!(
            "stack set {name} deploys to organizational units: name them with --org-units to retry"
        )));
    }
    let targets = targets_of(name, &failed, org_units, preferences);
    let operation = stack_sets.rerun_instances(&targets).await?;
    watch(stack_sets, name, Some(&operation), options, report).await
}

/// An operation on existing instances: their regions, and the units named (service-managed) or
/// else their accounts (self-managed).
fn targets_of(
    name: &str,
    rows: &[&InstanceRow],
    org_units: &[String],
    preferences: Preferences,
) -> InstanceTargets {
    let distinct = |values: Vec<String>| {
        let mut values = values;
        values.sort();
        values.dedup();
        values
    };
    InstanceTargets {
        stack_set: name.to_string(),
        accounts: if org_units.is_empty() {
            distinct(rows.iter().map(|r| r.account.clone()).collect())
        } else {
            Vec::new()
        },
        org_units: org_units.to_vec(),
        regions: distinct(rows.iter().map(|r| r.region.clone()).collect()),
        preferences,
    }
}

async fn ours(
    stack_sets: &dyn StackSets,
    name: &str,
) -> Result<crate::aws::StackSetInfo, EngineError> {
    match stack_sets.describe_stack_set(name).await? {
        None => Err(EngineError::StackNotFound {
            stack: format!("set {name}"),
        }),
        Some(set) => prove(&set).map(|_| set),
    }
}

/// What deleting a stack set removes, once it is proven ours: the role in each account and
/// region it reached, then the stack set. For the confirmation, before anything is deleted.
pub async fn preview_delete(
    stack_sets: &dyn StackSets,
    name: &str,
) -> Result<Vec<String>, EngineError> {
    let set = ours(stack_sets, name).await?;
    let template: Value = serde_json::from_str(&set.template_body).unwrap_or(Value::Null);
    let role = template
        .get("Resources")
        .and_then(Value::as_object)
        .and_then(|r| {
            r.values()
                .find(|v| v["Type"] == crate::model::template::ROLE_TYPE)
        })
        .and_then(|r| r["Properties"]["RoleName"].as_str())
        .unwrap_or("its role")
        .to_string();
    let mut items: Vec<String> = stack_sets
        .list_instances(name)
        .await?
        .into_iter()
        .map(|row| {
            format!(
                "role {} in account {} ({})",
                stackset::role_arn(&row.account, &role),
                row.account,
                row.region
            )
        })
        .collect();
    items.push(format!("the stack set {name}"));
    Ok(items)
}

/// Deletes a stack set this tool made: its instances first (their stacks and roles), watched,
/// then the stack set.
pub async fn delete(
    stack_sets: &dyn StackSets,
    name: &str,
    org_units: &[String],
    options: &WatchOptions,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), EngineError> {
    let set = ours(stack_sets, name).await?;
    let rows = stack_sets.list_instances(name).await?;
    if !rows.is_empty() {
        if set.permission_model == "SERVICE_MANAGED" && org_units.is_empty() {
            return Err(EngineError::Declined(format!(
                "stack set {name} deploys to organizational units: name them with --org-units to delete its instances"
            )));
        }
        report(Progress::Note(format!(
            "Deleting {} instance(s) of stack set {name}",
            rows.len()
        )));
        let all: Vec<&InstanceRow> = rows.iter().collect();
        let targets = targets_of(name, &all, org_units, Preferences::default());
        let operation = stack_sets.delete_instances(&targets).await?;
        let left = watch(stack_sets, name, Some(&operation), options, report).await?;
        if !left.is_empty() {
            return Err(EngineError::Declined(format!(
                "{} instance(s) of stack set {name} are left ({}); the stack set stays",
                left.len(),
                left.iter()
                    .map(|r| format!(
                        "{} {}: {}",
                        r.account,
                        r.region,
                        r.reason.as_deref().unwrap_or(&r.status)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
    }
    report(Progress::Note(format!("Deleting stack set {name}")));
    stack_sets.delete_stack_set(name).await?;
    Ok(())
}

/// How many member accounts are checked at once by default. AWS publishes no request rate for
/// STS or IAM; each check is about five calls (AssumeRole, GetRole, the inline and attached
/// policies), so 16 accounts in flight is some 80 calls a second at AWS's 100 ms round trips,
/// and the SDK's adaptive retry slows the client down when AWS throttles anyway.
pub const ACCOUNTS_AT_ONCE: u16 = 16;

/// What [`verify_accounts`] checks in each account, and how many at once.
pub struct AcrossAccounts<'a> {
    /// The role each account is entered through.
    pub through: &'a str,
    pub role_name: &'a str,
    pub integration: &'a Integration,
    pub external_ids: &'a [String],
    pub rotating: bool,
    /// The preset's policy for an account (it may name the account).
    pub permission_for: &'a (dyn Fn(&str) -> Option<(String, Value)> + Sync),
    /// Accounts in flight at once (at least one).
    pub at_once: usize,
}

/// The accounts under organizational units (or the root), for a verify across them: the active
/// ones to check, and a row for each one that can't be (suspended, or being closed).
pub async fn accounts_of_units(
    members: &dyn Members,
    units: &[String],
    role_name: &str,
) -> Result<(Vec<String>, Vec<AccountCheck>), EngineError> {
    let mut active = Vec::new();
    let mut not_checked = Vec::new();
    for (account, status) in members.accounts_under(units).await? {
        if status == "ACTIVE" {
            active.push(account);
        } else {
            not_checked.push(AccountCheck {
                role_arn: stackset::role_arn(&account, role_name),
                verdict: Verdict::NotChecked(format!(
                    "the account is {status} in the organization: not entered"
                )),
                account,
            });
        }
    }
    Ok((active, not_checked))
}

/// The role in one account's IAM, judged as `verify` judges it.
async fn judge_in(
    roles: &dyn Roles,
    across: &AcrossAccounts<'_>,
    permission: Option<(&str, &Value)>,
) -> Result<crate::model::verify::Verification, EngineError> {
    crate::engine::verify_role(
        roles,
        across.role_name,
        across.integration,
        across.external_ids,
        across.rotating,
        permission,
    )
    .await
}

/// Verifies the role in each account: entered through role `through` there (the caller's own
/// account with its own credentials, given as `home`), then judged as `verify` judges one role.
/// An account that can't be entered or read is a row that says why, never an error for all.
/// Accounts are checked `at_once` at a time, each one's credentials dropped as soon as it is
/// judged; `done` is told how many are finished after each, and the rows come back in the order
/// the accounts were given.
pub async fn verify_accounts(
    members: &dyn Members,
    home: Option<(&str, &dyn Roles)>,
    accounts: &[String],
    across: &AcrossAccounts<'_>,
    done: &(dyn Fn(usize) + Sync),
) -> Vec<AccountCheck> {
    let check = |account: String| async move {
        let role_arn = stackset::role_arn(&account, across.role_name);
        let permission = (across.permission_for)(&account);
        let permission = permission.as_ref().map(|(name, doc)| (name.as_str(), doc));
        let judged = match home {
            Some((own, roles)) if own == account => judge_in(roles, across, permission).await,
            _ => match members.enter(&account, across.through).await {
                // The member account's client (and its credentials) end with this block.
                Ok(roles) => judge_in(roles.as_ref(), across, permission).await,
                Err(error) => {
                    let verdict = Verdict::NotChecked(format!(
                        "can't enter it through {}: {error}",
                        stackset::role_arn(&account, across.through)
                    ));
                    return AccountCheck {
                        account,
                        role_arn,
                        verdict,
                    };
                }
            },
        };
        let verdict = match judged {
            Ok(verification) => Verdict::Judged(Box::new(verification.without_traces())),
            Err(EngineError::RoleNotFound { .. }) => Verdict::NoRole,
            Err(error) => Verdict::NotChecked(error.to_string()),
        };
        AccountCheck {
            account,
            role_arn,
            verdict,
        }
    };
    let check = &check;
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let finished = &finished;
    let mut rows: Vec<(usize, AccountCheck)> =
        futures_util::stream::iter(accounts.iter().cloned().enumerate())
            .map(|(index, account)| async move {
                let row = check(account).await;
                done(finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
                (index, row)
            })
            .buffer_unordered(across.at_once.max(1))
            .collect()
            .await;
    rows.sort_by_key(|(index, _)| *index);
    rows.into_iter().map(|(_, row)| row).collect()
}
