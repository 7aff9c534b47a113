//! The state transitions several screens share (moving between steps, going back, starting a
//! role's check, the change a setup's inputs ask for) and small helpers on input and keys. No
//! screen imports another, or `update`: they meet here.

use super::state::*;
use crate::engine::saving::{Method, SavedSetup};
use crate::model::catalog::Catalog;

/// The change the wizard's inputs ask for, for the engine's `update::prepare`: the inputs
/// without IDs (unless workspace IDs were typed differently), the External ID step's choice, and
/// the setup's record when it is saved here.
pub fn change_asked(
    app: &App,
    saved: &SavedSetup,
    account: &str,
) -> Option<crate::engine::update::Asked> {
    let integration = Catalog::builtin().integration(&saved.integration)?;
    let name = match saved.method {
        Method::Cloudformation => saved.stack_name.clone(),
        Method::Iam => saved.role_name.clone(),
    }?;
    let mut request = app.request();
    request.stack_name = saved.stack_name.clone();
    request.role_name = saved.role_name.clone();
    request.role_path = saved.role_path.clone();
    let mut given = Vec::new();
    if app.uses_workspace_id() {
        let typed: Vec<String> = request
            .workspace_ids
            .iter()
            .chain(&request.source_ids)
            .cloned()
            .collect();
        if typed != saved.external_ids {
            given = typed;
        }
    }
    if given.is_empty() {
        request.external_ids.clear();
        request.workspace_ids.clear();
        request.source_ids.clear();
    }
    Some(crate::engine::update::Asked {
        integration,
        method: saved.method,
        name,
        request,
        given,
        id_change: app.external.id_change.clone(),
        record: (!app.change.found_in_aws).then(|| saved.clone()),
        account: if account.is_empty() {
            saved.account.clone()
        } else {
            account.to_string()
        },
        region: saved.region.clone(),
        profile: saved.profile.clone(),
        keep_what_role_accepts: false,
    })
}

/// Starts checking an existing role (the wizard's existing-role path, and resume).
pub fn check_role(app: &mut App, check: RoleCheck) -> Vec<Cmd> {
    app.method.checking = Some(check.clone());
    app.method.confirmed_denies.clear();
    app.method.fix = None;
    vec![Cmd::VerifyRole(check)]
}

/// Moves to a step, resetting the scroll.
pub fn go(app: &mut App, step: Step) {
    if step > Step::Integration && step <= Step::Review {
        app.answered = true;
    }
    if step == Step::Permissions && app.step != Step::Permissions {
        // A list that couldn't be had is asked for again each time the step is entered.
        app.permissions
            .listings
            .retain(|_, listing| !matches!(listing, Listing::Unavailable(_)));
        app.permissions.pick_row = None;
    }
    app.step = step;
    app.run.scroll = 0;
    // A revealed ID is masked again on the next screen.
    app.revealed = false;
}

/// Esc on any step before the work starts. Changing a setup, the integration is fixed: from the
/// External ID step Esc leaves the change and returns to Welcome.
pub fn back(app: &mut App) -> Vec<Cmd> {
    if app.change.setup.is_some() && app.step == Step::ExternalId {
        app.change.setup = None;
        go(app, Step::Welcome);
        return Vec::new();
    }
    go(app, app.step.previous());
    Vec::new()
}
