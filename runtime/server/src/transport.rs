//! What the connection engine reads from and writes to, whatever carries it.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::Sink;
use futures_util::stream::BoxStream;
use signalr_protocol::TransferFormat;
use signalr_protocol::negotiate::TransportType;

use crate::frame::Frame;

/// The outgoing half of a transport: frames in order; closing it ends the transport.
pub(crate) type Outgoing = Pin<Box<dyn Sink<Frame, Error = ()> + Send>>;

/// Why a transport stopped delivering what the client sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TransportError {
    /// One transport message was larger than the transport accepts.
    #[error("The maximum message size of {0}B was exceeded.")]
    TooLarge(usize),
    /// A WebSocket text message was not UTF-8.
    #[error("A WebSocket text message was not valid UTF-8.")]
    InvalidUtf8,
}

/// One connection's transport: the bytes the client sends, in chunks (the stream ends when
/// the client goes away, or with an error the client is told about), and the sink of
/// frames to the client.
pub(crate) struct Transport {
    pub(crate) kind: TransportType,
    pub(crate) incoming: BoxStream<'static, Result<Bytes, TransportError>>,
    pub(crate) outgoing: Outgoing,
    /// The only transfer format the transport carries, if it cannot carry both.
    pub(crate) format: Option<TransferFormat>,
    /// Whether the server sends keep-alive Pings (long polling keeps itself alive).
    pub(crate) keep_alive: bool,
}
