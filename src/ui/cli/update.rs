//! `update`: change a setup this tool made (new ARNs, another bucket or preset, a rotation of
//! its external ID in two phases) after a preview: a change set, or the documents' diff. The
//! sequence (one truth about the ID, saved before changed) is the engine's, in `change`.

use super::common::*;
use crate::engine::update;

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

    /// Change a StackSet this tool made (every account's role follows): its external ID (from the
    /// setup saved here, or --external-id), a rotation, or its inputs
    #[arg(long, value_name = "NAME")]
    pub stack_set: Option<String>,

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

    /// Then write the settings into Segment through its Public API (the token from
    /// SEGMENT_PUBLIC_API_TOKEN); with --rotate-external-id the rotation completes in this run:
    /// the new ID written into Segment and read back, then the old one removed from the role
    #[arg(long)]
    pub write_to_segment: bool,

    #[command(flatten)]
    pub segment: super::write_settings::SegmentTargetArgs,
}

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub(crate) async fn update(args: &UpdateArgs) -> Result<String, Failure> {
    no_csv(args.change.output)?;
    let store = state_store()?;
    let request = args.setup.offline_request("update")?;
    if request.starter_function {
        return Err(InputError::new(
            "--starter-function",
            "update keeps the starter function a setup was made with (and makes none): create makes one",
        )
        .into());
    }
    let catalog = Catalog::builtin();
    let integration = catalog.integration(&request.integration).ok_or_else(|| {
        Failure::from(InputError::new(
            "--integration",
            format!("choose one of: {}", catalog.ids().join(", ")),
        ))
    })?;
    let workspace =
        integration.external_id.source == crate::model::catalog::ExternalIdSource::WorkspaceId;
    let stack_set = args.stack_set.clone();
    let name = match (&stack_set, args.method) {
        (Some(set), _) => {
            validate::stack_name(set).map_err(InputError::at("--stack-set"))?;
            set.clone()
        }
        (None, Method::Cloudformation) => request.stack_name.clone().ok_or_else(|| {
            Failure::from(InputError::new(
                "--stack-name",
                "give the stack of the setup to change",
            ))
        })?,
        (None, Method::Iam) => request.role_name.clone().ok_or_else(|| {
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
    if args.write_to_segment {
        can_write_to_segment(args, &integration.id)?;
    }
    let session = connect(&args.aws).await?;
    say_state_problems(&store);
    let record = match (&stack_set, args.method) {
        (Some(set), _) => {
            crate::engine::resume::stack_set_record(Some(&store), &session.caller.account, set)
        }
        (None, Method::Cloudformation) => store.find_stack(&name),
        (None, Method::Iam) => store.find_role(&name),
    }
    .filter(|s| s.account == session.caller.account && s.integration == integration.id);
    let id_change = if args.rotate_external_id {
        update::IdChange::Rotate(crate::model::external_id::generate(
            crate::model::external_id::DEFAULT_LENGTH,
        ))
    } else if args.finish_rotation {
        update::IdChange::Finish
    } else {
        update::IdChange::Keep
    };
    let asked = update::Asked {
        integration,
        method: args.method,
        name: name.clone(),
        request,
        given: given_ids,
        id_change,
        record,
        account: session.caller.account.clone(),
        region: session.region.clone(),
        profile: session.profile.clone(),
        keep_what_role_accepts: false,
    };
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    if stack_set.is_some() {
        return update_stack_set(args, &session, &store, asked).await;
    }
    let (prepared, created) = apply_change(args, &session, &store, asked.clone(), &options).await?;
    let (plan, records) = (&prepared.plan, &prepared.records);
    let mut outcome = Outcome::from_plan(plan, Some(&created.role_arn)).at(&session.context());
    if args.write_to_segment {
        // Segment gets the settings (a rotation's new ID) and they are read back before the
        // role stops accepting the old ID: nothing is locked out in between.
        let (written, _) =
            super::write_settings::write_outcome(&outcome, &args.segment, args.change.yes).await?;
        if args.rotate_external_id && !written.segment_holds_the_id() {
            say(
                "No instance in Segment holds the settings (only the function's definitions were written): the rotation stays under way, the role accepting both IDs.",
            );
        } else if args.rotate_external_id {
            say("Segment has the new external ID: finishing the rotation, phase 2 of 2");
            let finishing = asked.finishing(&records.after);
            let (finished, created) =
                apply_change(args, &session, &store, finishing, &options).await?;
            let mut outcome =
                Outcome::from_plan(&finished.plan, Some(&created.role_arn)).at(&session.context());
            outcome
                .notes
                .insert(0, crate::model::rotation::FINISHED_WITH_SEGMENT.into());
            return Ok(outcome_output(&outcome, args.change.output, true));
        }
    }
    say("Done. The settings for Segment and what to do next:");
    let finish = crate::model::outcome::finish_rotation_command(&records.after);
    if let Some(note) = update::rotation_note(plan, &finish) {
        outcome.next_steps.insert(0, note);
    } else if args.finish_rotation {
        outcome.notes.insert(
            0,
            "The rotation is finished: the role accepts only the External ID above.".into(),
        );
    }
    Ok(outcome_output(&outcome, args.change.output, true))
}

/// `--write-to-segment` is refused before anything changes when it can't be done: no token and
/// no terminal to ask on, Data Lakes (no API), a StackSet, or a rotation whose new ID the API
/// can't write (a source function's values).
fn can_write_to_segment(args: &UpdateArgs, integration: &str) -> Result<(), Failure> {
    let refuse = |why: &str| -> Result<(), Failure> {
        Err(InputError::new("--write-to-segment", why).into())
    };
    if std::env::var_os(crate::model::segment::TOKEN_VARIABLE).is_none()
        && !std::io::stdin().is_terminal()
    {
        return refuse(
            "needs a Segment Public API token in SEGMENT_PUBLIC_API_TOKEN (no terminal to ask on)",
        );
    }
    if integration == "data-lakes" {
        return refuse(crate::model::segment::errors::NO_API_FOR_DATA_LAKES);
    }
    if args.stack_set.is_some() {
        return refuse("writes one setup's settings: not with --stack-set");
    }
    if args.rotate_external_id && integration == "source-function" {
        return refuse(
            "a source function's values can't be written through Segment's API, so a rotation can't finish in one run: rotate without it, paste the new ID, then --finish-rotation",
        );
    }
    Ok(())
}

/// One change: prepared (a difference of IDs asked about), previewed, asked for, applied.
async fn apply_change(
    args: &UpdateArgs,
    session: &Session,
    store: &StateStore,
    asked: update::Asked,
    options: &WatchOptions,
) -> Result<(update::Prepared, engine::Created), Failure> {
    let name = asked.name.clone();
    let failure = |e| session.failure(e);
    let mut report = progress_printer();
    let mut confirm = |question: &engine::Question| ask(false, &question.text());
    let prepared = update::prepare_asking(
        &session.sdk,
        &session.sdk,
        asked,
        options,
        // The record and the role differ: a person says which to keep; --yes guesses nothing.
        !args.change.yes,
        &mut confirm,
        &mut report,
    )
    .await;
    let prepared = prepared.map_err(failure)?;
    let (plan, preview) = (&prepared.plan, &prepared.preview);
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
            let _ = engine::discard_update(&session.sdk, preview).await;
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
    let work = update::apply(
        &session.sdk,
        &session.sdk,
        Some(store),
        plan,
        preview,
        &prepared.records,
        options,
        &mut report,
    );
    let created = interruptible(work, || reattach_hint(&plan.stack_name, session))
        .await?
        .map_err(failure)?;
    Ok((prepared, created))
}

/// `update --stack-set`: the stack set's change shown, asked for, applied and watched in every
/// account; the rows and the settings as `create` gives them.
async fn update_stack_set(
    args: &UpdateArgs,
    session: &Session,
    store: &StateStore,
    asked: update::Asked,
) -> Result<String, Failure> {
    let failure = |e| session.failure(e);
    let mut report = progress_printer();
    let prepared = update::prepare_stack_set(&session.sdk, asked, &mut report)
        .await
        .map_err(failure)?;
    for line in &prepared.lines {
        say(line);
    }
    let name = prepared.update.name.clone();
    if prepared.nothing {
        say(
            "Nothing to change: the stack set already is what you asked for; its instances are watched.",
        );
    } else if !ask(
        args.change.yes,
        &format!(
            "Update stack set {name} (every account's role) from account {}?",
            session.caller.account
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
    let work = update::apply_stack_set(&session.sdk, Some(store), &prepared, &options, &mut report);
    let rows = interruptible(work, || super::stack_set::watch_hint(&name, session))
        .await?
        .map_err(failure)?;
    let mut output = super::stack_set::result(&prepared.plan, &name, &rows, args.change.output);
    let finish = crate::model::outcome::finish_rotation_command(&prepared.records.after);
    if args.change.output == Format::Text
        && let Some(note) = update::rotation_note(&prepared.plan, &finish)
    {
        output.push_str(&format!("\n{note}\n"));
    }
    super::stack_set::with_failures(output, &name, &rows, session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

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
        match parse(&[
            "update",
            "--integration",
            "destination-function",
            "--stack-set",
            "segment-everywhere",
            "--finish-rotation",
        ]) {
            Ok(Command::Update(args)) => {
                assert!(args.finish_rotation && !args.rotate_external_id);
                assert_eq!(args.stack_set.as_deref(), Some("segment-everywhere"));
            }
            other => panic!("not an update: {other:?}"),
        }
        // One phase at a time.
        assert!(
            parse(&[
                "update",
                "--integration",
                "destination-function",
                "--rotate-external-id",
                "--finish-rotation",
            ])
            .is_err()
        );
    }
}
