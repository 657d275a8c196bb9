//! WebSockets: the socket carries the init message, the persistent responses and keep-alives
//! (`{}`) to the client, and the client's hub calls to the server, each answered with its
//! response as a message of its own. A message past the endpoint's limit closes the socket
//! with 1009; the connection itself lives on until its disconnect timeout, for a reconnect.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::{KEEP_ALIVE, STREAMING_BATCH, next_response};
use crate::dialects::classic::connection::{ClassicConnection, Receiving};
use crate::dialects::classic::endpoint::Endpoint;
use crate::dialects::classic::invoke::{Outcome, invoke};
use signalr_protocol::classic::{HubResponse, ResponseError};

/// Upgrades to a WebSocket that starts delivering at `from` (with the init message on a
/// connect).
pub(in crate::dialects::classic) fn respond(
    endpoint: Arc<Endpoint>,
    conn: Arc<ClassicConnection>,
    receiving: Receiving,
    upgrade: WebSocketUpgrade,
    from: u64,
    init: bool,
) -> Response {
    let max = endpoint.options.max_incoming_message_size;
    upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| run(endpoint, conn, receiving, socket, from, init))
}

fn text(bytes: Vec<u8>) -> Option<Message> {
    String::from_utf8(bytes)
        .ok()
        .map(|s| Message::Text(s.into()))
}

async fn run(
    endpoint: Arc<Endpoint>,
    conn: Arc<ClassicConnection>,
    receiving: Receiving,
    socket: WebSocket,
    from: u64,
    mut init: bool,
) {
    let (mut sink, mut incoming) = socket.split();
    let (responses_tx, mut responses) = mpsc::unbounded_channel::<Vec<u8>>();
    let mut position = from;
    let keep_alive = endpoint.options.keep_alive;
    let mut close: Option<CloseFrame> = None;
    'connection: loop {
        let changed = conn.buffer.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        while let Some((json, next)) =
            next_response(&endpoint, &conn, position, STREAMING_BATCH, init, false)
        {
            init = false;
            let Some(message) = text(json) else { break };
            if sink.send(message).await.is_err() {
                break 'connection;
            }
            position = next;
            conn.mark_delivered(position);
        }
        let tick = async {
            match keep_alive {
                Some(k) => tokio::time::sleep(k).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut changed => {}
            response = responses.recv() => {
                // A call's progress went into the buffer before its response: send those
                // messages first.
                while let Some((json, next)) =
                    next_response(&endpoint, &conn, position, STREAMING_BATCH, init, false)
                {
                    init = false;
                    let Some(message) = text(json) else { break };
                    if sink.send(message).await.is_err() {
                        break 'connection;
                    }
                    position = next;
                    conn.mark_delivered(position);
                }
                if let Some(message) = response.and_then(text)
                    && sink.send(message).await.is_err()
                {
                    break;
                }
            }
            () = tick => {
                if sink.send(Message::Text(String::from_utf8_lossy(KEEP_ALIVE).into_owned().into())).await.is_err() {
                    break;
                }
            }
            message = incoming.next() => match message {
                Some(Ok(Message::Text(data))) => {
                    let permit = tokio::select! {
                        p = conn.invocations.clone().acquire_owned() => p,
                        () = receiving.replaced.cancelled() => break,
                    };
                    let (endpoint, conn, tx) = (endpoint.clone(), conn.clone(), responses_tx.clone());
                    tokio::spawn(async move {
                        let _permit = permit;
                        let json = match invoke(&endpoint, &conn, data.as_bytes()).await {
                            Outcome::Response { json, .. } => Some(json),
                            Outcome::Failed { id, text } => {
                                tracing::debug!(connection = %conn.owner.id, error = %text, "classic call failed");
                                // The classic server answers nothing; a call with an id is told
                                // why, so its caller does not wait forever.
                                id.and_then(|id| {
                                    HubResponse {
                                        id: Some(id.into()),
                                        error: Some(ResponseError {
                                            message: text.into(),
                                            ..ResponseError::default()
                                        }),
                                        ..HubResponse::default()
                                    }
                                    .to_json()
                                    .ok()
                                })
                            }
                        };
                        if let Some(json) = json {
                            let _ = tx.send(json);
                        }
                    });
                }
                Some(Ok(Message::Binary(_))) => {
                    tracing::debug!(connection = %conn.owner.id, "binary WebSocket message ignored");
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    let too_big = e
                        .into_inner()
                        .downcast_ref::<tungstenite::Error>()
                        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
                    if too_big {
                        close = Some(CloseFrame { code: 1009, reason: "Message too big".into() });
                    }
                    break;
                }
            },
            () = receiving.replaced.cancelled() => break,
        }
    }
    let _ = sink
        .send(Message::Close(Some(close.unwrap_or(CloseFrame {
            code: 1000,
            reason: "".into(),
        }))))
        .await;
    let _ = sink.close().await;
    drop(receiving);
}
