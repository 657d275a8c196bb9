//! Raw values (arguments, stream items, results) and binding them to Rust types.
//!
//! A decoded message keeps each value as the exact bytes it arrived as: JSON text for the
//! JSON protocol, MessagePack bytes for the MessagePack protocol. Nothing is deserialized
//! until the receiver knows the Rust type it wants, and then one value at a time, so a
//! dispatcher can say which argument failed and why.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{BindError, SerializeError};
use crate::json::scan::ArrayElements;
use crate::msgpack::read::MsgpackElements;
use crate::protocol::Protocol;

/// One raw value in a protocol's encoding.
///
/// For [`Protocol::Json`] the bytes are valid JSON text (UTF-8); for
/// [`Protocol::MessagePack`] they are exactly one MessagePack value.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload<'a> {
    protocol: Protocol,
    raw: Cow<'a, [u8]>,
}

impl fmt::Debug for Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.protocol {
            Protocol::Json => write!(f, "Json({})", String::from_utf8_lossy(&self.raw)),
            Protocol::MessagePack => write!(f, "MessagePack({:02x?})", &self.raw[..]),
        }
    }
}

impl<'a> Payload<'a> {
    /// Wraps bytes that are known to hold exactly one valid value in `protocol`'s encoding.
    pub(crate) fn from_raw(protocol: Protocol, raw: impl Into<Cow<'a, [u8]>>) -> Self {
        Payload {
            protocol,
            raw: raw.into(),
        }
    }

    /// Wraps JSON text after checking that it is exactly one valid JSON value.
    pub fn json(text: impl Into<Cow<'a, str>>) -> Result<Self, crate::ProtocolError> {
        let text = text.into();
        let b = text.as_bytes();
        let end = crate::json::scan::skip_value(b, 0, 1)?;
        let end = crate::json::scan::skip_ws(b, end);
        if end != b.len() {
            return Err(crate::ProtocolError::TrailingData {
                offset: crate::error::Offset(end),
            });
        }
        let raw = match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        };
        Ok(Payload::from_raw(Protocol::Json, raw))
    }

    /// Wraps bytes after checking that they are exactly one valid MessagePack value.
    pub fn messagepack(bytes: impl Into<Cow<'a, [u8]>>) -> Result<Self, crate::ProtocolError> {
        let bytes = bytes.into();
        let mut r = crate::msgpack::read::Reader::new(&bytes);
        r.skip_value()?;
        if r.pos() != bytes.len() {
            return Err(crate::ProtocolError::TrailingData {
                offset: crate::error::Offset(r.pos()),
            });
        }
        Ok(Payload::from_raw(Protocol::MessagePack, bytes))
    }

    /// Serializes `value` in `protocol`'s encoding (MessagePack structs become maps keyed by
    /// field name, as the official clients expect).
    pub fn serialize<T: Serialize + ?Sized>(
        protocol: Protocol,
        value: &T,
    ) -> Result<Payload<'static>, SerializeError> {
        let mut raw = Vec::new();
        write_value(protocol, value, &mut raw)?;
        Ok(Payload::from_raw(protocol, raw))
    }

    /// The encoding of the bytes.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// The raw bytes, if they are in `protocol`'s encoding.
    pub(crate) fn bytes_for(&self, protocol: Protocol) -> Result<&[u8], crate::ProtocolError> {
        wrong_protocol("payload", self.protocol, protocol)?;
        Ok(&self.raw)
    }

    /// Deserializes the value into `T`.
    pub fn bind<'de, T: Deserialize<'de>>(&'de self) -> Result<T, BindError> {
        read_value(self.protocol, &self.raw).map_err(|message| BindError::Value { message })
    }

    /// Detaches the payload from the frame it was decoded from.
    pub fn into_owned(self) -> Payload<'static> {
        Payload {
            protocol: self.protocol,
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}

/// Refuses to write a value encoded for one protocol into a message of the other.
fn wrong_protocol(
    name: &'static str,
    have: Protocol,
    want: Protocol,
) -> Result<(), crate::ProtocolError> {
    if have == want {
        Ok(())
    } else {
        Err(crate::ProtocolError::UnexpectedType {
            name,
            expected: match want {
                Protocol::Json => "JSON",
                Protocol::MessagePack => "MessagePack",
            },
        })
    }
}

pub(crate) fn write_value<T: Serialize + ?Sized>(
    protocol: Protocol,
    value: &T,
    out: &mut Vec<u8>,
) -> Result<(), SerializeError> {
    let res = match protocol {
        Protocol::Json => serde_json::to_writer(&mut *out, value).map_err(|e| e.to_string()),
        Protocol::MessagePack => {
            let mut ser = rmp_serde::Serializer::new(&mut *out).with_struct_map();
            value.serialize(&mut ser).map_err(|e| e.to_string())
        }
    };
    res.map_err(|message| SerializeError { message })
}

fn read_value<'de, T: Deserialize<'de>>(protocol: Protocol, raw: &'de [u8]) -> Result<T, String> {
    match protocol {
        Protocol::Json => serde_json::from_slice(raw).map_err(|e| e.to_string()),
        Protocol::MessagePack => rmp_serde::from_slice(raw).map_err(|e| e.to_string()),
    }
}

/// The arguments of an invocation: one raw array, bound element by element.
#[derive(Clone, PartialEq, Eq)]
pub struct Arguments<'a> {
    raw: Cow<'a, [u8]>,
    len: u32,
    protocol: Protocol,
}

impl fmt::Debug for Arguments<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> Arguments<'a> {
    /// Wraps a validated raw array of `len` elements.
    pub(crate) fn from_raw_array(
        protocol: Protocol,
        raw: impl Into<Cow<'a, [u8]>>,
        len: usize,
    ) -> Self {
        Arguments {
            raw: raw.into(),
            protocol,
            // A frame is at most 2 GB and every element takes at least one byte.
            len: u32::try_from(len).unwrap_or(u32::MAX),
        }
    }

    /// No arguments.
    pub fn empty(protocol: Protocol) -> Arguments<'static> {
        let raw: &'static [u8] = match protocol {
            Protocol::Json => b"[]",
            Protocol::MessagePack => &[0x90],
        };
        Arguments::from_raw_array(protocol, raw, 0)
    }

    /// Builds an argument list from payloads of one protocol.
    ///
    /// # Panics
    /// Never; a payload of another protocol is reported as an error.
    pub fn from_payloads<'p>(
        protocol: Protocol,
        payloads: impl IntoIterator<Item = &'p Payload<'p>>,
    ) -> Result<Arguments<'static>, SerializeError> {
        let payloads: Vec<&Payload<'_>> = payloads.into_iter().collect();
        let mut w = ArgumentsWriter::new(protocol, payloads.len());
        for p in payloads {
            w.push_raw(p)?;
        }
        Ok(w.finish())
    }

    /// Starts building an argument list of exactly `count` values.
    pub fn writer(protocol: Protocol, count: usize) -> ArgumentsWriter {
        ArgumentsWriter::new(protocol, count)
    }

    /// The encoding of the arguments.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The raw array, if it is in `protocol`'s encoding.
    pub(crate) fn array_for(&self, protocol: Protocol) -> Result<&[u8], crate::ProtocolError> {
        wrong_protocol("arguments", self.protocol, protocol)?;
        Ok(&self.raw)
    }

    /// The whole array, raw (JSON `[...]` text or a MessagePack array).
    pub fn raw_array(&self) -> &[u8] {
        &self.raw
    }

    /// Iterates over the arguments as raw payloads.
    pub fn iter(&self) -> ArgumentsIter<'_> {
        let inner = match self.protocol {
            Protocol::Json => IterInner::Json(ArrayElements::new(&self.raw)),
            Protocol::MessagePack => IterInner::MessagePack(MsgpackElements::new(&self.raw)),
        };
        ArgumentsIter {
            protocol: self.protocol,
            inner,
        }
    }

    /// The argument at `index`, raw.
    pub fn get(&self, index: usize) -> Option<Payload<'_>> {
        self.iter().nth(index)
    }

    /// Starts binding the arguments to a target that takes `expected` parameters.
    ///
    /// Fails with ASP.NET Core's text if the counts differ.
    pub fn binder(&self, expected: usize) -> Result<ArgumentBinder<'_>, BindError> {
        if self.len() != expected {
            return Err(BindError::ArgumentCount {
                provided: self.len(),
                expected,
            });
        }
        Ok(ArgumentBinder {
            iter: self.iter(),
            index: 0,
        })
    }

    /// Detaches the arguments from the frame they were decoded from.
    pub fn into_owned(self) -> Arguments<'static> {
        Arguments {
            raw: Cow::Owned(self.raw.into_owned()),
            len: self.len,
            protocol: self.protocol,
        }
    }
}

/// Builds an argument list value by value, without an intermediate payload per value.
#[derive(Debug)]
pub struct ArgumentsWriter {
    protocol: Protocol,
    out: Vec<u8>,
    expected: usize,
    written: usize,
}

impl ArgumentsWriter {
    fn new(protocol: Protocol, count: usize) -> Self {
        let mut out = Vec::with_capacity(16 + 16 * count);
        match protocol {
            Protocol::Json => out.push(b'['),
            Protocol::MessagePack => crate::msgpack::write::array_len(&mut out, count),
        }
        ArgumentsWriter {
            protocol,
            out,
            expected: count,
            written: 0,
        }
    }

    fn separator(&mut self) -> Result<(), SerializeError> {
        if self.written == self.expected {
            return Err(SerializeError {
                message: format!("more than the {} declared arguments", self.expected),
            });
        }
        if self.protocol == Protocol::Json && self.written > 0 {
            self.out.push(b',');
        }
        self.written += 1;
        Ok(())
    }

    /// Serializes and appends one argument.
    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.separator()?;
        write_value(self.protocol, value, &mut self.out)
    }

    /// Appends an already encoded argument.
    pub fn push_raw(&mut self, payload: &Payload<'_>) -> Result<(), SerializeError> {
        if payload.protocol != self.protocol {
            return Err(SerializeError {
                message: format!(
                    "a {:?} payload in a {:?} argument list",
                    payload.protocol, self.protocol
                ),
            });
        }
        self.separator()?;
        self.out.extend_from_slice(payload.as_bytes());
        Ok(())
    }

    /// Finishes the list. Missing arguments are written as `null` (JSON) or nil.
    pub fn finish(mut self) -> Arguments<'static> {
        while self.written < self.expected {
            // Keep the declared count honest even if a caller pushed too few values.
            let _ = self.separator();
            match self.protocol {
                Protocol::Json => self.out.extend_from_slice(b"null"),
                Protocol::MessagePack => self.out.push(0xc0),
            }
        }
        if self.protocol == Protocol::Json {
            self.out.push(b']');
        }
        Arguments::from_raw_array(self.protocol, self.out, self.expected)
    }
}

#[derive(Debug, Clone)]
enum IterInner<'a> {
    Json(ArrayElements<'a>),
    MessagePack(MsgpackElements<'a>),
}

/// Iterator over raw arguments; see [`Arguments::iter`].
#[derive(Debug, Clone)]
pub struct ArgumentsIter<'a> {
    protocol: Protocol,
    inner: IterInner<'a>,
}

impl<'a> Iterator for ArgumentsIter<'a> {
    type Item = Payload<'a>;

    fn next(&mut self) -> Option<Payload<'a>> {
        let raw = self.next_raw()?;
        Some(Payload::from_raw(self.protocol, raw))
    }
}

impl<'a> ArgumentsIter<'a> {
    fn next_raw(&mut self) -> Option<&'a [u8]> {
        match &mut self.inner {
            IterInner::Json(it) => it.next(),
            IterInner::MessagePack(it) => it.next(),
        }
    }
}

/// Binds arguments to parameter types one at a time; see [`Arguments::binder`].
#[derive(Debug, Clone)]
pub struct ArgumentBinder<'a> {
    iter: ArgumentsIter<'a>,
    index: usize,
}

impl<'a> ArgumentBinder<'a> {
    /// Deserializes the next argument into `T`; the error names the argument's position.
    pub fn next_arg<T: Deserialize<'a>>(&mut self) -> Result<T, BindError> {
        let index = self.index;
        self.index += 1;
        let Some(raw) = self.iter.next_raw() else {
            return Err(BindError::Argument {
                index,
                message: "the argument is missing".to_owned(),
            });
        };
        read_value(self.iter.protocol, raw)
            .map_err(|message| BindError::Argument { index, message })
    }

    /// Skips the next argument (a parameter the target ignores).
    pub fn skip(&mut self) {
        self.index += 1;
        self.iter.next_raw();
    }

    /// The position of the next argument.
    pub fn position(&self) -> usize {
        self.index
    }
}
