//! Configuring a hub connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::FutureExt;
use signalr_protocol::Protocol;

use crate::config::{Config, DEFAULT_STATEFUL_RECONNECT_BUFFER_SIZE, Transports};
use crate::connection::HubConnection;
use crate::error::ClientError;
use crate::reconnect::{DefaultRetryPolicy, RetryPolicy};

/// Builds a [`HubConnection`]; the defaults are the official clients'.
///
/// ```no_run
/// use std::time::Duration;
/// use signalr_hub_client::{HubConnectionBuilder, Protocol, Transports};
///
/// let connection = HubConnectionBuilder::new("http://localhost:5000/hubs/chat")
///     .protocol(Protocol::MessagePack)
///     .transports(Transports::WEB_SOCKETS | Transports::LONG_POLLING)
///     .access_token_factory(|| async { "token".to_owned() })
///     .keep_alive_interval(Duration::from_secs(15))
///     .with_stateful_reconnect()
///     .with_automatic_reconnect()
///     .build();
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct HubConnectionBuilder {
    config: Config,
}

impl HubConnectionBuilder {
    /// A connection to the hub at `url` (`http://host/hubs/name`; `https`, `ws` and `wss` too).
    pub fn new(url: impl Into<String>) -> Self {
        HubConnectionBuilder {
            config: Config::new(url.into()),
        }
    }

    /// The hub protocol (JSON by default).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// The transports the connection may use (all by default). The first one the server
    /// offers (in its order: WebSockets, Server-Sent Events, long polling) that is allowed,
    /// can carry the protocol (Server-Sent Events carry text only) and connects is used.
    pub fn transports(mut self, transports: Transports) -> Self {
        self.config.transports = transports;
        self
    }

    /// Connect the WebSocket directly, without the negotiate request (off by default).
    /// As the official clients, this needs [`transports`](Self::transports) to be
    /// [`Transports::WEB_SOCKETS`] alone: `start` fails otherwise.
    pub fn skip_negotiation(mut self, skip: bool) -> Self {
        self.config.skip_negotiation = skip;
        self
    }

    /// Called before each connection attempt; its token is sent as `Authorization: Bearer`
    /// on negotiate and on every request of the transport. A negotiate redirect's
    /// `accessToken` replaces it for the rest of that attempt.
    pub fn access_token_factory<F, Fut>(mut self, factory: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = String> + Send + 'static,
    {
        self.config.access_token = Some(Arc::new(move || factory().boxed()));
        self
    }

    /// Send the access token of the WebSocket and Server-Sent Events requests as the
    /// `access_token` query parameter, as browsers do (they cannot set headers there),
    /// instead of the `Authorization` header (off by default). Negotiate, sends and polls
    /// always use the header.
    pub fn access_token_in_query(mut self, in_query: bool) -> Self {
        self.config.access_token_in_query = in_query;
        self
    }

    /// Adds a header to every request (negotiate, the WebSocket, the event stream, polls
    /// and sends).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.headers.push((name.into(), value.into()));
        self
    }

    /// Trusts the certificates of a PEM file (a private CA, or a server's self-signed
    /// certificate) for `https` and `wss`, besides the public roots (Mozilla's, built in).
    ///
    /// Fails when `pem` holds no certificate or one that cannot be read.
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, ClientError> {
        use rustls::pki_types::pem::PemObject;
        let certificates = rustls::pki_types::CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ClientError::InvalidCertificate(Arc::new(e)))?;
        if certificates.is_empty() {
            return Err(ClientError::InvalidCertificate(Arc::new(
                crate::error::Message("no certificate in the PEM text".to_owned()),
            )));
        }
        self.config.root_certificates.extend(certificates);
        Ok(self)
    }

    /// Send a Ping when nothing was sent for this long (15 s).
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.config.keep_alive_interval = interval;
        self
    }

    /// Close the connection when nothing was received from the server for this long (30 s).
    pub fn server_timeout(mut self, timeout: Duration) -> Self {
        self.config.server_timeout = timeout;
        self
    }

    /// How long connecting the WebSocket, and then the handshake, may each take (15 s, as
    /// the .NET client's `HandshakeTimeout`).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.config.handshake_timeout = timeout;
        self
    }

    /// How long negotiate, each send of the HTTP transports, and opening the Server-Sent
    /// Events stream may take (100 s, as the official clients).
    pub fn http_request_timeout(mut self, timeout: Duration) -> Self {
        self.config.http_request_timeout = timeout;
        self
    }

    /// How long one long poll may take (100 s: a server answers an idle poll after 90 s).
    /// A poll that takes longer ends the connection.
    pub fn long_poll_timeout(mut self, timeout: Duration) -> Self {
        self.config.long_poll_timeout = timeout;
        self
    }

    /// The largest message accepted from the server, framing included (1 MiB by default,
    /// the official .NET client's buffer size; `None` for no limit). A larger message ends
    /// the connection with [`ClientError::Protocol`] before more than the limit is buffered.
    pub fn max_receive_message_size(mut self, max: Option<usize>) -> Self {
        self.config.max_receive_message_size = max;
        self
    }

    /// Ask the server for stateful reconnect (`useStatefulReconnect=true`): when the
    /// server allows it and the transport is WebSockets, a dropped WebSocket is replaced by
    /// a new one on the same connection, and the messages the other side has not
    /// acknowledged are sent again; calls, streams and handlers carry on, and no
    /// reconnecting event is raised. Up to 100 000 bytes of unacknowledged messages are kept
    /// (sending waits beyond that).
    pub fn with_stateful_reconnect(self) -> Self {
        self.stateful_reconnect_buffer_size(DEFAULT_STATEFUL_RECONNECT_BUFFER_SIZE)
    }

    /// [`with_stateful_reconnect`](Self::with_stateful_reconnect), keeping up to `bytes` of
    /// unacknowledged messages.
    pub fn stateful_reconnect_buffer_size(mut self, bytes: usize) -> Self {
        self.config.stateful_reconnect = Some(bytes);
        self
    }

    /// Reconnect automatically when the connection is lost, after 0, 2, 10 and 30 seconds,
    /// then give up.
    pub fn with_automatic_reconnect(self) -> Self {
        self.with_retry_policy(DefaultRetryPolicy::new())
    }

    /// Reconnect automatically, one attempt after each of `delays`, then give up.
    pub fn with_automatic_reconnect_delays(self, delays: Vec<Duration>) -> Self {
        self.with_retry_policy(DefaultRetryPolicy::with_delays(delays))
    }

    /// Reconnect automatically as `policy` decides.
    pub fn with_retry_policy(mut self, policy: impl RetryPolicy + 'static) -> Self {
        self.config.retry_policy = Some(Arc::new(policy));
        self
    }

    /// The connection, not yet started.
    pub fn build(self) -> HubConnection {
        HubConnection::new(self.config)
    }
}
