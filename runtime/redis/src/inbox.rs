//! What arrives on a Redis connection: messages on subscribed channels, minus this server's
//! own publishes coming back.
//!
//! A server that delivers to its own connections directly (without waiting for Redis) must
//! not deliver again when Redis echoes its publish back on a channel it is subscribed to.
//! Publishing and subscribing share one RESP3 connection, so Redis handles them in the order
//! they were sent and the echo of each publish arrives in publish order, before the publish's
//! reply. The link therefore records, per connection, the publishes it expects back (those
//! sent while subscribed to their channel); an arriving message equal to the oldest expected
//! one is that echo and is dropped. A message from another server with the very same channel
//! and bytes may be taken for the echo instead, which delivers the same bytes the same number
//! of times.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use redis::aio::{AsyncPushSender, SendError};
use redis::{PushInfo, PushKind, Value};
use tokio::sync::{Notify, mpsc};

/// A message that arrived on a subscribed channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inbound {
    /// The channel, as Redis names it.
    pub(crate) channel: Bytes,
    /// The message's bytes.
    pub(crate) payload: Bytes,
}

/// A publish whose echo is expected on the connection it was sent on.
#[derive(Debug)]
pub(crate) struct Expected {
    pub(crate) seq: u64,
    pub(crate) channel: Bytes,
    pub(crate) payload: Bytes,
}

/// The echoes one connection still expects, oldest first.
pub(crate) type Echoes = Arc<Mutex<VecDeque<Expected>>>;

/// The receiving end: messages in arrival order, across reconnections.
#[derive(Debug)]
pub(crate) struct Inbox {
    rx: mpsc::UnboundedReceiver<Inbound>,
    depth: Arc<AtomicUsize>,
}

impl Inbox {
    /// The next message; `None` once the link has stopped.
    pub(crate) async fn recv(&mut self) -> Option<Inbound> {
        let m = self.rx.recv().await?;
        self.depth.fetch_sub(1, Ordering::Relaxed);
        Some(m)
    }
}

/// Where every connection of a link puts what it receives.
#[derive(Debug, Clone)]
pub(crate) struct Mailbox {
    tx: mpsc::UnboundedSender<Inbound>,
    depth: Arc<AtomicUsize>,
    capacity: usize,
    /// Messages dropped because the inbox was full.
    pub(crate) overflowed: Arc<AtomicU64>,
}

/// A mailbox and its inbox, holding at most `capacity` undelivered messages.
pub(crate) fn mailbox(capacity: usize) -> (Mailbox, Inbox) {
    let (tx, rx) = mpsc::unbounded_channel();
    let depth = Arc::new(AtomicUsize::new(0));
    (
        Mailbox {
            tx,
            depth: depth.clone(),
            capacity: capacity.max(1),
            overflowed: Arc::default(),
        },
        Inbox { rx, depth },
    )
}

impl Mailbox {
    fn put(&self, m: Inbound) {
        if self.depth.fetch_add(1, Ordering::Relaxed) >= self.capacity {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            let n = self.overflowed.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                tracing::warn!(
                    capacity = self.capacity,
                    "messages from Redis arrive faster than they are delivered: {n} dropped so far"
                );
            }
            return;
        }
        if self.tx.send(m).is_err() {
            self.depth.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// The push handler of one Redis connection (called on the client's reader task, so it
/// never waits).
pub(crate) struct PushSink {
    pub(crate) echoes: Echoes,
    pub(crate) mailbox: Mailbox,
    /// Fires when the connection is gone.
    pub(crate) closed: Arc<Notify>,
}

impl AsyncPushSender for PushSink {
    fn send(&self, info: PushInfo) -> Result<(), SendError> {
        match info.kind {
            PushKind::Message => {
                let mut data = info.data.into_iter();
                let (Some(Value::BulkString(channel)), Some(Value::BulkString(payload))) =
                    (data.next(), data.next())
                else {
                    return Ok(());
                };
                if let Ok(mut echoes) = self.echoes.lock()
                    && echoes
                        .front()
                        .is_some_and(|e| e.channel == channel && e.payload == payload)
                {
                    echoes.pop_front();
                    return Ok(());
                }
                self.mailbox.put(Inbound {
                    channel: Bytes::from(channel),
                    payload: Bytes::from(payload),
                });
            }
            PushKind::Disconnection => self.closed.notify_one(),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel: &str, payload: &str) -> PushInfo {
        PushInfo {
            kind: PushKind::Message,
            data: vec![
                Value::BulkString(channel.as_bytes().to_vec()),
                Value::BulkString(payload.as_bytes().to_vec()),
            ],
        }
    }

    fn expect(echoes: &Echoes, seq: u64, channel: &'static str, payload: &'static str) {
        if let Ok(mut e) = echoes.lock() {
            e.push_back(Expected {
                seq,
                channel: Bytes::from_static(channel.as_bytes()),
                payload: Bytes::from_static(payload.as_bytes()),
            });
        }
    }

    #[tokio::test]
    async fn echoes_are_dropped_in_order_and_everything_else_delivered() {
        let (mailbox, mut inbox) = mailbox(16);
        let sink = PushSink {
            echoes: Echoes::default(),
            mailbox,
            closed: Arc::default(),
        };
        expect(&sink.echoes, 1, "a", "one");
        expect(&sink.echoes, 2, "a", "two");
        for (c, p) in [
            ("a", "x"),
            ("a", "one"),
            ("b", "two"),
            ("a", "two"),
            ("a", "two"),
        ] {
            assert!(sink.send(message(c, p)).is_ok());
        }
        let mut got = Vec::new();
        for _ in 0..3 {
            if let Some(m) = inbox.recv().await {
                got.push((m.channel, m.payload));
            }
        }
        let b = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(
            got,
            [(b("a"), b("x")), (b("b"), b("two")), (b("a"), b("two"))]
        );
        assert!(sink.echoes.lock().is_ok_and(|e| e.is_empty()));
    }

    #[tokio::test]
    async fn a_full_inbox_drops_and_counts() {
        let (mailbox, mut inbox) = mailbox(2);
        let sink = PushSink {
            echoes: Echoes::default(),
            mailbox: mailbox.clone(),
            closed: Arc::default(),
        };
        for i in 0..5 {
            assert!(sink.send(message("c", &i.to_string())).is_ok());
        }
        assert_eq!(mailbox.overflowed.load(Ordering::Relaxed), 3);
        assert_eq!(
            inbox.recv().await.map(|m| m.payload),
            Some(Bytes::from("0"))
        );
        assert_eq!(
            inbox.recv().await.map(|m| m.payload),
            Some(Bytes::from("1"))
        );
        assert!(sink.send(message("c", "5")).is_ok());
        assert_eq!(
            inbox.recv().await.map(|m| m.payload),
            Some(Bytes::from("5"))
        );
    }
}
