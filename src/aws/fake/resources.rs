//! Fake listings for the pickers: buckets, functions, streams, keys, the organization's units and
//! accounts, any of which can be told to refuse.

use super::script::*;
use crate::aws::AwsError;
use std::time::Duration;

/// What the pickers list, in memory: per kind and region (buckets: the whole account, under
/// ""), a kind AWS refuses, and a delay before each answer.
#[derive(Default)]
pub struct FakeResources {
    listings: std::sync::Mutex<
        std::collections::BTreeMap<
            (crate::model::picker::ResourceKind, String),
            Vec<crate::model::picker::Resource>,
        >,
    >,
    denied: std::sync::Mutex<std::collections::BTreeSet<crate::model::picker::ResourceKind>>,
    delay: std::sync::Mutex<Duration>,
    /// How many listings were asked for: once per step, not per key.
    pub calls: std::sync::atomic::AtomicUsize,
}

impl FakeResources {
    /// Adds a resource; `region` is a bucket's own region, or the region a regional one is in.
    pub fn add(&self, kind: crate::model::picker::ResourceKind, region: &str, name: &str) {
        use crate::model::picker::ResourceKind::*;
        let (key, value, bucket_region) = match kind {
            Buckets => (String::new(), name.to_string(), Some(region.to_string())),
            Functions => (
                region.to_string(),
                format!("arn:aws:lambda:{region}:{FAKE_ACCOUNT}:function:{name}"),
                None,
            ),
            Streams => (
                region.to_string(),
                format!("arn:aws:kinesis:{region}:{FAKE_ACCOUNT}:stream/{name}"),
                None,
            ),
            DeliveryStreams => (
                region.to_string(),
                format!("arn:aws:firehose:{region}:{FAKE_ACCOUNT}:deliverystream/{name}"),
                None,
            ),
            OrgTargets => {
                self.add_org_target(if name.starts_with("ou-") || name.starts_with("r-") {
                    crate::model::picker::org_unit(name, region)
                } else {
                    crate::model::picker::org_account(name, region)
                });
                return;
            }
            KmsKeys => {
                // A key's ID is a UUID; derive a stable one from the alias.
                let digits: String = name
                    .bytes()
                    .map(|b| format!("{:x}", b % 16))
                    .cycle()
                    .take(32)
                    .collect();
                let id = format!(
                    "{}-{}-{}-{}-{}",
                    &digits[..8],
                    &digits[8..12],
                    &digits[12..16],
                    &digits[16..20],
                    &digits[20..]
                );
                (
                    region.to_string(),
                    format!("arn:aws:kms:{region}:{FAKE_ACCOUNT}:key/{id}"),
                    None,
                )
            }
        };
        if let Ok(mut listings) = self.listings.lock() {
            listings
                .entry((kind, key))
                .or_default()
                .push(crate::model::picker::Resource {
                    name: name.to_string(),
                    value,
                    region: bucket_region,
                });
        }
    }

    /// A unit or account of the organization, in the listing's order.
    fn add_org_target(&self, target: crate::model::picker::Resource) {
        if let Ok(mut listings) = self.listings.lock() {
            listings
                .entry((
                    crate::model::picker::ResourceKind::OrgTargets,
                    String::new(),
                ))
                .or_default()
                .push(target);
        }
    }

    /// AWS refuses to list this kind (AccessDenied).
    pub fn deny(&self, kind: crate::model::picker::ResourceKind) {
        if let Ok(mut denied) = self.denied.lock() {
            denied.insert(kind);
        }
    }

    /// Every answer takes this long.
    pub fn slow(&self, delay: Duration) {
        if let Ok(mut d) = self.delay.lock() {
            *d = delay;
        }
    }

    /// The demo account's resources: a few of each kind, buckets in three regions.
    pub fn demo() -> FakeResources {
        use crate::model::picker::ResourceKind::*;
        let resources = FakeResources::default();
        for (bucket, region) in [
            ("acme-events-archive", "us-east-1"),
            ("acme-segment-logs", "us-west-2"),
            ("acme-eu-exports", "eu-west-1"),
        ] {
            resources.add(Buckets, region, bucket);
        }
        for (function, region) in [
            ("segment-event-handler", "us-east-1"),
            ("enrich-profile", "us-east-1"),
            ("personalize-events-forwarder", "us-west-2"),
            ("segment-event-handler", "us-west-2"),
        ] {
            resources.add(Functions, region, function);
        }
        for stream in ["segment-events", "clickstream"] {
            resources.add(Streams, "us-east-1", stream);
        }
        for stream in ["segment-to-s3", "pageviews-to-redshift"] {
            resources.add(DeliveryStreams, "us-east-1", stream);
        }
        for key in ["alias/segment-exports", "alias/data-lake"] {
            resources.add(KmsKeys, "us-east-1", key);
        }
        // The organization (`demo_organization`): units with their paths, accounts with names.
        for (id, where_or_name) in [
            ("r-demo", "Root"),
            ("ou-demo-development", "Root / Development"),
            ("ou-demo-production", "Root / Production"),
            (FAKE_ACCOUNT, "management"),
            (DEMO_ACCOUNTS[0], "dev"),
            (DEMO_ACCOUNTS[1], "staging"),
            (DEMO_ACCOUNTS[2], "prod-eu"),
            (DEMO_ACCOUNTS[3], "prod-us"),
        ] {
            resources.add(OrgTargets, where_or_name, id);
        }
        resources
    }
}

#[async_trait::async_trait]
impl crate::aws::Resources for FakeResources {
    async fn list(
        &self,
        kind: crate::model::picker::ResourceKind,
        region: &str,
        _account: &str,
    ) -> Result<Vec<crate::model::picker::Resource>, AwsError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let delay = self.delay.lock().map(|d| *d).unwrap_or_default();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if self.denied.lock().is_ok_and(|d| d.contains(&kind)) {
            return Err(AwsError::AccessDenied {
                action: kind.permission().to_string(),
                message: format!(
                    "User: arn:aws:iam::{FAKE_ACCOUNT}:user/demo is not authorized to perform: {}",
                    kind.permission()
                ),
            });
        }
        let key = if kind.is_regional() { region } else { "" };
        Ok(self
            .listings
            .lock()
            .ok()
            .and_then(|l| l.get(&(kind, key.to_string())).cloned())
            .unwrap_or_default())
    }
}
