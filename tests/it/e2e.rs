//! The real binary in a pseudo-terminal at 80×24 against moto: keys sent as a person would,
//! through to Done; the OSC 52 sequence the terminal received decodes to the role ARN that
//! exists in moto; quitting restores the terminal.

use crate::moto::moto;
use crate::support::{temp_dir, unique};
use base64::Engine;
use expectrl::{Expect, Session};
use std::process::Command;
use std::time::{Duration, Instant};

/// The binary under test: `$SEGMENT_AWS_SETUP_E2E_BINARY` (CI sets it to the release build),
/// else the one cargo built for these tests.
fn binary() -> std::path::PathBuf {
    std::env::var_os("SEGMENT_AWS_SETUP_E2E_BINARY")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_BIN_EXE_segment-aws-setup")))
}

/// What the terminal shows, as a terminal emulator (vt100) sees the bytes the binary wrote:
/// ratatui redraws only the cells that changed, so text is looked for on the screen, not in the
/// stream. Raw bytes are kept too, for escape sequences (OSC 52, leaving the alternate screen).
struct Terminal {
    session: expectrl::session::OsSession,
    screen: vt100::Parser,
    raw: Vec<u8>,
}

impl Terminal {
    fn spawn(command: Command) -> Terminal {
        let mut session = Session::spawn(command).expect("spawned in a pty");
        session
            .get_process_mut()
            .set_window_size(80, 24)
            .expect("80x24");
        Terminal {
            session,
            screen: vt100::Parser::new(24, 80, 0),
            raw: Vec::new(),
        }
    }

    /// Reads what is there; false when nothing was.
    fn read(&mut self) -> bool {
        let mut buffer = [0u8; 8192];
        match self.session.try_read(&mut buffer) {
            Ok(n) if n > 0 => {
                self.screen.process(&buffer[..n]);
                self.raw.extend_from_slice(&buffer[..n]);
                true
            }
            _ => false,
        }
    }

    /// Polls until `done` holds, with a deadline.
    fn until(&mut self, what: &str, done: impl Fn(&Terminal) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "waited 30 s for {what}; the screen shows:\n{}",
                self.screen.screen().contents()
            );
            if !self.read() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn wait(&mut self, text: &str) {
        self.until(text, |t| t.screen.screen().contents().contains(text));
    }

    fn wait_raw(&mut self, bytes: &[u8]) -> usize {
        self.until(&format!("{bytes:?}"), |t| {
            t.raw.windows(bytes.len()).any(|w| w == bytes)
        });
        self.raw
            .windows(bytes.len())
            .position(|w| w == bytes)
            .unwrap_or(0)
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).expect("keys sent");
    }

    /// The text of the first whole OSC 52 sequence received after byte `from`: it waits for the
    /// sequence's end (BEL or ST), since a long one (the code snippet) may arrive in pieces.
    fn osc52_after(&mut self, from: usize) -> String {
        fn whole(raw: &[u8]) -> Option<(usize, usize)> {
            let start = raw.windows(7).position(|w| w == b"\x1b]52;c;")? + 7;
            let end = raw[start..].iter().position(|b| *b == 0x07 || *b == 0x1b)? + start;
            Some((start, end))
        }
        self.until("a whole OSC 52 sequence", |t| {
            whole(&t.raw[from.min(t.raw.len())..]).is_some()
        });
        let (start, end) = whole(&self.raw[from..]).expect("a whole OSC 52 sequence");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&self.raw[from + start..from + end])
            .expect("base64");
        String::from_utf8(decoded).expect("UTF-8")
    }
}

#[test]
fn the_wizard_in_a_terminal_through_to_done_against_moto() {
    let home = temp_dir("e2e-home");
    let state = temp_dir("e2e-state");
    let stack = format!("e{}", unique("wizard").replace('_', "-"));
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SEGMENT_AWS_SETUP_STATE_DIR", &state);
    let mut terminal = Terminal::spawn(command);
    terminal.wait("Step 1 of 8");
    terminal.wait("AWS account  123456789012");
    terminal.send("\r");
    terminal.wait("Step 2 of 8");
    terminal.send("\r");
    terminal.wait("Step 3 of 8");
    terminal.send("\r");
    terminal.wait("Step 4 of 8");
    terminal.send("\tevents-bucket\tus-west-2");
    terminal.wait("arn:aws:s3:::events-bucket/*");
    terminal.send("\r");
    terminal.wait("Step 5 of 8");
    // The generated stack name is replaced by one this test can find: Tab, Ctrl-U, type.
    terminal.send("\t\x15");
    terminal.send(&stack);
    terminal.wait(&stack);
    terminal.send("\r");
    terminal.wait("Step 6 of 8");
    terminal.send("\r");
    terminal.wait("Step 8 of 8");

    terminal.send("c");
    terminal.wait("Role ARN sent to your terminal's clipboard");
    let role_arn = terminal.osc52_after(0);
    assert!(
        role_arn.starts_with(&format!(
            "arn:aws:iam::123456789012:role/{stack}-FunctionRole-"
        )),
        "{role_arn}"
    );
    assert!(
        terminal
            .screen
            .screen()
            .contents()
            .contains(&role_arn[..60]),
        "the value is on screen too"
    );

    let role_name = role_arn.rsplit('/').next().expect("name").to_string();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let role = runtime.block_on(async {
        let iam = aws_sdk_iam::Client::new(&moto().sdk_config().await);
        iam.get_role().role_name(&role_name).send().await
    });
    assert_eq!(
        role.expect("the role exists in moto")
            .role()
            .map(|r| r.arn()),
        Some(role_arn.as_str())
    );

    // The code that uses the role, copied with its own key: the OSC 52 holds the snippet.
    let before = terminal.raw.len();
    terminal.send("s");
    let code = terminal.osc52_after(before);
    assert!(
        code.contains("assumeRole") && code.contains("sessionToken: Credentials.SessionToken"),
        "{code}"
    );

    terminal.send("q");
    let restored = terminal.wait_raw(b"\x1b[?1049l");
    // Leaving from Done prints the settings block, so quitting never loses it.
    terminal.until("the settings after the terminal is restored", |t| {
        String::from_utf8_lossy(&t.raw[restored..]).contains("Settings in Segment:")
    });
    let status = terminal.session.get_process_mut().wait().expect("exited");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    let saved = segment_aws_setup::engine::saving::StateStore::at(state.clone()).load_all();
    assert!(
        saved.len() == 1
            && saved[0].finished
            && saved[0].role_arn.as_deref() == Some(role_arn.as_str()),
        "a finished setup is kept, marked finished with its role: {saved:?}"
    );
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&state);
}

#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal("-TERM");
}

#[test]
fn sigint_restores_the_terminal() {
    signal_restores_the_terminal("-INT");
}

fn signal_restores_the_terminal(signal: &str) {
    let home = temp_dir("e2e-term");
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let mut terminal = Terminal::spawn(command);
    terminal.wait("Step 1 of 8");
    let pid = terminal.session.get_process_mut().pid();
    let killed = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    terminal.wait_raw(b"\x1b[?1049l");
    let status = terminal.session.get_process_mut().wait().expect("exited");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    let _ = std::fs::remove_dir_all(&home);
}

/// Plain mode in a terminal on "another machine" (an empty state directory): the stack made by
/// an earlier run is found in AWS by its tag, listed with a number, and changed after a preview;
/// the workspace ID and the current function ARN are offered as the defaults.
#[test]
fn plain_mode_elsewhere_finds_a_setup_in_aws_and_changes_it() {
    let stack = format!("e{}", unique("found").replace('_', "-"));
    let first = "arn:aws:lambda:us-west-2:123456789012:function:first";
    let second = "arn:aws:lambda:us-west-2:123456789012:function:second";
    let aws_env = |state: &std::path::Path| {
        vec![
            ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
        ]
    };
    let made_here = temp_dir("found-made");
    let created = crate::support::binary(
        &[
            "create",
            "--integration",
            "lambda-destination",
            "--workspace-id",
            "wXZ2sd8N3mJ",
            "--lambda-arn",
            first,
            "--stack-name",
            &stack,
            "--yes",
        ],
        &aws_env(&made_here),
    );
    assert!(
        created.status.success(),
        "{}",
        crate::support::stderr(&created)
    );

    let home = temp_dir("found-home");
    let elsewhere = temp_dir("found-elsewhere");
    let mut command = Command::new(binary());
    command
        .arg("--plain")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in aws_env(&elsewhere) {
        command.env(key, value);
    }
    let mut terminal = Terminal::spawn(command);
    let listed = format!(") stack {stack} (lambda-destination, region us-east-1, found in AWS)");
    terminal.wait_raw(b"roles Segment can assume (audit)?");
    let text = String::from_utf8_lossy(&terminal.raw).into_owned();
    let number = text
        .lines()
        .find(|line| line.contains(&listed))
        .and_then(|line| line.trim().split(')').next())
        .unwrap_or_else(|| panic!("{listed} in:\n{text}"))
        .to_string();
    terminal.send(&format!("{number}\r"));
    terminal.wait_raw(b"workspace and source IDs to trust: [wXZ2sd8N3mJ]");
    terminal.send("\r");
    terminal.wait_raw(format!("another region): [{first}]").as_bytes());
    terminal.send(&format!("{second}\r"));
    terminal.wait_raw(b"Apply this update? [y/N]");
    terminal.send("y\r");
    terminal.wait_raw(b"UPDATE_COMPLETE");
    // No token here: the command that writes the settings into Segment later is said.
    terminal.wait_raw(b"write-settings --stack-name");
    let status = terminal.session.get_process_mut().wait().expect("exited");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}\n{}",
        String::from_utf8_lossy(&terminal.raw)
    );
    let saved = segment_aws_setup::engine::saving::StateStore::at(elsewhere.clone()).load_all();
    assert!(
        saved.len() == 1 && saved[0].finished && saved[0].lambda_arns == [second],
        "the changed setup is saved on this machine now: {saved:?}"
    );
    for dir in [&made_here, &home, &elsewhere] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The binary in a pseudo-terminal against moto, with its own home and state directory.
fn wizard_on_moto(args: &[&str]) -> (Terminal, Vec<std::path::PathBuf>) {
    let home = temp_dir("hands-home");
    let state = temp_dir("hands-state");
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SEGMENT_AWS_SETUP_STATE_DIR", &state);
    (Terminal::spawn(command), vec![home, state])
}

/// Waits for the binary to leave the alternate screen and exit 0.
fn ends_restored(terminal: &mut Terminal) {
    terminal.wait_raw(b"\x1b[?1049l");
    let status = terminal.session.get_process_mut().wait().expect("exited");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
}

/// Keys typed while the account is still loading (a slow link: every AWS answer 2 s late) are
/// not dropped: three Enters at once land on step 4, as the user meant.
#[test]
fn keys_typed_ahead_in_a_terminal_land_where_meant() {
    let proxy = crate::faults::Proxy::slow(Duration::from_secs(2));
    let home = temp_dir("ahead-home");
    let state = temp_dir("ahead-state");
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SEGMENT_AWS_SETUP_STATE_DIR", &state);
    let mut terminal = Terminal::spawn(command);
    terminal.wait("checking your credentials");
    terminal.send("\r\r\r");
    terminal.wait("Step 4 of 8: Permissions");
    terminal.send("\x03");
    terminal.wait("Quit?");
    terminal.send("y");
    ends_restored(&mut terminal);
    for dir in [home, state] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Quitting from every step before the work starts: from step 3 on it asks (answers would be
/// lost), and the terminal is restored every time.
#[test]
fn quit_at_every_step_asks_when_answers_would_be_lost_and_restores_the_terminal() {
    for step in 1..=6 {
        let (mut terminal, dirs) = wizard_on_moto(&[]);
        terminal.wait("AWS account  123456789012");
        let steps = [
            "Step 1 of 8",
            "Step 2 of 8",
            "Step 3 of 8",
            "Step 4 of 8",
            "Step 5 of 8",
            "Step 6 of 8",
        ];
        for (reached, next) in steps.iter().enumerate().skip(1).take(step - 1) {
            // On Permissions (step 4) the bucket is typed; the region defaults to the account's.
            if reached == 4 {
                terminal.send("\tevents-bucket");
                terminal.wait("arn:aws:s3:::events-bucket/*");
            }
            terminal.send("\r");
            terminal.wait(next);
        }
        // Letters are text on Permissions: Ctrl-C is the way out there.
        terminal.send(if step == 4 { "\x03" } else { "q" });
        if step >= 3 {
            terminal.wait("Your answers so far are not saved");
            terminal.send("y");
        }
        ends_restored(&mut terminal);
        for dir in dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The window made too small while a stack is being made (the demo account's stack takes 20 s):
/// the screen asks for room, the stack keeps going, the Progress screen is back at 80x24, and q
/// asks before leaving with the command that re-attaches.
#[test]
fn resizing_while_a_stack_runs_keeps_it_going() {
    let home = temp_dir("resize-home");
    let mut command = Command::new(binary());
    command
        .arg("--demo")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let mut terminal = Terminal::spawn(command);
    terminal.wait("AWS account  000000000000");
    terminal.send("\r");
    terminal.wait("Step 2 of 8");
    terminal.send("\r");
    terminal.wait("Step 3 of 8");
    terminal.send("\r");
    terminal.wait("Step 4 of 8");
    terminal.send("\tevents-bucket");
    terminal.wait("arn:aws:s3:::events-bucket/*");
    terminal.send("\r");
    terminal.wait("Step 5 of 8");
    terminal.send("\r");
    terminal.wait("Step 6 of 8");
    terminal.send("\r");
    terminal.wait("Step 7 of 8");

    terminal
        .session
        .get_process_mut()
        .set_window_size(70, 20)
        .expect("resized");
    terminal.screen.screen_mut().set_size(20, 70);
    terminal.wait("needs a window of at least 80×24");
    terminal
        .session
        .get_process_mut()
        .set_window_size(80, 24)
        .expect("resized");
    terminal.screen.screen_mut().set_size(24, 80);
    terminal.wait("Step 7 of 8");
    assert!(
        terminal.screen.screen().contents().contains("working"),
        "the stack is still being made: {}",
        terminal.screen.screen().contents()
    );
    terminal.send("q");
    terminal.wait("Watch it again with:");
    terminal.send("y");
    let restored = terminal.wait_raw(b"\x1b[?1049l");
    terminal.until(
        "the re-attach command after the terminal is restored",
        |t| {
            String::from_utf8_lossy(&t.raw[restored..])
                .contains("segment-aws-setup watch --stack-name")
        },
    );
    let _ = terminal.session.get_process_mut().wait();
    let _ = std::fs::remove_dir_all(&home);
}

/// With no credentials at all, d on Welcome starts the wizard again on the demo account.
#[test]
fn without_credentials_d_opens_the_demo_account() {
    let home = temp_dir("nocreds-home");
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let mut terminal = Terminal::spawn(command);
    terminal.wait("press d for the demo account");
    terminal.send("d");
    terminal.wait("DEMO");
    terminal.wait("AWS account  000000000000");
    terminal.send("q");
    ends_restored(&mut terminal);
    let _ = std::fs::remove_dir_all(&home);
}

/// `update` on a terminal: Ctrl-C at "Apply this update?" exits 130 and deletes the change set
/// the preview made, so nothing is left waiting in CloudFormation.
#[test]
fn ctrl_c_at_updates_question_deletes_its_change_set() {
    let aws = crate::aws_cli::Aws::new();
    let stack = unique("e2e-upd");
    let created = aws.run(&[
        "create",
        "--integration",
        "lambda-destination",
        "--workspace-id",
        "wXZ2sd8N3mJ",
        "--lambda-arn",
        "arn:aws:lambda:us-west-2:123456789012:function:first",
        "--stack-name",
        &stack,
        "--yes",
    ]);
    assert!(
        created.status.success(),
        "{}",
        crate::support::stderr(&created)
    );
    let home = temp_dir("e2e-upd-home");
    let mut command = Command::new(binary());
    command
        .args([
            "update",
            "--integration",
            "lambda-destination",
            "--stack-name",
            &stack,
            "--lambda-arn",
            "arn:aws:lambda:us-west-2:123456789012:function:second",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in aws.env() {
        command.env(key, value);
    }
    let mut terminal = Terminal::spawn(command);
    terminal.wait("Apply this update");
    let change_sets = || {
        crate::faults::block_on(async {
            crate::aws_cli::cloudformation()
                .await
                .list_change_sets()
                .stack_name(&stack)
                .send()
                .await
                .expect("listed")
                .summaries()
                .iter()
                // moto lists every stack's change sets, whatever the filter.
                .filter(|c| c.stack_name() == Some(stack.as_str()))
                .count()
        })
    };
    assert_eq!(
        change_sets(),
        1,
        "the preview's change set waits for the answer"
    );
    terminal.send("\x03");
    let status = terminal.session.get_process_mut().wait().expect("exited");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 130)),
        "{status:?}: {}",
        terminal.screen.screen().contents()
    );
    assert_eq!(change_sets(), 0, "no change set left behind");
    let _ = std::fs::remove_dir_all(&home);
}

/// Both sides in a pseudo-terminal: the wizard makes the role on moto, then `w` on Done writes
/// the function's setting definitions into the stand-in Segment workspace (the token from the
/// environment), after the preview; the token never reaches the terminal.
#[test]
fn the_wizard_writes_the_settings_into_segment_from_done() {
    use crate::segment_standin::{PublicApi, TOKEN};
    use segment_aws_setup::model::segment::{Function, Workspace};
    use segment_aws_setup::segment::fake::FakeSegment;
    let api = PublicApi::start(
        FakeSegment::new(Workspace {
            id: "wXZ2sd8N3mJ".into(),
            name: "Acme".into(),
            slug: "acme".into(),
        })
        .with_source("srcWEB", "Website")
        .with_function(Function {
            id: "dfn_6419c66b7ad2113079d2907d".into(),
            display_name: "Send events to S3".into(),
            resource_type: "DESTINATION".into(),
            catalog_id: "6419c66b7ad2113079d2907d".into(),
            settings: Vec::new(),
        }),
    );
    let home = temp_dir("e2e-segment-home");
    let state = temp_dir("e2e-segment-state");
    let mut command = Command::new(binary());
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("TERM", "xterm-256color")
        .env("AWS_ENDPOINT_URL", &moto().endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SEGMENT_AWS_SETUP_STATE_DIR", &state)
        .env("SEGMENT_PUBLIC_API_TOKEN", TOKEN)
        .env("SEGMENT_PUBLIC_API_URL", &api.url);
    let mut terminal = Terminal::spawn(command);
    terminal.wait("AWS account  123456789012");
    terminal.send("\r");
    terminal.wait("Step 2 of 8");
    terminal.send("\r");
    terminal.wait("Step 3 of 8");
    terminal.send("\r");
    terminal.wait("Step 4 of 8");
    terminal.send("\tevents-bucket\tus-west-2");
    terminal.wait("arn:aws:s3:::events-bucket/*");
    terminal.send("\r");
    terminal.wait("Step 5 of 8");
    terminal.send("\r");
    terminal.wait("Step 6 of 8");
    terminal.send("\r");
    terminal.wait("Step 8 of 8");
    terminal.send("w");
    // The function has no instance yet: connect it to the workspace's source.
    terminal.wait("Website  a new instance on this source");
    terminal.send("\r");
    terminal.wait("This writes into Segment:");
    terminal.wait("Workspace  Acme");
    terminal.send("y");
    terminal.wait("Written: Destination dst00001");
    let saved = segment_aws_setup::engine::saving::StateStore::at(state.clone()).load_all();
    let setup = saved.first().expect("the setup saved");
    let instance = api
        .workspace
        .stored_destination("dst00001")
        .expect("the instance made");
    assert_eq!(
        instance.settings["iamRoleExternalId"],
        setup.external_ids[0].as_str(),
        "the role's ID is the one written into Segment"
    );
    assert_eq!(
        instance.settings["iamRoleArn"],
        setup.role_arn.as_deref().unwrap_or_default()
    );
    let stored = api
        .workspace
        .stored_function("dfn_6419c66b7ad2113079d2907d")
        .expect("stored");
    let names: Vec<_> = stored.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "iamRoleArn",
            "iamRoleExternalId",
            "s3Bucket",
            "s3BucketRegion"
        ]
    );
    assert!(stored.settings[1].sensitive, "the external ID is Secret");
    terminal.send("\r");
    terminal.send("q");
    terminal.wait_raw(b"\x1b[?1049l");
    let status = terminal.session.get_process_mut().wait().expect("exited");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    assert!(
        !String::from_utf8_lossy(&terminal.raw).contains(TOKEN),
        "the token reached the terminal"
    );
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&state);
}
