//! Day-2 operations through the binary against moto, as an operator and an attacker try them:
//! a tag is not ownership (a tagged stack holding a queue and a bucket, a tagged EC2 role), the
//! delete question names what goes, and a setup found only in AWS needs its name typed again.

use crate::aws_cli::{Aws, cloudformation, iam, json_out, role_name, trust_policy};
use crate::support::{stderr, unique};
use serde_json::json;

const TAGS: [(&str, &str); 2] = [
    ("created-by", "segment-aws-setup"),
    ("segment-integration", "destination-function"),
];

fn cfn_tags() -> Vec<aws_sdk_cloudformation::types::Tag> {
    TAGS.iter()
        .map(|(k, v)| {
            aws_sdk_cloudformation::types::Tag::builder()
                .key(*k)
                .value(*v)
                .build()
        })
        .collect()
}

async fn stack_resources(stack: &str) -> Vec<String> {
    let mut types: Vec<String> = cloudformation()
        .await
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .expect("the stack is still there")
        .stack_resources()
        .iter()
        .filter_map(|r| r.resource_type().map(str::to_string))
        .collect();
    types.sort();
    types
}

/// Someone tagged their own stack `created-by=segment-aws-setup` (the tag propagates, and
/// anyone who may update a stack can set it): neither delete nor update touches it, even with
/// --yes, and the refusal names what it holds. The same for a tagged EC2 role with an admin
/// policy.
#[tokio::test]
async fn a_tag_is_not_ownership() {
    let aws = Aws::new();
    let stack = unique("team-infra");
    let template = json!({"Resources": {
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Bucket": {"Type": "AWS::S3::Bucket"}
    }});
    cloudformation()
        .await
        .create_stack()
        .stack_name(&stack)
        .template_body(template.to_string())
        .set_tags(Some(cfn_tags()))
        .send()
        .await
        .expect("stack");
    let before = stack_resources(&stack).await;
    assert_eq!(before, ["AWS::S3::Bucket", "AWS::SQS::Queue"]);

    let deleted = aws.run(&["delete", "--stack-name", &stack, "--yes"]);
    assert_eq!(deleted.status.code(), Some(4), "{}", stderr(&deleted));
    let said = stderr(&deleted);
    assert!(
        said.contains("was not created by segment-aws-setup"),
        "{said}"
    );
    assert!(
        said.contains("Bucket (AWS::S3::Bucket), Queue (AWS::SQS::Queue)"),
        "names what it holds: {said}"
    );
    assert!(
        said.contains("a created-by=segment-aws-setup tag alone proves nothing"),
        "{said}"
    );
    assert_eq!(stack_resources(&stack).await, before, "nothing deleted");

    let updated = aws.run(&[
        "update",
        "--integration",
        "destination-function",
        "--stack-name",
        &stack,
        "--bucket",
        "b-team",
        "--bucket-region",
        "us-east-1",
        "--external-id",
        "an-external-id-that-is-long-enough-0001",
        "--yes",
    ]);
    assert_eq!(updated.status.code(), Some(4), "{}", stderr(&updated));
    assert!(
        stderr(&updated).contains("was not created by segment-aws-setup"),
        "{}",
        stderr(&updated)
    );
    assert_eq!(
        stack_resources(&stack).await,
        before,
        "its queue is still there"
    );

    // A tagged EC2 role with an admin policy.
    let role = unique("ec2-admin");
    iam()
        .await
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
            .to_string(),
        )
        .set_tags(Some(
            TAGS.iter()
                .map(|(k, v)| {
                    aws_sdk_iam::types::Tag::builder()
                        .key(*k)
                        .value(*v)
                        .build()
                        .expect("tag")
                })
                .collect(),
        ))
        .send()
        .await
        .expect("role");
    iam()
        .await
        .put_role_policy()
        .role_name(&role)
        .policy_name("admin")
        .policy_document(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
                .to_string(),
        )
        .send()
        .await
        .expect("policy");
    let deleted = aws.run(&["delete", "--role-name", &role, "--yes"]);
    assert_eq!(deleted.status.code(), Some(4), "{}", stderr(&deleted));
    assert!(
        stderr(&deleted).contains("its trust policy names Service ec2.amazonaws.com"),
        "{}",
        stderr(&deleted)
    );
    assert!(
        trust_policy(&role).await.is_some(),
        "the role is still there"
    );
}

/// The question names each thing that goes; a setup saved here is deleted with --yes, one found
/// only in AWS (made on another machine) needs its name again: --yes alone is refused.
#[tokio::test]
async fn delete_names_what_goes_and_a_setup_found_only_in_aws_needs_its_name_again() {
    let here = Aws::new();
    let stack = unique("del");
    let created = here.run(&[
        "create",
        "--integration",
        "destination-function",
        "--bucket",
        "b-del",
        "--bucket-region",
        "us-east-1",
        "--stack-name",
        &stack,
        "--yes",
        "--output",
        "json",
    ]);
    let role = role_name(
        json_out(&created)["settings"]["iamRoleArn"]
            .as_str()
            .expect("ARN"),
    )
    .to_string();

    let elsewhere = Aws::new();
    let refused = elsewhere.run(&["delete", "--stack-name", &stack, "--yes"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(&format!("add --confirm-name {stack}")),
        "{}",
        stderr(&refused)
    );
    let wrong = elsewhere.run(&[
        "delete",
        "--stack-name",
        &stack,
        "--yes",
        "--confirm-name",
        "another-stack",
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(trust_policy(&role).await.is_some(), "nothing deleted yet");

    let deleted = elsewhere.run(&[
        "delete",
        "--stack-name",
        &stack,
        "--yes",
        "--confirm-name",
        &stack,
    ]);
    assert_eq!(deleted.status.code(), Some(0), "{}", stderr(&deleted));
    let said = stderr(&deleted);
    assert!(
        said.contains(&format!("role {role} (AWS::IAM::Role FunctionRole)")),
        "{said}"
    );
    assert!(said.contains("its inline policy"), "{said}");
    assert!(said.contains(&format!("the stack {stack}")), "{said}");
    assert!(
        trust_policy(&role).await.is_none(),
        "the role went with its stack"
    );

    // Saved here: --yes is enough, and the question still names what goes.
    let iam_role = unique("del-iam");
    here.run(&[
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &iam_role,
        "--bucket",
        "b-del",
        "--bucket-region",
        "us-east-1",
        "--yes",
    ]);
    let deleted = here.run(&["delete", "--role-name", &iam_role, "--yes"]);
    assert_eq!(deleted.status.code(), Some(0), "{}", stderr(&deleted));
    assert!(
        stderr(&deleted).contains("its inline policy segment-permissions"),
        "{}",
        stderr(&deleted)
    );
    assert!(trust_policy(&iam_role).await.is_none());
    assert!(
        here.saved_files()
            .iter()
            .all(|f| !f.to_string_lossy().contains(&iam_role)),
        "its record goes with it"
    );
}

/// Plain mode with these answers, against moto and `aws`'s saved setups: its transcript.
fn plain(aws: &Aws, answers: &str) -> (std::process::Output, String) {
    plain_with(aws, &[], answers)
}

/// As [`plain`], with more of the environment (a Segment token and host).
fn plain_with(aws: &Aws, more: &[(&str, String)], answers: &str) -> (std::process::Output, String) {
    use std::io::Write;
    let home = crate::support::temp_dir("plain-day2-home");
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
    for (key, value) in more {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("started");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(answers.as_bytes()).expect("answers");
    }
    let output = child.wait_with_output().expect("ended");
    let _ = std::fs::remove_dir_all(&home);
    let text = crate::support::stdout(&output);
    (output, text)
}

#[tokio::test]
async fn plain_mode_rotates_in_two_phases_and_each_is_previewed() {
    let aws = Aws::new();
    let role = unique("plain-rot");
    let made = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--bucket",
        "b-rot",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
    ]);
    let old = json_out(&made)["settings"]["iamRoleExternalId"]
        .as_str()
        .expect("ID")
        .to_string();
    let accepted = |trust: Option<serde_json::Value>| -> Vec<String> {
        let trust = trust.expect("the role");
        match &trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] {
            serde_json::Value::String(one) => vec![one.clone()],
            serde_json::Value::Array(many) => many
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            other => panic!("{other}"),
        }
    };
    // Pick the saved setup (listed first), rotate, keep the permissions, apply.
    let (output, text) = plain(&aws, "1\nrotate\n\n\n\ny\n");
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(text.contains("phase 1 of 2"), "{text}");
    assert!(text.contains("Apply this update? [y/N]"), "{text}");
    assert!(
        text.contains("Rotation, phase 1 of 2: paste the new External ID"),
        "{text}"
    );
    let ids = accepted(trust_policy(&role).await);
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[0], old);
    let new = ids[1].clone();
    // Phase 2: the setup says a rotation is under way; finishing leaves the new ID only.
    let (output, text) = plain(&aws, "1\nfinish\n\n\n\ny\n");
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(
        text.contains("A rotation of the external ID is under way since"),
        "{text}"
    );
    assert!(text.contains("phase 2 of 2"), "{text}");
    assert_eq!(accepted(trust_policy(&role).await), vec![new]);
}

/// Plain mode with a Segment token: phase 1, the new ID written into the function's instance and
/// read back, then phase 2 asked and applied, in one session. Segment held the new ID before
/// the role stopped accepting the old one.
#[tokio::test]
async fn plain_mode_rotates_both_sides_in_one_session_with_a_token() {
    use crate::segment_standin::{PublicApi, TOKEN};
    use segment_aws_setup::model::segment::Destination;
    let aws = Aws::new();
    let role = unique("plain-both");
    let made = aws.run(&[
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        &role,
        "--bucket",
        "b-both",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
    ]);
    let old = json_out(&made)["settings"]["iamRoleExternalId"]
        .as_str()
        .expect("ID")
        .to_string();
    let function = crate::segment_api::s3_function();
    let api = PublicApi::start(
        crate::segment_api::workspace()
            .with_destination(Destination {
                id: "dstFN1".into(),
                name: "Send events to S3".into(),
                enabled: true,
                metadata_id: function.catalog_id.clone(),
                metadata_name: "Send events to S3".into(),
                source_id: "srcWEB".into(),
                settings: serde_json::from_value(json!({"iamRoleExternalId": old}))
                    .unwrap_or_default(),
            })
            .with_function(function),
    );
    let segment = [
        ("SEGMENT_PUBLIC_API_TOKEN", TOKEN.to_string()),
        ("SEGMENT_PUBLIC_API_URL", api.url.clone()),
    ];
    // The setup, rotate, the permissions kept, apply; write into Segment, its instance (row 1),
    // confirm; finish now (Enter: yes), apply phase 2.
    let (output, text) = plain_with(&aws, &segment, "1\nrotate\n\n\n\ny\ny\n1\ny\n\ny\n");
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(text.contains("Rotation, phase 1 of 2"), "{text}");
    assert!(
        text.contains("Written: Destination dstFN1: IAM Role ARN, IAM Role External ID"),
        "{text}"
    );
    assert!(
        text.contains("Segment's setting holds the new external ID (read back)."),
        "{text}"
    );
    assert!(text.contains("Progress: finishing the rotation"), "{text}");
    assert!(
        text.contains("The rotation is finished: Segment has the new External ID"),
        "{text}"
    );
    let trust = trust_policy(&role).await.expect("the role");
    let new = trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
        .as_str()
        .expect("one ID only")
        .to_string();
    assert_ne!(new, old);
    let stored = api.workspace.stored_destination("dstFN1").expect("stored");
    assert_eq!(stored.settings["iamRoleExternalId"], new.as_str());
    assert!(!text.contains(TOKEN), "the token was printed");
}
