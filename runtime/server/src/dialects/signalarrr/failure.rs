//! SignalARRR's error envelope (`HARRRError`, version 1) inside a Completion's error: a
//! machine-readable code, the .NET exception type and message, and for anything the
//! pipeline does not recognise, a fixed sentence with a correlation id instead of the
//! detail (logged on the server under that id).

use std::fmt::Write as _;

use signalr_protocol::BindError;

use crate::error::HubError;

/// The exception type name SignalR writes before the envelope.
pub(crate) const EXCEPTION: &str = "HARRRException";

/// The codes of `HARRRErrorCodes`.
pub(crate) mod codes {
    /// The message credential (or the connection's user) is not authorized.
    pub(crate) const UNAUTHORIZED: &str = "unauthorized";
    /// No method of that name.
    pub(crate) const METHOD_NOT_FOUND: &str = "method_not_found";
    /// The method exists but not with that many arguments.
    pub(crate) const INVALID_ARGUMENT_COUNT: &str = "invalid_argument_count";
    /// The arguments did not bind, or the method rejected its input.
    pub(crate) const ARGUMENT_BINDING_FAILED: &str = "argument_binding_failed";
    /// The call was cancelled.
    pub(crate) const CANCELLED: &str = "cancelled";
    /// The call timed out.
    pub(crate) const TIMEOUT: &str = "timeout";
    /// Anything else: detail withheld.
    pub(crate) const INTERNAL: &str = "internal";
    /// Too many unused upload slots.
    pub(crate) const UPLOAD_SLOT_LIMIT_REACHED: &str = "upload_slot_limit_reached";
}

/// .NET type names the envelope names.
pub(crate) mod types {
    /// Application errors and withheld ones.
    pub(crate) const HARRR_EXCEPTION: &str = "Cocoar.SignalARRR.Server.HARRRException";
    /// Resolution failures.
    pub(crate) const METHOD_RESOLUTION: &str =
        "Cocoar.SignalARRR.Common.Exceptions.MethodResolutionException";
    /// Authorization failures.
    pub(crate) const UNAUTHORIZED: &str =
        "Cocoar.SignalARRR.Common.Exceptions.UnauthorizedException";
    /// Binding failures.
    pub(crate) const ARGUMENT: &str = "System.ArgumentException";
    /// Cancellation.
    pub(crate) const CANCELED: &str = "System.OperationCanceledException";
    /// A `HubError::Hub` (ASP.NET Core's `HubException`).
    pub(crate) const HUB_EXCEPTION: &str = "Microsoft.AspNetCore.SignalR.HubException";
    /// The real type of an internal error, when detailed errors are on.
    pub(crate) const EXCEPTION: &str = "System.Exception";
}

/// One `HARRRError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `Code`.
    pub(crate) code: Option<String>,
    /// `Type`.
    pub(crate) kind: String,
    /// `Message`.
    pub(crate) message: String,
}

impl Failure {
    /// A failure with a code.
    pub(crate) fn new(code: &str, kind: &str, message: impl Into<String>) -> Self {
        Failure {
            code: Some(code.to_owned()),
            kind: kind.to_owned(),
            message: message.into(),
        }
    }

    /// `method_not_found`, as SignalARRR says it.
    pub(crate) fn method_not_found(name: &str) -> Self {
        Failure::new(
            codes::METHOD_NOT_FOUND,
            types::METHOD_RESOLUTION,
            format!("Method '{name}' not found!"),
        )
    }

    /// `method_not_found` for an interface no method set has.
    pub(crate) fn interface_not_found(name: &str) -> Self {
        Failure::new(
            codes::METHOD_NOT_FOUND,
            types::METHOD_RESOLUTION,
            format!("Interface '{name}' not found!"),
        )
    }

    /// `unauthorized`.
    pub(crate) fn unauthorized() -> Self {
        Failure::new(
            codes::UNAUTHORIZED,
            types::UNAUTHORIZED,
            format!("Exception of type '{}' was thrown.", types::UNAUTHORIZED),
        )
    }

    /// `cancelled`: the call was cancelled (by its caller, or the connection ending).
    pub(crate) fn cancelled() -> Self {
        Failure::new(
            codes::CANCELLED,
            types::CANCELED,
            "The operation was canceled.",
        )
    }

    /// `argument_binding_failed` with `message`.
    pub(crate) fn binding(message: impl Into<String>) -> Self {
        Failure::new(codes::ARGUMENT_BINDING_FAILED, types::ARGUMENT, message)
    }

    /// What a hub method's error becomes for the caller of `method`; an internal error is
    /// withheld (logged under a correlation id) unless `detailed`.
    pub(crate) fn from_hub_error(method: &str, e: &HubError, detailed: bool) -> Self {
        match e {
            HubError::Binding(BindError::ArgumentCount { provided, expected }) => Failure::new(
                codes::INVALID_ARGUMENT_COUNT,
                types::METHOD_RESOLUTION,
                format!(
                    "Method '{method}' cannot be called with {provided} argument(s). Registered argument count(s): {expected}."
                ),
            ),
            // The value's own message, as an ArgumentException's: SignalARRR's binder
            // reports no "Error binding value" prefix.
            HubError::Binding(BindError::Value { message }) => Failure::binding(message.clone()),
            HubError::Binding(b) => Failure::binding(b.to_string()),
            HubError::Coded { code, message } => {
                Failure::new(code, types::HARRR_EXCEPTION, message)
            }
            HubError::Hub(m) => Failure {
                code: None,
                kind: types::HUB_EXCEPTION.to_owned(),
                message: m.clone(),
            },
            HubError::Named { exception, message } => Failure {
                code: named_code(exception).map(str::to_owned),
                kind: exception.clone(),
                message: message.clone(),
            },
            HubError::Internal(m) if detailed => {
                Failure::new(codes::INTERNAL, types::EXCEPTION, m.clone())
            }
            HubError::Internal(m) => Failure::withheld(method, m),
        }
    }

    /// `internal`: a fixed sentence and a correlation id; the detail goes to the log.
    pub(crate) fn withheld(method: &str, detail: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let correlation = &id[..12];
        tracing::error!(
            correlation_id = correlation,
            method,
            error = detail,
            "SignalARRR call failed"
        );
        Failure::new(
            codes::INTERNAL,
            types::HARRR_EXCEPTION,
            format!("The server failed to handle this call. Correlation id: {correlation}"),
        )
    }

    /// The envelope as System.Text.Json writes it with its default encoder: `Version`,
    /// `Code`, `Type`, `Message`, `StackTrace`, `InnerError`, nulls written out, HTML-
    /// sensitive and non-ASCII characters escaped.
    pub(crate) fn to_json(&self) -> String {
        let mut out = String::with_capacity(96 + self.message.len());
        out.push_str("{\"Version\":1,\"Code\":");
        match &self.code {
            Some(c) => write_string(&mut out, c),
            None => out.push_str("null"),
        }
        out.push_str(",\"Type\":");
        write_string(&mut out, &self.kind);
        out.push_str(",\"Message\":");
        write_string(&mut out, &self.message);
        out.push_str(",\"StackTrace\":null,\"InnerError\":null}");
        out
    }

    /// The failure as the error a SignalR Completion carries:
    /// `... HARRRException: {envelope}`.
    pub(crate) fn into_hub_error(self) -> HubError {
        HubError::Named {
            exception: EXCEPTION.to_owned(),
            message: self.to_json(),
        }
    }
}

/// The code SignalARRR gives an exception named by its .NET type (`HARRRException.Wrap`):
/// argument exceptions, cancellations and timeouts have theirs; other types none.
fn named_code(exception: &str) -> Option<&'static str> {
    match exception {
        "System.ArgumentException"
        | "System.ArgumentNullException"
        | "System.ArgumentOutOfRangeException" => Some(codes::ARGUMENT_BINDING_FAILED),
        "System.OperationCanceledException" | "System.Threading.Tasks.TaskCanceledException" => {
            Some(codes::CANCELLED)
        }
        "System.TimeoutException" => Some(codes::TIMEOUT),
        _ => None,
    }
}

/// A JSON string as `JavaScriptEncoder.Default` writes it.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' if !matches!(c, '<' | '>' | '&' | '\'' | '+' | '`') => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_written_like_system_text_json() {
        let f = Failure::binding("Invalid value provided (Parameter 'testParam')");
        assert_eq!(
            f.to_json(),
            r#"{"Version":1,"Code":"argument_binding_failed","Type":"System.ArgumentException","Message":"Invalid value provided (Parameter \u0027testParam\u0027)","StackTrace":null,"InnerError":null}"#
        );
        let mut s = String::new();
        write_string(&mut s, "a<b>&\"\\\n é 😀+`");
        assert_eq!(
            s,
            r#""a\u003Cb\u003E\u0026\"\\\n \u00E9 \uD83D\uDE00\u002B\u0060""#
        );
    }

    #[test]
    fn internal_errors_are_withheld_unless_detailed() {
        let e = HubError::internal("connection string: secret");
        let f = Failure::from_hub_error("M", &e, false);
        assert_eq!(f.code.as_deref(), Some(codes::INTERNAL));
        assert_eq!(f.kind, types::HARRR_EXCEPTION);
        assert!(!f.message.contains("secret"));
        let id = f.message.rsplit(' ').next().unwrap_or_default();
        assert!(
            id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{f:?}"
        );
        let shown = Failure::from_hub_error("M", &e, true);
        assert!(shown.message.contains("secret"));
        let coded = Failure::from_hub_error(
            "M",
            &HubError::coded("room_full", "The room is full."),
            false,
        );
        assert_eq!(
            coded,
            Failure::new("room_full", types::HARRR_EXCEPTION, "The room is full.")
        );
        let named = HubError::Named {
            exception: "System.ArgumentException".into(),
            message: "bad".into(),
        };
        assert_eq!(
            Failure::from_hub_error("M", &named, false).code.as_deref(),
            Some(codes::ARGUMENT_BINDING_FAILED)
        );
        let value = HubError::Binding(BindError::Value {
            message: "Invalid value provided (Parameter 'p')".into(),
        });
        assert_eq!(
            Failure::from_hub_error("M", &value, false).message,
            "Invalid value provided (Parameter 'p')"
        );
        let count = HubError::Binding(BindError::ArgumentCount {
            provided: 3,
            expected: 2,
        });
        assert_eq!(
            Failure::from_hub_error("Add", &count, false).message,
            "Method 'Add' cannot be called with 3 argument(s). Registered argument count(s): 2."
        );
    }
}
