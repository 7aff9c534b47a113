//! What the pickers list, on the SDK: buckets with their regions, functions, streams, delivery
//! streams and KMS keys. Each regional listing gets a client for that region, built from the
//! same configuration (credentials, profile, endpoint URL) as every other call.

use super::errors::classify;
use crate::aws::{AwsError, Resources};
use crate::model::picker::{Resource, ResourceKind};
use aws_config::{Region, SdkConfig};
use futures_util::StreamExt;

/// How many bucket locations are asked for at once when ListBuckets doesn't say the region.
const LOCATION_REQUESTS_AT_ONCE: usize = 8;

pub struct SdkResources {
    config: SdkConfig,
}

impl SdkResources {
    pub fn new(config: &SdkConfig) -> Self {
        SdkResources {
            config: config.clone(),
        }
    }

    fn in_region(&self, region: &str) -> SdkConfig {
        self.config
            .to_builder()
            .region(Region::new(region.to_string()))
            .build()
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        // An emulator or proxy named by AWS_ENDPOINT_URL answers on one host: bucket names go in
        // the path there, not in the host name.
        let config = aws_sdk_s3::config::Builder::from(&self.config)
            .force_path_style(self.config.endpoint_url().is_some())
            .interceptor(super::call_log::CallLog)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    async fn buckets(&self) -> Result<Vec<Resource>, AwsError> {
        let s3 = self.s3();
        let listed: Vec<aws_sdk_s3::types::Bucket> = s3
            .list_buckets()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("s3:ListAllMyBuckets", e))?;
        let located = futures_util::stream::iter(listed.into_iter().filter_map(|bucket| {
            let name = bucket.name()?.to_string();
            let region = bucket.bucket_region().map(str::to_string);
            Some((name, region))
        }))
        .map(|(name, region)| {
            let s3 = s3.clone();
            async move {
                let region = match region {
                    Some(region) => Some(region),
                    // A bucket whose location is refused is still listed, without a region.
                    None => s3
                        .get_bucket_location()
                        .bucket(&name)
                        .send()
                        .await
                        .ok()
                        .map(|out| {
                            region_of_location(
                                out.location_constraint().map(|c| c.as_str()).unwrap_or(""),
                            )
                        }),
                };
                Resource {
                    value: name.clone(),
                    name,
                    region,
                }
            }
        })
        .buffered(LOCATION_REQUESTS_AT_ONCE)
        .collect()
        .await;
        Ok(located)
    }

    async fn functions(&self, region: &str) -> Result<Vec<Resource>, AwsError> {
        let lambda = super::call_log::client!(aws_sdk_lambda, &self.in_region(region));
        let functions: Vec<_> = lambda
            .list_functions()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("lambda:ListFunctions", e))?;
        Ok(functions
            .iter()
            .filter_map(|f| {
                Some(Resource {
                    name: f.function_name()?.to_string(),
                    value: f.function_arn()?.to_string(),
                    region: None,
                })
            })
            .collect())
    }

    async fn streams(&self, region: &str, account: &str) -> Result<Vec<Resource>, AwsError> {
        let kinesis = super::call_log::client!(aws_sdk_kinesis, &self.in_region(region));
        let pages: Vec<_> = kinesis
            .list_streams()
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("kinesis:ListStreams", e))?;
        let mut streams = Vec::new();
        for page in &pages {
            if page.stream_summaries().is_empty() {
                // Older answers name the streams only.
                streams.extend(page.stream_names().iter().map(|name| Resource {
                    name: name.clone(),
                    value: format!(
                        "arn:{}:kinesis:{region}:{account}:stream/{name}",
                        partition(region)
                    ),
                    region: None,
                }));
            } else {
                streams.extend(page.stream_summaries().iter().map(|s| Resource {
                    name: s.stream_name().to_string(),
                    value: s.stream_arn().to_string(),
                    region: None,
                }));
            }
        }
        Ok(streams)
    }

    async fn delivery_streams(
        &self,
        region: &str,
        account: &str,
    ) -> Result<Vec<Resource>, AwsError> {
        let firehose = super::call_log::client!(aws_sdk_firehose, &self.in_region(region));
        let mut names = Vec::new();
        // ListDeliveryStreams has no paginator in the SDK: it pages by the last name seen.
        loop {
            let page = firehose
                .list_delivery_streams()
                .set_exclusive_start_delivery_stream_name(names.last().cloned())
                .send()
                .await
                .map_err(|e| classify("firehose:ListDeliveryStreams", e))?;
            names.extend(page.delivery_stream_names().iter().cloned());
            if !page.has_more_delivery_streams() || page.delivery_stream_names().is_empty() {
                break;
            }
        }
        Ok(names
            .into_iter()
            .map(|name| Resource {
                value: format!(
                    "arn:{}:firehose:{region}:{account}:deliverystream/{name}",
                    partition(region)
                ),
                name,
                region: None,
            })
            .collect())
    }

    async fn kms_keys(&self, region: &str) -> Result<Vec<Resource>, AwsError> {
        let kms = super::call_log::client!(aws_sdk_kms, &self.in_region(region));
        let keys: Vec<_> = kms
            .list_keys()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("kms:ListKeys", e))?;
        // Aliases name the keys; without them the key's ID is its name.
        let aliases: Vec<_> = kms
            .list_aliases()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .unwrap_or_default();
        Ok(keys
            .iter()
            .filter_map(|key| {
                let id = key.key_id()?;
                let names: Vec<&str> = aliases
                    .iter()
                    .filter(|a| a.target_key_id() == Some(id))
                    .filter_map(|a| a.alias_name())
                    .collect();
                // AWS managed keys (alias/aws/...) can't be given to another account.
                if names.iter().any(|n| n.starts_with("alias/aws/")) {
                    return None;
                }
                Some(Resource {
                    name: names.first().map_or(id, |n| n).to_string(),
                    value: key.key_arn()?.to_string(),
                    region: None,
                })
            })
            .collect())
    }
}

/// GetBucketLocation's answer as a region: empty is us-east-1, `EU` the old name of eu-west-1.
fn region_of_location(constraint: &str) -> String {
    match constraint {
        "" => "us-east-1".to_string(),
        "EU" => "eu-west-1".to_string(),
        other => other.to_string(),
    }
}

fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// At most this many organizational units are read from the tree (a picker, not an inventory).
const MAX_UNITS: usize = 500;

/// The organizational units directly under a parent (a root or a unit), every page: each one's
/// ID and name (its ID when it has none).
pub(super) async fn child_units(
    organizations: &aws_sdk_organizations::Client,
    parent: &str,
) -> Result<Vec<(String, String)>, AwsError> {
    use aws_sdk_organizations::operation::list_organizational_units_for_parent::ListOrganizationalUnitsForParentOutput as Units;
    let pages: Vec<Units> = organizations
        .list_organizational_units_for_parent()
        .parent_id(parent)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| classify("organizations:ListOrganizationalUnitsForParent", e))?;
    Ok(pages
        .iter()
        .flat_map(|page| page.organizational_units())
        .filter_map(|unit| {
            let id = unit.id()?;
            Some((id.to_string(), unit.name().unwrap_or(id).to_string()))
        })
        .collect())
}

impl SdkResources {
    /// The organization's units, the root first and each unit with its path, then its active
    /// accounts, each with its name.
    async fn org_targets(&self) -> Result<Vec<Resource>, AwsError> {
        let organizations = super::call_log::client!(aws_sdk_organizations, &self.config);
        let pages: Vec<aws_sdk_organizations::operation::list_roots::ListRootsOutput> =
            organizations
                .list_roots()
                .into_paginator()
                .send()
                .try_collect()
                .await
                .map_err(|e| classify("organizations:ListRoots", e))?;
        let roots: Vec<&aws_sdk_organizations::types::Root> =
            pages.iter().flat_map(|page| page.roots()).collect();
        let mut units = Vec::new();
        let mut parents: std::collections::VecDeque<(String, String)> = roots
            .iter()
            .filter_map(|root| {
                Some((
                    root.id()?.to_string(),
                    root.name().unwrap_or("Root").to_string(),
                ))
            })
            .collect();
        while let Some((parent, path)) = parents.pop_front() {
            units.push(crate::model::picker::org_unit(&parent, &path));
            if units.len() >= MAX_UNITS {
                break;
            }
            for (id, name) in child_units(&organizations, &parent).await? {
                parents.push_back((id, format!("{path} / {name}")));
            }
        }
        let pages: Vec<aws_sdk_organizations::operation::list_accounts::ListAccountsOutput> =
            organizations
                .list_accounts()
                .into_paginator()
                .send()
                .try_collect()
                .await
                .map_err(|e| classify("organizations:ListAccounts", e))?;
        let mut accounts: Vec<Resource> = pages
            .iter()
            .flat_map(|page| page.accounts())
            .filter(|a| {
                a.status()
                    .is_none_or(|s| *s == aws_sdk_organizations::types::AccountStatus::Active)
            })
            .filter_map(|a| {
                Some(crate::model::picker::org_account(
                    a.id()?,
                    a.name().unwrap_or(""),
                ))
            })
            .collect();
        accounts.sort_by(|a, b| a.value.cmp(&b.value));
        units.extend(accounts);
        Ok(units)
    }
}

#[async_trait::async_trait]
impl Resources for SdkResources {
    async fn list(
        &self,
        kind: ResourceKind,
        region: &str,
        account: &str,
    ) -> Result<Vec<crate::model::picker::Resource>, AwsError> {
        match kind {
            ResourceKind::Buckets => self.buckets().await,
            ResourceKind::Functions => self.functions(region).await,
            ResourceKind::Streams => self.streams(region, account).await,
            ResourceKind::DeliveryStreams => self.delivery_streams(region, account).await,
            ResourceKind::KmsKeys => self.kms_keys(region).await,
            ResourceKind::OrgTargets => self.org_targets().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_locations_name_their_regions() {
        assert_eq!(region_of_location(""), "us-east-1");
        assert_eq!(region_of_location("EU"), "eu-west-1");
        assert_eq!(region_of_location("ap-south-1"), "ap-south-1");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");
    }
}
