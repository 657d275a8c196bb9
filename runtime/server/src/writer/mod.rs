//! The write side of a connection: frames from its queue to the transport, several at a
//! time with one flush, a keep-alive Ping when nothing else was sent for a while, and at
//! the end what was already queued, then the Close.

pub(crate) mod half;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::clients::registry::{Connection, OutboxReceiver};
use crate::frame::Frame;
use crate::transport::Outgoing;
use half::BATCH_BYTES;
pub(crate) use half::WriteHalf;

/// How long the end of a connection may take to write what is queued and the Close.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The frames a connection ends with (its Close, and for a WebSocket possibly a close
/// status), decided by whoever ends it before it fires `finish`.
pub(crate) type CloseSlot = Arc<Mutex<Vec<Frame>>>;

/// Writes `first` and whatever else is queued now (up to a batch), then flushes once.
/// `Err` when the transport failed.
pub(crate) async fn write_batch(
    sink: &mut Outgoing,
    rx: &mut OutboxReceiver,
    conn: &Connection,
    first: Frame,
    mut on_frame: impl FnMut(&Frame),
) -> Result<(), ()> {
    let mut written = first.len();
    on_frame(&first);
    conn.outbox.taken(&first);
    sink.feed(first).await?;
    while written < BATCH_BYTES {
        let Some(f) = rx.try_recv() else { break };
        written += f.len();
        on_frame(&f);
        conn.outbox.taken(&f);
        sink.feed(f).await?;
    }
    sink.flush().await
}

/// Sleeps until `at`, or forever without it.
pub(crate) async fn sleep_until_or_never(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The writer task of a connection without stateful reconnect.
///
/// It writes what the connection's own task does not (see [`half`]): frames queued by other
/// tasks, a write the transport could not take at once, and a keep-alive Ping when nothing
/// was sent for a whole interval. Nothing is armed per frame: the cancellation wait is made
/// once, the keep-alive timer fires at most once per interval and is only moved then, and
/// the send timeout is armed only for a write that could not finish at once.
pub(crate) async fn write_loop(
    half: Arc<WriteHalf>,
    conn: Arc<Connection>,
    keep_alive: Option<Duration>,
    send_timeout: Duration,
    close: CloseSlot,
    finish: CancellationToken,
) {
    let aborted = finish.cancelled();
    tokio::pin!(aborted);
    let keep_alive_timer = sleep_until_or_never(keep_alive.map(|k| Instant::now() + k));
    tokio::pin!(keep_alive_timer);
    loop {
        tokio::select! {
            biased;
            () = &mut aborted => break,
            () = conn.outbox.writer_woken() => {}
            () = &mut keep_alive_timer => {
                // Due only if nothing was sent for a whole interval; otherwise wait out the rest.
                let Some(k) = keep_alive else { continue };
                let due = half.last_send() + k;
                if Instant::now() < due {
                    keep_alive_timer.set(sleep_until_or_never(Some(due)));
                    continue;
                }
                keep_alive_timer.set(sleep_until_or_never(Some(Instant::now() + k)));
                half.ping();
            }
        }
        let write = std::future::poll_fn(|cx| half.poll_write(&conn, cx));
        tokio::pin!(write);
        // Most writes finish at once; a client that stops reading blocks one, and then the
        // connection's end must not wait for it, nor may the write wait forever.
        let once = std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx)));
        let sent = match once.await {
            std::task::Poll::Ready(r) => r.is_ok(),
            std::task::Poll::Pending => tokio::select! {
                r = tokio::time::timeout(send_timeout, write) => match r {
                    Ok(r) => r.is_ok(),
                    Err(_) => {
                        conn.close_with_error("The client is not reading its messages.");
                        false
                    }
                },
                () = &mut aborted => false,
            },
        };
        if !sent {
            conn.abort.cancel();
            return;
        }
    }
    if let Some(parts) = half.take() {
        flush_and_close(parts.sink, parts.rx, parts.held, &conn, &close).await;
    }
}

/// At a connection's end: sends what is already queued (replies written just before the
/// end), then the Close, and closes the transport, all within a bounded time.
pub(crate) async fn flush_and_close(
    mut sink: Outgoing,
    mut rx: OutboxReceiver,
    held: Option<Frame>,
    conn: &Connection,
    close: &Mutex<Vec<Frame>>,
) {
    let flush = async {
        if let Some(frame) = held
            && sink.feed(frame).await.is_err()
        {
            return;
        }
        while let Some(frame) = rx.try_recv() {
            conn.outbox.taken(&frame);
            if sink.feed(frame).await.is_err() {
                return;
            }
        }
        let close = close
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default();
        for frame in close {
            let _ = sink.feed(frame).await;
        }
        let _ = sink.flush().await;
        let _ = sink.close().await;
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, flush).await;
}
