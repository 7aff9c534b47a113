//! The wizard's state, the messages that change it and the commands it asks for: the Elm
//! architecture. `update` changes state and returns commands; it does no I/O, draws nothing and
//! draws no random numbers (generating an ID is a command too).

use super::screens;
use crate::aws::Caller;
use crate::engine::Progress;
use crate::engine::saving::{Method, SavedSetup};
use crate::engine::stack_sets::StackSetRequest;
use crate::model::catalog::{Catalog, ExternalIdSource, Integration};
use crate::model::picker::{Resource, ResourceKind};
use crate::model::plan::{Plan, PlanRequest, PolicyFile, Setting};
use crate::model::stackset::InstanceRow;
use crate::model::validate::InputError;
use crate::model::verify::{Fix, Verification};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use std::time::Duration;
use tui_input::Input;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// The eight steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Welcome,
    Integration,
    ExternalId,
    Permissions,
    Method,
    Review,
    Progress,
    Done,
}

impl Step {
    pub const COUNT: usize = 8;

    pub fn number(self) -> usize {
        self as usize + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Welcome => "Welcome",
            Step::Integration => "Integration",
            Step::ExternalId => "External ID",
            Step::Permissions => "Permissions",
            Step::Method => "Method",
            Step::Review => "Review",
            Step::Progress => "Progress",
            Step::Done => "Done",
        }
    }

    pub fn previous(self) -> Step {
        match self {
            Step::Welcome | Step::Integration => Step::Welcome,
            Step::ExternalId => Step::Integration,
            Step::Permissions => Step::ExternalId,
            Step::Method => Step::Permissions,
            Step::Review | Step::Progress => Step::Method,
            Step::Done => Step::Done,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityState {
    Loading,
    Ready { caller: Caller, region: String },
    Missing(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodChoice {
    Cloudformation,
    Iam,
    Existing,
    /// Several accounts: a StackSet.
    StackSet,
}

impl MethodChoice {
    pub const ALL: [MethodChoice; 4] = [
        MethodChoice::Cloudformation,
        MethodChoice::Iam,
        MethodChoice::Existing,
        MethodChoice::StackSet,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolesState {
    NotLoaded,
    Loading,
    Loaded(Vec<(String, String)>),
    Failed(String),
}

/// A picker's list: asked for, arrived, or why there is none (the user types instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    Loading,
    Ready(Vec<crate::model::picker::Resource>),
    Unavailable(String),
}

/// A field the user types into: its error shows once it was edited or Enter was pressed on its
/// step, never on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    ExternalId,
    Bucket,
    BucketRegion,
    LambdaArns,
    PolicyFile,
    /// A preset's other inputs (a path prefix, a KMS key, streams).
    Other(crate::model::catalog::Input),
    Name,
}

/// A row of the progress table: one resource, its newest status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRow {
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
    pub elapsed: Duration,
}

/// Why the work failed, for the progress screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub reasons: Vec<String>,
    /// The stack exists in ROLLBACK_COMPLETE or failed: deleting it and retrying is offered.
    pub stack_left: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    Idle,
    Running,
    Failed(Failure),
    /// An existing role was read: the report, and the repair waiting for confirmation.
    Verified(Box<Verification>),
    /// An update was worked out (a change set, or the documents' diff): applied only with Enter.
    Previewed(Box<crate::engine::update::Prepared>),
    /// The external ID saved here and the IDs the role accepts differ (each line says how):
    /// `y` keeps what the role accepts, Esc goes back.
    IdsDiffer(Vec<String>),
    Done,
}

/// What an existing role is checked against; kept so a repair is checked again the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleCheck {
    pub role: String,
    pub integration: String,
    pub external_ids: Vec<String>,
    /// A rotation is under way: the role accepts the new ID beside the old.
    pub rotating: bool,
    pub permission: Option<(String, Value)>,
}

/// Everything the wizard knows.
pub struct App {
    pub step: Step,
    pub width: u16,
    pub height: u16,
    pub presenter: bool,
    pub revealed: bool,
    /// Colours with meaning (success, failure, warning, the current step): off with
    /// `NO_COLOR`, `--no-color` or a dumb terminal.
    pub color: bool,
    pub help_open: bool,
    pub confirm_quit: bool,
    pub quit: bool,
    /// A line to print after the terminal is restored (never a secret).
    pub farewell: Option<String>,
    pub demo: bool,
    pub spinner: usize,

    pub identity: IdentityState,
    pub profile: Input,
    pub region: Input,
    /// 0: continue, 1: profile, 2: region.
    pub welcome_focus: usize,
    pub plan_only: bool,
    /// Unfinished setups from the state directory; only the current account's is offered.
    pub saved: Vec<SavedSetup>,
    /// Finished setups from the state directory: this account's may be changed.
    pub finished: Vec<SavedSetup>,
    /// Setups this tool made that were found in AWS (stacks and roles with its tag), and why the
    /// search failed if it did.
    pub found: Vec<SavedSetup>,
    pub found_problem: Option<String>,
    /// State files that couldn't be read, a sentence each with its path.
    pub state_problems: Vec<String>,
    /// The saved setup being resumed: its settings stand in for the inputs it doesn't record.
    pub resumed: Option<SavedSetup>,

    pub integration: usize,

    pub external_id: Input,
    pub editing_external_id: bool,
    pub generated_external_id: bool,

    pub preset: usize,
    /// 0: the preset list; 1 and more: the preset's inputs.
    pub permission_focus: usize,
    pub bucket: Input,
    pub bucket_region: Input,
    pub lambda_arns: Input,
    pub policy_path: Input,
    pub policy_file: Option<Result<PolicyFile, String>>,
    /// The fields of the presets' other inputs (a path prefix, a KMS key, streams, a cluster).
    pub more_inputs: std::collections::BTreeMap<crate::model::catalog::Input, Input>,

    pub method: MethodChoice,
    /// 0: the method list; 1: the name field; 2: a StackSet's targets.
    pub method_focus: usize,
    pub stack_name: Input,
    pub role_name: Input,
    pub existing_role: Input,
    /// A StackSet's accounts or organizational units, as typed.
    pub targets: Input,
    /// With units: accounts added to them later get the role too (Ctrl-A on the targets).
    pub auto_deploy: bool,
    /// A StackSet's instances as the watcher last reported them.
    pub instances: Vec<InstanceRow>,
    pub roles: RolesState,
    pub role_pick: usize,

    pub scroll: u16,
    pub work: Work,
    pub resources: Vec<ResourceRow>,
    pub notes: Vec<String>,
    pub reconnecting: bool,
    pub role_arn: Option<String>,
    pub clipboard_note: Option<String>,
    pub saved_to: Option<String>,
    /// The role being checked, and how.
    pub checking: Option<RoleCheck>,
    /// Deny statements the user confirmed removing, one by one.
    pub confirmed_denies: Vec<usize>,
    /// The proven fix for the verified role, or why there is none.
    pub fix: Option<Result<Fix, Vec<String>>>,
    /// The broad custom permission policy the user accepted with `y` on Review.
    pub broad_accepted: Option<Value>,
    /// A secret copied and not yet cleared: cleared when the wizard ends.
    pub secret_on_clipboard: Option<String>,
    /// The user edited the stack name: a generated one arriving late is not put in.
    pub stack_name_edited: bool,
    /// A generated stack and role name was asked for and hasn't arrived: an Enter on Method waits
    /// for it (it is checked against it).
    pub generating_name: bool,
    /// Changing a setup this tool made (chosen on Welcome): its saved record.
    pub updating: Option<SavedSetup>,
    /// The setup being changed was found in AWS, not saved on this machine.
    pub updating_found: bool,
    /// The change last asked for, asked again when the user settles a difference of IDs.
    pub asked: Option<Box<crate::engine::update::Asked>>,
    /// What the change does to the external ID (the External ID step's choice when updating).
    pub id_change: crate::engine::update::IdChange,
    /// The change applied, for the Done screen (its plan holds a rotation's new ID).
    pub applied: Option<Box<crate::engine::update::Prepared>>,
    /// On Welcome, the list of setups to change is open, at this row.
    pub update_pick: Option<usize>,
    /// Keys typed ahead while the screen waits for a value (the account, a generated ID): they
    /// act, in order, as soon as it arrives.
    pub pending_keys: Vec<KeyEvent>,
    /// The generated external ID set aside while the user types their own: Esc brings it back.
    pub generated_before_edit: Option<String>,
    /// The external ID field holds a workspace ID (typed for the Lambda destination), not a
    /// function's external ID: a change of integration to the other kind empties it.
    pub external_id_is_workspace: bool,
    /// The user has gone past choosing the integration: quitting before the work starts loses
    /// their answers, so it asks.
    pub answered: bool,
    /// The fields whose errors may show.
    pub touched: std::collections::BTreeSet<Field>,
    /// A repair was applied that refuses Segment until its setting holds the ID: said on Done.
    pub repair_warning: Option<String>,
    /// Without credentials the user chose the demo account: the wizard starts again on it.
    pub switch_to_demo: bool,
    /// What the pickers listed, by kind and region (buckets: the whole account, region "").
    pub listings: std::collections::BTreeMap<(ResourceKind, String), Listing>,
    /// The row of the focused field's picker moved to with ↑↓ (none until then).
    pub pick_row: Option<usize>,
    /// The region a regional picker lists, as an index into `picker_regions()`.
    pub pick_region: std::collections::BTreeMap<ResourceKind, usize>,
}

/// What happened: a key, a resize, the clock, or a command's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    Tick,
    /// SIGTERM, SIGHUP: leave now, restoring the terminal.
    Terminate,
    Identity(Result<(Caller, String), String>),
    ExternalIdGenerated(String),
    StackNameGenerated(String),
    PolicyFileRead {
        path: String,
        result: Result<String, String>,
    },
    RolesListed(Result<Vec<(String, String)>, String>),
    ResourcesListed {
        kind: ResourceKind,
        region: String,
        result: Result<Vec<Resource>, String>,
    },
    /// The setups this tool made, found in the account.
    SetupsFound(Result<Vec<SavedSetup>, String>),
    Progress(Progress),
    Created(Result<String, Failure>),
    /// A StackSet's instances at the end of a create or retry.
    StackSetDone(Result<Vec<InstanceRow>, Failure>),
    Verified(Result<Box<Verification>, String>),
    UpdatePreviewed(Result<Box<crate::engine::update::Prepared>, String>),
    /// The change can't be prepared until the user says which ID to keep.
    IdsDiffer(Vec<String>),
    Repaired(Result<(), String>),
    StackDeleted(Result<(), String>),
    /// A copy's result: what was copied ("role ARN"), whether it was a secret, whether the
    /// clipboard is the user's own machine's (through the terminal), and where it went.
    Copied {
        what: String,
        secret: bool,
        remote: bool,
        result: Result<String, String>,
    },
    /// The clear-after delay of a copied secret ran out.
    ClipboardTimer(String),
    ClipboardCleared,
    /// An empty clipboard was sent through the terminal (OSC 52): it can't be confirmed.
    ClipboardClearSent,
    /// The moment the finished Progress screen stays is over: on to Done.
    ShowDone,
}

/// Work for the runtime: each runs as a task and answers with messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    LoadIdentity {
        profile: Option<String>,
        region: Option<String>,
    },
    GenerateExternalId,
    GenerateStackName {
        integration: String,
    },
    ReadPolicyFile(String),
    ListRoles,
    /// Lists what a picker offers (once per kind and region).
    ListResources {
        kind: ResourceKind,
        region: String,
        account: String,
    },
    /// Looks for the setups this tool made in the connected account (for "update").
    FindSetups {
        profile: Option<String>,
    },
    /// Saves the setup, then creates the StackSet and its instances, watched.
    CreateStackSet {
        plan: Box<Plan>,
        saved: Box<SavedSetup>,
        request: Box<StackSetRequest>,
    },
    /// Runs a StackSet's failed instances again, watched.
    RetryStackSet {
        name: String,
        org_units: Vec<String>,
        /// Finished once every instance succeeds.
        saved: Box<SavedSetup>,
        role_name: String,
    },
    /// Saves the setup, then creates: nothing changes in AWS before the save.
    CreateStack {
        plan: Box<Plan>,
        saved: Box<SavedSetup>,
    },
    CreateRole {
        plan: Box<Plan>,
        saved: Box<SavedSetup>,
    },
    /// Resumes a saved setup in its own profile and region: re-attach to its stack, or read and
    /// judge its role (changed only after the Progress screen asks).
    Resume(Box<SavedSetup>),
    /// Works out a change of the setup being changed (the engine's `update::prepare`);
    /// nothing changes yet.
    PrepareUpdate(Box<crate::engine::update::Asked>),
    /// Applies the previewed change with its records (saved before and after).
    ApplyUpdate(Box<crate::engine::update::Prepared>),
    /// Drops a previewed update (its change set is deleted).
    DiscardUpdate(Box<crate::engine::UpdatePreview>),
    /// Marks a resumed setup finished with its role.
    FinishSaved {
        saved: Box<SavedSetup>,
        role_arn: String,
    },
    DeleteStack(String),
    VerifyRole(RoleCheck),
    /// Applies a fix the Progress screen showed and the user confirmed.
    ApplyFix {
        role: String,
        fix: Box<Fix>,
    },
    Copy {
        /// What it is, for the sentence that says it was copied ("role ARN").
        what: &'static str,
        text: String,
        secret: bool,
    },
    /// Clears the clipboard if it still holds this text.
    ClearClipboard {
        text: String,
    },
    /// Sends `ShowDone` after a moment.
    ShowDoneSoon,
    Quit,
}

impl App {
    pub fn new(width: u16, height: u16) -> App {
        App {
            step: Step::Welcome,
            width,
            height,
            presenter: false,
            revealed: false,
            color: false,
            help_open: false,
            confirm_quit: false,
            quit: false,
            farewell: None,
            demo: false,
            spinner: 0,
            identity: IdentityState::Loading,
            profile: Input::default(),
            region: Input::default(),
            welcome_focus: 0,
            plan_only: false,
            saved: Vec::new(),
            finished: Vec::new(),
            found: Vec::new(),
            found_problem: None,
            state_problems: Vec::new(),
            resumed: None,
            integration: 0,
            external_id: Input::default(),
            editing_external_id: false,
            generated_external_id: false,
            preset: 0,
            permission_focus: 0,
            bucket: Input::default(),
            bucket_region: Input::default(),
            lambda_arns: Input::default(),
            policy_path: Input::default(),
            policy_file: None,
            more_inputs: std::collections::BTreeMap::new(),
            method: MethodChoice::Cloudformation,
            method_focus: 0,
            targets: Input::default(),
            auto_deploy: false,
            instances: Vec::new(),
            stack_name: Input::default(),
            role_name: Input::default(),
            existing_role: Input::default(),
            roles: RolesState::NotLoaded,
            role_pick: 0,
            scroll: 0,
            work: Work::Idle,
            resources: Vec::new(),
            notes: Vec::new(),
            reconnecting: false,
            role_arn: None,
            clipboard_note: None,
            saved_to: None,
            checking: None,
            confirmed_denies: Vec::new(),
            fix: None,
            broad_accepted: None,
            secret_on_clipboard: None,
            generating_name: false,
            stack_name_edited: false,
            updating: None,
            id_change: crate::engine::update::IdChange::Keep,
            applied: None,
            updating_found: false,
            asked: None,
            update_pick: None,
            pending_keys: Vec::new(),
            generated_before_edit: None,
            external_id_is_workspace: false,
            answered: false,
            touched: std::collections::BTreeSet::new(),
            repair_warning: None,
            switch_to_demo: false,
            listings: std::collections::BTreeMap::new(),
            pick_row: None,
            pick_region: std::collections::BTreeMap::new(),
        }
    }

    pub fn touched(&self, field: Field) -> bool {
        self.touched.contains(&field)
    }

    /// What quitting now would lose, as the quit question says it; `None`: nothing, quit at once.
    pub fn quit_loses(&self) -> Option<Vec<String>> {
        if self.work == Work::Running {
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
    pub fn waiting_for_value(&self) -> bool {
        match self.step {
            Step::Welcome => {
                self.identity == IdentityState::Loading
                    && self.welcome_focus == 0
                    && self.update_pick.is_none()
            }
            Step::ExternalId => {
                !self.uses_workspace_id()
                    && !self.editing_external_id
                    && self.external_id.value().is_empty()
            }
            // The generated name is coming, or the account's roles are being read: the name is
            // checked against them first.
            Step::Method => {
                self.generating_name
                    || (matches!(self.method, MethodChoice::Iam | MethodChoice::Existing)
                        && self.roles == RolesState::Loading)
            }
            _ => false,
        }
    }

    /// The commands to run at start: who the credentials belong to, a fresh external ID.
    pub fn start(&mut self) -> Vec<Cmd> {
        vec![
            Cmd::LoadIdentity {
                profile: non_empty(&self.profile),
                region: non_empty(&self.region),
            },
            Cmd::GenerateExternalId,
        ]
    }

    pub fn too_small(&self) -> bool {
        self.width < MIN_WIDTH || self.height < MIN_HEIGHT
    }

    /// AWS work is running: the clock ticks for the spinner, and quitting asks first.
    pub fn is_working(&self) -> bool {
        self.work == Work::Running
            || matches!(self.identity, IdentityState::Loading)
            || (self.step == Step::Permissions
                && self.listings.values().any(|l| *l == Listing::Loading))
    }

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
        let index = self.pick_region.get(&kind).copied().unwrap_or(0);
        regions[index % regions.len()].clone()
    }

    pub fn listing(&self, kind: ResourceKind) -> Option<&Listing> {
        self.listings.get(&(kind, self.listing_region(kind)))
    }

    /// The listings the Permissions step needs and doesn't have yet: asked for once each.
    pub fn wanted_listings(&mut self) -> Vec<Cmd> {
        let Some(account) = self.caller().map(|c| c.account.clone()) else {
            return Vec::new();
        };
        if self.plan_only {
            return Vec::new();
        }
        // A StackSet's targets: the organization's units and accounts, once.
        if self.step == Step::Method && self.method == MethodChoice::StackSet {
            let key = (ResourceKind::OrgTargets, String::new());
            if let std::collections::btree_map::Entry::Vacant(entry) = self.listings.entry(key) {
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
            if let std::collections::btree_map::Entry::Vacant(entry) = self.listings.entry(key) {
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
        offers[self.preset.min(offers.len() - 1)].preset.as_str()
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
        let id = self.external_id.value().trim().to_string();
        PlanRequest {
            integration: self.integration().id.clone(),
            external_ids: if self.uses_workspace_id() {
                vec![]
            } else {
                vec![id]
            },
            workspace_ids: if self.uses_workspace_id() {
                list(&self.external_id)
            } else {
                vec![]
            },
            source_ids: Vec::new(),
            bucket: uses(crate::model::catalog::Input::Bucket)
                .then(|| self.bucket.value().trim().to_string()),
            // Left empty, the bucket's region is the account's (as plain mode's default).
            bucket_region: uses(crate::model::catalog::Input::BucketRegion).then(|| {
                non_empty(&self.bucket_region)
                    .or_else(|| self.default_bucket_region())
                    .unwrap_or_default()
            }),
            lambda_arns: if uses(crate::model::catalog::Input::LambdaArns) {
                list(&self.lambda_arns)
            } else {
                vec![]
            },
            policy_file: if uses(crate::model::catalog::Input::PolicyFile) {
                match &self.policy_file {
                    Some(Ok(file)) if file.path == self.policy_path.value().trim() => {
                        Some(file.clone())
                    }
                    _ => Some(PolicyFile {
                        path: self.policy_path.value().trim().to_string(),
                        text: String::new(),
                    }),
                }
            } else {
                None
            },
            // Until the Method step fills them, stand-ins that are valid and not random.
            role_name: Some(
                non_empty(&self.role_name).unwrap_or_else(|| {
                    crate::model::plan::default_role_name(&self.integration().id)
                }),
            ),
            stack_name: Some(
                non_empty(&self.stack_name)
                    .unwrap_or_else(|| format!("segment-{}", self.integration().id)),
            ),
            existing_role: self.method == MethodChoice::Existing,
            generated_external_id: self.generated_external_id && !self.uses_workspace_id(),
            other_inputs: self
                .more_inputs
                .iter()
                .filter(|(input, _)| uses(**input))
                .map(|(input, field)| (*input, list(field)))
                .collect(),
            account: self.caller().map(|c| c.account.clone()),
            role_path: None,
            next_external_ids: Vec::new(),
        }
    }

    /// The plan the inputs describe, or the first thing wrong with them.
    pub fn plan(&self) -> Result<Plan, InputError> {
        if let (Some(Err(error)), "custom") = (&self.policy_file, self.preset_id()) {
            return Err(InputError::new("policy file", error.clone()));
        }
        Plan::build(Catalog::builtin(), &self.request())
    }

    /// Where a StackSet goes: the targets typed, this region (a role is global), the stack name
    /// field as its name.
    pub fn stack_set_request(&self) -> Result<StackSetRequest, String> {
        let targets = crate::model::stackset::parse_targets(self.targets.value(), self.auto_deploy)
            .map_err(|e| e.0)?;
        let name = self.stack_name.value().trim().to_string();
        crate::model::validate::stack_name(&name).map_err(|e| e.0)?;
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
            self.method,
            MethodChoice::Cloudformation | MethodChoice::StackSet
        ) {
            Method::Cloudformation
        } else {
            Method::Iam
        }
    }

    /// The settings to paste into Segment: from the inputs, or from the resumed setup.
    pub fn settings(&self) -> Option<Vec<Setting>> {
        match (self.plan(), &self.resumed) {
            (Ok(plan), _) => Some(plan.settings(self.role_arn.as_deref())),
            (Err(_), Some(saved)) => {
                Some(saved.settings_with(self.role_arn.as_deref().unwrap_or_default()))
            }
            (Err(_), None) => None,
        }
    }

    /// The saved setups sorted by account once the account is known.
    pub fn offers(&self) -> crate::engine::resume::Offers {
        match self.caller() {
            Some(caller) => crate::engine::resume::offers(&self.saved, &caller.account),
            None => crate::engine::resume::Offers::default(),
        }
    }

    /// The setups of this account that may be changed (`update`).
    pub fn changeable(&self) -> Vec<crate::engine::resume::Changeable> {
        match &self.identity {
            IdentityState::Ready { caller, region } => {
                let saved: Vec<SavedSetup> =
                    self.finished.iter().chain(&self.saved).cloned().collect();
                crate::engine::resume::changeable(&saved, &self.found, &caller.account, region)
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
                crate::model::picker::bucket_region(buckets, self.bucket.value())
                    .map(str::to_string)
            }
            _ => None,
        }
    }

    /// The connected region.
    pub fn default_region(&self) -> Option<String> {
        match &self.identity {
            IdentityState::Ready { region, .. } => Some(region.clone()),
            _ => None,
        }
    }

    /// Who and where: printed commands carry the region and profile.
    pub fn context(&self) -> crate::engine::Context {
        let region = match &self.identity {
            IdentityState::Ready { region, .. } => Some(region.clone()),
            _ => non_empty(&self.region),
        };
        crate::engine::Context {
            caller: self.caller().cloned(),
            region,
            profile: non_empty(&self.profile),
        }
    }

    pub fn caller(&self) -> Option<&Caller> {
        match &self.identity {
            IdentityState::Ready { caller, .. } => Some(caller),
            _ => None,
        }
    }
}

/// A message from the core in the wizard's words: its fields as the screens label them, never
/// the command line's flags.
pub fn wizard_words(message: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("--bucket-region", "the bucket region"),
        ("--bucket", "the S3 bucket"),
        ("--lambda-arn", "the Lambda ARN(s)"),
        ("--policy-file", "a policy file"),
        ("--external-id", "your own external ID"),
        ("--workspace-id", "the workspace ID"),
        ("--source-id", "a source ID"),
        ("--role-name", "the role name"),
        ("--stack-name", "the stack name"),
        ("--integration", "the integration"),
    ];
    WORDS
        .iter()
        .fold(message.to_string(), |text, (flag, words)| {
            text.replace(flag, words)
        })
}

pub fn non_empty(input: &Input) -> Option<String> {
    let value = input.value().trim();
    (!value.is_empty()).then(|| value.to_string())
}

pub fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// Changes the state for one message; returns the commands it needs run.
pub fn update(app: &mut App, msg: Msg) -> Vec<Cmd> {
    let mut commands = update_for(app, msg);
    // Arriving on Permissions, another preset or another region: the pickers' lists, once each.
    commands.extend(app.wanted_listings());
    commands
}

fn update_for(app: &mut App, msg: Msg) -> Vec<Cmd> {
    match msg {
        Msg::Resize(width, height) => {
            app.width = width;
            app.height = height;
            Vec::new()
        }
        Msg::Tick => {
            app.spinner = app.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Terminate => leave(app),
        Msg::Key(key) => on_key(app, key),
        Msg::Identity(result) => {
            app.found.clear();
            app.found_problem = None;
            let mut commands = match result {
                Ok((caller, region)) => {
                    app.identity = IdentityState::Ready { caller, region };
                    vec![Cmd::FindSetups {
                        profile: non_empty(&app.profile),
                    }]
                }
                Err(message) => {
                    app.identity = IdentityState::Missing(message);
                    Vec::new()
                }
            };
            commands.extend(replay_pending_keys(app));
            commands
        }
        Msg::SetupsFound(result) => {
            match result {
                Ok(found) => app.found = found,
                Err(message) => app.found_problem = Some(message),
            }
            Vec::new()
        }
        // A generated value arrives a moment later: it never replaces what the user typed meanwhile.
        Msg::ExternalIdGenerated(id) if app.updating.is_some() => {
            // Changing a setup, a generated ID is a rotation's new one: the saved ID stays.
            if !app.uses_workspace_id() {
                app.id_change = crate::engine::update::IdChange::Rotate(id);
            }
            replay_pending_keys(app)
        }
        Msg::ExternalIdGenerated(id) => {
            if !app.uses_workspace_id() && !app.editing_external_id {
                app.external_id = Input::new(id);
                app.generated_external_id = true;
                app.external_id_is_workspace = false;
            }
            replay_pending_keys(app)
        }
        Msg::StackNameGenerated(name) => {
            app.generating_name = false;
            if app.role_name.value().is_empty() {
                app.role_name = Input::new(name.clone());
            }
            if app.stack_name.value().is_empty() && !app.stack_name_edited {
                app.stack_name = Input::new(name);
            }
            replay_pending_keys(app)
        }
        Msg::PolicyFileRead { path, result } => {
            app.policy_file = Some(result.map(|text| PolicyFile { path, text }));
            Vec::new()
        }
        Msg::ResourcesListed {
            kind,
            region,
            result,
        } => {
            let listing = match result {
                Ok(found) => Listing::Ready(found),
                Err(message) => Listing::Unavailable(message),
            };
            app.listings.insert((kind, region), listing);
            app.pick_row = None;
            Vec::new()
        }
        Msg::RolesListed(result) => {
            app.roles = match result {
                Ok(roles) => RolesState::Loaded(roles),
                Err(message) => RolesState::Failed(message),
            };
            replay_pending_keys(app)
        }
        msg @ (Msg::Progress(_)
        | Msg::Created(_)
        | Msg::StackSetDone(_)
        | Msg::Verified(_)
        | Msg::UpdatePreviewed(_)
        | Msg::IdsDiffer(_)
        | Msg::Repaired(_)
        | Msg::StackDeleted(_)) => screens::progress::on_message(app, msg),
        Msg::Copied {
            what,
            secret,
            remote,
            result,
        } => {
            app.clipboard_note = Some(match result {
                Ok(route) if secret && remote => format!(
                    "{what} {route}. It can't be cleared from here for sure: an empty clipboard is sent later, but clear it on your machine if your terminal ignores that"
                ),
                Ok(route) => format!("{what} {route}"),
                Err(error) => format!("Copying the {what} failed ({error}); it is on screen"),
            });
            Vec::new()
        }
        Msg::ClipboardTimer(text) => vec![Cmd::ClearClipboard { text }],
        Msg::ShowDone => {
            if app.step == Step::Progress && app.work == Work::Done {
                go(app, Step::Done);
            }
            Vec::new()
        }
        Msg::ClipboardCleared => {
            app.clipboard_note = Some("The external ID was cleared from the clipboard".into());
            app.secret_on_clipboard = None;
            Vec::new()
        }
        Msg::ClipboardClearSent => {
            app.clipboard_note = Some(
                "An empty clipboard was sent to your terminal (OSC 52); it can't confirm it was cleared"
                    .into(),
            );
            app.secret_on_clipboard = None;
            Vec::new()
        }
    }
}

/// Quitting: while a stack is being made the stack keeps going, so say how to re-attach, with
/// the stack's own region (and profile) so the command works as printed. A secret still on the
/// clipboard is cleared first.
fn leave(app: &mut App) -> Vec<Cmd> {
    app.quit = true;
    let mut commands = Vec::new();
    // A change previewed and not applied leaves no change set behind.
    if let Work::Previewed(prepared) = &app.work {
        commands.push(Cmd::DiscardUpdate(Box::new(prepared.preview.clone())));
    }
    if let Some(text) = app.secret_on_clipboard.take() {
        commands.push(Cmd::ClearClipboard { text });
    }
    if let Some(command) = reattach_command(app) {
        let what = match app.method {
            MethodChoice::StackSet => "stack set",
            _ => "stack",
        };
        let stack = app.stack_name.value().trim();
        app.farewell = Some(format!(
            "Stopped watching; {what} {stack} keeps going in AWS. Watch it again with:\n  {command}"
        ));
    } else if (app.step == Step::Done || app.work == Work::Done)
        && (app.role_arn.is_some() || app.plan_only)
    {
        // Quitting never loses the settings: they are printed once the terminal is back.
        app.farewell = screens::done::farewell(app);
    }
    commands.push(Cmd::Quit);
    commands
}

/// While a stack is being made: the command that re-attaches to it, with the stack's own region
/// (and profile), so it works as printed.
pub fn reattach_command(app: &App) -> Option<String> {
    let flag = match app.method {
        MethodChoice::Cloudformation => "--stack-name",
        MethodChoice::StackSet => "--stack-set",
        _ => return None,
    };
    if app.work != Work::Running {
        return None;
    }
    let stack = app.stack_name.value().trim();
    Some(format!(
        "segment-aws-setup watch {flag} {stack}{}",
        app.context().flags()
    ))
}

/// The keys typed ahead, acted on now that the awaited value is here (they may wait again).
fn replay_pending_keys(app: &mut App) -> Vec<Cmd> {
    let mut commands = Vec::new();
    for key in std::mem::take(&mut app.pending_keys) {
        commands.extend(on_key(app, key));
    }
    commands
}

/// Whether the current screen is taking typed text (so letters are text, not commands).
fn typing(app: &App) -> bool {
    match app.step {
        Step::Welcome => app.welcome_focus > 0,
        Step::ExternalId => app.editing_external_id || app.uses_workspace_id(),
        // The preset list passes letters to the preset's first field.
        Step::Permissions => true,
        Step::Method => app.method_focus > 0,
        _ => false,
    }
}

/// The one quit rule, for `q` and Ctrl-C on every screen and at every size: ask when something
/// would be lost, else leave.
fn ask_or_leave(app: &mut App) -> Vec<Cmd> {
    if app.quit_loses().is_some() {
        app.confirm_quit = true;
        Vec::new()
    } else {
        leave(app)
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Cmd> {
    if app.confirm_quit {
        return match key.code {
            KeyCode::Char('y') | KeyCode::Char('q') => leave(app),
            _ if ctrl(&key, 'c') => leave(app),
            _ => {
                app.confirm_quit = false;
                Vec::new()
            }
        };
    }
    if ctrl(&key, 'c') {
        return ask_or_leave(app);
    }
    if app.too_small() {
        return if key.code == KeyCode::Char('q') {
            ask_or_leave(app)
        } else {
            Vec::new()
        };
    }
    if app.help_open {
        if matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::F(1) | KeyCode::Char('q') | KeyCode::Enter
        ) {
            app.help_open = false;
        }
        return Vec::new();
    }
    match key.code {
        KeyCode::F(1) => {
            app.help_open = true;
            return Vec::new();
        }
        KeyCode::F(2) => {
            app.presenter = !app.presenter;
            app.revealed = false;
            return Vec::new();
        }
        KeyCode::F(3) => {
            app.revealed = !app.revealed;
            return Vec::new();
        }
        KeyCode::Char('?') if !typing(app) => {
            app.help_open = true;
            return Vec::new();
        }
        KeyCode::Char('q') if !typing(app) => return ask_or_leave(app),
        _ => {}
    }
    if app.waiting_for_value() && (key.code == KeyCode::Enter || !app.pending_keys.is_empty()) {
        app.pending_keys.push(key);
        return Vec::new();
    }
    match app.step {
        Step::Welcome => screens::welcome::on_key(app, key),
        Step::Integration => screens::integration::on_key(app, key),
        Step::ExternalId => screens::external_id::on_key(app, key),
        Step::Permissions => screens::permissions::on_key(app, key),
        Step::Method => screens::method::on_key(app, key),
        Step::Review => screens::review::on_key(app, key),
        Step::Progress => screens::progress::on_key(app, key),
        Step::Done => screens::done::on_key(app, key),
    }
}

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
        id_change: app.id_change.clone(),
        record: (!app.updating_found).then(|| saved.clone()),
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
    app.checking = Some(check.clone());
    app.confirmed_denies.clear();
    app.fix = None;
    vec![Cmd::VerifyRole(check)]
}

/// Moves to a step, resetting the scroll.
pub fn go(app: &mut App, step: Step) {
    if step > Step::Integration && step <= Step::Review {
        app.answered = true;
    }
    if step == Step::Permissions && app.step != Step::Permissions {
        // A list that couldn't be had is asked for again each time the step is entered.
        app.listings
            .retain(|_, listing| !matches!(listing, Listing::Unavailable(_)));
        app.pick_row = None;
    }
    app.step = step;
    app.scroll = 0;
    // A revealed ID is masked again on the next screen.
    app.revealed = false;
}

/// Esc on any step before the work starts. Changing a setup, the integration is fixed: from the
/// External ID step Esc leaves the change and returns to Welcome.
pub fn back(app: &mut App) -> Vec<Cmd> {
    if app.updating.is_some() && app.step == Step::ExternalId {
        app.updating = None;
        go(app, Step::Welcome);
        return Vec::new();
    }
    go(app, app.step.previous());
    Vec::new()
}
