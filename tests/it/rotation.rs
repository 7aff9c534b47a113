//! Day-2 changes on the scripted fakes, where moto can't show them: a rotation through
//! CloudFormation (moto does not change a stack's role when a parameter changes), an update that
//! rolls back, and a change killed at every point of its sequence.

use crate::support::temp_dir;
use segment_aws_setup::aws::fake::{FAKE_ACCOUNT, MemoryRoles, Script, ScriptedStacks};
use segment_aws_setup::aws::{Roles, Stacks};
use segment_aws_setup::engine::saving::{Method, SavedSetup, StateStore};
use segment_aws_setup::engine::update::{self, IdChange};
use segment_aws_setup::engine::{self, Created, EngineError, WatchOptions};
use segment_aws_setup::model::plan::PlanRequest;
use segment_aws_setup::{Catalog, Plan};
use std::collections::BTreeSet;

const INTEGRATION: &str = "destination-function";

fn request(method: Method, name: &str) -> PlanRequest {
    request_for(method, name, "events-bucket")
}

fn request_for(method: Method, name: &str, bucket: &str) -> PlanRequest {
    PlanRequest {
        integration: INTEGRATION.into(),
        bucket: Some(bucket.into()),
        bucket_region: Some("us-west-2".into()),
        stack_name: (method == Method::Cloudformation).then(|| name.to_string()),
        role_name: (method == Method::Iam).then(|| name.to_string()),
        account: Some(FAKE_ACCOUNT.into()),
        ..PlanRequest::default()
    }
}

/// Makes the setup as `create` does, saved and finished; returns its first external ID.
async fn made(
    stacks: &ScriptedStacks,
    roles: &MemoryRoles,
    store: &StateStore,
    method: Method,
    name: &str,
) -> String {
    let plan = Plan::build(Catalog::builtin(), &request(method, name)).expect("plan");
    let saved = SavedSetup::new(&plan, method, FAKE_ACCOUNT, None, None);
    segment_aws_setup::engine::resume::create(
        stacks,
        roles,
        &segment_aws_setup::aws::fake::MemoryFunctions::default(),
        Some(store),
        &plan,
        &saved,
        false,
        "/",
        &WatchOptions::default(),
        &mut |_| false,
        &mut |_| {},
    )
    .await
    .expect("created");
    plan.external_ids[0].clone()
}

/// One change, as every face runs it: prepared (nothing asked: a difference is refused) and
/// applied with its records.
async fn change_once(
    stacks: &ScriptedStacks,
    roles: &MemoryRoles,
    store: &StateStore,
    method: Method,
    name: &str,
    id_change: IdChange,
) -> Result<(Created, Plan), EngineError> {
    change_to(
        stacks,
        roles,
        store,
        method,
        name,
        "events-bucket",
        id_change,
    )
    .await
}

/// [`change_once`], with the permissions for another bucket.
async fn change_to(
    stacks: &ScriptedStacks,
    roles: &MemoryRoles,
    store: &StateStore,
    method: Method,
    name: &str,
    bucket: &str,
    id_change: IdChange,
) -> Result<(Created, Plan), EngineError> {
    let integration = Catalog::builtin()
        .integration(INTEGRATION)
        .expect("integration");
    let record = match method {
        Method::Cloudformation => store.find_stack(name),
        Method::Iam => store.find_role(name),
    };
    let asked = update::Asked {
        integration,
        method,
        name: name.to_string(),
        request: request_for(method, name, bucket),
        given: Vec::new(),
        id_change,
        record,
        account: FAKE_ACCOUNT.into(),
        region: None,
        profile: None,
        keep_what_role_accepts: false,
    };
    let options = WatchOptions::default();
    let prepared = update::prepare(stacks, roles, asked, &options, &mut |_| {}).await?;
    let created = update::apply(
        stacks,
        roles,
        Some(store),
        &prepared.plan,
        &prepared.preview,
        &prepared.records,
        &options,
        &mut |_| {},
    )
    .await?;
    Ok((created, prepared.plan))
}

/// The IDs the role accepts now, by the evaluator.
async fn accepted(roles: &MemoryRoles, role: &str) -> BTreeSet<String> {
    let integration = Catalog::builtin()
        .integration(INTEGRATION)
        .expect("integration");
    let info = roles.get_role(role).await.expect("read").expect("role");
    let (kept, dropped) = engine::keepable_external_ids(integration, &info);
    kept.into_iter()
        .chain(dropped.into_iter().map(|(id, _)| id))
        .collect()
}

fn saved_ids(store: &StateStore, method: Method, name: &str) -> BTreeSet<String> {
    match method {
        Method::Cloudformation => store.find_stack(name),
        Method::Iam => store.find_role(name),
    }
    .map(|s| s.all_external_ids().into_iter().collect())
    .unwrap_or_default()
}

async fn stack_role(stacks: &ScriptedStacks, stack: &str) -> String {
    let info = stacks
        .describe_stack(stack)
        .await
        .expect("read")
        .expect("stack");
    engine::role_name_of(info.output("RoleArn").expect("output")).to_string()
}

#[tokio::test(start_paused = true)]
async fn a_rotation_through_cloudformation_accepts_both_ids_then_only_the_new_one() {
    let stacks = ScriptedStacks::new(Script::success(4.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let store = StateStore::owned_at(temp_dir("rotation-cfn"));
    let stack = "segment-rotation";
    let old = made(&stacks, &roles, &store, Method::Cloudformation, stack).await;
    let role = stack_role(&stacks, stack).await;
    assert_eq!(accepted(&roles, &role).await, BTreeSet::from([old.clone()]));

    let new = segment_aws_setup::model::external_id::generate(40);
    let (_, plan) = change_once(
        &stacks,
        &roles,
        &store,
        Method::Cloudformation,
        stack,
        IdChange::Rotate(new.clone()),
    )
    .await
    .expect("phase 1");
    // The new ID goes in the NoEcho parameter, never in the template.
    assert!(!plan.template.to_string().contains(&new));
    assert_eq!(plan.external_id(), new, "Segment's setting gets the new ID");
    assert_eq!(
        accepted(&roles, &role).await,
        BTreeSet::from([old.clone(), new.clone()]),
        "Segment works with either while the new one is pasted"
    );
    let record = store.find_stack(stack).expect("saved");
    assert_eq!(record.external_ids, vec![old.clone()]);
    assert_eq!(record.pending_external_ids, vec![new.clone()]);
    assert!(record.rotation_started_at.is_some());

    change_once(
        &stacks,
        &roles,
        &store,
        Method::Cloudformation,
        stack,
        IdChange::Finish,
    )
    .await
    .expect("phase 2");
    assert_eq!(accepted(&roles, &role).await, BTreeSet::from([new.clone()]));
    let record = store.find_stack(stack).expect("saved");
    assert_eq!(record.all_external_ids(), vec![new]);
    assert_eq!(record.rotation_started_at, None);
    let _ = std::fs::remove_dir_all(store.dir());
}

#[tokio::test(start_paused = true)]
async fn an_update_that_rolls_back_says_why_and_leaves_every_accepted_id_saved() {
    let stacks = ScriptedStacks::new(Script::success(4.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let store = StateStore::owned_at(temp_dir("rotation-rollback"));
    let stack = "segment-rollback";
    let old = made(&stacks, &roles, &store, Method::Cloudformation, stack).await;
    let role = stack_role(&stacks, stack).await;
    let reason = "Resource handler returned message: \"User is not authorized to perform: iam:UpdateAssumeRolePolicy\"";
    stacks.fail_next_update(reason);
    let new = segment_aws_setup::model::external_id::generate(40);
    let failed = change_once(
        &stacks,
        &roles,
        &store,
        Method::Cloudformation,
        stack,
        IdChange::Rotate(new.clone()),
    )
    .await
    .map(|_| ())
    .expect_err("rolled back");
    let EngineError::StackFailed {
        status, reasons, ..
    } = &failed
    else {
        panic!("{failed:?}");
    };
    assert_eq!(status, "UPDATE_ROLLBACK_COMPLETE");
    assert!(reasons.iter().any(|r| r.contains(reason)), "{reasons:?}");
    let hint = engine::after_failure(stack, status, &engine::Context::default());
    assert!(
        hint.contains("as they were") && !hint.contains("segment-aws-setup delete"),
        "the stack is as it was: {hint}"
    );
    // As it was: the old ID only, and it is saved; the rotation's new one too.
    assert_eq!(accepted(&roles, &role).await, BTreeSet::from([old.clone()]));
    let saved = saved_ids(&store, Method::Cloudformation, stack);
    assert!(saved.contains(&old) && saved.contains(&new), "{saved:?}");
    // Run again, it finishes, with the same new ID.
    let (_, plan) = change_once(
        &stacks,
        &roles,
        &store,
        Method::Cloudformation,
        stack,
        IdChange::Rotate(segment_aws_setup::model::external_id::generate(40)),
    )
    .await
    .expect("phase 1 again");
    assert_eq!(plan.external_id(), new);
    assert_eq!(accepted(&roles, &role).await, BTreeSet::from([old, new]));
    let _ = std::fs::remove_dir_all(store.dir());
}

#[tokio::test]
async fn killed_at_every_point_of_a_rotation_the_role_accepts_only_saved_ids_and_a_rerun_finishes()
{
    for phase in ["rotate", "finish", "rebucket"] {
        for lives in 0..3 {
            let stacks = ScriptedStacks::new(Script::success(1.0));
            let roles = MemoryRoles::default();
            let store = StateStore::owned_at(temp_dir("rotation-kill"));
            let role = format!("segment-kill-{phase}-{lives}");
            let old = made(&stacks, &roles, &store, Method::Iam, &role).await;
            let new = segment_aws_setup::model::external_id::generate(40);
            let id_change = match phase {
                "rotate" => IdChange::Rotate(new.clone()),
                "finish" => {
                    change_once(
                        &stacks,
                        &roles,
                        &store,
                        Method::Iam,
                        &role,
                        IdChange::Rotate(new.clone()),
                    )
                    .await
                    .expect("phase 1");
                    IdChange::Finish
                }
                _ => IdChange::Keep,
            };
            roles.die_after(Some(lives));
            let bucket = if phase == "rebucket" {
                "other-bucket"
            } else {
                "events-bucket"
            };
            let killed = change_to(
                &stacks,
                &roles,
                &store,
                Method::Iam,
                &role,
                bucket,
                id_change.clone(),
            )
            .await
            .map(|_| ());
            if lives == 0 {
                assert!(killed.is_err(), "{phase}: killed at its first change");
            }
            roles.die_after(None);
            let now = accepted(&roles, &role).await;
            let saved = saved_ids(&store, Method::Iam, &role);
            assert!(
                now.is_subset(&saved),
                "{phase}, killed after {lives} change(s) ({killed:?}): the role accepts {now:?}, saved {saved:?}"
            );
            change_to(
                &stacks,
                &roles,
                &store,
                Method::Iam,
                &role,
                bucket,
                id_change,
            )
            .await
            .unwrap_or_else(|e| panic!("{phase} after {lives}: the re-run failed: {e}"));
            let expected = match phase {
                "rotate" => BTreeSet::from([old.clone(), new.clone()]),
                "finish" => BTreeSet::from([new.clone()]),
                _ => BTreeSet::from([old.clone()]),
            };
            assert_eq!(accepted(&roles, &role).await, expected, "{phase} {lives}");
            assert_eq!(saved_ids(&store, Method::Iam, &role), expected);
            let _ = std::fs::remove_dir_all(store.dir());
        }
    }
}

#[tokio::test]
async fn a_change_that_cant_be_saved_first_changes_nothing() {
    let stacks = ScriptedStacks::new(Script::success(1.0));
    let roles = MemoryRoles::default();
    let dir = temp_dir("rotation-unsaved");
    let store = StateStore::owned_at(&dir);
    let role = "segment-unsaved";
    let old = made(&stacks, &roles, &store, Method::Iam, role).await;
    let before = roles.snapshot(role);
    // The state directory can't be written any more (here: a file stands where it was, which
    // stops root too).
    std::fs::remove_dir_all(&dir).expect("removed");
    std::fs::write(&dir, b"not a directory").expect("a file in its place");
    let result = change_once(
        &stacks,
        &roles,
        &store,
        Method::Iam,
        role,
        IdChange::Rotate(segment_aws_setup::model::external_id::generate(40)),
    )
    .await
    .map(|_| ());
    assert!(
        matches!(result, Err(EngineError::NotSaved(_))),
        "{result:?}"
    );
    assert_eq!(roles.snapshot(role), before, "nothing changed");
    assert_eq!(accepted(&roles, role).await, BTreeSet::from([old]));
    let _ = std::fs::remove_file(&dir);
}

/// Through CloudFormation, a run that stops watching mid-update (Ctrl-C, a lost session, a
/// dead laptop) leaves the record saved before the change: while the stack updates and after,
/// every ID its role accepts is saved; the same command again finishes the rotation.
#[tokio::test(start_paused = true)]
async fn a_cloudformation_rotation_cut_off_mid_update_is_finished_by_the_same_command() {
    let stacks = ScriptedStacks::new(Script::success(4.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let store = StateStore::owned_at(temp_dir("rotation-cut"));
    let stack = "segment-rotation-cut";
    let old = made(&stacks, &roles, &store, Method::Cloudformation, stack).await;
    let role = stack_role(&stacks, stack).await;
    let new = segment_aws_setup::model::external_id::generate(40);
    let integration = Catalog::builtin()
        .integration(INTEGRATION)
        .expect("integration");
    let asked = |record| update::Asked {
        integration,
        method: Method::Cloudformation,
        name: stack.into(),
        request: request(Method::Cloudformation, stack),
        given: Vec::new(),
        id_change: IdChange::Rotate(new.clone()),
        record,
        account: FAKE_ACCOUNT.into(),
        region: None,
        profile: None,
        keep_what_role_accepts: false,
    };
    let short = WatchOptions {
        timeout: std::time::Duration::from_secs(1),
        ..WatchOptions::default()
    };
    let prepared = update::prepare(
        &stacks,
        &roles,
        asked(store.find_stack(stack)),
        &short,
        &mut |_| {},
    )
    .await
    .expect("prepared");
    let cut = update::apply(
        &stacks,
        &roles,
        Some(&store),
        &prepared.plan,
        &prepared.preview,
        &prepared.records,
        &short,
        &mut |_| {},
    )
    .await
    .map(|_| ());
    assert!(matches!(cut, Err(EngineError::TimedOut { .. })), "{cut:?}");
    let saved = saved_ids(&store, Method::Cloudformation, stack);
    assert!(accepted(&roles, &role).await.is_subset(&saved));
    // The stack goes on in AWS and completes; the role then accepts both, both saved.
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    let _ = stacks.describe_stack(stack).await;
    let now = accepted(&roles, &role).await;
    assert_eq!(now, BTreeSet::from([old.clone(), new.clone()]));
    assert!(now.is_subset(&saved_ids(&store, Method::Cloudformation, stack)));
    // The same command again: nothing left to change, the record finished with the same new ID.
    let (_, plan) = change_once(
        &stacks,
        &roles,
        &store,
        Method::Cloudformation,
        stack,
        IdChange::Rotate(segment_aws_setup::model::external_id::generate(40)),
    )
    .await
    .expect("finished");
    assert_eq!(plan.external_id(), new);
    let record = store.find_stack(stack).expect("saved");
    assert_eq!(record.pending_external_ids, vec![new]);
    assert!(record.retiring_external_ids.is_empty());
    let _ = std::fs::remove_dir_all(store.dir());
}

/// A writer the test reads back: plain mode's transcript.
#[derive(Clone, Default)]
struct Transcript(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Transcript {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut all) = self.0.lock() {
            all.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Plain mode on another machine, a rotation under way on the role (two IDs, no record here):
/// kept, both stay; finished, the user says which ID Segment has and only that one stays.
#[tokio::test]
async fn plain_mode_finishes_a_rotation_begun_on_another_machine() {
    use segment_aws_setup::aws::fake::{FakeIdentity, FakeResources, ScriptedStackSets};
    use segment_aws_setup::aws::{Connect, Connection};
    let stacks = std::sync::Arc::new(ScriptedStacks::new(Script::success(1.0)));
    let roles = std::sync::Arc::new(MemoryRoles::default());
    let elsewhere = StateStore::owned_at(temp_dir("rotation-elsewhere"));
    let role = "segment-rotated-elsewhere";
    let old = made(&stacks, &roles, &elsewhere, Method::Iam, role).await;
    let new = segment_aws_setup::model::external_id::generate(40);
    change_once(
        &stacks,
        &roles,
        &elsewhere,
        Method::Iam,
        role,
        IdChange::Rotate(new.clone()),
    )
    .await
    .expect("phase 1, on the other machine");
    let (s, r) = (stacks.clone(), roles.clone());
    let connect: Connect = std::sync::Arc::new(move |_profile, _region| {
        let (stacks, roles) = (s.clone(), r.clone());
        Box::pin(async move {
            Ok(Connection {
                identity: std::sync::Arc::new(FakeIdentity),
                stacks,
                roles,
                functions: std::sync::Arc::new(
                    segment_aws_setup::aws::fake::MemoryFunctions::default(),
                ),
                resources: std::sync::Arc::new(FakeResources::default()),
                stack_sets: std::sync::Arc::new(ScriptedStackSets::new(
                    std::time::Duration::from_secs(1),
                    std::time::Duration::from_secs(1),
                )),
                region: "us-east-1".into(),
                profile: None,
            })
        })
    });
    let here_dir = temp_dir("rotation-here");
    let here = StateStore::owned_at(&here_dir);
    let transcript = Transcript::default();
    // Change setup 1, finish, the second ID is Segment's, the bucket and its region, apply.
    let answers = "1\nfinish\n2\n\nevents-bucket\nus-west-2\ny\n";
    let result = segment_aws_setup::ui::plain::run(
        connect,
        Some(StateStore::owned_at(&here_dir)),
        segment_aws_setup::ui::plain::Options {
            profile: None,
            region: None,
            demo: false,
            saved: Vec::new(),
            finished: Vec::new(),
            state_problems: Vec::new(),
        },
        Box::new(std::io::Cursor::new(answers.as_bytes().to_vec())),
        Box::new(transcript.clone()),
    )
    .await;
    let text = String::from_utf8_lossy(&transcript.0.lock().expect("transcript")).into_owned();
    assert!(result.is_ok(), "{result:?}\n{text}");
    assert!(
        text.contains("a rotation is under way (made elsewhere)"),
        "{text}"
    );
    assert!(
        !text.contains(&old),
        "the old ID is never shown whole: {text}"
    );
    assert_eq!(
        accepted(&roles, role).await,
        BTreeSet::from([new.clone()]),
        "{text}"
    );
    assert_eq!(saved_ids(&here, Method::Iam, role), BTreeSet::from([new]));
    let _ = std::fs::remove_dir_all(elsewhere.dir());
    let _ = std::fs::remove_dir_all(here.dir());
}

/// A record on this machine that names another ID than the role accepts: the face that can't
/// ask gets the difference back, a no changes nothing, a yes keeps what the role accepts. The
/// same sequence for the command line and plain mode (`update::prepare_asking`).
#[tokio::test(start_paused = true)]
async fn a_difference_of_ids_is_asked_about_once_and_a_yes_keeps_what_the_role_accepts() {
    let stacks = ScriptedStacks::new(Script::success(4.0));
    let roles = MemoryRoles::default();
    stacks.make_roles_in(roles.clone());
    let store = StateStore::owned_at(temp_dir("rotation-differ"));
    let role = "segment-differ";
    let in_role = made(&stacks, &roles, &store, Method::Iam, role).await;
    let mut stale = store.find_role(role).expect("saved");
    let elsewhere = segment_aws_setup::model::external_id::generate(40);
    stale.external_ids = vec![elsewhere.clone()];
    store.save(&stale).expect("saved again");

    let integration = Catalog::builtin()
        .integration(INTEGRATION)
        .expect("integration");
    let asked = update::Asked {
        integration,
        method: Method::Iam,
        name: role.to_string(),
        request: request(Method::Iam, role),
        given: Vec::new(),
        id_change: IdChange::Keep,
        record: store.find_role(role),
        account: FAKE_ACCOUNT.into(),
        region: None,
        profile: None,
        keep_what_role_accepts: false,
    };
    let options = WatchOptions::default();
    let prepare = |can_ask: bool, answer: bool| {
        let asked = asked.clone();
        let (stacks, roles, options) = (&stacks, &roles, &options);
        async move {
            let mut questions = Vec::new();
            let mut notes = Vec::new();
            let result = update::prepare_asking(
                stacks,
                roles,
                asked,
                options,
                can_ask,
                &mut |question| {
                    questions.push(question.clone());
                    answer
                },
                &mut |progress| {
                    if let engine::Progress::Note(note) = progress {
                        notes.push(note);
                    }
                },
            )
            .await;
            (result, questions, notes)
        }
    };

    let (result, questions, _) = prepare(false, true).await;
    assert!(
        matches!(result, Err(EngineError::IdsDiffer { .. })),
        "{result:?}"
    );
    assert!(
        questions.is_empty(),
        "nothing is asked where nobody can answer"
    );

    let (result, questions, notes) = prepare(true, false).await;
    assert!(
        matches!(result, Err(EngineError::Declined(_))),
        "{result:?}"
    );
    assert_eq!(questions, [engine::Question::KeepWhatRoleAccepts]);
    assert!(
        !notes.is_empty(),
        "the difference is said before the question"
    );
    for note in &notes {
        assert!(
            !note.contains(&in_role) && !note.contains(&elsewhere),
            "masked: {note}"
        );
    }

    let (result, questions, _) = prepare(true, true).await;
    let prepared = result.expect("prepared keeping what the role accepts");
    assert_eq!(questions.len(), 1);
    assert_eq!(prepared.plan.external_ids, vec![in_role.clone()]);
    assert_eq!(
        accepted(&roles, role).await,
        BTreeSet::from([in_role]),
        "preparing changes nothing"
    );
}
