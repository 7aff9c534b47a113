//! The Public API over HTTPS: hyper 1 with rustls on ring and the system's roots, the stack the
//! AWS SDK's client is built on (no second TLS stack). Bearer token, plain JSON, cursor paging,
//! a 429 tried again after the wait Segment gives, every call bounded in time and size.

use super::{Answer, ApiFailure, SegmentApi, SegmentError};
use crate::model::segment::{
    Destination, Function, FunctionKind, FunctionSetting, Source, Workspace,
};
use backon::{ConstantBuilder, Retryable};
use http::Method;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
// The SDK's own request body: hyper's client code is then instantiated once for both clients
// (a second body type would have the final LTO step compile and optimize it all again).
use aws_smithy_types::body::SdkBody;
use http_body_util::{BodyExt, Limited};
use hyper_rustls::{ConfigBuilderExt, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Requests' bodies: the API's stable version.
const MEDIA_TYPE: &str = "application/vnd.segment.v1+json";
/// A call gets this long for an answer; the API answers in well under a second.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// A body larger than this isn't one of Segment's answers to these calls.
const MAX_BODY: usize = 16 * 1024 * 1024;
/// Pages of 200 (the API's documented default and old maximum); at most this many.
const PAGE_SIZE: u32 = 200;
const MAX_PAGES: usize = 500;
/// A 429 is tried again this many times, each after the wait Segment's answer names (capped).
const RATE_LIMIT_TRIES: usize = 3;
const LONGEST_WAIT: Duration = Duration::from_secs(120);

/// A Public API token: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: &str) -> Result<Token, String> {
        crate::model::segment::check_token(token)?;
        Ok(Token(token.trim().to_string()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(hidden)")
    }
}

pub struct HttpApi {
    client: Client<HttpsConnector<HttpConnector>, SdkBody>,
    base: String,
    token: Token,
}

impl HttpApi {
    /// A client for the API at `base` (https, or http on this machine only: see
    /// [`crate::model::segment::check_base_url`]).
    pub fn new(base: &str, token: Token) -> Result<HttpApi, String> {
        crate::model::segment::check_base_url(base)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_native_roots()
            .map_err(|e| format!("the system's certificates: {e}"))?
            .with_no_client_auth();
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpApi {
            client: Client::builder(TokioExecutor::new()).build(https),
            base: base.trim_end_matches('/').to_string(),
            token,
        })
    }

    async fn once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Answer<Value> {
        let network = |message: String| SegmentError::Network {
            what: what.to_string(),
            message,
        };
        let bytes = match body {
            Some(body) => serde_json::to_vec(body).map_err(|e| network(e.to_string()))?,
            None => Vec::new(),
        };
        let request = http::Request::builder()
            .method(method.clone())
            .uri(format!("{}{path}", self.base))
            .header(AUTHORIZATION, format!("Bearer {}", self.token.0))
            // The stable version's media type, as Segment's OpenAPI document names it (plain
            // JSON is accepted as an answer too).
            .header(ACCEPT, "application/vnd.segment.v1+json, application/json")
            .header(CONTENT_TYPE, MEDIA_TYPE)
            .header(
                USER_AGENT,
                concat!("segment-aws-setup/", env!("CARGO_PKG_VERSION")),
            )
            .body(SdkBody::from(bytes))
            .map_err(|e| network(e.to_string()))?;
        let answer = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| network(error_chain(&e)))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| network(e.to_string()))?
                .to_bytes();
            Ok::<_, SegmentError>((status, body))
        };
        let sent = std::time::Instant::now();
        let answered = tokio::time::timeout(CALL_TIMEOUT, answer).await;
        // The debug log: the call and its answer's status, never a body or the token. The path
        // holds IDs of functions and destinations (no secret); the query, a page cursor.
        let path_only = path.split('?').next().unwrap_or(path);
        let ms = sent.elapsed().as_millis() as u64;
        match &answered {
            Ok(Ok((status, _))) => tracing::debug!(
                target: crate::model::segment::CALL_LOG_TARGET,
                api = "Segment Public API",
                method = %method,
                path = %path_only,
                status = *status,
                ms,
                "Segment call"
            ),
            _ => tracing::debug!(
                target: crate::model::segment::CALL_LOG_TARGET,
                api = "Segment Public API",
                method = %method,
                path = %path_only,
                status = "no answer",
                ms,
                "Segment call"
            ),
        }
        let (status, body) = answered
            .map_err(|_| network(format!("no answer in {} s", CALL_TIMEOUT.as_secs())))??;
        if (200..300).contains(&status) {
            let value: Value =
                serde_json::from_slice(&body).map_err(|e| network(format!("not JSON ({e})")))?;
            Ok(value["data"].clone())
        } else {
            Err(SegmentError::Api {
                what: what.to_string(),
                failure: ApiFailure::from_body(status, &body),
            })
        }
    }

    /// One call, a 429 tried again after the wait Segment gives.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Answer<Value> {
        (|| self.once(&method, path, body, what))
            .retry(
                ConstantBuilder::default()
                    .with_delay(Duration::from_secs(1))
                    .with_max_times(RATE_LIMIT_TRIES),
            )
            .sleep(tokio::time::sleep)
            .when(|e: &SegmentError| e.rate_limit_wait().is_some())
            .adjust(|e: &SegmentError, delay| {
                e.rate_limit_wait().map(|w| w.min(LONGEST_WAIT)).or(delay)
            })
            .await
    }

    /// Every item of a paged list: `data.<key>[]`, following `data.pagination.next`.
    async fn all_pages(&self, path: &str, key: &str, what: &str) -> Answer<Vec<Value>> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page = format!("{path}{separator}pagination.count={PAGE_SIZE}");
            if let Some(cursor) = &cursor {
                page.push_str("&pagination.cursor=");
                page.extend(percent_encoding::utf8_percent_encode(cursor, ESCAPED));
            }
            let data = self.call(Method::GET, &page, None, what).await?;
            items.extend(data[key].as_array().cloned().unwrap_or_default());
            match data["pagination"]["next"].as_str() {
                Some(next) if !next.is_empty() && Some(next) != cursor.as_deref() => {
                    cursor = Some(next.to_string());
                }
                _ => return Ok(items),
            }
        }
        Ok(items)
    }
}

/// A hyper error with what caused it (the connection refused, the certificate refused ...).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What a path segment or a query value may hold as it is: RFC 3986's unreserved characters.
const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn segment_path(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, ESCAPED).to_string()
}

fn function(value: &Value, what: &str) -> Answer<Function> {
    serde_json::from_value(value.clone()).map_err(|e| SegmentError::Network {
        what: what.to_string(),
        message: format!("an unexpected function ({e})"),
    })
}

fn destination(value: &Value, what: &str) -> Answer<Destination> {
    Destination::from_json(value).ok_or_else(|| SegmentError::Network {
        what: what.to_string(),
        message: "an unexpected destination".into(),
    })
}

#[async_trait::async_trait]
impl SegmentApi for HttpApi {
    async fn workspace(&self) -> Answer<Workspace> {
        let what = "reading the token's workspace";
        let data = self.call(Method::GET, "/", None, what).await?;
        serde_json::from_value(data["workspace"].clone()).map_err(|e| SegmentError::Network {
            what: what.into(),
            message: format!("an unexpected workspace ({e})"),
        })
    }

    async fn functions(&self, kind: FunctionKind) -> Answer<Vec<Function>> {
        let what = "listing the workspace's functions";
        let path = format!("/functions?resourceType={}", kind.resource_type());
        self.all_pages(&path, "functions", what)
            .await?
            .iter()
            .map(|f| function(f, what))
            .collect()
    }

    async fn function(&self, id: &str) -> Answer<Function> {
        let what = format!("reading function {id}");
        let data = self
            .call(
                Method::GET,
                &format!("/functions/{}", segment_path(id)),
                None,
                &what,
            )
            .await?;
        function(&data["function"], &what)
    }

    async fn set_function_settings(
        &self,
        id: &str,
        settings: &[FunctionSetting],
    ) -> Answer<Function> {
        let what = format!("adding setting definitions to function {id}");
        let body = json!({ "settings": settings });
        let data = self
            .call(
                Method::PATCH,
                &format!("/functions/{}", segment_path(id)),
                Some(&body),
                &what,
            )
            .await?;
        function(&data["function"], &what)
    }

    async fn destinations(&self) -> Answer<Vec<Destination>> {
        let what = "listing the workspace's destinations";
        self.all_pages("/destinations", "destinations", what)
            .await?
            .iter()
            .map(|d| destination(d, what))
            .collect()
    }

    async fn destination(&self, id: &str) -> Answer<Destination> {
        let what = format!("reading destination {id}");
        let data = self
            .call(
                Method::GET,
                &format!("/destinations/{}", segment_path(id)),
                None,
                &what,
            )
            .await?;
        destination(&data["destination"], &what)
    }

    async fn update_destination(&self, id: &str, body: &Value) -> Answer<Destination> {
        let what = format!("writing the settings of destination {id}");
        let data = self
            .call(
                Method::PATCH,
                &format!("/destinations/{}", segment_path(id)),
                Some(body),
                &what,
            )
            .await?;
        destination(&data["destination"], &what)
    }

    async fn create_destination(
        &self,
        source_id: &str,
        metadata_id: &str,
        name: &str,
        settings: &Value,
    ) -> Answer<Destination> {
        let what = format!("connecting {name} to source {source_id}");
        let body = json!({
            "sourceId": source_id,
            "metadataId": metadata_id,
            "name": name,
            "enabled": false,
            "settings": settings,
        });
        let data = self
            .call(Method::POST, "/destinations", Some(&body), &what)
            .await?;
        destination(&data["destination"], &what)
    }

    async fn sources(&self) -> Answer<Vec<Source>> {
        let what = "listing the workspace's sources";
        Ok(self
            .all_pages("/sources", "sources", what)
            .await?
            .iter()
            .filter_map(Source::from_json)
            .collect())
    }
}
