//! Done's "write these settings into Segment" (`w`), a popup over the Done screen: the Public API
//! token typed masked (never shown, not even with F3; skipped when `SEGMENT_PUBLIC_API_TOKEN` is
//! set, or in the demo's simulated workspace), the workspace named, an instance or function
//! picked when there are several, the preview, `y` to write, and what was written, read back.

use super::{bold, choice, dim};
use crate::engine::segment_settings::{PrepareError, preview};
use crate::ui::tui::state::{App, Cmd, Msg, SegmentPhase};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

/// Whether this setup's settings can be written through the API at all.
pub fn offered(app: &App) -> bool {
    !app.welcome.plan_only && app.run.role_arn.is_some() && app.integration().id != "data-lakes"
}

/// `w` on Done, with the settings it shows: the token field, or straight to the workspace.
pub fn open(app: &mut App, outcome: Option<crate::model::outcome::Outcome>) -> Vec<Cmd> {
    app.segment.outcome = outcome.map(Box::new);
    app.segment.workspace = None;
    app.segment.target = crate::engine::segment_settings::Target {
        ask: true,
        ..Default::default()
    };
    if app.demo || app.segment.token_in_env {
        app.segment.phase = SegmentPhase::Connecting;
        vec![Cmd::SegmentConnect {
            token: None,
            demo: app.demo,
        }]
    } else {
        app.segment.phase = SegmentPhase::Token;
        Vec::new()
    }
}

fn prepare(app: &mut App) -> Vec<Cmd> {
    let Some(outcome) = app.segment.outcome.clone() else {
        app.segment.phase = SegmentPhase::Failed("the settings are no longer known".into());
        return Vec::new();
    };
    app.segment.phase = SegmentPhase::Preparing;
    vec![Cmd::SegmentPrepare {
        outcome,
        target: app.segment.target.clone(),
    }]
}

pub fn on_message(app: &mut App, msg: Msg) -> Vec<Cmd> {
    // Asked for on the External ID step: the workspace ID fills the field (if still empty).
    if app.step == crate::ui::tui::state::Step::ExternalId && !app.segment.is_open() {
        match msg {
            Msg::SegmentConnected(Ok(workspace)) => {
                if app.external.value.value().is_empty() && app.uses_workspace_id() {
                    app.external.value = tui_input::Input::new(workspace.id.clone());
                    app.external.from_segment = Some(workspace.name.clone());
                }
                app.segment.workspace = Some(workspace);
                if app.integration().external_id.source_ids {
                    return vec![Cmd::SegmentSources {
                        integration: app.integration().id.clone(),
                    }];
                }
            }
            // The sources are an offer: without them the field is typed as ever.
            Msg::SegmentSources(Ok(sources)) => app.external.segment_sources = sources,
            _ => {}
        }
        return Vec::new();
    }
    match msg {
        Msg::SegmentConnected(Ok(workspace)) => {
            app.segment.workspace = Some(workspace);
            prepare(app)
        }
        Msg::SegmentConnected(Err(message)) => {
            app.segment.phase = SegmentPhase::Failed(message);
            Vec::new()
        }
        Msg::SegmentPrepared(Ok(prepared)) => {
            app.segment.phase = SegmentPhase::Preview(prepared);
            Vec::new()
        }
        Msg::SegmentPrepared(Err(PrepareError::Choose { what, choices }))
            if !choices.is_empty() =>
        {
            app.segment.phase = SegmentPhase::Choose {
                what,
                choices,
                pick: 0,
            };
            Vec::new()
        }
        Msg::SegmentPrepared(Err(error)) => {
            app.segment.phase = SegmentPhase::Failed(error.to_string());
            Vec::new()
        }
        Msg::SegmentWritten(Ok(written)) => {
            app.segment.phase = SegmentPhase::Written {
                lines: written.lines.clone(),
                left: std::mem::take(&mut app.segment.left),
            };
            Vec::new()
        }
        Msg::SegmentWritten(Err(failure)) => {
            let mut message = failure.message;
            if !failure.done.is_empty() {
                message.push_str(&format!(
                    " Done before it: {}. Press w again: it writes only what is missing.",
                    failure.done.join("; ")
                ));
            }
            app.segment.phase = SegmentPhase::Failed(message);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let phase = app.segment.phase.clone();
    match (phase, key.code) {
        (SegmentPhase::Token, KeyCode::Esc) => close(app),
        (SegmentPhase::Token, KeyCode::Enter) => {
            match crate::segment::http::Token::new(app.segment.token.value()) {
                Ok(token) => {
                    app.segment.token = tui_input::Input::default();
                    app.segment.phase = SegmentPhase::Connecting;
                    vec![Cmd::SegmentConnect {
                        token: Some(token),
                        demo: false,
                    }]
                }
                Err(message) => {
                    app.segment.phase = SegmentPhase::Failed(message);
                    Vec::new()
                }
            }
        }
        (SegmentPhase::Token, _) => {
            super::edit(&mut app.segment.token, key);
            Vec::new()
        }
        (
            SegmentPhase::Choose {
                what,
                choices,
                pick,
            },
            code,
        ) => match code {
            KeyCode::Up | KeyCode::Char('k') => {
                app.segment.phase = SegmentPhase::Choose {
                    what,
                    pick: pick.saturating_sub(1),
                    choices,
                };
                Vec::new()
            }
            KeyCode::Down | KeyCode::Char('j') => {
                app.segment.phase = SegmentPhase::Choose {
                    what,
                    pick: (pick + 1).min(choices.len().saturating_sub(1)),
                    choices,
                };
                Vec::new()
            }
            KeyCode::Enter => {
                if let Some(choice) = choices.get(pick) {
                    app.segment.target.apply(&choice.pick);
                }
                prepare(app)
            }
            KeyCode::Esc => close(app),
            _ => Vec::new(),
        },
        (SegmentPhase::Preview(prepared), KeyCode::Char('f'))
            if prepared.steps.is_empty() && can_finish(app, prepared.segment_holds_the_id()) =>
        {
            finish_rotation(app)
        }
        (SegmentPhase::Written { .. }, KeyCode::Char('f'))
            if can_finish(app, app.segment.holds_the_id) =>
        {
            finish_rotation(app)
        }
        (SegmentPhase::Preview(prepared), KeyCode::Char('y')) if !prepared.steps.is_empty() => {
            app.segment.holds_the_id = prepared.segment_holds_the_id();
            app.segment.left = prepared.left.clone();
            app.segment.phase = SegmentPhase::Writing;
            vec![Cmd::SegmentWrite(prepared)]
        }
        (SegmentPhase::Preview(_), KeyCode::Char('n') | KeyCode::Esc | KeyCode::Enter)
        | (SegmentPhase::Written { .. } | SegmentPhase::Failed(_), KeyCode::Esc | KeyCode::Enter) => {
            close(app)
        }
        _ => Vec::new(),
    }
}

/// The change on Done began a rotation, and Segment's setting holds its new ID (`holds`).
fn can_finish(app: &App, holds: bool) -> bool {
    holds
        && app.change.asked.is_some()
        && app
            .run
            .applied
            .as_ref()
            .is_some_and(|a| !a.plan.next_external_ids.is_empty())
}

/// `f`: phase 2 of the rotation, worked out and previewed on Progress, applied with Enter as
/// any change is.
fn finish_rotation(app: &mut App) -> Vec<Cmd> {
    let (Some(applied), Some(asked)) = (app.run.applied.take(), app.change.asked.take()) else {
        return Vec::new();
    };
    close(app);
    let after = applied.records.after.clone();
    let finishing = Box::new(asked.finishing(&after));
    app.change.setup = Some(after);
    app.change.asked = Some(finishing.clone());
    app.external.id_change = crate::engine::update::IdChange::Finish;
    app.run.resources.clear();
    app.run.notes.clear();
    app.run.role_arn = None;
    app.run.finishing_after_segment = true;
    app.run.work = crate::ui::tui::state::Work::Running;
    app.run.notes.push(
        "Segment holds the new external ID (read back): finishing the rotation, phase 2 of 2"
            .into(),
    );
    crate::ui::tui::actions::go(app, crate::ui::tui::state::Step::Progress);
    vec![Cmd::PrepareUpdate(finishing)]
}

fn close(app: &mut App) -> Vec<Cmd> {
    app.segment.phase = SegmentPhase::Closed;
    app.segment.token = tui_input::Input::default();
    Vec::new()
}

/// The footer's keys while the popup is open.
pub fn keys(app: &App) -> super::Keys {
    match &app.segment.phase {
        SegmentPhase::Token => vec![("Enter", "check the token"), ("Esc", "close")],
        SegmentPhase::Choose { .. } => vec![("↑↓", "pick"), ("Enter", "choose"), ("Esc", "close")],
        SegmentPhase::Preview(prepared) if !prepared.steps.is_empty() => {
            vec![("y", "write it"), ("n/Esc", "close, nothing written")]
        }
        SegmentPhase::Preview(prepared) if can_finish(app, prepared.segment_holds_the_id()) => {
            vec![("f", "finish the rotation"), ("Enter/Esc", "close")]
        }
        SegmentPhase::Written { .. } if can_finish(app, app.segment.holds_the_id) => {
            vec![("f", "finish the rotation"), ("Enter/Esc", "close")]
        }
        SegmentPhase::Connecting | SegmentPhase::Preparing | SegmentPhase::Writing => {
            vec![("Ctrl-C", "quit")]
        }
        _ => vec![("Enter/Esc", "close")],
    }
}

/// Whether the popup takes typed text (letters are the token, not commands).
pub fn typing(app: &App) -> bool {
    app.segment.phase == SegmentPhase::Token
}

/// The preview: what is already so, what each write changes, what is left.
fn preview_lines(
    app: &App,
    prepared: &crate::engine::segment_settings::Prepared,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for line in &prepared.already {
        lines.push(Line::from(format!("✓ Already so: {line}")));
    }
    if prepared.steps.is_empty() {
        lines.push(Line::from(
            "✓ Nothing to write: Segment holds these settings.",
        ));
    } else {
        lines.push(Line::styled("This writes into Segment:", bold()));
        for line in preview(prepared) {
            lines.push(Line::from(format!("  {line}")));
        }
    }
    for line in &prepared.left {
        lines.push(Line::styled(format!("Left to you: {line}"), dim()));
    }
    if prepared.steps.is_empty() && can_finish(app, prepared.segment_holds_the_id()) {
        lines.push(Line::styled(FINISH_OFFER, bold()));
    }
    lines.push(Line::styled(
        if prepared.steps.is_empty() {
            "Enter closes"
        } else {
            "y writes it · n or Esc closes, nothing written"
        },
        bold(),
    ));
    lines
}

const FINISH_OFFER: &str = "f finishes the rotation now, phase 2 of 2: Segment has the new ID, so the role can stop accepting the old one (previewed first)";

/// The popup's lines.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(workspace) = &app.segment.workspace {
        let demo = if app.demo {
            " (simulated: the demo)"
        } else {
            ""
        };
        lines.push(Line::from(vec![
            Span::raw("Workspace  "),
            Span::styled(workspace.name.clone(), bold()),
            Span::raw(format!(" ({}){demo}", workspace.slug)),
        ]));
        lines.push(Line::from(""));
    }
    match &app.segment.phase {
        SegmentPhase::Closed => {}
        SegmentPhase::Token => {
            lines.push(Line::from(
                "Segment's Public API writes the settings for you (Team and Business plans).",
            ));
            lines.push(Line::from(
                "Paste a token (Settings > Workspace settings > Access Management > Tokens):",
            ));
            // Never shown, not even with F3: one bullet per character typed.
            let masked =
                tui_input::Input::new("•".repeat(app.segment.token.value().chars().count()));
            lines.push(super::field("Token", &masked, true, None, 60));
            lines.push(Line::styled(
                "Enter checks it · Esc closes · kept in memory only, never saved",
                dim(),
            ));
        }
        SegmentPhase::Connecting => lines.push(Line::from(format!(
            "{} Checking the token…",
            super::spinner(app)
        ))),
        SegmentPhase::Preparing => lines.push(Line::from(format!(
            "{} Reading the workspace…",
            super::spinner(app)
        ))),
        SegmentPhase::Writing => lines.push(Line::from(format!(
            "{} Writing, then reading back…",
            super::spinner(app)
        ))),
        SegmentPhase::Choose {
            what,
            choices,
            pick,
        } => {
            lines.push(Line::from(what.clone()));
            for (index, row) in choices.iter().enumerate() {
                lines.push(choice(index == *pick, row.row()));
            }
            lines.push(Line::styled("↑↓ pick · Enter choose · Esc closes", dim()));
        }
        SegmentPhase::Preview(prepared) => lines.extend(preview_lines(app, prepared)),
        SegmentPhase::Written {
            lines: written,
            left,
        } => {
            for line in written {
                lines.push(Line::from(format!("✓ Written: {line}")));
            }
            for line in left {
                lines.push(Line::styled(format!("Left to you: {line}"), dim()));
            }
            if can_finish(app, app.segment.holds_the_id) {
                lines.push(Line::styled(FINISH_OFFER, bold()));
            }
            lines.push(Line::styled("Enter closes", dim()));
        }
        SegmentPhase::Failed(message) => {
            lines.push(Line::styled(format!("✗ {message}"), bold()));
            lines.push(Line::styled("Enter closes", dim()));
        }
    }
    lines
}
