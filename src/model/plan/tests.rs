//! The plan's tests: every integration and preset, every input, the documents and commands.

use super::build::*;
use super::request::*;
use crate::model::catalog::Catalog;
use crate::model::template;
use serde_json::{Value, json};
fn request(integration: &str) -> PlanRequest {
    PlanRequest {
        integration: integration.into(),
        ..PlanRequest::default()
    }
}

fn s3(integration: &str) -> PlanRequest {
    PlanRequest {
        bucket: Some("my-bucket".into()),
        bucket_region: Some("us-west-2".into()),
        ..request(integration)
    }
}

const LAMBDA: &str = "arn:aws:lambda:us-west-2:123456789012:function:my-function";

#[test]
fn s3_plan_for_a_destination_function() {
    let plan = Plan::build(Catalog::builtin(), &s3("destination-function")).expect("valid");
    assert!(plan.external_id_generated);
    assert_eq!(plan.external_id().len(), 40);
    assert_eq!(plan.parameters["ExternalId"], json!(plan.external_id()));
    assert_eq!(plan.parameters["BucketName"], json!("my-bucket"));
    assert_eq!(
        plan.settings_json(Some("arn:aws:iam::123456789012:role/r")),
        json!({
            "iamRoleArn": "arn:aws:iam::123456789012:role/r",
            "iamRoleExternalId": plan.external_id(),
            "s3Bucket": "my-bucket",
            "s3BucketRegion": "us-west-2"
        })
    );
    assert!(plan.stack_name.starts_with("segment-destination-function-"));
    assert_eq!(plan.role_name, "segment-destination-function");
}

/// A rotation's first phase: the role accepts today's ID and the new one, the new one in
/// its own NoEcho parameter (never in the template's text), and it is the one Segment's
/// setting should get now.
#[test]
fn a_rotation_trusts_both_ids_through_the_templates_parameters() {
    let old = "o".repeat(40);
    let new = "n".repeat(40);
    let rotating = PlanRequest {
        external_ids: vec![old.clone()],
        next_external_ids: vec![new.clone()],
        ..s3("destination-function")
    };
    let plan = Plan::build(Catalog::builtin(), &rotating).expect("valid");
    assert_eq!(plan.accepted_external_ids(), [old.clone(), new.clone()]);
    assert_eq!(plan.external_id(), new);
    assert_eq!(
        plan.trust_policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        json!([old, new])
    );
    assert_eq!(plan.parameters["ExternalId"], json!(old));
    assert_eq!(plan.parameters["NextExternalId"], json!(new));
    assert!(
        !plan.template.to_string().contains(&new),
        "the secret stays out of the template"
    );
    assert_eq!(plan.settings_json(None)["iamRoleExternalId"], json!(new));
    // Not rotating: the parameter is given, empty.
    let plain = Plan::build(Catalog::builtin(), &s3("destination-function")).expect("valid");
    assert_eq!(plain.parameters["NextExternalId"], json!(""));
    // A workspace ID is Segment's: never rotated; a new ID is a strong one, not today's.
    let workspace = PlanRequest {
        workspace_ids: vec!["wXZ2sd8N3mJ".into()],
        next_external_ids: vec![new.clone()],
        lambda_arns: vec![LAMBDA.into()],
        ..request("lambda-destination")
    };
    assert!(Plan::build(Catalog::builtin(), &workspace).is_err());
    for next in ["short", old.as_str()] {
        let bad = PlanRequest {
            external_ids: vec![old.clone()],
            next_external_ids: vec![next.to_string()],
            ..s3("destination-function")
        };
        assert!(Plan::build(Catalog::builtin(), &bad).is_err(), "{next}");
    }
}

#[test]
fn lambda_destination_uses_the_workspace_id_and_fills_function_and_region() {
    let plan = Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            lambda_arns: vec![LAMBDA.into()],
            ..request("lambda-destination")
        },
    )
    .expect("valid");
    assert!(!plan.external_id_generated);
    assert_eq!(
        plan.settings_json(None),
        json!({"roleAddress": null, "externalId": "wXZ2sd8N3mJ", "function": LAMBDA, "region": "us-west-2"})
    );
    assert_eq!(plan.parameters["LambdaARN"], json!(LAMBDA));
    assert_eq!(
        plan.permission_policy["Statement"][0]["Resource"],
        json!([LAMBDA])
    );
}

#[test]
fn several_workspace_ids_are_written_into_the_template() {
    let plan = Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            workspace_ids: vec!["ws1abc".into(), "ws2abc".into()],
            lambda_arns: vec![LAMBDA.into()],
            ..request("lambda-destination")
        },
    )
    .expect("valid");
    assert!(!plan.parameters.contains_key("ExternalId"));
    let role = template::role_logical_id(&plan.template)
        .expect("role")
        .to_string();
    assert_eq!(
        plan.template["Resources"][&role]["Properties"]["AssumeRolePolicyDocument"],
        plan.trust_policy
    );
    assert_eq!(plan.to_json()["externalId"], json!(["ws1abc", "ws2abc"]));
}

#[test]
fn a_custom_policy_replaces_the_templates_permission_policy() {
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}"#;
    let plan = Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            policy_file: Some(PolicyFile {
                path: "p.json".into(),
                text: text.into(),
            }),
            ..request("source-function")
        },
    )
    .expect("valid");
    assert_eq!(
        plan.permission_policy,
        serde_json::from_str::<Value>(text).expect("json")
    );
    assert!(!plan.parameters.contains_key("BucketName"));
    assert!(plan.template["Parameters"].get("BucketName").is_none());
}

#[test]
fn bad_inputs_name_their_flag() {
    let catalog = Catalog::builtin();
    let flag_of = |request: PlanRequest| {
        Plan::build(catalog, &request)
            .expect_err("invalid")
            .field
            .flag()
    };
    assert_eq!(flag_of(request("nope")), "--integration");
    assert_eq!(flag_of(request("destination-function")), "permissions");
    assert_eq!(
        flag_of(PlanRequest {
            bucket_region: None,
            ..s3("destination-function")
        }),
        "--bucket-region"
    );
    assert_eq!(
        flag_of(PlanRequest {
            bucket: Some("Bad_Bucket".into()),
            ..s3("destination-function")
        }),
        "--bucket"
    );
    assert_eq!(
        flag_of(PlanRequest {
            external_ids: vec!["short".into()],
            ..s3("destination-function")
        }),
        "--external-id"
    );
    assert_eq!(
        flag_of(PlanRequest {
            workspace_ids: vec!["ws1abc".into()],
            ..s3("destination-function")
        }),
        "--workspace-id"
    );
    assert_eq!(flag_of(s3("lambda-destination")), "--bucket");
    assert_eq!(
        flag_of(PlanRequest {
            lambda_arns: vec![LAMBDA.into()],
            ..request("lambda-destination")
        }),
        "--workspace-id"
    );
    assert_eq!(
        flag_of(PlanRequest {
            lambda_arns: vec!["my-function".into()],
            ..request("destination-function")
        }),
        "--lambda-arn"
    );
    assert_eq!(
        flag_of(PlanRequest {
            lambda_arns: vec![LAMBDA.into()],
            ..s3("destination-function")
        }),
        "--bucket and --lambda-arn"
    );
    assert_eq!(
        flag_of(PlanRequest {
            role_name: Some("bad name".into()),
            ..s3("source-function")
        }),
        "--role-name"
    );
    assert_eq!(
        flag_of(PlanRequest {
            stack_name: Some("9bad".into()),
            ..s3("source-function")
        }),
        "--stack-name"
    );
}

#[test]
fn too_many_ids_for_the_trust_policy_quota_are_refused() {
    let ids: Vec<String> = (0..100)
        .map(|i| format!("workspace{i:04}abcdefghij"))
        .collect();
    let error = Plan::build(
        Catalog::builtin(),
        &PlanRequest {
            workspace_ids: ids,
            lambda_arns: vec![LAMBDA.into()],
            ..request("lambda-destination")
        },
    )
    .expect_err("too long");
    assert!(error.reason.0.contains("2048"), "{error}");
}

#[test]
fn cli_commands_read_the_documents_from_files_never_the_command_line() {
    let plan = Plan::build(Catalog::builtin(), &s3("destination-function")).expect("valid");
    let commands = plan.cli_commands();
    assert_eq!(commands.len(), 3);
    let id = plan.external_id();
    for command in &commands {
        assert!(
            !command.contains(id),
            "no external ID in a command: {command}"
        );
    }
    let words = shlex::split(&commands[0]).expect("shell words");
    let trust_at = words
        .iter()
        .position(|w| w == "--assume-role-policy-document")
        .expect("flag")
        + 1;
    assert_eq!(words[trust_at], "file://trust-policy.json");
    let words = shlex::split(&commands[1]).expect("shell words");
    assert_eq!(
        words.last().map(String::as_str),
        Some("file://permission-policy.json")
    );
    let documents = plan.documents();
    let trust = documents
        .iter()
        .find(|(name, _, _)| *name == TRUST_POLICY_FILE)
        .expect("the trust policy");
    assert!(trust.2, "it holds the external ID: private");
    assert_eq!(
        serde_json::from_str::<Value>(&trust.1).expect("JSON"),
        plan.trust_policy
    );
    let parameters = documents
        .iter()
        .find(|(name, _, _)| *name == PARAMETERS_FILE)
        .expect("the parameters");
    assert!(parameters.1.contains(id) && parameters.2);
}

#[test]
fn a_refusal_names_fields_as_each_face_does() {
    let both = PlanRequest {
        lambda_arns: vec!["arn:aws:lambda:us-west-2:123456789012:function:f".into()],
        ..s3("destination-function")
    };
    let error = Plan::build(Catalog::builtin(), &both).expect_err("two presets");
    // The command line: flags, in the field and in the sentence.
    let typed = error.to_string();
    assert!(typed.starts_with("--bucket and --lambda-arn: "), "{typed}");
    assert!(typed.ends_with("use --policy-file"), "{typed}");
    // The wizard and plain mode: what their screens call them, never a flag.
    assert_eq!(error.field.label(), "the S3 bucket and the Lambda ARN(s)");
    let said = error.words(crate::model::field::Naming::Labels);
    assert!(said.ends_with("use a policy file"), "{said}");
    assert!(!said.contains("--") && !said.contains('⟦'), "{said}");
}

#[test]
fn a_starter_function_comes_first_named_after_the_stack_in_the_setups_region() {
    let mut request = request("lambda-destination");
    request.workspace_ids = vec!["wsStarter".into()];
    request.starter_function = true;
    request.stack_name = Some("segment-lambda-destination-abc123".into());
    let offline = Plan::build(Catalog::builtin(), &request).expect("valid without a region");
    let setting = |plan: &Plan, key: &str| {
        plan.settings(None)
            .into_iter()
            .find(|s| s.key == key)
            .and_then(|s| s.value)
    };
    assert_eq!(
        setting(&offline, "region").as_deref(),
        Some(REGION_PLACEHOLDER)
    );
    assert!(
        offline
            .warnings
            .iter()
            .any(|w| w.contains(REGION_PLACEHOLDER))
    );

    request.region = Some("us-west-2".into());
    request.account = Some("123456789012".into());
    request.lambda_arns = vec!["arn:aws:lambda:us-west-2:123456789012:function:mine".into()];
    let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
    let arn =
        "arn:aws:lambda:us-west-2:123456789012:function:segment-lambda-destination-abc123-starter";
    assert_eq!(setting(&plan, "function").as_deref(), Some(arn));
    assert_eq!(setting(&plan, "region").as_deref(), Some("us-west-2"));
    assert_eq!(
        plan.parameters["LambdaARN"], arn,
        "the stack's Segment role may invoke it"
    );
    assert!(plan.warnings.is_empty(), "{:?}", plan.warnings);

    request.starter_name = Some("not a name".into());
    assert!(Plan::build(Catalog::builtin(), &request).is_err());
}
