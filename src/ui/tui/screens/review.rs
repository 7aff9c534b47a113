//! Step 6: everything that will be created or changed, with the exact JSON and the account.
//! Enter confirms; nothing in AWS changes before.

use super::{bold, dim, json_lines, mask, verdict};
use crate::engine::saving::SavedSetup;
use crate::model::field::Naming;
use crate::ui::tui::{
    actions::{back, go},
    state::{App, Cmd, MethodChoice, Step, Work},
};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

pub fn keys(app: &App) -> super::Keys {
    let needs_yes = app
        .plan()
        .is_ok_and(|plan| !plan.broad_grants.is_empty() && !broad_accepted(app, &plan))
        && app.method.choice != MethodChoice::Existing;
    let mut keys = Vec::new();
    if needs_yes {
        keys.push(("y", "accept the broad policy"));
    } else {
        keys.push(("Enter", "confirm"));
    }
    keys.extend([
        ("PgUp/PgDn", "scroll"),
        ("Esc", "back"),
        ("F2", "presenter"),
        ("?", "help"),
        ("q", "quit"),
    ]);
    keys
}

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn lines<'a>(app: &App) -> Vec<Line<'a>> {
    let plan = match app.plan() {
        Ok(plan) => plan,
        Err(error) => return vec![verdict(false, error.words(Naming::Labels))],
    };
    let mut lines = Vec::new();
    match (app.welcome.plan_only, app.caller()) {
        (true, _) | (false, None) => lines.push(Line::styled(
            "Plan only: nothing will be changed in any account.",
            bold(),
        )),
        (false, Some(caller)) => {
            let region = match &app.welcome.identity {
                crate::ui::tui::state::IdentityState::Ready { region, .. } => region.clone(),
                _ => String::new(),
            };
            lines.push(Line::from(vec![
                Span::raw("Account "),
                Span::styled(caller.account.clone(), bold()),
                Span::raw(format!(" as {}, region ", caller.arn)),
                Span::styled(region, bold()),
            ]));
        }
    }
    let what = match (&app.change.setup, app.method.choice) {
        (Some(saved), _) => format!(
            "Changes the setup of {}: a preview of the change comes first (a change set for a stack, the documents' diff for a role), then Enter applies it.",
            saved.what()
        ),
        (None, method) => match method {
            MethodChoice::Cloudformation => match &plan.starter {
                None => format!(
                    "Creates CloudFormation stack {} (CAPABILITY_IAM) holding an IAM role and its inline policy \"{}\".",
                    plan.stack_name, plan.policy_name
                ),
                Some(starter) => format!(
                    "Creates CloudFormation stack {} (CAPABILITY_IAM) holding an IAM role and its inline policy \"{}\", and the starter function {} ({}, in {}) with its own execution role, which may only write the function's logs.",
                    plan.stack_name,
                    plan.policy_name,
                    starter.name,
                    starter.spec.runtime,
                    starter.region
                ),
            },
            MethodChoice::Iam => match &plan.starter {
                None => format!(
                    "Creates IAM role {} and puts its inline policy \"{}\" (a failure half-way is cleaned up).",
                    plan.role_name, plan.policy_name
                ),
                Some(starter) => format!(
                    "Creates IAM role {} and puts its inline policy \"{}\", then the starter function {} ({}, in {}) with its execution role {}, which may only write the function's logs (a failure half-way is cleaned up, all of it).",
                    plan.role_name,
                    plan.policy_name,
                    starter.name,
                    starter.spec.runtime,
                    starter.region,
                    starter.role_name()
                ),
            },
            MethodChoice::Existing => format!(
                "Reads role {} and checks it; any repair is shown and applied only when you confirm.",
                app.method.existing_role.value().trim()
            ),
            MethodChoice::StackSet => match app.stack_set_request() {
                Ok(request) => format!(
                    "Creates StackSet {} ({}): IAM role {} with its inline policy \"{}\" in {} ({}), region {}; each account's role ARN is arn:aws:iam::ACCOUNT:role/{}.",
                    request.name,
                    request
                        .targets
                        .permission_model()
                        .to_lowercase()
                        .replace('_', "-"),
                    plan.role_name,
                    plan.policy_name,
                    request.targets.describe(),
                    request.targets.ids().join(", "),
                    request.regions.join(", "),
                    plan.role_name
                ),
                Err(reason) => reason,
            },
        },
    };
    lines.push(Line::from(what));
    if app.change.setup.is_none() && app.method.choice == MethodChoice::StackSet {
        lines.push(Line::from(format!(
            "! {}",
            crate::model::steps::STACK_SET_SHARED_ID
        )));
    }
    lines.extend(
        plan.warnings
            .iter()
            .map(|w| Line::styled(format!("! {w}"), bold())),
    );
    if !plan.broad_grants.is_empty() && app.method.choice != MethodChoice::Existing {
        let accepted = broad_accepted(app, &plan);
        lines.push(verdict(
            accepted,
            if accepted {
                "You accepted a permission policy that grants broadly:"
            } else {
                "The permission policy grants broadly; press y to accept it (Enter won't start until you do):"
            },
        ));
        lines.extend(
            plan.broad_grants
                .iter()
                .map(|g| Line::from(format!("  ! {g}"))),
        );
    }
    lines.push(Line::from(format!(
        "Integration: {}. Segment assumes the role as {}",
        plan.integration_title, plan.principal
    )));
    lines.push(Line::from(mask(
        app,
        &format!("External ID: {}", plan.external_ids.join(", ")),
    )));
    lines.push(Line::styled("Trust policy:", bold()));
    lines.extend(json_lines(app, &plan.trust_policy));
    lines.push(Line::styled(
        format!(
            "Permission policy \"{}\" ({}):",
            plan.policy_name, plan.preset_title
        ),
        bold(),
    ));
    lines.extend(json_lines(app, &plan.permission_policy));
    if matches!(
        app.method.choice,
        MethodChoice::Cloudformation | MethodChoice::StackSet
    ) {
        lines.push(Line::styled(
            format!(
                "Template assets/templates/{} with parameters:",
                plan.template_name
            ),
            bold(),
        ));
        for (name, value) in &plan.parameters {
            lines.push(Line::from(mask(
                app,
                &format!("  {name} = {}", value.as_str().unwrap_or_default()),
            )));
        }
    }
    lines.push(Line::styled(
        if app.welcome.plan_only {
            "Enter shows the commands to hand an administrator."
        } else {
            "Enter confirms and starts. Esc goes back."
        },
        dim(),
    ));
    lines
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    frame.render_widget(super::scrolled_paragraph(app, lines(app), area), area);
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    match key.code {
        KeyCode::Esc => back(app),
        code if super::scroll(app, code, lines(app)) => Vec::new(),
        KeyCode::Char('y') => {
            if let Ok(plan) = app.plan()
                && !plan.broad_grants.is_empty()
            {
                app.permissions.broad_accepted = Some(plan.permission_policy);
            }
            Vec::new()
        }
        KeyCode::Enter => confirm(app),
        _ => Vec::new(),
    }
}

/// A broad custom policy is used only after an explicit `y` for exactly this document.
fn broad_accepted(app: &App, plan: &crate::model::plan::Plan) -> bool {
    plan.broad_grants.is_empty()
        || app.permissions.broad_accepted.as_ref() == Some(&plan.permission_policy)
}

/// The one place where the wizard starts changing the account: save first, then the work.
fn confirm(app: &mut App) -> Vec<Cmd> {
    let Ok(plan) = app.plan() else {
        return Vec::new();
    };
    if app.welcome.plan_only || app.caller().is_none() {
        app.welcome.plan_only = true;
        go(app, Step::Done);
        return Vec::new();
    }
    if app.method.choice != MethodChoice::Existing && !broad_accepted(app, &plan) {
        return Vec::new();
    }
    if app.method.choice == MethodChoice::StackSet && app.stack_set_request().is_err() {
        return Vec::new();
    }
    let account = app.caller().map(|c| c.account.clone()).unwrap_or_default();
    let region = match &app.welcome.identity {
        crate::ui::tui::state::IdentityState::Ready { region, .. } => Some(region.clone()),
        _ => None,
    };
    app.run.resources.clear();
    app.run.notes.clear();
    app.run.role_arn = None;
    app.run.finishing_after_segment = false;
    app.run.work = Work::Running;
    go(app, Step::Progress);
    if let Some(saved) = app.change.setup.clone() {
        app.run
            .notes
            .push(format!("Working out the change to {}", saved.what()));
        let Some(asked) = crate::ui::tui::actions::change_asked(app, &saved, &account) else {
            return Vec::new();
        };
        app.change.asked = Some(Box::new(asked.clone()));
        return vec![Cmd::PrepareUpdate(Box::new(asked))];
    }
    let permission = Some((plan.policy_name.clone(), plan.permission_policy.clone()));
    app.run.instances.clear();
    match app.method.choice {
        MethodChoice::StackSet => {
            let Ok(request) = app.stack_set_request() else {
                return Vec::new();
            };
            let saved = SavedSetup::for_stack_set(
                &plan,
                &request.name,
                &account,
                region.as_deref(),
                crate::ui::tui::state::non_empty(&app.welcome.profile).as_deref(),
            );
            vec![Cmd::CreateStackSet {
                plan: Box::new(plan),
                saved: Box::new(saved),
                request: Box::new(request),
            }]
        }
        MethodChoice::Existing => {
            let check = crate::ui::tui::state::RoleCheck {
                role: app.method.existing_role.value().trim().to_string(),
                integration: plan.integration_id.clone(),
                external_ids: plan.external_ids.clone(),
                rotating: false,
                permission,
            };
            crate::ui::tui::actions::check_role(app, check)
        }
        method => {
            let saved = SavedSetup::new(
                &plan,
                app.saved_method(),
                &account,
                region.as_deref(),
                crate::ui::tui::state::non_empty(&app.welcome.profile).as_deref(),
            );
            let (plan, saved) = (Box::new(plan), Box::new(saved));
            if method == MethodChoice::Cloudformation {
                vec![Cmd::CreateStack { plan, saved }]
            } else {
                vec![Cmd::CreateRole { plan, saved }]
            }
        }
    }
}
