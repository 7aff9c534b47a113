//! The Segment half at the end of plain mode: with a Public API token in the environment (or the
//! demo's simulated workspace), offer to write the settings into Segment, preview them, ask, and
//! write them read back. Without one, say the command that does it later; no question is added.

use super::{Failure, Plain, exit};
use crate::engine::segment_settings::{self, PrepareError, SegmentConnection, Target};
use crate::model::outcome::Outcome;
use crate::model::segment::TOKEN_VARIABLE;

impl Plain {
    /// With a Public API token in the environment, the workspace ID as Segment gives it (and
    /// its sources, where the role may trust their IDs too); a failure is said, and the
    /// questions asked as ever.
    pub(super) async fn ids_from_segment(
        &mut self,
        integration: &crate::model::catalog::Integration,
    ) -> Option<segment_settings::OfferedIds> {
        if integration.external_id.source != crate::model::catalog::ExternalIdSource::WorkspaceId {
            return None;
        }
        let token = std::env::var(TOKEN_VARIABLE).ok()?;
        let offered = match segment_settings::connect_configured(&token, None).await {
            Ok(connection) => segment_settings::offered_ids(&connection, integration).await,
            Err(message) => Err(message),
        };
        match offered {
            Ok(offered) => {
                self.say(&format!(
                    "Segment's Public API gives the workspace ID of {}: Enter takes it.",
                    offered.workspace.name
                ));
                Some(offered)
            }
            Err(message) => {
                self.say(&format!(
                    "The workspace ID couldn't be read from Segment: {message}"
                ));
                None
            }
        }
    }

    /// After Done: `setup` names the setup for the command said when there is no token. True
    /// when Segment's setting holds these settings' external ID, written and read back (or so
    /// already): a rotation can finish.
    pub(super) async fn offer_segment(
        &mut self,
        outcome: &Outcome,
        stack_name: Option<&str>,
        role_name: Option<&str>,
    ) -> Result<bool, Failure> {
        if outcome.integration == "data-lakes" {
            return Ok(false);
        }
        let token = std::env::var(TOKEN_VARIABLE).ok();
        if token.is_none() && !self.demo {
            if let Some(line) = segment_settings::later_command(stack_name, role_name) {
                self.say("");
                self.say(&line);
            }
            return Ok(false);
        }
        self.say("");
        let question = if self.demo {
            "Write these settings into the demo's simulated Segment workspace"
        } else {
            "A Segment Public API token is set: write these settings into Segment through it"
        };
        if !self.yes_no(question, false)? {
            return Ok(false);
        }
        let connection = match (&token, self.demo) {
            (_, true) => segment_settings::demo(),
            (Some(token), false) => segment_settings::connect_configured(token, None)
                .await
                .map_err(|message| Failure {
                    code: exit::CREDENTIALS,
                    message,
                })?,
            (None, false) => return Ok(false),
        };
        self.say(&format!(
            "Segment workspace {} (ID {})",
            connection.workspace.name, connection.workspace.id
        ));
        self.write_into(&connection, outcome).await
    }

    async fn write_into(
        &mut self,
        connection: &SegmentConnection,
        outcome: &Outcome,
    ) -> Result<bool, Failure> {
        // Asked here: an instance not named is a choice (or a source to connect one to).
        let mut target = Target {
            ask: true,
            ..Target::default()
        };
        let prepared = loop {
            match segment_settings::prepare(connection, outcome, &target).await {
                Ok(prepared) => break prepared,
                Err(PrepareError::Choose { what, choices }) if !choices.is_empty() => {
                    self.say(&what);
                    let rows: Vec<(String, String)> = choices
                        .iter()
                        .map(|c| (c.name.clone(), c.detail.clone()))
                        .collect();
                    let picked = self.choose("Which one", &rows, 0)?;
                    target.apply(&choices[picked].pick);
                }
                Err(error) => {
                    return Err(Failure {
                        code: exit::AWS_REFUSED,
                        message: error.to_string(),
                    });
                }
            }
        };
        for line in &prepared.already {
            self.say(&format!("Already so: {line}"));
        }
        if !prepared.steps.is_empty() {
            self.say("This writes into Segment:");
            for line in segment_settings::preview(&prepared) {
                self.say(&format!("  {line}"));
            }
            let question = format!("Write this into workspace {}", connection.workspace.name);
            if !self.yes_no(&question, false)? {
                self.say("Nothing was written into Segment.");
                return Ok(false);
            }
            let output = self.output.clone();
            let mut report = move |line: &str| super::write_line(&output, line);
            let written = segment_settings::write(connection, &prepared, &mut report)
                .await
                .map_err(|failure| Failure {
                    code: exit::AWS_REFUSED,
                    message: format!(
                        "{}{}",
                        failure.message,
                        if failure.done.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "\nDone before it: {}. Run segment-aws-setup write-settings for this setup: it writes only what is missing.",
                                failure.done.join("; ")
                            )
                        }
                    ),
                })?;
            for line in &written.lines {
                self.say(&format!("Written: {line}"));
            }
        }
        for line in &prepared.left {
            self.say(&format!("Left to you: {line}"));
        }
        Ok(prepared.segment_holds_the_id())
    }
}
