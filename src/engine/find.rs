//! Finding a setup from AWS alone (no saved record): its stack or role, the integration and inputs
//! it was made with, and the external IDs it may keep.

use super::account::*;
use super::lookup::*;
use super::report::*;

use crate::aws::{RoleInfo, Roles, StackInfo, Stacks};
use crate::model::catalog::{Catalog, Integration};
use crate::model::template::ROLE_ARN_OUTPUT;
use crate::model::verify::{self, Subject};
use std::collections::HashSet;

/// Where the setups found in AWS are: the account and the connection's region and profile.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub account: &'a str,
    pub region: Option<&'a str>,
    pub profile: Option<&'a str>,
}

/// The setups this tool made in the account, found in AWS rather than in this machine's saved
/// state (made on another machine, or the state was lost): the region's complete stacks tagged
/// `created-by=segment-aws-setup` with a known integration, and roles with that tag that trust one
/// of Segment's principals and that no stack made. Each comes as a finished setup with the
/// external IDs its role requires (read from its trust policy, so an update keeps them) and, for a
/// stack, the preset and inputs its parameters show. Nothing changes.
pub async fn find_setups(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    place: Place<'_>,
) -> Result<Vec<crate::engine::saving::SavedSetup>, EngineError> {
    let catalog = Catalog::builtin();
    let mut found = Vec::new();
    let mut stack_roles = HashSet::new();
    for info in stacks.list_stacks().await? {
        if let Some(setup) = stack_setup(stacks, roles, &info, place).await? {
            if let Some(arn) = &setup.role_arn {
                stack_roles.insert(role_name_of(arn).to_string());
            }
            found.push(setup);
        }
    }
    for listed in roles.list_roles().await? {
        // ListRoles has no tags: only roles that trust a Segment principal are read further.
        let trusts_segment = catalog
            .integrations()
            .iter()
            .any(|i| crate::model::ownership::names_principal(&listed.trust_policy, &i.principal));
        if !trusts_segment || stack_roles.contains(&listed.name) {
            continue;
        }
        if let Some(role) = roles.get_role(&listed.name).await?
            && let Some(setup) = role_setup(stacks, &role, place).await?
        {
            found.push(setup);
        }
    }
    Ok(found)
}

/// The setup of one stack or role this tool made, read from AWS as `find_setups` reads it: for
/// `update` when nothing is saved on this machine. `None` when there is no such setup.
pub async fn find_setup(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    method: crate::engine::saving::Method,
    name: &str,
    place: Place<'_>,
) -> Result<Option<crate::engine::saving::SavedSetup>, EngineError> {
    match method {
        crate::engine::saving::Method::Cloudformation => match stacks.describe_stack(name).await? {
            Some(info) => stack_setup(stacks, roles, &info, place).await,
            None => Ok(None),
        },
        crate::engine::saving::Method::Iam => match roles.get_role(name).await? {
            Some(role) => role_setup(stacks, &role, place).await,
            None => Ok(None),
        },
    }
}

/// A complete stack this tool made (proven by its template, not only its tag), as a setup.
pub(super) async fn stack_setup(
    stacks: &dyn Stacks,
    roles: &dyn Roles,
    info: &StackInfo,
    place: Place<'_>,
) -> Result<Option<crate::engine::saving::SavedSetup>, EngineError> {
    let complete = matches!(
        info.status.as_str(),
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE"
    );
    let (Some(role_arn), true, true) =
        (info.output(ROLE_ARN_OUTPUT), complete, is_ours(&info.tags))
    else {
        return Ok(None);
    };
    // A tagged stack that isn't ours (someone's team-infra) is not a setup: never offered.
    let integration = match prove_stack(stacks, info).await {
        Ok(integration) => integration,
        Err(EngineError::NotOurs { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let Some(role) = roles.get_role(role_name_of(role_arn)).await? else {
        return Ok(None);
    };
    let mut setup = found_setup(
        integration,
        crate::engine::saving::Method::Cloudformation,
        &role,
        place,
    );
    setup.stack_name = Some(info.name.clone());
    stack_inputs(integration, &info.parameters, &mut setup);
    Ok(Some(setup))
}

/// A role this tool made directly through IAM (tagged, trusting its integration's principal, no
/// stack's), as a setup.
pub(super) async fn role_setup(
    stacks: &dyn Stacks,
    role: &RoleInfo,
    place: Place<'_>,
) -> Result<Option<crate::engine::saving::SavedSetup>, EngineError> {
    let Ok(integration) = prove_role(role) else {
        return Ok(None);
    };
    // A stack's role is changed through its stack, never directly. A role made through IAM says
    // so in a tag; one made before that tag existed must not look like a stack's role (named
    // STACK-LOGICALID-SUFFIX; the stack may be in another region, where this region's
    // CloudFormation can't see it) and no stack here may own it.
    let made_with_iam = tag(&role.tags, crate::model::plan::CREATED_WITH_IAM_TAG.0)
        == Some(crate::model::plan::CREATED_WITH_IAM_TAG.1);
    let named_like_a_stacks = crate::model::template::load(&integration.template)
        .as_ref()
        .and_then(crate::model::template::role_logical_id)
        .is_some_and(|logical| role.name.contains(&format!("-{logical}-")));
    if (!made_with_iam && named_like_a_stacks) || stacks.stack_owning(&role.name).await?.is_some() {
        return Ok(None);
    }
    Ok(Some(found_setup(
        integration,
        crate::engine::saving::Method::Iam,
        role,
        place,
    )))
}

/// The stack a role belongs to, if any: CloudFormation's own tag, else CloudFormation's answer
/// for this region, else, for a role without the direct-IAM tag, its name when it is shaped as
/// one of this tool's stacks names its role (STACK-LOGICALID-SUFFIX): the stack may be in another
/// region, where this region's CloudFormation can't see it.
pub async fn owning_stack(
    stacks: &dyn Stacks,
    role: &RoleInfo,
) -> Result<Option<String>, EngineError> {
    if let Some(stack) = tag(&role.tags, "aws:cloudformation:stack-name") {
        return Ok(Some(stack.to_string()));
    }
    if let Some(stack) = stacks.stack_owning(&role.name).await? {
        return Ok(Some(stack));
    }
    let made_with_iam = tag(&role.tags, crate::model::plan::CREATED_WITH_IAM_TAG.0)
        == Some(crate::model::plan::CREATED_WITH_IAM_TAG.1);
    if made_with_iam {
        return Ok(None);
    }
    Ok(crate::model::template::names()
        .filter_map(crate::model::template::load)
        .filter_map(|t| crate::model::template::role_logical_id(&t).map(str::to_string))
        .find_map(|logical| {
            role.name
                .find(&format!("-{logical}-"))
                .map(|at| role.name[..at].to_string())
        }))
}

pub(super) fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

pub(super) fn found_setup(
    integration: &Integration,
    method: crate::engine::saving::Method,
    role: &RoleInfo,
    place: Place<'_>,
) -> crate::engine::saving::SavedSetup {
    crate::engine::saving::SavedSetup {
        integration: integration.id.clone(),
        method,
        stack_name: None,
        role_name: (method == crate::engine::saving::Method::Iam).then(|| role.name.clone()),
        region: place.region.map(str::to_string),
        profile: place.profile.map(str::to_string),
        account: place.account.to_string(),
        external_ids: keepable_external_ids(integration, role).0,
        settings: Vec::new(),
        policy_name: None,
        permission_policy: None,
        finished: true,
        role_arn: Some(role.arn.clone()),
        saved_at: 0,
        preset: None,
        lambda_arns: Vec::new(),
        stack_set: None,
        pending_external_ids: Vec::new(),
        rotation_started_at: None,
        retiring_external_ids: Vec::new(),
        inputs: Default::default(),
        role_path: None,
        starter_function: None,
    }
}

/// The external IDs a role accepts today (the evaluator's answer: none a Deny revokes, none on a
/// statement not for sts:AssumeRole) that a change may keep, and those it must not, each with
/// why: one anyone can guess (a function's), or one that doesn't look like a Segment ID (a
/// workspace integration's).
pub fn keepable_external_ids(
    integration: &Integration,
    role: &RoleInfo,
) -> (Vec<String>, Vec<(String, String)>) {
    let subject = Subject::new(integration, Vec::new(), &role.arn, now());
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for id in verify::accepted_external_ids(&role.trust_policy, &subject) {
        let problem = if subject.workspace_ids {
            (!crate::model::external_id::looks_like_segment_id(&id))
                .then(|| "it doesn't look like a Segment workspace or source ID".to_string())
        } else {
            crate::model::external_id::guessable(&id)
        };
        match problem {
            Some(why) => dropped.push((id, why)),
            None => kept.push(id),
        }
    }
    (kept, dropped)
}

/// The preset whose template parameters the stack has, and the inputs they hold.
pub(super) fn stack_inputs(
    integration: &Integration,
    parameters: &[(String, String)],
    setup: &mut crate::engine::saving::SavedSetup,
) {
    let value = |name: &str| {
        parameters
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    for offer in &integration.presets {
        let Some(mapping) = &offer.template_parameters else {
            continue;
        };
        if mapping.is_empty() || !mapping.keys().all(|name| value(name).is_some()) {
            continue;
        }
        setup.preset = Some(offer.preset.clone());
        for (name, source) in mapping {
            let text = value(name).unwrap_or_default();
            let values = text
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string);
            match source.input {
                crate::model::catalog::Input::LambdaArns => setup.lambda_arns.extend(values),
                crate::model::catalog::Input::Bucket => {
                    setup.settings.extend(
                        offer
                            .settings
                            .iter()
                            .filter(|spec| {
                                spec.value == crate::model::catalog::SettingValue::Bucket
                            })
                            .map(|spec| crate::model::plan::Setting {
                                label: spec.label.clone(),
                                key: spec.key.clone(),
                                value: Some(text.clone()),
                                sensitive: spec.sensitive,
                                required: spec.required,
                                read_only: spec.read_only,
                                placeholder: spec.placeholder.clone(),
                            }),
                    );
                }
                _ => {}
            }
        }
        return;
    }
}
