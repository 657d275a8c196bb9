//! The state a backplane's clones and its receive loop share: the options and, once the
//! server attached it, the link to Redis and this server's side of the farm.

use std::sync::OnceLock;
use std::sync::atomic::AtomicI32;

use redis::ConnectionInfo;
use signalr_server::scaleout::{ClientResult, LocalHub};
use tokio::sync::mpsc;

use crate::channels::Channels;
use crate::link::Link;
use crate::messages::GroupCommand;
use crate::options::RedisOptions;
use crate::pending::Pending;

/// What the clones of one backplane share.
pub(crate) struct Inner {
    pub(crate) connection: ConnectionInfo,
    pub(crate) options: RedisOptions,
    pub(crate) server_name: String,
    pub(crate) attached: OnceLock<Attached>,
}

/// The backplane of a running server.
pub(crate) struct Attached {
    pub(crate) channels: Channels,
    pub(crate) link: Link,
    pub(crate) local: LocalHub,
    pub(crate) server_name: String,
    pub(crate) acks: Pending<i32, ()>,
    pub(crate) results: Pending<String, ClientResult>,
    pub(crate) next_ack: AtomicI32,
    pub(crate) options: RedisOptions,
    /// Group commands for this server's connections, handled one at a time in arrival order.
    pub(crate) group_commands: mpsc::UnboundedSender<GroupCommand>,
}

impl Attached {
    /// Publishes a backplane message; logs what could not be published.
    pub(crate) fn publish(&self, channel: String, payload: Vec<u8>, echo: bool) -> bool {
        self.link.publish(channel, payload, echo).is_ok()
    }
}

impl Inner {
    pub(crate) fn attached(&self) -> Option<&Attached> {
        self.attached.get()
    }
}
