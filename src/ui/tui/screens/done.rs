//! Step 8: the settings to paste into Segment, labelled as Segment labels them, keys to copy them,
//! what to do next in Segment, and the command that checks the role later.

use super::{bold, dim};
use crate::model::outcome::{LineKind, Outcome, OutcomeLine};
use crate::ui::tui::state::{App, Cmd};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

pub fn keys(app: &App) -> super::Keys {
    if app.segment.is_open() {
        return super::segment::keys(app);
    }
    if app.welcome.plan_only {
        return vec![
            ("a", "copy the commands"),
            ("↑↓", "scroll"),
            ("?", "help"),
            ("q", "quit"),
        ];
    }
    // One line at 80 columns: after "copy ARN" the other copies are named by what they copy.
    let mut keys = Vec::new();
    if app.run.role_arn.is_some() {
        keys.push(("c", "copy ARN"));
    }
    // The Lambda destination's External ID is set by Segment: nothing to copy there.
    if !app.uses_workspace_id() {
        keys.push(("x", "ID"));
    }
    if outcome(app).is_some_and(|o| o.code.is_some()) {
        keys.push(("s", "code"));
    }
    keys.push(("a", "all"));
    if super::segment::offered(app) {
        keys.push(("w", "to Segment"));
    }
    keys.extend([("↑↓", "scroll"), ("F2", "presenter"), ("q", "quit")]);
    keys
}

/// The verify command for later: never with the external ID in it (verify finds it in the
/// saved setup, or asks for it hidden).
pub fn verify_command(app: &App) -> String {
    let role = app.run.role_arn.clone().unwrap_or_else(|| "ROLE".into());
    crate::model::outcome::verify_hint(&app.integration().id, &role) + &app.context().flags()
}

/// The outcome of this setup: from the inputs, or from the setup being resumed.
pub fn outcome(app: &App) -> Option<Outcome> {
    // A change applied: its plan (a rotation's new ID in it) and what the rotation needs next.
    if let (Some(applied), Some(role_arn)) = (&app.run.applied, &app.run.role_arn) {
        let mut outcome =
            Outcome::from_plan(&applied.plan, Some(role_arn.as_str())).at(&app.context());
        let finish = crate::model::outcome::finish_rotation_command(&applied.records.after);
        if let Some(note) = crate::engine::update::rotation_note(&applied.plan, &finish) {
            outcome.next_steps.insert(0, note);
        }
        if app.run.finishing_after_segment {
            outcome
                .notes
                .insert(0, crate::model::rotation::FINISHED_WITH_SEGMENT.into());
        }
        return Some(outcome);
    }
    let stack_set = app.method.choice == crate::ui::tui::state::MethodChoice::StackSet;
    let outcome = match (app.plan(), &app.welcome.resumed, &app.run.role_arn) {
        (Ok(plan), _, Some(role_arn)) if stack_set => {
            Outcome::for_stack_set(&plan, role_arn, app.method.stack_name.value().trim())
        }
        (Ok(plan), _, role_arn) => Outcome::from_plan(&plan, role_arn.as_deref()),
        (Err(_), Some(saved), Some(role_arn)) => Outcome::from_saved(saved, role_arn),
        _ => return None,
    };
    Some(outcome.at(&app.context()))
}

/// A setting's value as this screen shows it: a secret masked in presenter mode.
fn shown(app: &App, setting: &crate::model::plan::Setting) -> String {
    let value = crate::model::outcome::value_text(setting);
    if setting.sensitive {
        app.shown_secret(&value)
    } else {
        value
    }
}

/// The outcome's lines as the Done screen draws them.
pub fn outcome_lines(app: &App, outcome: &Outcome) -> Vec<OutcomeLine> {
    outcome.lines(&|setting| shown(app, setting))
}

/// What is printed when the wizard is left from Done: the settings block, so quitting never
/// loses it (masked in presenter mode).
pub fn farewell(app: &App) -> Option<String> {
    let outcome = outcome(app)?;
    let mut text = String::from("Settings in Segment:");
    for line in outcome.settings_lines(&|setting| shown(app, setting)) {
        text.push('\n');
        text.push_str(&line.text);
    }
    if let Some(check) = &outcome.check_later {
        text.push_str(&format!("\nCheck the role any time: {check}"));
    }
    // In presenter mode every ID stays masked once the terminal is back, workspace IDs too.
    Some(super::mask(app, &text))
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    frame.render_widget(super::scrolled_paragraph(app, lines(app), area), area);
}

/// Everything the screen shows, before scrolling.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let Some(outcome) = outcome(app) else {
        return vec![Line::from(
            "The inputs are no longer valid: go back with Esc.",
        )];
    };
    if app.welcome.plan_only {
        if let Ok(plan) = app.plan() {
            lines.push(Line::styled(
                "Plan only: nothing was changed. Hand this to an administrator:",
                bold(),
            ));
            lines.push(Line::from(
                "they can run these AWS CLI commands (or deploy the CloudFormation template",
            ));
            lines.push(Line::from(format!(
                "assets/templates/{}), then fill in the settings below in Segment.",
                plan.template_name
            )));
            lines.push(Line::styled(crate::model::plan::DOCUMENTS_NOTE, dim()));
            for command in plan.cli_commands() {
                lines.push(Line::from(command));
            }
            lines.push(Line::from(""));
            let segment =
                crate::model::segment::commands::api_commands(&outcome, app.integration());
            if !segment.is_empty() {
                lines.push(Line::styled(
                    "Or write the settings into Segment through its Public API:",
                    bold(),
                ));
                lines.extend(segment.into_iter().map(Line::from));
                lines.push(Line::from(""));
            }
        }
    } else if app.run.role_arn.is_some()
        && app.method.choice == crate::ui::tui::state::MethodChoice::StackSet
    {
        lines.push(Line::styled(
            "✓ The role is in every account. Each account's role ARN:",
            bold(),
        ));
        let role_name = app.method.role_name.value().trim();
        for row in &app.run.instances {
            lines.push(Line::from(format!(
                "  {}",
                crate::model::stackset::role_arn(&row.account, role_name)
            )));
        }
        lines.push(Line::styled(
            "Set it up in Segment as below (the first account's ARN; use each account's own):",
            bold(),
        ));
    } else if app.run.role_arn.is_some() {
        lines.push(Line::styled(
            "✓ The role is ready. Set it up in Segment as below:",
            bold(),
        ));
        if let Some(warning) = &app.run.repair_warning {
            lines.push(Line::styled(format!("! {warning}"), bold()));
        }
    }
    if let Some(note) = &app.run.clipboard_note {
        lines.push(Line::styled(note.clone(), bold()));
    }
    for line in outcome_lines(app, &outcome) {
        lines.push(match line.kind {
            LineKind::Heading => Line::styled(line.text, bold()),
            LineKind::Setting => Line::styled(line.text, bold()),
            LineKind::Note | LineKind::Code => Line::styled(line.text, dim()),
            _ => Line::from(line.text),
        });
    }
    lines
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let commands = copy_keys(app, key);
    // A secret put on the clipboard is cleared when the wizard ends, if not sooner.
    for command in &commands {
        if let Cmd::Copy {
            text, secret: true, ..
        } = command
        {
            app.secret_on_clipboard = Some(text.clone());
        }
    }
    commands
}

fn copy_keys(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let Some(outcome) = outcome(app) else {
        return Vec::new();
    };
    let external_id = app
        .external
        .value
        .value()
        .split(',')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    match key.code {
        KeyCode::Char('c') if !app.welcome.plan_only => app
            .run
            .role_arn
            .clone()
            .map(|text| {
                vec![Cmd::Copy {
                    what: "Role ARN",
                    text,
                    secret: false,
                }]
            })
            .unwrap_or_default(),
        KeyCode::Char('w') if super::segment::offered(app) => {
            super::segment::open(app, Some(outcome.clone()))
        }
        KeyCode::Char('x') if !app.uses_workspace_id() => vec![Cmd::Copy {
            what: "External ID",
            text: external_id,
            secret: true,
        }],
        KeyCode::Char('s') => outcome
            .code
            .clone()
            .map(|code| {
                vec![Cmd::Copy {
                    what: "Code",
                    text: code,
                    secret: false,
                }]
            })
            .unwrap_or_default(),
        KeyCode::Char('a') if app.welcome.plan_only => {
            let commands = app
                .plan()
                .map(|plan| plan.cli_commands().join("\n"))
                .unwrap_or_default();
            // The commands read their documents from files: no secret in them.
            vec![Cmd::Copy {
                what: "The AWS CLI commands",
                text: commands,
                secret: false,
            }]
        }
        KeyCode::Char('a') => {
            let json = serde_json::to_string_pretty(&outcome.settings_json()).unwrap_or_default();
            vec![Cmd::Copy {
                what: "All settings (JSON)",
                text: json,
                secret: true,
            }]
        }
        code if super::scroll(app, code, lines(app)) => Vec::new(),
        _ => Vec::new(),
    }
}
