//! `delete`: a stack or a role this tool made, after checking nothing stands in the way.

use super::common::*;
use crate::model::stackset;

#[derive(Args, Debug)]
#[group(id = "what", required = true, multiple = false, args = ["stack_name", "role_name", "stack_set"])]
pub struct DeleteArgs {
    /// Delete this CloudFormation stack (and the role it made)
    #[arg(long, value_name = "S")]
    pub stack_name: Option<String>,
    /// Delete this role (its inline policies first); only roles this tool created
    #[arg(long, value_name = "R")]
    pub role_name: Option<String>,
    /// Delete this StackSet: its instances (the role in every account) first, then the set;
    /// only StackSets this tool created
    #[arg(long, value_name = "NAME")]
    pub stack_set: Option<String>,
    /// With --stack-set of organizational units: the units its instances are in
    #[arg(
        long,
        value_name = "OU,...",
        value_delimiter = ',',
        requires = "stack_set"
    )]
    pub org_units: Vec<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,

    /// For a setup not saved on this machine (found in AWS only): its name again, as the
    /// question on a terminal asks for it; --yes alone doesn't delete such a setup
    #[arg(long, value_name = "NAME", env = "SEGMENT_AWS_SETUP_CONFIRM_NAME")]
    pub confirm_name: Option<String>,

    /// Stop watching the deletion after this long
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

/// What is deleted, checked before the question: the stack, role or stack set must be proven
/// this tool's by what it holds (a tag proves nothing), and the question names each thing that
/// goes. A setup not saved on this machine must have its name typed again.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub(crate) async fn delete(args: &DeleteArgs) -> Result<String, Failure> {
    let (kind, name) = match (&args.stack_name, &args.role_name, &args.stack_set) {
        (Some(stack), _, _) => {
            validate::stack_name(stack).map_err(InputError::at("--stack-name"))?;
            ("stack", stack.clone())
        }
        (None, Some(role), _) => {
            validate::role_name(engine::role_name_of(role))
                .map_err(InputError::at("--role-name"))?;
            ("role", role.clone())
        }
        (None, None, Some(set)) => {
            validate::stack_name(set).map_err(InputError::at("--stack-set"))?;
            for unit in &args.org_units {
                stackset::org_unit_id(unit).map_err(InputError::at("--org-units"))?;
            }
            ("stack set", set.clone())
        }
        (None, None, None) => {
            return Err(InputError::new(
                "--stack-name",
                "give --stack-name, --role-name or --stack-set",
            )
            .into());
        }
    };
    require_a_way_to_ask(args.change.yes)?;
    let session = connect(&args.aws).await?;
    let account = session.caller.account.clone();
    let failure = |e| session.failure(e);
    let store = state_store()?;
    let saved = match kind {
        "stack" => store.find_stack(&name).filter(|s| s.account == account),
        "role" => store.find_for_role(&account, &name),
        _ => store.find_stack_set(&account, Some(&name), ""),
    };
    // A role a saved CloudFormation setup made belongs to its stack.
    if kind == "role"
        && let Some(stack) = saved.as_ref().and_then(|s| s.stack_name.clone())
    {
        return Err(failure(EngineError::StackOwned { role: name, stack }));
    }
    let items = match kind {
        "stack" => engine::preview_delete_stack(&session.sdk, &name).await,
        "role" => {
            engine::preview_delete_role(&session.sdk, &session.sdk, &session.sdk, &name).await
        }
        _ => crate::engine::stack_sets::preview_delete(&session.sdk, &name).await,
    }
    .map_err(failure)?;
    say(&format!(
        "Deleting {kind} {name} in account {account} removes:"
    ));
    for item in &items {
        say(&format!("  - {item}"));
    }
    if saved.is_none() {
        confirm_by_name(kind, &name, args)?;
    }
    if !ask(
        args.change.yes,
        &format!("Delete {kind} {name} and all of the above?"),
    ) {
        return Err(Failure {
            code: exit::DECLINED,
            message: "nothing was changed".into(),
        });
    }
    let mut report = progress_printer();
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    match kind {
        "stack" => {
            let work = engine::delete_stack(&session.sdk, &name, &options, &mut report);
            interruptible(work, || reattach_hint(&name, &session))
                .await?
                .map_err(failure)?;
        }
        "role" => {
            engine::delete_role(&session.sdk, &session.sdk, &session.sdk, &name, &mut report)
                .await
                .map_err(failure)?;
        }
        _ => {
            let work = crate::engine::stack_sets::delete(
                &session.sdk,
                &name,
                &args.org_units,
                &options,
                &mut report,
            );
            interruptible(work, || super::stack_set::watch_hint(&name, &session))
                .await?
                .map_err(failure)?;
        }
    }
    if let Some(saved) = &saved {
        let _ = store.remove(saved);
    }
    Ok(match kind {
        "stack set" => format!("Deleted stack set {name} and its instances\n"),
        _ => format!("Deleted {kind} {name}\n"),
    })
}

/// A setup this machine has no record of was found by its tag (and proven by its content), but
/// nobody here made it: deleting it takes its name typed again, on a terminal or as
/// `--confirm-name` (with `--yes`), as `gh repo delete` asks.
fn confirm_by_name(kind: &str, name: &str, args: &DeleteArgs) -> Result<(), Failure> {
    say(&format!(
        "{kind} {name} is not saved on this machine (made elsewhere, or its record was lost): to delete it, its name must be typed again"
    ));
    if let Some(given) = &args.confirm_name {
        if given == name {
            return Ok(());
        }
        return Err(InputError::new(
            "--confirm-name",
            format!("{given:?} is not {name:?}: nothing was changed"),
        )
        .into());
    }
    if args.change.yes || !std::io::stdin().is_terminal() {
        return Err(InputError::new(
            "--confirm-name",
            format!(
                "--yes alone doesn't delete a {kind} that isn't saved on this machine: add --confirm-name {name}, or run it on a terminal and type the name"
            ),
        )
        .into());
    }
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "Type the {kind}'s name to delete it: ");
    let _ = stderr.flush();
    let mut typed = String::new();
    let _ = std::io::stdin().lock().read_line(&mut typed);
    if typed.trim() == name {
        Ok(())
    } else {
        Err(Failure {
            code: exit::DECLINED,
            message: format!("that is not {name}: nothing was changed"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn exactly_one_of_stack_or_role() {
        assert!(parse(&["delete"]).is_err());
        assert!(parse(&["delete", "--stack-name", "s", "--role-name", "r"]).is_err());
        match parse(&["delete", "--role-name", "segment-lambda", "--yes"]) {
            Ok(Command::Delete(args)) => {
                assert_eq!(args.role_name.as_deref(), Some("segment-lambda"));
                assert!(args.change.yes);
                assert_eq!(args.timeout, Duration::from_secs(30 * 60));
            }
            other => panic!("not a delete: {other:?}"),
        }
    }
}
