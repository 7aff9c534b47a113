//! The judge's tests: every probe, every repair, both sides.

use super::permissions::*;
use super::repair::*;
use super::subject::*;
use super::trust::*;
use crate::model::catalog::Catalog;
use crate::model::iam_eval::Decision;
use crate::model::policy;
use serde_json::json;

const ID: &str = "an-external-id-that-is-long-enough-123";
const ROLE: &str = "arn:aws:iam::123456789012:role/segment";

fn subject(integration: &str, ids: &[&str]) -> Subject {
    let integration = Catalog::builtin().integration(integration).expect("known");
    Subject::new(
        integration,
        ids.iter().map(|s| s.to_string()).collect(),
        ROLE,
        1_795_000_000,
    )
}

fn answers(judgement: &Judgement) -> Vec<(ProbeKind, Option<Decision>)> {
    judgement
        .probes
        .iter()
        .map(|p| (p.kind, p.answer))
        .collect()
}

#[test]
fn the_documented_policy_holds_for_every_integration() {
    for (integration, id) in [
        ("destination-function", ID),
        ("source-function", ID),
        ("lambda-destination", "wXZ2sd8N3mJ"),
    ] {
        let subject = subject(integration, &[id]);
        let document = policy::trust_policy(&subject.principal, &subject.external_ids);
        let judgement = judge(&document, &subject);
        assert!(judgement.holds(), "{integration}: {:?}", judgement.lines());
        assert!(judgement.warnings.is_empty());
        assert_eq!(repair(&document, &subject, &[]), RepairPlan::NotNeeded);
    }
}

#[test]
fn no_condition_is_the_confused_deputy_and_the_repair_replaces_it() {
    let subject = subject("destination-function", &[ID]);
    let document = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Segment", "Effect": "Allow", "Principal": {"AWS": subject.principal}, "Action": "sts:AssumeRole"}
    ]});
    let judgement = judge(&document, &subject);
    assert!(judgement.confused_deputy_risk());
    let failing: Vec<ProbeKind> = judgement.failing().map(|p| p.kind).collect();
    assert_eq!(
        failing,
        [ProbeKind::SegmentWithoutId, ProbeKind::SegmentOtherId]
    );
    let why = &judgement.probes[1].why[0];
    assert!(
        why.starts_with(
            "statement 1 (\"Segment\") lets Segment's principal with no external ID assume the role"
        ),
        "{why}"
    );
    assert!(why.contains("no sts:ExternalId condition"), "{why}");
    let RepairPlan::Proposed {
        document: fixed,
        after,
        ..
    } = repair(&document, &subject, &[])
    else {
        panic!("a repair");
    };
    assert!(after.holds());
    assert_eq!(
        fixed,
        policy::trust_policy(&subject.principal, &[ID.into()])
    );
}

#[test]
fn only_the_offending_principal_is_removed_from_a_list() {
    let subject = subject("lambda-destination", &["wXZ2sd8N3mJ"]);
    let document = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [subject.principal, "arn:aws:iam::999999999999:root", "arn:aws:iam::123456789012:root"]},
         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}}}
    ]});
    let judgement = judge(&document, &subject);
    assert_eq!(
        judgement.failing().map(|p| p.kind).collect::<Vec<_>>(),
        [ProbeKind::OtherAccount]
    );
    assert!(
        judgement.probes[4].why[0].contains("account 999999999999"),
        "{:?}",
        judgement.probes[4].why
    );
    let RepairPlan::Proposed {
        document: fixed, ..
    } = repair(&document, &subject, &[])
    else {
        panic!("a repair");
    };
    assert_eq!(
        fixed["Statement"][0]["Principal"]["AWS"],
        json!([subject.principal, "arn:aws:iam::123456789012:root"])
    );
    assert_eq!(fixed["Statement"].as_array().map(Vec::len), Some(1));
}

#[test]
fn segments_2019_template_trusts_the_whole_account() {
    let subject = subject("lambda-destination", &["wXZ2sd8N3mJ"]);
    let document = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::595280932656:root"},
         "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "wXZ2sd8N3mJ"}}}
    ]});
    let judgement = judge(&document, &subject);
    assert_eq!(
        judgement.failing().map(|p| p.kind).collect::<Vec<_>>(),
        [ProbeKind::SegmentAccountOther]
    );
    let RepairPlan::Proposed {
        document: fixed, ..
    } = repair(&document, &subject, &[])
    else {
        panic!("a repair");
    };
    assert_eq!(
        fixed,
        policy::trust_policy(&subject.principal, &["wXZ2sd8N3mJ".into()])
    );
}

#[test]
fn a_deny_that_blocks_segment_goes_only_when_confirmed() {
    let subject = subject("destination-function", &[ID]);
    let mut document = policy::trust_policy(&subject.principal, &[ID.into()]);
    document["Statement"].as_array_mut().expect("list").push(
        json!({"Sid": "Lockdown", "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}),
    );
    let judgement = judge(&document, &subject);
    assert_eq!(judgement.blocking_denies, [2]);
    assert!(
        judgement.probes[0].why[0]
            .starts_with("statement 2 (\"Lockdown\") denies Segment's principal"),
        "{:?}",
        judgement.probes[0].why
    );
    let RepairPlan::Refused {
        blocking_denies,
        reasons,
    } = repair(&document, &subject, &[])
    else {
        panic!("refused without confirmation");
    };
    assert_eq!(blocking_denies, [2]);
    assert!(reasons.iter().any(|r| r.contains("only when you confirm")));
    let RepairPlan::Proposed {
        document: fixed, ..
    } = repair(&document, &subject, &[2])
    else {
        panic!("a repair once confirmed");
    };
    assert_eq!(
        fixed,
        policy::trust_policy(&subject.principal, &[ID.into()])
    );
}

/// Extra IDs are judged: for a function, one anyone can guess (a published default such as
/// Segment's 2019 `external-id`, `*`, under 32 characters) is NOT OK, as is any other ID
/// outside a rotation; during one, a strong extra ID is a warning. A Deny-revoked ID, or
/// one on a statement not for sts:AssumeRole, is not accepted at all. For a workspace-ID
/// integration an extra ID must look like Segment's. --fix removes only the extra ID.
#[test]
fn extra_ids_are_judged_and_the_fix_removes_only_them() {
    let subject_f = subject("destination-function", &[ID]);
    let principal = subject_f.principal.clone();
    let rotated_out = "old-rotated-out-external-id-000000";
    for extra in ["external-id", "*", "short-but-random-Xy7", rotated_out] {
        let document = policy::trust_policy(&principal, &[ID.into(), extra.into()]);
        let judgement = judge(&document, &subject_f);
        assert!(!judgement.holds(), "{extra}: {:?}", judgement.lines());
        let probe = judgement
            .failing()
            .find(|p| p.kind == ProbeKind::SegmentExtraId)
            .unwrap_or_else(|| panic!("{extra}: an extra-ID probe"));
        assert!(probe.why[0].starts_with("statement 1"), "{:?}", probe.why);
        if extra == "external-id" || extra == "*" {
            assert!(
                probe.question.contains(&format!("{extra:?}")),
                "{}",
                probe.question
            );
        } else {
            assert!(
                !probe.question.contains(extra),
                "masked: {}",
                probe.question
            );
        }
        let RepairPlan::Proposed {
            document: fixed,
            changes,
            ..
        } = repair(&document, &subject_f, &[])
        else {
            panic!("{extra}: a repair");
        };
        assert_eq!(
            fixed,
            policy::trust_policy(&principal, &[ID.into()]),
            "{extra}"
        );
        assert!(
            changes[0].contains("stop accepting external ID"),
            "{changes:?}"
        );
    }
    // During a rotation the strong extra ID is expected: a warning naming how to finish it.
    let document = policy::trust_policy(&principal, &[ID.into(), rotated_out.into()]);
    let rotating = subject_f.clone().with_rotation(true);
    let judgement = judge(&document, &rotating);
    assert!(judgement.holds(), "{:?}", judgement.lines());
    assert!(
        judgement.warnings[0].contains("old-••••"),
        "masked: {}",
        judgement.warnings[0]
    );
    assert!(judgement.warnings[0].contains("--finish-rotation"));
    // ...but a guessable one fails even then.
    let document = policy::trust_policy(&principal, &[ID.into(), "external-id".into()]);
    assert!(!judge(&document, &rotating).holds());
    // A Deny that revokes the extra ID, or a statement that isn't for sts:AssumeRole: not
    // accepted, so nothing extra.
    let mut revoked = policy::trust_policy(&principal, &[ID.into(), rotated_out.into()]);
    revoked["Statement"]
        .as_array_mut()
        .expect("list")
        .push(json!({
            "Effect": "Deny", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": rotated_out}}
        }));
    assert_eq!(accepted_external_ids(&revoked, &subject_f), [ID]);
    let judged = judge(&revoked, &subject_f);
    assert!(judged.holds(), "{:#?}", judged.lines());
    let mut tagging = policy::trust_policy(&principal, &[ID.into()]);
    tagging["Statement"]
        .as_array_mut()
        .expect("list")
        .push(json!({
            "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:TagSession",
            "Condition": {"StringEquals": {"sts:ExternalId": rotated_out}}
        }));
    assert_eq!(accepted_external_ids(&tagging, &subject_f), [ID]);
    // The Lambda destination: other workspace IDs are listed; anything else fails.
    let subject_l = subject("lambda-destination", &["wXZ2sd8N3mJ"]);
    let document = policy::trust_policy(
        &subject_l.principal,
        &["wXZ2sd8N3mJ".into(), "otherWorkspace1".into()],
    );
    let judgement = judge(&document, &subject_l);
    assert!(judgement.holds());
    assert!(judgement.also_trusted[0].contains("otherWorkspace1"));
    for bad in ["external-id", "#SEGMENT_WORKSPACE_ID", "*"] {
        let document =
            policy::trust_policy(&subject_l.principal, &["wXZ2sd8N3mJ".into(), bad.into()]);
        assert!(!judge(&document, &subject_l).holds(), "{bad}");
    }
}

#[test]
fn services_and_the_customers_own_account_are_listed_not_judged() {
    let subject = subject("source-function", &[ID]);
    let mut document = policy::trust_policy(&subject.principal, &[ID.into()]);
    let list = document["Statement"].as_array_mut().expect("list");
    list.push(json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}));
    list.push(json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}));
    let judgement = judge(&document, &subject);
    assert!(judgement.holds(), "{:?}", judgement.lines());
    assert_eq!(judgement.also_trusted.len(), 2);
    assert!(judgement.also_trusted[0].contains("lambda.amazonaws.com"));
    assert!(judgement.also_trusted[1].contains("your own account 123456789012"));
    assert_eq!(
        answers(&judgement)[3],
        (ProbeKind::SegmentAccountOther, None)
    );
}

#[test]
fn permission_extras_are_flagged_beyond_a_preset() {
    let wanted = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}]});
    let admin = ManagedPolicy {
        name: "AdministratorAccess".into(),
        arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
        document: Some(
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        ),
    };
    let permissions = judge_permissions(
        Some(("segment-permissions", &wanted)),
        vec![("segment-permissions".into(), wanted.clone())],
        vec![admin.clone()],
    );
    assert!(!permissions.is_right());
    assert!(
        permissions
            .lines
            .iter()
            .any(|l| l.text.contains("AdministratorAccess"))
    );
    assert!(
        permissions
            .lines
            .iter()
            .any(|l| l.text.contains("every action"))
    );
    let listed = judge_permissions(None, Vec::new(), vec![admin]);
    assert!(listed.is_right(), "without a preset, extras are warnings");
    assert_eq!(listed.lines[0].mark, Mark::Warn);
}

#[test]
fn required_external_ids_are_those_listed_for_the_principal() {
    let principal = "arn:aws:iam::458175278816:root";
    let document = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": ["id-one", "id-two"]}}},
        {"Effect": "Allow", "Principal": {"AWS": ["458175278816"]}, "Action": "sts:AssumeRole",
         "Condition": {"StringLike": {"sts:ExternalId": ["id-one", "wild*"]}}},
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
         "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "someone-else"}}},
        {"Effect": "Deny", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "denied"}}}
    ]});
    assert_eq!(
        required_external_ids(&document, principal),
        ["id-one", "id-two"]
    );
    assert!(required_external_ids(&json!({}), principal).is_empty());
}
