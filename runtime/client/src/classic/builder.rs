//! Configuring a classic connection.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Transports};
use crate::error::ClientError;

use super::ClassicHubConnection;

/// The client's own allowance for a transport's init message, added to the server's
/// `TransportConnectTimeout` (as the classic JavaScript client's 5 s).
pub const DEFAULT_TRANSPORT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything a classic connection was built with.
#[derive(Debug, Clone)]
pub(crate) struct ClassicConfig {
    /// The shared HTTP and WebSocket settings (URL, headers, certificates, timeouts,
    /// transports, receive limit).
    pub(crate) base: Config,
    /// The hubs subscribed to (`connectionData`); the first is the default.
    pub(crate) hubs: Vec<String>,
    pub(crate) transport_connect_timeout: Duration,
}

/// Builds a [`ClassicHubConnection`] to a classic ASP.NET SignalR 2.x endpoint.
///
/// ```no_run
/// use signalr_hub_client::Transports;
/// use signalr_hub_client::classic::ClassicHubConnectionBuilder;
///
/// let connection = ClassicHubConnectionBuilder::new("http://localhost:8080/signalr", "chatHub")
///     .hub("presenceHub")
///     .transports(Transports::SERVER_SENT_EVENTS | Transports::LONG_POLLING)
///     .build();
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ClassicHubConnectionBuilder {
    config: ClassicConfig,
}

impl ClassicHubConnectionBuilder {
    /// A connection to the endpoint at `url` (`http://host/signalr`; `https` too), calling
    /// `hub` (its name, matched case-insensitively by the server).
    pub fn new(url: impl Into<String>, hub: impl Into<String>) -> Self {
        ClassicHubConnectionBuilder {
            config: ClassicConfig {
                base: Config::new(url.into()),
                hubs: vec![hub.into()],
                transport_connect_timeout: DEFAULT_TRANSPORT_CONNECT_TIMEOUT,
            },
        }
    }

    /// Subscribes to another hub of the endpoint too (reach it with
    /// [`ClassicHubConnection::hub`]). The server calls a client only through the hubs it
    /// subscribed to.
    pub fn hub(mut self, hub: impl Into<String>) -> Self {
        let hub = hub.into();
        if !self
            .config
            .hubs
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&hub))
        {
            self.config.hubs.push(hub);
        }
        self
    }

    /// The transports the connection may use (all by default), tried in the order
    /// WebSockets (when the server allows them), Server-Sent Events, long polling.
    pub fn transports(mut self, transports: Transports) -> Self {
        self.config.base.transports = transports;
        self
    }

    /// Adds a header to every request.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.base.headers.push((name.into(), value.into()));
        self
    }

    /// Trusts the certificates of a PEM file for `https` and `wss`, besides the public
    /// roots. Fails when `pem` holds no certificate or one that cannot be read.
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
        self.config.base.root_certificates.extend(certificates);
        Ok(self)
    }

    /// How long negotiate, `/start`, each `/send` and opening a WebSocket or event stream
    /// may take (100 s).
    pub fn http_request_timeout(mut self, timeout: Duration) -> Self {
        self.config.base.http_request_timeout = timeout;
        self.config.base.handshake_timeout = timeout.min(self.config.base.handshake_timeout);
        self
    }

    /// The client's allowance for a transport's init message, on top of the server's (5 s);
    /// past it the next transport is tried.
    pub fn transport_connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.transport_connect_timeout = timeout;
        self
    }

    /// The largest message accepted from the server (1 MiB by default; `None` for no
    /// limit).
    pub fn max_receive_message_size(mut self, max: Option<usize>) -> Self {
        self.config.base.max_receive_message_size = max;
        self
    }

    /// The connection, not yet started.
    pub fn build(self) -> ClassicHubConnection {
        ClassicHubConnection::new(self.config)
    }
}
