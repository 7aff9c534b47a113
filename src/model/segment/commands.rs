//! The Segment half as shell commands, for a plan an administrator runs: `curl` with the token
//! from `SEGMENT_PUBLIC_API_TOKEN` and `jq`, nothing secret in them (the role ARN and a
//! function's external ID come from `ROLE_ARN` and `SEGMENT_AWS_SETUP_EXTERNAL_ID`), and the same
//! writes `write-settings` makes: a function's definitions added to its own, only the writable
//! keys of a destination instance.

use super::{FunctionKind, TOKEN_VARIABLE};
use crate::model::catalog::Integration;
use crate::model::outcome::Outcome;
use crate::model::place::shell_word;
use crate::model::plan::Setting;
use serde_json::Value;

/// The variable a command reads the external ID from (the one `verify` reads too).
const ID_VARIABLE: &str = "SEGMENT_AWS_SETUP_EXTERNAL_ID";

fn auth() -> String {
    format!("-H \"Authorization: Bearer ${TOKEN_VARIABLE}\"")
}

/// The values to write, as a jq program's object: the role ARN and the external ID from
/// arguments, the rest as they are.
fn values_program(settings: &[Setting]) -> String {
    let mut fields = Vec::new();
    for setting in settings.iter().filter(|s| !s.read_only) {
        let key = serde_json::to_string(&setting.key).unwrap_or_default();
        let value = if setting.sensitive {
            "$id".to_string()
        } else if setting.value.is_none() {
            "$role".to_string()
        } else {
            serde_json::to_string(setting.value.as_deref().unwrap_or_default()).unwrap_or_default()
        };
        fields.push(format!("{key}: {value}"));
    }
    format!("{{settings: {{{}}}}}", fields.join(", "))
}

/// The commands, in order, with a `#` line before each saying what it does.
pub fn api_commands(outcome: &Outcome, integration: &Integration) -> Vec<String> {
    let base = super::ApiRegion::Us.base_url();
    let settings: Vec<Setting> = outcome
        .groups
        .first()
        .map(|g| g.settings.clone())
        .unwrap_or_default();
    let args = format!(
        "--arg role \"$ROLE_ARN\"{}",
        if settings.iter().any(|s| s.sensitive) {
            format!(" --arg id \"${ID_VARIABLE}\"")
        } else {
            String::new()
        }
    );
    let mut lines = vec![format!(
        "# With {TOKEN_VARIABLE} set (an EU workspace: {} instead), ROLE_ARN the role's ARN{}:",
        super::ApiRegion::Eu.base_url(),
        if settings.iter().any(|s| s.sensitive) {
            format!(" and {ID_VARIABLE} the external ID")
        } else {
            String::new()
        }
    )];
    if let Some(kind) = FunctionKind::of_integration(&integration.id) {
        let definitions: Vec<Value> = crate::model::segment::write::wanted_definitions(&settings)
            .iter()
            .map(|d| serde_json::to_value(d).unwrap_or(Value::Null))
            .collect();
        let add = Value::Array(definitions).to_string();
        lines.push("# The functions, to find FUNCTION_ID:".into());
        lines.push(format!(
            "curl -sS {} \"{base}/functions?resourceType={}&pagination.count=200\" | jq '.data.functions[] | {{id, displayName}}'",
            auth(),
            kind.resource_type()
        ));
        lines.push(
            "# Its setting definitions, its own kept, the missing ones added (never its code):"
                .into(),
        );
        lines.push(format!(
            "curl -sS {auth} \"{base}/functions/$FUNCTION_ID\" | jq --argjson add {} '.data.function.settings as $have | {{settings: ($have + [$add[] | select(.name as $n | ($have | map(.name) | index($n)) == null)])}}' | curl -sS -X PATCH {auth} -H 'Content-Type: application/vnd.segment.v1+json' \"{base}/functions/$FUNCTION_ID\" -d @-",
            shell_word(&add),
            auth = auth()
        ));
        if kind == FunctionKind::Destination {
            lines.push("# The values, into the function's instance DESTINATION_ID (GET /destinations lists them):".into());
            lines.push(patch_values(base, &args, &settings));
        }
        return lines;
    }
    let Some(catalog_id) = &integration.catalog_id else {
        return Vec::new();
    };
    lines.push(format!(
        "# The {} instances, to find DESTINATION_ID:",
        integration.catalog_name.as_deref().unwrap_or("destination")
    ));
    lines.push(format!(
        "curl -sS {} \"{base}/destinations?pagination.count=200\" | jq '.data.destinations[] | select(.metadata.id == \"{catalog_id}\") | {{id, name, sourceId, enabled}}'",
        auth()
    ));
    for (index, group) in outcome.groups.iter().enumerate() {
        lines.push(match &group.heading {
            Some(heading) => format!(
                "# Its writable settings ({heading}; DESTINATION_ID the instance {}):",
                index + 1
            ),
            None => "# Its writable settings (the read-only ones are Segment's):".into(),
        });
        lines.push(patch_values(base, &args, &group.settings));
    }
    lines
}

fn patch_values(base: &str, args: &str, settings: &[Setting]) -> String {
    format!(
        "jq -n {args} {} | curl -sS -X PATCH {} -H 'Content-Type: application/vnd.segment.v1+json' \"{base}/destinations/$DESTINATION_ID\" -d @-",
        shell_word(&values_program(settings)),
        auth()
    )
}
