//! A plan: everything a setup will create, worked out from the user's inputs with no credentials
//! and no network call. Every face (the `plan` command, `create`, the wizard) starts from one.
//!
//! A folder by concern: `request` (what the user asked, the files and limits), `build` (the plan
//! worked out: preset, inputs, external IDs), `output` (what a plan gives: settings, documents,
//! commands, JSON), `inputs` (checking and normalizing inputs, choosing the preset, the external
//! IDs).

mod build;
mod inputs;
mod output;
mod request;
#[cfg(test)]
mod tests;

pub use build::*;
pub use request::*;
