//! segment-aws-setup: sets up the AWS IAM role Segment assumes with an external ID.
//!
//! Four layers, each a folder, each importing only the ones below it (`ARCHITECTURE.md` draws
//! them; `tests/it/architecture.rs` enforces it):
//! - [`model`]: pure data and functions (integrations, external IDs, policies, templates, plans,
//!   outcomes, the IAM evaluator and the judge). No I/O, no terminal, no AWS.
//! - [`aws`]: the small traits the engine calls AWS through, the SDK implementation and the fake.
//! - [`engine`]: the operations (create, watch, verify and repair, update, find, delete, StackSets,
//!   resume, saving), in the same sequence for every face. It never prints.
//! - [`ui`]: the three faces over the engine: the commands, plain mode and the wizard.

pub mod aws;
pub mod engine;
pub mod model;
pub mod segment;
pub mod ui;

pub use model::catalog::{Catalog, Integration};
pub use model::plan::{Plan, PlanRequest};
