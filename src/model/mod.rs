//! The pure core: integrations (from `assets/`), external IDs, validation, policies, templates,
//! plans, outcomes, the wizard's step texts, the IAM evaluator and the judge of a role.
//!
//! May import: nothing of this crate outside `model`. No I/O, no terminal, no AWS (a record reads the clock for its time).

pub mod audit;
pub mod aws_types;
pub mod catalog;
pub mod cloudformation_yaml;
pub mod external_id;
pub mod field;
pub mod iam_eval;
pub mod outcome;
pub mod ownership;
pub mod picker;
pub mod place;
pub mod plan;
pub mod policy;
pub mod record;
pub mod rotation;
pub mod segment;
pub mod stackset;
pub mod starter;
pub mod steps;
pub mod template;
pub mod terraform;
pub mod text;
pub mod validate;
pub mod verify;
