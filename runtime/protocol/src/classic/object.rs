//! The members of one JSON object, each value kept raw: what every classic message is made
//! of. Values are validated by the same scanner as the hub protocol's messages.

use std::borrow::Cow;

use crate::error::{Offset, ProtocolError};
use crate::json::scan::{expect, read_string, scan_array, skip_value, skip_ws};
use crate::payload::{Arguments, Payload};
use crate::protocol::Protocol;

fn invalid(offset: usize, reason: &'static str) -> ProtocolError {
    ProtocolError::InvalidJson {
        offset: Offset(offset),
        reason,
    }
}

/// One member: its name and its raw value.
pub(crate) type Member<'a> = (Cow<'a, str>, &'a [u8]);

/// The members of the object `b` holds (whitespace around it allowed, nothing after it).
pub(crate) fn members(b: &[u8]) -> Result<Vec<Member<'_>>, ProtocolError> {
    let mut p = skip_ws(b, 0);
    if b.get(p) != Some(&b'{') {
        return Err(invalid(p, "expected a JSON object"));
    }
    p = skip_ws(b, p + 1);
    let mut out = Vec::new();
    if b.get(p) == Some(&b'}') {
        p += 1;
    } else {
        loop {
            if b.get(p) != Some(&b'"') {
                return Err(invalid(p, "expected a property name"));
            }
            let (name, after) = read_string(b, p)?;
            p = skip_ws(b, expect(b, after, b':', "expected ':'")?);
            let end = skip_value(b, p, 1)?;
            out.push((name, &b[p..end]));
            p = skip_ws(b, end);
            match b.get(p) {
                Some(b',') => p = skip_ws(b, p + 1),
                Some(b'}') => {
                    p += 1;
                    break;
                }
                _ => return Err(invalid(p, "expected ',' or '}'")),
            }
        }
    }
    let end = skip_ws(b, p);
    if end != b.len() {
        return Err(ProtocolError::TrailingData {
            offset: Offset(end),
        });
    }
    Ok(out)
}

/// A string value, or `None` for `null`.
pub(crate) fn string<'a>(
    raw: &'a [u8],
    name: &'static str,
) -> Result<Option<Cow<'a, str>>, ProtocolError> {
    match raw.first() {
        Some(b'"') => Ok(Some(read_string(raw, 0)?.0)),
        Some(b'n') => Ok(None),
        _ => Err(ProtocolError::UnexpectedType {
            name,
            expected: "String",
        }),
    }
}

/// A string or a number (kept as written), or `None` for `null`: how the classic clients
/// send invocation ids.
pub(crate) fn id<'a>(
    raw: &'a [u8],
    name: &'static str,
) -> Result<Option<Cow<'a, str>>, ProtocolError> {
    match raw.first() {
        Some(b'-' | b'0'..=b'9') => std::str::from_utf8(raw)
            .map(|s| Some(Cow::Borrowed(s)))
            .map_err(|_| ProtocolError::UnexpectedType {
                name,
                expected: "String",
            }),
        _ => string(raw, name),
    }
}

/// An array value as JSON arguments, or `None` for `null`.
pub(crate) fn arguments<'a>(
    raw: &'a [u8],
    name: &'static str,
) -> Result<Option<Arguments<'a>>, ProtocolError> {
    match raw.first() {
        Some(b'[') => {
            let (_, count) = scan_array(raw, 0, 1)?;
            Ok(Some(Arguments::from_raw_array(Protocol::Json, raw, count)))
        }
        Some(b'n') => Ok(None),
        _ => Err(ProtocolError::UnexpectedType {
            name,
            expected: "Array",
        }),
    }
}

/// The raw elements of an array value (each validated), or none for `null`.
pub(crate) fn elements<'a>(
    raw: &'a [u8],
    name: &'static str,
) -> Result<Vec<Payload<'a>>, ProtocolError> {
    match arguments(raw, name)? {
        Some(_) => Ok(crate::json::scan::ArrayElements::new(raw)
            .map(|e| Payload::from_raw(Protocol::Json, e))
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// An object value (or `None` for `null`) kept raw.
pub(crate) fn object<'a>(
    raw: &'a [u8],
    name: &'static str,
) -> Result<Option<Payload<'a>>, ProtocolError> {
    match raw.first() {
        Some(b'{') => Ok(Some(Payload::from_raw(Protocol::Json, raw))),
        Some(b'n') => Ok(None),
        _ => Err(ProtocolError::UnexpectedType {
            name,
            expected: "Object",
        }),
    }
}

/// Whether a flag value is set: `1` or `true` (the classic server writes `1`).
pub(crate) fn flag(raw: &[u8]) -> bool {
    matches!(raw, b"1" | b"true")
}

/// Any value kept raw.
pub(crate) fn value(raw: &[u8]) -> Payload<'_> {
    Payload::from_raw(Protocol::Json, raw)
}
