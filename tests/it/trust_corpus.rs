//! The trust-policy corpus (`tests/it/trust_corpus.json`): every principal form, wildcard,
//! condition operator family (IfExists, Null, ForAllValues and ForAnyValue included), Deny,
//! NotPrincipal, NotAction, case variants and Segment's 2019 template, each with the answers IAM
//! gives to the probes and what `--fix` must do. Run against the evaluator, and a sample of every
//! class through the binary against moto (`verify`, `verify --fix --yes`, `verify`).

use crate::moto::moto;
use crate::support::{binary, stderr, stdout, temp_dir, unique};
use segment_aws_setup::model::catalog::Catalog;
use segment_aws_setup::model::verify::{self, RepairPlan, Subject};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const CUSTOMER: &str = "123456789012";
const OTHER_ACCOUNT: &str = "999999999999";
const FUNCTION_ID: &str = "an-external-id-that-is-long-enough-0001";
const WORKSPACE_ID: &str = "wXZ2sd8N3mJ";
const OTHER_ID: &str = "old-rotated-out-external-id-00000000";

struct Case {
    name: String,
    class: String,
    integration: String,
    policy: Value,
    expect: BTreeMap<String, Option<String>>,
    fix: String,
    fix_with_denies: Vec<usize>,
    moto: bool,
}

impl Case {
    fn id(&self) -> &'static str {
        if self.integration == "lambda-destination" {
            WORKSPACE_ID
        } else {
            FUNCTION_ID
        }
    }

    fn subject(&self, role_arn: &str) -> Subject {
        let integration = Catalog::builtin()
            .integration(&self.integration)
            .expect("a known integration");
        Subject::new(
            integration,
            vec![self.id().to_string()],
            role_arn,
            segment_aws_setup::engine::now(),
        )
    }
}

/// Fills the corpus's placeholders: `$P` the integration's principal, `$SA` Segment's account,
/// `$C` the customer's, `$X` another, `$ID` the external ID, `$ID_PREFIX`, `$OTHER_ID`.
fn fill(value: &Value, integration: &str, id: &str) -> Value {
    let principal = Catalog::builtin()
        .integration(integration)
        .expect("known")
        .principal
        .clone();
    let segment_account = principal.split(':').nth(4).expect("an account").to_string();
    match value {
        Value::String(text) => Value::String(
            text.replace("$P", &principal)
                .replace("$SA", &segment_account)
                .replace("$C", CUSTOMER)
                .replace("$X", OTHER_ACCOUNT)
                .replace("$ID_PREFIX", &id[..8])
                .replace("$OTHER_ID", OTHER_ID)
                .replace("$ID", id),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| fill(v, integration, id)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = Value::String(k.clone());
                    let key = fill(&key, integration, id);
                    (
                        key.as_str().unwrap_or(k).to_string(),
                        fill(v, integration, id),
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn corpus() -> Vec<Case> {
    let entries: Vec<Value> =
        serde_json::from_str(include_str!("trust_corpus.json")).expect("the corpus is JSON");
    entries
        .into_iter()
        .map(|entry| {
            let integration = entry["integration"]
                .as_str()
                .expect("integration")
                .to_string();
            let id = if integration == "lambda-destination" {
                WORKSPACE_ID
            } else {
                FUNCTION_ID
            };
            Case {
                name: entry["name"].as_str().expect("name").to_string(),
                class: entry["class"].as_str().expect("class").to_string(),
                policy: fill(&entry["policy"], &integration, id),
                expect: entry["expect"]
                    .as_object()
                    .expect("expect")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string)))
                    .collect(),
                fix: entry["fix"].as_str().expect("fix").to_string(),
                fix_with_denies: entry["fixWithDenies"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .filter_map(Value::as_u64)
                            .map(|n| n as usize)
                            .collect()
                    })
                    .unwrap_or_default(),
                moto: entry["moto"].as_bool().unwrap_or(false),
                integration,
            }
        })
        .collect()
}

fn answers(judgement: &verify::Judgement) -> BTreeMap<String, Option<String>> {
    judgement
        .probes
        .iter()
        .filter(|p| p.kind != verify::ProbeKind::SegmentWithId || p.question.contains("your"))
        .map(|p| {
            let id = serde_json::to_value(p.kind).expect("serializes");
            (
                id.as_str().expect("a string").to_string(),
                p.answer.map(|a| a.to_string()),
            )
        })
        .collect()
}

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/corpus";

#[test]
fn the_corpus_covers_every_class_with_at_least_40_policies() {
    let cases = corpus();
    assert!(cases.len() >= 40, "{} policies", cases.len());
    let classes: BTreeSet<&str> = cases.iter().map(|c| c.class.as_str()).collect();
    for needed in [
        "documented",
        "principal: account ID",
        "principal: list",
        "principal: *",
        "principal: AWS *",
        "principal: role ARN",
        "principal: user ARN",
        "principal: session ARN",
        "principal: unique ID",
        "principal: Service",
        "principal: Federated",
        "action: wildcard",
        "action: wildcard ?",
        "action: case",
        "action: NotAction",
        "condition: StringLike",
        "condition: IfExists",
        "condition: IgnoreCase",
        "condition: negated",
        "condition: ForAllValues",
        "condition: ForAnyValue",
        "condition: Null",
        "condition: key case",
        "condition: operator case",
        "condition: Bool",
        "condition: IpAddress",
        "condition: Date",
        "condition: Numeric",
        "condition: Arn",
        "condition: Binary",
        "condition: variable",
        "condition: unknown operator",
        "deny",
        "deny: NotPrincipal",
        "NotPrincipal",
        "not understood",
        "Segment 2019 template",
    ] {
        assert!(classes.contains(needed), "no policy of class {needed:?}");
    }
    // Every class with a moto sample.
    let sampled: BTreeSet<&str> = cases
        .iter()
        .filter(|c| c.moto)
        .map(|c| c.class.split(':').next().unwrap_or(&c.class))
        .collect();
    for family in [
        "documented",
        "principal",
        "action",
        "condition",
        "deny",
        "NotPrincipal",
        "Segment 2019 template",
    ] {
        assert!(sampled.contains(family), "no moto sample of {family}");
    }
}

#[test]
fn every_policy_gets_the_answers_iam_gives() {
    let mut wrong = Vec::new();
    for case in corpus() {
        let judgement = verify::judge(&case.policy, &case.subject(ROLE_ARN));
        let got = answers(&judgement);
        if got != case.expect {
            wrong.push(format!(
                "{}:\n  expected {:?}\n  got      {:?}\n  {:#?}",
                case.name,
                case.expect,
                got,
                judgement.lines()
            ));
        }
        let all_hold = case
            .expect
            .iter()
            .all(|(probe, answer)| match answer.as_deref() {
                None => true,
                Some(answer) if probe == "segment-with-id" => answer == "allowed",
                Some(answer) => answer == "denied",
            });
        assert_eq!(judgement.holds(), all_hold, "{}", case.name);
        for probe in judgement.failing() {
            assert!(
                !probe.why.is_empty(),
                "{}: a failing probe says why",
                case.name
            );
            for why in &probe.why {
                assert!(
                    why.starts_with("statement ") || why.starts_with("no statement"),
                    "{}: {why}",
                    case.name
                );
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_fix_passes_every_probe_or_is_refused_as_expected() {
    for case in corpus() {
        let subject = case.subject(ROLE_ARN);
        let plan = verify::repair(&case.policy, &subject, &[]);
        match (case.fix.as_str(), &plan) {
            ("not-needed", RepairPlan::NotNeeded) => {}
            (
                "passes",
                RepairPlan::Proposed {
                    document, after, ..
                },
            ) => {
                assert!(after.holds(), "{}", case.name);
                assert!(verify::judge(document, &subject).holds(), "{}", case.name);
            }
            (
                "refused",
                RepairPlan::Refused {
                    blocking_denies,
                    reasons,
                },
            ) => {
                assert_eq!(blocking_denies, &case.fix_with_denies, "{}", case.name);
                assert!(!reasons.is_empty(), "{}", case.name);
                let confirmed = verify::repair(&case.policy, &subject, &case.fix_with_denies);
                let RepairPlan::Proposed { after, .. } = confirmed else {
                    panic!("{}: confirmed, the fix passes: {confirmed:?}", case.name);
                };
                assert!(after.holds(), "{}", case.name);
            }
            (expected, got) => panic!("{}: expected {expected}, got {got:?}", case.name),
        }
    }
}

async fn iam() -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&moto().sdk_config().await)
}

async fn trust_policy(role: &str) -> Value {
    let output = iam()
        .await
        .get_role()
        .role_name(role)
        .send()
        .await
        .expect("role");
    let document = output
        .role()
        .and_then(|r| r.assume_role_policy_document())
        .expect("a trust policy");
    let text = percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .expect("UTF-8");
    serde_json::from_str(&text).expect("JSON")
}

#[tokio::test]
async fn a_sample_of_every_class_through_the_binary_against_moto() {
    let state = temp_dir("corpus-state");
    let env = vec![
        ("AWS_ENDPOINT_URL", moto().endpoint.clone()),
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("SEGMENT_AWS_SETUP_STATE_DIR", state.display().to_string()),
    ];
    for case in corpus().into_iter().filter(|c| c.moto) {
        let role = unique("corpus");
        let created = iam()
            .await
            .create_role()
            .role_name(&role)
            .assume_role_policy_document(case.policy.to_string())
            .send()
            .await
            .expect("role");
        let arn = created.role().map(|r| r.arn().to_string()).expect("arn");
        let id_flag = if case.integration == "lambda-destination" {
            "--workspace-id"
        } else {
            "--external-id"
        };
        let verify_args = |extra: &[&str]| -> Vec<String> {
            let mut args: Vec<String> = [
                "verify",
                "--integration",
                &case.integration,
                "--role",
                &role,
                id_flag,
                case.id(),
                "--output",
                "json",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            args.extend(extra.iter().map(|s| s.to_string()));
            args
        };
        let run = |args: Vec<String>| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            binary(&args, &env)
        };

        let checked = run(verify_args(&[]));
        let report: Value = serde_json::from_str(&stdout(&checked))
            .unwrap_or_else(|e| panic!("{}: JSON ({e}): {}", case.name, stderr(&checked)));
        let got: BTreeMap<String, Option<String>> = report["trust"]["probes"]
            .as_array()
            .expect("probes")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().expect("id").to_string(),
                    p["answer"].as_str().map(str::to_string),
                )
            })
            .collect();
        assert_eq!(got, case.expect, "{}: {}", case.name, stdout(&checked));
        let right = case.fix == "not-needed";
        assert_eq!(
            checked.status.code(),
            Some(if right { 0 } else { 4 }),
            "{}",
            case.name
        );
        if right {
            continue;
        }

        let fixed = run(verify_args(&["--fix", "--yes"]));
        if case.fix == "refused" {
            assert_eq!(
                fixed.status.code(),
                Some(4),
                "{}: {}",
                case.name,
                stderr(&fixed)
            );
            assert!(
                stderr(&fixed).contains("only when you confirm"),
                "{}: {}",
                case.name,
                stderr(&fixed)
            );
            assert_eq!(
                trust_policy(&role).await,
                case.policy,
                "{}: unchanged",
                case.name
            );
            let denies: Vec<String> = case.fix_with_denies.iter().map(|n| n.to_string()).collect();
            let mut extra = vec!["--fix", "--yes"];
            for n in &denies {
                extra.extend(["--remove-deny", n.as_str()]);
            }
            let confirmed = run(verify_args(&extra));
            assert_eq!(
                confirmed.status.code(),
                Some(0),
                "{}: {}",
                case.name,
                stderr(&confirmed)
            );
        } else {
            assert_eq!(
                fixed.status.code(),
                Some(0),
                "{}: {}",
                case.name,
                stderr(&fixed)
            );
            assert!(
                stderr(&fixed).contains("before (-) and after (+)"),
                "{}",
                stderr(&fixed)
            );
        }
        // What IAM now holds passes every probe, judged from the SDK's own read.
        let now = trust_policy(&role).await;
        assert!(
            verify::judge(&now, &case.subject(&arn)).holds(),
            "{}: {now}",
            case.name
        );
        let again = run(verify_args(&[]));
        assert_eq!(
            again.status.code(),
            Some(0),
            "{}: {}",
            case.name,
            stdout(&again)
        );
    }
    let _ = std::fs::remove_dir_all(&state);
}
