//! What a SignalARRR endpoint keeps per connection: where the client connected to, its
//! attributes (`#` headers, `@` query parameters), the request facts message credentials
//! are checked against, its cached message credential, and the streams it owes the
//! server.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use tokio::time::Instant;

use crate::dialect::ConnectRequest;
use crate::hub::UploadSender;
use crate::identity::Identity;

/// A message credential that was checked, and until when it stands.
#[derive(Debug, Clone)]
pub(crate) struct CachedCredential {
    /// The credential as sent (with its scheme).
    pub(crate) credential: String,
    pub(crate) identity: Arc<Identity>,
    pub(crate) valid_until: Instant,
}

/// The credential side of a connection.
#[derive(Debug, Default)]
pub(crate) struct Credentials {
    pub(crate) cached: Option<CachedCredential>,
    /// The client answered a challenge with nothing: it is not asked again until a
    /// message brings a credential.
    pub(crate) declined: bool,
}

/// One SignalARRR connection.
#[derive(Debug)]
pub(crate) struct ClientState {
    pub(crate) id: Arc<str>,
    /// The URL the client connected to, without its query: upload and download URLs
    /// start with it.
    pub(crate) connected_to: String,
    pub(crate) attributes: BTreeMap<String, String>,
    pub(crate) request: Option<Arc<ConnectRequest>>,
    pub(crate) credentials: Mutex<Credentials>,
    /// Streams the server asked this client for, by stream id.
    pub(crate) streams: Mutex<HashMap<String, UploadSender>>,
}

impl ClientState {
    pub(crate) fn new(id: Arc<str>, request: Option<&ConnectRequest>) -> Self {
        let connected_to = request.map(connected_to).unwrap_or_default();
        let attributes = request.map(attributes).unwrap_or_default();
        ClientState {
            id,
            connected_to,
            attributes,
            request: request.map(|r| Arc::new(r.clone())),
            credentials: Mutex::new(Credentials::default()),
            streams: Mutex::new(HashMap::new()),
        }
    }
}

/// `{scheme}://{host}{path}` of the request (SignalARRR's `ConnectedTo`).
fn connected_to(r: &ConnectRequest) -> String {
    let host = r
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| r.uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let scheme = r.uri.scheme_str().unwrap_or("http");
    format!("{scheme}://{host}{}", r.uri.path().trim_end_matches('/'))
}

/// Request headers starting with `#` and query parameters starting with `@`, the prefix
/// stripped (header names as the client spelled them, when the listener kept them).
fn attributes(r: &ConnectRequest) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in &r.headers {
        let Some(key) = name.as_str().strip_prefix('#') else {
            continue;
        };
        let Ok(value) = value.to_str() else { continue };
        let spelled = r
            .header_case
            .get(name.as_str())
            .and_then(|s| s.strip_prefix('#'))
            .unwrap_or(key);
        out.insert(spelled.to_owned(), value.to_owned());
    }
    for (name, value) in &r.query {
        if let Some(key) = name.strip_prefix('@') {
            out.insert(key.to_owned(), value.clone());
        }
    }
    out
}

/// What a hub method can learn about a SignalARRR caller (SignalARRR's `ClientContext`).
#[derive(Debug, Clone)]
pub struct ClientContext {
    connection_id: Arc<str>,
    connected_to: String,
    attributes: BTreeMap<String, String>,
    headers: HeaderMap,
    query: HashMap<String, String>,
}

impl ClientContext {
    pub(crate) fn of(state: &ClientState) -> Self {
        ClientContext {
            connection_id: state.id.clone(),
            connected_to: state.connected_to.clone(),
            attributes: state.attributes.clone(),
            headers: state
                .request
                .as_ref()
                .map(|r| r.headers.clone())
                .unwrap_or_default(),
            query: state
                .request
                .as_ref()
                .map(|r| r.query.clone())
                .unwrap_or_default(),
        }
    }

    /// The connection's id.
    pub fn connection_id(&self) -> &str {
        &self.connection_id
    }

    /// The URL the client connected to, without its query
    /// (`http://host:port/signalr/testhub`).
    pub fn connected_to(&self) -> &str {
        &self.connected_to
    }

    /// The client's attributes: the headers of its connect request that start with `#`
    /// and its query parameters that start with `@`, without the prefix. Header names keep
    /// the client's spelling when the server runs on `signalr_server::serve` (other HTTP
    /// stacks lower-case them).
    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.attributes
    }

    /// One attribute, by name matched case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A header of the request that established the connection.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A query parameter of the request that established the connection.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn attributes_and_the_url_come_from_the_connect_request() {
        let (parts, ()) = axum::http::Request::get("/signalr/testhub/?id=t&@Tenant=a")
            .header("host", "127.0.0.1:5000")
            .header("#AppVersion", "3.0.0")
            .header("#clienttype", "TypeScript")
            .body(())
            .unwrap()
            .into_parts();
        let mut request = ConnectRequest::new(
            &parts,
            [("id", "t"), ("@Tenant", "a")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        request
            .header_case
            .insert("#appversion".into(), "#AppVersion".into());
        let state = ClientState::new("c".into(), Some(&request));
        assert_eq!(state.connected_to, "http://127.0.0.1:5000/signalr/testhub");
        let ctx = ClientContext::of(&state);
        let attrs: Vec<(&str, &str)> = ctx
            .attributes()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            attrs,
            [
                ("AppVersion", "3.0.0"),
                ("Tenant", "a"),
                ("clienttype", "TypeScript")
            ]
        );
        assert_eq!(ctx.attribute("ClientType"), Some("TypeScript"));
        assert_eq!(ctx.header("#appversion"), Some("3.0.0"));
        assert_eq!(ctx.query("id"), Some("t"));
    }
}
