//! The end of a setup is built once (`segment_aws_setup::model::outcome`) and only rendered by each
//! face: `create`/`verify` (text), plain mode and the wizard's Done screen show the same lines, for
//! every integration and preset.

use segment_aws_setup::model::outcome::Outcome;
use segment_aws_setup::ui::tui::state::App;
use segment_aws_setup::{Catalog, Plan};

#[test]
fn every_face_shows_the_same_outcome_for_every_integration_and_preset() {
    let mut compared = 0;
    for integration in Catalog::builtin().integrations() {
        for offer in &integration.presets {
            let mut request = crate::support::sample_request(integration, &offer.preset, true);
            request.account = Some("123456789012".into());
            let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
            let role = "arn:aws:iam::123456789012:role/segment-role";
            let outcome = Outcome::from_plan(&plan, Some(role));
            let cli: Vec<String> = segment_aws_setup::ui::cli::outcome_text(&outcome, true)
                .lines()
                .map(str::to_string)
                .collect();
            let plain = segment_aws_setup::ui::plain::outcome_lines(&outcome);
            let app = App::new(80, 24);
            let wizard: Vec<String> =
                segment_aws_setup::ui::tui::screens::done::outcome_lines(&app, &outcome)
                    .into_iter()
                    .map(|l| l.text)
                    .collect();
            let at = format!("{} with {}", integration.id, offer.preset);
            assert_eq!(cli, plain, "{at}");
            assert_eq!(plain, wizard, "{at}");
            // `plan`, the administrator's hand-off, gives the same procedure before the role.
            let before = Outcome::from_plan(&plan, None);
            let handed_over = segment_aws_setup::ui::cli::plan_text(&plan);
            for line in before.lines(&segment_aws_setup::model::outcome::value_text) {
                if line.text.is_empty() {
                    continue;
                }
                assert!(
                    handed_over.contains(&format!("  {}\n", line.text)),
                    "{at}: plan lacks {:?}",
                    line.text
                );
            }
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
            // Read-only settings say so; nothing is marked secret that Segment doesn't mark.
            let specs: Vec<_> = integration.settings_with(offer).collect();
            if specs.iter().any(|s| s.read_only) {
                assert!(
                    cli.iter()
                        .any(|l| l.contains("read-only: already set by Segment, nothing to paste")),
                    "{at}"
                );
            }
            if !specs.iter().any(|s| s.sensitive) {
                assert!(
                    !cli.iter()
                        .any(|l| l.contains(" · ") && l.ends_with("secret")),
                    "nothing to mark secret: {at}"
                );
            }
            // The code that uses the role, where the preset has one (the functions).
            match &offer.snippet {
                Some(_) => {
                    let code = outcome.code.as_deref().expect("code for a function");
                    assert!(
                        code.contains("settings.iamRoleArn")
                            && code.contains("Credentials.SessionToken"),
                        "{at}"
                    );
                }
                None => assert!(outcome.code.is_none(), "{at}"),
            }
            compared += 1;
        }
    }
    let offered: usize = Catalog::builtin()
        .integrations()
        .iter()
        .map(|i| i.presets.len())
        .sum();
    assert_eq!(compared, offered, "every integration's every preset");
}

/// Segment's words where the tool once had its own (issue 21), as every face shows them: the
/// faces are the same lines (above), so the command line's text stands for all, and `plan`'s
/// JSON for the scripts.
#[test]
fn each_integration_says_what_segments_pages_say() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "destination-function",
            &[
                "Secret on",
                "Connections > Catalog, click the Functions tab",
                "EU region",
            ],
            &["sensitive"],
        ),
        (
            "lambda-destination",
            &[
                "select Amazon Lambda.",
                "External ID (Read-Only) (externalId)",
            ],
            &["AWS Lambda destination", "select AWS Lambda"],
        ),
        (
            "personalize-destination",
            &[
                "Still to do in AWS",
                "personalize:GetRecommendations, personalize:Record and personalize:PutEvents",
                "Event Tracker",
                "personalize_campaign_arn",
                "Amazon Personalize destination 1 of 2",
            ],
            &["Lambda destination 1 of", "Amazon Lambda destination per"],
        ),
        (
            "s3-destination",
            &[
                "Storage Destinations tab",
                "US West (Oregon) endpoint must be active in your account's IAM STS settings",
                "EU West (Dublin, Ireland)",
                "Workspace Owner, Workspace Admin or Source Admin",
                "dummy-object.txt",
            ],
            &[
                "Catalog > Destinations",
                "STS settings of the bucket's region",
            ],
        ),
        (
            "kinesis-destination",
            &["still tells you to enter your source ID"],
            &["Older pages"],
        ),
        (
            "data-lakes",
            &[
                "Still to do in AWS",
                "lifecycle rule",
                "14 days",
                "send its logs to the same bucket",
                "Athena uses the Glue Data Catalog",
                "Lake Formation",
                "EMR_EC2_DefaultRole",
            ],
            &[],
        ),
    ];
    for (id, says, never) in cases {
        let integration = Catalog::builtin().integration(id).expect("in the catalog");
        let offer = &integration.presets[0];
        let mut request = crate::support::sample_request(integration, &offer.preset, true);
        request.account = Some("123456789012".into());
        let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
        let outcome = Outcome::from_plan(&plan, Some("arn:aws:iam::123456789012:role/r"));
        let text = segment_aws_setup::ui::cli::outcome_text(&outcome, true);
        let handed_over = segment_aws_setup::ui::cli::plan_text(&plan);
        for words in *says {
            assert!(text.contains(words), "{id}: no {words:?} in\n{text}");
            assert!(handed_over.contains(words), "{id}: plan lacks {words:?}");
        }
        for words in *never {
            assert!(!text.contains(words), "{id}: still {words:?} in\n{text}");
        }
    }
}
