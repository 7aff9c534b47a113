//! The plain face: the wizard's eight steps as numbered questions and answers, one line at a
//! time. No alternate screen, no box drawing, no cursor movement, no spinner, no escape sequence
//! at all: a screen reader reads it, and a script can drive it with a here-document. Defaults are
//! in brackets and taken with Enter; a wrong answer is explained and asked again.
//!
//! It uses the same plan, validators and engine as the wizard and the commands.

use crate::aws::{Connect, Connection, Identity, Roles, Stacks};
use crate::engine::saving::{Method, SavedSetup, StateStore};
use crate::engine::stack_sets::StackSetRequest;
use crate::engine::update;
use crate::engine::{self, EngineError, Progress, WatchOptions};
use crate::model::catalog::Catalog;
use crate::model::catalog::{ExternalIdSource, Input as PresetInput, Integration};
use crate::model::plan::{Plan, PlanRequest, PolicyFile};
use crate::model::stackset::{self, InstanceRow, Preferences, Targets};
use crate::model::{external_id, policy, validate};
use crate::ui::words::{Failure, exit};
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex};

pub struct Options {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub demo: bool,
    /// Unfinished setups found in the state directory (offered only in their own account).
    pub saved: Vec<SavedSetup>,
    /// Finished setups: this account's may be changed.
    pub finished: Vec<SavedSetup>,
    /// State files that couldn't be read, a sentence each with its path.
    pub state_problems: Vec<String>,
}

type Output = Arc<Mutex<Box<dyn Write + Send>>>;

struct Plain<I, S, R> {
    input: Box<dyn BufRead + Send>,
    /// Input from a pipe or file: echo each answer so the transcript reads as questions and answers.
    echo: bool,
    output: Output,
    demo: bool,
    connection: Option<Connection<I, S, R>>,
    caller: Option<crate::aws::Caller>,
    store: Option<StateStore>,
    connect: Option<Connect<I, S, R>>,
    /// The profile this run connected with (a resumed setup may need its own).
    profile: Option<String>,
    /// The step being asked about, for the `?` answer.
    current_step: std::cell::Cell<usize>,
}

/// What a picked question was answered with; a bucket from the list brings its region.
struct Picked {
    values: Vec<String>,
    bucket_region: Option<String>,
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One line of the transcript, its control characters escaped: plain mode writes no escape
/// sequence at all, not even one that came from AWS.
fn write_line(output: &Output, text: &str) {
    if let Ok(mut out) = output.lock() {
        let _ = writeln!(out, "{}", crate::model::text::escape_controls(text));
        let _ = out.flush();
    }
}

/// Runs the eight steps; returns what to print at the end (nothing: the transcript is the output).
pub async fn run<I: Identity + 'static, S: Stacks + 'static, R: Roles + 'static>(
    connect: Connect<I, S, R>,
    store: Option<StateStore>,
    options: Options,
    input: Box<dyn BufRead + Send>,
    output: Box<dyn Write + Send>,
) -> Result<(), Failure> {
    use std::io::IsTerminal;
    let mut plain: Plain<I, S, R> = Plain {
        input,
        echo: !std::io::stdin().is_terminal(),
        output: Arc::new(Mutex::new(output)),
        demo: options.demo,
        connection: None,
        caller: None,
        store,
        connect: Some(connect.clone()),
        profile: options.profile.clone(),
        current_step: std::cell::Cell::new(1),
    };
    plain.steps(connect, &options).await
}

impl<I: Identity + 'static, S: Stacks + 'static, R: Roles + 'static> Plain<I, S, R> {
    /// Who and where, for errors and the commands printed.
    fn context(&self) -> engine::Context {
        engine::Context {
            caller: self.caller.clone(),
            region: self.connection.as_ref().map(|c| c.region.clone()),
            profile: self.connection.as_ref().and_then(|c| c.profile.clone()),
        }
    }

    fn say(&self, text: &str) {
        write_line(&self.output, text);
    }

    fn step(&self, number: usize, title: &str) {
        let demo = if self.demo {
            " DEMO (simulated account, nothing leaves this machine)"
        } else {
            ""
        };
        self.say("");
        self.say(&format!("[{number}/8] {title}{demo}"));
        self.current_step.set(number);
    }

    /// Asks until the answer passes `check`; Enter takes the default.
    fn ask<T>(
        &mut self,
        question: &str,
        default: Option<&str>,
        check: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, Failure> {
        loop {
            let prompt = match default {
                Some(default) if !default.is_empty() => format!("{question} [{default}] "),
                _ => format!("{question} "),
            };
            if let Ok(mut out) = self.output.lock() {
                let _ = write!(out, "{}", crate::model::text::escape_controls(&prompt));
                let _ = out.flush();
            }
            let mut line = String::new();
            let read = self.input.read_line(&mut line).map_err(|e| Failure {
                code: exit::BAD_INPUT,
                message: e.to_string(),
            })?;
            if read == 0 {
                self.say("");
                return Err(Failure {
                    code: exit::BAD_INPUT,
                    message: format!(
                        "no answer to \"{question}\" (the input ended); nothing more was changed"
                    ),
                });
            }
            let answer = line.trim();
            if self.echo {
                self.say(answer);
            }
            // `?` explains the step and asks again.
            if answer == "?" {
                for idea in crate::model::steps::ideas(self.current_step.get()) {
                    self.say(&format!("  {idea}"));
                }
                continue;
            }
            let answer = if answer.is_empty() {
                default.unwrap_or("")
            } else {
                answer
            };
            match check(answer) {
                Ok(value) => return Ok(value),
                Err(reason) => self.say(&format!(
                    "That answer can't be used: {reason}. Please answer again."
                )),
            }
        }
    }

    fn yes_no(&mut self, question: &str, default: bool) -> Result<bool, Failure> {
        let hint = if default { "Y/n" } else { "y/N" };
        self.ask(&format!("{question}?"), Some(hint), |answer| {
            match answer.to_ascii_lowercase().as_str() {
                "y" | "yes" => Ok(true),
                "n" | "no" => Ok(false),
                "y/n" => Ok(default),
                _ => Err("answer y for yes or n for no".into()),
            }
        })
    }

    /// "keep" (the default, false) or the one other word (true).
    fn keep_or(&mut self, question: &str, other: &'static str) -> Result<bool, Failure> {
        self.ask(question, Some("keep"), move |answer| match answer {
            "keep" => Ok(false),
            _ if answer == other => Ok(true),
            _ => Err(format!("answer keep or {other}")),
        })
    }

    /// A numbered choice; the number, the name or a part only one name has is accepted.
    fn choose(
        &mut self,
        question: &str,
        choices: &[(String, String)],
        default: usize,
    ) -> Result<usize, Failure> {
        if choices.len() == 1 {
            self.say(&format!("{question}: {} (the only choice)", choices[0].0));
            return Ok(0);
        }
        for (index, (name, detail)) in choices.iter().enumerate() {
            self.say(&format!("  {}) {name}: {detail}", index + 1));
        }
        let names: Vec<String> = choices.iter().map(|(n, _)| n.clone()).collect();
        self.ask(
            &format!("{question}?"),
            Some(&(default + 1).to_string()),
            move |answer| crate::model::steps::pick(answer, &names),
        )
    }

    async fn steps(&mut self, connect: Connect<I, S, R>, options: &Options) -> Result<(), Failure> {
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
                let pick = self.ask(
                    "Continue with a new setup (y), or change one of these (its number)?",
                    Some("y"),
                    move |answer| match answer.to_ascii_lowercase().as_str() {
                        "y" | "yes" | "new" => Ok(Some(None)),
                        "n" | "no" => Ok(None),
                        other => match other.parse::<usize>() {
                            Ok(n) if (1..=count).contains(&n) => Ok(Some(Some(n - 1))),
                            _ => Err(format!("answer y, n, or a number from 1 to {count}")),
                        },
                    },
                )?;
                match pick {
                    Some(Some(index)) => return self.update(changeable[index].setup.clone()).await,
                    Some(None) => asked = true,
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
            self.yes_no("Continue", true)?
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
        self.external_id_step(integration, &mut request)?;

        // 4. Permissions
        self.step(4, "Permissions");
        let plan = loop {
            self.permissions_step(integration, &mut request, None)
                .await?;
            let plan = Plan::build(Catalog::builtin(), &request).map_err(Failure::from)?;
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
                    validate::stack_name(a)
                        .map(|_| a.to_string())
                        .map_err(|e| e.0)
                })?);
            }
            1 => {
                // Like the stack's, the default name has a random suffix: a second setup
                // doesn't clash with the first.
                let default = plan.stack_name.clone();
                request.role_name = Some(self.ask("Role name:", Some(&default), |a| {
                    validate::role_name(a).map_err(|e| e.0)?;
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
                    check.map_err(|e| e.0)?;
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
                    |a| {
                        validate::role_name(a)
                            .map(|_| a.to_string())
                            .map_err(|e| e.0)
                    },
                )?);
                stack_set = Some(self.stack_set_questions(&plan.stack_name).await?);
            }
            _ => {}
        }
        let plan = Plan::build(Catalog::builtin(), &request).map_err(Failure::from)?;

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
            self.step(8, "Done");
            self.outcome(&crate::model::outcome::Outcome::from_plan(&plan, None));
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
        self.outcome(
            &crate::model::outcome::Outcome::from_plan(&plan, Some(&role_arn)).at(&self.context()),
        );
        Ok(())
    }

    fn external_id_step(
        &mut self,
        integration: &Integration,
        request: &mut PlanRequest,
    ) -> Result<(), Failure> {
        let rule = integration.external_id.clone();
        if rule.source == ExternalIdSource::WorkspaceId {
            for line in crate::model::steps::external_id_intro(integration) {
                self.say(&line);
            }
            request.workspace_ids = self.ask("Segment workspace ID:", None, |answer| {
                validate::comma_separated(
                    answer,
                    "a workspace ID is needed",
                    validate::workspace_id,
                )
                .map_err(|e| e.0)
            })?;
            if rule.source_ids {
                self.say(crate::model::steps::SOURCE_ID_WHY);
                request.source_ids = self.ask(
                    "Source ID(s) to trust too, separated by commas:",
                    Some("none"),
                    |answer| {
                        if answer == "none" {
                            return Ok(Vec::new());
                        }
                        validate::comma_separated(answer, "", validate::workspace_id)
                            .map_err(|e| e.0.replace("workspace ID", "source ID"))
                    },
                )?;
            }
        } else {
            let generated = external_id::generate(external_id::DEFAULT_LENGTH);
            self.say(&format!("Generated external ID (from the OS's secure random source; keep it like a password): {generated}"));
            self.say(&format!(
                "Press Enter to use it, or type your own (at least {} characters).",
                rule.min_length
            ));
            let id = self.ask("External ID:", Some("use the generated one"), |answer| {
                if answer == "use the generated one" {
                    return Ok(generated.clone());
                }
                external_id::check(answer, &rule)
                    .map(|_| answer.to_string())
                    .map_err(|e| e.0)
            })?;
            if id != generated
                && let Some(why) = external_id::weakness(&id)
            {
                self.say(&format!(
                    "Note: the external ID you typed looks weak: {why}."
                ));
            }
            request.external_ids = vec![id];
        }
        Ok(())
    }

    /// Step 4. The request's inputs, when it has some (a setup being changed), are the defaults,
    /// and so is `preset`.
    async fn permissions_step(
        &mut self,
        integration: &Integration,
        request: &mut PlanRequest,
        preset: Option<&str>,
    ) -> Result<(), Failure> {
        let catalog = Catalog::builtin();
        let choices: Vec<(String, String)> = crate::model::steps::preset_choices(integration)
            .into_iter()
            .map(|c| {
                let detail = c.detail();
                (c.title, detail)
            })
            .collect();
        let default = integration
            .presets
            .iter()
            .position(|o| Some(o.preset.as_str()) == preset)
            .unwrap_or(0);
        let chosen = self.choose(crate::model::steps::PERMISSIONS_QUESTION, &choices, default)?;
        let Some(preset) = integration
            .presets
            .get(chosen)
            .and_then(|o| catalog.preset(&o.preset))
        else {
            return Err(Failure {
                code: exit::BAD_INPUT,
                message: "no such preset".into(),
            });
        };
        let region = request.bucket_region.clone().unwrap_or_else(|| {
            self.connection
                .as_ref()
                .map(|c| c.region.clone())
                .unwrap_or_else(|| "us-east-1".into())
        });
        let bucket = request.bucket.clone();
        let lambda_arns = request.lambda_arns.join(",");
        let mut detected_region = None;
        for input in &preset.inputs {
            match input {
                PresetInput::Bucket => {
                    let picked = self
                        .ask_picked(
                            PresetInput::Bucket,
                            "S3 bucket name",
                            bucket.as_deref(),
                            false,
                            integration,
                            None,
                        )
                        .await?;
                    request.bucket = picked.values.into_iter().next();
                    detected_region = picked.bucket_region;
                }
                PresetInput::BucketRegion => {
                    let default = detected_region.clone().unwrap_or_else(|| region.clone());
                    if detected_region.is_some() {
                        self.say(&format!("AWS says the bucket is in {default}."));
                    }
                    request.bucket_region =
                        Some(self.ask("S3 bucket region:", Some(&default), |a| {
                            validate::region(a).map(|_| a.to_string()).map_err(|e| e.0)
                        })?);
                }
                PresetInput::LambdaArns => {
                    request.lambda_arns = self
                        .ask_picked(
                            PresetInput::LambdaArns,
                            "Lambda function ARN(s), separated by commas",
                            Some(&lambda_arns)
                                .filter(|a| !a.is_empty())
                                .map(String::as_str),
                            false,
                            integration,
                            None,
                        )
                        .await?
                        .values;
                }
                PresetInput::PolicyFile => {
                    request.policy_file =
                        Some(
                            self.ask("Path of the policy document (JSON):", None, |path| {
                                let text = policy::read_policy_file(std::path::Path::new(path))?;
                                policy::check_custom_policy(&text).map_err(|e| e.0)?;
                                Ok(PolicyFile {
                                    path: path.to_string(),
                                    text,
                                })
                            })?,
                        );
                }
                other => {
                    let values = self.ask_input(*other, false, request, integration).await?;
                    request.other_inputs.insert(*other, values);
                }
            }
        }
        for input in &preset.optional_inputs {
            let values = self.ask_input(*input, true, request, integration).await?;
            request.other_inputs.insert(*input, values);
        }
        Ok(())
    }

    /// One of the inputs beyond the first four, asked with its hint and checked (several values
    /// separated by commas for a list); an optional one may be answered `none`.
    async fn ask_input(
        &mut self,
        input: PresetInput,
        optional: bool,
        request: &PlanRequest,
        integration: &crate::model::catalog::Integration,
    ) -> Result<Vec<String>, Failure> {
        let current = request
            .other_inputs
            .get(&input)
            .map(|v| v.join(","))
            .filter(|v| !v.is_empty());
        let default = current.or_else(|| optional.then(|| "none".to_string()));
        let question = format!("{} ({})", capitalized(input.label()), input.hint());
        // A key is listed where the bucket or stream is: it encrypts data in its own region only.
        let home = (input == PresetInput::KmsKeyArn)
            .then(|| crate::model::picker::key_region(request))
            .flatten();
        Ok(self
            .ask_picked(
                input,
                &question,
                default.as_deref(),
                optional,
                integration,
                home,
            )
            .await?
            .values)
    }

    /// The account's resources for a picker, listed (or the sentence why not), numbered.
    async fn list_for(
        &self,
        kind: crate::model::picker::ResourceKind,
        region: &str,
    ) -> Vec<crate::model::picker::Resource> {
        let (Some(connection), Some(caller)) = (&self.connection, &self.caller) else {
            return Vec::new();
        };
        let place = if kind.is_regional() {
            format!(" in {region}")
        } else {
            String::new()
        };
        self.say(&format!("Listing {}{place}…", kind.plural()));
        match engine::list_resources(connection.resources.as_ref(), kind, region, &caller.account)
            .await
        {
            Ok(found) if found.is_empty() => {
                self.say(&format!(
                    "  No {}{place} in this account: type it.",
                    kind.plural()
                ));
                Vec::new()
            }
            Ok(found) => {
                let rows: Vec<(usize, &crate::model::picker::Resource)> =
                    found.iter().enumerate().map(|(i, r)| (i + 1, r)).collect();
                self.show_rows(&rows);
                found
            }
            Err(why) => {
                self.say(&format!("  {why}"));
                Vec::new()
            }
        }
    }

    /// Numbered rows, at most a screenful; the rest is reached with `/text`.
    fn show_rows(&self, rows: &[(usize, &crate::model::picker::Resource)]) {
        const SHOWN: usize = 20;
        for (number, resource) in rows.iter().take(SHOWN) {
            self.say(&format!("  {number}) {}", resource.describe()));
        }
        if rows.len() > SHOWN {
            self.say(&format!(
                "  … and {} more: /text shows those that hold the text",
                rows.len() - SHOWN
            ));
        }
    }

    /// A question whose answer may be picked from the account's resources (a numbered list:
    /// numbers, `/text` to filter, `@region` for another region) or typed by hand; checked as
    /// the input requires. A bucket picked from the list brings its region.
    async fn ask_picked(
        &mut self,
        input: PresetInput,
        question: &str,
        default: Option<&str>,
        optional: bool,
        integration: &crate::model::catalog::Integration,
        home: Option<String>,
    ) -> Result<Picked, Failure> {
        let kind = crate::model::picker::ResourceKind::of(input);
        let home = home
            .or_else(|| self.connection.as_ref().map(|c| c.region.clone()))
            .unwrap_or_else(|| "us-east-1".into());
        let mut region = crate::model::picker::regions(&integration.resource_regions, &home)
            .into_iter()
            .next()
            .unwrap_or(home);
        let mut listed = match kind {
            Some(kind) => self.list_for(kind, &region).await,
            None => Vec::new(),
        };
        let list = input.is_list();
        loop {
            let how = match (kind, listed.is_empty()) {
                (Some(kind), false) if kind.is_regional() => {
                    " (a number, /text to filter, @region for another region, or type it):"
                }
                (Some(_), false) => " (a number, /text to filter, or type it):",
                (Some(kind), true) if kind.is_regional() => {
                    " (type it, or @region to list another region):"
                }
                _ => ":",
            };
            let rows = listed.clone();
            let answer = self.ask(&format!("{question}{how}"), default, move |answer| {
                if optional && (answer == "none" || answer.is_empty()) {
                    return Ok(crate::model::picker::Answer::Values(Vec::new()));
                }
                let answer = crate::model::picker::read_answer(answer, &rows, list)?;
                if let crate::model::picker::Answer::Values(values) = &answer {
                    if values.is_empty() {
                        return Err("at least one is needed".into());
                    }
                    for value in values {
                        validate::input_value(input, value).map_err(|e| e.0)?;
                    }
                }
                Ok(answer)
            })?;
            match answer {
                crate::model::picker::Answer::Values(values) => {
                    let bucket_region = values
                        .first()
                        .and_then(|bucket| crate::model::picker::bucket_region(&listed, bucket))
                        .map(str::to_string);
                    return Ok(Picked {
                        values,
                        bucket_region,
                    });
                }
                crate::model::picker::Answer::Filter(text) => {
                    let needle = text.to_lowercase();
                    let rows: Vec<(usize, &crate::model::picker::Resource)> = listed
                        .iter()
                        .enumerate()
                        .map(|(i, r)| (i + 1, r))
                        .filter(|(_, r)| {
                            r.name.to_lowercase().contains(&needle)
                                || r.value.to_lowercase().contains(&needle)
                        })
                        .collect();
                    if rows.is_empty() {
                        self.say(&format!("  none of the list holds \"{text}\""));
                    } else {
                        self.show_rows(&rows);
                    }
                }
                crate::model::picker::Answer::Region(next) => match kind {
                    Some(kind) if kind.is_regional() => {
                        region = next;
                        listed = self.list_for(kind, &region).await;
                    }
                    _ => self.say("  this one isn't listed by region"),
                },
            }
        }
    }

    /// Where a StackSet goes: accounts or organizational units, the regions, its name.
    async fn stack_set_questions(
        &mut self,
        default_name: &str,
    ) -> Result<StackSetRequest, Failure> {
        self.say("Accounts get the role through AWS's self-managed StackSet roles; organizational units through AWS Organizations (service-managed).");
        let listed = self
            .list_for(crate::model::picker::ResourceKind::OrgTargets, "")
            .await;
        let targets = self.ask(
            "Account IDs, or organizational units (ou-..., r-...), separated by commas (numbers pick from the list):",
            None,
            |a| match crate::model::picker::read_answer(a, &listed, true)? {
                crate::model::picker::Answer::Values(values) => {
                    stackset::parse_targets(&values.join(","), false).map_err(|e| e.0)
                }
                _ => Err("answer numbers from the list, or account IDs or organizational units, separated by commas".into()),
            },
        )?;
        let targets = match targets {
            Targets::OrgUnits { ids, .. } => Targets::OrgUnits {
                ids,
                auto_deploy: self.yes_no(
                    "Also make the role in accounts added to these units later",
                    false,
                )?,
            },
            accounts => accounts,
        };
        let home = self
            .connection
            .as_ref()
            .map(|c| c.region.clone())
            .unwrap_or_else(|| "us-east-1".into());
        self.say("An IAM role is global: one region makes it in every account (a second would make the same role again, and fail).");
        let regions = self.ask("Regions, separated by commas:", Some(&home), |a| {
            stackset::regions(&stackset::split_list(a), &home).map_err(|e| e.0)
        })?;
        let name = self.ask("StackSet name:", Some(default_name), |a| {
            validate::stack_name(a)
                .map(|_| a.to_string())
                .map_err(|e| e.0)
        })?;
        Ok(StackSetRequest {
            name,
            targets,
            regions,
            preferences: Preferences::default(),
        })
    }

    /// Saves the setup, makes the StackSet, watches every instance; when some fail, shows why and
    /// offers to run them again.
    async fn create_stack_set(
        &mut self,
        plan: &Plan,
        request: &StackSetRequest,
    ) -> Result<Vec<InstanceRow>, Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let account = self
            .caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default();
        let saved = SavedSetup::for_stack_set(
            plan,
            &request.name,
            &account,
            Some(&connection.region),
            None,
        );
        let mut report = self.reporter();
        let mut rows = crate::engine::resume::create_stack_set(
            connection.stack_sets.as_ref(),
            connection.roles.as_ref(),
            self.store.as_ref(),
            plan,
            &saved,
            request,
            &WatchOptions::default(),
            &mut report,
        )
        .await
        .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
        loop {
            let failed: Vec<&InstanceRow> = rows.iter().filter(|r| r.failed()).collect();
            if failed.is_empty() {
                crate::engine::resume::finish_stack_set(
                    self.store.as_ref(),
                    &saved,
                    &plan.role_name,
                    &rows,
                );
                return Ok(rows);
            }
            self.say(&format!("{} instance(s) failed:", failed.len()));
            for row in failed {
                self.say(&format!("  - {}", row.line()));
            }
            if !self.yes_no(
                "Fix what the reasons say, then run the failed instances again",
                false,
            )? {
                return Ok(rows);
            }
            let units = match &request.targets {
                Targets::OrgUnits { ids, .. } => ids.clone(),
                Targets::Accounts(_) => Vec::new(),
            };
            let mut report = self.reporter();
            rows = crate::engine::stack_sets::retry(
                connection.stack_sets.as_ref(),
                &request.name,
                &units,
                Preferences::default(),
                &WatchOptions::default(),
                &mut report,
            )
            .await
            .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
        }
    }

    /// A row per account, then the settings (the same for every account but its role ARN), and
    /// the retry command when an instance failed.
    fn stack_set_done(&self, plan: &Plan, request: &StackSetRequest, rows: &[InstanceRow]) {
        for row in rows {
            let detail = if row.succeeded() {
                stackset::role_arn(&row.account, &plan.role_name)
            } else {
                row.reason.clone().unwrap_or_default()
            };
            self.say(&format!(
                "  {}  {}  {:<9}  {detail}",
                row.account, row.region, row.status
            ));
        }
        if rows.iter().any(InstanceRow::failed) {
            self.say(&format!(
                "Once the reasons are fixed, run the failed instances again: segment-aws-setup retry --stack-set {}{}",
                request.name,
                self.context().flags()
            ));
        }
        if let Some(first) = rows.iter().find(|r| r.succeeded()) {
            self.say(
                "The settings for Segment, the same for every account but its role ARN (above):",
            );
            self.outcome(
                &crate::model::outcome::Outcome::for_stack_set(
                    plan,
                    &stackset::role_arn(&first.account, &plan.role_name),
                    &request.name,
                )
                .at(&self.context()),
            );
        }
    }

    fn review(
        &self,
        plan: &Plan,
        method: usize,
        existing_role: Option<&str>,
        stack_set: Option<&StackSetRequest>,
    ) {
        if let Some(caller) = &self.caller {
            let region = self
                .connection
                .as_ref()
                .map(|c| c.region.clone())
                .unwrap_or_default();
            self.say(&format!(
                "Account {} as {}, region {region}.",
                caller.account, caller.arn
            ));
        }
        self.say(&match (method, existing_role) {
            (3, _) => match stack_set {
                Some(request) => format!(
                    "Creates StackSet {} ({}): IAM role {} with inline policy \"{}\" in {} ({}), region {}.",
                    request.name,
                    request.targets.permission_model().to_lowercase().replace('_', "-"),
                    plan.role_name,
                    plan.policy_name,
                    request.targets.describe(),
                    request.targets.ids().join(", "),
                    request.regions.join(", ")
                ) + " " + crate::model::steps::STACK_SET_SHARED_ID,
                None => String::new(),
            },
            (2, Some(role)) => {
                format!("Reads role {role} and checks it; any repair is shown and asked for first.")
            }
            (1, _) => format!(
                "Creates IAM role {} with inline policy \"{}\".",
                plan.role_name, plan.policy_name
            ),
            _ => format!(
                "Creates CloudFormation stack {} with an IAM role and inline policy \"{}\".",
                plan.stack_name, plan.policy_name
            ),
        });
        self.say(&format!(
            "Segment assumes the role as {} with the external ID {}.",
            plan.principal,
            plan.external_ids.join(", ")
        ));
        for warning in &plan.warnings {
            self.say(&format!("Warning: {warning}."));
        }
        self.say("Trust policy:");
        self.say(&serde_json::to_string_pretty(&plan.trust_policy).unwrap_or_default());
        self.say(&format!("Permission policy \"{}\":", plan.policy_name));
        self.say(&serde_json::to_string_pretty(&plan.permission_policy).unwrap_or_default());
    }

    fn reporter(&self) -> impl FnMut(Progress) + Send + use<I, S, R> {
        let output = self.output.clone();
        move |progress| match progress {
            Progress::Event { event, elapsed } => {
                let reason = event.reason.map(|r| format!(": {r}")).unwrap_or_default();
                write_line(
                    &output,
                    &format!(
                        "[7/8] {} {} ({} s){reason}",
                        event.logical_id,
                        event.status,
                        elapsed.as_secs()
                    ),
                );
            }
            Progress::Note(note) => write_line(&output, &format!("[7/8] {note}")),
            Progress::Status { .. } => {}
            Progress::Reconnecting { error } => write_line(
                &output,
                &format!("[7/8] Lost the connection to AWS ({error}); reconnecting."),
            ),
            Progress::Reconnected => write_line(&output, "[7/8] Reconnected."),
            Progress::Saved(path) => write_line(
                &output,
                &format!("[7/8] Saved the setup to {path} so a re-run can resume it."),
            ),
            Progress::Instance { row, elapsed } => write_line(
                &output,
                &format!("[7/8] {} ({} s)", row.line(), elapsed.as_secs()),
            ),
        }
    }

    /// Creates through CloudFormation or IAM (saving first); after a failed stack, offers to
    /// delete it and retry.
    async fn create(&mut self, plan: &Plan, cloudformation: bool) -> Result<String, Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let method = if cloudformation {
            Method::Cloudformation
        } else {
            Method::Iam
        };
        let account = self
            .caller
            .as_ref()
            .map(|c| c.account.clone())
            .unwrap_or_default();
        let saved = SavedSetup::new(plan, method, &account, Some(&connection.region), None);
        loop {
            let mut report = self.reporter();
            let mut confirm = |_: &engine::Question| false;
            let result = crate::engine::resume::create(
                connection.stacks.as_ref(),
                connection.roles.as_ref(),
                self.store.as_ref(),
                plan,
                &saved,
                false,
                "/",
                &WatchOptions::default(),
                &mut confirm,
                &mut report,
            )
            .await;
            match result {
                Ok(created) => return Ok(created.role_arn),
                Err(error @ (EngineError::StackFailed { .. } | EngineError::Declined(_))) => {
                    match &error {
                        EngineError::StackFailed { stack, status, reasons } => {
                            self.say(&format!("The stack {stack} ended in {status}. Why, first cause first:"));
                            for reason in reasons {
                                self.say(&format!("  - {reason}"));
                            }
                        }
                        _ => self.say(&format!("The stack {} exists in ROLLBACK_COMPLETE from an earlier failed create.", plan.stack_name)),
                    }
                    if !self.yes_no("Delete the stack and try again", false)? {
                        return Err(Failure {
                            code: exit::AWS_REFUSED,
                            message: error.to_string(),
                        });
                    }
                    let mut report = self.reporter();
                    engine::delete_stack(
                        connection.stacks.as_ref(),
                        &plan.stack_name,
                        &WatchOptions::default(),
                        &mut report,
                    )
                    .await
                    .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
                }
                Err(error) => {
                    return Err(crate::ui::words::engine_failure_in(error, &self.context()));
                }
            }
        }
    }

    /// Checks an existing role; shows and asks before any repair.
    async fn existing(&mut self, plan: &Plan, role: &str) -> Result<String, Failure> {
        let integration = Catalog::builtin()
            .integration(&plan.integration_id)
            .ok_or_else(not_connected)?;
        let permission = Some((plan.policy_name.as_str(), &plan.permission_policy));
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let verification = engine::verify_role(
            connection.roles.as_ref(),
            role,
            integration,
            &plan.external_ids,
            false,
            permission,
        )
        .await
        .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
        self.show_and_repair(
            verification,
            role,
            integration,
            &plan.external_ids,
            permission,
        )
        .await
    }

    /// Shows a judged role; when it is not right, shows the proven repair (asking about each
    /// Deny that refuses Segment first) and applies it only after a yes. The role's ARN when it
    /// ends right.
    async fn show_and_repair(
        &mut self,
        mut verification: crate::model::verify::Verification,
        role: &str,
        integration: &Integration,
        external_ids: &[String],
        permission: Option<(&str, &serde_json::Value)>,
    ) -> Result<String, Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let context = self.context();
        let failure = |e: EngineError| crate::ui::words::engine_failure_in(e, &context);
        let rotating = verification.judgement.subject.rotating;
        self.verification_lines(&verification);
        if !verification.is_right() {
            let mut confirmed = Vec::new();
            for &number in &verification.judgement.blocking_denies {
                if self.yes_no(
                    &format!("Statement {number} is a Deny that refuses Segment's principal. Remove statement {number}"),
                    false,
                )? {
                    confirmed.push(number);
                }
            }
            let fix = verification.fix(permission, &confirmed).map_err(|reasons| Failure {
                code: exit::AWS_REFUSED,
                message: format!(
                    "role {role} is not right, and no repair this tool may make passes every probe, so nothing was changed: {}",
                    reasons.join("; ")
                ),
            })?;
            for change in &fix.changes {
                self.say(&format!("[7/8] Repair: {change}"));
            }
            if !fix.diff.is_empty() {
                self.say("[7/8] Trust policy, before (-) and after (+):");
                for line in &fix.diff {
                    self.say(line);
                }
            }
            for note in &fix.left_alone {
                self.say(&format!("[7/8] Left alone: {note}"));
            }
            let cuts_off = verification.repair_cuts_off(&fix);
            if let Some(warning) = &cuts_off {
                self.say(&format!("[7/8] Warning: {warning}"));
            }
            if !fix.is_empty() {
                if !self.yes_no("Apply this repair", false)? {
                    return Err(declined());
                }
                if let Some(warning) = &cuts_off {
                    self.say(&format!("[7/8] Repairing. {warning}"));
                }
                let mut report = self.reporter();
                engine::apply_fix(
                    connection.roles.as_ref(),
                    &verification.role.name,
                    &fix,
                    &mut report,
                )
                .await
                .map_err(failure)?;
                verification = engine::verify_role(
                    connection.roles.as_ref(),
                    role,
                    integration,
                    external_ids,
                    rotating,
                    permission,
                )
                .await
                .map_err(failure)?;
                self.verification_lines(&verification);
            }
        }
        if verification.is_right() {
            Ok(verification.role.arn)
        } else {
            Err(Failure {
                code: exit::AWS_REFUSED,
                message: format!("role {role} is still not right"),
            })
        }
    }

    fn verification_lines(&self, verification: &crate::model::verify::Verification) {
        for line in verification.lines() {
            self.say(&format!("[7/8] {}", line.plain()));
        }
    }

    /// The outcome, as every face shows it: the settings, the next steps, the code, the check.
    fn outcome(&self, outcome: &crate::model::outcome::Outcome) {
        for line in outcome_lines(outcome) {
            self.say(&line);
        }
    }

    /// Changes a setup this tool made: the same integration, method and name; the external ID kept,
    /// or a rotation begun or finished (in two phases, so Segment is never locked out); the
    /// permissions asked again; a preview (a change set, or the documents' diff) shown and asked
    /// for before anything changes. The sequence is the engine's (`change`), as in `update`.
    async fn update(&mut self, saved: SavedSetup) -> Result<(), Failure> {
        let connection = self.connection.clone().ok_or_else(not_connected)?;
        let integration = Catalog::builtin()
            .integration(&saved.integration)
            .ok_or_else(not_connected)?;
        let name = match saved.method {
            crate::engine::saving::Method::Cloudformation => saved.stack_name.clone(),
            crate::engine::saving::Method::Iam => saved.role_name.clone(),
        }
        .ok_or_else(not_connected)?;
        // The record on this machine, if any (a setup found in AWS has none).
        let record = self.store.as_ref().and_then(|store| {
            match saved.method {
                crate::engine::saving::Method::Cloudformation => store.find_stack(&name),
                crate::engine::saving::Method::Iam => store.find_role(&name),
            }
            .filter(|r| r.account == saved.account && r.integration == saved.integration)
        });
        let mut request = PlanRequest {
            account: self.caller.as_ref().map(|c| c.account.clone()),
            integration: integration.id.clone(),
            stack_name: saved.stack_name.clone(),
            role_name: saved.role_name.clone(),
            ..PlanRequest::default()
        };
        self.step(3, "External ID");
        let mut given = Vec::new();
        let mut id_change = update::IdChange::Keep;
        if integration.external_id.source == ExternalIdSource::WorkspaceId {
            let default = saved.external_ids.join(",");
            let ids = self.ask(
                "Segment workspace and source IDs to trust:",
                Some(&default),
                |answer| {
                    validate::comma_separated(
                        answer,
                        "a workspace ID is needed",
                        validate::workspace_id,
                    )
                    .map_err(|e| e.0)
                },
            )?;
            if ids != saved.external_ids {
                request.workspace_ids = ids.clone();
                given = ids;
            }
        } else if record.is_none() && saved.external_ids.len() == 2 {
            // Found in AWS with two IDs: a rotation under way whose record is elsewhere. Which ID
            // Segment has is the user's to say; kept, both stay accepted.
            self.say("Its role accepts 2 external IDs and nothing is saved here: a rotation is under way (made elsewhere).");
            let finish = self.keep_or(
                "Keep both for now, or finish it (keep only the one Segment's setting holds)?",
                "finish",
            )?;
            if finish {
                let choices: Vec<(String, String)> = saved
                    .external_ids
                    .iter()
                    .enumerate()
                    .map(|(index, id)| {
                        (
                            format!("ID {}", index + 1),
                            format!(
                                "{}, listed {} in the role's trust policy",
                                external_id::masked(id),
                                if index == 0 {
                                    "first"
                                } else {
                                    "second (as a rotation's new one is)"
                                }
                            ),
                        )
                    })
                    .collect();
                let kept = self.choose("Which one does Segment's setting hold", &choices, 1)?;
                given = vec![saved.external_ids[kept].clone()];
                request.external_ids = given.clone();
                id_change = update::IdChange::Finish;
            }
        } else if saved.rotating() {
            let since = saved
                .rotation_since()
                .map(|at| format!(" since {at}"))
                .unwrap_or_default();
            self.say(&format!(
                "A rotation of the external ID is under way{since}: the role accepts the old and the new one."
            ));
            let finish = self.keep_or(
                "Finish it now (Segment's setting holds the new ID; the old one stops working), or keep both for now?",
                "finish",
            )?;
            if finish {
                id_change = update::IdChange::Finish;
            }
        } else {
            let rotate = self.keep_or(
                "Keep the external ID, or rotate it (a new one the role accepts beside the current one until you finish the rotation)?",
                "rotate",
            )?;
            if rotate {
                id_change =
                    update::IdChange::Rotate(external_id::generate(external_id::DEFAULT_LENGTH));
            }
        }
        self.step(4, "Permissions");
        // What the setup has now are the defaults.
        let setting = |key: &str| {
            saved
                .settings
                .iter()
                .find(|s| s.key == key)
                .and_then(|s| s.value.clone())
        };
        request.bucket = setting("s3Bucket");
        request.bucket_region = setting("s3BucketRegion");
        request.lambda_arns = saved.lambda_arns.clone();
        self.permissions_step(integration, &mut request, saved.preset.as_deref())
            .await?;
        // The inputs are checked before anything is read or changed.
        let mut checking = request.clone();
        saved.lend_ids(&mut checking);
        // A generated ID is trusted once: a found rotation's two stand for one here.
        checking.external_ids.truncate(1);
        if checking.external_ids.is_empty() && checking.workspace_ids.is_empty() {
            checking.external_ids = vec!["stand-in-external-id-for-checking-the-inputs".into()];
        }
        checking.next_external_ids.clear();
        Plan::build(Catalog::builtin(), &checking).map_err(Failure::from)?;
        self.step(6, "Review");
        let options = WatchOptions::default();
        let context = self.context();
        let failure = |e: EngineError| crate::ui::words::engine_failure_in(e, &context);
        let asked = update::Asked {
            integration,
            method: saved.method,
            name: name.clone(),
            request,
            given,
            id_change,
            record,
            account: saved.account.clone(),
            region: saved.region.clone(),
            profile: saved.profile.clone(),
            keep_what_role_accepts: false,
        };
        let mut report = self.reporter();
        let mut prepared = update::prepare(
            connection.stacks.as_ref(),
            connection.roles.as_ref(),
            asked.clone(),
            &options,
            &mut report,
        )
        .await;
        if let Err(EngineError::IdsDiffer { lines, .. }) = &prepared {
            for line in lines {
                self.say(line);
            }
            if !self.yes_no(
                "The role accepts other IDs than were saved here. Keep what the role accepts now (what Segment can use today)",
                false,
            )? {
                return Err(declined());
            }
            let asked = update::Asked {
                keep_what_role_accepts: true,
                ..asked
            };
            prepared = update::prepare(
                connection.stacks.as_ref(),
                connection.roles.as_ref(),
                asked,
                &options,
                &mut report,
            )
            .await;
        }
        let prepared = prepared.map_err(failure)?;
        for line in prepared.preview.lines() {
            self.say(&line);
        }
        if !matches!(prepared.preview, engine::UpdatePreview::Nothing { .. })
            && !self.yes_no("Apply this update", false)?
        {
            let _ = engine::discard_update(connection.stacks.as_ref(), &prepared.preview).await;
            return Err(declined());
        }
        self.step(7, "Progress");
        let created = update::apply(
            connection.stacks.as_ref(),
            connection.roles.as_ref(),
            self.store.as_ref(),
            &prepared.plan,
            &prepared.preview,
            &prepared.records,
            &options,
            &mut report,
        )
        .await
        .map_err(failure)?;
        self.step(8, "Done");
        let mut outcome =
            crate::model::outcome::Outcome::from_plan(&prepared.plan, Some(&created.role_arn))
                .at(&self.context());
        let finish = crate::model::outcome::finish_rotation_command(&prepared.records.after);
        if let Some(note) = update::rotation_note(&prepared.plan, &finish) {
            outcome.next_steps.insert(0, note);
        }
        self.outcome(&outcome);
        Ok(())
    }

    /// Picks up a saved setup in the account, region and profile it was made for: re-attach to
    /// its stack, or check its role (only one tagged as this tool's) and, after showing the
    /// repair and asking, finish it.
    async fn resume(&mut self, saved: SavedSetup) -> Result<(), Failure> {
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
                match crate::engine::resume::check_saved_role(connection.roles.as_ref(), &saved)
                    .await
                {
                    Ok(verification) => {
                        let role = saved.role_name.clone().unwrap_or_default();
                        let integration = Catalog::builtin()
                            .integration(&saved.integration)
                            .ok_or_else(not_connected)?;
                        // Judged again by check_saved_role: only a policy it passed is used.
                        let judged = crate::engine::resume::judged_policy(&saved)
                            .map_err(|e| crate::ui::words::engine_failure_in(e, &self.context()))?;
                        let permission = judged.as_ref().map(|(name, doc)| (name.as_str(), doc));
                        let ids = saved.all_external_ids();
                        let arn = self
                            .show_and_repair(verification, &role, integration, &ids, permission)
                            .await?;
                        Ok(arn)
                    }
                    Err(error) => Err(error),
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

/// The outcome's lines as plain mode says them (a transcript: values as they are).
pub fn outcome_lines(outcome: &crate::model::outcome::Outcome) -> Vec<String> {
    outcome
        .lines(&crate::model::outcome::value_text)
        .into_iter()
        .map(|line| line.text)
        .collect()
}

fn declined() -> Failure {
    Failure {
        code: exit::DECLINED,
        message: "nothing was changed".into(),
    }
}

fn not_connected() -> Failure {
    Failure {
        code: exit::CREDENTIALS,
        message: "not connected to AWS".into(),
    }
}
