//! Classic ASP.NET SignalR 2.x (`Microsoft.AspNet.SignalR`): the same hubs served to the
//! classic clients (the jQuery client `jquery.signalR`, and the clients written for it), at
//! an endpoint of their own beside the ASP.NET Core one.
//!
//! A [`ClassicEndpoint`] serves one or more [`HubServer`]s: the same hub, registry (so
//! groups, users and `Clients` reach classic and ASP.NET Core connections alike), scale-out
//! hook, authentication and authorization, and filters. At its path (`/signalr` by
//! default) it answers `negotiate`, `ping`, the JavaScript proxies (`/hubs`, `/js`), and
//! `connect`, `reconnect`, `poll`, `start`, `send` and `abort` over WebSockets, Server-Sent
//! Events and long polling, with the classic server's defaults, status codes and texts.
//!
//! The connection token is bound to the user and protected with an HMAC keyed per endpoint;
//! a connection's messages are numbered and kept (bounded) so a client that reconnects with
//! its cursor resumes with nothing lost or repeated. A hub method that streams reports each
//! item as progress; the classic protocol has no client results, upload streams or
//! cancellation of a single call (a client result on a classic connection fails).

mod buffer;
mod codec;
mod connection;
mod endpoint;
mod hub;
mod invoke;
mod options;
mod protect;
mod request;
mod routes;
mod state;
mod transports;

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::routing::any;

pub use options::ClassicOptions;
pub use state::CallerState;

use crate::server::HubServer;
use endpoint::Endpoint;
use hub::EndpointHub;

/// The path classic clients connect to by default.
pub const DEFAULT_PATH: &str = "/signalr";

/// A classic (ASP.NET SignalR 2.x) endpoint for one or more hubs.
///
/// ```no_run
/// use signalr_server::{ClassicEndpoint, Hub, HubServer, RouterExt};
///
/// # async fn run() -> std::io::Result<()> {
/// let server = HubServer::new(Hub::new("Chat"));
/// let classic = ClassicEndpoint::new(&server);
/// let app = axum::Router::new()
///     .hub("/hubs/chat", &server)          // ASP.NET Core clients
///     .merge(classic.router("/signalr"));  // classic clients, hub "chat"
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
/// axum::serve(listener, app).await
/// # }
/// ```
#[derive(Clone)]
pub struct ClassicEndpoint {
    inner: Arc<Endpoint>,
}

impl fmt::Debug for ClassicEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Builds a [`ClassicEndpoint`]: its hubs and options.
#[derive(Debug, Default)]
pub struct ClassicEndpointBuilder {
    hubs: Vec<(Option<String>, HubServer)>,
    options: ClassicOptions,
}

impl ClassicEndpointBuilder {
    /// Serves `server`'s hub under its interface name (`Hub::new("Chat")` is hub `Chat`,
    /// which the JavaScript proxies call `chat`).
    #[must_use]
    pub fn hub(mut self, server: &HubServer) -> Self {
        self.hubs.push((None, server.clone()));
        self
    }

    /// Serves `server`'s hub under `name`.
    #[must_use]
    pub fn hub_named(mut self, name: impl Into<String>, server: &HubServer) -> Self {
        self.hubs.push((Some(name.into()), server.clone()));
        self
    }

    /// The endpoint's options (the classic server's defaults otherwise).
    #[must_use]
    pub fn options(mut self, options: ClassicOptions) -> Self {
        self.options = options;
        self
    }

    /// The endpoint. A hub named twice is served once, under its first registration.
    pub fn build(self) -> ClassicEndpoint {
        let mut hubs: Vec<EndpointHub> = Vec::new();
        for (name, server) in self.hubs {
            let ctx = server.context().clone();
            let name = name
                .or_else(|| ctx.hub.interface.clone())
                .unwrap_or_else(|| "Hub".to_owned());
            if hubs.iter().any(|h| h.name.eq_ignore_ascii_case(&name)) {
                tracing::warn!(hub = %name, "a classic endpoint serves a hub name once");
                continue;
            }
            hubs.push(EndpointHub { name, ctx });
        }
        ClassicEndpoint {
            inner: Arc::new(Endpoint::new(hubs, self.options)),
        }
    }
}

impl ClassicEndpoint {
    /// An endpoint serving `server`'s hub with the classic defaults.
    pub fn new(server: &HubServer) -> Self {
        Self::builder().hub(server).build()
    }

    /// Starts building an endpoint.
    pub fn builder() -> ClassicEndpointBuilder {
        ClassicEndpointBuilder::default()
    }

    /// The endpoint's routes at `path` (`/signalr`): every request under it. Merge them
    /// into an application's router of any state.
    pub fn router<S: Clone + Send + Sync + 'static>(&self, path: &str) -> Router<S> {
        let path = path.trim_end_matches('/');
        let path = if path.is_empty() { "" } else { path };
        Router::new()
            .route(&format!("{path}/{{*rest}}"), any(routes::handle))
            .with_state(self.inner.clone())
    }

    /// How many classic connections are open.
    pub fn connection_count(&self) -> usize {
        self.inner.len()
    }
}
