//! Each template from `assets/`, deployed through the SDK's CreateStack against moto, reaches
//! CREATE_COMPLETE, and its `RoleArn` output names a role whose trust and inline policies equal
//! the plan's; and the same for each as `plan --format cloudformation-yaml` writes it.

use crate::moto::moto;
use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus, Tag};
use segment_aws_setup::model::plan::PlanRequest;
use segment_aws_setup::{Catalog, Plan};
use serde_json::Value;
use std::time::{Duration, Instant};

const LAMBDA_A: &str = crate::support::LAMBDA_A;

fn decode(document: &str) -> Value {
    // IAM returns policy documents URL-encoded.
    let text = percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .expect("UTF-8 policy");
    serde_json::from_str(&text).expect("policy is JSON")
}

/// Moto's account: policies that name the account (or the role) are planned for it.
const ACCOUNT: &str = "123456789012";

/// How the template is sent to CloudFormation.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Body {
    Json,
    Yaml,
}

/// Deploys the planned template with its parameters and checks the role it made.
async fn deploy_and_check(request: PlanRequest) {
    deploy_and_check_as(request, Body::Json).await;
}

async fn deploy_and_check_as(mut request: PlanRequest, body: Body) {
    request.account = Some(ACCOUNT.into());
    let mut plan = plan(request.clone());
    let template_body = match body {
        Body::Json => plan.template.to_string(),
        Body::Yaml => {
            // Another stack of the same name's length (moto names the role after it).
            plan.stack_name = plan.stack_name.replacen("segment-", "yamlseg-", 1);
            segment_aws_setup::model::cloudformation_yaml::template_yaml(&plan.template)
        }
    };
    let config = moto().sdk_config().await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);
    let parameters: Vec<Parameter> = plan
        .parameters
        .iter()
        .map(|(key, value)| {
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(value.as_str().expect("string"))
                .build()
        })
        .collect();
    cloudformation
        .create_stack()
        .stack_name(&plan.stack_name)
        .template_body(template_body)
        .set_parameters(Some(parameters))
        .capabilities(Capability::CapabilityIam)
        .tags(
            Tag::builder()
                .key("created-by")
                .value("segment-aws-setup")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "CreateStack of {} ({}, {body:?}): {e}",
                plan.template_name, plan.preset_id
            )
        });

    let deadline = Instant::now() + Duration::from_secs(30);
    let stack = loop {
        let stacks = cloudformation
            .describe_stacks()
            .stack_name(&plan.stack_name)
            .send()
            .await
            .expect("DescribeStacks");
        let stack = stacks.stacks().first().cloned().expect("the stack exists");
        if stack.stack_status() != Some(&StackStatus::CreateInProgress) {
            break stack;
        }
        assert!(
            Instant::now() < deadline,
            "stack {} still in progress",
            plan.stack_name
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        stack.stack_status(),
        Some(&StackStatus::CreateComplete),
        "{:?}",
        stack.stack_status_reason()
    );

    let role_arn = stack
        .outputs()
        .iter()
        .find(|output| output.output_key() == Some("RoleArn"))
        .and_then(|output| output.output_value())
        .expect("a RoleArn output")
        .to_string();
    segment_aws_setup::model::validate::role_arn(&role_arn).expect("RoleArn is a role ARN");
    let role_name = role_arn.rsplit('/').next().expect("a name").to_string();

    let role = iam
        .get_role()
        .role_name(&role_name)
        .send()
        .await
        .expect("GetRole");
    let role = role.role().expect("role");
    assert_eq!(role.arn(), role_arn);
    assert_eq!(
        decode(role.assume_role_policy_document().expect("trust policy")),
        plan.trust_policy
    );

    let names = iam
        .list_role_policies()
        .role_name(&role_name)
        .send()
        .await
        .expect("ListRolePolicies");
    assert_eq!(
        names.policy_names(),
        std::slice::from_ref(&plan.policy_name)
    );
    let inline = iam
        .get_role_policy()
        .role_name(&role_name)
        .policy_name(&plan.policy_name)
        .send()
        .await
        .expect("GetRolePolicy");
    // The role's own name is CloudFormation's: a policy that names the role is planned for it.
    let expected = self::plan(PlanRequest {
        role_name: Some(role_name.clone()),
        ..request
    });
    assert_eq!(decode(inline.policy_document()), expected.permission_policy);
}

fn plan(request: PlanRequest) -> Plan {
    Plan::build(Catalog::builtin(), &request).expect("a valid request")
}

#[tokio::test]
async fn every_integration_and_preset_deploys_with_the_plans_policies() {
    let mut deployed = 0;
    for integration in Catalog::builtin().integrations() {
        for offer in &integration.presets {
            for with_optional in [false, true] {
                for body in [Body::Json, Body::Yaml] {
                    deploy_and_check_as(
                        crate::support::sample_request(integration, &offer.preset, with_optional),
                        body,
                    )
                    .await;
                    deployed += 1;
                }
            }
        }
    }
    assert!(deployed >= Catalog::builtin().integrations().len());
}

#[tokio::test]
async fn a_brought_external_id_is_the_one_trusted() {
    deploy_and_check(PlanRequest {
        integration: "source-function".into(),
        bucket: Some("source-bucket".into()),
        bucket_region: Some("eu-west-3".into()),
        external_ids: vec!["a-brought-external-id-of-32-chars-or-more".into()],
        ..PlanRequest::default()
    })
    .await;
}

#[tokio::test]
async fn lambda_destination_with_several_external_ids() {
    deploy_and_check(PlanRequest {
        integration: "lambda-destination".into(),
        workspace_ids: vec!["workspaceOne".into(), "workspaceTwo".into()],
        lambda_arns: vec![LAMBDA_A.into()],
        ..PlanRequest::default()
    })
    .await;
}

/// AWS S3 with a path prefix and no KMS key (the branch the all-or-nothing samples skip): the
/// role may also put the one object Validate writes, and the template says the same as the plan.
#[tokio::test]
async fn an_s3_path_prefix_alone_lets_validate_put_its_test_object() {
    let integration = Catalog::builtin()
        .integration("s3-destination")
        .expect("in the catalog");
    let mut request = crate::support::sample_request(integration, "s3-segment-logs", false);
    request.other_inputs.insert(
        segment_aws_setup::model::catalog::Input::PathPrefix,
        vec!["path/prefix".into()],
    );
    let planned = plan(request.clone());
    let statements = planned.permission_policy["Statement"]
        .as_array()
        .expect("statements");
    let validate = statements
        .iter()
        .find(|s| s["Sid"] == "ValidateTestObject")
        .expect("Validate's object is allowed");
    assert_eq!(validate["Action"], "s3:PutObject");
    assert_eq!(
        validate["Resource"],
        "arn:aws:s3:::events-bucket/segment-logs/dummy-object.txt"
    );
    assert!(!statements.iter().any(|s| s["Sid"] == "AllowKMS"));
    deploy_and_check(request).await;
}
