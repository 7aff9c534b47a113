//! CloudFormation templates from `assets/templates/` (embedded beside the catalog at build time, see
//! `build.rs`). Each holds one `AWS::IAM::Role` (the trust policy) and one `AWS::IAM::Policy` (the
//! permission policy) and outputs `RoleArn`.

use regex::Regex;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::LazyLock;

pub const ROLE_TYPE: &str = "AWS::IAM::Role";
pub const POLICY_TYPE: &str = "AWS::IAM::Policy";
pub const ROLE_ARN_OUTPUT: &str = "RoleArn";

pub use crate::model::catalog::{template_names as names, template_source as source};

/// A parsed template. Embedded templates are checked by the tests, so parsing can't fail at run
/// time for a name the catalog accepted.
pub fn load(name: &str) -> Option<Value> {
    source(name).and_then(|text| serde_json::from_str(text).ok())
}

fn resource_of_type<'a>(template: &'a Value, kind: &str) -> Option<(&'a String, &'a Value)> {
    template
        .get("Resources")?
        .as_object()?
        .iter()
        .find(|(_, resource)| resource.get("Type").and_then(Value::as_str) == Some(kind))
}

fn properties_mut<'a>(template: &'a mut Value, kind: &str) -> Option<&'a mut Map<String, Value>> {
    template
        .get_mut("Resources")?
        .as_object_mut()?
        .values_mut()
        .find(|resource| resource.get("Type").and_then(Value::as_str) == Some(kind))?
        .get_mut("Properties")?
        .as_object_mut()
}

/// The logical ID of the template's role.
pub fn role_logical_id(template: &Value) -> Option<&str> {
    resource_of_type(template, ROLE_TYPE).map(|(id, _)| id.as_str())
}

/// The inline policy's name, shared by the CloudFormation and the direct IAM paths.
pub fn policy_name(template: &Value) -> Option<&str> {
    resource_of_type(template, POLICY_TYPE)?
        .1
        .pointer("/Properties/PolicyName")?
        .as_str()
}

/// The role's description, shared by the CloudFormation and the direct IAM paths.
pub fn role_description(template: &Value) -> Option<&str> {
    resource_of_type(template, ROLE_TYPE)?
        .1
        .pointer("/Properties/Description")?
        .as_str()
}

/// The role's tags as (key, value) pairs.
pub fn role_tags(template: &Value) -> Vec<(String, String)> {
    resource_of_type(template, ROLE_TYPE)
        .and_then(|(_, role)| role.pointer("/Properties/Tags"))
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|tag| {
                    Some((
                        tag.get("Key")?.as_str()?.to_string(),
                        tag.get("Value")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The template as the plan deploys it: where the plan's inputs don't map onto the template's
/// parameters (several external IDs, a preset the template doesn't model, a custom policy), the
/// document is written into the template literally and parameters nothing refers to any more are
/// dropped.
pub fn render(
    template: &Value,
    literal_trust: Option<&Value>,
    literal_permission: Option<&Value>,
) -> Value {
    let mut rendered = template.clone();
    if let Some(trust) = literal_trust
        && let Some(properties) = properties_mut(&mut rendered, ROLE_TYPE)
    {
        properties.insert("AssumeRolePolicyDocument".into(), trust.clone());
    }
    if let Some(permission) = literal_permission
        && let Some(properties) = properties_mut(&mut rendered, POLICY_TYPE)
    {
        properties.insert("PolicyDocument".into(), permission.clone());
    }
    // What the resources and outputs still use: parameters, and conditions with the parameters
    // those name. The rest goes (a condition naming a dropped parameter would be invalid).
    let mut used = referenced_names(rendered.get("Resources").unwrap_or(&Value::Null));
    used.extend(referenced_names(
        rendered.get("Outputs").unwrap_or(&Value::Null),
    ));
    let mut conditions = BTreeSet::new();
    collect_conditions(
        rendered.get("Resources").unwrap_or(&Value::Null),
        &mut conditions,
    );
    collect_conditions(
        rendered.get("Outputs").unwrap_or(&Value::Null),
        &mut conditions,
    );
    if let Some(declared) = rendered.get("Conditions").and_then(Value::as_object) {
        for (name, condition) in declared {
            if conditions.contains(name) {
                used.extend(referenced_names(condition));
            }
        }
    }
    for (section, keep) in [("Conditions", &conditions), ("Parameters", &used)] {
        if let Some(entries) = rendered.get_mut(section).and_then(Value::as_object_mut) {
            entries.retain(|name, _| keep.contains(name));
            if entries.is_empty() {
                rendered
                    .as_object_mut()
                    .map(|object| object.remove(section));
            }
        }
    }
    rendered
}

/// Conditions used through `Fn::If` or a resource's `Condition`.
fn collect_conditions(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                match (key.as_str(), inner) {
                    ("Fn::If", Value::Array(arguments)) => {
                        if let Some(Value::String(name)) = arguments.first() {
                            names.insert(name.clone());
                        }
                        arguments
                            .iter()
                            .skip(1)
                            .for_each(|a| collect_conditions(a, names));
                    }
                    ("Condition", Value::String(name)) => {
                        names.insert(name.clone());
                    }
                    _ => collect_conditions(inner, names),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_conditions(item, names)),
        _ => {}
    }
}

static SUB_VARIABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{([A-Za-z0-9:]+)\}").expect("constant pattern"));

/// Names used through `Ref` or inside an `Fn::Sub` string.
pub fn referenced_names(value: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect_references(value, &mut names);
    names
}

fn collect_references(value: &Value, names: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                match (key.as_str(), inner) {
                    ("Ref", Value::String(name)) => {
                        names.insert(name.clone());
                    }
                    ("Fn::Sub", Value::String(text)) => {
                        names.extend(SUB_VARIABLE.captures_iter(text).map(|c| c[1].to_string()));
                    }
                    _ => collect_references(inner, names),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_references(item, names)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Catalog;
    use serde_json::json;

    #[test]
    fn every_integration_has_a_template_with_one_role_one_policy_and_a_role_arn_output() {
        for integration in Catalog::builtin().integrations() {
            let template = load(&integration.template).expect("template parses");
            assert!(role_logical_id(&template).is_some(), "{}", integration.id);
            assert!(policy_name(&template).is_some(), "{}", integration.id);
            assert!(role_description(&template).is_some(), "{}", integration.id);
            let resources = template["Resources"].as_object().expect("resources");
            for kind in [ROLE_TYPE, POLICY_TYPE] {
                let count = resources.values().filter(|r| r["Type"] == kind).count();
                assert_eq!(count, 1, "{} has {count} {kind}", integration.id);
            }
            assert_eq!(
                template["Outputs"][ROLE_ARN_OUTPUT]["Value"]["Fn::GetAtt"][0],
                json!(role_logical_id(&template)),
                "{}",
                integration.id
            );
            let trust = &resources[role_logical_id(&template).expect("role")]["Properties"]["AssumeRolePolicyDocument"]
                ["Statement"][0];
            assert_eq!(
                trust["Principal"]["AWS"],
                json!(integration.principal),
                "{}",
                integration.id
            );
            let parameter = &template["Parameters"][&integration.external_id_parameter];
            assert_eq!(parameter["NoEcho"], json!(true), "{}", integration.id);
            assert_eq!(
                parameter["MinLength"],
                json!(integration.external_id.min_length)
            );
            assert!(parameter["AllowedPattern"].is_string());
        }
    }

    #[test]
    fn rendering_a_literal_policy_drops_the_parameters_it_no_longer_needs() {
        let template = load("destination-function.json").expect("embedded");
        let permission = json!({"Version": "2012-10-17", "Statement": []});
        let rendered = render(&template, None, Some(&permission));
        let parameters: Vec<&String> = rendered["Parameters"]
            .as_object()
            .expect("kept")
            .keys()
            .collect();
        assert_eq!(parameters, ["ExternalId", "NextExternalId"]);
        assert!(rendered["Conditions"]["Rotating"].is_object());
        let trust = json!({"Version": "2012-10-17", "Statement": []});
        let rendered = render(&template, Some(&trust), Some(&permission));
        assert!(rendered.get("Parameters").is_none());
        assert!(
            rendered.get("Conditions").is_none(),
            "a condition on a dropped parameter goes too"
        );
    }

    #[test]
    fn references_include_fn_sub_variables() {
        let names = referenced_names(
            &json!({"a": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${BucketName}/*"}, "b": [{"Ref": "X"}]}),
        );
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["AWS::Partition", "BucketName", "X"]
        );
    }
}
