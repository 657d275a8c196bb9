//! The negotiate exchange that precedes a connection: `POST {hub}/negotiate?negotiateVersion=1`
//! and its JSON answer (a connection id and token, and the transports the server offers, or a
//! redirect, or an error). Both sides of it, without HTTP.

use serde::{Deserialize, Serialize};

use crate::protocol::TransferFormat;

/// The highest negotiate version: 1 adds a secret `connectionToken` beside the public
/// `connectionId`.
pub const NEGOTIATE_VERSION: i32 = 1;

/// The error a client reports when the server is a classic ASP.NET SignalR server.
pub const LEGACY_SERVER_ERROR: &str = "Detected a connection attempt to an ASP.NET SignalR Server. This client only supports connecting to an ASP.NET Core SignalR Server. See https://aka.ms/signalr-core-differences for details.";

/// A transport a server can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransportType {
    /// Full-duplex WebSockets.
    WebSockets,
    /// Server-Sent Events down, HTTP POST up.
    ServerSentEvents,
    /// Long polling down, HTTP POST up.
    LongPolling,
}

/// One entry of `availableTransports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableTransport {
    /// The transport. Unknown names from newer servers fail to parse as a whole entry and
    /// are skipped by [`NegotiateResponse::parse`].
    pub transport: TransportType,
    /// The transfer formats it can carry.
    pub transfer_formats: Vec<TransferFormatName>,
}

/// A transfer format as negotiate spells it (`Text`, `Binary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransferFormatName {
    /// UTF-8 text frames.
    Text,
    /// Binary frames.
    Binary,
}

impl From<TransferFormat> for TransferFormatName {
    fn from(f: TransferFormat) -> Self {
        match f {
            TransferFormat::Text => TransferFormatName::Text,
            TransferFormat::Binary => TransferFormatName::Binary,
        }
    }
}

/// The server's answer to a negotiate request, in the order ASP.NET Core writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NegotiateResponse {
    /// The negotiate version the server chose (absent on an error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negotiate_version: Option<i32>,
    /// Redirect: negotiate again at this URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Redirect: use this bearer token from now on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The public id of the connection (what `Clients.Client(id)` takes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    /// The secret the client passes as `id` on every later request (version 1 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_token: Option<String>,
    /// The transports the client may use, in order of preference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_transports: Option<Vec<AvailableTransport>>,
    /// Set when the server accepts stateful reconnect for this connection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub use_stateful_reconnect: bool,
    /// Why the server refused the connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A negotiate response that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiateError {
    /// The body is not a negotiate response.
    #[error("Invalid negotiate response: {0}")]
    Invalid(String),
    /// The server is a classic ASP.NET SignalR server.
    #[error("{LEGACY_SERVER_ERROR}")]
    LegacyServer,
    /// The server refused with this error.
    #[error("{0}")]
    Refused(String),
}

impl NegotiateResponse {
    /// A successful answer for `version` (0 or 1): version 0 carries no token, and its
    /// clients use the connection id as `id`.
    pub fn accept(
        version: i32,
        connection_id: impl Into<String>,
        connection_token: impl Into<String>,
        transports: Vec<AvailableTransport>,
    ) -> Self {
        NegotiateResponse {
            negotiate_version: Some(version),
            connection_id: Some(connection_id.into()),
            connection_token: (version > 0).then(|| connection_token.into()),
            available_transports: Some(transports),
            ..Default::default()
        }
    }

    /// An answer that refuses the connection (sent with HTTP 200, as ASP.NET Core does).
    pub fn refuse(error: impl Into<String>) -> Self {
        NegotiateResponse {
            error: Some(error.into()),
            ..Default::default()
        }
    }

    /// The response as JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain strings, numbers and enums cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Parses a response as a client does: an `error` is returned as
    /// [`NegotiateError::Refused`]; a version 0 response gets its connection id as token;
    /// transports this client does not know are dropped.
    pub fn parse(body: &[u8]) -> Result<NegotiateResponse, NegotiateError> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| NegotiateError::Invalid(e.to_string()))?;
        let serde_json::Value::Object(mut map) = value else {
            return Err(NegotiateError::Invalid("expected a JSON object".into()));
        };
        if map.contains_key("ProtocolVersion") {
            return Err(NegotiateError::LegacyServer);
        }
        if let Some(serde_json::Value::String(e)) = map.get("error") {
            return Err(NegotiateError::Refused(e.clone()));
        }
        let transports = map.remove("availableTransports");
        let mut response: NegotiateResponse =
            serde_json::from_value(serde_json::Value::Object(map))
                .map_err(|e| NegotiateError::Invalid(e.to_string()))?;
        if let Some(serde_json::Value::Array(list)) = transports {
            response.available_transports = Some(
                list.into_iter()
                    .filter_map(|t| serde_json::from_value::<AvailableTransport>(t).ok())
                    .collect(),
            );
        }
        if response.negotiate_version.unwrap_or(0) < 1 && response.connection_token.is_none() {
            response
                .connection_token
                .clone_from(&response.connection_id);
        }
        Ok(response)
    }
}

/// The server's choice of negotiate version from the request's `negotiateVersion` query
/// value: absent means 0, higher than supported is lowered to [`NEGOTIATE_VERSION`], and
/// ASP.NET Core's error texts otherwise.
pub fn select_version(query_value: Option<&str>, minimum: i32) -> Result<i32, String> {
    let Some(text) = query_value else {
        return if minimum > 0 {
            Err(
                "The client requested version '0', but the server does not support this version."
                    .to_owned(),
            )
        } else {
            Ok(0)
        };
    };
    let Ok(version) = text.trim().parse::<i32>() else {
        return Err("The client requested a non-integer protocol version.".to_owned());
    };
    if version < minimum {
        return Err(format!(
            "The client requested version '{version}', but the server does not support this version."
        ));
    }
    Ok(version.min(NEGOTIATE_VERSION))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws() -> AvailableTransport {
        AvailableTransport {
            transport: TransportType::WebSockets,
            transfer_formats: vec![TransferFormatName::Text, TransferFormatName::Binary],
        }
    }

    #[test]
    fn writes_in_aspnet_order() {
        let r = NegotiateResponse::accept(1, "id", "token", vec![ws()]);
        assert_eq!(
            r.to_json(),
            r#"{"negotiateVersion":1,"connectionId":"id","connectionToken":"token","availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]}]}"#
        );
        let v0 = NegotiateResponse::accept(0, "id", "token", vec![]);
        assert_eq!(
            v0.to_json(),
            r#"{"negotiateVersion":0,"connectionId":"id","availableTransports":[]}"#
        );
        assert_eq!(
            NegotiateResponse::refuse("This connection is not allowed.").to_json(),
            r#"{"error":"This connection is not allowed."}"#
        );
    }

    #[test]
    fn use_stateful_reconnect_only_when_set() {
        let mut r = NegotiateResponse::accept(1, "id", "token", vec![]);
        assert!(!r.to_json().contains("useStatefulReconnect"));
        r.use_stateful_reconnect = true;
        let json = r.to_json();
        assert!(json.ends_with(r#""availableTransports":[],"useStatefulReconnect":true}"#));
        assert!(NegotiateResponse::parse(json.as_bytes()).is_ok_and(|p| p.use_stateful_reconnect));
        let plain = br#"{"negotiateVersion":1,"connectionId":"i","connectionToken":"t","availableTransports":[]}"#;
        assert!(NegotiateResponse::parse(plain).is_ok_and(|p| !p.use_stateful_reconnect));
    }

    #[test]
    fn parses_like_a_client() {
        let body = br#"{"connectionToken":"t","connectionId":"c","negotiateVersion":1,"availableTransports":[{"transport":"WebSockets","transferFormats":["Text","Binary"]},{"transport":"WebTransport","transferFormats":["Binary"]}],"future":1}"#;
        let r = NegotiateResponse::parse(body).unwrap();
        assert_eq!(r.connection_token.as_deref(), Some("t"));
        assert_eq!(r.available_transports, Some(vec![ws()]));
        // Version 0: the connection id doubles as the token.
        let r =
            NegotiateResponse::parse(br#"{"connectionId":"c","availableTransports":[]}"#).unwrap();
        assert_eq!(r.connection_token.as_deref(), Some("c"));
        // Redirect.
        let r = NegotiateResponse::parse(br#"{"url":"https://x/chat","accessToken":"a"}"#).unwrap();
        assert_eq!(
            (r.url.as_deref(), r.access_token.as_deref()),
            (Some("https://x/chat"), Some("a"))
        );
        assert_eq!(
            NegotiateResponse::parse(br#"{"error":"no"}"#),
            Err(NegotiateError::Refused("no".into()))
        );
        assert_eq!(
            NegotiateResponse::parse(br#"{"ProtocolVersion":"1.5"}"#),
            Err(NegotiateError::LegacyServer)
        );
        assert!(matches!(
            NegotiateResponse::parse(b"[]"),
            Err(NegotiateError::Invalid(_))
        ));
        assert!(matches!(
            NegotiateResponse::parse(b"{"),
            Err(NegotiateError::Invalid(_))
        ));
    }

    #[test]
    fn selects_versions_with_aspnet_texts() {
        assert_eq!(select_version(None, 0), Ok(0));
        assert_eq!(select_version(Some("1"), 0), Ok(1));
        assert_eq!(select_version(Some("7"), 0), Ok(1));
        assert_eq!(
            select_version(Some("abc"), 0),
            Err("The client requested a non-integer protocol version.".to_owned())
        );
        assert_eq!(
            select_version(Some("-1"), 0),
            Err(
                "The client requested version '-1', but the server does not support this version."
                    .to_owned()
            )
        );
        assert_eq!(
            select_version(None, 1),
            Err(
                "The client requested version '0', but the server does not support this version."
                    .to_owned()
            )
        );
    }
}
