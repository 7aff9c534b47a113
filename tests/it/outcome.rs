//! The end of a setup is built once (`segment_aws_setup::outcome`) and only rendered by each
//! face: `create`/`verify` (text), plain mode and the wizard's Done screen show the same lines, for
//! every integration and preset.

use segment_aws_setup::outcome::Outcome;
use segment_aws_setup::plan::{PlanRequest, PolicyFile};
use segment_aws_setup::tui::app::App;
use segment_aws_setup::{Catalog, Plan};

fn request(integration: &str, preset: &str) -> PlanRequest {
    let mut request = PlanRequest {
        integration: integration.into(),
        ..PlanRequest::default()
    };
    if integration == "lambda-destination" {
        request.workspace_ids = vec!["wXZ2sd8N3mJ".into()];
    }
    match preset {
        "s3-put-object" => {
            request.bucket = Some("events".into());
            request.bucket_region = Some("us-west-2".into());
        }
        "lambda-invoke" => {
            request.lambda_arns =
                vec!["arn:aws:lambda:us-west-2:123456789012:function:events".into()];
        }
        _ => {
            request.policy_file = Some(PolicyFile {
                path: "p.json".into(),
                text: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/events"}]}"#.into(),
            });
        }
    }
    request
}

#[test]
fn every_face_shows_the_same_outcome_for_every_integration_and_preset() {
    let mut compared = 0;
    for integration in Catalog::builtin().integrations() {
        for offer in &integration.presets {
            let plan = Plan::build(Catalog::builtin(), &request(&integration.id, &offer.preset))
                .expect("valid");
            let role = "arn:aws:iam::123456789012:role/segment-role";
            let outcome = Outcome::from_plan(&plan, Some(role));
            let cli: Vec<String> = segment_aws_setup::cli::outcome_text(&outcome, true)
                .lines()
                .map(str::to_string)
                .collect();
            let plain = segment_aws_setup::plain::outcome_lines(&outcome);
            let app = App::new(80, 24);
            let wizard: Vec<String> =
                segment_aws_setup::tui::screens::done::outcome_lines(&app, &outcome)
                    .into_iter()
                    .map(|l| l.text)
                    .collect();
            let at = format!("{} with {}", integration.id, offer.preset);
            assert_eq!(cli, plain, "{at}");
            assert_eq!(plain, wizard, "{at}");
            // And it says what the procedure needs.
            for setting in integration.settings_with(offer) {
                assert!(
                    cli.iter()
                        .any(|l| l.starts_with(&format!("{} ({})", setting.label, setting.key))),
                    "{at}: {}",
                    setting.label
                );
            }
            assert!(cli.iter().any(|l| l == "Next, in Segment:"), "{at}");
            assert!(
                cli.iter().any(|l| l.contains(&format!("--role {role}"))),
                "{at}"
            );
            if integration.id == "lambda-destination" {
                assert!(outcome.code.is_none());
                assert!(
                    cli.iter()
                        .any(|l| l.contains("read-only: already set by Segment, nothing to paste")),
                    "{at}"
                );
                assert!(
                    !cli.iter().any(|l| l.contains("sensitive")),
                    "nothing to mark sensitive: {at}"
                );
            } else {
                let code = outcome.code.as_deref().expect("code for a function");
                assert!(
                    code.contains("settings.iamRoleArn")
                        && code.contains("Credentials.SessionToken"),
                    "{at}"
                );
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 7, "every integration's every preset");
}
