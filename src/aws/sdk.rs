//! The traits on the AWS SDK for Rust. Credentials come from the standard chain (environment,
//! profiles, SSO, container and instance roles); `AWS_PROFILE`, `AWS_REGION` and
//! `AWS_ENDPOINT_URL` are honoured by the SDK's own configuration loader. Throttling, 5xx answers
//! and dropped connections are retried by the SDK's standard retry strategy, bounded.

use super::{
    AwsError, Caller, ChangeSetInfo, EventPage, Identity, ResourceChange, RoleCreate, RoleInfo,
    RoleListing, Roles, StackCreate, StackEvent, StackInfo, StackResource, Stacks,
};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use serde_json::Value;
use std::time::Duration;

/// Attempts per call, the first included, before an error reaches the engine.
pub const MAX_ATTEMPTS: u32 = 5;

/// Loads the SDK configuration from the standard chain, with `--profile` and `--region` when given.
pub async fn load_config(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        );
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// The one HTTP client: hyper 1 and rustls on ring (see Cargo.toml for why only this one).
pub fn https_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::{Builder, tls};
    Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// A named profile (given, or selected with `AWS_PROFILE`) must exist in the AWS config or
/// credentials file: the SDK would otherwise fall back to other credentials (the environment's)
/// without a word, and change another account than the one named.
pub async fn check_profile(profile: Option<&str>) -> Result<(), String> {
    use aws_types::os_shim_internal::{Env, Fs};
    let env = Env::real();
    let Some(name) = profile
        .map(str::to_string)
        .or_else(|| env.get("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
    else {
        return Ok(());
    };
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    let known: Vec<String> = match aws_config::profile::load(&Fs::real(), &env, &files, None).await
    {
        Ok(set) if set.get_profile(&name).is_some() => return Ok(()),
        Ok(set) => set.profiles().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    };
    Err(if known.is_empty() {
        format!(
            "no AWS profile named {name:?}: the AWS config files (~/.aws/config, ~/.aws/credentials, or AWS_CONFIG_FILE) define none"
        )
    } else {
        format!(
            "no AWS profile named {name:?} in the AWS config files; they define: {}",
            known.join(", ")
        )
    })
}

/// Connects through the standard credential chain, with a profile and region when given.
pub fn connect() -> super::Connect<Sdk, Sdk, Sdk> {
    std::sync::Arc::new(|profile, region| {
        Box::pin(async move {
            check_profile(profile.as_deref()).await?;
            let config = load_config(profile.as_deref(), region.as_deref()).await;
            let region = config.region().map(|r| r.to_string()).ok_or_else(|| {
                "no AWS region: give one (the Region field, --region, AWS_REGION) or set one in your profile".to_string()
            })?;
            let sdk = std::sync::Arc::new(Sdk::new(&config));
            Ok(super::Connection {
                identity: sdk.clone(),
                stacks: sdk.clone(),
                stack_sets: sdk.clone(),
                roles: sdk,
                resources: std::sync::Arc::new(super::sdk_resources::SdkResources::new(&config)),
                region,
                profile,
            })
        })
    })
}

#[derive(Clone)]
pub struct Sdk {
    /// Kept to enter member accounts with other credentials and the same settings.
    config: SdkConfig,
    sts: aws_sdk_sts::Client,
    cloudformation: aws_sdk_cloudformation::Client,
    iam: aws_sdk_iam::Client,
}

impl Sdk {
    pub fn new(config: &SdkConfig) -> Self {
        Sdk {
            config: config.clone(),
            sts: aws_sdk_sts::Client::new(config),
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
        }
    }
}

const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "AuthFailure",
    "RequestExpired",
    "TokenRefreshRequired",
];

pub(super) fn classify<E, R>(action: &str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let action = action.to_string();
    match &error {
        SdkError::ServiceError(context) => {
            // What AWS says is shown to people: one line, its control characters escaped.
            let code = crate::model::text::one_line(context.err().code().unwrap_or("Unknown"))
                .into_owned();
            let message = crate::model::text::one_line(context.err().message().unwrap_or_default())
                .into_owned();
            if CREDENTIAL_CODES.contains(&code.as_str()) {
                AwsError::Credentials(format!("{code}: {message}"))
            } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
                AwsError::AccessDenied { action, message }
            } else {
                AwsError::Service {
                    action,
                    code,
                    message,
                }
            }
        }
        _ => {
            let detail = DisplayErrorContext(&error).to_string();
            if detail.to_ascii_lowercase().contains("credentials") {
                // The first clause says what happened; the rest is the SDK's debug dump.
                let first = detail.split(" (").next().unwrap_or(&detail);
                AwsError::Credentials(first.to_string())
            } else {
                AwsError::Network {
                    action,
                    message: detail,
                }
            }
        }
    }
}

/// Parameters as CloudFormation takes them (stacks, change sets, stack sets).
fn cfn_parameters(pairs: &[(String, String)]) -> Vec<aws_sdk_cloudformation::types::Parameter> {
    pairs
        .iter()
        .map(|(key, value)| {
            aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build()
        })
        .collect()
}

/// Tags as CloudFormation takes them.
fn cfn_tags(pairs: &[(String, String)]) -> Vec<aws_sdk_cloudformation::types::Tag> {
    pairs
        .iter()
        .map(|(key, value)| {
            aws_sdk_cloudformation::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        })
        .collect()
}

fn stack_info(stack: &aws_sdk_cloudformation::types::Stack, name: &str) -> StackInfo {
    StackInfo {
        name: stack.stack_name().unwrap_or(name).to_string(),
        status: stack
            .stack_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_reason: stack
            .stack_status_reason()
            .map(|r| crate::model::text::one_line(r).into_owned()),
        parameters: pairs(
            stack.parameters(),
            |p| p.parameter_key(),
            |p| p.parameter_value(),
        ),
        outputs: pairs(stack.outputs(), |o| o.output_key(), |o| o.output_value()),
        tags: pairs(stack.tags(), |t| t.key(), |t| t.value()),
    }
}

fn pairs<T>(
    items: &[T],
    key: impl Fn(&T) -> Option<&str>,
    value: impl Fn(&T) -> Option<&str>,
) -> Vec<(String, String)> {
    items
        .iter()
        .filter_map(|item| {
            Some((
                key(item)?.to_string(),
                value(item).unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Text from AWS that is shown on a line: one line, control and invisible characters escaped.
fn shown(text: &str) -> String {
    crate::model::text::one_line(text).into_owned()
}

/// IAM returns policy documents URL-encoded.
fn decode_policy(document: &str) -> Value {
    let text = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()))
}

impl Identity for Sdk {
    async fn caller(&self) -> Result<Caller, AwsError> {
        let output = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("sts:GetCallerIdentity", e))?;
        Ok(Caller {
            account: output.account().unwrap_or_default().to_string(),
            arn: output.arn().unwrap_or_default().to_string(),
        })
    }
}

impl super::Members for Sdk {
    type Roles = Sdk;

    async fn enter(&self, account: &str, through: &str) -> Result<Sdk, AwsError> {
        use aws_sdk_sts::config::{Credentials, SharedCredentialsProvider};
        let action = "sts:AssumeRole";
        let output = self
            .sts
            .assume_role()
            .role_arn(crate::model::stackset::role_arn(account, through))
            .role_session_name("segment-aws-setup-verify")
            // Long enough for a verify, short for credentials that are never stored.
            .duration_seconds(900)
            .send()
            .await
            .map_err(|e| classify(action, e))?;
        let Some(given) = output.credentials() else {
            return Err(AwsError::Service {
                action: action.into(),
                code: "NoCredentials".into(),
                message: "AWS returned no credentials".into(),
            });
        };
        let credentials = Credentials::new(
            given.access_key_id(),
            given.secret_access_key(),
            Some(given.session_token().to_string()),
            std::time::SystemTime::try_from(*given.expiration()).ok(),
            "segment-aws-setup-member-account",
        );
        let config = self
            .config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        Ok(Sdk::new(&config))
    }
}

impl Stacks for Sdk {
    async fn create_stack(&self, request: &StackCreate) -> Result<String, AwsError> {
        use aws_sdk_cloudformation::types::Capability;
        let parameters = cfn_parameters(&request.parameters);
        let tags = cfn_tags(&request.tags);
        let output = self
            .cloudformation
            .create_stack()
            .stack_name(&request.name)
            .template_body(&request.template_body)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("cloudformation:CreateStack", e))?;
        Ok(output.stack_id().unwrap_or(&request.name).to_string())
    }

    async fn describe_stack(&self, name: &str) -> Result<Option<StackInfo>, AwsError> {
        let result = self
            .cloudformation
            .describe_stacks()
            .stack_name(name)
            .send()
            .await;
        let output = match result.map_err(|e| classify("cloudformation:DescribeStacks", e)) {
            Ok(output) => output,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        Ok(output.stacks().first().map(|stack| stack_info(stack, name)))
    }

    async fn list_stacks(&self) -> Result<Vec<StackInfo>, AwsError> {
        let stacks = self
            .cloudformation
            .describe_stacks()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("cloudformation:DescribeStacks", e))?;
        Ok(stacks.iter().map(|stack| stack_info(stack, "")).collect())
    }

    async fn stack_events(
        &self,
        name: &str,
        next_token: Option<String>,
    ) -> Result<EventPage, AwsError> {
        let output = self
            .cloudformation
            .describe_stack_events()
            .stack_name(name)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeStackEvents", e))?;
        let events = output
            .stack_events()
            .iter()
            // Every field is shown on a line of its own: one line each, escaped, whatever a
            // resource's physical ID (free text for some types) holds.
            .map(|event| StackEvent {
                id: event.event_id().unwrap_or_default().to_string(),
                logical_id: shown(event.logical_resource_id().unwrap_or_default()),
                physical_id: event
                    .physical_resource_id()
                    .filter(|id| !id.is_empty())
                    .map(shown),
                resource_type: shown(event.resource_type().unwrap_or_default()),
                status: event
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: event
                    .resource_status_reason()
                    .filter(|r| !r.is_empty())
                    .map(|r| crate::model::text::one_line(r).into_owned()),
            })
            .collect();
        Ok(EventPage {
            events,
            next_token: output.next_token().map(str::to_string),
        })
    }

    async fn create_change_set(
        &self,
        request: &StackCreate,
        change_set: &str,
    ) -> Result<(), AwsError> {
        use aws_sdk_cloudformation::types::{Capability, ChangeSetType};
        let parameters = cfn_parameters(&request.parameters);
        let tags = cfn_tags(&request.tags);
        self.cloudformation
            .create_change_set()
            .stack_name(&request.name)
            .change_set_name(change_set)
            .change_set_type(ChangeSetType::Update)
            .template_body(&request.template_body)
            .set_parameters(Some(parameters))
            .capabilities(Capability::CapabilityIam)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("cloudformation:CreateChangeSet", e))?;
        Ok(())
    }

    async fn describe_change_set(
        &self,
        stack: &str,
        change_set: &str,
    ) -> Result<ChangeSetInfo, AwsError> {
        let output = self
            .cloudformation
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeChangeSet", e))?;
        let changes = output
            .changes()
            .iter()
            .filter_map(|change| change.resource_change())
            .map(|change| ResourceChange {
                action: change
                    .action()
                    .map(|a| a.as_str().to_string())
                    .unwrap_or_default(),
                logical_id: shown(change.logical_resource_id().unwrap_or_default()),
                resource_type: shown(change.resource_type().unwrap_or_default()),
                replacement: change.replacement().map(|r| r.as_str().to_string()),
            })
            .collect();
        Ok(ChangeSetInfo {
            status: output
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            status_reason: output
                .status_reason()
                .map(|r| crate::model::text::one_line(r).into_owned()),
            changes,
        })
    }

    async fn execute_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        self.cloudformation
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| classify("cloudformation:ExecuteChangeSet", e))?;
        Ok(())
    }

    async fn delete_change_set(&self, stack: &str, change_set: &str) -> Result<(), AwsError> {
        self.cloudformation
            .delete_change_set()
            .stack_name(stack)
            .change_set_name(change_set)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DeleteChangeSet", e))?;
        Ok(())
    }

    async fn stack_owning(&self, physical_id: &str) -> Result<Option<String>, AwsError> {
        let result = self
            .cloudformation
            .describe_stack_resources()
            .physical_resource_id(physical_id)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeStackResources", e));
        match result {
            Ok(output) => Ok(output
                .stack_resources()
                .first()
                .and_then(|r| r.stack_name())
                .map(str::to_string)),
            // No stack knows it (or the endpoint can't look up by resource): not a stack's.
            Err(AwsError::Service { code, .. }) if code == "ValidationError" => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn stack_template(&self, name: &str) -> Result<Value, AwsError> {
        let output = self
            .cloudformation
            .get_template()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| classify("cloudformation:GetTemplate", e))?;
        let body = output.template_body().unwrap_or_default();
        Ok(serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string())))
    }

    async fn stack_resources(&self, name: &str) -> Result<Vec<StackResource>, AwsError> {
        let output = self
            .cloudformation
            .describe_stack_resources()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DescribeStackResources", e))?;
        Ok(output
            .stack_resources()
            .iter()
            .map(|resource| StackResource {
                logical_id: shown(resource.logical_resource_id().unwrap_or_default()),
                resource_type: shown(resource.resource_type().unwrap_or_default()),
                physical_id: resource
                    .physical_resource_id()
                    .filter(|id| !id.is_empty())
                    .map(shown),
            })
            .collect())
    }

    async fn change_sets(&self, stack: &str) -> Result<Vec<String>, AwsError> {
        let mut names = Vec::new();
        let mut token = None;
        // No paginator in the SDK for ListChangeSets: its NextToken, by hand.
        loop {
            let output = self
                .cloudformation
                .list_change_sets()
                .stack_name(stack)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| classify("cloudformation:ListChangeSets", e))?;
            names.extend(
                output
                    .summaries()
                    .iter()
                    // Some endpoints list every stack's: only this stack's are its own.
                    .filter(|c| c.stack_name().is_none_or(|s| s == stack))
                    .filter_map(|c| c.change_set_name().map(str::to_string)),
            );
            token = output.next_token().map(str::to_string);
            if token.is_none() {
                return Ok(names);
            }
        }
    }

    async fn delete_stack(&self, name: &str) -> Result<(), AwsError> {
        self.cloudformation
            .delete_stack()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| classify("cloudformation:DeleteStack", e))?;
        Ok(())
    }
}

impl Roles for Sdk {
    async fn get_role(&self, name: &str) -> Result<Option<RoleInfo>, AwsError> {
        let result = self.iam.get_role().role_name(name).send().await;
        let output = match result.map_err(|e| classify("iam:GetRole", e)) {
            Ok(output) => output,
            Err(error) if error.is_not_found() => return Ok(None),
            Err(error) => return Err(error),
        };
        Ok(output.role().map(|role| RoleInfo {
            name: role.role_name().to_string(),
            arn: role.arn().to_string(),
            trust_policy: role
                .assume_role_policy_document()
                .map(decode_policy)
                .unwrap_or(Value::Null),
            tags: pairs(role.tags(), |t| Some(t.key()), |t| Some(t.value())),
            permissions_boundary: role
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_string),
        }))
    }

    async fn create_role(&self, request: &RoleCreate) -> Result<String, AwsError> {
        use aws_sdk_iam::types::Tag;
        let mut tags = Vec::new();
        for (key, value) in &request.tags {
            let tag =
                Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| AwsError::Service {
                        action: "iam:CreateRole".into(),
                        code: "InvalidTag".into(),
                        message: e.to_string(),
                    })?;
            tags.push(tag);
        }
        let output = self
            .iam
            .create_role()
            .role_name(&request.name)
            .path(&request.path)
            .description(&request.description)
            .assume_role_policy_document(&request.trust_policy)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| classify("iam:CreateRole", e))?;
        Ok(output
            .role()
            .map(|role| role.arn().to_string())
            .unwrap_or_default())
    }

    async fn put_role_policy(
        &self,
        role: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), AwsError> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| classify("iam:PutRolePolicy", e))?;
        Ok(())
    }

    async fn role_policy_names(&self, role: &str) -> Result<Vec<String>, AwsError> {
        self.iam
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListRolePolicies", e))
    }

    async fn get_role_policy(&self, role: &str, policy_name: &str) -> Result<Value, AwsError> {
        let output = self
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
            .map_err(|e| classify("iam:GetRolePolicy", e))?;
        Ok(decode_policy(output.policy_document()))
    }

    async fn update_trust_policy(&self, role: &str, document: &str) -> Result<(), AwsError> {
        self.iam
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| classify("iam:UpdateAssumeRolePolicy", e))?;
        Ok(())
    }

    async fn delete_role_policy(&self, role: &str, policy_name: &str) -> Result<(), AwsError> {
        self.iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy_name)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteRolePolicy", e))?;
        Ok(())
    }

    async fn delete_role(&self, role: &str) -> Result<(), AwsError> {
        self.iam
            .delete_role()
            .role_name(role)
            .send()
            .await
            .map_err(|e| classify("iam:DeleteRole", e))?;
        Ok(())
    }

    async fn attached_policies(&self, role: &str) -> Result<Vec<(String, String)>, AwsError> {
        let policies = self
            .iam
            .list_attached_role_policies()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListAttachedRolePolicies", e))?;
        Ok(policies
            .iter()
            .map(|p| {
                (
                    p.policy_name().unwrap_or_default().to_string(),
                    p.policy_arn().unwrap_or_default().to_string(),
                )
            })
            .collect())
    }

    async fn managed_policy_document(&self, arn: &str) -> Result<Value, AwsError> {
        let policy = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| classify("iam:GetPolicy", e))?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .unwrap_or("v1")
            .to_string();
        let output = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| classify("iam:GetPolicyVersion", e))?;
        Ok(output
            .policy_version()
            .and_then(|v| v.document())
            .map(decode_policy)
            .unwrap_or(Value::Null))
    }

    async fn instance_profiles(&self, role: &str) -> Result<Vec<String>, AwsError> {
        let profiles = self
            .iam
            .list_instance_profiles_for_role()
            .role_name(role)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListInstanceProfilesForRole", e))?;
        Ok(profiles
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .collect())
    }

    async fn list_roles(&self) -> Result<Vec<RoleListing>, AwsError> {
        let roles = self
            .iam
            .list_roles()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| classify("iam:ListRoles", e))?;
        Ok(roles
            .iter()
            .map(|r| RoleListing {
                name: r.role_name().to_string(),
                arn: r.arn().to_string(),
                trust_policy: r
                    .assume_role_policy_document()
                    .map(decode_policy)
                    .unwrap_or(Value::Null),
            })
            .collect())
    }
}

/// The preferences as CloudFormation takes them: percentages, regions in parallel, and soft
/// failure tolerance (so concurrency isn't capped at the tolerance plus one).
fn operation_preferences(
    preferences: &crate::model::stackset::Preferences,
) -> aws_sdk_cloudformation::types::StackSetOperationPreferences {
    use aws_sdk_cloudformation::types::{
        ConcurrencyMode, RegionConcurrencyType, StackSetOperationPreferences,
    };
    StackSetOperationPreferences::builder()
        .failure_tolerance_percentage(i32::from(preferences.failure_tolerance_percent))
        .max_concurrent_percentage(i32::from(preferences.max_concurrent_percent))
        .region_concurrency_type(RegionConcurrencyType::Parallel)
        .concurrency_mode(ConcurrencyMode::SoftFailureTolerance)
        .build()
}

fn deployment_targets(
    targets: &super::InstanceTargets,
) -> Option<aws_sdk_cloudformation::types::DeploymentTargets> {
    (!targets.org_units.is_empty()).then(|| {
        aws_sdk_cloudformation::types::DeploymentTargets::builder()
            .set_organizational_unit_ids(Some(targets.org_units.clone()))
            .build()
    })
}

fn accounts_of(targets: &super::InstanceTargets) -> Option<Vec<String>> {
    targets
        .org_units
        .is_empty()
        .then(|| targets.accounts.clone())
}

fn is_stack_set_missing(error: &AwsError) -> bool {
    matches!(error.code(), Some("StackSetNotFoundException"))
}

impl super::StackSets for Sdk {
    fn create_stack_set<'a>(&'a self, request: &'a super::StackSetCreate) -> super::Answer<'a, ()> {
        use aws_sdk_cloudformation::types::{AutoDeployment, Capability, PermissionModels};
        Box::pin(async move {
            let parameters = cfn_parameters(&request.parameters);
            let tags = cfn_tags(&request.tags);
            let mut call = self
                .cloudformation
                .create_stack_set()
                .stack_set_name(&request.name)
                .description(&request.description)
                .template_body(&request.template_body)
                .set_parameters(Some(parameters))
                .set_tags(Some(tags))
                // The role has a fixed name (so each account's ARN is known).
                .capabilities(Capability::CapabilityNamedIam)
                .permission_model(PermissionModels::from(request.permission_model.as_str()));
            if request.permission_model == "SERVICE_MANAGED" {
                call = call.auto_deployment(
                    AutoDeployment::builder()
                        .enabled(request.auto_deploy)
                        .set_retain_stacks_on_account_removal(request.auto_deploy.then_some(false))
                        .build(),
                );
            }
            call.send()
                .await
                .map_err(|e| classify("cloudformation:CreateStackSet", e))?;
            Ok(())
        })
    }

    fn describe_stack_set<'a>(
        &'a self,
        name: &'a str,
    ) -> super::Answer<'a, Option<super::StackSetInfo>> {
        Box::pin(async move {
            let output = match self
                .cloudformation
                .describe_stack_set()
                .stack_set_name(name)
                .send()
                .await
            {
                Ok(output) => output,
                Err(error) => {
                    let error = classify("cloudformation:DescribeStackSet", error);
                    return if is_stack_set_missing(&error) {
                        Ok(None)
                    } else {
                        Err(error)
                    };
                }
            };
            Ok(output
                .stack_set()
                .map(|set| super::StackSetInfo {
                    name: set.stack_set_name().unwrap_or(name).to_string(),
                    status: set
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    permission_model: set
                        .permission_model()
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_else(|| "SELF_MANAGED".to_string()),
                    tags: pairs(set.tags(), |t| t.key(), |t| t.value()),
                    parameters: pairs(
                        set.parameters(),
                        |p| p.parameter_key(),
                        |p| p.parameter_value(),
                    ),
                    template_body: set.template_body().unwrap_or_default().to_string(),
                })
                .filter(|set| set.status != "DELETED"))
        })
    }

    fn create_instances<'a>(
        &'a self,
        targets: &'a super::InstanceTargets,
    ) -> super::Answer<'a, String> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .create_stack_instances()
                .stack_set_name(&targets.stack_set)
                .set_accounts(accounts_of(targets))
                .set_deployment_targets(deployment_targets(targets))
                .set_regions(Some(targets.regions.clone()))
                .operation_preferences(operation_preferences(&targets.preferences))
                .send()
                .await
                .map_err(|e| classify("cloudformation:CreateStackInstances", e))?;
            Ok(output.operation_id().unwrap_or_default().to_string())
        })
    }

    fn rerun_instances<'a>(
        &'a self,
        targets: &'a super::InstanceTargets,
    ) -> super::Answer<'a, String> {
        use aws_sdk_cloudformation::types::{Capability, Parameter};
        Box::pin(async move {
            // Every parameter keeps its value: UpdateStackSet would otherwise reset them.
            let keys: Vec<String> = match self.describe_stack_set(&targets.stack_set).await? {
                Some(set) => set.parameters.into_iter().map(|(key, _)| key).collect(),
                None => Vec::new(),
            };
            let parameters = keys
                .iter()
                .map(|key| {
                    Parameter::builder()
                        .parameter_key(key)
                        .use_previous_value(true)
                        .build()
                })
                .collect();
            let output = self
                .cloudformation
                .update_stack_set()
                .stack_set_name(&targets.stack_set)
                .use_previous_template(true)
                .set_parameters(Some(parameters))
                .capabilities(Capability::CapabilityNamedIam)
                .set_accounts(accounts_of(targets))
                .set_deployment_targets(deployment_targets(targets))
                .set_regions(Some(targets.regions.clone()))
                .operation_preferences(operation_preferences(&targets.preferences))
                .send()
                .await
                .map_err(|e| classify("cloudformation:UpdateStackSet", e))?;
            Ok(output.operation_id().unwrap_or_default().to_string())
        })
    }

    fn describe_operation<'a>(
        &'a self,
        stack_set: &'a str,
        operation: &'a str,
    ) -> super::Answer<'a, super::OperationInfo> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .describe_stack_set_operation()
                .stack_set_name(stack_set)
                .operation_id(operation)
                .send()
                .await
                .map_err(|e| classify("cloudformation:DescribeStackSetOperation", e))?;
            let operation = output.stack_set_operation();
            Ok(super::OperationInfo {
                status: operation
                    .and_then(|o| o.status())
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: operation
                    .and_then(|o| o.status_reason())
                    .map(|r| crate::model::text::one_line(r).into_owned()),
            })
        })
    }

    fn list_instances<'a>(
        &'a self,
        stack_set: &'a str,
    ) -> super::Answer<'a, Vec<crate::model::stackset::InstanceRow>> {
        Box::pin(async move {
            let summaries: Vec<_> = self
                .cloudformation
                .list_stack_instances()
                .stack_set_name(stack_set)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(|e| classify("cloudformation:ListStackInstances", e))?;
            Ok(summaries
                .iter()
                .map(|s| crate::model::stackset::InstanceRow {
                    account: s.account().unwrap_or_default().to_string(),
                    region: s.region().unwrap_or_default().to_string(),
                    status: s
                        .stack_instance_status()
                        .and_then(|d| d.detailed_status())
                        .map(|d| d.as_str().to_string())
                        .or_else(|| s.status().map(|st| st.as_str().to_string()))
                        .unwrap_or_default(),
                    reason: s
                        .status_reason()
                        .filter(|r| !r.is_empty())
                        .map(|r| crate::model::text::one_line(r).into_owned()),
                })
                .collect())
        })
    }

    fn delete_instances<'a>(
        &'a self,
        targets: &'a super::InstanceTargets,
    ) -> super::Answer<'a, String> {
        Box::pin(async move {
            let output = self
                .cloudformation
                .delete_stack_instances()
                .stack_set_name(&targets.stack_set)
                .set_accounts(accounts_of(targets))
                .set_deployment_targets(deployment_targets(targets))
                .set_regions(Some(targets.regions.clone()))
                .retain_stacks(false)
                .operation_preferences(operation_preferences(&targets.preferences))
                .send()
                .await
                .map_err(|e| classify("cloudformation:DeleteStackInstances", e))?;
            Ok(output.operation_id().unwrap_or_default().to_string())
        })
    }

    fn update_stack_set<'a>(
        &'a self,
        request: &'a super::StackSetUpdate,
    ) -> super::Answer<'a, String> {
        use aws_sdk_cloudformation::types::Capability;
        Box::pin(async move {
            let output = self
                .cloudformation
                .update_stack_set()
                .stack_set_name(&request.name)
                .template_body(&request.template_body)
                .set_parameters(Some(cfn_parameters(&request.parameters)))
                .capabilities(Capability::CapabilityNamedIam)
                .operation_preferences(operation_preferences(&request.preferences))
                .send()
                .await
                .map_err(|e| classify("cloudformation:UpdateStackSet", e))?;
            Ok(output.operation_id().unwrap_or_default().to_string())
        })
    }

    fn delete_stack_set<'a>(&'a self, name: &'a str) -> super::Answer<'a, ()> {
        Box::pin(async move {
            self.cloudformation
                .delete_stack_set()
                .stack_set_name(name)
                .send()
                .await
                .map_err(|e| classify("cloudformation:DeleteStackSet", e))?;
            Ok(())
        })
    }
}
