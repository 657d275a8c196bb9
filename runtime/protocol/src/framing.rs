//! Incremental framing: bytes arrive in arbitrary chunks, whole frames come out.
//!
//! The size limit is enforced before anything beyond it is buffered: a JSON frame that has
//! not ended within the limit, or a MessagePack length prefix that announces more than the
//! limit, is an error at once, so a peer cannot make the receiver allocate more than the
//! limit (plus one chunk that is never copied).

use crate::error::ProtocolError;
use crate::json::RECORD_SEPARATOR;
use crate::msgpack;
use crate::protocol::Protocol;

/// ASP.NET Core's default maximum size of one incoming message: 32 KiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 32 * 1024;

/// The largest frame the MessagePack length prefix can describe (2 GB).
const MAX_VARINT_LENGTH: usize = 0x7fff_ffff;

/// Splits a byte stream into frames of one protocol.
///
/// The size limit counts a frame's framing bytes too (its `0x1E`, or its length prefix), as
/// ASP.NET Core does.
#[derive(Debug, Clone)]
pub struct FrameReader {
    protocol: Protocol,
    max: Option<usize>,
    buf: Vec<u8>,
}

impl FrameReader {
    /// A reader for `protocol` that accepts frames of at most `max_message_size` bytes
    /// (`None`: unlimited).
    pub fn new(protocol: Protocol, max_message_size: Option<usize>) -> Self {
        FrameReader {
            protocol,
            max: max_message_size,
            buf: Vec::new(),
        }
    }

    /// The protocol whose framing this reader splits.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Bytes of an unfinished frame held back for the next chunk.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Call when the byte stream ended: fails if an unfinished frame is buffered.
    pub fn finish(&self) -> Result<(), ProtocolError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(ProtocolError::IncompleteFrame {
                buffered: self.buf.len(),
            })
        }
    }

    /// Feeds one chunk; calls `on_frame` with every frame it completes, in order (JSON frames
    /// without their `0x1E`, MessagePack frames without their length prefix).
    ///
    /// On a framing error nothing more is delivered and the reader should be discarded; an
    /// error returned by `on_frame` stops the feed and is passed through.
    pub fn push<E>(
        &mut self,
        chunk: &[u8],
        mut on_frame: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<ProtocolError>,
    {
        let mut rest = chunk;
        if !self.buf.is_empty() {
            // Complete the frame that started in an earlier chunk.
            let Some(used) = self.complete_buffered(rest)? else {
                return Ok(());
            };
            rest = &rest[used..];
            let frame = std::mem::take(&mut self.buf);
            let res = on_frame(self.frame_body(&frame));
            self.buf = frame;
            self.buf.clear();
            res?;
        }
        // Frames wholly inside the chunk are delivered without copying.
        while let Some((body, used)) = self.next_in(rest)? {
            on_frame(body)?;
            rest = &rest[used..];
        }
        if !rest.is_empty() {
            self.check_partial(rest)?;
            self.buf.extend_from_slice(rest);
        }
        Ok(())
    }

    /// The body of a complete buffered frame.
    fn frame_body<'f>(&self, frame: &'f [u8]) -> &'f [u8] {
        match self.protocol {
            Protocol::Json => &frame[..frame.len() - 1],
            Protocol::MessagePack => match msgpack::read_length_prefix(frame) {
                Ok(Some((_, n))) => &frame[n..],
                _ => &[],
            },
        }
    }

    fn too_large(&self, size: usize) -> Result<(), ProtocolError> {
        match self.max {
            Some(limit) if size > limit => Err(ProtocolError::MessageTooLarge { limit }),
            _ => Ok(()),
        }
    }

    /// The first complete frame at the start of `b`: its body and the bytes it spans.
    fn next_in<'b>(&self, b: &'b [u8]) -> Result<Option<(&'b [u8], usize)>, ProtocolError> {
        if b.is_empty() {
            return Ok(None);
        }
        match self.protocol {
            Protocol::Json => {
                let window = match self.max {
                    Some(limit) => &b[..b.len().min(limit)],
                    None => b,
                };
                match memchr::memchr(RECORD_SEPARATOR, window) {
                    Some(i) => Ok(Some((&b[..i], i + 1))),
                    None => {
                        // No separator within the limit: more data cannot help.
                        if window.len() < b.len() {
                            self.too_large(b.len())?;
                        }
                        Ok(None)
                    }
                }
            }
            Protocol::MessagePack => match msgpack::read_length_prefix(b)? {
                Some((len, n)) => {
                    if len > MAX_VARINT_LENGTH {
                        return Err(ProtocolError::LengthPrefixTooLarge);
                    }
                    self.too_large(n + len)?;
                    if b.len() - n >= len {
                        Ok(Some((&b[n..n + len], n + len)))
                    } else {
                        Ok(None)
                    }
                }
                None => Ok(None),
            },
        }
    }

    /// Checks an incomplete frame before it is buffered.
    fn check_partial(&self, partial: &[u8]) -> Result<(), ProtocolError> {
        match self.protocol {
            // A JSON frame needs its separator too, so `limit` bytes without one cannot fit.
            Protocol::Json => self.too_large(partial.len() + 1),
            // next_in already checked the declared length against the limit.
            Protocol::MessagePack => Ok(()),
        }
    }

    /// Appends from `rest` to the buffered partial frame; `Some(used)` once the frame is whole.
    fn complete_buffered(&mut self, rest: &[u8]) -> Result<Option<usize>, ProtocolError> {
        match self.protocol {
            Protocol::Json => match memchr::memchr(RECORD_SEPARATOR, rest) {
                Some(i) => {
                    self.too_large(self.buf.len() + i + 1)?;
                    self.buf.extend_from_slice(&rest[..=i]);
                    Ok(Some(i + 1))
                }
                None => {
                    self.too_large(self.buf.len() + rest.len() + 1)?;
                    self.buf.extend_from_slice(rest);
                    Ok(None)
                }
            },
            Protocol::MessagePack => {
                let mut used = 0;
                // Finish the length prefix one byte at a time (it is at most five bytes).
                let (len, n) = loop {
                    if let Some(found) = msgpack::read_length_prefix(&self.buf)? {
                        break found;
                    }
                    match rest.get(used) {
                        Some(&byte) => {
                            self.buf.push(byte);
                            used += 1;
                        }
                        None => return Ok(None),
                    }
                };
                if len > MAX_VARINT_LENGTH {
                    return Err(ProtocolError::LengthPrefixTooLarge);
                }
                self.too_large(n + len)?;
                let need = n + len - self.buf.len();
                let take = need.min(rest.len() - used);
                self.buf.extend_from_slice(&rest[used..used + take]);
                used += take;
                Ok((take == need).then_some(used))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(
        protocol: Protocol,
        max: Option<usize>,
        chunks: &[&[u8]],
    ) -> Result<Vec<Vec<u8>>, ProtocolError> {
        let mut r = FrameReader::new(protocol, max);
        let mut out = Vec::new();
        for c in chunks {
            r.push(c, |f| {
                out.push(f.to_vec());
                Ok::<_, ProtocolError>(())
            })?;
        }
        r.finish()?;
        Ok(out)
    }

    #[test]
    fn spec_binary_framing_example() {
        let stream = [
            0x0B, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0x0A, 0x77, 0x6F, 0x72, 0x6C, 0x64, 0x02, 0x01,
            0x02,
        ];
        // The specification calls the first frame "Hello\nWorld", but its bytes spell it in lower case.
        let want = vec![b"hello\nworld".to_vec(), vec![0x01, 0x02]];
        assert_eq!(
            frames(Protocol::MessagePack, None, &[&stream]).unwrap(),
            want
        );
        for split in 0..stream.len() {
            let (a, b) = stream.split_at(split);
            assert_eq!(frames(Protocol::MessagePack, None, &[a, b]).unwrap(), want);
        }
    }

    #[test]
    fn spec_varint_examples() {
        assert_eq!(
            msgpack::read_length_prefix(&[0x35]).unwrap(),
            Some((0x35, 1))
        );
        assert_eq!(
            msgpack::read_length_prefix(&[0x80, 0x29]).unwrap(),
            Some((0x1480, 2))
        );
        assert_eq!(
            msgpack::read_length_prefix(&[0xff, 0xff, 0xff, 0xff, 0x07]).unwrap(),
            Some((0x7fff_ffff, 5))
        );
        assert_eq!(
            msgpack::read_length_prefix(&[0xff, 0xff, 0xff, 0xff, 0x08]),
            Err(ProtocolError::LengthPrefixTooLarge)
        );
        assert_eq!(msgpack::read_length_prefix(&[0x80, 0x80]).unwrap(), None);
    }

    #[test]
    fn huge_length_prefix_is_rejected_before_buffering() {
        let mut r = FrameReader::new(Protocol::MessagePack, Some(DEFAULT_MAX_MESSAGE_SIZE));
        let res = r.push(&[0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3], |_| {
            Ok::<_, ProtocolError>(())
        });
        assert_eq!(
            res,
            Err(ProtocolError::MessageTooLarge {
                limit: DEFAULT_MAX_MESSAGE_SIZE
            })
        );
        assert!(r.buffered() <= 8);
        // Byte by byte, the error comes as soon as the prefix is complete.
        let mut r = FrameReader::new(Protocol::MessagePack, Some(100));
        let mut err = None;
        for (i, b) in [0xffu8, 0xff, 0xff, 0xff, 0x07].iter().enumerate() {
            if let Err(e) = r.push(&[*b], |_| Ok::<_, ProtocolError>(())) {
                err = Some((i, e));
                break;
            }
        }
        assert_eq!(
            err,
            Some((4, ProtocolError::MessageTooLarge { limit: 100 }))
        );
    }

    #[test]
    fn json_limit_counts_the_separator() {
        let ok = [&b"abc\x1e"[..]];
        assert_eq!(
            frames(Protocol::Json, Some(4), &ok).unwrap(),
            vec![b"abc".to_vec()]
        );
        assert!(frames(Protocol::Json, Some(3), &ok).is_err());
        // Split across chunks too.
        assert_eq!(
            frames(Protocol::Json, Some(4), &[b"ab", b"c\x1e"]).unwrap(),
            vec![b"abc".to_vec()]
        );
        assert!(frames(Protocol::Json, Some(3), &[b"ab", b"c\x1e"]).is_err());
        // A frame that never ends is refused once it reaches the limit, before buffering more.
        let mut r = FrameReader::new(Protocol::Json, Some(10));
        let mut fed = 0;
        let err = loop {
            match r.push(b"xx", |_| Ok::<_, ProtocolError>(())) {
                Ok(()) => fed += 2,
                Err(e) => break e,
            }
            assert!(fed < 100);
        };
        assert_eq!(err, ProtocolError::MessageTooLarge { limit: 10 });
        assert!(r.buffered() < 10);
    }

    #[test]
    fn unfinished_frame_is_reported() {
        assert_eq!(
            frames(Protocol::Json, None, &[b"{\x1e{"]),
            Err(ProtocolError::IncompleteFrame { buffered: 1 })
        );
    }

    #[test]
    fn empty_frames_are_frames() {
        assert_eq!(
            frames(Protocol::Json, None, &[b"\x1e\x1e"]).unwrap(),
            vec![Vec::<u8>::new(), Vec::new()]
        );
        assert_eq!(
            frames(Protocol::MessagePack, None, &[&[0, 0]])
                .unwrap()
                .len(),
            2
        );
    }
}
