//! The transports and how one is chosen: negotiate (with its redirects), the fallback over
//! the transports the server offers in its order (WebSockets, Server-Sent Events, long
//! polling, as the client allows them), the hub handshake, and reopening the WebSocket of a
//! stateful-reconnect connection.
//!
//! A connected transport is two halves that move bytes: a [`Sender`] that writes whole
//! frames and a [`Receiver`] that yields what arrives, in any chunking. What the bytes mean
//! is the session driver's business.

pub(crate) mod http;
mod long_polling;
mod negotiate;
pub(crate) mod sse;
pub(crate) mod websocket;

use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;
use signalr_protocol::TransferFormat;
use signalr_protocol::handshake::{self, HandshakeRequest};
use signalr_protocol::negotiate::{TransferFormatName, TransportType};

use crate::config::{Config, Transports};
use crate::error::{ClientError, Operation, TransportFailure};
use http::{Incoming, Poster};
use websocket::{WsReceiver, WsSender};

/// How long closing a long-polling connection (its `DELETE`) may take.
const DELETE_TIMEOUT: Duration = Duration::from_secs(5);

/// A transport's writing half.
#[derive(Debug)]
pub(crate) enum Sender {
    /// The WebSocket's sink.
    WebSocket(WsSender),
    /// HTTP POSTs (Server-Sent Events, long polling).
    Http(Poster),
}

impl Sender {
    /// Writes whole frames.
    pub(crate) async fn send(&mut self, data: Bytes) -> Result<(), ClientError> {
        match self {
            Sender::WebSocket(ws) => ws.send(data).await,
            Sender::Http(poster) => poster.send(data).await,
        }
    }

    /// Whether queued frames are best sent together (one HTTP request for many messages).
    pub(crate) fn batches(&self) -> bool {
        matches!(self, Sender::Http(_))
    }
}

/// A transport's reading half.
#[derive(Debug)]
pub(crate) enum Receiver {
    /// The WebSocket's stream.
    WebSocket(WsReceiver),
    /// What the event stream or the polls deliver.
    Http(Incoming),
}

impl Receiver {
    /// The next bytes; `None` when the transport ended without an error. Cancel-safe.
    pub(crate) async fn recv(&mut self) -> Option<Result<Bytes, ClientError>> {
        match self {
            Receiver::WebSocket(ws) => ws.recv().await,
            Receiver::Http(incoming) => incoming.recv().await,
        }
    }
}

/// Where a stateful-reconnect connection reopens its WebSocket.
#[derive(Debug, Clone)]
pub(crate) struct Reopen {
    /// The hub URL with the connection token as `id`.
    url: Url,
    /// A negotiate redirect's access token; without one the factory is asked again.
    token: Option<String>,
}

/// A connected transport whose handshake succeeded.
#[derive(Debug)]
pub(crate) struct Connected {
    /// Which transport.
    pub(crate) transport: TransportType,
    pub(crate) sender: Sender,
    pub(crate) receiver: Receiver,
    /// The connection id from negotiate (`None` when negotiation was skipped).
    pub(crate) connection_id: Option<String>,
    /// Set when the connection uses stateful reconnect.
    pub(crate) reopen: Option<Reopen>,
}

impl Connected {
    /// Ends the transport: the WebSocket's close handshake, or the end of the event stream,
    /// or the polls' and a `DELETE`.
    pub(crate) async fn close(self) {
        match (self.sender, self.receiver) {
            (Sender::WebSocket(s), Receiver::WebSocket(r)) => websocket::close(s, r).await,
            (Sender::Http(poster), receiver) => {
                drop(receiver);
                if self.transport == TransportType::LongPolling {
                    poster.delete(DELETE_TIMEOUT).await;
                }
            }
            (Sender::WebSocket(_), Receiver::Http(_)) => {}
        }
    }

    /// Drops the transport at once, without a close handshake: for a server that broke
    /// the protocol (whatever it still sends is not read).
    pub(crate) fn abort(self) {
        drop(self);
    }

    /// Whether the transport keeps itself alive (long polling): no Pings, no server timeout.
    pub(crate) fn inherent_keep_alive(&self) -> bool {
        self.transport == TransportType::LongPolling
    }
}

async fn access_token(config: &Config) -> Option<String> {
    match &config.access_token {
        Some(factory) => Some(factory().await),
        None => None,
    }
}

/// Connects `kind` at `url` (the hub URL with its `id`).
async fn start_transport(
    kind: TransportType,
    client: &reqwest::Client,
    url: &Url,
    config: &Config,
    token: Option<&str>,
) -> Result<(Sender, Receiver), ClientError> {
    match kind {
        TransportType::WebSockets => {
            let (s, r) = websocket::connect(url, config, token).await?;
            Ok((Sender::WebSocket(s), Receiver::WebSocket(r)))
        }
        TransportType::ServerSentEvents => {
            let (s, r) = sse::connect(client, url, config, token).await?;
            Ok((Sender::Http(s), Receiver::Http(r)))
        }
        TransportType::LongPolling => {
            let (s, r) = long_polling::connect(client, url, config, token).await?;
            Ok((Sender::Http(s), Receiver::Http(r)))
        }
    }
}

/// Negotiates (unless skipped), connects the first transport that works and completes the
/// handshake; returns the transport and the bytes that followed the handshake response.
pub(crate) async fn connect(
    config: &Config,
    client: &reqwest::Client,
) -> Result<(Connected, Vec<u8>), ClientError> {
    let url = http::parse_url(&config.url)?;
    let token = access_token(config).await;
    let mut connected = if config.skip_negotiation {
        if config.transports != Transports::WEB_SOCKETS {
            return Err(ClientError::SkipNegotiationNeedsWebSockets);
        }
        let (sender, receiver) = start_transport(
            TransportType::WebSockets,
            client,
            &url,
            config,
            token.as_deref(),
        )
        .await?;
        Connected {
            transport: TransportType::WebSockets,
            sender,
            receiver,
            connection_id: None,
            reopen: None,
        }
    } else {
        let negotiated = negotiate::negotiate(client, config, url, token).await?;
        select_transport(config, client, negotiated).await?
    };
    let version = if connected.reopen.is_some() { 2 } else { 1 };
    match handshake(&mut connected, config, version).await {
        Ok(leftover) => Ok((connected, leftover)),
        Err(e) => {
            connected.close().await;
            Err(e)
        }
    }
}

/// Tries the transports negotiate offered, in its order; negotiates again after a transport
/// failed (its connection token may have been used), as the official clients do.
async fn select_transport(
    config: &Config,
    client: &reqwest::Client,
    negotiated: negotiate::Negotiated,
) -> Result<Connected, ClientError> {
    let format = TransferFormatName::from(config.protocol.transfer_format());
    let format_name = match config.protocol.transfer_format() {
        TransferFormat::Text => "Text",
        TransferFormat::Binary => "Binary",
    };
    let negotiate::Negotiated {
        url,
        token,
        token_from_redirect,
        response,
    } = negotiated;
    let mut current = Some(response);
    let offered = current
        .as_ref()
        .and_then(|r| r.available_transports.clone())
        .unwrap_or_default();
    let mut failures = Vec::new();
    for endpoint in offered {
        let transport = endpoint.transport;
        if !config.transports.allows(transport) {
            failures.push(TransportFailure {
                transport,
                error: ClientError::TransportDisabled(transport),
            });
            continue;
        }
        if !endpoint.transfer_formats.contains(&format) {
            failures.push(TransportFailure {
                transport,
                error: ClientError::TransferFormatNotSupported {
                    transport,
                    format: format_name,
                },
            });
            continue;
        }
        let response = match current.take() {
            Some(r) => r,
            None => negotiate::request(client, config, &url, token.as_deref()).await?,
        };
        let connect_url = http::connect_url(&url, response.connection_token.as_deref());
        match start_transport(transport, client, &connect_url, config, token.as_deref()).await {
            Ok((sender, receiver)) => {
                let stateful =
                    response.use_stateful_reconnect && transport == TransportType::WebSockets;
                return Ok(Connected {
                    transport,
                    sender,
                    receiver,
                    connection_id: response.connection_id,
                    reopen: stateful.then(|| Reopen {
                        url: connect_url,
                        // A redirect's token stays; the factory is asked again.
                        token: token.clone().filter(|_| token_from_redirect),
                    }),
                });
            }
            Err(error) => {
                tracing::debug!(?transport, error = %error.report(), "transport failed");
                failures.push(TransportFailure { transport, error });
            }
        }
    }
    if failures.is_empty() {
        Err(ClientError::NoTransport)
    } else {
        Err(ClientError::AllTransportsFailed(failures))
    }
}

/// Sends the handshake request and waits (the handshake timeout at most) for the response;
/// returns the bytes after it.
async fn handshake(
    connected: &mut Connected,
    config: &Config,
    version: i64,
) -> Result<Vec<u8>, ClientError> {
    let mut request = Vec::new();
    handshake::write_request(
        &HandshakeRequest {
            protocol: config.protocol.name().into(),
            version,
        },
        &mut request,
    );
    let exchange = async {
        connected.sender.send(Bytes::from(request)).await?;
        let mut buf = Vec::new();
        loop {
            match connected.receiver.recv().await {
                Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                Some(Err(e)) => return Err(e),
                None => return Err(ClientError::ClosedDuringHandshake),
            }
            match handshake::parse_response(&buf, config.max_receive_message_size) {
                Ok(None) => {}
                Ok(Some((response, used))) => {
                    return match response.error {
                        Some(e) => Err(ClientError::Handshake(e.into_owned())),
                        None => Ok(buf.split_off(used)),
                    };
                }
                Err(e) => return Err(ClientError::HandshakeResponse(e)),
            }
        }
    };
    tokio::time::timeout(config.handshake_timeout, exchange)
        .await
        .map_err(|_| ClientError::Timeout {
            operation: Operation::Handshake,
            after: config.handshake_timeout,
        })?
}

/// Opens a new WebSocket for a stateful-reconnect connection whose previous one dropped
/// (no negotiate, no handshake: the session goes on with Sequence and the resend).
pub(crate) async fn reopen(
    reopen: &Reopen,
    config: &Config,
    connection_id: Option<String>,
) -> Result<Connected, ClientError> {
    let token = match &reopen.token {
        Some(t) => Some(t.clone()),
        None => access_token(config).await,
    };
    let (sender, receiver) = websocket::connect(&reopen.url, config, token.as_deref()).await?;
    Ok(Connected {
        transport: TransportType::WebSockets,
        sender: Sender::WebSocket(sender),
        receiver: Receiver::WebSocket(receiver),
        connection_id,
        reopen: Some(reopen.clone()),
    })
}
