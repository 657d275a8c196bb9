//! The MessagePack encoding of hub messages: `[type, headers, ...]` arrays, each in a
//! VarInt-length-prefixed frame.

pub(crate) mod read;
pub(crate) mod write;

use std::borrow::Cow;

use crate::error::{Offset, ProtocolError};
use crate::message::{
    CallParts, CancelInvocation, Close, Completion, CompletionResult, Headers, HubMessage,
    Invocation, StreamInvocation, StreamItem,
};
use crate::payload::{Arguments, Payload};
use crate::protocol::Protocol;
use read::Reader;

fn too_few(message: &'static str, expected: usize, found: usize) -> Result<(), ProtocolError> {
    if found < expected {
        Err(ProtocolError::TooFewElements {
            message,
            expected,
            found,
        })
    } else {
        Ok(())
    }
}

fn headers<'a>(r: &mut Reader<'a>) -> Result<Headers<'a>, ProtocolError> {
    let n = r.map_len("headers")?;
    if n == 0 {
        return Ok(Headers::new());
    }
    let mut h = Vec::with_capacity(n);
    for _ in 0..n {
        let k = r.required_str("headers", "key in header")?;
        let v = r.required_str("headers", "value in header")?;
        h.push((Cow::Borrowed(k), Cow::Borrowed(v)));
    }
    Ok(Headers(h))
}

fn arguments<'a>(r: &mut Reader<'a>) -> Result<Arguments<'a>, ProtocolError> {
    let start = r.pos();
    let n = r.array_len("arguments")?;
    for _ in 0..n {
        r.skip_value()?;
    }
    Ok(Arguments::from_raw_array(
        Protocol::MessagePack,
        r.slice_from(start),
        n,
    ))
}

fn stream_ids<'a>(r: &mut Reader<'a>) -> Result<Vec<Cow<'a, str>>, ProtocolError> {
    let n = r.array_len("streamIds")?;
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(Cow::Borrowed(
            r.required_str("streamIds", "value in streamIds received")?,
        ));
    }
    Ok(ids)
}

fn value<'a>(r: &mut Reader<'a>) -> Result<Payload<'a>, ProtocolError> {
    let start = r.pos();
    r.skip_value()?;
    Ok(Payload::from_raw(
        Protocol::MessagePack,
        r.slice_from(start),
    ))
}

/// Decodes one message from the body of one frame (without its length prefix).
/// Whether an Invocation's elements after its headers are `target, arguments, streamIds`
/// (no invocation id slot), as signalrcore writes its upload invocations. The shape cannot
/// be mistaken: where the invocation id goes there is a string, and where the target goes,
/// an array.
fn is_idless_upload(r: &Reader<'_>) -> bool {
    let mut ahead = r.clone();
    matches!(ahead.peek(), Ok(0xa0..=0xbf | 0xd9..=0xdb))
        && ahead.skip_value().is_ok()
        && matches!(ahead.peek(), Ok(0x90..=0x9f | 0xdc | 0xdd))
}

/// `[1, headers, target, arguments, streamIds]`: an upload invocation without its id slot.
/// The client knows the call by its (first) stream's id, so the server answers under that
/// id.
fn idless_upload<'a>(
    mut r: Reader<'a>,
    headers: Headers<'a>,
) -> Result<HubMessage<'a>, ProtocolError> {
    let target = r.required_str("target", "target for Invocation message")?;
    let arguments = arguments(&mut r)?;
    let stream_ids = stream_ids(&mut r)?;
    let invocation_id = stream_ids.first().cloned();
    Ok(HubMessage::Invocation(Invocation {
        headers,
        invocation_id,
        target: Cow::Borrowed(target),
        arguments,
        stream_ids: Some(stream_ids),
    }))
}

pub(crate) fn decode(body: &[u8]) -> Result<HubMessage<'_>, ProtocolError> {
    let mut r = Reader::new(body);
    let count = r.array_len("message")?;
    too_few("hub", 1, count)?;
    let raw_type = r.integer("messageType", "Int32")?;
    let ty = i64::try_from(raw_type).unwrap_or(i64::MAX);
    let msg = match ty {
        1 | 4 => {
            let what = if ty == 1 {
                "Invocation"
            } else {
                "StreamInvocation"
            };
            too_few(what, 5, count)?;
            let headers = headers(&mut r)?;
            if ty == 1 && count == 5 && is_idless_upload(&r) {
                return idless_upload(r, headers);
            }
            let id = if ty == 1 {
                r.str_or_nil("invocationId")?.filter(|s| !s.is_empty())
            } else {
                Some(r.required_str("invocationId", "invocation ID for StreamInvocation message")?)
            };
            let target = r.required_str(
                "target",
                if ty == 1 {
                    "target for Invocation message"
                } else {
                    "target for StreamInvocation message"
                },
            )?;
            let arguments = arguments(&mut r)?;
            let stream_ids = if count > 5 {
                Some(stream_ids(&mut r)?)
            } else {
                None
            };
            skip_extra(&mut r, count, 6)?;
            let target = Cow::Borrowed(target);
            match id {
                Some(id) if ty == 4 => HubMessage::StreamInvocation(StreamInvocation {
                    headers,
                    invocation_id: Cow::Borrowed(id),
                    target,
                    arguments,
                    stream_ids,
                }),
                id => HubMessage::Invocation(Invocation {
                    headers,
                    invocation_id: id.map(Cow::Borrowed),
                    target,
                    arguments,
                    stream_ids,
                }),
            }
        }
        2 => {
            too_few("StreamItem", 4, count)?;
            let headers = headers(&mut r)?;
            let id = r.required_str("invocationId", "invocation ID for StreamItem message")?;
            let item = value(&mut r)?;
            skip_extra(&mut r, count, 4)?;
            HubMessage::StreamItem(StreamItem {
                headers,
                invocation_id: Cow::Borrowed(id),
                item,
            })
        }
        3 => {
            too_few("Completion", 3, count)?;
            let headers = headers(&mut r)?;
            let id = r.required_str("invocationId", "invocation ID for Completion message")?;
            if count == 3 {
                // `[3, headers, id]`, without a result kind: how signalrcore ends an upload
                // stream. Nothing else can be meant than a Completion without a result.
                return Ok(HubMessage::Completion(Completion {
                    headers,
                    invocation_id: Cow::Borrowed(id),
                    result: CompletionResult::Void,
                }));
            }
            let kind = r.integer("resultKind", "Int32")?;
            let (result, used) = match kind {
                1 => {
                    too_few("Completion", 5, count)?;
                    let e = r.str_or_nil("error")?.unwrap_or_default();
                    (CompletionResult::Error(Cow::Borrowed(e)), 5)
                }
                2 => (CompletionResult::Void, 4),
                3 => {
                    too_few("Completion", 5, count)?;
                    (CompletionResult::Value(value(&mut r)?), 5)
                }
                other => {
                    return Err(ProtocolError::InvalidResultKind(
                        u64::try_from(other).unwrap_or(0),
                    ));
                }
            };
            skip_extra(&mut r, count, used)?;
            HubMessage::Completion(Completion {
                headers,
                invocation_id: Cow::Borrowed(id),
                result,
            })
        }
        5 => {
            too_few("CancelInvocation", 3, count)?;
            let headers = headers(&mut r)?;
            let id =
                r.required_str("invocationId", "invocation ID for CancelInvocation message")?;
            skip_extra(&mut r, count, 3)?;
            HubMessage::CancelInvocation(CancelInvocation {
                headers,
                invocation_id: Cow::Borrowed(id),
            })
        }
        6 => {
            skip_extra(&mut r, count, 1)?;
            HubMessage::Ping
        }
        7 => {
            too_few("Close", 2, count)?;
            let error = r
                .str_or_nil("error")?
                .filter(|s| !s.is_empty())
                .map(Cow::Borrowed);
            let allow_reconnect = if count > 2 {
                if r.is_nil() {
                    r.nil();
                    false
                } else {
                    r.boolean("allowReconnect")?
                }
            } else {
                false
            };
            skip_extra(&mut r, count, 3)?;
            HubMessage::Close(Close {
                error,
                allow_reconnect,
            })
        }
        8 | 9 => {
            too_few(if ty == 8 { "Ack" } else { "Sequence" }, 2, count)?;
            let id = r.integer("sequenceId", "Int64")?;
            let sequence_id = u64::try_from(id).map_err(|_| ProtocolError::ReadFailed {
                field: "sequenceId",
                expected: "Int64",
            })?;
            skip_extra(&mut r, count, 2)?;
            if ty == 8 {
                HubMessage::Ack { sequence_id }
            } else {
                HubMessage::Sequence { sequence_id }
            }
        }
        other => return Err(ProtocolError::UnknownMessageType(other)),
    };
    if r.pos() != body.len() {
        return Err(ProtocolError::TrailingData {
            offset: Offset(r.pos()),
        });
    }
    Ok(msg)
}

/// Skips array elements beyond the ones this version of the protocol defines, so newer
/// peers that append elements are still understood.
fn skip_extra(r: &mut Reader<'_>, count: usize, used: usize) -> Result<(), ProtocolError> {
    for _ in used.min(count)..count {
        r.skip_value()?;
    }
    Ok(())
}

fn write_headers(out: &mut Vec<u8>, h: &Headers<'_>) {
    write::map_len(out, h.len());
    for (k, v) in h.iter() {
        write::str(out, k);
        write::str(out, v);
    }
}

/// Appends the MessagePack body of `msg` (without length prefix) to `out`.
pub(crate) fn encode_body(msg: &HubMessage<'_>, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    match msg {
        HubMessage::Invocation(m) => invocation(out, &m.parts())?,
        HubMessage::StreamInvocation(m) => invocation(out, &m.parts())?,
        HubMessage::StreamItem(m) => {
            let item = m.item.bytes_for(Protocol::MessagePack)?;
            write::array_len(out, 4);
            write::fixint(out, 2);
            write_headers(out, &m.headers);
            write::str(out, &m.invocation_id);
            out.extend_from_slice(item);
        }
        HubMessage::Completion(m) => {
            let n = if matches!(m.result, CompletionResult::Void) {
                4
            } else {
                5
            };
            write::array_len(out, n);
            write::fixint(out, 3);
            write_headers(out, &m.headers);
            write::str(out, &m.invocation_id);
            match &m.result {
                CompletionResult::Error(e) => {
                    write::fixint(out, 1);
                    write::str(out, e);
                }
                CompletionResult::Void => write::fixint(out, 2),
                CompletionResult::Value(v) => {
                    let v = v.bytes_for(Protocol::MessagePack)?;
                    write::fixint(out, 3);
                    out.extend_from_slice(v);
                }
            }
        }
        HubMessage::CancelInvocation(m) => {
            write::array_len(out, 3);
            write::fixint(out, 5);
            write_headers(out, &m.headers);
            write::str(out, &m.invocation_id);
        }
        HubMessage::Ping => out.extend_from_slice(&[0x91, 0x06]),
        HubMessage::Close(m) => {
            write::array_len(out, if m.allow_reconnect { 3 } else { 2 });
            write::fixint(out, 7);
            match &m.error {
                Some(e) => write::str(out, e),
                None => write::nil(out),
            }
            if m.allow_reconnect {
                write::boolean(out, true);
            }
        }
        HubMessage::Ack { sequence_id } | HubMessage::Sequence { sequence_id } => {
            write::array_len(out, 2);
            write::fixint(out, msg.message_type() as u8);
            write::sequence_id(out, *sequence_id);
        }
    }
    Ok(())
}

fn invocation(out: &mut Vec<u8>, call: &CallParts<'_, '_>) -> Result<(), ProtocolError> {
    let args = call.arguments.array_for(Protocol::MessagePack)?;
    write::array_len(out, if call.stream_ids.is_some() { 6 } else { 5 });
    write::fixint(out, call.message_type as u8);
    write_headers(out, call.headers);
    match call.invocation_id {
        Some(id) => write::str(out, id),
        None => write::nil(out),
    }
    write::str(out, call.target);
    out.extend_from_slice(args);
    if let Some(ids) = call.stream_ids {
        write::array_len(out, ids.len());
        for id in ids {
            write::str(out, id);
        }
    }
    Ok(())
}

/// Writes the VarInt length prefix for a body of `len` bytes into `buf`; returns its length.
pub(crate) fn length_prefix(mut len: usize, buf: &mut [u8; 5]) -> usize {
    let mut n = 0;
    loop {
        let mut byte = (len & 0x7f) as u8;
        len >>= 7;
        if len > 0 {
            byte |= 0x80;
        }
        buf[n] = byte;
        n += 1;
        if len == 0 || n == 5 {
            return n;
        }
    }
}

/// Reads a VarInt length prefix. `Ok(None)` if more bytes are needed; otherwise the body
/// length and the prefix length.
pub(crate) fn read_length_prefix(b: &[u8]) -> Result<Option<(usize, usize)>, ProtocolError> {
    let mut len: usize = 0;
    for i in 0..5 {
        let Some(&byte) = b.get(i) else {
            return Ok(None);
        };
        if i == 4 && byte > 0x07 {
            return Err(ProtocolError::LengthPrefixTooLarge);
        }
        len |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((len, i + 1)));
        }
    }
    Err(ProtocolError::LengthPrefixTooLarge)
}

/// Appends one framed message (length prefix and body) to `out`.
pub(crate) fn encode(msg: &HubMessage<'_>, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    // Most messages are shorter than 128 bytes and need a one-byte prefix: reserve one byte,
    // write the body, and make room for a longer prefix only when it is needed.
    let start = out.len();
    out.push(0);
    if let Err(e) = encode_body(msg, out) {
        out.truncate(start);
        return Err(e);
    }
    let len = out.len() - start - 1;
    let mut prefix = [0u8; 5];
    let n = length_prefix(len, &mut prefix);
    if n > 1 {
        let body_end = out.len();
        out.resize(body_end + n - 1, 0);
        out.copy_within(start + 1..body_end, start + n);
    }
    out[start..start + n].copy_from_slice(&prefix[..n]);
    Ok(())
}
