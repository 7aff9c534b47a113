//! Step 2: which Segment integration the role is for.

use super::{choice, dim, paragraph};
use crate::model::catalog::Catalog;
use crate::ui::tui::{
    actions::{back, go},
    state::{App, Cmd, PermissionFocus, Step},
};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

pub fn keys(_app: &App) -> super::Keys {
    vec![
        ("↑↓", "choose"),
        ("Enter", "next"),
        ("Esc", "back"),
        ("?", "help"),
        ("q", "quit"),
    ]
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    let choices = crate::model::steps::integration_choices();
    let mut lines = vec![
        Line::from(format!("{}?", crate::model::steps::INTEGRATION_QUESTION)),
        Line::from(""),
    ];
    // The list, then what the chosen one is: nine integrations fit an 80x24 screen that way.
    for (index, choice_) in choices.iter().enumerate() {
        lines.push(choice(index == app.integration, choice_.title.clone()));
    }
    lines.push(Line::from(""));
    if let Some(chosen) = choices.get(app.integration) {
        for detail in &chosen.details {
            lines.push(Line::styled(detail.clone(), dim()));
        }
    }
    frame.render_widget(paragraph(app, lines), area);
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let count = Catalog::builtin().integrations().len();
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => app.integration = (app.integration + count - 1) % count,
        KeyCode::Down | KeyCode::Char('j') => app.integration = (app.integration + 1) % count,
        KeyCode::Esc => return back(app),
        KeyCode::Enter => {
            app.permissions.preset = 0;
            app.permissions.focus = PermissionFocus::Presets;
            app.external.editing = false;
            go(app, Step::ExternalId);
            // A value is kept when going back and forth, but never carried to the other kind
            // of integration: a function's external ID is no workspace ID, nor the reverse.
            let workspace = app.uses_workspace_id();
            let other_kind = if app.external.generated {
                workspace
            } else {
                app.external.is_workspace != workspace
            };
            if other_kind && !app.external.value.value().is_empty() {
                app.external.value = tui_input::Input::default();
                app.external.generated = false;
                app.external.generated_before_edit = None;
            }
            app.external.is_workspace = workspace;
            if !workspace && app.external.value.value().is_empty() {
                return vec![Cmd::GenerateExternalId];
            }
            // The workspace ID read, not typed, when a Public API token is in the environment.
            if workspace && app.external.value.value().is_empty() && app.segment.token_in_env {
                return vec![Cmd::SegmentConnect {
                    token: None,
                    demo: false,
                }];
            }
        }
        _ => {}
    }
    Vec::new()
}
