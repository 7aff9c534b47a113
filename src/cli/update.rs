//! `update`: change a setup this tool made (new ARNs, another bucket or preset, a rotated
//! external ID) after a preview: a change set, or the documents' diff.

use super::*;

#[derive(Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub setup: SetupArgs,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,

    /// How the setup was made: a CloudFormation stack (--stack-name) or directly through IAM
    /// (--role-name)
    #[arg(long, value_enum, default_value_t = Method::Cloudformation, env = "SEGMENT_AWS_SETUP_METHOD")]
    pub method: Method,

    /// Functions: replace the external ID with a newly generated one (then change it in Segment)
    #[arg(long)]
    pub rotate_external_id: bool,

    /// Stop watching the stack's update after this long (it keeps going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Use a --policy-file that grants broadly without asking; needed with --yes
    #[arg(long, env = "SEGMENT_AWS_SETUP_ALLOW_BROAD_POLICY")]
    pub allow_broad_policy: bool,
}

pub(crate) async fn update(args: &UpdateArgs) -> Result<String, Failure> {
    no_csv(args.change.output)?;
    let store = state_store()?;
    let mut request = args.setup.request()?;
    let catalog = Catalog::builtin();
    let integration = catalog.integration(&request.integration).ok_or_else(|| {
        Failure::from(InputError::new(
            "--integration",
            format!("choose one of: {}", catalog.ids().join(", ")),
        ))
    })?;
    let workspace = integration.external_id.source == crate::catalog::ExternalIdSource::WorkspaceId;
    let name = match args.method {
        Method::Cloudformation => request.stack_name.clone().ok_or_else(|| {
            Failure::from(InputError::new(
                "--stack-name",
                "give the stack of the setup to change",
            ))
        })?,
        Method::Iam => request.role_name.clone().ok_or_else(|| {
            Failure::from(InputError::new(
                "--role-name",
                "give the role of the setup to change (with --method iam)",
            ))
        })?,
    };
    if args.rotate_external_id && workspace {
        return Err(InputError::new(
            "--rotate-external-id",
            "the Lambda destination's external ID is your workspace ID, set by Segment: give --workspace-id (and --source-id) instead",
        )
        .into());
    }
    let given = !request.external_ids.is_empty() || !request.workspace_ids.is_empty();
    if args.rotate_external_id && given {
        return Err(InputError::new(
            "--rotate-external-id",
            "rotate, or give the external ID: not both",
        )
        .into());
    }
    // Checked before any call: the plan, with a stand-in ID when the real one comes later.
    let mut checking = request.clone();
    if !given && !args.rotate_external_id {
        checking.external_ids = if workspace {
            vec![]
        } else {
            vec!["stand-in-external-id-for-checking-the-inputs".into()]
        };
        checking.workspace_ids = if workspace {
            vec!["standInWorkspace".into()]
        } else {
            vec![]
        };
    }
    let checked = Plan::build(catalog, &checking)?;
    require_a_way_to_ask(args.change.yes)?;
    accept_broad_policy(&checked, args.change.yes, args.allow_broad_policy)?;
    let session = connect(&args.aws).await?;
    say_state_problems(&store);
    let saved = match args.method {
        Method::Cloudformation => store.find_stack(&name),
        Method::Iam => store.find_role(&name),
    }
    .filter(|s| s.account == session.caller.account);
    if !given && !args.rotate_external_id {
        // Kept: the IDs saved on this machine, else those the setup's role requires now (a setup
        // made elsewhere, found in AWS by its tag).
        let kept = match &saved {
            Some(saved) => Some((
                saved.external_ids.clone(),
                format!("saved by the setup of {}", saved.what()),
            )),
            None => {
                let place = engine::Place {
                    account: &session.caller.account,
                    region: session.region.as_deref(),
                    profile: session.profile.as_deref(),
                };
                engine::find_setup(&session.sdk, &session.sdk, args.method, &name, place)
                    .await
                    .map_err(|e| session.failure(e))?
                    .filter(|found| found.integration == integration.id)
                    .map(|found| {
                        let what = found.what();
                        (
                            found.external_ids,
                            format!("{what}'s role requires now (found in AWS by its tag)"),
                        )
                    })
            }
        };
        let Some((ids, whence)) = kept.filter(|(ids, _)| !ids.is_empty()) else {
            return Err(InputError::new(
                if workspace { "--workspace-id" } else { "--external-id" },
                format!(
                    "no {} setup of that name is saved or was made by this tool in this account: give the ID the role requires now (SEGMENT_AWS_SETUP_EXTERNAL_ID keeps it out of the shell's history), or --rotate-external-id for a new one",
                    integration.id
                ),
            )
            .into());
        };
        say(&format!("Keeping the external ID {whence}"));
        if workspace {
            request.workspace_ids = ids;
        } else {
            request.external_ids = ids;
        }
    }
    request.account = Some(session.caller.account.clone());
    let plan = Plan::build(catalog, &request)?;
    if args.rotate_external_id {
        say(
            "Rotating the external ID: a new one was generated; change it in Segment once the role is updated",
        );
    }
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let failure = |e| session.failure(e);
    let preview = engine::prepare_update(&session.sdk, &session.sdk, &plan, args.method, &options)
        .await
        .map_err(failure)?;
    for line in preview.lines() {
        say(&line);
    }
    if !matches!(preview, engine::UpdatePreview::Nothing { .. })
        && !ask(
            args.change.yes,
            &format!(
                "Apply this update to {name} in account {}?",
                session.caller.account
            ),
        )
    {
        let _ = engine::discard_update(&session.sdk, &preview).await;
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    let updated = SavedSetup::new(
        &plan,
        args.method,
        &session.caller.account,
        session.region.as_deref(),
        session.profile.as_deref(),
    );
    let mut report = progress_printer();
    let work = engine::apply_update(
        &session.sdk,
        &session.sdk,
        &plan,
        &preview,
        &options,
        &mut report,
    );
    let created = interruptible(work, || reattach_hint(&plan.stack_name, &session))
        .await?
        .map_err(failure)?;
    let _ = store.finish(&updated, &created.role_arn);
    say("Done. The settings for Segment and what to do next:");
    Ok(outcome_output(
        &Outcome::from_plan(&plan, Some(&created.role_arn)).at(&session.context()),
        args.change.output,
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_as_documented() {
        match parse(&[
            "update",
            "--integration",
            "destination-function",
            "--method",
            "iam",
            "--role-name",
            "r",
            "--rotate-external-id",
            "--timeout",
            "90s",
        ]) {
            Ok(Command::Update(args)) => {
                assert_eq!(args.method, Method::Iam);
                assert!(args.rotate_external_id);
                assert_eq!(args.timeout, Duration::from_secs(90));
                assert_eq!(args.setup.role_name.as_deref(), Some("r"));
            }
            other => panic!("not an update: {other:?}"),
        }
        assert!(parse(&["update", "--integration", "x", "--timeout", "soon"]).is_err());
    }
}
