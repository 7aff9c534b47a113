//! A workspace in memory, behaving as the Public API does where a setup can tell: a destination's
//! PATCH changes only the keys sent and ignores read-only ones (400 when it sends only those),
//! secrets read back masked, a function's PATCH replaces its list of definitions. Failures can be
//! scripted per call. The demo's workspace, and the sequences' tests, use it.

use super::{Answer, ApiFailure, SegmentApi, SegmentError};
use crate::model::segment::{
    Destination, Function, FunctionKind, FunctionSetting, MASK, Source, Workspace,
};
use serde_json::{Map, Value, json};
use std::sync::Mutex;

/// Keys Segment sets itself: a write to them is ignored.
const READ_ONLY_KEYS: [&str; 2] = ["externalId", "secretId"];
/// Catalog keys whose values come back masked.
const SECRET_KEYS: [&str; 3] = ["iam_external_id", "externalId", "secretId"];

#[derive(Default)]
struct State {
    workspace: Option<Workspace>,
    functions: Vec<Function>,
    destinations: Vec<Destination>,
    sources: Vec<Source>,
    calls: Vec<String>,
    /// Failures to answer with: (a call's name, such as `PATCH /destinations/d1`, the failure).
    failures: Vec<(String, ApiFailure)>,
    next_id: u32,
}

pub struct FakeSegment {
    state: Mutex<State>,
}

fn masked(value: &Value) -> Value {
    match value.as_str() {
        Some(text) if !text.is_empty() => {
            let tail: String = text
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            Value::String(format!("{}{tail}", MASK.to_string().repeat(10)))
        }
        _ => value.clone(),
    }
}

impl FakeSegment {
    pub fn new(workspace: Workspace) -> FakeSegment {
        FakeSegment {
            state: Mutex::new(State {
                workspace: Some(workspace),
                ..State::default()
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A test that panicked while holding it has failed already; its data is still whole.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn with_source(self, id: &str, name: &str) -> FakeSegment {
        self.state().sources.push(Source {
            id: id.into(),
            name: name.into(),
            slug: name.to_lowercase().replace(' ', "-"),
        });
        self
    }

    pub fn with_function(self, function: Function) -> FakeSegment {
        self.state().functions.push(function);
        self
    }

    pub fn with_destination(self, destination: Destination) -> FakeSegment {
        self.state().destinations.push(destination);
        self
    }

    /// The next call of this name (`GET /`, `PATCH /functions/ID`, `POST /destinations` ...)
    /// fails so.
    pub fn fail(&self, call: &str, status: u16, body: &str) {
        self.state().failures.push((
            call.to_string(),
            ApiFailure::from_body(status, body.as_bytes()),
        ));
    }

    /// The calls made, in order, by name.
    pub fn calls(&self) -> Vec<String> {
        self.state().calls.clone()
    }

    /// A destination as stored (secrets unmasked), for a test to check what was written.
    pub fn stored_destination(&self, id: &str) -> Option<Destination> {
        self.state()
            .destinations
            .iter()
            .find(|d| d.id == id)
            .cloned()
    }

    pub fn stored_function(&self, id: &str) -> Option<Function> {
        self.state().functions.iter().find(|f| f.id == id).cloned()
    }

    fn enter(&self, call: String, what: &str) -> Answer<()> {
        let mut state = self.state();
        state.calls.push(call.clone());
        if let Some(at) = state.failures.iter().position(|(name, _)| *name == call) {
            let (_, failure) = state.failures.remove(at);
            return Err(SegmentError::Api {
                what: what.to_string(),
                failure,
            });
        }
        Ok(())
    }

    fn not_found(what: &str) -> SegmentError {
        SegmentError::Api {
            what: what.to_string(),
            failure: ApiFailure::from_body(
                404,
                br#"{"errors":[{"type":"not-found","message":"Resource not found"}]}"#,
            ),
        }
    }

    /// A destination as the API returns it: secrets masked.
    fn shown(state: &State, destination: &Destination) -> Destination {
        let secret_keys: Vec<String> = state
            .functions
            .iter()
            .filter(|f| f.catalog_id == destination.metadata_id)
            .flat_map(|f| {
                f.settings
                    .iter()
                    .filter(|s| s.sensitive)
                    .map(|s| s.name.clone())
            })
            .chain(SECRET_KEYS.iter().map(|k| k.to_string()))
            .collect();
        let mut shown = destination.clone();
        for (key, value) in shown.settings.iter_mut() {
            if secret_keys.contains(key) {
                *value = masked(value);
            }
        }
        shown
    }
}

#[async_trait::async_trait]
impl SegmentApi for FakeSegment {
    async fn workspace(&self) -> Answer<Workspace> {
        let what = "reading the token's workspace";
        self.enter("GET /".into(), what)?;
        self.state()
            .workspace
            .clone()
            .ok_or_else(|| Self::not_found(what))
    }

    async fn functions(&self, kind: FunctionKind) -> Answer<Vec<Function>> {
        self.enter(
            format!("GET /functions?resourceType={}", kind.resource_type()),
            "listing functions",
        )?;
        Ok(self
            .state()
            .functions
            .iter()
            .filter(|f| f.resource_type == kind.resource_type())
            .cloned()
            .collect())
    }

    async fn function(&self, id: &str) -> Answer<Function> {
        let what = format!("reading function {id}");
        self.enter(format!("GET /functions/{id}"), &what)?;
        self.stored_function(id)
            .ok_or_else(|| Self::not_found(&what))
    }

    async fn set_function_settings(
        &self,
        id: &str,
        settings: &[FunctionSetting],
    ) -> Answer<Function> {
        let what = format!("adding setting definitions to function {id}");
        self.enter(format!("PATCH /functions/{id}"), &what)?;
        let mut state = self.state();
        let function = state
            .functions
            .iter_mut()
            .find(|f| f.id == id)
            .ok_or_else(|| Self::not_found(&what))?;
        function.settings = settings.to_vec();
        Ok(function.clone())
    }

    async fn destinations(&self) -> Answer<Vec<Destination>> {
        self.enter("GET /destinations".into(), "listing destinations")?;
        let state = self.state();
        Ok(state
            .destinations
            .iter()
            .map(|d| Self::shown(&state, d))
            .collect())
    }

    async fn destination(&self, id: &str) -> Answer<Destination> {
        let what = format!("reading destination {id}");
        self.enter(format!("GET /destinations/{id}"), &what)?;
        let state = self.state();
        state
            .destinations
            .iter()
            .find(|d| d.id == id)
            .map(|d| Self::shown(&state, d))
            .ok_or_else(|| Self::not_found(&what))
    }

    async fn update_destination(&self, id: &str, body: &Value) -> Answer<Destination> {
        let what = format!("writing the settings of destination {id}");
        self.enter(format!("PATCH /destinations/{id}"), &what)?;
        let sent: Map<String, Value> = body["settings"].as_object().cloned().unwrap_or_default();
        if !sent.is_empty() && sent.keys().all(|k| READ_ONLY_KEYS.contains(&k.as_str())) {
            return Err(SegmentError::Api {
                what,
                failure: ApiFailure::from_body(400, br#"{"errors":[{"type":"bad-request","message":"Only read-only settings were sent"}]}"#),
            });
        }
        let mut state = self.state();
        let destination = state
            .destinations
            .iter_mut()
            .find(|d| d.id == id)
            .ok_or_else(|| Self::not_found(&what))?;
        for (key, value) in sent {
            if !READ_ONLY_KEYS.contains(&key.as_str()) {
                destination.settings.insert(key, value);
            }
        }
        let stored = destination.clone();
        Ok(Self::shown(&state, &stored))
    }

    async fn create_destination(
        &self,
        source_id: &str,
        metadata_id: &str,
        name: &str,
        settings: &Value,
    ) -> Answer<Destination> {
        let what = format!("connecting {name} to source {source_id}");
        self.enter("POST /destinations".into(), &what)?;
        let mut state = self.state();
        if !state.sources.iter().any(|s| s.id == source_id) {
            return Err(Self::not_found(&what));
        }
        state.next_id += 1;
        let destination = Destination {
            id: format!("dst{:05}", state.next_id),
            name: name.to_string(),
            enabled: false,
            metadata_id: metadata_id.to_string(),
            metadata_name: name.to_string(),
            source_id: source_id.to_string(),
            settings: settings.as_object().cloned().unwrap_or_default(),
        };
        state.destinations.push(destination.clone());
        Ok(Self::shown(&state, &destination))
    }

    async fn sources(&self) -> Answer<Vec<Source>> {
        self.enter("GET /sources".into(), "listing sources")?;
        Ok(self.state().sources.clone())
    }
}

/// The demo's workspace: two sources, a destination function, and an Amazon Lambda, a Kinesis
/// and an AWS S3 destination waiting for their role.
pub fn demo() -> FakeSegment {
    let lambda = |id: &str, source: &str| Destination {
        id: id.into(),
        name: "Amazon Lambda".into(),
        enabled: false,
        metadata_id: "5c86f0512f5eb100013d570b".into(),
        metadata_name: "Amazon Lambda".into(),
        source_id: source.into(),
        settings: serde_json::from_value(json!({"externalId": "demo-workspace-id"}))
            .unwrap_or_default(),
    };
    FakeSegment::new(Workspace {
        id: "wXZ2sd8N3mJ".into(),
        name: "Demo workspace".into(),
        slug: "demo-workspace".into(),
    })
    .with_source("srcWEB0001", "Website")
    .with_source("srcIOS0002", "iOS app")
    .with_function(Function {
        id: "dfn_6419c66b7ad2113079d2907d".into(),
        display_name: "Send events to S3".into(),
        resource_type: "DESTINATION".into(),
        catalog_id: "6419c66b7ad2113079d2907d".into(),
        settings: Vec::new(),
    })
    .with_destination(lambda("dstLAMBDA01", "srcWEB0001"))
    .with_destination(Destination {
        id: "dstKINESIS1".into(),
        name: "Amazon Kinesis".into(),
        enabled: true,
        metadata_id: "57da359580412f644ff33fb9".into(),
        metadata_name: "Amazon Kinesis".into(),
        source_id: "srcIOS0002".into(),
        settings: Map::new(),
    })
}
