//! The other half of the procedure: a setup's settings written into Segment through its Public
//! API, the same way for every face. Connect (the token checked once, US then EU when the host
//! isn't known), prepare (find the function or destination instance, work out what changes),
//! preview, then write (definitions first, values second, each read back).

use crate::model::catalog::Catalog;
use crate::model::outcome::Outcome;
use crate::model::segment::errors::{NO_API, NO_API_FOR_DATA_LAKES};
use crate::model::segment::write::{
    DefinitionChange, ValueChange, definitions_missing, merge_definitions, preview_lines,
    read_back_problems, value_changes, values_body, wanted_definitions,
};
use crate::model::segment::{ApiRegion, Destination, Function, FunctionKind, Source, Workspace};
use crate::segment::http::{HttpApi, Token};
use crate::segment::{SegmentApi, SegmentError};
use serde_json::{Value, json};
use std::sync::Arc;

/// The environment variable that points the client at another host (a test server, a proxy).
pub const URL_VARIABLE: &str = "SEGMENT_PUBLIC_API_URL";

/// A workspace reached with a token.
#[derive(Clone)]
pub struct SegmentConnection {
    pub api: Arc<dyn SegmentApi>,
    pub workspace: Workspace,
    /// Where it answered (`None`: a host given by [`URL_VARIABLE`], or the demo).
    pub region: Option<ApiRegion>,
}

/// Checks the token with `GET /` at the host given, the region chosen, or US then EU.
pub async fn connect(
    token: &str,
    region: Option<ApiRegion>,
    url: Option<&str>,
) -> Result<SegmentConnection, String> {
    connect_with(Token::new(token)?, region, url).await
}

/// As [`connect`], at the host [`URL_VARIABLE`] names when it is set (as the SDK reads
/// `AWS_ENDPOINT_URL`): what every face calls.
pub async fn connect_configured(
    token: &str,
    region: Option<ApiRegion>,
) -> Result<SegmentConnection, String> {
    connect_token_configured(Token::new(token)?, region).await
}

/// As [`connect_configured`], with a token already checked (one typed into the wizard).
pub async fn connect_token_configured(
    token: Token,
    region: Option<ApiRegion>,
) -> Result<SegmentConnection, String> {
    let url = std::env::var(URL_VARIABLE).ok();
    connect_with(token, region, url.as_deref()).await
}

/// As [`connect`], with a token already checked.
pub async fn connect_with(
    token: Token,
    region: Option<ApiRegion>,
    url: Option<&str>,
) -> Result<SegmentConnection, String> {
    let places: Vec<(String, Option<ApiRegion>)> = match (url, region) {
        (Some(url), _) => vec![(url.to_string(), None)],
        (None, Some(region)) => vec![(region.base_url().to_string(), Some(region))],
        (None, None) => ApiRegion::ALL
            .iter()
            .map(|r| (r.base_url().to_string(), Some(*r)))
            .collect(),
    };
    let mut refused = None;
    for (base, region) in &places {
        let api = Arc::new(HttpApi::new(base, token.clone())?);
        match api.workspace().await {
            Ok(workspace) => {
                return Ok(SegmentConnection {
                    api,
                    workspace,
                    region: *region,
                });
            }
            // A token of the other region is refused here: try the next host.
            Err(error) if error.is_refused() && places.len() > 1 => refused = Some(error),
            Err(error) => return Err(error.to_string()),
        }
    }
    Err(refused.map_or_else(|| NO_API.to_string(), |e| {
        format!("{e}. It was tried at Segment's US and EU hosts; if the workspace is on the Free plan, it has no Public API: {NO_API}")
    }))
}

pub use crate::model::segment::target::{Choice, Pick, Target};

/// The IDs Segment gives for an integration whose external ID is the workspace ID: the
/// workspace's, and its sources' when the role may trust those too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedIds {
    pub workspace: Workspace,
    pub sources: Vec<Source>,
}

/// Reads what [`OfferedIds`] holds: the sources only where the integration accepts them.
pub async fn offered_ids(
    connection: &SegmentConnection,
    integration: &crate::model::catalog::Integration,
) -> Result<OfferedIds, String> {
    let sources = if integration.external_id.source_ids {
        connection.api.sources().await.map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    Ok(OfferedIds {
        workspace: connection.workspace.clone(),
        sources,
    })
}

/// One write, in the order they run.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A function's setting definitions (the whole list, its own kept).
    Definitions {
        function: Function,
        change: DefinitionChange,
    },
    /// An instance's values: only the keys that change.
    Values {
        destination: Destination,
        source_name: Option<String>,
        changes: Vec<ValueChange>,
    },
    /// A new instance connected to a source, with its values.
    Connect {
        metadata_id: String,
        name: String,
        source: Source,
        changes: Vec<ValueChange>,
    },
}

/// Everything a write would do, worked out from what the workspace holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub workspace: Workspace,
    pub steps: Vec<Step>,
    /// What stays to do by hand, in a sentence each.
    pub left: Vec<String>,
    /// What was checked and needs nothing (a re-run after everything was written).
    pub already: Vec<String>,
    /// The instances that hold the values once written (written now, or already so): none for
    /// a function's definitions alone, or a source function.
    pub instances: usize,
}

impl Prepared {
    /// Once written, Segment's setting holds the external ID these settings carry, so a
    /// rotation can finish: the role may stop accepting the old one.
    pub fn segment_holds_the_id(&self) -> bool {
        self.instances > 0
    }
}

/// Why a write can't be prepared: a sentence, or a choice the face must make (several
/// instances and none named).
#[derive(Debug, Clone, PartialEq)]
pub enum PrepareError {
    Refused(String),
    Choose { what: String, choices: Vec<Choice> },
}

impl From<SegmentError> for PrepareError {
    fn from(error: SegmentError) -> Self {
        PrepareError::Refused(error.to_string())
    }
}

impl std::fmt::Display for PrepareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrepareError::Refused(message) => f.write_str(message),
            PrepareError::Choose { what, choices } => {
                write!(f, "{what}:")?;
                for choice in choices {
                    write!(f, "\n  {}: {}", choice.name, choice.detail)?;
                }
                Ok(())
            }
        }
    }
}

fn source_name(sources: &[Source], id: &str) -> Option<String> {
    sources.iter().find(|s| s.id == id).map(|s| s.name.clone())
}

/// Works out the writes for an outcome (a setup's settings, values filled in).
pub async fn prepare(
    connection: &SegmentConnection,
    outcome: &Outcome,
    target: &Target,
) -> Result<Prepared, PrepareError> {
    let api = connection.api.as_ref();
    let integration = Catalog::builtin()
        .integration(&outcome.integration)
        .ok_or_else(|| {
            PrepareError::Refused(format!("unknown integration {}", outcome.integration))
        })?;
    let mut prepared = Prepared {
        workspace: connection.workspace.clone(),
        steps: Vec::new(),
        left: Vec::new(),
        already: Vec::new(),
        instances: 0,
    };
    if let Some(kind) = FunctionKind::of_integration(&integration.id) {
        prepare_function(api, outcome, target, kind, &mut prepared).await?;
        return Ok(prepared);
    }
    let Some(metadata_id) = integration
        .catalog_id
        .clone()
        .filter(|_| integration.id != "data-lakes")
    else {
        return Err(PrepareError::Refused(NO_API_FOR_DATA_LAKES.into()));
    };
    let name = integration.catalog_name.clone().unwrap_or_default();
    prepare_destination(
        connection,
        outcome,
        target,
        metadata_id,
        name,
        &mut prepared,
    )
    .await?;
    Ok(prepared)
}

/// Which instances a catalog destination's settings go to.
enum Instances {
    Chosen(Vec<Destination>),
    /// None yet: a new one on this source.
    Connect(Source),
}

async fn pick_instances(
    connection: &SegmentConnection,
    outcome: &Outcome,
    target: &Target,
    metadata_id: &str,
    name: &str,
    sources: &[Source],
) -> Result<Instances, PrepareError> {
    let api = connection.api.as_ref();
    let groups = &outcome.groups;
    let named = target.destinations.len();
    if named > 0 && (named == groups.len() || !target.ask) {
        if named != groups.len() {
            return Err(PrepareError::Refused(format!(
                "{named} destination instance(s) named for {} settings group(s): name one instance per function, in the order the settings show them",
                groups.len()
            )));
        }
        let mut chosen = Vec::new();
        for id in &target.destinations {
            let destination = api.destination(id).await?;
            if destination.metadata_id != metadata_id {
                return Err(PrepareError::Refused(format!(
                    "destination {id} is a {}, not {name}: name an {name} instance",
                    destination.metadata_name
                )));
            }
            chosen.push(destination);
        }
        return Ok(Instances::Chosen(chosen));
    }
    if let (Some(source), 1) = (&target.source, groups.len()) {
        return find_source(sources, source, &connection.workspace).map(Instances::Connect);
    }
    let instances: Vec<Destination> = api
        .destinations()
        .await?
        .into_iter()
        .filter(|d| d.metadata_id == metadata_id && !target.destinations.contains(&d.id))
        .collect();
    if instances.len() == 1 && groups.len() == 1 {
        return Ok(Instances::Chosen(instances));
    }
    let workspace = &connection.workspace.name;
    let mut choices = instance_choices(&instances, sources);
    // A new instance can hold one group's settings: offered where one group is to place.
    if target.ask && groups.len() == 1 {
        choices.extend(connect_choices(sources));
    }
    let what = match (instances.is_empty(), groups.len()) {
        (true, count) if named > 0 => format!(
            "workspace {workspace} has no other {name} destination for settings group {} of {count}: add one in Segment, then write again",
            named + 1
        ),
        (true, _) if target.ask && !choices.is_empty() => format!(
            "workspace {workspace} has no {name} destination yet: pick the source to connect a new one to"
        ),
        (true, _) => format!(
            "workspace {workspace} has no {name} destination yet: add it to a source in Segment (the next steps say how), or name the source to connect one to"
        ),
        (false, 1) => format!(
            "workspace {workspace} has {} {name} destinations: pick the one for these settings",
            instances.len()
        ),
        (false, count) => format!(
            "workspace {workspace}: pick the {name} destination for settings group {} of {count}{}",
            named + 1,
            groups[named]
                .heading
                .as_ref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        ),
    };
    Err(PrepareError::Choose { what, choices })
}

/// The instances as choices, each with its source's name.
fn instance_choices(instances: &[Destination], sources: &[Source]) -> Vec<Choice> {
    instances
        .iter()
        .map(|d| Choice {
            pick: Pick::Destination(d.id.clone()),
            name: d.id.clone(),
            detail: d.describe(source_name(sources, &d.source_id).as_deref()),
        })
        .collect()
}

/// Every source as the place of a new instance.
fn connect_choices(sources: &[Source]) -> Vec<Choice> {
    sources
        .iter()
        .map(|s| Choice {
            pick: Pick::Source(s.id.clone()),
            name: s.name.clone(),
            detail: format!("a new instance on this source ({}), made disabled", s.id),
        })
        .collect()
}

fn find_source(
    sources: &[Source],
    wanted: &str,
    workspace: &Workspace,
) -> Result<Source, PrepareError> {
    sources
        .iter()
        .find(|s| s.id == wanted || s.name == wanted)
        .cloned()
        .ok_or_else(|| {
            PrepareError::Refused(format!(
                "no source {wanted} in workspace {}",
                workspace.name
            ))
        })
}

async fn prepare_destination(
    connection: &SegmentConnection,
    outcome: &Outcome,
    target: &Target,
    metadata_id: String,
    name: String,
    prepared: &mut Prepared,
) -> Result<(), PrepareError> {
    let sources = connection.api.sources().await?;
    let groups = &outcome.groups;
    match pick_instances(connection, outcome, target, &metadata_id, &name, &sources).await? {
        Instances::Connect(source) => {
            prepared.instances = 1;
            prepared.steps.push(Step::Connect {
                changes: value_changes(&serde_json::Map::new(), &groups[0].settings),
                metadata_id,
                name,
                source,
            });
        }
        Instances::Chosen(chosen) => {
            prepared.instances = chosen.len();
            for (destination, group) in chosen.into_iter().zip(groups) {
                let changes = value_changes(&destination.settings, &group.settings);
                let source = source_name(&sources, &destination.source_id);
                if changes.is_empty() {
                    prepared.already.push(format!(
                        "{}: its settings hold these values already",
                        destination.describe(source.as_deref())
                    ));
                } else {
                    prepared.steps.push(Step::Values {
                        source_name: source,
                        destination,
                        changes,
                    });
                }
            }
        }
    }
    for setting in groups
        .iter()
        .flat_map(|g| &g.settings)
        .filter(|s| s.read_only)
    {
        let line = format!(
            "{} is set by Segment itself (read-only): the role trusts what it shows",
            setting.label
        );
        if !prepared.left.contains(&line) {
            prepared.left.push(line);
        }
    }
    Ok(())
}

/// The function the settings go to: the one named, the only one, or a choice.
fn pick_function(
    functions: &[Function],
    target: &Target,
    kind: FunctionKind,
    workspace: &Workspace,
) -> Result<Function, PrepareError> {
    let kind_name = kind.resource_type().to_lowercase();
    match &target.function {
        Some(wanted) => functions
            .iter()
            .find(|f| &f.id == wanted || &f.display_name == wanted)
            .cloned()
            .ok_or_else(|| {
                PrepareError::Refused(format!(
                    "no {kind_name} function {wanted} in workspace {}",
                    workspace.name
                ))
            }),
        None if functions.len() == 1 => Ok(functions[0].clone()),
        None if functions.is_empty() => Err(PrepareError::Refused(format!(
            "workspace {} has no {kind_name} function yet: create it in Segment (Connections > Catalog > Functions), then write again (this tool adds its settings, never its code)",
            workspace.name
        ))),
        None => Err(PrepareError::Choose {
            what: format!(
                "workspace {} has {} {kind_name} functions: pick the one that uses the role",
                workspace.name,
                functions.len()
            ),
            choices: functions
                .iter()
                .map(|f| Choice {
                    pick: Pick::Function(f.id.clone()),
                    name: f.id.clone(),
                    detail: f.display_name.clone(),
                })
                .collect(),
        }),
    }
}

async fn prepare_function(
    api: &dyn SegmentApi,
    outcome: &Outcome,
    target: &Target,
    kind: FunctionKind,
    prepared: &mut Prepared,
) -> Result<(), PrepareError> {
    let settings = outcome
        .groups
        .first()
        .map(|g| g.settings.clone())
        .unwrap_or_default();
    let functions = api.functions(kind).await?;
    let function = pick_function(&functions, target, kind, &prepared.workspace)?;
    // The list holds no settings: read the function itself.
    let function = api.function(&function.id).await?;
    let wanted = wanted_definitions(&settings);
    match merge_definitions(&function.settings, &wanted) {
        Some(change) => prepared.steps.push(Step::Definitions {
            function: function.clone(),
            change,
        }),
        None => prepared.already.push(format!(
            "function {} has the setting definitions already",
            function.display_name
        )),
    }
    match kind {
        FunctionKind::Source => prepared.left.push(
            "Segment's Public API doesn't document writing a source function's values: fill them in when you create the source from the function (the values are above)".into(),
        ),
        FunctionKind::Destination => {
            let sources = api.sources().await?;
            if let Some(id) = target.destinations.first() {
                let destination = api.destination(id).await?;
                if destination.metadata_id != function.catalog_id {
                    return Err(PrepareError::Refused(format!(
                        "destination {id} is not an instance of function {}",
                        function.display_name
                    )));
                }
                let changes = value_changes(&destination.settings, &settings);
                prepared.instances = 1;
                if changes.is_empty() {
                    prepared.already.push(format!("{id}: its settings hold these values already"));
                } else {
                    prepared.steps.push(Step::Values {
                        source_name: source_name(&sources, &destination.source_id),
                        destination,
                        changes,
                    });
                }
            } else if let Some(source) = &target.source {
                let source = find_source(&sources, source, &prepared.workspace)?;
                prepared.instances = 1;
                prepared.steps.push(Step::Connect {
                    metadata_id: function.catalog_id.clone(),
                    name: function.display_name.clone(),
                    source,
                    changes: value_changes(&serde_json::Map::new(), &settings),
                });
            } else if target.ask && !target.definitions_only {
                return Err(function_instance_choice(api, &function, &sources, prepared).await?);
            } else {
                prepared.left.push(format!(
                    "connect function {} to a source (name it, or an instance, to have the values written too), then fill in the values above",
                    function.display_name
                ));
            }
        }
    }
    Ok(())
}

/// A destination function with no instance named: its instances, the sources to connect it to,
/// or its definitions alone.
async fn function_instance_choice(
    api: &dyn SegmentApi,
    function: &Function,
    sources: &[Source],
    prepared: &Prepared,
) -> Result<PrepareError, PrepareError> {
    let instances: Vec<Destination> = api
        .destinations()
        .await?
        .into_iter()
        .filter(|d| d.metadata_id == function.catalog_id)
        .collect();
    let mut choices = instance_choices(&instances, sources);
    choices.extend(connect_choices(sources));
    choices.push(Choice {
        pick: Pick::DefinitionsOnly,
        name: "later".into(),
        detail: "only the setting definitions now; the values by hand later".into(),
    });
    Ok(PrepareError::Choose {
        what: format!(
            "function {} of workspace {}: write its values into an instance, or connect it to a source",
            function.display_name, prepared.workspace.name
        ),
        choices,
    })
}

/// The preview: what each step changes, secrets masked.
pub fn preview(prepared: &Prepared) -> Vec<String> {
    let mut lines = Vec::new();
    for step in &prepared.steps {
        match step {
            Step::Definitions { function, change } => {
                lines.push(format!(
                    "Function {} ({}):",
                    function.display_name, function.id
                ));
                lines.extend(
                    preview_lines(Some(change), &[])
                        .into_iter()
                        .map(|l| format!("  {l}")),
                );
            }
            Step::Values {
                destination,
                source_name,
                changes,
            } => {
                lines.push(format!("{}:", destination.describe(source_name.as_deref())));
                lines.extend(
                    preview_lines(None, changes)
                        .into_iter()
                        .map(|l| format!("  {l}")),
                );
            }
            Step::Connect {
                name,
                source,
                changes,
                ..
            } => {
                lines.push(format!(
                    "A new {name} instance on source {} (made disabled: enable it once its settings are checked):",
                    source.name
                ));
                lines.extend(
                    preview_lines(None, changes)
                        .into_iter()
                        .map(|l| format!("  {l}")),
                );
            }
        }
    }
    lines
}

/// What was written, each read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub lines: Vec<String>,
    /// Instances written or made: their IDs.
    pub destinations: Vec<String>,
    pub functions: Vec<String>,
}

impl Written {
    pub fn to_json(&self, prepared: &Prepared) -> Value {
        json!({
            "workspace": {"id": prepared.workspace.id, "name": prepared.workspace.name},
            "functions": self.functions,
            "destinations": self.destinations,
            "written": self.lines,
            "left": prepared.left,
        })
    }
}

/// A write that stopped: what was done before it, and why. A re-run prepares again from what
/// the workspace holds, so it finishes without doing anything twice.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteFailure {
    pub done: Vec<String>,
    pub message: String,
}

/// Runs the steps in order, reading each back.
pub async fn write(
    connection: &SegmentConnection,
    prepared: &Prepared,
    report: &mut (dyn FnMut(&str) + Send),
) -> Result<Written, WriteFailure> {
    let api = connection.api.as_ref();
    let mut written = Written {
        lines: Vec::new(),
        destinations: Vec::new(),
        functions: Vec::new(),
    };
    for step in &prepared.steps {
        write_step(api, step, report, &mut written)
            .await
            .map_err(|message| WriteFailure {
                done: written.lines.clone(),
                message,
            })?;
    }
    Ok(written)
}

fn labels(changes: &[ValueChange]) -> String {
    changes
        .iter()
        .map(|c| c.label.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn write_step(
    api: &dyn SegmentApi,
    step: &Step,
    report: &mut (dyn FnMut(&str) + Send),
    written: &mut Written,
) -> Result<(), String> {
    match step {
        Step::Definitions { function, change } => {
            report(&format!(
                "Adding setting definitions to function {}",
                function.display_name
            ));
            api.set_function_settings(&function.id, &change.settings)
                .await
                .map_err(|e| e.to_string())?;
            let read = api
                .function(&function.id)
                .await
                .map_err(|e| e.to_string())?;
            let missing = definitions_missing(&read.settings, &change.settings);
            if !missing.is_empty() {
                return Err(format!(
                    "function {} reads back without {}",
                    function.display_name,
                    missing.join(", ")
                ));
            }
            let names: Vec<String> = change
                .added
                .iter()
                .chain(&change.made_secret)
                .cloned()
                .collect();
            written.lines.push(format!(
                "Function {}: setting definitions {} (read back)",
                function.display_name,
                names.join(", ")
            ));
            written.functions.push(function.id.clone());
        }
        Step::Values {
            destination,
            changes,
            ..
        } => {
            report(&format!(
                "Writing the settings of destination {}",
                destination.id
            ));
            api.update_destination(&destination.id, &values_body(changes))
                .await
                .map_err(|e| e.to_string())?;
            check_read_back(api, &destination.id, changes).await?;
            written.lines.push(format!(
                "Destination {}: {} (read back)",
                destination.id,
                labels(changes)
            ));
            written.destinations.push(destination.id.clone());
        }
        Step::Connect {
            metadata_id,
            name,
            source,
            changes,
        } => {
            report(&format!("Connecting {name} to source {}", source.name));
            let body = values_body(changes);
            let made = api
                .create_destination(&source.id, metadata_id, name, &body["settings"])
                .await
                .map_err(|e| e.to_string())?;
            check_read_back(api, &made.id, changes).await?;
            written.lines.push(format!(
                "Destination {} ({name} on source {}, disabled): {} (read back)",
                made.id,
                source.name,
                labels(changes)
            ));
            written.destinations.push(made.id);
        }
    }
    Ok(())
}

async fn check_read_back(
    api: &dyn SegmentApi,
    id: &str,
    changes: &[ValueChange],
) -> Result<(), String> {
    let read = api.destination(id).await.map_err(|e| e.to_string())?;
    let problems = read_back_problems(changes, &read.settings);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("destination {id}: {}", problems.join("; ")))
    }
}

/// The demo's workspace: simulated, nothing leaves this machine.
pub fn demo() -> SegmentConnection {
    let api = crate::segment::fake::demo();
    SegmentConnection {
        workspace: Workspace {
            id: "wXZ2sd8N3mJ".into(),
            name: "Demo workspace".into(),
            slug: "demo-workspace".into(),
        },
        api: Arc::new(api),
        region: None,
    }
}

/// The command that writes a setup's settings later, for the setup made by stack or by role.
pub fn later_command(stack_name: Option<&str>, role_name: Option<&str>) -> Option<String> {
    let setup = match (stack_name, role_name) {
        (Some(stack), _) => format!("--stack-name {}", crate::model::place::shell_word(stack)),
        (None, Some(role)) => format!("--role-name {}", crate::model::place::shell_word(role)),
        (None, None) => return None,
    };
    Some(format!(
        "With a Segment Public API token in {} (Team and Business workspaces), segment-aws-setup write-settings {setup} writes these settings into Segment.",
        crate::model::segment::TOKEN_VARIABLE
    ))
}
