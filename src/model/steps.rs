//! The wizard's steps as data, the one definition both the wizard and plain mode render: each
//! step's title, what it says, its question, its choices with their descriptions, and the sentence
//! that says why (as huh's fields each render as a widget and as a plain prompt). Pure.

use crate::model::catalog::{Catalog, Integration};

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
pub const WELCOME: &str = "This sets up the IAM role Segment assumes in your AWS account, with an external ID, for destination or source functions, the Amazon Lambda, AWS S3, AWS S3 (Actions), Amazon Kinesis, Amazon Kinesis Firehose or Amazon Personalize destination, or Data Lakes.";
pub const WELCOME_CHANGES: &str = "Nothing changes until you confirm the Review step. Then it creates one IAM role only Segment can assume (with your external ID) and its permission policy, through CloudFormation or IAM directly; or it checks a role you have.";

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
    if integration.external_id.source == crate::model::catalog::ExternalIdSource::WorkspaceId {
        let mut lines = vec![format!(
            "The {} uses your Segment workspace ID as the external ID.",
            integration.title
        )];
        if let Some(shown) = &integration.external_id.shown_as {
            lines.push(format!("{shown}."));
        }
        if integration.external_id.multiple {
            lines.push("Several IDs may be trusted: separate them with commas.".into());
        }
        lines
    } else {
        vec![
            format!(
                "Segment presents this ID when it assumes the role; only your {} can.",
                integration.title.to_lowercase()
            ),
            "Treat it like a password: in Segment it goes only into a secret setting (a function's with Secret on).".into(),
        ]
    }
}

/// Why an integration that takes source IDs (the Lambda destination, Kinesis, Personalize, Data
/// Lakes) may trust a source ID too.
/// Said on a StackSet's Review, in every face: one ID for every account is by design, and so is
/// its risk.
pub const STACK_SET_SHARED_ID: &str = "Every account's role requires the same external ID: whoever learns it could have Segment reach all of them, so keep it as secret as one shared password; rotating it (update --stack-set) changes it everywhere at once.";

pub const SOURCE_ID_WHY: &str = "If Segment's read-only ID setting is ever empty, it uses the source ID (Settings > API Keys in the source): trust it too to keep deliveries working either way.";

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
        choice(
            "stackset",
            "Several accounts (StackSet)",
            "the same role in many accounts or organizational units, watched live",
        ),
    ]
}

/// A plain-mode answer to a numbered choice: its number, its name, or a part of the name that
/// only one choice has (`lambda` for `lambda-destination`), case aside.
pub fn pick(answer: &str, names: &[String]) -> Result<usize, String> {
    let count = names.len();
    let answer = answer.trim().to_ascii_lowercase();
    if let Ok(number) = answer.parse::<usize>() {
        return if (1..=count).contains(&number) {
            Ok(number - 1)
        } else {
            Err(format!("answer a number from 1 to {count}, or a name"))
        };
    }
    if answer.is_empty() {
        return Err(format!("answer a number from 1 to {count}, or a name"));
    }
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    if let Some(exact) = lower.iter().position(|n| *n == answer) {
        return Ok(exact);
    }
    let matching: Vec<usize> = lower
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            name.starts_with(&answer)
                || name.split(['-', ' ']).any(|word| word.starts_with(&answer))
        })
        .map(|(index, _)| index)
        .collect();
    match matching.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "no choice is called {answer:?}: answer a number from 1 to {count}, or a name"
        )),
        several => Err(format!(
            "{answer:?} could be {}: answer its number",
            several
                .iter()
                .map(|&i| names[i].as_str())
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

/// What each step is about, for help (the wizard's `?`, plain mode's `?` answer): the ideas, not
/// the keys. `step` counts from 1.
pub fn ideas(step: usize) -> &'static [&'static str] {
    match step {
        1 => &[
            "The role lets Segment call AWS in your account, only as far as its permission policy allows.",
            "The account and region shown are where it will be made: if they are not the ones you mean, change the profile or region.",
        ],
        2 => &[
            "Each Segment integration reaches AWS as its own principal (an account or a role of Segment's). The role's trust policy names exactly that one, and nobody else.",
        ],
        3 => &[
            "An external ID is a value Segment presents when it assumes your role. The trust policy lets Segment in only with it, so another Segment customer can't make Segment reach your account (the \"confused deputy\").",
            "For a function you choose it: a long random value, kept like a password in a setting with Secret on.",
            "For the destinations and Data Lakes Segment presents your workspace ID (Settings > General in Segment); the Amazon Lambda destination presents the source ID (Settings > API Keys in the source) when its External ID (Read-Only) setting is empty.",
        ],
        4 => &[
            "Least privilege: the role may do only what your function or destination needs (write to one bucket, invoke the functions you name, or exactly your policy). If its credentials ever leaked, that is all they could do.",
            "Buckets, functions, streams, delivery streams and KMS keys are listed from your account: type part of a name to filter, pick one (a bucket brings its region), or type the value yourself. Functions, streams and keys are listed in one region at a time; another can be listed.",
        ],
        5 => &[
            "CloudFormation keeps the role and its policy in one stack: watched live, rolled back if anything fails, deleted in one go.",
            "Directly through IAM makes the same role with two calls; a failure half-way is cleaned up.",
            "An existing role is checked the way IAM evaluates it, and repaired only after you have seen the change.",
        ],
        6 => &[
            "Nothing has changed yet. Confirming makes exactly what is shown, in the account shown; what is needed to resume is saved first.",
        ],
        7 => &[
            "Each resource is shown as AWS reports it; a failure lists every reason, first cause first.",
            "Quitting while a stack is made leaves it running in AWS; the command that watches it again is shown.",
        ],
        8 => &[
            "Paste the settings into Segment as shown; the next steps say where.",
            "The external ID is a secret: keep it only in the setting marked secret.",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_is_picked_by_number_name_or_a_part_only_it_has() {
        let names: Vec<String> = integration_choices().into_iter().map(|c| c.name).collect();
        assert_eq!(pick("3", &names), Ok(2));
        assert_eq!(pick("lambda-destination", &names), Ok(2));
        assert_eq!(pick("Lambda", &names), Ok(2));
        assert_eq!(pick("source", &names), Ok(1));
        assert!(pick("destination", &names).is_err_and(|e| e.contains(" or ")));
        assert!(pick("99", &names).is_err());
        assert!(pick("kinesis", &names).is_ok_and(|i| names[i] == "kinesis-destination"));
        assert!(pick("bigquery", &names).is_err());
    }

    #[test]
    fn every_step_says_what_it_is_about() {
        for step in 1..=8 {
            assert!(!ideas(step).is_empty(), "step {step}");
        }
    }

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
            ["cloudformation", "iam", "existing", "stackset"]
        );
    }
}
