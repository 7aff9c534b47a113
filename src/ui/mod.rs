//! The three faces over one engine: the commands ([`cli`]), plain line-by-line mode ([`plain`])
//! and the full-screen wizard ([`tui`]), what they share ([`words`]: the exit codes and an engine
//! error as a sentence), and the choice between them ([`run`]).
//!
//! May import: `model`, `aws` (to connect), `engine`. A face never imports another face: only
//! this file, which picks one, names them all.

pub mod cli;
pub mod debug_log;
pub mod plain;
pub mod tui;
pub mod words;

use crate::aws::sdk;
use crate::engine::saving::{SavedSetup, StateStore};
use crate::model::validate::{self, InputError};
use std::io::IsTerminal;
use std::time::Duration;
use words::{Failure, exit};

/// Runs a parsed command line: a command, or with none the wizard (or plain mode); returns what
/// to print on stdout, or the failure.
pub async fn run(command_line: cli::Cli) -> Result<String, Failure> {
    match command_line.command {
        None => wizard(&command_line.wizard).await,
        Some(command) => cli::run(command).await,
    }
}

/// No command: the wizard on a terminal, else (or with --plain) the plain mode; on the SDK, or on
/// the demo account with --demo.
async fn wizard(args: &cli::WizardArgs) -> Result<String, Failure> {
    if let Some(region) = &args.region {
        validate::region(region).map_err(InputError::at("--region"))?;
    }
    let demo_args = cli::WizardArgs {
        demo: true,
        ..args.clone()
    };
    // The demo saves nothing: no state file, nothing to resume.
    let ending = if args.demo {
        faces(crate::aws::fake::demo_connect(), None, args).await?
    } else {
        faces(sdk::connect(), StateStore::default_location(), args).await?
    };
    match ending {
        FacesEnding::Output(output) => Ok(output),
        // Chosen on Welcome for want of credentials: the wizard again, on the demo account.
        FacesEnding::Demo => match faces(crate::aws::fake::demo_connect(), None, &demo_args).await?
        {
            FacesEnding::Output(output) => Ok(output),
            FacesEnding::Demo => Ok(String::new()),
        },
    }
}

/// What a face ended with: its output, or the wish to try the demo account.
enum FacesEnding {
    Output(String),
    Demo,
}

async fn faces(
    connect: crate::aws::Connect,
    store: Option<StateStore>,
    args: &cli::WizardArgs,
) -> Result<FacesEnding, Failure> {
    let loaded = store.as_ref().map(StateStore::load).unwrap_or_default();
    let (finished, saved): (Vec<SavedSetup>, Vec<SavedSetup>) =
        loaded.setups.into_iter().partition(|s| s.finished);
    let state_problems = loaded.problems;
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if args.plain || !terminal {
        let options = plain::Options {
            profile: args.profile.clone(),
            region: args.region.clone(),
            demo: args.demo,
            saved,
            finished,
            state_problems,
        };
        let input = Box::new(std::io::BufReader::new(std::io::stdin()));
        plain::run(connect, store, options, input, Box::new(std::io::stdout())).await?;
        return Ok(FacesEnding::Output(String::new()));
    }
    let executor = tui::executor::Executor::new(connect, store);
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let options = tui::Options {
        presenter: args.presenter,
        color: tui::colors_wanted(args.no_color, env("NO_COLOR"), env("TERM")),
        clipboard_clear: (args.clipboard_clear > 0)
            .then(|| Duration::from_secs(args.clipboard_clear)),
        profile: args.profile.clone(),
        region: args.region.clone(),
        demo: args.demo,
        saved,
        finished,
        state_problems,
    };
    let clipboard = std::sync::Arc::new(tui::clipboard::SystemClipboard::from_environment());
    let ending = tui::run(executor, clipboard, options)
        .await
        .map_err(|error| Failure {
            code: exit::AWS_REFUSED,
            message: format!("the terminal failed: {error}"),
        })?;
    Ok(match ending {
        tui::Ending::Left(farewell) => {
            FacesEnding::Output(farewell.map(|line| format!("{line}\n")).unwrap_or_default())
        }
        tui::Ending::Demo => FacesEnding::Demo,
    })
}
