//! What is needed to resume a setup, saved in the user's state directory before the first change
//! in AWS: integration, method, stack or role name, region, account, external IDs and the
//! settings. A finished setup stays, marked finished with its role ARN, so `verify` can find the
//! external ID without it being typed. The file holds the external ID, so it is mode 0600, opened
//! with O_EXCL and O_NOFOLLOW; the tool's own directory is 0700 (a directory the user named is
//! used as it is).

use crate::plan::{Plan, Setting};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Cloudformation,
    Iam,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedSetup {
    pub integration: String,
    pub method: Method,
    pub stack_name: Option<String>,
    pub role_name: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub account: String,
    pub external_ids: Vec<String>,
    /// Segment's settings, the role ARN still empty.
    pub settings: Vec<Setting>,
    /// The inline permission policy, so that a resumed direct-IAM setup can be finished.
    #[serde(default)]
    pub policy_name: Option<String>,
    #[serde(default)]
    pub permission_policy: Option<serde_json::Value>,
    /// The setup ended: its role exists and is right. Not offered for resuming.
    #[serde(default)]
    pub finished: bool,
    /// The role's ARN, once known.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// When it was saved (seconds since the epoch): the newest unfinished setup is resumed first.
    #[serde(default)]
    pub saved_at: u64,
    /// The permission preset, and the Lambda ARNs, for the outcome of a resumed setup.
    #[serde(default)]
    pub preset: Option<String>,
    #[serde(default)]
    pub lambda_arns: Vec<String>,
    /// Made through a StackSet of this name, in many accounts (watched and retried by name).
    #[serde(default)]
    pub stack_set: Option<String>,
}

impl SavedSetup {
    pub fn new(
        plan: &Plan,
        method: Method,
        account: &str,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> Self {
        SavedSetup {
            integration: plan.integration_id.clone(),
            method,
            stack_name: (method == Method::Cloudformation).then(|| plan.stack_name.clone()),
            role_name: (method == Method::Iam).then(|| plan.role_name.clone()),
            region: region.map(str::to_string),
            profile: profile.map(str::to_string),
            account: account.to_string(),
            external_ids: plan.external_ids.clone(),
            settings: plan.settings(None),
            policy_name: Some(plan.policy_name.clone()),
            permission_policy: Some(plan.permission_policy.clone()),
            finished: false,
            role_arn: None,
            preset: Some(plan.preset_id.clone()),
            lambda_arns: plan.inputs(crate::catalog::Input::LambdaArns).to_vec(),
            stack_set: None,
            saved_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        }
    }

    /// A StackSet setup: the stack set's name instead of a stack's.
    pub fn for_stack_set(
        plan: &Plan,
        stack_set: &str,
        account: &str,
        region: Option<&str>,
        profile: Option<&str>,
    ) -> Self {
        let mut saved = SavedSetup::new(plan, Method::Cloudformation, account, region, profile);
        saved.stack_name = None;
        saved.stack_set = Some(stack_set.to_string());
        saved
    }

    /// "stack S" or "role R".
    pub fn what(&self) -> String {
        if let Some(stack_set) = &self.stack_set {
            return format!("stack set {stack_set}");
        }
        match (&self.stack_name, &self.role_name) {
            (Some(stack), _) => format!("stack {stack}"),
            (None, Some(role)) => format!("role {role}"),
            (None, None) => "a setup".into(),
        }
    }

    /// Where it is resumed: "region R, profile P" (the saved ones, not the current).
    pub fn place(&self) -> String {
        let region = self.region.as_deref().unwrap_or("the default region");
        match &self.profile {
            Some(profile) => format!("region {region}, profile {profile}"),
            None => format!("region {region}"),
        }
    }

    /// The settings with the role ARN filled in.
    pub fn settings_with(&self, role_arn: &str) -> Vec<Setting> {
        self.settings
            .iter()
            .cloned()
            .map(|mut setting| {
                if setting.value.is_none() {
                    setting.value = Some(role_arn.to_string());
                }
                setting
            })
            .collect()
    }

    fn file_name(&self) -> String {
        // Each StackSet has its own file: they have neither a stack nor a role name here.
        if let Some(stack_set) = &self.stack_set {
            return format!("{}-stackset-{stack_set}.json", self.account);
        }
        let subject = self
            .stack_name
            .as_deref()
            .or(self.role_name.as_deref())
            .unwrap_or("setup");
        format!("{}-{subject}.json", self.account)
    }
}

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
    pub fn save(&self, setup: &SavedSetup) -> io::Result<PathBuf> {
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
            match read_no_follow(&path) {
                Ok(text) => match serde_json::from_str::<SavedSetup>(&text) {
                    Ok(setup) => loaded.setups.push(setup),
                    Err(error) => loaded.problems.push(format!(
                        "{} is not a saved setup ({error}); it was left as it is",
                        path.display()
                    )),
                },
                Err(error) => loaded
                    .problems
                    .push(format!("can't read {}: {error}", path.display())),
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
        match fs::remove_file(self.dir.join(setup.file_name())) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
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
        .custom_flags(O_NOFOLLOW)
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
        options.custom_flags(O_NOFOLLOW).mode(mode);
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

/// Reads a file that must not be a symbolic link.
fn read_no_follow(path: &Path) -> io::Result<String> {
    use std::io::Read;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(O_NOFOLLOW);
    }
    let mut text = String::new();
    options.open(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// `O_NOFOLLOW` (Linux and the BSDs/macOS spell it differently).
#[cfg(target_os = "linux")]
const O_NOFOLLOW: i32 = 0o400000;
#[cfg(all(unix, not(target_os = "linux")))]
const O_NOFOLLOW: i32 = 0x0100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;
    use crate::plan::PlanRequest;

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
                &crate::stackset::role_arn("ACCOUNT", "segment-role"),
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
