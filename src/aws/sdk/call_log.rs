//! The debug log's AWS half: every attempt of every AWS call as one `tracing` event (service,
//! operation, region, HTTP status, request ID, milliseconds), from an interceptor every client
//! carries. Only these fields: never a request or response body (policies, external IDs), never
//! a header but the request ID (credentials, signatures). Nothing is written unless the debug
//! log is on (`--debug`): with no subscriber an event costs nothing.

use aws_sdk_sts::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_sts::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use std::time::Instant;

/// A client of `$service` on an SDK configuration, every call of it in the debug log.
macro_rules! client {
    ($service:ident, $config:expr) => {
        $service::Client::from_conf(
            $service::config::Builder::from($config)
                .interceptor($crate::aws::sdk::call_log::CallLog)
                .build(),
        )
    };
}
pub(crate) use client;

/// The target the debug log keeps (the SDK's own events are left out: they may hold bodies).
pub const TARGET: &str = crate::model::segment::CALL_LOG_TARGET;

/// The interceptor.
#[derive(Debug, Clone, Copy)]
pub struct CallLog;

/// When the attempt was sent.
#[derive(Debug, Clone)]
struct Sent(Instant);

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().store_put(Sent(Instant::now()));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let metadata = cfg.load::<aws_smithy_runtime_api::client::orchestrator::Metadata>();
        let service = metadata.map_or("?", |m| m.service()).to_string();
        let operation = metadata.map_or("?", |m| m.name()).to_string();
        let region = cfg
            .load::<aws_types::region::Region>()
            .map_or_else(|| "-".to_string(), |r| r.to_string());
        let ms = cfg
            .load::<Sent>()
            .map_or(0, |sent| sent.0.elapsed().as_millis());
        match context.response() {
            Some(response) => {
                let headers = response.headers();
                let request_id = headers
                    .get("x-amzn-requestid")
                    .or_else(|| headers.get("x-amz-request-id"))
                    .unwrap_or("-");
                tracing::debug!(
                    target: TARGET,
                    service = %service,
                    operation = %operation,
                    region = %region,
                    status = response.status().as_u16(),
                    request_id = %request_id,
                    ms = ms as u64,
                    "AWS call"
                );
            }
            None => tracing::debug!(
                target: TARGET,
                service = %service,
                operation = %operation,
                region = %region,
                status = "no answer",
                ms = ms as u64,
                "AWS call"
            ),
        }
        Ok(())
    }
}
