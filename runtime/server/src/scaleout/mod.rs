//! Scale-out: the hook through which a backplane carries a hub's messages between the
//! servers of a farm (the `signalr-redis` crate is one).
//!
//! With a [`Backplane`] ([`HubServerBuilder::backplane`](crate::HubServerBuilder::backplane)),
//! a server still delivers every message to its own matching connections at once, then
//! hands the message, serialized once per hub protocol, to the backplane for the other
//! servers. What other servers send arrives through the [`LocalHub`] the backplane is given.
//! Sending never waits for the backplane. A group change or client result for a connection
//! that is not on this server goes through the backplane to the server that has it.

mod hooks;
mod local;

use std::fmt;

use bytes::Bytes;
use signalr_protocol::{IntoArguments, Protocol};

use crate::clients::codec::{Codec, HubProtocolCodec};
use crate::error::HubError;
use crate::frame::{Frame, FrameData};
use crate::hub::BoxFuture;

/// What a client answered to a client-result invocation: its value (raw, in the client's
/// protocol), nothing, or its error.
pub type ClientResult = Result<Option<signalr_protocol::Payload<'static>>, HubError>;
pub(crate) use hooks::*;
pub(crate) use local::Added;
pub use local::LocalHub;

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
                let frame = HubProtocolCodec(p).invocation(invocation_id, method, args)?;
                if let Some(bytes) = frame_bytes(frame) {
                    message.insert(p, bytes);
                }
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

    /// The frame of `protocol`'s serialization.
    pub(crate) fn frame(&self, protocol: Protocol) -> Option<Frame> {
        let bytes = self.get(protocol)?.clone();
        let data = match protocol {
            Protocol::Json => FrameData::Text(axum::extract::ws::Utf8Bytes::try_from(bytes).ok()?),
            Protocol::MessagePack => FrameData::Binary(bytes),
        };
        Some(Frame {
            data,
            trackable: true,
        })
    }
}

fn frame_bytes(frame: Frame) -> Option<Bytes> {
    match frame.data {
        FrameData::Text(t) => Some(Bytes::from(t)),
        FrameData::Binary(b) => Some(b),
        FrameData::WebSocketClose(..) => None,
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
    /// Called once, when the server is built with the backplane: how it reaches this
    /// server's connections.
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
