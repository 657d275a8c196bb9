//! The WebSockets transport: one WebSocket carries both directions; JSON travels in text
//! messages, MessagePack in binary ones.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use signalr_protocol::TransferFormat;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::http;
use crate::config::Config;
use crate::error::{ClientError, Message as Text, Operation};

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The smallest WebSocket message size limit, whatever the hub message limit.
const MIN_WEBSOCKET_MESSAGE_LIMIT: usize = 64 * 1024;

/// The WebSocket's writing half.
#[derive(Debug)]
pub(crate) struct WsSender {
    sink: SplitSink<WsStream, Message>,
    format: TransferFormat,
    /// A write that cannot complete this long means the server stopped reading.
    write_timeout: Duration,
}

/// The WebSocket's reading half.
#[derive(Debug)]
pub(crate) struct WsReceiver {
    stream: SplitStream<WsStream>,
}

/// The largest WebSocket message accepted: one may hold several hub messages, each of which
/// the frame reader limits on its own; this bounds what the WebSocket buffers before them.
fn websocket_limit(config: &Config) -> Option<usize> {
    config
        .max_receive_message_size
        .map(|m| m.saturating_mul(4).max(MIN_WEBSOCKET_MESSAGE_LIMIT))
}

/// Opens the WebSocket at `url` (an `http`/`https` hub URL with its `id`), within the
/// handshake timeout.
pub(crate) async fn connect(
    url: &Url,
    config: &Config,
    token: Option<&str>,
) -> Result<(WsSender, WsReceiver), ClientError> {
    let mut url = http::with_scheme(url, true);
    let header_token = match token {
        Some(t) if config.access_token_in_query => {
            url = http::with_access_token(&url, t);
            None
        }
        other => other,
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| ClientError::InvalidUrl {
            url: url.to_string(),
            source: Arc::new(e),
        })?;
    request
        .headers_mut()
        .extend(http::headers(config, header_token)?);
    let tls = http::tls_config(config)?;
    let connector = tokio_tungstenite::Connector::Rustls(Arc::new(tls));
    let limit = websocket_limit(config);
    let ws_config = WebSocketConfig::default()
        .max_message_size(limit)
        .max_frame_size(limit);
    let open = tokio_tungstenite::connect_async_tls_with_config(
        request,
        Some(ws_config),
        false,
        Some(connector),
    );
    let (ws, _) = tokio::time::timeout(config.handshake_timeout, open)
        .await
        .map_err(|_| ClientError::Timeout {
            operation: Operation::WebSocket,
            after: config.handshake_timeout,
        })?
        .map_err(|e| ClientError::request(Operation::WebSocket, e))?;
    let (sink, stream) = ws.split();
    Ok((
        WsSender {
            sink,
            format: config.protocol.transfer_format(),
            write_timeout: config.server_timeout.max(config.handshake_timeout),
        },
        WsReceiver { stream },
    ))
}

impl WsSender {
    /// Writes one or more frames as one message: text for JSON, binary for MessagePack.
    pub(crate) async fn send(&mut self, data: Bytes) -> Result<(), ClientError> {
        let msg = match self.format {
            TransferFormat::Text => Message::Text(Utf8Bytes::try_from(data).map_err(|_| {
                ClientError::request(
                    Operation::WebSocket,
                    Text("a text frame is not UTF-8".to_owned()),
                )
            })?),
            TransferFormat::Binary => Message::Binary(data),
        };
        tokio::time::timeout(self.write_timeout, self.sink.send(msg))
            .await
            .map_err(|_| ClientError::Timeout {
                operation: Operation::WebSocket,
                after: self.write_timeout,
            })?
            .map_err(|e| ClientError::request(Operation::WebSocket, e))
    }
}

impl WsReceiver {
    /// The next message's bytes; `None` when the WebSocket closed normally.
    pub(crate) async fn recv(&mut self) -> Option<Result<Bytes, ClientError>> {
        loop {
            return match self.stream.next().await? {
                Ok(Message::Text(t)) => Some(Ok(Bytes::from(t))),
                Ok(Message::Binary(b)) => Some(Ok(b)),
                Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
                Ok(Message::Close(frame)) => match frame {
                    Some(f) if f.code != CloseCode::Normal => {
                        Some(Err(ClientError::WebSocketClosed {
                            code: u16::from(f.code),
                            reason: if f.reason.is_empty() {
                                "no reason given".to_owned()
                            } else {
                                f.reason.to_string()
                            },
                        }))
                    }
                    _ => None,
                },
                Err(e) => Some(Err(ClientError::request(Operation::WebSocket, e))),
            };
        }
    }
}

/// Closes the WebSocket, waiting briefly for the server's close frame.
pub(crate) async fn close(mut sender: WsSender, mut receiver: WsReceiver) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = sender.sink.close().await;
        while let Some(Ok(_)) = receiver.stream.next().await {}
    })
    .await;
}
