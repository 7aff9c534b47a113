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
