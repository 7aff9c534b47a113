//! The demo account: the fakes wired together, with an organization to pick StackSet targets from.

use super::resources::*;
use super::roles::*;
use super::script::*;
use super::stack_sets::*;
use super::stacks::*;
use std::time::Duration;

/// The demo account: plainly fake (account 000000000000, nothing leaves the machine). A stack
/// takes about 20 s with its resources appearing one by one; a stack whose name contains
/// "rollback" fails and rolls back with its reasons; two roles are there to verify, one of them
/// trusting Segment with no external ID (the confused-deputy risk); the pickers list a few
/// buckets, functions, streams, delivery streams and keys (`FakeResources::demo`); and a small
/// organization for StackSets (`demo_organization`).
pub fn demo_connect() -> crate::aws::Connect {
    let stacks = std::sync::Arc::new(ScriptedStacks::new(Script::success(20.0)));
    stacks.script_when_named("rollback", Script::rollback(12.0));
    let roles = std::sync::Arc::new(MemoryRoles::default());
    stacks.make_roles_in(roles.as_ref().clone());
    let segment = |principal: &str| {
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        ]})
    };
    roles.insert(
        "legacy-segment-role",
        segment("arn:aws:iam::458175278816:root"),
        Vec::new(),
    );
    roles.insert(
        "lambda-execution-role",
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]}),
        Vec::new(),
    );
    roles.insert(
        crate::model::stackset::ADMINISTRATION_ROLE,
        serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]}),
        Vec::new(),
    );
    let resources: std::sync::Arc<dyn crate::aws::Resources> =
        std::sync::Arc::new(FakeResources::demo());
    let stack_sets: std::sync::Arc<dyn crate::aws::StackSets> =
        std::sync::Arc::new(demo_organization());
    let functions: std::sync::Arc<dyn crate::aws::Functions> =
        std::sync::Arc::new(super::functions::MemoryFunctions::default());
    std::sync::Arc::new(move |profile, _region| {
        let functions = functions.clone();
        let (stacks, roles, resources, stack_sets) = (
            stacks.clone(),
            roles.clone(),
            resources.clone(),
            stack_sets.clone(),
        );
        Box::pin(async move {
            Ok(crate::aws::Connection {
                identity: std::sync::Arc::new(FakeIdentity),
                stacks,
                roles,
                resources,
                stack_sets,
                functions: functions.clone(),
                region: "us-east-1".into(),
                profile,
            })
        })
    })
}

/// The demo account's organization: `ou-demo-development` holds accounts 000000000001 and
/// 000000000002, `ou-demo-production` holds 000000000003 and 000000000004 (plainly fake IDs). The
/// demo account itself (000000000000) is the management account, with AWS's StackSet
/// administration role. An instance takes 8 s, one starting every 1.5 s; account 000000000004
/// fails once (its execution role is missing), so a retry shows how failures are run again.
pub fn demo_organization() -> ScriptedStackSets {
    let sets = ScriptedStackSets::new(Duration::from_secs(8), Duration::from_millis(1500));
    sets.org_unit("ou-demo-development", &DEMO_ACCOUNTS[..2]);
    sets.org_unit("ou-demo-production", &DEMO_ACCOUNTS[2..]);
    sets.org_unit("r-demo", &DEMO_ACCOUNTS);
    sets.fail(
        DEMO_ACCOUNTS[3],
        &format!(
            "Account {} should have 'AWSCloudFormationStackSetExecutionRole' role with trust relationship to Role 'AWSCloudFormationStackSetAdministrationRole'.",
            DEMO_ACCOUNTS[3]
        ),
        false,
    );
    sets
}
