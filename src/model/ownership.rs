//! Whether a stack, a stack set or a role is this tool's own, proven by what it holds. The
//! `created-by=segment-aws-setup` tag is a hint, not proof: anyone with `iam:TagRole` or
//! `cloudformation:UpdateStack` can set it, and a stack's tags propagate to what it makes. So
//! before anything is changed or deleted, its content must be exactly what this tool makes: for
//! a stack or stack set, a template of one of the integrations (the role and its policy under our
//! logical IDs, the role trusting the integration's principal, the `RoleArn` output) and nothing
//! else in it; for a role, a trust policy naming the principal of the integration it is tagged
//! for. Pure: the engine reads, this decides.

use crate::model::aws_types::{ResourceChange, RoleInfo, StackResource};
use crate::model::catalog::{Catalog, Integration};
use crate::model::template::{POLICY_TYPE, ROLE_ARN_OUTPUT, ROLE_TYPE};
use serde_json::Value;
use std::collections::BTreeMap;

/// The tag every resource the tool creates carries: necessary, never sufficient.
pub const CREATED_BY_TAG: (&str, &str) = ("created-by", "segment-aws-setup");

/// The tag that names a setup's integration, on its stack and its role.
pub const INTEGRATION_TAG: &str = "segment-integration";

/// The resource types this tool's templates make; anything else in a stack is someone else's.
pub const OUR_TYPES: [&str; 3] = [ROLE_TYPE, POLICY_TYPE, FUNCTION_TYPE];
/// A starter function (`model::starter`), made in the stack beside the role when asked for.
pub const FUNCTION_TYPE: &str = "AWS::Lambda::Function";

/// It carries the `created-by` tag (a hint: see the module's doc).
pub fn tagged(tags: &[(String, String)]) -> bool {
    tags.iter()
        .any(|(k, v)| k == CREATED_BY_TAG.0 && v == CREATED_BY_TAG.1)
}

fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The integrations a tagged thing may be: the one its tag names, else any.
fn candidates(tags: &[(String, String)]) -> Vec<&'static Integration> {
    let catalog = Catalog::builtin();
    match tag(tags, INTEGRATION_TAG).and_then(|id| catalog.integration(id)) {
        Some(integration) => vec![integration],
        None => catalog.integrations().iter().collect(),
    }
}

/// "Queue (AWS::SQS::Queue), Bucket (AWS::S3::Bucket)": what a template or stack holds.
fn held(resources: &BTreeMap<String, String>) -> String {
    if resources.is_empty() {
        return "no resource".into();
    }
    resources
        .iter()
        .map(|(logical, kind)| format!("{logical} ({kind})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Logical ID → type of a template's resources.
fn template_resources(template: &Value) -> BTreeMap<String, String> {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(logical, resource)| {
            (
                logical.clone(),
                resource["Type"].as_str().unwrap_or("(no type)").to_string(),
            )
        })
        .collect()
}

/// Whether every statement of a trust policy names only `principal` (as a template of ours
/// writes it), and at least one does.
fn trusts_only(trust: &Value, principal: &str) -> bool {
    let statements: Vec<&Value> = match trust.get("Statement") {
        Some(Value::Array(many)) => many.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    !statements.is_empty()
        && statements.iter().all(|statement| {
            statement.get("Effect").and_then(Value::as_str) == Some("Allow")
                && statement
                    .get("Principal")
                    .and_then(Value::as_object)
                    .is_some_and(|p| p.len() == 1 && p.get("AWS") == Some(&Value::from(principal)))
        })
}

/// Why a template is not one this integration's (a stack or stack set of ours is made from
/// it, with its external IDs or policy written in and, for a stack set, the role named).
fn template_differs(template: &Value, integration: &Integration) -> Option<String> {
    let Some(ours) = crate::model::template::load(&integration.template) else {
        return Some(format!("no template for {}", integration.id));
    };
    let want = template_resources(&ours);
    let have = template_resources(template);
    // A starter function's two resources, where the integration offers one, and then only
    // with its role trusting Lambda alone.
    let mut with_starter = want.clone();
    with_starter.extend(
        crate::model::starter::stack_resources()
            .map(|(logical, kind)| (logical.to_string(), kind.to_string())),
    );
    let offers_starter = integration
        .presets
        .iter()
        .any(|offer| offer.starter_function.is_some());
    let starter_right = offers_starter
        && have == with_starter
        && template["Resources"][crate::model::starter::EXECUTION_ROLE_ID]["Properties"]["AssumeRolePolicyDocument"]
            == crate::model::starter::Starter::trust_policy();
    if have != want && !starter_right {
        return Some(format!(
            "it holds {}, where this tool's {} template holds {}",
            held(&have),
            integration.id,
            held(&want)
        ));
    }
    let role_id = crate::model::template::role_logical_id(&ours).unwrap_or_default();
    let trust = &template["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"];
    if !trusts_only(trust, &integration.principal) {
        return Some(format!(
            "its role {role_id} does not trust only {}, the principal of {}",
            integration.principal, integration.id
        ));
    }
    let output = &template["Outputs"][ROLE_ARN_OUTPUT]["Value"]["Fn::GetAtt"];
    if output != &serde_json::json!([role_id, "Arn"]) {
        return Some(format!(
            "it has no {ROLE_ARN_OUTPUT} output of its role {role_id}"
        ));
    }
    None
}

/// A stack's template proves it ours: the integration it was made for, or why not (a sentence
/// naming what it holds). `resources` are what CloudFormation says it holds now (empty after a
/// rollback deleted them): only our types may be among them.
pub fn stack_is_ours(
    tags: &[(String, String)],
    template: &Value,
    resources: &[StackResource],
) -> Result<&'static Integration, String> {
    if !tagged(tags) {
        return Err(format!(
            "it has no {}={} tag",
            CREATED_BY_TAG.0, CREATED_BY_TAG.1
        ));
    }
    let foreign: BTreeMap<String, String> = resources
        .iter()
        .filter(|r| !OUR_TYPES.contains(&r.resource_type.as_str()))
        .map(|r| (r.logical_id.clone(), r.resource_type.clone()))
        .collect();
    if !foreign.is_empty() {
        return Err(format!(
            "it holds {}, which this tool never makes",
            held(&foreign)
        ));
    }
    from_template(tags, template)
}

/// A stack set's template proves it ours, as a stack's does.
pub fn stack_set_is_ours(
    tags: &[(String, String)],
    template: &Value,
) -> Result<&'static Integration, String> {
    if !tagged(tags) {
        return Err(format!(
            "it has no {}={} tag",
            CREATED_BY_TAG.0, CREATED_BY_TAG.1
        ));
    }
    from_template(tags, template)
}

fn from_template(
    tags: &[(String, String)],
    template: &Value,
) -> Result<&'static Integration, String> {
    let mut why = Vec::new();
    for integration in candidates(tags) {
        match template_differs(template, integration) {
            None => return Ok(integration),
            Some(reason) => why.push(reason),
        }
    }
    // One reason is enough when the tag named the integration; else what it holds.
    Err(match why.as_slice() {
        [one] => one.clone(),
        _ => format!(
            "its template is none of this tool's: it holds {}",
            held(&template_resources(template))
        ),
    })
}

/// A role proves itself ours: tagged, and its trust policy names the principal of the
/// integration it is tagged for (any of them without that tag). The integration, or why not.
pub fn role_is_ours(role: &RoleInfo) -> Result<&'static Integration, String> {
    if !tagged(&role.tags) {
        return Err(format!(
            "it has no {}={} tag",
            CREATED_BY_TAG.0, CREATED_BY_TAG.1
        ));
    }
    let candidates = candidates(&role.tags);
    if let Some(integration) = candidates
        .iter()
        .find(|i| names_principal(&role.trust_policy, &i.principal))
    {
        return Ok(integration);
    }
    let trusted: Vec<String> = crate::model::iam_eval::statements(&role.trust_policy)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| s.get("Principal"))
        .flat_map(crate::model::iam_eval::principal_entries)
        .filter_map(|(kind, entry)| entry.map(|e| format!("{kind} {e}")))
        .collect();
    Err(format!(
        "its trust policy names {}, not {}",
        if trusted.is_empty() {
            "no principal".to_string()
        } else {
            trusted.join(", ")
        },
        match candidates.as_slice() {
            [one] => format!("{}, the principal of {}", one.principal, one.id),
            _ => "a principal of Segment's".into(),
        }
    ))
}

/// Whether an Allow statement of the trust policy names `principal` (an account's root also
/// written as the bare account ID).
pub fn names_principal(trust: &Value, principal: &str) -> bool {
    let account = principal
        .strip_suffix(":root")
        .and_then(|p| p.split(':').nth(4))
        .unwrap_or_default();
    crate::model::iam_eval::statements(trust)
        .unwrap_or_default()
        .iter()
        .filter(|s| s.get("Effect").and_then(Value::as_str) == Some("Allow"))
        .filter_map(|s| s.get("Principal").and_then(|p| p.get("AWS")))
        .flat_map(|aws| match aws {
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            one => one.as_str().into_iter().collect::<Vec<_>>(),
        })
        .any(|entry| entry == principal || (!account.is_empty() && entry == account))
}

/// A change a change set would make to a resource of a type this tool never makes: its removal
/// or replacement (or its addition) is refused.
pub fn foreign_change(change: &ResourceChange) -> bool {
    !OUR_TYPES.contains(&change.resource_type.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ours() -> Vec<(String, String)> {
        vec![
            (CREATED_BY_TAG.0.into(), CREATED_BY_TAG.1.into()),
            (INTEGRATION_TAG.into(), "destination-function".into()),
        ]
    }

    fn resources(template: &Value) -> Vec<StackResource> {
        template_resources(template)
            .into_iter()
            .map(|(logical_id, resource_type)| StackResource {
                logical_id,
                resource_type,
                physical_id: None,
            })
            .collect()
    }

    #[test]
    fn a_starter_function_is_ours_only_where_offered_and_with_its_role_trusting_lambda() {
        let lambda_tags = vec![
            (CREATED_BY_TAG.0.into(), CREATED_BY_TAG.1.into()),
            (INTEGRATION_TAG.into(), "lambda-destination".into()),
        ];
        let starter = crate::model::starter::Starter {
            name: "s-starter".into(),
            region: "us-west-2".into(),
            account: "123456789012".into(),
            spec: crate::model::starter::StarterSpec {
                code: "lambda-destination.py".into(),
                runtime: "python3.13".into(),
                actions: Vec::new(),
                environment: Vec::new(),
            },
            code: String::new(),
        };
        let mut with = crate::model::template::load("lambda-destination.json").expect("embedded");
        starter.add_to(&mut with);
        assert!(stack_is_ours(&lambda_tags, &with, &resources(&with)).is_ok());

        let mut hijacked = with.clone();
        hijacked["Resources"][crate::model::starter::EXECUTION_ROLE_ID]["Properties"]["AssumeRolePolicyDocument"]
            ["Statement"][0]["Principal"] = json!({"AWS": "arn:aws:iam::999999999999:root"});
        assert!(stack_is_ours(&lambda_tags, &hijacked, &resources(&hijacked)).is_err());

        // Kinesis offers none: the same resources beside its role are not its.
        let kinesis_tags = vec![
            (CREATED_BY_TAG.0.into(), CREATED_BY_TAG.1.into()),
            (INTEGRATION_TAG.into(), "kinesis-destination".into()),
        ];
        let mut kinesis =
            crate::model::template::load("kinesis-destination.json").expect("embedded");
        starter.add_to(&mut kinesis);
        assert!(stack_is_ours(&kinesis_tags, &kinesis, &resources(&kinesis)).is_err());
    }

    #[test]
    fn our_own_template_proves_a_stack_ours_and_a_tag_alone_does_not() {
        let template = crate::model::template::load("destination-function.json").expect("embedded");
        let integration = stack_is_ours(&ours(), &template, &resources(&template)).expect("ours");
        assert_eq!(integration.id, "destination-function");
        // Rendered with a literal policy, still ours.
        let permission = json!({"Version": "2012-10-17", "Statement": []});
        let rendered = crate::model::template::render(&template, None, Some(&permission));
        assert!(stack_is_ours(&ours(), &rendered, &resources(&rendered)).is_ok());

        let team_infra = json!({"Resources": {
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Bucket": {"Type": "AWS::S3::Bucket"}
        }});
        let why =
            stack_is_ours(&ours(), &team_infra, &resources(&team_infra)).expect_err("not ours");
        assert!(
            why.contains("Bucket (AWS::S3::Bucket), Queue (AWS::SQS::Queue)"),
            "{why}"
        );
        // Our two resources plus one of someone else's: not ours.
        let mut grown = template.clone();
        grown["Resources"]["Queue"] = json!({"Type": "AWS::SQS::Queue"});
        assert!(stack_is_ours(&ours(), &grown, &resources(&grown)).is_err());
        // Our logical IDs, but the role trusts another account.
        let mut hijacked = template.clone();
        hijacked["Resources"]["FunctionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
            [0]["Principal"]["AWS"] = json!("arn:aws:iam::999999999999:root");
        let why = stack_is_ours(&ours(), &hijacked, &resources(&hijacked)).expect_err("not ours");
        assert!(why.contains("does not trust only"), "{why}");
        // No tag, no claim.
        assert!(stack_is_ours(&[], &template, &resources(&template)).is_err());
    }

    #[test]
    fn a_role_is_ours_only_when_it_trusts_its_integrations_principal() {
        let role = |trust: Value, tags: Vec<(String, String)>| RoleInfo {
            name: "r".into(),
            arn: "arn:aws:iam::123456789012:role/r".into(),
            trust_policy: trust,
            tags,
            permissions_boundary: None,
            last_used: None,
        };
        let segment =
            crate::model::policy::trust_policy("arn:aws:iam::458175278816:root", &["x".repeat(40)]);
        assert!(role_is_ours(&role(segment.clone(), ours())).is_ok());
        let ec2 = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let why = role_is_ours(&role(ec2, ours())).expect_err("an EC2 role");
        assert!(why.contains("Service ec2.amazonaws.com"), "{why}");
        assert!(role_is_ours(&role(segment, vec![])).is_err(), "untagged");
    }

    #[test]
    fn changes_to_types_we_never_make_are_foreign() {
        let change = |kind: &str| ResourceChange {
            action: "Remove".into(),
            logical_id: "X".into(),
            resource_type: kind.into(),
            replacement: None,
        };
        assert!(foreign_change(&change("AWS::SQS::Queue")));
        assert!(!foreign_change(&change("AWS::IAM::Role")));
        assert!(!foreign_change(&change("AWS::IAM::Policy")));
    }
}
