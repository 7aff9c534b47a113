//! Picking resources from the account: the wizard's pickers driven by key messages through
//! `update()` (listed once per step, filtered by typing, picked with ↑↓ and Enter, another
//! region with Ctrl-R, typing by hand when listing is refused), snapshots of each at 80×24, the
//! engine's listing on the fake (slow, refused) and on moto (every kind, buckets in several
//! regions), and plain mode's numbered lists in the demo account.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segment_aws_setup::aws::Caller;
use segment_aws_setup::aws::fake::FakeResources;
use segment_aws_setup::engine;
use segment_aws_setup::model::picker::{Resource, ResourceKind};
use segment_aws_setup::ui::tui::{Options, initial_app, view};
use segment_aws_setup::ui::tui::{
    state::{App, Cmd, Listing, Msg, Step},
    update::update,
};

const ACCOUNT: &str = "123456789012";
const GENERATED: &str = "Gq7RtY2uIoP4aSdF6gHjK8lZxC0vBnM1QwErTyU3";

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn text(app: &mut App, typed: &str) -> Vec<Cmd> {
    typed
        .chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.width, app.height)).expect("terminal");
    terminal.draw(|frame| view::draw(app, frame)).expect("draw");
    terminal.backend().to_string()
}

fn listings(commands: &[Cmd]) -> Vec<(ResourceKind, String)> {
    commands
        .iter()
        .filter_map(|c| match c {
            Cmd::ListResources {
                kind,
                region,
                account,
            } => {
                assert_eq!(account, ACCOUNT);
                Some((*kind, region.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The wizard on the Permissions step of this integration, in an account whose region is
/// `region`; returns the commands arriving there asked for.
fn to_permissions(integration: &str, region: &str) -> (App, Vec<Cmd>) {
    let mut app = initial_app(&Options::default(), 80, 24);
    update(
        &mut app,
        Msg::Identity(Ok((
            Caller {
                account: ACCOUNT.into(),
                arn: format!("arn:aws:iam::{ACCOUNT}:user/jo"),
            },
            region.into(),
        ))),
    );
    update(&mut app, Msg::ExternalIdGenerated(GENERATED.into()));
    key(&mut app, KeyCode::Enter);
    for _ in 0..segment_aws_setup::model::catalog::Catalog::builtin()
        .integrations()
        .len()
    {
        if app.integration().id == integration {
            break;
        }
        key(&mut app, KeyCode::Down);
    }
    assert_eq!(app.integration().id, integration);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::ExternalId);
    if app.uses_workspace_id() {
        text(&mut app, "w0rkspace1");
    }
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Permissions, "{}", screen(&app));
    (app, commands)
}

fn listed(app: &mut App, kind: ResourceKind, region: &str, found: &[(&str, &str, Option<&str>)]) {
    let commands = update(
        app,
        Msg::ResourcesListed {
            kind,
            region: region.into(),
            result: Ok(found
                .iter()
                .map(|(name, value, region)| Resource {
                    name: name.to_string(),
                    value: value.to_string(),
                    region: region.map(str::to_string),
                })
                .collect()),
        },
    );
    assert!(listings(&commands).is_empty(), "nothing listed twice");
}

fn function(region: &str, name: &str) -> String {
    format!("arn:aws:lambda:{region}:{ACCOUNT}:function:{name}")
}

/// Arriving on Permissions lists the account's buckets once; typing filters them, Enter takes
/// the highlighted one and its region comes with it: nothing typed that AWS can tell.
#[test]
fn buckets_are_listed_once_filtered_and_picked_with_their_region() {
    let (mut app, commands) = to_permissions("destination-function", "us-east-1");
    assert_eq!(
        listings(&commands),
        [(ResourceKind::Buckets, String::new())]
    );
    assert!(app.is_working(), "the spinner turns while the list loads");
    listed(
        &mut app,
        ResourceKind::Buckets,
        "",
        &[
            ("acme-eu-exports", "acme-eu-exports", Some("eu-west-1")),
            (
                "acme-events-archive",
                "acme-events-archive",
                Some("us-east-1"),
            ),
            ("acme-segment-logs", "acme-segment-logs", Some("us-west-2")),
        ],
    );
    assert!(!app.is_working());
    key(&mut app, KeyCode::Tab);
    let shown = screen(&app);
    insta::assert_snapshot!("picker_buckets", shown);
    for bucket in [
        "acme-eu-exports (eu-west-1)",
        "acme-segment-logs (us-west-2)",
    ] {
        assert!(shown.contains(bucket), "{shown}");
    }
    // Typing filters; no key asks AWS again.
    let typed = text(&mut app, "ex");
    assert!(listings(&typed).is_empty());
    let shown = screen(&app);
    assert!(
        shown.contains("acme-eu-exports") && !shown.contains("acme-segment-logs"),
        "{shown}"
    );
    assert!(shown.contains("1 of 3 S3 buckets"), "{shown}");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.permissions.bucket.value(), "acme-eu-exports");
    assert_eq!(
        app.permissions.bucket_region.value(),
        "eu-west-1",
        "the region came with it"
    );
    assert_eq!(app.step, Step::Permissions, "Enter took the row, and stays");
    app.plan().expect("a plan");
    assert_eq!(app.request().bucket_region.as_deref(), Some("eu-west-1"));
    // ↑↓ move among the matches.
    app.permissions.bucket = tui_input::Input::default();
    app.permissions.bucket_region = tui_input::Input::default();
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.permissions.bucket.value(), "acme-events-archive");
    // A name typed by hand that the account has gets its region too, left empty.
    app.permissions.bucket = tui_input::Input::new("acme-segment-logs".into());
    app.permissions.bucket_region = tui_input::Input::default();
    assert_eq!(app.request().bucket_region.as_deref(), Some("us-west-2"));
    // And one it doesn't have takes the account's region, as before.
    app.permissions.bucket = tui_input::Input::new("somewhere-else".into());
    assert_eq!(app.request().bucket_region.as_deref(), Some("us-east-1"));
    // Enter on a whole value moves on; coming back doesn't list again.
    key(&mut app, KeyCode::Esc);
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method);
    assert!(listings(&commands).is_empty());
    let commands = key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Permissions);
    assert!(listings(&commands).is_empty(), "listed once: {commands:?}");
}

/// A list input (Lambda ARNs) takes one row after another, each filtered by what follows the
/// last comma; Ctrl-R lists the next region.
#[test]
fn functions_fill_a_list_and_ctrl_r_lists_another_region() {
    let (mut app, commands) = to_permissions("lambda-destination", "us-west-2");
    assert_eq!(
        listings(&commands),
        [(ResourceKind::Functions, "us-west-2".to_string())]
    );
    listed(
        &mut app,
        ResourceKind::Functions,
        "us-west-2",
        &[
            (
                "enrich-profile",
                &function("us-west-2", "enrich-profile"),
                None,
            ),
            (
                "segment-event-handler",
                &function("us-west-2", "segment-event-handler"),
                None,
            ),
            ("thumbnailer", &function("us-west-2", "thumbnailer"), None),
        ],
    );
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("picker_functions", screen(&app));
    // Nothing is highlighted yet: ↓ highlights the first row, Enter takes it.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.permissions.lambda_arns.value(),
        format!("{}, ", function("us-west-2", "enrich-profile"))
    );
    text(&mut app, "thumb");
    key(&mut app, KeyCode::Enter);
    app.plan().expect("a plan");
    assert_eq!(
        app.request().lambda_arns,
        [
            function("us-west-2", "enrich-profile"),
            function("us-west-2", "thumbnailer")
        ]
    );
    // Nothing is being filtered: Enter moves on.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Tab);
    let commands = ctrl(&mut app, 'r');
    let next = app.listing_region(ResourceKind::Functions);
    assert_ne!(next, "us-west-2");
    assert_eq!(
        listings(&commands),
        [(ResourceKind::Functions, next.clone())]
    );
    assert_eq!(
        app.listing(ResourceKind::Functions),
        Some(&Listing::Loading)
    );
    let shown = screen(&app);
    assert!(
        shown.contains(&format!("listing Lambda functions in {next}")),
        "{shown}"
    );
    insta::assert_snapshot!("picker_loading", shown);
}

/// Amazon Personalize's Lambda must be in us-west-2: that is the region listed whatever the
/// account's, and no other is offered.
#[test]
fn personalize_lists_functions_of_us_west_2_only() {
    let (mut app, commands) = to_permissions("personalize-destination", "eu-west-1");
    assert_eq!(
        listings(&commands),
        [(ResourceKind::Functions, "us-west-2".to_string())]
    );
    key(&mut app, KeyCode::Tab);
    assert!(listings(&ctrl(&mut app, 'r')).is_empty());
    assert_eq!(app.listing_region(ResourceKind::Functions), "us-west-2");
    assert!(!screen(&app).contains("Ctrl-R"), "{}", screen(&app));
}

/// Listing refused: one sentence, and typing by hand works as before.
#[test]
fn a_refused_listing_says_so_and_typing_works() {
    let (mut app, commands) = to_permissions("kinesis-destination", "us-east-1");
    assert_eq!(
        listings(&commands),
        [
            (ResourceKind::Streams, "us-east-1".to_string()),
            (ResourceKind::KmsKeys, "us-east-1".to_string())
        ]
    );
    update(
        &mut app,
        Msg::ResourcesListed {
            kind: ResourceKind::Streams,
            region: "us-east-1".into(),
            result: Err("AWS refused kinesis:ListStreams, so Kinesis streams in us-east-1 can't be listed: type it instead.".into()),
        },
    );
    key(&mut app, KeyCode::Tab);
    let shown = screen(&app);
    assert!(
        shown.contains("! AWS refused kinesis:ListStreams"),
        "{shown}"
    );
    insta::assert_snapshot!("picker_refused", shown);
    let stream = format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/typed-by-hand");
    text(&mut app, &stream);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method, "{}", screen(&app));
    // Coming back to the step asks again: it may be allowed now.
    let commands = key(&mut app, KeyCode::Esc);
    assert_eq!(
        listings(&commands),
        [(ResourceKind::Streams, "us-east-1".to_string())]
    );
}

/// Each kind's picker at 80×24: Kinesis streams, Firehose delivery streams, KMS keys (the
/// optional KMS statement of the Kinesis and AWS S3 presets).
#[test]
fn each_picker_fits_80_by_24() {
    let (mut app, commands) = to_permissions("kinesis-destination", "us-east-1");
    assert_eq!(
        listings(&commands),
        [
            (ResourceKind::Streams, "us-east-1".to_string()),
            (ResourceKind::KmsKeys, "us-east-1".to_string())
        ]
    );
    let stream = |name: &str| format!("arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}");
    listed(
        &mut app,
        ResourceKind::Streams,
        "us-east-1",
        &[
            ("clickstream", &stream("clickstream"), None),
            ("segment-events", &stream("segment-events"), None),
        ],
    );
    let key_arn = |id: &str| format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{id}");
    listed(
        &mut app,
        ResourceKind::KmsKeys,
        "us-east-1",
        &[
            (
                "alias/data-lake",
                &key_arn("1111aaaa-2222-bbbb-3333-cccc4444dddd"),
                None,
            ),
            (
                "alias/segment-exports",
                &key_arn("5555eeee-6666-ffff-7777-000088889999"),
                None,
            ),
            (
                "9999aaaa-8888-bbbb-7777-cccc6666dddd",
                &key_arn("9999aaaa-8888-bbbb-7777-cccc6666dddd"),
                None,
            ),
        ],
    );
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("picker_streams", screen(&app));
    // ↓ highlights the first row, ↓ again the second.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.permissions
            .more_inputs
            .get(&segment_aws_setup::model::catalog::Input::KinesisStreamArn)
            .map(|i| i.value().to_string()),
        Some(stream("segment-events"))
    );
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("picker_kms_keys", screen(&app));
    text(&mut app, "exports");
    key(&mut app, KeyCode::Enter);
    let plan = app.plan().expect("a plan");
    let policy = plan.permission_policy.to_string();
    assert!(
        policy.contains("5555eeee-6666-ffff-7777-000088889999"),
        "{policy}"
    );

    let (mut app, _) = to_permissions("firehose-destination", "us-east-1");
    let delivery =
        |name: &str| format!("arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/{name}");
    listed(
        &mut app,
        ResourceKind::DeliveryStreams,
        "us-east-1",
        &[
            (
                "pageviews-to-redshift",
                &delivery("pageviews-to-redshift"),
                None,
            ),
            ("segment-to-s3", &delivery("segment-to-s3"), None),
        ],
    );
    key(&mut app, KeyCode::Tab);
    insta::assert_snapshot!("picker_delivery_streams", screen(&app));
    text(&mut app, "page");
    key(&mut app, KeyCode::Enter);
    text(&mut app, "s3");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Permissions);
    let plan = app.plan().expect("a plan");
    let policy = plan.permission_policy.to_string();
    for name in ["pageviews-to-redshift", "segment-to-s3"] {
        assert!(policy.contains(&delivery(name)), "{policy}");
    }
}

/// Without an account (plan-only mode) nothing is listed.
#[test]
fn nothing_is_listed_without_an_account() {
    let mut app = initial_app(&Options::default(), 80, 24);
    update(&mut app, Msg::Identity(Err("no credentials".into())));
    update(&mut app, Msg::ExternalIdGenerated(GENERATED.into()));
    let mut commands = Vec::new();
    for _ in 0..6 {
        commands.extend(key(&mut app, KeyCode::Enter));
        if app.step == Step::Permissions {
            break;
        }
    }
    assert_eq!(app.step, Step::Permissions, "{}", screen(&app));
    assert!(listings(&commands).is_empty());
}

/// The engine's listing: sorted by name; refused or slow, a sentence that says to type it.
#[tokio::test(start_paused = true)]
async fn the_engine_lists_sorted_and_says_why_when_it_cannot() {
    let resources = FakeResources::demo();
    let buckets = engine::list_resources(&resources, ResourceKind::Buckets, "us-east-1", ACCOUNT)
        .await
        .expect("listed");
    let names: Vec<&str> = buckets.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "acme-eu-exports",
            "acme-events-archive",
            "acme-segment-logs"
        ]
    );
    assert_eq!(buckets[2].region.as_deref(), Some("us-west-2"));
    let west = engine::list_resources(&resources, ResourceKind::Functions, "us-west-2", ACCOUNT)
        .await
        .expect("listed");
    assert!(
        west.iter().all(|f| f.value.contains(":us-west-2:")),
        "{west:?}"
    );

    resources.deny(ResourceKind::Buckets);
    let refused = engine::list_resources(&resources, ResourceKind::Buckets, "us-east-1", ACCOUNT)
        .await
        .expect_err("refused");
    assert_eq!(
        refused,
        "AWS refused s3:ListAllMyBuckets, so S3 buckets can't be listed: type it instead."
    );
    resources.slow(std::time::Duration::from_secs(60));
    let slow = engine::list_resources(&resources, ResourceKind::Streams, "us-east-1", ACCOUNT)
        .await
        .expect_err("too slow");
    assert_eq!(
        slow,
        "Listing Kinesis streams in us-east-1 took over 8 s: type it instead."
    );
}

/// Every kind listed from moto through the SDK: buckets in three regions (each with its own),
/// functions, streams, delivery streams and customer keys (not AWS managed ones).
#[tokio::test]
async fn every_kind_is_listed_from_moto() {
    let moto = crate::moto::moto();
    let config = moto.sdk_config().await;
    let prefix = crate::support::unique("pick");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    for region in ["us-east-1", "us-west-2", "eu-west-1"] {
        let mut create = s3.create_bucket().bucket(format!("{prefix}-{region}"));
        if region != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(region.into())
                    .build(),
            );
        }
        create.send().await.expect("bucket created");
    }
    let iam = aws_sdk_iam::Client::new(&config);
    let role = iam
        .create_role()
        .role_name(format!("{prefix}-lambda"))
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("role created");
    let role_arn = role.role().map(|r| r.arn().to_string()).unwrap_or_default();
    let lambda = aws_sdk_lambda::Client::new(&config);
    // The smallest zip file: an empty archive.
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 18]);
    lambda
        .create_function()
        .function_name(format!("{prefix}-fn"))
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .role(&role_arn)
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(zip))
                .build(),
        )
        .send()
        .await
        .expect("function created");
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    kinesis
        .create_stream()
        .stream_name(format!("{prefix}-stream"))
        .shard_count(1)
        .send()
        .await
        .expect("stream created");
    let firehose = aws_sdk_firehose::Client::new(&config);
    firehose
        .create_delivery_stream()
        .delivery_stream_name(format!("{prefix}-delivery"))
        .extended_s3_destination_configuration(
            aws_sdk_firehose::types::ExtendedS3DestinationConfiguration::builder()
                .role_arn(&role_arn)
                .bucket_arn(format!("arn:aws:s3:::{prefix}-us-east-1"))
                .build()
                .expect("destination"),
        )
        .send()
        .await
        .expect("delivery stream created");
    let kms = aws_sdk_kms::Client::new(&config);
    let key = kms.create_key().send().await.expect("key created");
    let key_id = key
        .key_metadata()
        .map(|k| k.key_id().to_string())
        .unwrap_or_default();
    kms.create_alias()
        .alias_name(format!("alias/{prefix}-key"))
        .target_key_id(&key_id)
        .send()
        .await
        .expect("alias created");

    let resources = segment_aws_setup::aws::sdk::SdkResources::new(&config);
    let list = |kind| engine::list_resources(&resources, kind, "us-east-1", ACCOUNT);
    let ours = |found: Vec<Resource>| -> Vec<Resource> {
        found
            .into_iter()
            .filter(|r| r.name.contains(&prefix))
            .collect()
    };
    let buckets = ours(list(ResourceKind::Buckets).await.expect("buckets"));
    let regions: Vec<(String, Option<String>)> = buckets
        .iter()
        .map(|b| (b.name.clone(), b.region.clone()))
        .collect();
    assert_eq!(
        regions,
        [
            (format!("{prefix}-eu-west-1"), Some("eu-west-1".into())),
            (format!("{prefix}-us-east-1"), Some("us-east-1".into())),
            (format!("{prefix}-us-west-2"), Some("us-west-2".into())),
        ]
    );
    let functions = ours(list(ResourceKind::Functions).await.expect("functions"));
    assert_eq!(functions.len(), 1, "{functions:?}");
    assert!(functions[0].value.starts_with("arn:aws:lambda:us-east-1:"));
    assert!(
        segment_aws_setup::model::validate::lambda_arn(&functions[0].value).is_ok(),
        "{functions:?}"
    );
    let streams = ours(list(ResourceKind::Streams).await.expect("streams"));
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert!(
        segment_aws_setup::model::validate::kinesis_stream_arn(&streams[0].value).is_ok(),
        "{streams:?}"
    );
    let deliveries = ours(
        list(ResourceKind::DeliveryStreams)
            .await
            .expect("delivery streams"),
    );
    assert_eq!(
        deliveries
            .iter()
            .map(|d| d.value.clone())
            .collect::<Vec<_>>(),
        [format!(
            "arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/{prefix}-delivery"
        )]
    );
    let keys = ours(list(ResourceKind::KmsKeys).await.expect("keys"));
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].value.ends_with(&key_id), "{keys:?}");
    assert!(
        segment_aws_setup::model::validate::kms_key_arn(&keys[0].value).is_ok(),
        "{keys:?}"
    );
    // Another region holds none of them.
    let elsewhere =
        engine::list_resources(&resources, ResourceKind::Functions, "ap-south-1", ACCOUNT)
            .await
            .expect("functions");
    assert!(ours(elsewhere).is_empty());
}

/// A KMS key encrypts data in its own region only: the key picker lists the bucket's region
/// once the bucket is picked (AWS S3 destination's optional KMS statement).
#[test]
fn kms_keys_are_listed_where_the_bucket_is() {
    let (mut app, commands) = to_permissions("s3-destination", "us-east-1");
    assert_eq!(
        listings(&commands),
        [
            (ResourceKind::Buckets, String::new()),
            (ResourceKind::KmsKeys, "us-east-1".to_string())
        ]
    );
    listed(
        &mut app,
        ResourceKind::Buckets,
        "",
        &[("acme-eu-exports", "acme-eu-exports", Some("eu-west-1"))],
    );
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Down);
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.permissions.bucket_region.value(), "eu-west-1");
    assert_eq!(
        listings(&commands),
        [(ResourceKind::KmsKeys, "eu-west-1".to_string())]
    );
    assert_eq!(app.listing_region(ResourceKind::KmsKeys), "eu-west-1");
}

/// Amazon Personalize's function outside us-west-2 is warned about in the plan, every face.
#[test]
fn a_personalize_function_outside_us_west_2_is_warned_about() {
    let (mut app, _) = to_permissions("personalize-destination", "eu-west-1");
    key(&mut app, KeyCode::Tab);
    text(&mut app, &function("eu-west-1", "forwarder"));
    let plan = app.plan().expect("a plan");
    assert!(
        plan.warnings
            .iter()
            .any(|w| w.contains("needs its Lambda function in us-west-2")
                && w.contains("is in eu-west-1")),
        "{:?}",
        plan.warnings
    );
    app.permissions.lambda_arns = tui_input::Input::new(function("us-west-2", "forwarder"));
    assert!(app.plan().expect("a plan").warnings.is_empty());
}

/// What the user types is never replaced without their say: a complete bucket name that is
/// part of a listed one moves on as typed; an empty optional field (a KMS key) is left empty by
/// Enter; a filter that can't be a value, or a row moved to with ↓, is taken.
#[test]
fn enter_never_replaces_a_value_typed_by_hand() {
    let (mut app, _) = to_permissions("s3-destination", "us-east-1");
    listed(
        &mut app,
        ResourceKind::Buckets,
        "",
        &[("events-archive", "events-archive", Some("eu-west-1"))],
    );
    let key_arn =
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/1111aaaa-2222-bbbb-3333-cccc4444dddd");
    listed(
        &mut app,
        ResourceKind::KmsKeys,
        "us-east-1",
        &[("alias/data", &key_arn, None)],
    );
    key(&mut app, KeyCode::Tab);
    text(&mut app, "events");
    assert!(
        !screen(&app).contains("▶ events-archive"),
        "{}",
        screen(&app)
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.permissions.bucket.value(), "events", "kept as typed");
    assert_eq!(app.step, Step::Method, "and Enter moved on");
    // Back, to the KMS key (after the region and the path prefix): Enter leaves it empty.
    key(&mut app, KeyCode::Esc);
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    let shown = screen(&app);
    assert!(
        shown.contains("alias/data") && !shown.contains("▶ alias/data"),
        "{shown}"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method);
    assert_eq!(
        app.permissions
            .more_inputs
            .get(&segment_aws_setup::model::catalog::Input::KmsKeyArn)
            .map(|i| i.value().to_string())
            .unwrap_or_default(),
        "",
        "Enter on the empty optional field took nothing"
    );
    key(&mut app, KeyCode::Esc);
    for _ in 0..4 {
        key(&mut app, KeyCode::Tab);
    }
    // A filter that can't be a key ARN highlights the first match; Enter takes it.
    text(&mut app, "data");
    assert!(screen(&app).contains("▶ alias/data"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.permissions
            .more_inputs
            .get(&segment_aws_setup::model::catalog::Input::KmsKeyArn)
            .map(|i| i.value().to_string()),
        Some(key_arn)
    );
}

/// A StackSet's targets from moto's Organizations, in an account of its own (one organization
/// per management account): the root, each unit with its path in the tree (a unit under a
/// unit too), then the active accounts with their names; an account outside any organization
/// gets one sentence.
#[test]
fn the_organizations_units_and_accounts_are_listed_from_moto() {
    let account = format!("5{:05}{:06}", std::process::id() % 100_000, 321);
    let proxy = crate::faults::account_proxy(Some(&account));
    let config = proxy.config();
    let outside = format!("5{:05}{:06}", std::process::id() % 100_000, 322);
    let lone = crate::faults::account_proxy(Some(&outside));
    let lone_config = lone.config();
    crate::faults::block_on(async {
        let (org, root) = crate::support::make_organization(&config).await;
        let unit = |parent: String, name: &'static str| {
            let org = org.clone();
            async move {
                org.create_organizational_unit()
                    .parent_id(parent)
                    .name(name)
                    .send()
                    .await
                    .expect("unit")
                    .organizational_unit()
                    .and_then(|u| u.id().map(str::to_string))
                    .expect("unit ID")
            }
        };
        let production = unit(root.clone(), "Production").await;
        let europe = unit(production.clone(), "Europe").await;
        org.create_account()
            .email("dev@example.com")
            .account_name("dev")
            .send()
            .await
            .expect("account");
        let resources = segment_aws_setup::aws::sdk::SdkResources::new(&config);
        let listed = engine::list_resources(&resources, ResourceKind::OrgTargets, "", &account)
            .await
            .expect("listed");
        let rows: Vec<String> = listed.iter().map(|r| r.describe()).collect();
        assert_eq!(rows[0], format!("{root}  Root"), "{rows:?}");
        assert_eq!(
            rows[1],
            format!("{production}  Root / Production"),
            "{rows:?}"
        );
        assert_eq!(
            rows[2],
            format!("{europe}  Root / Production / Europe"),
            "{rows:?}"
        );
        assert!(
            rows.iter()
                .any(|r| r.ends_with("  dev") && r.len() == 12 + 5),
            "{rows:?}"
        );
        assert!(
            listed.iter().skip(3).all(|r| r.value.len() == 12),
            "accounts after the units: {rows:?}"
        );

        let resources = segment_aws_setup::aws::sdk::SdkResources::new(&lone_config);
        let refused = engine::list_resources(&resources, ResourceKind::OrgTargets, "", &outside)
            .await
            .expect_err("not in an organization");
        assert!(refused.contains("not in an organization"), "{refused}");
    });
}
