//! `plan --format cloudformation-yaml`: the CloudFormation template as YAML, the way people write
//! it by hand: intrinsic functions in their short forms (`!Ref`, `!Sub`, `!GetAtt Role.Arn`,
//! `!If`...), which CloudFormation and cfn-lint read back as the JSON template's long forms.
//! The YAML itself is `saphyr`'s emitter; this module only maps the template onto its nodes.

use saphyr::{Mapping, Scalar, ScalarStyle, Tag, Yaml, YamlEmitter};
use serde_json::Value;
use std::borrow::Cow;

/// The template as a YAML document.
pub fn template_yaml(template: &Value) -> String {
    let mut text = String::new();
    let mut emitter = YamlEmitter::new(&mut text);
    emitter.multiline(true);
    // Writing into a String fails only on a node the emitter can't write, and `node` makes none.
    if emitter.dump(&node(template)).is_err() {
        return String::new();
    }
    // The emitter leaves a space after a tag whose node starts on the next line.
    let mut trimmed: String = text
        .lines()
        .map(|line| match line.strip_suffix(' ') {
            Some(start) if ends_with_a_tag(start) => start,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    trimmed.push('\n');
    trimmed
}

fn ends_with_a_tag(text: &str) -> bool {
    text.rsplit_once(' ')
        .map_or(text, |(_, last)| last)
        .strip_prefix('!')
        .is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The YAML node for a JSON value: an object of one key `Ref` or `Fn::<name>` becomes the short
/// form's tagged node.
fn node(value: &Value) -> Yaml<'_> {
    match value {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Value(Scalar::Integer(i)),
            None => Yaml::Value(Scalar::FloatingPoint(n.as_f64().unwrap_or_default().into())),
        },
        Value::String(s) => string(s),
        Value::Array(items) => Yaml::Sequence(items.iter().map(node).collect()),
        Value::Object(map) => {
            if let Some(short) = map
                .iter()
                .next()
                .filter(|_| map.len() == 1)
                .and_then(short_form)
            {
                return short;
            }
            let mut mapping = Mapping::new();
            for (key, value) in map {
                mapping.insert(string(key), node(value));
            }
            Yaml::Mapping(mapping)
        }
    }
}

/// `{"Ref": X}` as `!Ref X`, `{"Fn::GetAtt": [R, A]}` as `!GetAtt R.A`, `{"Fn::F": X}` as `!F X`.
fn short_form<'a>((key, argument): (&'a String, &'a Value)) -> Option<Yaml<'a>> {
    let name = if key == "Ref" {
        "Ref"
    } else {
        key.strip_prefix("Fn::")?
    };
    let argument = match (name, argument) {
        ("GetAtt", Value::Array(parts)) => match parts.as_slice() {
            [Value::String(resource), Value::String(attribute)] if !resource.contains('.') => {
                string_owned(format!("{resource}.{attribute}"))
            }
            _ => node(argument),
        },
        _ => node(argument),
    };
    let tag = Tag {
        handle: "!".into(),
        suffix: name.into(),
    };
    Some(Yaml::Tagged(Cow::Owned(tag), Box::new(argument)))
}

fn string(text: &str) -> Yaml<'_> {
    if looks_like_a_date(text) {
        quoted(text.to_string())
    } else {
        Yaml::Value(Scalar::String(Cow::Borrowed(text)))
    }
}

fn string_owned(text: String) -> Yaml<'static> {
    if looks_like_a_date(&text) {
        quoted(text)
    } else {
        Yaml::Value(Scalar::String(Cow::Owned(text)))
    }
}

/// Single-quoted, `'` doubled as YAML's single quotes escape it.
fn quoted(text: String) -> Yaml<'static> {
    Yaml::Representation(
        Cow::Owned(text.replace('\'', "''")),
        ScalarStyle::SingleQuoted,
        None,
    )
}

/// Whether a YAML 1.1 reader (PyYAML, cfn-lint's loader) would take a plain scalar for a
/// timestamp: `2012-10-17` is a string in YAML 1.2, which the emitter writes, but a date there, so
/// such strings are quoted.
fn looks_like_a_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 8
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intrinsic_functions_take_their_short_forms() {
        let template = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
                "Document": {"Version": "2012-10-17", "Statement": {"Fn::If": ["HasKey",
                    [{"Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"}}],
                    {"Ref": "AWS::NoValue"}]}},
                "NoEcho": true, "MinLength": 2, "Empty": "", "Yes": "yes", "Quote": "it's"
            }}},
            "Outputs": {"RoleArn": {"Value": {"Fn::GetAtt": ["Role", "Arn"]}}}
        });
        let text = template_yaml(&template);
        for expected in [
            "AWSTemplateFormatVersion: '2010-09-09'",
            "Version: '2012-10-17'",
            "Statement: !If\n",
            "- HasKey",
            "Resource: !Sub \"arn:${AWS::Partition}:s3:::${Bucket}/*\"",
            "- !Ref \"AWS::NoValue\"",
            "Value: !GetAtt Role.Arn",
            "NoEcho: true",
            "MinLength: 2",
            "Empty: \"\"",
            "\"Yes\": \"yes\"",
            "Quote: \"it's\"",
        ] {
            assert!(text.contains(expected), "no {expected:?} in\n{text}");
        }
        assert!(!text.contains("Fn::"), "{text}");
    }

    #[test]
    fn dates_are_told_from_other_strings() {
        assert!(looks_like_a_date("2010-09-09"));
        assert!(looks_like_a_date("2012-10-17T00:00"));
        for text in ["2012", "segment-logs", "12345678", "2012-x-17", ""] {
            assert!(!looks_like_a_date(text), "{text}");
        }
    }
}
