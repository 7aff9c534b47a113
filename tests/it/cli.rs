//! The real binary: `plan` output, exit codes and help.

use crate::support::{binary, stderr, stdout};
use serde_json::Value;
use std::process::Output;

const LAMBDA: &str = "arn:aws:lambda:us-west-2:123456789012:function:my-function";

/// Runs the binary with no AWS configuration at all: `plan` needs no credentials. Anything that
/// tried the network would fail against this closed port.
fn run(args: &[&str]) -> Output {
    binary(
        args,
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9".to_string())],
    )
}

#[test]
fn plan_json_has_exactly_the_documented_keys() {
    let output = run(&[
        "plan",
        "--integration",
        "destination-function",
        "--bucket",
        "my-bucket",
        "--bucket-region",
        "us-west-2",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("one JSON object");
    crate::support::assert_camel_case_keys(&plan);
    let keys: Vec<&str> = plan
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "integration",
            "principal",
            "externalId",
            "trustPolicy",
            "permissionPolicy",
            "template",
            "parameters",
            "settings",
            "cliCommands",
            "broadGrants",
            "warnings",
            "awsSteps",
            "nextSteps",
            "notes",
            "code",
            "segmentCommands",
        ]
    );
    assert_eq!(plan["integration"], "destination-function");
    assert_eq!(plan["principal"], "arn:aws:iam::458175278816:root");
    let id = plan["externalId"].as_str().expect("one ID");
    assert_eq!(id.len(), 40);
    assert_eq!(
        plan["trustPolicy"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        id
    );
    assert_eq!(plan["parameters"]["ExternalId"], id);
    assert_eq!(plan["settings"]["iamRoleExternalId"], id);
    assert_eq!(plan["settings"]["iamRoleArn"], Value::Null);
    assert_eq!(plan["settings"]["s3Bucket"], "my-bucket");
    assert_eq!(
        plan["permissionPolicy"]["Statement"][0]["Resource"],
        "arn:aws:s3:::my-bucket/*"
    );
    assert!(
        plan["cliCommands"][0]
            .as_str()
            .expect("command")
            .starts_with("aws iam create-role")
    );
}

#[test]
fn two_plans_generate_different_external_ids() {
    let args = [
        "plan",
        "--integration",
        "source-function",
        "--bucket",
        "b-123",
        "--bucket-region",
        "us-east-1",
        "--format",
        "json",
    ];
    let id = |output: Output| -> String {
        let plan: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        plan["externalId"].as_str().expect("ID").to_string()
    };
    assert_ne!(id(run(&args)), id(run(&args)));
}

#[test]
fn plan_text_for_the_lambda_destination() {
    let output = run(&[
        "plan",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        LAMBDA,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access",
        "wXZ2sd8N3mJ",
        "Role Address",
        "lambda:InvokeFunction",
        "LambdaARN = arn:aws:lambda:us-west-2:123456789012:function:my-function",
        "aws iam put-role-policy",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(stderr(&output).is_empty());
}

#[test]
fn a_custom_policy_file_is_read_and_checked() {
    let dir = std::env::temp_dir().join(format!("segment-aws-setup-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}"#)
        .expect("write");
    let output = run(&[
        "plan",
        "--integration",
        "destination-function",
        "--policy-file",
        good.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(
        plan["permissionPolicy"]["Statement"][0]["Action"],
        "sqs:SendMessage"
    );

    let bad = dir.join("bad.json");
    std::fs::write(
        &bad,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}"#,
    )
    .expect("write");
    let output = run(&[
        "plan",
        "--integration",
        "destination-function",
        "--policy-file",
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--policy-file"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("Principal"), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_exits_2_naming_the_flag_with_nothing_on_stdout() {
    let base = ["plan", "--integration"];
    let cases: &[(&[&str], &str)] = &[
        (
            &["nope", "--bucket", "b-1", "--bucket-region", "us-east-1"],
            "--integration",
        ),
        (&["destination-function"], "--bucket"),
        (
            &[
                "destination-function",
                "--bucket",
                "Bad_Bucket",
                "--bucket-region",
                "us-east-1",
            ],
            "--bucket",
        ),
        (
            &[
                "destination-function",
                "--bucket",
                "good-bucket",
                "--bucket-region",
                "mars-1",
            ],
            "--bucket-region",
        ),
        (
            &["destination-function", "--bucket", "good-bucket"],
            "--bucket-region",
        ),
        (
            &[
                "destination-function",
                "--bucket",
                "good-bucket",
                "--bucket-region",
                "us-east-1",
                "--external-id",
                "too-short",
            ],
            "--external-id",
        ),
        (
            &["destination-function", "--lambda-arn", "my-function"],
            "--lambda-arn",
        ),
        (
            &["lambda-destination", "--lambda-arn", LAMBDA],
            "--workspace-id",
        ),
        (
            &[
                "lambda-destination",
                "--workspace-id",
                "ws 1",
                "--lambda-arn",
                LAMBDA,
            ],
            "--workspace-id",
        ),
        (
            &[
                "lambda-destination",
                "--workspace-id",
                "ws1abc",
                "--bucket",
                "good-bucket",
            ],
            "--bucket",
        ),
        (
            &[
                "destination-function",
                "--policy-file",
                "/nonexistent/policy.json",
            ],
            "--policy-file",
        ),
        (
            &[
                "destination-function",
                "--bucket",
                "good-bucket",
                "--bucket-region",
                "us-east-1",
                "--role-name",
                "a b",
            ],
            "--role-name",
        ),
        (
            &[
                "destination-function",
                "--bucket",
                "good-bucket",
                "--bucket-region",
                "us-east-1",
                "--stack-name",
                "1x",
            ],
            "--stack-name",
        ),
        (
            &[
                "destination-function",
                "--bucket",
                "good-bucket",
                "--bucket-region",
                "us-east-1",
                "--format",
                "yaml",
            ],
            "--format",
        ),
    ];
    for (args, flag) in cases {
        let mut all = base.to_vec();
        all.extend_from_slice(args);
        let output = run(&all);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{all:?}: {}",
            stderr(&output)
        );
        assert!(
            output.stdout.is_empty(),
            "{all:?} printed {}",
            stdout(&output)
        );
        assert!(
            stderr(&output).contains(flag),
            "{all:?}: stderr doesn't name {flag}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn the_external_id_is_not_echoed_in_an_error() {
    let secret = "NotLongEnoughSecret";
    let output = run(&[
        "plan",
        "--integration",
        "source-function",
        "--bucket",
        "b-123",
        "--bucket-region",
        "us-east-1",
        "--external-id",
        secret,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains(secret), "{}", stderr(&output));
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [vec!["--help"], vec!["plan", "--help"], vec!["help", "plan"]] {
        let output = run(&args);
        assert!(output.status.success(), "{args:?}");
        let text = stdout(&output);
        assert!(text.contains("Examples:"), "{args:?}: {text}");
        assert!(
            text.contains("segment-aws-setup plan --integration"),
            "{args:?}: {text}"
        );
    }
    for command in ["create", "watch", "verify", "delete"] {
        let text = stdout(&run(&[command, "--help"]));
        assert!(
            text.contains("Example"),
            "{command} --help has no example: {text}"
        );
        assert!(
            text.contains(&format!("segment-aws-setup {command} ")),
            "{command} --help: {text}"
        );
    }
    let text = stdout(&run(&["plan", "--help"]));
    for flag in [
        "--integration",
        "--external-id",
        "--workspace-id",
        "--bucket",
        "--bucket-region",
        "--lambda-arn",
        "--policy-file",
        "--format",
    ] {
        assert!(text.contains(flag), "plan --help lacks {flag}");
    }
}

#[test]
fn a_weak_brought_external_id_is_warned_about_and_other_partitions_are_refused() {
    let output = run(&[
        "plan",
        "--integration",
        "destination-function",
        "--external-id",
        "my-segment-external-id-for-production",
        "--bucket",
        "b-weak",
        "--bucket-region",
        "us-east-1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .contains("! the external ID you brought looks weak: it contains the word \"segment\""),
        "{}",
        stdout(&output)
    );
    let generated = run(&[
        "plan",
        "--integration",
        "destination-function",
        "--bucket",
        "b-weak",
        "--bucket-region",
        "us-east-1",
        "--format",
        "json",
    ]);
    let plan: Value = serde_json::from_str(&stdout(&generated)).expect("JSON");
    assert_eq!(
        plan["warnings"],
        serde_json::json!([]),
        "a generated ID is never weak"
    );
    let china = run(&[
        "plan",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        "arn:aws-cn:lambda:cn-north-1:123456789012:function:f",
    ]);
    assert_eq!(china.status.code(), Some(2));
    assert!(
        stderr(&china).contains("aws-cn partition"),
        "{}",
        stderr(&china)
    );
}

#[test]
fn plan_out_writes_the_documents_the_commands_read_private_where_they_hold_the_id() {
    let dir = crate::support::temp_dir("plan-out");
    let output = run(&[
        "plan",
        "--integration",
        "destination-function",
        "--bucket",
        "b-out",
        "--bucket-region",
        "us-east-1",
        "--out",
        dir.to_str().expect("UTF-8"),
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let id = plan["externalId"].as_str().expect("an ID");
    for command in plan["cliCommands"].as_array().expect("commands") {
        assert!(!command.as_str().expect("text").contains(id), "{command}");
    }
    let trust: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("trust-policy.json")).expect("read"),
    )
    .expect("JSON");
    assert_eq!(trust, plan["trustPolicy"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |name: &str| {
            std::fs::metadata(dir.join(name))
                .expect("file")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("trust-policy.json"), 0o600);
        assert_eq!(mode("parameters.json"), 0o600);
        assert_eq!(mode("permission-policy.json"), 0o644);
    }
    assert!(dir.join("template.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each integration added from `more-integrations-facts.md`, planned through the binary, says
/// what the facts say: the principal (a role, never `:root`), the actions and resources of the
/// documented policy, and Segment's setting keys.
#[test]
fn plan_json_for_each_added_integration_matches_the_facts() {
    struct Fact {
        id: &'static str,
        args: &'static [&'static str],
        principal: &'static str,
        actions: &'static [&'static str],
        resources: &'static [&'static str],
        settings: &'static [&'static str],
    }
    const STREAM: &str = "arn:aws:kinesis:us-west-2:123456789012:stream/events";
    const DELIVERY: &str = "arn:aws:firehose:us-west-2:123456789012:deliverystream/events";
    const LAMBDA_FN: &str = "arn:aws:lambda:us-west-2:123456789012:function:personalize";
    let facts = [
        Fact {
            id: "s3-destination",
            args: &[
                "--workspace-id",
                "wXZ2sd8N3mJ",
                "--bucket",
                "my-bucket",
                "--bucket-region",
                "eu-west-1",
            ],
            principal: "arn:aws:iam::595280932656:role/segment-s3-integration-production-access",
            actions: &["s3:PutObject", "s3:PutObjectAcl"],
            resources: &["arn:aws:s3:::my-bucket/segment-logs/*"],
            settings: &["iamRoleArn", "awsRegion", "bucket"],
        },
        Fact {
            id: "s3-actions-destination",
            args: &["--bucket", "my-bucket", "--bucket-region", "eu-west-1"],
            principal: "arn:aws:iam::595280932656:role/customer-s3-prod-action-destination-access",
            actions: &["s3:PutObject", "s3:PutObjectAcl"],
            resources: &["arn:aws:s3:::my-bucket/*"],
            settings: &[
                "iam_role_arn",
                "iam_external_id",
                "s3_aws_bucket_name",
                "s3_aws_region",
            ],
        },
        Fact {
            id: "kinesis-destination",
            args: &[
                "--workspace-id",
                "wXZ2sd8N3mJ",
                "--kinesis-stream-arn",
                STREAM,
            ],
            principal: "arn:aws:iam::595280932656:role/customer-kinesis-access",
            actions: &[
                "kinesis:PutRecord",
                "kinesis:PutRecords",
                "iam:SimulatePrincipalPolicy",
            ],
            resources: &[
                STREAM,
                "arn:aws:iam::ACCOUNT_ID:role/segment-kinesis-destination",
            ],
            settings: &["roleAddress", "secretId", "region", "stream"],
        },
        Fact {
            id: "firehose-destination",
            args: &[
                "--workspace-id",
                "wXZ2sd8N3mJ",
                "--delivery-stream-arn",
                DELIVERY,
            ],
            principal: "arn:aws:iam::595280932656:role/customer-firehose-access",
            actions: &["firehose:PutRecord"],
            resources: &[DELIVERY],
            settings: &["roleAddress", "secretId", "region", "mappedStreams"],
        },
        Fact {
            id: "personalize-destination",
            args: &["--workspace-id", "wXZ2sd8N3mJ", "--lambda-arn", LAMBDA_FN],
            principal: "arn:aws:iam::595280932656:role/customer-personalize-prod-destination-access",
            actions: &["lambda:InvokeFunction"],
            resources: &[LAMBDA_FN],
            settings: &["roleAddress", "externalId", "function", "region"],
        },
        Fact {
            id: "data-lakes",
            args: &[
                "--workspace-id",
                "wXZ2sd8N3mJ",
                "--bucket",
                "my-lake",
                "--bucket-region",
                "us-west-2",
            ],
            principal: "arn:aws:iam::595280932656:role/segment-datalakes-production-access",
            actions: &[
                "elasticmapreduce:RunJobFlow",
                "elasticmapreduce:AddTags",
                "glue:CreateTable",
                "glue:BatchCreatePartition",
                "*",
                "athena:*",
                "iam:PassRole",
            ],
            resources: &[
                "*",
                "arn:aws:glue:us-west-2:ACCOUNT_ID:catalog",
                "arn:aws:s3:::my-lake/*",
                "arn:aws:s3:::my-lake",
                "arn:aws:iam::ACCOUNT_ID:role/EMR_DefaultRole",
            ],
            settings: &[
                "iamRoleArn",
                "glueCatalogId",
                "awsRegion",
                "s3Bucket",
                "emrClusterId",
            ],
        },
    ];
    for fact in facts {
        let mut args = vec!["plan", "--integration", fact.id, "--format", "json"];
        args.extend_from_slice(fact.args);
        let output = run(&args);
        assert!(output.status.success(), "{}: {}", fact.id, stderr(&output));
        let plan: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
        assert_eq!(plan["principal"], fact.principal, "{}", fact.id);
        assert!(!fact.principal.ends_with(":root"));
        let strings = |key: &str| -> Vec<String> {
            plan["permissionPolicy"]["Statement"]
                .as_array()
                .expect("statements")
                .iter()
                .flat_map(|s| match &s[key] {
                    serde_json::Value::String(one) => vec![one.clone()],
                    serde_json::Value::Array(many) => many
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                    _ => vec![],
                })
                .collect()
        };
        for action in fact.actions {
            assert!(
                strings("Action").iter().any(|a| a == action),
                "{}: {action}",
                fact.id
            );
        }
        for resource in fact.resources {
            assert!(
                strings("Resource").iter().any(|r| r == resource),
                "{}: {resource} in {:?}",
                fact.id,
                strings("Resource")
            );
        }
        let keys: Vec<&str> = plan["settings"]
            .as_object()
            .expect("settings")
            .keys()
            .map(String::as_str)
            .collect();
        for key in fact.settings {
            assert!(keys.contains(key), "{}: setting {key} in {keys:?}", fact.id);
        }
        assert_eq!(
            plan["trustPolicy"]["Statement"][0]["Principal"]["AWS"], fact.principal,
            "{}",
            fact.id
        );
    }
}

/// `--integration`'s help names every integration of the catalog (the list is data: a new one
/// added to `assets/integrations.json` must be named there too).
#[test]
fn the_integration_flag_names_every_integration_of_the_catalog() {
    for command in ["create", "plan"] {
        let text = crate::support::stdout(&crate::support::binary(&[command, "--help"], &[]));
        for integration in segment_aws_setup::model::catalog::Catalog::builtin().integrations() {
            assert!(
                text.contains(&integration.id),
                "{command} --help doesn't name {}:\n{text}",
                integration.id
            );
        }
    }
}

/// Every flag of every command is documented in docs/ (the README links there), with its name
/// as typed; a new flag without a line in the reference fails here.
#[test]
fn every_flag_is_documented() {
    use clap::CommandFactory;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs: String = ["docs/commands.md", "docs/wizard.md", "docs/stacksets.md"]
        .iter()
        .map(|page| std::fs::read_to_string(root.join(page)).expect("the reference page"))
        .collect();
    let command = segment_aws_setup::ui::cli::Cli::command();
    let mut missing = Vec::new();
    let mut seen = 0;
    for sub in std::iter::once(&command).chain(command.get_subcommands()) {
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            seen += 1;
            if !docs.contains(&format!("--{long}")) {
                missing.push(format!("{} --{long}", sub.get_name()));
            }
        }
    }
    assert!(seen > 40, "only {seen} flags read");
    assert!(
        missing.is_empty(),
        "flags not in docs/: {}",
        missing.join(", ")
    );
}

/// The completion scripts come from the clap definitions: bash's loads and completes the
/// command, the others name every command too.
#[test]
fn completions_load_in_bash_and_name_every_command() {
    use clap::CommandFactory;
    let names: Vec<String> = segment_aws_setup::ui::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = crate::support::binary(&["completions", shell], &[]);
        assert!(
            output.status.success(),
            "{shell}: {}",
            crate::support::stderr(&output)
        );
        let script = crate::support::stdout(&output);
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell} lacks {name}");
        }
        if shell == "bash" {
            let file = crate::support::temp_dir("completions").join("segment-aws-setup.bash");
            std::fs::write(&file, &script).expect("written");
            let loaded = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!(
                    "source {} && complete -p segment-aws-setup",
                    file.display()
                ))
                .output()
                .expect("bash is needed for this test (install it)");
            assert!(
                loaded.status.success(),
                "{}",
                String::from_utf8_lossy(&loaded.stderr)
            );
            assert!(
                String::from_utf8_lossy(&loaded.stdout).contains("segment-aws-setup"),
                "not registered"
            );
        }
    }
}

/// The manual page renders with man -l, naming every command; --out writes a page per command.
#[test]
fn the_manual_page_renders_with_man() {
    let render = |page: &std::path::Path| {
        let rendered = std::process::Command::new("man")
            .arg("-l")
            .arg(page)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .expect("man (Debian's man-db) is needed for this test: apt-get install man-db");
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        String::from_utf8_lossy(&rendered.stdout).to_string()
    };
    let output = crate::support::binary(&["man"], &[]);
    assert!(
        output.status.success(),
        "{}",
        crate::support::stderr(&output)
    );
    let dir = crate::support::temp_dir("man");
    let page = dir.join("segment-aws-setup.1");
    std::fs::write(&page, crate::support::stdout(&output)).expect("written");
    let text = render(&page);
    for command in ["audit", "write-settings", "completions", "verify"] {
        assert!(text.contains(command), "{command} not in the page:\n{text}");
    }
    let pages = dir.join("pages");
    let written = crate::support::binary(&["man", "--out", &pages.display().to_string()], &[]);
    assert!(
        written.status.success(),
        "{}",
        crate::support::stderr(&written)
    );
    let audit = render(&pages.join("segment-aws-setup-audit.1"));
    assert!(audit.contains("--organization"), "{audit}");
    assert!(pages.join("segment-aws-setup-write-settings.1").exists());
}
