//! The writes, in order (definitions first, values second), each read back; a failure says what
//! was done before it, and a re-run prepares again, so nothing is made twice.

use super::connect::SegmentConnection;
use super::prepare::{Prepared, Step};
use crate::model::segment::write::{
    ValueChange, definitions_missing, read_back_problems, values_body,
};
use crate::segment::SegmentApi;
use serde_json::{Value, json};

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
