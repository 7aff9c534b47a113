//! Plain mode: answers piped to the real binary against moto, the transcript checked for the
//! eight steps and for the absence of any terminal escape sequence; and the demo account.

use crate::moto::moto;
use crate::support::{binary, stderr, stdout, temp_dir, unique};
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the binary with no command, answers on stdin (not a terminal, so plain mode).
fn answer(args: &[&str], answers: &str, with_aws: bool) -> Output {
    let home = temp_dir("plain-home");
    let state = temp_dir("plain-state");
    let mut command = Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SEGMENT_AWS_SETUP_STATE_DIR", &state)
        .env("AWS_REGION", "us-east-1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if with_aws {
        command
            .env("AWS_ENDPOINT_URL", &moto().endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    } else {
        command.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    }
    let mut child = command.spawn().expect("started");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(answers.as_bytes())
            .expect("answers written");
    }
    let output = child.wait_with_output().expect("finished");
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&state);
    output
}

/// The value on the line after a setting's label.
fn value_after(text: &str, label: &str) -> String {
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| l.trim_start() == label)
        .unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    lines.next().expect("a value").trim().to_string()
}

fn assert_plain(output: &Output) {
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(
            !bytes.contains(&0x1b),
            "{name} holds an escape sequence:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = stdout(output);
    for spinner in ['⠋', '⠙', '┌', '│', '─'] {
        assert!(
            !text.contains(spinner),
            "box drawing or spinner {spinner:?} in plain output"
        );
    }
}

pub(crate) async fn role_trust(role: &str) -> Option<serde_json::Value> {
    let iam = aws_sdk_iam::Client::new(&moto().sdk_config().await);
    let output = iam.get_role().role_name(role).send().await.ok()?;
    let document = output.role()?.assume_role_policy_document()?.to_string();
    let text = percent_encoding::percent_decode_str(&document)
        .decode_utf8()
        .ok()?
        .into_owned();
    serde_json::from_str(&text).ok()
}

#[tokio::test]
async fn piped_answers_create_a_stack_and_a_wrong_answer_is_asked_again() {
    let stack = format!("p{}", unique("plain"));
    let answers = format!("y\n1\n\n1\nNot_A_Bucket\nplain-bucket\n\n1\n{stack}\ny\n");
    let output = answer(&[], &answers, true);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert_plain(&output);
    let text = stdout(&output);
    for step in [
        "[1/8] Welcome",
        "[2/8] Integration",
        "[3/8] External ID",
        "[4/8] Permissions",
        "[5/8] Method",
        "[6/8] Review",
        "[7/8] Progress",
        "[8/8] Done",
    ] {
        assert!(text.contains(step), "missing {step}:\n{text}");
    }
    assert!(
        text.contains("That answer can't be used: a bucket name is 3 to 63"),
        "{text}"
    );
    assert!(
        text.contains(&format!("[7/8] {stack} CREATE_COMPLETE (")),
        "progress as plain lines:\n{text}"
    );
    let arn_line = value_after(&text, "IAM Role ARN (iamRoleArn) · required");
    let role = arn_line
        .rsplit('/')
        .next()
        .expect("name")
        .trim()
        .to_string();
    let id = value_after(
        &text,
        "IAM Role External ID (iamRoleExternalId) · required, secret",
    );
    assert!(
        text.contains("Code that uses the role in your function"),
        "{text}"
    );
    let role = role.as_str();
    let id = id.as_str();
    let trust = role_trust(role).await.expect("the role exists in moto");
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        id
    );
}

#[tokio::test]
async fn the_lambda_destination_through_iam_with_the_plain_flag() {
    let role = unique("plain-lambda");
    let arn = "arn:aws:lambda:us-west-2:123456789012:function:events";
    // Choices by a part of their name: "lambda" for lambda-destination, "iam" for the method.
    // The empty answer after the source ID: no starter function.
    let answers = format!("y\nlambda\nwXZ2sd8N3mJ\nsrcPlain123\n\n{arn}\niam\n{role}\ny\n");
    let output = answer(&["--plain"], &answers, true);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert_plain(&output);
    let text = stdout(&output);
    assert!(
        text.contains("What may the role do: Invoke Lambda functions (the only choice)"),
        "{text}"
    );
    assert_eq!(
        value_after(&text, "Role Address (roleAddress) · required"),
        format!("arn:aws:iam::123456789012:role/{role}")
    );
    assert_eq!(
        value_after(&text, "Region (region) · required"),
        "us-west-2"
    );
    assert!(
        text.contains(
            "External ID (Read-Only) (externalId) · read-only: already set by Segment, nothing to paste"
        ),
        "{text}"
    );
    assert!(!text.contains("mark"), "nothing to mark sensitive: {text}");
    // No token here: no question is added, the command that writes the settings later is said.
    assert!(
        text.contains(&format!(
            "segment-aws-setup write-settings --role-name {role} writes these settings into Segment"
        )),
        "{text}"
    );
    let trust = role_trust(&role).await.expect("role");
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        serde_json::json!(["wXZ2sd8N3mJ", "srcPlain123"]),
        "the source ID is trusted too"
    );
}

/// No function yet: plain mode asks, offers the two methods that make a new role, makes the
/// starter function in the stack, and ends with its code.
#[tokio::test]
async fn plain_mode_makes_a_starter_function_when_asked() {
    let stack = unique("plain-starter");
    // Yes to the starter function, then method 1 of the two that make one (a stack).
    let answers = format!("y\nlambda\nwsPlainStarter1\n\ny\n1\n{stack}\ny\n");
    let output = answer(&["--plain"], &answers, true);
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert_plain(&output);
    let text = stdout(&output);
    assert!(
        text.contains("No Lambda function yet? Make a starter function"),
        "{text}"
    );
    assert!(
        !text.contains("An existing role"),
        "only the methods that make a new role are offered: {text}"
    );
    let function = format!("{stack}-starter");
    assert_eq!(
        value_after(&text, "Lambda (function) · required"),
        format!("arn:aws:lambda:us-east-1:123456789012:function:{function}")
    );
    assert!(
        text.contains(&format!(
            "The starter function {function} (python3.13), index.py:"
        )) && text.contains("def handler(event, context):"),
        "its code at the end:\n{text}"
    );
    let lambda = aws_sdk_lambda::Client::new(&moto().sdk_config().await);
    assert!(
        lambda
            .get_function()
            .function_name(&function)
            .send()
            .await
            .is_ok(),
        "made in the stack"
    );
}

/// The demo account makes a starter function too, with nothing leaving the machine.
#[test]
fn the_demo_account_makes_a_starter_function() {
    let output = answer(
        &["--demo"],
        "y\nlambda\nw0rkspace1\n\ny\n1\n\ny\nn\n",
        false,
    );
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    let function = value_after(&text, "Lambda (function) · required");
    assert!(
        function.starts_with(
            "arn:aws:lambda:us-east-1:000000000000:function:segment-lambda-destination-"
        ) && function.ends_with("-starter"),
        "{text}"
    );
    assert!(text.contains("def handler(event, context):"), "{text}");
}

#[test]
fn without_credentials_plan_only_prints_the_commands_and_changes_nothing() {
    // `?` explains the step, then the same question is asked again.
    let output = answer(&[], "y\n?\n1\n\n1\nplan-bucket\nus-west-2\n", false);
    assert!(
        stdout(&output).contains("reaches AWS as its own principal"),
        "{}",
        stdout(&output)
    );
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert_plain(&output);
    let text = stdout(&output);
    assert!(text.contains("Continue in plan-only mode?"), "{text}");
    // The Segment half too, as commands with the token from the environment.
    assert!(
        text.contains("Then these write the settings into Segment through its Public API:"),
        "{text}"
    );
    assert!(text.contains("$SEGMENT_PUBLIC_API_TOKEN"), "{text}");
    assert!(
        text.contains("aws iam create-role --role-name segment-destination-function"),
        "{text}"
    );
    assert!(text.contains("[8/8] Done"), "{text}");
}

#[test]
fn the_input_ending_early_stops_with_a_sentence_and_exit_2() {
    let output = answer(&[], "y\n1\n", false);
    assert_eq!(output.status.code(), Some(2));
    assert_plain(&output);
    assert!(
        stderr(&output).contains("(the input ended)"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn saying_no_at_the_review_changes_nothing() {
    let stack = format!("p{}", unique("declined"));
    let answers = format!("y\n1\n\n1\nb-declined\n\n1\n{stack}\nn\n");
    let output = answer(&[], &answers, true);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("nothing was changed"));
    let described = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let cloudformation = aws_sdk_cloudformation::Client::new(&moto().sdk_config().await);
            cloudformation
                .describe_stacks()
                .stack_name(&stack)
                .send()
                .await
        });
    assert!(described.is_err(), "no stack was made");
}

#[test]
fn the_demo_account_checks_and_repairs_its_legacy_role_with_no_aws_at_all() {
    // The endpoint points nowhere: the demo must not try the network.
    let output = answer(
        &["--demo"],
        "y\n1\n\n1\ndemo-bucket\n\n3\nlegacy-segment-role\ny\ny\nn\n",
        false,
    );
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert_plain(&output);
    let text = stdout(&output);
    assert!(
        text.contains("DEMO (simulated account, nothing leaves this machine)"),
        "{text}"
    );
    assert!(text.contains("AWS account 000000000000"), "{text}");
    assert!(
        text.contains("Roles in the account: AWSCloudFormationStackSetAdministrationRole, lambda-execution-role, legacy-segment-role"),
        "{text}"
    );
    assert!(text.contains("confused-deputy risk"), "{text}");
    assert_eq!(
        value_after(&text, "IAM Role ARN (iamRoleArn) · required"),
        "arn:aws:iam::000000000000:role/legacy-segment-role"
    );
}

/// Several accounts (StackSet) in the demo organization: both units, the instance that fails
/// once shown with its reason and run again on request, then a row per account with its role
/// ARN, the settings and the command that verifies every account.
#[test]
fn the_demo_organization_gets_the_role_through_a_stack_set() {
    let output = answer(
        &["--demo"],
        "y\n1\n\n1\ndemo-bucket\n\n4\nsegment-demo-role\n2, ou-demo-production\nn\n\n\ny\ny\n",
        false,
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert_plain(&output);
    assert!(
        text.contains("  2) ou-demo-development  Root / Development"),
        "the organization's units and accounts, numbered:\n{text}"
    );
    assert!(text.contains("  6) 000000000002  staging"), "{text}");
    assert!(
        text.contains("Creates StackSet segment-destination-function-"),
        "{text}"
    );
    assert!(
        text.contains("(service-managed): IAM role segment-demo-role with inline policy"),
        "{text}"
    );
    assert!(
        text.contains(
            "in 2 organizational units (ou-demo-development, ou-demo-production), region us-east-1."
        ),
        "{text}"
    );
    let failed = "[7/8] account 000000000004 us-east-1 FAILED: Account 000000000004 should have 'AWSCloudFormationStackSetExecutionRole' role";
    assert!(text.contains(failed), "{text}");
    assert!(text.contains("1 instance(s) failed:"), "{text}");
    let retried = text.find("Retrying 1 failed instance(s)").expect("retried");
    assert!(text.find(failed) < Some(retried), "{text}");
    for account in [
        "000000000001",
        "000000000002",
        "000000000003",
        "000000000004",
    ] {
        assert!(
            text.contains(&format!(
                "  {account}  us-east-1  SUCCEEDED  arn:aws:iam::{account}:role/segment-demo-role"
            )),
            "{text}"
        );
    }
    assert_eq!(
        value_after(&text, "IAM Role ARN (iamRoleArn) · required"),
        "arn:aws:iam::000000000001:role/segment-demo-role"
    );
    assert!(
        text.contains("segment-aws-setup verify --integration destination-function --role segment-demo-role --stack-set segment-destination-function-"),
        "{text}"
    );
}

#[test]
fn plan_only_and_commands_need_no_terminal_but_the_help_says_how_to_choose() {
    let output = binary(&["--help"], &[]);
    let text = stdout(&output);
    assert!(
        text.contains("--plain") && text.contains("--demo"),
        "{text}"
    );
}

/// An integration added as data in plain mode: the Firehose destination's delivery streams
/// asked with their hint, checked, and its settings said (plan-only, no credentials).
#[test]
fn plain_mode_takes_an_integration_added_as_data() {
    let delivery = "arn:aws:firehose:us-west-2:123456789012:deliverystream/events";
    let output = answer(
        &[],
        &format!("y\nfirehose\nwXZ2sd8N3mJ\nnot-an-arn\n{delivery}\n"),
        false,
    );
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert_plain(&output);
    let text = stdout(&output);
    assert!(
        text.contains(
            "Firehose delivery stream ARNs (arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME"
        ),
        "{text}"
    );
    assert!(text.contains("That answer can't be used"), "{text}");
    assert_eq!(
        value_after(
            &text,
            "Map Segment Events to Firehose Delivery Streams (mappedStreams)"
        ),
        "events"
    );
    assert_eq!(
        value_after(&text, "AWS Kinesis Firehose Region (region) · required"),
        "us-west-2"
    );
}

/// The demo account's buckets and functions as numbered lists: `/text` filters, a number picks,
/// a picked bucket brings the region AWS gives for it, and `@region` lists another region.
#[test]
fn plain_mode_picks_from_numbered_lists_in_the_demo_account() {
    let output = answer(
        &["--demo"],
        "y\n1\n\n1\n/logs\n3\n\n3\nlegacy-segment-role\ny\ny\nn\n",
        false,
    );
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert_plain(&output);
    let text = stdout(&output);
    assert!(text.contains("Listing S3 buckets…"), "{text}");
    for row in [
        "  1) acme-eu-exports (eu-west-1)",
        "  2) acme-events-archive (us-east-1)",
        "  3) acme-segment-logs (us-west-2)",
    ] {
        assert!(text.contains(row), "{row} in:\n{text}");
    }
    assert_eq!(
        text.matches("  3) acme-segment-logs (us-west-2)").count(),
        2,
        "listed, then filtered by /logs:\n{text}"
    );
    assert!(
        text.contains("S3 bucket name (a number, /text to filter, or type it):"),
        "{text}"
    );
    assert!(
        text.contains("AWS says the bucket is in us-west-2."),
        "{text}"
    );
    assert_eq!(
        value_after(&text, "S3 Bucket (s3Bucket) · required"),
        "acme-segment-logs"
    );
    assert_eq!(
        value_after(&text, "S3 Bucket Region (s3BucketRegion) · required"),
        "us-west-2"
    );

    let output = answer(
        &["--demo"],
        "y\nlambda\nw0rkspace1\n\n\n@us-west-2\n1, segment-event-handler\n1\n\nn\n",
        false,
    );
    let text = stdout(&output);
    assert!(
        text.contains("Listing Lambda functions in us-east-1…"),
        "{text}"
    );
    assert!(
        text.contains("Listing Lambda functions in us-west-2…"),
        "{text}"
    );
    assert!(text.contains("  1) personalize-events-forwarder"), "{text}");
    assert!(
        text.contains(
            "arn:aws:lambda:us-west-2:000000000000:function:personalize-events-forwarder"
        ) && text.contains("arn:aws:lambda:us-west-2:000000000000:function:segment-event-handler"),
        "both picked into the policy:\n{text}"
    );
}

/// The demo, end to end on both sides: the function's role made in the simulated account, then
/// its setting definitions written into the simulated Segment workspace after a preview, the
/// external ID marked Secret and never shown in the preview.
#[test]
fn the_demo_writes_the_settings_into_its_simulated_workspace() {
    let output = answer(
        &["--demo"],
        "y\n1\n\n1\ndemo-bucket\n\n1\n\ny\ny\n2\ny\n",
        false,
    );
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert_plain(&output);
    assert!(
        text.contains("Write these settings into the demo's simulated Segment workspace? [y/N] y"),
        "{text}"
    );
    assert!(text.contains("Segment workspace Demo workspace"), "{text}");
    assert!(
        text.contains(
            "add the setting definition \"IAM Role External ID\" (String, Required, Secret)"
        ),
        "{text}"
    );
    assert!(text.contains("Written: Function Send events to S3: setting definitions IAM Role ARN, IAM Role External ID"), "{text}");
    // The function has no instance: a source picked, a new one made with the values.
    assert!(
        text.contains("2) iOS app: a new instance on this source (srcIOS0002), made disabled"),
        "{text}"
    );
    assert!(
        text.contains("Written: Destination dst00001 (Send events to S3 on source iOS app, disabled): IAM Role ARN, IAM Role External ID"),
        "{text}"
    );
    assert!(!text.contains("Left to you: connect function"), "{text}");
}

/// "audit" answered at the first question: the account's roles read, those Segment can assume
/// judged, nothing changed; the exit code says whether one is NOT OK.
#[test]
fn plain_mode_audits_the_account_when_asked() {
    let output = answer(&["--demo"], "audit\n", false);
    let text = stdout(&output);
    assert_plain(&output);
    assert!(
        text.contains("check this account for roles Segment can assume (audit)? [y] audit"),
        "{text}"
    );
    assert!(
        text.contains("Looking for roles Segment can assume in account 000000000000"),
        "{text}"
    );
    let summary = text
        .lines()
        .find(|l| l.contains("role(s) Segment can assume, of"))
        .unwrap_or_else(|| panic!("no summary:\n{text}"));
    let fine = summary.ends_with("; 0 NOT OK");
    assert_eq!(
        output.status.code(),
        Some(if fine { 0 } else { 4 }),
        "{text}"
    );
    assert!(!text.contains("[2/8]"), "the setup doesn't go on:\n{text}");
}
