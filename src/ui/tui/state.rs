//! The wizard's state (the Elm architecture's model): the steps, what each field holds, the work
//! under way, and the messages (`Msg`) and commands (`Cmd`) that change it. What the state
//! implies is in `queries`, the transitions screens share in `actions`, `update` in `update`.

use crate::aws::Caller;
use crate::engine::Progress;
use crate::engine::saving::SavedSetup;
use crate::engine::stack_sets::StackSetRequest;
use crate::model::picker::{Resource, ResourceKind};
use crate::model::plan::Plan;
use crate::model::stackset::InstanceRow;
use crate::model::verify::{Fix, Verification};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;

// The per-screen groups and their types, where the screens have always found them.
pub use super::forms::{
    AuditPhase, AuditState, ChangeState, ExternalIdState, Failure, IdentityState, Listing,
    MethodChoice, MethodFocus, MethodState, PermissionFocus, PermissionsState, ResourceRow,
    RoleCheck, RolesState, RunState, SegmentPhase, SegmentState, WelcomeFocus, WelcomeState, Work,
};

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

/// Everything the wizard knows: what every screen shares, and a group per screen.
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
    /// The user has gone past choosing the integration: quitting before the work starts loses
    /// their answers, so it asks.
    pub answered: bool,
    /// The fields whose errors may show.
    pub touched: std::collections::BTreeSet<Field>,
    /// Keys typed ahead while the screen waits for a value (the account, a generated ID): they
    /// act, in order, as soon as it arrives.
    pub pending_keys: Vec<KeyEvent>,
    /// A secret copied and not yet cleared: cleared when the wizard ends.
    pub secret_on_clipboard: Option<String>,

    pub welcome: WelcomeState,
    /// The Integration step: the chosen row of the catalog.
    pub integration: usize,
    pub external: ExternalIdState,
    pub permissions: PermissionsState,
    pub method: MethodState,
    pub run: RunState,
    pub change: ChangeState,
    /// Done's "write these settings into Segment".
    pub segment: SegmentState,
    /// Welcome's audit of the account.
    pub audit: AuditState,
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
    /// The repair was applied and the role read again.
    Repaired(Result<Box<Verification>, String>),
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
    /// The Public API token was checked: its workspace.
    SegmentConnected(Result<crate::model::segment::Workspace, String>),
    /// Every role of the account Segment can assume, judged.
    Audited(Result<Box<crate::engine::audit::AccountAudit>, String>),
    /// The workspace's sources, for an integration whose role may trust their IDs too.
    SegmentSources(Result<Vec<crate::model::segment::Source>, String>),
    SegmentPrepared(
        Result<
            Box<crate::engine::segment_settings::Prepared>,
            crate::engine::segment_settings::PrepareError,
        >,
    ),
    SegmentWritten(
        Result<
            Box<crate::engine::segment_settings::Written>,
            crate::engine::segment_settings::WriteFailure,
        >,
    ),
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
    /// Checks a Public API token (typed; `None`: the environment's, or the demo's workspace).
    SegmentConnect {
        token: Option<crate::segment::http::Token>,
        demo: bool,
    },
    /// Audits the connected account for roles Segment can assume.
    Audit,
    /// Reads the IDs Segment offers for this integration's external ID (the sources').
    SegmentSources {
        integration: String,
    },
    /// Works out what writing the outcome into the connected workspace changes.
    SegmentPrepare {
        outcome: Box<crate::model::outcome::Outcome>,
        target: crate::engine::segment_settings::Target,
    },
    SegmentWrite(Box<crate::engine::segment_settings::Prepared>),
    VerifyRole(RoleCheck),
    /// Applies a fix the Progress screen showed and the user confirmed.
    ApplyFix {
        /// What the role must be, to read it again after the repair.
        check: RoleCheck,
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
            answered: false,
            touched: std::collections::BTreeSet::new(),
            pending_keys: Vec::new(),
            secret_on_clipboard: None,
            welcome: WelcomeState::default(),
            integration: 0,
            external: ExternalIdState::default(),
            permissions: PermissionsState::default(),
            method: MethodState::default(),
            run: RunState::default(),
            change: ChangeState::default(),
            segment: SegmentState::default(),
            audit: AuditState::default(),
        }
    }

    pub fn touched(&self, field: Field) -> bool {
        self.touched.contains(&field)
    }

    pub fn waiting_for_value(&self) -> bool {
        match self.step {
            Step::Welcome => {
                self.welcome.identity == IdentityState::Loading
                    && self.welcome.focus == WelcomeFocus::Continue
                    && self.welcome.update_pick.is_none()
            }
            Step::ExternalId => {
                !self.uses_workspace_id()
                    && !self.external.editing
                    && self.external.value.value().is_empty()
            }
            // The generated name is coming, or the account's roles are being read: the name is
            // checked against them first.
            Step::Method => {
                self.method.generating_name
                    || (matches!(
                        self.method.choice,
                        MethodChoice::Iam | MethodChoice::Existing
                    ) && self.method.roles == RolesState::Loading)
            }
            _ => false,
        }
    }

    /// The commands to run at start: who the credentials belong to, a fresh external ID.
    pub fn start(&mut self) -> Vec<Cmd> {
        vec![
            Cmd::LoadIdentity {
                profile: non_empty(&self.welcome.profile),
                region: non_empty(&self.welcome.region),
            },
            Cmd::GenerateExternalId,
        ]
    }

    pub fn too_small(&self) -> bool {
        self.width < MIN_WIDTH || self.height < MIN_HEIGHT
    }

    /// AWS work is running: the clock ticks for the spinner, and quitting asks first.
    pub fn is_working(&self) -> bool {
        self.run.work == Work::Running
            || self.segment.is_working()
            || self.audit.phase == AuditPhase::Running
            || matches!(self.welcome.identity, IdentityState::Loading)
            || (self.step == Step::Permissions
                && self
                    .permissions
                    .listings
                    .values()
                    .any(|l| *l == Listing::Loading))
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
