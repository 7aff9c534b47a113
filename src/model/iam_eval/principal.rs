//! The `Principal` and `NotPrincipal` elements: parsing entries (accounts, roles, services,
//! wildcards) and whether one matches who asks.

use super::request::*;
use serde_json::Value;

/// A principal entry as IAM understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// `*`: everyone, anonymous included.
    Everyone,
    /// `123456789012` or `arn:aws:iam::123456789012:root`: every principal of the account.
    Account(String),
    /// A role: its sessions.
    Role {
        account: String,
        name: String,
    },
    /// One session of a role.
    Session {
        account: String,
        role: String,
    },
    /// A user or federated user.
    OtherPrincipal {
        account: String,
    },
    /// A unique ID (`AROA…`): what IAM shows once the principal it named was deleted.
    Deleted,
    NotUnderstood,
}

pub(super) fn has_wildcard(text: &str) -> bool {
    text.contains('*') || text.contains('?')
}

/// Reads an `AWS` principal entry.
pub fn parse_entry(text: &str) -> Entry {
    if text == "*" {
        return Entry::Everyone;
    }
    if is_account_id(text) {
        return Entry::Account(text.to_string());
    }
    if has_wildcard(text) {
        // IAM refuses partial wildcards in a principal; if one is there, nothing is certain.
        return Entry::NotUnderstood;
    }
    if let Some(rest) = text.strip_prefix("arn:aws:") {
        let parts: Vec<&str> = rest.splitn(4, ':').collect();
        if let [service, "", account, resource] = parts.as_slice()
            && is_account_id(account)
        {
            let account = account.to_string();
            match *service {
                "iam" if *resource == "root" => return Entry::Account(account),
                "iam" => {
                    if let Some(path_and_name) = resource.strip_prefix("role/") {
                        let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
                        return Entry::Role {
                            account,
                            name: name.to_string(),
                        };
                    }
                    if resource.starts_with("user/") {
                        return Entry::OtherPrincipal { account };
                    }
                }
                "sts" => {
                    if let Some(rest) = resource.strip_prefix("assumed-role/")
                        && let Some((role, _session)) = rest.split_once('/')
                    {
                        return Entry::Session {
                            account,
                            role: role.to_string(),
                        };
                    }
                    if resource.starts_with("federated-user/") {
                        return Entry::OtherPrincipal { account };
                    }
                }
                _ => {}
            }
        }
        return Entry::NotUnderstood;
    }
    let unique_id = text.len() >= 16
        && text.starts_with('A')
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if unique_id {
        Entry::Deleted
    } else {
        Entry::NotUnderstood
    }
}

/// The account and role name of a role ARN.
pub fn role_of(arn: &str) -> Option<(String, String)> {
    match parse_entry(arn) {
        Entry::Role { account, name } => Some((account, name)),
        _ => None,
    }
}

/// The account of an account principal, in either of IAM's two spellings.
pub fn account_of_principal(text: &str) -> Option<String> {
    match parse_entry(text) {
        Entry::Account(account) => Some(account),
        _ => None,
    }
}

pub(super) fn same_role_name(a: &str, b: &str) -> bool {
    // Role names are unique in an account regardless of case.
    a.eq_ignore_ascii_case(b)
}

/// Whether an entry names the asker: every request described (Yes), some (Maybe), none (No).
pub fn entry_matches(entry: &Entry, who: &Who) -> Tri {
    use Entry as E;
    match (entry, who) {
        (E::Everyone, _) => Tri::Yes,
        (E::Deleted, _) => Tri::No,
        (E::NotUnderstood, _) => Tri::Maybe,
        (_, Who::Anonymous) => Tri::No,
        (E::Account(a), Who::Role(arn)) => {
            Tri::from_bool(role_of(arn).is_some_and(|(account, _)| &account == a))
        }
        (E::Account(a), Who::InAccount { account, .. }) => Tri::from_bool(a == account),
        (
            E::Account(account)
            | E::Role { account, .. }
            | E::Session { account, .. }
            | E::OtherPrincipal { account },
            Who::OutsideAccounts(list),
        ) => {
            if list.contains(account) {
                Tri::No
            } else {
                Tri::Maybe
            }
        }
        (E::Role { account, name }, Who::Role(arn)) => Tri::from_bool(
            role_of(arn).is_some_and(|(a, n)| &a == account && same_role_name(&n, name)),
        ),
        // A session of Segment's role matches only when Segment happens to use that session name.
        (E::Session { account, role }, Who::Role(arn)) => {
            if role_of(arn).is_some_and(|(a, n)| &a == account && same_role_name(&n, role)) {
                Tri::Maybe
            } else {
                Tri::No
            }
        }
        (
            E::Role {
                account,
                name: role,
            }
            | E::Session { account, role },
            Who::InAccount {
                account: asker,
                except_role,
            },
        ) => {
            if account != asker
                || except_role
                    .as_deref()
                    .is_some_and(|r| same_role_name(r, role))
            {
                Tri::No
            } else {
                Tri::Maybe
            }
        }
        (E::OtherPrincipal { .. }, Who::Role(_)) => Tri::No,
        (E::OtherPrincipal { account }, Who::InAccount { account: asker, .. }) => {
            if account == asker {
                Tri::Maybe
            } else {
                Tri::No
            }
        }
    }
}

/// The entries of a `Principal` element, by kind (`AWS`, `Service`, …); `*` alone is kind `*`.
pub fn principal_entries(element: &Value) -> Vec<(String, Option<String>)> {
    let strings = |value: &Value| -> Vec<Option<String>> {
        match value {
            Value::String(one) => vec![Some(one.clone())],
            Value::Array(many) => many
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => vec![None],
        }
    };
    match element {
        Value::String(text) => vec![("*".to_string(), Some(text.clone()))],
        Value::Object(kinds) => kinds
            .iter()
            .flat_map(|(kind, value)| {
                strings(value)
                    .into_iter()
                    .map(move |entry| (kind.clone(), entry))
            })
            .collect(),
        _ => vec![("?".to_string(), None)],
    }
}

pub(super) fn describe_entry(kind: &str, text: &str, entry: &Entry) -> String {
    match (kind, entry) {
        ("*", Entry::Everyone) => "Principal is *".into(),
        (_, Entry::Everyone) => format!("Principal is {{\"{kind}\": \"*\"}}"),
        (_, Entry::Account(account)) => {
            format!("Principal names account {account} (every principal in it)")
        }
        _ => format!("Principal names {text}"),
    }
}

pub(super) fn principal_element(element: &Value, who: &Who, negated: bool) -> PrincipalTrace {
    let mut result = Tri::No;
    let mut matched = Vec::new();
    for (kind, text) in principal_entries(element) {
        let (tri, description) = match (kind.as_str(), text.as_deref()) {
            ("*", Some("*")) => (Tri::Yes, "Principal is *".to_string()),
            ("AWS", Some(text)) => {
                let entry = parse_entry(text);
                let tri = entry_matches(&entry, who);
                (tri, describe_entry(&kind, text, &entry))
            }
            // Services, identity providers and S3's canonical users are not AWS principals: the
            // questions asked here are never theirs.
            ("Service" | "Federated" | "CanonicalUser", Some(_)) => (Tri::No, String::new()),
            (_, text) => (
                Tri::Maybe,
                format!(
                    "a principal this tool does not understand ({kind}: {})",
                    text.unwrap_or("not a string")
                ),
            ),
        };
        if tri.possible() {
            matched.push(description);
        }
        result = result.or(tri);
    }
    if negated {
        // NotPrincipal applies to everyone it does not name. Whether it excludes a role's
        // sessions depends on listing the session, the role and the account: counted as unsure.
        let applies = match result {
            Tri::Yes if !matches!(who, Who::Anonymous) => Tri::Maybe,
            other => !other,
        };
        return PrincipalTrace {
            result: applies,
            negated,
            matched,
        };
    }
    PrincipalTrace {
        result,
        negated,
        matched,
    }
}
