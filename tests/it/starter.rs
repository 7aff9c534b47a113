//! The starter function (`--starter-function`): its handler run on sample Segment events with
//! Python; and through the binary on moto, made in the stack with its execution role, read
//! back (the function, its role's trust and policy, the Segment role's policy naming it), left
//! alone by verify, and deleted with the stack.

use crate::aws_cli::{Aws, inline_policy, json_out, role_name, trust_policy};
use crate::moto::moto;
use crate::support::{stderr, stdout, unique};
use segment_aws_setup::model::starter::{self, code_source};
use serde_json::{Value, json};

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&moto().sdk_config().await)
}

async fn function_exists(name: &str) -> bool {
    lambda()
        .await
        .get_function()
        .function_name(name)
        .send()
        .await
        .is_ok()
}

/// Runs a starter's handler on one event with Python and gives back what it returned and logged.
fn run_handler(code: &str, event: &Value) -> (Value, String) {
    let dir = crate::support::temp_dir("starter-handler");
    std::fs::write(dir.join(starter::CODE_FILE), code).expect("written");
    let python = crate::moto::python_tool("python").unwrap_or_else(|e| panic!("{e}"));
    let output = std::process::Command::new(python)
        .current_dir(&dir)
        .args([
            "-c",
            "import json, logging, sys\n\
             logging.basicConfig(stream=sys.stderr)\n\
             import index\n\
             print(json.dumps(index.handler(json.loads(sys.argv[1]), None)))\n",
            &event.to_string(),
        ])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("runs python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let returned = serde_json::from_slice(&output.stdout).expect("JSON returned");
    (
        returned,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_starter_handler_logs_each_segment_event_and_returns() {
    let track = json!({"type": "track", "event": "Order Completed", "userId": "u1",
        "messageId": "m-track-1", "properties": {"total": 12.5}, "timestamp": "2026-12-04T10:00:00Z"});
    let identify = json!({"type": "identify", "userId": "u1", "messageId": "m-identify-1",
        "traits": {"email": "user@example.com"}});
    for name in ["lambda-destination.py", "personalize-destination.py"] {
        let code = code_source(name).expect("embedded");
        for event in [&track, &identify] {
            let (returned, logged) = run_handler(code, event);
            let kind = event["type"].as_str().expect("type");
            assert_eq!(returned["received"], kind, "{name}: {returned}");
            assert!(
                logged.contains(&format!("segment {kind} event"))
                    && logged.contains(event["messageId"].as_str().expect("id")),
                "{name} logs the event: {logged}"
            );
        }
    }
}

#[tokio::test]
async fn a_stack_makes_the_starter_function_and_deleting_it_removes_it() {
    let aws = Aws::new();
    let stack = unique("starter");
    let output = aws.run(&[
        "create",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wsStarterOne",
        "--starter-function",
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ]);
    let outcome = json_out(&output);
    assert!(
        !stderr(&output).contains("warning:"),
        "no warning about stand-ins create fills in: {}",
        stderr(&output)
    );
    let function = format!("{stack}-starter");
    let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function}");
    assert_eq!(outcome["settings"]["function"], arn.as_str(), "{outcome}");
    assert_eq!(outcome["settings"]["region"], "us-east-1");
    assert_eq!(outcome["starterFunction"]["name"], function.as_str());
    assert!(
        outcome["starterFunction"]["code"]
            .as_str()
            .is_some_and(|c| c.contains("def handler")),
        "{outcome}"
    );
    assert!(
        outcome["awsSteps"][0]
            .as_str()
            .is_some_and(|s| s.contains(&function)),
        "the first step in AWS names it: {outcome}"
    );

    let made = lambda()
        .await
        .get_function()
        .function_name(&function)
        .send()
        .await
        .expect("the function exists");
    let configuration = made.configuration().expect("configuration");
    assert_eq!(
        configuration.runtime().map(|r| r.as_str()),
        Some("python3.13")
    );
    assert_eq!(configuration.handler(), Some(starter::HANDLER));
    assert_eq!(configuration.timeout(), Some(starter::TIMEOUT_SECONDS));
    let execution_role = role_name(configuration.role().expect("a role")).to_string();
    assert_eq!(
        trust_policy(&execution_role).await,
        Some(starter::Starter::trust_policy()),
        "only Lambda assumes its role"
    );
    let logs = inline_policy(&execution_role, starter::EXECUTION_POLICY_NAME)
        .await
        .expect("its logs policy");
    let group = format!("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{function}");
    assert_eq!(logs["Statement"][0]["Resource"], group.as_str(), "{logs}");
    assert_eq!(logs["Statement"][1]["Resource"], format!("{group}:*"));
    assert_eq!(logs["Statement"].as_array().map(Vec::len), Some(2));

    let role_arn = outcome["settings"]["roleAddress"].as_str().expect("ARN");
    let invoke = inline_policy(role_name(role_arn), "segment-permissions")
        .await
        .expect("the Segment role's policy");
    assert_eq!(
        invoke["Statement"][0]["Resource"],
        json!([arn]),
        "Segment may invoke the starter function: {invoke}"
    );

    let verified = aws.run(&[
        "verify",
        "--integration",
        "lambda-destination",
        "--role",
        role_arn,
        "--workspace-id",
        "wsStarterOne",
    ]);
    assert!(
        verified.status.success(),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );
    assert!(
        function_exists(&function).await,
        "verify leaves the function alone"
    );

    // A change keeps it: another function added, the starter still first.
    let other = "arn:aws:lambda:us-east-1:123456789012:function:another";
    let updated = aws.run(&[
        "update",
        "--integration",
        "lambda-destination",
        "--stack-name",
        &stack,
        "--workspace-id",
        "wsStarterOne",
        "--lambda-arn",
        other,
        "--yes",
        "--output",
        "json",
    ]);
    let changed = json_out(&updated);
    assert_eq!(changed["settings"]["function"], arn.as_str(), "{changed}");
    let template: Value = serde_json::from_str(
        crate::aws_cli::cloudformation()
            .await
            .get_template()
            .stack_name(&stack)
            .send()
            .await
            .expect("GetTemplate")
            .template_body()
            .expect("a body"),
    )
    .expect("JSON");
    assert!(
        template["Resources"][starter::FUNCTION_ID].is_object(),
        "the changed stack still holds the function"
    );
    assert!(
        function_exists(&function).await,
        "update leaves the function in place"
    );

    let deleted = aws.run(&["delete", "--stack-name", &stack, "--yes"]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert!(
        !function_exists(&function).await,
        "the function went with the stack"
    );
    assert_eq!(trust_policy(&execution_role).await, None, "and its role");
}

#[tokio::test]
async fn the_iam_path_makes_the_starter_function_and_delete_removes_it() {
    let aws = Aws::new();
    let role = unique("starter-iam");
    let stack = unique("starter-name");
    let output = aws.run(&[
        "create",
        "--integration",
        "personalize-destination",
        "--workspace-id",
        "wsStarterIam1",
        "--starter-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ]);
    let outcome = json_out(&output);
    let function = format!("{stack}-starter");
    let made = lambda()
        .await
        .get_function()
        .function_name(&function)
        .send()
        .await
        .expect("the function exists");
    let configuration = made.configuration().expect("configuration");
    assert_eq!(configuration.handler(), Some(starter::HANDLER));
    let variables = configuration
        .environment()
        .and_then(|e| e.variables())
        .expect("its environment");
    for name in [
        "personalize_tracking_id",
        "personalize_campaign_arn",
        "connections_source_api_key",
    ] {
        assert_eq!(variables.get(name).map(String::as_str), Some(""), "{name}");
    }
    let execution_role = format!("{function}-role");
    assert_eq!(
        role_name(configuration.role().expect("a role")),
        execution_role
    );
    let logs = inline_policy(&execution_role, starter::EXECUTION_POLICY_NAME)
        .await
        .expect("its policy");
    assert_eq!(
        logs["Statement"][2]["Action"],
        json!(["personalize:GetRecommendations", "personalize:PutEvents"]),
        "{logs}"
    );
    assert_eq!(
        outcome["settings"]["function"],
        format!("arn:aws:lambda:us-east-1:123456789012:function:{function}").as_str()
    );

    // A change keeps Segment's permission on it: with the record, and found in AWS by the role's
    // tag once the record is gone.
    let invoke = || async {
        inline_policy(&role, "segment-permissions")
            .await
            .expect("the Segment role's policy")
    };
    let starter_arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function}");
    for record in [true, false] {
        if !record {
            for file in aws.saved_files() {
                std::fs::remove_file(file).expect("removed");
            }
        }
        let updated = aws.run(&[
            "update",
            "--integration",
            "personalize-destination",
            "--method",
            "iam",
            "--role-name",
            &role,
            "--workspace-id",
            "wsStarterIam1",
            "--lambda-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:another",
            "--yes",
        ]);
        assert!(updated.status.success(), "{}", stderr(&updated));
        let policy = invoke().await;
        assert!(
            policy.to_string().contains(&starter_arn),
            "record {record}: {policy}"
        );
    }

    let deleted = aws.run(&["delete", "--role-name", &role, "--yes"]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert!(
        stderr(&deleted).contains(&format!("the starter function {function}")),
        "the preview names it: {}",
        stderr(&deleted)
    );
    assert!(!function_exists(&function).await, "the function is gone");
    assert_eq!(trust_policy(&execution_role).await, None, "its role too");
    assert_eq!(trust_policy(&role).await, None, "and the Segment role");
}

#[test]
fn only_the_integrations_that_invoke_a_function_make_one() {
    let output = crate::support::binary(
        &[
            "plan",
            "--integration",
            "kinesis-destination",
            "--workspace-id",
            "wsStarterTwo",
            "--kinesis-stream-arn",
            "arn:aws:kinesis:us-west-2:123456789012:stream/events",
            "--starter-function",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "--starter-function: only the Amazon Lambda and Amazon Personalize destinations"
        ),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());

    // The Terraform configuration doesn't hold a function: refused rather than half of it.
    let output = crate::support::binary(
        &[
            "plan",
            "--integration",
            "lambda-destination",
            "--workspace-id",
            "wsStarterTwo",
            "--starter-function",
            "--format",
            "terraform",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());

    // Refused before any call: a StackSet.
    let output = crate::support::binary(
        &[
            "create",
            "--integration",
            "lambda-destination",
            "--workspace-id",
            "wsStarterTwo",
            "--starter-function",
            "--yes",
            "--accounts",
            "111111111111",
        ],
        &[("AWS_REGION", "us-west-2".into())],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("a StackSet makes the role in many accounts"),
        "{}",
        stderr(&output)
    );
}
