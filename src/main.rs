//! The entry point: parse the command line, run it, print the result and exit with its code.

use clap::Parser;
use segment_aws_setup::ui::{self, cli::Cli, words};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    match runtime.block_on(ui::run(cli)) {
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
