//! The handle to a hub server: how it is built (options, authentication, policies,
//! filters), the routes it adds to an application's router, and its shutdown.

mod routes;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::{Auth, Authenticator, Policy, UserIdProvider};
use crate::clients::registry::{GroupLimits, Registry};
use crate::clients::{Clients, Groups};
use crate::context::HubContext;
use crate::dialect::Dialect;
use crate::filter::{Filters, HubFilter};
use crate::hub::{Hub, Requirement};
use crate::identity::Identity;
use crate::options::HubOptions;
use crate::scaleout::{self, Backplane};
use crate::transports::tokens::Tokens;

/// How long [`HubServer::shutdown`] waits for connections to write their Close.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a server could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The hub requires authenticated users, but no authenticator was given: every
    /// connection would be refused.
    #[error("the hub requires authenticated users but no authenticator is configured")]
    NoAuthenticator,
    /// A requirement names a policy that was not registered.
    #[error("the authorization policy `{0}` is required but not registered")]
    UnknownPolicy(String),
}

/// A hub ready to be served, and the handle to reach its clients from outside a hub method.
///
/// Clones share the same server. Everything about it (options, authentication, policies,
/// filters) is fixed when it is built, so no clone can run with less than the others.
#[derive(Clone)]
pub struct HubServer {
    ctx: Arc<HubContext>,
    tokens: Arc<Tokens>,
}

impl fmt::Debug for HubServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubServer")
            .field("hub", &self.ctx.hub)
            .field("auth", &self.ctx.auth)
            .finish_non_exhaustive()
    }
}

/// Builds a [`HubServer`]: options, authentication, authorization policies, filters.
///
/// ```
/// use signalr_server::{AuthRequest, Hub, HubServer, Identity, Refusal, Requirement};
///
/// let hub = Hub::new("Admin").require(Requirement::any_role(["admin"]));
/// let server = HubServer::builder(hub)
///     .authenticate(|req: &AuthRequest<'_>| {
///         let token = req.bearer_token().map(str::to_owned);
///         async move {
///             match token.as_deref() {
///                 None => Ok(None),
///                 Some("secret-admin-token") => Ok(Some(Identity::new("root").with_role("admin"))),
///                 Some(_) => Err(Refusal::unauthorized()),
///             }
///         }
///     })
///     .build()
///     .expect("every required policy is registered");
/// # drop(server);
/// ```
pub struct HubServerBuilder {
    hub: Hub,
    options: HubOptions,
    auth: Auth,
    filters: Vec<Arc<dyn HubFilter>>,
    backplane: Option<Arc<dyn Backplane>>,
}

impl fmt::Debug for HubServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubServerBuilder")
            .field("hub", &self.hub)
            .field("options", &self.options)
            .field("auth", &self.auth)
            .field("filters", &self.filters.len())
            .field("backplane", &self.backplane)
            .finish()
    }
}

impl HubServerBuilder {
    /// The server's options (ASP.NET Core's defaults otherwise).
    #[must_use]
    pub fn options(mut self, options: HubOptions) -> Self {
        self.options = options;
        self
    }

    /// How each request's user is found (every request of a connection is authenticated:
    /// negotiate, the transport's connect, and each long poll, send and delete).
    #[must_use]
    pub fn authenticate(mut self, authenticator: impl Authenticator) -> Self {
        self.auth.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Registers the policy that `Requirement::policy(name)` names.
    #[must_use]
    pub fn policy(mut self, name: impl Into<String>, policy: impl Policy) -> Self {
        self.auth.policies.insert(name.into(), Arc::new(policy));
        self
    }

    /// How a user's id (what `Clients::user` matches) is found from their identity
    /// (ASP.NET Core's `IUserIdProvider`); the identity's id by default.
    #[must_use]
    pub fn user_id(
        mut self,
        provider: impl Fn(&Identity) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        let provider: UserIdProvider = Arc::new(provider);
        self.auth.user_id = Some(provider);
        self
    }

    /// Closes a connection when its user's credential expires (ASP.NET Core's
    /// `CloseOnAuthenticationExpiration`; off by default).
    #[must_use]
    pub fn close_on_authentication_expiration(mut self, close: bool) -> Self {
        self.auth.close_on_expiration = close;
        self
    }

    /// Adds a hub filter; filters run in the order they are added, the first outermost.
    #[must_use]
    pub fn filter(mut self, filter: impl HubFilter) -> Self {
        self.filters.push(Arc::new(filter));
        self
    }

    /// Joins a farm of servers through `backplane` (Redis, say: `signalr-redis`): every
    /// message to clients also reaches the matching connections of the other servers, and
    /// group changes and client results reach connections there.
    #[must_use]
    pub fn backplane(mut self, backplane: impl Backplane) -> Self {
        self.backplane = Some(Arc::new(backplane));
        self
    }

    /// The server. Fails if the hub's requirements cannot be met: a policy that is not
    /// registered, or authenticated users required with no authenticator.
    pub fn build(self) -> Result<HubServer, BuildError> {
        let mut needs_user = false;
        let mut missing = HashSet::new();
        for r in self.hub.all_requirements() {
            needs_user = true;
            if let Requirement::Policy(name) = r
                && !self.auth.policies.contains_key(name)
            {
                missing.insert(name.clone());
            }
        }
        if let Some(name) = missing.into_iter().min() {
            return Err(BuildError::UnknownPolicy(name));
        }
        if needs_user && self.auth.authenticator.is_none() {
            return Err(BuildError::NoAuthenticator);
        }
        Ok(self.finish())
    }

    /// The server, without checking the requirements.
    fn finish(self) -> HubServer {
        let options = self.options;
        let registry = Arc::new(Registry::new(
            options.client_result_timeout,
            GroupLimits {
                max_groups_per_connection: options.maximum_groups_per_connection,
                max_group_name_length: options.maximum_group_name_length,
            },
        ));
        if let Some(backplane) = self.backplane {
            scaleout::attach(
                &registry,
                self.hub.interface.as_deref(),
                &options.supported_protocols,
                backplane,
            );
        }
        HubServer {
            ctx: Arc::new(HubContext {
                hub: self.hub,
                options,
                registry,
                auth: self.auth,
                filters: Filters::new(self.filters),
                shutdown: CancellationToken::new(),
                connections: TaskTracker::new(),
                dialect: None,
            }),
            tokens: Arc::new(Tokens::default()),
        }
    }
}

impl HubServer {
    /// Starts building a server for `hub`.
    pub fn builder(hub: Hub) -> HubServerBuilder {
        HubServerBuilder {
            hub,
            options: HubOptions::default(),
            auth: Auth::default(),
            filters: Vec::new(),
            backplane: None,
        }
    }

    /// A server for `hub` with default options and no authentication.
    ///
    /// A hub with requirements needs an authenticator: use [`HubServer::builder`]; here
    /// every connection to it is refused.
    pub fn new(hub: Hub) -> Self {
        Self::with_options(hub, HubOptions::default())
    }

    /// A server for `hub` with `options` and no authentication (see [`HubServer::new`]).
    pub fn with_options(hub: Hub, options: HubOptions) -> Self {
        Self::builder(hub).options(options).finish()
    }

    /// The routes of the hub at `path`: `POST {path}/negotiate`, and at `{path}` the
    /// WebSocket endpoint, Server-Sent Events and long polling (`GET`), their sends (`POST`)
    /// and the end of a long-polling connection (`DELETE`). Merge them into an application's
    /// router of any state; the application's layers apply to them like to its own routes.
    pub fn router<S: Clone + Send + Sync + 'static>(&self, path: &str) -> Router<S> {
        routes::router(self.ctx.clone(), self.tokens.clone(), path)
    }

    /// The routes of `hub` served in `dialect` at `path`, sharing everything else with this
    /// server (its clients, groups, authentication, filters and shutdown); connection
    /// tokens are the endpoint's own.
    pub(crate) fn dialect_router<S: Clone + Send + Sync + 'static>(
        &self,
        hub: Hub,
        dialect: Arc<dyn Dialect>,
        path: &str,
    ) -> Router<S> {
        let ctx = Arc::new(self.ctx.with_dialect(hub, dialect));
        routes::router(ctx, Arc::new(Tokens::default()), path)
    }

    /// The hub's shared state: what every endpoint of the server shares, for the other
    /// wire dialects serving the same hub.
    pub(crate) fn context(&self) -> &Arc<HubContext> {
        &self.ctx
    }

    /// Every client of the hub.
    pub fn clients(&self) -> Clients {
        self.ctx.clients(None)
    }

    /// Group membership.
    pub fn groups(&self) -> Groups {
        self.ctx.groups()
    }

    /// How many connections are open.
    pub fn connection_count(&self) -> usize {
        self.ctx.registry.len()
    }

    /// Closes every connection with a Close message (allowing clients to reconnect),
    /// refuses new ones, and waits (10 s at most) until every connection has written what
    /// it had queued and its Close.
    pub async fn shutdown(&self) {
        self.ctx.shutdown.cancel();
        self.ctx.connections.close();
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, self.ctx.connections.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                remaining = self.ctx.connections.len(),
                "shutdown: connections still closing after the timeout"
            );
        }
    }
}

/// Mounting a hub on a router in one line: `Router::new().hub("/hubs/chat", &server)`.
pub trait RouterExt {
    /// Adds the hub's routes at `path`.
    #[must_use]
    fn hub(self, path: &str, server: &HubServer) -> Self;
}

impl<S: Clone + Send + Sync + 'static> RouterExt for Router<S> {
    fn hub(self, path: &str, server: &HubServer) -> Self {
        self.merge(server.router::<S>(path))
    }
}
