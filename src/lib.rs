//! segment-aws-setup: the pure core (integrations, external IDs, policies, templates, validation,
//! plans). Nothing in this crate's core does I/O, talks to a terminal or calls AWS.

pub mod aws;
pub mod catalog;
pub mod change;
pub mod cli;
pub mod engine;
pub mod external_id;
pub mod iam_eval;
pub mod outcome;
pub mod ownership;
pub mod picker;
pub mod plain;
pub mod plan;
pub mod policy;
pub mod resume;
pub mod stack_set_engine;
pub mod stackset;
pub mod state;
pub mod steps;
pub mod template;
pub mod text;
pub mod tui;
pub mod validate;
pub mod verify;

pub use catalog::{Catalog, Integration};
pub use plan::{Plan, PlanRequest};
pub use validate::InputError;
