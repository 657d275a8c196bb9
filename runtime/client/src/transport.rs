//! The WebSockets transport: negotiate over HTTP, the WebSocket connection, the handshake,
//! and the loop that moves frames between the socket and an engine [`Session`], with
//! keep-alive Pings and the server timeout.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::Url;
use signalr_protocol::handshake::{self, HandshakeRequest};
use signalr_protocol::negotiate::{NEGOTIATE_VERSION, NegotiateResponse, TransportType};
use signalr_protocol::{FrameReader, HubMessage, Protocol, TransferFormat};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, header};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

use crate::builder::Config;
use crate::engine::{Outgoing, Received, Session};
use crate::error::ClientError;

/// The most negotiate redirects followed, as the official clients.
const MAX_REDIRECTS: usize = 100;

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket connection whose handshake succeeded.
pub(crate) struct Established {
    ws: WsStream,
    /// The connection id from negotiate (`None` when negotiation was skipped).
    pub(crate) connection_id: Option<String>,
    /// Bytes that followed the handshake response in the same message.
    leftover: Vec<u8>,
}

impl Established {
    /// Closes the WebSocket without starting a session.
    pub(crate) async fn close(mut self) {
        close(&mut self.ws).await;
    }
}

/// Why a session ended.
#[derive(Debug)]
pub(crate) struct SessionEnd {
    /// What went wrong, if anything.
    pub(crate) error: Option<ClientError>,
    /// Whether automatic reconnect may follow.
    pub(crate) allow_reconnect: bool,
}

/// An error's text followed by its sources' texts.
fn error_chain(e: &dyn StdError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

fn invalid_url(url: &str, reason: impl Into<String>) -> ClientError {
    ClientError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.into(),
    }
}

/// Parses the hub URL (`http`, `https`, `ws` or `wss`).
pub(crate) fn parse_url(url: &str) -> Result<Url, ClientError> {
    let parsed = Url::parse(url).map_err(|e| invalid_url(url, e.to_string()))?;
    match parsed.scheme() {
        "http" | "https" | "ws" | "wss" => Ok(parsed),
        other => Err(invalid_url(url, format!("unsupported scheme '{other}'"))),
    }
}

/// Switches between the HTTP and WebSocket schemes (`secure` stays as it was).
fn with_scheme(url: &Url, websocket: bool) -> Url {
    let secure = matches!(url.scheme(), "https" | "wss");
    let scheme = match (websocket, secure) {
        (true, false) => "ws",
        (true, true) => "wss",
        (false, false) => "http",
        (false, true) => "https",
    };
    let mut u = url.clone();
    // Switching between special schemes always succeeds.
    let _ = u.set_scheme(scheme);
    u
}

/// `{url}/negotiate?...&negotiateVersion=1`, as the official clients build it.
pub(crate) fn negotiate_url(url: &Url) -> Url {
    let mut u = with_scheme(url, false);
    let mut path = u.path().to_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    path.push_str("negotiate");
    u.set_path(&path);
    if !u.query().is_some_and(|q| q.contains("negotiateVersion")) {
        u.query_pairs_mut()
            .append_pair("negotiateVersion", &NEGOTIATE_VERSION.to_string());
    }
    u
}

/// The WebSocket URL for the hub URL and the connection token.
pub(crate) fn websocket_url(url: &Url, connection_token: Option<&str>) -> Url {
    let mut u = with_scheme(url, true);
    if let Some(token) = connection_token {
        u.query_pairs_mut().append_pair("id", token);
    }
    u
}

/// The TLS settings of `https` and `wss`: the public roots and the configured certificates.
fn tls_config(config: &Config) -> Result<rustls::ClientConfig, String> {
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for certificate in &config.root_certificates {
        roots
            .add(certificate.clone())
            .map_err(|e| format!("invalid root certificate: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The HTTP client for negotiate, with the connection's TLS settings; `None` if it cannot
/// be made (the connection then fails to start, saying so).
pub(crate) fn http_client(config: &Config) -> Option<reqwest::Client> {
    let tls = tls_config(config).ok()?;
    reqwest::Client::builder()
        .no_proxy()
        .use_preconfigured_tls(tls)
        .build()
        .ok()
}

async fn negotiate(
    http: &reqwest::Client,
    url: &Url,
    token: Option<&str>,
    config: &Config,
) -> Result<NegotiateResponse, ClientError> {
    let mut request = http.post(negotiate_url(url));
    for (name, value) in &config.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| ClientError::Negotiate(error_chain(&e)))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(ClientError::Negotiate(format!(
            "Unexpected status code returned from negotiate '{}'",
            status.as_u16()
        )));
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| ClientError::Negotiate(error_chain(&e)))?;
    NegotiateResponse::parse(&body).map_err(|e| ClientError::Negotiate(e.to_string()))
}

/// Negotiates (unless skipped), connects the WebSocket and completes the handshake.
pub(crate) async fn connect(
    config: &Config,
    http: &reqwest::Client,
) -> Result<Established, ClientError> {
    let mut url = parse_url(&config.url)?;
    let mut token = match &config.access_token {
        Some(factory) => Some(factory().await),
        None => None,
    };
    let (ws_url, connection_id) = if config.skip_negotiation {
        (with_scheme(&url, true), None)
    } else {
        let mut redirects = 0;
        let response = loop {
            let response = negotiate(http, &url, token.as_deref(), config).await?;
            let Some(next) = response.url else {
                break response;
            };
            if redirects == MAX_REDIRECTS {
                return Err(ClientError::Negotiate(
                    "Negotiate redirection limit exceeded.".to_owned(),
                ));
            }
            redirects += 1;
            url = parse_url(&next)?;
            if let Some(t) = response.access_token {
                token = Some(t);
            }
        };
        let format = match config.protocol.transfer_format() {
            TransferFormat::Text => signalr_protocol::negotiate::TransferFormatName::Text,
            TransferFormat::Binary => signalr_protocol::negotiate::TransferFormatName::Binary,
        };
        let websockets = response.available_transports.as_ref().is_some_and(|list| {
            list.iter().any(|t| {
                t.transport == TransportType::WebSockets && t.transfer_formats.contains(&format)
            })
        });
        if !websockets {
            return Err(ClientError::Negotiate(
                "None of the transports supported by the client are supported by the server."
                    .to_owned(),
            ));
        }
        (
            websocket_url(&url, response.connection_token.as_deref()),
            response.connection_id,
        )
    };
    let ws = tokio::time::timeout(
        config.handshake_timeout,
        open_websocket(&ws_url, token.as_deref(), config),
    )
    .await
    .map_err(|_| ClientError::Transport("WebSocket failed to connect: timed out".to_owned()))??;
    let (ws, leftover) = handshake(ws, config).await?;
    Ok(Established {
        ws,
        connection_id,
        leftover,
    })
}

async fn open_websocket(
    url: &Url,
    token: Option<&str>,
    config: &Config,
) -> Result<WsStream, ClientError> {
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| invalid_url(url.as_str(), e.to_string()))?;
    let headers = request.headers_mut();
    for (name, value) in &config.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| ClientError::Transport(format!("invalid header name '{name}': {e}")))?;
        let value = HeaderValue::from_str(value).map_err(|e| {
            ClientError::Transport(format!("invalid value of header '{name}': {e}"))
        })?;
        headers.append(name, value);
    }
    if let Some(token) = token {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| ClientError::Transport(format!("invalid access token: {e}")))?;
        headers.insert(header::AUTHORIZATION, value);
    }
    let tls = tls_config(config).map_err(ClientError::Transport)?;
    let connector = tokio_tungstenite::Connector::Rustls(Arc::new(tls));
    let (ws, _) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, Some(connector))
            .await
            .map_err(|e| {
                ClientError::Transport(format!("WebSocket failed to connect: {}", error_chain(&e)))
            })?;
    Ok(ws)
}

/// Sends the handshake request and waits for the response; returns the bytes after it.
async fn handshake(mut ws: WsStream, config: &Config) -> Result<(WsStream, Vec<u8>), ClientError> {
    let mut request = Vec::new();
    handshake::write_request(
        &HandshakeRequest {
            protocol: config.protocol.name().into(),
            version: 1,
        },
        &mut request,
    );
    let text = String::from_utf8(request)
        .map_err(|_| ClientError::Handshake("the handshake request is not UTF-8".to_owned()))?;
    ws.send(Message::text(text))
        .await
        .map_err(|e| ClientError::Transport(error_chain(&e)))?;
    let wait = async {
        let mut buf = Vec::new();
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => buf.extend_from_slice(t.as_bytes()),
                Some(Ok(Message::Binary(b))) => buf.extend_from_slice(&b),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(_))) | None => {
                    return Err(ClientError::Handshake(
                        "the server closed the connection before the handshake completed"
                            .to_owned(),
                    ));
                }
                Some(Err(e)) => return Err(ClientError::Transport(error_chain(&e))),
            }
            match handshake::parse_response(&buf, None) {
                Ok(None) => {}
                Ok(Some((response, used))) => {
                    return match response.error {
                        Some(e) => Err(ClientError::Handshake(e.into_owned())),
                        None => Ok(buf.split_off(used)),
                    };
                }
                Err(e) => return Err(ClientError::Handshake(e.to_string())),
            }
        }
    };
    let result = match tokio::time::timeout(config.handshake_timeout, wait).await {
        Ok(r) => r,
        Err(_) => Err(ClientError::Handshake(
            "the server did not answer the handshake in time".to_owned(),
        )),
    };
    match result {
        Ok(leftover) => Ok((ws, leftover)),
        Err(e) => {
            close(&mut ws).await;
            Err(e)
        }
    }
}

/// Closes the WebSocket, waiting briefly for the server's close frame.
async fn close(ws: &mut WsStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = ws.close(None).await;
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
}

/// Writes one framed message: JSON in a text frame, MessagePack in a binary frame.
async fn write(ws: &mut WsStream, protocol: Protocol, frame: Vec<u8>) -> Result<(), ClientError> {
    let msg = match protocol {
        Protocol::Json => Message::text(
            String::from_utf8(frame)
                .map_err(|_| ClientError::Transport("a JSON frame is not UTF-8".to_owned()))?,
        ),
        Protocol::MessagePack => Message::binary(frame),
    };
    ws.send(msg)
        .await
        .map_err(|e| ClientError::Transport(error_chain(&e)))
}

/// Splits `chunk` into frames and hands each message to the session; returns the end of the
/// session if the server sent Close.
fn feed(
    reader: &mut FrameReader,
    session: &Session,
    chunk: &[u8],
) -> Result<Option<SessionEnd>, ClientError> {
    let protocol = reader.protocol();
    let mut end = None;
    reader.push(chunk, |frame| -> Result<(), ClientError> {
        if end.is_some() {
            return Ok(());
        }
        match protocol.decode_frame(frame) {
            Ok(msg) => {
                if let Received::Close {
                    error,
                    allow_reconnect,
                } = session.receive(msg)
                {
                    end = Some(SessionEnd {
                        error: error.map(ClientError::ServerClosed),
                        allow_reconnect,
                    });
                }
                Ok(())
            }
            Err(e) if e.is_ignorable() => Ok(()),
            Err(e) => Err(e.into()),
        }
    })?;
    Ok(end)
}

/// A session that ended because of `error`; the connection may reconnect.
fn failed(error: ClientError) -> SessionEnd {
    SessionEnd {
        error: Some(error),
        allow_reconnect: true,
    }
}

/// What feeding received bytes means for the session: `None` to go on, or its end (the
/// socket is closed first).
async fn settle(
    ws: &mut WsStream,
    fed: Result<Option<SessionEnd>, ClientError>,
) -> Option<SessionEnd> {
    let end = match fed {
        Ok(None) => return None,
        Ok(Some(end)) => end,
        Err(e) => failed(e),
    };
    close(ws).await;
    Some(end)
}

/// Timers of a session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers {
    /// Send a Ping when nothing was sent for this long.
    pub(crate) keep_alive_interval: Duration,
    /// End the session when nothing was received for this long.
    pub(crate) server_timeout: Duration,
}

/// Runs one session over an established WebSocket until it ends: writes the session's
/// frames, reads and routes the server's, sends keep-alive Pings, watches the server timeout.
pub(crate) async fn drive(
    established: Established,
    session: Arc<Session>,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    protocol: Protocol,
    timers: Timers,
    stop: CancellationToken,
) -> SessionEnd {
    let Established {
        mut ws, leftover, ..
    } = established;
    let fail = failed;
    let ping = match protocol.to_frame(&HubMessage::Ping) {
        Ok(f) => f,
        Err(e) => return fail(e.into()),
    };
    // The official clients send a Ping right after the handshake.
    if let Err(e) = write(&mut ws, protocol, ping.clone()).await {
        return fail(e);
    }
    let mut reader = FrameReader::new(protocol, None);
    if let Some(end) = settle(&mut ws, feed(&mut reader, &session, &leftover)).await {
        return end;
    }
    let mut ping_at = Instant::now() + timers.keep_alive_interval;
    let mut timeout_at = Instant::now() + timers.server_timeout;
    loop {
        // Unbiased: a server that floods the socket cannot starve writes and timers.
        tokio::select! {
            () = stop.cancelled() => {
                close(&mut ws).await;
                return SessionEnd { error: None, allow_reconnect: false };
            }
            incoming = ws.next() => {
                timeout_at = Instant::now() + timers.server_timeout;
                let fed = match incoming {
                    Some(Ok(Message::Text(t))) => feed(&mut reader, &session, t.as_bytes()),
                    Some(Ok(Message::Binary(b))) => feed(&mut reader, &session, &b),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Ok(None),
                    Some(Ok(Message::Close(frame))) => {
                        let error = match frame {
                            Some(f) if f.code == CloseCode::Normal => None,
                            Some(f) => Some(ClientError::Transport(format!(
                                "WebSocket closed with status code: {} ({}).",
                                u16::from(f.code),
                                if f.reason.is_empty() { "no reason given" } else { f.reason.as_str() }
                            ))),
                            None => None,
                        };
                        return SessionEnd { error, allow_reconnect: true };
                    }
                    Some(Err(e)) => return fail(ClientError::Transport(error_chain(&e))),
                    None => return fail(ClientError::Transport("WebSocket closed.".to_owned())),
                };
                if let Some(end) = settle(&mut ws, fed).await {
                    return end;
                }
            }
            out = outgoing.recv() => {
                let Some(out) = out else {
                    close(&mut ws).await;
                    return fail(ClientError::ConnectionClosed);
                };
                let written = tokio::select! {
                    w = write(&mut ws, protocol, out.frame) => w,
                    () = stop.cancelled() => return SessionEnd { error: None, allow_reconnect: false },
                };
                if let Err(e) = written {
                    return fail(e);
                }
                ping_at = Instant::now() + timers.keep_alive_interval;
                if let Some(w) = out.written {
                    let _ = w.send(());
                }
            }
            () = tokio::time::sleep_until(ping_at) => {
                let written = tokio::select! {
                    w = write(&mut ws, protocol, ping.clone()) => w,
                    () = stop.cancelled() => return SessionEnd { error: None, allow_reconnect: false },
                };
                if let Err(e) = written {
                    return fail(e);
                }
                ping_at = Instant::now() + timers.keep_alive_interval;
            }
            () = tokio::time::sleep_until(timeout_at) => {
                close(&mut ws).await;
                return fail(ClientError::ServerTimeout);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn urls_as_the_official_clients_build_them() {
        let u = parse_url("http://h:5/hubs/chat").unwrap();
        assert_eq!(
            negotiate_url(&u).as_str(),
            "http://h:5/hubs/chat/negotiate?negotiateVersion=1"
        );
        assert_eq!(
            websocket_url(&u, Some("a+b/c")).as_str(),
            "ws://h:5/hubs/chat?id=a%2Bb%2Fc"
        );
        let u = parse_url("https://h/hubs/chat/?x=1").unwrap();
        assert_eq!(
            negotiate_url(&u).as_str(),
            "https://h/hubs/chat/negotiate?x=1&negotiateVersion=1"
        );
        assert_eq!(websocket_url(&u, None).as_str(), "wss://h/hubs/chat/?x=1");
        let u = parse_url("wss://h/c?negotiateVersion=1").unwrap();
        assert_eq!(
            negotiate_url(&u).as_str(),
            "https://h/c/negotiate?negotiateVersion=1"
        );
        assert!(parse_url("ftp://h/c").is_err());
        assert!(parse_url("not a url").is_err());
    }
}
