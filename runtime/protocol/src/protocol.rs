//! The two hub protocols and what they share: names, versions and transfer formats (their
//! frame codecs are in `codec.rs`).

use std::fmt;

/// How a transport carries frames: text (UTF-8) or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferFormat {
    /// Text frames (WebSocket text messages, Server-Sent Events).
    Text,
    /// Binary frames.
    Binary,
}

impl fmt::Display for TransferFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferFormat::Text => "Text",
            TransferFormat::Binary => "Binary",
        })
    }
}

/// A hub protocol: the encoding of hub messages and their payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `json`: UTF-8 JSON objects, each ended by `0x1E`.
    Json,
    /// `messagepack`: MessagePack arrays, each prefixed by its VarInt length.
    MessagePack,
}

impl Protocol {
    /// Every protocol this crate implements.
    pub const ALL: [Protocol; 2] = [Protocol::Json, Protocol::MessagePack];

    /// The highest protocol version implemented (2 adds Ack and Sequence for stateful reconnect).
    pub const VERSION: u32 = 2;

    /// The name used in the handshake: `json` or `messagepack`.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Json => "json",
            Protocol::MessagePack => "messagepack",
        }
    }

    /// The protocol with this handshake name, compared case-insensitively as ASP.NET Core does.
    pub fn from_name(name: &str) -> Option<Protocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Whether a handshake may ask for `version` (every version up to [`Protocol::VERSION`]).
    pub fn is_version_supported(self, version: i64) -> bool {
        version <= i64::from(Self::VERSION)
    }

    /// The transfer format a transport needs to carry this protocol.
    pub fn transfer_format(self) -> TransferFormat {
        match self {
            Protocol::Json => TransferFormat::Text,
            Protocol::MessagePack => TransferFormat::Binary,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
