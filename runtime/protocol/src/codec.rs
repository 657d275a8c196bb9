//! The frame codecs of [`Protocol`]: each protocol's decoder and encoder, chosen by the
//! protocol (kept apart from the enum, which the codecs themselves name).

use crate::error::ProtocolError;
use crate::message::HubMessage;
use crate::protocol::Protocol;
use crate::{json, msgpack};

impl Protocol {
    /// Decodes one message from one frame, without its record separator or length prefix.
    ///
    /// Payloads stay raw and borrow from `frame`.
    pub fn decode_frame(self, frame: &[u8]) -> Result<HubMessage<'_>, ProtocolError> {
        match self {
            Protocol::Json => json::decode(frame),
            Protocol::MessagePack => msgpack::decode(frame),
        }
    }

    /// Appends `msg`, framed (with its record separator or length prefix), to `out`.
    ///
    /// Fails, leaving `out` as it was, if a payload of `msg` is in the other protocol's encoding.
    pub fn encode(self, msg: &HubMessage<'_>, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
        match self {
            Protocol::Json => json::encode(msg, out),
            Protocol::MessagePack => msgpack::encode(msg, out),
        }
    }

    /// Encodes `msg` into a new framed buffer.
    pub fn to_frame(self, msg: &HubMessage<'_>) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::with_capacity(64);
        self.encode(msg, &mut out)?;
        Ok(out)
    }
}
