//! `plan --format terraform`: for every integration and preset, the configuration parses with a
//! maintained HCL parser (`hcl-rs`), and the documents it encodes, evaluated with the external
//! IDs as the variable, are the plan's own trust and permission policies; the IDs are never in
//! the file. `--out` writes main.tf and a private segment.tfvars.

use hcl::eval::{Context, Evaluate};
use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::plan::Plan;
use serde_json::Value;

/// The argument of `jsonencode(...)` that attribute `key` of resource `kind` holds, evaluated.
fn encoded(body: &hcl::Body, kind: &str, key: &str, ids: &[String]) -> Value {
    let resource = body
        .blocks()
        .find(|b| {
            b.identifier() == "resource" && b.labels().first().is_some_and(|l| l.as_str() == kind)
        })
        .unwrap_or_else(|| panic!("no resource {kind}"));
    let attribute = resource
        .body()
        .attributes()
        .find(|a| a.key.as_str() == key)
        .unwrap_or_else(|| panic!("no {key} in {kind}"));
    let hcl::Expression::FuncCall(call) = &attribute.expr else {
        panic!("{key} is not a function call: {:?}", attribute.expr);
    };
    assert_eq!(call.name.to_string(), "jsonencode");
    let mut context = Context::new();
    let mut var = hcl::Map::new();
    var.insert(
        segment_aws_setup::model::terraform::IDS_VARIABLE.to_string(),
        hcl::Value::from(
            ids.iter()
                .map(|id| hcl::Value::from(id.as_str()))
                .collect::<Vec<_>>(),
        ),
    );
    context.declare_var("var", hcl::Value::Object(var));
    let value = call.args[0].evaluate(&context).expect("evaluates");
    serde_json::to_value(value).expect("JSON")
}

/// The plan's trust policy with a lone ID as a list of one, as the variable gives it.
fn as_listed(trust: &Value, ids: &[String]) -> Value {
    match trust {
        Value::String(s) if ids.contains(s) => Value::Array(vec![trust.clone()]),
        Value::Array(items) => Value::Array(items.iter().map(|i| as_listed(i, ids)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), as_listed(v, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn every_integration_and_preset_is_the_same_role_in_terraform() {
    let mut checked = 0;
    for integration in Catalog::builtin().integrations() {
        for offer in &integration.presets {
            for with_optional in [false, true] {
                let request =
                    crate::support::sample_request(integration, &offer.preset, with_optional);
                let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
                let text = segment_aws_setup::model::terraform::configuration(&plan);
                let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
                let ids: Vec<String> = plan
                    .external_ids
                    .iter()
                    .chain(&plan.next_external_ids)
                    .cloned()
                    .collect();
                for id in &ids {
                    assert!(!text.contains(id.as_str()), "an ID in the file:\n{text}");
                }
                assert_eq!(
                    encoded(&body, "aws_iam_role", "assume_role_policy", &ids),
                    as_listed(&plan.trust_policy, &ids),
                    "{}/{}",
                    integration.id,
                    offer.preset
                );
                assert_eq!(
                    encoded(&body, "aws_iam_role_policy", "policy", &ids),
                    plan.permission_policy,
                    "{}/{}",
                    integration.id,
                    offer.preset
                );
                let variable = body
                    .blocks()
                    .find(|b| b.identifier() == "variable")
                    .expect("the variable");
                assert!(
                    variable
                        .body()
                        .attributes()
                        .any(|a| a.key.as_str() == "sensitive"
                            && a.expr == hcl::Expression::Bool(true)),
                    "the IDs are sensitive"
                );
                assert!(
                    body.blocks().any(|b| b.identifier() == "output"),
                    "the role ARN is an output"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} presets checked");
}

#[test]
fn plan_out_writes_main_tf_and_a_private_tfvars() {
    use crate::support::{binary, stderr, stdout, temp_dir};
    let dir = temp_dir("terraform-out");
    let output = binary(
        &[
            "plan",
            "--integration",
            "destination-function",
            "--bucket",
            "b-terraform",
            "--bucket-region",
            "us-west-2",
            "--format",
            "terraform",
            "--out",
            &dir.display().to_string(),
        ],
        &[],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let main = std::fs::read_to_string(dir.join("main.tf")).expect("main.tf");
    assert_eq!(main, stdout(&output), "the file is what is printed");
    let variables = std::fs::read_to_string(dir.join("segment.tfvars")).expect("tfvars");
    let parsed = hcl::parse(&variables).expect("HCL");
    assert!(
        parsed
            .attributes()
            .any(|a| a.key.as_str() == segment_aws_setup::model::terraform::IDS_VARIABLE)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |name: &str| {
            std::fs::metadata(dir.join(name))
                .expect("written")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("segment.tfvars"), 0o600);
        assert_eq!(mode("main.tf"), 0o644);
    }
    assert!(main.contains("\"created-with\" = \"terraform\""), "{main}");
}

/// checkov's Terraform checks pass on every integration's and preset's configuration (the one
/// skip it carries says why in the file).
#[test]
fn checkov_passes_every_configuration() {
    let checkov = match std::env::var_os("CHECKOV") {
        Some(path) => std::path::PathBuf::from(path),
        None => crate::moto::python_tool("checkov").unwrap_or_else(|e| panic!("{e}")),
    };
    let root = crate::support::temp_dir("checkov");
    let mut written = 0;
    for integration in Catalog::builtin().integrations() {
        for offer in &integration.presets {
            for with_optional in [false, true] {
                let request =
                    crate::support::sample_request(integration, &offer.preset, with_optional);
                let plan = Plan::build(Catalog::builtin(), &request).expect("valid");
                let dir = root.join(format!(
                    "{}-{}-{with_optional}",
                    integration.id, offer.preset
                ));
                std::fs::create_dir_all(&dir).expect("dir");
                std::fs::write(
                    dir.join("main.tf"),
                    segment_aws_setup::model::terraform::configuration(&plan),
                )
                .expect("written");
                written += 1;
            }
        }
    }
    let output = std::process::Command::new(&checkov)
        .args([
            "--framework",
            "terraform",
            "--quiet",
            "--compact",
            "--skip-download",
        ])
        .args(["--output", "json", "-d"])
        .arg(&root)
        .env("BC_SKIP_MAPPING", "TRUE")
        .output()
        .unwrap_or_else(|e| panic!("can't run {}: {e}", checkov.display()));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "checkov's report is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let summary = &report["summary"];
    assert_eq!(
        summary["failed"],
        0,
        "{}",
        serde_json::to_string_pretty(&report["results"]["failed_checks"]).unwrap_or_default()
    );
    assert!(
        summary["passed"].as_u64().unwrap_or(0) >= written as u64 * 5,
        "{summary}"
    );
}
