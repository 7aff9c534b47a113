//! One truth about a setup's external ID: what the role accepts now against what is saved
//! (`reconcile`), the IDs a change keeps, adds or retires (`choose`), and the words for both. Pure:
//! the engine reads the role and the record, this decides.

use std::collections::BTreeSet;

use crate::model::plan::Plan;
use crate::model::record::SavedSetup;

/// What the external ID of a setup is, from the record saved here and the role in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// The record and the role agree (or nothing is saved and the role says it plainly): the IDs
    /// Segment uses and, during a rotation, the new one.
    Agreed {
        current: Vec<String>,
        pending: Vec<String>,
    },
    /// This machine saved one thing and the role accepts another: a person must say which.
    Differ {
        saved: Vec<String>,
        in_aws: Vec<String>,
    },
    /// Nothing saved here, and the role accepts several generated IDs: which one Segment uses
    /// (and which is a rotation's new one) can't be read from AWS.
    Ambiguous { in_aws: Vec<String> },
    /// Nothing saved here and the role accepts no ID that may be kept.
    Unknown,
}

pub(crate) fn set(ids: &[String]) -> BTreeSet<&str> {
    ids.iter().map(String::as_str).collect()
}

/// One truth about the external ID: the record when the role's accepted IDs (the evaluator's
/// answer) are a state the record's own sequence can leave (before or after each step of a
/// change or rotation), else what differs. `generated`: the integration's ID is a secret this
/// tool generates (several accepted means a rotation), not workspace IDs (several is normal).
pub fn reconcile(record: Option<&SavedSetup>, accepted: &[String], generated: bool) -> Truth {
    let accepted_set = set(accepted);
    let Some(record) = record else {
        return match accepted.len() {
            0 => Truth::Unknown,
            n if generated && n > 1 => Truth::Ambiguous {
                in_aws: accepted.to_vec(),
            },
            _ => Truth::Agreed {
                current: accepted.to_vec(),
                pending: Vec::new(),
            },
        };
    };
    let all = record.all_external_ids();
    let within = accepted_set.is_subset(&set(&all));
    let current = set(&record.external_ids);
    let pending = set(&record.pending_external_ids);
    if within && !current.is_empty() && current.is_subset(&accepted_set) {
        // Before a change reached the role, or after (a rotation's first phase, or IDs still
        // retiring): the record's current IDs are what Segment uses.
        return Truth::Agreed {
            current: record.external_ids.clone(),
            pending: record.pending_external_ids.clone(),
        };
    }
    if within && !pending.is_empty() && pending.is_subset(&accepted_set) {
        // A rotation's second phase reached the role before its record did.
        return Truth::Agreed {
            current: record.pending_external_ids.clone(),
            pending: Vec::new(),
        };
    }
    let mut saved = record.external_ids.clone();
    saved.extend(record.pending_external_ids.iter().cloned());
    Truth::Differ {
        saved,
        in_aws: accepted.to_vec(),
    }
}

/// What a change does to the external ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IdChange {
    /// Keep what Segment uses (and a rotation under way).
    #[default]
    Keep,
    /// A rotation's first phase: the role accepts the current ID and this new one (a rotation
    /// under way keeps its own new ID instead).
    Rotate(String),
    /// A rotation's second phase: only the new ID is accepted.
    Finish,
    /// These IDs, given by the user, and nothing else.
    Given(Vec<String>),
}

/// The IDs a change's plan trusts: what Segment uses, and a rotation's new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenIds {
    pub current: Vec<String>,
    pub next: Vec<String>,
}

/// The IDs a change leaves the role accepting, or why it can't be decided without the user.
pub fn choose(truth: &Truth, change: &IdChange) -> Result<ChosenIds, String> {
    let chosen = |current: &[String], next: &[String]| ChosenIds {
        current: current.to_vec(),
        next: next.to_vec(),
    };
    match (truth, change) {
        (_, IdChange::Given(ids)) => Ok(chosen(ids, &[])),
        (Truth::Agreed { current, pending }, IdChange::Keep) => Ok(chosen(current, pending)),
        (Truth::Agreed { current, pending }, IdChange::Rotate(new)) => {
            if pending.is_empty() {
                Ok(chosen(current, std::slice::from_ref(new)))
            } else {
                // A rotation is under way (perhaps interrupted): its new ID, saved already, is
                // the one Segment may have; a third would be saved nowhere Segment knows.
                Ok(chosen(current, pending))
            }
        }
        (Truth::Agreed { current, pending }, IdChange::Finish) => {
            if pending.is_empty() {
                Ok(chosen(current, &[]))
            } else {
                Ok(chosen(pending, &[]))
            }
        }
        // The status quo: both IDs the role accepts stay accepted, read in the order the trust
        // policy lists them (as this tool writes a rotation: the current one, then the new).
        // Which one Segment has is the user's to say when the rotation is finished.
        (Truth::Ambiguous { in_aws }, IdChange::Keep) if in_aws.len() == 2 => {
            Ok(chosen(&in_aws[..1], &in_aws[1..]))
        }
        (Truth::Ambiguous { in_aws }, _) => Err(format!(
            "the role accepts {} external IDs and no setup of it is saved on this machine, so which one Segment uses can't be known: give it with --external-id (SEGMENT_AWS_SETUP_EXTERNAL_ID keeps it out of the shell's history)",
            in_aws.len()
        )),
        (Truth::Differ { .. }, _) => Err(
            "the external IDs saved on this machine are not the ones the role accepts now: say which to keep, or give the ID with --external-id".into(),
        ),
        (Truth::Unknown, _) => Err(
            "no external ID that may be kept is saved here or accepted by the role: give the one Segment uses with --external-id, or --rotate-external-id for a new one".into(),
        ),
    }
}

/// What a face says about the IDs before a change: the truth, masked when the ID is a secret.
pub fn describe(truth: &Truth, secret: bool) -> Vec<String> {
    let shown = |ids: &[String]| {
        ids.iter()
            .map(|id| {
                if secret {
                    crate::model::external_id::masked(id)
                } else {
                    crate::model::text::one_line(id).into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match truth {
        Truth::Agreed { current, pending } if pending.is_empty() => {
            vec![format!("The external ID Segment uses: {}", shown(current))]
        }
        Truth::Agreed { current, pending } => vec![
            format!("The external ID Segment used: {}", shown(current)),
            format!(
                "A rotation is under way; its new external ID: {}",
                shown(pending)
            ),
        ],
        Truth::Differ { saved, in_aws } => vec![
            format!("Saved on this machine: {}", shown(saved)),
            format!(
                "The role accepts now: {}",
                if in_aws.is_empty() {
                    "no external ID that may be kept".to_string()
                } else {
                    shown(in_aws)
                }
            ),
        ],
        Truth::Ambiguous { in_aws } => vec![format!(
            "The role accepts {} external IDs ({}) and none is saved here: kept, they are read as a rotation under way (the first as Segment's, the second as the new one); to finish it, give the one Segment has with --finish-rotation --external-id",
            in_aws.len(),
            shown(in_aws)
        )],
        Truth::Unknown => vec!["No external ID is saved here or accepted by the role".into()],
    }
}

/// The note an outcome carries after a change that began or finished a rotation.
/// Said once phase 2 ran right after Segment's setting got the new ID (read back).
pub const FINISHED_WITH_SEGMENT: &str = "The rotation is finished: Segment has the new External ID (read back) and the role accepts only it.";

pub fn rotation_note(plan: &Plan, finish_command: &str) -> Option<String> {
    (!plan.next_external_ids.is_empty()).then(|| {
        format!(
            "Rotation, phase 1 of 2: paste the new External ID above into Segment now. The role accepts the old and the new one until you finish the rotation, then only the new one: change this setup again and choose to finish, or run {finish_command}"
        )
    })
}
