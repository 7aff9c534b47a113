//! `verify`: judge a role with the probes and the permission side; `--fix` the smallest
//! repair, proven before it is applied.

use super::common::*;
use crate::aws::StackSets;
use crate::engine::stack_sets;
use crate::model::stackset;
use std::collections::BTreeMap;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Which Segment integration assumes the role (its ID, as for create)
    #[arg(long, env = "SEGMENT_AWS_SETUP_INTEGRATION", value_name = "ID")]
    pub integration: String,

    /// The role: its name or ARN
    #[arg(long, value_name = "NAME_OR_ARN")]
    pub role: String,

    /// The external ID the role must require
    #[arg(
        long,
        env = "SEGMENT_AWS_SETUP_EXTERNAL_ID",
        value_name = "X",
        hide_env_values = true,
        conflicts_with = "workspace_id"
    )]
    pub external_id: Option<String>,

    /// Lambda destination: the workspace ID the role must require as external ID
    #[arg(long, env = "SEGMENT_AWS_SETUP_WORKSPACE_ID", value_name = "W")]
    pub workspace_id: Option<String>,

    /// Also check the permission preset: let the role write to this S3 bucket
    #[arg(long, value_name = "B")]
    pub bucket: Option<String>,
    /// The S3 bucket's region
    #[arg(long, value_name = "R")]
    pub bucket_region: Option<String>,
    /// Also check the permission preset: let the role invoke these Lambda functions
    #[arg(long = "lambda-arn", value_name = "A", value_delimiter = ',')]
    pub lambda_arns: Vec<String>,
    /// Also check the permission preset: this policy document
    #[arg(long, value_name = "F")]
    pub policy_file: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub more: MoreInputArgs,

    /// Repair what is wrong: the smallest change that makes every probe hold, shown as a diff,
    /// proven before it is applied, and applied only after asking
    #[arg(long)]
    pub fix: bool,

    /// With --fix: also remove this Deny statement (its number, as the report counts) that
    /// refuses Segment. Repeat for several. Without it a Deny is removed only when you confirm it
    #[arg(long = "remove-deny", value_name = "N", requires = "fix")]
    pub remove_deny: Vec<usize>,

    /// Use a --policy-file that grants broadly (Action or Resource "*", iam:*, iam:PassRole,
    /// sts:AssumeRole, NotAction) without asking; needed with --yes
    #[arg(long, env = "SEGMENT_AWS_SETUP_ALLOW_BROAD_POLICY")]
    pub allow_broad_policy: bool,

    /// Verify the role in each of these accounts (--role is then its name), entered through
    /// --member-role there; the account of your credentials is checked with them
    #[arg(
        long,
        value_name = "ID,...",
        value_delimiter = ',',
        conflicts_with_all = ["fix", "stack_set"]
    )]
    pub accounts: Vec<String>,

    /// Verify the role in every account this StackSet made it in (as --accounts)
    #[arg(long, value_name = "NAME", conflicts_with = "fix")]
    pub stack_set: Option<String>,

    /// Verify the role in every account under these organizational units (or the root, r-...),
    /// theirs children's too, as --accounts; a suspended account is a row, not entered
    #[arg(
        long,
        value_name = "OU,...",
        value_delimiter = ',',
        conflicts_with_all = ["fix", "stack_set", "accounts"]
    )]
    pub org_units: Vec<String>,

    /// With --accounts, --stack-set or --org-units: how many accounts are checked at once (1 to 64)
    #[arg(long, value_name = "N", default_value_t = crate::engine::stack_sets::ACCOUNTS_AT_ONCE,
        value_parser = clap::value_parser!(u16).range(1..=64),
        env = "SEGMENT_AWS_SETUP_CONCURRENCY")]
    pub concurrency: u16,

    /// With --accounts or --stack-set: the role each account is entered through, which your
    /// credentials may assume (AWS Organizations makes this one in the accounts it creates)
    #[arg(long, value_name = "NAME", default_value = stackset::MEMBER_ACCESS_ROLE)]
    pub member_role: String,

    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub(crate) async fn verify(args: &VerifyArgs) -> Result<String, Failure> {
    let across =
        !args.accounts.is_empty() || args.stack_set.is_some() || !args.org_units.is_empty();
    if !across {
        no_csv(args.change.output)?;
    }
    let catalog = Catalog::builtin();
    let integration = catalog.integration(&args.integration).ok_or_else(|| {
        Failure::from(InputError::new(
            "--integration",
            format!("choose one of: {}", catalog.ids().join(", ")),
        ))
    })?;
    if across {
        if args.role.starts_with("arn:") {
            return Err(InputError::new(
                "--role",
                "with --accounts or --stack-set give the role's name: an ARN names one account",
            )
            .into());
        }
        for unit in &args.org_units {
            stackset::org_unit_id(unit).map_err(InputError::at("--org-units"))?;
        }
        if !args.accounts.is_empty() {
            stackset::targets(&args.accounts, &[], false).map_err(InputError::at("--accounts"))?;
        }
        if let Some(name) = &args.stack_set {
            validate::stack_name(name).map_err(InputError::at("--stack-set"))?;
        }
        validate::role_name(&args.member_role).map_err(InputError::at("--member-role"))?;
    }
    if args.role.starts_with("arn:") {
        validate::role_arn(&args.role).map_err(InputError::at("--role"))?;
    } else {
        validate::role_name(&args.role).map_err(InputError::at("--role"))?;
    }
    // The ID the role must require: given (an environment variable keeps it out of the shell's
    // history), else found in the saved setup for the role, else asked for without echo.
    let given = match (&args.external_id, &args.workspace_id) {
        (Some(id), _) => Some(("--external-id", id.clone())),
        (None, Some(id)) => Some(("--workspace-id", id.clone())),
        (None, None) => None,
    };
    if let Some((flag, id)) = &given {
        // An existing role may hold a shorter ID than this tool would generate: only AWS's rule applies.
        validate::external_id(id, validate::EXTERNAL_ID_MIN_AWS).map_err(InputError::at(*flag))?;
    }
    let workspace =
        integration.external_id.source == crate::model::catalog::ExternalIdSource::WorkspaceId;
    let preset_given = args.bucket.is_some()
        || !args.lambda_arns.is_empty()
        || args.policy_file.is_some()
        || !args.more.inputs().is_empty();
    // The role's own name, path and account: a policy may name the role (Kinesis) or the
    // account (Data Lakes).
    let (role_name, role_path) = match args.role.strip_prefix("arn:") {
        Some(_) => {
            let after = args.role.split_once(":role").map(|(_, r)| r).unwrap_or("/");
            let (path, name) = after.rsplit_once('/').unwrap_or(("", after));
            (name.to_string(), format!("{path}/"))
        }
        None => (args.role.clone(), "/".to_string()),
    };
    let build_plan = |account: Option<String>| -> Result<Option<Plan>, Failure> {
        if !preset_given {
            return Ok(None);
        }
        // The permission policy doesn't depend on the ID: a stand-in checks the inputs until the
        // ID is known.
        let id = given
            .as_ref()
            .map(|(_, id)| id.clone())
            .unwrap_or_else(|| "stand-in-external-id-for-checking-the-inputs".into());
        let request = PlanRequest {
            integration: integration.id.clone(),
            external_ids: if workspace { vec![] } else { vec![id.clone()] },
            workspace_ids: if workspace { vec![id] } else { vec![] },
            bucket: args.bucket.clone(),
            bucket_region: args.bucket_region.clone(),
            lambda_arns: args.lambda_arns.clone(),
            policy_file: read_policy_file(args.policy_file.as_deref())?,
            existing_role: true,
            other_inputs: args.more.inputs(),
            account,
            role_name: Some(role_name.clone()),
            role_path: Some(role_path.clone()),
            ..PlanRequest::default()
        };
        Ok(Some(Plan::build(catalog, &request)?))
    };
    let plan = build_plan(None)?;
    if args.fix {
        require_a_way_to_ask(args.change.yes)?;
        if let Some(plan) = &plan {
            accept_broad_policy(plan, args.change.yes, args.allow_broad_policy)?;
        }
    }
    let session = connect(&args.aws).await?;
    if across {
        let ids = match &given {
            Some((_, id)) => KnownIds::given(id.clone()),
            None => stack_set_external_ids(args, &session.caller.account, workspace)?,
        };
        if let Some(line) = ids.rotation_line() {
            say(&line);
        }
        return verify_accounts(args, &session, integration, &ids, &build_plan).await;
    }
    if let Some(account) = crate::model::verify::account_in_arn(&args.role)
        && account != session.caller.account
    {
        return Err(InputError::new(
            "--role",
            format!(
                "that role is in account {account}, but your credentials are for account {}: verify it with credentials for {account}",
                session.caller.account
            ),
        )
        .into());
    }
    // The account is known now: a policy that names it (or the role) is built for it.
    let plan = build_plan(Some(session.caller.account.clone()))?;
    let ids = match given {
        Some((_, id)) => KnownIds::given(id),
        None => external_ids_for(&args.role, &session.caller.account, workspace)?,
    };
    if let Some(line) = ids.rotation_line() {
        say(&line);
    }
    let permission = plan
        .as_ref()
        .map(|p| (p.policy_name.as_str(), &p.permission_policy));
    let expected = engine::Expected {
        role: &args.role,
        integration,
        external_ids: &ids.ids,
        rotating: ids.rotating(),
        permission,
    };
    let mut confirm = |question: &engine::Question| match question {
        engine::Question::RemoveDeny { number } if args.remove_deny.contains(number) => {
            say(&format!(
                "Removing statement {number} as asked (--remove-deny {number})"
            ));
            true
        }
        // --yes never removes a Deny: only --remove-deny or a person's answer does.
        engine::Question::RemoveDeny { .. } if args.change.yes => false,
        engine::Question::RemoveDeny { .. } => ask(false, &question.text()),
        _ => ask(args.change.yes, &question.text()),
    };
    let checked = engine::verify_and_repair(
        &session.sdk,
        &expected,
        args.fix,
        &session.caller.account,
        &mut confirm,
        &mut progress_printer(),
    )
    .await
    .map_err(|e| session.failure(e))?;
    let verification = &checked.verification;
    let outcome =
        Outcome::for_existing_role(integration, &ids.ids, &verification.role.arn, plan.as_ref())
            .at(&session.context());
    let output = verify_output(verification, &outcome, args.change.output);
    let role = &verification.role.name;
    let message = match checked.ending {
        engine::RepairEnding::Declined => {
            return Err(Failure {
                code: exit::DECLINED,
                message: "nothing was changed".into(),
            });
        }
        _ if verification.is_right() => {
            if let engine::RepairEnding::Repaired {
                warning: Some(warning),
            } = &checked.ending
            {
                say(&format!("Repaired. {warning}"));
            }
            return Ok(output);
        }
        engine::RepairEnding::NoRepair(reasons) => {
            let mut message = format!(
                "role {role} is not right, and no repair this tool may make passes every probe, so nothing was changed:"
            );
            for reason in reasons {
                message.push_str(&format!("\n  - {reason}"));
            }
            message
        }
        _ if args.fix => format!("role {role} is not right"),
        _ => format!("role {role} is not right; repair it with --fix"),
    };
    print_output(&output);
    Err(Failure {
        code: exit::AWS_REFUSED,
        message,
    })
}

/// `verify --accounts | --stack-set`: the role in each account, a row each; exit code 4 when
/// one is not OK or couldn't be checked.
async fn verify_accounts(
    args: &VerifyArgs,
    session: &Session,
    integration: &crate::model::catalog::Integration,
    ids: &KnownIds,
    build_plan: &dyn Fn(Option<String>) -> Result<Option<Plan>, Failure>,
) -> Result<String, Failure> {
    // Accounts of the units that can't be entered (suspended): rows of their own.
    let mut not_entered = Vec::new();
    let accounts = match &args.stack_set {
        Some(name) => {
            let mut accounts: Vec<String> = session
                .sdk
                .list_instances(name)
                .await
                .map_err(|e| session.failure(e.into()))?
                .into_iter()
                .map(|row| row.account)
                .collect();
            accounts.sort();
            accounts.dedup();
            if accounts.is_empty() {
                return Err(Failure {
                    code: exit::BAD_INPUT,
                    message: format!("stack set {name} has no instances: no account to verify"),
                });
            }
            accounts
        }
        None if !args.org_units.is_empty() => {
            let (active, skipped) =
                stack_sets::accounts_of_units(&session.sdk, &args.org_units, &args.role)
                    .await
                    .map_err(|e| session.failure(e))?;
            if active.is_empty() && skipped.is_empty() {
                return Err(Failure {
                    code: exit::BAD_INPUT,
                    message: format!(
                        "no account under {}: nothing to verify",
                        args.org_units.join(", ")
                    ),
                });
            }
            not_entered = skipped;
            active
        }
        None => args.accounts.clone(),
    };
    // Each account's preset policy (it may name the account), built before any call.
    let mut policies = BTreeMap::new();
    for account in &accounts {
        let policy = build_plan(Some(account.clone()))?
            .map(|plan| (plan.policy_name.clone(), plan.permission_policy.clone()));
        policies.insert(account.clone(), policy);
    }
    say(&format!(
        "Verifying role {} in {} account(s), entered through {}",
        args.role,
        accounts.len(),
        args.member_role
    ));
    let across = stack_sets::AcrossAccounts {
        through: &args.member_role,
        role_name: &args.role,
        integration,
        external_ids: &ids.ids,
        rotating: ids.rotating(),
        permission_for: &|account: &str| policies.get(account).cloned().flatten(),
        at_once: usize::from(args.concurrency),
    };
    let bar = super::common::progress_bar(accounts.len() as u64, "accounts");
    let checks = stack_sets::verify_accounts(
        &session.sdk,
        Some((session.caller.account.as_str(), &session.sdk)),
        &accounts,
        &across,
        &|done| bar.set_position(done as u64),
    )
    .await;
    bar.finish_and_clear();
    let mut checks = checks;
    checks.extend(not_entered);
    let output = match args.change.output {
        Format::Csv => stackset::checks_csv(&checks),
        Format::Json => pretty_json(&serde_json::json!({
            "role": args.role,
            "memberRole": args.member_role,
            "accounts": checks.iter().map(stackset::AccountCheck::to_json).collect::<Vec<_>>(),
            "right": checks.iter().all(stackset::AccountCheck::is_right),
        })),
        Format::Text => stackset::checks_text(&checks),
    };
    let wrong = checks.iter().filter(|c| !c.is_right()).count();
    if wrong == 0 {
        return Ok(output);
    }
    print_output(&output);
    Err(Failure {
        code: exit::AWS_REFUSED,
        message: format!(
            "role {} is not right, or couldn't be checked, in {wrong} of {} account(s); repair one with credentials for that account: segment-aws-setup verify --integration {} --role {} --fix",
            args.role,
            checks.len(),
            integration.id,
            args.role
        ),
    })
}

/// The IDs a StackSet's roles must require when none was given: those of the StackSet setup
/// saved in this account, else asked for on the terminal without echo.
/// The IDs a role is checked against, and the saved rotation they come from, if one is under
/// way (then the role accepts the old ID and the new one).
struct KnownIds {
    ids: Vec<String>,
    rotation: Option<(SavedSetup, u64)>,
}

impl KnownIds {
    fn given(id: String) -> KnownIds {
        KnownIds {
            ids: vec![id],
            rotation: None,
        }
    }

    fn rotating(&self) -> bool {
        self.rotation.is_some()
    }

    /// "Rotation in progress since ...", with how to finish it.
    fn rotation_line(&self) -> Option<String> {
        let (saved, since) = self.rotation.as_ref()?;
        Some(format!(
            "A rotation of the external ID is in progress since {} ({}): the role accepts the old ID and the new one until it is finished. Once Segment's setting holds the new ID: {}",
            humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(*since)),
            saved.what(),
            crate::model::outcome::finish_rotation_command(saved)
        ))
    }
}

fn stack_set_external_ids(
    args: &VerifyArgs,
    account: &str,
    workspace: bool,
) -> Result<KnownIds, Failure> {
    let saved = state_store()
        .ok()
        .and_then(|store| store.find_stack_set(account, args.stack_set.as_deref(), &args.role));
    external_ids_from(saved, workspace)
}

/// The IDs a role must require when none was given: those of the setup saved for the role, else
/// asked for on the terminal without echo (never on the command line, never in the history).
fn external_ids_for(role: &str, account: &str, workspace: bool) -> Result<KnownIds, Failure> {
    let saved = state_store()
        .ok()
        .and_then(|store| store.find_for_role(account, role));
    external_ids_from(saved, workspace)
}

fn external_ids_from(saved: Option<SavedSetup>, workspace: bool) -> Result<KnownIds, Failure> {
    if let Some(saved) = saved {
        say(&format!(
            "Using the external ID saved by the setup of {} (pass --external-id or set SEGMENT_AWS_SETUP_EXTERNAL_ID for another)",
            saved.what()
        ));
        let rotation = saved
            .rotating()
            .then(|| saved.rotation_started_at.unwrap_or(saved.saved_at))
            .map(|since| (saved.clone(), since));
        return Ok(KnownIds {
            ids: saved.all_external_ids(),
            rotation,
        });
    }
    let word = if workspace {
        "workspace ID"
    } else {
        "external ID"
    };
    let missing = || Failure {
        code: exit::BAD_INPUT,
        message: format!(
            "no {word} given and none saved for this role: set SEGMENT_AWS_SETUP_EXTERNAL_ID (or pass {}), or run it on a terminal to type it hidden",
            if workspace {
                "--workspace-id"
            } else {
                "--external-id"
            }
        ),
    };
    if !std::io::stdin().is_terminal() {
        return Err(missing());
    }
    let typed =
        rpassword::prompt_password(format!("The {word} the role must require (not shown): "))
            .map_err(|_| missing())?;
    let typed = typed.trim().to_string();
    validate::external_id(&typed, validate::EXTERNAL_ID_MIN_AWS).map_err(InputError::at(word))?;
    Ok(KnownIds::given(typed))
}

/// The report; when the role is right, the outcome too (its secret masked in text).
fn verify_output(verification: &Verification, outcome: &Outcome, format: Format) -> String {
    match format {
        Format::Json => {
            let mut json = verification.to_json();
            json["outcome"] = outcome.to_json();
            pretty_json(&json)
        }
        Format::Text | Format::Csv => {
            let mut text = format!("Role {}\n", verification.role.arn);
            for line in verification.lines() {
                text.push_str(&line.plain());
                text.push('\n');
            }
            if verification.is_right() {
                text.push_str("OK: Segment's principal gets in with your external ID, and every other probe is denied.\n\n");
                text.push_str(&outcome_text(outcome, false));
            } else {
                text.push_str("NOT OK\n");
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn organizational_units_are_one_way_to_name_the_accounts() {
        let base = [
            "verify",
            "--integration",
            "lambda-destination",
            "--role",
            "r",
        ];
        let with = |more: &[&str]| parse(&[&base[..], more].concat());
        match with(&[
            "--org-units",
            "ou-ab12-cd345678,r-ab12",
            "--concurrency",
            "32",
        ]) {
            Ok(Command::Verify(args)) => {
                assert_eq!(args.org_units, ["ou-ab12-cd345678", "r-ab12"]);
                assert_eq!(args.concurrency, 32);
            }
            other => panic!("not verify: {other:?}"),
        }
        assert!(with(&["--org-units", "r-ab12", "--accounts", "111111111111"]).is_err());
        assert!(with(&["--org-units", "r-ab12", "--fix"]).is_err());
        assert!(with(&["--accounts", "111111111111", "--concurrency", "65"]).is_err());
    }

    #[test]
    fn an_external_id_and_a_workspace_id_conflict() {
        let both = parse(&[
            "verify",
            "--integration",
            "lambda-destination",
            "--role",
            "r",
            "--external-id",
            "x",
            "--workspace-id",
            "w",
        ]);
        assert!(both.is_err());
        match parse(&[
            "verify",
            "--integration",
            "destination-function",
            "--role",
            "r",
        ]) {
            Ok(Command::Verify(args)) => {
                assert_eq!(args.role, "r");
                assert!(
                    args.external_id.is_none(),
                    "the ID may come from a saved setup"
                );
            }
            other => panic!("not a verify: {other:?}"),
        }
    }
}
