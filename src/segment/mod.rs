//! Segment's Public API behind one small trait, beside `aws`: the workspace a token belongs to,
//! its functions, destinations and sources, and the few writes a setup needs. One implementation
//! over HTTP (`http`, on the hyper and rustls stack the AWS SDK already uses) and an in-memory
//! workspace (`fake`) for the demo and for tests of the sequences.

pub mod fake;
pub mod http;

pub use crate::model::segment::errors::ApiFailure;
use crate::model::segment::{
    Destination, Function, FunctionKind, FunctionSetting, Source, Workspace,
};
use serde_json::Value;
use std::time::Duration;

/// Why a Public API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// Segment answered with an error.
    #[error("{}", failure.explain(what))]
    Api { what: String, failure: ApiFailure },
    /// No answer (no connection, a time-out, a body that isn't Segment's JSON).
    #[error("{what}: no answer from Segment's Public API ({message})")]
    Network { what: String, message: String },
}

impl SegmentError {
    pub fn status(&self) -> Option<u16> {
        match self {
            SegmentError::Api { failure, .. } => Some(failure.status),
            SegmentError::Network { .. } => None,
        }
    }

    /// How long Segment asked to wait, for a 429.
    pub fn rate_limit_wait(&self) -> Option<Duration> {
        match self {
            SegmentError::Api { failure, .. } if failure.status == 429 => {
                Some(failure.wait.unwrap_or(Duration::from_secs(1)))
            }
            _ => None,
        }
    }

    /// The token was refused, or belongs to another host (US against EU).
    pub fn is_refused(&self) -> bool {
        matches!(self.status(), Some(401 | 403 | 404))
    }
}

pub type Answer<T> = Result<T, SegmentError>;

/// A workspace's Public API, as much of it as a setup needs.
#[async_trait::async_trait]
pub trait SegmentApi: Send + Sync {
    /// `GET /`: the token's workspace (the token's check).
    async fn workspace(&self) -> Answer<Workspace>;
    /// Every function of a kind, without code.
    async fn functions(&self, kind: FunctionKind) -> Answer<Vec<Function>>;
    async fn function(&self, id: &str) -> Answer<Function>;
    /// `PATCH /functions/{id}` with the whole list of definitions, never the code.
    async fn set_function_settings(
        &self,
        id: &str,
        settings: &[FunctionSetting],
    ) -> Answer<Function>;
    /// Every destination instance of the workspace.
    async fn destinations(&self) -> Answer<Vec<Destination>>;
    async fn destination(&self, id: &str) -> Answer<Destination>;
    /// `PATCH /destinations/{id}` with `{"settings": {...}}`: only the keys given change.
    async fn update_destination(&self, id: &str, body: &Value) -> Answer<Destination>;
    /// `POST /destinations`: an instance of a catalog destination (or of a destination function,
    /// by its catalog ID) connected to a source.
    async fn create_destination(
        &self,
        source_id: &str,
        metadata_id: &str,
        name: &str,
        settings: &Value,
    ) -> Answer<Destination>;
    async fn sources(&self) -> Answer<Vec<Source>>;
}
