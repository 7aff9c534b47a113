//! The wizard driven by key messages through `update()`, its commands run by the real executor on
//! the scripted fakes (success, rollback, an existing role with a repair, plan-only without
//! credentials), and insta snapshots of every screen at 80×24.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segment_aws_setup::aws::fake::{
    FAKE_ACCOUNT, FakeIdentity, FakeResources, MemoryRoles, Script, ScriptedStackSets,
    ScriptedStacks,
};
use segment_aws_setup::aws::{RoleCreate, Roles, Stacks};
use segment_aws_setup::engine::saving::StateStore;
use segment_aws_setup::model::picker::ResourceKind;
use segment_aws_setup::ui::tui::clipboard::{Clipboard, RecordingClipboard};
use segment_aws_setup::ui::tui::executor::{Connect, Connection, Executor};
use segment_aws_setup::ui::tui::{Options, initial_app, view};
use segment_aws_setup::ui::tui::{
    state::{App, Cmd, IdentityState, Msg, Step, Work},
    update::update,
};
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;
use tui_input::Input;

const FIXED_ID: &str = "Sx8KqLmN3pQrT5vWyZ2aBcDeFgHiJk4LmNoPqRsT";
const FIXED_STACK: &str = "segment-destination-function-k3x9qa";

/// A fake AWS account and the wizard on it.
struct Driver {
    app: App,
    executor: Executor,
    stacks: Arc<ScriptedStacks>,
    roles: Arc<MemoryRoles>,
    /// What the pickers list: nothing unless a test adds it.
    resources: Arc<FakeResources>,
    /// StackSets: instances take 10 s, one starting every second.
    stack_sets: Arc<ScriptedStackSets>,
    /// Lambda, for a starter function on the IAM path.
    functions: Arc<segment_aws_setup::aws::fake::MemoryFunctions>,
    clipboard: RecordingClipboard,
    state: std::path::PathBuf,
    /// Every command `update` asked for, in order.
    commands: Vec<Cmd>,
}

impl Driver {
    async fn new(script: Script, credentials: bool) -> Driver {
        let stacks = Arc::new(ScriptedStacks::new(script));
        let roles = Arc::new(MemoryRoles::default());
        stacks.make_roles_in(roles.as_ref().clone());
        let resources = Arc::new(FakeResources::default());
        let stack_sets = Arc::new(ScriptedStackSets::new(
            std::time::Duration::from_secs(10),
            std::time::Duration::from_secs(1),
        ));
        let functions = Arc::new(segment_aws_setup::aws::fake::MemoryFunctions::default());
        let (s, r, p, k, f) = (
            stacks.clone(),
            roles.clone(),
            resources.clone(),
            stack_sets.clone(),
            functions.clone(),
        );
        let connect: Connect = Arc::new(move |_profile, _region| {
            let (stacks, roles, resources, stack_sets, functions) =
                (s.clone(), r.clone(), p.clone(), k.clone(), f.clone());
            Box::pin(async move {
                if credentials {
                    Ok(Connection {
                        identity: Arc::new(FakeIdentity),
                        stacks,
                        roles,
                        resources,
                        stack_sets,
                        functions,
                        region: "us-east-1".into(),
                        profile: None,
                    })
                } else {
                    Err("no usable AWS credentials (no credentials found in chain)".to_string())
                }
            })
        });
        let state = crate::support::temp_dir("wizard-state");
        let executor = Executor::new(connect, Some(StateStore::at(state.clone())));
        let app = initial_app(&Options::default(), 80, 24);
        let mut driver = Driver {
            app,
            executor,
            stacks,
            roles,
            resources,
            stack_sets,
            functions,
            clipboard: RecordingClipboard::default(),
            state,
            commands: Vec::new(),
        };
        let start = driver.app.start();
        driver.run(start).await;
        // Deterministic values for snapshots: what the executor generated is replaced.
        if !driver.app.uses_workspace_id() {
            driver.app.external.value = Input::new(FIXED_ID.into());
        }
        driver
    }

    /// Runs commands (and the commands their messages lead to) until nothing is left.
    async fn run(&mut self, commands: Vec<Cmd>) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut queue = commands;
        loop {
            for command in std::mem::take(&mut queue) {
                self.commands.push(command.clone());
                match command {
                    Cmd::Copy { what, text, secret } => {
                        let _ = tx.send(Msg::Copied {
                            what: what.to_string(),
                            secret,
                            remote: self.clipboard.is_remote(),
                            result: self.clipboard.copy(&text, secret),
                        });
                    }
                    Cmd::ClearClipboard { text } => {
                        if let Some(msg) =
                            segment_aws_setup::ui::tui::clear_clipboard(&self.clipboard, &text)
                        {
                            let _ = tx.send(msg);
                        }
                    }
                    Cmd::Quit => {}
                    other => self.executor.run(other, tx.clone()).await,
                }
            }
            let mut progressed = false;
            while let Ok(msg) = rx.try_recv() {
                progressed = true;
                queue.extend(update(&mut self.app, msg));
            }
            if !progressed && queue.is_empty() {
                return;
            }
        }
    }

    async fn key(&mut self, code: KeyCode) {
        self.key_with(code, KeyModifiers::NONE).await;
    }

    async fn key_with(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        let commands = update(&mut self.app, Msg::Key(KeyEvent::new(code, modifiers)));
        self.run(commands).await;
        // Deterministic names for snapshots: the generated suffix is replaced.
        let generated = |name: &str| name.starts_with("segment-destination-function-");
        if self.app.step == Step::Method && generated(self.app.method.stack_name.value()) {
            self.app.method.stack_name = Input::new(FIXED_STACK.into());
        }
        if generated(self.app.method.role_name.value()) {
            self.app.method.role_name = Input::new(FIXED_STACK.into());
        }
    }

    async fn keys(&mut self, codes: &[KeyCode]) {
        for code in codes {
            self.key(*code).await;
        }
    }

    async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c)).await;
        }
    }

    /// Through the first five steps: a destination function writing to S3, by CloudFormation.
    async fn walk_to_review(&mut self) {
        self.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Tab])
            .await;
        self.type_text("events-bucket").await;
        self.key(KeyCode::Tab).await;
        self.type_text("us-west-2").await;
        self.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
        assert_eq!(self.app.step, Step::Review, "{:?}", self.app.plan().err());
    }

    fn screen(&self) -> String {
        let mut terminal =
            Terminal::new(TestBackend::new(self.app.width, self.app.height)).expect("terminal");
        terminal
            .draw(|frame| view::draw(&self.app, frame))
            .expect("draw");
        terminal.backend().to_string()
    }

    fn saved_files(&self) -> usize {
        std::fs::read_dir(&self.state)
            .map(|d| d.count())
            .unwrap_or(0)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

#[tokio::test(start_paused = true)]
async fn success_through_cloudformation_to_done() {
    let mut d = Driver::new(Script::success(20.0), true).await;
    insta::assert_snapshot!("1_welcome", d.screen());
    assert!(matches!(
        d.app.welcome.identity,
        IdentityState::Ready { .. }
    ));
    d.key(KeyCode::Enter).await;
    insta::assert_snapshot!("2_integration", d.screen());
    d.key(KeyCode::Enter).await;
    insta::assert_snapshot!("3_external_id", d.screen());
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    d.type_text("events-bucket").await;
    d.key(KeyCode::Tab).await;
    d.type_text("us-west-2").await;
    insta::assert_snapshot!("4_permissions", d.screen());
    d.key(KeyCode::Enter).await;
    insta::assert_snapshot!("5_method", d.screen());
    d.key(KeyCode::Enter).await;
    insta::assert_snapshot!("6_review", d.screen());
    assert_eq!(
        d.stacks.changes(),
        0,
        "nothing in AWS changes before the review is confirmed"
    );

    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    let arn = d.app.run.role_arn.clone().expect("role ARN");
    assert!(
        arn.starts_with(&format!(
            "arn:aws:iam::{FAKE_ACCOUNT}:role/{FIXED_STACK}-FunctionRole"
        )),
        "{arn}"
    );
    assert!(
        d.app
            .run
            .saved_to
            .as_deref()
            .is_some_and(|s| s.starts_with("Saved for resuming")),
        "saved before the change"
    );
    let finished = StateStore::at(d.state.clone()).load_all();
    assert!(
        finished.len() == 1 && finished[0].finished,
        "and marked finished once done: {finished:?}"
    );
    let rows: Vec<(&str, &str)> = d
        .app
        .run
        .resources
        .iter()
        .map(|r| (r.logical_id.as_str(), r.status.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("FunctionRole", "CREATE_COMPLETE"),
            ("FunctionPolicy", "CREATE_COMPLETE")
        ]
    );
    assert!(
        d.app
            .run
            .notes
            .iter()
            .any(|n| n.starts_with("stack CREATE_COMPLETE")),
        "{:?}",
        d.app.run.notes
    );
    insta::assert_snapshot!("8_done", d.screen());

    d.key(KeyCode::Char('c')).await;
    assert_eq!(
        d.clipboard.contents.lock().expect("lock").as_deref(),
        Some(arn.as_str())
    );
    d.key(KeyCode::Char('a')).await;
    let copied: serde_json::Value = serde_json::from_str(
        d.clipboard
            .contents
            .lock()
            .expect("lock")
            .as_deref()
            .expect("copied"),
    )
    .expect("JSON");
    assert_eq!(copied["iamRoleArn"], arn.as_str());
    assert_eq!(copied["iamRoleExternalId"], FIXED_ID);
    d.key(KeyCode::Char('q')).await;
    assert!(d.app.quit);
}

#[tokio::test(start_paused = true)]
async fn the_progress_screen_while_the_stack_is_being_created() {
    let mut d = Driver::new(Script::success(20.0), true).await;
    d.walk_to_review().await;
    // Start the work, but stop the executor half-way: feed the first messages only.
    let commands = update(&mut d.app, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(d.app.step, Step::Progress);
    assert!(d.app.is_working());
    let Some(Cmd::CreateStack { plan, .. }) = commands.into_iter().next() else {
        panic!("no create")
    };
    d.stacks
        .create_stack(&segment_aws_setup::engine::stack_request(&plan))
        .await
        .expect("created");
    tokio::time::sleep(std::time::Duration::from_secs(14)).await;
    let page = d
        .stacks
        .stack_events(FIXED_STACK, None)
        .await
        .expect("events");
    for event in page.events.into_iter().rev() {
        let elapsed = std::time::Duration::from_secs(3);
        update(
            &mut d.app,
            Msg::Progress(segment_aws_setup::engine::Progress::Event { event, elapsed }),
        );
    }
    insta::assert_snapshot!("7_progress_running", d.screen());
    // q asks first while AWS work runs; leaving says how to re-attach.
    d.key(KeyCode::Char('q')).await;
    assert!(d.app.confirm_quit && !d.app.quit);
    insta::assert_snapshot!("7_progress_quit_asks", d.screen());
    d.key(KeyCode::Char('y')).await;
    assert!(d.app.quit);
    assert!(
        d.app
            .farewell
            .as_deref()
            .is_some_and(|f| f.contains(&format!(
                "segment-aws-setup watch --stack-name {FIXED_STACK}"
            )))
    );
}

#[tokio::test(start_paused = true)]
async fn a_rollback_shows_the_reasons_and_delete_and_retry_succeeds() {
    let mut d = Driver::new(Script::rollback(10.0), true).await;
    d.walk_to_review().await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Progress);
    let Work::Failed(failure) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert!(failure.stack_left);
    assert!(
        failure.reasons[0].contains("Policy document should not specify a principal"),
        "{failure:?}"
    );
    assert_eq!(d.saved_files(), 1, "a failed setup stays saved, to resume");
    insta::assert_snapshot!("7_progress_failed", d.screen());

    d.stacks.set_script(Script::success(10.0));
    d.key(KeyCode::Char('d')).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert!(d.app.run.role_arn.is_some());
    let saved = StateStore::at(d.state.clone()).load_all();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(
        saved[0].region.as_deref(),
        Some("us-east-1"),
        "the retried setup keeps its region for a resume"
    );
}

#[tokio::test(start_paused = true)]
async fn esc_goes_back_to_edit_after_a_failure() {
    let mut d = Driver::new(Script::rollback(10.0), true).await;
    d.walk_to_review().await;
    d.key(KeyCode::Enter).await;
    d.key(KeyCode::Esc).await;
    assert_eq!(d.app.step, Step::Review);
    d.keys(&[KeyCode::Esc, KeyCode::Esc, KeyCode::Esc]).await;
    assert_eq!(d.app.step, Step::ExternalId);
}

#[tokio::test]
async fn an_existing_role_is_verified_and_repaired_only_on_confirmation() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    let risky = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::458175278816:root"}, "Action": "sts:AssumeRole"}
    ]});
    d.roles
        .create_role(&RoleCreate {
            name: "handmade-role".into(),
            path: "/".into(),
            description: String::new(),
            trust_policy: risky.to_string(),
            tags: vec![],
        })
        .await
        .expect("role");
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Tab])
        .await;
    d.type_text("events-bucket").await;
    d.key(KeyCode::Tab).await;
    d.type_text("us-west-2").await;
    d.key(KeyCode::Enter).await;
    d.keys(&[KeyCode::Down, KeyCode::Down]).await;
    d.key(KeyCode::Tab).await;
    d.type_text("handmade").await;
    insta::assert_snapshot!("5_method_existing_role", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Review);
    assert_eq!(
        d.app.method.existing_role.value(),
        "handmade-role",
        "picked from the account's roles"
    );
    d.key(KeyCode::Enter).await;
    let Work::Verified(verification) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert!(verification.judgement.confused_deputy_risk());
    insta::assert_snapshot!("7_progress_verified", d.screen());
    // Segment gets in without an ID today: the repair would refuse it until the ID is in its
    // setting, and the screen says so before Enter.
    d.app.height = 60;
    assert!(
        d.screen()
            .contains("After this repair Segment gets in only with your external ID"),
        "{}",
        d.screen()
    );
    d.app.height = 24;
    assert_eq!(
        d.roles
            .get_role("handmade-role")
            .await
            .expect("get")
            .expect("role")
            .trust_policy,
        risky,
        "not yet"
    );

    d.key(KeyCode::Enter).await;
    let Work::Verified(after) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert!(after.is_right(), "{:?}", after.lines());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done);
    assert!(
        d.screen()
            .contains("After this repair Segment gets in only"),
        "said again on Done: {}",
        d.screen()
    );
    assert_eq!(
        d.roles
            .role_policy_names("handmade-role")
            .await
            .expect("names"),
        ["segment-permissions"]
    );
}

#[tokio::test]
async fn without_credentials_plan_only_ends_with_what_to_hand_an_administrator() {
    let mut d = Driver::new(Script::success(5.0), false).await;
    assert!(matches!(d.app.welcome.identity, IdentityState::Missing(_)));
    insta::assert_snapshot!("1_welcome_no_credentials", d.screen());
    d.walk_to_review().await;
    assert!(d.app.welcome.plan_only);
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done);
    assert_eq!(d.stacks.calls(), 0);
    assert!(d.roles.role_names().is_empty());
    insta::assert_snapshot!("8_done_plan_only", d.screen());
}

#[tokio::test]
async fn presenter_mode_masks_the_external_id_until_revealed() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    d.walk_to_review().await;
    d.key(KeyCode::F(2)).await;
    let screen = d.screen();
    assert!(!screen.contains(&FIXED_ID[..12]), "masked:\n{screen}");
    assert!(screen.contains("Sx8K••••"), "{screen}");
    insta::assert_snapshot!("6_review_presenter", screen);
    d.key(KeyCode::F(3)).await;
    assert!(d.screen().contains(FIXED_ID));
}

#[tokio::test]
async fn the_lambda_destination_takes_the_workspace_id_checked_as_typed() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    d.keys(&[KeyCode::Enter, KeyCode::Down, KeyCode::Down, KeyCode::Enter])
        .await;
    assert_eq!(d.app.step, Step::ExternalId);
    d.type_text("ws 1").await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::ExternalId, "a space is refused");
    insta::assert_snapshot!("3_external_id_workspace_invalid", d.screen());
    for _ in 0..4 {
        d.key(KeyCode::Backspace).await;
    }
    d.type_text("wXZ2sd8N3mJ").await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Permissions);
}

#[tokio::test]
async fn a_window_below_80_by_24_asks_for_more_and_q_still_quits() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    update(&mut d.app, Msg::Resize(70, 20));
    insta::assert_snapshot!("too_small", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Welcome, "other keys do nothing");
    d.key(KeyCode::Char('q')).await;
    assert!(d.app.quit);
}

#[tokio::test]
async fn help_opens_with_question_mark_and_f1() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    d.key(KeyCode::Enter).await;
    d.key(KeyCode::Char('?')).await;
    assert!(d.app.help_open);
    insta::assert_snapshot!("help", d.screen());
    d.key(KeyCode::Esc).await;
    assert!(!d.app.help_open);
    assert_eq!(d.app.step, Step::Integration, "Esc closed the help only");
    d.key(KeyCode::F(1)).await;
    assert!(d.app.help_open);
}

#[tokio::test]
async fn a_generated_value_arriving_late_never_replaces_what_was_typed() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    d.walk_to_review().await;
    d.keys(&[KeyCode::Esc]).await;
    assert_eq!(d.app.step, Step::Method);
    d.key(KeyCode::Tab).await;
    d.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL).await;
    // The generated name arrives just after the field was emptied, before the typing.
    update(
        &mut d.app,
        Msg::StackNameGenerated("segment-destination-function-late00".into()),
    );
    assert_eq!(
        d.app.method.stack_name.value(),
        "",
        "an emptied field stays the user's"
    );
    d.type_text("my-stack").await;
    update(
        &mut d.app,
        Msg::StackNameGenerated("segment-destination-function-late01".into()),
    );
    assert_eq!(d.app.method.stack_name.value(), "my-stack");

    // Esc leaves the field, then goes back a step at a time.
    d.keys(&[KeyCode::Esc, KeyCode::Esc, KeyCode::Esc]).await;
    assert_eq!(d.app.step, Step::ExternalId);
    d.key(KeyCode::Char('e')).await;
    d.type_text("my-own-external-id-that-is-long-enough-1234")
        .await;
    update(
        &mut d.app,
        Msg::ExternalIdGenerated("GeneratedLateGeneratedLateGeneratedLate1".into()),
    );
    assert_eq!(
        d.app.external.value.value(),
        "my-own-external-id-that-is-long-enough-1234"
    );
}

#[tokio::test]
async fn ctrl_c_quits_at_once_when_nothing_runs() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    d.key_with(KeyCode::Char('c'), KeyModifiers::CONTROL).await;
    assert!(d.app.quit);
    assert!(d.app.farewell.is_none());
}

#[tokio::test]
async fn a_copied_secret_is_cleared_when_its_timer_runs_out() {
    let mut d = Driver::new(Script::success(1.0), true).await;
    d.walk_to_review().await;
    d.key(KeyCode::Enter).await;
    d.key(KeyCode::Char('x')).await;
    assert!(d.commands.contains(&Cmd::Copy {
        what: "External ID",
        text: FIXED_ID.into(),
        secret: true
    }));
    assert_eq!(
        d.app.run.clipboard_note.as_deref(),
        Some("External ID copied to the clipboard"),
        "each copy says what was copied"
    );
    assert_eq!(
        d.clipboard.contents.lock().expect("lock").as_deref(),
        Some(FIXED_ID)
    );
    let commands = update(&mut d.app, Msg::ClipboardTimer(FIXED_ID.into()));
    d.run(commands).await;
    assert_eq!(d.clipboard.contents.lock().expect("lock").as_deref(), None);
    assert!(
        d.app
            .run
            .clipboard_note
            .as_deref()
            .is_some_and(|n| n.contains("cleared"))
    );
    assert!(
        *d.clipboard.excluded_from_history.lock().expect("lock"),
        "kept out of histories"
    );
    // Something else copied since is left alone.
    d.key(KeyCode::Char('c')).await;
    assert_eq!(
        d.app.run.clipboard_note.as_deref(),
        Some("Role ARN copied to the clipboard")
    );
    let commands = update(&mut d.app, Msg::ClipboardTimer(FIXED_ID.into()));
    d.run(commands).await;
    assert!(d.clipboard.contents.lock().expect("lock").is_some());
}

#[tokio::test]
async fn a_secret_still_on_the_clipboard_is_cleared_on_quit_and_osc_52_gets_an_empty_one() {
    let mut d = Driver::new(Script::success(1.0), true).await;
    d.walk_to_review().await;
    d.key(KeyCode::Enter).await;
    d.key(KeyCode::Char('x')).await;
    assert_eq!(
        d.clipboard.contents.lock().expect("lock").as_deref(),
        Some(FIXED_ID)
    );
    d.key(KeyCode::Char('q')).await;
    assert!(d.app.quit);
    assert_eq!(
        d.clipboard.contents.lock().expect("lock").as_deref(),
        None,
        "cleared on the way out"
    );
    // Through the terminal it can't be read back: an empty clipboard is sent, and said so.
    let mut d = Driver::new(Script::success(1.0), true).await;
    d.clipboard.readable = false;
    d.walk_to_review().await;
    d.key(KeyCode::Enter).await;
    d.key(KeyCode::Char('x')).await;
    let note = d.app.run.clipboard_note.clone().unwrap_or_default();
    assert!(
        note.starts_with("External ID sent to your terminal's clipboard")
            && note.contains("can't be cleared from here for sure"),
        "over SSH the secret's copy says it can't be cleared remotely: {note}"
    );
    let commands = update(&mut d.app, Msg::ClipboardTimer(FIXED_ID.into()));
    d.run(commands).await;
    assert_eq!(d.clipboard.contents.lock().expect("lock").as_deref(), None);
    assert!(
        d.app
            .run
            .clipboard_note
            .as_deref()
            .is_some_and(|n| n.contains("can't confirm")),
        "{:?}",
        d.app.run.clipboard_note
    );
}

#[tokio::test(start_paused = true)]
async fn an_unfinished_setup_is_offered_and_resumed_by_reattaching_to_its_stack() {
    let mut d = Driver::new(Script::success(20.0), true).await;
    let plan = segment_aws_setup::model::plan::Plan::build(
        segment_aws_setup::model::catalog::Catalog::builtin(),
        &segment_aws_setup::model::plan::PlanRequest {
            integration: "destination-function".into(),
            external_ids: vec![FIXED_ID.into()],
            bucket: Some("events-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            stack_name: Some(FIXED_STACK.into()),
            ..Default::default()
        },
    )
    .expect("plan");
    // An earlier run created the stack and then its SSH session closed.
    d.stacks
        .create_stack(&segment_aws_setup::engine::stack_request(&plan))
        .await
        .expect("created");
    let saved = segment_aws_setup::engine::saving::SavedSetup::new(
        &plan,
        segment_aws_setup::engine::saving::Method::Cloudformation,
        FAKE_ACCOUNT,
        Some("us-east-1"),
        None,
    );
    // One saved for another account too: listed, left alone.
    let mut elsewhere = saved.clone();
    elsewhere.account = "111122223333".into();
    elsewhere.stack_name = Some("segment-destination-function-other1".into());
    d.app.welcome.saved = vec![saved.clone(), elsewhere];
    insta::assert_snapshot!("1_welcome_resume", d.screen());
    assert!(
        d.screen().contains("saved for account 111122223333"),
        "{}",
        d.screen()
    );
    d.key(KeyCode::Char('r')).await;
    assert!(d.commands.contains(&Cmd::Resume(Box::new(saved))));
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert!(
        d.app
            .run
            .role_arn
            .as_deref()
            .is_some_and(|a| a.contains("FunctionRole"))
    );
    assert_eq!(
        d.app.external.value.value(),
        FIXED_ID,
        "the saved external ID is the one shown"
    );
    insta::assert_snapshot!("8_done_resumed", d.screen());
}

#[tokio::test(start_paused = true)]
async fn the_demo_account_is_labelled_and_rolls_back_a_stack_named_rollback() {
    let executor = Executor::new(segment_aws_setup::aws::fake::demo_connect(), None);
    let mut options = Options {
        demo: true,
        ..Options::default()
    };
    options.presenter = false;
    let mut d = Driver::new(Script::success(5.0), true).await;
    d.executor = executor;
    d.app = initial_app(&options, 80, 24);
    let start = d.app.start();
    d.run(start).await;
    d.app.external.value = Input::new(FIXED_ID.into());
    insta::assert_snapshot!("1_welcome_demo", d.screen());
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Tab])
        .await;
    d.type_text("demo-bucket").await;
    d.keys(&[KeyCode::Tab]).await;
    d.type_text("us-east-1").await;
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    d.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL).await;
    d.type_text("demo-rollback").await;
    d.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    let Work::Failed(failure) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert!(
        failure.reasons[0].contains("Policy document should not specify a principal"),
        "{failure:?}"
    );
    assert!(d.screen().contains("DEMO"), "every screen says DEMO");
}

#[tokio::test(start_paused = true)]
async fn a_broad_custom_policy_needs_an_explicit_yes_on_review() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    let dir = crate::support::temp_dir("broad");
    let file = dir.join("admin.json");
    std::fs::write(
        &file,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .expect("write");
    // Welcome, Integration, External ID; then the custom preset (third) and its file.
    d.keys(&[
        KeyCode::Enter,
        KeyCode::Enter,
        KeyCode::Enter,
        KeyCode::Down,
        KeyCode::Down,
        KeyCode::Tab,
    ])
    .await;
    d.type_text(file.to_str().expect("UTF-8")).await;
    d.key(KeyCode::Enter).await;
    assert!(
        matches!(d.app.permissions.policy_file, Some(Ok(_))),
        "{:?}",
        d.app.permissions.policy_file
    );
    d.keys(&[KeyCode::Esc, KeyCode::Enter, KeyCode::Enter])
        .await;
    assert_eq!(d.app.step, Step::Review, "{:?}", d.app.plan().err());
    assert!(
        d.screen().contains("grants broadly; press y"),
        "{}",
        d.screen()
    );
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Review, "Enter alone does not start");
    assert_eq!(d.stacks.changes(), 0);
    d.key(KeyCode::Char('y')).await;
    assert!(d.screen().contains("You accepted"), "{}", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_deny_that_refuses_segment_goes_only_when_its_number_is_pressed() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    let mut trust = segment_aws_setup::model::policy::trust_policy(
        "arn:aws:iam::458175278816:root",
        &[FIXED_ID.into()],
    );
    trust["Statement"].as_array_mut().expect("list").push(
        json!({"Sid": "Lockdown", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}),
    );
    d.roles
        .create_role(&RoleCreate {
            name: "locked-role".into(),
            path: "/".into(),
            description: String::new(),
            trust_policy: trust.to_string(),
            tags: vec![],
        })
        .await
        .expect("role");
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Tab])
        .await;
    d.type_text("events-bucket").await;
    d.key(KeyCode::Tab).await;
    d.type_text("us-west-2").await;
    d.keys(&[KeyCode::Enter, KeyCode::Down, KeyCode::Down, KeyCode::Tab])
        .await;
    d.type_text("locked-role").await;
    d.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    let Work::Verified(verification) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert_eq!(verification.judgement.blocking_denies, [2]);
    assert!(
        matches!(d.app.method.fix, Some(Err(_))),
        "no fix without the confirmation"
    );
    assert!(
        d.screen().contains("press 2 to remove it"),
        "{}",
        d.screen()
    );
    d.key(KeyCode::Enter).await;
    assert!(
        matches!(d.app.run.work, Work::Verified(_)),
        "Enter applies nothing"
    );
    assert_eq!(
        d.roles
            .get_role("locked-role")
            .await
            .expect("get")
            .expect("role")
            .trust_policy,
        trust
    );
    d.key(KeyCode::Char('2')).await;
    assert!(
        matches!(d.app.method.fix, Some(Ok(_))),
        "{:?}",
        d.app.method.fix
    );
    d.key(KeyCode::Enter).await;
    let Work::Verified(after) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert!(after.is_right(), "{:?}", after.lines());
    let now = d
        .roles
        .get_role("locked-role")
        .await
        .expect("get")
        .expect("role")
        .trust_policy;
    assert_eq!(
        now,
        segment_aws_setup::model::policy::trust_policy(
            "arn:aws:iam::458175278816:root",
            &[FIXED_ID.into()]
        )
    );
}

/// No run of 8 characters of the secret anywhere on the screen.
fn assert_masked(screen: &str, secret: &str, at: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for window in chars.windows(8) {
        let run: String = window.iter().collect();
        assert!(
            !screen.contains(&run),
            "{at}: {run:?} of the secret shows:\n{screen}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn presenter_mode_masks_the_secret_on_every_screen_and_stays_on() {
    let mut d = Driver::new(Script::success(20.0), true).await;
    d.key(KeyCode::F(2)).await;
    assert!(d.app.presenter);
    assert!(d.screen().contains("F2 presenter off"), "{}", d.screen());
    let mut seen = Vec::new();
    let mut check = |d: &Driver, at: &str| {
        assert_masked(&d.screen(), FIXED_ID, at);
        seen.push(at.to_string());
    };
    check(&d, "welcome");
    d.key(KeyCode::Enter).await;
    check(&d, "integration");
    d.key(KeyCode::Enter).await;
    check(&d, "external ID");
    d.key(KeyCode::F(1)).await;
    check(&d, "help");
    d.key(KeyCode::Esc).await;
    // F3 shows it, the header says so, and the next screen masks it again.
    d.key(KeyCode::F(3)).await;
    assert!(
        d.screen().contains(&FIXED_ID[..20]),
        "revealed:\n{}",
        d.screen()
    );
    assert!(d.screen().contains("ID SHOWN"), "{}", d.screen());
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    check(&d, "permissions (masked again after the step changed)");
    d.type_text("events-bucket").await;
    d.key(KeyCode::Tab).await;
    d.type_text("us-west-2").await;
    d.key(KeyCode::Enter).await;
    check(&d, "method");
    d.key(KeyCode::Enter).await;
    check(&d, "review");
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    check(&d, "done");
    insta::assert_snapshot!("8_done_presenter", d.screen());
    d.key(KeyCode::Char('x')).await;
    check(&d, "done, external ID copied");
    assert!(d.app.presenter, "presenter mode stays on");
    assert_eq!(seen.len(), 9, "{seen:?}");
}

#[tokio::test(start_paused = true)]
async fn presenter_mode_masks_the_lambda_destinations_workspace_id_too() {
    let mut d = Driver::new(Script::success(20.0), true).await;
    d.key(KeyCode::F(2)).await;
    d.keys(&[KeyCode::Enter, KeyCode::Down, KeyCode::Down, KeyCode::Enter])
        .await;
    let workspace = "wXZ2sd8N3mJqR7tY";
    d.type_text(workspace).await;
    assert_masked(&d.screen(), workspace, "external ID screen");
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    d.type_text("arn:aws:lambda:us-west-2:000000000000:function:events")
        .await;
    assert_masked(&d.screen(), workspace, "permissions");
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Method, "{:?}", d.app.plan().err());
    assert_masked(&d.screen(), workspace, "method");
    d.key(KeyCode::Enter).await;
    assert_masked(&d.screen(), workspace, "review");
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert_masked(&d.screen(), workspace, "done");
}

/// Presenter mode on every path: an existing role's repair diff shows an extra external ID the
/// role accepts (one this wizard never knew) masked, and leaving the wizard prints the settings
/// with the workspace ID masked too.
#[tokio::test(start_paused = true)]
async fn presenter_mode_masks_extra_ids_in_a_repair_and_the_settings_printed_on_exit() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    let stray = "Qz7RvVdXk2mPw9LbN4TsY6HcJf8GqWe3Ua51";
    let trust = segment_aws_setup::model::policy::trust_policy(
        "arn:aws:iam::458175278816:root",
        &[FIXED_ID.to_string(), stray.to_string()],
    );
    d.roles
        .create_role(&RoleCreate {
            name: "handmade-role".into(),
            path: "/".into(),
            description: String::new(),
            trust_policy: trust.to_string(),
            tags: vec![],
        })
        .await
        .expect("role");
    d.key(KeyCode::F(2)).await;
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Tab])
        .await;
    d.type_text("events-bucket").await;
    d.key(KeyCode::Tab).await;
    d.type_text("us-west-2").await;
    d.key(KeyCode::Enter).await;
    d.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Tab]).await;
    d.type_text("handmade-role").await;
    d.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    let Work::Verified(verification) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert!(
        !verification.judgement.holds(),
        "an extra ID outside a rotation"
    );
    let fix = d.app.method.fix.clone().expect("a fix").expect("proven");
    assert!(
        fix.changes
            .iter()
            .any(|c| c.contains("stop accepting external ID")),
        "{:?}",
        fix.changes
    );
    d.app.height = 80;
    let screen = d.screen();
    assert!(screen.contains("The repair, proven to pass"), "{screen}");
    assert!(
        screen.contains("\"Qz7R••••••••\""),
        "the diff shows it, masked: {screen}"
    );
    assert_masked(&screen, stray, "the repair's diff");
    assert_masked(&screen, FIXED_ID, "the repair's diff");

    // The Lambda destination through to Done, then quit: the workspace ID stays masked in what
    // is printed once the terminal is back.
    let mut d = Driver::new(Script::success(4.0), true).await;
    d.key(KeyCode::F(2)).await;
    d.keys(&[KeyCode::Enter, KeyCode::Down, KeyCode::Down, KeyCode::Enter])
        .await;
    let workspace = "wXZ2sd8N3mJqR7tY";
    d.type_text(workspace).await;
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    d.type_text("arn:aws:lambda:us-west-2:000000000000:function:events")
        .await;
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter])
        .await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    d.key(KeyCode::Char('q')).await;
    let farewell = d.app.farewell.clone().expect("the settings are printed");
    assert!(farewell.contains("Settings in Segment"), "{farewell}");
    assert_masked(&farewell, workspace, "the settings printed on exit");
}

#[tokio::test(start_paused = true)]
async fn a_setup_is_changed_from_welcome_after_a_change_set_preview() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    let first = segment_aws_setup::model::plan::Plan::build(
        segment_aws_setup::model::catalog::Catalog::builtin(),
        &segment_aws_setup::model::plan::PlanRequest {
            integration: "lambda-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            lambda_arns: vec!["arn:aws:lambda:us-west-2:000000000000:function:first".into()],
            stack_name: Some("segment-lambda-destination-upd001".into()),
            ..Default::default()
        },
    )
    .expect("plan");
    let created = segment_aws_setup::engine::create_with_cloudformation(
        d.stacks.as_ref(),
        d.roles.as_ref(),
        &first,
        &segment_aws_setup::engine::WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
    let mut saved = segment_aws_setup::engine::saving::SavedSetup::new(
        &first,
        segment_aws_setup::engine::saving::Method::Cloudformation,
        FAKE_ACCOUNT,
        Some("us-east-1"),
        None,
    );
    saved.finished = true;
    saved.role_arn = Some(created.role_arn.clone());
    d.app.welcome.finished = vec![saved];
    assert!(d.screen().contains("can be changed"), "{}", d.screen());
    d.key(KeyCode::Char('u')).await;
    assert!(
        d.screen()
            .contains("stack segment-lambda-destination-upd001"),
        "{}",
        d.screen()
    );
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::ExternalId);
    assert_eq!(
        d.app.external.value.value(),
        "wXZ2sd8N3mJ",
        "the saved ID is kept"
    );
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    d.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL).await;
    d.type_text("arn:aws:lambda:us-west-2:000000000000:function:second")
        .await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Method);
    assert!(
        d.screen()
            .contains("Changing the setup of stack segment-lambda-destination-upd001"),
        "{}",
        d.screen()
    );
    d.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    let Work::Previewed(_) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work);
    };
    insta::assert_snapshot!("7_progress_update_previewed", d.screen());
    let (_, inline) = d
        .roles
        .snapshot(segment_aws_setup::engine::role_name_of(&created.role_arn))
        .expect("role");
    assert_eq!(
        inline["segment-permissions"]["Statement"][0]["Resource"],
        json!(["arn:aws:lambda:us-west-2:000000000000:function:first"]),
        "nothing changed before Enter"
    );
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    let (_, inline) = d
        .roles
        .snapshot(segment_aws_setup::engine::role_name_of(&created.role_arn))
        .expect("role");
    assert_eq!(
        inline["segment-permissions"]["Statement"][0]["Resource"],
        json!(["arn:aws:lambda:us-west-2:000000000000:function:second"])
    );
    let kept = StateStore::at(d.state.clone()).load_all();
    assert!(
        kept.iter().any(|s| s.finished
            && s.lambda_arns == ["arn:aws:lambda:us-west-2:000000000000:function:second"]),
        "the saved setup is what it now is: {kept:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_setup_made_on_another_machine_is_found_in_aws_and_changed() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    let elsewhere = segment_aws_setup::model::plan::Plan::build(
        segment_aws_setup::model::catalog::Catalog::builtin(),
        &segment_aws_setup::model::plan::PlanRequest {
            integration: "destination-function".into(),
            external_ids: vec![FIXED_ID.into()],
            bucket: Some("first-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            stack_name: Some("made-elsewhere-destination".into()),
            ..Default::default()
        },
    )
    .expect("plan");
    let created = segment_aws_setup::engine::create_with_cloudformation(
        d.stacks.as_ref(),
        d.roles.as_ref(),
        &elsewhere,
        &segment_aws_setup::engine::WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
    // Nothing is saved on this machine: the wizard looks in AWS when it knows the account.
    assert_eq!(d.saved_files(), 0);
    d.run(vec![Cmd::FindSetups { profile: None }]).await;
    assert!(d.screen().contains("1 setup(s)"), "{}", d.screen());
    d.key(KeyCode::Char('u')).await;
    assert!(
        d.screen()
            .contains("stack made-elsewhere-destination (destination-function, region")
            && d.screen().contains("found in AWS)"),
        "{}",
        d.screen()
    );
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::ExternalId);
    assert_eq!(
        d.app.external.value.value(),
        FIXED_ID,
        "the ID its role requires is kept"
    );
    assert_eq!(
        d.app.permissions.bucket.value(),
        "first-bucket",
        "read from the stack"
    );
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    d.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL).await;
    d.type_text("second-bucket").await;
    d.key(KeyCode::Tab).await;
    d.type_text("us-west-2").await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Method, "{}", d.screen());
    d.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    let Work::Previewed(_) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work);
    };
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    let (trust, inline) = d
        .roles
        .snapshot(segment_aws_setup::engine::role_name_of(&created.role_arn))
        .expect("role");
    assert_eq!(
        inline["segment-permissions"]["Statement"][0]["Resource"],
        json!("arn:aws:s3:::second-bucket/*")
    );
    assert_eq!(
        trust,
        segment_aws_setup::model::policy::trust_policy(
            "arn:aws:iam::458175278816:root",
            &[FIXED_ID.into()]
        ),
        "the external ID did not change"
    );
    assert_eq!(d.saved_files(), 1, "the changed setup is saved here now");
}

#[tokio::test(start_paused = true)]
async fn a_long_list_of_setups_to_change_scrolls_with_the_choice() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    let plan = segment_aws_setup::model::plan::Plan::build(
        segment_aws_setup::model::catalog::Catalog::builtin(),
        &segment_aws_setup::model::plan::PlanRequest {
            integration: "destination-function".into(),
            external_ids: vec![FIXED_ID.into()],
            bucket: Some("events-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            ..Default::default()
        },
    )
    .expect("plan");
    d.app.welcome.finished = (1..=7)
        .map(|n| {
            let mut saved = segment_aws_setup::engine::saving::SavedSetup::new(
                &plan,
                segment_aws_setup::engine::saving::Method::Cloudformation,
                FAKE_ACCOUNT,
                Some("us-east-1"),
                None,
            );
            saved.stack_name = Some(format!("setup-number-{n}"));
            saved.finished = true;
            saved
        })
        .collect();
    d.key(KeyCode::Char('u')).await;
    insta::assert_snapshot!("1_welcome_picking", d.screen());
    assert!(d.screen().contains("↓ 2 more"), "{}", d.screen());
    for _ in 0..6 {
        d.key(KeyCode::Down).await;
    }
    let screen = d.screen();
    assert!(
        screen.contains("▶ stack setup-number-7") && screen.contains("↑ 2 more"),
        "the choice stays on screen: {screen}"
    );
    assert!(
        !screen
            .lines()
            .any(|l| l.contains("↓") && l.contains("more")),
        "nothing below the last: {screen}"
    );
}

/// The executor lists the account's buckets for the picker once, when Permissions is entered;
/// the one picked brings its region.
#[tokio::test(start_paused = true)]
async fn the_executor_lists_the_accounts_buckets_once_for_the_picker() {
    use segment_aws_setup::model::picker::ResourceKind;
    use std::sync::atomic::Ordering;
    let mut d = Driver::new(Script::success(20.0), true).await;
    d.resources
        .add(ResourceKind::Buckets, "eu-west-1", "events-in-ireland");
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter])
        .await;
    assert_eq!(d.app.step, Step::Permissions);
    assert_eq!(d.resources.calls.load(Ordering::SeqCst), 1);
    d.keys(&[KeyCode::Tab, KeyCode::Down, KeyCode::Enter]).await;
    assert_eq!(d.app.permissions.bucket.value(), "events-in-ireland");
    assert_eq!(d.app.permissions.bucket_region.value(), "eu-west-1");
    d.keys(&[KeyCode::Esc, KeyCode::Enter]).await;
    assert_eq!(d.app.step, Step::Method);
    d.key(KeyCode::Esc).await;
    assert_eq!(d.app.step, Step::Permissions);
    assert_eq!(
        d.resources.calls.load(Ordering::SeqCst),
        1,
        "listed once, not again on coming back"
    );
}

/// Several accounts through a StackSet: the method's two fields (the targets checked as typed),
/// the review naming the StackSet and its units, the instances as a table while they run, the
/// one that fails with its reason and `r` to run it again, then Done with each account's role ARN
/// and the command that verifies them all.
#[tokio::test(start_paused = true)]
async fn several_accounts_through_a_stack_set_to_done() {
    use segment_aws_setup::model::stackset::{ADMINISTRATION_ROLE, InstanceRow};
    use segment_aws_setup::ui::tui::state::MethodChoice;
    let mut d = Driver::new(Script::success(20.0), true).await;
    d.stack_sets
        .org_unit("ou-ab12-development", &["111111111111", "222222222222"]);
    d.stack_sets
        .org_unit("ou-ab12-production", &["333333333333"]);
    let reason = "Account 333333333333 should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'.";
    d.stack_sets.fail("333333333333", reason, false);
    for (id, place) in [
        ("r-ab12", "Root"),
        ("ou-ab12-development", "Root / Development"),
        ("ou-ab12-production", "Root / Production"),
        ("111111111111", "dev"),
        ("333333333333", "prod"),
    ] {
        d.resources.add(ResourceKind::OrgTargets, place, id);
    }
    d.roles.insert(
        ADMINISTRATION_ROLE,
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        Vec::new(),
    );
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter, KeyCode::Tab])
        .await;
    d.type_text("events-bucket").await;
    d.key(KeyCode::Tab).await;
    d.type_text("us-west-2").await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Method);
    d.keys(&[KeyCode::Down, KeyCode::Down, KeyCode::Down]).await;
    assert_eq!(d.app.method.choice, MethodChoice::StackSet);
    // Enter with the name filled goes to the targets; a wrong one says what is allowed.
    d.key(KeyCode::Enter).await;
    assert_eq!(
        (d.app.step, d.app.method.focus),
        (
            Step::Method,
            segment_aws_setup::ui::tui::state::MethodFocus::Targets
        )
    );
    d.type_text("ou-x").await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Method);
    insta::assert_snapshot!("5_method_stack_set_invalid", d.screen());
    d.keys(&[KeyCode::Backspace; 4]).await;
    // Picked from the organization: a filter highlights its first match and Enter takes it; once
    // a unit is chosen only units are offered.
    d.type_text("devel").await;
    let screen = d.screen();
    assert!(
        screen.contains("Enter takes the highlighted row.") && !screen.contains("✗"),
        "a filter is not an error:\n{screen}"
    );
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.method.targets.value(), "ou-ab12-development, ");
    d.type_text("1111").await;
    assert!(
        d.screen()
            .contains("None of the 5 organizational units and accounts match.")
    );
    d.keys(&[KeyCode::Backspace; 4]).await;
    d.key(KeyCode::Down).await;
    d.key(KeyCode::Down).await;
    insta::assert_snapshot!("5_method_stack_set_picker", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(
        d.app.method.targets.value(),
        "ou-ab12-development, ou-ab12-production, "
    );
    d.key_with(KeyCode::Char('a'), KeyModifiers::CONTROL).await;
    assert!(d.app.method.auto_deploy);
    insta::assert_snapshot!("5_method_stack_set", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Review);
    assert!(matches!(
        d.app.stack_set_request().map(|r| r.targets),
        Ok(segment_aws_setup::model::stackset::Targets::OrgUnits {
            auto_deploy: true,
            ..
        })
    ));
    insta::assert_snapshot!("6_review_stack_set", d.screen());

    // The table while the instances run (the watcher's messages, fed by hand).
    let commands = update(&mut d.app, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert_eq!(d.app.step, Step::Progress);
    assert!(
        matches!(commands.first(), Some(Cmd::CreateStackSet { request, .. }) if request.name == FIXED_STACK),
        "{commands:?}"
    );
    for (account, status) in [
        ("111111111111", "SUCCEEDED"),
        ("222222222222", "RUNNING"),
        ("333333333333", "PENDING"),
    ] {
        let row = InstanceRow {
            account: account.into(),
            region: "us-east-1".into(),
            status: status.into(),
            reason: None,
        };
        update(
            &mut d.app,
            Msg::Progress(segment_aws_setup::engine::Progress::Instance {
                row,
                elapsed: std::time::Duration::from_secs(4),
            }),
        );
    }
    insta::assert_snapshot!("7_progress_stack_set_running", d.screen());
    d.key(KeyCode::Char('q')).await;
    d.key(KeyCode::Char('n')).await;
    assert!(!d.app.quit);

    // The real run on the fake: one account fails with its reason; r runs it again.
    d.run(commands).await;
    let Work::Failed(failure) = &d.app.run.work else {
        panic!("{:?}", d.app.run.work)
    };
    assert!(
        failure.message.contains("1 of 3 instance(s) failed"),
        "{failure:?}"
    );
    insta::assert_snapshot!("7_progress_stack_set_failed", d.screen());
    assert!(
        d.screen()
            .contains("AWSCloudFormationStackSetExecutionRole")
    );
    d.key(KeyCode::Char('r')).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert!(d.app.run.instances.iter().all(InstanceRow::succeeded));
    insta::assert_snapshot!("8_done_stack_set", d.screen());
    let screen = d.screen();
    for account in ["111111111111", "222222222222", "333333333333"] {
        assert!(
            screen.contains(&format!("arn:aws:iam::{account}:role/{FIXED_STACK}")),
            "{screen}"
        );
    }
    // The setup was saved before the first change, and is finished now.
    let saved = StateStore::at(d.state.clone()).load_all();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(saved[0].finished && saved[0].stack_set.as_deref() == Some(FIXED_STACK));
}

/// A destination function's role made through IAM as `create` makes it (ID `FIXED_ID`),
/// saved and finished in the driver's state directory.
async fn made_function_role(d: &Driver, role: &str) {
    let plan = segment_aws_setup::model::plan::Plan::build(
        segment_aws_setup::model::catalog::Catalog::builtin(),
        &segment_aws_setup::model::plan::PlanRequest {
            integration: "destination-function".into(),
            external_ids: vec![FIXED_ID.into()],
            generated_external_id: true,
            bucket: Some("events-bucket".into()),
            bucket_region: Some("us-west-2".into()),
            role_name: Some(role.into()),
            ..Default::default()
        },
    )
    .expect("plan");
    let saved = segment_aws_setup::engine::saving::SavedSetup::new(
        &plan,
        segment_aws_setup::engine::saving::Method::Iam,
        FAKE_ACCOUNT,
        Some("us-east-1"),
        None,
    );
    segment_aws_setup::engine::resume::create(
        d.stacks.as_ref(),
        d.roles.as_ref(),
        d.functions.as_ref(),
        Some(&StateStore::at(d.state.clone())),
        &plan,
        &saved,
        false,
        "/",
        &segment_aws_setup::engine::WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
}

/// Picks the one changeable setup from Welcome and stops at the External ID step.
async fn change_the_setup(d: &mut Driver) {
    d.app.welcome.finished = StateStore::at(d.state.clone()).load_all();
    assert!(d.screen().contains("can be changed"), "{}", d.screen());
    d.key(KeyCode::Char('u')).await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::ExternalId);
}

/// From the External ID step, through the inputs as they are, to the preview.
async fn to_the_preview(d: &mut Driver) {
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Permissions, "{}", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Method, "{}", d.screen());
    d.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    let Work::Previewed(_) = &d.app.run.work else {
        panic!("{:?}\n{}", d.app.run.work, d.screen());
    };
}

fn accepted_ids(d: &Driver, role: &str) -> Vec<String> {
    let (trust, _) = d.roles.snapshot(role).expect("role");
    segment_aws_setup::model::verify::every_listed_id(&trust)
}

#[tokio::test(start_paused = true)]
async fn a_rotation_in_the_wizard_shows_the_new_id_then_finishes_on_a_key() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    let role = "segment-wizard-rotation";
    let store = StateStore::at(d.state.clone());
    made_function_role(&d, role).await;
    let old = FIXED_ID.to_string();

    // Phase 1: the saved ID is shown as itself (one value), r begins a rotation.
    change_the_setup(&mut d).await;
    assert_eq!(
        d.app.external.value.value(),
        old,
        "one ID, not a joined field"
    );
    d.key(KeyCode::Char('r')).await;
    let segment_aws_setup::engine::update::IdChange::Rotate(_) = d.app.external.id_change.clone()
    else {
        panic!("{:?}", d.app.external.id_change);
    };
    // The generated ID as a fixed one, so the screens can be compared.
    let new = "NewRotatedId0123456789abcdefABCDEFGHIJ".to_string();
    let commands = update(&mut d.app, Msg::ExternalIdGenerated(new.clone()));
    d.run(commands).await;
    d.key(KeyCode::F(2)).await;
    insta::assert_snapshot!("3_external_id_rotation_begun", d.screen());
    assert_masked(&d.screen(), &old, "presenter mode, the current ID");
    assert_masked(&d.screen(), &new, "presenter mode, the new ID");
    d.key(KeyCode::F(2)).await;
    to_the_preview(&mut d).await;
    assert_eq!(
        accepted_ids(&d, role),
        vec![old.clone()],
        "nothing changed yet"
    );
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert_eq!(accepted_ids(&d, role), vec![old.clone(), new.clone()]);
    let screen = d.screen();
    assert!(screen.contains("phase 1 of 2"), "{screen}");
    assert!(
        screen.contains(&new),
        "the new ID, to paste into Segment: {screen}"
    );
    insta::assert_snapshot!("8_done_rotation_phase_1", screen);
    let record = store.find_role(role).expect("saved");
    assert_eq!(record.pending_external_ids, vec![new.clone()]);

    // Phase 2, a later run: the rotation is said to be under way; f finishes it.
    d.app = initial_app(&Options::default(), 80, 24);
    let start = d.app.start();
    d.run(start).await;
    change_the_setup(&mut d).await;
    assert!(
        d.screen().contains("A rotation is under way"),
        "{}",
        d.screen()
    );
    d.key(KeyCode::Char('f')).await;
    assert_eq!(
        d.app.external.id_change,
        segment_aws_setup::engine::update::IdChange::Finish
    );
    to_the_preview(&mut d).await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert_eq!(accepted_ids(&d, role), vec![new.clone()]);
    let record = store.find_role(role).expect("saved");
    assert_eq!(record.all_external_ids(), vec![new]);
}

/// Both sides in one run: phase 1 applied, `w` writes the new ID into Segment (the demo's
/// simulated workspace) and reads it back, then `f` previews phase 2 and Enter applies it. The
/// role never stops accepting the ID Segment holds.
#[tokio::test(start_paused = true)]
async fn a_rotation_finishes_from_done_once_segment_holds_the_new_id() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    let role = "segment-wizard-both-sides";
    made_function_role(&d, role).await;
    let old = FIXED_ID.to_string();
    change_the_setup(&mut d).await;
    d.key(KeyCode::Char('r')).await;
    let new = "NewRotatedId0123456789abcdefABCDEFGHIJ".to_string();
    let commands = update(&mut d.app, Msg::ExternalIdGenerated(new.clone()));
    d.run(commands).await;
    to_the_preview(&mut d).await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert_eq!(accepted_ids(&d, role), vec![old.clone(), new.clone()]);

    d.app.demo = true;
    d.key(KeyCode::Char('w')).await;
    // The demo's function has no instance: connect it to the first source.
    d.key(KeyCode::Enter).await;
    let screen = d.screen();
    assert!(screen.contains("This writes into Segment"), "{screen}");
    assert!(
        !screen.contains("f finishes"),
        "nothing is finished before Segment holds the ID: {screen}"
    );
    d.key(KeyCode::Char('f')).await;
    assert_eq!(accepted_ids(&d, role), vec![old.clone(), new.clone()]);
    d.key(KeyCode::Char('y')).await;
    let screen = d.screen();
    insta::assert_snapshot!("8_done_segment_rotation_finish_offer", screen);
    assert!(screen.contains("f finishes the rotation now"), "{screen}");
    d.key(KeyCode::Char('f')).await;
    assert_eq!(d.app.step, Step::Progress);
    let Work::Previewed(_) = &d.app.run.work else {
        panic!("{:?}\n{}", d.app.run.work, d.screen());
    };
    assert!(
        d.screen().contains("phase 2 of 2"),
        "the finish previewed: {}",
        d.screen()
    );
    assert_eq!(
        accepted_ids(&d, role),
        vec![old.clone(), new.clone()],
        "nothing changed before Enter"
    );
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert_eq!(accepted_ids(&d, role), vec![new.clone()]);
    let outcome = segment_aws_setup::ui::tui::screens::done::outcome(&d.app).expect("Done");
    assert!(
        outcome.notes[0].starts_with("The rotation is finished: Segment has the new External ID"),
        "{:?}",
        outcome.notes
    );
    assert!(
        outcome
            .next_steps
            .iter()
            .all(|s| !s.contains("phase 1 of 2")),
        "{:?}",
        outcome.next_steps
    );
    let record = StateStore::at(d.state.clone())
        .find_role(role)
        .expect("saved");
    assert_eq!(record.all_external_ids(), vec![new]);
}

#[tokio::test(start_paused = true)]
async fn a_saved_id_the_role_contradicts_is_shown_and_kept_only_on_y() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    let role = "segment-wizard-differ";
    let store = StateStore::at(d.state.clone());
    made_function_role(&d, role).await;
    // Rotated by hand elsewhere: the saved ID is stale.
    let elsewhere = "Zq9byHandOnTheRole0123456789abcdefABCD";
    d.roles
        .update_trust_policy(
            role,
            &segment_aws_setup::model::policy::trust_policy(
                "arn:aws:iam::458175278816:root",
                &[elsewhere.to_string()],
            )
            .to_string(),
        )
        .await
        .expect("changed by hand");
    change_the_setup(&mut d).await;
    d.key(KeyCode::Enter).await;
    d.key(KeyCode::Enter).await;
    d.keys(&[KeyCode::Enter, KeyCode::Enter]).await;
    let Work::IdsDiffer(_) = &d.app.run.work else {
        panic!("{:?}\n{}", d.app.run.work, d.screen());
    };
    d.key(KeyCode::F(2)).await;
    insta::assert_snapshot!("7_progress_ids_differ", d.screen());
    assert_masked(&d.screen(), elsewhere, "presenter mode");
    d.key(KeyCode::F(2)).await;
    d.key(KeyCode::Char('y')).await;
    let Work::Previewed(prepared) = &d.app.run.work else {
        panic!("{:?}\n{}", d.app.run.work, d.screen());
    };
    assert_eq!(prepared.plan.external_ids, vec![elsewhere.to_string()]);
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    assert_eq!(accepted_ids(&d, role), vec![elsewhere.to_string()]);
    assert_eq!(
        store.find_role(role).expect("saved").external_ids,
        vec![elsewhere.to_string()]
    );
}

#[tokio::test(start_paused = true)]
async fn quitting_at_a_previewed_change_deletes_its_change_set() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    let stack = "segment-lambda-destination-quit01";
    let first = segment_aws_setup::model::plan::Plan::build(
        segment_aws_setup::model::catalog::Catalog::builtin(),
        &segment_aws_setup::model::plan::PlanRequest {
            integration: "lambda-destination".into(),
            workspace_ids: vec!["wXZ2sd8N3mJ".into()],
            lambda_arns: vec!["arn:aws:lambda:us-west-2:000000000000:function:first".into()],
            stack_name: Some(stack.into()),
            ..Default::default()
        },
    )
    .expect("plan");
    let saved = segment_aws_setup::engine::saving::SavedSetup::new(
        &first,
        segment_aws_setup::engine::saving::Method::Cloudformation,
        FAKE_ACCOUNT,
        Some("us-east-1"),
        None,
    );
    segment_aws_setup::engine::resume::create(
        d.stacks.as_ref(),
        d.roles.as_ref(),
        d.functions.as_ref(),
        Some(&StateStore::at(d.state.clone())),
        &first,
        &saved,
        false,
        "/",
        &segment_aws_setup::engine::WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
    change_the_setup(&mut d).await;
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    d.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL).await;
    d.type_text("arn:aws:lambda:us-west-2:000000000000:function:second")
        .await;
    d.keys(&[KeyCode::Enter, KeyCode::Enter, KeyCode::Enter])
        .await;
    let Work::Previewed(_) = &d.app.run.work else {
        panic!("{:?}\n{}", d.app.run.work, d.screen());
    };
    assert_eq!(
        d.stacks.change_sets(stack).await.expect("listed").len(),
        1,
        "the preview's change set waits"
    );
    d.key(KeyCode::Char('q')).await;
    assert!(d.app.quit);
    assert!(
        d.stacks
            .change_sets(stack)
            .await
            .expect("listed")
            .is_empty(),
        "no change set is left behind"
    );
}

/// Done's `w`: the token typed masked (never shown, not even with F3), Esc closes it; then, on
/// the demo's simulated workspace, the preview (the external ID masked) and `y` writing the
/// function's setting definitions, read back.
#[tokio::test]
async fn done_writes_the_settings_into_segment_after_a_preview() {
    let mut d = Driver::new(Script::success(20.0), true).await;
    d.walk_to_review().await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done);
    assert!(d.screen().contains("w to Segment"), "{}", d.screen());

    d.key(KeyCode::Char('w')).await;
    d.type_text("sgp_secret0123").await;
    d.key(KeyCode::F(3)).await;
    let screen = d.screen();
    insta::assert_snapshot!("8_done_segment_token", screen);
    assert!(!screen.contains("sgp_secret0123"), "{screen}");
    assert!(screen.contains("••••••••••••••"), "{screen}");
    d.key(KeyCode::Esc).await;
    assert!(!d.app.segment.is_open());
    assert!(
        !d.commands
            .iter()
            .any(|c| matches!(c, Cmd::SegmentConnect { .. })),
        "nothing was sent"
    );

    // The demo's workspace needs no token.
    d.app.demo = true;
    d.key(KeyCode::F(3)).await;
    d.key(KeyCode::Char('w')).await;
    // The demo's function has no instance: its sources, or the definitions alone.
    let screen = d.screen();
    insta::assert_snapshot!("8_done_segment_choose", screen);
    assert!(
        screen.contains("iOS app  a new instance on this source"),
        "{screen}"
    );
    assert!(screen.contains("later"), "{screen}");
    d.key(KeyCode::Down).await;
    d.key(KeyCode::Enter).await;
    let screen = d.screen();
    insta::assert_snapshot!("8_done_segment_preview", screen);
    assert!(screen.contains("on source iOS app"), "{screen}");
    assert!(screen.contains("Demo workspace"), "{screen}");
    assert!(screen.contains("IAM Role External ID"), "{screen}");
    assert!(
        !screen.contains(FIXED_ID),
        "the external ID is masked: {screen}"
    );
    d.key(KeyCode::Char('y')).await;
    let screen = d.screen();
    insta::assert_snapshot!("8_done_segment_written", screen);
    assert!(
        screen.contains("Written: Function Send events to S3"),
        "{screen}"
    );
    assert!(
        screen.contains("(Send events to S3 on source iOS app"),
        "{screen}"
    );
    d.key(KeyCode::Enter).await;
    assert!(!d.app.segment.is_open());
}

/// Welcome's `a`: every role of the account read, the one a function's principal can assume
/// with no external ID shown NOT OK with its repair command; nothing changed; Esc closes.
#[tokio::test(start_paused = true)]
async fn welcome_audits_the_account_for_roles_segment_can_assume() {
    let mut d = Driver::new(Script::success(4.0), true).await;
    d.roles.insert(
        "old-function-role",
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::458175278816:root"}, "Action": "sts:AssumeRole"}]}),
        Vec::new(),
    );
    d.roles.insert(
        "ec2-role",
        serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        Vec::new(),
    );
    let before = d.roles.snapshot("old-function-role");
    assert!(d.screen().contains("a audit"), "{}", d.screen());
    d.key(KeyCode::Char('a')).await;
    let screen = d.screen();
    insta::assert_snapshot!("1_welcome_audit", screen);
    assert!(
        screen.contains("1 role(s) Segment can assume, of 2 looked at; 1 NOT OK"),
        "{screen}"
    );
    assert!(
        screen.contains("NOT OK  000000000000 old-function-role"),
        "{screen}"
    );
    assert!(screen.contains("no external ID"), "{screen}");
    assert!(!screen.contains("ec2-role"), "{screen}");
    assert_eq!(
        d.roles.snapshot("old-function-role"),
        before,
        "nothing changed"
    );
    d.key(KeyCode::Esc).await;
    assert!(!d.app.audit.is_open());
    assert_eq!(d.app.step, Step::Welcome);
}

/// The Lambda destination with no function yet: Ctrl-N on the Lambda field makes a starter
/// function in the stack; Review says so, and Done's outcome holds its code.
#[tokio::test(start_paused = true)]
async fn a_starter_function_is_chosen_under_the_lambda_field_and_made_in_the_stack() {
    let mut d = Driver::new(Script::success(5.0), true).await;
    d.keys(&[KeyCode::Enter, KeyCode::Down, KeyCode::Down, KeyCode::Enter])
        .await;
    assert_eq!(d.app.integration().id, "lambda-destination");
    d.type_text("wsStarterWizard1").await;
    d.keys(&[KeyCode::Enter, KeyCode::Tab]).await;
    assert!(
        d.screen().contains("Ctrl-N makes a starter function"),
        "{}",
        d.screen()
    );
    d.key_with(KeyCode::Char('n'), KeyModifiers::CONTROL).await;
    insta::assert_snapshot!("4_permissions_starter_function", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Method, "{:?}", d.app.plan().err());
    d.app.method.stack_name = Input::new("segment-lambda-destination-st4rt1".into());
    d.app.method.role_name = Input::new("segment-lambda-destination-st4rt1".into());
    // A new role makes it, in a stack or through IAM: an existing role is refused on Method.
    d.keys(&[KeyCode::Down, KeyCode::Down]).await;
    d.key(KeyCode::Enter).await;
    assert_eq!(
        d.app.step,
        Step::Method,
        "an existing role with a starter stays"
    );
    insta::assert_snapshot!("5_method_starter_function_existing", d.screen());
    d.keys(&[KeyCode::Esc, KeyCode::Up, KeyCode::Up]).await;
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Review, "{}", d.screen());
    insta::assert_snapshot!("6_review_starter_function", d.screen());
    d.key(KeyCode::Enter).await;
    assert_eq!(d.app.step, Step::Done, "{:?}", d.app.run.work);
    let template = d
        .stacks
        .stack_template("segment-lambda-destination-st4rt1")
        .await
        .expect("the stack's template");
    assert_eq!(
        template["Resources"]["StarterFunction"]["Properties"]["FunctionName"],
        "segment-lambda-destination-st4rt1-starter"
    );
    let outcome = segment_aws_setup::ui::tui::screens::done::outcome(&d.app).expect("an outcome");
    let starter = outcome.starter.as_ref().expect("the starter function");
    assert!(starter.code.contains("def handler"));
    // What Done draws: the function's code under its heading.
    let drawn: Vec<String> =
        segment_aws_setup::ui::tui::screens::done::outcome_lines(&d.app, &outcome)
            .into_iter()
            .map(|l| l.text)
            .collect();
    let heading = drawn
        .iter()
        .position(|l| l.starts_with(&format!("The starter function {}", starter.name)))
        .expect("its heading on Done");
    assert!(
        drawn[heading..]
            .iter()
            .any(|l| l.contains("def handler(event, context):")),
        "{drawn:?}"
    );
    assert_eq!(
        outcome.groups[0]
            .settings
            .iter()
            .find(|s| s.key == "function")
            .and_then(|s| s.value.clone()),
        Some(starter.arn.clone())
    );
}
