//! Step 8: the settings to paste into Segment, labelled as Segment labels them, keys to copy them,
//! what to do next in Segment, and the command that checks the role later.

use super::{bold, dim, mask, paragraph};
use crate::tui::app::{App, Cmd};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

pub const KEYS: &[(&str, &str)] = &[
    ("c", "copy ARN"),
    ("x", "copy ID"),
    ("a", "copy all"),
    ("F2", "presenter"),
    ("q", "quit"),
];
pub const KEYS_PLAN_ONLY: &[(&str, &str)] = &[
    ("a", "copy the commands"),
    ("PgUp/PgDn", "scroll"),
    ("q", "quit"),
];

/// The verify command for later: never with the external ID in it (verify finds it in the
/// saved setup, or asks for it hidden).
pub fn verify_command(app: &App) -> String {
    let role = app.role_arn.clone().unwrap_or_else(|| "ROLE".into());
    crate::cli::verify_hint(&app.integration().id, &role)
}

fn next_steps(app: &App) -> Vec<&'static str> {
    if app.uses_workspace_id() {
        vec![
            "Next, in Segment: open the Lambda destination's settings and set Lambda,",
            "Region and Role Address as above; External ID is your workspace ID already.",
        ]
    } else {
        vec![
            "Next, in Segment: open your function's Settings, add these settings (make",
            "IAM Role External ID a sensitive setting), and use them to assume the role.",
        ]
    }
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    let mut lines = Vec::new();
    let Some(settings) = app.settings() else {
        frame.render_widget(
            paragraph(
                app,
                vec![Line::from(
                    "The inputs are no longer valid: go back with Esc.",
                )],
            ),
            area,
        );
        return;
    };
    if app.plan_only {
        if let Ok(plan) = app.plan() {
            lines.push(Line::styled(
                "Plan only: nothing was changed. Hand this to an administrator:",
                bold(),
            ));
            lines.push(Line::from(
                "they can run these AWS CLI commands (or deploy the CloudFormation template",
            ));
            lines.push(Line::from(format!(
                "assets/templates/{}), then paste the settings below into Segment.",
                plan.template_name
            )));
            lines.push(Line::styled(crate::plan::DOCUMENTS_NOTE, dim()));
            for command in plan.cli_commands() {
                lines.push(Line::from(mask(app, &command)));
            }
            lines.push(Line::from(""));
        }
    } else if app.role_arn.is_some() {
        lines.push(Line::styled(
            "✓ The role is ready. Paste these settings into Segment:",
            bold(),
        ));
    }
    // Label on one line, value under it: role ARNs are long, and each value stays whole.
    for setting in settings {
        let value = setting
            .value
            .clone()
            .unwrap_or_else(|| "(known once the role exists)".into());
        let value = if setting.sensitive {
            app.shown_secret(&value)
        } else {
            value
        };
        let note = if setting.sensitive { ", sensitive" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(setting.label.clone(), bold()),
            Span::styled(format!(" ({}{note})", setting.key), dim()),
        ]));
        lines.push(Line::from(format!("  {value}")));
    }
    if let Some(note) = &app.clipboard_note {
        lines.push(Line::styled(note.clone(), bold()));
    }
    lines.push(Line::from(""));
    for line in next_steps(app) {
        lines.push(Line::from(line));
    }
    if !app.plan_only {
        lines.push(Line::styled("Check the role any time:", dim()));
        lines.push(Line::from(format!("  {}", verify_command(app))));
    }
    frame.render_widget(paragraph(app, lines).scroll((app.scroll, 0)), area);
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let commands = copy_keys(app, key);
    // A secret put on the clipboard is cleared when the wizard ends, if not sooner.
    for command in &commands {
        if let Cmd::Copy { text, secret: true } = command {
            app.secret_on_clipboard = Some(text.clone());
        }
    }
    commands
}

fn copy_keys(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let Some(settings) = app.settings() else {
        return Vec::new();
    };
    let external_id = app
        .external_id
        .value()
        .split(',')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    match key.code {
        KeyCode::Char('c') if !app.plan_only => app
            .role_arn
            .clone()
            .map(|text| {
                vec![Cmd::Copy {
                    text,
                    secret: false,
                }]
            })
            .unwrap_or_default(),
        KeyCode::Char('x') => vec![Cmd::Copy {
            text: external_id,
            secret: !app.uses_workspace_id(),
        }],
        KeyCode::Char('a') if app.plan_only => {
            let commands = app
                .plan()
                .map(|plan| plan.cli_commands().join("\n"))
                .unwrap_or_default();
            // The commands read their documents from files: no secret in them.
            vec![Cmd::Copy {
                text: commands,
                secret: false,
            }]
        }
        KeyCode::Char('a') => {
            let object: serde_json::Map<String, serde_json::Value> = settings
                .into_iter()
                .map(|s| {
                    (
                        s.key,
                        s.value
                            .map_or(serde_json::Value::Null, serde_json::Value::String),
                    )
                })
                .collect();
            let json = serde_json::to_string_pretty(&object).unwrap_or_default();
            vec![Cmd::Copy {
                text: json,
                secret: true,
            }]
        }
        KeyCode::PageDown | KeyCode::Down => {
            app.scroll =
                app.scroll
                    .saturating_add(if key.code == KeyCode::PageDown { 10 } else { 1 });
            Vec::new()
        }
        KeyCode::PageUp | KeyCode::Up => {
            app.scroll =
                app.scroll
                    .saturating_sub(if key.code == KeyCode::PageUp { 10 } else { 1 });
            Vec::new()
        }
        _ => Vec::new(),
    }
}
