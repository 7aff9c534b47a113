//! Running the real binary, with nothing from the developer's own environment.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A name no other test (or earlier run against the same moto) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{n}-{}", std::process::id(), nanos % 100_000)
}

/// A fresh, empty directory under the system's temp dir.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs the binary with only PATH, a throw-away HOME and `envs`; stdin is not a terminal.
pub fn binary(args: &[&str], envs: &[(&str, String)]) -> Output {
    let home = temp_dir("home");
    let mut command = Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"));
    command
        .args(args)
        .env_clear()
        .env("HOME", &home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // Never wait on an instance metadata service that isn't there.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    let output = command.output().expect("the binary runs");
    let _ = std::fs::remove_dir_all(&home);
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8")
}

use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::catalog::{ExternalIdSource, Input, Integration};
use segment_aws_setup::model::plan::{PlanRequest, PolicyFile};

pub const LAMBDA_A: &str = "arn:aws:lambda:us-west-2:123456789012:function:first";
pub const LAMBDA_B: &str = "arn:aws:lambda:us-west-2:123456789012:function:second:live";

const CUSTOM_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage"],"Resource":"arn:aws:sqs:us-east-1:123456789012:events"}]}"#;

/// A valid request for an integration and one of its presets, with sample values for the inputs
/// the preset needs (its optional ones too when asked): a new integration or preset in `assets/`
/// is tested without new code.
pub fn sample_request(integration: &Integration, preset: &str, with_optional: bool) -> PlanRequest {
    let mut request = PlanRequest {
        integration: integration.id.clone(),
        ..PlanRequest::default()
    };
    if integration.external_id.source == ExternalIdSource::WorkspaceId {
        request.workspace_ids = vec!["wXZ2sd8N3mJ".into()];
    }
    let defined = Catalog::builtin().preset(preset).expect("defined");
    let inputs: Vec<Input> = if with_optional {
        defined.all_inputs().collect()
    } else {
        defined.inputs.clone()
    };
    for input in inputs {
        match input {
            Input::Bucket => request.bucket = Some("events-bucket".into()),
            Input::BucketRegion => request.bucket_region = Some("us-west-2".into()),
            Input::LambdaArns => request.lambda_arns = vec![LAMBDA_A.into(), LAMBDA_B.into()],
            Input::PolicyFile => {
                request.policy_file = Some(PolicyFile {
                    path: "custom.json".into(),
                    text: CUSTOM_POLICY.into(),
                })
            }
            other => {
                request.other_inputs.insert(other, sample_values(other));
            }
        }
    }
    request
}

/// A valid value of each of the other inputs.
fn sample_values(input: Input) -> Vec<String> {
    let values: &[&str] = match input {
        Input::PathPrefix => &["path/prefix"],
        Input::KmsKeyArn => {
            &["arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
        }
        Input::KinesisStreamArn => &["arn:aws:kinesis:us-west-2:123456789012:stream/events"],
        Input::DeliveryStreamArns => &[
            "arn:aws:firehose:us-west-2:123456789012:deliverystream/events",
            "arn:aws:firehose:us-west-2:123456789012:deliverystream/audit",
        ],
        Input::EmrClusterId => &["j-2AXXXXXXGAPLF"],
        _ => &[],
    };
    values.iter().map(|v| v.to_string()).collect()
}

/// AWS's StackSet administration role in the account of `config` (moto's default account unless
/// the config enters another), as self-managed stack sets need it; there already is fine.
pub fn make_stack_set_administration_role(config: &aws_config::SdkConfig) {
    crate::faults::block_on(async {
        let made = aws_sdk_iam::Client::new(config)
            .create_role()
            .role_name(segment_aws_setup::model::stackset::ADMINISTRATION_ROLE)
            .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudformation.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
            .send()
            .await;
        if let Err(error) = made {
            let code = aws_sdk_iam::error::ProvideErrorMetadata::code(&error)
                .unwrap_or_default()
                .to_string();
            assert_eq!(
                code, "EntityAlreadyExists",
                "the administration role: {error:?}"
            );
        }
    });
}

/// An organization (all features) made in the account of `config`, which becomes its management
/// account: the client, and the root's ID.
pub async fn make_organization(
    config: &aws_config::SdkConfig,
) -> (aws_sdk_organizations::Client, String) {
    let org = aws_sdk_organizations::Client::new(config);
    org.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("organization");
    let roots = org.list_roots().send().await.expect("roots");
    let root = roots.roots()[0].id().expect("root ID").to_string();
    (org, root)
}

/// Every key of a command's JSON output is camelCase, as the README's schema says (AWS's own
/// documents inside it, a policy or a template, keep AWS's names and are not looked into).
pub fn assert_camel_case_keys(value: &serde_json::Value) {
    const AWS_DOCUMENTS: &[&str] = &["trustPolicy", "permissionPolicy", "template", "parameters"];
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let mut chars = key.chars();
                assert!(
                    chars.next().is_some_and(|c| c.is_ascii_lowercase())
                        && chars.all(|c| c.is_ascii_alphanumeric()),
                    "the key {key:?} is not camelCase in {value}"
                );
                if !AWS_DOCUMENTS.contains(&key.as_str()) {
                    assert_camel_case_keys(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(assert_camel_case_keys),
        _ => {}
    }
}
