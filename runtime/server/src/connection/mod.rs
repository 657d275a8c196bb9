//! One connection, from handshake to close: registration, the hooks, the reader and the
//! writer, and an end that tells the client why and cleans up whatever happened.

mod handshake;
mod invoke;
mod reader;
mod timers;

use std::net::IpAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use signalr_protocol::{Close, HubMessage};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::clients::Caller;
use crate::clients::codec::{Codec, HubProtocolCodec};
use crate::clients::registry::{Connection, NewConnection, Outbox};
use crate::context::HubContext;
use crate::dialect::ConnectRequest;
use crate::error::HubError;
use crate::frame::Frame;
use crate::identity::Identity;
use crate::stateful;
use crate::transport::{Transport, TransportError};
use crate::writer;

pub(crate) use invoke::panic_message;
use reader::{End, Reader};

/// The Close error every fatal connection error sends, with details when they are on.
const CLOSED_WITH_ERROR: &str = "Connection closed with an error.";

/// Who a new connection belongs to.
pub(crate) struct Owner {
    pub(crate) id: Arc<str>,
    pub(crate) identity: Option<Arc<Identity>>,
    pub(crate) user: Option<Arc<str>>,
    pub(crate) remote: Option<IpAddr>,
    /// The request that established the connection, for the endpoint's dialect (kept
    /// only when the endpoint has one).
    pub(crate) request: Option<Arc<ConnectRequest>>,
}

/// Runs one connection to its end over `transport`; `abort` ends it from outside. With
/// `next`, the connection was negotiated with stateful reconnect: if the client's handshake
/// asks for version 2, later transports of the connection arrive there.
pub(crate) async fn run(
    mut transport: Transport,
    ctx: Arc<HubContext>,
    owner: Owner,
    abort: CancellationToken,
    next: Option<mpsc::Receiver<Transport>>,
) {
    // At DEBUG, like tower-http's request spans: a span costs the subscriber memory and
    // every poll of the connection an enter and exit, so servers logging at INFO do not pay
    // for it; the warnings and errors of a connection name it themselves.
    let span = tracing::debug_span!(
        "signalr.connection",
        connection_id = %owner.id,
        transport = ?transport.kind,
        protocol = tracing::field::Empty,
        user = owner.user.as_deref().unwrap_or(""),
    );
    async move {
        let shake = tokio::select! {
            h = handshake::handshake(&mut transport, &ctx.options) => h,
            () = abort.cancelled() => None,
        };
        let Some(shake) = shake else { return };
        tracing::Span::current().record("protocol", tracing::field::debug(shake.protocol));
        // A version 1 client cannot reconnect statefully; dropping `next` refuses a second
        // WebSocket for the connection, as without the feature.
        let next = next.filter(|_| shake.version >= 2);
        serve(transport, ctx, owner, abort, next, shake).await;
    }
    .instrument(span)
    .await;
}

/// The text of the Close for an error, as ASP.NET Core writes it.
fn closed_with_error(detail: &str, kind: &str, detailed: bool) -> String {
    if detailed {
        format!("{CLOSED_WITH_ERROR} {kind}: {detail}")
    } else {
        CLOSED_WITH_ERROR.to_owned()
    }
}

async fn serve(
    transport: Transport,
    ctx: Arc<HubContext>,
    owner: Owner,
    abort: CancellationToken,
    next: Option<mpsc::Receiver<Transport>>,
    shake: handshake::Handshake,
) {
    let opts = &ctx.options;
    let detailed = opts.enable_detailed_errors;
    let protocol = shake.protocol;
    // Without stateful reconnect the connection's task writes its own replies (see
    // `writer::half`); with it, every frame is numbered by the stateful writer.
    let (outbox, rx) = if next.is_none() {
        Outbox::written_inline(opts.maximum_outgoing_buffer_size)
    } else {
        Outbox::new(opts.maximum_outgoing_buffer_size)
    };
    let codec: Arc<dyn Codec> = match &ctx.dialect {
        Some(d) => d.codec(protocol),
        None => Arc::new(HubProtocolCodec(protocol)),
    };
    let conn = Arc::new(Connection::new(NewConnection {
        id: owner.id.clone(),
        user: owner.user.clone(),
        identity: owner.identity.clone(),
        protocol,
        codec,
        remote: owner.remote,
        outbox,
        send_timeout: opts.transport_send_timeout,
        abort: abort.clone(),
    }));
    let tracked = crate::metrics::Tracked::start(transport.kind);
    ctx.registry.add(conn.clone());
    if let Some(d) = &ctx.dialect {
        d.connected(&conn, owner.request.as_deref());
    }
    // The futures awaited once per connection are boxed: held inline they would size the
    // connection's task for its whole life (an idle connection is mostly that state).
    Box::pin(crate::scaleout::connection_opened(
        &ctx.registry,
        &conn.id,
        conn.user.as_deref(),
    ))
    .await;
    let caller = Caller {
        connection_id: owner.id.clone(),
        user: owner.user.clone(),
        identity: owner.identity.clone(),
        remote: owner.remote,
        protocol,
        clients: ctx.clients(Some(owner.id.clone())),
        groups: ctx.groups(),
    };
    let Transport {
        incoming,
        outgoing,
        keep_alive,
        ..
    } = transport;
    let close: writer::CloseSlot = Arc::new(Mutex::new(Vec::new()));
    let keep_alive = keep_alive.then_some(opts.keep_alive_interval);
    let (writer, reconnect, half) = match next {
        None => {
            let ping = keep_alive
                .is_some()
                .then(|| Frame::encode(protocol, &HubMessage::Ping).ok())
                .flatten();
            let half =
                writer::WriteHalf::new(outgoing, rx, ping, keep_alive, opts.transport_send_timeout);
            (None, None, Some(half))
        }
        Some(next) => {
            // Fires once the connection's end is decided and its Close is in `close`.
            let finish = CancellationToken::new();
            let (reconnect, sinks, lost) =
                stateful::split(opts.stateful_reconnect_buffer_size, next);
            let writer = tokio::spawn(
                stateful::write_loop(
                    outgoing,
                    rx,
                    sinks,
                    lost,
                    conn.clone(),
                    keep_alive,
                    close.clone(),
                    reconnect.shared.clone(),
                    finish.clone(),
                )
                .in_current_span(),
            );
            (Some((writer, finish)), Some(reconnect), None)
        }
    };

    // The hooks may fail or panic: either way the connection ends with an error, and is
    // cleaned up like any other.
    let connected = AssertUnwindSafe(Box::pin(async {
        ctx.filters.connected(&caller).await?;
        if let Some(hook) = &ctx.hub.on_connected {
            hook(caller.clone()).await;
        }
        Ok::<(), HubError>(())
    }))
    .catch_unwind()
    .await;
    let mut reader = Reader::new(ctx.clone(), conn.clone(), caller.clone(), reconnect, half);
    let end = match connected {
        Ok(Ok(())) => reader.run(incoming, shake.leftover).await,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "connection refused by a filter");
            let text = match &e {
                HubError::Hub(m) | HubError::Coded { message: m, .. } => {
                    format!("{CLOSED_WITH_ERROR} HubException: {m}")
                }
                HubError::Named { exception, message } => {
                    format!("{CLOSED_WITH_ERROR} {exception}: {message}")
                }
                _ => closed_with_error(&e.to_string(), "Exception", detailed),
            };
            conn.close_with_error(text);
            End::Aborted
        }
        Err(panic) => {
            tracing::error!(connection = %conn.id, "on_connected panicked: {}", panic_message(&*panic));
            conn.close_with_error(closed_with_error(
                "on_connected panicked",
                "Exception",
                detailed,
            ));
            End::Aborted
        }
    };

    // Why it ended, for the client's Close and the disconnect hooks.
    let error = match &end {
        End::Gone => None,
        End::Aborted => conn.close_error(),
        End::BadInput(e) => Some(closed_with_error(e, "InvalidDataException", detailed)),
        End::Transport(e) => Some(closed_with_error(
            &e.to_string(),
            "InvalidDataException",
            detailed,
        )),
        End::Timeout => Some(closed_with_error(
            "Client hasn't sent a message/ping within the configured ClientTimeoutInterval.",
            "OperationCanceledException",
            detailed,
        )),
        End::Expired => Some(closed_with_error(
            "The credential of the connection expired.",
            "AuthenticationException",
            detailed,
        )),
    };
    if !matches!(end, End::Gone)
        && let Ok(mut slot) = close.lock()
    {
        let msg = HubMessage::Close(Close {
            error: error.clone().map(Into::into),
            allow_reconnect: true,
        });
        slot.extend(Frame::encode(protocol, &msg).ok());
        match &end {
            End::Transport(TransportError::InvalidUtf8) => {
                slot.push(Frame::websocket_close(1007, "Invalid UTF-8"));
            }
            End::Transport(TransportError::TooLarge(_)) => {
                slot.push(Frame::websocket_close(1009, "Message too big"));
            }
            _ => {}
        }
    }
    let status = match &end {
        End::Timeout => crate::metrics::Status::Timeout,
        End::Aborted if ctx.shutdown.is_cancelled() => crate::metrics::Status::AppShutdown,
        _ => crate::metrics::Status::NormalClosure,
    };
    // Nothing is queued after this: an invocation still running can no longer send, so a
    // stream cut off here never reaches the client as a whole one.
    abort.cancel();
    reader.teardown.cancel();
    match writer {
        Some((writer, finish)) => {
            finish.cancel();
            let _ = writer.await;
        }
        None => {
            if let Some(parts) = reader.take_write() {
                let flush =
                    writer::flush_and_close(parts.sink, parts.rx, parts.held, &conn, &close);
                Box::pin(flush).await;
            }
        }
    }
    conn.fail_pending_results();
    if let Some(d) = &ctx.dialect {
        d.disconnected(&conn);
    }
    ctx.registry.remove(&conn);
    // Invocations still running finish on their own; what they send is dropped.
    let leftovers = reader.into_leftovers();
    tokio::spawn(leftovers.in_current_span());
    tracked.end(status);
    let disconnected = AssertUnwindSafe(Box::pin(async {
        if let Some(hook) = &ctx.hub.on_disconnected {
            hook(caller.clone()).await;
        }
        ctx.filters.disconnected(&caller, error.as_deref()).await;
    }))
    .catch_unwind()
    .await;
    if let Err(panic) = disconnected {
        tracing::error!(connection = %caller.connection_id, "on_disconnected panicked: {}", panic_message(&*panic));
    }
}
