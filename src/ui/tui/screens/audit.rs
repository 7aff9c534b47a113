//! Welcome's "check this account for roles Segment can assume" (`a`), a popup over Welcome:
//! every role of the account read, those a Segment principal can assume judged without knowing
//! your external ID (the same audit as `segment-aws-setup audit`), a line each with its last
//! use, each problem and the command that repairs it. Nothing is changed.

use super::{bold, dim};
use crate::ui::tui::state::{App, AuditPhase, Cmd, IdentityState, Msg};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

/// Whether the audit can run: the account is known (the demo's too; not plan-only).
pub fn offered(app: &App) -> bool {
    matches!(app.welcome.identity, IdentityState::Ready { .. })
}

/// `a` on Welcome.
pub fn open(app: &mut App) -> Vec<Cmd> {
    app.audit.phase = AuditPhase::Running;
    app.audit.scroll = 0;
    vec![Cmd::Audit]
}

pub fn on_message(app: &mut App, msg: Msg) -> Vec<Cmd> {
    if let Msg::Audited(result) = msg
        && app.audit.phase == AuditPhase::Running
    {
        app.audit.phase = match result {
            Ok(audited) => AuditPhase::Done(audited),
            Err(message) => AuditPhase::Failed(message),
        };
    }
    Vec::new()
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    match key.code {
        KeyCode::Esc | KeyCode::Enter if app.audit.phase != AuditPhase::Running => {
            app.audit.phase = AuditPhase::Closed;
        }
        KeyCode::Down | KeyCode::Char('j') => app.audit.scroll = app.audit.scroll.saturating_add(1),
        KeyCode::Up | KeyCode::Char('k') => app.audit.scroll = app.audit.scroll.saturating_sub(1),
        KeyCode::PageDown => app.audit.scroll = app.audit.scroll.saturating_add(10),
        KeyCode::PageUp => app.audit.scroll = app.audit.scroll.saturating_sub(10),
        _ => {}
    }
    Vec::new()
}

/// The footer's keys while the popup is open.
pub fn keys(app: &App) -> super::Keys {
    match app.audit.phase {
        AuditPhase::Running => vec![("Ctrl-C", "quit")],
        _ => vec![("↑↓", "scroll"), ("Enter/Esc", "close")],
    }
}

/// The popup's lines, from the scroll position on.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match &app.audit.phase {
        AuditPhase::Closed => {}
        AuditPhase::Running => lines.push(Line::from(format!(
            "{} Reading every role of the account…",
            super::spinner(app)
        ))),
        AuditPhase::Failed(message) => {
            lines.push(Line::styled(format!("✗ {message}"), bold()));
            lines.push(Line::styled("Enter closes", dim()));
        }
        AuditPhase::Done(audited) => {
            let text = crate::model::audit::audit_text(&audited.roles, audited.looked_at);
            let all: Vec<&str> = text.lines().collect();
            // The count first, then the roles from where the list is scrolled to.
            if let Some(last) = all.last() {
                let mark = if audited.is_ok() { "✓" } else { "✗" };
                lines.push(Line::styled(format!("{mark} {last}"), bold()));
            }
            let body = &all[..all.len().saturating_sub(1)];
            let from = usize::from(app.audit.scroll).min(body.len().saturating_sub(1));
            for line in body.iter().skip(from) {
                lines.push(Line::from(line.to_string()));
            }
            lines.push(Line::styled(
                "Nothing was changed · ↑↓ scroll · Enter closes",
                dim(),
            ));
        }
    }
    lines
}
