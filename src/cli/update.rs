//! `update`: change a setup this tool made (new ARNs, another bucket or preset, a rotation of
//! its external ID in two phases) after a preview: a change set, or the documents' diff. The
//! sequence (one truth about the ID, saved before changed) is the engine's, in `change`.

use super::*;
use crate::change;

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

    /// Begin rotating the external ID (generated IDs only): the role accepts the current ID and a
    /// new one, shown for you to paste into Segment; then --finish-rotation
    #[arg(long, conflicts_with = "finish_rotation")]
    pub rotate_external_id: bool,

    /// Finish a rotation: the role accepts only the new external ID (Segment must have it; the
    /// old one stops working). With --external-id, the one to keep of those the role accepts
    #[arg(long)]
    pub finish_rotation: bool,

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
    let id_flag = if workspace {
        "--workspace-id"
    } else {
        "--external-id"
    };
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
    for (wanted, flag) in [
        (args.rotate_external_id, "--rotate-external-id"),
        (args.finish_rotation, "--finish-rotation"),
    ] {
        if wanted && workspace {
            return Err(InputError::new(
                flag,
                "this integration's external ID is your workspace ID, set by Segment: it is not rotated; give --workspace-id (and --source-id) instead",
            )
            .into());
        }
    }
    let given_ids = if workspace {
        let mut ids = request.workspace_ids.clone();
        ids.extend(request.source_ids.iter().cloned());
        ids
    } else {
        request.external_ids.clone()
    };
    let given = !given_ids.is_empty();
    // Checked before any call: the plan, with a stand-in ID when the real one comes later.
    let mut checking = request.clone();
    if !given {
        if workspace {
            checking.workspace_ids = vec!["standInWorkspace".into()];
        } else {
            checking.external_ids = vec!["stand-in-external-id-for-checking-the-inputs".into()];
        }
    }
    let checked = Plan::build(catalog, &checking)?;
    require_a_way_to_ask(args.change.yes)?;
    accept_broad_policy(&checked, args.change.yes, args.allow_broad_policy)?;
    let session = connect(&args.aws).await?;
    say_state_problems(&store);
    let failure = |e| session.failure(e);
    let record = match args.method {
        Method::Cloudformation => store.find_stack(&name),
        Method::Iam => store.find_role(&name),
    }
    .filter(|s| s.account == session.caller.account && s.integration == integration.id);
    // One truth about the external ID: what is saved here, held against what the role accepts.
    let current = change::read(&session.sdk, &session.sdk, integration, args.method, &name)
        .await
        .map_err(failure)?;
    for (id, why) in &current.dropped {
        say(&format!(
            "Not kept: an external ID the role accepts now, {}: {why}",
            crate::external_id::masked(id)
        ));
    }
    let mut truth = change::reconcile(record.as_ref(), &current.accepted, !workspace);
    let accepted_now = current.every_accepted();
    let accepts_given = || given_ids.iter().all(|id| accepted_now.contains(id));
    let id_change = match (given, args.rotate_external_id, args.finish_rotation) {
        (true, false, false) => None,
        (true, rotate, _) => {
            if !accepts_given() {
                return Err(InputError::new(
                    id_flag,
                    "the role doesn't accept that ID now: to begin or finish a rotation, give the one Segment uses (one the role accepts); to replace it outright, leave out the rotation flag",
                )
                .into());
            }
            if rotate {
                truth = change::Truth::Agreed {
                    current: given_ids.clone(),
                    pending: Vec::new(),
                };
                Some(change::IdChange::Rotate(crate::external_id::generate(
                    crate::external_id::DEFAULT_LENGTH,
                )))
            } else {
                Some(change::IdChange::Given(given_ids.clone()))
            }
        }
        (false, true, _) => Some(change::IdChange::Rotate(crate::external_id::generate(
            crate::external_id::DEFAULT_LENGTH,
        ))),
        (false, _, true) => Some(change::IdChange::Finish),
        (false, false, false) => Some(change::IdChange::Keep),
    };
    if let Some(id_change) = &id_change {
        for line in change::describe(&truth, !workspace) {
            say(&line);
        }
        if let change::Truth::Differ { in_aws, .. } = &truth {
            let refuse = |why: &str| -> Failure {
                InputError::new(
                    id_flag,
                    format!(
                        "the external ID saved on this machine is not what the role accepts now{why}: nothing was changed. Give the ID Segment uses with {id_flag} (SEGMENT_AWS_SETUP_EXTERNAL_ID keeps it out of the shell's history)"
                    ),
                )
                .into()
            };
            if in_aws.is_empty() {
                return Err(refuse(" (it accepts none that may be kept)"));
            }
            if args.change.yes {
                return Err(refuse(" and --yes guesses nothing"));
            }
            match ask_interruptibly(
                false,
                "Keep what the role accepts now (what Segment can use today), not what was saved here?",
            )
            .await
            {
                Answer::Yes => truth = change::reconcile(None, in_aws, !workspace),
                Answer::No | Answer::Interrupted => {
                    return Err(Failure {
                        code: exit::DECLINED,
                        message: "nothing was changed".into(),
                    });
                }
            }
        }
        let chosen =
            change::choose(&truth, id_change).map_err(|why| InputError::new(id_flag, why))?;
        match id_change {
            change::IdChange::Rotate(new) if chosen.next.first() != Some(new) => say(
                "A rotation is under way: its new external ID, saved here, is used again (not a third)",
            ),
            change::IdChange::Rotate(_) => say(
                "Rotating the external ID, phase 1 of 2: the role will accept the current ID and a new one, so Segment keeps working while you paste the new one",
            ),
            change::IdChange::Finish if chosen.current.len() == accepted_now.len() => {
                say("No rotation is under way: the role accepts only the ID Segment uses")
            }
            change::IdChange::Finish | change::IdChange::Given(_) if args.finish_rotation => say(
                "Finishing the rotation, phase 2 of 2: the role will accept only the new external ID; the old one stops working",
            ),
            _ => {}
        }
        change::lend(integration, &chosen, &mut request);
    }
    request.account = Some(session.caller.account.clone());
    let plan = Plan::build(catalog, &request)?;
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let preview = engine::prepare_update(&session.sdk, &session.sdk, &plan, args.method, &options)
        .await
        .map_err(failure)?;
    for line in preview.lines() {
        say(&line);
    }
    if !matches!(preview, engine::UpdatePreview::Nothing { .. }) {
        let answer = ask_interruptibly(
            args.change.yes,
            &format!(
                "Apply this update to {name} in account {}?",
                session.caller.account
            ),
        )
        .await;
        if answer != Answer::Yes {
            // A declined or interrupted preview leaves no change set behind.
            let _ = engine::discard_update(&session.sdk, &preview).await;
            return Err(match answer {
                Answer::Interrupted => Failure {
                    code: exit::INTERRUPTED,
                    message: "interrupted: nothing was changed, and the change set was deleted"
                        .into(),
                },
                _ => Failure {
                    code: exit::DECLINED,
                    message: "nothing was changed".into(),
                },
            });
        }
    }
    let records = change::records(
        &plan,
        args.method,
        change::Where {
            account: &session.caller.account,
            region: session.region.as_deref(),
            profile: session.profile.as_deref(),
        },
        record.as_ref(),
        &accepted_now,
        &current.role.arn,
        crate::state::now_seconds(),
    );
    let mut report = progress_printer();
    let work = change::apply(
        &session.sdk,
        &session.sdk,
        Some(&store),
        &plan,
        &preview,
        &records,
        &options,
        &mut report,
    );
    let created = interruptible(work, || reattach_hint(&plan.stack_name, &session))
        .await?
        .map_err(failure)?;
    say("Done. The settings for Segment and what to do next:");
    let mut outcome = Outcome::from_plan(&plan, Some(&created.role_arn)).at(&session.context());
    let finish = crate::outcome::finish_rotation_command(&records.after);
    if let Some(note) = change::rotation_note(&plan, &finish) {
        outcome.next_steps.insert(0, note);
    } else if args.finish_rotation {
        outcome.notes.insert(
            0,
            "The rotation is finished: the role accepts only the External ID above.".into(),
        );
    }
    Ok(outcome_output(&outcome, args.change.output, true))
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
