//! `retry`: run a StackSet's failed instances again.

use super::common::*;

#[derive(Args, Debug)]
pub struct RetryArgs {
    /// The StackSet whose failed instances run again
    #[arg(long, value_name = "NAME")]
    pub stack_set: String,
    /// A StackSet of organizational units: the units (its accounts that succeeded are left as
    /// they are)
    #[arg(long, value_name = "OU,...", value_delimiter = ',')]
    pub org_units: Vec<String>,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub change: ChangeArgs,

    /// Stop watching after this long (the instances keep going), e.g. 30m, 90s
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::cli::Command;

    #[test]
    fn retry_names_a_stack_set() {
        match parse(&[
            "retry",
            "--stack-set",
            "s",
            "--org-units",
            "ou-ab12-cd345678,r-ab12",
        ]) {
            Ok(Command::Retry(args)) => {
                assert_eq!(args.stack_set, "s");
                assert_eq!(args.org_units, ["ou-ab12-cd345678", "r-ab12"]);
                assert_eq!(args.timeout, Duration::from_secs(30 * 60));
            }
            other => panic!("not a retry: {other:?}"),
        }
        assert!(parse(&["retry"]).is_err());
    }
}
