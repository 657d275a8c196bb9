//! `signalr-ceiling`: the least a SignalR server on axum can do for the load benchmark's
//! frames, so that the hub server's cost can be read against the cost of the stack under it.
//!
//! ```text
//! signalr-ceiling --listen 127.0.0.1:0      # prints `listening on http://ADDR`
//! ```
//!
//! At `/hubs/conformance` it upgrades to a WebSocket (the hub server's default buffers, 1 KiB
//! read and 4 KiB write, and TCP_NODELAY, as the hub server), completes the JSON handshake,
//! and answers invocations (parsed with `serde_json`, arguments kept raw):
//! - `Echo(x)` with `{"type":3,"invocationId":ID,"result":x}`;
//! - `Broadcast(x)` by sending `{"type":1,"target":"Broadcasted","arguments":[x]}` to every
//!   socket through one `tokio::sync::broadcast` channel of shared bytes (each socket sends
//!   the same buffer), then `{"type":3,"invocationId":ID}` to the caller;
//! - anything else with nothing.
//!
//! Replies to every WebSocket message already received are written with one flush, and a
//! socket sends what its broadcast channel holds at once with one flush too: the batching the
//! hub server does.

use std::process::ExitCode;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use futures_util::{FutureExt, SinkExt};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::broadcast;

const RS: u8 = 0x1e;
/// Broadcasts a socket may fall behind by before it loses some.
const BROADCAST_BACKLOG: usize = 4096;

/// The fields of a hub message the ceiling looks at.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(rename = "invocationId", borrow, default)]
    invocation_id: Option<&'a str>,
    #[serde(borrow, default)]
    target: Option<&'a str>,
    #[serde(borrow, default)]
    arguments: Vec<&'a RawValue>,
}

type Fanout = broadcast::Sender<Utf8Bytes>;

async fn upgrade(State(fanout): State<Fanout>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(1 << 10)
        .write_buffer_size(4 << 10)
        .on_upgrade(move |socket| serve(socket, fanout))
}

/// The replies to one frame, appended to `out`; a broadcast goes to `fanout`.
fn answer(frame: &[u8], fanout: &Fanout, out: &mut Vec<Utf8Bytes>) {
    let Ok(m) = serde_json::from_slice::<Incoming<'_>>(frame) else {
        return;
    };
    if m.kind != 1 {
        return;
    }
    match (m.target, m.arguments.as_slice()) {
        (Some("Echo"), [x]) => {
            if let Some(id) = m.invocation_id {
                out.push(Utf8Bytes::from(format!(
                    "{{\"type\":3,\"invocationId\":\"{id}\",\"result\":{}}}\u{1e}",
                    x.get()
                )));
            }
        }
        (Some("Broadcast"), [x]) => {
            let _ = fanout.send(Utf8Bytes::from(format!(
                "{{\"type\":1,\"target\":\"Broadcasted\",\"arguments\":[{}]}}\u{1e}",
                x.get()
            )));
            if let Some(id) = m.invocation_id {
                out.push(Utf8Bytes::from(format!(
                    "{{\"type\":3,\"invocationId\":\"{id}\"}}\u{1e}"
                )));
            }
        }
        _ => {}
    }
}

async fn serve(mut ws: WebSocket, fanout: Fanout) {
    // The handshake: `{"protocol":"json","version":1}` is answered with `{}`.
    match ws.recv().await {
        Some(Ok(Message::Text(t))) if t.as_str().contains("\"json\"") => {
            if ws
                .send(Message::Text(Utf8Bytes::from_static("{}\u{1e}")))
                .await
                .is_err()
            {
                return;
            }
        }
        _ => return,
    }
    let mut broadcasts = fanout.subscribe();
    let mut out = Vec::new();
    loop {
        tokio::select! {
            m = ws.recv() => {
                let mut next = m;
                // This message, and every other one already received, before one flush.
                loop {
                    match next {
                        Some(Ok(Message::Text(t))) => {
                            for frame in t.as_bytes().split(|&b| b == RS).filter(|f| !f.is_empty()) {
                                answer(frame, &fanout, &mut out);
                            }
                        }
                        Some(Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_))) => {}
                        _ => return,
                    }
                    match ws.recv().now_or_never() {
                        Some(m) => next = m,
                        None => break,
                    }
                }
                if out.is_empty() {
                    continue;
                }
                for reply in out.drain(..) {
                    if ws.feed(Message::Text(reply)).await.is_err() {
                        return;
                    }
                }
                if ws.flush().await.is_err() {
                    return;
                }
            }
            b = broadcasts.recv() => {
                let first = match b {
                    Ok(b) => b,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if ws.feed(Message::Text(first)).await.is_err() {
                    return;
                }
                while let Ok(more) = broadcasts.try_recv() {
                    if ws.feed(Message::Text(more)).await.is_err() {
                        return;
                    }
                }
                if ws.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}

fn listen_address() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:0");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().ok_or("--listen needs an address")?,
            other => {
                return Err(format!(
                    "unknown argument {other} (usage: signalr-ceiling [--listen HOST:PORT])"
                ));
            }
        }
    }
    Ok(listen)
}

#[tokio::main]
async fn main() -> ExitCode {
    let listen = match listen_address() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("signalr-ceiling: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("signalr-ceiling: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => {
            eprintln!("signalr-ceiling: {e}");
            return ExitCode::FAILURE;
        }
    }
    let (fanout, _) = broadcast::channel(BROADCAST_BACKLOG);
    let app = Router::new()
        .route("/hubs/conformance", get(upgrade))
        .with_state(fanout);
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("signalr-ceiling: {e}");
            ExitCode::FAILURE
        }
    }
}
