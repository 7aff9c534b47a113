//! The engine: every change the tool makes in an AWS account, written against the `aws` traits so
//! that the command line, the plain mode and the wizard drive the same code. It reports progress
//! through a callback and asks the face through another; it never prints.
//!
//! May import: `model`, `aws`, `segment`. Never `ui`.
//!
//! A file per operation: `account` (who the caller is, what the pickers list), `create` (a stack,
//! or reusing or re-attaching to one), `watch` (a stack's events until it settles, with every
//! failure reason), `iam` (the role made directly, a half-made one cleaned up), `verify` (judging
//! a role, and its fix), `repair` (verify-then-repair, the sequence every face runs), `change_set` (a setup's change previewed, applied or discarded), `find`
//! (a setup found from AWS alone), `delete`; the sequences over them: `update` (every change of a
//! setup), `stack_sets`, `resume`, `saving`; `segment_settings` writes a setup's settings into Segment
//! through its Public API. `report` is what the engine tells a face (progress,
//! questions, errors), `unbroken` the calls an interrupt must not cut apart.

mod account;
pub mod audit;
mod change_set;
mod create;
mod delete;
mod find;
mod iam;
mod lookup;
mod policy_file;
mod repair;
mod report;
pub mod resume;
pub mod saving;
pub mod segment_settings;
pub mod stack_sets;
pub mod starter;
mod unbroken;
pub mod update;
mod verify;
mod watch;

pub use crate::model::ownership::{CREATED_BY_TAG, INTEGRATION_TAG};
pub use crate::model::place::{Context, shell_word};
pub use account::*;
pub use change_set::*;
pub use create::*;
pub use delete::*;
pub use find::*;
pub use iam::*;
pub use lookup::*;
pub use policy_file::*;
pub use repair::*;
pub use report::*;
pub use unbroken::*;
pub use verify::*;
pub use watch::*;
