//! Configuring a hub connection.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt};
use signalr_protocol::Protocol;

use crate::connection::HubConnection;
use crate::error::ClientError;
use crate::reconnect::{DefaultRetryPolicy, RetryPolicy};

/// Produces the access token sent as `Authorization: Bearer` on negotiate and the WebSocket.
pub(crate) type TokenFactory = Arc<dyn Fn() -> BoxFuture<'static, String> + Send + Sync>;

/// Everything a connection was built with.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) url: String,
    pub(crate) protocol: Protocol,
    pub(crate) skip_negotiation: bool,
    pub(crate) access_token: Option<TokenFactory>,
    pub(crate) headers: Vec<(String, String)>,
    /// Certificates trusted besides the public roots (`https`/`wss`).
    pub(crate) root_certificates: Vec<rustls::pki_types::CertificateDer<'static>>,
    pub(crate) keep_alive_interval: Duration,
    pub(crate) server_timeout: Duration,
    pub(crate) handshake_timeout: Duration,
    pub(crate) retry_policy: Option<Arc<dyn RetryPolicy>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .field("skip_negotiation", &self.skip_negotiation)
            .field("access_token", &self.access_token.is_some())
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("server_timeout", &self.server_timeout)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("retry_policy", &self.retry_policy)
            .finish()
    }
}

/// Builds a [`HubConnection`]; the defaults are the official clients'.
///
/// ```no_run
/// use std::time::Duration;
/// use signalr_client::{HubConnectionBuilder, Protocol};
///
/// let connection = HubConnectionBuilder::new("http://localhost:5000/hubs/chat")
///     .protocol(Protocol::MessagePack)
///     .access_token_factory(|| async { "token".to_owned() })
///     .keep_alive_interval(Duration::from_secs(15))
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
            config: Config {
                url: url.into(),
                protocol: Protocol::Json,
                skip_negotiation: false,
                access_token: None,
                headers: Vec::new(),
                root_certificates: Vec::new(),
                keep_alive_interval: Duration::from_secs(15),
                server_timeout: Duration::from_secs(30),
                handshake_timeout: Duration::from_secs(15),
                retry_policy: None,
            },
        }
    }

    /// The hub protocol (JSON by default).
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.config.protocol = protocol;
        self
    }

    /// Connect the WebSocket directly, without the negotiate request (off by default).
    pub fn skip_negotiation(mut self, skip: bool) -> Self {
        self.config.skip_negotiation = skip;
        self
    }

    /// Called before each connection attempt; its token is sent as `Authorization: Bearer`
    /// on negotiate and on the WebSocket request. A negotiate redirect's `accessToken`
    /// replaces it for the rest of that attempt.
    pub fn access_token_factory<F, Fut>(mut self, factory: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = String> + Send + 'static,
    {
        self.config.access_token = Some(Arc::new(move || factory().boxed()));
        self
    }

    /// Adds a header to the negotiate and WebSocket requests.
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
            .map_err(|e| ClientError::Transport(format!("invalid root certificate: {e}")))?;
        if certificates.is_empty() {
            return Err(ClientError::Transport(
                "invalid root certificate: no certificate in the PEM text".to_owned(),
            ));
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

    /// How long connecting the WebSocket, and then the handshake, may each take (15 s).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.config.handshake_timeout = timeout;
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
