//! One request to a classic endpoint, read and checked in the classic server's order: what
//! it asks for (by the suffix of its path), JSONP, the user (every request is
//! authenticated), the hubs of `connectionData` and their authorization, the transport, and
//! the connection token with the user it is bound to.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use signalr_protocol::classic::{ClassicTransport, ProtocolVersion, parse_connection_data};

use super::endpoint::Endpoint;
use super::protect;
use crate::auth::AuthRequest;
use crate::identity::Identity;

pub(super) const UNKNOWN_TRANSPORT: &str = "Protocol error: Unknown transport.";
pub(super) const MISSING_TOKEN: &str = "Protocol error: Missing connection token.";
pub(super) const BAD_TOKEN: &str = "The ConnectionId is in the incorrect format.";
pub(super) const OTHER_USER: &str = "Unrecognized user identity.  The user identity cannot change during an active SignalR connection.";
pub(super) const JSONP_DISABLED: &str = "Forbidden: JSONP is disabled.";
pub(super) const DUPLICATE_HUBS: &str = "Duplicate Hub names found.";

/// `'{name}' Hub could not be resolved.`
pub(super) fn unresolved_hub(name: &str) -> String {
    format!("'{name}' Hub could not be resolved.")
}

/// What a request asks for, by the end of its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `/hubs` or `/js`: the JavaScript proxies.
    Proxies,
    Negotiate,
    Ping,
    Start,
    Send,
    Abort,
    Connect,
    Reconnect,
    Poll,
    /// Anything else with a transport and token: a receive request like a reconnect.
    Other,
}

impl Kind {
    pub(super) fn of(path: &str) -> Kind {
        let lower = path.to_ascii_lowercase();
        let trimmed = lower.trim_end_matches('/');
        let ends = |s: &str| lower.ends_with(s);
        if trimmed.ends_with("/hubs") || trimmed.ends_with("/js") {
            Kind::Proxies
        } else if ends("/negotiate") {
            Kind::Negotiate
        } else if ends("/ping") {
            Kind::Ping
        } else if ends("/start") {
            Kind::Start
        } else if ends("/send") {
            Kind::Send
        } else if ends("/abort") {
            Kind::Abort
        } else if ends("/connect") {
            Kind::Connect
        } else if ends("/reconnect") {
            Kind::Reconnect
        } else if ends("/poll") {
            Kind::Poll
        } else {
            Kind::Other
        }
    }
}

/// Why a request is refused: the status and text of its answer ([`fail`]).
pub(super) type Refused = (StatusCode, &'static str);

/// A failed request's response: its status and text (`text/plain`), as the classic server
/// fails a request.
pub(super) fn fail(status: StatusCode, text: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
        text.into(),
    )
        .into_response()
}

/// A JSON response.
pub(super) fn json(body: impl Into<axum::body::Body>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.into(),
    )
        .into_response()
}

/// 403 with the reason phrase the classic server refuses JSONP with.
pub(super) fn jsonp_refused() -> Response {
    let mut response = StatusCode::FORBIDDEN.into_response();
    response
        .extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(
            JSONP_DISABLED.as_bytes(),
        ));
    response
}

/// A request's parts, query and peer.
pub(super) struct Incoming {
    pub(super) parts: Parts,
    pub(super) query: HashMap<String, String>,
    pub(super) remote: Option<SocketAddr>,
}

impl Incoming {
    pub(super) fn new(parts: Parts) -> Self {
        let query = parts
            .uri
            .query()
            .map(|q| {
                form_urlencoded_pairs(q.as_bytes()).into_iter().fold(
                    HashMap::new(),
                    |mut m, (k, v)| {
                        // The first value of a repeated parameter wins.
                        m.entry(k).or_insert(v);
                        m
                    },
                )
            })
            .unwrap_or_default();
        let remote = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Incoming {
            parts,
            query,
            remote,
        }
    }

    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The protocol version the server speaks with this client.
    pub(super) fn protocol(&self) -> ProtocolVersion {
        ProtocolVersion::resolve(self.param("clientProtocol"))
    }
}

/// `application/x-www-form-urlencoded` pairs (also the query string's syntax).
pub(super) fn form_urlencoded_pairs(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let k = it.next().unwrap_or_default();
            let v = it.next().unwrap_or_default();
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Who sent a request.
#[derive(Debug, Clone)]
pub(super) struct User {
    pub(super) identity: Option<Arc<Identity>>,
    /// The user id `Clients::user` matches.
    pub(super) id: Option<Arc<str>>,
    /// The name a connection token is bound to (`""` when anonymous).
    pub(super) name: String,
}

/// The hubs a request's `connectionData` names, checked.
#[derive(Debug, Clone, Default)]
pub(super) struct Hubs {
    /// Indices of the hubs named and authorized, in the order named.
    pub(super) subscribed: Vec<usize>,
}

impl Endpoint {
    /// Authenticates the request (with the first hub's authenticator: the endpoint has one
    /// user per request) and authorizes the hubs of its `connectionData`: a hub the user
    /// may not connect to is left out, and if every hub named is, the request is refused
    /// (401 for an anonymous user, 403 otherwise).
    pub(super) async fn user_and_hubs(&self, req: &Incoming) -> Result<(User, Hubs), Response> {
        let request = AuthRequest {
            parts: &req.parts,
            query: &req.query,
            remote: req.remote,
        };
        let first = self.hubs.first().map(|h| &h.ctx);
        let identity = match first {
            Some(ctx) => ctx
                .auth
                .authenticate(&request)
                .await
                .map_err(IntoResponse::into_response)?,
            None => None,
        };
        let id = identity
            .as_ref()
            .and_then(|i| first.and_then(|ctx| ctx.auth.user_id(i)))
            .map(Arc::from);
        let name = identity
            .as_ref()
            .map(|i| i.name().unwrap_or(i.id()).to_owned())
            .unwrap_or_default();
        let named = parse_connection_data(req.param("connectionData").unwrap_or(""))
            .map_err(|e| fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let mut hubs = Hubs::default();
        let mut seen: Vec<usize> = Vec::new();
        for h in &named {
            let Some(index) = self.hub_index(&h.name) else {
                return Err(fail(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    unresolved_hub(&h.name),
                ));
            };
            if seen.contains(&index) {
                return Err(fail(StatusCode::INTERNAL_SERVER_ERROR, DUPLICATE_HUBS));
            }
            seen.push(index);
            let ctx = &self.hubs[index].ctx;
            if ctx
                .auth
                .authorize(&ctx.hub.requirements, identity.as_ref(), None)
                .await
                .is_ok()
            {
                hubs.subscribed.push(index);
            }
        }
        if !named.is_empty() && hubs.subscribed.is_empty() {
            let status = if identity.is_some() {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            return Err(status.into_response());
        }
        let user = User {
            identity: identity.map(Arc::new),
            id,
            name,
        };
        Ok((user, hubs))
    }

    /// The transport a request names, if the endpoint serves it; else the status and text
    /// that refuse it.
    pub(super) fn transport(&self, req: &Incoming) -> Result<ClassicTransport, Refused> {
        req.param("transport")
            .and_then(ClassicTransport::from_name)
            .filter(|t| *t != ClassicTransport::ForeverFrame && self.options.transports.contains(t))
            .ok_or((StatusCode::BAD_REQUEST, UNKNOWN_TRANSPORT))
    }

    /// The connection id of the request's connection token, checked against the user.
    pub(super) fn connection_id(&self, req: &Incoming, user: &User) -> Result<String, Refused> {
        let token = req
            .param("connectionToken")
            .filter(|t| !t.is_empty())
            .ok_or((StatusCode::BAD_REQUEST, MISSING_TOKEN))?;
        let text = self
            .protector
            .unprotect(protect::CONNECTION_TOKEN, token)
            .filter(|t| !t.is_empty())
            .ok_or((StatusCode::BAD_REQUEST, BAD_TOKEN))?;
        let (id, name) = text.split_once(':').unwrap_or((text.as_str(), ""));
        if !name.eq_ignore_ascii_case(&user.name) {
            return Err((StatusCode::FORBIDDEN, OTHER_USER));
        }
        Ok(id.to_owned())
    }

    /// The groups a groups token names that belong to the connection and to its
    /// subscribed hubs: (hub index, group). Anything else is ignored.
    pub(super) fn rejoined_groups(
        &self,
        token: Option<&str>,
        connection_id: &str,
        hubs: &Hubs,
    ) -> Vec<(usize, String)> {
        let Some(text) = token
            .filter(|t| !t.is_empty())
            .and_then(|t| self.protector.unprotect(protect::GROUPS, t))
        else {
            return Vec::new();
        };
        let Some((id, list)) = text.split_once(':') else {
            return Vec::new();
        };
        if !id.eq_ignore_ascii_case(connection_id) {
            return Vec::new();
        }
        let names: Vec<String> = serde_json::from_str(list).unwrap_or_default();
        let mut out = Vec::new();
        for name in names {
            for &hub in &hubs.subscribed {
                let prefix = format!("{}.", self.hubs[hub].name);
                if name.len() > prefix.len()
                    && name.is_char_boundary(prefix.len())
                    && name[..prefix.len()].eq_ignore_ascii_case(&prefix)
                {
                    out.push((hub, name[prefix.len()..].to_owned()));
                }
            }
        }
        out
    }
}

/// Adds the header every classic response carries.
pub(super) fn nosniff(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_from_the_end_of_the_path() {
        assert_eq!(Kind::of("/signalr/hubs/"), Kind::Proxies);
        assert_eq!(Kind::of("/signalr/JS"), Kind::Proxies);
        assert_eq!(Kind::of("/signalr/negotiate"), Kind::Negotiate);
        assert_eq!(Kind::of("/signalr/Reconnect"), Kind::Reconnect);
        assert_eq!(Kind::of("/signalr/connect"), Kind::Connect);
        assert_eq!(Kind::of("/signalr/whatever"), Kind::Other);
    }

    #[test]
    fn form_fields_are_decoded() {
        let pairs =
            form_urlencoded_pairs(b"data=%7B%22H%22%3A1%7D+x&messageId=d-1-A%2C0&bad=%zz%4");
        assert_eq!(pairs[0], ("data".into(), "{\"H\":1} x".into()));
        assert_eq!(pairs[1], ("messageId".into(), "d-1-A,0".into()));
        assert_eq!(pairs[2], ("bad".into(), "%zz%4".into()));
    }
}
