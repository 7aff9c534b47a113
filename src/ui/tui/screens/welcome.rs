//! Step 1: what the wizard does and changes, and whose account it will change.

use super::{Keys, bold, choice, edit, field, help_key, paragraph, quit_key};
use crate::engine::saving::Method;
use crate::ui::tui::{
    actions::go,
    state::non_empty,
    state::{App, Cmd, IdentityState, MethodChoice, Step, WelcomeFocus, Work},
};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;
use tui_input::Input;

pub fn keys(app: &App) -> Keys {
    if app.audit.is_open() {
        return super::audit::keys(app);
    }
    if app.welcome.update_pick.is_some() {
        return vec![("↑↓", "choose"), ("Enter", "change it"), ("Esc", "close")];
    }
    let typing = app.welcome.focus.is_field();
    let mut keys = vec![match (typing, &app.welcome.identity) {
        (true, _) => ("Enter", "reload the account"),
        (false, IdentityState::Missing(_)) => ("Enter", "plan-only"),
        (false, _) => ("Enter", "continue"),
    }];
    keys.push(("Tab", "profile/region"));
    if !typing {
        if matches!(app.welcome.identity, IdentityState::Missing(_)) && !app.demo {
            keys.push(("d", "demo account"));
        }
        if app.resume_offer().is_some() {
            keys.push(("r", "resume"));
        }
        if !app.changeable().is_empty() {
            keys.push(("u", "change a setup"));
        }
        if super::audit::offered(app) {
            keys.push(("a", "audit"));
        }
    }
    keys.push(help_key(typing));
    keys.push(quit_key(typing));
    keys
}

/// Setups listed at once while picking one to change: the list scrolls with the choice.
const PICK_WINDOW: usize = 5;

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    // While a setup is picked, the list takes the introduction's place.
    let mut lines = if app.welcome.update_pick.is_some() {
        Vec::new()
    } else {
        vec![
            // No blank line between: at 80x24 a resume offer and Continue still fit below.
            Line::from(crate::model::steps::WELCOME),
            Line::styled("What it changes", bold()),
            Line::from(crate::model::steps::WELCOME_CHANGES),
            Line::from(""),
        ]
    };
    match &app.welcome.identity {
        IdentityState::Loading => lines.push(Line::from("AWS account  checking your credentials…")),
        IdentityState::Ready { caller, region } => {
            lines.push(Line::from(vec![
                Span::raw("AWS account  "),
                Span::styled(caller.account.clone(), bold()),
            ]));
            lines.push(Line::from(format!("Caller       {}", caller.arn)));
            lines.push(Line::from(format!("Region       {region}")));
        }
        IdentityState::Missing(message) => {
            lines.push(Line::styled(
                format!("✗ {}", first_sentence(message)),
                bold(),
            ));
            lines.push(Line::from(
                "  Fix: aws configure · aws sso login --profile NAME · or a Profile below.",
            ));
            lines.push(Line::from(
                "  Or continue in plan-only mode: nothing is changed; you get the policies",
            ));
            lines.push(Line::from("  and the commands to hand an administrator."));
            if !app.demo {
                lines.push(Line::from(
                    "  Or press d for the demo account: simulated, nothing leaves this machine.",
                ));
            }
        }
    }
    lines.push(field(
        "Profile",
        &app.welcome.profile,
        app.welcome.focus == WelcomeFocus::Profile,
        None,
        width.min(50),
    ));
    lines.push(field(
        "Region ",
        &app.welcome.region,
        app.welcome.focus == WelcomeFocus::Region,
        None,
        width.min(50),
    ));
    let offers = app.offers();
    if let Some(saved) = offers.here.first() {
        lines.push(Line::styled(
            format!(
                "Unfinished setup of this account: {} ({}), in {} — press r to resume",
                saved.what(),
                saved.integration,
                saved.place()
            ),
            bold(),
        ));
    }
    for line in offers.elsewhere.iter().chain(&app.welcome.state_problems) {
        lines.push(Line::styled(format!("· {line}"), super::dim()));
    }
    let changeable = app.changeable();
    if let Some(pick) = app.welcome.update_pick {
        lines.push(Line::styled(
            "Change which setup? (↑↓, Enter; Esc closes)",
            bold(),
        ));
        let first = (pick + 1).saturating_sub(PICK_WINDOW);
        if first > 0 {
            lines.push(Line::styled(format!("  ↑ {first} more"), super::dim()));
        }
        for (index, setup) in changeable.iter().enumerate().skip(first).take(PICK_WINDOW) {
            lines.push(choice(index == pick, setup.describe()));
        }
        let after = changeable.len().saturating_sub(first + PICK_WINDOW);
        if after > 0 {
            lines.push(Line::styled(format!("  ↓ {after} more"), super::dim()));
        }
    } else if !changeable.is_empty() {
        lines.push(Line::from(format!(
            "{} setup(s) of this account can be changed (new ARNs, another bucket, a rotated ID): u lists them",
            changeable.len()
        )));
    }
    if let Some(problem) = &app.welcome.found_problem {
        lines.push(Line::styled(
            format!("· Setups made elsewhere could not be listed: {problem}"),
            super::dim(),
        ));
    }
    let continue_text = match app.welcome.identity {
        IdentityState::Missing(_) => "Continue in plan-only mode",
        _ => "Continue",
    };
    lines.push(choice(
        app.welcome.focus == WelcomeFocus::Continue && app.welcome.update_pick.is_none(),
        continue_text,
    ));
    frame.render_widget(paragraph(app, lines), area);
}

fn first_sentence(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    // Whole: the box wraps it (a cut message lost its end, such as how to set a region).
    first.to_string()
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if let Some(pick) = app.welcome.update_pick {
        let count = app.changeable().len().max(1);
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                app.welcome.update_pick = Some((pick + 1) % count)
            }
            KeyCode::Up | KeyCode::Char('k') => {
                app.welcome.update_pick = Some((pick + count - 1) % count)
            }
            KeyCode::Esc => app.welcome.update_pick = None,
            KeyCode::Enter => {
                if let Some(changeable) = app.changeable().get(pick).cloned() {
                    start_update(app, changeable.setup, changeable.found_in_aws);
                }
            }
            _ => {}
        }
        return Vec::new();
    }
    match key.code {
        KeyCode::Char('a')
            if app.welcome.focus == WelcomeFocus::Continue && super::audit::offered(app) =>
        {
            super::audit::open(app)
        }
        KeyCode::Char('u')
            if app.welcome.focus == WelcomeFocus::Continue && !app.changeable().is_empty() =>
        {
            app.welcome.update_pick = Some(0);
            Vec::new()
        }
        KeyCode::Tab | KeyCode::Down => {
            app.welcome.focus = app.welcome.focus.next();
            Vec::new()
        }
        KeyCode::BackTab | KeyCode::Up => {
            app.welcome.focus = app.welcome.focus.previous();
            Vec::new()
        }
        KeyCode::Enter if app.welcome.focus.is_field() => {
            app.welcome.focus = WelcomeFocus::Continue;
            app.welcome.identity = IdentityState::Loading;
            vec![Cmd::LoadIdentity {
                profile: non_empty(&app.welcome.profile),
                region: non_empty(&app.welcome.region),
            }]
        }
        KeyCode::Enter => match app.welcome.identity {
            IdentityState::Loading => Vec::new(),
            IdentityState::Ready { .. } => {
                app.welcome.plan_only = false;
                go(app, Step::Integration);
                Vec::new()
            }
            IdentityState::Missing(_) => {
                app.welcome.plan_only = true;
                go(app, Step::Integration);
                Vec::new()
            }
        },
        KeyCode::Char('r')
            if app.welcome.focus == WelcomeFocus::Continue && app.resume_offer().is_some() =>
        {
            resume(app)
        }
        // No credentials: the demo account shows the whole flow (the wizard starts again on it).
        KeyCode::Char('d')
            if app.welcome.focus == WelcomeFocus::Continue
                && !app.demo
                && matches!(app.welcome.identity, IdentityState::Missing(_)) =>
        {
            app.welcome.switch_to_demo = true;
            app.quit = true;
            vec![Cmd::Quit]
        }
        KeyCode::Esc => {
            app.welcome.focus = WelcomeFocus::Continue;
            Vec::new()
        }
        _ if app.welcome.focus == WelcomeFocus::Profile => {
            edit(&mut app.welcome.profile, key);
            Vec::new()
        }
        _ if app.welcome.focus == WelcomeFocus::Region => {
            edit(&mut app.welcome.region, key);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Changes a setup this tool made: its integration, external ID, method and name are kept, the
/// permissions' inputs are filled in from it, and the wizard goes on from the External ID step
/// (where a function's ID is kept, or a rotation begun or finished). `found`: read from AWS,
/// not saved on this machine.
fn start_update(app: &mut App, saved: crate::engine::saving::SavedSetup, found: bool) {
    app.welcome.update_pick = None;
    if let Some(index) = crate::model::catalog::Catalog::builtin()
        .integrations()
        .iter()
        .position(|i| i.id == saved.integration)
    {
        app.integration = index;
    }
    let integration = app.integration();
    if let Some(index) = integration
        .presets
        .iter()
        .position(|o| Some(&o.preset) == saved.preset.as_ref())
    {
        app.permissions.preset = index;
    }
    let setting = |key: &str| {
        saved
            .settings
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.value.clone())
            .unwrap_or_default()
    };
    app.permissions.bucket = Input::new(setting("s3Bucket"));
    app.permissions.bucket_region = Input::new(setting("s3BucketRegion"));
    app.permissions.lambda_arns = Input::new(saved.lambda_arns.join(","));
    // Workspace and source IDs are one comma-separated field, checked ID by ID; a function's IDs
    // stay separate values (the setup's own), never joined into one.
    app.external.value = Input::new(if app.uses_workspace_id() {
        saved.external_ids.join(",")
    } else {
        saved.external_ids.first().cloned().unwrap_or_default()
    });
    app.external.generated = false;
    app.external.editing = false;
    app.external.id_change = crate::engine::update::IdChange::Keep;
    app.run.applied = None;
    app.change.found_in_aws = found;
    match saved.method {
        Method::Cloudformation => {
            app.method.choice = MethodChoice::Cloudformation;
            app.method.stack_name = Input::new(saved.stack_name.clone().unwrap_or_default());
            app.method.stack_name_edited = true;
        }
        Method::Iam => {
            app.method.choice = MethodChoice::Iam;
            app.method.role_name = Input::new(saved.role_name.clone().unwrap_or_default());
        }
    }
    app.change.setup = Some(saved);
    app.welcome.plan_only = false;
    go(app, Step::ExternalId);
}

/// Picks up a saved setup of this account, in its own profile and region: re-attach to its
/// stack, or check its role (any repair is shown and asked for on the Progress screen).
fn resume(app: &mut App) -> Vec<Cmd> {
    let Some(saved) = app.resume_offer() else {
        return Vec::new();
    };
    app.welcome.saved.retain(|s| s != &saved);
    app.welcome.resumed = Some(saved.clone());
    if let Some(index) = crate::model::catalog::Catalog::builtin()
        .integrations()
        .iter()
        .position(|i| i.id == saved.integration)
    {
        app.integration = index;
    }
    app.external.value = Input::new(saved.external_ids.join(","));
    app.external.generated = false;
    if let Some(profile) = &saved.profile {
        app.welcome.profile = Input::new(profile.clone());
    }
    if let Some(region) = &saved.region {
        app.welcome.region = Input::new(region.clone());
    }
    go(app, Step::Progress);
    app.run.work = Work::Running;
    app.run.resources.clear();
    app.run.notes.clear();
    match saved.method {
        Method::Cloudformation => {
            let stack = saved.stack_name.clone().unwrap_or_default();
            app.method.choice = MethodChoice::Cloudformation;
            app.method.stack_name = Input::new(stack.clone());
            app.run.notes.push(format!(
                "Re-attaching to stack {stack} in {}",
                saved.place()
            ));
        }
        Method::Iam => {
            let role = saved.role_name.clone().unwrap_or_default();
            app.method.choice = MethodChoice::Existing;
            app.method.existing_role = Input::new(role.clone());
            app.run.notes.push(format!(
                "Checking role {role} in {} to finish it; any change is shown first",
                saved.place()
            ));
            // Only a saved policy judged again is attached (the executor refuses the resume
            // with the reason otherwise).
            app.method.checking = Some(crate::ui::tui::state::RoleCheck {
                role,
                integration: saved.integration.clone(),
                external_ids: saved.all_external_ids(),
                rotating: saved.rotating(),
                permission: crate::engine::resume::judged_policy(&saved).ok().flatten(),
            });
            app.method.confirmed_denies.clear();
            app.method.fix = None;
        }
    }
    vec![Cmd::Resume(Box::new(saved))]
}
