//! `update(&mut App, Msg) -> Vec<Cmd>`: changes the state for one message and returns the commands
//! it needs run; it does no I/O, draws nothing and draws no random numbers (generating an ID is a
//! command too). A key goes to the screen of the current step.

use super::actions::*;
use super::queries::reattach_command;
use super::screens;
use super::state::*;
use crate::model::plan::PolicyFile;
use crossterm::event::{KeyCode, KeyEvent};
use tui_input::Input;

/// Changes the state for one message; returns the commands it needs run.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    app.body_rows = super::view::body_rows(app);
    let mut commands = update_for(app, msg);
    // A resize or a new screen changes the box: the next key scrolls by what shows then.
    app.body_rows = super::view::body_rows(app);
    // Arriving on Permissions, another preset or another region: the pickers' lists, once each.
    commands.extend(app.wanted_listings());
    commands
}

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
fn update_for(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Resize(width, height) => {
            app.width = width;
            app.height = height;
            Vec::new()
        }
        Msg::Tick => {
            app.spinner = app.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Terminate => leave(app),
        Msg::Key(key) => on_key(app, key),
        Msg::Identity(result) => {
            app.welcome.found.clear();
            app.welcome.found_problem = None;
            let mut commands = match result {
                Ok((caller, region)) => {
                    app.welcome.identity = IdentityState::Ready { caller, region };
                    vec![Cmd::FindSetups {
                        profile: non_empty(&app.welcome.profile),
                    }]
                }
                Err(message) => {
                    app.welcome.identity = IdentityState::Missing(message);
                    Vec::new()
                }
            };
            commands.extend(replay_pending_keys(app));
            commands
        }
        Msg::SetupsFound(result) => {
            match result {
                Ok(found) => app.welcome.found = found,
                Err(message) => app.welcome.found_problem = Some(message),
            }
            Vec::new()
        }
        // A generated value arrives a moment later: it never replaces what the user typed meanwhile.
        Msg::ExternalIdGenerated(id) if app.change.setup.is_some() => {
            // Changing a setup, a generated ID is a rotation's new one: the saved ID stays.
            if !app.uses_workspace_id() {
                app.external.id_change = crate::engine::update::IdChange::Rotate(id);
            }
            replay_pending_keys(app)
        }
        Msg::ExternalIdGenerated(id) => {
            if !app.uses_workspace_id() && !app.external.editing {
                app.external.value = Input::new(id);
                app.external.generated = true;
                app.external.is_workspace = false;
            }
            replay_pending_keys(app)
        }
        Msg::StackNameGenerated(name) => {
            app.method.generating_name = false;
            if app.method.role_name.value().is_empty() {
                app.method.role_name = Input::new(name.clone());
            }
            if app.method.stack_name.value().is_empty() && !app.method.stack_name_edited {
                app.method.stack_name = Input::new(name);
            }
            replay_pending_keys(app)
        }
        Msg::PolicyFileRead { path, result } => {
            app.permissions.policy_file = Some(result.map(|text| PolicyFile { path, text }));
            Vec::new()
        }
        Msg::ResourcesListed {
            kind,
            region,
            result,
        } => {
            let listing = match result {
                Ok(found) => Listing::Ready(found),
                Err(message) => Listing::Unavailable(message),
            };
            app.permissions.listings.insert((kind, region), listing);
            app.permissions.pick_row = None;
            Vec::new()
        }
        Msg::RolesListed(result) => {
            app.method.roles = match result {
                Ok(roles) => RolesState::Loaded(roles),
                Err(message) => RolesState::Failed(message),
            };
            replay_pending_keys(app)
        }
        msg @ (Msg::Progress(_)
        | Msg::Created(_)
        | Msg::StackSetDone(_)
        | Msg::Verified(_)
        | Msg::UpdatePreviewed(_)
        | Msg::IdsDiffer(_)
        | Msg::Repaired(_)
        | Msg::StackDeleted(_)) => screens::progress::on_message(app, msg),
        msg @ Msg::Audited(_) => screens::audit::on_message(app, msg),
        msg @ (Msg::SegmentConnected(_)
        | Msg::SegmentSources(_)
        | Msg::SegmentPrepared(_)
        | Msg::SegmentWritten(_)) => screens::segment::on_message(app, msg),
        Msg::Copied {
            what,
            secret,
            remote,
            result,
        } => {
            app.run.clipboard_note = Some(match result {
                Ok(route) if secret && remote => format!(
                    "{what} {route}. It can't be cleared from here for sure: an empty clipboard is sent later, but clear it on your machine if your terminal ignores that"
                ),
                Ok(route) => format!("{what} {route}"),
                Err(error) => format!("Copying the {what} failed ({error}); it is on screen"),
            });
            Vec::new()
        }
        Msg::ClipboardTimer(text) => vec![Cmd::ClearClipboard { text }],
        Msg::ShowDone => {
            if app.step == Step::Progress && app.run.work == Work::Done {
                go(app, Step::Done);
            }
            Vec::new()
        }
        Msg::ClipboardCleared => {
            app.run.clipboard_note = Some("The external ID was cleared from the clipboard".into());
            app.secret_on_clipboard = None;
            Vec::new()
        }
        Msg::ClipboardClearSent => {
            app.run.clipboard_note = Some(
                "An empty clipboard was sent to your terminal (OSC 52); it can't confirm it was cleared"
                    .into(),
            );
            app.secret_on_clipboard = None;
            Vec::new()
        }
    }
}

/// Quitting: while a stack is being made the stack keeps going, so say how to re-attach, with
/// the stack's own region (and profile) so the command works as printed. A secret still on the
/// clipboard is cleared first.
fn leave(app: &mut App) -> Vec<Cmd> {
    app.quit = true;
    let mut commands = Vec::new();
    // A change previewed and not applied leaves no change set behind.
    if let Work::Previewed(prepared) = &app.run.work {
        commands.push(Cmd::DiscardUpdate(Box::new(prepared.preview.clone())));
    }
    if let Some(text) = app.secret_on_clipboard.take() {
        commands.push(Cmd::ClearClipboard { text });
    }
    if let Some(command) = reattach_command(app) {
        let what = match app.method.choice {
            MethodChoice::StackSet => "stack set",
            _ => "stack",
        };
        let stack = app.method.stack_name.value().trim();
        app.farewell = Some(format!(
            "Stopped watching; {what} {stack} keeps going in AWS. Watch it again with:\n  {command}"
        ));
    } else if (app.step == Step::Done || app.run.work == Work::Done)
        && (app.run.role_arn.is_some() || app.welcome.plan_only)
    {
        // Quitting never loses the settings: they are printed once the terminal is back.
        app.farewell = screens::done::farewell(app);
    }
    commands.push(Cmd::Quit);
    commands
}

/// The keys typed ahead, acted on now that the awaited value is here (they may wait again).
fn replay_pending_keys(app: &mut App) -> Vec<Cmd> {
    let mut commands = Vec::new();
    for key in std::mem::take(&mut app.pending_keys) {
        commands.extend(on_key(app, key));
    }
    commands
}

/// Whether the current screen is taking typed text (so letters are text, not commands).
fn typing(app: &App) -> bool {
    if screens::segment::typing(app) {
        return true;
    }
    match app.step {
        Step::Welcome => app.welcome.focus.is_field(),
        Step::ExternalId => app.external.editing || app.uses_workspace_id(),
        // The preset list passes letters to the preset's first field.
        Step::Permissions => true,
        Step::Method => app.method.focus.is_field(),
        _ => false,
    }
}

/// The one quit rule, for `q` and Ctrl-C on every screen and at every size: ask when something
/// would be lost, else leave.
fn ask_or_leave(app: &mut App) -> Vec<Cmd> {
    if app.quit_loses().is_some() {
        app.confirm_quit = true;
        Vec::new()
    } else {
        leave(app)
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if app.confirm_quit {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('q') => leave(app),
            _ if ctrl(&key, 'c') => leave(app),
            _ => {
                app.confirm_quit = false;
                Vec::new()
            }
        };
    }
    if ctrl(&key, 'c') {
        return ask_or_leave(app);
    }
    if app.too_small() {
        return if key.code == KeyCode::Char('q') {
            ask_or_leave(app)
        } else {
            Vec::new()
        };
    }
    if app.help_open {
        if matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::F(1) | KeyCode::Char('q') | KeyCode::Enter
        ) {
            app.help_open = false;
        }
        return Vec::new();
    }
    match key.code {
        KeyCode::F(1) => {
            app.help_open = true;
            return Vec::new();
        }
        KeyCode::F(2) => {
            app.presenter = !app.presenter;
            app.revealed = false;
            return Vec::new();
        }
        KeyCode::F(3) => {
            app.revealed = !app.revealed;
            return Vec::new();
        }
        KeyCode::Char('?') if !typing(app) => {
            app.help_open = true;
            return Vec::new();
        }
        KeyCode::Char('q') if !typing(app) => return ask_or_leave(app),
        _ => {}
    }
    if app.waiting_for_value() && (key.code == KeyCode::Enter || !app.pending_keys.is_empty()) {
        app.pending_keys.push(key);
        return Vec::new();
    }
    if app.step == Step::Done && app.segment.is_open() {
        return screens::segment::on_key(app, key);
    }
    if app.step == Step::Welcome && app.audit.is_open() {
        return screens::audit::on_key(app, key);
    }
    match app.step {
        Step::Welcome => screens::welcome::on_key(app, key),
        Step::Integration => screens::integration::on_key(app, key),
        Step::ExternalId => screens::external_id::on_key(app, key),
        Step::Permissions => screens::permissions::on_key(app, key),
        Step::Method => screens::method::on_key(app, key),
        Step::Review => screens::review::on_key(app, key),
        Step::Progress => screens::progress::on_key(app, key),
        Step::Done => screens::done::on_key(app, key),
    }
}
