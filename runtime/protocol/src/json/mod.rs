//! The JSON encoding of hub messages: one JSON object per message, each followed by the
//! record separator `0x1E`.

pub(crate) mod scan;

use std::borrow::Cow;

use crate::error::{Offset, ProtocolError};
use crate::message::{
    CallParts, CancelInvocation, Close, Completion, CompletionResult, Headers, HubMessage,
    Invocation, StreamInvocation, StreamItem,
};
use crate::payload::{Arguments, Payload};
use crate::protocol::Protocol;
use scan::{expect, read_integer, read_string, scan_array, skip_string, skip_value, skip_ws};

/// The record separator that ends every JSON message (and every handshake message).
pub const RECORD_SEPARATOR: u8 = 0x1e;

fn wrong_type(name: &'static str, expected: &'static str) -> ProtocolError {
    ProtocolError::UnexpectedType { name, expected }
}

/// The properties of a message object, before the message type decides what they mean.
#[derive(Default)]
struct Fields<'a> {
    ty: Option<i64>,
    invocation_id: Option<Cow<'a, str>>,
    target: Option<Cow<'a, str>>,
    arguments: Option<(&'a [u8], usize)>,
    stream_ids: Option<Vec<Cow<'a, str>>>,
    item: Option<&'a [u8]>,
    result: Option<&'a [u8]>,
    error: Option<Cow<'a, str>>,
    headers: Headers<'a>,
    allow_reconnect: bool,
    sequence_id: Option<u64>,
}

fn string_or_null<'a>(
    b: &'a [u8],
    p: usize,
    name: &'static str,
) -> Result<(Option<Cow<'a, str>>, usize), ProtocolError> {
    match b.get(p) {
        Some(b'"') => {
            let (v, end) = read_string(b, p)?;
            Ok((Some(v), end))
        }
        Some(b'n') => Ok((None, skip_value(b, p, 1)?)),
        _ => Err(wrong_type(name, "String")),
    }
}

fn headers_object<'a>(b: &'a [u8], mut p: usize) -> Result<(Headers<'a>, usize), ProtocolError> {
    if b.get(p) != Some(&b'{') {
        return Err(wrong_type("headers", "StartObject"));
    }
    p = skip_ws(b, p + 1);
    let mut h = Vec::new();
    if b.get(p) == Some(&b'}') {
        return Ok((Headers(h), p + 1));
    }
    loop {
        if b.get(p) != Some(&b'"') {
            return Err(ProtocolError::InvalidJson {
                offset: Offset(p),
                reason: "expected a property name",
            });
        }
        let (k, after) = read_string(b, p)?;
        p = skip_ws(b, expect(b, after, b':', "expected ':'")?);
        if b.get(p) != Some(&b'"') {
            return Err(ProtocolError::UnexpectedType {
                name: "header",
                expected: "String",
            });
        }
        let (v, after) = read_string(b, p)?;
        h.push((k, v));
        p = skip_ws(b, after);
        match b.get(p) {
            Some(b',') => p = skip_ws(b, p + 1),
            Some(b'}') => return Ok((Headers(h), p + 1)),
            _ => {
                return Err(ProtocolError::InvalidJson {
                    offset: Offset(p),
                    reason: "expected ',' or '}'",
                });
            }
        }
    }
}

/// Decodes one message from one frame (without its record separator).
///
/// UTF-8 is checked as the scanner goes (see [`scan`]), not in a separate pass.
pub(crate) fn decode(b: &[u8]) -> Result<HubMessage<'_>, ProtocolError> {
    let mut p = skip_ws(b, 0);
    if b.get(p) != Some(&b'{') {
        return Err(ProtocolError::InvalidJson {
            offset: Offset(p),
            reason: "expected a JSON object",
        });
    }
    p = skip_ws(b, p + 1);
    let mut f = Fields::default();
    if b.get(p) == Some(&b'}') {
        p += 1;
    } else {
        loop {
            if b.get(p) != Some(&b'"') {
                return Err(ProtocolError::InvalidJson {
                    offset: Offset(p),
                    reason: "expected a property name",
                });
            }
            let key = if let Some((key, after)) = known_key(&b[p..]) {
                // The compact form every writer produces: `"key":`.
                p = skip_ws(b, p + after);
                key
            } else {
                // Property names are compared as bytes; only an escaped name is decoded first.
                let (after, escaped) = skip_string(b, p)?;
                let key = if escaped {
                    Key::from_name(read_string(b, p)?.0.as_bytes())
                } else {
                    Key::from_name(&b[p + 1..after - 1])
                };
                p = skip_ws(b, expect(b, after, b':', "expected ':'")?);
                key
            };
            p = field(b, p, key, &mut f)?;
            p = skip_ws(b, p);
            match b.get(p) {
                Some(b',') => p = skip_ws(b, p + 1),
                Some(b'}') => {
                    p += 1;
                    break;
                }
                _ => {
                    return Err(ProtocolError::InvalidJson {
                        offset: Offset(p),
                        reason: "expected ',' or '}'",
                    });
                }
            }
        }
    }
    let end = skip_ws(b, p);
    if end != b.len() {
        return Err(ProtocolError::TrailingData {
            offset: Offset(end),
        });
    }
    build(f)
}

/// The properties of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Type,
    InvocationId,
    Target,
    Arguments,
    StreamIds,
    Item,
    Result,
    Error,
    Headers,
    AllowReconnect,
    SequenceId,
    Other,
}

impl Key {
    fn from_name(name: &[u8]) -> Key {
        match name {
            b"type" => Key::Type,
            b"invocationId" => Key::InvocationId,
            b"target" => Key::Target,
            b"arguments" => Key::Arguments,
            b"streamIds" => Key::StreamIds,
            b"item" => Key::Item,
            b"result" => Key::Result,
            b"error" => Key::Error,
            b"headers" => Key::Headers,
            b"allowReconnect" => Key::AllowReconnect,
            b"sequenceId" => Key::SequenceId,
            _ => Key::Other,
        }
    }
}

/// Whether `b` starts with `k` (fixed-size comparisons the compiler inlines).
#[inline(always)]
fn starts<const N: usize>(b: &[u8], k: &[u8; N]) -> bool {
    b.first_chunk::<N>() == Some(k)
}

/// Recognizes a property name of the protocol written compactly (`"type":`) at the start of
/// `b`: the property and how many bytes the name and colon take.
#[inline]
fn known_key(b: &[u8]) -> Option<(Key, usize)> {
    let hit = |ok: bool, key: Key, len: usize| ok.then_some((key, len));
    match *b.get(1)? {
        b't' => hit(starts(b, b"\"type\":"), Key::Type, 7)
            .or_else(|| hit(starts(b, b"\"target\":"), Key::Target, 9)),
        b'i' => hit(starts(b, b"\"invocationId\":"), Key::InvocationId, 15)
            .or_else(|| hit(starts(b, b"\"item\":"), Key::Item, 7)),
        b'a' => hit(starts(b, b"\"arguments\":"), Key::Arguments, 12)
            .or_else(|| hit(starts(b, b"\"allowReconnect\":"), Key::AllowReconnect, 17)),
        b'r' => hit(starts(b, b"\"result\":"), Key::Result, 9),
        b'e' => hit(starts(b, b"\"error\":"), Key::Error, 8),
        b's' => hit(starts(b, b"\"streamIds\":"), Key::StreamIds, 12)
            .or_else(|| hit(starts(b, b"\"sequenceId\":"), Key::SequenceId, 13)),
        b'h' => hit(starts(b, b"\"headers\":"), Key::Headers, 10),
        _ => None,
    }
}

/// Reads the value of property `key` at `p` into `f`; returns the position after it.
fn field<'a>(b: &'a [u8], p: usize, key: Key, f: &mut Fields<'a>) -> Result<usize, ProtocolError> {
    let raw_value = |p: usize| -> Result<(&'a [u8], usize), ProtocolError> {
        let end = skip_value(b, p, 1)?;
        Ok((&b[p..end], end))
    };
    Ok(match key {
        Key::Type => {
            // The usual case: one digit followed by `,` or `}`.
            if let (Some(&d @ b'1'..=b'9'), Some(b',' | b'}')) = (b.get(p), b.get(p + 1)) {
                f.ty = Some(i64::from(d - b'0'));
                return Ok(p + 1);
            }
            if !matches!(b.get(p), Some(b'-' | b'0'..=b'9')) {
                // Validate whatever is there first, so syntax errors are reported as such.
                skip_value(b, p, 1)?;
                return Err(wrong_type("type", "Number"));
            }
            let (v, end) = read_integer(b, p)?;
            f.ty = Some(
                v.and_then(|v| i64::try_from(v).ok())
                    .ok_or(wrong_type("type", "Number"))?,
            );
            end
        }
        Key::InvocationId => {
            let (v, end) = string_or_null(b, p, "invocationId")?;
            f.invocation_id = v;
            end
        }
        Key::Target => {
            let (v, end) = string_or_null(b, p, "target")?;
            f.target = v;
            end
        }
        Key::Error => {
            let (v, end) = string_or_null(b, p, "error")?;
            f.error = v;
            end
        }
        Key::Arguments => {
            if b.get(p) != Some(&b'[') {
                skip_value(b, p, 1)?;
                return Err(wrong_type("arguments", "Array"));
            }
            let (end, count) = scan_array(b, p, 1)?;
            f.arguments = Some((&b[p..end], count));
            end
        }
        Key::StreamIds => {
            match b.get(p) {
                Some(b'[') => {}
                Some(b'n') => return Err(ProtocolError::NullValue("streamIds")),
                _ => {
                    skip_value(b, p, 1)?;
                    return Err(wrong_type("streamIds", "Array"));
                }
            }
            let mut ids = Vec::new();
            let mut q = skip_ws(b, p + 1);
            if b.get(q) == Some(&b']') {
                q += 1;
            } else {
                loop {
                    if b.get(q) != Some(&b'"') {
                        skip_value(b, q, 2)?;
                        return Err(wrong_type("streamIds", "String"));
                    }
                    let (id, after) = read_string(b, q)?;
                    ids.push(id);
                    q = skip_ws(b, after);
                    match b.get(q) {
                        Some(b',') => q = skip_ws(b, q + 1),
                        Some(b']') => {
                            q += 1;
                            break;
                        }
                        _ => {
                            return Err(ProtocolError::InvalidJson {
                                offset: Offset(q),
                                reason: "expected ',' or ']'",
                            });
                        }
                    }
                }
            }
            f.stream_ids = Some(ids);
            q
        }
        Key::Item => {
            let (v, end) = raw_value(p)?;
            f.item = Some(v);
            end
        }
        Key::Result => {
            let (v, end) = raw_value(p)?;
            f.result = Some(v);
            end
        }
        Key::Headers => {
            let (h, end) = headers_object(b, p)?;
            f.headers = h;
            end
        }
        Key::AllowReconnect => match b.get(p) {
            Some(b't') | Some(b'f') => {
                let end = skip_value(b, p, 1)?;
                f.allow_reconnect = b[p] == b't';
                end
            }
            _ => {
                skip_value(b, p, 1)?;
                return Err(ProtocolError::UnexpectedType {
                    name: "allowReconnect",
                    expected: "Boolean",
                });
            }
        },
        Key::SequenceId => {
            let bad = || wrong_type("sequenceId", "Number");
            if !matches!(b.get(p), Some(b'0'..=b'9')) {
                skip_value(b, p, 1)?;
                return Err(bad());
            }
            let (v, end) = read_integer(b, p)?;
            f.sequence_id = Some(v.and_then(|v| u64::try_from(v).ok()).ok_or_else(bad)?);
            end
        }
        // Unknown properties are ignored, as ASP.NET Core does.
        Key::Other => skip_value(b, p, 1)?,
    })
}

fn required<T>(v: Option<T>, name: &'static str) -> Result<T, ProtocolError> {
    v.ok_or(ProtocolError::MissingProperty { name })
}

fn arguments(a: Option<(&[u8], usize)>) -> Result<Arguments<'_>, ProtocolError> {
    let (raw, n) = required(a, "arguments")?;
    Ok(Arguments::from_raw_array(Protocol::Json, raw, n))
}

fn build(f: Fields<'_>) -> Result<HubMessage<'_>, ProtocolError> {
    let ty = required(f.ty, "type")?;
    Ok(match ty {
        1 => {
            let target = required(f.target, "target")?;
            HubMessage::Invocation(Invocation {
                headers: f.headers,
                invocation_id: f.invocation_id.filter(|id| !id.is_empty()),
                target,
                arguments: arguments(f.arguments)?,
                stream_ids: f.stream_ids,
            })
        }
        4 => {
            let invocation_id = required(f.invocation_id, "invocationId")?;
            let target = required(f.target, "target")?;
            HubMessage::StreamInvocation(StreamInvocation {
                headers: f.headers,
                invocation_id,
                target,
                arguments: arguments(f.arguments)?,
                stream_ids: f.stream_ids,
            })
        }
        2 => {
            let invocation_id = required(f.invocation_id, "invocationId")?;
            let item = required(f.item, "item")?;
            HubMessage::StreamItem(StreamItem {
                headers: f.headers,
                invocation_id,
                item: Payload::from_raw(Protocol::Json, item),
            })
        }
        3 => {
            let invocation_id = required(f.invocation_id, "invocationId")?;
            let result = match (f.error, f.result) {
                (Some(_), Some(_)) => return Err(ProtocolError::ResultAndError),
                (Some(e), None) => CompletionResult::Error(e),
                (None, Some(r)) => CompletionResult::Value(Payload::from_raw(Protocol::Json, r)),
                (None, None) => CompletionResult::Void,
            };
            HubMessage::Completion(Completion {
                headers: f.headers,
                invocation_id,
                result,
            })
        }
        5 => HubMessage::CancelInvocation(CancelInvocation {
            headers: f.headers,
            invocation_id: required(f.invocation_id, "invocationId")?,
        }),
        6 => HubMessage::Ping,
        7 => HubMessage::Close(Close {
            error: f.error,
            allow_reconnect: f.allow_reconnect,
        }),
        8 => HubMessage::Ack {
            sequence_id: required(f.sequence_id, "sequenceId")?,
        },
        9 => HubMessage::Sequence {
            sequence_id: required(f.sequence_id, "sequenceId")?,
        },
        other => return Err(ProtocolError::UnknownMessageType(other)),
    })
}

/// Appends `s` as a JSON string literal, escaping exactly what `JSON.stringify` escapes.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.extend_from_slice(&b[run..i]);
        if esc.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 0xf)],
            ]);
        } else {
            out.extend_from_slice(esc);
        }
        run = i + 1;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

fn write_headers(out: &mut Vec<u8>, h: &Headers<'_>) {
    if h.is_empty() {
        return;
    }
    out.extend_from_slice(b",\"headers\":{");
    for (i, (k, v)) in h.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, k);
        out.push(b':');
        write_str(out, v);
    }
    out.push(b'}');
}

fn type_prefix(out: &mut Vec<u8>, ty: u8) {
    out.extend_from_slice(b"{\"type\":");
    out.push(b'0' + ty);
}

fn write_id(out: &mut Vec<u8>, id: &str) {
    out.extend_from_slice(b",\"invocationId\":");
    write_str(out, id);
}

fn invocation(out: &mut Vec<u8>, call: &CallParts<'_, '_>) -> Result<(), ProtocolError> {
    let args = call.arguments.array_for(Protocol::Json)?;
    type_prefix(out, call.message_type as u8);
    write_headers(out, call.headers);
    if let Some(id) = call.invocation_id {
        write_id(out, id);
    }
    out.extend_from_slice(b",\"target\":");
    write_str(out, call.target);
    out.extend_from_slice(b",\"arguments\":");
    out.extend_from_slice(args);
    if let Some(ids) = call.stream_ids {
        out.extend_from_slice(b",\"streamIds\":[");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, id);
        }
        out.push(b']');
    }
    Ok(())
}

/// Appends one message and its record separator to `out`.
pub(crate) fn encode(msg: &HubMessage<'_>, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    let start = out.len();
    let res = encode_inner(msg, out);
    if res.is_err() {
        out.truncate(start);
    }
    res
}

fn encode_inner(msg: &HubMessage<'_>, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    match msg {
        HubMessage::Invocation(m) => invocation(out, &m.parts())?,
        HubMessage::StreamInvocation(m) => invocation(out, &m.parts())?,
        HubMessage::StreamItem(m) => {
            let item = m.item.bytes_for(Protocol::Json)?;
            type_prefix(out, 2);
            write_headers(out, &m.headers);
            write_id(out, &m.invocation_id);
            out.extend_from_slice(b",\"item\":");
            out.extend_from_slice(item);
        }
        HubMessage::Completion(m) => {
            type_prefix(out, 3);
            write_headers(out, &m.headers);
            write_id(out, &m.invocation_id);
            match &m.result {
                CompletionResult::Void => {}
                CompletionResult::Value(v) => {
                    let v = v.bytes_for(Protocol::Json)?;
                    out.extend_from_slice(b",\"result\":");
                    out.extend_from_slice(v);
                }
                CompletionResult::Error(e) => {
                    out.extend_from_slice(b",\"error\":");
                    write_str(out, e);
                }
            }
        }
        HubMessage::CancelInvocation(m) => {
            type_prefix(out, 5);
            write_headers(out, &m.headers);
            write_id(out, &m.invocation_id);
        }
        HubMessage::Ping => type_prefix(out, 6),
        HubMessage::Close(m) => {
            type_prefix(out, 7);
            if let Some(e) = &m.error {
                out.extend_from_slice(b",\"error\":");
                write_str(out, e);
            }
            if m.allow_reconnect {
                out.extend_from_slice(b",\"allowReconnect\":true");
            }
        }
        HubMessage::Ack { sequence_id } | HubMessage::Sequence { sequence_id } => {
            type_prefix(out, msg.message_type() as u8);
            out.extend_from_slice(b",\"sequenceId\":");
            out.extend_from_slice(sequence_id.to_string().as_bytes());
        }
    }
    out.extend_from_slice(&[b'}', RECORD_SEPARATOR]);
    Ok(())
}
