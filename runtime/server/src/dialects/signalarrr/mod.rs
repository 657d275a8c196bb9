//! The SignalARRR dialect: any hub served to SignalARRR clients, which tunnel every call
//! through a fixed set of hub methods.
//!
//! A SignalARRR client invokes `InvokeMessageResult`, `InvokeMessage`, `SendMessage` or
//! `StreamMessage` with one `ClientRequestMessage` naming the real method (`Name`,
//! `Class.Method` or `Interface|Method`), its arguments and a message credential; the server
//! calls it back through `InvokeServerRequest` (a client result) and `InvokeServerMessage`,
//! each carrying a `ServerRequestMessage`, cancels tokens it sent with
//! `CancelTokenFromServer`, asks for fresh credentials with `ChallengeAuthentication`, and
//! moves binary values over HTTP (`{path}/upload/{id}`, `{path}/download/{id}`).
//!
//! The endpoint is opt-in and sits beside the hub's own: it shares the server's clients
//! (so a SignalARRR client and a plain one in one group hear the same messages, each in its
//! dialect), authentication (every HTTP request of a connection is authenticated and
//! checked against the hub's requirements, as at the plain endpoint), filters and
//! scale-out. Plain SignalR calls of the hub's methods work at the SignalARRR endpoint too.
//!
//! ```no_run
//! use signalr_server::signalarrr::SignalArrr;
//! use signalr_server::{Hub, HubServer, MethodKind, RouterExt};
//!
//! # async fn run() -> std::io::Result<()> {
//! let hub = Hub::new("Chat").method("Echo", MethodKind::Unary, 0, |call| async move {
//!     let text: String = call.bind(1)?.next_arg()?;
//!     call.reply(&text)
//! });
//! let server = HubServer::new(hub);
//! let arrr = SignalArrr::new(&server);
//! let app = axum::Router::new()
//!     .hub("/hubs/chat", &server)
//!     .merge(arrr.router("/signalr/chat"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//! signalr_server::serve(listener, app).await
//! # }
//! ```

mod auth;
mod codec;
mod failure;
mod messages;
mod methods;
mod state;
mod transfers;
mod tunnel;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use bytes::Bytes;
use signalr_protocol::{Arguments, IntoArguments, Payload, Protocol};

use crate::clients::codec::Codec;
use crate::clients::registry::Connection;
use crate::context::HubContext;
use crate::dialect::{ConnectRequest, Dialect, Intercept};
use crate::error::HubError;
use crate::hub::{Hub, MethodKind, UploadStream, upload_stream};
use crate::server::HubServer;

pub use state::ClientContext;

use codec::{SignalArrrCodec, request_frame};
use messages::{INVOKE_SERVER_MESSAGE, ServerRequest, new_guid, normalize_references};
use methods::Methods;
use state::ClientState;
use tunnel::Tunnel;

/// The hub method a client sends a stream item the server asked for through.
const STREAM_ITEM_TO_SERVER: &str = "StreamItemToServer";
/// The hub method a client completes such a stream through.
const STREAM_COMPLETE_TO_SERVER: &str = "StreamCompleteToServer";
/// The hub method a client asks for an upload slot through.
const REQUEST_UPLOAD_SLOT: &str = "RequestUploadSlot";

/// The limits and timings of a SignalARRR endpoint (SignalARRR's defaults).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignalArrrOptions {
    /// How many unused upload slots one connection may hold (32; `0`: no cap).
    pub max_upload_slots_per_connection: usize,
    /// The largest upload accepted (100 MiB; `None`: no limit).
    pub max_upload_size: Option<u64>,
    /// How long [`SignalArrr::wait_for_upload`] waits for an upload (2 minutes).
    pub upload_timeout: Duration,
    /// How long an unused upload slot or an offered download is kept (10 minutes).
    pub transfer_expiry: Duration,
    /// How long a checked message credential stands before it is checked again (3
    /// minutes; never beyond the credential's own expiry).
    pub auth_cache_duration: Duration,
    /// How long a client has to answer `ChallengeAuthentication` (30 seconds).
    pub challenge_timeout: Duration,
    /// How many items of a stream the server asked a client for are buffered (1024).
    pub client_stream_capacity: usize,
}

impl Default for SignalArrrOptions {
    fn default() -> Self {
        SignalArrrOptions {
            max_upload_slots_per_connection: 32,
            max_upload_size: Some(100 << 20),
            upload_timeout: Duration::from_secs(120),
            transfer_expiry: Duration::from_secs(600),
            auth_cache_duration: Duration::from_secs(180),
            challenge_timeout: Duration::from_secs(30),
            client_stream_capacity: 1024,
        }
    }
}

/// What every SignalARRR connection of an endpoint shares.
pub(crate) struct Shared {
    /// The server's context (its hub, clients, authentication, options).
    pub(crate) ctx: Arc<HubContext>,
    pub(crate) methods: Methods,
    pub(crate) options: SignalArrrOptions,
    clients: Mutex<HashMap<Arc<str>, Arc<ClientState>>>,
    pub(crate) transfers: transfers::Transfers,
}

impl Shared {
    /// The state of a SignalARRR connection of this endpoint.
    pub(crate) fn client(&self, id: &str) -> Option<Arc<ClientState>> {
        self.clients.lock().ok()?.get(id).cloned()
    }
}

/// Builds a [`SignalArrr`] endpoint: extra method sets, options.
pub struct SignalArrrBuilder {
    server: HubServer,
    methods: Methods,
    options: SignalArrrOptions,
}

impl fmt::Debug for SignalArrrBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalArrrBuilder")
            .field("methods", &self.methods)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl SignalArrrBuilder {
    /// Serves the methods of another contract beside the hub's (SignalARRR's
    /// `ServerMethods` classes): `Class.Method` and `Interface|Method` reach them, where
    /// both names are the contract's interface name (`ExtraMethods.Greet`). Their
    /// requirements, the contract's and each method's, are checked on every call.
    #[must_use]
    pub fn methods(mut self, methods: Hub) -> Self {
        self.methods.add(methods);
        self
    }

    /// The endpoint's limits and timings.
    #[must_use]
    pub fn options(mut self, options: SignalArrrOptions) -> Self {
        self.options = options;
        self
    }

    /// The endpoint.
    pub fn build(self) -> SignalArrr {
        let shared = Arc::new(Shared {
            ctx: self.server.context().clone(),
            methods: self.methods,
            options: self.options,
            clients: Mutex::new(HashMap::new()),
            transfers: transfers::Transfers::default(),
        });
        SignalArrr {
            server: self.server,
            shared,
        }
    }
}

/// A hub served in the SignalARRR dialect; see the [module](self) documentation.
///
/// Clones share the endpoint's connections.
#[derive(Clone)]
pub struct SignalArrr {
    server: HubServer,
    shared: Arc<Shared>,
}

impl fmt::Debug for SignalArrr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalArrr")
            .field("methods", &self.shared.methods)
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

impl SignalArrr {
    /// Serves `server`'s hub in the SignalARRR dialect, with SignalARRR's defaults.
    pub fn new(server: &HubServer) -> Self {
        Self::builder(server).build()
    }

    /// Starts building a SignalARRR endpoint for `server`'s hub.
    pub fn builder(server: &HubServer) -> SignalArrrBuilder {
        SignalArrrBuilder {
            server: server.clone(),
            methods: Methods::new(server.context().hub.clone()),
            options: SignalArrrOptions::default(),
        }
    }

    /// The routes of the endpoint at `path`: negotiate and the transports as for the hub's
    /// own endpoint, and `POST {path}/upload/{id}` and `GET {path}/download/{id}`.
    pub fn router<S: Clone + Send + Sync + 'static>(&self, path: &str) -> Router<S> {
        let path = path.trim_end_matches('/');
        let dialect: Arc<dyn Dialect> = Arc::new(Endpoint(self.shared.clone()));
        let transfers = Router::new()
            .route(&format!("{path}/upload/{{id}}"), post(transfers::upload))
            .route(&format!("{path}/download/{{id}}"), get(transfers::download))
            .with_state(self.shared.clone());
        self.server
            .dialect_router(self.hub(), dialect, path)
            .merge(transfers)
    }

    /// The hub as this endpoint serves it: the hub's methods, and the tunnelling ones
    /// (which pass a plain call of a hub method they shadow on to it).
    fn hub(&self) -> Hub {
        let shared = &self.shared;
        let mut hub = shared.ctx.hub.clone();
        for (name, tunnel) in Tunnel::ALL {
            let shadowed = hub
                .resolve(name)
                .filter(|m| m.kind == tunnel.kind() && m.upload_streams == 0)
                .cloned();
            hub = hub.method(
                name,
                tunnel.kind(),
                0,
                tunnel::method(shared, tunnel, shadowed),
            );
        }
        let slots = shared.clone();
        hub.method(REQUEST_UPLOAD_SLOT, MethodKind::Unary, 0, move |call| {
            tunnel::request_upload_slot(slots.clone(), call)
        })
    }

    /// What the endpoint knows about a connection of its own (`None` for another
    /// endpoint's connection, or one that has ended).
    pub fn client(&self, connection_id: &str) -> Option<ClientContext> {
        self.shared
            .client(connection_id)
            .map(|s| ClientContext::of(&s))
    }

    /// Asks a client for a stream (`InvokeServerMessage` with a `StreamId`): its items
    /// arrive through `StreamItemToServer` until `StreamCompleteToServer` (an error there,
    /// or the connection ending, is the stream's last item).
    pub fn request_stream<T>(
        &self,
        connection_id: &str,
        method: &str,
        args: &(dyn IntoArguments + Sync),
    ) -> Result<UploadStream<T>, HubError> {
        let not_here = || {
            HubError::new(format!(
                "Connection '{connection_id}' is not a SignalARRR connection of this endpoint."
            ))
        };
        let state = self.shared.client(connection_id).ok_or_else(not_here)?;
        let conn = self
            .shared
            .ctx
            .registry
            .get(connection_id)
            .ok_or_else(not_here)?;
        let arguments = args.to_arguments(conn.protocol)?;
        let (arguments, cancellation) = normalize_references(&arguments)?;
        let stream_id = new_guid();
        let (tx, rx) = upload_stream(self.shared.options.client_stream_capacity);
        if let Ok(mut s) = state.streams.lock() {
            s.insert(stream_id.clone(), tx);
        }
        let request = ServerRequest {
            method,
            arguments: &arguments,
            cancellation: cancellation.as_deref(),
            stream_id: Some(&stream_id),
        };
        let frame = request_frame(conn.protocol, None, INVOKE_SERVER_MESSAGE, &request)?;
        if !conn.push(frame) {
            return Err(HubError::new("Connection disconnected."));
        }
        Ok(rx.into())
    }

    /// The bytes a connection uploaded to one of its slots (`url`, as
    /// `RequestUploadSlot` gave it), waiting for them up to the upload timeout.
    pub async fn wait_for_upload(&self, connection_id: &str, url: &str) -> Result<Bytes, HubError> {
        self.shared
            .transfers
            .wait_for_upload(connection_id, url, self.shared.options.upload_timeout)
            .await
    }

    /// The bytes behind a stream reference a client returned (`{"Uri": ..}`, what
    /// SignalARRR's clients answer for a binary result).
    pub async fn resolve_stream(
        &self,
        connection_id: &str,
        value: &Payload<'_>,
    ) -> Result<Bytes, HubError> {
        let url = messages::stream_uri(value)
            .ok_or_else(|| HubError::new("The value is not a stream reference."))?;
        self.wait_for_upload(connection_id, &url).await
    }

    /// Offers `body` to a connection for one download; the stream reference to send it
    /// (`{"__type":"stream","Uri":..}`), which SignalARRR's clients download.
    pub fn offer_stream(
        &self,
        connection_id: &str,
        body: Bytes,
        content_type: Option<&str>,
    ) -> Result<StreamReference, HubError> {
        let state = self.shared.client(connection_id).ok_or_else(|| {
            HubError::new(format!(
                "Connection '{connection_id}' is not a SignalARRR connection of this endpoint."
            ))
        })?;
        let uri = self.shared.transfers.offer(
            &state.connected_to,
            body,
            content_type,
            self.shared.options.transfer_expiry,
        );
        Ok(StreamReference {
            kind: "stream",
            uri,
        })
    }
}

/// A stream reference to send a client: `{"__type":"stream","Uri":..}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StreamReference {
    #[serde(rename = "__type")]
    kind: &'static str,
    /// Where the client downloads it.
    #[serde(rename = "Uri")]
    pub uri: String,
}

/// The engine's hook: SignalARRR's codec, its connection state, and the stream items it
/// handles on the reader.
struct Endpoint(Arc<Shared>);

impl Dialect for Endpoint {
    fn codec(&self, protocol: Protocol) -> Arc<dyn Codec> {
        Arc::new(SignalArrrCodec(protocol))
    }

    fn connected(&self, conn: &Arc<Connection>, request: Option<&ConnectRequest>) {
        let state = ClientState::new(conn.id.clone(), request);
        if let Ok(mut c) = self.0.clients.lock() {
            c.insert(conn.id.clone(), Arc::new(state));
        }
    }

    fn disconnected(&self, conn: &Connection) {
        let state = self
            .0
            .clients
            .lock()
            .ok()
            .and_then(|mut c| c.remove(&conn.id));
        if let Some(state) = state
            && let Ok(mut streams) = state.streams.lock()
        {
            // Dropping the senders ends each stream with an error: it was cut off.
            streams.clear();
        }
        self.0.transfers.drop_owner(&conn.id);
    }

    fn intercept(
        &self,
        conn: &Connection,
        target: &str,
        arguments: &Arguments<'static>,
    ) -> Intercept {
        let item = target.eq_ignore_ascii_case(STREAM_ITEM_TO_SERVER);
        if !item && !target.eq_ignore_ascii_case(STREAM_COMPLETE_TO_SERVER) {
            return Intercept::Pass;
        }
        let stream_id = arguments
            .get(0)
            .and_then(|p| p.as_str().map(|s| s.to_ascii_lowercase()));
        let (Some(state), Some(stream_id)) = (self.0.client(&conn.id), stream_id) else {
            return Intercept::Handled;
        };
        let Ok(mut streams) = state.streams.lock() else {
            return Intercept::Handled;
        };
        if item {
            return match (streams.get(&stream_id), arguments.get(1)) {
                (Some(tx), Some(value)) => Intercept::Deliver(tx.clone(), Ok(value.into_owned())),
                _ => {
                    tracing::warn!(connection = %conn.id, stream = %stream_id, "stream item for a stream this connection does not own dropped");
                    Intercept::Handled
                }
            };
        }
        let Some(tx) = streams.remove(&stream_id) else {
            tracing::warn!(connection = %conn.id, stream = %stream_id, "completion of a stream this connection does not own dropped");
            return Intercept::Handled;
        };
        let error = arguments
            .get(1)
            .and_then(|p| p.as_str().map(|s| s.into_owned()))
            .filter(|e| !e.is_empty());
        match error {
            Some(e) => Intercept::Deliver(
                tx,
                Err(HubError::new(format!("Client streaming error: {e}"))),
            ),
            None => {
                tx.complete();
                Intercept::Handled
            }
        }
    }
}
