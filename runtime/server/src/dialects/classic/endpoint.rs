//! What every request of a classic endpoint shares: its hubs (each the context of a
//! `HubServer`, so its registry, authentication, filters and scale-out are the ASP.NET Core
//! endpoint's), the options, the token key, and the open connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::connection::{self, ClassicConnection, Owner};
use super::hub::EndpointHub;
use super::options::ClassicOptions;
use super::protect::Protector;

/// The shared state of one classic endpoint.
pub(super) struct Endpoint {
    pub(super) hubs: Vec<EndpointHub>,
    pub(super) options: ClassicOptions,
    pub(super) protector: Protector,
    connections: Mutex<HashMap<Arc<str>, Arc<ClassicConnection>>>,
    /// Opening a connection is one step at a time, so two requests racing to open the same
    /// connection (a connect and a start) open it once.
    opening: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field(
                "hubs",
                &self
                    .hubs
                    .iter()
                    .map(|h| h.name.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    pub(super) fn new(hubs: Vec<EndpointHub>, options: ClassicOptions) -> Self {
        Endpoint {
            hubs,
            options,
            protector: Protector::new(),
            connections: Mutex::default(),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    /// The hub a client names, case-insensitively.
    pub(super) fn hub_index(&self, name: &str) -> Option<usize> {
        self.hubs
            .iter()
            .position(|h| h.name.eq_ignore_ascii_case(name))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Arc<ClassicConnection>>> {
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The open connection with this id (one that ended is no longer open, even before it
    /// is forgotten).
    pub(super) fn get(&self, id: &str) -> Option<Arc<ClassicConnection>> {
        self.lock()
            .get(id)
            .filter(|c| !c.ended.is_cancelled())
            .cloned()
    }

    /// How many connections are open.
    pub(super) fn len(&self) -> usize {
        self.lock()
            .values()
            .filter(|c| !c.ended.is_cancelled())
            .count()
    }

    /// Watches `conn` until it ends (it returns only then), then forgets it unless its id
    /// was opened again since.
    async fn watch(self: Arc<Self>, conn: Arc<ClassicConnection>) {
        connection::watch(conn.clone(), self.options.disconnect_timeout).await;
        let mut table = self.lock();
        if table
            .get(&conn.owner.id)
            .is_some_and(|c| Arc::ptr_eq(c, &conn))
        {
            table.remove(&conn.owner.id);
        }
    }

    /// The open connection with the owner's id, or a new one subscribed to `hubs` (having
    /// rejoined `groups`); whether it is new.
    pub(super) async fn get_or_open(
        self: &Arc<Self>,
        owner: Owner,
        hubs: &[usize],
        groups: &[(usize, String)],
    ) -> (Arc<ClassicConnection>, bool) {
        let _one_at_a_time = self.opening.lock().await;
        if let Some(c) = self.get(&owner.id) {
            return (c, false);
        }
        let id = owner.id.clone();
        let conn = ClassicConnection::open(&self.hubs, &self.options, owner, hubs, groups).await;
        self.lock().insert(id, conn.clone());
        tokio::spawn(self.clone().watch(conn.clone()));
        (conn, true)
    }
}
