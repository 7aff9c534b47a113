//! A stand-in of Segment's Public API on a port of 127.0.0.1 for the tests: hyper's server over
//! the in-memory workspace of `segment_aws_setup::segment::fake`, in Segment's envelope, with
//! cursor paging, the bearer token checked, a scripted 429, and answers as whole as Segment's
//! document makes them; every request and answer recorded.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use segment_aws_setup::model::segment::{Destination, FunctionKind, FunctionSetting};
use segment_aws_setup::segment::fake::FakeSegment;
use segment_aws_setup::segment::{SegmentApi, SegmentError};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "sgp_test0123456789";

/// A request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: String,
    pub content_type: String,
    pub body: Value,
    /// The answer's status and body.
    pub status: u16,
    pub answer: Value,
}

/// The Public API on a port of 127.0.0.1, answering from a [`FakeSegment`].
pub struct PublicApi {
    pub url: String,
    pub workspace: Arc<FakeSegment>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Calls (by `METHOD /path`) to answer once with a 429 first.
    rate_limited: Arc<Mutex<Vec<String>>>,
}

impl PublicApi {
    /// Served on a thread of its own, so a test's runtime (or none) can use it.
    pub fn start(workspace: FakeSegment) -> PublicApi {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let workspace = Arc::new(workspace);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rate_limited = Arc::new(Mutex::new(Vec::new()));
        let (w, s, r) = (workspace.clone(), seen.clone(), rate_limited.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                while let Ok((stream, _)) = listener.accept().await {
                    let (w, s, r) = (w.clone(), s.clone(), r.clone());
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            answer(request, w.clone(), s.clone(), r.clone())
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        PublicApi {
            url,
            workspace,
            seen,
            rate_limited,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn rate_limit_once(&self, call: &str) {
        if let Ok(mut calls) = self.rate_limited.lock() {
            calls.push(call.to_string());
        }
    }
}

/// A DestinationV1 with every field Segment's document requires.
fn destination_json(d: &Destination) -> Value {
    json!({
        "id": d.id, "name": d.name, "enabled": d.enabled, "sourceId": d.source_id, "settings": d.settings,
        "metadata": {
            "id": d.metadata_id, "name": d.metadata_name, "slug": d.metadata_name.to_lowercase().replace(' ', "-"),
            "description": "", "logos": {"default": "https://cdn.example/logo.svg"}, "options": [], "status": "PUBLIC",
            "previousNames": [], "categories": [], "website": "", "components": [], "supportedFeatures": {},
            "supportedMethods": {}, "supportedPlatforms": {}, "actions": [], "presets": []
        }
    })
}

/// A SourceV1 with every field Segment's document requires.
fn source_json(s: &segment_aws_setup::model::segment::Source) -> Value {
    json!({
        "id": s.id, "name": s.name, "slug": s.slug, "workspaceId": "wXZ2sd8N3mJ", "enabled": true,
        "writeKeys": [], "labels": [],
        "metadata": {"id": "IqDTy1TpoU", "name": "Javascript", "slug": "javascript", "description": "",
            "logos": {"default": "https://cdn.example/logo.svg"}, "options": [], "categories": [], "isCloudEventSource": false}
    })
}

fn envelope(status: u16, value: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(value.to_string())))
        .expect("a response")
}

fn failure(error: SegmentError) -> Response<Full<Bytes>> {
    match error {
        SegmentError::Api { failure, .. } => envelope(
            failure.status,
            json!({"errors": failure.messages.iter().map(|m| json!({"type": "error", "message": m})).collect::<Vec<_>>()}),
        ),
        SegmentError::Network { message, .. } => envelope(
            500,
            json!({"errors": [{"type": "error", "message": message}]}),
        ),
    }
}

/// One page of a list, as `pagination.count` and `pagination.cursor` ask.
fn page(items: Vec<Value>, query: &str, key: &str) -> Value {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let count: usize = get("pagination.count")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let start: usize = get("pagination.cursor")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    if count == 0 {
        return json!({"errors": [{"type": "input-validation", "message": "pagination.count is required", "field": "pagination.count"}]});
    }
    let end = (start + count).min(items.len());
    let mut pagination = json!({"current": start.to_string(), "totalEntries": items.len()});
    // The last page has no `next`, as Segment's answers have none.
    if end < items.len() {
        pagination["next"] = json!(end.to_string());
    }
    json!({"data": {key: items[start.min(end)..end], "pagination": pagination}})
}

async fn answer(
    request: Request<Incoming>,
    workspace: Arc<FakeSegment>,
    seen: Arc<Mutex<Vec<Seen>>>,
    rate_limited: Arc<Mutex<Vec<String>>>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let authorization = parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let method = parts.method.to_string();
    let full_path = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let record = |status: u16, answer: &Value| {
        if let Ok(mut seen) = seen.lock() {
            seen.push(Seen {
                method: method.clone(),
                path: full_path.clone(),
                authorization: authorization.clone(),
                content_type: content_type.clone(),
                body: body.clone(),
                status,
                answer: answer.clone(),
            });
        }
    };
    if authorization != format!("Bearer {TOKEN}") {
        record(401, &Value::Null);
        return Ok(envelope(
            401,
            json!({"errors": [{"type": "unauthorized", "message": "Unauthorized"}]}),
        ));
    }
    let call = format!("{} {path}", parts.method);
    let limited = rate_limited
        .lock()
        .map(|mut calls| match calls.iter().position(|c| *c == call) {
            Some(at) => {
                calls.remove(at);
                true
            }
            None => false,
        })
        .unwrap_or(false);
    if limited {
        record(429, &Value::Null);
        return Ok(envelope(
            429,
            json!({"errors": [{"type": "RequestError", "message": "Too many requests", "data": {"remainingPoints": 0, "msBeforeNext": 50, "consumedPoints": 21}}]}),
        ));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let w = workspace.as_ref();
    let result: Result<Value, SegmentError> = match (&parts.method, segments.as_slice()) {
        (&Method::GET, [""]) => w
            .workspace()
            .await
            .map(|ws| json!({"data": {"workspace": ws}})),
        (&Method::GET, ["functions"]) => {
            let kind = if query.contains("resourceType=SOURCE") {
                FunctionKind::Source
            } else {
                FunctionKind::Destination
            };
            w.functions(kind).await.map(|fs| {
                // The list holds no settings, as Segment's doesn't.
                let items = fs.iter().map(|f| json!({"id": f.id, "displayName": f.display_name, "resourceType": f.resource_type, "catalogId": f.catalog_id})).collect();
                page(items, &query, "functions")
            })
        }
        (&Method::GET, ["functions", id]) => w
            .function(id)
            .await
            .map(|f| json!({"data": {"function": f}})),
        (&Method::PATCH, ["functions", id]) => {
            let settings: Vec<FunctionSetting> =
                serde_json::from_value(body["settings"].clone()).unwrap_or_default();
            w.set_function_settings(id, &settings)
                .await
                .map(|f| json!({"data": {"function": f}}))
        }
        (&Method::GET, ["destinations"]) => w.destinations().await.map(|ds| {
            page(
                ds.iter().map(destination_json).collect(),
                &query,
                "destinations",
            )
        }),
        (&Method::GET, ["destinations", id]) => w
            .destination(id)
            .await
            .map(|d| json!({"data": {"destination": destination_json(&d)}})),
        (&Method::PATCH, ["destinations", id]) => w
            .update_destination(id, &body)
            .await
            .map(|d| json!({"data": {"destination": destination_json(&d)}})),
        (&Method::POST, ["destinations"]) => w
            .create_destination(
                body["sourceId"].as_str().unwrap_or_default(),
                body["metadataId"].as_str().unwrap_or_default(),
                body["name"].as_str().unwrap_or_default(),
                &body["settings"],
            )
            .await
            .map(|d| json!({"data": {"destination": destination_json(&d)}})),
        (&Method::GET, ["sources"]) => w
            .sources()
            .await
            .map(|ss| page(ss.iter().map(source_json).collect(), &query, "sources")),
        _ => Ok(json!({"errors": [{"type": "not-found", "message": "no such endpoint"}]})),
    };
    Ok(match result {
        Ok(value) if value.get("errors").is_some() => {
            let status = if path == "/" { 404 } else { 422 };
            record(status, &value);
            envelope(status, value)
        }
        Ok(value) => {
            record(200, &value);
            envelope(200, value)
        }
        Err(error) => {
            record(error.status().unwrap_or(500), &Value::Null);
            failure(error)
        }
    })
}
