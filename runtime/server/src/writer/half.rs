//! The write half of a connection without stateful reconnect, written by the connection's
//! own task: there is no second task per connection.
//!
//! The connection's task writes when it has nothing else to do: its own replies (queued
//! without a wake), frames other tasks queued (broadcasts, calls from elsewhere; they wake
//! it), and the keep-alive Ping. A write the transport cannot take at once stays pending,
//! with the task registered to be woken when the transport has room, while the task goes on
//! reading; a write pending past the send timeout ends the connection. The connection's
//! loop owns it; its end takes the transport back to flush and close.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use std::future::Future;
use tokio::time::{Instant, Sleep};

use crate::clients::registry::{Connection, OutboxReceiver};
use crate::frame::Frame;
use crate::transport::Outgoing;

/// The most bytes written between two flushes.
pub(crate) const BATCH_BYTES: usize = 64 << 10;

/// Why writing stopped for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteError {
    /// The transport failed.
    Failed,
    /// A write stayed pending past the send timeout: the client is not reading.
    Timeout,
}

/// The write half of one connection.
pub(crate) struct WriteHalf {
    /// `None` once the transport failed or the connection's end took it.
    io: Option<(Outgoing, OutboxReceiver)>,
    held: Option<Frame>,
    ping: Option<Frame>,
    ping_due: bool,
    /// Set while a write is pending: when it must have finished (armed only then).
    deadline: Option<Pin<Box<Sleep>>>,
    last_send: Instant,
    send_timeout: Duration,
    keep_alive: Option<Duration>,
}

/// What the connection's end takes back to flush and close.
pub(crate) struct Parts {
    pub(crate) sink: Outgoing,
    pub(crate) rx: OutboxReceiver,
    /// A frame taken from the queue that the transport had no room for yet.
    pub(crate) held: Option<Frame>,
}

impl WriteHalf {
    pub(crate) fn new(
        sink: Outgoing,
        rx: OutboxReceiver,
        ping: Option<Frame>,
        keep_alive: Option<Duration>,
        send_timeout: Duration,
    ) -> Self {
        WriteHalf {
            io: Some((sink, rx)),
            held: None,
            ping,
            ping_due: false,
            deadline: None,
            last_send: Instant::now(),
            send_timeout,
            keep_alive,
        }
    }

    /// How long the connection may stay silent before a Ping goes out (none: never).
    pub(crate) fn keep_alive(&self) -> Option<Duration> {
        self.keep_alive
    }

    /// Writes what there is to write: `Ready(Ok)` once it is all written and flushed,
    /// `Pending` while there is nothing to write or the transport has no room (then the task
    /// is woken when it has), `Ready(Err)` when writing is over for good.
    pub(crate) fn poll_write(
        &mut self,
        conn: &Connection,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), WriteError>> {
        let Some((_, rx)) = self.io.as_ref() else {
            return Poll::Pending;
        };
        if self.deadline.is_none() && self.held.is_none() && !self.ping_due && !rx.has_frames() {
            return Poll::Pending;
        }
        match self.drive(conn, cx) {
            Poll::Ready(r) => {
                self.deadline = None;
                Poll::Ready(r.map_err(|()| WriteError::Failed))
            }
            Poll::Pending => {
                let timeout = self.send_timeout;
                let deadline = self
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                if deadline.as_mut().poll(cx).is_ready() {
                    // What is stuck in the transport is given up with it.
                    self.io = None;
                    return Poll::Ready(Err(WriteError::Timeout));
                }
                Poll::Pending
            }
        }
    }

    /// When a frame last went out.
    pub(crate) fn last_send(&self) -> Instant {
        self.last_send
    }

    /// Makes the next write send a Ping first.
    pub(crate) fn ping(&mut self) {
        self.ping_due = true;
    }

    /// Takes the transport and the queue back, for the connection's end: `None` when the
    /// transport failed, a write timed out, or a write is still pending (the client is not
    /// reading: the end does not wait for it, and the transport is dropped).
    pub(crate) fn take(&mut self) -> Option<Parts> {
        if self.deadline.is_some() {
            self.io = None;
            return None;
        }
        let held = self.held.take();
        let (sink, rx) = self.io.take()?;
        Some(Parts { sink, rx, held })
    }

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
