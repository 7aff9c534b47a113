//! Step 3: the external ID: generated (regenerate with one key) or typed, checked as it is typed.

use super::{bold, dim, edit, field, paragraph, verdict};
use crate::model::validate;
use crate::ui::tui::{
    actions::{back, go},
    state::{App, Cmd, Field, PermissionFocus, Step},
};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

/// Changing a setup whose ID this tool generates: the ID is kept, or a rotation begun or
/// finished; never typed over (a rotation needs the old one accepted until Segment has the new).
fn changing_a_generated_id(app: &App) -> bool {
    app.change.setup.is_some() && !app.uses_workspace_id()
}

pub fn keys(app: &App) -> super::Keys {
    if changing_a_generated_id(app) {
        let mut keys = vec![("Enter", "next"), ("k", "keep"), ("r", "rotate")];
        if app.change.setup.as_ref().is_some_and(|s| s.rotating()) {
            keys.push(("f", "finish the rotation"));
        }
        keys.extend([("Esc", "back"), ("F2", "presenter"), ("q", "quit")]);
        return keys;
    }
    if app.uses_workspace_id() {
        let mut keys = vec![("Enter", "next"), ("Esc", "back")];
        if app.external.source_row.is_some() {
            keys.push(("Space", "trust/untrust"));
        } else if offers_sources(app) {
            keys.push(("↓", "Segment's sources"));
        }
        keys.extend([("F2", "presenter"), ("F1", "help"), ("Ctrl-C", "quit")]);
        return keys;
    }
    if app.external.editing {
        let esc = if app.external.generated_before_edit.is_some() {
            "use the generated one"
        } else {
            "generate one"
        };
        return vec![
            ("Enter", "next"),
            ("Esc", esc),
            ("F2", "presenter"),
            ("F1", "help"),
            ("Ctrl-C", "quit"),
        ];
    }
    vec![
        ("Enter", "next"),
        ("r", "regenerate"),
        ("e", "type one"),
        ("Esc", "back"),
        ("F2", "presenter"),
        ("?", "help"),
        ("q", "quit"),
    ]
}

/// What is wrong with the typed ID(s), if anything.
pub fn problem(app: &App) -> Option<String> {
    let value = app.external.value.value().trim();
    if app.uses_workspace_id() {
        let none = "type your Segment workspace ID (Settings > General in Segment)";
        validate::comma_separated(value, none, validate::workspace_id)
            .err()
            .map(|invalid| invalid.0)
    } else {
        validate::external_id(value, app.integration().external_id.min_length)
            .err()
            .map(|invalid| invalid.0)
    }
}

/// The IDs of the setup being changed, one a line, and what the change does with them.
fn changing_view(app: &App, frame: &mut Frame, area: Rect) {
    let Some(saved) = &app.change.setup else {
        return;
    };
    let mut lines = vec![Line::from(format!(
        "The external ID of {} ({}):",
        saved.what(),
        if app.change.found_in_aws {
            "read from its role in AWS; nothing is saved here"
        } else {
            "saved on this machine; checked against the role before anything changes"
        }
    ))];
    for id in &saved.external_ids {
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(app.shown_secret(id), bold()),
        ]));
    }
    if saved.rotating() {
        let since = saved
            .rotation_since()
            .map(|at| format!(" since {at}"))
            .unwrap_or_default();
        lines.push(Line::from(format!(
            "A rotation is under way{since}; the role accepts its new ID too:"
        )));
        for id in &saved.pending_external_ids {
            lines.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(app.shown_secret(id), bold()),
            ]));
        }
    }
    lines.push(Line::from(""));
    let choice = match &app.external.id_change {
        crate::engine::update::IdChange::Rotate(_) if saved.rotating() => {
            "Rotate: the rotation under way goes on with its own new ID (no third one).".to_string()
        }
        crate::engine::update::IdChange::Rotate(new) => format!(
            "Rotate, phase 1 of 2: the role will accept the current ID and a new one ({}), so Segment keeps working while you paste it; finish the rotation later.",
            app.shown_secret(new)
        ),
        crate::engine::update::IdChange::Finish => {
            "Finish the rotation, phase 2 of 2: only the new ID stays; the old one stops working. Segment's setting must hold the new ID already.".to_string()
        }
        _ => "Keep: Segment goes on with the ID it has.".to_string(),
    };
    lines.push(verdict(true, choice));
    lines.push(Line::styled(
        if saved.rotating() {
            "k keeps both for now · f finishes the rotation"
        } else {
            "k keeps it · r begins a rotation (a new ID beside this one)"
        },
        dim(),
    ));
    frame.render_widget(paragraph(app, lines), area);
}

/// Segment's Public API listed the workspace's sources, and the role may trust their IDs.
fn offers_sources(app: &App) -> bool {
    app.uses_workspace_id()
        && app.integration().external_id.source_ids
        && !app.external.segment_sources.is_empty()
}

/// The IDs typed in the field, in order.
fn typed_ids(app: &App) -> Vec<String> {
    app.external
        .value
        .value()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Space on a source's row: its ID added after the others, or taken out.
fn toggle_source(app: &mut App, row: usize) {
    let Some(source) = app.external.segment_sources.get(row) else {
        return;
    };
    let mut ids = typed_ids(app);
    match ids.iter().position(|id| *id == source.id) {
        Some(at) => {
            ids.remove(at);
        }
        None => ids.push(source.id.clone()),
    }
    app.external.value = tui_input::Input::new(ids.join(", "));
    app.touched.insert(Field::ExternalId);
}

/// At most this many source rows show at once; the list scrolls with the cursor.
const SOURCE_ROWS: usize = 4;

fn sources_lines(app: &App) -> Vec<Line<'static>> {
    let sources = &app.external.segment_sources;
    let typed = typed_ids(app);
    let mut lines = vec![Line::styled(
        format!(
            "Segment lists {} source(s): ↓ to them, Space trusts a source's ID too.",
            sources.len()
        ),
        dim(),
    )];
    let cursor = app.external.source_row;
    let first = cursor.map_or(0, |row| row.saturating_sub(SOURCE_ROWS - 1));
    for (row, source) in sources.iter().enumerate().skip(first).take(SOURCE_ROWS) {
        let mark = if typed.contains(&source.id) {
            "[x]"
        } else {
            "[ ]"
        };
        lines.push(super::choice(
            cursor == Some(row),
            format!("{mark} {}  {}", source.name, app.shown_secret(&source.id)),
        ));
    }
    let below = sources.len().saturating_sub(first + SOURCE_ROWS);
    if below > 0 {
        lines.push(Line::styled(format!("  … {below} more (↓)"), dim()));
    }
    lines
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    if changing_a_generated_id(app) {
        return changing_view(app, frame, area);
    }
    let width = area.width as usize;
    let integration = app.integration();
    let mut lines = Vec::new();
    if app.uses_workspace_id() {
        lines.extend(
            crate::model::steps::external_id_intro(integration)
                .into_iter()
                .map(Line::from),
        );
        if integration.external_id.source_ids {
            lines.push(Line::from(
                crate::model::steps::SOURCE_ID_WHY.to_string() + " Add it after a comma.",
            ));
        }
        lines.push(Line::from(""));
        let shown = app.shown_secret(app.external.value.value());
        lines.push(field(
            "Workspace ID",
            &app.external.value,
            true,
            Some(shown),
            width,
        ));
    } else {
        lines.extend(
            crate::model::steps::external_id_intro(integration)
                .into_iter()
                .map(Line::from),
        );
        lines.push(Line::from(""));
        let shown = app.shown_secret(app.external.value.value());
        if app.external.editing {
            lines.push(field(
                "External ID",
                &app.external.value,
                true,
                Some(shown),
                width,
            ));
            lines.push(Line::styled(
                format!(
                    "At least {} characters: letters, digits and _ + = , . @ : / -",
                    integration.external_id.min_length
                ),
                dim(),
            ));
        } else {
            lines.push(Line::from(vec![
                Span::raw("External ID  "),
                Span::styled(shown, bold()),
            ]));
            if app.external.generated {
                lines.push(Line::styled(
                    format!(
                        "Generated: {} random letters and digits from the OS's secure source.",
                        app.external.value.value().len()
                    ),
                    dim(),
                ));
            }
        }
    }
    lines.push(Line::from(""));
    // An error shows once the field was edited or Enter pressed, not on arrival.
    lines.push(verdict_line(app));
    if offers_sources(app) {
        lines.extend(sources_lines(app));
    }
    if app.uses_workspace_id() && problem(app).is_none() {
        for id in app.external.value.value().split(',').map(str::trim) {
            if let Some(doubt) = validate::workspace_id_doubt(id) {
                lines.push(Line::styled(format!("! {doubt}"), bold()));
            }
        }
    }
    if !app.uses_workspace_id()
        && !app.external.generated
        && problem(app).is_none()
        && let Some(why) = crate::model::external_id::weakness(app.external.value.value().trim())
    {
        lines.push(Line::styled(
            format!("! It looks weak: {why}. r makes a random one."),
            bold(),
        ));
    }
    if app.presenter && !app.revealed {
        lines.push(Line::styled(
            "Presenter mode: the ID is masked (F3 reveals it).",
            dim(),
        ));
    }
    frame.render_widget(paragraph(app, lines), area);
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if changing_a_generated_id(app) {
        let rotating = app.change.setup.as_ref().is_some_and(|s| s.rotating());
        match key.code {
            KeyCode::Esc => return back(app),
            KeyCode::Enter => {
                app.permissions.focus = PermissionFocus::Presets;
                go(app, Step::Permissions);
            }
            KeyCode::Char('k') => app.external.id_change = crate::engine::update::IdChange::Keep,
            // The new ID is generated as a command (randomness is I/O) and comes back as a
            // message; a rotation under way keeps its own.
            KeyCode::Char('r') => return vec![Cmd::GenerateExternalId],
            KeyCode::Char('f') if rotating => {
                app.external.id_change = crate::engine::update::IdChange::Finish
            }
            _ => {}
        }
        return Vec::new();
    }
    if offers_sources(app) {
        let last = app.external.segment_sources.len() - 1;
        match (app.external.source_row, key.code) {
            (None, KeyCode::Down) => {
                app.external.source_row = Some(0);
                return Vec::new();
            }
            (Some(row), KeyCode::Down) => {
                app.external.source_row = Some((row + 1).min(last));
                return Vec::new();
            }
            (Some(row), KeyCode::Up) => {
                app.external.source_row = row.checked_sub(1);
                return Vec::new();
            }
            (Some(row), KeyCode::Char(' ')) => {
                toggle_source(app, row);
                return Vec::new();
            }
            // Back to the field: typing goes on where it was.
            (Some(_), KeyCode::Char(_) | KeyCode::Backspace | KeyCode::Left | KeyCode::Right) => {
                app.external.source_row = None;
            }
            _ => {}
        }
    }
    let typing = app.external.editing || app.uses_workspace_id();
    match key.code {
        // Esc cancels typing: the generated ID comes back (a new one only if there was none).
        KeyCode::Esc if app.external.editing && !app.uses_workspace_id() => {
            app.external.editing = false;
            match app.external.generated_before_edit.take() {
                Some(generated) => {
                    app.external.value = tui_input::Input::new(generated);
                    app.external.generated = true;
                }
                None => {
                    app.external.value = tui_input::Input::default();
                    return vec![Cmd::GenerateExternalId];
                }
            }
        }
        KeyCode::Esc => return back(app),
        KeyCode::Enter if problem(app).is_none() => {
            app.external.editing = false;
            app.external.generated_before_edit = None;
            app.external.is_workspace = app.uses_workspace_id();
            app.permissions.focus = PermissionFocus::Presets;
            go(app, Step::Permissions);
        }
        KeyCode::Enter => {
            app.touched.insert(Field::ExternalId);
        }
        KeyCode::Char('r') if !typing => return vec![Cmd::GenerateExternalId],
        KeyCode::Char('e') if !typing => {
            app.external.editing = true;
            if app.external.generated {
                app.external.generated_before_edit = Some(app.external.value.value().to_string());
            }
            app.external.generated = false;
            app.external.value = tui_input::Input::default();
        }
        _ if typing => {
            edit(&mut app.external.value, key);
            app.external.is_workspace = app.uses_workspace_id();
            app.touched.insert(Field::ExternalId);
        }
        _ => {}
    }
    Vec::new()
}

/// Whether the value can be used: why not once touched, or where a workspace ID came from.
fn verdict_line(app: &App) -> Line<'static> {
    // The workspace's ID first, whatever source IDs follow it.
    let read_from = app.external.from_segment.as_ref().filter(|_| {
        app.uses_workspace_id()
            && app
                .segment
                .workspace
                .as_ref()
                .is_some_and(|w| typed_ids(app).first() == Some(&w.id))
    });
    match problem(app) {
        None if read_from.is_some() => verdict(
            true,
            format!(
                "read from Segment's Public API: workspace {}",
                read_from.cloned().unwrap_or_default()
            ),
        ),
        None => verdict(true, "valid"),
        Some(reason) if app.touched(Field::ExternalId) => verdict(false, reason),
        Some(_) if app.uses_workspace_id() => Line::styled(
            "Type your Segment workspace ID (Settings > General in Segment).",
            dim(),
        ),
        Some(_) => Line::styled("Type your own, or Esc for a generated one.", dim()),
    }
}
