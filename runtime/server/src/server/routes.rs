//! The HTTP endpoints of a hub: negotiate, and at the hub's path the WebSocket,
//! Server-Sent Events and long-polling requests, their sends and the long-polling delete.
//!
//! Every request is authenticated and checked against the hub's requirements before
//! anything else (401 or 403), and every request of an existing connection must come from
//! the connection's user (403 otherwise).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use signalr_protocol::negotiate::{
    self, AvailableTransport, NegotiateResponse, TransferFormatName, TransportType,
};

use crate::auth::{AuthRequest, Refusal};
use crate::connection::Owner;
use crate::context::HubContext;
use crate::dialect::ConnectRequest;
use crate::identity::Identity;
use crate::transports::tokens::{Active, Tokens};
use crate::transports::{
    cannot_change, http, id_required, long_polling, not_found, not_supported, sse, text, websockets,
};

/// What every endpoint of a hub shares.
struct Endpoint {
    ctx: Arc<HubContext>,
    tokens: Arc<Tokens>,
}

pub(super) fn router<S: Clone + Send + Sync + 'static>(
    ctx: Arc<HubContext>,
    tokens: Arc<Tokens>,
    path: &str,
) -> Router<S> {
    let path = path.trim_end_matches('/');
    Router::new()
        .route(path, get(connect).post(send).delete(delete))
        .route(&format!("{path}/negotiate"), post(negotiate))
        .with_state(Arc::new(Endpoint { ctx, tokens }))
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A request's parts, query and peer.
struct Incoming {
    parts: Parts,
    query: HashMap<String, String>,
    remote: Option<SocketAddr>,
}

impl Incoming {
    /// The request, or `None` when its query string cannot be parsed.
    fn new(parts: Parts) -> Option<Self> {
        let Query(query) = Query::<HashMap<String, String>>::try_from_uri(&parts.uri).ok()?;
        let remote = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Some(Incoming {
            parts,
            query,
            remote,
        })
    }

    fn token(&self) -> Option<&String> {
        self.query.get("id").filter(|t| !t.is_empty())
    }
}

/// The request's user, authenticated and checked against the hub's requirements.
struct User {
    identity: Option<Arc<Identity>>,
    id: Option<Arc<str>>,
}

impl Endpoint {
    async fn user(&self, req: &Incoming) -> Result<User, Refusal> {
        let auth = &self.ctx.auth;
        let request = AuthRequest {
            parts: &req.parts,
            query: &req.query,
            remote: req.remote,
        };
        let identity = auth.authenticate(&request).await?;
        auth.authorize(&self.ctx.hub.requirements, identity.as_ref(), None)
            .await
            .map_err(|d| d.into_refusal())?;
        let id = identity
            .as_ref()
            .and_then(|i| auth.user_id(i))
            .map(Arc::from);
        Ok(User {
            identity: identity.map(Arc::new),
            id,
        })
    }

    /// 503 or 429 when one more connection would pass a limit.
    fn over_limit(&self, user: &User, req: &Incoming) -> Option<Response> {
        let opts = &self.ctx.options;
        let registry = &self.ctx.registry;
        if opts
            .maximum_connections
            .is_some_and(|max| registry.len() >= max)
        {
            return Some(
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [
                        (header::RETRY_AFTER, "5"),
                        (header::CONTENT_TYPE, "text/plain"),
                    ],
                    "The server has reached its connection limit.",
                )
                    .into_response(),
            );
        }
        let too_many = |what: &'static str| {
            Some(
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [
                        (header::RETRY_AFTER, "5"),
                        (header::CONTENT_TYPE, "text/plain"),
                    ],
                    what,
                )
                    .into_response(),
            )
        };
        if let (Some(max), Some(u)) = (opts.maximum_connections_per_user, &user.id)
            && registry.user_connections(u) >= max
        {
            return too_many("The user has reached its connection limit.");
        }
        if let (Some(max), Some(addr)) = (opts.maximum_connections_per_address, req.remote)
            && registry.address_connections(addr.ip()) >= max
        {
            return too_many("The address has reached its connection limit.");
        }
        None
    }

    fn owner(&self, id: Arc<str>, user: User, req: &Incoming) -> Owner {
        Owner {
            id,
            identity: user.identity,
            user: user.id,
            remote: req.remote.map(|a| a.ip()),
            request: self.connect_request(req),
        }
    }

    /// The request for the endpoint's dialect, if it has one.
    fn connect_request(&self, req: &Incoming) -> Option<Arc<ConnectRequest>> {
        self.ctx
            .dialect
            .as_ref()
            .map(|_| Arc::new(ConnectRequest::new(&req.parts, req.query.clone())))
    }
}

/// A request of an existing connection from another user than the connection's.
fn forbidden_other_user(expected: Option<&str>, user: &User) -> Option<Response> {
    (expected != user.id.as_deref()).then(|| {
        tracing::warn!("a request of a connection came from another user; refused");
        StatusCode::FORBIDDEN.into_response()
    })
}

fn bad_query() -> Response {
    text(StatusCode::BAD_REQUEST, "Invalid query string")
}

fn shutting_down() -> Response {
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

async fn negotiate(State(ep): State<Arc<Endpoint>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    if ep.ctx.shutdown.is_cancelled() {
        return shutting_down();
    }
    let Some(req) = Incoming::new(parts) else {
        return bad_query();
    };
    let user = match ep.user(&req).await {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Some(refused) = ep.over_limit(&user, &req) {
        return refused;
    }
    let opts = &ep.ctx.options;
    let body =
        match negotiate::select_version(req.query.get("negotiateVersion").map(String::as_str), 0) {
            Err(e) => NegotiateResponse::refuse(e),
            Ok(version) => {
                let id = new_id();
                let token = new_id();
                let stateful = opts.allow_stateful_reconnects
                    && req
                        .query
                        .get("useStatefulReconnect")
                        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                let key = if version > 0 {
                    token.clone()
                } else {
                    id.clone()
                };
                if !ep
                    .tokens
                    .add_pending(key, id.clone().into(), user.id, stateful)
                {
                    return shutting_down();
                }
                let formats = opts
                    .supported_protocols
                    .iter()
                    .map(|p| TransferFormatName::from(p.transfer_format()))
                    .fold(Vec::new(), |mut v, f| {
                        if !v.contains(&f) {
                            v.push(f);
                        }
                        v
                    });
                let transports = [
                    TransportType::WebSockets,
                    TransportType::ServerSentEvents,
                    TransportType::LongPolling,
                ]
                .into_iter()
                .filter(|t| opts.transports.contains(t))
                .filter_map(|transport| {
                    let transfer_formats = match transport {
                        TransportType::ServerSentEvents => formats
                            .iter()
                            .copied()
                            .filter(|f| *f == TransferFormatName::Text)
                            .collect(),
                        _ => formats.clone(),
                    };
                    (!transfer_formats.is_empty()).then_some(AvailableTransport {
                        transport,
                        transfer_formats,
                    })
                })
                .collect();
                let mut response = NegotiateResponse::accept(version, id, token, transports);
                response.use_stateful_reconnect = stateful;
                response
            }
        };
    ([(header::CONTENT_TYPE, "application/json")], body.to_json()).into_response()
}

fn takes_event_stream(parts: &Parts) -> bool {
    parts
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// `GET {path}`: a WebSocket, Server-Sent Events, or a long poll.
async fn connect(State(ep): State<Arc<Endpoint>>, request: Request) -> Response {
    let (mut parts, _) = request.into_parts();
    let ws = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .ok();
    let Some(req) = Incoming::new(parts) else {
        return bad_query();
    };
    let kind = match &ws {
        Some(_) => TransportType::WebSockets,
        None if takes_event_stream(&req.parts) => TransportType::ServerSentEvents,
        None => TransportType::LongPolling,
    };
    if !ep.ctx.options.transports.contains(&kind) {
        return not_supported(kind);
    }
    let user = match ep.user(&req).await {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    if let Some(ws) = ws {
        return websocket(&ep, req, user, ws);
    }
    let Some(token) = req.token().cloned() else {
        return id_required();
    };
    match ep.tokens.active(&token) {
        Some(Active::Http(conn)) if conn.kind == kind => {
            if let Some(refused) = forbidden_other_user(conn.user.as_deref(), &user) {
                return refused;
            }
            if kind == TransportType::LongPolling {
                long_polling::poll(&ep.ctx, &ep.tokens, &token, conn).await
            } else {
                StatusCode::CONFLICT.into_response()
            }
        }
        Some(_) => cannot_change(),
        None => {
            if ep.ctx.shutdown.is_cancelled() {
                return shutting_down();
            }
            match ep.tokens.pending_user(&token) {
                None => return not_found(),
                Some(expected) => {
                    if let Some(refused) = forbidden_other_user(expected.as_deref(), &user) {
                        return refused;
                    }
                }
            }
            if let Some(refused) = ep.over_limit(&user, &req) {
                return refused;
            }
            let Some(pending) = ep.tokens.take_pending(&token) else {
                return not_found();
            };
            let joined = http::Joined {
                identity: user.identity,
                remote: req.remote.map(|a| a.ip()),
                request: ep.connect_request(&req),
            };
            if kind == TransportType::LongPolling {
                long_polling::first_poll(&ep.ctx, &ep.tokens, &token, pending, joined)
            } else {
                sse::connect(&ep.ctx, &ep.tokens, &token, pending, joined)
            }
        }
    }
}

fn websocket(ep: &Endpoint, req: Incoming, user: User, ws: WebSocketUpgrade) -> Response {
    if ep.ctx.shutdown.is_cancelled() {
        return shutting_down();
    }
    let token = req.token().cloned();
    let (id, stateful) = match &token {
        Some(token) => {
            match ep.tokens.active(token) {
                Some(Active::WebSocket {
                    user: owner,
                    next: Some(next),
                }) if !next.is_closed() => {
                    if let Some(refused) = forbidden_other_user(owner.as_deref(), &user) {
                        return refused;
                    }
                    return websockets::reconnect(ws, &ep.ctx.options, next);
                }
                Some(Active::WebSocket { .. }) => return StatusCode::CONFLICT.into_response(),
                Some(Active::Http(_)) => return cannot_change(),
                None => {}
            }
            match ep.tokens.pending_user(token) {
                None => return not_found(),
                Some(expected) => {
                    if let Some(refused) = forbidden_other_user(expected.as_deref(), &user) {
                        return refused;
                    }
                }
            }
            if let Some(refused) = ep.over_limit(&user, &req) {
                return refused;
            }
            match ep.tokens.take_pending(token) {
                Some(p) => (p.id, p.stateful),
                None => return not_found(),
            }
        }
        None => {
            if let Some(refused) = ep.over_limit(&user, &req) {
                return refused;
            }
            (Arc::from(new_id()), false)
        }
    };
    let owner = ep.owner(id, user, &req);
    websockets::accept(
        ep.ctx.clone(),
        ep.tokens.clone(),
        ws,
        token,
        owner,
        stateful,
    )
}

/// `POST {path}?id=TOKEN`: what a Server-Sent Events or long-polling client sends.
async fn send(State(ep): State<Arc<Endpoint>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Some(req) = Incoming::new(parts) else {
        return bad_query();
    };
    let user = match ep.user(&req).await {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    let Some(token) = req.token() else {
        return id_required();
    };
    let conn = match ep.tokens.active(token) {
        Some(Active::Http(c)) => c,
        Some(Active::WebSocket { .. }) => {
            return text(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST requests are not allowed for WebSocket connections.",
            );
        }
        None => return not_found(),
    };
    if let Some(refused) = forbidden_other_user(conn.user.as_deref(), &user) {
        return refused;
    }
    http::send(conn, body).await
}

/// `DELETE {path}?id=TOKEN`: ends a long-polling connection.
async fn delete(State(ep): State<Arc<Endpoint>>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let Some(req) = Incoming::new(parts) else {
        return bad_query();
    };
    let user = match ep.user(&req).await {
        Ok(u) => u,
        Err(r) => return r.into_response(),
    };
    let Some(token) = req.token() else {
        return id_required();
    };
    let conn = match ep.tokens.active(token) {
        Some(Active::Http(c)) => c,
        Some(Active::WebSocket { .. }) => {
            return text(
                StatusCode::BAD_REQUEST,
                "Cannot terminate this connection using the DELETE endpoint.",
            );
        }
        None => return not_found(),
    };
    if let Some(refused) = forbidden_other_user(conn.user.as_deref(), &user) {
        return refused;
    }
    long_polling::delete(&ep.tokens, token, &conn)
}
