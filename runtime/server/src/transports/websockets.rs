//! WebSockets: text and binary messages both carry frames; an oversize or invalid message
//! ends the connection with a SignalR Close that says so, then a WebSocket close status.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use signalr_protocol::negotiate::TransportType;
use tokio::sync::mpsc;

use crate::connection::{self, Owner};
use crate::context::HubContext;
use crate::frame::{Frame, FrameData};
use crate::options::HubOptions;
use crate::transport::{Transport, TransportError};
use crate::transports::tokens::{Active, Tokens};

/// The largest WebSocket message accepted. A WebSocket message may hold several hub
/// messages; bound it so one message cannot make the server buffer without limit (hub
/// messages inside are limited separately, and a message past either limit gets a Close
/// with an error).
fn max_message(options: &HubOptions) -> usize {
    options
        .maximum_receive_message_size
        .map_or(64 << 20, |m| m.saturating_mul(4).max(64 << 10))
}

/// The upgrade with the server's buffer sizes and message limit.
pub(crate) fn configure(ws: WebSocketUpgrade, options: &HubOptions) -> WebSocketUpgrade {
    let max = max_message(options);
    ws.read_buffer_size(options.websocket_read_buffer_size)
        .write_buffer_size(options.websocket_write_buffer_size)
        .max_message_size(max)
        .max_frame_size(max)
}

/// Why a WebSocket read failed, if the client should be told.
fn read_error(e: axum::Error, max: usize) -> Option<TransportError> {
    let inner = e.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Some(TransportError::TooLarge(max)),
        Some(tungstenite::Error::Utf8(_)) => Some(TransportError::InvalidUtf8),
        _ => None,
    }
}

/// The WebSocket as a connection's transport.
pub(crate) fn transport(socket: WebSocket, options: &HubOptions) -> Transport {
    let max = max_message(options);
    let (sink, stream) = socket.split();
    let incoming = stream
        .scan(false, move |ended, m| {
            if *ended {
                return std::future::ready(None);
            }
            std::future::ready(match m {
                Ok(Message::Text(t)) => Some(Some(Ok(Bytes::from(t)))),
                Ok(Message::Binary(b)) => Some(Some(Ok(b))),
                Ok(Message::Ping(_) | Message::Pong(_)) => Some(None),
                Ok(Message::Close(_)) => None,
                Err(e) => {
                    *ended = true;
                    read_error(e, max).map(|e| Some(Err(e)))
                }
            })
        })
        .filter_map(std::future::ready)
        .boxed();
    let outgoing = sink
        .with(|frame: Frame| {
            std::future::ready(Ok::<_, axum::Error>(match frame.data {
                FrameData::Text(t) => Message::Text(t),
                FrameData::Binary(b) => Message::Binary(b),
                FrameData::WebSocketClose(code, reason) => Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })),
            }))
        })
        .sink_map_err(|_| ());
    Transport {
        kind: TransportType::WebSockets,
        incoming,
        outgoing: Box::pin(outgoing),
        format: None,
        keep_alive: true,
    }
}

/// Accepts a WebSocket for a new connection, registered under `token` (none without
/// negotiation); with `stateful`, later WebSockets of the connection can take over.
pub(crate) fn accept(
    ctx: Arc<HubContext>,
    tokens: Arc<Tokens>,
    ws: WebSocketUpgrade,
    token: Option<String>,
    owner: Owner,
    stateful: bool,
) -> Response {
    let (next_tx, next_rx) = if stateful {
        let (tx, rx) = mpsc::channel(1);
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    if let Some(token) = &token {
        tokens.set_active(
            token,
            Active::WebSocket {
                user: owner.user.clone(),
                next: next_tx,
            },
        );
    }
    let abort = ctx.shutdown.child_token();
    /// Frees the token when the WebSocket ends, or if the upgrade never completes.
    struct Release(Arc<Tokens>, Option<String>);
    impl Drop for Release {
        fn drop(&mut self) {
            if let Some(token) = &self.1 {
                self.0.remove_active(token);
            }
        }
    }
    let release = Release(tokens, token);
    let tracker = ctx.connections.clone();
    configure(ws, &ctx.options).on_upgrade(move |socket| {
        let transport = transport(socket, &ctx.options);
        tracker.track_future(async move {
            let _release = release;
            connection::run(transport, ctx, owner, abort, next_rx).await;
        })
    })
}

/// A new WebSocket for a stateful-reconnect connection whose previous one dropped: it is
/// handed to the running connection, which resends what the client has not acknowledged.
pub(crate) fn reconnect(
    ws: WebSocketUpgrade,
    options: &HubOptions,
    next: mpsc::Sender<Transport>,
) -> Response {
    let options = options.clone();
    configure(ws, &options).on_upgrade(move |socket| async move {
        // If the connection ended meanwhile, the socket is dropped and so closed.
        let _ = next.send(transport(socket, &options)).await;
    })
}
