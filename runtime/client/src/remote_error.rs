//! SignalARRR's error envelope: the structured error a SignalARRR server puts in the error
//! text of a Completion (`... HARRRException: {"Version":1,"Code":..,"Type":..,"Message":..}`),
//! read back into a [`RemoteError`].

use std::fmt;

use serde::Deserialize;
use signalr_protocol::Payload;

/// What precedes the envelope in the error text SignalR wraps it in.
const MARKER: &str = "HARRRException: ";

/// The codes SignalARRR defines; any other code counts as `internal` (see
/// [`RemoteError::normalized_code`]).
pub const KNOWN_CODES: [&str; 9] = [
    "unauthorized",
    "method_not_found",
    "invalid_argument_count",
    "argument_binding_failed",
    "cancelled",
    "timeout",
    "no_client_responded",
    "upload_slot_limit_reached",
    "internal",
];

/// A call's failure as a SignalARRR server describes it: a code (`argument_binding_failed`,
/// an application's own `room_full`, ...), the server-side exception type and its message,
/// and the cause chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemoteError {
    /// The envelope's version (`1` since structured codes; `0` from older servers).
    pub version: i64,
    /// The code, verbatim (`None` from servers that send none).
    pub code: Option<String>,
    /// The exception type (`System.ArgumentException`, ...; `Error` when unknown).
    pub error_type: String,
    /// The message.
    pub message: String,
    /// The server's stack trace, when it sends one.
    pub stack_trace: Option<String>,
    /// The cause.
    pub inner: Option<Box<RemoteError>>,
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The envelope as it travels (every field optional).
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Version", default)]
    version: Option<i64>,
    #[serde(rename = "Code", default)]
    code: Option<String>,
    #[serde(rename = "Type", default)]
    error_type: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
    #[serde(rename = "StackTrace", default)]
    stack_trace: Option<String>,
    #[serde(rename = "InnerError", default)]
    inner: Option<Box<Envelope>>,
}

impl Envelope {
    /// Whether the object is an envelope: a version, a code, or a type and a message.
    fn is_envelope(&self) -> bool {
        self.version.is_some_and(|v| v >= 1)
            || self.code.as_deref().is_some_and(|c| !c.is_empty())
            || (self.error_type.is_some() && self.message.is_some())
    }

    fn into_error(self) -> RemoteError {
        RemoteError {
            version: self.version.unwrap_or(0),
            code: self.code.filter(|c| !c.is_empty()),
            error_type: self.error_type.unwrap_or_else(|| "Error".to_owned()),
            message: self.message.unwrap_or_default(),
            stack_trace: self.stack_trace,
            inner: self.inner.map(|i| Box::new(i.into_error())),
        }
    }
}

impl RemoteError {
    /// Reads the envelope out of a Completion's error text: the JSON after
    /// `HARRRException: ` (or the whole text), or the `[Type] Message` form of older
    /// servers; `None` when the text carries neither.
    pub fn parse(text: &str) -> Option<RemoteError> {
        let body = text
            .find(MARKER)
            .map_or(text, |at| &text[at + MARKER.len()..]);
        if let Ok(payload) = Payload::json(body.trim())
            && let Ok(envelope) = payload.bind::<Envelope>()
        {
            return envelope.is_envelope().then(|| envelope.into_error());
        }
        legacy(body)
    }

    /// The code if SignalARRR defines it, else `internal` (how clients are to treat an
    /// unknown code). An application's own code stays readable in [`code`](Self::code).
    pub fn normalized_code(&self) -> &str {
        match self.code.as_deref() {
            Some(c) if KNOWN_CODES.contains(&c) => c,
            _ => "internal",
        }
    }
}

/// `[Type] Message`, as servers before structured errors wrote them.
fn legacy(text: &str) -> Option<RemoteError> {
    let rest = text.strip_prefix('[')?;
    let end = rest.find(']')?;
    let error_type = &rest[..end];
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
    if error_type.is_empty() || !error_type.chars().all(word) {
        return None;
    }
    Some(RemoteError {
        version: 0,
        code: None,
        error_type: error_type.to_owned(),
        message: rest[end + 1..].trim_start().to_owned(),
        stack_trace: None,
        inner: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_v5_envelope_is_read_after_the_marker() {
        let text = "An unexpected error occurred invoking 'InvokeMessageResult' on the server. HARRRException: {\"Version\":1,\"Code\":\"argument_binding_failed\",\"Type\":\"System.ArgumentException\",\"Message\":\"Invalid value provided (Parameter \\u0027testParam\\u0027)\",\"StackTrace\":null,\"InnerError\":{\"Version\":1,\"Code\":\"internal\",\"Type\":\"X\",\"Message\":\"inner\",\"StackTrace\":null,\"InnerError\":null}}";
        let e = RemoteError::parse(text).unwrap();
        assert_eq!(e.code.as_deref(), Some("argument_binding_failed"));
        assert_eq!(e.error_type, "System.ArgumentException");
        assert_eq!(e.message, "Invalid value provided (Parameter 'testParam')");
        assert_eq!(e.inner.as_ref().unwrap().message, "inner");
        assert_eq!(e.normalized_code(), "argument_binding_failed");
    }

    #[test]
    fn application_codes_stay_and_normalize_to_internal() {
        let e = RemoteError::parse(
            r#"{"Version":1,"Code":"room_full","Type":"HARRRException","Message":"The room is full."}"#,
        )
        .unwrap();
        assert_eq!(e.code.as_deref(), Some("room_full"));
        assert_eq!(e.normalized_code(), "internal");
    }

    #[test]
    fn older_forms_and_plain_texts() {
        let e = RemoteError::parse(r#"{"Type":"System.Exception","Message":"boom"}"#).unwrap();
        assert_eq!((e.version, e.code, e.message.as_str()), (0, None, "boom"));
        let e = RemoteError::parse("[System.InvalidOperationException] not allowed").unwrap();
        assert_eq!(e.error_type, "System.InvalidOperationException");
        assert_eq!(e.message, "not allowed");
        assert!(RemoteError::parse("Method does not exist.").is_none());
        assert!(RemoteError::parse(r#"{"Message":"no type"}"#).is_none());
    }
}
