//! One encoded frame on its way to a client, with what the stateful-reconnect buffer needs
//! to know about it, so nothing is decoded again on the way out.

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use signalr_protocol::{HubMessage, MessageType, Protocol};

use crate::error::HubError;

/// The bytes of one or more hub messages, as text (JSON) or binary (MessagePack).
#[derive(Debug, Clone)]
pub(crate) enum FrameData {
    Text(Utf8Bytes),
    Binary(Bytes),
    /// Closes a WebSocket with this status code and reason (other transports skip it).
    WebSocketClose(u16, &'static str),
}

/// An encoded frame: its bytes, and whether stateful reconnect numbers it (Invocation,
/// StreamItem, Completion, StreamInvocation and CancelInvocation are numbered; Ping, Close,
/// Ack and Sequence are not).
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub(crate) data: FrameData,
    pub(crate) trackable: bool,
}

impl Frame {
    /// Encodes one hub message in `protocol`.
    pub(crate) fn encode(protocol: Protocol, msg: &HubMessage<'_>) -> Result<Frame, HubError> {
        let bytes = protocol.to_frame(msg).map_err(HubError::internal)?;
        let data = match protocol {
            Protocol::Json => FrameData::Text(
                Utf8Bytes::try_from(Bytes::from(bytes))
                    .map_err(|_| HubError::internal("JSON frame is not UTF-8"))?,
            ),
            Protocol::MessagePack => FrameData::Binary(Bytes::from(bytes)),
        };
        Ok(Frame {
            data,
            trackable: is_trackable(msg.message_type()),
        })
    }

    /// A text frame of already encoded messages (of another dialect's format, say).
    pub(crate) fn text(text: impl Into<Utf8Bytes>, trackable: bool) -> Frame {
        Frame {
            data: FrameData::Text(text.into()),
            trackable,
        }
    }

    /// Closes a WebSocket with `code` (1007 for invalid data, 1009 for a message too big).
    pub(crate) fn websocket_close(code: u16, reason: &'static str) -> Frame {
        Frame {
            data: FrameData::WebSocketClose(code, reason),
            trackable: false,
        }
    }

    /// Whether this is a WebSocket close.
    pub(crate) fn is_websocket_close(&self) -> bool {
        matches!(self.data, FrameData::WebSocketClose(..))
    }

    /// The frame's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.data {
            FrameData::Text(t) => t.as_bytes(),
            FrameData::Binary(b) => b,
            FrameData::WebSocketClose(..) => &[],
        }
    }

    /// The frame's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.as_bytes().len()
    }
}

/// Whether stateful reconnect numbers messages of this type.
fn is_trackable(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::Invocation
            | MessageType::StreamItem
            | MessageType::Completion
            | MessageType::StreamInvocation
            | MessageType::CancelInvocation
    )
}
