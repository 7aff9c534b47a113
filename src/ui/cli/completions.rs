//! `completions` and `man`: the shell completion scripts and the manual page, generated from the
//! same clap definitions as `--help` (`clap_complete`, `clap_mangen`), so they can't drift.

use super::common::*;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write a page per command into this directory (segment-aws-setup.1,
    /// segment-aws-setup-create.1, ...) instead of printing the main page
    #[arg(long, value_name = "DIR")]
    pub out: Option<std::path::PathBuf>,
}

/// The completion script for the shell, on stdout; `command` is the whole command line's
/// definition (`Cli::command()`).
pub(crate) fn completions(
    args: &CompletionsArgs,
    mut command: clap::Command,
) -> Result<String, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "segment-aws-setup", &mut script);
    String::from_utf8(script).map_err(|e| Failure {
        code: exit::BAD_INPUT,
        message: format!("the completion script is not UTF-8: {e}"),
    })
}

/// The manual page (roff) on stdout, or with `--out` a page per command written there; `command`
/// as for [`completions`].
pub(crate) fn man(args: &ManArgs, command: clap::Command) -> Result<String, Failure> {
    let failure = |e: std::io::Error| Failure {
        code: exit::BAD_INPUT,
        message: format!("the manual page couldn't be made: {e}"),
    };
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(failure)?;
        clap_mangen::generate_to(command, dir).map_err(failure)?;
        say(&format!("Manual pages written to {}", dir.display()));
        return Ok(String::new());
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(failure)?;
    String::from_utf8(page).map_err(|e| Failure {
        code: exit::BAD_INPUT,
        message: format!("the manual page is not UTF-8: {e}"),
    })
}
