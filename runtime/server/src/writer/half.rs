//! The write half of a connection without stateful reconnect, shared by the connection's
//! own task and its writer task.
//!
//! The connection's task writes the frames it queued itself (its replies) when it has
//! nothing else to do, as far as the transport takes them at once: a reply then costs no
//! wake of another task. A write the transport cannot finish at once is handed to the
//! writer task, which owns the transport until that write is done; frames queued by other
//! tasks (broadcasts, calls from elsewhere) and the keep-alive Ping are the writer task's
//! too. A lock keeps the two from writing at the same time, and is never held across an
//! await.

use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::time::Instant;

use crate::clients::registry::{Connection, OutboxReceiver};
use crate::frame::Frame;
use crate::transport::Outgoing;

/// The most bytes written between two flushes.
pub(crate) const BATCH_BYTES: usize = 64 << 10;

/// The shared write half of one connection.
pub(crate) struct WriteHalf {
    state: Mutex<State>,
}

/// What the connection's end takes back to flush and close.
pub(crate) struct Parts {
    pub(crate) sink: Outgoing,
    pub(crate) rx: OutboxReceiver,
    /// A frame taken from the queue that the transport had no room for yet.
    pub(crate) held: Option<Frame>,
}

struct State {
    /// `None` once the transport failed or the connection's end took it.
    io: Option<(Outgoing, OutboxReceiver)>,
    held: Option<Frame>,
    ping: Option<Frame>,
    ping_due: bool,
    /// The writer task is finishing a write the transport could not take at once.
    writer_owns: bool,
    last_send: Instant,
}

impl WriteHalf {
    pub(crate) fn new(sink: Outgoing, rx: OutboxReceiver, ping: Option<Frame>) -> Self {
        WriteHalf {
            state: Mutex::new(State {
                io: Some((sink, rx)),
                held: None,
                ping,
                ping_due: false,
                writer_owns: false,
                last_send: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> Option<MutexGuard<'_, State>> {
        self.state.lock().ok()
    }

    /// Whether the connection's task has frames to write: some are queued and the writer
    /// task does not own the transport.
    pub(crate) fn has_own_work(&self) -> bool {
        self.lock()
            .is_some_and(|s| !s.writer_owns && s.io.as_ref().is_some_and(|(_, rx)| rx.has_frames()))
    }

    /// Writes what is queued from the connection's own task, as far as the transport takes
    /// it at once; the rest is handed to the writer task. `false` when the transport failed.
    pub(crate) fn write_own(&self, conn: &Connection) -> bool {
        let Some(mut state) = self.lock() else {
            return false;
        };
        if state.writer_owns {
            return true;
        }
        let mut cx = Context::from_waker(Waker::noop());
        match state.drive(conn, &mut cx) {
            Poll::Ready(r) => r.is_ok(),
            Poll::Pending => {
                state.writer_owns = true;
                drop(state);
                conn.outbox.wake_writer();
                true
            }
        }
    }

    /// The writer task's write: everything queued, then a flush. `Pending` registers the
    /// writer task with the transport and keeps the transport its own until done.
    pub(crate) fn poll_write(
        &self,
        conn: &Connection,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        let Some(mut state) = self.lock() else {
            return Poll::Ready(Err(()));
        };
        let r = state.drive(conn, cx);
        state.writer_owns = r.is_pending();
        r
    }

    /// When a frame last went out.
    pub(crate) fn last_send(&self) -> Instant {
        self.lock().map_or_else(Instant::now, |s| s.last_send)
    }

    /// Makes the next write send a Ping first.
    pub(crate) fn ping(&self) {
        if let Some(mut state) = self.lock() {
            state.ping_due = true;
        }
    }

    /// Takes the transport and the queue back, for the connection's end.
    pub(crate) fn take(&self) -> Option<Parts> {
        let mut state = self.lock()?;
        let held = state.held.take();
        let (sink, rx) = state.io.take()?;
        Some(Parts { sink, rx, held })
    }
}

impl State {
    /// Feeds the held frame, the Ping if due and the queued frames to the transport (a
    /// flush after every batch), then flushes.
    fn drive(&mut self, conn: &Connection, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let Some((sink, rx)) = self.io.as_mut() else {
            return Poll::Ready(Err(()));
        };
        let mut wrote = false;
        let mut unflushed = 0usize;
        let result = loop {
            if self.held.is_none() {
                self.held = if std::mem::take(&mut self.ping_due) {
                    self.ping.clone()
                } else {
                    rx.try_recv().inspect(|f| conn.outbox.taken(f))
                };
            }
            let Some(len) = self.held.as_ref().map(Frame::len) else {
                break sink.as_mut().poll_flush(cx);
            };
            match sink.as_mut().poll_ready(cx) {
                Poll::Ready(Ok(())) => {}
                other => break other,
            }
            if let Some(frame) = self.held.take()
                && sink.as_mut().start_send(frame).is_err()
            {
                break Poll::Ready(Err(()));
            }
            wrote = true;
            unflushed += len;
            if unflushed >= BATCH_BYTES {
                match sink.as_mut().poll_flush(cx) {
                    Poll::Ready(Ok(())) => unflushed = 0,
                    other => break other,
                }
            }
        };
        if wrote {
            self.last_send = Instant::now();
        }
        if let Poll::Ready(Err(())) = result {
            self.io = None;
        }
        result
    }
}
