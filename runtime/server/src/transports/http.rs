//! What Server-Sent Events and long polling share: a connection fed by `POST` request
//! bodies, started when the first `GET` of a negotiated token arrives, and the `POST`
//! handler itself.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt, stream};
use signalr_protocol::TransferFormat;
use signalr_protocol::negotiate::TransportType;
use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, PollSender};

use crate::connection::{self, Owner};
use crate::context::HubContext;
use crate::dialect::ConnectRequest;
use crate::frame::Frame;
use crate::identity::Identity;
use crate::transport::Transport;
use crate::transports::{not_found, text};

/// Request bodies' chunks waiting for the connection's reader.
const INCOMING_CHUNKS: usize = 8;
/// Frames waiting for the client to read them (beyond the connection's own queue).
const OUTGOING_FRAMES: usize = 64;

/// A connection served over Server-Sent Events or long polling.
pub(crate) struct HttpConnection {
    pub(crate) kind: TransportType,
    /// The user id the connection belongs to.
    pub(crate) user: Option<Arc<str>>,
    /// Feeds the connection's reader; the lock keeps one request body's chunks together.
    incoming: tokio::sync::Mutex<mpsc::Sender<Bytes>>,
    /// What the polls drain (long polling only; Server-Sent Events streams it directly).
    pub(crate) outgoing: Option<tokio::sync::Mutex<mpsc::Receiver<Frame>>>,
    pub(crate) abort: CancellationToken,
    pub(crate) poll: Mutex<PollState>,
}

/// The poll in progress, if any, and when the last one ended.
pub(crate) struct PollState {
    pub(crate) current: Option<(u64, CancellationToken)>,
    pub(crate) next: u64,
    pub(crate) last_seen: Instant,
}

/// Who joins a negotiated connection with its first `GET`, and that request.
pub(crate) struct Joined {
    pub(crate) identity: Option<Arc<Identity>>,
    pub(crate) remote: Option<std::net::IpAddr>,
    pub(crate) request: Option<Arc<ConnectRequest>>,
}

/// Starts connection `id` of user `user` over `kind`; returns it, for the caller to register
/// under its token, and, for Server-Sent Events, the frames to stream.
pub(crate) fn start(
    ctx: &Arc<HubContext>,
    id: Arc<str>,
    user: Option<Arc<str>>,
    joined: Joined,
    kind: TransportType,
) -> (Arc<HttpConnection>, Option<mpsc::Receiver<Frame>>) {
    let (in_tx, in_rx) = mpsc::channel::<Bytes>(INCOMING_CHUNKS);
    let (out_tx, out_rx) = mpsc::channel::<Frame>(OUTGOING_FRAMES);
    let abort = ctx.shutdown.child_token();
    let long_polling = kind == TransportType::LongPolling;
    let (outgoing, direct) = if long_polling {
        (Some(tokio::sync::Mutex::new(out_rx)), None)
    } else {
        (None, Some(out_rx))
    };
    let conn = Arc::new(HttpConnection {
        kind,
        user: user.clone(),
        incoming: tokio::sync::Mutex::new(in_tx),
        outgoing,
        abort: abort.clone(),
        poll: Mutex::new(PollState {
            current: None,
            next: 0,
            last_seen: Instant::now(),
        }),
    });
    let transport =
        Transport {
            kind,
            incoming: stream::unfold(in_rx, |mut rx| async move {
                rx.recv().await.map(|chunk| (Ok(chunk), rx))
            })
            .boxed(),
            // Close frames of the WebSocket transport mean nothing here.
            outgoing: Box::pin(PollSender::new(out_tx).sink_map_err(|_| ()).with_flat_map(
                |f: Frame| stream::iter((!f.is_websocket_close()).then_some(Ok(f))),
            )),
            format: (kind == TransportType::ServerSentEvents).then_some(TransferFormat::Text),
            keep_alive: !long_polling,
        };
    let owner = Owner {
        id,
        identity: joined.identity,
        user,
        remote: joined.remote,
        request: joined.request,
    };
    ctx.connections
        .spawn(connection::run(transport, ctx.clone(), owner, abort, None));
    (conn, direct)
}

/// `POST {path}?id=TOKEN`: the body's bytes go to the connection as they arrive, so a body
/// is never buffered whole (the connection's frame reader enforces the message size limit).
pub(crate) async fn send(conn: Arc<HttpConnection>, body: Body) -> Response {
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
