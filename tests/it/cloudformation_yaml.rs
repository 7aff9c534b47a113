//! `plan --format cloudformation-yaml`: for every integration and preset, cfn-lint (pinned in
//! tests/requirements.txt) passes the YAML with no error or warning, and cfn-lint's own YAML
//! loader (the short forms as CloudFormation reads them, YAML 1.1's dates included) reads it
//! back as exactly the JSON template. `--out` writes template.yaml, the same text.

use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::cloudformation_yaml::template_yaml;
use segment_aws_setup::model::plan::Plan;
use serde_json::Value;

/// Every integration's and preset's template (with and without the optional inputs), by a name
/// that says which.
fn every_template() -> Vec<(String, Value)> {
    let mut templates = Vec::new();
    for integration in Catalog::builtin().integrations() {
        for offer in &integration.presets {
            for with_optional in [false, true] {
                let request =
                    crate::support::sample_request(integration, &offer.preset, with_optional);
                let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
                templates.push((
                    format!("{}-{}-{with_optional}", integration.id, offer.preset),
                    plan.template,
                ));
            }
        }
    }
    // And the two that can make a starter function, with one.
    for integration in ["lambda-destination", "personalize-destination"] {
        let integration = Catalog::builtin().integration(integration).expect("known");
        let mut request = crate::support::sample_request(integration, "lambda-invoke", false);
        request.starter_function = true;
        request.region = Some("us-west-2".into());
        request.account = Some("123456789012".into());
        let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
        assert!(plan.starter.is_some());
        templates.push((format!("{}-starter", integration.id), plan.template));
    }
    templates
}

fn tool(name: &str) -> std::path::PathBuf {
    crate::moto::python_tool(name).unwrap_or_else(|e| panic!("{e}"))
}

/// Reads each file with cfn-lint's loader and prints it as one line of JSON.
const READ_BACK: &str = "import json, sys\n\
from cfnlint.decode import cfn_yaml\n\
for path in sys.argv[1:]:\n    print(json.dumps(cfn_yaml.load(path)))\n";

#[test]
fn every_template_in_yaml_reads_back_as_the_json_template_and_passes_cfn_lint() {
    let dir = crate::support::temp_dir("cloudformation-yaml");
    let templates = every_template();
    let mut paths = Vec::new();
    for (name, template) in &templates {
        let path = dir.join(format!("{name}.yaml"));
        std::fs::write(&path, template_yaml(template)).expect("written");
        paths.push(path);
    }
    assert!(paths.len() >= 20, "only {} templates", paths.len());

    let read = std::process::Command::new(tool("python"))
        .args(["-c", READ_BACK])
        .args(&paths)
        .output()
        .expect("runs python");
    assert!(
        read.status.success(),
        "cfn-lint's loader failed: {}",
        String::from_utf8_lossy(&read.stderr)
    );
    let lines: Vec<&str> = std::str::from_utf8(&read.stdout)
        .expect("UTF-8")
        .lines()
        .collect();
    assert_eq!(lines.len(), templates.len());
    for ((name, template), line) in templates.iter().zip(lines) {
        let back: Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(&back, template, "{name}:\n{}", template_yaml(template));
    }

    let lint = std::process::Command::new(tool("cfn-lint"))
        .args(&paths)
        .output()
        .expect("runs cfn-lint");
    assert!(
        lint.status.success(),
        "cfn-lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}

#[test]
fn plan_out_writes_template_yaml() {
    use crate::support::{binary, stderr, stdout, temp_dir};
    let dir = temp_dir("cloudformation-yaml-out");
    let output = binary(
        &[
            "plan",
            "--integration",
            "lambda-destination",
            "--workspace-id",
            "ws1yamlout",
            "--lambda-arn",
            "arn:aws:lambda:us-west-2:123456789012:function:segment-yaml",
            "--format",
            "cloudformation-yaml",
            "--out",
            &dir.display().to_string(),
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let yaml = std::fs::read_to_string(dir.join("template.yaml")).expect("template.yaml");
    assert_eq!(yaml, stdout(&output), "the file is what is printed");
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("template.json")).expect("template.json"),
    )
    .expect("JSON");
    assert_eq!(yaml, template_yaml(&json), "the YAML of the JSON beside it");
    assert!(yaml.contains("!GetAtt "), "{yaml}");
    assert!(
        !yaml.contains("ws1yamlout"),
        "the ID is a parameter:\n{yaml}"
    );
}
