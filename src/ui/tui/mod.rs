//! The wizard: a ratatui interface through the whole procedure, on the same engine as the
//! commands. `app` holds state and `update`, `screens` one file per step, `view` the frame,
//! `executor` runs commands as tasks, and `run` is the event loop: the only place that draws.

pub mod actions;
pub mod clipboard;
pub mod executor;
pub mod forms;
pub mod picker;
pub mod queries;
pub mod screens;
pub mod state;
pub mod update;
pub mod view;

use crate::engine::saving::SavedSetup;
use clipboard::Clipboard;
use crossterm::event::{Event, EventStream, KeyEventKind};
use executor::Executor;
use futures_util::StreamExt;
use state::{App, Cmd, Msg};
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use update::update;

/// How the wizard starts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub presenter: bool,
    /// Colours with meaning; false with NO_COLOR, --no-color or TERM=dumb.
    pub color: bool,
    /// Clear a copied secret after this long if the clipboard still holds it; `None`: never.
    pub clipboard_clear: Option<Duration>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub demo: bool,
    /// Unfinished setups found in the state directory (offered only in their own account).
    pub saved: Vec<SavedSetup>,
    /// Finished setups (this account's may be changed from Welcome).
    pub finished: Vec<SavedSetup>,
    /// State files that couldn't be read, a sentence each with its path.
    pub state_problems: Vec<String>,
}

/// Whether the wizard uses colour: not with `--no-color`, a non-empty `NO_COLOR` (no-color.org),
/// or `TERM=dumb`.
pub fn colors_wanted(no_color_flag: bool, no_color: Option<String>, term: Option<String>) -> bool {
    !no_color_flag && no_color.is_none() && term.as_deref() != Some("dumb")
}

/// The wizard's state as it starts, before the first message.
pub fn initial_app(options: &Options, width: u16, height: u16) -> App {
    let mut app = App::new(width, height);
    app.presenter = options.presenter;
    app.color = options.color;
    app.demo = options.demo;
    app.welcome.saved = options.saved.clone();
    app.welcome.finished = options.finished.clone();
    app.welcome.state_problems = options.state_problems.clone();
    // Read once here, never in `update`: Done's `w` then needs no token field.
    app.segment.token_in_env = std::env::var_os(crate::model::segment::TOKEN_VARIABLE).is_some();
    if let Some(profile) = &options.profile {
        app.welcome.profile = tui_input::Input::new(profile.clone());
    }
    if let Some(region) = &options.region {
        app.welcome.region = tui_input::Input::new(region.clone());
    }
    app
}

/// How the wizard ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The user left; a line to print once the terminal is restored.
    Left(Option<String>),
    /// Without credentials, the user chose the demo account: start again on it.
    Demo,
}

/// Runs the wizard in the terminal until the user leaves.
pub async fn run(
    executor: Executor,
    clipboard: Arc<dyn Clipboard>,
    options: Options,
) -> io::Result<Ending> {
    // ratatui::init enters the alternate screen and raw mode and installs a panic hook that
    // restores the terminal before the panic message is printed.
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, executor, clipboard, options).await;
    // Calls that must not be cut apart (a role's two IAM calls, deleting a declined change set)
    // finish before the wizard is gone.
    crate::engine::unbroken_done().await;
    ratatui::restore();
    result
}

async fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    executor: Executor,
    clipboard: Arc<dyn Clipboard>,
    options: Options,
) -> io::Result<Ending> {
    let size = terminal.size()?;
    let mut app = initial_app(&options, size.width, size.height);
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = signal(tokio::signal::unix::SignalKind::hangup())?;
    // In raw mode Ctrl-C arrives as a key; a SIGINT from elsewhere is a request to leave too.
    let mut interrupt = signal(tokio::signal::unix::SignalKind::interrupt())?;

    let start = app.start();
    run_commands(start, &mut app, &executor, &clipboard, &options, &tx);
    let mut dirty = true;
    loop {
        if dirty {
            draw(terminal, &app)?;
            dirty = false;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Msg::Key(key),
                Some(Ok(Event::Resize(width, height))) => Msg::Resize(width, height),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error),
                None => Msg::Terminate,
            },
            Some(msg) = rx.recv() => msg,
            _ = ticker.tick(), if app.is_working() => Msg::Tick,
            _ = terminate.recv() => Msg::Terminate,
            _ = hangup.recv() => Msg::Terminate,
            _ = interrupt.recv() => Msg::Terminate,
        };
        let commands = update(&mut app, msg);
        dirty = true;
        run_commands(commands, &mut app, &executor, &clipboard, &options, &tx);
        if app.quit {
            return Ok(if app.welcome.switch_to_demo {
                Ending::Demo
            } else {
                Ending::Left(app.farewell.clone())
            });
        }
    }
}

/// Clears a copied secret: from the system clipboard if it still holds it (not if something else
/// was copied since); through the terminal by sending an empty clipboard, which can't be confirmed.
pub fn clear_clipboard(clipboard: &dyn Clipboard, text: &str) -> Option<Msg> {
    match clipboard.holds(text) {
        Some(true) => clipboard.clear().ok().map(|()| Msg::ClipboardCleared),
        None => clipboard.clear().ok().map(|()| Msg::ClipboardClearSent),
        Some(false) => None,
    }
}

fn signal(kind: tokio::signal::unix::SignalKind) -> io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(kind)
}

/// One frame, inside a synchronized update so the terminal shows it whole.
fn draw(terminal: &mut ratatui::DefaultTerminal, app: &App) -> io::Result<()> {
    crossterm::execute!(io::stdout(), crossterm::terminal::BeginSynchronizedUpdate)?;
    terminal.draw(|frame| view::draw(app, frame))?;
    crossterm::execute!(io::stdout(), crossterm::terminal::EndSynchronizedUpdate)
}

fn run_commands(
    commands: Vec<Cmd>,
    app: &mut App,
    executor: &Executor,
    clipboard: &Arc<dyn Clipboard>,
    options: &Options,
    tx: &mpsc::UnboundedSender<Msg>,
) {
    for command in commands {
        match command {
            Cmd::Quit => app.quit = true,
            // Clipboard work writes to the terminal (OSC 52), so it runs here, between frames.
            Cmd::Copy { what, text, secret } => {
                let result = clipboard.copy(&text, secret);
                if result.is_ok()
                    && secret
                    && let Some(after) = options.clipboard_clear
                {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = tx.send(Msg::ClipboardTimer(text));
                    });
                }
                let _ = tx.send(Msg::Copied {
                    what: what.to_string(),
                    secret,
                    remote: clipboard.is_remote(),
                    result,
                });
            }
            Cmd::ClearClipboard { text } => {
                if let Some(msg) = clear_clipboard(clipboard.as_ref(), &text) {
                    let _ = tx.send(msg);
                }
            }
            other => executor.spawn(other, tx.clone()),
        }
    }
}
