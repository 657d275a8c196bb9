//! A bounds-checked MessagePack reader for the message envelope, and a validating skipper
//! that finds the extent of a value without decoding it.

use crate::error::{Offset, ProtocolError};

fn invalid(offset: usize, reason: &'static str) -> ProtocolError {
    ProtocolError::InvalidMessagePack {
        offset: Offset(offset),
        reason,
    }
}

/// A cursor over one MessagePack-encoded message.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn slice_from(&self, start: usize) -> &'a [u8] {
        &self.b[start..self.pos]
    }

    pub(crate) fn peek(&self) -> Result<u8, ProtocolError> {
        self.b
            .get(self.pos)
            .copied()
            .ok_or_else(|| invalid(self.pos, "unexpected end of data"))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| invalid(self.pos, "unexpected end of data"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, ProtocolError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    /// Reads an array header; `field` names the element for the error text.
    pub(crate) fn array_len(&mut self, field: &'static str) -> Result<usize, ProtocolError> {
        let m = self.peek()?;
        let n = match m {
            0x90..=0x9f => {
                self.pos += 1;
                u64::from(m & 0x0f)
            }
            0xdc => {
                self.pos += 1;
                self.be(2)?
            }
            0xdd => {
                self.pos += 1;
                self.be(4)?
            }
            _ => {
                return Err(ProtocolError::ReadFailed {
                    field,
                    expected: "Array",
                });
            }
        };
        self.checked_count(n, 1)
    }

    /// Reads a map header.
    pub(crate) fn map_len(&mut self, field: &'static str) -> Result<usize, ProtocolError> {
        let m = self.peek()?;
        let n = match m {
            0x80..=0x8f => {
                self.pos += 1;
                u64::from(m & 0x0f)
            }
            0xde => {
                self.pos += 1;
                self.be(2)?
            }
            0xdf => {
                self.pos += 1;
                self.be(4)?
            }
            _ => {
                return Err(ProtocolError::ReadFailed {
                    field,
                    expected: "Map",
                });
            }
        };
        self.checked_count(n, 2)
    }

    /// A declared element count can never exceed the bytes left (each element takes at
    /// least one byte), so callers may size buffers by it without trusting the input.
    fn checked_count(&self, n: u64, per_item: u64) -> Result<usize, ProtocolError> {
        let left = (self.b.len() - self.pos) as u64;
        if n.saturating_mul(per_item) > left {
            return Err(invalid(self.pos, "collection length exceeds the data"));
        }
        Ok(n as usize)
    }

    /// Reads any integer format as a signed 128-bit value.
    pub(crate) fn integer(
        &mut self,
        field: &'static str,
        expected: &'static str,
    ) -> Result<i128, ProtocolError> {
        let m = self.peek()?;
        let fail = ProtocolError::ReadFailed { field, expected };
        let v: i128 = match m {
            0x00..=0x7f => {
                self.pos += 1;
                i128::from(m)
            }
            0xe0..=0xff => {
                self.pos += 1;
                i128::from(m as i8)
            }
            0xcc..=0xcf => {
                self.pos += 1;
                i128::from(self.be(1 << (m - 0xcc))?)
            }
            0xd0..=0xd3 => {
                self.pos += 1;
                let n = 1usize << (m - 0xd0);
                let raw = self.be(n)?;
                let shift = 64 - 8 * n as u32;
                i128::from(((raw << shift) as i64) >> shift)
            }
            _ => return Err(fail),
        };
        Ok(v)
    }

    pub(crate) fn is_nil(&self) -> bool {
        self.b.get(self.pos) == Some(&0xc0)
    }

    pub(crate) fn nil(&mut self) {
        if self.is_nil() {
            self.pos += 1;
        }
    }

    pub(crate) fn boolean(&mut self, field: &'static str) -> Result<bool, ProtocolError> {
        match self.peek()? {
            0xc2 => {
                self.pos += 1;
                Ok(false)
            }
            0xc3 => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(ProtocolError::ReadFailed {
                field,
                expected: "Boolean",
            }),
        }
    }

    /// Reads a string (UTF-8 checked), or `None` for nil.
    pub(crate) fn str_or_nil(
        &mut self,
        field: &'static str,
    ) -> Result<Option<&'a str>, ProtocolError> {
        let m = self.peek()?;
        let len = match m {
            0xc0 => {
                self.pos += 1;
                return Ok(None);
            }
            0xa0..=0xbf => {
                self.pos += 1;
                usize::from(m & 0x1f)
            }
            0xd9..=0xdb => {
                self.pos += 1;
                self.be(1 << (m - 0xd9))? as usize
            }
            _ => {
                return Err(ProtocolError::ReadFailed {
                    field,
                    expected: "String",
                });
            }
        };
        let start = self.pos;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|e| ProtocolError::InvalidUtf8 {
                offset: Offset(start + e.valid_up_to()),
            })
    }

    /// Reads a string that must be present and non-empty; `what` completes ASP.NET Core's
    /// "Null or empty ..." text.
    pub(crate) fn required_str(
        &mut self,
        field: &'static str,
        what: &'static str,
    ) -> Result<&'a str, ProtocolError> {
        match self.str_or_nil(field)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ProtocolError::NullOrEmpty(what)),
        }
    }

    /// Skips `n` bytes that must be UTF-8 text.
    fn utf8(&mut self, n: usize) -> Result<(), ProtocolError> {
        let start = self.pos;
        let bytes = self.take(n)?;
        if bytes.is_ascii() {
            return Ok(());
        }
        match std::str::from_utf8(bytes) {
            Ok(_) => Ok(()),
            Err(e) => Err(ProtocolError::InvalidUtf8 {
                offset: Offset(start + e.valid_up_to()),
            }),
        }
    }

    /// Skips exactly one value of any type, validating its structure.
    ///
    /// Nested collections are handled with a pending-value counter instead of recursion,
    /// so depth costs no stack; every declared element is checked against the bytes left.
    pub(crate) fn skip_value(&mut self) -> Result<(), ProtocolError> {
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            let at = self.pos;
            let m = self.peek()?;
            self.pos += 1;
            match m {
                0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => {}
                0x80..=0x8f => pending += 2 * u64::from(m & 0x0f),
                0x90..=0x9f => pending += u64::from(m & 0x0f),
                0xa0..=0xbf => self.utf8(usize::from(m & 0x1f))?,
                0xcc | 0xd0 => {
                    self.take(1)?;
                }
                0xcd | 0xd1 => {
                    self.take(2)?;
                }
                0xce | 0xd2 | 0xca => {
                    self.take(4)?;
                }
                0xcf | 0xd3 | 0xcb => {
                    self.take(8)?;
                }
                0xd9..=0xdb => {
                    let n = self.be(1 << (m - 0xd9))? as usize;
                    self.utf8(n)?;
                }
                0xc4..=0xc6 => {
                    let n = self.be(1 << (m - 0xc4))? as usize;
                    self.take(n)?;
                }
                0xd4..=0xd8 => {
                    self.take(1 + (1 << (m - 0xd4)))?;
                }
                0xc7..=0xc9 => {
                    let n = self.be(1 << (m - 0xc7))? as usize;
                    self.take(n + 1)?;
                }
                0xdc | 0xdd => {
                    let n = self.be(if m == 0xdc { 2 } else { 4 })?;
                    pending += n;
                }
                0xde | 0xdf => {
                    let n = self.be(if m == 0xde { 2 } else { 4 })?;
                    pending += 2 * n;
                }
                0xc1 => return Err(invalid(at, "reserved format 0xc1")),
            }
            // Every pending value needs at least one more byte.
            if pending > (self.b.len() - self.pos) as u64 {
                return Err(invalid(self.pos, "collection length exceeds the data"));
            }
        }
        Ok(())
    }
}

/// Iterates over the elements of a validated MessagePack array.
#[derive(Debug, Clone)]
pub(crate) struct MsgpackElements<'a> {
    reader: Reader<'a>,
    left: usize,
}

impl<'a> MsgpackElements<'a> {
    pub(crate) fn new(array: &'a [u8]) -> Self {
        let mut reader = Reader::new(array);
        let left = reader.array_len("arguments").unwrap_or(0);
        MsgpackElements { reader, left }
    }
}

impl<'a> Iterator for MsgpackElements<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let start = self.reader.pos();
        match self.reader.skip_value() {
            Ok(()) => Some(self.reader.slice_from(start)),
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_nested_values() {
        // [1, {"a": [true, nil]}, "xy", bin(2), fixext1, float64]
        let v = [
            0x96, 0x01, 0x81, 0xa1, b'a', 0x92, 0xc3, 0xc0, 0xa2, b'x', b'y', 0xc4, 0x02, 9, 9,
            0xd4, 1, 2, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let mut r = Reader::new(&v);
        r.skip_value().unwrap();
        assert_eq!(r.pos(), v.len());
    }

    #[test]
    fn rejects_truncated_and_hostile_lengths() {
        for v in [
            &[0x92, 0x01][..],
            &[0xdd, 0xff, 0xff, 0xff, 0xff][..],
            &[0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00][..],
            &[0xc1][..],
            &[0xa3, b'a'][..],
            &[0xa2, 0xff, 0xfe][..],
        ] {
            assert!(Reader::new(v).skip_value().is_err(), "{v:02x?}");
        }
        assert!(
            Reader::new(&[0xdd, 0xff, 0xff, 0xff, 0xff])
                .array_len("x")
                .is_err()
        );
    }

    #[test]
    fn reads_every_integer_width() {
        for (bytes, want) in [
            (&[0x05][..], 5i128),
            (&[0xff][..], -1),
            (&[0xcc, 0xff][..], 255),
            (&[0xcd, 0x01, 0x00][..], 256),
            (&[0xd0, 0x80][..], -128),
            (&[0xd1, 0xff, 0x00][..], -256),
            (
                &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
                u64::MAX as i128,
            ),
            (&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0][..], i64::MIN as i128),
        ] {
            assert_eq!(Reader::new(bytes).integer("x", "Int32").unwrap(), want);
        }
    }
}
