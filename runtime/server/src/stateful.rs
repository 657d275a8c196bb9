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

use futures_util::SinkExt;
use signalr_protocol::{HubMessage, Protocol, decode_frames};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::clients::Frame;
use crate::connection::Outgoing;

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

/// Whether a frame the connection sends is numbered and buffered.
fn is_trackable(protocol: Protocol, frame: &Frame) -> bool {
    let mut trackable = false;
    let _ = decode_frames(protocol, frame.as_bytes(), None, |m| {
        trackable = !matches!(
            m,
            Err(_)
                | Ok(HubMessage::Ping
                    | HubMessage::Close(_)
                    | HubMessage::Ack { .. }
                    | HubMessage::Sequence { .. })
        );
    });
    trackable
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
    mut rx: mpsc::Receiver<Frame>,
    mut sinks: mpsc::Receiver<NextSink>,
    lost: watch::Sender<u64>,
    abort: CancellationToken,
    keep_alive: Option<Duration>,
    protocol: Protocol,
    close_frame: std::sync::Arc<Mutex<Option<Frame>>>,
    shared: std::sync::Arc<Shared>,
) {
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
                if is_trackable(protocol, &f) {
                    shared.track(f.clone());
                }
                out.push(f);
            }
            () = shared.freed.notified(), if full => {}
            () = sleep_until(ping_at), if sink.is_some() => out.extend(ping.clone()),
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
        for frame in out {
            let Some((generation, s)) = sink.as_mut() else {
                break;
            };
            let sent = tokio::select! {
                r = s.send(frame) => r.is_ok(),
                () = abort.cancelled() => false,
            };
            if sent {
                last_send = Instant::now();
            } else {
                // The transport is gone; the frame stays buffered (if trackable) for the
                // next one.
                let _ = lost.send(*generation);
                sink = None;
            }
        }
    }
    if let Some((_, sink)) = sink {
        crate::connection::flush_and_close(sink, rx, &close_frame).await;
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
