//! Stateful reconnect against the real server over real sockets, speaking the protocol by
//! hand: negotiate with `useStatefulReconnect`, a version 2 handshake, a dropped WebSocket,
//! a new one with the same token, Sequence and resend, Acks and the buffer limit.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_protocol::{CompletionResult, HubMessage, Protocol, decode_frames};
use signalr_server::{HubOptions, HubServer, RouterExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start(options: HubOptions) -> String {
    let server = HubServer::with_options(signalr_examples::conformance::hub(), options);
    let app = axum::Router::new().hub("/hubs/conformance", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr.to_string()
}

fn stateful() -> HubOptions {
    HubOptions {
        allow_stateful_reconnects: true,
        ..HubOptions::default()
    }
}

/// Negotiates; returns the body and the connection token.
async fn negotiate(addr: &str, ask: bool) -> (serde_json::Value, String) {
    let query = if ask {
        "&useStatefulReconnect=true"
    } else {
        ""
    };
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "http://{addr}/hubs/conformance/negotiate?negotiateVersion=1{query}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["connectionToken"].as_str().unwrap().to_owned();
    (body, token)
}

async fn open(addr: &str, token: &str) -> Ws {
    let (ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/hubs/conformance?id={token}"))
            .await
            .unwrap();
    ws
}

/// The HTTP status a WebSocket request for `token` is refused with.
async fn refused(addr: &str, token: &str) -> u16 {
    match tokio_tungstenite::connect_async(format!("ws://{addr}/hubs/conformance?id={token}")).await
    {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("the WebSocket was accepted"),
    }
}

async fn handshake(ws: &mut Ws, version: u32) {
    let hs = format!("{{\"protocol\":\"json\",\"version\":{version}}}\u{1e}");
    ws.send(Message::text(hs)).await.unwrap();
    assert_eq!(next_bytes(ws).await.unwrap(), b"{}\x1e");
}

async fn send(ws: &mut Ws, msg: &HubMessage<'_>) {
    let frame = Protocol::Json.to_frame(msg).unwrap();
    ws.send(Message::text(String::from_utf8(frame).unwrap()))
        .await
        .unwrap();
}

async fn counter(ws: &mut Ws, count: i32, delay_ms: i32) {
    let json = format!(
        "{{\"type\":4,\"invocationId\":\"1\",\"target\":\"Counter\",\"arguments\":[{count},{delay_ms}]}}\u{1e}"
    );
    ws.send(Message::text(json)).await.unwrap();
}

/// The next data message, or `None` when the connection ended or nothing came in `wait`.
async fn next_within(ws: &mut Ws, wait: Duration) -> Option<Vec<u8>> {
    loop {
        let msg = tokio::time::timeout(wait, ws.next()).await.ok()?;
        match msg {
            Some(Ok(Message::Text(t))) => return Some(t.as_bytes().to_vec()),
            Some(Ok(Message::Binary(b))) => return Some(b.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
        }
    }
}

async fn next_bytes(ws: &mut Ws) -> Option<Vec<u8>> {
    next_within(ws, Duration::from_secs(5)).await
}

/// What a client learns from the server's messages, deduplicating as the official clients do.
#[derive(Default)]
struct Received {
    items: Vec<i64>,
    completed: bool,
    error: Option<String>,
    acks: Vec<u64>,
    sequences: Vec<u64>,
    /// The highest sequence id processed, and the id of the next trackable message.
    latest: u64,
    next: u64,
}

impl Received {
    fn new() -> Self {
        Received {
            next: 1,
            ..Default::default()
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        decode_frames(Protocol::Json, bytes, None, |m| match m.unwrap() {
            HubMessage::Sequence { sequence_id } => {
                assert!(
                    sequence_id <= self.latest + 1,
                    "Sequence beyond what was sent"
                );
                self.sequences.push(sequence_id);
                self.next = sequence_id;
            }
            HubMessage::Ack { sequence_id } => self.acks.push(sequence_id),
            HubMessage::Ping | HubMessage::Close(_) => {}
            m => {
                let id = self.next;
                self.next += 1;
                if id <= self.latest {
                    return;
                }
                self.latest = id;
                match m {
                    HubMessage::StreamItem(i) => {
                        self.items.push(i.item.bind::<i64>().unwrap());
                    }
                    HubMessage::Completion(c) => {
                        self.completed = true;
                        if let CompletionResult::Error(e) = c.result {
                            self.error = Some(e.into_owned());
                        }
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        })
        .unwrap();
    }
}

#[tokio::test]
async fn negotiate_offers_stateful_reconnect_only_when_allowed_and_asked() {
    let addr = start(stateful()).await;
    let (body, _) = negotiate(&addr, true).await;
    assert_eq!(body["useStatefulReconnect"], serde_json::json!(true));
    let (body, _) = negotiate(&addr, false).await;
    assert!(body.get("useStatefulReconnect").is_none());
    let plain = start(HubOptions::default()).await;
    let (body, _) = negotiate(&plain, true).await;
    assert!(body.get("useStatefulReconnect").is_none());
}

#[tokio::test]
async fn a_stream_survives_a_dropped_websocket() {
    let addr = start(stateful()).await;
    let (_, token) = negotiate(&addr, true).await;
    let mut ws = open(&addr, &token).await;
    handshake(&mut ws, 2).await;
    counter(&mut ws, 30, 20).await;
    let mut got = Received::new();
    while got.items.len() < 5 {
        got.take(&next_bytes(&mut ws).await.unwrap());
    }
    // Drop the TCP connection without a close handshake.
    drop(ws);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut ws = open(&addr, &token).await;
    // Nothing of ours was acknowledged on the old socket: resend from 1, as a client does;
    // the server must drop the StreamInvocation as a duplicate.
    send(&mut ws, &HubMessage::Sequence { sequence_id: 1 }).await;
    counter(&mut ws, 30, 20).await;
    let first = next_bytes(&mut ws).await.unwrap();
    got.take(&first);
    assert_eq!(
        got.sequences,
        vec![1],
        "the first message after a reconnect is Sequence"
    );
    while !got.completed {
        got.take(&next_bytes(&mut ws).await.unwrap());
    }
    assert_eq!(got.error, None);
    assert_eq!(got.items, (0..30).collect::<Vec<_>>());
    // The server acknowledges the one message it processed, about a second later.
    while got.acks.is_empty() {
        let Some(b) = next_within(&mut ws, Duration::from_secs(3)).await else {
            panic!("no Ack from the server");
        };
        got.take(&b);
    }
    assert_eq!(got.acks, vec![1]);

    // Still the same connection: new invocations work.
    ws.send(Message::text(
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Echo\",\"arguments\":[\"hi\"]}\u{1e}",
    ))
    .await
    .unwrap();
    let reply = String::from_utf8(next_bytes(&mut ws).await.unwrap()).unwrap();
    assert!(reply.contains("\"result\":\"hi\""), "{reply}");
}

#[tokio::test]
async fn a_version_1_handshake_turns_stateful_reconnect_off() {
    let addr = start(stateful()).await;
    let (_, token) = negotiate(&addr, true).await;
    let mut ws = open(&addr, &token).await;
    handshake(&mut ws, 1).await;
    // A second WebSocket is refused, as without the feature.
    assert_eq!(refused(&addr, &token).await, 409);
    counter(&mut ws, 3, 0).await;
    let mut all = Vec::new();
    loop {
        let b = next_bytes(&mut ws).await.unwrap();
        all.extend_from_slice(&b);
        if String::from_utf8_lossy(&b).contains("\"type\":3") {
            break;
        }
    }
    let text = String::from_utf8(all).unwrap();
    assert!(!text.contains("\"type\":8") && !text.contains("\"type\":9"));
    drop(ws);
    // The connection ends with its WebSocket.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(refused(&addr, &token).await, 404);
}

#[tokio::test]
async fn no_reconnect_within_the_disconnect_timeout_ends_the_connection() {
    let addr = start(HubOptions {
        disconnect_timeout: Duration::from_millis(300),
        ..stateful()
    })
    .await;
    let (_, token) = negotiate(&addr, true).await;
    let mut ws = open(&addr, &token).await;
    handshake(&mut ws, 2).await;
    drop(ws);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(refused(&addr, &token).await, 404);
}

#[tokio::test]
async fn a_full_buffer_waits_for_acks() {
    let addr = start(HubOptions {
        stateful_reconnect_buffer_size: 200,
        ..stateful()
    })
    .await;
    let (_, token) = negotiate(&addr, true).await;
    let mut ws = open(&addr, &token).await;
    handshake(&mut ws, 2).await;
    counter(&mut ws, 50, 0).await;
    let mut got = Received::new();
    // Without Acks the server stops once about 200 bytes are unacknowledged.
    while let Some(b) = next_within(&mut ws, Duration::from_millis(500)).await {
        got.take(&b);
    }
    let held = got.items.len();
    assert!((1..10).contains(&held), "{held} items sent without an Ack");
    // Each Ack lets more through, until the stream completes.
    while !got.completed {
        send(
            &mut ws,
            &HubMessage::Ack {
                sequence_id: got.latest,
            },
        )
        .await;
        let before = got.latest;
        while let Some(b) = next_within(&mut ws, Duration::from_millis(200)).await {
            got.take(&b);
        }
        assert!(got.latest > before, "an Ack let nothing through");
    }
    assert_eq!(got.items, (0..50).collect::<Vec<_>>());
}
