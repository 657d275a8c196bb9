//! A SignalR hub server on axum and tokio.
//!
//! ```no_run
//! use signalr_server::{Hub, HubServer, MethodKind, RouterExt};
//!
//! # async fn run() -> std::io::Result<()> {
//! let hub = Hub::new("Chat").method("Echo", MethodKind::Unary, 0, |call| async move {
//!     let text: String = call.bind(1)?.next_arg()?;
//!     call.reply(&text)
//! });
//! let server = HubServer::new(hub);
//! let app = axum::Router::new().hub("/hubs/chat", &server);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The server answers negotiate (versions 0 and 1) and serves the WebSockets, Server-Sent
//! Events and long polling transports with the JSON and MessagePack hub protocols, with ASP.NET Core's defaults (15 s keep-alive,
//! 30 s client timeout after the first Ping, 15 s handshake timeout, 32 KiB messages) and its
//! error texts.
//!
//! With [`HubOptions::allow_stateful_reconnects`], WebSocket clients that negotiate stateful
//! reconnect (ASP.NET Core 8's Ack and Sequence messages, handshake version 2) keep their
//! connection across a dropped WebSocket: the server buffers what the client has not
//! acknowledged, waits [`HubOptions::disconnect_timeout`] for a new WebSocket with the same
//! connection token, and resends.

mod auth;
mod clients;
mod connection;
mod context;
mod dialect;
mod dialects;
mod error;
mod filter;
mod frame;
mod hub;
mod identity;
mod metrics;
mod options;
pub mod scaleout;
mod serve;
mod server;
mod slot;
mod stateful;
mod transport;
mod transports;
mod writer;

pub use auth::{
    AuthFuture, AuthRequest, Authenticator, Policy, Refusal, UserIdProvider, policy_fn,
};
pub use clients::{Caller, ClientProxy, Clients, Groups, SingleClientProxy};
pub use dialects::classic::{
    CallerState, ClassicEndpoint, ClassicEndpointBuilder, ClassicOptions,
    DEFAULT_PATH as CLASSIC_PATH,
};
pub use dialects::signalarrr;
pub use error::HubError;
pub use filter::{FilterFuture, HubFilter, Next};
pub use hub::{
    BoxFuture, BoxStream, Call, ConnectionHook, Hub, HubMethod, HubStream, MethodHandler,
    MethodKind, RawUploadStream, Reply, Requirement, UploadStream, hub_stream,
};
pub use identity::Identity;
pub use options::HubOptions;
pub use serve::{Serve, ServeOptions, serve};
pub use server::{BuildError, HubServer, HubServerBuilder, RouterExt};
pub use signalr_protocol::IntoArguments;
pub use signalr_protocol::negotiate::TransportType;
pub use tokio_util::sync::CancellationToken;
