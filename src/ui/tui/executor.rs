//! Runs the wizard's commands as tokio tasks against the AWS traits; each answers with messages.
//! The same executor runs on the SDK, on the scripted fakes in tests, and in the demo.

use super::state::{Cmd, Failure, Msg, RoleCheck};
use crate::engine::saving::StateStore;
use crate::engine::segment_settings::{self, SegmentConnection};
use crate::engine::{self, EngineError, Progress, WatchOptions};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc::UnboundedSender;

pub use crate::aws::{Connect, Connecting, Connection};

pub struct Executor {
    connect: Connect,
    current: Arc<Mutex<Option<Connection>>>,
    /// The Segment workspace reached with a Public API token (or the demo's).
    segment: Arc<Mutex<Option<SegmentConnection>>>,
    store: Option<Arc<StateStore>>,
    pub watch: WatchOptions,
}

impl Clone for Executor {
    fn clone(&self) -> Self {
        Executor {
            connect: self.connect.clone(),
            current: self.current.clone(),
            segment: self.segment.clone(),
            store: self.store.clone(),
            watch: self.watch,
        }
    }
}

fn failure(error: EngineError, context: &engine::Context) -> Failure {
    match error {
        EngineError::StackFailed {
            stack,
            status,
            reasons,
        } => Failure {
            message: format!("stack {stack} ended in {status}"),
            reasons,
            stack_left: true,
        },
        EngineError::Declined(_) => Failure {
            message: "the stack exists in ROLLBACK_COMPLETE from an earlier failed create".into(),
            reasons: Vec::new(),
            stack_left: true,
        },
        other => Failure {
            message: engine::explain_in(&other, context),
            reasons: Vec::new(),
            stack_left: false,
        },
    }
}

/// How long the finished Progress screen stays before Done replaces it (a key skips it).
pub const SHOW_DONE_AFTER: std::time::Duration = std::time::Duration::from_millis(1500);

/// Who and where, for a failure's words and the commands it suggests.
fn context_of(connection: &Connection, caller: Option<crate::aws::Caller>) -> engine::Context {
    engine::Context {
        caller,
        region: Some(connection.region.clone()),
        profile: connection.profile.clone(),
    }
}

impl Executor {
    pub fn new(connect: Connect, store: Option<StateStore>) -> Self {
        Executor {
            connect,
            current: Arc::new(Mutex::new(None)),
            segment: Arc::new(Mutex::new(None)),
            store: store.map(Arc::new),
            watch: WatchOptions::default(),
        }
    }

    fn segment_connection(&self) -> Option<SegmentConnection> {
        self.segment.lock().ok().and_then(|c| c.clone())
    }

    /// The demo's workspace, or the token typed, or the environment's, checked with `GET /`.
    async fn segment_connect(
        &self,
        token: Option<crate::segment::http::Token>,
        demo: bool,
    ) -> Result<crate::model::segment::Workspace, String> {
        let connection = if demo {
            segment_settings::demo()
        } else {
            let token = match token {
                Some(token) => token,
                None => crate::segment::http::Token::new(
                    &std::env::var(crate::model::segment::TOKEN_VARIABLE).unwrap_or_default(),
                )?,
            };
            segment_settings::connect_token_configured(token, None).await?
        };
        let workspace = connection.workspace.clone();
        if let Ok(mut slot) = self.segment.lock() {
            *slot = Some(connection);
        }
        Ok(workspace)
    }

    fn connection(&self) -> Option<Connection> {
        self.current.lock().ok().and_then(|c| c.clone())
    }

    pub fn spawn(&self, cmd: Cmd, tx: UnboundedSender<Msg>) {
        let executor = self.clone();
        // Dropping a change set must finish even when the wizard quits right after asking for
        // it: the section counts as unbroken from now, before the task first runs.
        let unbroken = matches!(cmd, Cmd::DiscardUpdate(_)).then(engine::Unbroken::enter);
        tokio::spawn(async move {
            executor.run(cmd, tx).await;
            drop(unbroken);
        });
    }

    /// Runs one command to its end, sending its messages.
    #[expect(
        clippy::too_many_lines,
        reason = "a long sequence, to be split by step"
    )]
    pub async fn run(&self, cmd: Cmd, tx: UnboundedSender<Msg>) {
        let send = |msg: Msg| {
            let _ = tx.send(msg);
        };
        let progress_tx = tx.clone();
        let mut report = move |progress: Progress| {
            let _ = progress_tx.send(Msg::Progress(progress));
        };
        match cmd {
            Cmd::LoadIdentity { profile, region } => match (self.connect)(profile, region).await {
                Ok(connection) => match engine::identity(connection.identity.as_ref()).await {
                    Ok(caller) => {
                        let region = connection.region.clone();
                        if let Ok(mut current) = self.current.lock() {
                            *current = Some(connection);
                        }
                        send(Msg::Identity(Ok((caller, region))));
                    }
                    Err(error) => send(Msg::Identity(Err(engine::explain(&error, None)))),
                },
                Err(message) => send(Msg::Identity(Err(message))),
            },
            Cmd::ShowDoneSoon => {
                tokio::time::sleep(SHOW_DONE_AFTER).await;
                send(Msg::ShowDone);
            }
            Cmd::GenerateExternalId => {
                send(Msg::ExternalIdGenerated(
                    crate::model::external_id::generate(crate::model::external_id::DEFAULT_LENGTH),
                ));
            }
            Cmd::GenerateStackName { integration } => {
                send(Msg::StackNameGenerated(
                    crate::model::plan::default_stack_name(&integration),
                ));
            }
            Cmd::ReadPolicyFile(path) => {
                // Capped at 1 MiB: a path such as /dev/zero must not fill the memory.
                let file = std::path::PathBuf::from(&path);
                let result =
                    tokio::task::spawn_blocking(move || crate::engine::read_policy_file(&file))
                        .await
                        .unwrap_or_else(|e| Err(format!("can't read {path}: {e}")));
                send(Msg::PolicyFileRead { path, result });
            }
            Cmd::FindSetups { profile } => {
                let Some(c) = self.connection() else {
                    return send(Msg::SetupsFound(Err("not connected to AWS".into())));
                };
                let result = match engine::identity(c.identity.as_ref()).await {
                    Ok(caller) => {
                        let place = engine::Place {
                            account: &caller.account,
                            region: Some(&c.region),
                            profile: profile.as_deref(),
                        };
                        engine::find_setups(c.stacks.as_ref(), c.roles.as_ref(), place).await
                    }
                    Err(error) => Err(error),
                };
                send(Msg::SetupsFound(
                    result.map_err(|e| engine::explain(&e, None)),
                ));
            }
            Cmd::ListResources {
                kind,
                region,
                account,
            } => {
                let result = match self.connection() {
                    Some(c) => {
                        engine::list_resources(c.resources.as_ref(), kind, &region, &account).await
                    }
                    None => Err("not connected to AWS: type it instead.".into()),
                };
                send(Msg::ResourcesListed {
                    kind,
                    region,
                    result,
                });
            }
            Cmd::ListRoles => match self.connection() {
                Some(c) => send(Msg::RolesListed(
                    c.roles
                        .list_roles()
                        .await
                        .map(|roles| roles.into_iter().map(|r| (r.name, r.arn)).collect())
                        .map_err(|e| e.to_string()),
                )),
                None => send(Msg::RolesListed(Err("not connected to AWS".into()))),
            },
            Cmd::CreateStack { plan, saved } | Cmd::CreateRole { plan, saved } => {
                let Some(c) = self.connection() else {
                    return send(Msg::Created(Err(not_connected())));
                };
                let caller = c.identity.caller().await.ok();
                // The wizard asks about a rolled-back stack on its own screen (d: delete & retry).
                let mut confirm = |_: &engine::Question| false;
                let result = crate::engine::resume::create(
                    c.stacks.as_ref(),
                    c.roles.as_ref(),
                    c.functions.as_ref(),
                    self.store.as_deref(),
                    &plan,
                    &saved,
                    false,
                    "/",
                    &self.watch,
                    &mut confirm,
                    &mut report,
                )
                .await;
                send(Msg::Created(
                    result
                        .map(|created| created.role_arn)
                        .map_err(|e| failure(e, &context_of(&c, caller.clone()))),
                ));
            }
            Cmd::CreateStackSet {
                plan,
                saved,
                request,
            } => {
                let Some(c) = self.connection() else {
                    return send(Msg::StackSetDone(Err(not_connected())));
                };
                let caller = c.identity.caller().await.ok();
                let result = crate::engine::resume::create_stack_set(
                    c.stack_sets.as_ref(),
                    c.roles.as_ref(),
                    self.store.as_deref(),
                    &plan,
                    &saved,
                    &request,
                    &self.watch,
                    &mut report,
                )
                .await;
                send(Msg::StackSetDone(
                    result.map_err(|e| failure(e, &context_of(&c, caller))),
                ));
            }
            Cmd::RetryStackSet {
                name,
                org_units,
                saved,
                role_name,
            } => {
                let Some(c) = self.connection() else {
                    return send(Msg::StackSetDone(Err(not_connected())));
                };
                let caller = c.identity.caller().await.ok();
                let result = crate::engine::stack_sets::retry(
                    c.stack_sets.as_ref(),
                    &name,
                    &org_units,
                    crate::model::stackset::Preferences::default(),
                    &self.watch,
                    &mut report,
                )
                .await;
                if let Ok(rows) = &result {
                    crate::engine::resume::finish_stack_set(
                        self.store.as_deref(),
                        &saved,
                        &role_name,
                        rows,
                    );
                }
                send(Msg::StackSetDone(
                    result.map_err(|e| failure(e, &context_of(&c, caller))),
                ));
            }
            Cmd::Resume(saved) => {
                // In the account, profile and region the setup was made for.
                let connection =
                    match (self.connect)(saved.profile.clone(), saved.region.clone()).await {
                        Ok(connection) => connection,
                        Err(message) => return send(Msg::Created(Err(plain_failure(message)))),
                    };
                let caller = match engine::identity(connection.identity.as_ref()).await {
                    Ok(caller) => caller,
                    Err(error) => {
                        return send(Msg::Created(Err(plain_failure(engine::explain(
                            &error, None,
                        )))));
                    }
                };
                if caller.account != saved.account {
                    return send(Msg::Created(Err(plain_failure(format!(
                        "{} was saved for account {}, but {} reaches account {}: nothing was changed",
                        saved.what(),
                        saved.account,
                        saved.place(),
                        caller.account
                    )))));
                }
                if let Ok(mut current) = self.current.lock() {
                    *current = Some(connection.clone());
                }
                send(Msg::Identity(Ok((
                    caller.clone(),
                    connection.region.clone(),
                ))));
                match saved.method {
                    crate::engine::saving::Method::Cloudformation => {
                        let result = crate::engine::resume::reattach_saved(
                            connection.stacks.as_ref(),
                            connection.roles.as_ref(),
                            &saved,
                            &self.watch,
                            &mut report,
                        )
                        .await;
                        crate::engine::resume::settle(self.store.as_deref(), &saved, &result);
                        send(Msg::Created(result.map_err(|e| {
                            failure(e, &context_of(&connection, Some(caller.clone())))
                        })));
                    }
                    crate::engine::saving::Method::Iam => {
                        let result = crate::engine::resume::check_saved_role(
                            connection.roles.as_ref(),
                            &saved,
                        )
                        .await;
                        if let Err(error) = &result {
                            crate::engine::resume::settle(
                                self.store.as_deref(),
                                &saved,
                                &Err(error.clone()),
                            );
                        }
                        send(Msg::Verified(
                            result
                                .map(Box::new)
                                .map_err(|e| engine::explain(&e, Some(&caller))),
                        ));
                    }
                }
            }
            Cmd::PrepareUpdate(asked) => {
                let Some(c) = self.connection() else {
                    return send(Msg::UpdatePreviewed(Err("not connected to AWS".into())));
                };
                let mut asked = *asked;
                // The record as it is on disk now (another run may have changed it).
                if asked.record.is_some()
                    && let Some(store) = &self.store
                {
                    let fresh = match asked.method {
                        crate::engine::saving::Method::Cloudformation => {
                            store.find_stack(&asked.name)
                        }
                        crate::engine::saving::Method::Iam => store.find_role(&asked.name),
                    }
                    .filter(|r| {
                        r.account == asked.account && r.integration == asked.integration.id
                    });
                    if fresh.is_some() {
                        asked.record = fresh;
                    }
                }
                let result = crate::engine::update::prepare(
                    c.stacks.as_ref(),
                    c.roles.as_ref(),
                    asked,
                    &self.watch,
                    &mut report,
                )
                .await;
                send(match result {
                    Ok(prepared) => Msg::UpdatePreviewed(Ok(Box::new(prepared))),
                    Err(EngineError::IdsDiffer { lines, .. }) => Msg::IdsDiffer(lines),
                    Err(error) => {
                        Msg::UpdatePreviewed(Err(engine::explain_in(&error, &context_of(&c, None))))
                    }
                });
            }
            Cmd::ApplyUpdate(prepared) => {
                let Some(c) = self.connection() else {
                    return send(Msg::Created(Err(not_connected())));
                };
                let result = crate::engine::update::apply(
                    c.stacks.as_ref(),
                    c.roles.as_ref(),
                    self.store.as_deref(),
                    &prepared.plan,
                    &prepared.preview,
                    &prepared.records,
                    &self.watch,
                    &mut report,
                )
                .await;
                send(Msg::Created(
                    result
                        .map(|created| created.role_arn)
                        .map_err(|e| failure(e, &context_of(&c, None))),
                ));
            }
            Cmd::DiscardUpdate(preview) => {
                if let Some(c) = self.connection() {
                    let _ = engine::discard_update(c.stacks.as_ref(), &preview).await;
                }
            }
            Cmd::FinishSaved { saved, role_arn } => {
                if let Some(store) = &self.store {
                    let _ = store.finish(&saved, &role_arn);
                }
            }
            Cmd::DeleteStack(stack) => {
                let Some(c) = self.connection() else {
                    return send(Msg::StackDeleted(Err("not connected".into())));
                };
                let result =
                    engine::delete_stack(c.stacks.as_ref(), &stack, &self.watch, &mut report).await;
                send(Msg::StackDeleted(
                    result.map_err(|e| engine::explain(&e, None)),
                ));
            }
            Cmd::VerifyRole(check) => {
                let Some(c) = self.connection() else {
                    return send(Msg::Verified(Err("not connected to AWS".into())));
                };
                let result = match expected_of(&check) {
                    Ok(expected) => engine::verify_expected(c.roles.as_ref(), &expected)
                        .await
                        .map(Box::new)
                        .map_err(|e| engine::explain(&e, None)),
                    Err(message) => Err(message),
                };
                send(Msg::Verified(result));
            }
            Cmd::ApplyFix { check, role, fix } => {
                let Some(c) = self.connection() else {
                    return send(Msg::Repaired(Err("not connected to AWS".into())));
                };
                let result = match expected_of(&check) {
                    Ok(expected) => {
                        engine::repair_role(c.roles.as_ref(), &expected, &role, &fix, &mut report)
                            .await
                            .map(Box::new)
                            .map_err(|e| engine::explain(&e, None))
                    }
                    Err(message) => Err(message),
                };
                send(Msg::Repaired(result));
            }
            // Run by the event loop itself: they touch the terminal or end it.
            Cmd::SegmentConnect { token, demo } => send(Msg::SegmentConnected(
                self.segment_connect(token, demo).await,
            )),
            Cmd::Audit => {
                let Some(c) = self.connection() else {
                    return send(Msg::Audited(Err("not connected to AWS".into())));
                };
                let result = match c.identity.caller().await {
                    Ok(caller) => {
                        let now = engine::now();
                        engine::audit::audit_roles(
                            c.roles.as_ref(),
                            &caller.account,
                            now,
                            usize::from(engine::stack_sets::ACCOUNTS_AT_ONCE),
                        )
                        .await
                        .map(Box::new)
                        .map_err(|e| engine::explain(&e, None))
                    }
                    Err(error) => Err(error.to_string()),
                };
                send(Msg::Audited(result));
            }
            Cmd::SegmentSources { integration } => {
                let result = match (
                    self.segment_connection(),
                    crate::model::catalog::Catalog::builtin().integration(&integration),
                ) {
                    (Some(connection), Some(integration)) => {
                        segment_settings::offered_ids(&connection, integration)
                            .await
                            .map(|offered| offered.sources)
                    }
                    _ => Err("not connected to Segment".into()),
                };
                send(Msg::SegmentSources(result));
            }
            Cmd::SegmentPrepare { outcome, target } => {
                let Some(connection) = self.segment_connection() else {
                    return send(Msg::SegmentPrepared(Err(
                        segment_settings::PrepareError::Refused("not connected to Segment".into()),
                    )));
                };
                let result = segment_settings::prepare(&connection, &outcome, &target).await;
                send(Msg::SegmentPrepared(result.map(Box::new)));
            }
            Cmd::SegmentWrite(prepared) => {
                let Some(connection) = self.segment_connection() else {
                    return send(Msg::SegmentWritten(Err(segment_settings::WriteFailure {
                        done: Vec::new(),
                        message: "not connected to Segment".into(),
                    })));
                };
                let result = segment_settings::write(&connection, &prepared, &mut |_| {}).await;
                send(Msg::SegmentWritten(result.map(Box::new)));
            }
            Cmd::Copy { .. } | Cmd::ClearClipboard { .. } | Cmd::Quit => {}
        }
    }
}

/// What the checked role must be, as the engine takes it.
fn expected_of(check: &RoleCheck) -> Result<engine::Expected<'_>, String> {
    let integration = crate::model::catalog::Catalog::builtin()
        .integration(&check.integration)
        .ok_or_else(|| format!("unknown integration {}", check.integration))?;
    Ok(engine::Expected {
        role: &check.role,
        integration,
        external_ids: &check.external_ids,
        rotating: check.rotating,
        permission: check
            .permission
            .as_ref()
            .map(|(name, document)| (name.as_str(), document)),
    })
}

fn not_connected() -> Failure {
    Failure {
        message: "not connected to AWS".into(),
        reasons: Vec::new(),
        stack_left: false,
    }
}

fn plain_failure(message: String) -> Failure {
    Failure {
        message,
        reasons: Vec::new(),
        stack_left: false,
    }
}
