//! `create`: the role, through a CloudFormation stack or directly through IAM; a re-run resumes.

use super::common::*;
use super::stack_set::ManyArgs;

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,
    #[command(flatten)]
    pub many: ManyArgs,

    /// How to create the role: a CloudFormation stack (recommended) or directly through IAM
    #[arg(long, value_enum, default_value_t = Method::Cloudformation, env = "SEGMENT_AWS_SETUP_METHOD")]
    pub method: Method,

    /// IAM method: the role's path
    #[arg(long, default_value = "/", value_name = "PATH")]
    pub role_path: String,

    /// CloudFormation method: stop watching after this long (the stack keeps going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Use a --policy-file that grants broadly (Action or Resource "*", iam:*, iam:PassRole,
    /// sts:AssumeRole, NotAction) without asking; needed with --yes
    #[arg(long, env = "SEGMENT_AWS_SETUP_ALLOW_BROAD_POLICY")]
    pub allow_broad_policy: bool,
}

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub(crate) async fn create(args: &CreateArgs) -> Result<String, Failure> {
    let store = state_store()?;
    let mut request = args.setup.request()?;
    super::write_settings::ids_from_segment(&mut request, args.setup.source_ids_from_segment)
        .await?;
    let plan = Plan::build(Catalog::builtin(), &request)?;
    validate::role_path(&args.role_path).map_err(InputError::at("--role-path"))?;
    require_a_way_to_ask(args.change.yes)?;
    accept_broad_policy(&plan, args.change.yes, args.allow_broad_policy)?;
    // The account and region are filled in once connected: warnings about their stand-ins don't
    // apply to what create makes.
    let placeholders = [
        crate::model::plan::ACCOUNT_PLACEHOLDER,
        crate::model::plan::REGION_PLACEHOLDER,
    ];
    for warning in plan
        .warnings
        .iter()
        .filter(|w| !placeholders.iter().any(|p| w.contains(p)))
    {
        say(&format!("warning: {warning}"));
    }
    if plan.starter.is_some() && args.many.wanted() {
        return Err(InputError::new(
            "--starter-function",
            "a StackSet makes the role in many accounts; make the function in the account that runs it (create it there without --accounts)",
        )
        .into());
    }
    if args.many.wanted() {
        let run = super::stack_set::ManyRun {
            many: &args.many,
            aws: &args.aws,
            change: &args.change,
            timeout: args.timeout,
        };
        return super::stack_set::create(run, plan, request).await;
    }
    no_csv(args.change.output)?;
    let session = connect(&args.aws).await?;
    say_state_problems(&store);
    // The account is known now: policies that name it (or the role) are built for it.
    request.account = Some(session.caller.account.clone());
    request.region = session.region.clone();
    request.role_path = Some(args.role_path.clone());

    // A re-run resumes: the unfinished setup saved for this account (same integration, method and
    // name when one was given) lends its external IDs and its stack or role name.
    let given_name = match args.method {
        Method::Cloudformation => request.stack_name.clone(),
        Method::Iam => request
            .role_name
            .clone()
            .or_else(|| Some(plan.role_name.clone())),
    };
    let rerun = crate::engine::resume::find_for_rerun(
        &store,
        &session.caller.account,
        &plan.integration_id,
        args.method,
        given_name.as_deref(),
    );
    let plan = match &rerun {
        Some(saved) => {
            say(&format!(
                "Resuming the unfinished setup saved for this account: {} (same external ID). To start another instead, give another --{}",
                saved.what(),
                if args.method == Method::Iam {
                    "role-name"
                } else {
                    "stack-name"
                }
            ));
            if request.external_ids.is_empty() && request.workspace_ids.is_empty() {
                saved.lend_ids(&mut request);
            }
            request.stack_name = request.stack_name.clone().or(saved.stack_name.clone());
            request.role_name = request.role_name.clone().or(saved.role_name.clone());
            Plan::build(Catalog::builtin(), &request)?
        }
        None => Plan::build(Catalog::builtin(), &request.pinned_to(&plan))?,
    };

    let what = match args.method {
        Method::Cloudformation => format!(
            "Create CloudFormation stack {} (an IAM role trusted by {} with your external ID, and its inline policy {}: {})",
            plan.stack_name, plan.principal, plan.policy_name, plan.preset_title
        ),
        Method::Iam => format!(
            "Create IAM role {} (trusted by {} with your external ID) with inline policy {}: {}",
            plan.role_name, plan.principal, plan.policy_name, plan.preset_title
        ),
    };
    if !ask(
        args.change.yes,
        &format!("{what} in account {}?", session.caller.account),
    ) {
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    let saved = SavedSetup::new(
        &plan,
        args.method,
        &session.caller.account,
        session.region.as_deref(),
        session.profile.as_deref(),
    );
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let yes = args.change.yes;
    let mut confirm = move |question: &Question| ask(yes, &question.text());
    let mut report = progress_printer();
    let work = crate::engine::resume::create(
        &session.sdk,
        &session.sdk,
        &session.sdk,
        Some(&store),
        &plan,
        &saved,
        rerun.is_some(),
        &args.role_path,
        &options,
        &mut confirm,
        &mut report,
    );
    // Ctrl-C stops watching a stack; it waits for a role's two IAM calls (CreateRole, then
    // PutRolePolicy or the clean-up), which run unbroken.
    let hint = match args.method {
        Method::Cloudformation => reattach_hint(&plan.stack_name, &session),
        Method::Iam => format!(
            "stopped; the role is made whole or not at all. Run the same create again to finish the setup{}",
            session.context().flags()
        ),
    };
    let created = interruptible(work, || hint).await?;
    let created = created.map_err(|e| {
        let mut failure = session.failure(e.clone());
        if let EngineError::RoleExists { role } = &e {
            failure.message.push_str(&format!(
                "\nCheck it: {}",
                verify_hint(&plan.integration_id, role) + &session.context().flags()
            ));
        }
        failure
    })?;
    say("Done. The settings for Segment and what to do next:");
    let outcome = Outcome::from_plan(&plan, Some(&created.role_arn)).at(&session.context());
    Ok(outcome_output(&outcome, args.change.output, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn defaults_are_cloudformation_root_path_and_thirty_minutes() {
        match parse(&[
            "create",
            "--integration",
            "source-function",
            "-y",
            "--output",
            "json",
        ]) {
            Ok(Command::Create(args)) => {
                assert_eq!(args.method, Method::Cloudformation);
                assert_eq!(args.role_path, "/");
                assert_eq!(args.timeout, Duration::from_secs(30 * 60));
                assert!(args.change.yes);
                assert_eq!(args.change.output, Format::Json);
            }
            other => panic!("not a create: {other:?}"),
        }
        assert!(parse(&["create", "--integration", "x", "--method", "terraform"]).is_err());
    }
}
