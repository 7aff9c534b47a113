//! Writing the settings into Segment: the client speaking HTTP to a stand-in of the Public API on
//! 127.0.0.1 (the in-memory workspace behind Segment's envelope, paging, bearer token and 429),
//! the engine's prepare-and-write on it, and the binary end to end with moto.

use crate::segment_standin::*;
use segment_aws_setup::engine::segment_settings::{self, PrepareError, Step, Target};
use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::outcome::Outcome;
use segment_aws_setup::model::plan::{Plan, PlanRequest};
use segment_aws_setup::model::segment::{Destination, Function, FunctionSetting, Workspace};
use segment_aws_setup::segment::fake::FakeSegment;
use serde_json::{Map, Value, json};

pub fn workspace() -> FakeSegment {
    FakeSegment::new(Workspace {
        id: "wXZ2sd8N3mJ".into(),
        name: "Acme".into(),
        slug: "acme".into(),
    })
    .with_source("srcWEB", "Website")
}

pub(crate) fn lambda_instance(id: &str) -> Destination {
    Destination {
        id: id.into(),
        name: String::new(),
        enabled: true,
        metadata_id: "5c86f0512f5eb100013d570b".into(),
        metadata_name: "Amazon Lambda".into(),
        source_id: "srcWEB".into(),
        settings: serde_json::from_value(
            json!({"externalId": "wXZ2sd8N3mJ", "region": "us-west-2"}),
        )
        .unwrap_or_default(),
    }
}

pub(crate) fn outcome(request: PlanRequest) -> Outcome {
    let plan = Plan::build(Catalog::builtin(), &request).expect("a valid request");
    Outcome::from_plan(&plan, Some("arn:aws:iam::123456789012:role/segment-role"))
}

pub(crate) fn lambda_outcome() -> Outcome {
    outcome(PlanRequest {
        integration: "lambda-destination".into(),
        workspace_ids: vec!["wXZ2sd8N3mJ".into()],
        lambda_arns: vec![crate::support::LAMBDA_A.into()],
        ..PlanRequest::default()
    })
}

pub(crate) fn function_outcome() -> (Outcome, String) {
    let request = PlanRequest {
        integration: "destination-function".into(),
        bucket: Some("events-bucket".into()),
        bucket_region: Some("us-west-2".into()),
        ..PlanRequest::default()
    };
    let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
    let id = plan.external_id().to_string();
    (
        Outcome::from_plan(&plan, Some("arn:aws:iam::123456789012:role/segment-fn")),
        id,
    )
}

pub(crate) fn s3_function() -> Function {
    Function {
        id: "dfn_6419c66b7ad2113079d2907d".into(),
        display_name: "Send events to S3".into(),
        resource_type: "DESTINATION".into(),
        catalog_id: "6419c66b7ad2113079d2907d".into(),
        settings: vec![FunctionSetting {
            name: "apiKey".into(),
            label: "API Key".into(),
            description: "theirs".into(),
            kind: "STRING".into(),
            required: false,
            sensitive: true,
        }],
    }
}

pub(crate) async fn connect(api: &PublicApi) -> segment_settings::SegmentConnection {
    segment_settings::connect(TOKEN, None, Some(&api.url))
        .await
        .expect("connected")
}

#[tokio::test]
async fn the_token_is_checked_once_and_a_wrong_one_names_the_access_needed() {
    let api = PublicApi::start(workspace());
    let connection = connect(&api).await;
    assert_eq!(connection.workspace.name, "Acme");
    let seen = api.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/");
    assert_eq!(seen[0].authorization, format!("Bearer {TOKEN}"));
    let refused = segment_settings::connect("sgp_wrong", None, Some(&api.url))
        .await
        .err()
        .expect("refused");
    assert!(refused.contains("Workspace Owner"), "{refused}");
    assert!(
        !refused.contains("sgp_wrong"),
        "the token is never repeated: {refused}"
    );
    // Over plain HTTP only to this machine.
    let far = segment_settings::connect(TOKEN, None, Some("http://api.example.com"))
        .await
        .err()
        .expect("refused");
    assert!(far.contains("https://"), "{far}");
}

#[tokio::test]
async fn lists_are_read_page_by_page_and_a_rate_limit_is_waited_out() {
    let mut fake = workspace();
    for n in 0..450 {
        fake = fake.with_source(&format!("src{n:04}"), &format!("Source {n}"));
    }
    let api = PublicApi::start(fake);
    api.rate_limit_once("GET /sources");
    let connection = connect(&api).await;
    let sources = connection.api.sources().await.expect("the sources");
    assert_eq!(sources.len(), 451);
    let pages: Vec<String> = api
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/sources"))
        .map(|s| s.path.clone())
        .collect();
    // The 429, then three pages of 200.
    assert_eq!(pages.len(), 4, "{pages:#?}");
    assert!(
        pages.iter().all(|p| p.contains("pagination.count=200")),
        "{pages:#?}"
    );
    assert!(pages[3].contains("pagination.cursor=400"), "{pages:#?}");
}

#[tokio::test]
async fn the_lambda_destination_gets_its_writable_keys_and_a_rerun_writes_nothing() {
    let api = PublicApi::start(workspace().with_destination(lambda_instance("dstL1")));
    let connection = connect(&api).await;
    let outcome = lambda_outcome();
    let prepared = segment_settings::prepare(&connection, &outcome, &Target::default())
        .await
        .expect("prepared");
    let preview = segment_settings::preview(&prepared).join("\n");
    assert!(
        preview.contains(
            "Role Address (roleAddress): (empty) → arn:aws:iam::123456789012:role/segment-role"
        ),
        "{preview}"
    );
    assert!(
        !preview.contains("externalId"),
        "read-only keys are never written: {preview}"
    );
    // The region holds the function's already.
    assert!(!preview.contains("Region (region)"), "{preview}");
    let written = segment_settings::write(&connection, &prepared, &mut |_| {})
        .await
        .expect("written");
    assert_eq!(written.destinations, ["dstL1"]);
    let patch = api
        .seen()
        .into_iter()
        .find(|s| s.method == "PATCH")
        .expect("a PATCH");
    assert_eq!(
        patch.body["settings"].as_object().map(|m| m.len()),
        Some(2),
        "{:?}",
        patch.body
    );
    let stored = api.workspace.stored_destination("dstL1").expect("stored");
    assert_eq!(
        stored.settings["roleAddress"],
        "arn:aws:iam::123456789012:role/segment-role"
    );
    assert_eq!(stored.settings["function"], crate::support::LAMBDA_A);
    let again = segment_settings::prepare(&connection, &outcome, &Target::default())
        .await
        .expect("prepared");
    assert!(again.steps.is_empty(), "{:?}", again.steps);
    assert_eq!(again.already.len(), 1);
}

#[tokio::test]
async fn several_instances_are_a_choice_and_data_lakes_has_no_api() {
    let api = PublicApi::start(
        workspace()
            .with_destination(lambda_instance("dstL1"))
            .with_destination(lambda_instance("dstL2")),
    );
    let connection = connect(&api).await;
    match segment_settings::prepare(&connection, &lambda_outcome(), &Target::default()).await {
        Err(PrepareError::Choose { choices, .. }) => {
            let ids: Vec<_> = choices.iter().map(|c| c.name.as_str()).collect();
            assert_eq!(ids, ["dstL1", "dstL2"]);
            assert!(
                choices[0].detail.contains("on source Website"),
                "{choices:?}"
            );
        }
        other => panic!("not a choice: {other:?}"),
    }
    let lakes = outcome(crate::support::sample_request(
        Catalog::builtin()
            .integration("data-lakes")
            .expect("data-lakes"),
        "data-lakes-emr",
        false,
    ));
    match segment_settings::prepare(&connection, &lakes, &Target::default()).await {
        Err(PrepareError::Refused(message)) => {
            assert!(message.contains("no Data Lakes endpoint"), "{message}")
        }
        other => panic!("not refused: {other:?}"),
    }
    // Nothing was written on the way.
    assert!(api.seen().iter().all(|s| s.method == "GET"));
}

#[tokio::test]
async fn a_function_gets_its_definitions_then_a_new_instance_and_a_failure_between_loses_nothing() {
    let api = PublicApi::start(workspace().with_function(s3_function()));
    let connection = connect(&api).await;
    let (outcome, external_id) = function_outcome();
    let target = Target {
        function: Some("Send events to S3".into()),
        source: Some("Website".into()),
        ..Target::default()
    };
    let prepared = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    assert!(matches!(
        prepared.steps.as_slice(),
        [Step::Definitions { .. }, Step::Connect { .. }]
    ));
    let preview = segment_settings::preview(&prepared).join("\n");
    assert!(
        preview.contains(
            "add the setting definition \"IAM Role External ID\" (String, Required, Secret)"
        ),
        "{preview}"
    );
    assert!(
        !preview.contains(&external_id),
        "the secret is masked: {preview}"
    );
    // The instance can't be made this time: the definitions are in, and the failure says so.
    api.workspace.fail(
        "POST /destinations",
        500,
        r#"{"errors":[{"type":"error","message":"Internal error"}]}"#,
    );
    let failure = segment_settings::write(&connection, &prepared, &mut |_| {})
        .await
        .expect_err("a failure");
    assert_eq!(failure.done.len(), 1, "{failure:?}");
    assert!(
        failure.done[0].contains("setting definitions"),
        "{failure:?}"
    );
    // The function's own definition is kept, and the code was never sent.
    let patch = api
        .seen()
        .into_iter()
        .find(|s| s.method == "PATCH")
        .expect("a PATCH");
    assert!(patch.body.get("code").is_none());
    let stored = api
        .workspace
        .stored_function("dfn_6419c66b7ad2113079d2907d")
        .expect("stored");
    assert_eq!(stored.settings.len(), 5, "{:?}", stored.settings);
    assert_eq!(stored.settings[0].name, "apiKey");
    // The same run again finishes: the definitions aren't added twice.
    let again = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    assert!(
        matches!(again.steps.as_slice(), [Step::Connect { .. }]),
        "{:?}",
        again.steps
    );
    let written = segment_settings::write(&connection, &again, &mut |_| {})
        .await
        .expect("written");
    let instance = api
        .workspace
        .stored_destination(&written.destinations[0])
        .expect("made");
    assert!(!instance.enabled);
    assert_eq!(instance.settings["iamRoleExternalId"], external_id.as_str());
    assert_eq!(
        instance.settings["iamRoleArn"],
        "arn:aws:iam::123456789012:role/segment-fn"
    );
    let stored = api
        .workspace
        .stored_function("dfn_6419c66b7ad2113079d2907d")
        .expect("stored");
    assert_eq!(stored.settings.len(), 5);
    // Read back masked: the external ID never came back in clear.
    let read = connection
        .api
        .destination(&written.destinations[0])
        .await
        .expect("read");
    assert!(
        !read.settings["iamRoleExternalId"]
            .as_str()
            .unwrap_or_default()
            .contains(&external_id[..8])
    );
    let _: Map<String, Value> = read.settings;
}

/// The binary end to end: the role made on moto, then its settings written into the stand-in
/// workspace with the token from the environment, read back, and said as JSON; the token
/// appears nowhere in what it printed.
#[test]
fn the_binary_makes_the_role_then_writes_its_settings_into_segment() {
    use crate::moto::moto;
    use crate::support::{binary, stderr, stdout, temp_dir, unique};
    let api = PublicApi::start(
        workspace()
            .with_destination(lambda_instance("dstL1"))
            .with_destination(lambda_instance("dstL2")),
    );
    let state = temp_dir("segment-state");
    let role = unique("seg-write");
    let aws = vec![
        ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
    ];
    let created = binary(
        &[
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
            crate::support::LAMBDA_A,
            "--yes",
        ],
        &aws,
    );
    assert!(created.status.success(), "{}", stderr(&created));

    // No token and no terminal: said, nothing sent.
    let state_only = vec![("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string())];
    let no_token = binary(
        &["write-settings", "--role-name", &role, "--yes"],
        &state_only,
    );
    assert_eq!(no_token.status.code(), Some(2), "{}", stderr(&no_token));
    assert!(stderr(&no_token).contains("SEGMENT_PUBLIC_API_TOKEN"));
    assert!(api.seen().is_empty());

    let mut segment = state_only.clone();
    segment.push(("SEGMENT_PUBLIC_API_TOKEN", TOKEN.to_string()));
    segment.push(("SEGMENT_PUBLIC_API_URL", api.url.clone()));
    // Two instances and none named: the flags that name each, nothing written.
    let unnamed = binary(&["write-settings", "--role-name", &role, "--yes"], &segment);
    assert_eq!(unnamed.status.code(), Some(2), "{}", stderr(&unnamed));
    let said = stderr(&unnamed);
    assert!(said.contains("has 2 Amazon Lambda destinations"), "{said}");
    assert!(said.contains("--destination dstL2"), "{said}");
    assert!(api.seen().iter().all(|s| s.method == "GET"));
    let written = binary(
        &[
            "write-settings",
            "--role-name",
            &role,
            "--destination",
            "dstL1",
            "--yes",
            "--output",
            "json",
            "--debug",
        ],
        &segment,
    );
    let (out, err) = (stdout(&written), stderr(&written));
    assert!(written.status.success(), "{err}");
    // The debug log names each Segment call, never the token or a body.
    assert!(
        err.contains("method=PATCH path=/destinations/dstL1 status=200"),
        "{err}"
    );
    assert!(!err.contains("roleAddress\":"), "a body in the log: {err}");
    assert!(err.contains("Segment workspace Acme"), "{err}");
    assert!(
        err.contains("Role Address (roleAddress): (empty) →"),
        "{err}"
    );
    assert!(
        !out.contains(TOKEN) && !err.contains(TOKEN),
        "the token was printed"
    );
    let json: Value = serde_json::from_str(&out).expect("JSON");
    crate::support::assert_camel_case_keys(&json);
    assert_eq!(json["destinations"], json!(["dstL1"]));
    assert_eq!(json["workspace"]["name"], "Acme");
    let stored = api.workspace.stored_destination("dstL1").expect("stored");
    assert!(
        stored.settings["roleAddress"]
            .as_str()
            .is_some_and(|a| a.ends_with(&format!("role/{role}"))),
        "{:?}",
        stored.settings
    );
    // Again: nothing to write.
    let again = binary(
        &[
            "write-settings",
            "--role-name",
            &role,
            "--destination",
            "dstL1",
            "--yes",
        ],
        &segment,
    );
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("Nothing to write"),
        "{}",
        stderr(&again)
    );
}

/// A rotation with no outage, both sides in one run: the role accepts both IDs, Segment's
/// destination-function instance gets the new one and it is read back, then the role accepts
/// only the new one. The old ID ends nowhere; the new one is the same on both sides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_completes_in_one_run_with_segment_written_between_its_phases() {
    use crate::moto::moto;
    use crate::support::{binary, stderr, stdout, temp_dir, unique};
    let state = temp_dir("segment-rotation");
    let role = unique("seg-rotate");
    let aws = vec![
        ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
    ];
    let inputs = ["--bucket", "events-bucket", "--bucket-region", "us-west-2"];
    let created = tokio::task::block_in_place(|| {
        binary(
            &[
                &[
                    "create",
                    "--integration",
                    "destination-function",
                    "--method",
                    "iam",
                    "--role-name",
                    &role,
                    "--yes",
                ][..],
                &inputs,
            ]
            .concat(),
            &aws,
        )
    });
    assert!(created.status.success(), "{}", stderr(&created));
    let trusted = |trust: &Value| {
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"].clone()
    };
    let old = trusted(&crate::plain::role_trust(&role).await.expect("the role"));
    let old = old.as_str().expect("one ID").to_string();

    let function = s3_function();
    let instance = Destination {
        id: "dstFN1".into(),
        name: "Send events to S3".into(),
        enabled: true,
        metadata_id: function.catalog_id.clone(),
        metadata_name: "Send events to S3".into(),
        source_id: "srcWEB".into(),
        settings: serde_json::from_value(json!({"iamRoleExternalId": old})).unwrap_or_default(),
    };
    let api = PublicApi::start(
        workspace()
            .with_function(function)
            .with_destination(instance),
    );
    let mut env = aws.clone();
    env.push(("SEGMENT_PUBLIC_API_TOKEN", TOKEN.to_string()));
    env.push(("SEGMENT_PUBLIC_API_URL", api.url.clone()));
    let rotated = tokio::task::block_in_place(|| {
        binary(
            &[
                &[
                    "update",
                    "--integration",
                    "destination-function",
                    "--method",
                    "iam",
                    "--role-name",
                    &role,
                ][..],
                &inputs,
                &[
                    "--rotate-external-id",
                    "--write-to-segment",
                    "--destination",
                    "dstFN1",
                    "--yes",
                    "--output",
                    "json",
                ],
            ]
            .concat(),
            &env,
        )
    });
    let err = stderr(&rotated);
    assert!(rotated.status.success(), "{err}");
    assert!(
        err.contains("finishing the rotation, phase 2 of 2"),
        "{err}"
    );
    let new = trusted(&crate::plain::role_trust(&role).await.expect("the role"));
    let new = new
        .as_str()
        .expect("only one ID is trusted after the rotation")
        .to_string();
    assert_ne!(new, old);
    let stored = api.workspace.stored_destination("dstFN1").expect("stored");
    assert_eq!(
        stored.settings["iamRoleExternalId"],
        new.as_str(),
        "Segment has the new ID"
    );
    let json: Value = serde_json::from_str(&stdout(&rotated)).expect("JSON");
    assert!(
        json["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("rotation is finished")),
        "{json}"
    );
    // Segment was written while the role still accepted both IDs: the write came before phase 2.
    assert!(
        !err.contains(&old) && !err.contains(&new),
        "no ID in the progress: {err}"
    );
    // No instance named: only the definitions are written, so the rotation isn't finished (the
    // role would refuse the ID Segment's instance still holds).
    let again = tokio::task::block_in_place(|| {
        binary(
            &[
                &[
                    "update",
                    "--integration",
                    "destination-function",
                    "--method",
                    "iam",
                    "--role-name",
                    &role,
                ][..],
                &inputs,
                &["--rotate-external-id", "--write-to-segment", "--yes"],
            ]
            .concat(),
            &env,
        )
    });
    let err = stderr(&again);
    assert!(again.status.success(), "{err}");
    assert!(err.contains("the rotation stays under way"), "{err}");
    let both = trusted(&crate::plain::role_trust(&role).await.expect("the role"));
    assert_eq!(both.as_array().map(Vec::len), Some(2), "{both}");
    assert!(both.as_array().is_some_and(|ids| ids.contains(&json!(new))));
    let stored = api.workspace.stored_destination("dstFN1").expect("stored");
    assert_eq!(stored.settings["iamRoleExternalId"], new.as_str());
}

/// The plan's Segment commands (for an administrator) run with bash, curl and jq against the
/// stand-in: they make the same writes as write-settings, nothing secret in them.
#[test]
fn the_plans_segment_commands_make_the_same_writes() {
    for tool in ["bash", "curl", "jq"] {
        assert!(
            std::process::Command::new(tool)
                .arg("--version")
                .output()
                .is_ok(),
            "{tool} is needed to run the plan's Segment commands: install it (Debian: apt-get install {tool})"
        );
    }
    let (outcome, external_id) = function_outcome();
    let integration = Catalog::builtin()
        .integration("destination-function")
        .expect("in the catalog");
    let commands = segment_aws_setup::model::segment::commands::api_commands(&outcome, integration);
    assert!(
        !commands.join("\n").contains(&external_id),
        "no secret in the commands"
    );
    let function = s3_function();
    let instance = Destination {
        id: "dstFN1".into(),
        name: "Send events to S3".into(),
        enabled: true,
        metadata_id: function.catalog_id.clone(),
        metadata_name: "Send events to S3".into(),
        source_id: "srcWEB".into(),
        settings: Map::new(),
    };
    let api = PublicApi::start(
        workspace()
            .with_function(function.clone())
            .with_destination(instance),
    );
    let script = commands
        .join("\n")
        .replace("https://api.segmentapis.com", &api.url);
    let role = "arn:aws:iam::123456789012:role/segment-fn";
    let output = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
        .env("ROLE_ARN", role)
        .env("SEGMENT_AWS_SETUP_EXTERNAL_ID", &external_id)
        .env("FUNCTION_ID", &function.id)
        .env("DESTINATION_ID", "dstFN1")
        .output()
        .expect("bash runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stored = api.workspace.stored_function(&function.id).expect("stored");
    let names: Vec<_> = stored.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "apiKey",
            "iamRoleArn",
            "iamRoleExternalId",
            "s3Bucket",
            "s3BucketRegion"
        ]
    );
    assert!(stored.settings[2].sensitive);
    let instance = api.workspace.stored_destination("dstFN1").expect("stored");
    assert_eq!(instance.settings["iamRoleArn"], role);
    assert_eq!(instance.settings["iamRoleExternalId"], external_id.as_str());
    assert_eq!(instance.settings["s3Bucket"], "events-bucket");
    // Run again: nothing is added twice.
    let again = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .env("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
        .env("ROLE_ARN", role)
        .env("SEGMENT_AWS_SETUP_EXTERNAL_ID", &external_id)
        .env("FUNCTION_ID", &function.id)
        .env("DESTINATION_ID", "dstFN1")
        .output()
        .expect("bash runs");
    assert!(again.status.success());
    assert_eq!(
        api.workspace
            .stored_function(&function.id)
            .expect("stored")
            .settings
            .len(),
        5
    );
}

/// The workspace ID read, not typed: `create` of a destination with no --workspace-id and a
/// token in the environment trusts the workspace's ID as Segment gives it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_reads_the_workspace_id_from_segment() {
    use crate::moto::moto;
    use crate::support::{binary, stderr, temp_dir, unique};
    let api = PublicApi::start(workspace().with_source("srcIOS", "iOS"));
    let role = unique("seg-wsid");
    let env = vec![
        ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        (
            "SEGMENT_AWS_SETUP_STATE_DIR",
            temp_dir("segment-wsid").display().to_string(),
        ),
        ("SEGMENT_PUBLIC_API_TOKEN", TOKEN.to_string()),
        ("SEGMENT_PUBLIC_API_URL", api.url.clone()),
    ];
    let created = tokio::task::block_in_place(|| {
        binary(
            &[
                "create",
                "--integration",
                "lambda-destination",
                "--method",
                "iam",
                "--role-name",
                &role,
                "--lambda-arn",
                crate::support::LAMBDA_A,
                "--source-ids-from-segment",
                "--yes",
            ],
            &env,
        )
    });
    let err = stderr(&created);
    assert!(created.status.success(), "{err}");
    assert!(
        err.contains("The workspace ID is read from Segment (workspace Acme)"),
        "{err}"
    );
    assert!(
        err.contains("2 source ID(s) read from Segment are trusted too"),
        "{err}"
    );
    // Refused before any call where it can't apply: plan reads nothing, a function trusts no
    // source ID.
    let seen = api.seen().len();
    let refused = |args: &[&str]| {
        let output = tokio::task::block_in_place(|| binary(args, &env));
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        stderr(&output)
    };
    let plan = refused(&[
        "plan",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        crate::support::LAMBDA_A,
        "--source-ids-from-segment",
    ]);
    assert!(plan.contains("plan reads nothing from Segment"), "{plan}");
    let function = refused(&[
        "create",
        "--integration",
        "destination-function",
        "--bucket",
        "b-1",
        "--bucket-region",
        "us-west-2",
        "--source-ids-from-segment",
        "--yes",
    ]);
    assert!(function.contains("trusts no source IDs"), "{function}");
    assert_eq!(api.seen().len(), seen, "nothing was asked of Segment");
    let trust = crate::plain::role_trust(&role).await.expect("the role");
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        json!(["wXZ2sd8N3mJ", "srcWEB", "srcIOS"])
    );
}

/// Plain mode with a token: the workspace ID offered from Segment (Enter takes it), the role made
/// on moto, then the settings written into the instance after the preview, read back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_mode_reads_the_workspace_id_and_writes_the_settings() {
    use crate::moto::moto;
    use crate::support::{temp_dir, unique};
    use std::io::Write;
    let api = PublicApi::start(
        workspace()
            .with_source("srcIOS", "iOS")
            .with_destination(lambda_instance("dstL1")),
    );
    let role = unique("plain-seg");
    let arn = crate::support::LAMBDA_A;
    // The workspace ID taken as Segment gives it, and the second source's ID by its row.
    // The empty answer after the source row: no starter function.
    let answers = format!("y\nlambda\n\n2\n\n{arn}\niam\n{role}\ny\ny\ny\n");
    let home = temp_dir("plain-seg-home");
    let output = tokio::task::block_in_place(|| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"))
            .arg("--plain")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("SEGMENT_AWS_SETUP_STATE_DIR", temp_dir("plain-seg-state"))
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &moto().endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
            .env("SEGMENT_PUBLIC_API_URL", &api.url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("started");
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(answers.as_bytes()).expect("answers");
        }
        child.wait_with_output().expect("ended")
    });
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("Segment's Public API gives the workspace ID of Acme: Enter takes it."),
        "{text}"
    );
    assert!(
        text.contains("Segment workspace ID: [wXZ2sd8N3mJ]"),
        "{text}"
    );
    assert!(
        text.contains("  1) Website: srcWEB\n  2) iOS: srcIOS\n"),
        "{text}"
    );
    assert!(
        text.contains("Written: Destination dstL1: Role Address, Lambda (read back)"),
        "{text}"
    );
    assert!(!text.contains(TOKEN), "the token was printed");
    let stored = api.workspace.stored_destination("dstL1").expect("stored");
    assert!(
        stored.settings["roleAddress"]
            .as_str()
            .is_some_and(|a| a.ends_with(&format!("role/{role}")))
    );
    let trust = crate::plain::role_trust(&role).await.expect("the role");
    assert_eq!(
        trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
        json!(["wXZ2sd8N3mJ", "srcIOS"])
    );
}

/// The requests the client sends and the stand-in's answers, held to Segment's official OpenAPI
/// document (the subset this tool calls, `fixtures/segment-openapi-subset.json`, made by
/// `segment-openapi.py` beside it) by a maintained JSON Schema validator: each body against its
/// operation's schema, each request's media type among those the operation takes.
fn assert_as_the_document_says(seen: &[Seen]) -> usize {
    let document: Value =
        serde_json::from_str(include_str!("fixtures/segment-openapi-subset.json"))
            .expect("the subset is JSON");
    let operations = document["operations"].as_array().expect("operations");
    let validator = |reference: &str| {
        let schema = json!({"$ref": reference, "components": document["components"]});
        jsonschema::validator_for(&schema).expect("a valid schema")
    };
    let mut checked = 0;
    for call in seen.iter().filter(|s| s.status == 200) {
        let path = call.path.split('?').next().unwrap_or_default();
        let operation = operations
            .iter()
            .find(|o| {
                let template: Vec<&str> =
                    o["path"].as_str().unwrap_or_default().split('/').collect();
                let actual: Vec<&str> = path.split('/').collect();
                o["method"] == call.method.as_str()
                    && template.len() == actual.len()
                    && template
                        .iter()
                        .zip(&actual)
                        .all(|(t, a)| t.starts_with('{') || t == a)
            })
            .unwrap_or_else(|| panic!("{} {path} is no operation of the document", call.method));
        if let Some(reference) = operation["request"].as_str() {
            let types = operation["requestContentTypes"].as_array().expect("types");
            assert!(
                types.iter().any(|t| t == call.content_type.as_str()),
                "{} {path} sent as {}: the document takes {types:?}",
                call.method,
                call.content_type
            );
            let errors: Vec<String> = validator(reference)
                .iter_errors(&call.body)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{} {path} request {}: {errors:?}",
                call.method,
                call.body
            );
        }
        let reference = operation["answer"].as_str().expect("an answer schema");
        let errors: Vec<String> = validator(reference)
            .iter_errors(&call.answer)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{} {path} answer: {errors:?}",
            call.method
        );
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn every_request_and_answer_is_as_segments_openapi_document_says() {
    let api = PublicApi::start(
        workspace()
            .with_function(s3_function())
            .with_destination(lambda_instance("dstL1")),
    );
    let connection = connect(&api).await;
    // A destination's values, a function's definitions and a new instance: every operation.
    let prepared = segment_settings::prepare(&connection, &lambda_outcome(), &Target::default())
        .await
        .expect("prepared");
    segment_settings::write(&connection, &prepared, &mut |_| {})
        .await
        .expect("written");
    let (outcome, _) = function_outcome();
    let target = Target {
        function: Some("Send events to S3".into()),
        source: Some("Website".into()),
        ..Target::default()
    };
    let prepared = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    segment_settings::write(&connection, &prepared, &mut |_| {})
        .await
        .expect("written");
    let seen = api.seen();
    let checked = assert_as_the_document_says(&seen);
    let operations: std::collections::BTreeSet<String> = seen
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.method,
                s.path.split('?').next().unwrap_or_default()
            )
        })
        .collect();
    assert!(checked >= 10, "{checked}: {operations:?}");
    for method in ["GET", "PATCH", "POST"] {
        assert!(
            operations.iter().any(|o| o.starts_with(method)),
            "{method}: {operations:?}"
        );
    }
}
