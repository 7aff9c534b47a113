//! Scripted fakes of the AWS traits: stacks that take time, with resources appearing one by one;
//! stacks that roll back with reasons or fail to roll back; a network that drops for a while; and
//! an in-memory IAM that can be told to refuse a call. Used by the tests (moto creates stacks at
//! once and never rolls back) and by the demo account. Time is tokio's, so tests can pause it.
//!
//! A file per fake: `script` (what a stack goes through, and the shared lock), `stacks`
//! (CloudFormation stacks and change sets), `template` (the template references a fake stack
//! resolves), `roles` (the caller and an in-memory IAM), `functions` (Lambda, for a starter function), `resources` (what pickers list),
//! `stack_sets` (StackSets and their instances), `members` (entering member accounts), `demo` (the
//! demo account).

mod demo;
mod functions;
mod members;
mod resources;
mod roles;
mod script;
mod stack_sets;
mod stacks;
mod template;

pub use demo::*;
pub use functions::*;
pub use members::*;
pub use resources::*;
pub use roles::*;
pub use script::*;
pub use stack_sets::*;
pub use stacks::*;
