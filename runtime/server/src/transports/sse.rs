//! Server-Sent Events: the server's half of the connection as one `text/event-stream`
//! response, each frame an event.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{StreamExt, stream};
use signalr_protocol::negotiate::TransportType;
use tokio_util::sync::CancellationToken;

use crate::context::HubContext;
use crate::frame::Frame;
use crate::transports::http;
use crate::transports::not_found;
use crate::transports::tokens::{Active, PendingConnection, Tokens};

/// `GET {path}?id=TOKEN` with `Accept: text/event-stream`.
pub(crate) fn connect(
    ctx: &Arc<HubContext>,
    tokens: &Arc<Tokens>,
    token: &str,
    pending: PendingConnection,
    joined: http::Joined,
) -> Response {
    let kind = TransportType::ServerSentEvents;
    let (conn, rx) = http::start(ctx, pending.id, pending.user, joined, kind);
    tokens.set_active(token, Active::Http(conn.clone()));
    let Some(rx) = rx else {
        return not_found();
    };
    /// Ends the connection when the response ends, however it ends.
    struct Guard {
        tokens: Arc<Tokens>,
        token: String,
        abort: CancellationToken,
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            self.abort.cancel();
            self.tokens.remove_active(&self.token);
        }
    }
    let guard = Guard {
        tokens: tokens.clone(),
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
    let data = frame.as_bytes();
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
