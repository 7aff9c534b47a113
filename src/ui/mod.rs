//! The three faces over one engine: the commands ([`cli`]), plain line-by-line mode ([`plain`])
//! and the full-screen wizard ([`tui`]), plus what they share ([`words`]: an engine error as a
//! sentence, and the exit codes).
//!
//! May import: `model`, `aws` (to connect), `engine`. A face never imports another face.

pub mod cli;
pub mod plain;
pub mod tui;
