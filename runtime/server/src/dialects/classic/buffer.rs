//! A connection's messages, numbered, kept for a reconnecting client to resume from, and
//! the cursors (`C`) that name a position in them.
//!
//! A cursor is `d-{EPOCH}-A,{NEXT}`: the buffer's random epoch (a buffer of another server,
//! or of an earlier life of the connection, has another) and, in upper-case hexadecimal,
//! the number of the first message the client has not received. A cursor of another epoch
//! resumes at the current end (what was sent meanwhile is lost, as with the classic server
//! after a restart); a cursor that does not parse is refused with `Invalid cursor.`.
//!
//! The buffer is bounded in messages and bytes; past either bound the oldest messages are
//! dropped, so a client that stops reading cannot grow the server's memory.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use tokio::sync::Notify;

/// The text the classic server refuses a malformed cursor with.
pub(super) const INVALID_CURSOR: &str = "Invalid cursor.";

/// Where a client is in its connection's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cursor {
    /// Resume after what the client received: the number of the next message.
    At(u64),
    /// The cursor belongs to another buffer: start at the current end.
    Foreign,
}

struct Inner {
    /// The number the next message gets.
    next: u64,
    entries: VecDeque<(u64, Bytes)>,
    bytes: usize,
    closed: bool,
}

/// The numbered messages of one connection.
pub(super) struct MessageBuffer {
    epoch: u32,
    max_messages: usize,
    max_bytes: usize,
    inner: Mutex<Inner>,
    /// Signalled when a message is added or the buffer is closed.
    pub(super) changed: Notify,
}

impl std::fmt::Debug for MessageBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageBuffer")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl MessageBuffer {
    pub(super) fn new(max_messages: usize, max_bytes: usize) -> Self {
        let epoch = u32::from_le_bytes(
            uuid::Uuid::new_v4().as_bytes()[..4]
                .try_into()
                .unwrap_or([0; 4]),
        );
        MessageBuffer {
            epoch,
            max_messages: max_messages.max(1),
            max_bytes: max_bytes.max(1),
            inner: Mutex::new(Inner {
                next: 0,
                entries: VecDeque::new(),
                bytes: 0,
                closed: false,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a message (one JSON value); returns its number.
    pub(super) fn push(&self, message: Bytes) -> u64 {
        let id = {
            let mut inner = self.lock();
            let id = inner.next;
            inner.next += 1;
            inner.bytes += message.len();
            inner.entries.push_back((id, message));
            while inner.entries.len() > self.max_messages
                || (inner.bytes > self.max_bytes && inner.entries.len() > 1)
            {
                if let Some((_, old)) = inner.entries.pop_front() {
                    inner.bytes -= old.len();
                }
            }
            id
        };
        self.changed.notify_waiters();
        id
    }

    /// Ends the buffer: waiters wake up and find it closed.
    pub(super) fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_waiters();
    }

    /// The number the next message will get (a cursor at the current end).
    pub(super) fn end(&self) -> u64 {
        self.lock().next
    }

    /// Where `cursor` resumes: its position, or the current end for a foreign one.
    pub(super) fn resolve(&self, cursor: Cursor) -> u64 {
        let inner = self.lock();
        match cursor {
            // A position past the end cannot be this buffer's: start at the end.
            Cursor::At(n) if n <= inner.next => n,
            _ => inner.next,
        }
    }

    /// Up to `max` messages from position `from` (messages dropped meanwhile are skipped),
    /// and the position after them.
    pub(super) fn read(&self, from: u64, max: usize) -> (Vec<Bytes>, u64) {
        let inner = self.lock();
        let first = inner.entries.front().map_or(inner.next, |(id, _)| *id);
        let start = from.max(first);
        let skip = usize::try_from(start - first).unwrap_or(usize::MAX);
        let out: Vec<Bytes> = inner
            .entries
            .iter()
            .skip(skip)
            .take(max)
            .map(|(_, m)| m.clone())
            .collect();
        let next = start + out.len() as u64;
        (out, next.min(inner.next))
    }

    /// Drops the messages before `position` (a long-polling client has them).
    pub(super) fn acknowledge(&self, position: u64) {
        let mut inner = self.lock();
        while inner.entries.front().is_some_and(|(id, _)| *id < position) {
            if let Some((_, old)) = inner.entries.pop_front() {
                inner.bytes -= old.len();
            }
        }
    }

    /// The cursor naming `position`.
    pub(super) fn cursor(&self, position: u64) -> String {
        format!("d-{:X}-A,{:X}", self.epoch, position)
    }

    /// Reads a cursor a client sent back.
    pub(super) fn parse_cursor(&self, text: &str) -> Result<Cursor, &'static str> {
        // A scale-out bus's cursor (`s-` + `stream,id|…`, no epoch) is never this buffer's.
        if let Some(pairs) = text.strip_prefix("s-") {
            parse_pairs(pairs)?;
            return Ok(Cursor::Foreign);
        }
        let rest = text.strip_prefix("d-").ok_or(INVALID_CURSOR)?;
        let (epoch, pairs) = rest.split_once('-').ok_or(INVALID_CURSOR)?;
        let epoch = u32::from_str_radix(epoch, 16).map_err(|_| INVALID_CURSOR)?;
        match parse_pairs(pairs)? {
            Some(p) if epoch == self.epoch => Ok(Cursor::At(p)),
            _ => Ok(Cursor::Foreign),
        }
    }
}

/// Reads `key,id|…` pairs (ids in hexadecimal); the id of key `A`, if any.
fn parse_pairs(pairs: &str) -> Result<Option<u64>, &'static str> {
    let mut position = None;
    for pair in pairs.split('|') {
        let (key, id) = pair.split_once(',').ok_or(INVALID_CURSOR)?;
        let id = u64::from_str_radix(id, 16).map_err(|_| INVALID_CURSOR)?;
        if key == "A" {
            position = Some(id);
        }
    }
    Ok(position)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn msg(n: u64) -> Bytes {
        Bytes::from(n.to_string())
    }

    #[test]
    fn cursors_resume_after_what_was_received() {
        let b = MessageBuffer::new(1000, 1 << 20);
        for n in 0..5 {
            b.push(msg(n));
        }
        let (got, next) = b.read(0, 3);
        assert_eq!((got, next), (vec![msg(0), msg(1), msg(2)], 3));
        let cursor = b.cursor(next);
        let at = b.resolve(b.parse_cursor(&cursor).unwrap());
        assert_eq!(b.read(at, 100), (vec![msg(3), msg(4)], 5));
        assert_eq!(b.read(5, 100), (vec![], 5));
    }

    #[test]
    fn foreign_and_bad_cursors() {
        let b = MessageBuffer::new(10, 1 << 20);
        b.push(msg(0));
        let other = MessageBuffer::new(10, 1 << 20);
        let foreign = other.cursor(0);
        assert_eq!(b.parse_cursor(&foreign).unwrap(), Cursor::Foreign);
        assert_eq!(b.resolve(Cursor::Foreign), 1);
        assert_eq!(b.resolve(Cursor::At(99)), 1);
        assert_eq!(b.parse_cursor("s-0,5").unwrap(), Cursor::Foreign);
        for bad in ["", "x", "d-", "d-ZZ-A,1", "d-1-A", "d-1-A,G"] {
            assert_eq!(b.parse_cursor(bad), Err(INVALID_CURSOR), "{bad}");
        }
    }

    #[test]
    fn the_oldest_messages_go_first() {
        let b = MessageBuffer::new(3, 1 << 20);
        for n in 0..5 {
            b.push(msg(n));
        }
        assert_eq!(b.read(0, 100), (vec![msg(2), msg(3), msg(4)], 5));
        let small = MessageBuffer::new(100, 2);
        small.push(msg(10));
        small.push(msg(11));
        assert_eq!(small.read(0, 100), (vec![msg(11)], 2));
        b.acknowledge(4);
        assert_eq!(b.read(0, 100), (vec![msg(4)], 5));
    }
}
