//! What writing a setup's settings would do, worked out from what the workspace holds now: the
//! function or instances they go to (or the choice a face must ask), the steps, the preview.

use super::connect::SegmentConnection;
use crate::model::catalog::Catalog;
use crate::model::outcome::Outcome;
use crate::model::segment::errors::NO_API_FOR_DATA_LAKES;
use crate::model::segment::target::{Choice, Pick, Target};
use crate::model::segment::write::{
    DefinitionChange, ValueChange, merge_definitions, preview_lines, value_changes,
    wanted_definitions,
};
use crate::model::segment::{Destination, Function, FunctionKind, Source, Workspace};
use crate::segment::{SegmentApi, SegmentError};

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
            } else if target.definitions_only {
                // Chosen in the wizard or plain mode: said in their words, not the flags'.
                prepared.left.push(format!(
                    "connect function {} to a source in Segment, then fill in the values above (or write again and pick its instance)",
                    function.display_name
                ));
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
