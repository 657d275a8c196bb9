//! The write side of a connection: frames from its queue to the transport, several at a
//! time with one flush, a keep-alive Ping when nothing else was sent for a while, and at
//! the end what was already queued, then the Close. A connection without stateful
//! reconnect writes on its own task ([`half`]); the stateful writer (`crate::stateful`)
//! runs beside its reader and uses [`write_batch`].

pub(crate) mod half;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::SinkExt;
use tokio::time::Instant;

use crate::clients::registry::{Connection, OutboxReceiver};
use crate::frame::Frame;
use crate::transport::Outgoing;
use half::BATCH_BYTES;
pub(crate) use half::{WriteError, WriteHalf};

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
