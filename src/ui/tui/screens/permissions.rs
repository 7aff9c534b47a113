//! Step 4: what the role may do: the presets the integration offers, their inputs, and the
//! resulting policy, visible as it will be created.

use super::{bold, choice, dim, edit, field, json_lines, paragraph, verdict};
use crate::model::catalog::Catalog;
use crate::model::catalog::Input as PresetInput;
use crate::model::field::Naming;
use crate::model::picker::ResourceKind;
use crate::ui::tui::{
    actions::{back, go},
    state::{App, Cmd, Field, PermissionFocus, Step},
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::prelude::*;
use tui_input::Input;

/// Letters type into the preset's first field (a bucket name may hold a `j` or a `q`), so quitting
/// and help are on Ctrl-C and F1 here.
pub fn keys(app: &App) -> super::Keys {
    let fields = inputs(app);
    let mut keys = Vec::new();
    if app.permissions.focus == PermissionFocus::Presets {
        if app.integration().presets.len() > 1 {
            keys.push(("↑↓", "preset"));
        }
        if !fields.is_empty() {
            keys.push(("Tab", "fields"));
        }
        keys.push(("Enter", "next"));
        keys.push(("Esc", "back"));
    } else {
        let focused = app
            .permissions
            .focus
            .field()
            .and_then(|i| fields.get(i))
            .copied();
        let picking = focused.and_then(|which| {
            ResourceKind::of(which)?;
            let (rows, regions) =
                crate::ui::tui::picker::offers(app, which, input_ref(app, which).value());
            Some((which, rows, regions))
        });
        if let Some((_, true, _)) = picking {
            keys.push(("↑↓", "pick"));
        }
        if let Some((_, _, true)) = picking {
            keys.push(("Ctrl-R", "region"));
        }
        // Ctrl-N (a starter function) is named on the line under the Lambda field: the footer
        // has no room left at 80 columns.
        keys.push(("Tab", "next field"));
        let takes = picking.is_some_and(|(which, _, _)| {
            crate::ui::tui::picker::enter_takes(app, which, input_ref(app, which).value()).is_some()
        });
        keys.push(if focused == Some(PresetInput::PolicyFile) {
            ("Enter", "read the file")
        } else if takes {
            ("Enter", "take it")
        } else {
            ("Enter", "next")
        });
        keys.push(("Esc", "presets"));
    }
    keys.push(("F1", "help"));
    keys.push(("Ctrl-C", "quit"));
    keys
}

/// The preset's fields: its required inputs, then its optional ones.
fn inputs(app: &App) -> Vec<PresetInput> {
    Catalog::builtin()
        .preset(app.preset_id())
        .map(|p| p.all_inputs().collect())
        .unwrap_or_default()
}

/// The preset can make a starter function (the Lambda and Personalize destinations).
fn offers_starter(app: &App) -> bool {
    app.integration()
        .offer(app.preset_id())
        .is_some_and(|offer| offer.starter_function.is_some())
}

/// The starter function is asked for and offered.
fn starter_on(app: &App) -> bool {
    app.permissions.starter_function && offers_starter(app)
}

fn optional(app: &App, which: PresetInput) -> bool {
    Catalog::builtin()
        .preset(app.preset_id())
        .is_some_and(|p| p.optional_inputs.contains(&which))
}

fn input_mut(app: &mut App, which: PresetInput) -> &mut Input {
    match which {
        PresetInput::Bucket => &mut app.permissions.bucket,
        PresetInput::BucketRegion => &mut app.permissions.bucket_region,
        PresetInput::LambdaArns => &mut app.permissions.lambda_arns,
        PresetInput::PolicyFile => &mut app.permissions.policy_path,
        other => app.permissions.more_inputs.entry(other).or_default(),
    }
}

static EMPTY: std::sync::LazyLock<Input> = std::sync::LazyLock::new(Input::default);

fn input_ref(app: &App, which: PresetInput) -> &Input {
    match which {
        PresetInput::Bucket => &app.permissions.bucket,
        PresetInput::BucketRegion => &app.permissions.bucket_region,
        PresetInput::LambdaArns => &app.permissions.lambda_arns,
        PresetInput::PolicyFile => &app.permissions.policy_path,
        other => app.permissions.more_inputs.get(&other).unwrap_or(&EMPTY),
    }
}

fn field_of(which: PresetInput) -> Field {
    match which {
        PresetInput::Bucket => Field::Bucket,
        PresetInput::BucketRegion => Field::BucketRegion,
        PresetInput::LambdaArns => Field::LambdaArns,
        PresetInput::PolicyFile => Field::PolicyFile,
        other => Field::Other(other),
    }
}

/// What is wrong with one field, in the wizard's words.
fn field_problem(app: &App, which: PresetInput) -> Option<String> {
    let value = input_ref(app, which).value().trim();
    let result = match which {
        _ if value.is_empty() && optional(app, which) => Ok(()),
        // The starter function is the one Segment invokes; others are optional beside it.
        PresetInput::LambdaArns if value.is_empty() && starter_on(app) => Ok(()),
        PresetInput::BucketRegion if value.is_empty() && app.default_bucket_region().is_some() => {
            Ok(())
        }
        PresetInput::PolicyFile => {
            return match &app.permissions.policy_file {
                _ if value.is_empty() => Some("type the path of your policy document".into()),
                Some(Err(error)) => Some(error.clone()),
                Some(Ok(file)) if file.path != value => {
                    Some("press Enter to read this file".into())
                }
                Some(Ok(_)) => None,
                None => Some("press Enter to read it".into()),
            };
        }
        list if list.is_list() => crate::model::validate::comma_separated(
            value,
            &format!("type at least one {}", list.label().trim_end_matches('s')),
            |v| crate::model::validate::input_value(list, v),
        )
        .map(|_| ()),
        one => crate::model::validate::input_value(one, value),
    };
    result.err().map(|invalid| invalid.0)
}

/// What a field takes, shown under it until it was edited.
fn hint(which: PresetInput) -> &'static str {
    which.hint()
}

/// The field's label, padded so the fields line up.
fn label(which: PresetInput) -> String {
    let text = match which {
        PresetInput::LambdaArns => "Lambda ARN(s)".to_string(),
        PresetInput::PolicyFile => "Policy file (JSON)".to_string(),
        PresetInput::BucketRegion => "Bucket region".to_string(),
        other => {
            let label = other.label();
            let mut chars = label.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    };
    format!("{text:<18}")
}

pub fn view(app: &App, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    let catalog = Catalog::builtin();
    let mut lines = vec![Line::from(
        "What may Segment do with the role? Least privilege: pick one.",
    )];
    for (index, offer) in app.integration().presets.iter().enumerate() {
        let preset = catalog.preset(&offer.preset);
        lines.push(choice(
            index == app.permissions.preset,
            preset.map(|p| p.title.clone()).unwrap_or_default(),
        ));
    }
    if let Some(preset) = catalog.preset(app.preset_id()) {
        lines.push(Line::styled(format!("  {}", preset.description), dim()));
    }
    lines.push(Line::from(""));
    for (index, which) in inputs(app).into_iter().enumerate() {
        let focused = app.permissions.focus == PermissionFocus::Field(index);
        lines.push(field(
            &label(which),
            input_ref(app, which),
            focused,
            None,
            width,
        ));
        match field_problem(app, which) {
            Some(problem) if app.touched(field_of(which)) => {
                lines.push(verdict(false, problem));
            }
            Some(_) => lines.push(Line::styled(format!("  {}", hint(which)), dim())),
            None if which == PresetInput::BucketRegion
                && input_ref(app, which).value().is_empty() =>
            {
                lines.push(Line::styled(
                    match app.detected_bucket_region() {
                        Some(region) => {
                            format!("  left empty: {region}, where AWS says the bucket is")
                        }
                        None => format!(
                            "  left empty: {}, the account's region",
                            app.default_bucket_region().unwrap_or_default()
                        ),
                    },
                    dim(),
                ));
            }
            None => {
                if let (Some(Ok(file)), PresetInput::PolicyFile) =
                    (&app.permissions.policy_file, which)
                {
                    lines.push(Line::styled(
                        format!("  read ({} characters)", file.text.chars().count()),
                        dim(),
                    ));
                }
            }
        }
        // Offered while the field is empty (no function yet), and shown once chosen.
        if which == PresetInput::LambdaArns
            && offers_starter(app)
            && (starter_on(app) || input_ref(app, which).value().trim().is_empty())
        {
            lines.push(starter_line(app));
        }
        if focused {
            lines.extend(crate::ui::tui::picker::view(
                app,
                which,
                input_ref(app, which).value(),
            ));
        }
    }
    lines.push(Line::from(""));
    let fields_ok = inputs(app)
        .into_iter()
        .all(|which| field_problem(app, which).is_none());
    match app.plan() {
        Ok(plan) => {
            lines.push(Line::styled(
                format!("Permission policy \"{}\":", plan.policy_name),
                bold(),
            ));
            lines.extend(json_lines(app, &plan.permission_policy));
        }
        // Each field says what it needs; a problem across fields shows once they are filled.
        Err(error) if fields_ok => lines.push(verdict(false, error.words(Naming::Labels))),
        Err(_) => lines.push(Line::styled(
            "The policy appears here once the fields above are filled in.",
            dim(),
        )),
    }
    frame.render_widget(paragraph(app, lines), area);
}

/// Under the Lambda field: whether a starter function is made, and the key that says so.
fn starter_line(app: &App) -> Line<'static> {
    let region = app.default_region().unwrap_or_else(|| "this region".into());
    if starter_on(app) {
        let name = app
            .plan()
            .ok()
            .and_then(|plan| plan.starter.map(|s| s.name))
            .unwrap_or_else(|| "a starter function".into());
        Line::from(vec![
            Span::styled("  [x] ", bold()),
            Span::raw(format!("makes {name} (Ctrl-N undoes)")),
        ])
    } else {
        Line::styled(
            format!("  [ ] no function yet? Ctrl-N makes a starter function in {region}"),
            dim(),
        )
    }
}

/// Picks from the focused field's list: ↑↓ move, Enter takes a row, Ctrl-R lists another
/// region. Returns whether the key was the picker's.
fn on_picker_key(app: &mut App, which: PresetInput, key: KeyEvent) -> bool {
    let Some(kind) = ResourceKind::of(which) else {
        return false;
    };
    let text = input_ref(app, which).value().to_string();
    let list = which.is_list();
    let rows = crate::ui::tui::picker::matches(app, which, &text).len();
    let current = crate::ui::tui::picker::highlighted(app, which, &text);
    match key.code {
        KeyCode::Up if rows > 0 => {
            app.permissions.pick_row = Some(current.map_or(0, |row| row.saturating_sub(1)))
        }
        KeyCode::Down if rows > 0 => {
            app.permissions.pick_row = Some(current.map_or(0, |row| (row + 1).min(rows - 1)))
        }
        KeyCode::Char('r') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            if !kind.is_regional() {
                return false;
            }
            let count = app.picker_regions(kind).len();
            let next = app.permissions.pick_region.get(&kind).map_or(1, |i| i + 1) % count;
            app.permissions.pick_region.insert(kind, next);
            app.permissions.pick_row = None;
        }
        KeyCode::Enter => {
            let Some(value) = crate::ui::tui::picker::enter_takes(app, which, &text) else {
                return false;
            };
            *input_mut(app, which) = Input::new(crate::model::picker::take(&text, list, &value));
            app.touched.insert(field_of(which));
            app.permissions.pick_row = None;
            // A picked bucket brings its region: nothing to type where AWS can tell.
            if which == PresetInput::Bucket
                && let Some(region) = app.detected_bucket_region()
            {
                app.permissions.bucket_region = Input::new(region);
            }
        }
        _ => return false,
    }
    true
}

/// The input the focus is on, if it is on one.
fn focused_input(app: &App, fields: &[PresetInput]) -> Option<PresetInput> {
    app.permissions
        .focus
        .field()
        .and_then(|i| fields.get(i))
        .copied()
}

/// The permissions are complete: on to Method, asking for what it shows first.
fn on_to_method(app: &mut App) -> Vec<Cmd> {
    app.permissions.focus = PermissionFocus::Presets;
    go(app, Step::Method);
    // A generated name (with a random suffix) for the stack and the role alike, so
    // a second setup doesn't clash with the first.
    let mut commands = Vec::new();
    if app.method.stack_name.value().is_empty() || app.method.role_name.value().is_empty() {
        app.method.generating_name = true;
        commands.push(Cmd::GenerateStackName {
            integration: app.integration().id.clone(),
        });
    }
    if app.method.choice != crate::ui::tui::state::MethodChoice::Cloudformation
        && app.method.roles == crate::ui::tui::state::RolesState::NotLoaded
        && !app.welcome.plan_only
    {
        app.method.roles = crate::ui::tui::state::RolesState::Loading;
        commands.push(Cmd::ListRoles);
    }
    commands
}

pub fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    let fields = inputs(app);
    let presets = app.integration().presets.len();
    if let Some(which) = focused_input(app, &fields)
        && on_picker_key(app, which, key)
    {
        return Vec::new();
    }
    match key.code {
        KeyCode::Char('n')
            if key.modifiers.contains(KeyModifiers::CONTROL)
                && focused_input(app, &fields) == Some(PresetInput::LambdaArns)
                && offers_starter(app) =>
        {
            app.permissions.starter_function = !app.permissions.starter_function;
        }
        KeyCode::Esc if app.permissions.focus.is_field() => {
            app.permissions.focus = PermissionFocus::Presets
        }
        KeyCode::Esc => return back(app),
        KeyCode::Tab => {
            app.permissions.focus = app.permissions.focus.cycle(fields.len(), true);
            app.permissions.pick_row = None;
        }
        KeyCode::BackTab => {
            app.permissions.focus = app.permissions.focus.cycle(fields.len(), false);
            app.permissions.pick_row = None;
        }
        KeyCode::Up if app.permissions.focus == PermissionFocus::Presets => {
            app.permissions.preset = (app.permissions.preset + presets - 1) % presets
        }
        KeyCode::Down if app.permissions.focus == PermissionFocus::Presets => {
            app.permissions.preset = (app.permissions.preset + 1) % presets
        }
        // Typing on the preset list goes into the preset's first field.
        KeyCode::Char(_)
            if app.permissions.focus == PermissionFocus::Presets && !fields.is_empty() =>
        {
            app.permissions.focus = PermissionFocus::Field(0);
            edit(input_mut(app, fields[0]), key);
            app.touched.insert(field_of(fields[0]));
        }
        KeyCode::Enter => {
            let focused = focused_input(app, &fields);
            // Enter shows what is still missing.
            match focused {
                Some(which) => {
                    app.touched.insert(field_of(which));
                }
                None => app.touched.extend(fields.iter().map(|w| field_of(*w))),
            }
            if focused == Some(PresetInput::PolicyFile) {
                let path = app.permissions.policy_path.value().trim().to_string();
                return if path.is_empty() {
                    Vec::new()
                } else {
                    vec![Cmd::ReadPolicyFile(path)]
                };
            }
            if app.permissions.focus == PermissionFocus::Presets
                && !fields.is_empty()
                && app.plan().is_err()
            {
                app.permissions.focus = PermissionFocus::Field(0);
            } else if app.plan().is_ok() {
                return on_to_method(app);
            }
        }
        _ if app.permissions.focus.is_field() => {
            if let Some(which) = focused_input(app, &fields) {
                edit(input_mut(app, which), key);
                app.touched.insert(field_of(which));
                // A new filter starts at its first row.
                app.permissions.pick_row = None;
            }
        }
        _ => {}
    }
    Vec::new()
}
