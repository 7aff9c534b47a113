//! `plan --format terraform`: the setup as a Terraform configuration for the AWS provider, the
//! same role and documents as the CloudFormation template: `aws_iam_role` with the trust policy,
//! `aws_iam_role_policy` with the permission policy, the external IDs as a sensitive variable
//! (never written into the file), the role's ARN as an output, our tags. The documents are
//! written as `jsonencode(...)` of the JSON itself: JSON's objects, arrays and strings are HCL's
//! expression syntax too, once `${` and `%{` (HCL's templates) are escaped.

use crate::model::plan::Plan;
use serde_json::Value;

/// The variable that holds the external IDs (in `terraform.tfvars`, `TF_VAR_external_ids` or
/// `-var`, never in the configuration).
pub const IDS_VARIABLE: &str = "external_ids";

/// What stands for the IDs in the trust policy until it is written as HCL.
const PLACEHOLDER: &str = "\u{0}external-ids\u{0}";

/// A string as an HCL string literal: JSON's quoting, and HCL's template sequences escaped.
pub fn hcl_string(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into());
    quoted.replace("${", "$${").replace("%{", "%%{")
}

/// A JSON document as an HCL expression (for `jsonencode`), indented by `indent` spaces after
/// its first line.
fn hcl_value(value: &Value, indent: usize) -> String {
    let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
    let pad = " ".repeat(indent);
    pretty
        .replace("${", "$${")
        .replace("%{", "%%{")
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                line.to_string()
            } else {
                format!("{pad}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The trust policy with every condition value that is the setup's IDs (one, or a list of
/// them) replaced by the placeholder.
fn with_ids_replaced(document: &Value, ids: &[String]) -> Value {
    let is_id = |v: &Value| v.as_str().is_some_and(|s| ids.iter().any(|id| id == s));
    match document {
        Value::String(_) if is_id(document) => Value::String(PLACEHOLDER.into()),
        Value::Array(items) if !items.is_empty() && items.iter().all(is_id) => {
            Value::String(PLACEHOLDER.into())
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| with_ids_replaced(item, ids))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), with_ids_replaced(v, ids)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The configuration, in one file (`main.tf`).
pub fn configuration(plan: &Plan) -> String {
    let ids: Vec<String> = plan
        .external_ids
        .iter()
        .chain(&plan.next_external_ids)
        .cloned()
        .collect();
    let trust = with_ids_replaced(&plan.trust_policy, &ids);
    let placeholder = serde_json::to_string(PLACEHOLDER).unwrap_or_default();
    let trust = hcl_value(&trust, 2).replace(&placeholder, &format!("var.{IDS_VARIABLE}"));
    let permission = hcl_value(&plan.permission_policy, 2);
    let tags: String = plan
        .tags
        .iter()
        .map(|(k, v)| {
            // Made by Terraform, not by the IAM method: `delete` and `update` leave it to Terraform.
            let v = if k == "created-with" { "terraform" } else { v };
            format!("    {} = {}\n", hcl_string(k), hcl_string(v))
        })
        .collect();
    // checkov's inline skips, each with why: a function's principal is Segment's account root,
    // as Segment documents it; a preset's documented policy says its own.
    let skip =
        |check: &str, why: &str| format!("  # checkov:skip={check}: {}\n", why.replace('\n', " "));
    let role_skips = if plan.principal.ends_with(":root") {
        skip(
            "CKV_AWS_61",
            "Segment's functions assume the role from Segment's account root, the principal Segment documents; the external ID condition keeps other Segment customers out",
        )
    } else {
        String::new()
    };
    let policy_skips: String = crate::model::catalog::Catalog::builtin()
        .preset(&plan.preset_id)
        .map(|preset| {
            preset
                .checkov_skips
                .iter()
                .map(|s| skip(&s.check, &s.why))
                .collect()
        })
        .unwrap_or_default();
    let workspace = crate::model::catalog::Catalog::builtin()
        .integration(&plan.integration_id)
        .is_some_and(|i| {
            i.external_id.source == crate::model::catalog::ExternalIdSource::WorkspaceId
        });
    let secret = if workspace {
        "the Segment workspace ID (and source IDs) Segment presents"
    } else {
        "the external ID: keep it like a password"
    };
    format!(
        r#"# The IAM role Segment assumes for the {title} ({preset}), made by segment-aws-setup plan:
# the same role and policies as its CloudFormation template. The external IDs are a variable,
# never in this file: terraform apply -var-file=segment.tfvars, or TF_VAR_{var}='["..."]'.

terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }}
  }}
}}

variable "{var}" {{
  description = {description}
  type        = list(string)
  sensitive   = true
}}

resource "aws_iam_role" "segment" {{
{role_skips}  name        = {name}
  path        = {path}
  description = {role_description}
  assume_role_policy = jsonencode({trust})
  tags = {{
{tags}  }}
}}

resource "aws_iam_role_policy" "segment" {{
{policy_skips}  name = {policy_name}
  role = aws_iam_role.segment.id
  policy = jsonencode({permission})
}}

output "role_arn" {{
  description = "The IAM Role ARN to give Segment"
  value       = aws_iam_role.segment.arn
}}
"#,
        title = plan.integration_title,
        preset = plan.preset_title,
        var = IDS_VARIABLE,
        description = hcl_string(&format!("The IDs Segment's requests must carry ({secret})")),
        name = hcl_string(&plan.role_name),
        path = hcl_string(&plan.role_path),
        role_description = hcl_string(&plan.role_description),
        policy_name = hcl_string(&plan.policy_name),
    )
}

/// The variables file for the configuration: the IDs, to keep out of version control (mode
/// 0600 when written).
pub fn variables(plan: &Plan) -> String {
    let ids: Vec<String> = plan
        .external_ids
        .iter()
        .chain(&plan.next_external_ids)
        .map(|id| hcl_string(id))
        .collect();
    format!(
        "# Keep out of version control: the external IDs the role requires.\n{IDS_VARIABLE} = [{}]\n",
        ids.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_hcl_templates_and_ids_become_the_variable() {
        assert_eq!(hcl_string("a\"b${x}%{y}"), r#""a\"b$${x}%%{y}""#);
        let trust = serde_json::json!({"Statement": [{"Condition": {"StringEquals": {"sts:ExternalId": ["id-1", "id-2"]}}, "Principal": {"AWS": "p"}}]});
        let replaced = with_ids_replaced(&trust, &["id-1".into(), "id-2".into()]);
        assert_eq!(
            replaced["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            PLACEHOLDER
        );
        assert_eq!(replaced["Statement"][0]["Principal"]["AWS"], "p");
    }
}
