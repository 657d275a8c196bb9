//! Long polling: each receive request answers with one persistent response, at once when
//! messages are waiting (or for the connect's init message), otherwise when one arrives or
//! the connection timeout passes. While it waits, a space is written at every keep-alive
//! (JSON parsers skip it). Calls come in on `/send`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use tokio::sync::mpsc;

use super::{POLL_BATCH, next_response};
use crate::dialects::classic::connection::{ClassicConnection, Receiving};
use crate::dialects::classic::endpoint::Endpoint;

/// The answer to a poll from `from` (or to the connect, with the init message).
pub(in crate::dialects::classic) fn respond(
    endpoint: Arc<Endpoint>,
    conn: Arc<ClassicConnection>,
    receiving: Receiving,
    from: u64,
    init: bool,
) -> Response {
    // The client has everything before its cursor: the buffer need not keep it, and a
    // `/send` answer waiting for a call's progress to reach the client may go (a poll comes
    // after the client has handled the previous answer's messages).
    conn.buffer.acknowledge(from);
    conn.mark_delivered(from);
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    tokio::spawn(async move {
        let _receiving = &receiving;
        let deadline = tokio::time::Instant::now() + endpoint.options.connection_timeout;
        let keep_alive = endpoint.options.keep_alive;
        let mut wait_more = !init;
        loop {
            let changed = conn.buffer.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let ready = next_response(&endpoint, &conn, from, POLL_BATCH, init, !wait_more);
            if let Some((json, _)) = ready {
                let _ = tx.send(Bytes::from(json)).await;
                return;
            }
            let tick = async {
                match keep_alive {
                    Some(k) => tokio::time::sleep(k).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut changed => {}
                () = tick => {
                    if tx.send(Bytes::from_static(b" ")).await.is_err() {
                        return;
                    }
                }
                () = tokio::time::sleep_until(deadline) => wait_more = false,
                () = receiving.replaced.cancelled() => wait_more = false,
                () = tx.closed() => return,
            }
        }
    });
    let body = stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, Infallible>(chunk), rx))
    });
    (
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        Body::from_stream(body),
    )
        .into_response()
}
