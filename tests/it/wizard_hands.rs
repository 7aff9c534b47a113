//! The wizard under real hands: `update()` driven by key messages alone (the answers of commands
//! sent as messages by the test, in the order a slow network would deliver them), for what a
//! newcomer, a presenter and an SSH operator do: typing ahead, typing into fields, going back,
//! quitting, reading the footers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use segment_aws_setup::aws::Caller;
use segment_aws_setup::ui::tui::{Options, initial_app, view};
use segment_aws_setup::ui::tui::{
    state::{App, Cmd, Msg, Step},
    update::update,
};

const GENERATED: &str = "Gq7RtY2uIoP4aSdF6gHjK8lZxC0vBnM1QwErTyU3";

fn app() -> App {
    initial_app(&Options::default(), 80, 24)
}

fn key(app: &mut App, code: KeyCode) -> Vec<Cmd> {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Cmd> {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn text(app: &mut App, typed: &str) {
    for c in typed.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// On the Integration step, moves the choice to this integration with the arrow keys.
fn choose_integration(app: &mut App, id: &str) {
    for _ in 0..segment_aws_setup::model::catalog::Catalog::builtin()
        .integrations()
        .len()
    {
        if app.integration().id == id {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("no integration {id}");
}

/// Welcome with the account known, then on to the Integration step.
fn to_integration(app: &mut App) {
    identity(app);
    key(app, KeyCode::Enter);
    assert_eq!(app.step, Step::Integration);
}

fn identity(app: &mut App) -> Vec<Cmd> {
    update(
        app,
        Msg::Identity(Ok((
            Caller {
                account: "123456789012".into(),
                arn: "arn:aws:iam::123456789012:user/jo".into(),
            },
            "us-west-2".into(),
        ))),
    )
}

fn screen(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(app.width, app.height)).expect("terminal");
    terminal.draw(|frame| view::draw(app, frame)).expect("draw");
    terminal.backend().to_string()
}

/// Enter pressed while the account is still loading, and again before the generated ID has
/// arrived: each acts as soon as what it waits for is there, so the user is never a step behind.
#[test]
fn keys_typed_ahead_act_when_the_value_they_wait_for_arrives() {
    let mut app = app();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Welcome, "the account is not known yet");
    identity(&mut app);
    assert_eq!(
        app.step,
        Step::Integration,
        "the early Enter acted on arrival"
    );

    let asked = key(&mut app, KeyCode::Enter);
    assert!(asked.contains(&Cmd::GenerateExternalId), "{asked:?}");
    assert_eq!(app.step, Step::ExternalId);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::ExternalId, "no ID to go on with yet");
    update(&mut app, Msg::ExternalIdGenerated(GENERATED.into()));
    assert_eq!(
        app.step,
        Step::Permissions,
        "the early Enter acted on arrival"
    );
    assert_eq!(app.external.value.value(), GENERATED);
}

/// On Permissions letters are a bucket name, not list navigation: `j`, `k` and `q` go into the
/// preset's first field; arrows and Tab still move.
#[test]
fn typing_on_permissions_goes_into_the_first_field() {
    let mut app = app();
    to_integration(&mut app);
    key(&mut app, KeyCode::Enter);
    update(&mut app, Msg::ExternalIdGenerated(GENERATED.into()));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Permissions);
    let preset = app.permissions.preset;
    text(&mut app, "jk-quarterly");
    assert_eq!(app.permissions.bucket.value(), "jk-quarterly");
    assert_eq!(
        app.permissions.preset, preset,
        "letters did not move the preset list"
    );
    assert!(!app.quit, "q was a letter of the name");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Down);
    assert_ne!(
        app.permissions.preset, preset,
        "arrows still choose the preset"
    );
}

/// Esc out of typing your own external ID brings the generated one back.
#[test]
fn esc_out_of_typing_your_own_id_restores_the_generated_one() {
    let mut app = app();
    to_integration(&mut app);
    key(&mut app, KeyCode::Enter);
    update(&mut app, Msg::ExternalIdGenerated(GENERATED.into()));
    key(&mut app, KeyCode::Char('e'));
    text(&mut app, "my-own-id");
    let asked = key(&mut app, KeyCode::Esc);
    assert!(asked.is_empty(), "no new ID is made: {asked:?}");
    assert_eq!(app.external.value.value(), GENERATED);
    assert!(app.external.generated);
    assert_eq!(app.step, Step::ExternalId);
}

/// A function's external ID is never carried over as the Lambda destination's workspace ID, nor
/// a workspace ID as a function's external ID.
#[test]
fn a_value_typed_for_one_kind_of_integration_is_not_carried_to_the_other() {
    let mut app = app();
    to_integration(&mut app);
    key(&mut app, KeyCode::Enter);
    update(&mut app, Msg::ExternalIdGenerated(GENERATED.into()));
    key(&mut app, KeyCode::Char('e'));
    text(&mut app, "TypedForAFunction0123456789abcdefghijXYZ");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Permissions);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.step, Step::Integration);
    choose_integration(&mut app, "lambda-destination");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.external.value.value(),
        "",
        "not offered as a workspace ID"
    );

    text(&mut app, "wXZ2sd8N3mJ");
    key(&mut app, KeyCode::Esc);
    choose_integration(&mut app, "destination-function");
    let asked = key(&mut app, KeyCode::Enter);
    assert_eq!(app.integration().id, "destination-function");
    assert_eq!(
        app.external.value.value(),
        "",
        "a workspace ID is no function ID"
    );
    assert!(asked.contains(&Cmd::GenerateExternalId), "{asked:?}");
}

/// A workspace slug or an over-long value passes the character rules, so the screen warns.
#[test]
fn a_workspace_id_that_looks_like_a_slug_or_is_too_long_is_warned_about() {
    let mut app = app();
    to_integration(&mut app);
    choose_integration(&mut app, "lambda-destination");
    key(&mut app, KeyCode::Enter);
    assert!(app.uses_workspace_id());
    text(&mut app, "acme-production");
    assert!(
        screen(&app).contains("looks like a workspace slug"),
        "{}",
        screen(&app)
    );
    ctrl(&mut app, 'u');
    text(&mut app, &"w".repeat(40));
    assert!(
        screen(&app).contains("far longer than Segment's"),
        "{}",
        screen(&app)
    );
    ctrl(&mut app, 'u');
    text(&mut app, "wXZ2sd8N3mJ");
    assert!(!screen(&app).contains("! "), "{}", screen(&app));
}

/// Walks to a step with valid answers (the destination function writing to a bucket).
fn walk_to(app: &mut App, step: Step) {
    to_integration(app);
    if step == Step::Integration {
        return;
    }
    key(app, KeyCode::Enter);
    update(app, Msg::ExternalIdGenerated(GENERATED.into()));
    if step == Step::ExternalId {
        return;
    }
    key(app, KeyCode::Enter);
    text(app, "events-bucket");
    key(app, KeyCode::Tab);
    text(app, "us-west-2");
    if step == Step::Permissions {
        return;
    }
    key(app, KeyCode::Enter);
    update(
        app,
        Msg::StackNameGenerated("segment-destination-function-k3x9qa".into()),
    );
    if step == Step::Method {
        return;
    }
    key(app, KeyCode::Enter);
    assert_eq!(app.step, Step::Review);
}

/// q and Ctrl-C follow one rule on every screen: they ask when answers or running work would be
/// lost (any other key stays, y or a second Ctrl-C leaves), and leave at once otherwise.
#[test]
fn one_quit_rule_on_every_step() {
    for quit in ['q', 'c'] {
        let press = |app: &mut App| {
            if quit == 'q' {
                key(app, KeyCode::Char('q'))
            } else {
                ctrl(app, 'c')
            }
        };
        let mut fresh = app();
        identity(&mut fresh);
        let left = press(&mut fresh);
        assert!(left.contains(&Cmd::Quit), "Welcome, nothing typed: leaves");

        for step in [
            Step::ExternalId,
            Step::Permissions,
            Step::Method,
            Step::Review,
        ] {
            let mut app = app();
            walk_to(&mut app, step);
            assert_eq!(app.step, step);
            if step == Step::Permissions {
                // Letters type into the bucket name here; Ctrl-C is the way out.
                key(&mut app, KeyCode::Esc);
            }
            let asked = if step == Step::Permissions {
                ctrl(&mut app, 'c')
            } else {
                press(&mut app)
            };
            assert!(asked.is_empty() && app.confirm_quit, "{step:?} asks first");
            assert!(
                screen(&app).contains("Your answers so far are not saved"),
                "{step:?}: {}",
                screen(&app)
            );
            key(&mut app, KeyCode::Char('n'));
            assert!(
                !app.confirm_quit && !app.quit,
                "{step:?}: another key stays"
            );
            assert_eq!(app.step, step);
            if step == Step::Permissions {
                ctrl(&mut app, 'c');
            } else {
                press(&mut app);
            }
            let left = if quit == 'q' {
                key(&mut app, KeyCode::Char('y'))
            } else {
                ctrl(&mut app, 'c')
            };
            assert!(
                left.contains(&Cmd::Quit),
                "{step:?}: y or Ctrl-C again leaves"
            );
        }
        // Back on Integration after answering: still asks.
        let mut back_again = app();
        walk_to(&mut back_again, Step::ExternalId);
        key(&mut back_again, KeyCode::Esc);
        assert_eq!(back_again.step, Step::Integration);
        press(&mut back_again);
        assert!(back_again.confirm_quit, "answers would still be lost");
    }
}

/// A window made too small while a stack is being made: q asks there too, with the command that
/// re-attaches (stack and region), and y leaves with it printed.
#[test]
fn quitting_from_a_too_small_window_while_a_stack_runs_asks_with_the_real_command() {
    let mut app = app();
    walk_to(&mut app, Step::Review);
    let started = key(&mut app, KeyCode::Enter);
    assert!(
        started.iter().any(|c| matches!(c, Cmd::CreateStack { .. })),
        "{started:?}"
    );
    update(&mut app, Msg::Resize(70, 20));
    assert!(app.too_small());
    let asked = key(&mut app, KeyCode::Char('q'));
    assert!(asked.is_empty() && app.confirm_quit);
    let shown = screen(&app);
    assert!(
        shown.contains("segment-aws-setup watch --stack-name")
            && shown.contains("segment-destination-function-k3x9qa --region us-west-2"),
        "{shown}"
    );
    let left = key(&mut app, KeyCode::Char('y'));
    assert!(left.contains(&Cmd::Quit));
    let farewell = app.farewell.clone().unwrap_or_default();
    assert!(
        farewell.contains("--stack-name segment-destination-function-k3x9qa --region us-west-2"),
        "{farewell}"
    );
}

/// Help explains each step's ideas (not only its keys) and fits an 80x24 window whole.
#[test]
fn help_on_every_step_explains_it_and_fits() {
    for step in [
        Step::Welcome,
        Step::Integration,
        Step::ExternalId,
        Step::Permissions,
        Step::Method,
        Step::Review,
        Step::Progress,
        Step::Done,
    ] {
        for integration in 0..3 {
            let mut app = app();
            identity(&mut app);
            app.integration = integration;
            app.step = step;
            app.help_open = true;
            let shown = screen(&app);
            assert!(
                shown.contains(&format!("About {}", step.title())),
                "{shown}"
            );
            assert!(
                shown.contains("Esc or ? closes this help"),
                "cut off: {shown}"
            );
        }
    }
    let mut app = app();
    walk_to(&mut app, Step::ExternalId);
    app.help_open = true;
    assert!(screen(&app).contains("confused deputy"), "{}", screen(&app));
}

/// A field's error shows after it was edited or on Enter, never on arrival, in the wizard's
/// words (no command-line flag), and goes when it no longer applies.
#[test]
fn field_errors_wait_for_the_user_and_speak_the_wizards_words() {
    let mut app = app();
    walk_to(&mut app, Step::ExternalId);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Permissions);
    let arrived = screen(&app);
    assert!(!arrived.contains('✗'), "no error on arrival: {arrived}");
    assert!(!arrived.contains("got \"\""), "{arrived}");
    assert!(
        arrived.contains("e.g. my-events-bucket"),
        "a hint instead: {arrived}"
    );

    key(&mut app, KeyCode::Enter);
    let asked = screen(&app);
    assert!(asked.contains('✗'), "Enter shows what is missing: {asked}");
    assert!(!asked.contains("--"), "no flags in the wizard: {asked}");

    text(&mut app, "events-bucket");
    key(&mut app, KeyCode::Tab);
    text(&mut app, "us-west-2");
    let fixed = screen(&app);
    assert!(!fixed.contains('✗'), "the errors went: {fixed}");

    // The custom preset: no JSON parser message greets the user.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.preset_id(), "custom");
    let custom = screen(&app);
    assert!(!custom.contains("EOF") && !custom.contains('✗'), "{custom}");

    // The Lambda destination's workspace ID: a hint until typed.
    let mut lambda = self::app();
    to_integration(&mut lambda);
    choose_integration(&mut lambda, "lambda-destination");
    key(&mut lambda, KeyCode::Enter);
    let arrived = screen(&lambda);
    assert!(!arrived.contains('✗'), "{arrived}");
    key(&mut lambda, KeyCode::Enter);
    assert!(screen(&lambda).contains('✗'), "{}", screen(&lambda));
}

/// Long messages wrap inside their box and keep their ends: a resource's CREATE_FAILED reason on
/// Progress, and the credentials message on Welcome.
#[test]
fn long_messages_wrap_and_keep_their_ends() {
    let mut welcome = app();
    update(
        &mut welcome,
        Msg::Identity(Err(
            "no AWS region is set for this profile: pass --region, set AWS_REGION, or add region = us-west-2 to the profile in ~/.aws/config THE-END".into(),
        )),
    );
    assert!(screen(&welcome).contains("THE-END"), "{}", screen(&welcome));

    let mut app = app();
    walk_to(&mut app, Step::Review);
    key(&mut app, KeyCode::Enter);
    let reason = "Resource handler returned message: \"The policy failed legacy parsing (Service: Iam, Status Code: 400, Request ID: 5d1f0000-aaaa-bbbb-cccc-000000000000)\" (RequestToken: 11112222, HandlerErrorCode: InvalidRequest) LAST-WORDS";
    update(
        &mut app,
        Msg::Progress(segment_aws_setup::engine::Progress::Event {
            event: segment_aws_setup::aws::StackEvent {
                id: "1".into(),
                logical_id: "FunctionPolicy".into(),
                physical_id: None,
                resource_type: "AWS::IAM::Policy".into(),
                status: "CREATE_FAILED".into(),
                reason: Some(reason.into()),
            },
            elapsed: std::time::Duration::from_secs(4),
        }),
    );
    assert!(screen(&app).contains("LAST-WORDS"), "{}", screen(&app));
}

/// On Method, the account's roles (read on arrival) catch a taken role name for the direct-IAM
/// method, and an existing role that isn't there, before Review; Enter waits for the list.
#[test]
fn method_catches_a_taken_name_and_a_missing_role_from_the_roles_already_read() {
    let mut app = app();
    walk_to(&mut app, Step::Method);
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.method.choice,
        segment_aws_setup::ui::tui::state::MethodChoice::Iam
    );
    assert_eq!(
        app.method.role_name.value(),
        "segment-destination-function-k3x9qa",
        "the generated name with its random suffix"
    );
    // Tab into the name, type a taken one (case aside), Enter before the roles arrive.
    key(&mut app, KeyCode::Tab);
    ctrl(&mut app, 'u');
    text(&mut app, "Segment-Lambda");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method, "waits for the roles");
    update(
        &mut app,
        Msg::RolesListed(Ok(vec![(
            "segment-lambda".into(),
            "arn:aws:iam::123456789012:role/segment-lambda".into(),
        )])),
    );
    assert_eq!(
        app.step,
        Step::Method,
        "the name is taken: not on to Review"
    );
    assert!(screen(&app).contains("already exists"), "{}", screen(&app));
    ctrl(&mut app, 'u');
    text(&mut app, "segment-lambda-2");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Review);

    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Down);
    assert_eq!(
        app.method.choice,
        segment_aws_setup::ui::tui::state::MethodChoice::Existing
    );
    key(&mut app, KeyCode::Tab);
    text(&mut app, "no-such-role");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method);
    assert!(
        screen(&app).contains("no role no-such-role in this account"),
        "{}",
        screen(&app)
    );
}

/// The bucket's region defaults to the account's (said under the field), and the commands the
/// wizard prints name the region.
#[test]
fn regions_are_defaulted_shown_and_carried_by_every_command() {
    let mut app = app();
    walk_to(&mut app, Step::ExternalId);
    key(&mut app, KeyCode::Enter);
    text(&mut app, "events-bucket");
    assert!(
        screen(&app).contains("left empty: us-west-2, the account's region"),
        "{}",
        screen(&app)
    );
    assert_eq!(app.request().bucket_region.as_deref(), Some("us-west-2"));
    key(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::StackNameGenerated("segment-destination-function-k3x9qa".into()),
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Review);
    assert!(
        screen(&app).contains("region us-west-2"),
        "{}",
        screen(&app)
    );
    app.run.role_arn = Some("arn:aws:iam::123456789012:role/r".into());
    assert!(
        segment_aws_setup::ui::tui::screens::done::verify_command(&app)
            .ends_with("--region us-west-2")
    );
}

/// Progress reads well: PgDn moves a page and stops at the end, new content shows from the top,
/// and the finished state stays until a key or a moment passes.
#[test]
fn progress_pages_stop_at_the_end_and_the_finish_stays_a_moment() {
    let mut app = app();
    walk_to(&mut app, Step::Review);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Progress);
    for n in 0..40 {
        update(
            &mut app,
            Msg::Progress(segment_aws_setup::engine::Progress::Note(format!(
                "note {n}"
            ))),
        );
    }
    for n in 0..30 {
        update(
            &mut app,
            Msg::Progress(segment_aws_setup::engine::Progress::Event {
                event: segment_aws_setup::aws::StackEvent {
                    id: n.to_string(),
                    logical_id: format!("Resource{n}"),
                    physical_id: None,
                    resource_type: "AWS::IAM::Policy".into(),
                    status: "CREATE_IN_PROGRESS".into(),
                    reason: Some("Resource creation Initiated".into()),
                },
                elapsed: std::time::Duration::from_secs(n),
            }),
        );
    }
    key(&mut app, KeyCode::PageDown);
    let page = app.run.scroll;
    assert!(page > 1, "a page, not a line: {page}");
    for _ in 0..20 {
        key(&mut app, KeyCode::PageDown);
    }
    let end = app.run.scroll;
    key(&mut app, KeyCode::Down);
    assert_eq!(app.run.scroll, end, "stops at the end");
    assert!(end < 80, "within the content: {end}");
    let shown = screen(&app);
    assert!(
        shown.contains("Resource29"),
        "the last row is on screen at the end: {shown}"
    );
    key(&mut app, KeyCode::PageUp);
    assert_eq!(app.run.scroll, end - page);

    update(
        &mut app,
        Msg::Progress(segment_aws_setup::engine::Progress::Note("new".into())),
    );
    assert_eq!(app.run.scroll, 0, "new content shows from the top");

    let next = update(
        &mut app,
        Msg::Created(Ok("arn:aws:iam::123456789012:role/r".into())),
    );
    assert_eq!(
        app.step,
        Step::Progress,
        "the finished state stays a moment"
    );
    assert!(next.contains(&Cmd::ShowDoneSoon));
    assert!(screen(&app).contains("✓ done"), "{}", screen(&app));
    update(&mut app, Msg::ShowDone);
    assert_eq!(app.step, Step::Done);

    let mut keyed = self::app();
    walk_to(&mut keyed, Step::Review);
    key(&mut keyed, KeyCode::Enter);
    update(
        &mut keyed,
        Msg::Created(Ok("arn:aws:iam::123456789012:role/r".into())),
    );
    key(&mut keyed, KeyCode::Char('x'));
    assert_eq!(keyed.step, Step::Done, "a key goes on at once");
}

fn buffer(app: &App) -> ratatui::buffer::Buffer {
    let mut terminal = Terminal::new(TestBackend::new(app.width, app.height)).expect("terminal");
    terminal.draw(|frame| view::draw(app, frame)).expect("draw");
    terminal.backend().buffer().clone()
}

/// The colour of the first cell holding `symbol` on screen.
fn colour_of(app: &App, symbol: &str) -> Option<ratatui::style::Color> {
    let buffer = buffer(app);
    buffer
        .content()
        .iter()
        .find(|cell| cell.symbol() == symbol)
        .map(|cell| cell.fg)
}

/// Colour with meaning (success green, failure red, the current step cyan), always beside a
/// symbol that says the same, and none at all when colour is off.
#[test]
fn colours_mean_something_and_can_be_turned_off() {
    use ratatui::style::Color;
    let mut app = app();
    app.color = true;
    to_integration(&mut app);
    choose_integration(&mut app, "lambda-destination");
    key(&mut app, KeyCode::Enter);
    text(&mut app, "wXZ2sd8N3mJ");
    assert_eq!(colour_of(&app, "✓"), Some(Color::Green), "{}", screen(&app));
    ctrl(&mut app, 'u');
    key(&mut app, KeyCode::Enter);
    assert_eq!(colour_of(&app, "✗"), Some(Color::Red), "{}", screen(&app));
    let header = buffer(&app);
    assert_eq!(header[(1, 0)].fg, Color::Cyan, "the current step");

    app.color = false;
    assert_eq!(colour_of(&app, "✗"), Some(Color::Reset));
    assert_eq!(buffer(&app)[(1, 0)].fg, Color::Reset);

    assert!(segment_aws_setup::ui::tui::colors_wanted(
        false,
        None,
        Some("xterm-256color".into())
    ));
    assert!(!segment_aws_setup::ui::tui::colors_wanted(true, None, None));
    assert!(!segment_aws_setup::ui::tui::colors_wanted(
        false,
        Some("1".into()),
        None
    ));
    assert!(!segment_aws_setup::ui::tui::colors_wanted(
        false,
        None,
        Some("dumb".into())
    ));
}

/// Where the width allows, the eight steps are listed beside the screen: done ones ticked, the
/// current one marked.
#[test]
fn a_wide_terminal_shows_the_step_list() {
    let mut app = initial_app(&Options::default(), 100, 24);
    walk_to(&mut app, Step::ExternalId);
    let shown = screen(&app);
    assert!(shown.contains("✓ 1 Welcome"), "{shown}");
    assert!(shown.contains("✓ 2 Integration"), "{shown}");
    assert!(shown.contains("▶ 3 External ID"), "{shown}");
    assert!(shown.contains("  8 Done"), "{shown}");
    insta::assert_snapshot!("step_list_100x24", shown);
    assert!(
        !screen(&self::app()).contains("1 Welcome"),
        "not at 80 columns"
    );
}

/// Without credentials, Welcome offers the demo account beside plan-only mode.
#[test]
fn without_credentials_welcome_offers_the_demo_account() {
    let mut app = app();
    update(
        &mut app,
        Msg::Identity(Err("no usable AWS credentials (none found)".into())),
    );
    let shown = screen(&app);
    assert!(shown.contains("press d for the demo account"), "{shown}");
    assert!(shown.contains("plan-only"), "{shown}");
    let left = key(&mut app, KeyCode::Char('d'));
    assert!(left.contains(&Cmd::Quit) && app.welcome.switch_to_demo);
}

/// An integration added as data goes through the wizard like the first three: its inputs are
/// fields on Permissions (the optional KMS key may stay empty), and its policy names the account
/// and the role itself.
#[test]
fn kinesis_goes_through_the_wizard_with_its_own_fields() {
    let mut app = app();
    to_integration(&mut app);
    choose_integration(&mut app, "kinesis-destination");
    key(&mut app, KeyCode::Enter);
    assert!(
        screen(&app).contains("Secret ID (Read-Only) setting"),
        "{}",
        screen(&app)
    );
    text(&mut app, "wXZ2sd8N3mJ");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Permissions);
    let shown = screen(&app);
    assert!(
        shown.contains("Kinesis stream ARN") && shown.contains("KMS key ARN"),
        "{shown}"
    );
    text(
        &mut app,
        "arn:aws:kinesis:us-west-2:123456789012:stream/events",
    );
    key(&mut app, KeyCode::Enter);
    update(
        &mut app,
        Msg::StackNameGenerated("segment-kinesis-destination-k3x9qa".into()),
    );
    assert_eq!(app.step, Step::Method, "{}", screen(&app));
    let plan = app.plan().expect("a plan");
    assert_eq!(
        plan.permission_policy["Statement"][0]["Resource"],
        serde_json::json!([
            "arn:aws:kinesis:us-west-2:123456789012:stream/events",
            "arn:aws:iam::123456789012:role/segment-kinesis-destination-k3x9qa"
        ])
    );
    assert_eq!(
        plan.permission_policy["Statement"].as_array().map(Vec::len),
        Some(1),
        "no KMS statement without a key"
    );
}

/// A StackSet over many accounts: the table grows a row per account as the watcher reports it,
/// a row changing keeps the place being read, and the table pages down to its last account.
#[test]
fn a_long_stack_set_table_scrolls_and_keeps_its_place() {
    use segment_aws_setup::model::stackset::InstanceRow;
    let mut app = app();
    walk_to(&mut app, Step::Method);
    for _ in 0..3 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    text(&mut app, "ou-ab12-production");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Review);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Progress);
    let row = |n: u64, status: &str| InstanceRow {
        account: format!("{:012}", 100_000_000_000 + n),
        region: "us-east-1".into(),
        status: status.into(),
        reason: None,
    };
    let report = |app: &mut App, row: InstanceRow| {
        update(
            app,
            Msg::Progress(segment_aws_setup::engine::Progress::Instance {
                row,
                elapsed: std::time::Duration::from_secs(3),
            }),
        )
    };
    for n in 0..40 {
        report(&mut app, row(n, "RUNNING"));
    }
    assert_eq!(app.run.instances.len(), 40);
    assert!(screen(&app).contains("0 of 40 instance(s) done"));
    key(&mut app, KeyCode::PageDown);
    let page = app.run.scroll;
    assert!(page > 1, "a page: {page}");
    report(&mut app, row(3, "SUCCEEDED"));
    assert_eq!(app.run.scroll, page, "a row changing keeps the place");
    assert_eq!(app.run.instances.len(), 40, "changed in place, not added");
    for _ in 0..10 {
        key(&mut app, KeyCode::PageDown);
    }
    let shown = screen(&app);
    assert!(shown.contains("100000000039"), "the last account: {shown}");
}

/// An Enter typed on Method before the generated stack name arrives (a loaded machine) waits for
/// it, then goes on to Review, instead of judging an empty name.
#[test]
fn an_enter_on_method_waits_for_the_generated_name() {
    let mut app = app();
    walk_to(&mut app, Step::Permissions);
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method);
    assert!(
        commands
            .iter()
            .any(|c| matches!(c, Cmd::GenerateStackName { .. })),
        "{commands:?}"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Method, "waits for the name");
    assert_eq!(
        app.method.focus,
        segment_aws_setup::ui::tui::state::MethodFocus::List,
        "no error state: the name field isn't focused"
    );
    update(
        &mut app,
        Msg::StackNameGenerated("segment-destination-function-k3x9qa".into()),
    );
    assert_eq!(app.step, Step::Review);
}

/// With a Public API token in the environment, the External ID step of a destination asks
/// Segment for the workspace ID and fills the field with it, saying where it came from; a value
/// typed meanwhile is never replaced.
#[test]
fn the_workspace_id_is_read_from_segment_when_a_token_is_set() {
    let mut app = app();
    app.segment.token_in_env = true;
    to_integration(&mut app);
    choose_integration(&mut app, "lambda-destination");
    let commands = key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::ExternalId);
    assert!(
        commands.iter().any(|c| matches!(
            c,
            Cmd::SegmentConnect {
                token: None,
                demo: false
            }
        )),
        "{commands:?}"
    );
    let workspace = segment_aws_setup::model::segment::Workspace {
        id: "wXZ2sd8N3mJ".into(),
        name: "Acme".into(),
        slug: "acme".into(),
    };
    // The role may trust source IDs too: the sources are asked for next.
    let commands = update(&mut app, Msg::SegmentConnected(Ok(workspace.clone())));
    assert_eq!(app.external.value.value(), "wXZ2sd8N3mJ");
    assert!(
        commands.iter().any(|c| matches!(
            c,
            Cmd::SegmentSources { integration } if integration == "lambda-destination"
        )),
        "{commands:?}"
    );
    let source = |id: &str, name: &str| segment_aws_setup::model::segment::Source {
        id: id.into(),
        name: name.into(),
        slug: name.to_lowercase(),
    };
    let sources: Vec<_> = (1..=6)
        .map(|n| source(&format!("src{n}ABC"), &format!("Source {n}")))
        .collect();
    update(&mut app, Msg::SegmentSources(Ok(sources)));
    let shown = screen(&app);
    assert!(
        shown.contains("read from Segment's Public API: workspace Acme"),
        "{shown}"
    );
    assert!(shown.contains("Segment lists 6 source(s)"), "{shown}");
    assert!(shown.contains("… 2 more"), "{shown}");
    insta::assert_snapshot!("external_id_from_segment", shown);
    // ↓ to the list, Space trusts a source's ID after the workspace's; again, untrusts it.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.external.value.value(), "wXZ2sd8N3mJ, src2ABC");
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.external.value.value(), "wXZ2sd8N3mJ, src2ABC, src6ABC");
    let shown = screen(&app);
    assert!(shown.contains("▶ [x] Source 6  src6ABC"), "{shown}");
    assert!(!shown.contains("Source 1 "), "scrolled: {shown}");
    insta::assert_snapshot!("external_id_sources_picked", shown);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.external.value.value(), "wXZ2sd8N3mJ, src6ABC");
    // ↑ off the top row, typing goes to the field again.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.external.source_row, None);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.step, Step::Permissions);
    let request = app.request();
    let trusted: Vec<&String> = request
        .workspace_ids
        .iter()
        .chain(&request.source_ids)
        .collect();
    assert_eq!(trusted, ["wXZ2sd8N3mJ", "src6ABC"]);

    // Typed first: kept.
    let mut app = self::app();
    app.segment.token_in_env = true;
    to_integration(&mut app);
    choose_integration(&mut app, "lambda-destination");
    key(&mut app, KeyCode::Enter);
    for c in "typed1234".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    update(&mut app, Msg::SegmentConnected(Ok(workspace)));
    assert_eq!(app.external.value.value(), "typed1234");
}
