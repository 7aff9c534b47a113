//! The eight steps in order, as numbered questions: the account, the integration, the external ID,
//! the permissions, the method, the review, the work, the settings.

use super::*;
use crate::model::field::Naming;

use crate::aws::Connect;
use crate::engine::saving::SavedSetup;
use crate::engine::{self};
use crate::model::catalog::Catalog;
use crate::model::plan::{Plan, PlanRequest};
use crate::model::validate;
use crate::ui::words::Failure;

impl Plain {
    #[expect(
        clippy::too_many_lines,
        reason = "a long sequence, to be split by step"
    )]
    pub(super) async fn steps(
        &mut self,
        connect: Connect,
        options: &Options,
    ) -> Result<(), Failure> {
        // 1. Welcome
        self.step(1, "Welcome");
        self.say(crate::model::steps::WELCOME);
        self.say(crate::model::steps::WELCOME_CHANGES);
        match connect(options.profile.clone(), options.region.clone()).await {
            Ok(connection) => match engine::identity(connection.identity.as_ref()).await {
                Ok(caller) => {
                    self.say(&format!(
                        "AWS account {} as {} (region {}).",
                        caller.account, caller.arn, connection.region
                    ));
                    self.caller = Some(caller);
                    self.connection = Some(connection);
                }
                Err(error) => self.say(&engine::explain(&error, None)),
            },
            Err(message) => self.say(&message),
        }
        let plan_only = self.connection.is_none();
        for problem in &options.state_problems {
            self.say(&format!("Note: {problem}"));
        }
        // Whether "Continue" was asked already, with the list of setups to change.
        let mut asked = false;
        if let Some(caller) = self.caller.clone().filter(|_| !plan_only) {
            let offers = crate::engine::resume::offers(&options.saved, &caller.account);
            for line in &offers.elsewhere {
                self.say(&format!("Unfinished setup {line}."));
            }
            if let Some(saved) = offers.here.first().cloned() {
                self.say(&format!(
                    "An unfinished setup of this account was found: {} ({}), resumed in {}.",
                    saved.what(),
                    saved.integration,
                    saved.place()
                ));
                if self.yes_no("Resume it", true)? {
                    return self.resume(saved).await;
                }
            }
            let found = match &self.connection {
                Some(connection) => {
                    let place = engine::Place {
                        account: &caller.account,
                        region: Some(&connection.region),
                        profile: self.profile.as_deref(),
                    };
                    engine::find_setups(
                        connection.stacks.as_ref(),
                        connection.roles.as_ref(),
                        place,
                    )
                    .await
                    .unwrap_or_else(|error| {
                        self.say(&format!(
                            "Note: setups made elsewhere could not be listed: {}",
                            engine::explain(&error, None)
                        ));
                        Vec::new()
                    })
                }
                None => Vec::new(),
            };
            let region = self
                .connection
                .as_ref()
                .map(|c| c.region.clone())
                .unwrap_or_default();
            let saved: Vec<SavedSetup> = options
                .finished
                .iter()
                .chain(&options.saved)
                .cloned()
                .collect();
            let changeable =
                crate::engine::resume::changeable(&saved, &found, &caller.account, &region);
            if !changeable.is_empty() {
                // One question in place of "Continue", so that answers line up whether or not
                // the account has setups to change.
                self.say("Setups of this account that can be changed (new ARNs, another bucket, a rotated ID):");
                for (index, setup) in changeable.iter().enumerate() {
                    self.say(&format!("  {}) {}", index + 1, setup.describe()));
                }
                let count = changeable.len();
                // Some(None): a new setup; Some(Some(n)): change one; None: no.
                let pick = self.ask(
                    "Continue with a new setup (y), change one of these (its number), or check this account for roles Segment can assume (audit)?",
                    Some("y"),
                    move |answer| match answer.to_ascii_lowercase().as_str() {
                        "y" | "yes" | "new" => Ok(Some(Some(None))),
                        "n" | "no" => Ok(None),
                        "audit" | "a" => Ok(Some(None)),
                        other => match other.parse::<usize>() {
                            Ok(n) if (1..=count).contains(&n) => Ok(Some(Some(Some(n - 1)))),
                            _ => Err(format!(
                                "answer y, n, audit, or a number from 1 to {count}"
                            )),
                        },
                    },
                )?;
                match pick {
                    Some(Some(Some(index))) => {
                        return self.update(changeable[index].setup.clone()).await;
                    }
                    Some(Some(None)) => asked = true,
                    Some(None) => return self.audit().await,
                    None => return Err(declined()),
                }
            }
        }
        let go_on = if asked {
            true
        } else if plan_only {
            self.say("Without credentials you can go on in plan-only mode: nothing is changed, and it ends with the");
            self.say("policies and AWS CLI commands to hand an administrator.");
            self.yes_no("Continue in plan-only mode", true)?
        } else {
            let answer = self.ask(
                "Continue (y), or check this account for roles Segment can assume (audit)?",
                Some("y"),
                |answer| match answer.to_ascii_lowercase().as_str() {
                    "y" | "yes" => Ok(Some(true)),
                    "n" | "no" => Ok(Some(false)),
                    "audit" | "a" => Ok(None),
                    _ => Err("answer y, n, or audit".into()),
                },
            )?;
            match answer {
                Some(go_on) => go_on,
                None => return self.audit().await,
            }
        };
        if !go_on {
            return Err(declined());
        }

        // 2. Integration
        self.step(2, "Integration");
        let integrations = Catalog::builtin().integrations();
        let choices: Vec<(String, String)> = crate::model::steps::integration_choices()
            .into_iter()
            .map(|c| {
                let detail = c.detail();
                (c.name, format!("{}. {detail}", c.title))
            })
            .collect();
        let integration =
            &integrations[self.choose(crate::model::steps::INTEGRATION_QUESTION, &choices, 0)?];
        let mut request = PlanRequest {
            account: self.caller.as_ref().map(|c| c.account.clone()),
            integration: integration.id.clone(),
            ..PlanRequest::default()
        };

        // 3. External ID
        self.step(3, "External ID");
        let from_segment = self.ids_from_segment(integration).await;
        self.external_id_step(integration, &mut request, from_segment.as_ref())?;

        // 4. Permissions
        self.step(4, "Permissions");
        let plan = loop {
            self.permissions_step(integration, &mut request, None)
                .await?;
            let plan = Plan::build(Catalog::builtin(), &request)
                .map_err(|e| Failure::from_input(&e, Naming::Labels))?;
            self.say(&format!("Permission policy \"{}\":", plan.policy_name));
            self.say(&serde_json::to_string_pretty(&plan.permission_policy).unwrap_or_default());
            if plan.broad_grants.is_empty() {
                break plan;
            }
            self.say("Warning: this policy grants broadly:");
            for grant in &plan.broad_grants {
                self.say(&format!("  ! {grant}"));
            }
            if self.yes_no("Let Segment have these permissions anyway", false)? {
                break plan;
            }
            self.say("Choose the permissions again.");
        };

        // 5. Method
        self.step(5, "Method");
        let methods: Vec<(String, String)> = crate::model::steps::method_choices()
            .into_iter()
            .map(|c| {
                let detail = c.detail();
                (c.name, format!("{}: {detail}", c.title))
            })
            .collect();
        let method = if plan_only {
            self.say("Plan only: nothing will be created, so no method is needed.");
            0
        } else if plan.starter.is_some() {
            // A starter function comes with a new role in this account: a stack or IAM.
            self.choose(crate::model::steps::METHOD_QUESTION, &methods[..2], 0)?
        } else {
            self.choose(crate::model::steps::METHOD_QUESTION, &methods, 0)?
        };
        let mut existing_role = None;
        let mut stack_set = None;
        // The account's roles: a name that is taken, or a role that isn't there, is caught here.
        let roles: Option<Vec<(String, String)>> = match (&self.connection, method) {
            (Some(connection), 1 | 2) if !plan_only => connection
                .roles
                .list_roles()
                .await
                .ok()
                .map(|roles| roles.into_iter().map(|r| (r.name, r.arn)).collect()),
            _ => None,
        };
        match method {
            0 if !plan_only => {
                let default = plan.stack_name.clone();
                request.stack_name = Some(self.ask("Stack name:", Some(&default), |a| {
                    validate::stack_name(a).map(|_| a.to_string()).map_err(said)
                })?);
            }
            1 => {
                // Like the stack's, the default name has a random suffix: a second setup
                // doesn't clash with the first.
                let default = plan.stack_name.clone();
                request.role_name = Some(self.ask("Role name:", Some(&default), |a| {
                    validate::role_name(a).map_err(said)?;
                    match &roles {
                        Some(roles) if roles.iter().any(|(n, _)| n.eq_ignore_ascii_case(a)) => Err(format!(
                            "a role named {a} already exists in this account (IAM names ignore case): choose another name, or method 3 to check it"
                        )),
                        _ => Ok(a.to_string()),
                    }
                })?);
            }
            2 => {
                if let Some(roles) = &roles {
                    let names: Vec<&str> = roles
                        .iter()
                        .take(20)
                        .map(|(name, _)| name.as_str())
                        .collect();
                    self.say(&format!("Roles in the account: {}", names.join(", ")));
                }
                existing_role = Some(self.ask("Role name or ARN:", None, |a| {
                    let check = if a.starts_with("arn:") {
                        validate::role_arn(a)
                    } else {
                        validate::role_name(a)
                    };
                    check.map_err(said)?;
                    match &roles {
                        Some(roles)
                            if !roles
                                .iter()
                                .any(|(n, arn)| n.eq_ignore_ascii_case(a) || arn == a) =>
                        {
                            Err(format!("no role {a} in this account; check the name"))
                        }
                        _ => Ok(a.to_string()),
                    }
                })?);
                request.existing_role = true;
            }
            3 => {
                // One fixed name, so each account's role ARN is known.
                let default = plan.stack_name.clone();
                request.role_name = Some(self.ask(
                    "Role name (the same in every account):",
                    Some(&default),
                    |a| validate::role_name(a).map(|_| a.to_string()).map_err(said),
                )?);
                stack_set = Some(self.stack_set_questions(&plan.stack_name).await?);
            }
            _ => {}
        }
        let plan = Plan::build(Catalog::builtin(), &request)
            .map_err(|e| Failure::from_input(&e, Naming::Labels))?;

        // 6. Review
        self.step(6, "Review");
        self.review(&plan, method, existing_role.as_deref(), stack_set.as_ref());
        if plan_only {
            self.say(
                "Plan only: nothing will be changed. These AWS CLI commands make the same role:",
            );
            self.say(&format!("  {}", crate::model::plan::DOCUMENTS_NOTE));
            for command in plan.cli_commands() {
                self.say(&format!("  {command}"));
            }
            let outcome = crate::model::outcome::Outcome::from_plan(&plan, None);
            let segment = crate::model::catalog::Catalog::builtin()
                .integration(&plan.integration_id)
                .map(|i| crate::model::segment::commands::api_commands(&outcome, i))
                .unwrap_or_default();
            if !segment.is_empty() {
                self.say("Then these write the settings into Segment through its Public API:");
                for command in segment {
                    self.say(&format!("  {command}"));
                }
            }
            self.step(8, "Done");
            self.outcome(&outcome);
            return Ok(());
        }
        let account = self
            .caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default();
        let question = match method {
            2 => format!(
                "Check role {} now (a repair is shown and asked for before any change)",
                existing_role.as_deref().unwrap_or("")
            ),
            _ => format!("Create it now in account {account}"),
        };
        if !self.yes_no(&question, method == 2)? {
            return Err(declined());
        }

        // 7. Progress
        self.step(7, "Progress");
        if let Some(request) = &stack_set {
            let rows = self.create_stack_set(&plan, request).await?;
            self.step(8, "Done");
            self.stack_set_done(&plan, request, &rows);
            return Ok(());
        }
        let role_arn = match (method, existing_role) {
            (2, Some(role)) => self.existing(&plan, &role).await?,
            _ => self.create(&plan, method == 0).await?,
        };

        // 8. Done
        self.step(8, "Done");
        let outcome =
            crate::model::outcome::Outcome::from_plan(&plan, Some(&role_arn)).at(&self.context());
        self.outcome(&outcome);
        // An existing role checked here has no setup saved for write-settings to read.
        let (stack, role) = match method {
            0 => (Some(plan.stack_name.as_str()), None),
            1 => (None, Some(plan.role_name.as_str())),
            _ => (None, None),
        };
        self.offer_segment(&outcome, stack, role).await.map(|_| ())
    }
}
