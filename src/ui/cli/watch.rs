//! `watch`: re-attach to a stack until it is done.

use super::common::*;

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The stack to watch
    #[arg(
        long,
        env = "SEGMENT_AWS_SETUP_STACK_NAME",
        value_name = "S",
        required_unless_present = "stack_set",
        conflicts_with = "stack_set"
    )]
    pub stack_name: Option<String>,

    /// The StackSet to watch: a row per account and region until none is being worked on
    #[arg(long, value_name = "NAME")]
    pub stack_set: Option<String>,
    #[command(flatten)]
    pub aws: AwsArgs,

    /// Stop watching after this long (the stack keeps going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Output on stdout: text for people, json for scripts, csv for a StackSet's rows
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

pub(crate) async fn watch(args: &WatchArgs) -> Result<String, Failure> {
    let stack_name = match (&args.stack_name, &args.stack_set) {
        (_, Some(set)) => {
            return super::stack_set::watch(set, &args.aws, args.timeout, args.output).await;
        }
        (Some(name), None) => name.clone(),
        (None, None) => {
            return Err(InputError::new("--stack-name", "give --stack-name or --stack-set").into());
        }
    };
    no_csv(args.output)?;
    validate::stack_name(&stack_name).map_err(InputError::at("--stack-name"))?;
    let session = connect(&args.aws).await?;
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let store = state_store()?;
    let saved = store.find_stack(&stack_name);
    let integration = saved
        .as_ref()
        .and_then(|s| Catalog::builtin().integration(&s.integration));
    let expected = integration.zip(saved.as_ref().map(|s| s.external_ids.as_slice()));
    let mut report = progress_printer();
    let work = engine::reattach(
        &session.sdk,
        &session.sdk,
        &stack_name,
        expected,
        &options,
        &mut report,
    );
    let role_arn = interruptible(work, || reattach_hint(&stack_name, &session))
        .await?
        .map_err(|e| session.failure(e))?;
    match saved {
        Some(saved) => {
            let _ = store.finish(&saved, &role_arn);
            say("Done. The settings for Segment and what to do next:");
            Ok(outcome_output(
                &Outcome::from_saved(&saved, &role_arn).at(&session.context()),
                args.output,
                true,
            ))
        }
        None => Ok(match args.output {
            Format::Json => pretty_json(&serde_json::json!({ "roleArn": role_arn })),
            Format::Text | Format::Csv => format!("RoleArn  {role_arn}\n"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn a_stack_name_is_required() {
        assert!(parse(&["watch"]).is_err());
        match parse(&["watch", "--stack-name", "s", "--output", "json"]) {
            Ok(Command::Watch(args)) => {
                assert_eq!(args.stack_name.as_deref(), Some("s"));
                assert_eq!(args.output, Format::Json);
            }
            other => panic!("not a watch: {other:?}"),
        }
    }
}
