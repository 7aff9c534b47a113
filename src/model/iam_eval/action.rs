//! The `Action` and `NotAction` elements, with IAM's wildcard matching.

use super::principal::*;
use super::request::*;
use regex::Regex;
use serde_json::Value;

/// IAM's wildcard match: `*` any run of characters, `?` one character.
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if !has_wildcard(pattern) {
        return if ignore_case {
            pattern.to_lowercase() == text.to_lowercase()
        } else {
            pattern == text
        };
    }
    thread_local! {
        // Patterns repeat across probes and statements: compile each once.
        static COMPILED: std::cell::RefCell<std::collections::HashMap<(String, bool), Option<Regex>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > 4096 {
            cache.clear();
        }
        cache
            .entry((pattern.to_string(), ignore_case))
            .or_insert_with(|| {
                let mut expression = String::from(if ignore_case { "(?si)^" } else { "(?s)^" });
                for c in pattern.chars() {
                    match c {
                        '*' => expression.push_str(".*"),
                        '?' => expression.push('.'),
                        other => {
                            expression.push_str(&regex::escape(other.encode_utf8(&mut [0; 4])))
                        }
                    }
                }
                expression.push('$');
                Regex::new(&expression).ok()
            })
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    })
}

pub(super) fn action_element(
    object: &serde_json::Map<String, Value>,
    action: &str,
) -> (Tri, Option<String>) {
    let (element, negated) = match (object.get("Action"), object.get("NotAction")) {
        (Some(element), None) => (element, false),
        (None, Some(element)) => (element, true),
        _ => {
            return (
                Tri::Maybe,
                Some("no single Action or NotAction element".into()),
            );
        }
    };
    let patterns: Vec<Option<&str>> = match element {
        Value::String(one) => vec![Some(one.as_str())],
        Value::Array(many) => many.iter().map(Value::as_str).collect(),
        _ => vec![None],
    };
    let matched = patterns.iter().fold(Tri::No, |acc, pattern| {
        acc.or(match pattern {
            Some(pattern) => Tri::from_bool(wildcard_match(pattern, action, true)),
            None => Tri::Maybe,
        })
    });
    let plain = !negated && patterns.len() == 1 && patterns[0] == Some(action);
    let written = element.to_string();
    let note = if plain {
        None
    } else if negated {
        Some(format!("NotAction {written} does not exclude {action}"))
    } else {
        Some(format!("Action {written} includes {action}"))
    };
    if negated {
        (!matched, note)
    } else {
        (matched, note)
    }
}
