//! The other half of the procedure: a setup's settings written into Segment through its Public
//! API, the same way for every face. Connect (the token checked once, US then EU when the host
//! isn't known: `connect.rs`), prepare (find the function or destination instance, work out what
//! changes, or the choice to ask: `prepare.rs`), preview, then write (definitions first, values
//! second, each read back: `write.rs`).

mod connect;
mod prepare;
mod write;

pub use crate::model::segment::target::{Choice, Pick, Target};
pub use connect::*;
pub use prepare::*;
pub use write::*;
