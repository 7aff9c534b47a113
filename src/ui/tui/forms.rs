//! What each screen holds, grouped so a screen's fields sit together: Welcome's account and
//! saved setups, the External ID step's field, Permissions' inputs and pickers, Method's choice
//! and names, the work Progress and Done show, and the setup being changed. Each group starts
//! empty (`Default`); the focus of each screen is an enum with its Tab order.

use crate::aws::Caller;
use crate::engine::saving::SavedSetup;
use crate::model::picker::ResourceKind;
use crate::model::plan::PolicyFile;
use crate::model::stackset::InstanceRow;
use crate::model::verify::{Fix, Verification};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tui_input::Input;

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

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum IdentityState {
    #[default]
    Loading,
    Ready {
        caller: Caller,
        region: String,
    },
    Missing(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MethodChoice {
    #[default]
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

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RolesState {
    #[default]
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

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Work {
    #[default]
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

/// Welcome: the account, and the setups saved here or found in AWS.
#[derive(Debug, Default)]
pub struct WelcomeState {
    pub identity: IdentityState,
    pub profile: Input,
    pub region: Input,
    pub focus: WelcomeFocus,
    pub plan_only: bool,
    /// Unfinished setups from the state directory; only the current account's is offered.
    pub saved: Vec<SavedSetup>,
    /// Finished setups from the state directory: this account's may be changed.
    pub finished: Vec<SavedSetup>,
    /// Setups this tool made that were found in AWS (stacks and roles with its tag).
    pub found: Vec<SavedSetup>,
    /// Why the search in AWS failed, if it did.
    pub found_problem: Option<String>,
    /// State files that couldn't be read, a sentence each with its path.
    pub state_problems: Vec<String>,
    /// The saved setup being resumed: its settings stand in for the inputs it doesn't record.
    pub resumed: Option<SavedSetup>,
    /// The list of setups to change is open, at this row.
    pub update_pick: Option<usize>,
    /// Without credentials the user chose the demo account: the wizard starts again on it.
    pub switch_to_demo: bool,
}

/// The External ID step.
#[derive(Debug, Default)]
pub struct ExternalIdState {
    /// The workspace ID was read from Segment's Public API: the workspace's name.
    pub from_segment: Option<String>,
    /// The workspace's sources as the API listed them (integrations that trust source IDs).
    pub segment_sources: Vec<crate::model::segment::Source>,
    /// The row of that list the cursor is on (`None`: in the field).
    pub source_row: Option<usize>,
    pub value: Input,
    pub editing: bool,
    pub generated: bool,
    /// The generated external ID set aside while the user types their own: Esc brings it back.
    pub generated_before_edit: Option<String>,
    /// The field holds a workspace ID (typed for the Lambda destination), not a function's
    /// external ID: a change of integration to the other kind empties it.
    pub is_workspace: bool,
    /// What a change does to the external ID (this step's choice when updating).
    pub id_change: crate::engine::update::IdChange,
}

/// Permissions: the preset, its inputs, and what their pickers listed.
#[derive(Debug, Default)]
pub struct PermissionsState {
    pub preset: usize,
    pub focus: PermissionFocus,
    pub bucket: Input,
    pub bucket_region: Input,
    pub lambda_arns: Input,
    pub policy_path: Input,
    pub policy_file: Option<Result<PolicyFile, String>>,
    /// The fields of the presets' other inputs (a path prefix, a KMS key, streams, a cluster).
    pub more_inputs: BTreeMap<crate::model::catalog::Input, Input>,
    /// What the pickers listed, by kind and region (buckets: the whole account, region "").
    pub listings: BTreeMap<(ResourceKind, String), Listing>,
    /// The row of the focused field's picker moved to with ↑↓ (none until then).
    pub pick_row: Option<usize>,
    /// The region a regional picker lists, as an index into `picker_regions()`.
    pub pick_region: BTreeMap<ResourceKind, usize>,
    /// The broad custom permission policy the user accepted with `y` on Review.
    pub broad_accepted: Option<Value>,
    /// Make a starter function for Segment to invoke (the Lambda field's choice).
    pub starter_function: bool,
}

/// Method: how the role is made, its names, and the existing role being checked.
#[derive(Debug, Default)]
pub struct MethodState {
    pub choice: MethodChoice,
    pub focus: MethodFocus,
    pub stack_name: Input,
    pub role_name: Input,
    pub existing_role: Input,
    /// A StackSet's accounts or organizational units, as typed.
    pub targets: Input,
    /// With units: accounts added to them later get the role too (Ctrl-A on the targets).
    pub auto_deploy: bool,
    pub roles: RolesState,
    pub role_pick: usize,
    /// The user edited the stack name: a generated one arriving late is not put in.
    pub stack_name_edited: bool,
    /// A generated stack and role name was asked for and hasn't arrived: an Enter on Method
    /// waits for it (it is checked against it).
    pub generating_name: bool,
    /// The role being checked, and how.
    pub checking: Option<RoleCheck>,
    /// Deny statements the user confirmed removing, one by one.
    pub confirmed_denies: Vec<usize>,
    /// The proven fix for the verified role, or why there is none.
    pub fix: Option<Result<Fix, Vec<String>>>,
}

/// The work under way and its result, for Progress and Done.
#[derive(Debug, Default)]
pub struct RunState {
    pub work: Work,
    pub scroll: u16,
    pub resources: Vec<ResourceRow>,
    pub notes: Vec<String>,
    pub reconnecting: bool,
    pub role_arn: Option<String>,
    pub clipboard_note: Option<String>,
    pub saved_to: Option<String>,
    /// A StackSet's instances as the watcher last reported them.
    pub instances: Vec<InstanceRow>,
    /// A repair was applied that refuses Segment until its setting holds the ID: said on Done.
    pub repair_warning: Option<String>,
    /// The change applied, for Done (its plan holds a rotation's new ID).
    pub applied: Option<Box<crate::engine::update::Prepared>>,
    /// This change is a rotation's phase 2, begun from Done once Segment held the new ID.
    pub finishing_after_segment: bool,
}

/// Changing a setup this tool made (chosen on Welcome), across the steps.
#[derive(Debug, Default)]
pub struct ChangeState {
    /// Its saved record.
    pub setup: Option<SavedSetup>,
    /// It was found in AWS, not saved on this machine.
    pub found_in_aws: bool,
    /// The change last asked for, asked again when the user settles a difference of IDs.
    pub asked: Option<Box<crate::engine::update::Asked>>,
}

/// Writing the settings into Segment from Done (`w`): the token (always masked, never shown),
/// the workspace, a choice of instance or function, the preview, the write.
#[derive(Debug, Default)]
pub struct SegmentState {
    pub phase: SegmentPhase,
    /// The token typed here; sent only with the connect command.
    pub token: tui_input::Input,
    /// `SEGMENT_PUBLIC_API_TOKEN` is set: no field, the executor reads it. Known at start.
    pub token_in_env: bool,
    pub workspace: Option<crate::model::segment::Workspace>,
    pub target: crate::engine::segment_settings::Target,
    /// What stays to do by hand, kept while the write runs.
    pub left: Vec<String>,
    /// Once written, Segment's setting holds these settings' external ID (kept while the write
    /// runs): a rotation under way can finish.
    pub holds_the_id: bool,
    /// The settings to write, as Done showed them when `w` was pressed.
    pub outcome: Option<Box<crate::model::outcome::Outcome>>,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub enum SegmentPhase {
    #[default]
    Closed,
    Token,
    Connecting,
    Preparing,
    Choose {
        what: String,
        choices: Vec<crate::engine::segment_settings::Choice>,
        pick: usize,
    },
    Preview(Box<crate::engine::segment_settings::Prepared>),
    Writing,
    Written {
        lines: Vec<String>,
        left: Vec<String>,
    },
    Failed(String),
}

impl SegmentState {
    pub fn is_open(&self) -> bool {
        self.phase != SegmentPhase::Closed
    }

    /// Waiting on the API (the spinner ticks).
    pub fn is_working(&self) -> bool {
        matches!(
            self.phase,
            SegmentPhase::Connecting | SegmentPhase::Preparing | SegmentPhase::Writing
        )
    }
}

/// Welcome's "check this account for roles Segment can assume" (`a`), a popup over Welcome.
#[derive(Debug, Default)]
pub struct AuditState {
    pub phase: AuditPhase,
    pub scroll: u16,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub enum AuditPhase {
    #[default]
    Closed,
    Running,
    Done(Box<crate::engine::audit::AccountAudit>),
    Failed(String),
}

impl AuditState {
    pub fn is_open(&self) -> bool {
        self.phase != AuditPhase::Closed
    }
}
