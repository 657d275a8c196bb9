//! The SignalR hub protocol, sans-io: bytes in, messages out, no sockets.
//!
//! This crate implements what every SignalR peer must agree on byte for byte:
//!
//! - the [handshake] (always JSON ended by `0x1E`, for either hub protocol);
//! - every [hub message](HubMessage): Invocation, StreamInvocation, StreamItem, Completion,
//!   CancelInvocation, Ping, Close, and the stateful-reconnect Ack and Sequence;
//! - the [JSON](Protocol::Json) and [MessagePack](Protocol::MessagePack) encodings;
//! - the [negotiate] exchange that precedes a connection;
//! - incremental [framing](FrameReader) with a maximum message size enforced before anything
//!   beyond it is buffered.
//!
//! Arguments, stream items and results stay raw ([`Payload`], [`Arguments`]) until they are
//! bound to Rust types with serde, one at a time.
//!
//! ```
//! use signalr_protocol::{FrameReader, HubMessage, Protocol, ProtocolError};
//!
//! let mut frames = FrameReader::new(Protocol::Json, Some(32 * 1024));
//! let mut seen = Vec::new();
//! let chunk = br#"{"type":1,"invocationId":"7","target":"Add","arguments":[2,3]}"#;
//! frames.push(chunk, |_| Ok::<_, ProtocolError>(()))?; // no separator yet: nothing comes out
//! frames.push(b"\x1e", |frame| {
//!     if let HubMessage::Invocation(inv) = Protocol::Json.decode_frame(frame)? {
//!         let mut args = inv.arguments.binder(2).map_err(|e| e.to_string()).unwrap();
//!         let (a, b): (i32, i32) = (args.next_arg().unwrap(), args.next_arg().unwrap());
//!         seen.push((inv.target.into_owned(), a + b));
//!     }
//!     Ok::<_, ProtocolError>(())
//! })?;
//! assert_eq!(seen, [("Add".to_owned(), 5)]);
//! # Ok::<(), ProtocolError>(())
//! ```

mod binary;
pub mod classic;
mod codec;
mod error;
mod framing;
pub mod handshake;
mod json;
mod message;
mod msgpack;
pub mod names;
pub mod negotiate;
mod payload;
mod protocol;
mod values;
mod walk;

pub use binary::Binary;
pub use error::{BindError, HandshakeError, Offset, ProtocolError, SerializeError};
pub use framing::{DEFAULT_MAX_MESSAGE_SIZE, FrameReader};
pub use json::RECORD_SEPARATOR;
pub use message::{
    CancelInvocation, Close, Completion, CompletionResult, Headers, HubMessage, Invocation,
    MessageType, StreamInvocation, StreamItem,
};
pub use payload::{ArgumentBinder, Arguments, ArgumentsIter, ArgumentsWriter, Payload};
pub use protocol::{Protocol, TransferFormat};
pub use values::{FromArguments, IntoArguments};

/// Decodes every message in a buffer of whole frames, calling `on_message` for each.
///
/// This is the fast path for a transport message that holds several complete frames; it
/// fails if the buffer ends inside a frame. Use [`FrameReader`] when frames may span chunks.
pub fn decode_frames<'b>(
    protocol: Protocol,
    buf: &'b [u8],
    max_message_size: Option<usize>,
    mut on_message: impl FnMut(Result<HubMessage<'b>, ProtocolError>),
) -> Result<(), ProtocolError> {
    let mut rest = buf;
    while !rest.is_empty() {
        let (body, used) = match protocol {
            Protocol::Json => match memchr::memchr(RECORD_SEPARATOR, rest) {
                Some(i) => (&rest[..i], i + 1),
                None => {
                    return Err(ProtocolError::IncompleteFrame {
                        buffered: rest.len(),
                    });
                }
            },
            Protocol::MessagePack => match msgpack::read_length_prefix(rest)? {
                Some((len, n)) if rest.len() - n >= len => (&rest[n..n + len], n + len),
                _ => {
                    return Err(ProtocolError::IncompleteFrame {
                        buffered: rest.len(),
                    });
                }
            },
        };
        if let Some(limit) = max_message_size
            && used > limit
        {
            return Err(ProtocolError::MessageTooLarge { limit });
        }
        on_message(protocol.decode_frame(body));
        rest = &rest[used..];
    }
    Ok(())
}
