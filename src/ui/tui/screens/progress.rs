//! Step 7: the work, live: a row per resource (or, for a StackSet, per account and region) with a
//! status symbol, its reason and elapsed time, a spinner while waiting. On failure, the reasons in full and the choices. For an existing
//! role, the verification report and the proposed repair, applied only on confirmation.

use super::{bold, dim, mask, spinner, verdict};
use crate::engine::Progress;
use crate::model::stackset::InstanceRow;
use crate::model::verify::{Line as ReportLine, Mark};
use crate::ui::tui::{
    actions::go,
    state::{App, Cmd, Failure, MethodChoice, Msg, ResourceRow, Step, Work},
};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

pub fn keys(app: &App) -> super::Keys {
    match &app.run.work {
        Work::Failed(failure) => {
            let mut keys = Vec::new();
            if failure.stack_left {
                keys.push(("d", "delete the stack & retry"));
            }
            if retryable(app) {
                keys.push(("r", "run the failed accounts again"));
            }
            keys.extend([("Esc", "back to edit"), ("?", "help"), ("q", "quit")]);
            keys
        }
        Work::Done => vec![("any key", "the settings for Segment"), ("q", "quit")],
        Work::Previewed(_) => vec![
            ("Enter", "apply the update"),
            ("Esc", "back, nothing changed"),
            ("?", "help"),
            ("q", "quit"),
        ],
        Work::IdsDiffer(_) => vec![
            ("y", "keep what the role accepts"),
            ("Esc", "back, nothing changed"),
            ("q", "quit"),
        ],
        Work::Verified(verification) => {
            let mut keys = Vec::new();
            if verification.is_right() {
                keys.push(("Enter", "continue"));
            } else if matches!(&app.method.fix, Some(Ok(fix)) if !fix.is_empty()) {
                keys.push(("Enter", "apply the repair"));
            }
            if !verification.judgement.blocking_denies.is_empty() {
                keys.push(("1-9", "remove that Deny"));
            }
            keys.extend([("Esc", "back"), ("?", "help"), ("q", "quit")]);
            keys
        }
        _ => {
            let quit = match (
                crate::ui::tui::queries::reattach_command(app).is_some(),
                app.method.choice,
            ) {
                (true, MethodChoice::StackSet) => ("q", "quit (the stack set keeps going)"),
                (true, _) => ("q", "quit (the stack keeps going)"),
                (false, _) => ("q", "quit"),
            };
            let mut keys = vec![quit, ("F2", "presenter"), ("?", "help")];
            if app.run.instances.len() > 8 {
                keys.insert(0, ("PgUp/PgDn", "scroll"));
            }
            keys
        }
    }
}

/// A line of the verification report: its mark as a symbol (bold when it fails or warns).
fn report_line<'a>(app: &App, line: &ReportLine) -> Line<'a> {
    let text = mask(app, &line.plain());
    match line.mark {
        Mark::Fail | Mark::Warn => Line::styled(text, bold()),
        Mark::Info | Mark::Skip => Line::styled(text, dim()),
        _ => Line::from(text),
    }
}

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

/// An instance's status as a symbol: done, failed, or still being worked on.
fn instance_symbol(app: &App, row: &InstanceRow) -> &'static str {
    if row.succeeded() {
        "✓"
    } else if row.failed() {
        "✗"
    } else {
        spinner(app)
    }
}

/// A StackSet whose failed instances may be run again from here.
fn retryable(app: &App) -> bool {
    app.method.choice == MethodChoice::StackSet
        && matches!(app.run.work, Work::Failed(_))
        && app.run.instances.iter().any(InstanceRow::failed)
}

/// A StackSet's progress: the count, then a row per account and region (its reason below it).
fn instance_lines(app: &App, lines: &mut Vec<Line<'static>>, width: usize) {
    let done = app.run.instances.iter().filter(|r| !r.pending()).count();
    let failed = app.run.instances.iter().filter(|r| r.failed()).count();
    lines.push(Line::from(format!(
        "{done} of {} instance(s) done{}",
        app.run.instances.len(),
        if failed > 0 {
            format!(", {failed} failed")
        } else {
            String::new()
        }
    )));
    for row in &app.run.instances {
        let text = format!(
            "{} {:<14}{:<16}{}",
            instance_symbol(app, row),
            row.account,
            row.region,
            row.status
        );
        lines.push(Line::from(text.chars().take(width).collect::<String>()));
        if let Some(reason) = &row.reason {
            lines.push(Line::styled(format!("    {reason}"), dim()));
        }
    }
}

fn short_type(resource_type: &str) -> &str {
    resource_type.rsplit("::").next().unwrap_or(resource_type)
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    frame.render_widget(super::scrolled_paragraph(app, lines(app), area), area);
}

/// Everything the screen shows, before scrolling.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let width = super::body_width(app) as usize;
    let mut lines = Vec::new();
    let title = match app.method.choice {
        MethodChoice::Cloudformation => format!("Stack {}", app.method.stack_name.value().trim()),
        MethodChoice::Iam => format!("Role {}", app.method.role_name.value().trim()),
        MethodChoice::Existing => format!("Role {}", app.method.existing_role.value().trim()),
        MethodChoice::StackSet => format!("StackSet {}", app.method.stack_name.value().trim()),
    };
    let state = match &app.run.work {
        Work::Running => format!("{} working…", spinner(app)),
        Work::Failed(_) => "✗ failed".into(),
        Work::Verified(v) if v.is_right() => "✓ right".into(),
        Work::Verified(_) => "✗ needs repair".into(),
        Work::Previewed(_) => "update previewed: nothing changed yet".into(),
        Work::IdsDiffer(_) => "! the saved ID and the role's differ".into(),
        Work::Done => "✓ done".into(),
        Work::Idle => String::new(),
    };
    lines.push(Line::from(vec![
        Span::styled(title, bold()),
        Span::raw(format!("  {state}")),
    ]));
    if let Some(saved) = &app.run.saved_to {
        lines.push(Line::styled(saved.clone(), dim()));
    }
    if app.method.choice == MethodChoice::StackSet {
        instance_lines(app, &mut lines, width);
    }
    for row in &app.run.resources {
        let text = format!(
            "{} {:<22} {:<7} {:<20} {:>4}s",
            symbol(app, &row.status),
            row.logical_id.chars().take(22).collect::<String>(),
            short_type(&row.resource_type),
            row.status,
            row.elapsed.as_secs(),
        );
        lines.push(Line::from(text.chars().take(width).collect::<String>()));
        // The reason whole, on its own lines: the box wraps it.
        if let Some(reason) = &row.reason {
            lines.push(Line::styled(format!("    {reason}"), dim()));
        }
    }
    for note in app.run.notes.iter().rev().take(3).rev() {
        lines.push(Line::styled(note.clone(), dim()));
    }
    if app.run.reconnecting {
        lines.push(Line::styled(
            "Lost the connection to AWS; reconnecting…",
            bold(),
        ));
    }
    match &app.run.work {
        Work::Failed(failure) => {
            lines.push(verdict(false, failure.message.clone()));
            for reason in &failure.reasons {
                lines.push(Line::from(format!("  - {reason}")));
            }
            let mut choices = Vec::new();
            if failure.stack_left {
                choices.push("d: delete the stack and retry");
            }
            if retryable(app) {
                choices.push("r: once fixed, run the failed accounts again");
            }
            choices.push("Esc: back to edit");
            choices.push("q: quit");
            lines.push(Line::styled(choices.join(" · "), bold()));
        }
        Work::Done => lines.push(Line::styled(
            "✓ Finished. The settings for Segment come next (any key).",
            bold(),
        )),
        Work::IdsDiffer(differ) => {
            lines.push(Line::from(
                "The external ID saved on this machine is not what the role accepts now:",
            ));
            lines.extend(differ.iter().map(|l| Line::from(format!("  {l}"))));
            lines.push(Line::from(
                "The role's IDs are what Segment can use today; the saved one may be stale (rotated elsewhere) or the role changed by hand.",
            ));
            lines.push(Line::styled(
                "y keeps what the role accepts now. Esc goes back (nothing is changed).",
                bold(),
            ));
        }
        Work::Previewed(prepared) => {
            let preview = &prepared.preview;
            lines.extend(preview.lines().into_iter().map(Line::from));
            lines.push(Line::styled(
                match preview {
                    crate::engine::UpdatePreview::Nothing { .. } => {
                        "Nothing to change. Enter continues; Esc goes back."
                    }
                    _ => "Enter applies this update. Esc goes back (nothing is changed).",
                },
                bold(),
            ));
        }
        Work::Verified(verification) => {
            lines.extend(verification.lines().iter().map(|l| report_line(app, l)));
            if verification.is_right() {
                lines.push(Line::styled("The role is right. Enter continues.", bold()));
            } else {
                for &number in &verification.judgement.blocking_denies {
                    let confirmed = app.method.confirmed_denies.contains(&number);
                    lines.push(Line::styled(
                        if confirmed {
                            format!("Statement {number} (a Deny refusing Segment) will be removed; {number} again keeps it.")
                        } else {
                            format!("Statement {number} is a Deny that refuses Segment: press {number} to remove it.")
                        },
                        bold(),
                    ));
                }
                match &app.method.fix {
                    Some(Ok(fix)) if !fix.is_empty() => {
                        lines.push(Line::styled(
                            "The repair, proven to pass every probe:",
                            bold(),
                        ));
                        lines.extend(
                            fix.changes
                                .iter()
                                .map(|c| Line::from(format!("  - {}", mask(app, c)))),
                        );
                        lines.extend(fix.diff.iter().map(|d| Line::from(mask(app, d))));
                        lines.extend(
                            fix.left_alone
                                .iter()
                                .map(|n| Line::styled(format!("Left alone: {n}"), dim())),
                        );
                        if let Some(warning) = verification.repair_cuts_off(fix) {
                            lines.push(Line::styled(format!("! {warning}"), bold()));
                        }
                        lines.push(Line::styled(
                            "Enter applies this repair. Esc goes back.",
                            bold(),
                        ));
                    }
                    Some(Ok(fix)) => {
                        lines.extend(
                            fix.left_alone
                                .iter()
                                .map(|n| Line::styled(format!("Left alone: {n}"), dim())),
                        );
                        lines.push(Line::styled(
                            "Nothing here is for the wizard to repair. Esc goes back.",
                            bold(),
                        ));
                    }
                    Some(Err(reasons)) => {
                        lines.push(verdict(
                            false,
                            "No repair the wizard may make passes every probe, so none is offered:",
                        ));
                        lines.extend(
                            reasons
                                .iter()
                                .map(|r| Line::from(format!("  - {}", mask(app, r)))),
                        );
                        lines.push(Line::styled("Esc goes back.", bold()));
                    }
                    None => {}
                }
            }
        }
        _ => {}
    }
    lines
}

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    // Finished: any key goes on to Done at once (it comes by itself a moment later).
    if app.run.work == Work::Done {
        go(app, Step::Done);
        return Vec::new();
    }
    let lines = lines(app);
    if super::scroll(app, key.code, lines) {
        return Vec::new();
    }
    match (&app.run.work, key.code) {
        (Work::Running, _) => Vec::new(),
        (Work::Failed(_), KeyCode::Char('r')) if retryable(app) => {
            let (Ok(plan), Ok(request)) = (app.plan(), app.stack_set_request()) else {
                return Vec::new();
            };
            let account = app.caller().map(|c| c.account.clone()).unwrap_or_default();
            let saved = crate::engine::saving::SavedSetup::for_stack_set(
                &plan,
                &request.name,
                &account,
                app.default_region().as_deref(),
                crate::ui::tui::state::non_empty(&app.welcome.profile).as_deref(),
            );
            let org_units = match &request.targets {
                crate::model::stackset::Targets::OrgUnits { ids, .. } => ids.clone(),
                crate::model::stackset::Targets::Accounts(_) => Vec::new(),
            };
            app.run.work = Work::Running;
            vec![Cmd::RetryStackSet {
                name: request.name,
                org_units,
                saved: Box::new(saved),
                role_name: plan.role_name,
            }]
        }
        (Work::Failed(failure), KeyCode::Char('d')) if failure.stack_left => {
            let stack = app.method.stack_name.value().trim().to_string();
            app.run.work = Work::Running;
            app.run
                .notes
                .push(format!("Deleting stack {stack} before trying again"));
            vec![Cmd::DeleteStack(stack)]
        }
        (Work::Previewed(prepared), KeyCode::Enter) => {
            let prepared = prepared.clone();
            app.run.applied = Some(prepared.clone());
            app.run.work = Work::Running;
            app.run.notes.push("Applying the update".into());
            vec![Cmd::ApplyUpdate(prepared)]
        }
        (Work::Previewed(prepared), KeyCode::Esc) => {
            let preview = Box::new(prepared.preview.clone());
            app.run.work = Work::Idle;
            go(app, Step::Review);
            vec![Cmd::DiscardUpdate(preview)]
        }
        (Work::IdsDiffer(_), KeyCode::Char('y')) => {
            let Some(asked) = app.change.asked.clone() else {
                return Vec::new();
            };
            let asked = Box::new(crate::engine::update::Asked {
                keep_what_role_accepts: true,
                ..*asked
            });
            app.change.asked = Some(asked.clone());
            app.run.work = Work::Running;
            app.run
                .notes
                .push("Keeping what the role accepts now".into());
            vec![Cmd::PrepareUpdate(asked)]
        }
        (Work::IdsDiffer(_), KeyCode::Esc) => {
            app.run.work = Work::Idle;
            go(app, Step::Review);
            Vec::new()
        }
        (Work::Verified(verification), KeyCode::Enter) if !verification.is_right() => {
            let (Some(Ok(fix)), Some(check)) = (&app.method.fix, &app.method.checking) else {
                return Vec::new();
            };
            if fix.is_empty() {
                return Vec::new();
            }
            let cmd = Cmd::ApplyFix {
                check: check.clone(),
                role: verification.role.name.clone(),
                fix: Box::new(fix.clone()),
            };
            app.run.repair_warning = verification.repair_cuts_off(fix);
            app.run.work = Work::Running;
            app.run.notes.push("Applying the repair".into());
            vec![cmd]
        }
        (Work::Verified(verification), KeyCode::Char(digit @ '1'..='9')) => {
            let number = digit as usize - '0' as usize;
            if verification.judgement.blocking_denies.contains(&number) {
                if let Some(at) = app
                    .method
                    .confirmed_denies
                    .iter()
                    .position(|&n| n == number)
                {
                    app.method.confirmed_denies.remove(at);
                } else {
                    app.method.confirmed_denies.push(number);
                }
                let verification = verification.clone();
                refresh_fix(app, &verification);
            }
            Vec::new()
        }
        (Work::Verified(verification), KeyCode::Enter) if verification.is_right() => {
            let role_arn = verification.role.arn.clone();
            app.run.role_arn = Some(role_arn.clone());
            app.run.work = Work::Done;
            go(app, Step::Done);
            // A resumed setup is finished now.
            match &app.welcome.resumed {
                Some(saved) => vec![Cmd::FinishSaved {
                    saved: Box::new(saved.clone()),
                    role_arn,
                }],
                None => Vec::new(),
            }
        }
        (_, KeyCode::Esc) => {
            app.run.work = Work::Idle;
            go(app, Step::Review);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Works out the fix for a verified role with the Deny statements confirmed so far.
fn refresh_fix(app: &mut App, verification: &crate::model::verify::Verification) {
    let permission = app
        .method
        .checking
        .as_ref()
        .and_then(|c| c.permission.as_ref())
        .map(|(name, document)| (name.as_str(), document));
    app.method.fix = (!verification.is_right())
        .then(|| verification.fix(permission, &app.method.confirmed_denies));
}

/// The engine's reports and answers.
#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn on_message(app: &mut App, msg: Msg) -> Vec<Cmd> {
    // New content is shown from the top: the state line first. A StackSet's rows change in
    // place, so reading further down its table isn't interrupted.
    if !matches!(msg, Msg::Progress(Progress::Instance { .. })) {
        app.run.scroll = 0;
    }
    match msg {
        Msg::Progress(Progress::Event { event, elapsed }) => {
            // The stack itself is the screen's title; its changes are notes, not a row.
            if event.is_stack_itself() {
                app.run
                    .notes
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
                .run
                .resources
                .iter_mut()
                .find(|r| r.logical_id == event.logical_id)
            {
                Some(existing) => *existing = row,
                None => app.run.resources.push(row),
            }
        }
        Msg::Progress(Progress::Note(note)) => app.run.notes.push(note),
        Msg::Progress(Progress::Saved(path)) => {
            let file = std::path::Path::new(&path)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned());
            app.run.saved_to = Some(format!("Saved for resuming: {}", file.unwrap_or(path)));
        }
        Msg::Progress(Progress::Status { .. }) => {}
        Msg::Progress(Progress::Reconnecting { .. }) => app.run.reconnecting = true,
        Msg::Progress(Progress::Reconnected) => app.run.reconnecting = false,
        Msg::Progress(Progress::Instance { row, .. }) => {
            match app
                .run
                .instances
                .iter_mut()
                .find(|r| r.account == row.account && r.region == row.region)
            {
                Some(existing) => *existing = row,
                None => app.run.instances.push(row),
            }
        }
        Msg::StackSetDone(Ok(rows)) => {
            app.run.reconnecting = false;
            app.run.instances = rows;
            let failed = app.run.instances.iter().filter(|r| r.failed()).count();
            if failed > 0 {
                app.run.work = Work::Failed(Failure {
                    message: format!(
                        "{failed} of {} instance(s) failed: fix what each reason says",
                        app.run.instances.len()
                    ),
                    reasons: Vec::new(),
                    stack_left: false,
                });
                return Vec::new();
            }
            let role_name = app.method.role_name.value().trim().to_string();
            app.run.role_arn = app
                .run
                .instances
                .first()
                .map(|r| crate::model::stackset::role_arn(&r.account, &role_name));
            app.run.work = Work::Done;
            return vec![Cmd::ShowDoneSoon];
        }
        Msg::StackSetDone(Err(failure)) => {
            app.run.reconnecting = false;
            app.run.work = Work::Failed(failure);
        }
        Msg::Created(Ok(role_arn)) => {
            app.run.reconnecting = false;
            app.run.role_arn = Some(role_arn);
            app.run.work = Work::Done;
            app.run.scroll = 0;
            // The finished state stays a moment (or until a key) before Done replaces it.
            return vec![Cmd::ShowDoneSoon];
        }
        Msg::Created(Err(failure)) => {
            app.run.reconnecting = false;
            app.run.work = Work::Failed(failure);
        }
        Msg::UpdatePreviewed(Ok(prepared)) => app.run.work = Work::Previewed(prepared),
        Msg::IdsDiffer(lines) => app.run.work = Work::IdsDiffer(lines),
        Msg::UpdatePreviewed(Err(message)) => {
            app.run.work = Work::Failed(Failure {
                message,
                reasons: Vec::new(),
                stack_left: false,
            });
        }
        Msg::Verified(Ok(verification)) => {
            refresh_fix(app, &verification);
            app.run.work = Work::Verified(verification);
        }
        Msg::Verified(Err(message)) | Msg::Repaired(Err(message)) => {
            app.run.work = Work::Failed(Failure {
                message,
                reasons: Vec::new(),
                stack_left: false,
            });
        }
        // The report shown is always what AWS now holds: the role as read after the repair.
        Msg::Repaired(Ok(verification)) => {
            app.method.confirmed_denies.clear();
            refresh_fix(app, &verification);
            app.run.work = Work::Verified(verification);
        }
        Msg::StackDeleted(Ok(())) => {
            app.run.resources.clear();
            if let Ok(plan) = app.plan() {
                let account = app.caller().map(|c| c.account.clone()).unwrap_or_default();
                // Saved as the first try was: a resume goes to the same region and profile.
                let saved = crate::engine::saving::SavedSetup::new(
                    &plan,
                    app.saved_method(),
                    &account,
                    app.default_region().as_deref(),
                    crate::ui::tui::state::non_empty(&app.welcome.profile).as_deref(),
                );
                app.run.notes.push("Creating the stack again".into());
                return vec![Cmd::CreateStack {
                    plan: Box::new(plan),
                    saved: Box::new(saved),
                }];
            }
        }
        Msg::StackDeleted(Err(message)) => {
            app.run.work = Work::Failed(Failure {
                message,
                reasons: Vec::new(),
                stack_left: true,
            });
        }
        _ => {}
    }
    Vec::new()
}
