//! Validators for every value a user types, checked before any AWS call. Each error says what is
//! allowed. Limits come from the IAM, STS, S3, Lambda and CloudFormation API models (see
//! `segment-aws-facts.md`). Secrets (external IDs) are never echoed back in a message.

use crate::model::field::in_words;
pub use crate::model::field::{Field, Naming};
use regex::Regex;
use std::sync::LazyLock;

/// Why a value was refused: a sentence that says what is allowed. A field it mentions is a
/// [`Field::mention`], read as each face names fields ([`Invalid::words`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    /// The sentence with the fields it mentions named as `naming` names them.
    pub fn words(&self, naming: Naming) -> String {
        in_words(&self.0, naming)
    }
}

/// As the command line says it: fields by their flags.
impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(Naming::Flags))
    }
}

impl std::error::Error for Invalid {}

/// A refused value, tied to the field the user typed it into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub field: Field,
    pub reason: Invalid,
}

impl InputError {
    pub fn new(field: impl Into<Field>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: Invalid(reason.into()),
        }
    }

    pub fn at(field: impl Into<Field>) -> impl FnOnce(Invalid) -> Self {
        let field = field.into();
        move |reason| Self { field, reason }
    }

    /// The reason alone, as a face that shows it beside its field says it.
    pub fn words(&self, naming: Naming) -> String {
        self.reason.words(naming)
    }
}

/// As the command line says it: `--bucket: ...`.
impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field.flag(), self.reason)
    }
}

impl std::error::Error for InputError {}

pub type Check = Result<(), Invalid>;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("validator patterns are constants")
}

/// Shows a value the user typed inside a message, shortened so a pasted document can't flood it.
fn shown(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() <= MAX {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}

fn length(value: &str) -> usize {
    value.chars().count()
}

pub const EXTERNAL_ID_MAX: usize = 1224;
pub const EXTERNAL_ID_MIN_AWS: usize = 2;

static EXTERNAL_ID: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9_+=,.@:/-]*$"));

/// AWS's rule for `sts:ExternalId`, plus a minimum length (32 for Segment Functions).
/// The value is a secret: the message never repeats it.
pub fn external_id(value: &str, min_length: usize) -> Check {
    let min = min_length.max(EXTERNAL_ID_MIN_AWS);
    let len = length(value);
    if !EXTERNAL_ID.is_match(value) {
        return Err(Invalid(
            "an external ID may hold only letters, digits and _ + = , . @ : / - (no spaces)".into(),
        ));
    }
    if len < min || len > EXTERNAL_ID_MAX {
        let why = if min > EXTERNAL_ID_MIN_AWS {
            format!(
                "an external ID must be {min} to {EXTERNAL_ID_MAX} characters (Segment asks for at least {min} random characters); this one has {len}"
            )
        } else {
            format!(
                "an external ID must be {min} to {EXTERNAL_ID_MAX} characters; this one has {len}"
            )
        };
        return Err(Invalid(why));
    }
    Ok(())
}

static WORKSPACE_ID: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9_-]{2,64}$"));

/// A Segment workspace (or source) ID, used as the Lambda destination's external ID.
pub fn workspace_id(value: &str) -> Check {
    if WORKSPACE_ID.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a Segment workspace ID is 2 to 64 letters, digits, _ or - (Settings > General in Segment shows it); got {}",
            shown(value)
        )))
    }
}

/// Why a valid-looking workspace ID may still be the wrong value: a slug (from the workspace's
/// URL) or something far longer than Segment's IDs. A warning, not a refusal.
pub fn workspace_id_doubt(value: &str) -> Option<String> {
    if value.contains('-') || value.contains('_') {
        return Some(format!(
            "{value:?} looks like a workspace slug (as in app.segment.com/SLUG/...), not its ID: Settings > General in Segment shows the ID, letters and digits only"
        ));
    }
    if value.len() > 32 {
        return Some(format!(
            "{} characters is far longer than Segment's workspace and source IDs (about 10 to 27 letters and digits): check it is the ID from Settings > General",
            value.len()
        ));
    }
    None
}

static ROLE_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9_+=,.@-]{1,64}$"));

pub fn role_name(value: &str) -> Check {
    if ROLE_NAME.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a role name is 1 to 64 characters: letters, digits and _ + = , . @ -; got {}",
            shown(value)
        )))
    }
}

static ROLE_PATH: LazyLock<Regex> = LazyLock::new(|| regex(r"^(/|/[\x21-\x7E]+/)$"));

/// A role's path. IAM allows `*` and `?` in one, but the role's ARN goes into policies (a
/// Kinesis or Data Lakes policy names the role itself), where they are wildcards: refused.
pub fn role_path(value: &str) -> Check {
    if value.len() <= 512 && ROLE_PATH.is_match(value) && !value.contains(['*', '?']) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a role path is / or starts and ends with / (for example /segment/), at most 512 printable ASCII characters with no spaces and no * or ? (they would be wildcards in the role's policies); got {}",
            shown(value)
        )))
    }
}

static POLICY_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[\w+=,.@-]{1,128}$"));

/// An inline policy's name, as IAM allows it.
pub fn policy_name(value: &str) -> Check {
    if POLICY_NAME.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a policy name is 1 to 128 characters: letters, digits and _ + = , . @ -; got {}",
            shown(value)
        )))
    }
}

/// An AWS profile's name as the tool keeps it: whatever the AWS config files allow, but no
/// control or invisible character (the commands it prints carry it, quoted for a shell).
pub fn profile_name(value: &str) -> Check {
    let count = value.chars().count();
    if (1..=128).contains(&count)
        && !value
            .chars()
            .any(|c| c.is_control() || crate::model::text::is_invisible(c))
    {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a profile name is 1 to 128 characters with no control characters; got {}",
            shown(value)
        )))
    }
}

static STACK_NAME: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z][A-Za-z0-9-]{0,127}$"));

pub fn stack_name(value: &str) -> Check {
    if STACK_NAME.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a stack name is 1 to 128 letters, digits and hyphens, starting with a letter; got {}",
            shown(value)
        )))
    }
}

static BUCKET_CHARS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"));
static IPV4_LIKE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$"));

const BUCKET_RESERVED_PREFIXES: &[&str] = &["xn--", "sthree-", "amzn-s3-demo-"];
const BUCKET_RESERVED_SUFFIXES: &[&str] = &["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// S3 general purpose bucket naming rules.
pub fn bucket_name(value: &str) -> Check {
    let rule = "a bucket name is 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit";
    if !BUCKET_CHARS.is_match(value) {
        return Err(Invalid(format!("{rule}; got {}", shown(value))));
    }
    if value.contains("..") {
        return Err(Invalid(format!(
            "{rule}, with no two dots in a row; got {}",
            shown(value)
        )));
    }
    if IPV4_LIKE.is_match(value) {
        return Err(Invalid(format!(
            "a bucket name can't look like an IP address; got {}",
            shown(value)
        )));
    }
    if let Some(prefix) = BUCKET_RESERVED_PREFIXES
        .iter()
        .find(|p| value.starts_with(**p))
    {
        return Err(Invalid(format!(
            "a bucket name can't start with {prefix:?} (reserved by AWS)"
        )));
    }
    if let Some(suffix) = BUCKET_RESERVED_SUFFIXES
        .iter()
        .find(|s| value.ends_with(**s))
    {
        return Err(Invalid(format!(
            "a bucket name can't end with {suffix:?} (reserved by AWS)"
        )));
    }
    Ok(())
}

const REGION_PATTERN: &str = r"[a-z]{2}(-[a-z]+){1,2}-[0-9]{1,2}";
static REGION: LazyLock<Regex> = LazyLock::new(|| regex(&format!("^{REGION_PATTERN}$")));

pub fn region(value: &str) -> Check {
    if REGION.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a region is written like us-east-1, eu-west-3 or us-gov-west-1; got {}",
            shown(value)
        )))
    }
}

static ACCOUNT_ID: LazyLock<Regex> = LazyLock::new(|| regex(r"^[0-9]{12}$"));

pub fn account_id(value: &str) -> Check {
    if ACCOUNT_ID.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "an AWS account ID is exactly 12 digits; got {}",
            shown(value)
        )))
    }
}

const PARTITION: &str = r"aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?";
static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^arn:{PARTITION}:iam::[0-9]{{12}}:role/([\x21-\x7E]*/)?[A-Za-z0-9_+=,.@-]{{1,64}}$"
    ))
});

pub fn role_arn(value: &str) -> Check {
    if ROLE_ARN.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a role ARN looks like arn:aws:iam::123456789012:role/NAME (or role/PATH/NAME); got {}",
            shown(value)
        )))
    }
}

const FUNCTION_NAME: &str = r"[A-Za-z0-9_-]{1,64}";
const QUALIFIER: &str = r"(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?";

static LAMBDA_ARN: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^arn:{PARTITION}:lambda:(?P<region>{REGION_PATTERN}):[0-9]{{12}}:function:{FUNCTION_NAME}{QUALIFIER}$"
    ))
});
static LAMBDA_PARTIAL_ARN: LazyLock<Regex> = LazyLock::new(|| {
    regex(&format!(
        r"^[0-9]{{12}}:function:{FUNCTION_NAME}{QUALIFIER}$"
    ))
});
static LAMBDA_NAME: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"^{FUNCTION_NAME}{QUALIFIER}$")));

/// A full Lambda function ARN, optionally with a version or alias; returns its region. Only the
/// `aws` partition: Segment's principals exist only there, so a role in China or GovCloud can't
/// be assumed by Segment.
pub fn lambda_arn(value: &str) -> Result<&str, Invalid> {
    if let Some(partition) = value
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').next())
        .filter(|p| *p != "aws" && p.starts_with("aws-"))
    {
        return Err(Invalid(format!(
            "that function is in the {partition} partition; Segment's principals exist only in the aws partition (commercial regions), so Segment can't reach it. Use a function in a commercial region (arn:aws:lambda:...)"
        )));
    }
    LAMBDA_ARN
        .captures(value)
        .and_then(|c| c.name("region"))
        .map(|m| m.as_str())
        .ok_or_else(|| {
            Invalid(format!(
                "a Lambda function ARN looks like arn:aws:lambda:us-west-2:123456789012:function:NAME (optionally :ALIAS or :VERSION); got {}",
                shown(value)
            ))
        })
}

/// Refuses an ARN outside the `aws` partition in a sentence: Segment's principals exist only
/// there.
fn commercial_partition(value: &str, what: &str) -> Check {
    match value
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').next())
        .filter(|p| *p != "aws" && p.starts_with("aws-"))
    {
        Some(partition) => Err(Invalid(format!(
            "that {what} is in the {partition} partition; Segment's principals exist only in the aws partition (commercial regions), so Segment can't reach it"
        ))),
        None => Ok(()),
    }
}

static KINESIS_STREAM_ARN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^arn:aws:kinesis:(?P<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:stream/(?P<name>[A-Za-z0-9_.-]{1,128})$",
    )
});

/// A Kinesis data stream's ARN; returns its region and name (Segment's settings take both).
pub fn kinesis_stream_arn(value: &str) -> Result<(&str, &str), Invalid> {
    commercial_partition(value, "stream")?;
    KINESIS_STREAM_ARN
        .captures(value)
        .and_then(|c| Some((c.name("region")?.as_str(), c.name("name")?.as_str())))
        .ok_or_else(|| {
            Invalid(format!(
                "a Kinesis stream ARN looks like arn:aws:kinesis:us-west-2:123456789012:stream/NAME (letters, digits, _ . -); got {}",
                shown(value)
            ))
        })
}

static DELIVERY_STREAM_ARN: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"^arn:aws:firehose:(?P<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:deliverystream/(?P<name>[A-Za-z0-9_.-]{1,64})$",
    )
});

/// A Firehose delivery stream's ARN; returns its region and name.
pub fn delivery_stream_arn(value: &str) -> Result<(&str, &str), Invalid> {
    commercial_partition(value, "delivery stream")?;
    DELIVERY_STREAM_ARN
        .captures(value)
        .and_then(|c| Some((c.name("region")?.as_str(), c.name("name")?.as_str())))
        .ok_or_else(|| {
            Invalid(format!(
                "a Firehose delivery stream ARN looks like arn:aws:firehose:us-west-2:123456789012:deliverystream/NAME (letters, digits, _ . -); got {}",
                shown(value)
            ))
        })
}

static KMS_KEY_ARN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^arn:aws:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key/[A-Za-z0-9-]{1,128}$"));

/// A KMS key's ARN (an alias won't do in a policy's Resource).
pub fn kms_key_arn(value: &str) -> Check {
    commercial_partition(value, "key")?;
    if KMS_KEY_ARN.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a KMS key ARN looks like arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (the key's ARN, not an alias); got {}",
            shown(value)
        )))
    }
}

static PATH_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^/?[A-Za-z0-9!_.'()-]+(/[A-Za-z0-9!_.'()-]+)*/?$"));

/// A path prefix in a bucket (`path/prefix`): S3's safe key characters but `*` (a wildcard in the
/// policy's resource, which would reach other prefixes), no empty segment.
pub fn path_prefix(value: &str) -> Check {
    if value.len() <= 512
        && PATH_PREFIX.is_match(value)
        && !value.split('/').any(|s| s == "." || s == "..")
    {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a path prefix is folder names separated by /, such as path/prefix (letters, digits and ! _ . ' ( ) -; no * or ?, which would be wildcards in the policy); got {}",
            shown(value)
        )))
    }
}

static EMR_CLUSTER_ID: LazyLock<Regex> = LazyLock::new(|| regex(r"^j-[A-Za-z0-9]{1,32}$"));

/// An EMR cluster ID, as Segment's Data Lakes setting takes it (`j-` and letters and digits).
pub fn emr_cluster_id(value: &str) -> Check {
    if EMR_CLUSTER_ID.is_match(value) {
        Ok(())
    } else {
        Err(Invalid(format!(
            "an EMR cluster ID looks like j-2AXXXXXXGAPLF (the cluster's ID in the EMR console); got {}",
            shown(value)
        )))
    }
}

/// One value of a preset's input, checked as its kind requires (a policy file is read, and
/// checked, where it is read).
pub fn input_value(input: crate::model::catalog::Input, value: &str) -> Check {
    use crate::model::catalog::Input;
    match input {
        Input::Bucket => bucket_name(value),
        Input::BucketRegion => region(value),
        Input::LambdaArns => lambda_arn(value).map(|_| ()),
        Input::PolicyFile => Ok(()),
        Input::PathPrefix => path_prefix(value),
        Input::KmsKeyArn => kms_key_arn(value),
        Input::KinesisStreamArn => kinesis_stream_arn(value).map(|_| ()),
        Input::DeliveryStreamArns => delivery_stream_arn(value).map(|_| ()),
        Input::EmrClusterId => emr_cluster_id(value),
    }
}

/// What Segment's Lambda setting accepts: a name, `name:alias`, a full ARN or a partial ARN.
pub fn lambda_function_reference(value: &str) -> Check {
    if LAMBDA_ARN.is_match(value)
        || LAMBDA_PARTIAL_ARN.is_match(value)
        || LAMBDA_NAME.is_match(value)
    {
        Ok(())
    } else {
        Err(Invalid(format!(
            "a Lambda function is given as its name (my-function), name:alias (my-function:v1), full ARN (arn:aws:lambda:us-west-2:123456789012:function:my-function) or partial ARN (123456789012:function:my-function); got {}",
            shown(value)
        )))
    }
}

/// The items of a comma-separated answer (several workspace IDs, several Lambda ARNs), each
/// checked; an empty answer is refused as `none_given`.
pub fn comma_separated(
    text: &str,
    none_given: &str,
    check: impl Fn(&str) -> Check,
) -> Result<Vec<String>, Invalid> {
    let items: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if items.is_empty() {
        return Err(Invalid(none_given.to_string()));
    }
    for item in &items {
        check(item)?;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_id_bounds() {
        assert!(external_id(&"a".repeat(32), 32).is_ok());
        assert!(external_id(&"a".repeat(31), 32).is_err());
        assert!(external_id("ab", 0).is_ok());
        assert!(external_id("a", 0).is_err());
        assert!(external_id(&"a".repeat(1224), 32).is_ok());
        assert!(external_id(&"a".repeat(1225), 32).is_err());
        assert!(external_id("with space and more than enough characters here", 2).is_err());
        assert!(external_id("all_+=,.@:/-allowed", 2).is_ok());
    }

    #[test]
    fn external_id_message_never_repeats_the_secret() {
        let secret = "S3cretButTooShort";
        let message = external_id(secret, 32).unwrap_err().0;
        assert!(!message.contains(secret), "{message}");
        assert!(message.contains("32"), "{message}");
    }

    #[test]
    fn role_names() {
        assert!(role_name("segment-destination-function").is_ok());
        assert!(role_name(&"r".repeat(64)).is_ok());
        assert!(role_name(&"r".repeat(65)).is_err());
        assert!(role_name("").is_err());
        assert!(role_name("has space").is_err());
        assert!(role_name("rôle").is_err(), "IAM's \\w is ASCII only");
    }

    #[test]
    fn role_paths() {
        assert!(role_path("/").is_ok());
        assert!(role_path("/segment/").is_ok());
        assert!(role_path("/segment/functions/").is_ok());
        assert!(role_path("segment/").is_err());
        assert!(role_path("/segment").is_err());
        assert!(role_path("/a b/").is_err());
        assert!(role_path(&format!("/{}/", "a".repeat(511))).is_err());
        // Wildcards in the role's own ARN, which its policies name.
        assert!(role_path("/*/").is_err());
        assert!(role_path("/seg?ent/").is_err());
        assert!(path_prefix("logs/2026").is_ok());
        assert!(path_prefix("logs/*").is_err());
        assert!(path_prefix("lo?s").is_err());
    }

    #[test]
    fn stack_names() {
        assert!(stack_name("segment-destination-function-a1b2c3").is_ok());
        assert!(stack_name("1stack").is_err());
        assert!(stack_name("under_score").is_err());
        assert!(stack_name(&format!("a{}", "b".repeat(127))).is_ok());
        assert!(stack_name(&format!("a{}", "b".repeat(128))).is_err());
    }

    #[test]
    fn bucket_names() {
        for ok in ["my-bucket", "abc", "logs.example.com", "a1-b2"] {
            assert!(bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "My-Bucket",
            "-bucket",
            "bucket-",
            "a..b",
            "192.168.1.1",
            "xn--bucket",
            "bucket-s3alias",
            "under_score",
        ] {
            assert!(bucket_name(bad).is_err(), "{bad}");
        }
        assert!(bucket_name(&"a".repeat(64)).is_err());
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-west-3",
            "ap-southeast-4",
            "us-gov-west-1",
            "il-central-1",
        ] {
            assert!(region(ok).is_ok(), "{ok}");
        }
        for bad in ["us-east", "US-EAST-1", "useast1", "", "us-east-1a"] {
            assert!(region(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn account_ids() {
        assert!(account_id("123456789012").is_ok());
        assert!(account_id("12345678901").is_err());
        assert!(account_id("12345678901a").is_err());
        assert!(account_id("١٢٣٤٥٦٧٨٩٠١٢").is_err(), "only ASCII digits");
    }

    #[test]
    fn role_arns() {
        assert!(role_arn("arn:aws:iam::123456789012:role/my-role").is_ok());
        assert!(role_arn("arn:aws:iam::123456789012:role/segment/my-role").is_ok());
        assert!(role_arn("arn:aws-cn:iam::123456789012:role/r").is_ok());
        assert!(role_arn("arn:aws:iam::123456789012:user/me").is_err());
        assert!(role_arn("my-role").is_err());
    }

    #[test]
    fn lambda_references() {
        let arn = "arn:aws:lambda:us-west-2:123456789012:function:my-function";
        assert_eq!(lambda_arn(arn), Ok("us-west-2"));
        assert_eq!(lambda_arn(&format!("{arn}:v1")), Ok("us-west-2"));
        assert!(lambda_arn("my-function").is_err());
        let china = lambda_arn("arn:aws-cn:lambda:cn-north-1:123456789012:function:f")
            .expect_err("another partition");
        assert!(china.0.contains("aws-cn partition"), "{}", china.0);
        assert!(lambda_arn("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f").is_err());
        for ok in [
            arn,
            "my-function",
            "my-function:v1",
            "123456789012:function:my-function",
            "f:$LATEST",
        ] {
            assert!(lambda_function_reference(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "my function",
            "arn:aws:lambda:us-west-2:1234:function:f",
            "a:b:c",
        ] {
            assert!(lambda_function_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn comma_separated_answers() {
        assert_eq!(
            comma_separated(" a1, b2 ,", "none", workspace_id),
            Ok(vec!["a1".to_string(), "b2".to_string()])
        );
        assert_eq!(
            comma_separated(" , ", "none", workspace_id),
            Err(Invalid("none".into()))
        );
        assert!(comma_separated("a1, b 2", "none", workspace_id).is_err());
    }

    #[test]
    fn workspace_ids() {
        assert!(workspace_id("wXZ2sd8N3mJ").is_ok());
        assert!(workspace_id("a").is_err());
        assert!(workspace_id("has space").is_err());
    }

    #[test]
    fn messages_name_what_is_allowed_and_show_long_values_shortened() {
        let long = "x".repeat(500);
        let message = role_name(&long).unwrap_err().0;
        assert!(message.contains("1 to 64"), "{message}");
        assert!(message.len() < 250, "{message}");
    }
}
