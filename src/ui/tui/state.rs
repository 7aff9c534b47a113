//! The wizard's state (the Elm architecture's model): the steps, what each field holds, the work
//! under way, and the messages (`Msg`) and commands (`Cmd`) that change it. What the state
//! implies is in `queries`, the transitions screens share in `actions`, `update` in `update`.

use crate::aws::Caller;
use crate::engine::Progress;
use crate::engine::saving::SavedSetup;
use crate::engine::stack_sets::StackSetRequest;
use crate::model::picker::{Resource, ResourceKind};
use crate::model::plan::{Plan, PolicyFile};
use crate::model::stackset::InstanceRow;
use crate::model::verify::{Fix, Verification};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use std::time::Duration;
use tui_input::Input;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Where the keys go on Welcome: continuing, or one of the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WelcomeFocus {
    #[default]
    Continue,
    Profile,
    Region,
}

impl WelcomeFocus {
    /// Tab's order: continue, profile, region, and round again.
    pub fn next(self) -> Self {
        match self {
            WelcomeFocus::Continue => WelcomeFocus::Profile,
            WelcomeFocus::Profile => WelcomeFocus::Region,
            WelcomeFocus::Region => WelcomeFocus::Continue,
        }
    }

    pub fn previous(self) -> Self {
        self.next().next()
    }

    /// In a field: letters type.
    pub fn is_field(self) -> bool {
        self != WelcomeFocus::Continue
    }
}

/// Where the keys go on Permissions: the preset list, or one of the preset's inputs (by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PermissionFocus {
    #[default]
    Presets,
    Field(usize),
}

impl PermissionFocus {
    /// The focused input's index among the preset's fields.
    pub fn field(self) -> Option<usize> {
        match self {
            PermissionFocus::Presets => None,
            PermissionFocus::Field(index) => Some(index),
        }
    }

    pub fn is_field(self) -> bool {
        self != PermissionFocus::Presets
    }

    /// Tab (forward) or Shift-Tab: the list, each of `fields` inputs, and round again.
    pub fn cycle(self, fields: usize, forward: bool) -> Self {
        let stops = fields + 1;
        let at = self.field().map_or(0, |index| index + 1);
        match (if forward { at + 1 } else { at + stops - 1 }) % stops {
            0 => PermissionFocus::Presets,
            stop => PermissionFocus::Field(stop - 1),
        }
    }
}

/// Where the keys go on Method: the list, the name field, or a StackSet's targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MethodFocus {
    #[default]
    List,
    Name,
    Targets,
}

impl MethodFocus {
    /// A StackSet's Tab order: list, name, targets, and round again.
    pub fn next(self) -> Self {
        match self {
            MethodFocus::List => MethodFocus::Name,
            MethodFocus::Name => MethodFocus::Targets,
            MethodFocus::Targets => MethodFocus::List,
        }
    }

    pub fn previous(self) -> Self {
        self.next().next()
    }

    pub fn is_field(self) -> bool {
        self != MethodFocus::List
    }
}

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
    /// The rows inside the step's box (the screen less header, footer and borders), as the view
    /// lays it out; set by `update` before a key reaches a screen, so scrolling pages by what shows.
    pub body_rows: u16,
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
    pub welcome_focus: WelcomeFocus,
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
    pub permission_focus: PermissionFocus,
    pub bucket: Input,
    pub bucket_region: Input,
    pub lambda_arns: Input,
    pub policy_path: Input,
    pub policy_file: Option<Result<PolicyFile, String>>,
    /// The fields of the presets' other inputs (a path prefix, a KMS key, streams, a cluster).
    pub more_inputs: std::collections::BTreeMap<crate::model::catalog::Input, Input>,

    pub method: MethodChoice,
    pub method_focus: MethodFocus,
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
            body_rows: height.saturating_sub(5),
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
            welcome_focus: WelcomeFocus::Continue,
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
            permission_focus: PermissionFocus::Presets,
            bucket: Input::default(),
            bucket_region: Input::default(),
            lambda_arns: Input::default(),
            policy_path: Input::default(),
            policy_file: None,
            more_inputs: std::collections::BTreeMap::new(),
            method: MethodChoice::Cloudformation,
            method_focus: MethodFocus::List,
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

    pub fn waiting_for_value(&self) -> bool {
        match self.step {
            Step::Welcome => {
                self.identity == IdentityState::Loading
                    && self.welcome_focus == WelcomeFocus::Continue
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
}

pub fn non_empty(input: &Input) -> Option<String> {
    let value = input.value().trim();
    (!value.is_empty()).then(|| value.to_string())
}

pub fn ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_goes_round_every_stop_and_shift_tab_comes_back() {
        // Permissions with two inputs: the list, the first, the second, and round again.
        let mut focus = PermissionFocus::Presets;
        let mut seen = Vec::new();
        for _ in 0..3 {
            focus = focus.cycle(2, true);
            seen.push(focus);
        }
        assert_eq!(
            seen,
            [
                PermissionFocus::Field(0),
                PermissionFocus::Field(1),
                PermissionFocus::Presets
            ]
        );
        assert_eq!(
            PermissionFocus::Presets.cycle(2, false),
            PermissionFocus::Field(1)
        );
        assert_eq!(
            PermissionFocus::Presets.cycle(0, true),
            PermissionFocus::Presets
        );
        for focus in [
            WelcomeFocus::Continue,
            WelcomeFocus::Profile,
            WelcomeFocus::Region,
        ] {
            assert_eq!(focus.next().previous(), focus);
            assert_eq!(focus.next().next().next(), focus);
        }
        for focus in [MethodFocus::List, MethodFocus::Name, MethodFocus::Targets] {
            assert_eq!(focus.next().previous(), focus);
        }
        assert!(!MethodFocus::List.is_field() && MethodFocus::Targets.is_field());
    }
}
