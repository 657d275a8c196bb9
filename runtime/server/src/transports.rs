//! The HTTP transports: Server-Sent Events and long polling.
//!
//! Both receive with `POST {path}?id=TOKEN` (the body is raw frames). Server-Sent Events
//! sends on one `GET {path}?id=TOKEN` answered as `text/event-stream`; long polling sends
//! on a series of `GET {path}?id=TOKEN` polls, each answered with what is queued, and ends
//! with `DELETE {path}?id=TOKEN`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt, stream};
use signalr_protocol::TransferFormat;
use signalr_protocol::negotiate::TransportType;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, PollSender};

use crate::clients::Frame;
use crate::connection::{self, Transport};
use crate::server::{Active, PendingConnection, ServerState};

/// Request bodies' chunks waiting for the connection's reader.
const INCOMING_CHUNKS: usize = 8;
/// Frames waiting for the client to read them (beyond the connection's own queue).
const OUTGOING_FRAMES: usize = 64;
/// The most bytes one poll answers with (more frames wait for the next poll).
const MAX_POLL_BYTES: usize = 1 << 20;
/// How often a long-polling connection is checked for a client that stopped polling.
const WATCHDOG_TICK: Duration = Duration::from_secs(1);

/// A connection served over Server-Sent Events or long polling.
pub(crate) struct HttpConnection {
    pub(crate) kind: TransportType,
    /// Feeds the connection's reader; the lock keeps one request body's chunks together.
    incoming: tokio::sync::Mutex<mpsc::Sender<Bytes>>,
    /// What the polls drain (long polling only; Server-Sent Events streams it directly).
    outgoing: Option<tokio::sync::Mutex<mpsc::Receiver<Frame>>>,
    abort: CancellationToken,
    poll: Mutex<PollState>,
}

/// The poll in progress, if any, and when the last one ended.
struct PollState {
    current: Option<(u64, CancellationToken)>,
    next: u64,
    last_seen: Instant,
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

pub(crate) fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "No Connection with that ID")
}

/// The connection token of a request (`?id=`) and the connection it names; `None` when
/// the request has no token (answer it with [`id_required`]).
pub(crate) fn lookup<'q>(
    state: &ServerState,
    query: &'q HashMap<String, String>,
) -> Option<(&'q String, Option<Active>)> {
    let token = query.get("id").filter(|t| !t.is_empty())?;
    let active = state
        .active
        .lock()
        .ok()
        .and_then(|a| a.get(token.as_str()).cloned());
    Some((token, active))
}

pub(crate) fn id_required() -> Response {
    text(StatusCode::BAD_REQUEST, "Connection ID required")
}

pub(crate) fn cannot_change() -> Response {
    text(
        StatusCode::BAD_REQUEST,
        "Cannot change transports mid-connection",
    )
}

pub(crate) fn not_supported(kind: TransportType) -> Response {
    let body = match kind {
        TransportType::WebSockets => "WebSockets transport not supported by this end point type",
        TransportType::ServerSentEvents => {
            "ServerSentEvents transport not supported by this end point type"
        }
        TransportType::LongPolling => "LongPolling transport not supported by this end point type",
    };
    text(StatusCode::NOT_FOUND, body)
}

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

fn remove(state: &ServerState, token: &str) {
    if let Ok(mut active) = state.active.lock() {
        active.remove(token);
    }
}

/// Starts the connection of a negotiated token over `kind`, registered under `token`.
fn start(
    state: &Arc<ServerState>,
    token: &str,
    pending: PendingConnection,
    kind: TransportType,
) -> (Arc<HttpConnection>, Option<mpsc::Receiver<Frame>>) {
    let (in_tx, in_rx) = mpsc::channel::<Bytes>(INCOMING_CHUNKS);
    let (out_tx, out_rx) = mpsc::channel::<Frame>(OUTGOING_FRAMES);
    let abort = state.shutdown.child_token();
    let long_polling = kind == TransportType::LongPolling;
    let (outgoing, direct) = if long_polling {
        (Some(tokio::sync::Mutex::new(out_rx)), None)
    } else {
        (None, Some(out_rx))
    };
    let conn = Arc::new(HttpConnection {
        kind,
        incoming: tokio::sync::Mutex::new(in_tx),
        outgoing,
        abort: abort.clone(),
        poll: Mutex::new(PollState {
            current: None,
            next: 0,
            last_seen: Instant::now(),
        }),
    });
    if let Ok(mut active) = state.active.lock() {
        active.insert(token.to_owned(), Active::Http(conn.clone()));
    }
    let transport = Transport {
        incoming: stream::unfold(in_rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })
        .boxed(),
        outgoing: Box::pin(PollSender::new(out_tx).sink_map_err(|_| ())),
        format: (kind == TransportType::ServerSentEvents).then_some(TransferFormat::Text),
        keep_alive: !long_polling,
    };
    tokio::spawn(connection::run(
        transport,
        state.clone(),
        pending.id,
        pending.user,
        abort,
        None,
    ));
    if long_polling {
        tokio::spawn(watchdog(state.clone(), token.to_owned(), conn.clone()));
    }
    (conn, direct)
}

/// Ends a long-polling connection whose client stopped polling, and forgets it once ended.
async fn watchdog(state: Arc<ServerState>, token: String, conn: Arc<HttpConnection>) {
    let timeout = state.options.disconnect_timeout;
    loop {
        tokio::time::sleep(WATCHDOG_TICK.min(timeout)).await;
        let registered = state
            .active
            .lock()
            .is_ok_and(|a| matches!(a.get(&token), Some(Active::Http(c)) if Arc::ptr_eq(c, &conn)));
        if !registered {
            return;
        }
        let idle = conn
            .poll
            .lock()
            .is_ok_and(|p| p.current.is_none() && p.last_seen.elapsed() >= timeout);
        if idle {
            tracing::debug!("long polling client stopped polling; closing the connection");
            conn.abort.cancel();
            remove(&state, &token);
            return;
        }
    }
}

/// `GET {path}?id=TOKEN` with `Accept: text/event-stream`.
pub(crate) fn server_sent_events(
    state: &Arc<ServerState>,
    token: &str,
    pending: PendingConnection,
) -> Response {
    let (conn, Some(rx)) = start(state, token, pending, TransportType::ServerSentEvents) else {
        return not_found();
    };
    /// Ends the connection when the response ends, however it ends.
    struct Guard {
        state: Arc<ServerState>,
        token: String,
        abort: CancellationToken,
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            self.abort.cancel();
            remove(&self.state, &self.token);
        }
    }
    let guard = Guard {
        state: state.clone(),
        token: token.to_owned(),
        abort: conn.abort.clone(),
    };
    // A comment first, so the client sees the stream open before any message.
    let head = stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b":\r\n")) });
    let events = stream::unfold((rx, guard), |(mut rx, guard)| async move {
        let frame = rx.recv().await?;
        Some((Ok(event(&frame)), (rx, guard)))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_ENCODING, "identity"),
        ],
        Body::from_stream(head.chain(events)),
    )
        .into_response()
}

/// One frame as a Server-Sent Event: a `data:` line per line of the frame, then an empty line.
fn event(frame: &Frame) -> Bytes {
    let data: &[u8] = match frame {
        Frame::Text(t) => t.as_bytes(),
        Frame::Binary(b) => b,
    };
    let mut out = BytesMut::with_capacity(data.len() + 16);
    for line in data.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.freeze()
}

/// The first `GET {path}?id=TOKEN` of long polling: starts the connection and answers at once.
pub(crate) fn first_poll(
    state: &Arc<ServerState>,
    token: &str,
    pending: PendingConnection,
) -> Response {
    start(state, token, pending, TransportType::LongPolling);
    poll_response(Bytes::new())
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
    state: &Arc<ServerState>,
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
        () = tokio::time::sleep(state.options.long_polling_poll_timeout) => {
            return poll_response(Bytes::new());
        }
    };
    let Some(first) = first else {
        // The connection has ended and everything it sent has been read.
        drop(rx);
        remove(state, token);
        return no_content();
    };
    let mut body = BytesMut::new();
    let mut frame = Some(first);
    while let Some(f) = frame.take() {
        match f {
            Frame::Text(t) => body.extend_from_slice(t.as_bytes()),
            Frame::Binary(b) => body.extend_from_slice(&b),
        }
        if body.len() < MAX_POLL_BYTES {
            frame = rx.try_recv().ok();
        }
    }
    poll_response(body.freeze())
}

/// `POST {path}?id=TOKEN`: the body's bytes go to the connection as they arrive, so a body
/// is never buffered whole (the connection's frame reader enforces the message size limit).
pub(crate) async fn send(
    state: &Arc<ServerState>,
    query: &HashMap<String, String>,
    body: Body,
) -> Response {
    let Some((_, active)) = lookup(state, query) else {
        return id_required();
    };
    let conn = match active {
        Some(Active::Http(c)) => c,
        Some(Active::WebSocket(_)) => {
            return text(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST requests are not allowed for WebSocket connections.",
            );
        }
        None => return not_found(),
    };
    let tx = conn.incoming.lock().await;
    let mut data = body.into_data_stream();
    while let Some(chunk) = data.next().await {
        let Ok(chunk) = chunk else {
            return text(StatusCode::BAD_REQUEST, "");
        };
        if chunk.is_empty() {
            continue;
        }
        let sent = tokio::select! {
            r = tx.send(chunk) => r.is_ok(),
            () = conn.abort.cancelled() => false,
        };
        if !sent {
            return not_found();
        }
    }
    text(StatusCode::OK, "")
}

/// `DELETE {path}?id=TOKEN`: ends a long-polling connection.
pub(crate) fn delete(state: &Arc<ServerState>, query: &HashMap<String, String>) -> Response {
    let Some((token, active)) = lookup(state, query) else {
        return id_required();
    };
    let conn = match active {
        Some(Active::Http(c)) if c.kind == TransportType::LongPolling => c,
        Some(_) => {
            return text(
                StatusCode::BAD_REQUEST,
                "Cannot terminate this connection using the DELETE endpoint.",
            );
        }
        None => return not_found(),
    };
    conn.abort.cancel();
    if let Ok(mut p) = conn.poll.lock()
        && let Some((_, current)) = p.current.take()
    {
        current.cancel();
    }
    remove(state, token);
    text(StatusCode::ACCEPTED, "")
}
