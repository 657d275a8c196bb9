//! The handshake: the client's first message names the protocol and version, the server
//! answers with an empty object or an error. Both are JSON ended by `0x1E`, whatever the
//! hub protocol.
//!
//! The server-side decision ([`select_protocol`]) produces ASP.NET Core's error texts.

use std::borrow::Cow;

use crate::error::{HandshakeError, ProtocolError};
use crate::json::RECORD_SEPARATOR;
use crate::json::scan::{expect, read_integer, read_string, skip_value, skip_ws};
use crate::json::write_str;
use crate::protocol::{Protocol, TransferFormat};

/// The client's handshake request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeRequest<'a> {
    /// The protocol name (`json`, `messagepack`).
    pub protocol: Cow<'a, str>,
    /// The protocol version: 1, or 2 for stateful reconnect.
    pub version: i64,
}

/// The server's handshake response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandshakeResponse<'a> {
    /// `None` on success; otherwise why the server refused (it then closes the connection).
    pub error: Option<Cow<'a, str>>,
}

/// The server's answer to a request whose handshake message could not be read, when
/// detailed errors are off (ASP.NET Core's text).
pub const UNEXPECTED_HANDSHAKE_ERROR: &str =
    "An unexpected error occurred during connection handshake.";

/// The server's answer when the handshake did not arrive in time or was too large.
pub const HANDSHAKE_CANCELED: &str = "Handshake was canceled.";

/// Finds the end of the first record in `buf`: `Some(index of 0x1E)` if complete.
fn record_end(buf: &[u8], max: Option<usize>) -> Result<Option<usize>, ProtocolError> {
    let window = match max {
        Some(limit) => &buf[..buf.len().min(limit)],
        None => buf,
    };
    match memchr::memchr(RECORD_SEPARATOR, window) {
        Some(i) => Ok(Some(i)),
        None => match max {
            Some(limit) if buf.len() >= limit => Err(ProtocolError::MessageTooLarge { limit }),
            _ => Ok(None),
        },
    }
}

/// Walks the properties of one JSON object, calling `on_property(key, value_start)`, which
/// must return the position after the value.
fn object(
    text: &str,
    mut on_property: impl FnMut(&str, usize) -> Result<usize, ProtocolError>,
) -> Result<(), ProtocolError> {
    let b = text.as_bytes();
    let mut p = skip_ws(b, 0);
    match b.get(p) {
        Some(b'{') => {}
        Some(c) => {
            let token = match c {
                b'[' => "Array",
                b'"' => "String",
                b't' | b'f' => "Boolean",
                b'n' => "Null",
                b'-' | b'0'..=b'9' => "Number",
                _ => "None",
            };
            skip_value(b, p, 0).map_err(|e| HandshakeError::Syntax(Box::new(e)))?;
            return Err(HandshakeError::NotAnObject(token).into());
        }
        None => return Err(HandshakeError::NotAnObject("None").into()),
    }
    let syntax = |e: ProtocolError| ProtocolError::from(HandshakeError::Syntax(Box::new(e)));
    p = skip_ws(b, p + 1);
    if b.get(p) == Some(&b'}') {
        p += 1;
    } else {
        loop {
            if b.get(p) != Some(&b'"') {
                return Err(syntax(ProtocolError::InvalidJson {
                    offset: crate::error::Offset(p),
                    reason: "expected a property name",
                }));
            }
            let (key, after) = read_string(text.as_bytes(), p).map_err(syntax)?;
            p = skip_ws(b, expect(b, after, b':', "expected ':'").map_err(syntax)?);
            p = skip_ws(b, on_property(&key, p)?);
            match b.get(p) {
                Some(b',') => p = skip_ws(b, p + 1),
                Some(b'}') => {
                    p += 1;
                    break;
                }
                _ => {
                    return Err(syntax(ProtocolError::InvalidJson {
                        offset: crate::error::Offset(p),
                        reason: "expected ',' or '}'",
                    }));
                }
            }
        }
    }
    let end = skip_ws(b, p);
    if end != b.len() {
        return Err(syntax(ProtocolError::TrailingData {
            offset: crate::error::Offset(end),
        }));
    }
    Ok(())
}

fn utf8(record: &[u8]) -> Result<&str, ProtocolError> {
    std::str::from_utf8(record).map_err(|e| {
        HandshakeError::Syntax(Box::new(ProtocolError::InvalidUtf8 {
            offset: crate::error::Offset(e.valid_up_to()),
        }))
        .into()
    })
}

/// Parses the handshake request at the start of `buf`.
///
/// `Ok(None)` means the record is not complete yet. On success, returns the request and how
/// many bytes it used (including `0x1E`); bytes after it are the first hub messages. A
/// request that has not ended within `max_message_size` bytes is refused, as the server
/// refuses any oversized message.
pub fn parse_request(
    buf: &[u8],
    max_message_size: Option<usize>,
) -> Result<Option<(HandshakeRequest<'_>, usize)>, ProtocolError> {
    let Some(end) = record_end(buf, max_message_size)? else {
        return Ok(None);
    };
    let text = utf8(&buf[..end])?;
    let mut protocol: Option<Cow<'_, str>> = None;
    let mut version: Option<i64> = None;
    let syntax = |e: ProtocolError| ProtocolError::from(HandshakeError::Syntax(Box::new(e)));
    object(text, |key, p| {
        let b = text.as_bytes();
        match key {
            "protocol" => match b.get(p) {
                Some(b'"') => {
                    let (v, after) = read_string(text.as_bytes(), p).map_err(syntax)?;
                    // `v` borrows from `text`, which outlives the closure.
                    protocol = Some(Cow::Owned(v.into_owned()));
                    Ok(after)
                }
                Some(b'n') => {
                    protocol = None;
                    skip_value(b, p, 1).map_err(syntax)
                }
                _ => {
                    skip_value(b, p, 1).map_err(syntax)?;
                    Err(HandshakeError::UnexpectedType {
                        name: "protocol",
                        expected: "String",
                    }
                    .into())
                }
            },
            "version" => match b.get(p) {
                Some(b'-' | b'0'..=b'9') => {
                    let (v, after) = read_integer(b, p).map_err(syntax)?;
                    version = Some(v.and_then(|v| i32::try_from(v).ok()).map(i64::from).ok_or(
                        HandshakeError::UnexpectedType {
                            name: "version",
                            expected: "Number",
                        },
                    )?);
                    Ok(after)
                }
                Some(b'n') => {
                    version = None;
                    skip_value(b, p, 1).map_err(syntax)
                }
                _ => {
                    skip_value(b, p, 1).map_err(syntax)?;
                    Err(HandshakeError::UnexpectedType {
                        name: "version",
                        expected: "Number",
                    }
                    .into())
                }
            },
            _ => skip_value(b, p, 1).map_err(syntax),
        }
    })?;
    let protocol = protocol.ok_or(HandshakeError::MissingProperty("protocol"))?;
    let version = version.ok_or(HandshakeError::MissingProperty("version"))?;
    Ok(Some((HandshakeRequest { protocol, version }, end + 1)))
}

/// Appends a handshake request (`{"protocol":"json","version":1}` and `0x1E`).
pub fn write_request(req: &HandshakeRequest<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"protocol\":");
    write_str(out, &req.protocol);
    out.extend_from_slice(b",\"version\":");
    out.extend_from_slice(req.version.to_string().as_bytes());
    out.extend_from_slice(&[b'}', RECORD_SEPARATOR]);
}

/// Parses the handshake response at the start of `buf`; as [`parse_request`].
pub fn parse_response(
    buf: &[u8],
    max_message_size: Option<usize>,
) -> Result<Option<(HandshakeResponse<'static>, usize)>, ProtocolError> {
    let Some(end) = record_end(buf, max_message_size)? else {
        return Ok(None);
    };
    let text = utf8(&buf[..end])?;
    let mut error = None;
    let mut has_type = false;
    let syntax = |e: ProtocolError| ProtocolError::from(HandshakeError::Syntax(Box::new(e)));
    object(text, |key, p| {
        let b = text.as_bytes();
        match key {
            "error" if b.get(p) == Some(&b'"') => {
                let (v, after) = read_string(text.as_bytes(), p).map_err(syntax)?;
                error = Some(Cow::Owned(v.into_owned()));
                Ok(after)
            }
            "type" => {
                has_type = true;
                skip_value(b, p, 1).map_err(syntax)
            }
            _ => skip_value(b, p, 1).map_err(syntax),
        }
    })?;
    if has_type {
        return Err(HandshakeError::NotAResponse.into());
    }
    Ok(Some((HandshakeResponse { error }, end + 1)))
}

/// Appends a handshake response: `{}` on success, `{"error":"..."}` otherwise, then `0x1E`.
pub fn write_response(resp: &HandshakeResponse<'_>, out: &mut Vec<u8>) {
    match resp.error.as_deref() {
        Some(e) if !e.is_empty() => {
            out.extend_from_slice(b"{\"error\":");
            write_str(out, e);
            out.push(b'}');
        }
        _ => out.extend_from_slice(b"{}"),
    }
    out.push(RECORD_SEPARATOR);
}

/// The server's decision on a request: the protocol to speak, or the error text to answer
/// with (ASP.NET Core's texts).
///
/// `supported` lists the protocols the server offers; `transport` is the transfer format of
/// the connection's transport (`None` when it carries both).
pub fn select_protocol(
    req: &HandshakeRequest<'_>,
    supported: &[Protocol],
    transport: Option<TransferFormat>,
) -> Result<Protocol, String> {
    let Some(protocol) = Protocol::from_name(&req.protocol).filter(|p| supported.contains(p))
    else {
        return Err(format!("The protocol '{}' is not supported.", req.protocol));
    };
    if !protocol.is_version_supported(req.version) {
        return Err(format!(
            "The server does not support version {} of the '{}' protocol.",
            req.version, req.protocol
        ));
    }
    if let Some(format) = transport
        && format != protocol.transfer_format()
    {
        return Err(format!(
            "Cannot use the '{}' protocol on the current transport. The transport does not support '{}' transfer format.",
            protocol.name(),
            protocol.transfer_format()
        ));
    }
    Ok(protocol)
}

/// The error text for a handshake that could not be read: ASP.NET Core's generic text, or
/// with `detailed` that text followed by the cause.
pub fn unreadable_request_error(err: &ProtocolError, detailed: bool) -> String {
    match err {
        ProtocolError::MessageTooLarge { .. } => HANDSHAKE_CANCELED.to_owned(),
        _ if detailed => format!("{UNEXPECTED_HANDSHAKE_ERROR} InvalidDataException: {err}"),
        _ => UNEXPECTED_HANDSHAKE_ERROR.to_owned(),
    }
}
