//! Errors produced while decoding or encoding hub protocol data.

use std::fmt;

/// Where in the input a problem was found, as a byte offset into the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(pub usize);

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}", self.0)
    }
}

/// A malformed frame, message or handshake.
///
/// Every variant says what was wrong and, where it applies, at which byte of the frame.
/// The texts of the variants that ASP.NET Core also reports are the same as ASP.NET Core's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A frame (or a frame still being received) is larger than the configured maximum.
    #[error(
        "The maximum message size of {limit}B was exceeded. The message size can be configured with the maximum receive message size option."
    )]
    MessageTooLarge {
        /// The configured maximum, in bytes.
        limit: usize,
    },
    /// A MessagePack length prefix announces more than 2 GB, or is longer than 5 bytes.
    #[error("Messages over 2GB in size are not supported.")]
    LengthPrefixTooLarge,
    /// The input ended inside a frame that can never be completed (for example a stream that closed).
    #[error(
        "The input ended in the middle of a message ({buffered} bytes without a complete frame)."
    )]
    IncompleteFrame {
        /// How many bytes of the unfinished frame had arrived.
        buffered: usize,
    },
    /// Text that is not valid UTF-8 where the protocol requires text.
    #[error("Invalid UTF-8 at {offset}.")]
    InvalidUtf8 {
        /// Where the invalid sequence starts.
        offset: Offset,
    },
    /// JSON that does not follow the JSON grammar.
    #[error("Invalid JSON at {offset}: {reason}.")]
    InvalidJson {
        /// Where the problem was found.
        offset: Offset,
        /// What was expected or found.
        reason: &'static str,
    },
    /// MessagePack data that is truncated or uses a reserved or unexpected format.
    #[error("Invalid MessagePack at {offset}: {reason}.")]
    InvalidMessagePack {
        /// Where the problem was found.
        offset: Offset,
        /// What was expected or found.
        reason: &'static str,
    },
    /// JSON or MessagePack nested deeper than the protocol allows.
    #[error("The maximum nesting depth of {limit} was exceeded at {offset}.")]
    DepthExceeded {
        /// Where the limit was crossed.
        offset: Offset,
        /// The limit.
        limit: usize,
    },
    /// A MessagePack element has the wrong type (ASP.NET Core's wording).
    #[error("Reading '{field}' as {expected} failed.")]
    ReadFailed {
        /// The element (`messageType`, `invocationId`, `target`, `headers`, ...).
        field: &'static str,
        /// The type it must have (`String`, `Int32`, `Int64`, `Boolean`, `Map`, `Array`).
        expected: &'static str,
    },
    /// A MessagePack string that must not be nil or empty is.
    #[error("Null or empty {0}.")]
    NullOrEmpty(&'static str),
    /// A JSON property that may not be `null` is.
    #[error("Null value for '{0}' is not valid.")]
    NullValue(&'static str),
    /// A message lacks a property its type requires.
    #[error("Missing required property '{name}'.")]
    MissingProperty {
        /// The JSON property name (also used for the MessagePack array element).
        name: &'static str,
    },
    /// A property has the wrong type.
    #[error("Expected '{name}' to be of type {expected}.")]
    UnexpectedType {
        /// The property (or array element) name.
        name: &'static str,
        /// The JSON or MessagePack type it must have.
        expected: &'static str,
    },
    /// The message type number is not one this implementation knows.
    ///
    /// ASP.NET Core ignores such messages for forward compatibility; connection engines
    /// should do the same (see [`ProtocolError::is_ignorable`]).
    #[error("Unknown message type {0}.")]
    UnknownMessageType(i64),
    /// A Completion carries both a result and an error.
    #[error("The 'error' and 'result' properties are mutually exclusive.")]
    ResultAndError,
    /// A MessagePack Completion has a result kind other than 1, 2 or 3.
    #[error("Invalid invocation result kind.")]
    InvalidResultKind(u64),
    /// A MessagePack array is shorter than its message type requires.
    #[error(
        "Invalid message: a {message} message needs at least {expected} elements, found {found}."
    )]
    TooFewElements {
        /// The message type.
        message: &'static str,
        /// The minimum number of array elements.
        expected: usize,
        /// The number the array declares.
        found: usize,
    },
    /// Bytes follow the message inside its frame.
    #[error("Unexpected data after the end of the message at {offset}.")]
    TrailingData {
        /// Where the extra data starts.
        offset: Offset,
    },
    /// A handshake that cannot be understood.
    #[error("{0}")]
    Handshake(HandshakeError),
}

impl ProtocolError {
    /// Whether a receiver should skip the message and keep the connection (unknown message
    /// types, as ASP.NET Core and the official clients do), rather than close it.
    pub fn is_ignorable(&self) -> bool {
        matches!(self, ProtocolError::UnknownMessageType(_))
    }
}

/// A handshake request or response that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The handshake is not a JSON object.
    #[error("Unexpected JSON Token Type '{0}'. Expected a JSON Object.")]
    NotAnObject(&'static str),
    /// The handshake JSON itself is malformed.
    #[error("{0}")]
    Syntax(Box<ProtocolError>),
    /// A required handshake property is missing (or `null`).
    #[error("Missing required property '{0}'.")]
    MissingProperty(&'static str),
    /// A handshake property has the wrong type.
    #[error("Expected '{name}' to be of type {expected}.")]
    UnexpectedType {
        /// The property.
        name: &'static str,
        /// `String` or `Number`.
        expected: &'static str,
    },
    /// A handshake response carries a `type` property, so it is a hub message instead.
    #[error("Expected a handshake response from the server.")]
    NotAResponse,
}

impl From<HandshakeError> for ProtocolError {
    fn from(e: HandshakeError) -> Self {
        ProtocolError::Handshake(e)
    }
}

/// Why an argument, stream item or result could not be bound to a Rust type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// The invocation carries a different number of arguments than the target takes.
    #[error("Invocation provides {provided} argument(s) but target expects {expected}.")]
    ArgumentCount {
        /// Arguments on the wire.
        provided: usize,
        /// Parameters of the target.
        expected: usize,
    },
    /// One argument did not deserialize into its parameter's type.
    #[error("Error binding argument {index}: {message}")]
    Argument {
        /// Zero-based argument position.
        index: usize,
        /// What the deserializer said.
        message: String,
    },
    /// A stream item or completion result did not deserialize.
    #[error("Error binding value: {message}")]
    Value {
        /// What the deserializer said.
        message: String,
    },
}

/// A value that could not be serialized into a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Error serializing value: {message}")]
pub struct SerializeError {
    /// What the serializer said.
    pub message: String,
}
