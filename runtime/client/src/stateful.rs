//! Stateful reconnect's bookkeeping, sans-io: the sequence ids of trackable messages in both
//! directions, the buffer of sent but unacknowledged messages, the duplicates to drop after
//! a reconnect, and when to acknowledge.
//!
//! Trackable messages are Invocation, StreamItem, Completion, StreamInvocation and
//! CancelInvocation; each direction numbers them from 1, across reconnects. After a new
//! WebSocket each side sends `Sequence` with the id of its first unacknowledged message and
//! sends the buffer again; the receiver drops everything until that `Sequence`, and then
//! every message it already processed. This follows the official clients' `MessageBuffer`.

use std::collections::VecDeque;

use bytes::Bytes;
use signalr_protocol::HubMessage;

use crate::error::ClientError;

/// What to do with a received message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Hand it to the engine.
    Process,
    /// Drop it (bookkeeping, a duplicate, or sent before the server's Sequence).
    Skip,
}

/// Both directions' sequence state of one stateful-reconnect connection.
#[derive(Debug)]
pub(crate) struct Stateful {
    /// The most bytes kept unacknowledged before sending waits.
    limit: usize,
    /// Sent trackable frames not yet acknowledged, by sequence id.
    sent: VecDeque<(u64, Bytes)>,
    bytes: usize,
    /// Trackable messages sent so far (the last sequence id used).
    total_sent: u64,
    /// The id the next trackable message received will have.
    next_receiving: u64,
    /// The highest id received and processed.
    latest_received: u64,
    /// The highest id acknowledged to the server.
    acked: u64,
    /// A duplicate of the latest message arrived: the server missed our Ack; send it again.
    ack_again: bool,
    /// After a reconnect, until the server's Sequence arrives.
    waiting_for_sequence: bool,
}

/// Whether a message is numbered by stateful reconnect.
pub(crate) fn is_trackable(msg: &HubMessage<'_>) -> bool {
    matches!(
        msg,
        HubMessage::Invocation(_)
            | HubMessage::StreamItem(_)
            | HubMessage::Completion(_)
            | HubMessage::StreamInvocation(_)
            | HubMessage::CancelInvocation(_)
    )
}

impl Stateful {
    /// Bookkeeping that keeps up to `limit` bytes unacknowledged.
    pub(crate) fn new(limit: usize) -> Self {
        Stateful {
            limit,
            sent: VecDeque::new(),
            bytes: 0,
            total_sent: 0,
            next_receiving: 1,
            latest_received: 0,
            acked: 0,
            ack_again: false,
            waiting_for_sequence: false,
        }
    }

    /// Whether the unacknowledged bytes reached the limit: sending waits for Acks.
    pub(crate) fn is_full(&self) -> bool {
        self.bytes >= self.limit
    }

    /// Numbers and keeps a trackable frame being sent.
    pub(crate) fn track(&mut self, frame: Bytes) {
        self.total_sent += 1;
        self.bytes += frame.len();
        self.sent.push_back((self.total_sent, frame));
    }

    /// The server processed every message up to `id`.
    fn acknowledged(&mut self, id: u64) {
        while self.sent.front().is_some_and(|(i, _)| *i <= id) {
            if let Some((_, frame)) = self.sent.pop_front() {
                self.bytes -= frame.len();
            }
        }
    }

    /// The transport dropped: after the next one, drop what arrives until the server's
    /// Sequence.
    pub(crate) fn disconnected(&mut self) {
        self.waiting_for_sequence = true;
        self.ack_again = false;
    }

    /// What to send first on a new transport: the Sequence id (the first unacknowledged
    /// message, or the next id when none is), then the unacknowledged frames in order.
    pub(crate) fn resend(&self) -> (u64, Vec<Bytes>) {
        let first = self.sent.front().map_or(self.total_sent + 1, |(id, _)| *id);
        (first, self.sent.iter().map(|(_, f)| f.clone()).collect())
    }

    /// Accounts for a received message.
    pub(crate) fn receive(&mut self, msg: &HubMessage<'_>) -> Result<Admit, ClientError> {
        if self.waiting_for_sequence {
            let HubMessage::Sequence { sequence_id } = msg else {
                return Ok(Admit::Skip);
            };
            self.waiting_for_sequence = false;
            return self.reset(*sequence_id);
        }
        match msg {
            HubMessage::Ack { sequence_id } => {
                self.acknowledged(*sequence_id);
                Ok(Admit::Skip)
            }
            HubMessage::Sequence { sequence_id } => self.reset(*sequence_id),
            m if is_trackable(m) => {
                let id = self.next_receiving;
                self.next_receiving += 1;
                if id <= self.latest_received {
                    if id == self.latest_received {
                        self.ack_again = true;
                    }
                    return Ok(Admit::Skip);
                }
                self.latest_received = id;
                Ok(Admit::Process)
            }
            _ => Ok(Admit::Process),
        }
    }

    fn reset(&mut self, sequence_id: u64) -> Result<Admit, ClientError> {
        if sequence_id > self.next_receiving {
            return Err(ClientError::SequenceAhead);
        }
        self.next_receiving = sequence_id;
        Ok(Admit::Skip)
    }

    /// The id to acknowledge now, if anything is unacknowledged.
    pub(crate) fn ack_due(&self) -> Option<u64> {
        (self.latest_received > self.acked || (self.ack_again && self.latest_received > 0))
            .then_some(self.latest_received)
    }

    /// An Ack for `id` was sent.
    pub(crate) fn acked(&mut self, id: u64) {
        self.acked = self.acked.max(id);
        self.ack_again = false;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use signalr_protocol::{CancelInvocation, Headers};

    fn trackable() -> HubMessage<'static> {
        HubMessage::CancelInvocation(CancelInvocation {
            headers: Headers::new(),
            invocation_id: "1".into(),
        })
    }

    #[test]
    fn sent_messages_are_kept_until_acknowledged() {
        let mut s = Stateful::new(10);
        assert_eq!(s.resend(), (1, vec![]));
        for f in ["aaaa", "bbbb", "cccc"] {
            s.track(Bytes::from(f));
        }
        assert!(s.is_full());
        let (first, frames) = s.resend();
        assert_eq!((first, frames.len()), (1, 3));
        s.receive(&HubMessage::Ack { sequence_id: 2 }).unwrap();
        assert!(!s.is_full());
        assert_eq!(s.resend(), (3, vec![Bytes::from("cccc")]));
        s.receive(&HubMessage::Ack { sequence_id: 3 }).unwrap();
        assert_eq!(s.resend(), (4, vec![]));
    }

    #[test]
    fn duplicates_after_a_reconnect_are_dropped() {
        let mut s = Stateful::new(100);
        for _ in 0..3 {
            assert_eq!(s.receive(&trackable()).unwrap(), Admit::Process);
        }
        assert_eq!(s.receive(&HubMessage::Ping).unwrap(), Admit::Process);
        assert_eq!(s.ack_due(), Some(3));
        s.acked(2);
        assert_eq!(s.ack_due(), Some(3));
        s.acked(3);
        assert_eq!(s.ack_due(), None);
        s.disconnected();
        // Until the server's Sequence, everything is dropped.
        assert_eq!(s.receive(&trackable()).unwrap(), Admit::Skip);
        assert_eq!(s.receive(&HubMessage::Ping).unwrap(), Admit::Skip);
        // The server resends from 2: ids 2 and 3 are duplicates, 4 is new.
        assert_eq!(
            s.receive(&HubMessage::Sequence { sequence_id: 2 }).unwrap(),
            Admit::Skip
        );
        assert_eq!(s.receive(&trackable()).unwrap(), Admit::Skip);
        assert_eq!(s.ack_due(), None);
        assert_eq!(s.receive(&trackable()).unwrap(), Admit::Skip);
        // A duplicate of the latest message: the server lost our Ack.
        assert_eq!(s.ack_due(), Some(3));
        assert_eq!(s.receive(&trackable()).unwrap(), Admit::Process);
        assert_eq!(s.ack_due(), Some(4));
    }

    #[test]
    fn a_sequence_beyond_what_was_received_is_an_error() {
        let mut s = Stateful::new(100);
        s.receive(&trackable()).unwrap();
        s.disconnected();
        assert!(matches!(
            s.receive(&HubMessage::Sequence { sequence_id: 5 }),
            Err(ClientError::SequenceAhead)
        ));
        let mut s = Stateful::new(100);
        s.receive(&trackable()).unwrap();
        // The next id (2) is fine: nothing was missed.
        assert_eq!(
            s.receive(&HubMessage::Sequence { sequence_id: 2 }).unwrap(),
            Admit::Skip
        );
    }
}
