//! What every connection of a hub shares: the hub, the options, the registry of clients,
//! authentication and authorization, the filters, and the server's shutdown.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::auth::Auth;
use crate::clients::registry::Registry;
use crate::clients::{Clients, Groups};
use crate::dialect::Dialect;
use crate::filter::Filters;
use crate::hub::Hub;
use crate::options::HubOptions;

/// The shared state of one hub server.
pub(crate) struct HubContext {
    pub(crate) hub: Hub,
    pub(crate) options: HubOptions,
    pub(crate) registry: Arc<Registry>,
    pub(crate) auth: Auth,
    pub(crate) filters: Filters,
    /// Fires when the server shuts down.
    pub(crate) shutdown: CancellationToken,
    /// Every running connection, so shutdown can wait for them.
    pub(crate) connections: TaskTracker,
    /// The wire dialect of this endpoint's connections (`None`: the hub protocol's own).
    pub(crate) dialect: Option<Arc<dyn Dialect>>,
}

impl HubContext {
    /// Proxies to the clients, as seen by `caller` (if any).
    pub(crate) fn clients(&self, caller: Option<Arc<str>>) -> Clients {
        Clients {
            registry: self.registry.clone(),
            caller,
        }
    }

    /// Group membership.
    pub(crate) fn groups(&self) -> Groups {
        Groups {
            registry: self.registry.clone(),
        }
    }

    /// The context of another endpoint of the same server, serving `hub` in `dialect`:
    /// everything else (clients, groups, authentication, filters, shutdown) is shared.
    pub(crate) fn with_dialect(&self, hub: Hub, dialect: Arc<dyn Dialect>) -> HubContext {
        HubContext {
            hub,
            options: self.options.clone(),
            registry: self.registry.clone(),
            auth: self.auth.clone(),
            filters: self.filters.clone(),
            shutdown: self.shutdown.clone(),
            connections: self.connections.clone(),
            dialect: Some(dialect),
        }
    }
}
