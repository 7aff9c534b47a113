//! Step 7: the work, live: a row per resource with a status symbol, its reason and elapsed time,
//! a spinner while waiting. On failure, the reasons in full and the choices. For an existing
//! role, the verification report and the proposed repair, applied only on confirmation.

use super::{bold, dim, json_lines, paragraph, spinner, verdict};
use crate::engine::{PermissionState, Progress};
use crate::tui::app::{App, Cmd, Failure, MethodChoice, Msg, ResourceRow, Step, Work, go};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

pub const KEYS_RUNNING: &[(&str, &str)] = &[
    ("q", "quit (the stack keeps going)"),
    ("F2", "presenter"),
    ("?", "help"),
];
pub const KEYS_FAILED: &[(&str, &str)] = &[
    ("d", "delete stack & retry"),
    ("Esc", "back to edit"),
    ("q", "quit"),
];
pub const KEYS_VERIFIED: &[(&str, &str)] = &[
    ("Enter", "apply the repair / continue"),
    ("Esc", "back"),
    ("q", "quit"),
];

/// A resource's status as a symbol and a word, so nothing relies on colour.
pub fn symbol(app: &App, status: &str) -> &'static str {
    if status.ends_with("_FAILED") {
        "✗"
    } else if status.ends_with("_IN_PROGRESS") {
        spinner(app)
    } else if status.starts_with("ROLLBACK") || status.starts_with("DELETE") {
        "↺"
    } else {
        "✓"
    }
}

fn short_type(resource_type: &str) -> &str {
    resource_type.rsplit("::").next().unwrap_or(resource_type)
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    let mut lines = Vec::new();
    let title = match app.method {
        MethodChoice::Cloudformation => format!("Stack {}", app.stack_name.value().trim()),
        MethodChoice::Iam => format!("Role {}", app.role_name.value().trim()),
        MethodChoice::Existing => format!("Role {}", app.existing_role.value().trim()),
    };
    let state = match &app.work {
        Work::Running => format!("{} working…", spinner(app)),
        Work::Failed(_) => "✗ failed".into(),
        Work::Verified(v) if v.is_right() => "✓ right".into(),
        Work::Verified(_) => "✗ needs repair".into(),
        Work::Done => "✓ done".into(),
        Work::Idle => String::new(),
    };
    lines.push(Line::from(vec![
        Span::styled(title, bold()),
        Span::raw(format!("  {state}")),
    ]));
    if let Some(saved) = &app.saved_to {
        lines.push(Line::styled(saved.clone(), dim()));
    }
    for row in &app.resources {
        let reason = row
            .reason
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        let text = format!(
            "{} {:<22} {:<7} {:<20} {:>4}s{}",
            symbol(app, &row.status),
            row.logical_id.chars().take(22).collect::<String>(),
            short_type(&row.resource_type),
            row.status,
            row.elapsed.as_secs(),
            reason
        );
        lines.push(Line::from(text.chars().take(width).collect::<String>()));
    }
    for note in app.notes.iter().rev().take(3).rev() {
        lines.push(Line::styled(note.clone(), dim()));
    }
    if app.reconnecting {
        lines.push(Line::styled(
            "Lost the connection to AWS; reconnecting…",
            bold(),
        ));
    }
    match &app.work {
        Work::Failed(failure) => {
            lines.push(verdict(false, failure.message.clone()));
            for reason in &failure.reasons {
                lines.push(Line::from(format!("  - {reason}")));
            }
            let mut choices = Vec::new();
            if failure.stack_left {
                choices.push("d: delete the stack and retry");
            }
            choices.push("Esc: back to edit");
            choices.push("q: quit");
            lines.push(Line::styled(choices.join(" · "), bold()));
        }
        Work::Verified(verification) => {
            for finding in &verification.report.findings {
                lines.push(verdict(
                    !finding.is_problem(),
                    finding.describe(&verification.report.principal),
                ));
            }
            match &verification.permission {
                PermissionState::Present => {
                    lines.push(verdict(true, "the permission policy is attached"))
                }
                PermissionState::Missing => {
                    lines.push(verdict(false, "the permission policy is not attached"))
                }
                PermissionState::Different { .. } => lines.push(verdict(
                    false,
                    "the inline policy of that name grants something else",
                )),
                PermissionState::NotChecked => {}
            }
            if let Some(trust) = &verification.repaired_trust_policy {
                lines.push(Line::styled(
                    "Proposed trust policy (every other statement kept):",
                    bold(),
                ));
                lines.extend(json_lines(app, trust));
            }
            if verification.is_right() {
                lines.push(Line::styled("The role is right. Enter continues.", bold()));
            } else {
                lines.push(Line::styled("Enter applies this repair (and attaches the permission policy). Esc goes back.", bold()));
            }
        }
        _ => {}
    }
    frame.render_widget(paragraph(lines).scroll((app.scroll, 0)), area);
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    match (&app.work, key.code) {
        (Work::Running, _) => Vec::new(),
        (Work::Failed(failure), KeyCode::Char('d')) if failure.stack_left => {
            let stack = app.stack_name.value().trim().to_string();
            app.work = Work::Running;
            app.notes
                .push(format!("Deleting stack {stack} before trying again"));
            vec![Cmd::DeleteStack(stack)]
        }
        (Work::Verified(verification), KeyCode::Enter) if !verification.is_right() => {
            let verification = verification.clone();
            let permission = app
                .plan()
                .ok()
                .map(|p| (p.policy_name.clone(), p.permission_policy.clone()));
            app.work = Work::Running;
            app.notes.push("Applying the repair".into());
            vec![Cmd::RepairRole {
                verification,
                permission,
            }]
        }
        (Work::Verified(verification), KeyCode::Enter) if verification.is_right() => {
            app.role_arn = Some(verification.role.arn.clone());
            app.work = Work::Done;
            go(app, Step::Done);
            Vec::new()
        }
        (_, KeyCode::Esc) => {
            app.work = Work::Idle;
            go(app, Step::Review);
            Vec::new()
        }
        (_, KeyCode::PageDown | KeyCode::Down) => {
            app.scroll = app.scroll.saturating_add(1);
            Vec::new()
        }
        (_, KeyCode::PageUp | KeyCode::Up) => {
            app.scroll = app.scroll.saturating_sub(1);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The engine's reports and answers.
pub fn on_message(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Progress(Progress::Event { event, elapsed }) => {
            // The stack itself is the screen's title; its changes are notes, not a row.
            if event.is_stack_itself() {
                app.notes
                    .push(format!("stack {} ({}s)", event.status, elapsed.as_secs()));
                return Vec::new();
            }
            let row = ResourceRow {
                logical_id: event.logical_id.clone(),
                resource_type: event.resource_type.clone(),
                status: event.status.clone(),
                reason: event.reason.clone(),
                elapsed,
            };
            match app
                .resources
                .iter_mut()
                .find(|r| r.logical_id == event.logical_id)
            {
                Some(existing) => *existing = row,
                None => app.resources.push(row),
            }
        }
        Msg::Progress(Progress::Note(note)) => app.notes.push(note),
        Msg::Progress(Progress::Status { .. }) => {}
        Msg::Progress(Progress::Reconnecting { .. }) => app.reconnecting = true,
        Msg::Progress(Progress::Reconnected) => app.reconnecting = false,
        Msg::Created(Ok(role_arn)) => {
            app.reconnecting = false;
            app.role_arn = Some(role_arn);
            app.work = Work::Done;
            go(app, Step::Done);
        }
        Msg::Created(Err(failure)) => {
            app.reconnecting = false;
            app.work = Work::Failed(failure);
        }
        Msg::Verified(Ok(verification)) => app.work = Work::Verified(Box::new(verification)),
        Msg::Verified(Err(message)) | Msg::Repaired(Err(message)) => {
            app.work = Work::Failed(Failure {
                message,
                reasons: Vec::new(),
                stack_left: false,
            });
        }
        Msg::Repaired(Ok(())) => {
            // Read the role again: the report shown is always what AWS now holds.
            if let Work::Running = app.work
                && let Ok(plan) = app.plan()
            {
                app.notes.push("Repaired; checking the role again".into());
                return vec![Cmd::VerifyRole {
                    role: app.existing_role.value().trim().to_string(),
                    principal: plan.principal.clone(),
                    external_id: plan.external_id().to_string(),
                    permission: Some((plan.policy_name.clone(), plan.permission_policy.clone())),
                }];
            }
        }
        Msg::StackDeleted(Ok(())) => {
            app.resources.clear();
            if let Ok(plan) = app.plan() {
                let account = app.caller().map(|c| c.account.clone()).unwrap_or_default();
                let saved =
                    crate::state::SavedSetup::new(&plan, app.saved_method(), &account, None, None);
                app.notes.push("Creating the stack again".into());
                return vec![Cmd::CreateStack {
                    plan: Box::new(plan),
                    saved: Box::new(saved),
                }];
            }
        }
        Msg::StackDeleted(Err(message)) => {
            app.work = Work::Failed(Failure {
                message,
                reasons: Vec::new(),
                stack_left: true,
            });
        }
        _ => {}
    }
    Vec::new()
}
