//! Plain mode's "check this account for roles Segment can assume" (answered `audit` on
//! Welcome): the engine's audit of this account, a line a role, each problem and the command
//! that repairs it; exit code 4 when one is NOT OK, as `audit` has.

use super::*;
use crate::ui::words::Failure;

impl Plain {
    pub(super) async fn audit(&mut self) -> Result<(), Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let account = self
            .caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default();
        self.say("");
        self.say(&format!(
            "Looking for roles Segment can assume in account {account} (every role is read; nothing is changed)"
        ));
        let now = crate::engine::now();
        let audited = crate::engine::audit::audit_roles(
            connection.roles.as_ref(),
            &account,
            now,
            usize::from(crate::engine::stack_sets::ACCOUNTS_AT_ONCE),
        )
        .await
        .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
        for line in crate::model::audit::audit_text(&audited.roles, audited.looked_at).lines() {
            self.say(line);
        }
        if audited.is_ok() {
            return Ok(());
        }
        Err(Failure {
            code: crate::ui::words::exit::AWS_REFUSED,
            message:
                "a role Segment can assume is NOT OK: each says why and the command that repairs it"
                    .into(),
        })
    }
}
