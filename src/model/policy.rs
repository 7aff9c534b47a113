//! IAM policy documents as `serde_json` values: built as values, never by pasting strings, so no
//! input can change a document's structure.

use crate::model::catalog::StatementSpec;
use crate::model::validate::Invalid;
use serde_json::{Value, json};

pub const POLICY_VERSION: &str = "2012-10-17";
/// IAM's limit on a role's inline policies together, in characters without white space.
pub const INLINE_POLICIES_MAX_CHARS: usize = 10_240;
/// A policy file larger than this is refused before it is read whole (`/dev/zero` included).
pub const POLICY_FILE_MAX_BYTES: u64 = 1024 * 1024;

/// A document's length as IAM counts it against its quotas: without white space, which is the
/// compact JSON this tool sends.
pub fn compact_len(document: &Value) -> usize {
    document.to_string().chars().count()
}

/// `~` and `~/...` as a shell would read them: the home directory. A path typed in the wizard or
/// plain mode (or `--policy-file=~/...`, which no shell expands) means the same as in a shell.
pub fn expand_home(path: &std::path::Path, home: Option<&std::path::Path>) -> std::path::PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// What a permission policy grants broadly, one sentence per statement: every action
/// (`*`, `NotAction`), IAM (`iam:*`, `iam:PassRole`), other roles (`sts:AssumeRole`), every
/// resource (`*`, `NotResource`). Empty when nothing is broad.
pub fn broad_grants(document: &Value) -> Vec<String> {
    use crate::model::iam_eval::wildcard_match;
    let mut out = Vec::new();
    for (index, statement) in crate::model::iam_eval::statements(document)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let strings = |key: &str| -> Vec<String> {
            match statement.get(key) {
                Some(Value::String(one)) => vec![one.clone()],
                Some(Value::Array(many)) => many
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut found = Vec::new();
        if statement.get("NotAction").is_some() {
            found.push("NotAction: every action except those it lists".to_string());
        }
        for action in strings("Action") {
            let covers = |a: &str| wildcard_match(&action, a, true);
            if covers("anyservice:AnyAction")
                || covers("ec2:RunInstances") && covers("iam:CreateUser")
            {
                found.push(format!("Action {action:?}: every action"));
            } else if covers("iam:CreateUser") && covers("iam:PassRole") {
                found.push(format!("Action {action:?}: full control of IAM"));
            } else {
                if covers("iam:PassRole") {
                    found.push(format!(
                        "Action {action:?}: iam:PassRole, handing roles to AWS services"
                    ));
                }
                if covers("sts:AssumeRole") {
                    found.push(format!(
                        "Action {action:?}: sts:AssumeRole, moving on to other roles"
                    ));
                }
            }
        }
        if statement.get("NotResource").is_some() {
            found.push("NotResource: every resource except those it lists".to_string());
        }
        if strings("Resource").iter().any(|r| r == "*") {
            found.push("Resource \"*\": every resource".to_string());
        }
        if !found.is_empty() {
            out.push(format!("statement {}: {}", index + 1, found.join("; ")));
        }
    }
    out
}

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

/// What a preset's resource patterns are filled with: each input's values, the account ID and
/// the role's own ARN.
pub struct PatternValues<'a> {
    pub inputs: &'a std::collections::BTreeMap<crate::model::catalog::Input, Vec<String>>,
    pub account: &'a str,
    pub role_arn: &'a str,
}

impl PatternValues<'_> {
    /// The values `{name}` stands for; `None` for a name nothing fills.
    fn of(&self, name: &str) -> Option<(Vec<String>, bool)> {
        match name {
            "account" => Some((vec![self.account.to_string()], false)),
            "role" => Some((vec![self.role_arn.to_string()], false)),
            _ => crate::model::catalog::Input::ALL
                .into_iter()
                .find(|input| input.name() == name)
                .map(|input| {
                    let values = self.inputs.get(&input).cloned().unwrap_or_default();
                    // An optional single input left out stands for nothing (no path prefix).
                    match (values.is_empty(), input.is_list()) {
                        (true, false) => (vec![String::new()], false),
                        _ => (values, input.is_list()),
                    }
                }),
        }
    }

    /// One pattern's resources: each value of a list input makes one; returns whether a list
    /// input was used (Segment's docs then write a list even for one value).
    fn expand(&self, pattern: &str) -> (Vec<String>, bool) {
        let mut results = vec![String::new()];
        let mut listed = false;
        let mut rest = pattern;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}').map(|c| open + c) else {
                break;
            };
            let literal = &rest[..open];
            let name = &rest[open + 1..close];
            let (values, is_list) = self
                .of(name)
                .unwrap_or_else(|| (vec![rest[open..=close].to_string()], false));
            listed |= is_list;
            results = results
                .iter()
                .flat_map(|prefix| values.iter().map(move |v| format!("{prefix}{literal}{v}")))
                .collect();
            rest = &rest[close + 1..];
        }
        for result in &mut results {
            result.push_str(rest);
        }
        (results, listed)
    }
}

/// A least-privilege permission policy from a preset's statements, their resource patterns
/// filled in. A statement `when` an optional input is left out is left out too. One resource
/// from single-valued inputs is written as a string, a list input always as a list, as Segment's
/// docs write them.
pub fn permission_policy(statements: &[StatementSpec], values: &PatternValues<'_>) -> Value {
    let statements: Vec<Value> = statements
        .iter()
        .filter(|spec| {
            spec.when
                .is_none_or(|input| values.inputs.get(&input).is_some_and(|v| !v.is_empty()))
        })
        .map(|spec| {
            let mut resources = Vec::new();
            let mut listed = spec.resources.len() > 1;
            for pattern in &spec.resources {
                let (expanded, is_list) = values.expand(pattern);
                listed |= is_list;
                resources.extend(expanded);
            }
            let resource = match (listed, resources.as_slice()) {
                (false, [one]) => json!(one),
                _ => json!(resources),
            };
            let mut statement = serde_json::Map::new();
            if let Some(sid) = &spec.sid {
                statement.insert("Sid".into(), json!(sid));
            }
            statement.insert("Effect".into(), json!("Allow"));
            statement.insert("Action".into(), spec.action.clone());
            statement.insert("Resource".into(), resource);
            if let Some(condition) = &spec.condition {
                statement.insert("Condition".into(), condition.clone());
            }
            Value::Object(statement)
        })
        .collect();
    json!({
        "Version": POLICY_VERSION,
        "Statement": statements
    })
}

/// Checks a custom permission policy read from a file: valid JSON, `Version` 2012-10-17, a
/// non-empty `Statement`, no `Principal` (that belongs in a trust policy), and within IAM's limit
/// on a role's inline policies (counted without white space).
pub fn check_custom_policy(text: &str) -> Result<Value, Invalid> {
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
    let chars = compact_len(&document);
    if chars > INLINE_POLICIES_MAX_CHARS {
        return Err(Invalid(format!(
            "a role's inline policies may total {INLINE_POLICIES_MAX_CHARS} characters without white space; this one has {chars}"
        )));
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Input;

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
            sid: None,
            action: json!("s3:PutObject"),
            resources: vec!["arn:aws:s3:::{bucket}/*".into()],
            condition: None,
            when: None,
        };
        let inputs = [(Input::Bucket, vec!["my-bucket".to_string()])].into();
        let values = PatternValues {
            inputs: &inputs,
            account: "123456789012",
            role_arn: "arn:aws:iam::123456789012:role/r",
        };
        let policy = permission_policy(&[spec], &values);
        assert_eq!(
            policy["Statement"][0]["Resource"],
            json!("arn:aws:s3:::my-bucket/*")
        );
        assert_eq!(policy["Statement"][0]["Action"], json!("s3:PutObject"));
    }

    #[test]
    fn patterns_fill_lists_the_account_the_role_and_leave_out_what_is_not_given() {
        let statements = vec![
            StatementSpec {
                sid: Some("Put".into()),
                action: json!(["firehose:PutRecord"]),
                resources: vec!["{deliveryStreamArns}".into()],
                condition: None,
                when: None,
            },
            StatementSpec {
                sid: None,
                action: json!("iam:SimulatePrincipalPolicy"),
                resources: vec![
                    "{role}".into(),
                    "arn:aws:glue:{bucketRegion}:{account}:catalog".into(),
                ],
                condition: Some(json!({"StringEquals": {"aws:ResourceTag/vendor": "segment"}})),
                when: None,
            },
            StatementSpec {
                sid: None,
                action: json!("kms:Decrypt"),
                resources: vec!["{kmsKeyArn}".into()],
                condition: None,
                when: Some(Input::KmsKeyArn),
            },
        ];
        let inputs = [
            (
                Input::DeliveryStreamArns,
                vec!["arn:a".to_string(), "arn:b".to_string()],
            ),
            (Input::BucketRegion, vec!["eu-west-1".to_string()]),
        ]
        .into();
        let values = PatternValues {
            inputs: &inputs,
            account: "123456789012",
            role_arn: "arn:aws:iam::123456789012:role/r",
        };
        let policy = permission_policy(&statements, &values);
        assert_eq!(
            policy["Statement"],
            json!([
                {"Sid": "Put", "Effect": "Allow", "Action": ["firehose:PutRecord"], "Resource": ["arn:a", "arn:b"]},
                {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy",
                 "Resource": ["arn:aws:iam::123456789012:role/r", "arn:aws:glue:eu-west-1:123456789012:catalog"],
                 "Condition": {"StringEquals": {"aws:ResourceTag/vendor": "segment"}}}
            ]),
            "the KMS statement is left out without a key"
        );
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
            "a".repeat(INLINE_POLICIES_MAX_CHARS)
        );
        assert!(
            check_custom_policy(&huge)
                .expect_err("too long")
                .0
                .contains("total 10240 characters")
        );
        let spaced = format!(
            "{{\"Version\":\"2012-10-17\",{}\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}}]}}",
            " ".repeat(INLINE_POLICIES_MAX_CHARS)
        );
        assert!(
            check_custom_policy(&spaced).is_ok(),
            "white space is not counted"
        );
    }

    #[test]
    fn broad_grants_are_named() {
        let grants = |statement: Value| {
            broad_grants(&json!({"Version": "2012-10-17", "Statement": [statement]}))
        };
        assert!(
            grants(
                json!({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"})
            )
            .is_empty()
        );
        assert!(
            grants(json!({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}))[0]
                .contains("every action")
        );
        assert!(
            grants(json!({"Effect": "Allow", "Action": "*:*", "Resource": "x"}))[0]
                .contains("every action")
        );
        assert!(
            grants(json!({"Effect": "Allow", "Action": "iam:*", "Resource": "x"}))[0]
                .contains("full control of IAM")
        );
        assert!(
            grants(
                json!({"Effect": "Allow", "Action": ["s3:GetObject", "iam:Pass*"], "Resource": "x"})
            )[0]
            .contains("iam:PassRole")
        );
        assert!(
            grants(json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "x"}))[0]
                .contains("other roles")
        );
        assert!(
            grants(json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))[0]
                .contains("every resource")
        );
        assert!(
            grants(json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "x"}))[0]
                .contains("NotAction")
        );
        assert!(
            grants(json!({"Effect": "Deny", "Action": "*", "Resource": "*"})).is_empty(),
            "a Deny narrows"
        );
    }

    #[test]
    fn a_policy_file_over_1_mib_is_refused_without_reading_it_whole() {
        let home = std::path::Path::new("/home/jo");
        assert_eq!(
            expand_home(std::path::Path::new("~/p.json"), Some(home)),
            home.join("p.json")
        );
        assert_eq!(expand_home(std::path::Path::new("~"), Some(home)), home);
        assert_eq!(
            expand_home(std::path::Path::new("~jo/p.json"), Some(home)),
            std::path::Path::new("~jo/p.json"),
            "another user's home is not guessed"
        );
        assert_eq!(
            expand_home(std::path::Path::new("a/~/b"), Some(home)),
            std::path::Path::new("a/~/b")
        );
    }
}
