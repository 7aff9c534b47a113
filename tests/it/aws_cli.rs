//! The real binary against moto, for every path of the engine: CloudFormation, IAM, verify,
//! verify --fix, delete, an existing stack, an existing role. The resulting IAM state is read back
//! through the SDK, not only from the command's output.

use crate::moto::moto;
use crate::support::{binary, stderr, stdout, temp_dir, unique};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

const LAMBDA: &str = "arn:aws:lambda:us-west-2:123456789012:function:events";

/// The binary pointed at moto, with its own state directory.
pub(crate) struct Aws {
    pub(crate) state: PathBuf,
}

impl Aws {
    pub(crate) fn new() -> Self {
        Aws {
            state: temp_dir("state"),
        }
    }

    pub(crate) fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            (
                "SEGMENT_AWS_SETUP_STATE_DIR",
                self.state.display().to_string(),
            ),
        ]
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        binary(args, &self.env())
    }

    pub(crate) fn saved_files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.state)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default()
    }
}

impl Drop for Aws {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

pub(crate) async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&moto().sdk_config().await)
}

pub(crate) async fn cloudformation() -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(&moto().sdk_config().await)
}

pub(crate) fn decode(document: &str) -> Value {
    let text = percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .expect("UTF-8");
    serde_json::from_str(&text).expect("JSON")
}

pub(crate) async fn trust_policy(role: &str) -> Option<Value> {
    let output = iam().await.get_role().role_name(role).send().await.ok()?;
    output
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .map(decode)
}

pub(crate) async fn inline_policy(role: &str, name: &str) -> Option<Value> {
    let output = iam()
        .await
        .get_role_policy()
        .role_name(role)
        .policy_name(name)
        .send()
        .await
        .ok()?;
    Some(decode(output.policy_document()))
}

pub(crate) fn json_out(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        stderr(output)
    );
    let json = serde_json::from_str(&stdout(output)).expect("JSON on stdout");
    crate::support::assert_camel_case_keys(&json);
    json
}

pub(crate) fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().expect("name")
}

pub(crate) fn expected_trust(principal: &str, id: &str) -> Value {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": id}}
    }]})
}

#[tokio::test]
async fn create_through_cloudformation_then_verify_watch_and_delete() {
    let aws = Aws::new();
    let stack = unique("cfn");
    let args = [
        "create",
        "--integration",
        "destination-function",
        "--bucket",
        "events-bucket",
        "--bucket-region",
        "us-west-2",
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ];
    let output = aws.run(&args);
    let outcome = json_out(&output);
    for key in ["settings", "nextSteps", "notes", "code", "checkLater"] {
        assert!(
            outcome.get(key).is_some(),
            "the outcome holds {key}: {outcome}"
        );
    }
    assert!(
        outcome["code"]
            .as_str()
            .is_some_and(|c| c.contains("sessionToken: Credentials.SessionToken")),
        "the code passes the assumed credentials to the client"
    );
    let settings = outcome["settings"].clone();
    let keys: Vec<&str> = settings
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "iamRoleArn",
            "iamRoleExternalId",
            "s3Bucket",
            "s3BucketRegion"
        ]
    );
    let role_arn = settings["iamRoleArn"].as_str().expect("ARN");
    let id = settings["iamRoleExternalId"].as_str().expect("ID");
    assert_eq!(id.len(), 40);
    let log = stderr(&output);
    assert!(
        log.contains("AWS account 123456789012 as arn:aws:sts::123456789012:user/moto"),
        "{log}"
    );
    assert!(log.contains("CREATE_COMPLETE"), "{log}");
    assert!(
        !log.contains(id),
        "the external ID is never in the progress log"
    );

    let role = role_name(role_arn);
    assert_eq!(
        trust_policy(role).await,
        Some(expected_trust("arn:aws:iam::458175278816:root", id))
    );
    assert_eq!(
        inline_policy(role, "segment-permissions").await,
        Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::events-bucket/*"}]}))
    );
    let files = aws.saved_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).expect("read")).expect("JSON");
    assert_eq!(
        saved["finished"], true,
        "a finished setup is kept, marked finished"
    );
    assert_eq!(
        saved["roleArn"], role_arn,
        "with its role, so verify finds its ID"
    );

    let verified = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        role_arn,
        "--external-id",
        id,
    ]);
    assert!(
        verified.status.success(),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );
    assert!(stdout(&verified).contains("OK: Segment's principal gets in with your external ID"));

    let watched = aws.run(&["watch", "--stack-name", &stack, "--output", "json"]);
    assert_eq!(
        json_out(&watched)["settings"]["iamRoleArn"],
        role_arn,
        "the saved setup's settings"
    );

    let deleted = aws.run(&["delete", "--stack-name", &stack, "--yes"]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(trust_policy(role).await, None, "the stack's role is gone");
}

#[tokio::test]
async fn create_directly_through_iam_then_delete() {
    let aws = Aws::new();
    let role = unique("iam");
    let output = aws.run(&[
        "create",
        "--integration",
        "lambda-destination",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        LAMBDA,
        "--yes",
        "--output",
        "json",
    ]);
    let settings = json_out(&output)["settings"].clone();
    assert_eq!(
        settings,
        json!({
            "roleAddress": format!("arn:aws:iam::123456789012:role/{role}"),
            "externalId": "wXZ2sd8N3mJ",
            "function": LAMBDA,
            "region": "us-west-2"
        })
    );
    let principal = "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access";
    assert_eq!(
        trust_policy(&role).await,
        Some(expected_trust(principal, "wXZ2sd8N3mJ"))
    );
    assert_eq!(
        inline_policy(&role, "segment-permissions").await,
        Some(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [LAMBDA]}]}))
    );
    let tags = iam()
        .await
        .list_role_tags()
        .role_name(&role)
        .send()
        .await
        .expect("tags");
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "created-by" && t.value() == "segment-aws-setup")
    );

    // The same name again: nothing is touched, and the message points to verify.
    let again = aws.run(&[
        "create",
        "--integration",
        "lambda-destination",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--workspace-id",
        "otherWorkspace",
        "--lambda-arn",
        LAMBDA,
        "--yes",
    ]);
    assert_eq!(again.status.code(), Some(4), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert!(
        stderr(&again).contains("segment-aws-setup verify --integration lambda-destination"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        trust_policy(&role).await,
        Some(expected_trust(principal, "wXZ2sd8N3mJ")),
        "unchanged"
    );

    let deleted = aws.run(&["delete", "--role-name", &role, "--yes"]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(trust_policy(&role).await, None);
}

#[tokio::test]
async fn the_setup_is_saved_privately_and_a_create_that_made_nothing_leaves_no_record() {
    let aws = Aws::new();
    let role = unique("saved");
    let output = aws.run(&[
        "create",
        "--integration",
        "source-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--bucket",
        "b-123",
        "--bucket-region",
        "us-east-1",
        "--yes",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Saved the setup to"),
        "{}",
        stderr(&output)
    );
    let files = aws.saved_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).expect("read")).expect("JSON");
    assert_eq!(saved["integration"], "source-function");
    assert_eq!(saved["method"], "iam");
    assert_eq!(saved["roleName"], role.as_str());
    assert_eq!(saved["account"], "123456789012");
    assert_eq!(saved["region"], "us-east-1");
    assert_eq!(saved["externalIds"][0].as_str().map(str::len), Some(40));
    assert_mode_600(&files[0]);

    // A role of that name that isn't this setup's: refused, and no record is left to resume.
    let other = Aws::new();
    let taken = unique("taken");
    iam()
        .await
        .create_role()
        .role_name(&taken)
        .assume_role_policy_document("{}")
        .send()
        .await
        .expect("created");
    let refused = other.run(&[
        "create",
        "--integration",
        "source-function",
        "--method",
        "iam",
        "--role-name",
        &taken,
        "--bucket",
        "b-123",
        "--bucket-region",
        "us-east-1",
        "--yes",
    ]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(other.saved_files().is_empty(), "{:?}", other.saved_files());
    assert_eq!(
        trust_policy(&taken).await,
        Some(json!({})),
        "the other role is untouched"
    );
}

#[cfg(unix)]
fn assert_mode_600(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
}

#[cfg(not(unix))]
fn assert_mode_600(_: &Path) {}

#[tokio::test]
async fn an_existing_stack_is_reused_when_it_matches_and_refused_when_it_does_not() {
    let aws = Aws::new();
    let stack = unique("again");
    let id = "an-external-id-brought-by-the-user-0123456789";
    let args = |external_id: &'static str| {
        vec![
            "create".to_string(),
            "--integration".into(),
            "source-function".into(),
            "--bucket".into(),
            "b-456".into(),
            "--bucket-region".into(),
            "us-east-1".into(),
            "--stack-name".into(),
            stack.clone(),
            "--external-id".into(),
            external_id.into(),
            "--yes".into(),
            "--output".into(),
            "json".into(),
        ]
    };
    let first = args(id);
    let first = json_out(&aws.run(&first.iter().map(String::as_str).collect::<Vec<_>>()));
    let second_args = args(id);
    let second = aws.run(&second_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        stderr(&second).contains("reusing its role"),
        "{}",
        stderr(&second)
    );
    assert_eq!(json_out(&second), first);

    let other = "a-different-external-id-brought-by-the-user-99";
    let third_args = args(other);
    let third = aws.run(&third_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(third.status.code(), Some(4));
    let log = stderr(&third);
    assert!(
        log.contains("already exists with different settings"),
        "{log}"
    );
    assert!(
        !log.contains(id) && !log.contains(other),
        "no external ID in messages: {log}"
    );
}

#[tokio::test]
async fn a_rerun_resumes_the_saved_setup_with_its_external_id() {
    let aws = Aws::new();
    let stack = unique("resume");
    // A first run that stopped after saving: a saved setup and a complete stack made with its ID.
    let id = "the-saved-external-id-from-the-first-run-0001";
    let first = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--bucket",
        "b-789",
        "--bucket-region",
        "us-east-1",
        "--stack-name",
        &stack,
        "--external-id",
        id,
        "--yes",
        "--output",
        "json",
    ]);
    json_out(&first);
    let saved = json!({
        "integration": "destination-function", "method": "cloudformation", "stackName": stack, "roleName": null,
        "region": "us-east-1", "profile": null, "account": "123456789012", "externalIds": [id], "settings": []
    });
    std::fs::write(
        aws.state.join(format!("123456789012-{stack}.json")),
        saved.to_string(),
    )
    .expect("saved");

    let rerun = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--bucket",
        "b-789",
        "--bucket-region",
        "us-east-1",
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ]);
    assert!(
        stderr(&rerun).contains("Resuming the unfinished setup"),
        "{}",
        stderr(&rerun)
    );
    assert!(
        stderr(&rerun).contains("reusing its role"),
        "{}",
        stderr(&rerun)
    );
    assert!(rerun.status.success());
}

#[tokio::test]
async fn verify_flags_a_confused_deputy_and_fix_repairs_it_keeping_other_statements() {
    let aws = Aws::new();
    let role = unique("handmade");
    let service = json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"});
    let risky = json!({"Version": "2012-10-17", "Statement": [
        service,
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::458175278816:root"}, "Action": "sts:AssumeRole"}
    ]});
    iam()
        .await
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(risky.to_string())
        .send()
        .await
        .expect("role");
    let id = "an-external-id-for-the-handmade-role-00000001";

    let checked = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
        "--external-id",
        id,
    ]);
    assert_eq!(checked.status.code(), Some(4));
    assert!(
        stdout(&checked).contains("confused-deputy risk"),
        "{}",
        stdout(&checked)
    );
    assert!(stderr(&checked).contains("repair it with --fix"));

    let without_yes = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
        "--external-id",
        id,
        "--fix",
    ]);
    assert_eq!(
        without_yes.status.code(),
        Some(2),
        "not on a terminal and no --yes"
    );
    assert_eq!(
        trust_policy(&role).await,
        Some(risky.clone()),
        "nothing changed"
    );

    let fixed = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
        "--external-id",
        id,
        "--bucket",
        "b-fix",
        "--bucket-region",
        "us-east-1",
        "--fix",
        "--yes",
        "--output",
        "json",
    ]);
    let report = json_out(&fixed);
    assert_eq!(report["right"], true);
    assert_eq!(report["confusedDeputyRisk"], false);
    assert_eq!(report["permission"], "present");
    let trust = trust_policy(&role).await.expect("role");
    assert_eq!(
        trust["Statement"][0], service,
        "the other statement is kept"
    );
    assert_eq!(
        trust["Statement"][1],
        expected_trust("arn:aws:iam::458175278816:root", id)["Statement"][0]
    );
    assert_eq!(
        trust["Statement"].as_array().map(Vec::len),
        Some(2),
        "the risky statement is gone"
    );
    assert_eq!(
        inline_policy(&role, "segment-permissions")
            .await
            .expect("attached")["Statement"][0]["Resource"],
        "arn:aws:s3:::b-fix/*"
    );
}

#[tokio::test]
async fn delete_refuses_a_role_this_tool_did_not_make() {
    let aws = Aws::new();
    let role = unique("not-ours");
    iam()
        .await
        .create_role()
        .role_name(&role)
        .assume_role_policy_document("{}")
        .send()
        .await
        .expect("role");
    let output = aws.run(&["delete", "--role-name", &role, "--yes"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("was not created by segment-aws-setup"),
        "{}",
        stderr(&output)
    );
    assert!(trust_policy(&role).await.is_some(), "still there");
}

#[tokio::test]
async fn delete_refuses_a_stack_this_tool_did_not_make() {
    let aws = Aws::new();
    let stack = unique("not-ours");
    let template = json!({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}}}});
    cloudformation()
        .await
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .send()
        .await
        .expect("stack");
    let output = aws.run(&["delete", "--stack-name", &stack, "--yes"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains(&format!(
            "stack {stack} was not created by segment-aws-setup"
        )),
        "{}",
        stderr(&output)
    );
    let described = cloudformation()
        .await
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await
        .expect("still there");
    assert_eq!(
        described.stacks()[0].stack_status().map(|s| s.as_str()),
        Some("CREATE_COMPLETE")
    );
}

#[tokio::test]
async fn profile_and_region_come_from_the_aws_config_files() {
    let aws = Aws::new();
    let dir = temp_dir("aws-config");
    std::fs::write(
        dir.join("config"),
        "[profile segment-test]\nregion = eu-west-3\n",
    )
    .expect("config");
    std::fs::write(
        dir.join("credentials"),
        "[segment-test]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .expect("credentials");
    let mut env: Vec<(&str, String)> = aws
        .env()
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                *k,
                "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_REGION"
            )
        })
        .collect();
    env.push(("AWS_CONFIG_FILE", dir.join("config").display().to_string()));
    env.push((
        "AWS_SHARED_CREDENTIALS_FILE",
        dir.join("credentials").display().to_string(),
    ));
    let role = unique("profiled");
    let output = binary(
        &[
            "create",
            "--profile",
            "segment-test",
            "--integration",
            "lambda-destination",
            "--method",
            "iam",
            "--role-name",
            &role,
            "--workspace-id",
            "wXZ2sd8N3mJ",
            "--lambda-arn",
            LAMBDA,
            "--yes",
        ],
        &env,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("(region eu-west-3)"),
        "{}",
        stderr(&output)
    );
    assert!(trust_policy(&role).await.is_some());
    // A profile that doesn't exist is an error, even where the environment holds credentials the
    // SDK would otherwise fall back to (and change that account instead).
    let mut with_env_credentials = env.clone();
    with_env_credentials.push(("AWS_ACCESS_KEY_ID", "testing".into()));
    with_env_credentials.push(("AWS_SECRET_ACCESS_KEY", "testing".into()));
    with_env_credentials.push(("AWS_REGION", "us-east-1".into()));
    let missing = binary(
        &["watch", "--profile", "no-such-profile", "--stack-name", "x"],
        &with_env_credentials,
    );
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("no AWS profile named \"no-such-profile\"")
            && stderr(&missing).contains("segment-test"),
        "{}",
        stderr(&missing)
    );
    with_env_credentials.push(("AWS_PROFILE", "also-missing".into()));
    let from_env = binary(&["watch", "--stack-name", "x"], &with_env_credentials);
    assert_eq!(from_env.status.code(), Some(3), "{}", stderr(&from_env));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_a_terminal_or_yes_nothing_changes() {
    let aws = Aws::new();
    let stack = unique("asked");
    let output = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--bucket",
        "b-1x",
        "--bucket-region",
        "us-east-1",
        "--stack-name",
        &stack,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("add --yes"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    let described = cloudformation()
        .await
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await;
    assert!(described.is_err(), "no stack was created");
    assert!(aws.saved_files().is_empty());
}

#[tokio::test]
async fn no_credentials_exit_3_with_how_to_fix_it() {
    let aws = Aws::new();
    let env: Vec<(&str, String)> = aws
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
        .collect();
    let output = binary(&["delete", "--stack-name", "anything", "--yes"], &env);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("no usable AWS credentials"), "{message}");
    assert!(
        message.contains("aws configure")
            && message.contains("aws sso login")
            && message.contains("AWS_PROFILE")
    );
    assert!(
        !message.contains("panicked") && !message.contains("DispatchFailure"),
        "{message}"
    );
}

#[tokio::test]
async fn a_missing_region_is_bad_input() {
    let aws = Aws::new();
    let env: Vec<(&str, String)> = aws
        .env()
        .into_iter()
        .filter(|(k, _)| *k != "AWS_REGION")
        .collect();
    let output = binary(&["watch", "--stack-name", "anything"], &env);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--region"));
}

#[tokio::test]
async fn a_template_moto_refuses_is_reported_with_exit_4() {
    // moto returns a failing resource's error from CreateStack itself (it never rolls back).
    let aws = Aws::new();
    let dir = temp_dir("policy");
    let file = dir.join("bad-action.json");
    // Valid to our checks; moto's IAM refuses an Action that isn't service:action.
    std::fs::write(&file, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"not-an-action","Resource":"arn:aws:s3:::b/*"}]}"#)
        .expect("write");
    let role = unique("refused");
    let output = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--policy-file",
        file.to_str().expect("UTF-8"),
        "--yes",
    ]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("iam:PutRolePolicy"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        trust_policy(&role).await,
        None,
        "the half-made role was deleted"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A stack that stays CREATE_IN_PROGRESS: moto leaves it so when a resource fails.
async fn stuck_stack() -> String {
    let stack = unique("stuck");
    let template = json!({
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}},
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {
                "PolicyName": "p", "Roles": [{"Ref": "Role"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "not-an-action", "Resource": "*"}]}
            }}
        }
    });
    let client = cloudformation().await;
    let _ = client
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .send()
        .await;
    let status = client
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await
        .expect("the stack exists");
    let status = status.stacks()[0]
        .stack_status()
        .map(|s| s.as_str().to_string());
    assert_eq!(
        status.as_deref(),
        Some("CREATE_IN_PROGRESS"),
        "moto leaves a failed create in progress"
    );
    stack
}

#[tokio::test]
async fn a_watch_stops_at_its_timeout_and_says_how_to_watch_again() {
    let aws = Aws::new();
    let stack = stuck_stack().await;
    let output = aws.run(&["watch", "--stack-name", &stack, "--timeout", "3s"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("still CREATE_IN_PROGRESS"), "{message}");
    assert!(
        message.contains(&format!("segment-aws-setup watch --stack-name {stack}")),
        "{message}"
    );
}

#[test]
fn ctrl_c_while_watching_leaves_the_stack_and_prints_how_to_reattach() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let stack = runtime.block_on(stuck_stack());
    let aws = Aws::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"));
    command
        .args(["watch", "--stack-name", &stack])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &aws.state)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in aws.env() {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("started");
    let stderr_pipe = child.stderr.take().expect("stderr");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("CREATE_IN_PROGRESS"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        seen.push(
            received
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no progress line within 30 s: {seen:?}")),
        );
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "still running after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(130));
    while let Ok(line) = received.recv_timeout(Duration::from_secs(5)) {
        seen.push(line);
    }
    let log = seen.join("\n");
    assert!(log.contains("the stack keeps going"), "{log}");
    assert!(
        log.contains(&format!(
            "segment-aws-setup watch --stack-name {stack} --region us-east-1"
        )),
        "{log}"
    );
    let status = runtime.block_on(async {
        let described = cloudformation()
            .await
            .describe_stacks()
            .stack_name(&stack)
            .send()
            .await
            .expect("still there");
        described.stacks()[0]
            .stack_status()
            .map(|s| s.as_str().to_string())
    });
    assert_eq!(
        status.as_deref(),
        Some("CREATE_IN_PROGRESS"),
        "the stack was left alone"
    );
}

#[tokio::test]
async fn verify_lists_every_policy_on_the_role_and_flags_what_goes_beyond_the_preset() {
    let aws = Aws::new();
    let role = unique("beyond");
    let id = "an-external-id-for-the-beyond-role-000000001";
    let client = iam().await;
    client
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(
            expected_trust("arn:aws:iam::458175278816:root", id).to_string(),
        )
        .send()
        .await
        .expect("role");
    let preset = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b-beyond/*"}]});
    client
        .put_role_policy()
        .role_name(&role)
        .policy_name("segment-permissions")
        .policy_document(preset.to_string())
        .send()
        .await
        .expect("inline");
    client
        .put_role_policy()
        .role_name(&role)
        .policy_name("extra")
        .policy_document(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}).to_string())
        .send()
        .await
        .expect("extra inline");
    // moto loads no AWS managed policies by default: a customer managed one stands in.
    let admin_name = unique("AdministratorAccess");
    let created = client
        .create_policy()
        .policy_name(&admin_name)
        .policy_document(json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}).to_string())
        .send()
        .await
        .expect("managed policy");
    let admin = created
        .policy()
        .and_then(|p| p.arn())
        .expect("arn")
        .to_string();
    client
        .attach_role_policy()
        .role_name(&role)
        .policy_arn(&admin)
        .send()
        .await
        .expect("attached");

    let with_preset = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
        "--external-id",
        id,
        "--bucket",
        "b-beyond",
        "--bucket-region",
        "us-east-1",
    ]);
    assert_eq!(
        with_preset.status.code(),
        Some(4),
        "{}",
        stderr(&with_preset)
    );
    let text = stdout(&with_preset);
    for needed in [
        "inline policy segment-permissions grants exactly the chosen permissions",
        "inline policy extra goes beyond the chosen permissions",
        "Resource \"*\": every resource",
        "every action",
    ] {
        assert!(text.contains(needed), "{needed}:\n{text}");
    }
    assert!(
        text.contains(&format!(
            "managed policy {admin_name} ({admin}) is attached"
        )),
        "{text}"
    );
    // --fix changes nothing here: it says what it leaves alone and how to remove it.
    let fixed = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
        "--external-id",
        id,
        "--bucket",
        "b-beyond",
        "--bucket-region",
        "us-east-1",
        "--fix",
        "--yes",
    ]);
    assert_eq!(fixed.status.code(), Some(4));
    assert!(
        stderr(&fixed).contains(&format!(
            "aws iam detach-role-policy --role-name {role} --policy-arn {admin}"
        )),
        "{}",
        stderr(&fixed)
    );
    // Without a preset the same policies are listed as warnings, and the trust side decides.
    let listed = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
        "--external-id",
        id,
    ]);
    assert_eq!(listed.status.code(), Some(0), "{}", stdout(&listed));
    assert!(
        stdout(&listed).contains("! managed policy AdministratorAccess"),
        "{}",
        stdout(&listed)
    );
}

#[tokio::test]
async fn a_broad_policy_file_needs_an_explicit_yes_and_a_huge_one_is_refused_unread() {
    let aws = Aws::new();
    let dir = temp_dir("broad");
    let file = dir.join("admin.json");
    std::fs::write(
        &file,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}"#,
    )
    .expect("write");
    let path = file.to_str().expect("UTF-8");
    let plan = aws.run(&[
        "plan",
        "--integration",
        "source-function",
        "--policy-file",
        path,
    ]);
    assert!(plan.status.success());
    assert!(
        stdout(&plan).contains("full control of IAM"),
        "{}",
        stdout(&plan)
    );

    let role = unique("broad");
    let refused = aws.run(&[
        "create",
        "--integration",
        "source-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--policy-file",
        path,
        "--yes",
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--allow-broad-policy"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(trust_policy(&role).await, None, "no role was made");

    let accepted = aws.run(&[
        "create",
        "--integration",
        "source-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--policy-file",
        path,
        "--yes",
        "--allow-broad-policy",
    ]);
    assert_eq!(accepted.status.code(), Some(0), "{}", stderr(&accepted));

    let started = std::time::Instant::now();
    let zero = aws.run(&[
        "plan",
        "--integration",
        "source-function",
        "--policy-file",
        "/dev/zero",
    ]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(
        stderr(&zero).contains("larger than 1 MiB"),
        "{}",
        stderr(&zero)
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "refused without reading it all"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn verify_finds_the_saved_id_refuses_other_accounts_and_never_asks_without_a_terminal() {
    let aws = Aws::new();
    let role = unique("found");
    let created = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--bucket",
        "b-found",
        "--bucket-region",
        "us-east-1",
        "--yes",
    ]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    assert!(
        stdout(&created).contains(&format!(
            "Check the role any time:\n  segment-aws-setup verify --integration destination-function --role arn:aws:iam::123456789012:role/{role} --region us-east-1\n"
        )),
        "the hint holds no ID, and names the region so it works as printed: {}",
        stdout(&created)
    );
    let verified = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
    ]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );
    assert!(
        stderr(&verified).contains("Using the external ID saved by the setup of role"),
        "{}",
        stderr(&verified)
    );

    let unknown = Aws::new();
    let nothing_saved = unknown.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
    ]);
    assert_eq!(nothing_saved.status.code(), Some(2));
    assert!(
        stderr(&nothing_saved).contains("SEGMENT_AWS_SETUP_EXTERNAL_ID"),
        "{}",
        stderr(&nothing_saved)
    );

    let elsewhere = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        "arn:aws:iam::999999999999:role/theirs",
    ]);
    assert_eq!(elsewhere.status.code(), Some(2));
    let message = stderr(&elsewhere);
    assert!(
        message.contains("999999999999") && message.contains("123456789012"),
        "{message}"
    );
}

#[tokio::test]
async fn update_changes_a_setup_through_a_change_set_or_the_role_after_a_preview() {
    let aws = Aws::new();
    let stack = unique("upd");
    let first = "arn:aws:lambda:us-west-2:123456789012:function:first";
    let second = "arn:aws:lambda:us-west-2:123456789012:function:second";
    let created = aws.run(&[
        "create",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        first,
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ]);
    let role_arn = json_out(&created)["settings"]["roleAddress"]
        .as_str()
        .expect("ARN")
        .to_string();
    let role = role_name(&role_arn).to_string();
    // Without a terminal and without --yes nothing changes.
    let refused = aws.run(&[
        "update",
        "--integration",
        "lambda-destination",
        "--stack-name",
        &stack,
        "--lambda-arn",
        second,
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    let updated = aws.run(&[
        "update",
        "--integration",
        "lambda-destination",
        "--stack-name",
        &stack,
        "--lambda-arn",
        second,
        "--yes",
        "--output",
        "json",
    ]);
    let outcome = json_out(&updated);
    assert_eq!(outcome["settings"]["function"], second);
    assert!(
        stderr(&updated).contains("The external ID Segment uses: wXZ2sd8N3mJ"),
        "{}",
        stderr(&updated)
    );
    assert!(
        stderr(&updated).contains("The change set for stack"),
        "previewed: {}",
        stderr(&updated)
    );
    assert_eq!(
        inline_policy(&role, "segment-permissions")
            .await
            .expect("policy")["Statement"][0]["Resource"],
        json!([second])
    );

    // Through IAM: a rotation in two phases, each shown before it is written.
    let iam_role = unique("upd-iam");
    let common = [
        "update",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &iam_role,
        "--bucket",
        "b-upd",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
    ];
    let made = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &iam_role,
        "--bucket",
        "b-upd",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
    ]);
    let old_id = json_out(&made)["settings"]["iamRoleExternalId"]
        .as_str()
        .expect("ID")
        .to_string();
    let principal = "arn:aws:iam::458175278816:root";
    let both = |a: &str, b: &str| {
        json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": [a, b]}}
        }]})
    };
    let rotated = aws.run(&[&common[..], &["--rotate-external-id"]].concat());
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    let outcome = json_out(&rotated);
    let new_id = outcome["settings"]["iamRoleExternalId"]
        .as_str()
        .expect("ID")
        .to_string();
    assert_ne!(new_id, old_id);
    assert!(
        stderr(&rotated).contains("phase 1 of 2") && stderr(&rotated).contains("Trust policy:"),
        "{}",
        stderr(&rotated)
    );
    assert!(
        !stderr(&rotated).contains(&new_id) && !stderr(&rotated).contains(&old_id),
        "IDs masked in the preview"
    );
    // Phase 1: Segment keeps working with the old ID while the new one is pasted.
    assert_eq!(trust_policy(&iam_role).await, Some(both(&old_id, &new_id)));
    let verified = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &iam_role,
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    assert!(
        stderr(&verified).contains("A rotation of the external ID is in progress since"),
        "{}",
        stderr(&verified)
    );
    // Rotating again while one is under way keeps its new ID: no third one.
    let again = aws.run(&[&common[..], &["--rotate-external-id"]].concat());
    assert_eq!(
        json_out(&again)["settings"]["iamRoleExternalId"],
        new_id.as_str(),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains("used again"), "{}", stderr(&again));
    // Phase 2: only the new ID.
    let finished = aws.run(&[&common[..], &["--finish-rotation"]].concat());
    assert_eq!(finished.status.code(), Some(0), "{}", stderr(&finished));
    assert_eq!(
        json_out(&finished)["settings"]["iamRoleExternalId"],
        new_id.as_str()
    );
    assert_eq!(
        trust_policy(&iam_role).await,
        Some(expected_trust(principal, &new_id))
    );
    let verified = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &iam_role,
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    assert!(
        !stderr(&verified).contains("rotation"),
        "{}",
        stderr(&verified)
    );

    // The role changed behind this machine's back: the saved ID is not believed, nothing is
    // guessed under --yes, and the ID Segment uses, given, settles it.
    let elsewhere = "changed-elsewhere-0123456789abcdefABCDEF";
    iam()
        .await
        .update_assume_role_policy()
        .role_name(&iam_role)
        .policy_document(expected_trust(principal, elsewhere).to_string())
        .send()
        .await
        .expect("trust changed by hand");
    let refused = aws.run(&common);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("saved on this machine is not what the role accepts now"),
        "{}",
        stderr(&refused)
    );
    assert!(!stderr(&refused).contains(elsewhere) && !stderr(&refused).contains(&new_id));
    assert_eq!(
        trust_policy(&iam_role).await,
        Some(expected_trust(principal, elsewhere)),
        "nothing changed"
    );
    let settled = aws.run(&[&common[..], &["--external-id", elsewhere]].concat());
    assert_eq!(settled.status.code(), Some(0), "{}", stderr(&settled));
    let verified = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &iam_role,
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
}

#[tokio::test]
async fn plain_mode_lists_this_accounts_setups_and_changes_one_after_a_preview() {
    use std::io::Write;
    let aws = Aws::new();
    let stack = unique("plainupd");
    let first = "arn:aws:lambda:us-west-2:123456789012:function:first";
    let second = "arn:aws:lambda:us-west-2:123456789012:function:second";
    let created = aws.run(&[
        "create",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        first,
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ]);
    let role_arn = json_out(&created)["settings"]["roleAddress"]
        .as_str()
        .expect("ARN")
        .to_string();
    let home = temp_dir("plain-upd-home");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"));
    command
        .arg("--plain")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, value) in aws.env() {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("started");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(format!("1\n\n{second}\ny\n").as_bytes())
            .expect("answers");
    }
    let output = child.wait_with_output().expect("ended");
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(
        text.contains(&format!("1) stack {stack} (lambda-destination")),
        "{text}"
    );
    assert!(
        text.contains(&format!("The change set for stack {stack} would:")),
        "{text}"
    );
    assert!(text.contains("Apply this update? [y/N]"), "{text}");
    assert_eq!(
        inline_policy(role_name(&role_arn), "segment-permissions")
            .await
            .expect("policy")["Statement"][0]["Resource"],
        json!([second])
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[tokio::test]
async fn update_on_another_machine_finds_the_setup_by_its_tag_and_keeps_its_id() {
    let made_here = Aws::new();
    let stack = unique("elsewhere");
    let first = "arn:aws:lambda:us-west-2:123456789012:function:first";
    let second = "arn:aws:lambda:us-west-2:123456789012:function:second";
    let created = made_here.run(&[
        "create",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        first,
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ]);
    let role_arn = json_out(&created)["settings"]["roleAddress"]
        .as_str()
        .expect("ARN")
        .to_string();
    let role = role_name(&role_arn).to_string();
    let iam_role = unique("elsewhere-iam");
    let made = made_here.run(&[
        "create",
        "--integration",
        "source-function",
        "--method",
        "iam",
        "--role-name",
        &iam_role,
        "--bucket",
        "b-first",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
    ]);
    let id = json_out(&made)["settings"]["iamRoleExternalId"]
        .as_str()
        .expect("ID")
        .to_string();

    // Another machine: nothing saved; the IDs the roles require are kept.
    let another = Aws::new();
    let updated = another.run(&[
        "update",
        "--integration",
        "lambda-destination",
        "--stack-name",
        &stack,
        "--lambda-arn",
        second,
        "--yes",
        "--output",
        "json",
    ]);
    assert!(
        stderr(&updated).contains("its external ID is read from its role in AWS"),
        "{}",
        stderr(&updated)
    );
    assert_eq!(json_out(&updated)["settings"]["function"], second);
    assert_eq!(
        trust_policy(&role).await,
        Some(expected_trust(
            "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access",
            "wXZ2sd8N3mJ"
        ))
    );
    let rebucketed = another.run(&[
        "update",
        "--integration",
        "source-function",
        "--method",
        "iam",
        "--role-name",
        &iam_role,
        "--bucket",
        "b-second",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(rebucketed.status.code(), Some(0), "{}", stderr(&rebucketed));
    assert_eq!(
        json_out(&rebucketed)["settings"]["iamRoleExternalId"],
        id.as_str()
    );
    assert_eq!(
        trust_policy(&iam_role).await,
        Some(expected_trust("arn:aws:iam::300240842537:root", &id))
    );
    assert_eq!(
        inline_policy(&iam_role, "segment-permissions")
            .await
            .expect("policy")["Statement"][0]["Resource"],
        json!("arn:aws:s3:::b-second/*")
    );
    // A role that isn't there is said to be missing; nothing is made.
    let refused = another.run(&[
        "update",
        "--integration",
        "source-function",
        "--method",
        "iam",
        "--role-name",
        "no-such-role-anywhere",
        "--bucket",
        "b-second",
        "--bucket-region",
        "us-east-1",
        "--yes",
    ]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("no role named no-such-role-anywhere"),
        "{}",
        stderr(&refused)
    );
}

/// The integrations added as data reach moto through the binary like the first three: Kinesis,
/// whose policy names the role itself, directly through IAM and through CloudFormation, each
/// verified right afterwards with its stream; Data Lakes, whose documented policy grants
/// broadly, only with --allow-broad-policy.
#[tokio::test]
async fn more_integrations_are_created_and_verified_through_the_binary() {
    let aws = Aws::new();
    let stream = "arn:aws:kinesis:us-east-1:123456789012:stream/events";
    let role = unique("kinesis-iam");
    let created = aws.run(&[
        "create",
        "--integration",
        "kinesis-destination",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--kinesis-stream-arn",
        stream,
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let outcome = json_out(&created);
    assert_eq!(outcome["settings"]["stream"], "events");
    assert_eq!(outcome["settings"]["region"], "us-east-1");
    let policy = inline_policy(&role, "segment-permissions")
        .await
        .expect("policy");
    assert_eq!(
        policy["Statement"][0]["Resource"],
        json!([stream, format!("arn:aws:iam::123456789012:role/{role}")]),
        "the role's own ARN, for iam:SimulatePrincipalPolicy"
    );
    let verified = aws.run(&[
        "verify",
        "--integration",
        "kinesis-destination",
        "--role",
        &role,
        "--kinesis-stream-arn",
        stream,
    ]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );

    let stack = unique("kinesis-cfn");
    let stacked = aws.run(&[
        "create",
        "--integration",
        "kinesis-destination",
        "--stack-name",
        &stack,
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--kinesis-stream-arn",
        stream,
        "--kms-key-arn",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "--yes",
        "--output",
        "json",
    ]);
    assert_eq!(stacked.status.code(), Some(0), "{}", stderr(&stacked));
    let role_arn = json_out(&stacked)["settings"]["roleAddress"]
        .as_str()
        .expect("ARN")
        .to_string();
    let verified = aws.run(&[
        "verify",
        "--integration",
        "kinesis-destination",
        "--role",
        &role_arn,
        "--kinesis-stream-arn",
        stream,
        "--kms-key-arn",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );

    let lake = unique("lake");
    let lake_args = [
        "create",
        "--integration",
        "data-lakes",
        "--method",
        "iam",
        "--role-name",
        &lake,
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--bucket",
        "my-lake",
        "--bucket-region",
        "us-east-1",
        "--yes",
    ];
    let refused = aws.run(&lake_args);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("grants broadly"),
        "{}",
        stderr(&refused)
    );
    let mut accepted = lake_args.to_vec();
    accepted.push("--allow-broad-policy");
    let made = aws.run(&accepted);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let policy = inline_policy(&lake, "segment-permissions")
        .await
        .expect("policy");
    assert_eq!(
        policy["Statement"][1]["Resource"][3], "arn:aws:glue:us-east-1:123456789012:catalog",
        "the account and the bucket's region"
    );
    assert!(
        stdout(&made).contains("Glue Catalog ID (glueCatalogId) · required\n  123456789012"),
        "{}",
        stdout(&made)
    );
}

/// `--debug` on moto: a create and a verify log every AWS call (service, operation, region,
/// status, request ID, milliseconds), on stderr or in a 0600 file, and none of the secrets: the
/// external ID, the credentials, a policy's body.
#[tokio::test]
async fn the_debug_log_names_every_call_and_no_secret() {
    let aws = Aws::new();
    let role = unique("debug-log");
    let made = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--bucket",
        "b-debug",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
        "--debug",
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let id = json_out(&made)["settings"]["iamRoleExternalId"]
        .as_str()
        .expect("ID")
        .to_string();
    let log = stderr(&made);
    for call in [
        "service=STS operation=GetCallerIdentity region=us-east-1 status=200",
        "service=IAM operation=CreateRole region=us-east-1 status=200",
        "service=IAM operation=PutRolePolicy region=us-east-1 status=200",
    ] {
        assert!(log.contains(call), "{call} not in:\n{log}");
    }
    let line = log
        .lines()
        .find(|l| l.contains("operation=CreateRole"))
        .expect("the line");
    assert!(
        line.contains("request_id=") && !line.contains("request_id=-") && line.contains(" ms="),
        "{line}"
    );
    let file = crate::support::temp_dir("debug-log").join("calls.log");
    let verified = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
        "--debug",
        "--debug-file",
        &file.display().to_string(),
    ]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let written = std::fs::read_to_string(&file).expect("the log file");
    assert!(written.contains("operation=GetRole "), "{written}");
    assert!(
        !stderr(&verified).contains("operation="),
        "with a file, nothing on stderr"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    for text in [&log, &written] {
        for secret in [
            id.as_str(),
            "testing",
            "sts:ExternalId",
            "Statement",
            "Authorization",
        ] {
            assert!(!text.contains(secret), "{secret} is in the log:\n{text}");
        }
    }
    let without = aws.run(&[
        "verify",
        "--integration",
        "destination-function",
        "--role",
        &role,
    ]);
    assert!(!stderr(&without).contains("operation="), "off unless asked");
}
