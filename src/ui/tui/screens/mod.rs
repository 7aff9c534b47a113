//! One file per screen: each draws itself and handles its keys. Shared pieces live here.

pub mod audit;
pub mod done;
pub mod external_id;
pub mod integration;
pub mod method;
pub mod permissions;
pub mod progress;
pub mod review;
pub mod segment;
pub mod welcome;

use super::state::App;
use crossterm::event::{Event, KeyEvent};
use ratatui::prelude::*;
use ratatui::widgets::{Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// Selection is shown by a marker and reverse video, never by colour alone.
pub fn selected_style() -> Style {
    Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
}

pub fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub fn dim() -> Style {
    Style::default().add_modifier(Modifier::DIM)
}

/// A list row: `▶ ` and reverse video when selected.
pub fn choice<'a>(selected: bool, text: impl Into<String>) -> Line<'a> {
    let text = text.into();
    if selected {
        Line::from(Span::styled(format!("▶ {text}"), selected_style()))
    } else {
        Line::from(format!("  {text}"))
    }
}

/// A labelled text field on one line: `Label  [value▏]`, with ✓ or ✗ and a reason after it.
pub fn field<'a>(
    label: &str,
    input: &Input,
    focused: bool,
    shown: Option<String>,
    width: usize,
) -> Line<'a> {
    let value = shown.unwrap_or_else(|| input.value().to_string());
    let inner = width.saturating_sub(label.chars().count() + 6).max(8);
    let visible: String = if value.chars().count() > inner {
        let skip = value.chars().count() - inner;
        value.chars().skip(skip).collect()
    } else {
        value
    };
    let cursor = if focused { "▏" } else { " " };
    let boxed = format!("[{visible:<inner$}{cursor}]");
    let style = if focused { bold() } else { Style::default() };
    Line::from(vec![
        Span::styled(format!("{label}  "), style),
        Span::styled(boxed, style),
    ])
}

/// `✓ text` or `✗ text`: the symbol carries the meaning, not a colour.
pub fn verdict<'a>(ok: bool, text: impl Into<String>) -> Line<'a> {
    let text = text.into();
    if ok {
        Line::from(format!("✓ {text}"))
    } else {
        Line::from(Span::styled(format!("✗ {text}"), bold()))
    }
}

/// Lets a text field take a key (typing, backspace, arrows within the field).
/// The keys a footer offers: each one does something in the screen's current state.
pub type Keys = Vec<(&'static str, &'static str)>;

/// Quitting, as the screen takes it: `q` where letters are commands, Ctrl-C where they are text.
pub fn quit_key(typing: bool) -> (&'static str, &'static str) {
    if typing {
        ("Ctrl-C", "quit")
    } else {
        ("q", "quit")
    }
}

/// Help, as the screen takes it: `?` where letters are commands, F1 where they are text.
pub fn help_key(typing: bool) -> (&'static str, &'static str) {
    if typing {
        ("F1", "help")
    } else {
        ("?", "help")
    }
}

pub fn edit(input: &mut Input, key: KeyEvent) {
    input.handle_event(&Event::Key(key));
}

/// Pretty JSON with the external IDs masked when the presenter asked for it.
pub fn json_lines<'a>(app: &App, value: &serde_json::Value) -> Vec<Line<'a>> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    mask(app, &text)
        .lines()
        .map(|l| Line::from(l.to_string()))
        .collect()
}

/// The secrets on screen: the external ID(s) typed or generated (the Lambda destination's
/// workspace IDs included), and those of a setup being resumed.
fn secrets(app: &App) -> Vec<String> {
    let mut secrets: Vec<String> = app
        .external
        .value
        .value()
        .split(',')
        .map(str::trim)
        .filter(|id| id.len() >= 2)
        .map(str::to_string)
        .collect();
    if let Some(saved) = &app.welcome.resumed {
        secrets.extend(saved.external_ids.iter().cloned());
    }
    if let Some(check) = &app.method.checking {
        secrets.extend(check.external_ids.iter().cloned());
    }
    // IDs read from AWS: a verified role's (extra ones included), a setup being changed, the
    // setups found in the account. A workspace ID is masked in presenter mode too.
    if let crate::ui::tui::state::Work::Verified(verification) = &app.run.work {
        secrets.extend(crate::model::verify::every_listed_id(
            &verification.role.trust_policy,
        ));
    }
    if let Some(Ok(fix)) = &app.method.fix
        && let Some(trust) = &fix.trust
    {
        secrets.extend(crate::model::verify::every_listed_id(trust));
    }
    if let crate::ui::tui::state::Work::Previewed(prepared) = &app.run.work {
        secrets.extend(prepared.ids.iter().cloned());
    }
    if let Some(applied) = &app.run.applied {
        secrets.extend(applied.ids.iter().cloned());
    }
    if let crate::engine::update::IdChange::Rotate(new) = &app.external.id_change {
        secrets.push(new.clone());
    }
    if let Some(saved) = &app.change.setup {
        secrets.extend(saved.all_external_ids());
    }
    for found in &app.welcome.found {
        secrets.extend(found.all_external_ids());
    }
    secrets.retain(|id| id.len() >= 2);
    // Longest first: an ID that is the start of another must not unmask the other's tail.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    secrets.dedup();
    secrets
}

/// Replaces every external ID in a text by its masked form in presenter mode (until revealed).
pub fn mask(app: &App, text: &str) -> String {
    if !app.presenter || app.revealed {
        return text.to_string();
    }
    let mut masked = text.to_string();
    for id in secrets(app) {
        masked = masked.replace(&id, &crate::model::external_id::masked(&id));
    }
    masked
}

/// Every line as it may be drawn: control characters (from AWS, from a policy) escaped, and in
/// presenter mode every external ID masked, whatever screen, note, error or help it is in.
pub fn screen_lines<'a>(app: &App, lines: Vec<Line<'a>>) -> Vec<Line<'a>> {
    lines
        .into_iter()
        .map(|mut line| {
            for span in &mut line.spans {
                let escaped = crate::model::text::one_line(&span.content).into_owned();
                let masked = mask(app, &escaped);
                if masked != span.content {
                    span.content = masked.into();
                }
            }
            if app.color
                && let Some(color) = meaning(&line)
            {
                line = line.patch_style(Style::default().fg(color));
            }
            line
        })
        .collect()
}

/// The colour a line's leading symbol means: success, failure, a warning. The symbol says it
/// too, so nothing relies on the colour (and `NO_COLOR`, `--no-color` or a dumb terminal turn
/// colours off).
fn meaning(line: &Line<'_>) -> Option<Color> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    match text.trim_start().chars().next()? {
        '✓' => Some(Color::Green),
        '✗' => Some(Color::Red),
        '!' | '↺' => Some(Color::Yellow),
        _ => None,
    }
}

/// A wrapped paragraph of [`screen_lines`].
pub fn paragraph<'a>(app: &App, lines: Vec<Line<'a>>) -> Paragraph<'a> {
    Paragraph::new(screen_lines(app, lines)).wrap(Wrap { trim: false })
}

/// The screen's lines, wrapped, scrolled to the app's position (kept within the content).
pub fn scrolled_paragraph<'a>(app: &App, lines: Vec<Line<'a>>, area: Rect) -> Paragraph<'a> {
    let paragraph = paragraph(app, lines);
    let rows = paragraph.line_count(area.width) as u16;
    let max = rows.saturating_sub(area.height);
    paragraph.scroll((app.run.scroll.min(max), 0))
}

/// Scrolling keys on a screen that scrolls: a line with ↑↓, a page with PgUp/PgDn (a page is
/// what the box shows, less one line kept for context), Home and End; never past the end.
/// Returns whether the key was one of them.
pub fn scroll(app: &mut App, code: crossterm::event::KeyCode, lines: Vec<Line<'_>>) -> bool {
    let width = body_width(app);
    let visible = app.body_rows;
    let rows = paragraph(app, lines).line_count(width) as u16;
    let max = rows.saturating_sub(visible);
    let page = visible.saturating_sub(1).max(1);
    let current = app.run.scroll.min(max);
    app.run.scroll = match code {
        crossterm::event::KeyCode::Down => (current + 1).min(max),
        crossterm::event::KeyCode::PageDown | crossterm::event::KeyCode::Char(' ') => {
            (current + page).min(max)
        }
        crossterm::event::KeyCode::Up => current.saturating_sub(1),
        crossterm::event::KeyCode::PageUp => current.saturating_sub(page),
        crossterm::event::KeyCode::Home => 0,
        crossterm::event::KeyCode::End => max,
        _ => return false,
    };
    true
}

/// The step list's width, shown from this terminal width up.
pub const STEP_LIST_WIDTH: u16 = 20;
pub const STEP_LIST_FROM: u16 = 100;

pub fn shows_step_list(app: &App) -> bool {
    app.width >= STEP_LIST_FROM
}

/// The columns inside the step's box at the app's size.
pub fn body_width(app: &App) -> u16 {
    let list = if shows_step_list(app) {
        STEP_LIST_WIDTH
    } else {
        0
    };
    app.width.saturating_sub(list + 2)
}

/// A spinner frame: braille dots, or a plain `*` where the symbol would be lost.
pub fn spinner(app: &App) -> &'static str {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    FRAMES[app.spinner % FRAMES.len()]
}
