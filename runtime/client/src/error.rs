//! What can go wrong on the client side, with the official clients' texts where they have one.

use signalr_protocol::{BindError, ProtocolError, SerializeError};

/// The text of the error that fails every pending invocation when the connection drops.
pub const CONNECTION_CLOSED: &str =
    "Invocation canceled due to the underlying connection being closed.";

/// The text of the error the connection closes with when the server went silent.
pub const SERVER_TIMEOUT: &str =
    "Server timeout elapsed without receiving a message from the server.";

/// The error a client result gets when no handler is registered, or none returned a value.
pub const NO_CLIENT_RESULT: &str = "Client didn't provide a result.";

/// An error of the hub client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server completed the invocation (or stream) with this error text.
    #[error("{0}")]
    Hub(String),
    /// The caller cancelled the invocation (CancelInvocation was sent to the server).
    #[error("Invocation canceled.")]
    Canceled,
    /// The connection dropped while the invocation was pending.
    #[error("{CONNECTION_CLOSED}")]
    ConnectionClosed,
    /// A message was to be sent while the connection was not connected.
    #[error("Cannot send data if the connection is not in the 'Connected' State.")]
    NotConnected,
    /// `start` was called on a connection that is not disconnected.
    #[error("Cannot start a HubConnection that is not in the 'Disconnected' state.")]
    NotDisconnected,
    /// `stop` was called while `start` was still connecting.
    #[error("The connection was stopped before the hub handshake could complete.")]
    Stopped,
    /// The negotiate request failed or was refused.
    #[error("Failed to complete negotiation with the server: {0}")]
    Negotiate(String),
    /// The server answered the handshake with an error, or not at all.
    #[error("Server returned handshake error: {0}")]
    Handshake(String),
    /// The transport failed (connecting, reading or writing).
    #[error("{0}")]
    Transport(String),
    /// Nothing was received from the server within the server timeout.
    #[error("{SERVER_TIMEOUT}")]
    ServerTimeout,
    /// The server closed the connection with a Close message carrying this error.
    #[error("Server returned an error on close: {0}")]
    ServerClosed(String),
    /// The URL cannot be used.
    #[error("Invalid URL '{url}': {reason}")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A malformed message from the server.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// An argument or stream item could not be serialized.
    #[error(transparent)]
    Serialize(#[from] SerializeError),
    /// A result, stream item or handler argument did not deserialize into the wanted type.
    #[error(transparent)]
    Bind(#[from] BindError),
}
