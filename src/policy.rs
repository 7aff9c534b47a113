//! IAM policy documents as `serde_json` values: built as values, never by pasting strings, so no
//! input can change a document's structure.

use crate::catalog::StatementSpec;
use crate::validate::Invalid;
use serde_json::{Value, json};

pub const POLICY_VERSION: &str = "2012-10-17";
/// IAM's limit on a policy document's length.
pub const POLICY_MAX_CHARS: usize = 131_072;

/// The trust policy exactly as Segment's docs give it: the principal may call `sts:AssumeRole`
/// only with this external ID (or, for the Lambda destination, one of these IDs).
pub fn trust_policy(principal: &str, external_ids: &[String]) -> Value {
    let ids = match external_ids {
        [one] => Value::String(one.clone()),
        many => Value::Array(many.iter().cloned().map(Value::String).collect()),
    };
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": principal },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": ids } }
        }]
    })
}

/// A least-privilege permission policy from a preset's statement: `{}` in the resource pattern is
/// replaced by each value. One value of a single-valued input gives a string resource; a
/// list input always gives a list, as Segment's docs write it.
pub fn permission_policy(statement: &StatementSpec, values: &[String], as_list: bool) -> Value {
    let resources: Vec<Value> = values
        .iter()
        .map(|value| Value::String(statement.resource.replacen("{}", value, 1)))
        .collect();
    let resource = match (as_list, resources.as_slice()) {
        (false, [one]) => one.clone(),
        _ => Value::Array(resources),
    };
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Action": statement.action,
            "Resource": resource
        }]
    })
}

/// Checks a custom permission policy read from a file: valid JSON, `Version` 2012-10-17, a
/// non-empty `Statement`, no `Principal` (that belongs in a trust policy), under IAM's size limit.
pub fn check_custom_policy(text: &str) -> Result<Value, Invalid> {
    let chars = text.chars().count();
    if chars >= POLICY_MAX_CHARS {
        return Err(Invalid(format!(
            "a policy document must be under {POLICY_MAX_CHARS} characters; this one has {chars}"
        )));
    }
    let document: Value = serde_json::from_str(text).map_err(|error| {
        Invalid(format!(
            "the policy file is not valid JSON ({error}); it must hold one IAM policy document"
        ))
    })?;
    let Some(object) = document.as_object() else {
        return Err(Invalid(
            "a policy document is a JSON object with Version and Statement".into(),
        ));
    };
    if object.get("Version").and_then(Value::as_str) != Some(POLICY_VERSION) {
        return Err(Invalid(format!(
            "a policy document needs \"Version\": \"{POLICY_VERSION}\""
        )));
    }
    let statements: Vec<&Value> = match object.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    if statements.is_empty() {
        return Err(Invalid(
            "a policy document needs a non-empty \"Statement\": one statement object or a list of them"
                .into(),
        ));
    }
    for (index, statement) in statements.iter().enumerate() {
        let Some(statement) = statement.as_object() else {
            return Err(Invalid(format!(
                "statement {} is not a JSON object",
                index + 1
            )));
        };
        if statement.contains_key("Principal") || statement.contains_key("NotPrincipal") {
            return Err(Invalid(format!(
                "statement {} names a Principal: a permission policy can't; who may assume the role is set by the trust policy",
                index + 1
            )));
        }
        if !matches!(
            statement.get("Effect").and_then(Value::as_str),
            Some("Allow" | "Deny")
        ) {
            return Err(Invalid(format!(
                "statement {} needs \"Effect\": \"Allow\" or \"Deny\"",
                index + 1
            )));
        }
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Input;

    #[test]
    fn trust_policy_is_the_documented_one() {
        let policy = trust_policy("arn:aws:iam::458175278816:root", &["abc".to_string()]);
        assert_eq!(
            policy,
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": { "AWS": "arn:aws:iam::458175278816:root" },
                    "Action": "sts:AssumeRole",
                    "Condition": { "StringEquals": { "sts:ExternalId": "abc" } }
                }]
            })
        );
    }

    #[test]
    fn several_external_ids_become_a_list() {
        let policy = trust_policy("p", &["a1".to_string(), "b2".to_string()]);
        assert_eq!(
            policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            json!(["a1", "b2"])
        );
    }

    #[test]
    fn s3_preset_matches_the_docs_example() {
        let spec = StatementSpec {
            action: json!("s3:PutObject"),
            resource: "arn:aws:s3:::{}/*".into(),
            resource_input: Input::Bucket,
        };
        let policy = permission_policy(&spec, &["my-bucket".to_string()], false);
        assert_eq!(
            policy["Statement"][0]["Resource"],
            json!("arn:aws:s3:::my-bucket/*")
        );
        assert_eq!(policy["Statement"][0]["Action"], json!("s3:PutObject"));
    }

    #[test]
    fn custom_policies_are_checked() {
        let good = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert!(check_custom_policy(good).is_ok());
        let single = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        assert!(check_custom_policy(single).is_ok());
        for (bad, says) in [
            ("not json", "not valid JSON"),
            ("[]", "JSON object"),
            (r#"{"Version":"2008-10-17","Statement":[{}]}"#, "Version"),
            (r#"{"Version":"2012-10-17","Statement":[]}"#, "non-empty"),
            (r#"{"Version":"2012-10-17"}"#, "non-empty"),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}]}"#,
                "Principal",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Action":"*"}]}"#,
                "Effect",
            ),
        ] {
            let message = check_custom_policy(bad).expect_err(bad).0;
            assert!(message.contains(says), "{bad}: {message}");
        }
        let huge = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{}"}}]}}"#,
            "a".repeat(POLICY_MAX_CHARS)
        );
        assert!(
            check_custom_policy(&huge)
                .expect_err("too long")
                .0
                .contains("under 131072")
        );
    }
}
