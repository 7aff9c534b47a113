//! The starter function on the IAM path (a stack makes it as resources of its own): its
//! execution role, the role's logs policy, then the function. Made idempotently, so a resumed
//! run finishes what a killed one began; on a failure everything of it goes again, and so does
//! the Segment role, so nothing is left half made. Removed with its setup, each part only when
//! it is provably ours.

use super::lookup::*;
use super::report::*;

use crate::aws::{AwsError, FunctionCreate, Functions, RoleCreate, Roles};
use crate::model::ownership::{CREATED_BY_TAG, tagged};
use crate::model::starter::{self, Starter};
use backon::{ExponentialBuilder, Retryable};
use std::time::Duration;

use crate::model::starter::STARTER_TAG;

fn ours() -> Vec<(String, String)> {
    vec![(CREATED_BY_TAG.0.to_string(), CREATED_BY_TAG.1.to_string())]
}

/// The function's code as Lambda takes it: `index.py` in a zip (stored, it is a few hundred
/// bytes).
pub fn code_zip(code: &str) -> Result<Vec<u8>, AwsError> {
    use std::io::Write;
    let failed = |e: &dyn std::fmt::Display| AwsError::Service {
        action: "zip".into(),
        code: "ZipFailed".into(),
        message: e.to_string(),
    };
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o644);
    writer
        .start_file(starter::CODE_FILE, options)
        .map_err(|e| failed(&e))?;
    writer.write_all(code.as_bytes()).map_err(|e| failed(&e))?;
    writer
        .finish()
        .map(std::io::Cursor::into_inner)
        .map_err(|e| failed(&e))
}

/// Lambda answers this while a new role hasn't reached it yet (IAM is eventually consistent).
fn role_not_ready(error: &AwsError) -> bool {
    matches!(error, AwsError::Service { code, message, .. }
        if code == "InvalidParameterValueException" && message.contains("cannot be assumed"))
}

/// Makes what is missing of the starter function; on a failure, removes what of it exists.
pub async fn make_starter(
    roles: &dyn Roles,
    functions: &dyn Functions,
    starter: &Starter,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), AwsError> {
    match make_parts(roles, functions, starter, report).await {
        Ok(()) => Ok(()),
        Err(error) => {
            report(Progress::Note(format!(
                "Making the starter function failed; removing {} and its role so nothing is left half made",
                starter.name
            )));
            // The first error is the one worth saying; a clean-up failure is said after it.
            if let Err(cleanup) = remove_starter(roles, functions, &starter.name).await {
                report(Progress::Note(format!(
                    "Removing the starter function's parts failed too: {cleanup}"
                )));
            }
            Err(error)
        }
    }
}

async fn make_parts(
    roles: &dyn Roles,
    functions: &dyn Functions,
    starter: &Starter,
    report: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), AwsError> {
    let role_name = starter.role_name();
    let role_arn = match roles.get_role(&role_name).await? {
        Some(existing)
            if tagged(&existing.tags) && existing.trust_policy == Starter::trust_policy() =>
        {
            existing.arn
        }
        Some(_) => {
            return Err(AwsError::Service {
                action: "iam:CreateRole".into(),
                code: "EntityAlreadyExists".into(),
                message: format!(
                    "a role named {role_name} exists and is not this tool's starter function role"
                ),
            });
        }
        None => {
            report(Progress::Note(format!(
                "Creating the starter function's execution role {role_name}"
            )));
            roles
                .create_role(&RoleCreate {
                    name: role_name.clone(),
                    path: "/".into(),
                    description: format!(
                        "Execution role of the starter function {} for Segment events (segment-aws-setup): its own logs only",
                        starter.name
                    ),
                    trust_policy: Starter::trust_policy().to_string(),
                    tags: ours(),
                })
                .await?
        }
    };
    roles
        .put_role_policy(
            &role_name,
            starter::EXECUTION_POLICY_NAME,
            &starter.execution_policy().to_string(),
        )
        .await?;
    if functions.function_tags(&starter.name).await?.is_some() {
        return Ok(());
    }
    report(Progress::Note(format!(
        "Creating the starter function {} ({})",
        starter.name, starter.spec.runtime
    )));
    let request = FunctionCreate {
        name: starter.name.clone(),
        description: "Starter function for Segment events (segment-aws-setup): logs each event; replace its code with yours".into(),
        runtime: starter.spec.runtime.clone(),
        handler: starter::HANDLER.into(),
        role_arn,
        code_zip: code_zip(&starter.code)?,
        timeout_seconds: starter::TIMEOUT_SECONDS,
        memory_mb: starter::MEMORY_MB,
        environment: starter.environment(),
        tags: ours(),
    };
    // A role made seconds ago may not have reached Lambda: asked again for up to half a minute.
    (|| functions.create_function(&request))
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_secs(1))
                .with_max_delay(Duration::from_secs(8))
                .with_max_times(6),
        )
        .when(role_not_ready)
        .await?;
    Ok(())
}

/// Removes the starter function `name` and its execution role, each only when it carries our
/// tag (the role also only when Lambda alone may assume it); what is gone already is fine.
pub async fn remove_starter(
    roles: &dyn Roles,
    functions: &dyn Functions,
    name: &str,
) -> Result<(), AwsError> {
    if let Some(tags) = functions.function_tags(name).await?
        && tagged(&tags)
    {
        match functions.delete_function(name).await {
            Err(error) if !error.is_not_found() => return Err(error),
            _ => {}
        }
    }
    let role_name = starter::execution_role_name(name);
    if let Some(role) = roles.get_role(&role_name).await?
        && tagged(&role.tags)
        && role.trust_policy == Starter::trust_policy()
    {
        remove_role(roles, &role_name).await?;
    }
    Ok(())
}

/// What removing a starter function deletes, for a confirmation: the function and its role,
/// those of them that exist and are ours.
pub async fn starter_parts(
    roles: &dyn Roles,
    functions: &dyn Functions,
    name: &str,
) -> Result<Vec<String>, AwsError> {
    let mut parts = Vec::new();
    if functions
        .function_tags(name)
        .await?
        .is_some_and(|tags| tagged(&tags))
    {
        parts.push(format!("the starter function {name}"));
    }
    let role_name = starter::execution_role_name(name);
    if roles
        .get_role(&role_name)
        .await?
        .is_some_and(|r| tagged(&r.tags) && r.trust_policy == Starter::trust_policy())
    {
        parts.push(format!("its execution role {role_name}"));
    }
    Ok(parts)
}

/// The starter function a role names by its tag.
pub fn starter_of(role: &crate::aws::RoleInfo) -> Option<String> {
    role.tags
        .iter()
        .find(|(key, _)| key == STARTER_TAG)
        .map(|(_, value)| value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_one_file_in_a_zip() {
        let zip = code_zip("def handler(event, context):\n    return {}\n").expect("a zip");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("readable");
        assert_eq!(archive.len(), 1);
        let mut file = archive.by_name(starter::CODE_FILE).expect("index.py");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).expect("UTF-8");
        assert!(text.starts_with("def handler"));
    }
}
