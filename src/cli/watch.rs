//! `watch`: re-attach to a stack until it is done.

use super::*;

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The stack to watch
    #[arg(long, env = "SEGMENT_AWS_SETUP_STACK_NAME", value_name = "S")]
    pub stack_name: String,
    #[command(flatten)]
    pub aws: AwsArgs,

    /// Stop watching after this long (the stack keeps going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Output on stdout: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

pub(crate) async fn watch(args: &WatchArgs) -> Result<String, Failure> {
    validate::stack_name(&args.stack_name).map_err(InputError::at("--stack-name"))?;
    let session = connect(&args.aws).await?;
    let options = WatchOptions {
        timeout: args.timeout,
        ..WatchOptions::default()
    };
    let store = state_store()?;
    let saved = store.find_stack(&args.stack_name);
    let integration = saved
        .as_ref()
        .and_then(|s| Catalog::builtin().integration(&s.integration));
    let expected = integration.zip(saved.as_ref().map(|s| s.external_ids.as_slice()));
    let mut report = progress_printer();
    let work = engine::reattach(
        &session.sdk,
        &session.sdk,
        &args.stack_name,
        expected,
        &options,
        &mut report,
    );
    let role_arn = interruptible(work, || reattach_hint(&args.stack_name, &session))
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
            Format::Json => pretty_json(&serde_json::json!({ "RoleArn": role_arn })),
            Format::Text => format!("RoleArn  {role_arn}\n"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_name_is_required() {
        assert!(parse(&["watch"]).is_err());
        match parse(&["watch", "--stack-name", "s", "--output", "json"]) {
            Ok(Command::Watch(args)) => {
                assert_eq!(args.stack_name, "s");
                assert_eq!(args.output, Format::Json);
            }
            other => panic!("not a watch: {other:?}"),
        }
    }
}
