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
            // Read-only settings say so; nothing is marked sensitive that Segment doesn't mark.
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
                    !cli.iter().any(|l| l.contains("sensitive")),
                    "nothing to mark sensitive: {at}"
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
