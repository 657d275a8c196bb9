//! This server's side of a farm, as its backplane sees it: delivering what other servers
//! sent to the connections here, encoded once per kind of connection.

use std::fmt;
use std::sync::{Arc, Weak};

use signalr_protocol::{HubMessage, IntoArguments, Protocol, decode_frames};
use tokio::sync::oneshot;

use super::{Audience, ClientResult, SerializedMessage};
use crate::clients::codec::{CODEC_SLOTS, Codec, HubProtocolCodec};
use crate::clients::registry::{Connection, Registry, Target};
use crate::error::HubError;
use crate::frame::Frame;
use crate::hub::BoxFuture;

/// What adding a connection to a group did.
pub(crate) enum Added {
    /// The connection is not on this server.
    NotHere,
    /// Added (or already a member); with a backplane and the group's first member here,
    /// the wait for the group's subscription.
    Here(Option<BoxFuture<()>>),
}

/// This server's side of a farm, for its backplane: delivering what other servers sent to
/// the connections here.
#[derive(Clone)]
pub struct LocalHub {
    pub(super) registry: Weak<Registry>,
    pub(super) hub_name: String,
    pub(super) protocols: Vec<Protocol>,
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
        Fanout::new(message).push_all(&targets)
    }

    /// Whether a connection is on this server.
    pub fn has_connection(&self, connection_id: &str) -> bool {
        self.registry
            .upgrade()
            .is_some_and(|r| r.get(connection_id).is_some())
    }

    /// Adds a connection of this server to a group (for another server's request). `None`
    /// if the connection is not here; else a future that ends when the group's messages from
    /// other servers reach this server (an error if the connection may not join it).
    pub fn add_to_group(
        &self,
        connection_id: &str,
        group: &str,
    ) -> Option<BoxFuture<Result<(), HubError>>> {
        let registry = self.registry.upgrade()?;
        match registry.add_to_group(connection_id, group) {
            Err(e) => Some(Box::pin(std::future::ready(Err(e)))),
            Ok(Added::NotHere) => None,
            Ok(Added::Here(None)) => Some(Box::pin(std::future::ready(Ok(())))),
            Ok(Added::Here(Some(subscribed))) => Some(Box::pin(async move {
                subscribed.await;
                Ok(())
            })),
        }
    }

    /// Removes a connection of this server from a group; whether the connection is here.
    pub fn remove_from_group(&self, connection_id: &str, group: &str) -> bool {
        self.registry
            .upgrade()
            .is_some_and(|r| r.remove_from_group(connection_id, group))
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
        let mut fanout = Fanout::new(message);
        if !fanout.frame_for(&c).is_some_and(|frame| c.push(frame)) {
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

/// Encodes a message once per kind of connection it reaches: a connection writing the hub
/// protocol gets the serialized bytes; one of another wire dialect gets its codec's encoding
/// of the same invocation.
pub(super) struct Fanout<'a> {
    message: &'a SerializedMessage,
    /// The call, when this server sends it (else it is decoded from the serialization).
    call: Option<(&'a str, &'a (dyn IntoArguments + Sync))>,
    encoded: [Option<Frame>; CODEC_SLOTS],
}

impl<'a> Fanout<'a> {
    /// A fan-out of what another server serialized.
    pub(super) fn new(message: &'a SerializedMessage) -> Self {
        Fanout {
            message,
            call: None,
            encoded: Default::default(),
        }
    }

    /// A fan-out of this server's call, serialized as `message`.
    pub(super) fn of_call(
        message: &'a SerializedMessage,
        method: &'a str,
        args: &'a (dyn IntoArguments + Sync),
    ) -> Self {
        Fanout {
            call: Some((method, args)),
            ..Fanout::new(message)
        }
    }

    fn frame_for(&mut self, c: &Connection) -> Option<Frame> {
        let slot = c.codec.slot().min(CODEC_SLOTS - 1);
        if let Some(f) = &self.encoded[slot] {
            return Some(f.clone());
        }
        let frame = if slot == HubProtocolCodec(c.protocol).slot() {
            self.message.frame(c.protocol)
        } else {
            self.encode_for(c.codec.as_ref(), c.protocol)
        };
        self.encoded[slot] = frame.clone();
        frame
    }

    /// The invocation in another dialect's codec.
    fn encode_for(&self, codec: &dyn Codec, protocol: Protocol) -> Option<Frame> {
        if let Some((method, args)) = self.call {
            return codec.invocation(None, method, args).ok();
        }
        let bytes = self.message.get(protocol)?;
        let mut frame = None;
        let _ = decode_frames(protocol, bytes, None, |msg| {
            if let Ok(HubMessage::Invocation(inv)) = msg {
                let id = inv.invocation_id.as_deref();
                frame = codec.invocation(id, &inv.target, &inv.arguments).ok();
            }
        });
        frame
    }

    /// Queues the message on each of `targets`; how many took it.
    pub(super) fn push_all(&mut self, targets: &[Arc<Connection>]) -> usize {
        let mut sent = 0;
        for c in targets {
            match self.frame_for(c) {
                Some(frame) => sent += usize::from(c.push(frame)),
                None => {
                    tracing::debug!(connection = %c.id, "Failed writing message: no {} serialization", c.protocol);
                }
            }
        }
        sent
    }
}
