//! Many accounts from the command line: `create --accounts ... | --org-units ...` makes the role
//! in each through a StackSet; `watch`, `retry` and `delete` take `--stack-set`. The result is a
//! row per account (its role ARN, or why it failed) as text, JSON or CSV.

use super::common::*;
use crate::engine::stack_sets::{self, StackSetRequest};
use crate::model::stackset::{self, InstanceRow, Preferences};

/// The targets of a StackSet, for `create`.
#[derive(Args, Debug, Clone, Default)]
pub struct ManyArgs {
    /// Make the role in each of these accounts through a StackSet (self-managed permissions:
    /// AWSCloudFormationStackSetAdministrationRole here, AWSCloudFormationStackSetExecutionRole
    /// in each account)
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        conflicts_with = "org_units"
    )]
    pub accounts: Vec<String>,

    /// Make the role in every account of these organizational units (or the root, r-...)
    /// through a StackSet (service-managed permissions: AWS Organizations' trusted access)
    #[arg(long, value_name = "OU,...", value_delimiter = ',')]
    pub org_units: Vec<String>,

    /// With --org-units: also make the role in accounts added to the units later
    #[arg(long)]
    pub auto_deploy: bool,

    /// The regions the StackSet's instances go to (default: this region only: a role is
    /// global, one region makes it in every account)
    #[arg(long, value_name = "REGION,...", value_delimiter = ',')]
    pub stack_set_regions: Vec<String>,

    /// Percentage of accounts that may fail before CloudFormation stops (default 100: every
    /// account is tried, and `retry` runs the failed ones again)
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(0..=100), value_name = "PERCENT")]
    pub failure_tolerance: u8,

    /// Percentage of accounts worked on at once (default 100)
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u8).range(1..=100), value_name = "PERCENT")]
    pub max_concurrent: u8,

    /// The StackSet's name (default: the stack name, segment-INTEGRATION-SUFFIX)
    #[arg(long, value_name = "NAME")]
    pub stack_set_name: Option<String>,
}

impl ManyArgs {
    pub fn wanted(&self) -> bool {
        !self.accounts.is_empty() || !self.org_units.is_empty()
    }

    fn preferences(&self) -> Preferences {
        Preferences {
            failure_tolerance_percent: self.failure_tolerance,
            max_concurrent_percent: self.max_concurrent,
        }
    }
}

pub(super) fn watch_hint(name: &str, session: &Session) -> String {
    format!(
        "Stopped watching; stack set {name} keeps going in AWS. Watch it again with:\n  segment-aws-setup watch --stack-set {name}{}",
        session.context().flags()
    )
}

/// What `create` with --accounts or --org-units is given: its own flags, not `create`'s whole
/// arguments, so this file and `create.rs` don't import each other.
pub(crate) struct ManyRun<'a> {
    pub many: &'a ManyArgs,
    pub aws: &'a AwsArgs,
    pub change: &'a ChangeArgs,
    pub timeout: Duration,
}

/// `create` with --accounts or --org-units.
pub(crate) async fn create(
    args: ManyRun<'_>,
    plan: Plan,
    mut request: PlanRequest,
) -> Result<String, Failure> {
    let many = args.many;
    let flag = if many.accounts.is_empty() {
        "--org-units"
    } else {
        "--accounts"
    };
    let targets = stackset::targets(&many.accounts, &many.org_units, many.auto_deploy)
        .map_err(InputError::at(flag))?;
    let name = many
        .stack_set_name
        .clone()
        .unwrap_or_else(|| plan.stack_name.clone());
    validate::stack_name(&name).map_err(InputError::at("--stack-set-name"))?;
    let store = state_store()?;
    let session = connect(args.aws).await?;
    say_state_problems(&store);
    let home = session.region.clone().unwrap_or_else(|| "us-east-1".into());
    let regions = stackset::regions(&many.stack_set_regions, &home)
        .map_err(InputError::at("--stack-set-regions"))?;
    // A re-run of the same stack set, or accounts added to it later, keep the external ID it
    // was saved with, finished or not: the new accounts' roles require the stack set's own.
    let rerun =
        crate::engine::resume::stack_set_record(Some(&store), &session.caller.account, &name);
    if let Some(saved) = &rerun
        && request.external_ids.is_empty()
        && request.workspace_ids.is_empty()
    {
        say(&format!(
            "Using the external ID of stack set {name}, saved for this account{}",
            if saved.finished {
                " (its accounts' roles require it)"
            } else {
                " (resuming it)"
            }
        ));
        saved.lend_ids(&mut request);
    }
    request.role_name = Some(plan.role_name.clone());
    request.stack_name = Some(plan.stack_name.clone());
    request.account = None;
    let plan = match &rerun {
        Some(_) => Plan::build(Catalog::builtin(), &request)?,
        None => Plan::build(Catalog::builtin(), &request.pinned_to(&plan))?,
    };
    let stack_set = StackSetRequest {
        name: name.clone(),
        targets,
        regions,
        preferences: many.preferences(),
    };
    let question = format!(
        "Create StackSet {name}: role {} (trusted by {} with your external ID, {}) in {} × {}, from account {}?",
        plan.role_name,
        plan.principal,
        plan.preset_title.to_lowercase(),
        stack_set.targets.describe(),
        stack_set.regions.join(", "),
        session.caller.account
    );
    if !ask(args.change.yes, &question) {
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    // Saved before the first change: a re-run finds the external ID again.
    let saved = SavedSetup::for_stack_set(
        &plan,
        &name,
        &session.caller.account,
        session.region.as_deref(),
        session.profile.as_deref(),
    );
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let mut report = progress_printer();
    let work = crate::engine::resume::create_stack_set(
        &session.sdk,
        &session.sdk,
        Some(&store),
        &plan,
        &saved,
        &stack_set,
        &options,
        &mut report,
    );
    let rows = interruptible(work, || watch_hint(&name, &session))
        .await?
        .map_err(|e| session.failure(e))?;
    with_failures(
        result(&plan, &name, &rows, args.change.output),
        &name,
        &rows,
        &session,
    )
}

/// The result on stdout; when an instance failed, exit code 4 too (after the rows), with the
/// command that runs the failed ones again.
pub(super) fn with_failures(
    output: String,
    name: &str,
    rows: &[InstanceRow],
    session: &Session,
) -> Result<String, Failure> {
    let failed = rows.iter().filter(|r| r.failed()).count();
    if failed == 0 {
        return Ok(output);
    }
    print_output(&output);
    Err(Failure {
        code: exit::AWS_REFUSED,
        message: format!(
            "{failed} of {} instance(s) of stack set {name} failed (their reasons are above); once fixed: segment-aws-setup retry --stack-set {name}{}",
            rows.len(),
            session.context().flags()
        ),
    })
}

/// The rows as the result: a line per account for people (then the settings, the same for
/// every account but the role ARN), an object for scripts, or CSV.
pub(super) fn result(plan: &Plan, name: &str, rows: &[InstanceRow], format: Format) -> String {
    let failed: Vec<&InstanceRow> = rows.iter().filter(|r| r.failed()).collect();
    match format {
        Format::Csv => stackset::csv(rows, &plan.role_name),
        Format::Json => pretty_json(&serde_json::json!({
            "stackSetName": name,
            "roleName": plan.role_name,
            "externalIds": plan.external_ids,
            "instances": rows.iter().map(|r| serde_json::json!({
                "account": r.account,
                "region": r.region,
                "status": r.status,
                "roleArn": r.succeeded().then(|| stackset::role_arn(&r.account, &plan.role_name)),
                "reason": r.reason,
            })).collect::<Vec<_>>(),
            "failed": failed.len(),
        })),
        Format::Text => {
            let mut text = String::new();
            for row in rows {
                let arn = if row.succeeded() {
                    stackset::role_arn(&row.account, &plan.role_name)
                } else {
                    row.reason.clone().unwrap_or_default()
                };
                text.push_str(&format!(
                    "{}  {}  {:<9}  {arn}\n",
                    row.account, row.region, row.status
                ));
            }
            if !failed.is_empty() {
                text.push_str(&format!(
                    "\n{} instance(s) failed: fix what the reason says (the retry command is below).\n",
                    failed.len()
                ));
            }
            if let Some(first) = rows.iter().find(|r| r.succeeded()) {
                text.push_str(
                    "\nThe settings for Segment, the same for every account but its role ARN (above):\n",
                );
                let outcome = Outcome::for_stack_set(
                    plan,
                    &stackset::role_arn(&first.account, &plan.role_name),
                    name,
                );
                text.push_str(&outcome_output(&outcome, Format::Text, true));
            }
            text
        }
    }
}

/// The rows alone (watch, retry): no plan to hand, so no settings.
fn rows_output(name: &str, rows: &[InstanceRow], format: Format) -> String {
    match format {
        Format::Csv => stackset::csv(rows, "ROLE"),
        Format::Json => pretty_json(&serde_json::json!({
            "stackSetName": name,
            "instances": rows.iter().map(|r| serde_json::json!({
                "account": r.account,
                "region": r.region,
                "status": r.status,
                "reason": r.reason,
            })).collect::<Vec<_>>(),
        })),
        Format::Text => rows.iter().map(|r| format!("{}\n", r.line())).collect(),
    }
}

/// `watch --stack-set`.
pub(crate) async fn watch(
    name: &str,
    aws: &AwsArgs,
    timeout: Duration,
    format: Format,
) -> Result<String, Failure> {
    validate::stack_name(name).map_err(InputError::at("--stack-set"))?;
    let session = connect(aws).await?;
    let options = WatchOptions {
        timeout,
        ..WatchOptions::default()
    };
    let mut report = progress_printer();
    let work = stack_sets::watch(&session.sdk, name, None, &options, &mut report);
    let rows = interruptible(work, || watch_hint(name, &session))
        .await?
        .map_err(|e| session.failure(e))?;
    with_failures(rows_output(name, &rows, format), name, &rows, &session)
}

/// `retry --stack-set`: the failed instances again.
pub(crate) async fn retry(args: &super::retry::RetryArgs) -> Result<String, Failure> {
    validate::stack_name(&args.stack_set).map_err(InputError::at("--stack-set"))?;
    for unit in &args.org_units {
        stackset::org_unit_id(unit).map_err(InputError::at("--org-units"))?;
    }
    require_a_way_to_ask(args.change.yes)?;
    let session = connect(&args.aws).await?;
    if !ask(
        args.change.yes,
        &format!(
            "Run the failed instances of stack set {} again, in account {}?",
            args.stack_set, session.caller.account
        ),
    ) {
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let mut report = progress_printer();
    let work = stack_sets::retry(
        &session.sdk,
        &args.stack_set,
        &args.org_units,
        Preferences::default(),
        &options,
        &mut report,
    );
    let rows = interruptible(work, || watch_hint(&args.stack_set, &session))
        .await?
        .map_err(|e| session.failure(e))?;
    with_failures(
        rows_output(&args.stack_set, &rows, args.change.output),
        &args.stack_set,
        &rows,
        &session,
    )
}
