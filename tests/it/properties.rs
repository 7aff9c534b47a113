//! Property tests for the policy builders, the plan and the validators.

use proptest::prelude::*;
use segment_aws_setup::model::plan::PlanRequest;
use segment_aws_setup::model::{external_id, policy, validate};
use segment_aws_setup::{Catalog, Plan};
use serde_json::{Value, json};

/// Valid external IDs per AWS's character set, 32 to 200 characters.
fn valid_external_id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_+=,.@:/-]{32,200}"
}

fn valid_bucket() -> impl Strategy<Value = String> {
    // S3 reserves the xn-- and sthree- prefixes and the -s3alias and --ol-s3 suffixes.
    "[a-z][a-z0-9-]{1,40}[a-z0-9]".prop_filter("not a reserved prefix or suffix", |b| {
        !["xn--", "sthree-", "amzn-s3-demo-"]
            .iter()
            .any(|p| b.starts_with(p))
            && !["-s3alias", "--ol-s3", "--x-s3", "--table-s3"]
                .iter()
                .any(|s| b.ends_with(s))
    })
}

fn valid_lambda_arn() -> impl Strategy<Value = String> {
    (
        "[a-z]{2}-(east|west|central)-[1-3]",
        "[0-9]{12}",
        "[A-Za-z0-9_-]{1,64}",
        prop::option::of("[A-Za-z0-9_-]{1,20}"),
    )
        .prop_map(|(region, account, name, qualifier)| {
            let qualifier = qualifier.map(|q| format!(":{q}")).unwrap_or_default();
            format!("arn:aws:lambda:{region}:{account}:function:{name}{qualifier}")
        })
}

/// Valid values of every input kind, drawn together (the delivery streams share a region).
#[derive(Debug, Clone)]
struct Values {
    bucket: String,
    lambda_arns: Vec<String>,
    path_prefix: String,
    kms_key_arn: String,
    kinesis_stream_arn: String,
    delivery_stream_arns: Vec<String>,
    emr_cluster_id: String,
}

fn valid_values() -> impl Strategy<Value = Values> {
    let region = "[a-z]{2}-(east|west|central)-[1-3]";
    (
        valid_bucket(),
        prop::collection::vec(valid_lambda_arn(), 1..4),
        "[A-Za-z0-9_.-]{1,10}(/[A-Za-z0-9_-]{1,10}){0,2}",
        (region, "[0-9]{12}", "[a-f0-9-]{8,36}"),
        (region, "[0-9]{12}", "[A-Za-z0-9_.-]{1,60}"),
        (
            region,
            "[0-9]{12}",
            prop::collection::vec("[A-Za-z0-9_.-]{1,40}", 1..4),
        ),
        "j-[A-Z0-9]{5,13}",
    )
        .prop_map(
            |(bucket, lambda_arns, path_prefix, kms, stream, delivery, emr_cluster_id)| Values {
                bucket,
                lambda_arns,
                path_prefix,
                kms_key_arn: format!("arn:aws:kms:{}:{}:key/{}", kms.0, kms.1, kms.2),
                kinesis_stream_arn: format!(
                    "arn:aws:kinesis:{}:{}:stream/{}",
                    stream.0, stream.1, stream.2
                ),
                delivery_stream_arns: delivery
                    .2
                    .iter()
                    .map(|name| {
                        format!(
                            "arn:aws:firehose:{}:{}:deliverystream/{name}",
                            delivery.0, delivery.1
                        )
                    })
                    .collect(),
                emr_cluster_id,
            },
        )
        .prop_filter("the path prefix has no . or .. folder", |v| {
            !v.path_prefix.split('/').any(|s| s == "." || s == "..")
        })
}

/// Every integration with each of its presets (the custom policy aside: it has no statements).
fn integration_presets() -> Vec<(String, String)> {
    let catalog = Catalog::builtin();
    catalog
        .integrations()
        .iter()
        .flat_map(|i| {
            i.presets
                .iter()
                .filter(|o| o.preset != "custom")
                .map(|o| (i.id.clone(), o.preset.clone()))
        })
        .collect()
}

/// A request valid for an integration and one of its presets, every input of the preset (its
/// optional ones or not) filled with valid random values: the catalog decides, not this test.
fn valid_request() -> impl Strategy<Value = PlanRequest> {
    (
        prop::sample::select(integration_presets()),
        valid_external_id(),
        "[A-Za-z0-9]{8,30}",
        valid_values(),
        any::<bool>(),
    )
        .prop_map(
            |((integration, preset), external_id, workspace_id, values, optional)| {
                use segment_aws_setup::model::catalog::{ExternalIdSource, Input};
                let catalog = Catalog::builtin();
                let rule = &catalog
                    .integration(&integration)
                    .expect("known")
                    .external_id;
                let workspace = rule.source == ExternalIdSource::WorkspaceId;
                let mut request = PlanRequest {
                    external_ids: if workspace { vec![] } else { vec![external_id] },
                    workspace_ids: if workspace {
                        vec![workspace_id]
                    } else {
                        vec![]
                    },
                    integration,
                    account: Some("123456789012".into()),
                    ..PlanRequest::default()
                };
                let preset = catalog.preset(&preset).expect("defined");
                let inputs: Vec<Input> = if optional {
                    preset.all_inputs().collect()
                } else {
                    preset.inputs.clone()
                };
                for input in inputs {
                    match input {
                        Input::Bucket => request.bucket = Some(values.bucket.clone()),
                        Input::BucketRegion => request.bucket_region = Some("us-west-2".into()),
                        Input::LambdaArns => request.lambda_arns = values.lambda_arns.clone(),
                        Input::PolicyFile => {}
                        Input::PathPrefix => {
                            request
                                .other_inputs
                                .insert(input, vec![values.path_prefix.clone()]);
                        }
                        Input::KmsKeyArn => {
                            request
                                .other_inputs
                                .insert(input, vec![values.kms_key_arn.clone()]);
                        }
                        Input::KinesisStreamArn => {
                            request
                                .other_inputs
                                .insert(input, vec![values.kinesis_stream_arn.clone()]);
                        }
                        Input::DeliveryStreamArns => {
                            request
                                .other_inputs
                                .insert(input, values.delivery_stream_arns.clone());
                        }
                        Input::EmrClusterId => {
                            request
                                .other_inputs
                                .insert(input, vec![values.emr_cluster_id.clone()]);
                        }
                    }
                }
                request
            },
        )
}

/// Every resource string of a permission policy.
fn resources(policy: &Value) -> Vec<String> {
    policy["Statement"]
        .as_array()
        .expect("a list of statements")
        .iter()
        .flat_map(|statement| match &statement["Resource"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .map(|v| v.as_str().expect("a string resource").to_string())
                .collect(),
            other => panic!("unexpected resource {other}"),
        })
        .collect()
}

/// The trust policy holds exactly one statement: the principal, `sts:AssumeRole`, and a
/// `StringEquals` `sts:ExternalId` condition on the IDs.
fn assert_trust_shape(trust: &Value, principal: &str, ids: &[String]) {
    let expected_ids = match ids {
        [one] => json!(one),
        many => json!(many),
    };
    assert_eq!(
        trust,
        &json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "AWS": principal },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEquals": { "sts:ExternalId": expected_ids } }
            }]
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn trust_policy_holds_exactly_the_principal_assume_role_and_the_condition(request in valid_request()) {
        let plan = Plan::build(Catalog::builtin(), &request).expect("valid request");
        let integration = Catalog::builtin().integration(&request.integration).expect("known");
        assert_trust_shape(&plan.trust_policy, &integration.principal, &plan.external_ids);
        // What goes over the wire parses back to the same document.
        let reparsed: Value = serde_json::from_str(&plan.trust_policy.to_string()).expect("JSON");
        prop_assert_eq!(&reparsed, &plan.trust_policy);
    }

    /// Each statement is an Allow with no principal; every resource names only what was given
    /// (the bucket, the functions, the stream, the key, the account, the role) or is the
    /// documented `*` of a statement the docs scope by condition or by service; every value the
    /// policy uses appears in it.
    #[test]
    fn permission_policy_grants_only_the_chosen_resources(request in valid_request()) {
        use segment_aws_setup::model::catalog::Input;
        let plan = Plan::build(Catalog::builtin(), &request).expect("valid request");
        let preset = Catalog::builtin().preset(&plan.preset_id).expect("defined");
        let statements = plan.permission_policy["Statement"].as_array().expect("list");
        prop_assert!(!statements.is_empty() && statements.len() <= preset.statements.len());
        for statement in statements {
            prop_assert_eq!(&statement["Effect"], "Allow");
            prop_assert!(statement.get("Principal").is_none());
            prop_assert!(statement.get("NotResource").is_none() && statement.get("NotAction").is_none());
        }
        let role_arn = format!("arn:aws:iam::123456789012:role/{}", plan.role_name);
        let mut given: Vec<String> = [Input::Bucket, Input::LambdaArns, Input::KmsKeyArn, Input::KinesisStreamArn, Input::DeliveryStreamArns]
            .into_iter()
            .flat_map(|input| plan.inputs(input).to_vec())
            .collect();
        given.push("123456789012".into());
        given.push(role_arn);
        for resource in resources(&plan.permission_policy) {
            prop_assert!(
                resource == "*" || given.iter().any(|value| resource.contains(value.as_str())),
                "{} names nothing given", resource
            );
        }
        let all = resources(&plan.permission_policy).join(" ");
        for value in plan.inputs(Input::LambdaArns).iter()
            .chain(plan.inputs(Input::KinesisStreamArn))
            .chain(plan.inputs(Input::DeliveryStreamArns))
            .chain(plan.inputs(Input::KmsKeyArn))
        {
            prop_assert!(all.contains(value.as_str()), "{} is missing", value);
        }
        if let Some(bucket) = &request.bucket {
            let bucket_arn = format!("arn:aws:s3:::{}", bucket);
            prop_assert!(all.contains(&bucket_arn), "{} is missing", bucket_arn);
        }
    }

    /// Any string at all, quotes, braces and control characters included, stays a JSON string
    /// inside the documents: the structure never changes.
    #[test]
    fn no_input_can_inject_json(principal in ".*", ids in prop::collection::vec(".*", 1..4), value in ".*") {
        let trust = policy::trust_policy(&principal, &ids);
        let reparsed: Value = serde_json::from_str(&trust.to_string()).expect("JSON");
        assert_trust_shape(&reparsed, &principal, &ids);

        let statement: segment_aws_setup::model::catalog::StatementSpec = serde_json::from_value(json!({
            "action": "s3:PutObject", "resources": ["arn:aws:s3:::{bucket}/*"]
        })).expect("statement");
        let inputs = [(segment_aws_setup::model::catalog::Input::Bucket, vec![value.clone()])].into();
        let values = policy::PatternValues { inputs: &inputs, account: "123456789012", role_arn: "r" };
        let permission = policy::permission_policy(std::slice::from_ref(&statement), &values);
        let reparsed: Value = serde_json::from_str(&permission.to_string()).expect("JSON");
        prop_assert_eq!(reparsed["Statement"].as_array().map(Vec::len), Some(1));
        prop_assert_eq!(reparsed["Statement"][0].as_object().map(|o| o.len()), Some(3));
        prop_assert_eq!(&reparsed["Statement"][0]["Resource"], &json!(format!("arn:aws:s3:::{value}/*")));
    }

    #[test]
    fn every_generated_id_validates(length in 0usize..300) {
        let id = external_id::generate(length);
        prop_assert_eq!(id.len(), length.max(32));
        prop_assert!(validate::external_id(&id, 32).is_ok());
        for integration in Catalog::builtin().integrations() {
            prop_assert!(external_id::check(&id, &integration.external_id).is_ok());
        }
    }

    /// Any stack name gives a starter function a valid Lambda name (64 at most) and ARN, and its
    /// execution role a valid role name; its policy names only its own log group.
    #[test]
    fn a_starter_function_is_named_validly_after_any_stack(
        stack in "[A-Za-z][A-Za-z0-9-]{0,127}",
        account in "[0-9]{12}",
    ) {
        let name = segment_aws_setup::model::starter::Starter::name_for(&stack);
        prop_assert!(name.len() <= 64, "{}", name);
        let spec = segment_aws_setup::model::starter::StarterSpec {
            code: "lambda-destination.py".into(),
            runtime: "python3.13".into(),
            actions: Vec::new(),
            environment: Vec::new(),
        };
        let starter = segment_aws_setup::model::starter::Starter {
            name: name.clone(),
            region: "us-west-2".into(),
            account,
            spec,
            code: String::new(),
        };
        prop_assert!(validate::lambda_arn(&starter.arn()).is_ok(), "{}", starter.arn());
        prop_assert!(validate::role_name(&starter.role_name()).is_ok(), "{}", starter.role_name());
        for statement in starter.execution_policy()["Statement"].as_array().into_iter().flatten() {
            let resource = statement["Resource"].as_str().unwrap_or_default();
            prop_assert!(resource.contains(&format!("log-group:/aws/lambda/{name}")), "{}", resource);
        }
    }

    #[test]
    fn valid_names_pass_their_validators(
        role in "[A-Za-z0-9_+=,.@-]{1,64}",
        stack in "[A-Za-z][A-Za-z0-9-]{0,127}",
        bucket in valid_bucket(),
        account in "[0-9]{12}",
        arn in valid_lambda_arn(),
    ) {
        prop_assert!(validate::role_name(&role).is_ok());
        prop_assert!(validate::stack_name(&stack).is_ok());
        prop_assert!(validate::bucket_name(&bucket).is_ok());
        prop_assert!(validate::account_id(&account).is_ok());
        prop_assert!(validate::lambda_arn(&arn).is_ok());
        prop_assert!(validate::lambda_function_reference(&arn).is_ok());
        let role_arn = format!("arn:aws:iam::{account}:role/{role}");
        prop_assert!(validate::role_arn(&role_arn).is_ok());
    }

    #[test]
    fn a_forbidden_character_is_refused(
        prefix in "[a-z]{3,20}",
        bad in prop::sample::select(vec![' ', '"', '{', '}', '\n', '\\', '#', '*', 'é']),
    ) {
        let value = format!("{prefix}{bad}{prefix}");
        prop_assert!(validate::role_name(&value).is_err());
        prop_assert!(validate::stack_name(&value).is_err());
        prop_assert!(validate::bucket_name(&value).is_err());
        let long_enough = value.clone() + &"a".repeat(40);
        prop_assert!(validate::external_id(&long_enough, 32).is_err());
        prop_assert!(validate::workspace_id(&value).is_err());
        prop_assert!(validate::lambda_function_reference(&value).is_err());
    }

    /// A role path and a path prefix end up in policies (the role's own ARN, the bucket's
    /// resource): a wildcard in either is refused wherever it is, and anything else valid passes.
    #[test]
    fn wildcards_never_pass_into_a_path(
        folders in prop::collection::vec("[A-Za-z0-9_.-]{1,12}", 1..4),
        at in 0usize..4,
        wildcard in prop::sample::select(vec!['*', '?']),
    ) {
        let clean = folders.join("/");
        prop_assume!(!clean.split('/').any(|s| s == "." || s == ".."));
        prop_assert!(validate::path_prefix(&clean).is_ok());
        let clean_path = format!("/{clean}/");
        prop_assert!(validate::role_path(&clean_path).is_ok());
        let mut wild: Vec<String> = folders.clone();
        let index = at % wild.len();
        wild[index].push(wildcard);
        let wild = wild.join("/");
        prop_assert!(validate::path_prefix(&wild).is_err());
        let wild_path = format!("/{wild}/");
        prop_assert!(validate::role_path(&wild_path).is_err());
    }

    /// Whatever AWS puts in a row, a spreadsheet opening the CSV runs no formula and reads one
    /// cell: it never starts with a formula's first character, and the row keeps its columns.
    #[test]
    fn a_csv_cell_is_never_a_formula(text in "\\PC*", first in prop::sample::select(vec!['=', '+', '-', '@', '\t', '\r', 'a'])) {
        let value = format!("{first}{text}");
        let cell = segment_aws_setup::model::stackset::csv_field(&value);
        let unquoted = cell.strip_prefix('"').unwrap_or(&cell);
        prop_assert!(!unquoted.starts_with(['=', '+', '-', '@', '\t', '\r']), "{}", cell);
        let rows = segment_aws_setup::model::stackset::csv(
            &[segment_aws_setup::model::stackset::InstanceRow {
                account: "111111111111".into(),
                region: "us-east-1".into(),
                status: "FAILED".into(),
                reason: Some(value),
            }],
            "role",
        );
        prop_assert_eq!(rows.lines().next(), Some("account,region,status,role_arn,reason"));
    }

    #[test]
    fn lengths_beyond_the_limits_are_refused(extra in 1usize..50) {
        prop_assert!(validate::role_name(&"r".repeat(64 + extra)).is_err());
        prop_assert!(validate::stack_name(&"s".repeat(128 + extra)).is_err());
        prop_assert!(validate::bucket_name(&"b".repeat(63 + extra)).is_err());
        prop_assert!(validate::external_id(&"e".repeat(1224 + extra), 2).is_err());
        prop_assert!(validate::external_id(&"e".repeat(32usize.saturating_sub(extra).max(2)), 32).is_err());
    }
}

#[test]
fn two_generated_ids_differ() {
    let ids: std::collections::BTreeSet<String> =
        (0..1000).map(|_| external_id::generate(40)).collect();
    assert_eq!(ids.len(), 1000);
}

mod trust_fix {
    //! For any trust policy built from the parts real ones are made of: `--fix`'s result passes
    //! every probe or the fix refuses; it never removes a statement that names none of Segment's
    //! principals, `*`, or an account other than the customer's; it removes a Deny only when
    //! confirmed.

    use proptest::prelude::*;
    use segment_aws_setup::model::catalog::Catalog;
    use segment_aws_setup::model::verify::{self, RepairPlan, Subject};
    use serde_json::{Value, json};

    const CUSTOMER: &str = "123456789012";
    const ID: &str = "an-external-id-that-is-long-enough-0001";

    fn principal(segment: &str, segment_account: &str) -> impl Strategy<Value = Value> {
        let choices: Vec<Value> = vec![
            json!({"AWS": segment}),
            json!({"AWS": segment_account}),
            json!({"AWS": format!("arn:aws:iam::{segment_account}:root")}),
            json!({"AWS": format!("arn:aws:iam::{segment_account}:role/other")}),
            json!("*"),
            json!({"AWS": "*"}),
            json!({"AWS": format!("arn:aws:iam::{CUSTOMER}:root")}),
            json!({"AWS": format!("arn:aws:iam::{CUSTOMER}:role/ops")}),
            json!({"AWS": "arn:aws:iam::999999999999:root"}),
            json!({"AWS": "arn:aws:iam::999999999999:user/bob"}),
            json!({"Service": "lambda.amazonaws.com"}),
            json!({"AWS": "AROAEXAMPLEEXAMPLE1234"}),
            json!({"AWS": [segment, format!("arn:aws:iam::{CUSTOMER}:root")]}),
            json!({"AWS": [segment, "arn:aws:iam::999999999999:root"]}),
            json!({"AWS": ["*", format!("arn:aws:iam::{CUSTOMER}:role/ops")]}),
            json!({"AWS": format!("arn:aws:iam::{CUSTOMER}:root"), "Service": "ec2.amazonaws.com"}),
        ];
        prop::sample::select(choices)
    }

    fn action() -> impl Strategy<Value = (&'static str, Value)> {
        prop::sample::select(vec![
            ("Action", json!("sts:AssumeRole")),
            ("Action", json!("sts:*")),
            ("Action", json!("*")),
            ("Action", json!("sts:Assume*")),
            ("Action", json!(["sts:AssumeRole", "sts:TagSession"])),
            ("Action", json!("sts:AssumeRoleWithWebIdentity")),
            ("NotAction", json!("s3:*")),
            ("NotAction", json!("sts:AssumeRole")),
        ])
    }

    fn condition() -> impl Strategy<Value = Option<Value>> {
        prop::sample::select(vec![
            None,
            Some(json!({"StringEquals": {"sts:ExternalId": ID}})),
            Some(
                json!({"StringEquals": {"sts:ExternalId": [ID, "old-rotated-out-external-id-000000"]}}),
            ),
            Some(json!({"StringEquals": {"sts:ExternalId": "some-other-external-id-00000000000"}})),
            Some(json!({"StringEquals": {"sts:ExternalId": [ID, "external-id"]}})),
            Some(json!({"StringEquals": {"sts:ExternalId": ["*", ID]}})),
            Some(json!({"StringLike": {"sts:ExternalId": "*"}})),
            Some(json!({"StringEqualsIfExists": {"sts:ExternalId": ID}})),
            Some(json!({"ForAllValues:StringEquals": {"sts:ExternalId": ID}})),
            Some(json!({"StringNotEquals": {"sts:ExternalId": ID}})),
            Some(json!({"Null": {"sts:ExternalId": "false"}})),
            Some(
                json!({"StringEquals": {"sts:ExternalId": ID}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            ),
            Some(
                json!({"StringEquals": {"sts:ExternalId": ID, "aws:PrincipalAccount": "458175278816"}}),
            ),
            Some(json!({"Bool": {"aws:SecureTransport": "true"}})),
            Some(json!({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})),
            Some(json!({"NoSuchOperator": {"sts:ExternalId": ID}})),
        ])
    }

    fn statement(segment: &'static str, account: &'static str) -> impl Strategy<Value = Value> {
        (
            prop::sample::select(vec!["Allow", "Allow", "Allow", "Deny"]),
            any::<bool>(),
            principal(segment, account),
            action(),
            condition(),
        )
            .prop_map(
                |(effect, negated, principal, (action_key, action), condition)| {
                    // NotPrincipal is rare and mostly a Deny's.
                    let principal_key = if negated && effect == "Deny" {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    let mut statement =
                        json!({"Effect": effect, principal_key: principal, action_key: action});
                    if let Some(condition) = condition {
                        statement["Condition"] = condition;
                    }
                    statement
                },
            )
    }

    fn case() -> impl Strategy<Value = (&'static str, Vec<Value>)> {
        prop_oneof![
            prop::collection::vec(
                statement("arn:aws:iam::458175278816:root", "458175278816"),
                1..5
            )
            .prop_map(|s| ("destination-function", s)),
            prop::collection::vec(
                statement(
                    "arn:aws:iam::595280932656:role/customer-lambda-prod-destination-access",
                    "595280932656"
                ),
                1..5
            )
            .prop_map(|s| ("lambda-destination", s)),
        ]
    }

    /// Whether a statement may be removed by the fix: it names Segment's principal or account,
    /// everyone, or an account other than the customer's (or it is a NotPrincipal).
    fn removable(statement: &Value, segment_account: &str) -> bool {
        if statement.get("NotPrincipal").is_some() {
            return true;
        }
        let text = statement["Principal"].to_string();
        text.contains(segment_account) || text.contains("\"*\"") || text.contains("999999999999")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn the_fix_passes_every_probe_or_refuses((integration, statements) in case(), confirm in any::<bool>()) {
            let integration = Catalog::builtin().integration(integration).expect("known");
            let id = if integration.id == "lambda-destination" { "wXZ2sd8N3mJ" } else { ID };
            let statements: Vec<Value> = statements
                .into_iter()
                .map(|s| serde_json::from_str(&s.to_string().replace(ID, id)).expect("JSON"))
                .collect();
            let document = json!({"Version": "2012-10-17", "Statement": statements.clone()});
            let subject = Subject::new(integration, vec![id.to_string()], "arn:aws:iam::123456789012:role/r", 1_795_000_000);
            let judged = verify::judge(&document, &subject);
            let confirmed = if confirm { judged.blocking_denies.clone() } else { Vec::new() };
            match verify::repair(&document, &subject, &confirmed) {
                RepairPlan::NotNeeded => prop_assert!(judged.holds()),
                RepairPlan::Refused { reasons, .. } => prop_assert!(!reasons.is_empty()),
                RepairPlan::Proposed { document: fixed, after, .. } => {
                    prop_assert!(after.holds());
                    prop_assert!(verify::judge(&fixed, &subject).holds());
                    let kept = fixed["Statement"].as_array().expect("a list");
                    let segment_account = subject.segment_account();
                    for (index, statement) in statements.iter().enumerate() {
                        let survives = kept.contains(statement);
                        if statement["Effect"] == "Deny" && !confirmed.contains(&(index + 1)) {
                            prop_assert!(kept.contains(statement), "an unconfirmed Deny was removed: {statement}");
                        } else if !removable(statement, &segment_account) {
                            prop_assert!(survives, "statement {} was removed: {statement}", index + 1);
                        }
                    }
                }
            }
        }
    }
}

mod hostile {
    //! Hostile values that pass validation (so every case reaches the assertions): external IDs
    //! and workspace IDs made of the allowed alphabet's most awkward characters, ARN-looking IDs,
    //! and custom policy files whose strings hold quotes, backslashes, `${}`, JSON fragments,
    //! escape sequences and Unicode look-alikes. They end up as plain strings in documents whose
    //! structure never changes, and no external ID ever reaches a command line.

    use super::assert_trust_shape;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    use segment_aws_setup::model::plan::{PlanRequest, PolicyFile};
    use segment_aws_setup::{Catalog, Plan};
    use serde_json::{Value, json};

    fn awkward_id(min: usize) -> impl Strategy<Value = String> {
        let alphabet = vec![
            'a', 'Z', '9', '_', '+', '=', ',', '.', '@', ':', '/', '-', 'l', '1', 'I', 'O', '0',
        ];
        (
            prop::sample::select(vec![
                "",
                "arn:aws:iam::458175278816:root",
                "..//",
                "sts:ExternalId=",
                "@@,,",
            ]),
            prop::collection::vec(prop::sample::select(alphabet), min..min + 40),
        )
            .prop_map(|(prefix, chars)| {
                format!("{prefix}{}", chars.into_iter().collect::<String>())
            })
    }

    fn hostile_text() -> impl Strategy<Value = String> {
        let fragments = vec![
            "\"",
            "\\",
            "${aws:username}",
            "${*}",
            "\"},{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}",
            "</script>",
            "Аllow",
            "Principаl",
            "\u{202e}",
            "\u{1b}]52;c;ZXZpbA==\u{7}",
            "\u{9b}2J",
            "{{}}",
            "\n",
            "😀",
            "' ; rm -rf / ; '",
            "$(id)",
            "`id`",
        ];
        prop::collection::vec(prop::sample::select(fragments), 1..5)
            .prop_map(|parts| parts.concat())
    }

    #[derive(Debug, Clone)]
    enum Case {
        Function {
            integration: &'static str,
            id: String,
            sid: String,
            resource: String,
        },
        Lambda {
            ids: Vec<String>,
            function: String,
        },
    }

    fn case() -> impl Strategy<Value = Case> {
        prop_oneof![
            (
                prop::sample::select(vec!["destination-function", "source-function"]),
                awkward_id(32),
                hostile_text(),
                hostile_text()
            )
                .prop_map(|(integration, id, sid, resource)| Case::Function {
                    integration,
                    id,
                    sid,
                    resource
                }),
            (
                prop::collection::vec("[A-Za-z0-9_-]{12,30}", 1..4),
                "[A-Za-z0-9_-]{1,40}"
            )
                .prop_map(|(ids, function)| Case::Lambda { ids, function }),
        ]
    }

    #[test]
    fn hostile_inputs_are_refused_or_harmless() {
        const CASES: u32 = 300;
        let mut runner = TestRunner::new(Config::with_cases(CASES));
        let reached = std::cell::Cell::new(0u32);
        runner
            .run(&case(), |case| {
                let (request, ids, document) = match &case {
                    Case::Function {
                        integration,
                        id,
                        sid,
                        resource,
                    } => {
                        let document = json!({"Version": "2012-10-17", "Statement": [{
                            "Sid": sid, "Effect": "Allow", "Action": "s3:GetObject",
                            "Resource": format!("arn:aws:s3:::bucket/{resource}")
                        }]});
                        let request = PlanRequest {
                            integration: integration.to_string(),
                            external_ids: vec![id.clone()],
                            policy_file: Some(PolicyFile {
                                path: "hostile.json".into(),
                                text: document.to_string(),
                            }),
                            ..PlanRequest::default()
                        };
                        (request, vec![id.clone()], Some(document))
                    }
                    Case::Lambda { ids, function } => {
                        let request = PlanRequest {
                            integration: "lambda-destination".into(),
                            workspace_ids: ids.clone(),
                            lambda_arns: vec![format!(
                                "arn:aws:lambda:us-west-2:123456789012:function:{function}"
                            )],
                            ..PlanRequest::default()
                        };
                        (request, ids.clone(), None)
                    }
                };
                let plan = Plan::build(Catalog::builtin(), &request);
                prop_assert!(plan.is_ok(), "valid input refused: {:?}", plan.err());
                let plan = plan.expect("checked");
                reached.set(reached.get() + 1);
                let principal = &Catalog::builtin()
                    .integration(&request.integration)
                    .expect("known")
                    .principal;
                assert_trust_shape(&plan.trust_policy, principal, &ids);
                if let Some(document) = &document {
                    prop_assert_eq!(&plan.permission_policy, document);
                    // The template carries the same document, written in as a value.
                    let written = plan.template.to_string();
                    let reparsed: Value =
                        serde_json::from_str(&written).expect("the template is JSON");
                    prop_assert_eq!(reparsed, plan.template.clone());
                    prop_assert!(
                        written.contains(
                            &serde_json::to_string(&document["Statement"][0]["Resource"])
                                .expect("JSON")
                        )
                    );
                }
                // What the plan prints and writes parses back to the same documents.
                let json: Value = serde_json::from_str(&plan.to_json().to_string()).expect("JSON");
                prop_assert_eq!(&json["trustPolicy"], &plan.trust_policy);
                prop_assert_eq!(&json["permissionPolicy"], &plan.permission_policy);
                for (name, text, _) in plan.documents() {
                    prop_assert!(
                        serde_json::from_str::<Value>(&text).is_ok(),
                        "{} is JSON",
                        name
                    );
                }
                for command in plan.cli_commands() {
                    for id in &ids {
                        prop_assert!(
                            !command.contains(id.as_str()),
                            "an ID on a command line: {}",
                            command
                        );
                    }
                }
                Ok(())
            })
            .expect("every hostile case stays harmless");
        assert_eq!(reached.get(), CASES, "every case reached the assertions");
    }
}

/// Plain mode's source-ID answer: whatever is typed, the IDs it gives are listed sources or valid
/// IDs, each once, and every listed row named by number is among them.
mod source_id_answers {
    use proptest::prelude::*;
    use segment_aws_setup::model::segment::{Source, source_ids_answer};
    use segment_aws_setup::model::validate;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        #[test]
        fn answers_give_listed_or_valid_ids_once(
            ids in prop::collection::vec("[A-Za-z0-9]{2,12}", 0..6),
            items in prop::collection::vec(prop_oneof!["[1-7]", "[A-Za-z0-9]{2,8}", ".{0,6}"], 0..5),
        ) {
            let sources: Vec<Source> = ids
                .iter()
                .map(|id| Source { id: id.clone(), name: id.clone(), slug: id.clone() })
                .collect();
            let answer = items.join(",");
            if let Ok(given) = source_ids_answer(&answer, &sources) {
                let mut seen = std::collections::HashSet::new();
                for id in &given {
                    prop_assert!(seen.insert(id.clone()), "{} twice", id);
                    prop_assert!(
                        sources.iter().any(|s| &s.id == id) || validate::workspace_id(id).is_ok(),
                        "{} is neither listed nor valid", id
                    );
                }
                for item in &items {
                    if let Ok(row) = item.trim().parse::<usize>()
                        && (1..=sources.len()).contains(&row)
                    {
                        prop_assert!(given.contains(&sources[row - 1].id));
                    }
                }
            }
        }
    }
}
