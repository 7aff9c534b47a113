//! The tests of a setup's change: the truth reconciled, the IDs chosen, the records, the sequences.

use super::single::*;
use crate::engine::saving::{Method, SavedSetup};
use crate::model::plan::{Plan, PlanRequest};
use crate::model::rotation::*;
use proptest::prelude::*;

fn record(current: &[&str], pending: &[&str], retiring: &[&str]) -> SavedSetup {
    let strings = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    SavedSetup {
        integration: "destination-function".into(),
        method: Method::Iam,
        stack_name: None,
        role_name: Some("r".into()),
        region: None,
        profile: None,
        account: "123456789012".into(),
        external_ids: strings(current),
        settings: Vec::new(),
        policy_name: None,
        permission_policy: None,
        finished: true,
        role_arn: None,
        saved_at: 0,
        preset: None,
        lambda_arns: Vec::new(),
        stack_set: None,
        pending_external_ids: strings(pending),
        rotation_started_at: None,
        retiring_external_ids: strings(retiring),
        inputs: Default::default(),
        role_path: None,
        starter_function: None,
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_state_a_rotation_leaves_agrees_with_its_record() {
    // Phase 1 saved, role not yet changed; and changed.
    let phase1 = record(&["old"], &["new"], &[]);
    for accepted in [ids(&["old"]), ids(&["old", "new"])] {
        assert_eq!(
            reconcile(Some(&phase1), &accepted, true),
            Truth::Agreed {
                current: ids(&["old"]),
                pending: ids(&["new"])
            }
        );
    }
    // Phase 2 saved (old retiring), role not yet changed; and changed.
    let phase2 = record(&["new"], &[], &["old"]);
    for accepted in [ids(&["old", "new"]), ids(&["new"])] {
        assert_eq!(
            reconcile(Some(&phase2), &accepted, true),
            Truth::Agreed {
                current: ids(&["new"]),
                pending: vec![]
            }
        );
    }
    // Phase 2 reached the role, the record is phase 1's.
    assert_eq!(
        reconcile(Some(&phase1), &ids(&["new"]), true),
        Truth::Agreed {
            current: ids(&["new"]),
            pending: vec![]
        }
    );
}

#[test]
fn a_stale_record_is_not_believed_over_the_role() {
    // The leaked ID saved; the role was rotated elsewhere.
    let stale = record(&["leaked"], &[], &[]);
    assert_eq!(
        reconcile(Some(&stale), &ids(&["fresh"]), true),
        Truth::Differ {
            saved: ids(&["leaked"]),
            in_aws: ids(&["fresh"])
        }
    );
    // The role accepts nothing keepable now.
    assert!(matches!(
        reconcile(Some(&stale), &[], true),
        Truth::Differ { .. }
    ));
    // Keeping what differs needs the user.
    assert!(
        choose(
            &reconcile(Some(&stale), &ids(&["fresh"]), true),
            &IdChange::Keep
        )
        .is_err()
    );
}

#[test]
fn found_setups_say_what_can_be_known() {
    assert_eq!(reconcile(None, &[], true), Truth::Unknown);
    assert_eq!(
        reconcile(None, &ids(&["a", "b"]), true),
        Truth::Ambiguous {
            in_aws: ids(&["a", "b"])
        }
    );
    // Workspace and source IDs: several is normal.
    assert_eq!(
        reconcile(None, &ids(&["ws", "src"]), false),
        Truth::Agreed {
            current: ids(&["ws", "src"]),
            pending: vec![]
        }
    );
    let ambiguous = reconcile(None, &ids(&["a", "b"]), true);
    assert_eq!(
        choose(&ambiguous, &IdChange::Keep),
        Ok(ChosenIds {
            current: ids(&["a"]),
            next: ids(&["b"])
        })
    );
    let three = reconcile(None, &ids(&["a", "b", "c"]), true);
    assert!(choose(&three, &IdChange::Keep).is_err());
    assert!(choose(&ambiguous, &IdChange::Rotate("n".into())).is_err());
    assert!(choose(&ambiguous, &IdChange::Finish).is_err());
}

#[test]
fn rotating_twice_keeps_the_first_new_id_and_finishing_keeps_only_it() {
    let under_way = Truth::Agreed {
        current: ids(&["old"]),
        pending: ids(&["new"]),
    };
    assert_eq!(
        choose(&under_way, &IdChange::Rotate("third".into())),
        Ok(ChosenIds {
            current: ids(&["old"]),
            next: ids(&["new"])
        })
    );
    assert_eq!(
        choose(&under_way, &IdChange::Finish),
        Ok(ChosenIds {
            current: ids(&["new"]),
            next: vec![]
        })
    );
    assert_eq!(
        choose(&under_way, &IdChange::Keep),
        Ok(ChosenIds {
            current: ids(&["old"]),
            next: ids(&["new"])
        })
    );
}

fn plan_with(current: &[&str], next: &[&str]) -> Plan {
    try_plan(current, next).expect("plan")
}

fn try_plan(current: &[&str], next: &[&str]) -> Result<Plan, crate::model::validate::InputError> {
    let request = PlanRequest {
        integration: "destination-function".into(),
        external_ids: ids(current),
        next_external_ids: ids(next),
        role_name: Some("r".into()),
        bucket: Some("events-bucket".into()),
        bucket_region: Some("us-west-2".into()),
        existing_role: true,
        generated_external_id: true,
        account: Some("123456789012".into()),
        ..PlanRequest::default()
    };
    Plan::build(crate::model::catalog::Catalog::builtin(), &request)
}

const OLD: &str = "old-external-id-0123456789abcdef0123";
const NEW: &str = "new-external-id-0123456789abcdef0123";

#[test]
fn the_record_saved_first_names_every_id_the_role_accepts_at_any_point() {
    let place = Where {
        account: "123456789012",
        region: None,
        profile: None,
    };
    // Phase 2: the old ID is retiring until the role no longer accepts it.
    let plan = plan_with(&[NEW], &[]);
    let old = record(&[OLD], &[NEW], &[]);
    let r = records(
        &plan,
        Method::Iam,
        place,
        Some(&old),
        &ids(&[OLD, NEW]),
        "arn:aws:iam::123456789012:role/r",
        7,
    );
    assert_eq!(r.before.all_external_ids(), ids(&[NEW, OLD]));
    assert_eq!(r.after.all_external_ids(), ids(&[NEW]));
    assert!(r.before.check().is_ok() && r.after.check().is_ok());
    // Phase 1 begins now, and a re-run keeps when it began.
    let plan = plan_with(&[OLD], &[NEW]);
    let first = records(&plan, Method::Iam, place, None, &ids(&[OLD]), "arn", 7);
    assert_eq!(first.after.rotation_started_at, Some(7));
    let again = records(
        &plan,
        Method::Iam,
        place,
        Some(&first.after),
        &ids(&[OLD, NEW]),
        "arn",
        99,
    );
    assert_eq!(again.after.rotation_started_at, Some(7));
}

proptest! {
    /// Whatever the role accepts and whatever the record holds, a record saved before a
    /// change holds every ID the role accepts before it and after it.
    #[test]
    fn no_accepted_id_is_ever_unsaved(
        accepted in proptest::sample::subsequence(vec![OLD, NEW, "third-external-id-0123456789abcdef"], 0..=3),
        rotate in any::<bool>(),
    ) {
        let accepted = ids(&accepted);
        let truth = reconcile(None, &accepted, true);
        let change = if rotate { IdChange::Rotate(NEW.into()) } else { IdChange::Keep };
        if let Ok(chosen) = choose(&truth, &change) {
            let current: Vec<&str> = chosen.current.iter().map(String::as_str).collect();
            let next: Vec<&str> = chosen.next.iter().map(String::as_str).collect();
            // A new ID the role accepts already is refused by the plan, as it should be.
            prop_assume!(next.iter().all(|n| !current.contains(n)));
            let plan = plan_with(&current, &next);
            let place = Where { account: "123456789012", region: None, profile: None };
            let r = records(&plan, Method::Iam, place, None, &accepted, "arn", 1);
            let saved = r.before.all_external_ids();
            for id in accepted.iter().chain(&plan.accepted_external_ids()) {
                prop_assert!(saved.contains(id));
            }
        }
    }
}
