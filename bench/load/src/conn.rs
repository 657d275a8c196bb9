//! Opening a hub connection the way every scenario does: a TCP connection from one of
//! several loopback source addresses, the WebSocket upgrade straight to the hub's path (no
//! negotiate), and the SignalR JSON handshake. Frames are written pre-encoded.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};

/// The SignalR record separator that ends every JSON frame.
pub(crate) const RS: u8 = 0x1e;

/// The JSON handshake request every connection sends first.
const HANDSHAKE: &str = "{\"protocol\":\"json\",\"version\":1}\u{1e}";

/// A hub connection of the loader.
pub(crate) type Socket = WebSocketStream<TcpStream>;

/// Why a connection could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnError {
    /// The URL is not `http://HOST:PORT/PATH`.
    #[error("unsupported URL {0} (expected http://HOST:PORT/PATH)")]
    Url(String),
    /// TCP failed.
    #[error("TCP: {0}")]
    Io(#[from] std::io::Error),
    /// The WebSocket failed.
    #[error("WebSocket: {0}")]
    WebSocket(#[from] tungstenite::Error),
    /// The server's handshake response was not `{}`.
    #[error("handshake refused: {0}")]
    Handshake(String),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
}

/// Where the hub is and where connections come from.
#[derive(Debug)]
pub(crate) struct Target {
    addr: SocketAddr,
    ws_url: String,
    /// How many loopback source addresses to spread connections over (127.0.0.1 upwards).
    sources: u8,
    next: AtomicUsize,
}

impl Target {
    /// The hub at `url` (`http://127.0.0.1:PORT/hubs/conformance`), connected to from
    /// `sources` loopback addresses.
    pub(crate) fn new(url: &str, sources: u8) -> Result<Self, ConnError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| ConnError::Url(url.to_owned()))?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr: SocketAddr = authority
            .parse()
            .map_err(|_| ConnError::Url(url.to_owned()))?;
        Ok(Target {
            addr,
            ws_url: format!("ws://{authority}{path}"),
            sources: sources.max(1),
            next: AtomicUsize::new(0),
        })
    }

    /// A TCP connection from the next source address in turn.
    async fn tcp(&self) -> Result<TcpStream, ConnError> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let stream = if self.sources > 1 && self.addr.ip().is_loopback() {
            // `n % sources` is below 255, so the address stays in 127.0.0.1..=127.0.0.255.
            let last = 1 + (n % usize::from(self.sources)) as u8;
            let socket = TcpSocket::new_v4()?;
            socket.bind(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)),
                0,
            ))?;
            socket.connect(self.addr).await?
        } else {
            TcpStream::connect(self.addr).await?
        };
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    /// A hub connection with its handshake done.
    pub(crate) async fn open(&self) -> Result<Socket, ConnError> {
        let tcp = self.tcp().await?;
        // Small buffers so that 100,000 connections fit in the loader too.
        let config = WebSocketConfig::default()
            .read_buffer_size(4 << 10)
            .write_buffer_size(0);
        let (mut ws, _) =
            tokio_tungstenite::client_async_with_config(self.ws_url.as_str(), tcp, Some(config))
                .await?;
        ws.send(Message::Text(Utf8Bytes::from_static(HANDSHAKE)))
            .await?;
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    return if t.as_str().starts_with("{}") {
                        Ok(ws)
                    } else {
                        Err(ConnError::Handshake(t.as_str().to_owned()))
                    };
                }
                Some(Ok(Message::Binary(b))) => {
                    return Err(ConnError::Handshake(
                        String::from_utf8_lossy(&b).into_owned(),
                    ));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => return Err(ConnError::Closed),
            }
        }
    }
}

/// A text message pre-encoded once and sent many times (cloning it only counts a reference).
pub(crate) fn text(frame: String) -> Message {
    Message::Text(Utf8Bytes::from(frame))
}

/// The frames of a received message, without their separators.
pub(crate) fn frames(message: &Message) -> impl Iterator<Item = &[u8]> {
    let bytes: &[u8] = match message {
        Message::Text(t) => t.as_bytes(),
        Message::Binary(b) => b,
        _ => &[],
    };
    bytes.split(|&b| b == RS).filter(|f| !f.is_empty())
}

/// The value of the string property `"name":"..."` in a JSON frame written by the server
/// (no escapes in the values the loader looks for).
pub(crate) fn string_property<'a>(frame: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let at = find(frame, name)?;
    let rest = &frame[at + name.len()..];
    let end = rest.iter().position(|&b| b == b'"')?;
    Some(&rest[..end])
}

/// Where `needle` starts in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A decimal number at the start of `digits`.
pub(crate) fn parse_u64(digits: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    let mut any = false;
    for &d in digits {
        if !d.is_ascii_digit() {
            break;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        any = true;
    }
    any.then_some(n)
}

/// Closes a connection the way a client does: a WebSocket close, then waiting (briefly)
/// for the server's.
pub(crate) async fn close(mut ws: Socket) {
    let _ = ws.close(None).await;
    let drain = async { while let Some(Ok(_)) = ws.next().await {} };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), drain).await;
}
