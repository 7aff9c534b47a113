//! The catalog's settings against Segment's own catalog (`fixtures/segment-catalog.json`, made
//! from segment-docs' `src/_data/catalog/destinations.yml`, which Segment generates from its
//! Public API): every label, key, required and read-only flag as the web app shows them.

use segment_aws_setup::Catalog;
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/segment-catalog.json"))
        .expect("the fixture is JSON")
}

/// Segment's entry for a catalog name: from its catalog, or (AWS S3 (Actions), a private beta)
/// from the destination's code.
fn entry<'a>(fixture: &'a Value, name: &str) -> &'a Value {
    ["destinations", "notInCatalog"]
        .iter()
        .filter_map(|list| fixture[list].as_array())
        .flatten()
        .find(|entry| entry["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the fixture"))
}

#[test]
fn the_fixture_names_its_source_commit() {
    let fixture = fixture();
    assert_eq!(fixture["source"]["repository"], "segmentio/segment-docs");
    assert_eq!(
        fixture["source"]["commit"],
        "1fec935c0ddd72ea88aae071ccf61b87affe48d9"
    );
}

#[test]
fn every_setting_is_labelled_keyed_and_flagged_as_segments_catalog_has_it() {
    let fixture = fixture();
    let mut checked = 0;
    for integration in Catalog::builtin().integrations() {
        let Some(name) = integration.catalog_name.as_deref() else {
            // Functions are the customer's own: their settings are the ones the guide names.
            assert!(integration.id.ends_with("-function"), "{}", integration.id);
            continue;
        };
        let entry = entry(&fixture, name);
        assert_eq!(
            integration.catalog_id.as_deref(),
            entry["id"].as_str(),
            "{name}'s catalog ID"
        );
        let theirs = entry["settings"].as_array().expect("settings");
        for offer in &integration.presets {
            let ours: Vec<_> = integration.settings_with(offer).collect();
            for setting in &ours {
                let at = format!("{} {}", integration.id, setting.key);
                let segment = theirs
                    .iter()
                    .find(|s| s["key"] == setting.key.as_str())
                    .unwrap_or_else(|| panic!("{at}: Segment has no such setting"));
                assert_eq!(segment["label"], setting.label.as_str(), "{at}: label");
                assert_eq!(segment["required"], setting.required, "{at}: required");
                assert_eq!(segment["readOnly"], setting.read_only, "{at}: read-only");
                assert_eq!(
                    segment["type"] == "password",
                    setting.sensitive,
                    "{at}: secret"
                );
                checked += 1;
            }
            // Nothing Segment requires is left out, unless Segment sets it itself.
            for segment in theirs.iter().filter(|s| s["required"] == true) {
                assert!(
                    ours.iter().any(|s| segment["key"] == s.key.as_str()),
                    "{}: Segment requires {}",
                    integration.id,
                    segment["key"]
                );
            }
        }
        // The next steps send the user to the destination by its catalog name.
        assert!(
            integration.next_steps.iter().any(|s| s.contains(name)),
            "{}: the next steps don't name {name}",
            integration.id
        );
    }
    let shown: usize = Catalog::builtin()
        .integrations()
        .iter()
        .filter(|i| i.catalog_name.is_some())
        .flat_map(|i| i.presets.iter().map(move |o| i.settings_with(o).count()))
        .sum();
    assert_eq!(checked, shown, "every destination setting of every preset");
}

#[test]
fn functions_take_the_two_settings_the_guide_names_the_external_id_secret() {
    for id in ["destination-function", "source-function"] {
        let integration = Catalog::builtin().integration(id).expect("in the catalog");
        let labels: Vec<_> = integration
            .settings
            .iter()
            .map(|s| (s.label.as_str(), s.key.as_str(), s.sensitive))
            .collect();
        assert_eq!(
            labels,
            [
                ("IAM Role ARN", "iamRoleArn", false),
                ("IAM Role External ID", "iamRoleExternalId", true)
            ]
        );
        // Segment's settings dialog calls the toggle Secret.
        let steps = integration.next_steps.join(" ");
        assert!(steps.contains("Secret on"), "{id}: {steps}");
        assert!(!steps.contains("sensitive"), "{id}: {steps}");
        // Where the pages are silent (EU workspaces), the tool says so and where to confirm.
        assert!(
            integration
                .notes
                .iter()
                .any(|n| n.contains("EU") && n.contains("Segment support")),
            "{id}"
        );
    }
}

#[test]
fn every_face_names_the_nine_integrations() {
    use clap::CommandFactory;
    let help = segment_aws_setup::ui::cli::Cli::command()
        .render_help()
        .to_string()
        .replace('\n', " ");
    for text in [segment_aws_setup::model::steps::WELCOME, help.as_str()] {
        assert!(text.contains("functions"), "{text}");
        for integration in Catalog::builtin().integrations() {
            if let Some(name) = &integration.catalog_name {
                assert!(text.contains(name.as_str()), "{name}: {text}");
            }
        }
    }
}
