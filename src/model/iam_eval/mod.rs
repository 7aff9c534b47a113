//! IAM's evaluation logic for trust policies, as a pure function: would IAM let this principal
//! call `sts:AssumeRole` with this request context? An explicit Deny wins; otherwise an Allow
//! that matches; otherwise the implicit deny.
//!
//! The answers are three-valued, because a request is often only partly known: "any principal
//! of another account", "an external ID other than yours", a key such as `aws:SourceIp` that this
//! tool can't know. [`Tri::Yes`] means "for every request this describes", [`Tri::No`] "for
//! none", [`Tri::Maybe`] "for some, or we can't tell". Anything not understood (an unknown
//! operator, a policy variable, a malformed element) is `Maybe`, so it can only ever count as
//! "could allow", never as safe.
//!
//! No maintained crate fitted: `iam-rs` and `scratchstack-aspen` answer for one concrete request
//! and treat what they don't understand as a non-match, which is the unsafe direction here.
//!
//! A folder by element: `request` (the three-valued answers, who asks and what a request carries),
//! `evaluate` (a document's decision with its trace), `principal`, `action`, `condition` (each
//! element's match).

mod action;
mod condition;
mod evaluate;
mod principal;
mod request;
#[cfg(test)]
mod tests;

pub use action::*;
pub use evaluate::*;
pub use principal::*;
pub use request::*;
