//! What the interactive faces ask when the command line would need a flag: which function,
//! which instance (one per settings group), a source to connect a new one to, or a destination
//! function's definitions alone. Each choice applied to the target and prepared again.

use crate::segment_api::{
    connect, function_outcome, lambda_instance, outcome, s3_function, workspace,
};
use crate::segment_standin::PublicApi;
use segment_aws_setup::engine::segment_settings::{self, Pick, PrepareError, Step, Target};
use segment_aws_setup::model::outcome::Outcome;
use segment_aws_setup::model::plan::PlanRequest;
use segment_aws_setup::model::segment::{Destination, Function};

fn asking() -> Target {
    Target {
        ask: true,
        ..Target::default()
    }
}

fn choices_of(result: Result<segment_settings::Prepared, PrepareError>) -> (String, Vec<Pick>) {
    match result {
        Err(PrepareError::Choose { what, choices }) => {
            (what, choices.into_iter().map(|c| c.pick).collect())
        }
        other => panic!("not a choice: {other:?}"),
    }
}

fn function_instance(id: &str, source: &str) -> Destination {
    Destination {
        id: id.into(),
        name: "Send events to S3".into(),
        enabled: true,
        metadata_id: s3_function().catalog_id,
        metadata_name: "Send events to S3".into(),
        source_id: source.into(),
        settings: serde_json::Map::new(),
    }
}

fn two_lambdas() -> Outcome {
    outcome(PlanRequest {
        integration: "lambda-destination".into(),
        workspace_ids: vec!["wXZ2sd8N3mJ".into()],
        lambda_arns: vec![
            crate::support::LAMBDA_A.into(),
            crate::support::LAMBDA_B.into(),
        ],
        ..PlanRequest::default()
    })
}

#[tokio::test]
async fn a_destination_function_offers_its_instances_the_sources_and_definitions_alone() {
    let api = PublicApi::start(
        workspace()
            .with_source("srcIOS", "iOS")
            .with_function(s3_function())
            .with_destination(function_instance("dstF1", "srcWEB")),
    );
    let connection = connect(&api).await;
    let (outcome, external_id) = function_outcome();
    let (what, picks) =
        choices_of(segment_settings::prepare(&connection, &outcome, &asking()).await);
    assert!(what.contains("Send events to S3"), "{what}");
    assert_eq!(
        picks,
        [
            Pick::Destination("dstF1".into()),
            Pick::Source("srcWEB".into()),
            Pick::Source("srcIOS".into()),
            Pick::DefinitionsOnly,
        ]
    );
    // The instance picked: its values are written, the external ID among them.
    let mut target = asking();
    target.apply(&picks[0]);
    let prepared = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    assert!(
        matches!(
            prepared.steps.as_slice(),
            [Step::Definitions { .. }, Step::Values { .. }]
        ),
        "{:?}",
        prepared.steps
    );
    segment_settings::write(&connection, &prepared, &mut |_| {})
        .await
        .expect("written");
    let instance = api
        .workspace
        .stored_destination("dstF1")
        .expect("the instance");
    assert_eq!(instance.settings["iamRoleExternalId"], external_id.as_str());
    // A source picked instead: a new instance on it.
    let mut target = asking();
    target.apply(&picks[2]);
    let prepared = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    match prepared.steps.as_slice() {
        [Step::Connect { source, .. }] => assert_eq!(source.name, "iOS"),
        other => panic!("not a new instance: {other:?}"),
    }
    // Definitions alone: nothing else to write, and the values are said to be left.
    let mut target = asking();
    target.apply(&Pick::DefinitionsOnly);
    let prepared = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    assert!(prepared.steps.is_empty(), "{:?}", prepared.steps);
    assert!(
        prepared
            .left
            .iter()
            .any(|l| l.contains("connect function") && l.contains("write again and pick")),
        "{:?}",
        prepared.left
    );
}

#[tokio::test]
async fn several_functions_are_a_choice_and_none_says_where_to_make_one() {
    let other = Function {
        id: "dfn_other".into(),
        display_name: "Other".into(),
        catalog_id: "other".into(),
        ..s3_function()
    };
    let api = PublicApi::start(
        workspace()
            .with_function(s3_function())
            .with_function(other),
    );
    let connection = connect(&api).await;
    let (outcome, _) = function_outcome();
    let (_, picks) = choices_of(segment_settings::prepare(&connection, &outcome, &asking()).await);
    assert_eq!(
        picks,
        [
            Pick::Function("dfn_6419c66b7ad2113079d2907d".into()),
            Pick::Function("dfn_other".into()),
        ]
    );
    let empty = PublicApi::start(workspace());
    let connection = connect(&empty).await;
    match segment_settings::prepare(&connection, &outcome, &asking()).await {
        Err(PrepareError::Refused(message)) => {
            assert!(message.contains("no destination function yet"), "{message}");
            assert!(
                message.contains("Connections > Catalog > Functions"),
                "{message}"
            );
        }
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test]
async fn a_destination_with_no_instance_offers_the_sources_to_connect_one_to() {
    let api = PublicApi::start(workspace().with_source("srcIOS", "iOS"));
    let connection = connect(&api).await;
    let outcome = crate::segment_api::lambda_outcome();
    let (what, picks) =
        choices_of(segment_settings::prepare(&connection, &outcome, &asking()).await);
    assert!(what.contains("no Amazon Lambda destination yet"), "{what}");
    assert_eq!(
        picks,
        [Pick::Source("srcWEB".into()), Pick::Source("srcIOS".into())]
    );
    // Without asking (the command line), no source is offered: the flag names it.
    match segment_settings::prepare(&connection, &outcome, &Target::default()).await {
        Err(PrepareError::Choose { what, choices }) => {
            assert!(choices.iter().all(|c| !matches!(c.pick, Pick::Source(_))));
            assert!(what.contains("name the source"), "{what}");
        }
        other => panic!("not a choice: {other:?}"),
    }
    let mut target = asking();
    target.apply(&picks[1]);
    let prepared = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    let written = segment_settings::write(&connection, &prepared, &mut |_| {})
        .await
        .expect("written");
    let made = api
        .workspace
        .stored_destination(&written.destinations[0])
        .expect("made");
    assert_eq!(made.source_id, "srcIOS");
    assert!(!made.enabled);
}

#[tokio::test]
async fn each_settings_group_gets_its_own_instance_picked_in_turn() {
    let api = PublicApi::start(
        workspace()
            .with_destination(lambda_instance("dstL1"))
            .with_destination(lambda_instance("dstL2"))
            .with_destination(lambda_instance("dstL3")),
    );
    let connection = connect(&api).await;
    let outcome = two_lambdas();
    let mut target = asking();
    let (what, picks) = choices_of(segment_settings::prepare(&connection, &outcome, &target).await);
    assert!(what.contains("settings group 1 of 2"), "{what}");
    assert_eq!(
        picks.len(),
        3,
        "a new instance holds one group: none offered"
    );
    target.apply(&picks[1]);
    let (what, picks) = choices_of(segment_settings::prepare(&connection, &outcome, &target).await);
    assert!(what.contains("settings group 2 of 2"), "{what}");
    assert_eq!(
        picks,
        [
            Pick::Destination("dstL1".into()),
            Pick::Destination("dstL3".into())
        ],
        "the one picked for group 1 isn't offered again"
    );
    target.apply(&picks[1]);
    let prepared = segment_settings::prepare(&connection, &outcome, &target)
        .await
        .expect("prepared");
    let ids: Vec<&str> = prepared
        .steps
        .iter()
        .map(|step| match step {
            Step::Values { destination, .. } => destination.id.as_str(),
            other => panic!("not values: {other:?}"),
        })
        .collect();
    assert_eq!(ids, ["dstL2", "dstL3"]);
}
