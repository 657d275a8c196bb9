//! What a connection is built with: the options of [`HubConnectionBuilder`] and their
//! defaults, shared by the lifecycle, the session driver and the transports.
//!
//! [`HubConnectionBuilder`]: crate::HubConnectionBuilder

use std::fmt;
use std::ops::{BitOr, BitOrAssign};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use signalr_protocol::Protocol;
use signalr_protocol::negotiate::TransportType;

use crate::reconnect::RetryPolicy;

/// The largest message received by default: 1 MiB, the size of the official .NET client's
/// application buffer. ASP.NET Core's *server* accepts 32 KiB from a client; a client
/// receives what the server chose to send, results and stream items included, so it
/// allows more.
pub const DEFAULT_MAX_RECEIVE_MESSAGE_SIZE: usize = 1024 * 1024;

/// The default timeout of negotiate and of each send request: 100 s, as the official
/// clients' HTTP timeout.
pub const DEFAULT_HTTP_REQUEST_TIMEOUT: Duration = Duration::from_secs(100);

/// The default timeout of one long poll: 100 s, as the official JavaScript client (a server
/// answers an idle poll after 90 s).
pub const DEFAULT_LONG_POLL_TIMEOUT: Duration = Duration::from_secs(100);

/// The default bytes of sent but unacknowledged messages kept for stateful reconnect:
/// 100 000, as the official clients.
pub const DEFAULT_STATEFUL_RECONNECT_BUFFER_SIZE: usize = 100_000;

/// The transports a connection may use, as the official clients' `HttpTransportType`
/// flags: combine them with `|`.
///
/// ```
/// use signalr_hub_client::Transports;
///
/// let http_only = Transports::SERVER_SENT_EVENTS | Transports::LONG_POLLING;
/// assert!(http_only.contains(Transports::LONG_POLLING));
/// assert!(!http_only.contains(Transports::WEB_SOCKETS));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Transports(u8);

impl Transports {
    /// WebSockets.
    pub const WEB_SOCKETS: Transports = Transports(1);
    /// Server-Sent Events (server to client) and HTTP POST (client to server); text only.
    pub const SERVER_SENT_EVENTS: Transports = Transports(2);
    /// Long polling (server to client) and HTTP POST (client to server).
    pub const LONG_POLLING: Transports = Transports(4);
    /// Every transport (the default).
    pub const ALL: Transports = Transports(7);

    /// Whether every transport of `other` is in `self`.
    pub fn contains(self, other: Transports) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Whether `transport` is in the set.
    pub fn allows(self, transport: TransportType) -> bool {
        self.contains(Transports::from(transport))
    }
}

impl Default for Transports {
    fn default() -> Self {
        Transports::ALL
    }
}

impl From<TransportType> for Transports {
    fn from(t: TransportType) -> Self {
        match t {
            TransportType::WebSockets => Transports::WEB_SOCKETS,
            TransportType::ServerSentEvents => Transports::SERVER_SENT_EVENTS,
            TransportType::LongPolling => Transports::LONG_POLLING,
        }
    }
}

impl BitOr for Transports {
    type Output = Transports;

    fn bitor(self, rhs: Transports) -> Transports {
        Transports(self.0 | rhs.0)
    }
}

impl BitOrAssign for Transports {
    fn bitor_assign(&mut self, rhs: Transports) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Transports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = [
            (Transports::WEB_SOCKETS, "WebSockets"),
            (Transports::SERVER_SENT_EVENTS, "ServerSentEvents"),
            (Transports::LONG_POLLING, "LongPolling"),
        ]
        .into_iter()
        .filter(|(t, _)| self.contains(*t))
        .map(|(_, n)| n)
        .collect();
        write!(f, "Transports({})", names.join(" | "))
    }
}

/// Produces the access token sent as `Authorization: Bearer` on every request.
pub(crate) type TokenFactory = Arc<dyn Fn() -> BoxFuture<'static, String> + Send + Sync>;

/// Everything a connection was built with.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) url: String,
    pub(crate) protocol: Protocol,
    pub(crate) transports: Transports,
    pub(crate) skip_negotiation: bool,
    pub(crate) access_token: Option<TokenFactory>,
    /// Send the access token of WebSocket and Server-Sent Events requests as the
    /// `access_token` query parameter instead of the header.
    pub(crate) access_token_in_query: bool,
    pub(crate) headers: Vec<(String, String)>,
    /// Certificates trusted besides the public roots (`https`/`wss`).
    pub(crate) root_certificates: Vec<rustls::pki_types::CertificateDer<'static>>,
    pub(crate) keep_alive_interval: Duration,
    pub(crate) server_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) http_request_timeout: Duration,
    pub(crate) long_poll_timeout: Duration,
    pub(crate) max_receive_message_size: Option<usize>,
    /// The stateful reconnect buffer size, when stateful reconnect is on.
    pub(crate) stateful_reconnect: Option<usize>,
    pub(crate) retry_policy: Option<Arc<dyn RetryPolicy>>,
}

impl Config {
    /// The defaults of the official clients, for `url`.
    pub(crate) fn new(url: String) -> Self {
        Config {
            url,
            protocol: Protocol::Json,
            transports: Transports::ALL,
            skip_negotiation: false,
            access_token: None,
            access_token_in_query: false,
            headers: Vec::new(),
            root_certificates: Vec::new(),
            keep_alive_interval: Duration::from_secs(15),
            server_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(15),
            http_request_timeout: DEFAULT_HTTP_REQUEST_TIMEOUT,
            long_poll_timeout: DEFAULT_LONG_POLL_TIMEOUT,
            max_receive_message_size: Some(DEFAULT_MAX_RECEIVE_MESSAGE_SIZE),
            stateful_reconnect: None,
            retry_policy: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .field("transports", &self.transports)
            .field("skip_negotiation", &self.skip_negotiation)
            .field("access_token", &self.access_token.is_some())
            .field("access_token_in_query", &self.access_token_in_query)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("server_timeout", &self.server_timeout)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("http_request_timeout", &self.http_request_timeout)
            .field("long_poll_timeout", &self.long_poll_timeout)
            .field("max_receive_message_size", &self.max_receive_message_size)
            .field("stateful_reconnect", &self.stateful_reconnect)
            .field("retry_policy", &self.retry_policy)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_sets() {
        let all =
            Transports::WEB_SOCKETS | Transports::SERVER_SENT_EVENTS | Transports::LONG_POLLING;
        assert_eq!(all, Transports::ALL);
        assert!(all.allows(TransportType::ServerSentEvents));
        let mut some = Transports::LONG_POLLING;
        assert!(!some.allows(TransportType::WebSockets));
        some |= Transports::WEB_SOCKETS;
        assert!(some.allows(TransportType::WebSockets));
        assert!(!Transports(0).contains(Transports(0)));
        assert_eq!(format!("{some:?}"), "Transports(WebSockets | LongPolling)");
    }
}
