//! Judging an existing role the way IAM evaluates it, and the smallest repair that provably makes
//! it right. Pure: the engine reads the role, this decides.
//!
//! The trust policy is judged by asking the evaluator ([`crate::model::iam_eval`]) concrete questions,
//! the probes: Segment's principal with your external ID must be allowed; Segment's principal with
//! no external ID or another one, another principal of Segment's account, any other AWS account
//! and anyone at all must be denied. A role is right only when every probe holds. Anything the
//! evaluator does not understand counts as "could allow".
//!
//! A folder by concern: `subject` (who asks, and the judgement's parts), `trust` (the probes and
//! the judge of a trust policy), `repair` (the smallest fix, masking, diffs), `verification` (a
//! role as read, judged on both sides, and its fix), `permissions` (the permission side).

mod permissions;
mod repair;
mod subject;
#[cfg(test)]
mod tests;
mod trust;
mod verification;

pub use permissions::*;
pub use repair::*;
pub use subject::*;
pub use trust::*;
pub use verification::*;
