//! Step 5: how: a CloudFormation stack (recommended), directly through IAM, an existing role
//! (picked from the account's roles, filterable, or typed as a name or ARN), or several accounts
//! through a StackSet (the role's fixed name, and the accounts or organizational units).

use super::spinner;
use super::{choice, dim, edit, field, paragraph, verdict};
use crate::model::picker::{self, ResourceKind};
use crate::model::validate;
use crate::ui::tui::{
    actions::{back, go},
    state::{App, Cmd, Field, Listing, MethodChoice, MethodFocus, RolesState, Step},
};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::prelude::*;

pub fn keys(app: &App) -> super::Keys {
    if app.change.setup.is_some() {
        return vec![
            ("Enter", "next"),
            ("Esc", "back"),
            ("?", "help"),
            ("q", "quit"),
        ];
    }
    if app.method.focus == MethodFocus::List {
        let tab = if app.method.choice == MethodChoice::Existing {
            ("Tab", "type or pick the role")
        } else if app.method.choice == MethodChoice::StackSet {
            ("Tab", "name and accounts")
        } else {
            ("Tab", "edit the name")
        };
        return vec![
            ("↑↓", "choose"),
            tab,
            ("Enter", "next"),
            ("Esc", "back"),
            ("?", "help"),
            ("q", "quit"),
        ];
    }
    let mut keys = vec![if app.method.choice == MethodChoice::StackSet {
        ("Tab", "next field")
    } else {
        ("Tab", "methods")
    }];
    if app.method.choice == MethodChoice::Existing && !matching_roles(app).is_empty() {
        keys.push(("↑↓", "pick a role"));
    }
    if app.method.choice == MethodChoice::StackSet
        && app.method.focus == MethodFocus::Targets
        && !target_rows(app).is_empty()
    {
        keys.push(("↑↓", "pick"));
    }
    if app.method.choice == MethodChoice::StackSet
        && app.method.focus == MethodFocus::Targets
        && targets_units(app)
    {
        keys.push(("Ctrl-A", "later accounts"));
    }
    keys.extend([
        ("Enter", "next"),
        ("Esc", "methods"),
        ("F1", "help"),
        ("Ctrl-C", "quit"),
    ]);
    keys
}

const LIST_ROWS: usize = 6;

/// The method's title and when to pick it: the step model's, as plain mode says them.
fn describe(method: MethodChoice) -> (String, String) {
    let index = MethodChoice::ALL
        .iter()
        .position(|m| *m == method)
        .unwrap_or(0);
    let choice = crate::model::steps::method_choices().swap_remove(index);
    let detail = choice.detail();
    (choice.title, detail)
}

/// The account's roles matching what is typed.
pub fn matching_roles(app: &App) -> Vec<(String, String)> {
    let filter = app.method.existing_role.value().trim().to_ascii_lowercase();
    match &app.method.roles {
        RolesState::Loaded(roles) => roles
            .iter()
            .filter(|(name, arn)| {
                filter.is_empty()
                    || name.to_ascii_lowercase().contains(&filter)
                    || arn.to_ascii_lowercase() == filter
            })
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// What is wrong with the name typed for the chosen method, if anything.
pub fn problem(app: &App) -> Option<String> {
    if app.permissions.starter_function
        && matches!(
            app.method.choice,
            MethodChoice::Existing | MethodChoice::StackSet
        )
    {
        return Some(
            "a starter function is made with a new role in this account: choose CloudFormation or IAM, or go back to Permissions and leave it out (Ctrl-N)".into(),
        );
    }
    let check = match app.method.choice {
        MethodChoice::Cloudformation => validate::stack_name(app.method.stack_name.value().trim()),
        MethodChoice::Iam => validate::role_name(app.method.role_name.value().trim()),
        MethodChoice::StackSet => validate::role_name(app.method.role_name.value().trim())
            .and_then(|_| {
                app.stack_set_request()
                    .map(|_| ())
                    .map_err(validate::Invalid)
            }),
        MethodChoice::Existing => {
            let value = app.method.existing_role.value().trim();
            if value.starts_with("arn:") {
                validate::role_arn(value)
            } else {
                validate::role_name(value)
            }
        }
    };
    if let Err(invalid) = check {
        return Some(invalid.0);
    }
    // Caught here, from the roles already read, not at step 7 with no way back.
    let RolesState::Loaded(roles) = &app.method.roles else {
        return None;
    };
    match app.method.choice {
        MethodChoice::Iam => {
            let name = app.method.role_name.value().trim();
            roles
                .iter()
                .any(|(existing, _)| existing.eq_ignore_ascii_case(name))
                .then(|| {
                    format!(
                        "a role named {name} already exists in this account (IAM names ignore case): choose another name, or An existing role to check it"
                    )
                })
        }
        MethodChoice::Existing => {
            let typed = app.method.existing_role.value().trim();
            let known = roles
                .iter()
                .any(|(name, arn)| name.eq_ignore_ascii_case(typed) || arn == typed);
            (!known && matching_roles(app).is_empty()).then(|| {
                format!(
                    "no role {typed} in this account: pick one from the list, or check the name"
                )
            })
        }
        MethodChoice::Cloudformation | MethodChoice::StackSet => None,
    }
}

/// The StackSet's fields: the role's fixed name and where it goes.
fn stack_set_lines(app: &App, lines: &mut Vec<Line<'static>>, width: usize) {
    lines.push(field(
        "Role name (all accounts)",
        &app.method.role_name,
        app.method.focus == MethodFocus::Name,
        None,
        width,
    ));
    lines.push(field(
        "Accounts or OUs         ",
        &app.method.targets,
        app.method.focus == MethodFocus::Targets,
        None,
        width,
    ));
    let region = app.default_region().unwrap_or_default();
    lines.push(Line::styled(
        format!("  12-digit account IDs or ou-... units, comma-separated · region {region}"),
        dim(),
    ));
    if targets_units(app) {
        lines.push(Line::styled(
            format!(
                "  Accounts added to these units later get the role too: {} (Ctrl-A)",
                if app.method.auto_deploy { "yes" } else { "no" }
            ),
            dim(),
        ));
    }
    if app.method.focus == MethodFocus::Targets {
        lines.extend(target_picker(app));
    }
}

/// The targets typed so far are organizational units (automatic deployment applies).
fn targets_units(app: &App) -> bool {
    matches!(
        crate::model::stackset::parse_targets(app.method.targets.value(), false),
        Ok(crate::model::stackset::Targets::OrgUnits { .. })
    )
}

/// The organization's units and accounts matching what is typed after the last comma.
fn target_rows(app: &App) -> Vec<&picker::Resource> {
    match app.listing(ResourceKind::OrgTargets) {
        Some(Listing::Ready(found)) => picker::target_rows(found, app.method.targets.value()),
        _ => Vec::new(),
    }
}

/// The highlighted target row: the one moved to with ↑↓, else the first match when the typed
/// text can only be a filter (not an account or unit ID itself).
fn highlighted_target(app: &App) -> Option<usize> {
    let rows = target_rows(app).len();
    if rows == 0 {
        return None;
    }
    if let Some(row) = app.permissions.pick_row {
        return Some(row.min(rows - 1));
    }
    let filter = picker::filter_text(app.method.targets.value(), true);
    let is_id =
        validate::account_id(filter).is_ok() || crate::model::stackset::org_unit_id(filter).is_ok();
    (!filter.is_empty() && !is_id).then_some(0)
}

/// The list under the targets field (4 rows at a time, the page holding the highlighted one).
fn target_picker(app: &App) -> Vec<Line<'static>> {
    let what = ResourceKind::OrgTargets.plural();
    match app.listing(ResourceKind::OrgTargets) {
        None => Vec::new(),
        Some(Listing::Loading) => vec![Line::styled(
            format!("  {} listing {what}… (type meanwhile)", spinner(app)),
            dim(),
        )],
        Some(Listing::Unavailable(why)) => vec![Line::from(format!("  ! {why}"))],
        Some(Listing::Ready(found)) => {
            let rows = target_rows(app);
            if rows.is_empty() {
                return vec![Line::styled(
                    format!("  None of the {} {what} match.", found.len()),
                    dim(),
                )];
            }
            let selected = highlighted_target(app);
            let first = selected.unwrap_or(0) / PICK_ROWS * PICK_ROWS;
            let mut lines: Vec<Line<'static>> = rows
                .iter()
                .enumerate()
                .skip(first)
                .take(PICK_ROWS)
                .map(|(index, row)| {
                    let mut line = choice(Some(index) == selected, row.describe());
                    line.spans.insert(0, Span::raw("  "));
                    line
                })
                .collect();
            lines.push(Line::styled(
                format!(
                    "  {} of {} {what} · type to filter, ↓ to pick",
                    rows.len(),
                    found.len()
                ),
                dim(),
            ));
            lines
        }
    }
}

/// Rows of the targets list shown at once.
const PICK_ROWS: usize = 4;

/// The existing role's field and the account's roles that match what is typed.
fn existing_role_lines(app: &App, lines: &mut Vec<Line<'static>>, width: usize, focused: bool) {
    lines.push(field(
        "Role (name, ARN or filter)",
        &app.method.existing_role,
        focused,
        None,
        width,
    ));
    match &app.method.roles {
        RolesState::NotLoaded => {}
        RolesState::Loading => lines.push(Line::styled("  reading the account's roles…", dim())),
        RolesState::Failed(error) => lines.push(Line::styled(
            format!("  can't list roles ({error}); type the name"),
            dim(),
        )),
        RolesState::Loaded(_) => {
            let roles = matching_roles(app);
            let start = app.method.role_pick.saturating_sub(LIST_ROWS - 1);
            for (index, (name, _)) in roles.iter().enumerate().skip(start).take(LIST_ROWS) {
                lines.push(choice(
                    focused && index == app.method.role_pick,
                    format!("  {name}"),
                ));
            }
            if roles.is_empty() {
                lines.push(Line::styled("  no role matches", dim()));
            }
        }
    }
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    if let Some(saved) = &app.change.setup {
        let how = match saved.method {
            crate::engine::saving::Method::Cloudformation => "its stack, through a change set",
            crate::engine::saving::Method::Iam => "the role's documents, directly through IAM",
        };
        let lines = vec![
            Line::from(format!(
                "Changing the setup of {} ({}).",
                saved.what(),
                saved.integration
            )),
            Line::from(format!(
                "It changes {how}; the method stays as it was made."
            )),
            Line::from(""),
            Line::styled(
                "Enter goes on to Review; a preview of the change comes before anything changes.",
                dim(),
            ),
        ];
        frame.render_widget(paragraph(app, lines), area);
        return;
    }
    let width = area.width as usize;
    let mut lines = vec![Line::from(format!(
        "{}?",
        crate::model::steps::METHOD_QUESTION
    ))];
    for method in MethodChoice::ALL {
        let (title, detail) = describe(method);
        lines.push(choice(app.method.choice == method, title));
        lines.push(Line::styled(format!("    {detail}"), dim()));
    }
    if app.welcome.plan_only && app.method.choice != MethodChoice::Cloudformation {
        lines.push(Line::styled(
            "Plan only: nothing will be created either way.",
            dim(),
        ));
    }
    lines.push(Line::from(""));
    let focused = app.method.focus == MethodFocus::Name;
    match app.method.choice {
        MethodChoice::Cloudformation => lines.push(field(
            "Stack name",
            &app.method.stack_name,
            focused,
            None,
            width,
        )),
        MethodChoice::Iam => lines.push(field(
            "Role name ",
            &app.method.role_name,
            focused,
            None,
            width,
        )),
        MethodChoice::StackSet => stack_set_lines(app, &mut lines, width),
        MethodChoice::Existing => existing_role_lines(app, &mut lines, width, focused),
    }
    let picking = app.method.choice == MethodChoice::StackSet
        && app.method.focus == MethodFocus::Targets
        && highlighted_target(app).is_some();
    lines.push(match problem(app) {
        None => verdict(true, "valid"),
        // A filter being typed is not a wrong ID.
        Some(_) if picking => Line::styled("  Enter takes the highlighted row.", dim()),
        Some(reason) if app.touched(Field::Name) => verdict(false, reason),
        Some(_) if app.method.choice == MethodChoice::StackSet => Line::styled(
            "  Name the role, then type the accounts or organizational units.",
            dim(),
        ),
        Some(_) => Line::styled(
            "  Type the role's name or ARN, or pick it from the list.",
            dim(),
        ),
    });
    frame.render_widget(paragraph(app, lines), area);
}

#[expect(
    clippy::too_many_lines,
    reason = "a long sequence, to be split by step"
)]
pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if app.change.setup.is_some() {
        // The setup's method and name stay: only Enter and Esc do anything here.
        match key.code {
            KeyCode::Enter if app.plan().is_ok() => go(app, Step::Review),
            KeyCode::Esc => return back(app),
            _ => {}
        }
        return Vec::new();
    }
    let mut commands = Vec::new();
    match key.code {
        KeyCode::Esc if app.method.focus.is_field() => app.method.focus = MethodFocus::List,
        KeyCode::Esc => return back(app),
        // A StackSet has two fields: Tab goes list, name, targets, and round again.
        KeyCode::Tab | KeyCode::BackTab if app.method.choice == MethodChoice::StackSet => {
            let forward = key.code == KeyCode::Tab;
            app.method.focus = if forward {
                app.method.focus.next()
            } else {
                app.method.focus.previous()
            };
        }
        KeyCode::Tab | KeyCode::BackTab => {
            app.method.focus = if app.method.focus == MethodFocus::List {
                MethodFocus::Name
            } else {
                MethodFocus::List
            }
        }
        KeyCode::Up | KeyCode::Down | KeyCode::Char('k') | KeyCode::Char('j')
            if app.method.focus == MethodFocus::List =>
        {
            let index = MethodChoice::ALL
                .iter()
                .position(|m| *m == app.method.choice)
                .unwrap_or(0);
            let forward = matches!(key.code, KeyCode::Down | KeyCode::Char('j'));
            let count = MethodChoice::ALL.len();
            let next = if forward {
                (index + 1) % count
            } else {
                (index + count - 1) % count
            };
            app.method.choice = MethodChoice::ALL[next];
        }
        KeyCode::Char('a')
            if key
                .modifiers
                .contains(crossterm::event::KeyModifiers::CONTROL)
                && app.method.choice == MethodChoice::StackSet
                && app.method.focus == MethodFocus::Targets =>
        {
            app.method.auto_deploy = !app.method.auto_deploy;
        }
        KeyCode::Up
            if app.method.choice == MethodChoice::StackSet
                && app.method.focus == MethodFocus::Targets =>
        {
            app.permissions.pick_row = highlighted_target(app).map(|row| row.saturating_sub(1));
        }
        KeyCode::Down
            if app.method.choice == MethodChoice::StackSet
                && app.method.focus == MethodFocus::Targets =>
        {
            let rows = target_rows(app).len();
            if rows > 0 {
                app.permissions.pick_row = Some(match highlighted_target(app) {
                    Some(row) if app.permissions.pick_row.is_some() => (row + 1).min(rows - 1),
                    Some(row) => row,
                    None => 0,
                });
            }
        }
        KeyCode::Enter
            if app.method.choice == MethodChoice::StackSet
                && app.method.focus == MethodFocus::Targets
                && highlighted_target(app).is_some() =>
        {
            let row = highlighted_target(app).unwrap_or(0);
            if let Some(value) = target_rows(app).get(row).map(|r| r.value.clone()) {
                let text = picker::take(app.method.targets.value(), true, &value);
                app.method.targets = tui_input::Input::new(text);
                app.touched.insert(Field::Name);
            }
            app.permissions.pick_row = None;
        }
        KeyCode::Up if app.method.choice == MethodChoice::Existing => {
            app.method.role_pick = app.method.role_pick.saturating_sub(1)
        }
        KeyCode::Down if app.method.choice == MethodChoice::Existing => {
            app.method.role_pick =
                (app.method.role_pick + 1).min(matching_roles(app).len().saturating_sub(1));
        }
        KeyCode::Enter => {
            app.touched.insert(Field::Name);
            if app.method.choice == MethodChoice::Existing && app.method.focus == MethodFocus::Name
            {
                let roles = matching_roles(app);
                let typed_is_exact = roles.iter().any(|(name, arn)| {
                    name == app.method.existing_role.value().trim()
                        || arn == app.method.existing_role.value().trim()
                });
                if let Some((name, _)) = roles.get(app.method.role_pick).filter(|_| !typed_is_exact)
                {
                    app.method.existing_role = tui_input::Input::new(name.clone());
                }
            }
            if problem(app).is_none() && app.plan().is_ok() {
                app.method.focus = MethodFocus::List;
                go(app, Step::Review);
            } else if app.method.choice == MethodChoice::StackSet
                && validate::role_name(app.method.role_name.value().trim()).is_ok()
            {
                app.method.focus = MethodFocus::Targets;
            } else {
                app.method.focus = MethodFocus::Name;
            }
        }
        _ if app.method.focus.is_field() => {
            let input = match app.method.choice {
                MethodChoice::Cloudformation => &mut app.method.stack_name,
                MethodChoice::Iam => &mut app.method.role_name,
                MethodChoice::Existing => &mut app.method.existing_role,
                MethodChoice::StackSet if app.method.focus == MethodFocus::Targets => {
                    &mut app.method.targets
                }
                MethodChoice::StackSet => &mut app.method.role_name,
            };
            edit(input, key);
            app.touched.insert(Field::Name);
            app.permissions.pick_row = None;
            if app.method.choice == MethodChoice::Cloudformation {
                // A generated name arriving late never lands in a field the user has edited.
                app.method.stack_name_edited = true;
            }
            app.method.role_pick = 0;
        }
        _ => {}
    }
    // The account's roles: to pick one, or to see a name is taken before anything is made.
    if matches!(
        app.method.choice,
        MethodChoice::Iam | MethodChoice::Existing
    ) && app.method.roles == RolesState::NotLoaded
        && !app.welcome.plan_only
    {
        app.method.roles = RolesState::Loading;
        commands.push(Cmd::ListRoles);
    }
    commands
}
