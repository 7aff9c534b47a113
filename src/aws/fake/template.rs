//! The part of CloudFormation's template language a fake stack needs: `Ref`, `Fn::If`, `Fn::Sub`
//! and conditions over the parameters, resolved into the resources it holds.

use super::script::*;
use serde_json::Value;

/// A template value as CloudFormation resolves it for the fake's roles: `Ref` to a parameter (a
/// CommaDelimitedList becomes a list), and the few functions the templates use (`Fn::If` on a
/// condition of `Fn::Equals`/`Fn::Not`, `Fn::Join`, `Fn::Split`).
pub(super) fn resolve_refs(
    value: &Value,
    parameters: &[(String, String)],
    template: &Value,
) -> Value {
    let resolve = |v: &Value| resolve_refs(v, parameters, template);
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (function, argument) = map
                .iter()
                .next()
                .map(|(k, v)| (k.as_str(), v))
                .unwrap_or(("", &Value::Null));
            match (function, argument) {
                ("Ref", Value::String(name)) => {
                    let given = parameters
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone());
                    let declared = &template["Parameters"][name];
                    let given = given.or_else(|| declared["Default"].as_str().map(str::to_string));
                    let list = declared["Type"] == "CommaDelimitedList";
                    match given {
                        Some(text) if list => Value::Array(
                            text.split(',')
                                .map(|s| Value::String(s.trim().to_string()))
                                .collect(),
                        ),
                        Some(text) => Value::String(text),
                        None => value.clone(),
                    }
                }
                ("Fn::Join", Value::Array(args)) if args.len() == 2 => {
                    let separator = args[0].as_str().unwrap_or_default();
                    let parts: Vec<String> = match resolve(&args[1]) {
                        Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().unwrap_or_default().to_string())
                            .collect(),
                        _ => Vec::new(),
                    };
                    Value::String(parts.join(separator))
                }
                ("Fn::Split", Value::Array(args)) if args.len() == 2 => {
                    let separator = args[0].as_str().unwrap_or(",");
                    match resolve(&args[1]) {
                        Value::String(text) => Value::Array(
                            text.split(separator)
                                .map(|s| Value::String(s.to_string()))
                                .collect(),
                        ),
                        other => other,
                    }
                }
                ("Fn::Sub", Value::String(text)) => {
                    let variable =
                        regex::Regex::new(r"\$\{([A-Za-z0-9:]+)\}").expect("a valid pattern");
                    let replaced = variable.replace_all(text, |found: &regex::Captures| {
                        let name = &found[1];
                        match name {
                            "AWS::Partition" => "aws".to_string(),
                            "AWS::AccountId" => FAKE_ACCOUNT.to_string(),
                            "AWS::Region" => "us-east-1".to_string(),
                            _ => match resolve(&serde_json::json!({ "Ref": name })) {
                                Value::String(v) => v,
                                Value::Array(items) => items
                                    .iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(","),
                                _ => found[0].to_string(),
                            },
                        }
                    });
                    Value::String(replaced.into_owned())
                }
                ("Fn::If", Value::Array(args)) if args.len() == 3 => {
                    let condition = args[0].as_str().unwrap_or_default();
                    if condition_holds(&template["Conditions"][condition], parameters, template) {
                        resolve(&args[1])
                    } else {
                        resolve(&args[2])
                    }
                }
                _ => Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect()),
            }
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(resolve).collect()),
        other => other.clone(),
    }
}

pub(super) fn condition_holds(
    condition: &Value,
    parameters: &[(String, String)],
    template: &Value,
) -> bool {
    if let Some(args) = condition.get("Fn::Not").and_then(Value::as_array) {
        return !args
            .first()
            .is_some_and(|c| condition_holds(c, parameters, template));
    }
    if let Some(args) = condition.get("Fn::Equals").and_then(Value::as_array)
        && args.len() == 2
    {
        return resolve_refs(&args[0], parameters, template)
            == resolve_refs(&args[1], parameters, template);
    }
    false
}
