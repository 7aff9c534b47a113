//! What the wizard's state implies, without changing it: the plan request and the plan, the
//! StackSet request, the saved setup's offers, the pickers' regions, the caller and context.

use super::state::*;
use crate::aws::Caller;
use crate::engine::saving::{Method, SavedSetup};
use crate::engine::stack_sets::StackSetRequest;
use crate::model::catalog::{Catalog, ExternalIdSource, Integration};
use crate::model::field::Naming;
use crate::model::picker::ResourceKind;
use crate::model::plan::{Plan, PlanRequest, PolicyFile, Setting};
use crate::model::validate::InputError;
use tui_input::Input;

impl App {
    /// What quitting now would lose, as the quit question says it; `None`: nothing, quit at once.
    pub fn quit_loses(&self) -> Option<Vec<String>> {
        if self.run.work == Work::Running {
            let mut lines = vec!["AWS work is running.".to_string()];
            match reattach_command(self) {
                Some(command) => {
                    lines.push("Quitting stops watching; the stack keeps going in AWS.".into());
                    lines.push("Watch it again with:".into());
                    lines.push(command);
                }
                None => lines.push(
                    "Quitting now leaves it unfinished; a re-run offers to resume it.".into(),
                ),
            }
            return Some(lines);
        }
        if self.answered && self.step <= Step::Review {
            return Some(vec![
                "Your answers so far are not saved anywhere.".into(),
                "Nothing has been changed in AWS.".into(),
            ]);
        }
        None
    }

    /// The screen waits for a value the user can't go on without: Enter (and what follows it)
    /// is kept until it arrives, not dropped.
    /// The regions a regional picker may list: the integration's own list, or the account's
    /// region (a KMS key: the bucket's or stream's) first and then the others.
    pub fn picker_regions(&self, kind: ResourceKind) -> Vec<String> {
        let home = if kind == ResourceKind::KmsKeys {
            // A key for the bucket or stream must be in its region: listed there first.
            crate::model::picker::key_region(&self.request())
        } else {
            None
        };
        let home = home
            .or_else(|| self.default_region())
            .unwrap_or_else(|| "us-east-1".to_string());
        crate::model::picker::regions(&self.integration().resource_regions, &home)
    }

    /// The region a picker of this kind lists now ("" for buckets: the whole account).
    pub fn listing_region(&self, kind: ResourceKind) -> String {
        if !kind.is_regional() {
            return String::new();
        }
        let regions = self.picker_regions(kind);
        let index = self
            .permissions
            .pick_region
            .get(&kind)
            .copied()
            .unwrap_or(0);
        regions[index % regions.len()].clone()
    }

    pub fn listing(&self, kind: ResourceKind) -> Option<&Listing> {
        self.permissions
            .listings
            .get(&(kind, self.listing_region(kind)))
    }

    /// The listings the Permissions step needs and doesn't have yet: asked for once each.
    pub fn wanted_listings(&mut self) -> Vec<Cmd> {
        let Some(account) = self.caller().map(|c| c.account.clone()) else {
            return Vec::new();
        };
        if self.welcome.plan_only {
            return Vec::new();
        }
        // A StackSet's targets: the organization's units and accounts, once.
        if self.step == Step::Method && self.method.choice == MethodChoice::StackSet {
            let key = (ResourceKind::OrgTargets, String::new());
            if let std::collections::btree_map::Entry::Vacant(entry) =
                self.permissions.listings.entry(key)
            {
                entry.insert(Listing::Loading);
                return vec![Cmd::ListResources {
                    kind: ResourceKind::OrgTargets,
                    region: String::new(),
                    account,
                }];
            }
            return Vec::new();
        }
        if self.step != Step::Permissions {
            return Vec::new();
        }
        let inputs: Vec<crate::model::catalog::Input> = Catalog::builtin()
            .preset(self.preset_id())
            .map(|p| p.all_inputs().collect())
            .unwrap_or_default();
        let mut commands = Vec::new();
        for kind in inputs.into_iter().filter_map(ResourceKind::of) {
            let region = self.listing_region(kind);
            let key = (kind, region.clone());
            if let std::collections::btree_map::Entry::Vacant(entry) =
                self.permissions.listings.entry(key)
            {
                entry.insert(Listing::Loading);
                commands.push(Cmd::ListResources {
                    kind,
                    region,
                    account: account.clone(),
                });
            }
        }
        commands
    }

    pub fn integration(&self) -> &'static Integration {
        let all = Catalog::builtin().integrations();
        &all[self.integration.min(all.len() - 1)]
    }

    pub fn uses_workspace_id(&self) -> bool {
        self.integration().external_id.source == ExternalIdSource::WorkspaceId
    }

    pub fn preset_id(&self) -> &'static str {
        let offers = &self.integration().presets;
        offers[self.permissions.preset.min(offers.len() - 1)]
            .preset
            .as_str()
    }

    /// The external ID as it may be shown: masked in presenter mode until revealed.
    pub fn shown_secret(&self, value: &str) -> String {
        if self.presenter && !self.revealed {
            crate::model::external_id::masked(value)
        } else {
            value.to_string()
        }
    }

    pub fn request(&self) -> PlanRequest {
        let list = |input: &Input| -> Vec<String> {
            input
                .value()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let preset = Catalog::builtin().preset(self.preset_id());
        let uses = |input: crate::model::catalog::Input| {
            preset.is_some_and(|p| p.all_inputs().any(|i| i == input))
        };
        let id = self.external.value.value().trim().to_string();
        PlanRequest {
            integration: self.integration().id.clone(),
            external_ids: if self.uses_workspace_id() {
                vec![]
            } else {
                vec![id]
            },
            workspace_ids: if self.uses_workspace_id() {
                list(&self.external.value)
            } else {
                vec![]
            },
            source_ids: Vec::new(),
            bucket: uses(crate::model::catalog::Input::Bucket)
                .then(|| self.permissions.bucket.value().trim().to_string()),
            // Left empty, the bucket's region is the account's (as plain mode's default).
            bucket_region: uses(crate::model::catalog::Input::BucketRegion).then(|| {
                non_empty(&self.permissions.bucket_region)
                    .or_else(|| self.default_bucket_region())
                    .unwrap_or_default()
            }),
            lambda_arns: if uses(crate::model::catalog::Input::LambdaArns) {
                list(&self.permissions.lambda_arns)
            } else {
                vec![]
            },
            policy_file: if uses(crate::model::catalog::Input::PolicyFile) {
                match &self.permissions.policy_file {
                    Some(Ok(file)) if file.path == self.permissions.policy_path.value().trim() => {
                        Some(file.clone())
                    }
                    _ => Some(PolicyFile {
                        path: self.permissions.policy_path.value().trim().to_string(),
                        text: String::new(),
                    }),
                }
            } else {
                None
            },
            // Until the Method step fills them, stand-ins that are valid and not random.
            role_name: Some(
                non_empty(&self.method.role_name).unwrap_or_else(|| {
                    crate::model::plan::default_role_name(&self.integration().id)
                }),
            ),
            stack_name: Some(
                non_empty(&self.method.stack_name)
                    .unwrap_or_else(|| format!("segment-{}", self.integration().id)),
            ),
            existing_role: self.method.choice == MethodChoice::Existing,
            generated_external_id: self.external.generated && !self.uses_workspace_id(),
            other_inputs: self
                .permissions
                .more_inputs
                .iter()
                .filter(|(input, _)| uses(**input))
                .map(|(input, field)| (*input, list(field)))
                .collect(),
            account: self.caller().map(|c| c.account.clone()),
            role_path: None,
            next_external_ids: Vec::new(),
            starter_function: self.permissions.starter_function
                && self
                    .integration()
                    .offer(self.preset_id())
                    .is_some_and(|offer| offer.starter_function.is_some()),
            region: self.default_region(),
            starter_name: None,
        }
    }

    /// The plan the inputs describe, or the first thing wrong with them.
    pub fn plan(&self) -> Result<Plan, InputError> {
        if let (Some(Err(error)), "custom") = (&self.permissions.policy_file, self.preset_id()) {
            return Err(InputError::new("policy file", error.clone()));
        }
        Plan::build(Catalog::builtin(), &self.request())
    }

    /// Where a StackSet goes: the targets typed, this region (a role is global), the stack name
    /// field as its name.
    pub fn stack_set_request(&self) -> Result<StackSetRequest, String> {
        let targets = crate::model::stackset::parse_targets(
            self.method.targets.value(),
            self.method.auto_deploy,
        )
        .map_err(|e| e.words(Naming::Labels))?;
        let name = self.method.stack_name.value().trim().to_string();
        crate::model::validate::stack_name(&name).map_err(|e| e.words(Naming::Labels))?;
        Ok(StackSetRequest {
            name,
            targets,
            regions: vec![self.default_region().unwrap_or_else(|| "us-east-1".into())],
            preferences: crate::model::stackset::Preferences::default(),
        })
    }

    /// The method as the engine knows it, for what is saved.
    pub fn saved_method(&self) -> Method {
        if matches!(
            self.method.choice,
            MethodChoice::Cloudformation | MethodChoice::StackSet
        ) {
            Method::Cloudformation
        } else {
            Method::Iam
        }
    }

    /// The settings to paste into Segment: from the inputs, or from the resumed setup.
    pub fn settings(&self) -> Option<Vec<Setting>> {
        match (self.plan(), &self.welcome.resumed) {
            (Ok(plan), _) => Some(plan.settings(self.run.role_arn.as_deref())),
            (Err(_), Some(saved)) => {
                Some(saved.settings_with(self.run.role_arn.as_deref().unwrap_or_default()))
            }
            (Err(_), None) => None,
        }
    }

    /// The saved setups sorted by account once the account is known.
    pub fn offers(&self) -> crate::engine::resume::Offers {
        match self.caller() {
            Some(caller) => crate::engine::resume::offers(&self.welcome.saved, &caller.account),
            None => crate::engine::resume::Offers::default(),
        }
    }

    /// The setups of this account that may be changed (`update`).
    pub fn changeable(&self) -> Vec<crate::engine::resume::Changeable> {
        match &self.welcome.identity {
            IdentityState::Ready { caller, region } => {
                let saved: Vec<SavedSetup> = self
                    .welcome
                    .finished
                    .iter()
                    .chain(&self.welcome.saved)
                    .cloned()
                    .collect();
                crate::engine::resume::changeable(
                    &saved,
                    &self.welcome.found,
                    &caller.account,
                    region,
                )
            }
            _ => Vec::new(),
        }
    }

    /// The unfinished setup offered for resuming: the newest of this account's.
    pub fn resume_offer(&self) -> Option<SavedSetup> {
        self.offers().here.into_iter().next()
    }

    /// The bucket region taken when its field is left empty: where AWS says the bucket is when
    /// the account's listing has it, else the connected region.
    pub fn default_bucket_region(&self) -> Option<String> {
        self.detected_bucket_region()
            .or_else(|| self.default_region())
    }

    /// The bucket's region as the account's listing of buckets says it.
    pub fn detected_bucket_region(&self) -> Option<String> {
        match self.listing(ResourceKind::Buckets) {
            Some(Listing::Ready(buckets)) => {
                crate::model::picker::bucket_region(buckets, self.permissions.bucket.value())
                    .map(str::to_string)
            }
            _ => None,
        }
    }

    /// The connected region.
    pub fn default_region(&self) -> Option<String> {
        match &self.welcome.identity {
            IdentityState::Ready { region, .. } => Some(region.clone()),
            _ => None,
        }
    }

    /// Who and where: printed commands carry the region and profile.
    pub fn context(&self) -> crate::engine::Context {
        let region = match &self.welcome.identity {
            IdentityState::Ready { region, .. } => Some(region.clone()),
            _ => non_empty(&self.welcome.region),
        };
        crate::engine::Context {
            caller: self.caller().cloned(),
            region,
            profile: non_empty(&self.welcome.profile),
        }
    }

    pub fn caller(&self) -> Option<&Caller> {
        match &self.welcome.identity {
            IdentityState::Ready { caller, .. } => Some(caller),
            _ => None,
        }
    }
}

/// While a stack is being made: the command that re-attaches to it, with the stack's own region
/// (and profile), so it works as printed.
pub fn reattach_command(app: &App) -> Option<String> {
    let flag = match app.method.choice {
        MethodChoice::Cloudformation => "--stack-name",
        MethodChoice::StackSet => "--stack-set",
        _ => return None,
    };
    if app.run.work != Work::Running {
        return None;
    }
    let stack = app.method.stack_name.value().trim();
    Some(format!(
        "segment-aws-setup watch {flag} {stack}{}",
        app.context().flags()
    ))
}
