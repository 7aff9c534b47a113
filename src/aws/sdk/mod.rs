//! The traits on the AWS SDK for Rust. Credentials come from the standard chain (environment,
//! profiles, SSO, container and instance roles); `AWS_PROFILE`, `AWS_REGION` and
//! `AWS_ENDPOINT_URL` are honoured by the SDK's own configuration loader. Throttling, 5xx answers
//! and dropped connections are retried by the SDK's adaptive retry strategy, bounded: it also
//! slows a client's requests down once AWS throttles them (many accounts checked at once).

pub mod call_log;
mod cloudformation;
mod errors;
mod iam;
mod identity;
mod lambda;
pub mod resources;
mod stack_sets;

pub use errors::classify;
pub use resources::SdkResources;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::time::Duration;

/// Attempts per call, the first included, before an error reaches the engine.
pub const MAX_ATTEMPTS: u32 = 5;

/// Loads the SDK configuration from the standard chain, with `--profile` and `--region` when given.
pub async fn load_config(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .retry_config(RetryConfig::adaptive().with_max_attempts(MAX_ATTEMPTS))
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
pub fn connect() -> super::Connect {
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
                functions: sdk.clone(),
                roles: sdk,
                resources: std::sync::Arc::new(resources::SdkResources::new(&config)),
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
    lambda: aws_sdk_lambda::Client,
}

impl Sdk {
    /// The pickers' lister (and the organization's accounts) with the same configuration.
    pub fn resources(&self) -> SdkResources {
        SdkResources::new(&self.config)
    }

    pub fn new(config: &SdkConfig) -> Self {
        Sdk {
            config: config.clone(),
            sts: call_log::client!(aws_sdk_sts, config),
            cloudformation: call_log::client!(aws_sdk_cloudformation, config),
            iam: call_log::client!(aws_sdk_iam, config),
            lambda: call_log::client!(aws_sdk_lambda, config),
        }
    }
}
