//! The MessagePack the backplane messages are made of, written as MessagePack-CSharp's
//! `MessagePackWriter` writes it (the most compact form of every integer, `str8` for strings
//! of 32 to 255 bytes, the `bin` family for bytes) and read as its `MessagePackReader` reads
//! it (any integer width, `bin` or `str` where bytes are expected).

use bytes::Bytes;

/// Why a backplane message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum WireError {
    /// The message ended inside a value.
    #[error("unexpected end of a backplane message")]
    Truncated,
    /// A value of another type than the layout expects.
    #[error("expected {expected} at byte {offset}, found 0x{found:02x}")]
    Unexpected {
        /// What the layout expects there.
        expected: &'static str,
        /// Where.
        offset: usize,
        /// The type byte found.
        found: u8,
    },
    /// A top-level array shorter than the layout (ASP.NET Core's text).
    #[error("Insufficient items in {0} array.")]
    InsufficientItems(&'static str),
    /// A string that is not UTF-8.
    #[error("a string at byte {0} is not UTF-8")]
    NotUtf8(usize),
    /// An integer outside the range of its field.
    #[error("an integer at byte {0} is out of range")]
    OutOfRange(usize),
}

/// Appends MessagePack values to a buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) out: Vec<u8>,
}

impl Writer {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Writer {
            out: Vec::with_capacity(n),
        }
    }

    fn header(&mut self, len: usize, fix: Option<u8>, forms: [u8; 3]) {
        match (fix, len) {
            (Some(fix), 0..=15) if fix != 0xa0 => self.out.push(fix | len as u8),
            (Some(0xa0), 0..=31) => self.out.push(0xa0 | len as u8),
            _ => self.sized(len, forms),
        }
    }

    /// `forms` = the 8-, 16- and 32-bit length markers (0 where a form does not exist).
    fn sized(&mut self, len: usize, [m8, m16, m32]: [u8; 3]) {
        if m8 != 0 && len <= 0xff {
            self.out.extend_from_slice(&[m8, len as u8]);
        } else if len <= 0xffff {
            self.out.push(m16);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            self.out.push(m32);
            // Backplane payloads are far below 4 GiB; larger lengths are clamped by Redis
            // (512 MB per value) long before.
            self.out
                .extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
        }
    }

    pub(crate) fn array(&mut self, len: usize) {
        self.header(len, Some(0x90), [0, 0xdc, 0xdd]);
    }

    pub(crate) fn map(&mut self, len: usize) {
        self.header(len, Some(0x80), [0, 0xde, 0xdf]);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.header(s.len(), Some(0xa0), [0xd9, 0xda, 0xdb]);
        self.out.extend_from_slice(s.as_bytes());
    }

    pub(crate) fn bin(&mut self, b: &[u8]) {
        self.sized(b.len(), [0xc4, 0xc5, 0xc6]);
        self.out.extend_from_slice(b);
    }

    /// An integer in its most compact form.
    pub(crate) fn int(&mut self, v: i64) {
        match v {
            0..=0x7f => self.out.push(v as u8),
            -32..=-1 => self.out.push(v as i8 as u8),
            0x80..=0xff => self.out.extend_from_slice(&[0xcc, v as u8]),
            0x100..=0xffff => {
                self.out.push(0xcd);
                self.out.extend_from_slice(&(v as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.out.push(0xce);
                self.out.extend_from_slice(&(v as u32).to_be_bytes());
            }
            -0x80..=-33 => self.out.extend_from_slice(&[0xd0, v as i8 as u8]),
            -0x8000..=-0x81 => {
                self.out.push(0xd1);
                self.out.extend_from_slice(&(v as i16).to_be_bytes());
            }
            -0x8000_0000..=-0x8001 => {
                self.out.push(0xd2);
                self.out.extend_from_slice(&(v as i32).to_be_bytes());
            }
            v if v > 0 => {
                self.out.push(0xcf);
                self.out.extend_from_slice(&(v as u64).to_be_bytes());
            }
            v => {
                self.out.push(0xd3);
                self.out.extend_from_slice(&v.to_be_bytes());
            }
        }
    }
}

/// Reads MessagePack values from one message, keeping byte strings as slices of it.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Where the next value starts.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(n).ok_or(WireError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(WireError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    fn be(&mut self, n: usize) -> Result<u64, WireError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn unexpected(&self, expected: &'static str, at: usize, found: u8) -> WireError {
        WireError::Unexpected {
            expected,
            offset: at,
            found,
        }
    }

    fn len_of(&mut self, marker: u8, m8: u8, m16: u8, m32: u8) -> Result<Option<usize>, WireError> {
        let n = if marker == m8 && m8 != 0 {
            self.be(1)?
        } else if marker == m16 {
            self.be(2)?
        } else if marker == m32 {
            self.be(4)?
        } else {
            return Ok(None);
        };
        Ok(Some(usize::try_from(n).map_err(|_| WireError::Truncated)?))
    }

    pub(crate) fn array(&mut self) -> Result<usize, WireError> {
        let at = self.pos;
        let m = self.byte()?;
        if m & 0xf0 == 0x90 {
            return Ok(usize::from(m & 0x0f));
        }
        self.len_of(m, 0, 0xdc, 0xdd)?
            .ok_or_else(|| self.unexpected("an array", at, m))
    }

    pub(crate) fn map(&mut self) -> Result<usize, WireError> {
        let at = self.pos;
        let m = self.byte()?;
        if m & 0xf0 == 0x80 {
            return Ok(usize::from(m & 0x0f));
        }
        self.len_of(m, 0, 0xde, 0xdf)?
            .ok_or_else(|| self.unexpected("a map", at, m))
    }

    /// The raw bytes of a `str` or `bin` value.
    fn raw_string(&mut self, expected: &'static str) -> Result<(usize, &'a [u8]), WireError> {
        let at = self.pos;
        let m = self.byte()?;
        let len = if m & 0xe0 == 0xa0 {
            usize::from(m & 0x1f)
        } else if let Some(n) = self.len_of(m, 0xd9, 0xda, 0xdb)? {
            n
        } else if let Some(n) = self.len_of(m, 0xc4, 0xc5, 0xc6)? {
            n
        } else {
            return Err(self.unexpected(expected, at, m));
        };
        Ok((at, self.take(len)?))
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, WireError> {
        let (at, raw) = self.raw_string("a string")?;
        std::str::from_utf8(raw).map_err(|_| WireError::NotUtf8(at))
    }

    /// A string, or `None` for `nil`.
    pub(crate) fn opt_str(&mut self) -> Result<Option<&'a str>, WireError> {
        if self.buf.get(self.pos) == Some(&0xc0) {
            self.pos += 1;
            return Ok(None);
        }
        self.str().map(Some)
    }

    /// Bytes (`bin`, or `str` as MessagePack-CSharp also accepts), sharing the message's buffer.
    pub(crate) fn bytes(&mut self) -> Result<Bytes, WireError> {
        let (_, raw) = self.raw_string("bytes")?;
        let end = self.pos;
        Ok(self.buf.slice(end - raw.len()..end))
    }

    /// An integer of any width.
    pub(crate) fn int(&mut self) -> Result<i64, WireError> {
        let at = self.pos;
        let m = self.byte()?;
        let v = match m {
            0x00..=0x7f => i64::from(m),
            0xe0..=0xff => i64::from(m as i8),
            0xcc => self.be(1)? as i64,
            0xcd => self.be(2)? as i64,
            0xce => self.be(4)? as i64,
            0xcf => i64::try_from(self.be(8)?).map_err(|_| WireError::OutOfRange(at))?,
            0xd0 => i64::from(self.be(1)? as u8 as i8),
            0xd1 => i64::from(self.be(2)? as u16 as i16),
            0xd2 => i64::from(self.be(4)? as u32 as i32),
            0xd3 => self.be(8)? as i64,
            _ => return Err(self.unexpected("an integer", at, m)),
        };
        Ok(v)
    }

    /// An integer that must fit an `i32` (ASP.NET Core's `ReadInt32`).
    pub(crate) fn int32(&mut self) -> Result<i32, WireError> {
        let at = self.pos;
        i32::try_from(self.int()?).map_err(|_| WireError::OutOfRange(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Writer)) -> Vec<u8> {
        let mut w = Writer::default();
        f(&mut w);
        w.out
    }

    #[test]
    fn integers_take_their_most_compact_form() {
        let cases: [(i64, &[u8]); 12] = [
            (0, &[0x00]),
            (42, &[0x2a]),
            (127, &[0x7f]),
            (180, &[0xcc, 0xb4]),
            (384, &[0xcd, 0x01, 0x80]),
            (70000, &[0xce, 0x00, 0x01, 0x11, 0x70]),
            (-1, &[0xff]),
            (-32, &[0xe0]),
            (-33, &[0xd0, 0xdf]),
            (-200, &[0xd1, 0xff, 0x38]),
            (-70000, &[0xd2, 0xff, 0xfe, 0xee, 0x90]),
            (i64::from(i32::MIN), &[0xd2, 0x80, 0x00, 0x00, 0x00]),
        ];
        for (v, bytes) in cases {
            assert_eq!(written(|w| w.int(v)), bytes, "{v}");
            let b = Bytes::copy_from_slice(bytes);
            assert_eq!(Reader::new(&b).int().ok(), Some(v), "{v}");
        }
    }

    #[test]
    fn strings_and_bytes_use_their_families() {
        assert_eq!(written(|w| w.str("G")), [0xa1, b'G']);
        let s37 = "a".repeat(37);
        assert_eq!(written(|w| w.str(&s37))[..2], [0xd9, 37]);
        let s300 = "a".repeat(300);
        assert_eq!(written(|w| w.str(&s300))[..3], [0xda, 0x01, 0x2c]);
        assert_eq!(written(|w| w.bin(&[1, 2])), [0xc4, 2, 1, 2]);
        assert_eq!(written(|w| w.bin(&[0; 300]))[..3], [0xc5, 0x01, 0x2c]);
        assert_eq!(written(|w| w.array(0)), [0x90]);
        assert_eq!(written(|w| w.array(16)), [0xdc, 0, 16]);
        assert_eq!(written(|w| w.map(2)), [0x82]);
    }

    #[test]
    fn a_truncated_value_is_an_error() {
        let b = Bytes::from_static(&[0xd9, 5, b'a']);
        assert_eq!(Reader::new(&b).str(), Err(WireError::Truncated));
        let b = Bytes::from_static(&[0xc0]);
        assert!(matches!(
            Reader::new(&b).array(),
            Err(WireError::Unexpected { found: 0xc0, .. })
        ));
    }
}
