//! The HTTP side: negotiate, the WebSocket endpoint, and the handle to a running hub.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use signalr_protocol::negotiate::{
    self, AvailableTransport, NegotiateResponse, TransferFormatName, TransportType,
};
use signalr_protocol::{HubMessage, Protocol};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clients::{Clients, Frame, Groups, Registry};
use crate::connection;
use crate::hub::Hub;
use crate::options::HubOptions;
use crate::transports::{self, HttpConnection};

/// How long a negotiated connection token stays valid before its WebSocket arrives.
const PENDING_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// The most negotiated-but-unconnected tokens kept at once.
const MAX_PENDING_TOKENS: usize = 100_000;

/// Decides who the user of a request is: `Ok(None)` for anonymous, `Err(status)` to refuse.
pub type Authenticate = Arc<
    dyn Fn(&HeaderMap, &HashMap<String, String>) -> Result<Option<String>, StatusCode>
        + Send
        + Sync,
>;

/// A negotiated connection waiting for its transport: its id, its user, and when it was made.
pub(crate) struct PendingConnection {
    pub(crate) id: Arc<str>,
    pub(crate) user: Option<Arc<str>>,
    /// Negotiated with stateful reconnect.
    stateful: bool,
    at: Instant,
}

/// The transport a connection token is in use with.
#[derive(Clone)]
pub(crate) enum Active {
    /// With where a stateful-reconnect connection takes its next WebSocket.
    WebSocket(Option<mpsc::Sender<connection::Transport>>),
    Http(Arc<HttpConnection>),
}

pub(crate) struct ServerState {
    pub(crate) hub: Hub,
    pub(crate) options: HubOptions,
    pub(crate) registry: Arc<Registry>,
    pub(crate) shutdown: CancellationToken,
    pending: Mutex<HashMap<String, PendingConnection>>,
    /// Connection tokens in use, by transport.
    pub(crate) active: Mutex<HashMap<String, Active>>,
    authenticate: Option<Authenticate>,
}

/// A hub ready to be served, and the handle to reach its clients from outside a hub method.
#[derive(Clone)]
pub struct HubServer {
    state: Arc<ServerState>,
}

impl std::fmt::Debug for HubServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubServer")
            .field("hub", &self.state.hub)
            .finish_non_exhaustive()
    }
}

impl HubServer {
    /// A server for `hub` with default options.
    pub fn new(hub: Hub) -> Self {
        Self::with_options(hub, HubOptions::default())
    }

    /// A server for `hub` with `options`.
    pub fn with_options(hub: Hub, options: HubOptions) -> Self {
        let registry = Arc::new(Registry::new(options.client_result_timeout));
        HubServer {
            state: Arc::new(ServerState {
                hub,
                options,
                registry,
                shutdown: CancellationToken::new(),
                pending: Mutex::new(HashMap::new()),
                active: Mutex::new(HashMap::new()),
                authenticate: None,
            }),
        }
    }

    /// Sets the authentication hook that decides each connection's user (from the request's
    /// headers and query, e.g. `Authorization: Bearer` or `access_token`). Call before
    /// [`HubServer::router`].
    pub fn authenticate(
        mut self,
        f: impl Fn(&HeaderMap, &HashMap<String, String>) -> Result<Option<String>, StatusCode>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        if let Some(state) = Arc::get_mut(&mut self.state) {
            state.authenticate = Some(Arc::new(f));
        }
        self
    }

    /// Joins a farm of servers through `backplane` (e.g. Redis): every message to clients
    /// also reaches the matching connections of the other servers, group changes and client
    /// results reach connections there. Call once, before serving.
    pub fn with_backplane(self, backplane: impl crate::scaleout::Backplane) -> Self {
        crate::scaleout::attach(
            &self.state.registry,
            self.state.hub.interface.as_deref(),
            &self.state.options.supported_protocols,
            Arc::new(backplane),
        );
        self
    }

    /// The routes of the hub at `path`: `POST {path}/negotiate`, and at `{path}` the
    /// WebSocket endpoint, Server-Sent Events and long polling (`GET`), their sends (`POST`)
    /// and the end of a long-polling connection (`DELETE`). Merge them into an application's
    /// router.
    pub fn router(&self, path: &str) -> Router {
        let path = path.trim_end_matches('/');
        Router::new()
            .route(path, get(connect).post(send).delete(delete))
            .route(&format!("{path}/negotiate"), post(negotiate))
            .with_state(self.state.clone())
    }

    /// Every client of the hub.
    pub fn clients(&self) -> Clients {
        Clients {
            registry: self.state.registry.clone(),
            caller: None,
        }
    }

    /// Group membership.
    pub fn groups(&self) -> Groups {
        Groups {
            registry: self.state.registry.clone(),
        }
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.state
            .registry
            .connections
            .read()
            .map(|c| c.len())
            .unwrap_or(0)
    }

    /// Closes every connection with a Close message (allowing clients to reconnect) and
    /// refuses new ones.
    pub fn shutdown(&self) {
        let close = HubMessage::Close(signalr_protocol::Close {
            error: None,
            allow_reconnect: true,
        });
        let frames = [Protocol::Json, Protocol::MessagePack].map(|p| Frame::encode(p, &close).ok());
        if let Ok(conns) = self.state.registry.connections.read() {
            for c in conns.values() {
                let slot = usize::from(c.protocol == Protocol::MessagePack);
                if let Some(f) = &frames[slot] {
                    c.push(f.clone());
                }
            }
        }
        self.state.shutdown.cancel();
    }
}

/// Mounting a hub on a router in one line: `Router::new().hub("/hubs/chat", &server)`.
pub trait RouterExt {
    /// Adds the hub's routes at `path`.
    fn hub(self, path: &str, server: &HubServer) -> Self;
}

impl RouterExt for Router {
    fn hub(self, path: &str, server: &HubServer) -> Self {
        self.merge(server.router(path))
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn user_of(
    state: &ServerState,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<Arc<str>>, StatusCode> {
    match &state.authenticate {
        Some(f) => Ok(f(headers, query)?.map(Into::into)),
        None => Ok(None),
    }
}

async fn negotiate(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if state.shutdown.is_cancelled() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let user = match user_of(&state, &headers, &query) {
        Ok(u) => u,
        Err(status) => return status.into_response(),
    };
    let body = match negotiate::select_version(query.get("negotiateVersion").map(String::as_str), 0)
    {
        Err(e) => NegotiateResponse::refuse(e),
        Ok(version) => {
            let id = new_id();
            let token = new_id();
            let stateful = state.options.allow_stateful_reconnects
                && query
                    .get("useStatefulReconnect")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let key = if version > 0 {
                token.clone()
            } else {
                id.clone()
            };
            if let Ok(mut pending) = state.pending.lock() {
                let now = Instant::now();
                pending.retain(|_, p| now.duration_since(p.at) < PENDING_TOKEN_LIFETIME);
                if pending.len() >= MAX_PENDING_TOKENS {
                    return StatusCode::SERVICE_UNAVAILABLE.into_response();
                }
                pending.insert(
                    key,
                    PendingConnection {
                        id: id.clone().into(),
                        user,
                        stateful,
                        at: now,
                    },
                );
            }
            let formats = state
                .options
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
            .filter(|t| state.options.transports.contains(t))
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

fn takes_event_stream(headers: &HeaderMap) -> bool {
    headers
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
async fn connect(
    State(state): State<Arc<ServerState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let kind = match &ws {
        Ok(_) => TransportType::WebSockets,
        Err(_) if takes_event_stream(&headers) => TransportType::ServerSentEvents,
        Err(_) => TransportType::LongPolling,
    };
    if !state.options.transports.contains(&kind) {
        return transports::not_supported(kind);
    }
    if let Ok(ws) = ws {
        return websocket(state, headers, query, ws);
    }
    let Some((token, active)) = transports::lookup(&state, &query) else {
        return transports::id_required();
    };
    match active {
        Some(Active::Http(conn)) if conn.kind == kind => {
            if kind == TransportType::LongPolling {
                transports::poll(&state, token, conn).await
            } else {
                StatusCode::CONFLICT.into_response()
            }
        }
        Some(_) => transports::cannot_change(),
        None => {
            if state.shutdown.is_cancelled() {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            let Some(pending) = state.pending.lock().ok().and_then(|mut p| p.remove(token)) else {
                return transports::not_found();
            };
            if kind == TransportType::LongPolling {
                transports::first_poll(&state, token, pending)
            } else {
                transports::server_sent_events(&state, token, pending)
            }
        }
    }
}

/// `POST {path}?id=TOKEN`: what a Server-Sent Events or long-polling client sends.
async fn send(
    State(state): State<Arc<ServerState>>,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Response {
    transports::send(&state, &query, body).await
}

/// `DELETE {path}?id=TOKEN`: ends a long-polling connection.
async fn delete(
    State(state): State<Arc<ServerState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    transports::delete(&state, &query)
}

fn websocket(
    state: Arc<ServerState>,
    headers: HeaderMap,
    query: HashMap<String, String>,
    ws: WebSocketUpgrade,
) -> Response {
    if state.shutdown.is_cancelled() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let token = query.get("id").cloned();
    let (id, user, stateful) = match &token {
        Some(token) => {
            match state.active.lock().ok().and_then(|a| a.get(token).cloned()) {
                Some(Active::WebSocket(Some(next))) if !next.is_closed() => {
                    return reconnect(
                        ws.max_message_size(max_websocket_message(&state.options)),
                        next,
                    );
                }
                Some(Active::WebSocket(_)) => return StatusCode::CONFLICT.into_response(),
                Some(Active::Http(_)) => return transports::cannot_change(),
                None => {}
            }
            match state.pending.lock().ok().and_then(|mut p| p.remove(token)) {
                Some(p) => (p.id, p.user, p.stateful),
                None => return transports::not_found(),
            }
        }
        None => match user_of(&state, &headers, &query) {
            Ok(user) => (Arc::from(new_id()), user, false),
            Err(status) => return status.into_response(),
        },
    };
    let (next_tx, next_rx) = if stateful {
        let (tx, rx) = mpsc::channel(1);
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    if let Some(token) = &token
        && let Ok(mut active) = state.active.lock()
    {
        active.insert(token.clone(), Active::WebSocket(next_tx));
    }
    let max_ws = max_websocket_message(&state.options);
    let abort = state.shutdown.child_token();
    /// Frees the token when the WebSocket ends, or if the upgrade never completes.
    struct Release(Arc<ServerState>, Option<String>);
    impl Drop for Release {
        fn drop(&mut self) {
            if let (Some(token), Ok(mut active)) = (&self.1, self.0.active.lock()) {
                active.remove(token);
            }
        }
    }
    let release = Release(state.clone(), token);
    ws.max_message_size(max_ws)
        .on_upgrade(move |socket| async move {
            let _release = release;
            connection::run(
                connection::Transport::websocket(socket),
                state,
                id,
                user,
                abort,
                next_rx,
            )
            .await;
        })
}

/// The largest WebSocket message accepted. A WebSocket message may hold several hub
/// messages; bound it so one frame cannot make the server buffer without limit (hub
/// messages inside are limited separately).
fn max_websocket_message(options: &HubOptions) -> usize {
    options
        .maximum_receive_message_size
        .map_or(64 << 20, |m| m.saturating_mul(4).max(1 << 20))
}

/// A new WebSocket for a stateful-reconnect connection whose previous one dropped: it is
/// handed to the running connection, which resends what the client has not acknowledged.
fn reconnect(ws: WebSocketUpgrade, next: mpsc::Sender<connection::Transport>) -> Response {
    ws.on_upgrade(move |socket| async move {
        // If the connection ended meanwhile, the socket is dropped and so closed.
        let _ = next.send(connection::Transport::websocket(socket)).await;
    })
}
