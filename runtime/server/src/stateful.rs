//! Stateful reconnect: the sequence ids of trackable messages, the buffer of sent but
//! unacknowledged messages, and the write loop of a connection that survives a dropped
//! WebSocket.
//!
//! Trackable messages are Invocation, StreamItem, Completion, StreamInvocation and
//! CancelInvocation; each direction numbers them from 1. The client's Acks free the buffer;
//! after a new WebSocket arrives the server sends `Sequence` with the id of the first
//! unacknowledged message and resends the buffer.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::SinkExt;
use futures_util::stream::BoxStream;
use signalr_protocol::HubMessage;
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

use crate::clients::registry::{Connection, OutboxReceiver};
use crate::frame::Frame;
use crate::transport::{Outgoing, Transport, TransportError};
use crate::writer::{CloseSlot, flush_and_close, sleep_until_or_never, write_batch};

/// How often the server acknowledges what it received (ASP.NET Core and the official
/// clients send an Ack about a second after the first unacknowledged message).
const ACK_INTERVAL: Duration = Duration::from_secs(1);

/// What the reader and the writer of a stateful-reconnect connection share.
pub(crate) struct Shared {
    buffer: Mutex<SendBuffer>,
    /// Signalled when an Ack frees space in the buffer.
    freed: Notify,
    /// The highest sequence id received and processed.
    pub(crate) received: AtomicU64,
    limit: usize,
}

#[derive(Default)]
struct SendBuffer {
    /// Sent messages not yet acknowledged, by sequence id.
    messages: VecDeque<(u64, Frame)>,
    bytes: usize,
    /// Trackable messages sent so far (the last sequence id used).
    total: u64,
}

impl Shared {
    pub(crate) fn new(limit: usize) -> Self {
        Shared {
            buffer: Mutex::new(SendBuffer::default()),
            freed: Notify::new(),
            received: AtomicU64::new(0),
            limit,
        }
    }

    /// The client has processed every message up to `id`.
    pub(crate) fn ack(&self, id: u64) {
        if let Ok(mut b) = self.buffer.lock() {
            while b.messages.front().is_some_and(|(i, _)| *i <= id) {
                if let Some((_, f)) = b.messages.pop_front() {
                    b.bytes -= f.len();
                }
            }
        }
        self.freed.notify_one();
    }

    fn is_full(&self) -> bool {
        self.buffer.lock().is_ok_and(|b| b.bytes >= self.limit)
    }

    fn track(&self, frame: Frame) {
        if let Ok(mut b) = self.buffer.lock() {
            b.total += 1;
            let id = b.total;
            b.bytes += frame.len();
            b.messages.push_back((id, frame));
        }
    }

    /// The Sequence message then every buffered frame, to send on a new transport.
    fn resend(&self) -> (u64, Vec<Frame>) {
        match self.buffer.lock() {
            Ok(b) => {
                let first = b.messages.front().map_or(b.total + 1, |(i, _)| *i);
                (first, b.messages.iter().map(|(_, f)| f.clone()).collect())
            }
            Err(_) => (1, Vec::new()),
        }
    }
}

/// A transport's outgoing half, with the number the reader gave the transport.
pub(crate) type NextSink = (u64, Outgoing);

/// The write loop of a stateful-reconnect connection: like the plain one, but a failed send
/// waits for the next transport instead of ending the connection (the reader decides when
/// the wait is over), every trackable frame is numbered and kept until acknowledged, and a
/// full buffer stops taking frames until Acks arrive.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn write_loop(
    first: Outgoing,
    mut rx: OutboxReceiver,
    mut sinks: mpsc::Receiver<NextSink>,
    lost: watch::Sender<u64>,
    conn: Arc<Connection>,
    keep_alive: Option<Duration>,
    close: CloseSlot,
    shared: Arc<Shared>,
    finish: tokio_util::sync::CancellationToken,
) {
    let protocol = conn.protocol;
    let abort = finish;
    let ping = Frame::encode(protocol, &HubMessage::Ping).ok();
    let mut sink = Some((0u64, first));
    let mut acked = 0u64;
    let mut last_send = Instant::now();
    let mut ack_tick = tokio::time::interval(ACK_INTERVAL);
    ack_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let full = shared.is_full();
        let ping_at = keep_alive.map(|k| last_send + k);
        let mut out: Vec<Frame> = Vec::new();
        let mut first: Option<Frame> = None;
        tokio::select! {
            biased;
            () = abort.cancelled() => break,
            next = sinks.recv() => {
                let Some(next) = next else { break };
                sink = Some(next);
                acked = 0;
                let (first, frames) = shared.resend();
                let sequence = HubMessage::Sequence { sequence_id: first };
                if let Ok(f) = Frame::encode(protocol, &sequence) {
                    out.push(f);
                }
                out.extend(frames);
            }
            f = rx.recv(), if !full => {
                let Some(f) = f else { break };
                first = Some(f);
            }
            () = shared.freed.notified(), if full => {}
            () = sleep_until_or_never(ping_at), if sink.is_some() => out.extend(ping.clone()),
            _ = ack_tick.tick() => {
                let received = shared.received.load(Ordering::Acquire);
                if received > acked && sink.is_some() {
                    let ack = HubMessage::Ack { sequence_id: received };
                    if let Ok(f) = Frame::encode(protocol, &ack) {
                        out.push(f);
                        acked = received;
                    }
                }
            }
        }
        let Some((generation, s)) = sink.as_mut() else {
            // No transport: a queued frame is numbered and kept for the next one.
            if let Some(f) = first {
                conn.outbox.taken(&f);
                if f.trackable {
                    shared.track(f);
                }
            }
            continue;
        };
        let sent = async {
            if let Some(f) = first {
                write_batch(s, &mut rx, &conn, f, |f| {
                    if f.trackable {
                        shared.track(f.clone());
                    }
                })
                .await?;
            }
            for frame in out {
                s.feed(frame).await?;
            }
            s.flush().await
        };
        let sent = tokio::select! {
            r = sent => r.is_ok(),
            () = abort.cancelled() => false,
        };
        if sent {
            last_send = Instant::now();
        } else if !abort.is_cancelled() {
            // The transport is gone; what was trackable stays buffered for the next one.
            let _ = lost.send(*generation);
            sink = None;
        }
    }
    if let Some((_, sink)) = sink {
        flush_and_close(sink, rx, None, &conn, &close).await;
    }
}

/// The reader's side of stateful reconnect.
pub(crate) struct Reconnect {
    pub(crate) shared: Arc<Shared>,
    /// Where the connection's next transports arrive.
    pub(crate) next: mpsc::Receiver<Transport>,
    /// Where the reader hands each new transport's outgoing half to the writer.
    sinks: mpsc::Sender<NextSink>,
    /// The number of the transport whose sends failed, from the writer.
    lost: watch::Receiver<u64>,
    /// The number of the current transport.
    generation: u64,
    /// After a new transport, incoming messages are dropped until the client's Sequence.
    awaiting_sequence: bool,
    /// The sequence id of the next trackable message received.
    next_receiving: u64,
}

/// The two halves of stateful reconnect: the reader's, and what the writer needs.
pub(crate) fn split(
    limit: usize,
    next: mpsc::Receiver<Transport>,
) -> (Reconnect, mpsc::Receiver<NextSink>, watch::Sender<u64>) {
    let (sinks_tx, sinks_rx) = mpsc::channel(1);
    let (lost_tx, lost_rx) = watch::channel(u64::MAX);
    (
        Reconnect {
            shared: Arc::new(Shared::new(limit)),
            next,
            sinks: sinks_tx,
            lost: lost_rx,
            generation: 0,
            awaiting_sequence: false,
            next_receiving: 1,
        },
        sinks_rx,
        lost_tx,
    )
}

impl Reconnect {
    /// Counts a trackable message; `false` if it must be dropped (before the client's
    /// Sequence, or already processed before the reconnect).
    pub(crate) fn admit(&mut self) -> bool {
        if self.awaiting_sequence {
            return false;
        }
        let id = self.next_receiving;
        self.next_receiving += 1;
        let received = self.shared.received.load(Ordering::Acquire);
        if id <= received {
            return false;
        }
        self.shared.received.store(id, Ordering::Release);
        true
    }

    /// The client's Sequence: `false` if it claims messages the server never received.
    pub(crate) fn sequence(&mut self, sequence_id: u64) -> bool {
        let received = self.shared.received.load(Ordering::Acquire);
        if sequence_id > received + 1 {
            return false;
        }
        self.next_receiving = sequence_id;
        self.awaiting_sequence = false;
        true
    }

    /// The next transport, and the end of the current one as the writer reports it.
    pub(crate) fn next_or_lost(
        &mut self,
    ) -> (
        impl Future<Output = Option<Transport>> + '_,
        impl Future<Output = ()> + '_,
    ) {
        let generation = self.generation;
        let lost = &mut self.lost;
        (self.next.recv(), async move {
            if lost.wait_for(|g| *g == generation).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }

    /// Starts using a new transport: its outgoing half goes to the writer (which resends
    /// what is unacknowledged), its incoming half is returned.
    pub(crate) async fn switch(
        &mut self,
        transport: Transport,
    ) -> Option<BoxStream<'static, Result<Bytes, TransportError>>> {
        self.generation += 1;
        self.awaiting_sequence = true;
        if self
            .sinks
            .send((self.generation, transport.outgoing))
            .await
            .is_err()
        {
            return None;
        }
        Some(transport.incoming)
    }
}
