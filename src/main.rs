//! The entry point: parse the command line, run it, print the result and exit with its code.

use clap::Parser;
use segment_aws_setup::ui::{self, cli::Cli, words};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The debug log, before any call: on stderr, or for the wizard (it owns the screen) a file.
    let log_file = if cli.debug.debug {
        let wizard_owns_the_screen = cli.command.is_none()
            && !cli.wizard.plain
            && std::io::IsTerminal::is_terminal(&std::io::stdin())
            && std::io::IsTerminal::is_terminal(&std::io::stdout());
        let sink = match (&cli.debug.debug_file, wizard_owns_the_screen) {
            (Some(file), _) => Some(ui::debug_log::Sink::File(file.clone())),
            (None, true) => ui::debug_log::wizard_file().map(ui::debug_log::Sink::File),
            (None, false) => Some(ui::debug_log::Sink::Stderr),
        };
        match sink.map(ui::debug_log::start) {
            Some(Ok(file)) => file,
            Some(Err(message)) => {
                let _ = writeln!(std::io::stderr(), "error: {message}");
                return ExitCode::from(words::exit::BAD_INPUT);
            }
            None => {
                let _ = writeln!(
                    std::io::stderr(),
                    "error: no state directory for the debug log: give --debug-file"
                );
                return ExitCode::from(words::exit::BAD_INPUT);
            }
        }
    } else {
        None
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: can't start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(ui::run(cli));
    if let Some(file) = log_file {
        let _ = writeln!(std::io::stderr(), "The debug log is in {}", file.display());
    }
    match result {
        Ok(output) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`... | head`) is not an error worth a message.
            // Text from AWS may hold escape sequences: never written raw to a terminal.
            let output = segment_aws_setup::model::text::escape_controls(&output);
            let _ = stdout
                .write_all(output.as_bytes())
                .and_then(|()| stdout.flush());
            ExitCode::from(words::exit::DONE)
        }
        Err(failure) => {
            // As for stdout: a closed stderr is no reason to panic.
            let message = segment_aws_setup::model::text::escape_controls(&failure.message);
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(failure.code)
        }
    }
}
