//! What can go wrong on the client side, with the official clients' texts where they have one.
//!
//! Errors that come from below (the HTTP client, the WebSocket, TLS, a malformed message)
//! keep that error as their [`source`](std::error::Error::source); their own text says what
//! failed, and the source says why.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use signalr_protocol::negotiate::{NegotiateError, TransportType};
use signalr_protocol::{BindError, ProtocolError, SerializeError};

/// The text of the error that fails every pending invocation when the connection drops.
pub const CONNECTION_CLOSED: &str =
    "Invocation canceled due to the underlying connection being closed.";

/// The text of the error the connection closes with when the server went silent.
pub const SERVER_TIMEOUT: &str =
    "Server timeout elapsed without receiving a message from the server.";

/// The error a client result gets when no handler is registered, or none returned a value.
pub const NO_CLIENT_RESULT: &str = "Client didn't provide a result.";

/// An underlying error kept as the source of a [`ClientError`] (an I/O, HTTP, WebSocket or
/// TLS error); shared, so that the client error stays cheap to clone.
pub type SourceError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A step of connecting or of a running connection, named by the errors of that step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// The negotiate request.
    Negotiate,
    /// Opening the WebSocket, or reading and writing it.
    WebSocket,
    /// The Server-Sent Events request and its event stream.
    EventStream,
    /// A long poll.
    Poll,
    /// An HTTP POST carrying messages to the server (Server-Sent Events, long polling).
    Send,
    /// The hub handshake.
    Handshake,
    /// A classic connection's `/start` request.
    Start,
    /// A classic transport's init message.
    Initialize,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Negotiate => "negotiate",
            Operation::WebSocket => "the WebSocket",
            Operation::EventStream => "the Server-Sent Events request",
            Operation::Poll => "a long poll",
            Operation::Send => "sending",
            Operation::Handshake => "the handshake",
            Operation::Start => "the start request",
            Operation::Initialize => "the init message",
        })
    }
}

/// A transport that could not be used, in [`ClientError::AllTransportsFailed`].
#[derive(Debug, Clone)]
pub struct TransportFailure {
    /// The transport.
    pub transport: TransportType,
    /// Why it could not be used.
    pub error: ClientError,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} failed: {}", self.transport, self.error)
    }
}

fn failures(list: &[TransportFailure]) -> String {
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The operation's name starting with a capital letter.
fn capitalized(operation: Operation) -> String {
    let text = operation.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn request_failed(operation: Operation) -> String {
    match operation {
        Operation::Negotiate => "Failed to complete negotiation with the server.".to_owned(),
        other => format!("{} failed.", capitalized(other)),
    }
}

fn unexpected_status(operation: Operation, status: u16) -> String {
    match operation {
        Operation::Negotiate => {
            format!("Unexpected status code returned from negotiate '{status}'")
        }
        other => format!("Unexpected status code returned from {other} '{status}'"),
    }
}

/// An error of the hub client.
///
/// Clone it freely: underlying errors are shared ([`SourceError`]).
#[derive(Debug, Clone, thiserror::Error)]
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
    /// An HTTP request or the WebSocket failed: it could not be made (refused, TLS, DNS),
    /// or broke off midway. The source says why.
    #[error("{}", request_failed(*operation))]
    Request {
        /// What failed.
        operation: Operation,
        /// Why.
        #[source]
        source: SourceError,
    },
    /// An HTTP request was answered with an unexpected status code.
    #[error("{}", unexpected_status(*operation, *status))]
    Status {
        /// The request.
        operation: Operation,
        /// Its status code.
        status: u16,
    },
    /// A step did not complete within its timeout.
    #[error("{} timed out after {after:?}.", capitalized(*operation))]
    Timeout {
        /// The step.
        operation: Operation,
        /// The timeout.
        after: Duration,
    },
    /// The negotiate response cannot be used: it is not one, the server refused the
    /// connection (its text), or the server is a classic ASP.NET SignalR server.
    #[error(transparent)]
    NegotiateResponse(#[from] NegotiateError),
    /// Negotiate redirected more than 100 times.
    #[error("Negotiate redirection limit exceeded.")]
    TooManyRedirects,
    /// The server turned stateful reconnect on although the client did not ask for it.
    #[error("Client didn't negotiate Stateful Reconnect but the server did.")]
    UnexpectedStatefulReconnect,
    /// Negotiation was skipped with transports other than WebSockets allowed.
    #[error("Negotiation can only be skipped when using the WebSocket transport directly.")]
    SkipNegotiationNeedsWebSockets,
    /// Negotiate offered no transport at all.
    #[error("None of the transports supported by the client are supported by the server.")]
    NoTransport,
    /// No transport the server offered could be used; each one's reason, in the server's
    /// order.
    #[error(
        "Unable to connect to the server with any of the available transports. {}",
        failures(.0)
    )]
    AllTransportsFailed(Vec<TransportFailure>),
    /// The transport cannot carry the hub protocol's transfer format.
    #[error("'{transport:?}' does not support {format}.")]
    TransferFormatNotSupported {
        /// The transport.
        transport: TransportType,
        /// `Binary` or `Text`.
        format: &'static str,
    },
    /// The transport was not in the transports the client allows.
    #[error("'{0:?}' is disabled by the client.")]
    TransportDisabled(TransportType),
    /// The server answered the handshake with this error.
    #[error("Server returned handshake error: {0}")]
    Handshake(String),
    /// The server's handshake response cannot be read.
    #[error("The server's handshake response cannot be read.")]
    HandshakeResponse(#[source] ProtocolError),
    /// The server closed the connection before answering the handshake.
    #[error("The server closed the connection before the handshake completed.")]
    ClosedDuringHandshake,
    /// The server closed the WebSocket with a status other than normal closure.
    #[error("WebSocket closed with status code: {code} ({reason}).")]
    WebSocketClosed {
        /// The close status code.
        code: u16,
        /// The close reason (`no reason given` when empty).
        reason: String,
    },
    /// The transport ended without a Close message: the WebSocket closed, the event stream
    /// ended, or a poll said the connection is gone.
    #[error("The server closed the connection.")]
    TransportClosed,
    /// Nothing was received from the server within the server timeout.
    #[error("{SERVER_TIMEOUT}")]
    ServerTimeout,
    /// The server closed the connection with a Close message carrying this error.
    #[error("Server returned an error on close: {0}")]
    ServerClosed(String),
    /// After a stateful reconnect the server announced messages the client never received.
    #[error("Sequence ID greater than amount of messages we've received.")]
    SequenceAhead,
    /// The URL cannot be used.
    #[error("Invalid URL '{url}'.")]
    InvalidUrl {
        /// The URL.
        url: String,
        /// Why it cannot be used.
        #[source]
        source: SourceError,
    },
    /// A configured header name or value, or the access token, cannot be sent.
    #[error("Invalid header '{name}'.")]
    InvalidHeader {
        /// The header.
        name: String,
        /// Why it cannot be sent.
        #[source]
        source: SourceError,
    },
    /// A root certificate cannot be read or used.
    #[error("Invalid root certificate.")]
    InvalidCertificate(#[source] SourceError),
    /// The HTTP client could not be created.
    #[error("The HTTP client cannot be created.")]
    HttpClient(#[source] SourceError),
    /// A malformed or oversized message from the server.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// An argument or stream item could not be serialized.
    #[error(transparent)]
    Serialize(#[from] SerializeError),
    /// A result, stream item or handler argument did not deserialize into the wanted type.
    #[error(transparent)]
    Bind(#[from] BindError),
    /// The call needs something the connection's dialect cannot express (an upload stream
    /// on a classic ASP.NET SignalR connection, say).
    #[error("{0}")]
    NotSupported(&'static str),
    /// A classic server speaks a protocol version older than the client supports.
    #[error(
        "You are using a version of the client that isn't compatible with the server. Client version {client}, server version {server}."
    )]
    IncompatibleServer {
        /// The client's protocol version.
        client: String,
        /// The server's.
        server: String,
    },
    /// A classic server answered `/start` with something other than `started`.
    #[error("Invalid start response: '{0}'. Stopping the connection.")]
    InvalidStartResponse(String),
    /// A classic connection's transport dropped and could not be reconnected within the
    /// server's disconnect timeout.
    #[error("Couldn't reconnect within the configured timeout of {} ms, disconnecting.", .0.as_millis())]
    ReconnectTimeout(Duration),
    /// A SignalARRR server failed the call with its structured error (code, exception type,
    /// message); the text is the message.
    #[error("{0}")]
    Remote(Box<crate::remote_error::RemoteError>),
}

/// An error with a plain message, for sources that are not errors of another crate.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Message(pub(crate) String);

impl ClientError {
    /// A [`ClientError::Request`] failure of `operation` because of `source`.
    pub(crate) fn request(
        operation: Operation,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        ClientError::Request {
            operation,
            source: Arc::new(source),
        }
    }

    /// The text of this error followed by the texts of its sources, `: `-separated.
    ///
    /// ```
    /// use signalr_hub_client::ClientError;
    ///
    /// let e = ClientError::Handshake("nope".into());
    /// assert_eq!(e.report(), "Server returned handshake error: nope");
    /// ```
    pub fn report(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            let more = s.to_string();
            if !text.contains(&more) {
                text.push_str(": ");
                text.push_str(&more);
            }
            source = s.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_sources() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = ClientError::request(Operation::Negotiate, io);
        assert_eq!(
            e.to_string(),
            "Failed to complete negotiation with the server."
        );
        assert_eq!(
            e.report(),
            "Failed to complete negotiation with the server.: refused"
        );
        assert!(std::error::Error::source(&e).is_some());
        let e = ClientError::request(Operation::Poll, Message("x".into()));
        assert_eq!(e.to_string(), "A long poll failed.");
        assert_eq!(
            ClientError::Status {
                operation: Operation::Negotiate,
                status: 404
            }
            .to_string(),
            "Unexpected status code returned from negotiate '404'"
        );
        assert_eq!(
            ClientError::Timeout {
                operation: Operation::Handshake,
                after: Duration::from_millis(300)
            }
            .to_string(),
            "The handshake timed out after 300ms."
        );
        let all = ClientError::AllTransportsFailed(vec![
            TransportFailure {
                transport: TransportType::WebSockets,
                error: ClientError::TransportDisabled(TransportType::WebSockets),
            },
            TransportFailure {
                transport: TransportType::ServerSentEvents,
                error: ClientError::TransferFormatNotSupported {
                    transport: TransportType::ServerSentEvents,
                    format: "Binary",
                },
            },
        ]);
        assert_eq!(
            all.to_string(),
            "Unable to connect to the server with any of the available transports. \
             WebSockets failed: 'WebSockets' is disabled by the client. \
             ServerSentEvents failed: 'ServerSentEvents' does not support Binary."
        );
    }
}
