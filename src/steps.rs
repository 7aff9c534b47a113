//! The wizard's steps as data, the one definition both the wizard and plain mode render: each
//! step's title, what it says, its question, its choices with their descriptions, and the sentence
//! that says why (as huh's fields each render as a widget and as a plain prompt). Pure.

use crate::catalog::{Catalog, Integration};

/// One choice of a step: the name a plain answer may use, a title, and sentences on when to pick
/// it (the wizard shows one per line, plain mode one after the other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub title: String,
    pub details: Vec<String>,
}

impl Choice {
    /// The details as one line.
    pub fn detail(&self) -> String {
        self.details.join(" ")
    }
}

fn choice(name: &str, title: &str, detail: &str) -> Choice {
    Choice {
        name: name.into(),
        title: title.into(),
        details: vec![detail.into()],
    }
}

/// Step 1: what the wizard does, and what it changes. Paragraphs: each face wraps them.
pub const WELCOME: &str = "This sets up the IAM role Segment assumes in your AWS account, with an external ID, so your Segment Functions or Lambda destination can reach it.";
pub const WELCOME_CHANGES: &str = "Nothing changes until you confirm the Review step. Then it creates one IAM role that only Segment can assume (with your external ID) and its inline permission policy, through CloudFormation or IAM directly; or it checks a role you have.";

/// Step 2's question and choices: the integrations, from the catalog.
pub const INTEGRATION_QUESTION: &str = "Which Segment integration will assume the role";

pub fn integration_choices() -> Vec<Choice> {
    Catalog::builtin()
        .integrations()
        .iter()
        .map(|i| Choice {
            name: i.id.clone(),
            title: i.title.clone(),
            details: vec![
                format!("Pick it when {}.", i.pick_when),
                format!("Segment assumes it as {}", i.principal),
            ],
        })
        .collect()
}

/// Step 3: what the external ID is, for this integration.
pub fn external_id_intro(integration: &Integration) -> Vec<String> {
    if integration.external_id.source == crate::catalog::ExternalIdSource::WorkspaceId {
        vec![
            "The Lambda destination uses your Segment workspace ID as the external ID".into(),
            "(Segment sets it: the destination's External ID setting, #SEGMENT_WORKSPACE_ID)."
                .into(),
            "Several IDs may be trusted: separate them with commas.".into(),
        ]
    } else {
        vec![
            format!(
                "Segment presents this ID when it assumes the role; only your {} can.",
                integration.title.to_lowercase()
            ),
            "Treat it like a password: Segment stores it as a sensitive setting.".into(),
        ]
    }
}

/// Why the Lambda destination may trust a source ID too.
pub const SOURCE_ID_WHY: &str = "If the External ID setting is ever empty, Segment uses the source ID (Settings > API Keys in the source): trust it too to keep deliveries working either way.";

/// Step 4's question.
pub const PERMISSIONS_QUESTION: &str = "What may the role do";

pub fn preset_choices(integration: &Integration) -> Vec<Choice> {
    let catalog = Catalog::builtin();
    integration
        .presets
        .iter()
        .filter_map(|offer| catalog.preset(&offer.preset))
        .map(|p| choice(&p.id, &p.title, &p.description))
        .collect()
}

/// Step 5's question and choices.
pub const METHOD_QUESTION: &str = "How should the role be made";

pub fn method_choices() -> Vec<Choice> {
    vec![
        choice(
            "cloudformation",
            "CloudFormation stack (recommended)",
            "one stack holds the role and its policy, watched live, deleted in one go",
        ),
        choice(
            "iam",
            "Directly through IAM",
            "CreateRole and PutRolePolicy; a failure half-way is cleaned up",
        ),
        choice(
            "existing",
            "An existing role",
            "check its trust policy (and repair it, after showing you)",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_integration_and_method_is_a_choice() {
        assert_eq!(
            integration_choices().len(),
            Catalog::builtin().integrations().len()
        );
        assert_eq!(
            method_choices()
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            ["cloudformation", "iam", "existing"]
        );
    }
}
