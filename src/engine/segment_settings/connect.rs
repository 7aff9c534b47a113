//! Reaching a workspace: the token checked once with `GET /` (at the host given, the region
//! chosen, or US then EU), the IDs Segment offers for an external ID, and the demo's workspace.

use crate::model::segment::errors::NO_API;
use crate::model::segment::{ApiRegion, Source, Workspace};
use crate::segment::SegmentApi;
use crate::segment::http::{HttpApi, Token};
use std::sync::Arc;

/// The environment variable that points the client at another host (a test server, a proxy).
pub const URL_VARIABLE: &str = "SEGMENT_PUBLIC_API_URL";

/// A workspace reached with a token.
#[derive(Clone)]
pub struct SegmentConnection {
    pub api: Arc<dyn SegmentApi>,
    pub workspace: Workspace,
    /// Where it answered (`None`: a host given by [`URL_VARIABLE`], or the demo).
    pub region: Option<ApiRegion>,
}

/// Checks the token with `GET /` at the host given, the region chosen, or US then EU.
pub async fn connect(
    token: &str,
    region: Option<ApiRegion>,
    url: Option<&str>,
) -> Result<SegmentConnection, String> {
    connect_with(Token::new(token)?, region, url).await
}

/// As [`connect`], at the host [`URL_VARIABLE`] names when it is set (as the SDK reads
/// `AWS_ENDPOINT_URL`): what every face calls.
pub async fn connect_configured(
    token: &str,
    region: Option<ApiRegion>,
) -> Result<SegmentConnection, String> {
    connect_token_configured(Token::new(token)?, region).await
}

/// As [`connect_configured`], with a token already checked (one typed into the wizard).
pub async fn connect_token_configured(
    token: Token,
    region: Option<ApiRegion>,
) -> Result<SegmentConnection, String> {
    let url = std::env::var(URL_VARIABLE).ok();
    connect_with(token, region, url.as_deref()).await
}

/// As [`connect`], with a token already checked.
pub async fn connect_with(
    token: Token,
    region: Option<ApiRegion>,
    url: Option<&str>,
) -> Result<SegmentConnection, String> {
    let places: Vec<(String, Option<ApiRegion>)> = match (url, region) {
        (Some(url), _) => vec![(url.to_string(), None)],
        (None, Some(region)) => vec![(region.base_url().to_string(), Some(region))],
        (None, None) => ApiRegion::ALL
            .iter()
            .map(|r| (r.base_url().to_string(), Some(*r)))
            .collect(),
    };
    let mut refused = None;
    for (base, region) in &places {
        let api = Arc::new(HttpApi::new(base, token.clone())?);
        match api.workspace().await {
            Ok(workspace) => {
                return Ok(SegmentConnection {
                    api,
                    workspace,
                    region: *region,
                });
            }
            // A token of the other region is refused here: try the next host.
            Err(error) if error.is_refused() && places.len() > 1 => refused = Some(error),
            Err(error) => return Err(error.to_string()),
        }
    }
    Err(refused.map_or_else(|| NO_API.to_string(), |e| {
        format!("{e}. It was tried at Segment's US and EU hosts; if the workspace is on the Free plan, it has no Public API: {NO_API}")
    }))
}

/// The IDs Segment gives for an integration whose external ID is the workspace ID: the
/// workspace's, and its sources' when the role may trust those too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedIds {
    pub workspace: Workspace,
    pub sources: Vec<Source>,
}

/// Reads what [`OfferedIds`] holds: the sources only where the integration accepts them.
pub async fn offered_ids(
    connection: &SegmentConnection,
    integration: &crate::model::catalog::Integration,
) -> Result<OfferedIds, String> {
    let sources = if integration.external_id.source_ids {
        connection.api.sources().await.map_err(|e| e.to_string())?
    } else {
        Vec::new()
    };
    Ok(OfferedIds {
        workspace: connection.workspace.clone(),
        sources,
    })
}

/// The demo's workspace: simulated, nothing leaves this machine.
pub fn demo() -> SegmentConnection {
    let api = crate::segment::fake::demo();
    SegmentConnection {
        workspace: Workspace {
            id: "wXZ2sd8N3mJ".into(),
            name: "Demo workspace".into(),
            slug: "demo-workspace".into(),
        },
        api: Arc::new(api),
        region: None,
    }
}

/// The command that writes a setup's settings later, for the setup made by stack or by role.
pub fn later_command(stack_name: Option<&str>, role_name: Option<&str>) -> Option<String> {
    let setup = match (stack_name, role_name) {
        (Some(stack), _) => format!("--stack-name {}", crate::model::place::shell_word(stack)),
        (None, Some(role)) => format!("--role-name {}", crate::model::place::shell_word(role)),
        (None, None) => return None,
    };
    Some(format!(
        "With a Segment Public API token in {} (Team and Business workspaces), segment-aws-setup write-settings {setup} writes these settings into Segment.",
        crate::model::segment::TOKEN_VARIABLE
    ))
}
