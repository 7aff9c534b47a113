//! Drawing a frame: the header ("Step N of 8"), the step's screen, the footer with the keys that
//! work here, and the help and quit popups. Only the event loop calls this.

use super::screens::{self, STEP_LIST_WIDTH, bold, dim, shows_step_list};
use super::state::{App, IdentityState, MIN_HEIGHT, MIN_WIDTH, Step};
use ratatui::prelude::*;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if app.too_small() {
        let mut lines = vec![
            Line::from(format!(
                "segment-aws-setup needs a window of at least {MIN_WIDTH}×{MIN_HEIGHT} (now {}×{}).",
                area.width, area.height
            )),
            Line::from("Make the window larger, or press q to quit."),
        ];
        // The quit question is asked here too: a small window is no reason to lose anything.
        if app.confirm_quit {
            lines.push(Line::from(""));
            lines.extend(quit_lines(app));
        }
        frame.render_widget(
            Paragraph::new(screens::screen_lines(app, lines)).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let footer_lines = footer_lines(app, &keys(app), area.width);
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(footer_lines.len() as u16),
    ])
    .areas(area);
    frame.render_widget(header_line(app), header);
    // Where the width allows, the eight steps beside the screen: done ones ticked, this one marked.
    let body = if shows_step_list(app) {
        let [steps, rest] =
            Layout::horizontal([Constraint::Length(STEP_LIST_WIDTH), Constraint::Min(40)])
                .areas(body);
        frame.render_widget(step_list(app), steps);
        rest
    } else {
        body
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {} ", app.step.title()), bold()));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    match app.step {
        Step::Welcome => screens::welcome::view(app, frame, inner),
        Step::Integration => screens::integration::view(app, frame, inner),
        Step::ExternalId => screens::external_id::view(app, frame, inner),
        Step::Permissions => screens::permissions::view(app, frame, inner),
        Step::Method => screens::method::view(app, frame, inner),
        Step::Review => screens::review::view(app, frame, inner),
        Step::Progress => screens::progress::view(app, frame, inner),
        Step::Done => screens::done::view(app, frame, inner),
    }
    frame.render_widget(Paragraph::new(footer_lines), footer);
    if app.help_open {
        popup(
            frame,
            area,
            " Help ",
            screens::screen_lines(app, help_lines(app)),
        );
    } else if app.confirm_quit {
        popup(
            frame,
            area,
            " Quit? ",
            screens::screen_lines(app, quit_lines(app)),
        );
    } else if app.step == Step::Welcome && app.audit.is_open() {
        popup(
            frame,
            area,
            " Roles Segment can assume ",
            screens::screen_lines(app, screens::audit::lines(app)),
        );
    } else if app.step == Step::Done && app.segment.is_open() {
        popup(
            frame,
            area,
            " Write into Segment ",
            screens::screen_lines(app, screens::segment::lines(app)),
        );
    }
}

/// The eight steps, a line each: `✓` done, `▶` this one (and in colour, where colour is on).
fn step_list(app: &App) -> Paragraph<'static> {
    let steps = [
        Step::Welcome,
        Step::Integration,
        Step::ExternalId,
        Step::Permissions,
        Step::Method,
        Step::Review,
        Step::Progress,
        Step::Done,
    ];
    let lines: Vec<Line<'static>> = steps
        .iter()
        .map(|&step| {
            let (mark, style) = if step == app.step {
                let style = bold();
                (
                    "▶",
                    if app.color {
                        style.fg(Color::Cyan)
                    } else {
                        style
                    },
                )
            } else if step < app.step {
                let style = Style::default();
                (
                    "✓",
                    if app.color {
                        style.fg(Color::Green)
                    } else {
                        style
                    },
                )
            } else {
                (" ", Style::default())
            };
            Line::styled(format!("{mark} {} {}", step.number(), step.title()), style)
        })
        .collect();
    Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Steps "))
}

/// The rows inside the step's box at the app's size: the screen less the header, the footer
/// (one or two lines) and the box's borders.
pub fn body_rows(app: &App) -> u16 {
    let footer = footer_lines(app, &keys(app), app.width).len() as u16;
    app.height.saturating_sub(1 + footer + 2)
}

/// The quit question: what would be lost, and the keys.
fn quit_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = app
        .quit_loses()
        .unwrap_or_else(|| vec!["Nothing would be lost by quitting now.".into()])
        .into_iter()
        .map(Line::from)
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::styled("y: quit   any other key: stay", bold()));
    lines
}

fn header_line(app: &App) -> Line<'static> {
    let step = format!(
        " Step {} of {}: {} ",
        app.step.number(),
        Step::COUNT,
        app.step.title()
    );
    let step_style = if app.color {
        bold().fg(Color::Cyan)
    } else {
        bold()
    };
    let mut spans = vec![Span::styled(step, step_style)];
    if app.demo {
        spans.push(Span::styled(
            "[DEMO: simulated account, nothing sent] ",
            bold(),
        ));
    } else {
        spans.push(Span::raw("· segment-aws-setup "));
    }
    if app.welcome.plan_only {
        spans.push(Span::styled("[PLAN ONLY] ", bold()));
    }
    if app.presenter && app.revealed {
        spans.push(Span::styled("[PRESENTER: ID SHOWN, F3 hides] ", bold()));
    } else if app.presenter {
        spans.push(Span::styled("[PRESENTER] ", bold()));
    }
    if let IdentityState::Ready { caller, .. } = &app.welcome.identity
        && !app.demo
    {
        spans.push(Span::styled(format!("account {}", caller.account), dim()));
    }
    Line::from(spans)
}

/// The keys that work on the current screen, in its current state.
pub fn keys(app: &App) -> screens::Keys {
    use screens::*;
    if app.too_small() {
        return vec![("q", "quit")];
    }
    match app.step {
        Step::Welcome => welcome::keys(app),
        Step::Integration => integration::keys(app),
        Step::ExternalId => external_id::keys(app),
        Step::Permissions => permissions::keys(app),
        Step::Method => method::keys(app),
        Step::Review => review::keys(app),
        Step::Progress => progress::keys(app),
        Step::Done => done::keys(app),
    }
}

/// The footer: the screen's keys, with presenter mode's named by what they do now (turning it
/// off is an explicit act the footer names). Keys that don't fit on one line go on a second, so
/// none is ever cut off.
fn footer_lines(app: &App, keys: &[(&str, &str)], width: u16) -> Vec<Line<'static>> {
    let mut keys: Vec<(&str, &str)> = keys
        .iter()
        .filter(|(key, _)| !(app.presenter && *key == "F2"))
        .copied()
        .collect();
    if app.presenter {
        keys.push(("F2", "presenter off"));
        keys.push(("F3", if app.revealed { "hide ID" } else { "show ID" }));
    }
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for (key, action) in keys {
        let entry = key.chars().count() + 1 + action.chars().count();
        if !current.is_empty() && used + 2 + entry > usize::from(width) {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        if !current.is_empty() {
            current.push(Span::raw("  "));
            used += 2;
        }
        current.push(Span::styled(
            key.to_string(),
            Style::default().add_modifier(Modifier::REVERSED),
        ));
        current.push(Span::raw(format!(" {action}")));
        used += entry;
    }
    lines.push(Line::from(current));
    lines
}

fn help_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(format!("About {}", app.step.title()), bold())];
    lines.extend(
        crate::model::steps::ideas(app.step.number())
            .iter()
            .map(|idea| Line::from(format!("  {idea}"))),
    );
    lines.push(Line::from(""));
    lines.push(Line::styled("Keys here", bold()));
    let here: Vec<String> = keys(app)
        .iter()
        .map(|(key, action)| format!("{key} {action}"))
        .collect();
    lines.push(Line::from(format!("  {}", here.join(" · "))));
    lines.push(Line::styled("Everywhere", bold()));
    lines.push(Line::from(
        "  Esc back one step · ? or F1 this help · q or Ctrl-C quit (it asks first when answers or running work would be lost) · F2 presenter mode (IDs masked) · F3 show the ID",
    ));
    lines.push(Line::styled("Esc or ? closes this help", dim()));
    lines
}

fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>) {
    let width = 76.min(area.width);
    // Wrapped lines take more than one row: counted as the paragraph wraps them (by words), so
    // the last line is never cut off.
    let inner = width.saturating_sub(2).max(1);
    let rows = Paragraph::new(lines.clone())
        .wrap(Wrap { trim: false })
        .line_count(inner);
    let height = (rows as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title.to_string(), bold()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::tui::state::{MethodFocus, Work};

    /// The screen states a footer is built from: each step, its focus and its work, for every
    /// integration.
    fn states() -> Vec<(String, App)> {
        use crate::ui::tui::state::{Failure, MethodChoice, PermissionFocus, WelcomeFocus};
        let mut states = Vec::new();
        for integration in 0..crate::model::catalog::Catalog::builtin()
            .integrations()
            .len()
        {
            for step in [
                Step::Welcome,
                Step::Integration,
                Step::ExternalId,
                Step::Permissions,
                Step::Method,
                Step::Review,
                Step::Progress,
                Step::Done,
            ] {
                for variant in 0..4 {
                    let mut app =
                        crate::ui::tui::initial_app(&crate::ui::tui::Options::default(), 80, 24);
                    app.integration = integration;
                    app.step = step;
                    match (step, variant) {
                        (Step::Welcome, 1) => app.welcome.focus = WelcomeFocus::Profile,
                        (Step::ExternalId, 1) => app.external.editing = true,
                        (Step::Permissions, v) => {
                            app.permissions.focus = match v {
                                0 => PermissionFocus::Presets,
                                v => PermissionFocus::Field(v.min(2) - 1),
                            }
                        }
                        (Step::Method, 1) => app.method.focus = MethodFocus::Name,
                        (Step::Method, 2) => app.method.choice = MethodChoice::Existing,
                        (Step::Method, 3) => {
                            app.method.choice = MethodChoice::Existing;
                            app.method.focus = MethodFocus::Name;
                        }
                        (Step::Progress, 0) => app.run.work = Work::Running,
                        (Step::Progress, 2) => {
                            app.run.work = Work::Running;
                            app.method.choice = MethodChoice::Iam;
                        }
                        (Step::Progress, 1) => {
                            app.run.work = Work::Failed(Failure {
                                message: "failed".into(),
                                reasons: vec![],
                                stack_left: true,
                            })
                        }
                        (Step::Done, 1) => app.welcome.plan_only = true,
                        (Step::Done, 2) => app.run.role_arn = Some("arn:aws:iam::1:role/r".into()),
                        _ => {}
                    }
                    states.push((
                        format!("{step:?} integration {integration} variant {variant}"),
                        app,
                    ));
                }
            }
        }
        states
    }

    /// Every screen's footer fits in 80 columns on one line, and on two in presenter mode: a key
    /// that is cut off can't be read (and turning presenter mode off must stay named).
    #[test]
    fn every_footer_fits_in_80_columns_in_presenter_mode_too() {
        let mut too_wide = Vec::new();
        for (name, mut app) in states() {
            for presenter in [false, true] {
                app.presenter = presenter;
                let keys = keys(&app);
                let lines = footer_lines(&app, &keys, 80);
                let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                let allowed = if presenter { 2 } else { 1 };
                if lines.len() > allowed || lines.iter().any(|l| l.width() > 80) {
                    too_wide.push(format!("{name} (presenter {presenter}): {text:?}"));
                }
                let all_text = text.join("  ");
                for (key, action) in keys.iter().filter(|(k, _)| *k != "F2") {
                    assert!(
                        all_text.contains(&format!("{key} {action}")),
                        "{name}: {key}"
                    );
                }
                if presenter {
                    assert!(all_text.contains("F2 presenter off"), "{name}: {all_text}");
                }
            }
        }
        assert!(too_wide.is_empty(), "{}", too_wide.join("\n"));
    }

    /// No footer offers a key that does nothing in that state.
    #[test]
    fn footers_offer_only_what_works_here() {
        for (name, app) in states() {
            let keys = keys(&app);
            let has = |key: &str| keys.iter().any(|(k, _)| *k == key);
            if app.step == Step::Welcome {
                assert!(!has("r"), "{name}: nothing to resume");
                assert!(!has("u"), "{name}: nothing to change");
            }
            if let Work::Failed(failure) = &app.run.work {
                assert_eq!(has("d"), failure.stack_left, "{name}");
            }
            if app.step == Step::Progress && app.run.work == Work::Running {
                let quit = keys.iter().find(|(k, _)| *k == "q").map(|(_, a)| *a);
                let stack = crate::ui::tui::queries::reattach_command(&app).is_some();
                assert_eq!(
                    quit.is_some_and(|q| q.contains("stack keeps going")),
                    stack,
                    "{name}: the stack keeps going only when there is one"
                );
            }
            if app.step == Step::Permissions {
                assert!(
                    !keys.iter().any(|(_, a)| a.contains("read")),
                    "{name}: no file field is focused: {keys:?}"
                );
            }
            if app.step == Step::Method {
                assert!(
                    !has("↑↓") || app.method.focus == MethodFocus::List,
                    "{name}: no roles to pick"
                );
            }
            if app.step == Step::Done && !app.welcome.plan_only {
                assert_eq!(has("c"), app.run.role_arn.is_some(), "{name}");
                assert_eq!(has("x"), !app.uses_workspace_id(), "{name}");
                assert!(
                    !has("s") || !app.uses_workspace_id(),
                    "{name}: no code for Lambda"
                );
            }
        }
    }
}
