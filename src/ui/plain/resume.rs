//! Resuming an interrupted setup from its saved record: re-attach, settle or create again.

use super::*;

use crate::engine::saving::{Method, SavedSetup};
use crate::engine::{self, EngineError, WatchOptions};
use crate::ui::words::{Failure, exit};

impl Plain {
    /// Picks up a saved setup in the account, region and profile it was made for: re-attach to
    /// its stack, or check its role (only one tagged as this tool's) and, after showing the
    /// repair and asking, finish it.
    pub(super) async fn resume(&mut self, saved: SavedSetup) -> Result<(), Failure> {
        let current_region = self.connection.as_ref().map(|c| c.region.clone());
        let moved = (saved.region.is_some() && saved.region != current_region)
            || saved.profile != self.profile;
        if moved {
            let connect = self.connect.clone().ok_or_else(not_connected)?;
            self.say(&format!("Connecting in {} to resume it.", saved.place()));
            let connection = connect(saved.profile.clone(), saved.region.clone())
                .await
                .map_err(|message| Failure {
                    code: exit::CREDENTIALS,
                    message,
                })?;
            let caller = engine::identity(connection.identity.as_ref())
                .await
                .map_err(|e| crate::ui::words::engine_failure(e, None))?;
            if caller.account != saved.account {
                return Err(Failure {
                    code: exit::CREDENTIALS,
                    message: format!(
                        "{} was saved for account {}, but {} reaches account {}: nothing was changed",
                        saved.what(),
                        saved.account,
                        saved.place(),
                        caller.account
                    ),
                });
            }
            self.caller = Some(caller);
            self.connection = Some(connection);
        }
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        self.step(7, "Progress");
        let result = match saved.method {
            Method::Cloudformation => {
                self.say(&format!("[7/8] Re-attaching to {}", saved.what()));
                let mut report = self.reporter();
                crate::engine::resume::reattach_saved(
                    connection.stacks.as_ref(),
                    connection.roles.as_ref(),
                    &saved,
                    &WatchOptions::default(),
                    &mut report,
                )
                .await
            }
            Method::Iam => {
                self.say(&format!("[7/8] Checking {} to finish it", saved.what()));
                let role = saved.role_name.clone().unwrap_or_default();
                let account = self.account();
                let mut report = self.reporter();
                let mut stopped = None;
                let checked = crate::engine::resume::repair_saved_role(
                    connection.roles.as_ref(),
                    &saved,
                    &account,
                    &mut self.confirmer(&mut stopped),
                    &mut report,
                )
                .await;
                match checked {
                    // Not found, or not this tool's: settled below like any other error.
                    Err(error) if stopped.is_none() => Err(error),
                    checked => Ok(self.checked(checked, stopped, &role)?),
                }
            }
        };
        crate::engine::resume::settle(self.store.as_ref(), &saved, &result);
        let role_arn = match result {
            Ok(arn) => arn,
            Err(error @ (EngineError::StackNotFound { .. } | EngineError::RoleNotFound { .. })) => {
                return Err(Failure {
                    code: exit::AWS_REFUSED,
                    message: format!(
                        "{error}: the earlier run stopped before making it, so there is nothing to resume; the saved setup was removed. Run the setup again"
                    ),
                });
            }
            Err(error) => return Err(crate::ui::words::engine_failure_in(error, &self.context())),
        };
        self.step(8, "Done");
        self.outcome(
            &crate::model::outcome::Outcome::from_saved(&saved, &role_arn).at(&self.context()),
        );
        Ok(())
    }
}
