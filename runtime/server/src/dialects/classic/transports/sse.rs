//! Server-Sent Events: one `text/event-stream` response per receive request, opened with
//! `data: initialized`, then a `data:` event per persistent response and `data: {}`
//! keep-alives. Calls come in on `/send`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::stream;
use tokio::sync::mpsc;

use super::{KEEP_ALIVE, STREAMING_BATCH, next_response};
use crate::dialects::classic::connection::{ClassicConnection, Receiving};
use crate::dialects::classic::endpoint::Endpoint;

/// How long after the hand-off an event counts as delivered: the event stream and a `/send`
/// answer travel on different connections, and a client handles whichever arrives first.
const SETTLE: Duration = Duration::from_millis(100);

fn event(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 8);
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    out.freeze()
}

/// The event stream of a receive request that starts at `from` (with the init message on a
/// connect).
pub(in crate::dialects::classic) fn respond(
    endpoint: Arc<Endpoint>,
    conn: Arc<ClassicConnection>,
    receiving: Receiving,
    from: u64,
    init: bool,
) -> Response {
    // Each chunk with the position after it, if it carries messages. An event stream has no
    // acknowledgement: once the body has handed the chunk to the connection (when the next
    // one is asked for), a `/send` answer waiting for a call's progress goes a moment
    // (`SETTLE`) later, so it reaches the client after the progress itself.
    let (tx, rx) = mpsc::channel::<(Bytes, Option<u64>)>(8);
    let delivering = conn.clone();
    tokio::spawn(async move {
        let _receiving = &receiving;
        if tx
            .send((Bytes::from_static(b"data: initialized\n\n"), None))
            .await
            .is_err()
        {
            return;
        }
        let mut position = from;
        let mut init = init;
        let keep_alive = endpoint.options.keep_alive;
        loop {
            let changed = conn.buffer.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            while let Some((json, next)) =
                next_response(&endpoint, &conn, position, STREAMING_BATCH, init, false)
            {
                init = false;
                if tx.send((event(&json), Some(next))).await.is_err() {
                    return;
                }
                position = next;
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
                    if tx.send((event(KEEP_ALIVE), None)).await.is_err() {
                        return;
                    }
                }
                () = receiving.replaced.cancelled() => return,
                () = tx.closed() => return,
            }
        }
    });
    let body = stream::unfold((rx, None), move |(mut rx, handed)| {
        let conn = delivering.clone();
        async move {
            if let Some(position) = handed {
                conn.mark_handed_off(position, SETTLE);
            }
            let (chunk, position) = rx.recv().await?;
            Some((Ok::<_, Infallible>(chunk), (rx, position)))
        }
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
