//! A real moto server on a free port of 127.0.0.1, started once per test binary.
//!
//! Uses `$MOTO_SERVER` (a `moto_server` executable) when set; otherwise installs the pinned
//! versions from `tests/requirements.txt` into `target/moto-venv` on first use. A missing python3
//! or a failed install fails the test with a message saying how to fix it: tests never skip.

use std::fs::{self, File};
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Moto {
    pub endpoint: String,
    // Holding the watchdog's stdin open keeps moto alive; when the test process exits the pipe
    // closes and the watchdog stops moto, so no server outlives the tests.
    _watchdog: Mutex<Child>,
}

static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();

/// The shared moto server; panics (failing the test) with instructions when it can't start.
pub fn moto() -> &'static Moto {
    match MOTO.get_or_init(start) {
        Ok(moto) => moto,
        Err(message) => panic!("{message}"),
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

fn moto_server_executable() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "MOTO_SERVER is set to {}, which is not a file: point it at a moto_server executable \
                 (pip install 'moto[server]'), or unset it to let the tests install one under target/",
                path.display()
            ))
        };
    }
    let venv = target_dir().join("moto-venv");
    let executable = venv.join("bin").join("moto_server");
    fs::create_dir_all(target_dir()).map_err(|e| format!("can't create target/: {e}"))?;
    // A file lock, so parallel test processes (cargo nextest) install once.
    let lock = File::create(target_dir().join("moto-venv.lock"))
        .map_err(|e| format!("can't create the install lock under target/: {e}"))?;
    lock.lock()
        .map_err(|e| format!("can't lock target/moto-venv.lock: {e}"))?;
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("requirements.txt");
    // The venv records the requirements it was made from; a change of pins makes a new one.
    let installed_from = venv.join("requirements.txt");
    let wanted = fs::read(&requirements)
        .map_err(|e| format!("can't read {}: {e}", requirements.display()))?;
    if executable.is_file() && fs::read(&installed_from).is_ok_and(|installed| installed == wanted)
    {
        return Ok(executable);
    }
    let _ = fs::remove_dir_all(&venv);
    let venv_status = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status();
    match venv_status {
        Ok(status) if status.success() => {}
        Ok(status) => {
            return Err(format!(
                "`python3 -m venv {}` failed ({status}): install Python 3 with its venv module \
                 (Debian: apt-get install python3 python3-venv), or set MOTO_SERVER to a moto_server executable",
                venv.display()
            ));
        }
        Err(error) => {
            return Err(format!(
                "python3 was not found ({error}): the AWS tests run against a real moto server. Install Python 3 \
                 (Debian: apt-get install python3 python3-venv), or set MOTO_SERVER to a moto_server executable"
            ));
        }
    }
    let pip = venv.join("bin").join("pip");
    let output = Command::new(&pip)
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .output()
        .map_err(|e| format!("can't run {}: {e}", pip.display()))?;
    if !output.status.success() || !executable.is_file() {
        let _ = fs::remove_dir_all(&venv);
        return Err(format!(
            "installing moto from {} failed: {}\nThe tests need PyPI to install moto once; or run \
             `pip install -r tests/requirements.txt` yourself and set MOTO_SERVER to its moto_server",
            requirements.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    fs::write(&installed_from, wanted)
        .map_err(|e| format!("can't write {}: {e}", installed_from.display()))?;
    Ok(executable)
}

/// A tool of `tests/requirements.txt` (cfn-lint, checkov) from the same virtualenv moto comes
/// from, installed on first use as moto is.
pub fn python_tool(name: &str) -> Result<PathBuf, String> {
    let moto_server = moto_server_executable()?;
    let tool = moto_server.with_file_name(name);
    if tool.is_file() {
        Ok(tool)
    } else {
        Err(format!(
            "{} is not beside {}: install tests/requirements.txt into that environment (pip install -r tests/requirements.txt), or unset MOTO_SERVER to let the tests install it under target/",
            name,
            moto_server.display()
        ))
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

fn start() -> Result<Moto, String> {
    let executable = moto_server_executable()?;
    let mut last_error = String::new();
    // A port found free can be taken before moto binds it: try a few.
    for _ in 0..3 {
        let port = free_port()?;
        let log = target_dir().join(format!("moto-{port}.log"));
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(r#"trap 'kill $child 2>/dev/null' EXIT; "$0" -H 127.0.0.1 -p "$1" >"$2" 2>&1 & child=$!; cat >/dev/null"#)
            .arg(&executable)
            .arg(port.to_string())
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("can't start moto ({}): {e}", executable.display()))?;
        match wait_until_listening(port, Duration::from_secs(60)) {
            Ok(()) => {
                return Ok(Moto {
                    endpoint: format!("http://127.0.0.1:{port}"),
                    _watchdog: Mutex::new(watchdog),
                });
            }
            Err(error) => {
                let mut output = String::new();
                let _ = File::open(&log).and_then(|mut f| f.read_to_string(&mut output));
                last_error = format!("{error}; moto said: {}", output.trim());
            }
        }
    }
    Err(format!("moto did not start: {last_error}"))
}

fn wait_until_listening(port: u16, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "nothing listened on 127.0.0.1:{port} within {timeout:?}"
    ))
}

impl Moto {
    /// An SDK configuration that talks to this server with test credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(segment_aws_setup::aws::sdk::https_client())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }
}
