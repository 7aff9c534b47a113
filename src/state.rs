//! What is needed to resume a setup, saved in the user's state directory before the first change
//! in AWS: integration, method, stack or role name, region, account, external IDs and the
//! settings. The file holds the external ID, so it is mode 0600 in a 0700 directory.

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
}

impl StateStore {
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        StateStore { dir: dir.into() }
    }

    /// `$SEGMENT_AWS_SETUP_STATE_DIR`, else the platform's state directory
    /// (`$XDG_STATE_HOME` or `~/.local/state` on Linux), in `segment-aws-setup/`.
    pub fn default_location() -> Option<Self> {
        if let Some(dir) = std::env::var_os("SEGMENT_AWS_SETUP_STATE_DIR") {
            return Some(StateStore::at(dir));
        }
        dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .map(|base| StateStore::at(base.join("segment-aws-setup")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the setup (replacing an earlier save of the same one); returns the file's path.
    pub fn save(&self, setup: &SavedSetup) -> io::Result<PathBuf> {
        create_private_dir(&self.dir)?;
        let path = self.dir.join(setup.file_name());
        let partial = self.dir.join(format!(".{}.partial", setup.file_name()));
        let text = serde_json::to_string_pretty(setup).map_err(io::Error::other)?;
        let mut file = private_file(&partial)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&partial, &path)?;
        Ok(path)
    }

    pub fn load_all(&self) -> Vec<SavedSetup> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut setups: Vec<SavedSetup> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| fs::read_to_string(e.path()).ok())
            .filter_map(|text| serde_json::from_str(&text).ok())
            .collect();
        setups.sort_by_key(SavedSetup::file_name);
        setups
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

    /// Forgets a finished (or deleted) setup.
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
fn private_file(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // The mode applies only to a new file; make sure of it for an old one too.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

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
        let store = StateStore::at(dir.join("nested"));
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
        store.remove(&setup).expect("removed");
        assert!(store.load_all().is_empty());
        let _ = fs::remove_dir_all(&dir);
    }
}
