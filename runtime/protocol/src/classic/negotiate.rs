//! Negotiate, protocol versions, transport names and `connectionData`: what a classic
//! client and server agree on before a connection carries anything.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The answer to `GET {url}/negotiate`, with the classic server's property names and order.
/// Durations are in seconds (`20.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NegotiateResponse {
    /// The endpoint's path (the request path without `/negotiate`).
    pub url: String,
    /// The protected connection token the client sends on every later request.
    pub connection_token: String,
    /// The connection's id.
    pub connection_id: String,
    /// How long the client waits for a keep-alive before it reconnects; `None` when the
    /// server sends none.
    pub keep_alive_timeout: Option<f64>,
    /// How long the server keeps a connection whose client is gone.
    pub disconnect_timeout: f64,
    /// How long the server holds a long poll.
    pub connection_timeout: f64,
    /// Whether the client may try WebSockets.
    pub try_web_sockets: bool,
    /// The protocol version the server speaks with this client.
    pub protocol_version: String,
    /// How long a transport may take to deliver the init message.
    pub transport_connect_timeout: f64,
    /// How long a long-polling client waits between polls.
    pub long_poll_delay: f64,
    /// Azure SignalR Service: negotiate again at this URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// Azure SignalR Service: the access token for the redirected URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// A refusal, as a text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where WebSockets connect instead of the endpoint, if elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_socket_server_url: Option<String>,
}

/// One hub a client subscribes to, an element of the `connectionData` query parameter:
/// `[{"name":"chathub"}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubSubscription {
    /// The hub's name (the JavaScript client sends it lower-cased).
    #[serde(alias = "Name")]
    pub name: String,
}

/// The hubs of a `connectionData` value; an empty or missing value subscribes to none.
pub fn parse_connection_data(text: &str) -> Result<Vec<HubSubscription>, serde_json::Error> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    Ok(serde_json::from_str::<Option<Vec<HubSubscription>>>(text)?.unwrap_or_default())
}

/// A protocol version (`1.5`, `2.0`): up to four numbers, compared numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion([u32; 4], u8);

impl ProtocolVersion {
    /// The oldest version a classic server speaks (SignalR 1.x).
    pub const MIN: ProtocolVersion = ProtocolVersion([1, 2, 0, 0], 2);
    /// The newest version a classic server speaks (SignalR 2.4).
    pub const MAX: ProtocolVersion = ProtocolVersion([2, 0, 0, 0], 2);
    /// The version a client names to have `/start` raise `OnConnected`.
    pub const DELAYED_START: ProtocolVersion = ProtocolVersion([1, 4, 0, 0], 2);
    /// What the JavaScript client 2.4 sends.
    pub const CLIENT: ProtocolVersion = ProtocolVersion([2, 1, 0, 0], 2);

    /// Parses `major.minor[.build[.revision]]`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = [0u32; 4];
        let mut n = 0u8;
        for piece in text.split('.') {
            if n == 4 || piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[usize::from(n)] = piece.parse().ok()?;
            n += 1;
        }
        (n >= 2).then_some(ProtocolVersion(parts, n))
    }

    /// The version a server speaks with a client that names `client` (the `clientProtocol`
    /// parameter): clamped to [`MIN`](Self::MIN)..=[`MAX`](Self::MAX); the oldest when the
    /// client names none or an unparsable one.
    pub fn resolve(client: Option<&str>) -> Self {
        match client.and_then(Self::parse) {
            Some(v) if v > Self::MAX => Self::MAX,
            Some(v) if v < Self::MIN => Self::MIN,
            Some(v) => v,
            None => Self::MIN,
        }
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().take(usize::from(self.1)).enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A classic transport, by its name in the `transport` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassicTransport {
    /// `webSockets`.
    WebSockets,
    /// `serverSentEvents`.
    ServerSentEvents,
    /// `longPolling`.
    LongPolling,
    /// `foreverFrame` (Internet Explorer's hidden iframe).
    ForeverFrame,
}

impl ClassicTransport {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            ClassicTransport::WebSockets => "webSockets",
            ClassicTransport::ServerSentEvents => "serverSentEvents",
            ClassicTransport::LongPolling => "longPolling",
            ClassicTransport::ForeverFrame => "foreverFrame",
        }
    }

    /// The transport a name names, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ClassicTransport::WebSockets,
            ClassicTransport::ServerSentEvents,
            ClassicTransport::LongPolling,
            ClassicTransport::ForeverFrame,
        ]
        .into_iter()
        .find(|t| t.name().eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn negotiate_is_written_with_the_classic_names_and_order() {
        let r = NegotiateResponse {
            url: "/signalr".into(),
            connection_token: "tok".into(),
            connection_id: "id".into(),
            keep_alive_timeout: Some(20.0),
            disconnect_timeout: 30.0,
            connection_timeout: 110.0,
            try_web_sockets: true,
            protocol_version: "2.0".into(),
            transport_connect_timeout: 5.0,
            long_poll_delay: 0.0,
            redirect_url: None,
            access_token: None,
            error: None,
            web_socket_server_url: None,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"Url":"/signalr","ConnectionToken":"tok","ConnectionId":"id","KeepAliveTimeout":20.0,"DisconnectTimeout":30.0,"ConnectionTimeout":110.0,"TryWebSockets":true,"ProtocolVersion":"2.0","TransportConnectTimeout":5.0,"LongPollDelay":0.0}"#
        );
        assert_eq!(serde_json::from_str::<NegotiateResponse>(&text).unwrap(), r);
    }

    #[test]
    fn versions_are_clamped_like_the_classic_server() {
        let resolve = |v| ProtocolVersion::resolve(v).to_string();
        assert_eq!(resolve(Some("2.1")), "2.0");
        assert_eq!(resolve(Some("1.5")), "1.5");
        assert_eq!(resolve(Some("1.0")), "1.2");
        assert_eq!(resolve(Some("x")), "1.2");
        assert_eq!(resolve(None), "1.2");
        assert_eq!(resolve(Some("1.4.1")), "1.4.1");
        assert!(ProtocolVersion::resolve(Some("1.4")) >= ProtocolVersion::DELAYED_START);
        assert!(ProtocolVersion::resolve(Some("1.3")) < ProtocolVersion::DELAYED_START);
    }

    #[test]
    fn connection_data_and_transports_parse() {
        let hubs = parse_connection_data(r#"[{"name":"chathub"},{"Name":"Other"}]"#).unwrap();
        assert_eq!(hubs[1].name, "Other");
        assert!(parse_connection_data("").unwrap().is_empty());
        assert!(parse_connection_data("null").unwrap().is_empty());
        assert!(parse_connection_data("[{").is_err());
        assert_eq!(
            ClassicTransport::from_name("LONGPOLLING"),
            Some(ClassicTransport::LongPolling)
        );
        assert_eq!(ClassicTransport::from_name("ws"), None);
    }
}
