//! Picking resources from the account instead of typing them: which inputs can be picked, what a
//! listed resource is, and how the text typed into a field filters the list and takes a pick.
//! Plain data and functions; the listing itself is `engine::list_resources`.

use crate::model::catalog::Input;

/// What can be listed from the account to fill an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    /// S3 buckets, each with the region AWS says it is in.
    Buckets,
    /// Lambda functions of a region.
    Functions,
    /// Kinesis data streams of a region.
    Streams,
    /// Firehose delivery streams of a region.
    DeliveryStreams,
    /// KMS keys of a region, with their aliases.
    KmsKeys,
    /// A StackSet's targets: the organization's units (the root first) and its active accounts.
    OrgTargets,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 5] = [
        ResourceKind::Buckets,
        ResourceKind::Functions,
        ResourceKind::Streams,
        ResourceKind::DeliveryStreams,
        ResourceKind::KmsKeys,
    ];

    /// "buckets", "Lambda functions": for sentences.
    pub fn plural(self) -> &'static str {
        match self {
            ResourceKind::Buckets => "S3 buckets",
            ResourceKind::Functions => "Lambda functions",
            ResourceKind::Streams => "Kinesis streams",
            ResourceKind::DeliveryStreams => "Firehose delivery streams",
            ResourceKind::KmsKeys => "KMS keys",
            ResourceKind::OrgTargets => "organizational units and accounts",
        }
    }

    /// Buckets are listed once for the whole account; the others live in a region.
    pub fn is_regional(self) -> bool {
        !matches!(self, ResourceKind::Buckets | ResourceKind::OrgTargets)
    }

    /// The permission a listing needs, said when AWS refuses it.
    pub fn permission(self) -> &'static str {
        match self {
            ResourceKind::Buckets => "s3:ListAllMyBuckets",
            ResourceKind::Functions => "lambda:ListFunctions",
            ResourceKind::Streams => "kinesis:ListStreams",
            ResourceKind::DeliveryStreams => "firehose:ListDeliveryStreams",
            ResourceKind::KmsKeys => "kms:ListKeys",
            ResourceKind::OrgTargets => "organizations:ListAccounts",
        }
    }

    /// The input a kind fills.
    pub fn of(input: Input) -> Option<ResourceKind> {
        match input {
            Input::Bucket => Some(ResourceKind::Buckets),
            Input::LambdaArns => Some(ResourceKind::Functions),
            Input::KinesisStreamArn => Some(ResourceKind::Streams),
            Input::DeliveryStreamArns => Some(ResourceKind::DeliveryStreams),
            Input::KmsKeyArn => Some(ResourceKind::KmsKeys),
            Input::BucketRegion | Input::PolicyFile | Input::PathPrefix | Input::EmrClusterId => {
                None
            }
        }
    }
}

/// One resource as a picker shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// Its name (a bucket's, a function's) or, for a key, its alias or ID.
    pub name: String,
    /// What goes into the field: a bucket's name, otherwise the ARN.
    pub value: String,
    /// Where it is: a bucket's detected region (None when AWS wouldn't say).
    pub region: Option<String>,
}

impl Resource {
    /// The line a list shows: the name, and the region where it is not the value's own.
    pub fn describe(&self) -> String {
        match &self.region {
            Some(region) => format!("{} ({region})", self.name),
            None => self.name.clone(),
        }
    }
}

/// The part of a field's text that filters the list: for a list input, what follows the last
/// comma; otherwise all of it.
pub fn filter_text(text: &str, list: bool) -> &str {
    if list {
        text.rsplit(',').next().unwrap_or("").trim()
    } else {
        text.trim()
    }
}

/// The resources whose name or value holds the filter (any case), minus those a list input
/// already holds, in the listing's order.
pub fn matching<'a>(resources: &'a [Resource], text: &str, list: bool) -> Vec<&'a Resource> {
    let filter = filter_text(text, list).to_lowercase();
    let taken: Vec<&str> = if list {
        text.split(',').map(str::trim).collect()
    } else {
        Vec::new()
    };
    resources
        .iter()
        .filter(|r| !taken.contains(&r.value.as_str()))
        .filter(|r| {
            filter.is_empty()
                || r.name.to_lowercase().contains(&filter)
                || r.value.to_lowercase().contains(&filter)
        })
        .collect()
}

/// The field's text once a resource is picked: it replaces the filter (a list input keeps what it
/// holds and ends with ", " so the next one can be filtered).
pub fn take(text: &str, list: bool, value: &str) -> String {
    if !list {
        return value.to_string();
    }
    let kept: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let kept = &kept[..kept
        .len()
        .saturating_sub(usize::from(!filter_text(text, true).is_empty()))];
    let mut items: Vec<&str> = kept.to_vec();
    items.push(value);
    format!("{}, ", items.join(", "))
}

/// An organizational unit as a StackSet target row: its ID, then where it is in the tree.
pub fn org_unit(id: &str, path: &str) -> Resource {
    // A unit's name is free text in AWS Organizations: a new line or a bidirectional control in
    // it must not forge a row of its own.
    let path = crate::model::text::one_line(path);
    Resource {
        name: format!("{id}  {path}"),
        value: id.to_string(),
        region: None,
    }
}

/// An account as a StackSet target row: its ID, then its name.
pub fn org_account(id: &str, name: &str) -> Resource {
    let name = crate::model::text::one_line(name);
    Resource {
        name: format!("{id}  {name}"),
        value: id.to_string(),
        region: None,
    }
}

fn is_unit(value: &str) -> bool {
    value.starts_with("ou-") || value.starts_with("r-")
}

/// The target rows for the typed targets: units and accounts until one is chosen, then only
/// that kind (a StackSet goes to accounts or to units, not both).
pub fn target_rows<'a>(listed: &'a [Resource], text: &str) -> Vec<&'a Resource> {
    let chosen: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    let held = &chosen[..chosen
        .len()
        .saturating_sub(usize::from(!filter_text(text, true).is_empty()))];
    let units = held.first().map(|v| is_unit(v));
    matching(listed, text, true)
        .into_iter()
        .filter(|r| units.is_none_or(|units| is_unit(&r.value) == units))
        .collect()
}

/// A plain-mode answer to a question with a numbered list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Numbers from the list, names from it, or values typed by hand: the values to check.
    Values(Vec<String>),
    /// `/text`: show the rows that hold the text, and ask again.
    Filter(String),
    /// `@region`: list another region, and ask again.
    Region(String),
}

/// Reads a plain-mode answer against the list it was asked with: `3` (or `1,3` for a list
/// input) takes rows, a listed name takes its value, `/text` filters, `@region` lists another
/// region, anything else is a value typed by hand (checked by the caller).
pub fn read_answer(answer: &str, listed: &[Resource], list: bool) -> Result<Answer, String> {
    let answer = answer.trim();
    if let Some(filter) = answer.strip_prefix('/') {
        return Ok(Answer::Filter(filter.trim().to_string()));
    }
    if let Some(region) = answer.strip_prefix('@') {
        crate::model::validate::region(region.trim()).map_err(|e| e.0)?;
        return Ok(Answer::Region(region.trim().to_string()));
    }
    let items: Vec<&str> = if list {
        answer
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    } else {
        vec![answer]
    };
    items
        .into_iter()
        .map(|item| {
            if let Ok(row) = item.parse::<usize>() {
                return listed
                    .get(row.wrapping_sub(1))
                    .map(|r| r.value.clone())
                    .ok_or_else(|| match listed.len() {
                        0 => format!("there is no list to pick {row} from: type the value"),
                        n => format!("the list has rows 1 to {n}; got {row}"),
                    });
            }
            Ok(listed
                .iter()
                .find(|r| r.name == item)
                .map_or_else(|| item.to_string(), |r| r.value.clone()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Answer::Values)
}

/// Where a KMS key for this setup must be: the bucket's region, or the Kinesis stream's (a key
/// encrypts data in its own region only).
pub fn key_region(request: &crate::model::plan::PlanRequest) -> Option<String> {
    request
        .bucket_region
        .clone()
        .filter(|r| !r.is_empty())
        .or_else(|| {
            let stream = request
                .other_inputs
                .get(&Input::KinesisStreamArn)?
                .first()?;
            let region = stream.split(':').nth(3)?;
            crate::model::validate::region(region).ok()?;
            Some(region.to_string())
        })
}

/// The region a bucket was listed in, if the account's listing knows the bucket.
pub fn bucket_region<'a>(resources: &'a [Resource], bucket: &str) -> Option<&'a str> {
    resources
        .iter()
        .find(|r| r.value == bucket.trim())
        .and_then(|r| r.region.as_deref())
}

/// The regions a picker may list in, first the one it starts in: the integration's own list when
/// it has one (Amazon Personalize: us-west-2), else the account's region and then AWS's
/// commercial regions.
pub fn regions(integration_regions: &[String], account_region: &str) -> Vec<String> {
    if !integration_regions.is_empty() {
        return integration_regions.to_vec();
    }
    let mut all = vec![account_region.to_string()];
    all.extend(
        COMMERCIAL_REGIONS
            .iter()
            .filter(|r| **r != account_region)
            .map(|r| r.to_string()),
    );
    all
}

/// AWS's commercial regions, for switching a regional picker to another one.
pub const COMMERCIAL_REGIONS: [&str; 17] = [
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "sa-east-1",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(name: &str, value: &str) -> Resource {
        Resource {
            name: name.into(),
            value: value.into(),
            region: None,
        }
    }

    #[test]
    fn a_list_filters_on_what_follows_the_last_comma_and_hides_what_it_holds() {
        let all = [
            resource("alpha", "arn:x:alpha"),
            resource("beta", "arn:x:beta"),
            resource("alphabet", "arn:x:alphabet"),
        ];
        let names =
            |found: Vec<&Resource>| found.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(matching(&all, "ALP", false)), ["alpha", "alphabet"]);
        assert_eq!(
            names(matching(&all, "arn:x:alpha, b", true)),
            ["beta", "alphabet"]
        );
        assert_eq!(
            names(matching(&all, "arn:x:alpha, ", true)),
            ["beta", "alphabet"]
        );
        assert_eq!(
            take("arn:x:alpha, be", true, "arn:x:beta"),
            "arn:x:alpha, arn:x:beta, "
        );
        assert_eq!(take("", true, "arn:x:beta"), "arn:x:beta, ");
        assert_eq!(
            take("arn:x:alpha, ", true, "arn:x:beta"),
            "arn:x:alpha, arn:x:beta, "
        );
        assert_eq!(take("bu", false, "bucket"), "bucket");
    }

    /// Names in AWS Organizations are free text: one with a new line, a line separator or a
    /// bidirectional override stays one row that shows what it holds.
    #[test]
    fn an_organizations_name_cannot_forge_a_row() {
        let unit = org_unit("ou-ab12-cd345678", "Root / Prod\n111111111111  OK");
        assert_eq!(unit.name.lines().count(), 1, "{}", unit.name);
        assert!(unit.name.contains("\\u000a"), "{}", unit.name);
        let account = org_account("222222222222", "dev\u{2028}333333333333 \u{202E}KO");
        assert_eq!(
            account.name,
            "222222222222  dev\\u2028333333333333 \\u202eKO"
        );
        assert_eq!(account.value, "222222222222");
    }

    #[test]
    fn target_rows_keep_to_the_kind_chosen_first() {
        let all = [
            org_unit("r-ab12", "Root"),
            org_unit("ou-ab12-production", "Root / Production"),
            org_account("111111111111", "prod"),
            org_account("222222222222", "dev"),
        ];
        let values =
            |rows: Vec<&Resource>| rows.iter().map(|r| r.value.clone()).collect::<Vec<_>>();
        assert_eq!(values(target_rows(&all, "")).len(), 4);
        assert_eq!(
            values(target_rows(&all, "prod")),
            ["ou-ab12-production", "111111111111"]
        );
        assert_eq!(
            values(target_rows(&all, "111111111111, ")),
            ["222222222222"]
        );
        assert_eq!(
            values(target_rows(&all, "r-ab12, ")),
            ["ou-ab12-production"]
        );
        assert_eq!(
            values(target_rows(&all, "111111111111, Root")),
            Vec::<String>::new()
        );
    }

    #[test]
    fn plain_answers_take_rows_names_filters_and_regions() {
        let all = [
            resource("alpha", "arn:x:alpha"),
            resource("beta", "arn:x:beta"),
        ];
        let values = |v: &[&str]| Answer::Values(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(read_answer("2", &all, false), Ok(values(&["arn:x:beta"])));
        assert_eq!(
            read_answer("2, 1", &all, true),
            Ok(values(&["arn:x:beta", "arn:x:alpha"]))
        );
        assert_eq!(
            read_answer("alpha", &all, false),
            Ok(values(&["arn:x:alpha"]))
        );
        assert_eq!(
            read_answer("arn:y:gamma", &all, false),
            Ok(values(&["arn:y:gamma"]))
        );
        assert_eq!(
            read_answer("/ALP", &all, false),
            Ok(Answer::Filter("ALP".into()))
        );
        assert_eq!(
            read_answer("@eu-west-1", &all, false),
            Ok(Answer::Region("eu-west-1".into()))
        );
        assert!(
            read_answer("3", &all, false)
                .unwrap_err()
                .contains("rows 1 to 2")
        );
        assert!(read_answer("@moon", &all, false).is_err());
    }

    #[test]
    fn regions_start_with_the_integrations_own_or_the_accounts() {
        assert_eq!(regions(&["us-west-2".into()], "eu-west-1"), ["us-west-2"]);
        let all = regions(&[], "eu-west-1");
        assert_eq!(all[0], "eu-west-1");
        assert_eq!(all.iter().filter(|r| *r == "eu-west-1").count(), 1);
        for region in COMMERCIAL_REGIONS {
            assert!(crate::model::validate::region(region).is_ok(), "{region}");
        }
    }
}
