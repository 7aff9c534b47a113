//! Changing a setup after the first day, one sequence for every face (the CLI's `update`, plain
//! mode and the wizard): what the role accepts now is compared with what is saved (one truth
//! about the external ID); the record of the change is saved before the first change in AWS (a
//! rotation's new ID beside the current one, the IDs a change retires kept until it is done); a
//! rotation has two phases, so Segment is never locked out.
//!
//! A folder: `single` (a stack or a role: read, prepare, save, apply) and `stack_set` (every
//! account of a StackSet); the one truth about the external ID they share is the model's
//! (`model::rotation`).

mod single;
mod stack_set;
#[cfg(test)]
mod tests;

pub use crate::model::rotation::*;
pub use single::*;
pub use stack_set::*;
