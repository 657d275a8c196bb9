//! Long polling: the server's half of the connection as a series of polls, each answered
//! with what is queued; `DELETE` ends it, and a client that stops polling is dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use signalr_protocol::negotiate::TransportType;
use tokio_util::sync::CancellationToken;

use crate::context::HubContext;
use crate::transports::http::{self, HttpConnection};
use crate::transports::tokens::{Active, PendingConnection, Tokens};
use crate::transports::{cannot_change, text};

/// The most bytes one poll answers with (more frames wait for the next poll).
const MAX_POLL_BYTES: usize = 1 << 20;
/// How often a long-polling connection is checked for a client that stopped polling.
const WATCHDOG_TICK: Duration = Duration::from_secs(1);

fn no_content() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::CONTENT_TYPE, "text/plain")],
    )
        .into_response()
}

/// Long-polling answers must not be cached.
fn poll_response(body: Bytes) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "no-cache, no-store"),
            (header::PRAGMA, "no-cache"),
            (header::EXPIRES, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ],
        body,
    )
        .into_response()
}

/// The first `GET {path}?id=TOKEN` of long polling: starts the connection and answers at once.
pub(crate) fn first_poll(
    ctx: &Arc<HubContext>,
    tokens: &Arc<Tokens>,
    token: &str,
    pending: PendingConnection,
    joined: http::Joined,
) -> Response {
    let kind = TransportType::LongPolling;
    let (conn, _) = http::start(ctx, pending.id, pending.user, joined, kind);
    tokens.set_active(token, Active::Http(conn.clone()));
    tokio::spawn(watchdog(
        tokens.clone(),
        ctx.options.disconnect_timeout,
        token.to_owned(),
        conn,
    ));
    poll_response(Bytes::new())
}

/// Ends a long-polling connection whose client stopped polling, and forgets it once ended.
async fn watchdog(
    tokens: Arc<Tokens>,
    timeout: Duration,
    token: String,
    conn: Arc<HttpConnection>,
) {
    loop {
        tokio::time::sleep(WATCHDOG_TICK.min(timeout)).await;
        if !tokens.is_active_http(&token, &conn) {
            return;
        }
        let idle = conn
            .poll
            .lock()
            .is_ok_and(|p| p.current.is_none() && p.last_seen.elapsed() >= timeout);
        if idle {
            tracing::debug!("long polling client stopped polling; closing the connection");
            conn.abort.cancel();
            tokens.remove_active(&token);
            return;
        }
    }
}

/// Marks the poll ended (however it ends) if it is still the current one.
struct PollGuard {
    conn: Arc<HttpConnection>,
    id: u64,
}

impl Drop for PollGuard {
    fn drop(&mut self) {
        if let Ok(mut p) = self.conn.poll.lock() {
            if p.current.as_ref().is_some_and(|(id, _)| *id == self.id) {
                p.current = None;
            }
            p.last_seen = Instant::now();
        }
    }
}

/// A later `GET {path}?id=TOKEN` of long polling: answers with the queued frames, waiting up
/// to the poll timeout for some; 204 once the connection has ended or a newer poll came.
pub(crate) async fn poll(
    ctx: &HubContext,
    tokens: &Tokens,
    token: &str,
    conn: Arc<HttpConnection>,
) -> Response {
    let Some(outgoing) = &conn.outgoing else {
        return cannot_change();
    };
    let cancel = CancellationToken::new();
    let id = match conn.poll.lock() {
        Ok(mut p) => {
            if let Some((_, older)) = p.current.take() {
                older.cancel();
            }
            let id = p.next;
            p.next += 1;
            p.current = Some((id, cancel.clone()));
            id
        }
        Err(_) => return no_content(),
    };
    let _guard = PollGuard {
        conn: conn.clone(),
        id,
    };
    let mut rx = tokio::select! {
        rx = outgoing.lock() => rx,
        () = cancel.cancelled() => return no_content(),
    };
    let first = tokio::select! {
        biased;
        () = cancel.cancelled() => return no_content(),
        f = rx.recv() => f,
        () = tokio::time::sleep(ctx.options.long_polling_poll_timeout) => {
            return poll_response(Bytes::new());
        }
    };
    let Some(first) = first else {
        // The connection has ended and everything it sent has been read.
        drop(rx);
        tokens.remove_active(token);
        return no_content();
    };
    let mut body = BytesMut::new();
    let mut frame = Some(first);
    while let Some(f) = frame.take() {
        body.extend_from_slice(f.as_bytes());
        if body.len() < MAX_POLL_BYTES {
            frame = rx.try_recv().ok();
        }
    }
    poll_response(body.freeze())
}

/// `DELETE {path}?id=TOKEN`: ends a long-polling connection.
pub(crate) fn delete(tokens: &Tokens, token: &str, conn: &HttpConnection) -> Response {
    if conn.kind != TransportType::LongPolling {
        return text(
            StatusCode::BAD_REQUEST,
            "Cannot terminate this connection using the DELETE endpoint.",
        );
    }
    conn.abort.cancel();
    if let Ok(mut p) = conn.poll.lock()
        && let Some((_, current)) = p.current.take()
    {
        current.cancel();
    }
    tokens.remove_active(token);
    text(StatusCode::ACCEPTED, "")
}
