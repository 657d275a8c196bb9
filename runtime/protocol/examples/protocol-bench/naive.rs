//! The naive way to decode hub messages, to measure the hand-written codecs against: each
//! frame deserialized by serde into one generic message struct, with `serde_json` (payloads
//! kept as `&RawValue`) or `rmp-serde` (payloads walked with `IgnoredAny`, because
//! `rmp-serde` has no raw value: that validates and skips them, less work than keeping them).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::value::RawValue;
use signalr_protocol::Protocol;

/// Every field of every JSON hub message, payloads raw.
#[derive(Deserialize)]
#[allow(dead_code)] // Decoded to be decoded; nothing reads the fields.
struct JsonMessage<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(borrow, default)]
    headers: Option<HashMap<Cow<'a, str>, Cow<'a, str>>>,
    #[serde(rename = "invocationId", borrow, default)]
    invocation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    target: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arguments: Option<Vec<&'a RawValue>>,
    #[serde(rename = "streamIds", borrow, default)]
    stream_ids: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow, default)]
    item: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<Cow<'a, str>>,
    #[serde(rename = "allowReconnect", default)]
    allow_reconnect: Option<bool>,
}

/// The fields of a MessagePack hub message (an array whose shape depends on its type).
#[derive(Default)]
#[allow(dead_code)] // Decoded to be decoded; nothing reads the fields.
struct MsgpackMessage<'a> {
    kind: u8,
    headers: HashMap<&'a str, &'a str>,
    invocation_id: Option<&'a str>,
    target: Option<&'a str>,
    arguments: usize,
    stream_ids: Vec<&'a str>,
    result_kind: u8,
    error: Option<&'a str>,
    allow_reconnect: Option<bool>,
}

struct MsgpackVisitor;

fn need<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    at: usize,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(at, &"a longer hub message"))
}

impl<'de> Visitor<'de> for MsgpackVisitor {
    type Value = MsgpackMessage<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a hub message array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut m = MsgpackMessage {
            kind: need(&mut seq, 0)?,
            ..MsgpackMessage::default()
        };
        match m.kind {
            1 | 4 => {
                m.headers = need(&mut seq, 1)?;
                m.invocation_id = need(&mut seq, 2)?;
                m.target = Some(need(&mut seq, 3)?);
                m.arguments = need::<Vec<IgnoredAny>, _>(&mut seq, 4)?.len();
                m.stream_ids = seq.next_element()?.unwrap_or_default();
            }
            2 => {
                m.headers = need(&mut seq, 1)?;
                m.invocation_id = Some(need(&mut seq, 2)?);
                need::<IgnoredAny, _>(&mut seq, 3)?;
            }
            3 => {
                m.headers = need(&mut seq, 1)?;
                m.invocation_id = Some(need(&mut seq, 2)?);
                m.result_kind = need(&mut seq, 3)?;
                match m.result_kind {
                    1 => m.error = Some(need(&mut seq, 4)?),
                    3 => {
                        need::<IgnoredAny, _>(&mut seq, 4)?;
                    }
                    _ => {}
                }
            }
            5 => {
                m.headers = need(&mut seq, 1)?;
                m.invocation_id = Some(need(&mut seq, 2)?);
            }
            7 => {
                m.error = need(&mut seq, 1)?;
                m.allow_reconnect = seq.next_element()?;
            }
            _ => {}
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(m)
    }
}

impl<'de> Deserialize<'de> for MsgpackMessage<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(MsgpackVisitor)
    }
}

/// Decodes one frame (without its framing); whether it decoded.
fn decode(protocol: Protocol, frame: &[u8]) -> bool {
    match protocol {
        Protocol::Json => serde_json::from_slice::<JsonMessage<'_>>(frame).is_ok(),
        Protocol::MessagePack => rmp_serde::from_slice::<MsgpackMessage<'_>>(frame).is_ok(),
    }
}

/// Decodes every frame of `bytes` (framed as on the wire); how many decoded.
pub(crate) fn decode_all(protocol: Protocol, bytes: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = bytes;
    while !rest.is_empty() {
        let (frame, used) = match protocol {
            Protocol::Json => match memchr::memchr(0x1e, rest) {
                Some(end) => (&rest[..end], end + 1),
                None => break,
            },
            Protocol::MessagePack => {
                let mut len = 0usize;
                let mut at = 0;
                loop {
                    let Some(&b) = rest.get(at) else { return n };
                    len |= usize::from(b & 0x7f) << (7 * at);
                    at += 1;
                    if b & 0x80 == 0 || at == 5 {
                        break;
                    }
                }
                match rest.get(at..at + len) {
                    Some(frame) => (frame, at + len),
                    None => break,
                }
            }
        };
        n += usize::from(decode(protocol, frame));
        rest = &rest[used..];
    }
    n
}
