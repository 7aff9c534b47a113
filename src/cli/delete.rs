//! `delete`: a stack or a role this tool made, after checking nothing stands in the way.

use super::*;

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

    /// Stop watching the deletion after this long
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

pub(crate) async fn delete(args: &DeleteArgs) -> Result<String, Failure> {
    if let Some(set) = &args.stack_set {
        return super::stack_set::delete(
            set,
            &args.org_units,
            &args.aws,
            args.change.yes,
            args.timeout,
        )
        .await;
    }
    if let Some(stack) = &args.stack_name {
        validate::stack_name(stack).map_err(InputError::at("--stack-name"))?;
    }
    if let Some(role) = &args.role_name {
        validate::role_name(role).map_err(InputError::at("--role-name"))?;
    }
    require_a_way_to_ask(args.change.yes)?;
    let session = connect(&args.aws).await?;
    let what = match (&args.stack_name, &args.role_name) {
        (Some(stack), _) => format!("Delete stack {stack} and the role it made"),
        (None, Some(role)) => format!("Delete role {role} and its inline policies"),
        (None, None) => {
            return Err(InputError::new("--stack-name", "give --stack-name or --role-name").into());
        }
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
    let mut report = progress_printer();
    let failure = |e| session.failure(e);
    let store = state_store()?;
    if let Some(stack) = &args.stack_name {
        let options = WatchOptions {
            timeout: args.timeout,
            ..WatchOptions::default()
        };
        engine::delete_stack(&session.sdk, stack, &options, &mut report)
            .await
            .map_err(failure)?;
        if let Some(saved) = store.find_stack(stack) {
            let _ = store.remove(&saved);
        }
        Ok(format!("Deleted stack {stack}\n"))
    } else {
        let role = args.role_name.as_deref().unwrap_or_default();
        // A role a saved CloudFormation setup made belongs to its stack.
        if let Some(saved) = store.find_for_role(&session.caller.account, role)
            && let Some(stack) = saved.stack_name.clone()
        {
            return Err(failure(EngineError::StackOwned {
                role: role.to_string(),
                stack,
            }));
        }
        engine::delete_role(&session.sdk, &session.sdk, role, &mut report)
            .await
            .map_err(failure)?;
        if let Some(saved) = store.find_for_role(&session.caller.account, role) {
            let _ = store.remove(&saved);
        }
        Ok(format!("Deleted role {role}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
