//! Who is calling a hub method, and where to reach everyone else.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use signalr_protocol::Protocol;

use crate::clients::proxy::{Clients, Groups};
use crate::identity::Identity;

/// Who is calling and where to reach everyone else.
#[derive(Clone)]
pub struct Caller {
    /// The public id of the calling connection.
    pub connection_id: Arc<str>,
    /// The user id (`Clients::user` reaches every connection with it), from the identity
    /// by the server's user-id provider.
    pub user: Option<Arc<str>>,
    /// Who authentication found the user to be; `None` for an anonymous connection.
    pub identity: Option<Arc<Identity>>,
    /// The client's address, when the server knows it.
    pub remote: Option<IpAddr>,
    /// The caller's protocol: replies are encoded in it.
    pub protocol: Protocol,
    /// Proxies to every connected client.
    pub clients: Clients,
    /// Group membership.
    pub groups: Groups,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("connection_id", &self.connection_id)
            .field("user", &self.user)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}
