//! Scale-out: the hook through which a backplane carries a hub's messages between the
//! servers of a farm (the `signalr-redis` crate is one).
//!
//! With a [`Backplane`] ([`HubServer::with_backplane`](crate::HubServer::with_backplane)),
//! a server still delivers every message to its own matching connections at once, then
//! hands the message, serialized once per hub protocol, to the backplane for the other
//! servers. What other servers send arrives through the [`LocalHub`] the backplane is given.
//! Sending never waits for the backplane. A group change or client result for a connection
//! that is not on this server goes through the backplane to the server that has it.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use signalr_protocol::{IntoArguments, Payload, Protocol};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::clients::{Connection, Frame, Groups, Registry, Target, invocation_frame};
use crate::hub::{BoxFuture, HubError};

/// What a client answered to a client-result invocation: its value (raw, in the client's
/// protocol), nothing, or its error.
pub type ClientResult = Result<Option<Payload<'static>>, HubError>;

/// A hub message serialized once per hub protocol: for each, the message framed exactly as
/// that protocol writes it to a connection (JSON with its record separator, MessagePack with
/// its length prefix). ASP.NET Core's `SerializedHubMessage`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SerializedMessage {
    frames: Vec<(Protocol, Bytes)>,
}

impl SerializedMessage {
    /// No serialization yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// An invocation of `method` with `args` (and an invocation id for a client result),
    /// serialized for each of `protocols`, in that order.
    pub fn invocation(
        protocols: &[Protocol],
        invocation_id: Option<&str>,
        method: &str,
        args: &(dyn IntoArguments + Sync),
    ) -> Result<Self, HubError> {
        let mut message = SerializedMessage::new();
        for &p in protocols {
            if message.get(p).is_none() {
                let frame = invocation_frame(p, invocation_id.map(str::to_owned), method, args)?;
                message.insert(p, frame_bytes(frame));
            }
        }
        Ok(message)
    }

    /// Sets `protocol`'s serialization (framed), replacing any earlier one.
    pub fn insert(&mut self, protocol: Protocol, framed: Bytes) {
        match self.frames.iter_mut().find(|(p, _)| *p == protocol) {
            Some(slot) => slot.1 = framed,
            None => self.frames.push((protocol, framed)),
        }
    }

    /// `protocol`'s serialization.
    pub fn get(&self, protocol: Protocol) -> Option<&Bytes> {
        self.frames
            .iter()
            .find(|(p, _)| *p == protocol)
            .map(|(_, b)| b)
    }

    /// Every serialization, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (Protocol, &Bytes)> {
        self.frames.iter().map(|(p, b)| (*p, b))
    }

    /// The frame a connection speaking `protocol` is sent.
    fn frame(&self, protocol: Protocol) -> Option<Frame> {
        let bytes = self.get(protocol)?.clone();
        Some(match protocol {
            Protocol::Json => Frame::Text(Utf8Bytes::try_from(bytes).ok()?),
            Protocol::MessagePack => Frame::Binary(bytes),
        })
    }
}

fn frame_bytes(frame: Frame) -> Bytes {
    match frame {
        Frame::Text(t) => Bytes::from(t),
        Frame::Binary(b) => b,
    }
}

/// A group change under way ([`Groups::add`], [`Groups::remove`]).
///
/// The change is made when it is created; awaiting it waits until it has taken effect across
/// the farm: with a backplane, until other servers' messages to the group reach this server
/// (a connection here), or until the server that has the connection acknowledged it (a
/// connection elsewhere; an error if none did in time). Without a backplane it is ready at
/// once.
pub struct GroupChange {
    pending: Option<BoxFuture<Result<(), HubError>>>,
}

impl fmt::Debug for GroupChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupChange")
            .field("pending", &self.pending.is_some())
            .finish()
    }
}

impl GroupChange {
    /// A change that has fully taken effect.
    pub(crate) fn done() -> Self {
        GroupChange { pending: None }
    }

    /// A change waiting for a group subscription.
    pub(crate) fn subscribing(wait: Option<BoxFuture<()>>) -> Self {
        GroupChange {
            pending: wait.map(|w| -> BoxFuture<Result<(), HubError>> {
                Box::pin(async move {
                    w.await;
                    Ok(())
                })
            }),
        }
    }

    /// A change waiting for another server's acknowledgement.
    pub(crate) fn remote(wait: Option<BoxFuture<Result<(), HubError>>>) -> Self {
        GroupChange { pending: wait }
    }
}

impl std::future::IntoFuture for GroupChange {
    type Output = Result<(), HubError>;
    type IntoFuture = BoxFuture<Result<(), HubError>>;

    fn into_future(self) -> Self::IntoFuture {
        match self.pending {
            Some(f) => f,
            None => Box::pin(std::future::ready(Ok(()))),
        }
    }
}

/// Who a message is for: what a server publishes for the others, and what it delivers to
/// its own connections when another server published it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Audience<'a> {
    /// Every connection but these.
    All {
        /// Connection ids left out.
        except: &'a [String],
    },
    /// One connection.
    Connection(&'a str),
    /// The members of a group but these.
    Group {
        /// The group.
        name: &'a str,
        /// Connection ids left out.
        except: &'a [String],
    },
    /// Every connection of a user.
    User(&'a str),
}

/// Carries a hub's messages between the servers of a farm.
///
/// Every method is called on the server's own tasks and must not wait: work that waits
/// (for Redis, say) is started at once and awaited through the returned future.
pub trait Backplane: Send + Sync + fmt::Debug + 'static {
    /// Called once, when the server is given the backplane: how it reaches this server's
    /// connections.
    fn attach(&self, local: LocalHub);

    /// Publishes a message for the other servers; this server has already delivered it to
    /// its own connections in `audience`. Returns whether it was handed on (a backplane that
    /// cannot publish now drops it and says so).
    fn publish(&self, audience: Audience<'_>, message: &SerializedMessage) -> bool;

    /// A connection (of `user`, if any) opened on this server. The future ends when other
    /// servers can reach it (or at once if they cannot now); the server waits for it before
    /// reading the connection's messages.
    fn connection_opened(&self, connection_id: &str, user: Option<&str>) -> BoxFuture<()>;

    /// A connection of this server ended.
    fn connection_closed(&self, connection_id: &str, user: Option<&str>);

    /// A group got its first member on this server. The future ends when messages other
    /// servers send to the group reach this server (or at once if they cannot now).
    fn group_opened(&self, group: &str) -> BoxFuture<()>;

    /// A group lost its last member on this server.
    fn group_closed(&self, group: &str);

    /// Adds (`add`) or removes a connection that is not on this server to or from a group.
    /// The request goes out at once; the future ends when the server that has the connection
    /// has acknowledged it.
    fn change_remote_group(
        &self,
        connection_id: &str,
        group: &str,
        add: bool,
    ) -> BoxFuture<Result<(), HubError>>;

    /// Invokes a client result on a connection that is not on this server. `message` is the
    /// invocation (with `invocation_id`) serialized for every protocol. The request goes out
    /// at once; the future ends with the client's answer. Dropping the future forgets the
    /// invocation.
    fn invoke_remote(
        &self,
        connection_id: &str,
        invocation_id: &str,
        message: SerializedMessage,
    ) -> BoxFuture<ClientResult>;
}

/// A server's backplane, and what it publishes with.
pub(crate) struct ScaleOut {
    backplane: Arc<dyn Backplane>,
    protocols: Vec<Protocol>,
}

/// This server's side of a farm, for its backplane: delivering what other servers sent to
/// the connections here.
#[derive(Clone)]
pub struct LocalHub {
    registry: Weak<Registry>,
    hub_name: String,
    protocols: Vec<Protocol>,
}

impl fmt::Debug for LocalHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalHub")
            .field("hub_name", &self.hub_name)
            .field("protocols", &self.protocols)
            .finish_non_exhaustive()
    }
}

impl LocalHub {
    /// The hub's name: its interface name (`Hub::new("Chat")`), or `Hub`.
    pub fn hub_name(&self) -> &str {
        &self.hub_name
    }

    /// The hub protocols this server speaks, in its order of preference.
    pub fn protocols(&self) -> &[Protocol] {
        &self.protocols
    }

    /// Delivers a message another server published to the matching connections here;
    /// returns how many it was queued on. A connection whose protocol `message` lacks is
    /// skipped.
    pub fn deliver(&self, audience: Audience<'_>, message: &SerializedMessage) -> usize {
        let Some(registry) = self.registry.upgrade() else {
            return 0;
        };
        let targets = match audience {
            Audience::Connection(id) => registry.get(id).into_iter().collect(),
            Audience::All { except } => registry.select(&Target::All {
                except: except.to_vec(),
            }),
            Audience::Group { name, except } => registry.select(&Target::Groups {
                names: vec![name.to_owned()],
                except: except.to_vec(),
            }),
            Audience::User(user) => registry.select(&Target::Users(vec![user.to_owned()])),
        };
        push_all(&targets, message)
    }

    /// Whether a connection is on this server.
    pub fn has_connection(&self, connection_id: &str) -> bool {
        self.registry
            .upgrade()
            .is_some_and(|r| r.get(connection_id).is_some())
    }

    /// Adds a connection of this server to a group (for another server's request). `None`
    /// if the connection is not here; else a future that ends when the group's messages from
    /// other servers reach this server.
    pub fn add_to_group(&self, connection_id: &str, group: &str) -> Option<BoxFuture<()>> {
        let registry = self.registry.upgrade()?;
        registry.get(connection_id)?;
        let change = Groups { registry }.add(connection_id, group);
        Some(Box::pin(async move {
            let _ = change.await;
        }))
    }

    /// Removes a connection of this server from a group; whether the connection is here.
    pub fn remove_from_group(&self, connection_id: &str, group: &str) -> bool {
        let Some(registry) = self.registry.upgrade() else {
            return false;
        };
        if registry.get(connection_id).is_none() {
            return false;
        }
        let _ = Groups { registry }.remove(connection_id, group);
        true
    }

    /// Sends another server's client-result invocation to a connection of this server.
    /// Returns the connection's protocol and a future of the client's answer (an error if
    /// the connection ends first), or `None` if the connection is not here.
    pub fn invoke_for_remote(
        &self,
        connection_id: &str,
        invocation_id: &str,
        message: &SerializedMessage,
    ) -> Option<(Protocol, BoxFuture<ClientResult>)> {
        let registry = self.registry.upgrade()?;
        let c = registry.get(connection_id)?;
        let (tx, rx) = oneshot::channel();
        let collision = c.pending_results.lock().map_or(true, |mut m| {
            if m.contains_key(invocation_id) {
                true
            } else {
                m.insert(invocation_id.to_owned(), tx);
                false
            }
        });
        let protocol = c.protocol;
        if collision {
            let e =
                "ID collision occurred when using client results. This is likely a bug in SignalR.";
            return Some((protocol, Box::pin(async move { Err(HubError::new(e)) })));
        }
        if !message.frame(protocol).is_some_and(|frame| c.push(frame)) {
            c.complete_result(
                invocation_id,
                Err(HubError::new("Connection disconnected.")),
            );
        }
        Some((
            protocol,
            Box::pin(async move {
                rx.await
                    .unwrap_or_else(|_| Err(HubError::new("Connection disconnected.")))
            }),
        ))
    }
}

/// Gives a server its backplane.
pub(crate) fn attach(
    registry: &Arc<Registry>,
    hub_name: Option<&str>,
    protocols: &[Protocol],
    backplane: Arc<dyn Backplane>,
) {
    let scaleout = ScaleOut {
        backplane: backplane.clone(),
        protocols: protocols.to_vec(),
    };
    if registry.scaleout.set(scaleout).is_err() {
        tracing::error!("a hub server takes one backplane; this one is ignored");
        return;
    }
    backplane.attach(LocalHub {
        registry: Arc::downgrade(registry),
        hub_name: hub_name.unwrap_or("Hub").to_owned(),
        protocols: protocols.to_vec(),
    });
}

fn push_all(targets: &[Arc<Connection>], message: &SerializedMessage) -> usize {
    let frames = Protocol::ALL.map(|p| message.frame(p));
    let mut sent = 0;
    for c in targets {
        let slot = usize::from(c.protocol == Protocol::MessagePack);
        match &frames[slot] {
            Some(frame) => sent += usize::from(c.push(frame.clone())),
            None => {
                tracing::debug!(connection = %c.id, "Failed writing message: no {} serialization", c.protocol);
            }
        }
    }
    sent
}

/// With a backplane, `ClientProxy::send`: delivers here, then publishes.
pub(crate) fn send(
    registry: &Registry,
    target: &Target,
    method: &str,
    args: &(dyn IntoArguments + Sync),
) -> Option<Result<usize, HubError>> {
    let s = registry.scaleout.get()?;
    let message = match SerializedMessage::invocation(&s.protocols, None, method, args) {
        Ok(m) => m,
        Err(e) => return Some(Err(e)),
    };
    let sent = push_all(&registry.select(target), &message);
    let bp = &s.backplane;
    match target {
        Target::All { except } => {
            bp.publish(Audience::All { except }, &message);
        }
        Target::Connections(ids) => {
            for id in ids.iter().filter(|id| registry.get(id).is_none()) {
                bp.publish(Audience::Connection(id), &message);
            }
        }
        Target::Groups { names, except } => {
            for name in names.iter().filter(|n| !n.is_empty()) {
                bp.publish(Audience::Group { name, except }, &message);
            }
        }
        Target::Users(users) => {
            for user in users.iter().filter(|u| !u.is_empty()) {
                bp.publish(Audience::User(user), &message);
            }
        }
    }
    Some(Ok(sent))
}

/// With a backplane, `SingleClientProxy::send` to a connection not on this server.
pub(crate) fn send_to_remote(
    registry: &Registry,
    connection_id: &str,
    method: &str,
    args: &(dyn IntoArguments + Sync),
) -> Result<bool, HubError> {
    let Some(s) = registry.scaleout.get() else {
        return Ok(false);
    };
    let message = SerializedMessage::invocation(&s.protocols, None, method, args)?;
    Ok(s.backplane
        .publish(Audience::Connection(connection_id), &message))
}

/// With a backplane, a client result from a connection not on this server: `None` without
/// a backplane.
pub(crate) fn invoke_remote(
    registry: &Registry,
    connection_id: &str,
    method: &str,
    args: &(dyn IntoArguments + Sync),
) -> Option<Result<BoxFuture<ClientResult>, HubError>> {
    let s = registry.scaleout.get()?;
    let invocation_id = uuid::Uuid::new_v4().simple().to_string();
    Some(
        SerializedMessage::invocation(&s.protocols, Some(&invocation_id), method, args).map(
            |message| {
                s.backplane
                    .invoke_remote(connection_id, &invocation_id, message)
            },
        ),
    )
}

/// Waits for a client result, at most `timeout` and until `cancel`, without the calling
/// hub method's invocation slot.
pub(crate) async fn wait_for_result(
    answer: BoxFuture<ClientResult>,
    timeout: Duration,
    cancel: &CancellationToken,
) -> ClientResult {
    crate::connection::without_slot(async {
        tokio::select! {
            r = answer => r,
            () = tokio::time::sleep(timeout) => Err(HubError::new("Invocation canceled by the server.")),
            () = cancel.cancelled() => Err(HubError::new("Invocation canceled by the server.")),
        }
    })
    .await
}

/// A connection opened here: waits (bounded by the backplane) until other servers reach it.
pub(crate) async fn connection_opened(registry: &Registry, id: &str, user: Option<&str>) {
    if let Some(s) = registry.scaleout.get() {
        s.backplane.connection_opened(id, user).await;
    }
}

/// A connection of this server ended.
pub(crate) fn connection_closed(registry: &Registry, id: &str, user: Option<&str>) {
    if let Some(s) = registry.scaleout.get() {
        s.backplane.connection_closed(id, user);
    }
}

/// A group got its first member here.
pub(crate) fn group_opened(registry: &Registry, group: &str) -> Option<BoxFuture<()>> {
    Some(registry.scaleout.get()?.backplane.group_opened(group))
}

/// A group lost its last member here.
pub(crate) fn group_closed(registry: &Registry, group: &str) {
    if let Some(s) = registry.scaleout.get() {
        s.backplane.group_closed(group);
    }
}

/// A group change for a connection not on this server (nothing to do without a backplane).
pub(crate) fn change_remote_group(
    registry: &Registry,
    connection_id: &str,
    group: &str,
    add: bool,
) -> Option<BoxFuture<Result<(), HubError>>> {
    Some(
        registry
            .scaleout
            .get()?
            .backplane
            .change_remote_group(connection_id, group, add),
    )
}
