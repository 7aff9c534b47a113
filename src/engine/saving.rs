//! What is needed to resume a setup, saved in the user's state directory before the first change
//! in AWS: integration, method, stack or role name, region, account, external IDs (and a
//! rotation's new one, before the role accepts it) and the settings. A finished setup stays,
//! marked finished with its role ARN, so `verify` can find the external ID without it being typed.
//! The file holds the external ID, so it is mode 0600, opened with O_EXCL and O_NOFOLLOW; the
//! tool's own directory is 0700 (a directory the user named is used as it is).
//!
//! A state file is read as untrusted input: it must be a regular file owned by the user, not
//! writable by others, at most [`MAX_FILE_BYTES`], and every field must pass the validator a typed
//! value would ([`SavedSetup::check`]); a file that doesn't is named and left alone. File names
//! are built only from checked fields.

pub use crate::model::record::{Method, SavedSetup, now_seconds};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A state file larger than this is not read: a setup takes a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

pub struct StateStore {
    dir: PathBuf,
    /// The tool's own directory, which it creates and keeps private (0700); a directory the user
    /// named is used as it is.
    owned: bool,
}

/// What was found in the state directory: the setups, and each file that could not be read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub setups: Vec<SavedSetup>,
    /// One sentence per file that is unreadable or not a saved setup, with its path.
    pub problems: Vec<String>,
}

impl StateStore {
    /// A directory the user named: used as it is (created 0700 if missing, never re-moded).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        StateStore {
            dir: dir.into(),
            owned: false,
        }
    }

    /// The tool's own directory: created and kept 0700.
    pub fn owned_at(dir: impl Into<PathBuf>) -> Self {
        StateStore {
            dir: dir.into(),
            owned: true,
        }
    }

    /// `$SEGMENT_AWS_SETUP_STATE_DIR` as it is, else the platform's state directory
    /// (`$XDG_STATE_HOME` or `~/.local/state` on Linux) with the tool's own `segment-aws-setup/`.
    pub fn default_location() -> Option<Self> {
        if let Some(dir) = std::env::var_os("SEGMENT_AWS_SETUP_STATE_DIR") {
            return Some(StateStore::at(dir));
        }
        dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .map(|base| StateStore::owned_at(base.join("segment-aws-setup")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the setup (replacing an earlier save of the same one); returns the file's path.
    /// A setup whose fields don't pass their checks is not written (its file name is made of
    /// them). The file is written whole, synced, renamed into place and the directory synced, so
    /// a crash leaves the old record or the new one, never a part.
    pub fn save(&self, setup: &SavedSetup) -> io::Result<PathBuf> {
        setup
            .check()
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
        if self.owned {
            create_private_dir(&self.dir)?;
        } else {
            create_missing_dir(&self.dir)?;
        }
        let path = self.dir.join(setup.file_name());
        let partial = self.dir.join(format!(".{}.partial", setup.file_name()));
        let text = serde_json::to_string_pretty(setup).map_err(io::Error::other)?;
        // A partial file left by a crash (or planted) goes; the new one is made afresh.
        match fs::remove_file(&partial) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
        let mut file = private_new_file(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&partial, &path)?;
        sync_dir(&self.dir)?;
        Ok(path)
    }

    /// Every saved setup, and a sentence for each file that couldn't be read (never a reason to
    /// stop: the others are still there).
    pub fn load(&self) -> Loaded {
        let mut loaded = Loaded::default();
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return loaded,
            Err(error) => {
                loaded.problems.push(format!(
                    "can't read the state directory {}: {error}",
                    self.dir.display()
                ));
                return loaded;
            }
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            match read_state_file(&path) {
                Ok(text) => match serde_json::from_str::<SavedSetup>(&text) {
                    Ok(setup) => match setup.check() {
                        Ok(()) => loaded.setups.push(setup),
                        Err(why) => loaded.problems.push(format!(
                            "{} is not a setup this tool saved ({why}); it was left as it is and not used",
                            path.display()
                        )),
                    },
                    Err(error) => loaded.problems.push(format!(
                        "{} is not a saved setup ({error}); it was left as it is",
                        path.display()
                    )),
                },
                Err(error) => loaded
                    .problems
                    .push(format!("can't use {}: {error}", path.display())),
            }
        }
        loaded.setups.sort_by_key(|s| std::cmp::Reverse(s.saved_at));
        loaded
    }

    pub fn load_all(&self) -> Vec<SavedSetup> {
        self.load().setups
    }

    /// Unfinished setups, newest first.
    pub fn unfinished(&self) -> Vec<SavedSetup> {
        self.load_all()
            .into_iter()
            .filter(|s| !s.finished)
            .collect()
    }

    pub fn find_stack(&self, stack: &str) -> Option<SavedSetup> {
        self.load_all()
            .into_iter()
            .find(|s| s.stack_name.as_deref() == Some(stack))
    }

    pub fn find_role(&self, role: &str) -> Option<SavedSetup> {
        self.load_all().into_iter().find(|s| {
            s.role_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(role))
        })
    }

    /// The setup that made this role: by its ARN (a stack's role) or its name, in its account.
    pub fn find_for_role(&self, account: &str, role: &str) -> Option<SavedSetup> {
        let name = role.rsplit('/').next().unwrap_or(role);
        self.load_all().into_iter().find(|s| {
            s.account == account
                && (s.role_arn.as_deref().is_some_and(|arn| {
                    arn == role
                        || arn
                            .rsplit('/')
                            .next()
                            .is_some_and(|n| n.eq_ignore_ascii_case(name))
                }) || s
                    .role_name
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(name)))
        })
    }

    /// The StackSet setup saved in this account: by the stack set's name when given, else by its
    /// role's name.
    pub fn find_stack_set(
        &self,
        account: &str,
        stack_set: Option<&str>,
        role: &str,
    ) -> Option<SavedSetup> {
        self.load_all().into_iter().find(|s| {
            s.account == account
                && s.stack_set.is_some()
                && match stack_set {
                    Some(name) => s.stack_set.as_deref() == Some(name),
                    None => s
                        .role_arn
                        .as_deref()
                        .and_then(|arn| arn.rsplit('/').next())
                        .is_some_and(|n| n.eq_ignore_ascii_case(role)),
                }
        })
    }

    /// Marks a setup finished, with its role's ARN (kept so `verify` finds its external ID).
    pub fn finish(&self, setup: &SavedSetup, role_arn: &str) -> io::Result<PathBuf> {
        let mut finished = setup.clone();
        finished.finished = true;
        finished.role_arn = Some(role_arn.to_string());
        self.save(&finished)
    }

    /// Forgets a setup (nothing was made for it, or it was deleted).
    pub fn remove(&self, setup: &SavedSetup) -> io::Result<()> {
        setup
            .check()
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidInput, why))?;
        match fs::remove_file(self.dir.join(setup.file_name())) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => sync_dir(&self.dir),
        }
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

#[cfg(unix)]
fn create_missing_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_missing_dir(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)
}

/// A new file, mode 0600: never an existing one, never through a symbolic link.
#[cfg(unix)]
fn private_new_file(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(no_follow())
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_new_file(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Writes a file (replacing its contents) that must not be a symbolic link; mode 0600 when
/// `private`, else 0644.
pub fn write_file_no_follow(path: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = if private { 0o600 } else { 0o644 };
        options.custom_flags(no_follow()).mode(mode);
        let mut file = options.open(path)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(contents)?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = private;
        let mut file = options.open(path)?;
        file.write_all(contents)?;
        file.sync_all()
    }
}

/// `O_NOFOLLOW`, as the platform spells it.
#[cfg(unix)]
fn no_follow() -> i32 {
    rustix::fs::OFlags::NOFOLLOW.bits() as i32
}

/// Makes a rename or removal in the directory durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Why a state file is not read, from what its metadata says: not a regular file, another
/// user's (`owner`: the file's and the effective user's IDs), writable by others, or too large.
fn refusal(regular: bool, owner: Option<(u32, u32)>, mode: u32, len: u64) -> Option<String> {
    if !regular {
        return Some("it is not a regular file".into());
    }
    if let Some((file, me)) = owner
        && file != me
    {
        return Some(format!("it belongs to user {file}, not to you (user {me})"));
    }
    if mode & 0o022 != 0 {
        return Some(format!(
            "other users may write it (mode {:o}); a saved setup is mode 600",
            mode & 0o777
        ));
    }
    if len > MAX_FILE_BYTES {
        return Some(format!(
            "it is {len} bytes, more than a saved setup's {MAX_FILE_BYTES}"
        ));
    }
    None
}

/// Reads a state file, refusing what the user didn't make: a symbolic link (never followed), a
/// file that is not a regular file (a FIFO would block the read, a device would never end), one
/// owned by another user or writable by others, and one larger than [`MAX_FILE_BYTES`]. The
/// checks are made on the opened file, so nothing can be swapped in between.
fn read_state_file(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking, so opening a FIFO returns at once and is refused below.
        options.custom_flags(no_follow() | rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    #[cfg(unix)]
    let (owner, mode) = {
        use std::os::unix::fs::MetadataExt;
        (
            Some((metadata.uid(), rustix::process::geteuid().as_raw())),
            metadata.mode(),
        )
    };
    #[cfg(not(unix))]
    let (owner, mode) = (None, 0o600);
    if let Some(why) = refusal(metadata.is_file(), owner, mode, metadata.len()) {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
    }
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalog::Catalog;
    use crate::model::plan::{Plan, PlanRequest};

    fn plan() -> Plan {
        Plan::build(
            Catalog::builtin(),
            &PlanRequest {
                integration: "destination-function".into(),
                bucket: Some("my-bucket".into()),
                bucket_region: Some("us-east-1".into()),
                ..PlanRequest::default()
            },
        )
        .expect("valid")
    }

    #[test]
    fn saved_setups_are_private_and_read_back() {
        let dir =
            std::env::temp_dir().join(format!("segment-aws-setup-state-{}", std::process::id()));
        let store = StateStore::owned_at(dir.join("nested"));
        let plan = plan();
        let setup = SavedSetup::new(
            &plan,
            Method::Cloudformation,
            "123456789012",
            Some("us-east-1"),
            None,
        );
        let path = store.save(&setup).expect("saved");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("file").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let mode = fs::metadata(store.dir()).expect("dir").permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        assert_eq!(store.find_stack(&plan.stack_name), Some(setup.clone()));
        let settings = setup.settings_with("arn:aws:iam::123456789012:role/r");
        assert_eq!(
            settings[0].value.as_deref(),
            Some("arn:aws:iam::123456789012:role/r")
        );
        store
            .finish(&setup, "arn:aws:iam::123456789012:role/r")
            .expect("finished");
        assert!(
            store.unfinished().is_empty(),
            "a finished setup is not resumed"
        );
        let found = store
            .find_for_role("123456789012", "arn:aws:iam::123456789012:role/r")
            .expect("found by its role");
        assert!(found.finished);
        assert!(
            store.find_for_role("999999999999", "r").is_none(),
            "another account's"
        );
        store.remove(&setup).expect("removed");
        assert!(store.load_all().is_empty());
        let _ = fs::remove_dir_all(&dir);
    }

    /// Two StackSets of one account are two records, each found by its name (and, once
    /// finished, by its role's name); one finishing leaves the other.
    #[test]
    fn each_stack_set_has_its_own_record() {
        let dir = std::env::temp_dir().join(format!(
            "segment-aws-setup-stack-sets-{}",
            std::process::id()
        ));
        let store = StateStore::owned_at(dir.clone());
        let plan = plan();
        let first = SavedSetup::for_stack_set(&plan, "set-one", "123456789012", None, None);
        let mut second = SavedSetup::for_stack_set(&plan, "set-two", "123456789012", None, None);
        second.external_ids = vec!["another-external-id-of-thirty-two-chars".into()];
        store.save(&first).expect("saved");
        store.save(&second).expect("saved");
        assert_eq!(store.unfinished().len(), 2);
        assert_eq!(first.what(), "stack set set-one");
        let found = store
            .find_stack_set("123456789012", Some("set-two"), "ignored")
            .expect("found by name");
        assert_eq!(found.external_ids, second.external_ids);
        store
            .finish(
                &first,
                &crate::model::stackset::role_arn("ACCOUNT", "segment-role"),
            )
            .expect("finished");
        let by_role = store
            .find_stack_set("123456789012", None, "segment-role")
            .expect("found by its role");
        assert_eq!(by_role.stack_set.as_deref(), Some("set-one"));
        assert_eq!(store.unfinished(), vec![second.clone()]);
        assert!(
            store
                .find_stack_set("999999999999", Some("set-two"), "r")
                .is_none()
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_a_regular_small_file_of_the_users_own_is_read() {
        assert_eq!(refusal(true, Some((1000, 1000)), 0o100600, 900), None);
        assert!(
            refusal(false, Some((1000, 1000)), 0o010600, 0)
                .is_some_and(|w| w.contains("not a regular file"))
        );
        assert!(
            refusal(true, Some((0, 1000)), 0o100600, 900)
                .is_some_and(|w| w.contains("belongs to user 0, not to you (user 1000)"))
        );
        assert!(
            refusal(true, Some((1000, 1000)), 0o100620, 900)
                .is_some_and(|w| w.contains("other users may write it (mode 620)"))
        );
        assert!(
            refusal(true, Some((1000, 1000)), 0o100606, 900).is_some(),
            "world-writable"
        );
        assert!(
            refusal(true, Some((1000, 1000)), 0o100600, MAX_FILE_BYTES + 1)
                .is_some_and(|w| w.contains("bytes, more than"))
        );
    }

    /// Files planted in the state directory are named and never used: a FIFO (which would block
    /// a read), a huge file, one others may write, and setups whose fields would make a file name
    /// outside the directory or a policy nobody judged.
    #[cfg(unix)]
    #[test]
    fn planted_state_files_are_refused_and_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("segment-aws-setup-planted-{}", std::process::id()));
        let store = StateStore::owned_at(&dir);
        let plan = plan();
        let good = SavedSetup::new(&plan, Method::Iam, "123456789012", None, None);
        store.save(&good).expect("saved");
        let fifo = dir.join("fifo.json");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .expect("fifo");
        fs::write(
            dir.join("huge.json"),
            vec![b' '; MAX_FILE_BYTES as usize + 10],
        )
        .expect("huge");
        let shared = dir.join("shared.json");
        fs::write(&shared, serde_json::to_string(&good).expect("json")).expect("write");
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o666)).expect("mode");
        let mut escaping = serde_json::to_value(&good).expect("json");
        escaping["roleName"] = serde_json::json!("../../../etc/passwd");
        fs::write(dir.join("escaping.json"), escaping.to_string()).expect("write");
        let mut absolute = serde_json::to_value(&good).expect("json");
        absolute["stackSet"] = serde_json::json!("/tmp/x");
        fs::write(dir.join("absolute.json"), absolute.to_string()).expect("write");
        let mut wide = serde_json::to_value(&good).expect("json");
        wide["permissionPolicy"] =
            serde_json::json!({"Version": "2012-10-17", "Statement": "nope"});
        fs::write(dir.join("wide.json"), wide.to_string()).expect("write");
        let mut forged = serde_json::to_value(&good).expect("json");
        forged["settings"][0]["value"] = serde_json::json!("arn\u{1b}]52;c;ZXZpbA==\u{7}");
        fs::write(dir.join("forged.json"), forged.to_string()).expect("write");
        let loaded = store.load();
        assert_eq!(loaded.setups.len(), 1, "{:?}", loaded.problems);
        assert_eq!(loaded.setups[0], good);
        for name in [
            "fifo.json",
            "huge.json",
            "shared.json",
            "escaping.json",
            "absolute.json",
            "wide.json",
            "forged.json",
        ] {
            assert!(
                loaded.problems.iter().any(|p| p.contains(name)),
                "{name}: {:?}",
                loaded.problems
            );
        }
        assert!(
            loaded
                .problems
                .iter()
                .any(|p| p.contains("escaping.json") && p.contains("roleName")),
            "{:?}",
            loaded.problems
        );
        // A record with such a field is never written either.
        let mut bad = good.clone();
        bad.role_name = Some("../outside".into());
        assert!(store.save(&bad).is_err());
        assert!(!dir.join("..").join("outside.json").exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_corrupt_file_is_reported_with_its_path_and_the_others_still_load() {
        let dir =
            std::env::temp_dir().join(format!("segment-aws-setup-corrupt-{}", std::process::id()));
        let store = StateStore::at(&dir);
        let plan = plan();
        let setup = SavedSetup::new(&plan, Method::Iam, "123456789012", None, None);
        store.save(&setup).expect("saved");
        fs::write(dir.join("broken.json"), "{ not json").expect("write");
        let loaded = store.load();
        assert_eq!(loaded.setups, [setup]);
        assert_eq!(loaded.problems.len(), 1);
        assert!(
            loaded.problems[0].contains("broken.json"),
            "{:?}",
            loaded.problems
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_the_user_named_keeps_its_mode_and_links_are_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("segment-aws-setup-named-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("mode");
        let store = StateStore::at(&dir);
        let plan = plan();
        let setup = SavedSetup::new(&plan, Method::Iam, "123456789012", None, None);
        // A link where the partial file goes must not be written through.
        let target = dir.join("target");
        fs::write(&target, "untouched").expect("write");
        std::os::unix::fs::symlink(&target, dir.join(format!(".{}.partial", setup.file_name())))
            .expect("link");
        store.save(&setup).expect("saved");
        assert_eq!(fs::read_to_string(&target).expect("read"), "untouched");
        let mode = fs::metadata(&dir).expect("dir").permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "the user's directory keeps its mode");
        // A saved setup that is a link is reported, not followed.
        let link = dir.join("linked.json");
        std::os::unix::fs::symlink(&target, &link).expect("link");
        let loaded = store.load();
        assert!(
            loaded.problems.iter().any(|p| p.contains("linked.json")),
            "{:?}",
            loaded.problems
        );
        let owned = StateStore::owned_at(dir.join("own"));
        owned.save(&setup).expect("saved");
        let mode = fs::metadata(owned.dir()).expect("dir").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let _ = fs::remove_dir_all(&dir);
    }
}
