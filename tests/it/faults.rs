//! A fault-injecting HTTP proxy on 127.0.0.1 in front of moto: it answers chosen requests with
//! 503s, throttling, AccessDenied or a dropped connection, and forwards the rest. It proves that
//! the SDK's bounded retries carry the tool through passing faults, and that a failure part-way
//! through a direct IAM create leaves no half-made role.

use crate::moto::moto;
use crate::support::{binary, stderr, stdout, temp_dir, unique};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// 503 ServiceUnavailable.
    Unavailable,
    /// 400 Throttling.
    Throttle,
    /// The connection is closed with no answer.
    Reset,
    /// 403 AccessDenied, as IAM answers an identity that lacks the permission.
    AccessDenied,
}

#[derive(Debug, Clone, Copy)]
struct Tripwire {
    at: usize,
    after_forward: bool,
    pid: u32,
}

fn kill_9(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status();
}

/// Faults to serve, in order: each applies to the next request whose action matches (any action
/// when `None`).
type Script = VecDeque<(Option<&'static str>, Fault)>;

#[derive(Default)]
struct Shared {
    script: Script,
    /// Put in place of each "User Initiated" stack-event reason moto returns (already XML text).
    inject_reason: Option<String>,
    /// Every request goes to this moto account (`x-moto-account-id`): a fresh, empty account.
    account: Option<String>,
    /// Requests seen since the tripwire was set.
    count: usize,
    /// SIGKILL this process at the request numbered `at` (1-based): before moto sees it, or
    /// after moto did it and before the answer gets back.
    tripwire: Option<Tripwire>,
    tripped: bool,
    /// Every request seen: its action and the fault served (None = forwarded to moto).
    log: Vec<(String, Option<Fault>)>,
    /// Added to every request, as a slow link would (15 ms when not set).
    delay: Option<std::time::Duration>,
    /// ListStackInstances shows this account's instance FAILED with this reason (moto never
    /// fails one).
    fail_instance: Option<(String, String)>,
}

pub(crate) struct Proxy {
    endpoint: String,
    shared: Arc<Mutex<Shared>>,
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    /// A proxy in front of moto that answers every request this much later.
    pub(crate) fn slow(delay: std::time::Duration) -> Proxy {
        let proxy = Proxy::start(Script::new());
        if let Ok(mut shared) = proxy.shared.lock() {
            shared.delay = Some(delay);
        }
        proxy
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn start(script: Script) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let shared = Arc::new(Mutex::new(Shared {
            script,
            ..Shared::default()
        }));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a free port on 127.0.0.1");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let upstream = moto().endpoint.clone();
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let state = shared.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (state, client, upstream) = (state.clone(), client.clone(), upstream.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        handle(request, state.clone(), client.clone(), upstream.clone())
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Proxy {
            endpoint,
            shared,
            _runtime: runtime,
        }
    }

    fn log(&self) -> Vec<(String, Option<Fault>)> {
        self.shared
            .lock()
            .map(|s| s.log.clone())
            .unwrap_or_default()
    }
}

fn error_body(code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    )
}

async fn handle(
    request: Request<Incoming>,
    shared: Arc<Mutex<Shared>>,
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: String,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    // The query protocol names the action in the form; JSON protocols in X-Amz-Target
    // (`Kinesis_20131202.ListStreams`); S3's ListBuckets is a GET of `/`.
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.rsplit('.').next())
        .map(str::to_string);
    let json = target.is_some();
    let action = form_urlencoded::parse(&body)
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.into_owned())
        .or(target)
        .unwrap_or_else(|| {
            if parts.method == hyper::Method::GET && parts.uri.path() == "/" {
                "ListBuckets".to_string()
            } else {
                String::new()
            }
        });
    // The tripwire: the binary is killed at this request, before or after moto handles it.
    let (tripwire, account) = {
        let mut shared = shared
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        shared.count += 1;
        let due = shared.tripwire.filter(|t| t.at == shared.count);
        if due.is_some() {
            shared.tripped = true;
        }
        (due, shared.account.clone())
    };
    if let Some(t) = tripwire.filter(|t| !t.after_forward) {
        kill_9(t.pid);
        return Err(std::io::Error::other("killed before moto saw it"));
    }
    // Small delay: the windows between calls are wide, as on a slow link.
    let delay = shared
        .lock()
        .ok()
        .and_then(|s| s.delay)
        .unwrap_or(std::time::Duration::from_millis(15));
    tokio::time::sleep(delay).await;
    let fault = {
        let mut shared = shared
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let position = shared
            .script
            .iter()
            .position(|(wanted, _)| wanted.is_none_or(|w| w == action));
        let fault = position
            .and_then(|p| shared.script.remove(p))
            .map(|(_, fault)| fault);
        shared.log.push((action.clone(), fault));
        fault
    };
    let answer = |status: StatusCode, code: &str, message: &str| {
        let (content_type, body) = if json {
            let code = if code == "AccessDenied" {
                "AccessDeniedException"
            } else {
                code
            };
            (
                "application/x-amz-json-1.1",
                serde_json::json!({"__type": code, "message": message}).to_string(),
            )
        } else if action == "ListBuckets" {
            (
                "application/xml",
                format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
            )
        } else {
            ("text/xml", error_body(code, message))
        };
        Response::builder()
            .status(status)
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .map_err(std::io::Error::other)
    };
    match fault {
        Some(Fault::Unavailable) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Service is unavailable",
        ),
        Some(Fault::Throttle) => answer(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded"),
        Some(Fault::AccessDenied) => answer(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            &format!(
                "User: arn:aws:iam::123456789012:user/moto is not authorized to perform: iam:{action}"
            ),
        ),
        // An error from the service makes hyper drop the connection without an answer.
        Some(Fault::Reset) => Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "scripted reset",
        )),
        None => {
            let uri = format!(
                "{upstream}{}",
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/")
            );
            let mut forward = Request::builder().method(parts.method).uri(uri);
            for (name, value) in &parts.headers {
                forward = forward.header(name, value);
            }
            if let Some(account) = &account {
                forward = forward.header("x-moto-account-id", account);
            }
            let forward = forward
                .body(Full::new(body))
                .map_err(std::io::Error::other)?;
            let response = client
                .request(forward)
                .await
                .map_err(std::io::Error::other)?;
            let (parts, body) = response.into_parts();
            let mut body = body
                .collect()
                .await
                .map_err(std::io::Error::other)?
                .to_bytes();
            let inject = shared.lock().ok().and_then(|s| s.inject_reason.clone());
            let fail = shared.lock().ok().and_then(|s| s.fail_instance.clone());
            if let (Some((account, reason)), "ListStackInstances") = (fail, action.as_str()) {
                body = Bytes::from(failed_instance(
                    &String::from_utf8_lossy(&body),
                    &account,
                    &reason,
                ));
            }
            if let (Some(reason), "DescribeStackEvents") = (inject, action.as_str()) {
                let text = String::from_utf8_lossy(&body).replace(
                    "<ResourceStatusReason>User Initiated</ResourceStatusReason>",
                    &format!("<ResourceStatusReason>{reason}</ResourceStatusReason>"),
                );
                body = Bytes::from(text);
            }
            let mut parts = parts;
            parts.headers.remove("content-length");
            if let Some(t) = tripwire.filter(|t| t.after_forward) {
                kill_9(t.pid);
                return Err(std::io::Error::other("killed before the answer got back"));
            }
            Ok(Response::from_parts(parts, Full::new(body)))
        }
    }
}

fn run_through(proxy: &Proxy, args: &[&str]) -> std::process::Output {
    let state = temp_dir("fault-state");
    let output = binary(
        args,
        &[
            ("AWS_ENDPOINT_URL", proxy.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
        ],
    );
    let _ = std::fs::remove_dir_all(&state);
    output
}

pub(crate) fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

async fn role_exists(role: &str) -> bool {
    let iam = aws_sdk_iam::Client::new(&moto().sdk_config().await);
    iam.get_role().role_name(role).send().await.is_ok()
}

async fn inline_policies(role: &str) -> Vec<String> {
    let iam = aws_sdk_iam::Client::new(&moto().sdk_config().await);
    iam.list_role_policies()
        .role_name(role)
        .send()
        .await
        .map(|o| o.policy_names().to_vec())
        .unwrap_or_default()
}

fn create_role_args(role: &str) -> Vec<String> {
    [
        "create",
        "--integration",
        "destination-function",
        "--method",
        "iam",
        "--role-name",
        role,
        "--bucket",
        "b-fault",
        "--bucket-region",
        "us-east-1",
        "--yes",
        "--output",
        "json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn errors_throttling_and_resets_are_retried_through_to_a_whole_role() {
    let proxy = Proxy::start(VecDeque::from([
        (None, Fault::Unavailable),
        (None, Fault::Throttle),
        (Some("CreateRole"), Fault::Reset),
        (Some("PutRolePolicy"), Fault::Unavailable),
        (Some("PutRolePolicy"), Fault::Reset),
    ]));
    let role = unique("retried");
    let args = create_role_args(&role);
    let output = run_through(&proxy, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(output.status.success(), "{}", stderr(&output));
    let outcome: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let settings = &outcome["settings"];
    assert_eq!(
        settings["iamRoleArn"],
        format!("arn:aws:iam::123456789012:role/{role}")
    );
    let log = proxy.log();
    let faults = log.iter().filter(|(_, f)| f.is_some()).count();
    assert_eq!(faults, 5, "every scripted fault was served: {log:?}");
    assert!(block_on(role_exists(&role)));
    assert_eq!(block_on(inline_policies(&role)), ["segment-permissions"]);
}

#[test]
fn access_denied_names_the_action_and_identity_and_leaves_no_half_made_role() {
    let proxy = Proxy::start(VecDeque::from([(
        Some("PutRolePolicy"),
        Fault::AccessDenied,
    )]));
    let role = unique("denied");
    let args = create_role_args(&role);
    let output = run_through(&proxy, &args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("AWS refused iam:PutRolePolicy for arn:aws:sts::123456789012:user/moto"),
        "{message}"
    );
    assert!(
        message.contains("Ask an administrator to allow iam:PutRolePolicy"),
        "{message}"
    );
    assert!(stdout(&output).is_empty());
    let actions: Vec<String> = proxy.log().into_iter().map(|(a, _)| a).collect();
    assert!(
        actions.contains(&"CreateRole".to_string()) && actions.contains(&"DeleteRole".to_string()),
        "{actions:?}"
    );
    assert!(
        !block_on(role_exists(&role)),
        "the half-made role was deleted"
    );
}

#[test]
fn retries_are_bounded() {
    let attempts = segment_aws_setup::aws::sdk::MAX_ATTEMPTS as usize;
    let proxy = Proxy::start(
        (0..attempts + 3)
            .map(|_| (None, Fault::Unavailable))
            .collect(),
    );
    let output = run_through(&proxy, &["watch", "--stack-name", "any-stack"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("sts:GetCallerIdentity failed: ServiceUnavailable"),
        "{}",
        stderr(&output)
    );
    let log = proxy.log();
    assert_eq!(log.len(), attempts, "{log:?}");
    assert!(log.iter().all(|(action, _)| action == "GetCallerIdentity"));
}

#[test]
fn escape_sequences_in_what_aws_says_are_shown_escaped_never_sent() {
    let proxy = Proxy::start(VecDeque::new());
    // An OSC 52 (set the clipboard) and an OSC 0 (set the window title) in a stack event's reason.
    if let Ok(mut shared) = proxy.shared.lock() {
        shared.inject_reason =
            Some("&#x1b;]52;c;ZXZpbA==&#x7;then &#x1b;]0;pwned&#x7;".to_string());
    }
    let stack = unique("hostile");
    block_on(async {
        let cloudformation = aws_sdk_cloudformation::Client::new(&moto().sdk_config().await);
        let template = serde_json::json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}});
        cloudformation
            .create_stack()
            .stack_name(&stack)
            .template_body(template.to_string())
            .send()
            .await
            .expect("stack");
    });
    let output = run_through(&proxy, &["watch", "--stack-name", &stack]);
    assert!(output.status.success(), "{}", stderr(&output));
    let everything = [output.stdout.clone(), output.stderr.clone()].concat();
    assert!(
        !everything.contains(&0x1b),
        "no ESC written: {}",
        stderr(&output)
    );
    assert!(!everything.contains(&0x07), "no BEL written");
    assert!(
        stderr(&output).contains("\\u001b]52;c;ZXZpbA==\\u0007then \\u001b]0;pwned\\u0007"),
        "shown escaped: {}",
        stderr(&output)
    );
}

#[test]
fn plain_mode_shows_a_hostile_reason_escaped() {
    use std::io::Write;
    let proxy = Proxy::start(VecDeque::new());
    if let Ok(mut shared) = proxy.shared.lock() {
        shared.inject_reason =
            Some("&#x1b;]52;c;ZXZpbA==&#x7;then &#x1b;]0;pwned&#x7;".to_string());
    }
    let stack = format!("p{}", unique("hostile-plain"));
    let state = temp_dir("hostile-plain-state");
    let home = temp_dir("hostile-plain-home");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SEGMENT_AWS_SETUP_STATE_DIR", &state)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("started");
    if let Some(mut stdin) = child.stdin.take() {
        let answers = format!("y\n1\n\n1\nplain-bucket\n\n1\n{stack}\ny\n");
        stdin.write_all(answers.as_bytes()).expect("answers");
    }
    let output = child.wait_with_output().expect("finished");
    assert!(
        output.status.success(),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    let everything = [output.stdout.clone(), output.stderr.clone()].concat();
    assert!(
        !everything.contains(&0x1b) && !everything.contains(&0x07),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("\\u001b]52;c;ZXZpbA==\\u0007then \\u001b]0;pwned\\u0007"),
        "{}",
        stdout(&output)
    );
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&home);
}

/// An SDK client's configuration that goes through the proxy (and so into its account).
async fn through(proxy: &Proxy) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(segment_aws_setup::aws::sdk::https_client())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&proxy.endpoint)
        .credentials_provider(aws_sdk_sts::config::Credentials::new(
            "testing", "testing", None, None, "moto",
        ))
        .load()
        .await
}

/// A 12-digit moto account no other test uses.
fn fresh_account() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("7{:05}{:06}", std::process::id() % 100_000, n)
}

/// Runs `create` through the proxy with a tripwire at request `at`; returns whether it was killed.
fn create_killed_at(
    proxy: &Proxy,
    args: &[String],
    state: &std::path::Path,
    at: Option<(usize, bool)>,
) -> (bool, std::process::Output) {
    let home = temp_dir("kill-home");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("SEGMENT_AWS_SETUP_STATE_DIR", state)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("started");
    if let Ok(mut shared) = proxy.shared.lock() {
        shared.count = 0;
        shared.tripped = false;
        shared.tripwire = at.map(|(at, after_forward)| Tripwire {
            at,
            after_forward,
            pid: child.id(),
        });
    }
    let output = child.wait_with_output().expect("ended");
    let tripped = proxy.shared.lock().map(|s| s.tripped).unwrap_or(false);
    if let Ok(mut shared) = proxy.shared.lock() {
        shared.tripwire = None;
    }
    let _ = std::fs::remove_dir_all(&home);
    (tripped, output)
}

/// What a whole setup left in a fresh account: the one role (its name, trust policy, inline
/// policies) and the stacks that aren't deleted (name, status).
async fn account_state(
    proxy: &Proxy,
) -> (
    Vec<(String, serde_json::Value, Vec<String>)>,
    Vec<(String, String)>,
) {
    let config = through(proxy).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let mut roles = Vec::new();
    for role in iam.list_roles().send().await.expect("roles").roles() {
        let name = role.role_name().to_string();
        let trust = role
            .assume_role_policy_document()
            .map(|d| {
                let text = percent_encoding::percent_decode_str(d)
                    .decode_utf8_lossy()
                    .into_owned();
                serde_json::from_str(&text).expect("JSON")
            })
            .unwrap_or(serde_json::Value::Null);
        let inline = iam
            .list_role_policies()
            .role_name(&name)
            .send()
            .await
            .map(|o| o.policy_names().to_vec())
            .unwrap_or_default();
        roles.push((name, trust, inline));
    }
    let cloudformation = aws_sdk_cloudformation::Client::new(&config);
    let stacks = cloudformation
        .describe_stacks()
        .send()
        .await
        .expect("stacks")
        .stacks()
        .iter()
        .map(|s| {
            (
                s.stack_name().unwrap_or_default().to_string(),
                s.stack_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            )
        })
        .filter(|(_, status)| status != "DELETE_COMPLETE")
        .collect();
    (roles, stacks)
}

/// `kill -9` of `create` at every request of both methods, before moto handles it and after,
/// then the same command again: it finishes the same setup with the external ID the first run
/// saved, ending with exactly one role with its trust and permission policies (one stack
/// CREATE_COMPLETE for CloudFormation). Each kill point runs in a fresh moto account.
#[test]
fn killed_at_any_moment_the_same_create_again_finishes_the_same_setup() {
    let proxy = Proxy::start(VecDeque::new());
    let mut points = 0;
    for method in ["iam", "cloudformation"] {
        let mut at = 1;
        'points: loop {
            for after_forward in [false, true] {
                let account = fresh_account();
                if let Ok(mut shared) = proxy.shared.lock() {
                    shared.account = Some(account.clone());
                }
                let state = temp_dir("kill-state");
                // No --stack-name: the re-run must find the setup the killed run saved.
                let mut args: Vec<String> = [
                    "create",
                    "--integration",
                    "destination-function",
                    "--method",
                    method,
                    "--bucket",
                    "b-kill",
                    "--bucket-region",
                    "us-east-1",
                    "--yes",
                    "--output",
                    "json",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                if method == "iam" {
                    args.extend(["--role-name".to_string(), "segment-killed".to_string()]);
                }
                let (killed, first) =
                    create_killed_at(&proxy, &args, &state, Some((at, after_forward)));
                if !killed {
                    // The whole create needs fewer requests than `at`: every point was tried.
                    assert!(first.status.success(), "{}", stderr(&first));
                    let _ = std::fs::remove_dir_all(&state);
                    break 'points;
                }
                points += 1;
                let saved_before =
                    segment_aws_setup::engine::saving::StateStore::at(&state).load_all();
                let (_, again) = create_killed_at(&proxy, &args, &state, None);
                let context = format!(
                    "{method}, killed at request {at} ({}):\nfirst: {}\nagain: {}",
                    if after_forward {
                        "after moto did it"
                    } else {
                        "before moto saw it"
                    },
                    stderr(&first),
                    stderr(&again)
                );
                assert_eq!(again.status.code(), Some(0), "{context}");
                let outcome: serde_json::Value =
                    serde_json::from_str(&stdout(&again)).expect("JSON");
                let settings = &outcome["settings"];
                let id = settings["iamRoleExternalId"]
                    .as_str()
                    .expect("ID")
                    .to_string();
                if let Some(saved) = saved_before.first() {
                    assert_eq!(
                        saved.external_ids,
                        std::slice::from_ref(&id),
                        "the saved ID is reused: {context}"
                    );
                }
                let (roles, stacks) = block_on(account_state(&proxy));
                assert_eq!(roles.len(), 1, "exactly one role: {roles:?}\n{context}");
                let (name, trust, inline) = &roles[0];
                assert_eq!(inline, &["segment-permissions"], "{context}");
                assert_eq!(
                    trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"], id,
                    "{context}"
                );
                assert_eq!(
                    settings["iamRoleArn"],
                    format!("arn:aws:iam::{account}:role/{name}"),
                    "{context}"
                );
                if method == "cloudformation" {
                    assert_eq!(stacks.len(), 1, "one stack: {stacks:?}\n{context}");
                    assert_eq!(stacks[0].1, "CREATE_COMPLETE", "{context}");
                } else {
                    assert!(stacks.is_empty(), "{stacks:?}");
                }
                let saved = segment_aws_setup::engine::saving::StateStore::at(&state).load_all();
                assert!(
                    saved.len() == 1 && saved[0].finished,
                    "{saved:?}\n{context}"
                );
                let _ = std::fs::remove_dir_all(&state);
            }
            at += 1;
            assert!(at < 40, "a create takes fewer than 40 requests");
        }
    }
    eprintln!("killed at {points} points");
    assert!(points >= 12, "killed at {points} points");
}

/// Plain mode killed between CreateRole and PutRolePolicy: the next run offers the setup (this
/// account's), shows what finishing it changes and asks, then ends with the whole role.
#[test]
fn plain_mode_killed_half_way_offers_the_setup_and_finishes_it_after_asking() {
    use std::io::Write;
    let proxy = Proxy::start(VecDeque::new());
    let account = fresh_account();
    if let Ok(mut shared) = proxy.shared.lock() {
        shared.account = Some(account.clone());
    }
    let state = temp_dir("kill-plain-state");
    let home = temp_dir("kill-plain-home");
    let run = |answers: &str, at: Option<(usize, bool)>| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_segment-aws-setup"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &proxy.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("SEGMENT_AWS_SETUP_STATE_DIR", &state)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("started");
        if let Ok(mut shared) = proxy.shared.lock() {
            shared.count = 0;
            shared.tripped = false;
            shared.tripwire = at.map(|(at, after_forward)| Tripwire {
                at,
                after_forward,
                pid: child.id(),
            });
        }
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(answers.as_bytes());
        }
        let output = child.wait_with_output().expect("ended");
        if let Ok(mut shared) = proxy.shared.lock() {
            shared.tripwire = None;
        }
        output
    };
    // Plain mode's IAM path: GetCallerIdentity, DescribeStacks and ListRoles (the setups to
    // change), ListBuckets (the bucket picker; the fresh account has none), ListRoles (is the
    // name taken?), GetRole, CreateRole (killed once moto made it).
    let first = run(
        "y\n1\n\n1\nb-plain-kill\n\n2\nsegment-plain-killed\ny\n",
        Some((7, true)),
    );
    assert!(!first.status.success(), "killed: {}", stdout(&first));
    let (roles, _) = block_on(account_state(&proxy));
    assert_eq!(roles.len(), 1, "half made: {roles:?}");
    assert!(roles[0].2.is_empty(), "no permission policy yet");

    let second = run("y\ny\n", None);
    let text = stdout(&second);
    assert!(second.status.success(), "{text}\n{}", stderr(&second));
    assert!(
        text.contains("An unfinished setup of this account was found: role segment-plain-killed"),
        "{text}"
    );
    assert!(
        text.contains("  - attach inline policy segment-permissions"),
        "{text}"
    );
    assert!(
        text.contains("Apply this to role segment-plain-killed in account"),
        "asked first: {text}"
    );
    let (roles, _) = block_on(account_state(&proxy));
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].2, ["segment-permissions"]);
    let saved = segment_aws_setup::engine::saving::StateStore::at(&state).load_all();
    assert!(saved.len() == 1 && saved[0].finished, "{saved:?}");
    let _ = std::fs::remove_dir_all(&state);
    let _ = std::fs::remove_dir_all(&home);
}

/// A listing AWS refuses (here Kinesis's ListStreams, a JSON protocol, and S3's ListBuckets, a
/// REST one) never blocks the step: one sentence naming the permission, then typing.
#[test]
fn a_refused_listing_names_the_permission_and_falls_back_to_typing() {
    use segment_aws_setup::model::picker::ResourceKind;
    let proxy = Proxy::start(VecDeque::from([
        (Some("ListStreams"), Fault::AccessDenied),
        (Some("ListBuckets"), Fault::AccessDenied),
    ]));
    let (streams, buckets, functions) = block_on(async {
        let config = through(&proxy).await;
        let resources = segment_aws_setup::aws::sdk::SdkResources::new(&config);
        let list = |kind| {
            segment_aws_setup::engine::list_resources(&resources, kind, "us-east-1", "123456789012")
        };
        (
            list(ResourceKind::Streams).await,
            list(ResourceKind::Buckets).await,
            list(ResourceKind::Functions).await,
        )
    });
    assert_eq!(
        streams,
        Err("AWS refused kinesis:ListStreams, so Kinesis streams in us-east-1 can't be listed: type it instead.".to_string())
    );
    assert_eq!(
        buckets,
        Err(
            "AWS refused s3:ListAllMyBuckets, so S3 buckets can't be listed: type it instead."
                .to_string()
        )
    );
    assert!(functions.is_ok(), "the others still list: {functions:?}");
    let refused: Vec<String> = proxy
        .log()
        .into_iter()
        .filter(|(_, fault)| *fault == Some(Fault::AccessDenied))
        .map(|(action, _)| action)
        .collect();
    assert_eq!(refused, ["ListStreams", "ListBuckets"]);
}

/// ListStackInstances' answer with this account's instance FAILED, with a reason: its
/// DetailedStatus (the first after its Account) changed, and a StatusReason after its status.
fn failed_instance(xml: &str, account: &str, reason: &str) -> String {
    let Some(at) = xml.find(&format!("<Account>{account}</Account>")) else {
        return xml.to_string();
    };
    let (head, tail) = xml.split_at(at);
    let tail = tail.replacen(
        "<DetailedStatus>SUCCEEDED</DetailedStatus>",
        "<DetailedStatus>FAILED</DetailedStatus>",
        1,
    );
    let tail = tail.replacen(
        "</StackInstanceStatus>",
        &format!("</StackInstanceStatus><StatusReason>{reason}</StatusReason>"),
        1,
    );
    format!("{head}{tail}")
}

/// Through the binary: a StackSet whose instance in one account fails (shown so by the proxy)
/// prints every row, the failed one with its reason, and exits 4 naming the retry command.
#[test]
fn a_failed_stack_set_instance_exits_4_with_its_reason_and_the_retry_command() {
    let proxy = Proxy::start(VecDeque::new());
    let accounts: Vec<String> = (0..3)
        .map(|i| format!("6{:05}{:06}", std::process::id() % 100_000, 900 + i))
        .collect();
    let reason = "Account should have 'AWSCloudFormationStackSetExecutionRole' role";
    // The reason comes from AWS: it also holds a title-setting and a clipboard-setting sequence,
    // which must reach the terminal escaped, on stdout as on stderr.
    if let Ok(mut shared) = proxy.shared.lock() {
        shared.fail_instance = Some((
            accounts[1].clone(),
            format!("{reason}&#x1b;]0;pwned&#x7;&#x1b;]52;c;ZXZpbA==&#x7;"),
        ));
    }
    let config = proxy.config();
    crate::support::make_stack_set_administration_role(&config);
    let state = temp_dir("failed-set-state");
    let name = unique("failed-set");
    let output = binary(
        &[
            "create",
            "--integration",
            "lambda-destination",
            "--workspace-id",
            "wXZ2sd8N3mJ",
            "--lambda-arn",
            "arn:aws:lambda:us-west-2:123456789012:function:events",
            "--role-name",
            &format!("{name}-role"),
            "--stack-set-name",
            &name,
            "--accounts",
            &accounts.join(","),
            "--yes",
        ],
        &[
            ("AWS_ENDPOINT_URL", proxy.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !stream.contains(&0x1b) && !stream.contains(&0x07),
            "a raw escape sequence from AWS reached the terminal:\n{}",
            String::from_utf8_lossy(stream)
        );
    }
    let rows = stdout(&output);
    assert!(
        rows.contains(&format!("{}  us-east-1  FAILED     {reason}", accounts[1])),
        "{rows}"
    );
    assert!(
        rows.contains(&format!("arn:aws:iam::{}:role/{name}-role", accounts[0])),
        "{rows}"
    );
    let message = stderr(&output);
    assert!(
        message.contains(&format!(
            "1 of 3 instance(s) of stack set {name} failed (their reasons are above); once fixed: segment-aws-setup retry --stack-set {name}"
        )),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// A proxy that sends every request into this moto account (`x-moto-account-id`), or moto's
/// default one; for tests that read several accounts.
pub(crate) fn account_proxy(account: Option<&str>) -> Proxy {
    let proxy = Proxy::start(VecDeque::new());
    if let (Some(account), Ok(mut shared)) = (account, proxy.shared.lock()) {
        shared.account = Some(account.to_string());
    }
    proxy
}

impl Proxy {
    /// An SDK configuration that goes through this proxy.
    pub(crate) fn config(&self) -> aws_config::SdkConfig {
        block_on(through(self))
    }
}
