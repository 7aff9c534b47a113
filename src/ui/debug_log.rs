//! The debug log (`--debug`, or `SEGMENT_AWS_SETUP_DEBUG=1`): every AWS call and every Segment
//! API call, a line each (service or API, operation or path, region, status, request ID,
//! milliseconds), through `tracing`. Only the calls' own events are kept (the SDK's are left
//! out: they may hold bodies), and those carry no body, header or secret. On stderr for the
//! commands and plain mode; for the wizard, which owns the screen, in a file (`debug.log` in the
//! state directory unless `--debug-file` names one), always made mode 0600.

use std::path::{Path, PathBuf};
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// Where the log goes, as the command line asks.
pub enum Sink {
    Stderr,
    File(PathBuf),
}

/// Opens (or creates) the log file, private to the user, appending.
fn private_file(path: &Path) -> Result<std::fs::File, String> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .open(path)
        .map_err(|e| format!("the debug log {} can't be written: {e}", path.display()))?;
    // An existing file keeps its mode on open: made private here too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            format!(
                "the debug log {} can't be made private: {e}",
                path.display()
            )
        })?;
    }
    Ok(file)
}

/// Starts the log; returns the file it writes to, if any, for the face to name.
pub fn start(sink: Sink) -> Result<Option<PathBuf>, String> {
    let (writer, path) = match sink {
        Sink::Stderr => (BoxMakeWriter::new(std::io::stderr), None),
        Sink::File(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!(
                        "the debug log's folder {} can't be made: {e}",
                        dir.display()
                    )
                })?;
            }
            let file = private_file(&path)?;
            (BoxMakeWriter::new(std::sync::Mutex::new(file)), Some(path))
        }
    };
    let only_calls = tracing_subscriber::filter::Targets::new().with_target(
        crate::model::segment::CALL_LOG_TARGET,
        tracing::Level::DEBUG,
    );
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .with_target(false)
            .with_filter(only_calls),
    );
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| format!("the debug log can't start: {e}"))?;
    Ok(path)
}

/// The wizard's file when none is named: `debug.log` in the state directory.
pub fn wizard_file() -> Option<PathBuf> {
    crate::engine::saving::StateStore::default_location().map(|store| store.dir().join("debug.log"))
}
