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

/// Faults to serve, in order: each applies to the next request whose action matches (any action
/// when `None`).
type Script = VecDeque<(Option<&'static str>, Fault)>;

#[derive(Default)]
struct Shared {
    script: Script,
    /// Put in place of each "User Initiated" stack-event reason moto returns (already XML text).
    inject_reason: Option<String>,
    /// Every request seen: its action and the fault served (None = forwarded to moto).
    log: Vec<(String, Option<Fault>)>,
}

struct Proxy {
    endpoint: String,
    shared: Arc<Mutex<Shared>>,
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
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
    let action = form_urlencoded::parse(&body)
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
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
        Response::builder()
            .status(status)
            .header("content-type", "text/xml")
            .body(Full::new(Bytes::from(error_body(code, message))))
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
            if let (Some(reason), "DescribeStackEvents") = (inject, action.as_str()) {
                let text = String::from_utf8_lossy(&body).replace(
                    "<ResourceStatusReason>User Initiated</ResourceStatusReason>",
                    &format!("<ResourceStatusReason>{reason}</ResourceStatusReason>"),
                );
                body = Bytes::from(text);
            }
            let mut parts = parts;
            parts.headers.remove("content-length");
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

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
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
    let settings: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
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
