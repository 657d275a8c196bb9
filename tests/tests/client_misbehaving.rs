//! The client against servers that misbehave, written here over raw TCP and axum: one whose
//! negotiate never answers (at start and at reconnect), one that never answers the
//! handshake, one whose long polls never answer, and ones that send a message that never
//! ends (JSON over a WebSocket and over Server-Sent Events) or announce a 1 GiB MessagePack
//! message. Each ends with a clear error within its timeout, pending invocations fail at
//! once, and the client stops reading: the fake server counts what it managed to write.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use signalr_hub_client::{
    ClientError, HubConnection, HubConnectionBuilder, HubConnectionState, Operation, Protocol,
    Transports,
};
use signalr_protocol::ProtocolError;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// How long anything may take before the test calls it a hang.
const LIMIT: Duration = Duration::from_secs(10);
/// A short timeout the tests configure, so that they run quickly.
const SHORT: Duration = Duration::from_millis(300);
/// What a server that floods the client may write before the client has closed the
/// connection: the client's limit, plus what the two sockets' kernel buffers hold. Without
/// the limit it would write forever.
const FLOOD_BOUND: usize = 32 << 20;
/// Each write of a flooding server.
const CHUNK: usize = 16 * 1024;

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"))
}

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn negotiate_body(transport: &str) -> String {
    let formats = if transport == "ServerSentEvents" {
        r#"["Text"]"#
    } else {
        r#"["Text","Binary"]"#
    };
    format!(
        r#"{{"negotiateVersion":1,"connectionId":"c","connectionToken":"t","availableTransports":[{{"transport":"{transport}","transferFormats":{formats}}}]}}"#
    )
}

fn json(body: String) -> Response {
    ([("content-type", "application/json")], body).into_response()
}

/// Records a connection's close event.
fn on_close(c: &HubConnection) -> Arc<Mutex<Option<Option<ClientError>>>> {
    let closed = Arc::new(Mutex::new(None));
    let seen = closed.clone();
    c.on_close(move |e| *seen.lock().unwrap() = Some(e.cloned()));
    closed
}

async fn closed_with(closed: &Mutex<Option<Option<ClientError>>>) -> Option<ClientError> {
    within("the close event", async {
        loop {
            if let Some(e) = closed.lock().unwrap().clone() {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

fn is_timeout(e: &ClientError, op: Operation) -> bool {
    matches!(e, ClientError::Timeout { operation, after } if *operation == op && *after == SHORT)
}

#[tokio::test]
async fn negotiate_that_never_answers_fails_start_within_its_timeout() {
    // Accepts connections and reads them, never writing a byte.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let c = HubConnectionBuilder::new(format!("http://{addr}/hub"))
        .http_request_timeout(SHORT)
        .build();
    let started = Instant::now();
    let err = within("start", c.start()).await.unwrap_err();
    assert!(is_timeout(&err, Operation::Negotiate), "{err:?}");
    assert!(started.elapsed() >= SHORT);
    assert_eq!(err.to_string(), "Negotiate timed out after 300ms.");
    assert_eq!(c.state(), HubConnectionState::Disconnected);
}

#[tokio::test]
async fn automatic_reconnect_ends_when_negotiate_never_answers() {
    // The first negotiate is answered; the WebSocket completes the handshake and is closed
    // by the server at once; every later negotiate hangs.
    let negotiated = Arc::new(AtomicBool::new(false));
    let app = axum::Router::new()
        .route(
            "/hub/negotiate",
            post(move || {
                let first = !negotiated.swap(true, Ordering::SeqCst);
                async move {
                    if !first {
                        std::future::pending::<()>().await;
                    }
                    json(negotiate_body("WebSockets"))
                }
            }),
        )
        .route(
            "/hub",
            get(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(|mut socket| async move {
                    let _ = socket.recv().await;
                    let _ = socket.send(Message::text("{}\u{1e}")).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                })
            }),
        );
    let addr = serve(app).await;
    let c = HubConnectionBuilder::new(format!("http://{addr}/hub"))
        .http_request_timeout(SHORT)
        .with_automatic_reconnect_delays(vec![Duration::ZERO, Duration::ZERO])
        .build();
    let closed = on_close(&c);
    c.start().await.unwrap();
    let error = closed_with(&closed).await;
    let error = error.expect("the close event carries the last attempt's error");
    assert!(is_timeout(&error, Operation::Negotiate), "{error:?}");
    assert_eq!(c.state(), HubConnectionState::Disconnected);
}

#[tokio::test]
async fn a_handshake_that_is_never_answered_fails_start_within_its_timeout() {
    // Over a WebSocket, and over long polling (whose polls answer empty, never with the
    // handshake response).
    let app = axum::Router::new()
        .route(
            "/ws/negotiate",
            post(|| async { json(negotiate_body("WebSockets")) }),
        )
        .route(
            "/ws",
            get(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(
                    |mut socket| async move { while let Some(Ok(_)) = socket.recv().await {} },
                )
            }),
        )
        .route(
            "/lp/negotiate",
            post(|| async { json(negotiate_body("LongPolling")) }),
        )
        .route(
            "/lp",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                ""
            })
            .post(|| async { "" }),
        );
    let addr = serve(app).await;
    for path in ["ws", "lp"] {
        let c = HubConnectionBuilder::new(format!("http://{addr}/{path}"))
            .handshake_timeout(SHORT)
            .build();
        let started = Instant::now();
        let err = within("start", c.start()).await.unwrap_err();
        assert!(is_timeout(&err, Operation::Handshake), "{path}: {err:?}");
        assert!(started.elapsed() >= SHORT);
        assert_eq!(c.state(), HubConnectionState::Disconnected);
    }
}

/// What a flooding server wrote, and whether it has stopped (its writes failed).
#[derive(Default)]
struct Flood {
    written: AtomicUsize,
    stopped: AtomicBool,
    started: Notify,
}

impl Flood {
    async fn wait_stopped(&self) -> usize {
        within("the server's writes to fail", async {
            while !self.stopped.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        self.written.load(Ordering::SeqCst)
    }
}

/// A WebSocket server that answers the handshake, waits for the client's first
/// invocation, then writes `first` followed by `filler` messages until writing fails.
fn flooding_websocket(flood: Arc<Flood>, first: Message, filler: Message) -> axum::Router {
    axum::Router::new()
        .route(
            "/hub/negotiate",
            post(|| async { json(negotiate_body("WebSockets")) }),
        )
        .route(
            "/hub",
            get(move |ws: WebSocketUpgrade| {
                let flood = flood.clone();
                let (first, filler) = (first.clone(), filler.clone());
                async move { ws.on_upgrade(move |socket| flood_socket(socket, flood, first, filler)) }
            }),
        )
}

async fn flood_socket(mut socket: WebSocket, flood: Arc<Flood>, first: Message, filler: Message) {
    let _ = socket.recv().await;
    let _ = socket.send(Message::text("{}\u{1e}")).await;
    // Wait for an invocation (the client's Ping comes first).
    while let Some(Ok(msg)) = socket.recv().await {
        let invocation = match &msg {
            Message::Text(t) => t.as_str().contains("\"type\":1"),
            Message::Binary(b) => b.len() > 3,
            _ => false,
        };
        if invocation {
            break;
        }
    }
    flood.started.notify_one();
    let size = |m: &Message| match m {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        _ => 0,
    };
    let mut next = first;
    loop {
        let n = size(&next);
        if socket.send(next.clone()).await.is_err() {
            break;
        }
        flood.written.fetch_add(n, Ordering::SeqCst);
        next = filler.clone();
    }
    flood.stopped.store(true, Ordering::SeqCst);
}

#[tokio::test]
async fn a_json_message_that_never_ends_closes_the_connection() {
    let flood = Arc::new(Flood::default());
    let filler = Message::text("x".repeat(CHUNK));
    let addr = serve(flooding_websocket(flood.clone(), filler.clone(), filler)).await;
    let c = HubConnectionBuilder::new(format!("http://{addr}/hub"))
        .max_receive_message_size(Some(64 * 1024))
        .build();
    let closed = on_close(&c);
    c.start().await.unwrap();
    let pending = c.invoke::<String>("Echo", ("x",));
    let err = within("the pending invocation", pending).await.unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed), "{err:?}");
    let error = closed_with(&closed).await;
    assert!(
        matches!(
            error,
            Some(ClientError::Protocol(ProtocolError::MessageTooLarge {
                limit: 65536
            }))
        ),
        "{error:?}"
    );
    let written = flood.wait_stopped().await;
    assert!(written < FLOOD_BOUND, "the server wrote {written} bytes");
    assert_eq!(c.state(), HubConnectionState::Disconnected);
}

#[tokio::test]
async fn a_messagepack_length_prefix_of_a_gibibyte_closes_the_connection() {
    let flood = Arc::new(Flood::default());
    // VarInt 1 << 30, then the start of the "message".
    let mut first = vec![0x80, 0x80, 0x80, 0x80, 0x04];
    first.extend_from_slice(&[0x93; 1024]);
    let addr = serve(flooding_websocket(
        flood.clone(),
        Message::binary(first),
        Message::binary(vec![0xc0; CHUNK]),
    ))
    .await;
    let c = HubConnectionBuilder::new(format!("http://{addr}/hub"))
        .protocol(Protocol::MessagePack)
        .build();
    let closed = on_close(&c);
    c.start().await.unwrap();
    let pending = c.invoke::<String>("Echo", ("x",));
    let stream_pending = c.stream::<i32>("Counter", (10, 0));
    let err = within("the pending invocation", pending).await.unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed), "{err:?}");
    let items: Vec<_> = within(
        "the pending stream",
        futures_util::StreamExt::collect::<Vec<_>>(stream_pending),
    )
    .await;
    assert!(
        matches!(items.as_slice(), [Err(ClientError::ConnectionClosed)]),
        "{items:?}"
    );
    let error = closed_with(&closed).await;
    // The default limit (1 MiB) rejects the prefix itself.
    assert!(
        matches!(
            error,
            Some(ClientError::Protocol(ProtocolError::MessageTooLarge {
                limit: 1_048_576
            }))
        ),
        "{error:?}"
    );
    let written = flood.wait_stopped().await;
    assert!(written < FLOOD_BOUND, "the server wrote {written} bytes");
}

#[tokio::test]
async fn an_event_that_never_ends_closes_a_server_sent_events_connection() {
    // The event stream opens, answers the handshake, then sends one `data:` line that never
    // ends once the client has posted an invocation.
    let flood = Arc::new(Flood::default());
    let posted = Arc::new(AtomicUsize::new(0));
    let stream_flood = flood.clone();
    let post_flood = flood.clone();
    let post_count = posted.clone();
    let app = axum::Router::new()
        .route(
            "/hub/negotiate",
            post(|| async { json(negotiate_body("ServerSentEvents")) }),
        )
        .route(
            "/hub",
            get(move || {
                let flood = stream_flood.clone();
                async move {
                    let head = futures_util::stream::iter([Ok::<_, Infallible>(Bytes::from(
                        ":\r\ndata: {}\u{1e}\r\n\r\n",
                    ))]);
                    let guard = Stopped(flood.clone());
                    let body = futures_util::stream::unfold(0usize, move |n| {
                        let flood = flood.clone();
                        async move {
                            if n == 0 {
                                flood.started.notified().await;
                                return Some((Ok(Bytes::from_static(b"data: ")), 1));
                            }
                            flood.written.fetch_add(CHUNK, Ordering::SeqCst);
                            Some((Ok(Bytes::from(vec![b'x'; CHUNK])), n + 1))
                        }
                    });
                    /// Marks the flood stopped when the response is dropped.
                    struct Stopped(Arc<Flood>);
                    impl Drop for Stopped {
                        fn drop(&mut self) {
                            self.0.stopped.store(true, Ordering::SeqCst);
                        }
                    }
                    let body = futures_util::StreamExt::map(body, move |chunk| {
                        let _ = &guard;
                        chunk
                    });
                    (
                        [("content-type", "text/event-stream")],
                        Body::from_stream(futures_util::StreamExt::chain(head, body)),
                    )
                }
            })
            .post(move |body: Bytes| {
                let flood = post_flood.clone();
                let posted = post_count.clone();
                async move {
                    // The first POST is the handshake, the second the Ping, then the call.
                    if body.windows(8).any(|w| w == b"\"type\":1") {
                        flood.started.notify_one();
                    }
                    posted.fetch_add(1, Ordering::SeqCst);
                    ""
                }
            }),
        );
    let addr = serve(app).await;
    let c = HubConnectionBuilder::new(format!("http://{addr}/hub"))
        .max_receive_message_size(Some(64 * 1024))
        .build();
    let closed = on_close(&c);
    c.start().await.unwrap();
    assert_eq!(
        c.transport(),
        Some(signalr_hub_client::TransportType::ServerSentEvents)
    );
    let pending = c.invoke::<String>("Echo", ("x",));
    let err = within("the pending invocation", pending).await.unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed), "{err:?}");
    let error = closed_with(&closed).await;
    assert!(
        matches!(
            error,
            Some(ClientError::Protocol(ProtocolError::MessageTooLarge {
                limit: 65536
            }))
        ),
        "{error:?}"
    );
    let written = flood.wait_stopped().await;
    assert!(written < FLOOD_BOUND, "the server wrote {written} bytes");
    assert!(posted.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn a_long_poll_that_never_answers_closes_the_connection() {
    // The first poll starts the connection, the second carries the handshake response; the
    // polls answer empty until the client has posted an invocation, then hang.
    let polls = Arc::new(AtomicUsize::new(0));
    let invoked = Arc::new(AtomicBool::new(false));
    let posted = invoked.clone();
    let app = axum::Router::new()
        .route(
            "/hub/negotiate",
            post(|| async { json(negotiate_body("LongPolling")) }),
        )
        .route(
            "/hub",
            get(move || {
                let n = polls.fetch_add(1, Ordering::SeqCst);
                let invoked = invoked.clone();
                async move {
                    match n {
                        0 => String::new(),
                        1 => "{}\u{1e}".to_owned(),
                        _ if invoked.load(Ordering::SeqCst) => std::future::pending().await,
                        _ => {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            String::new()
                        }
                    }
                }
            })
            .post(move |body: Bytes| {
                if body.windows(8).any(|w| w == b"\"type\":1") {
                    posted.store(true, Ordering::SeqCst);
                }
                async { "" }
            })
            .delete(|| async { "" }),
        );
    let addr = serve(app).await;
    let c = HubConnectionBuilder::new(format!("http://{addr}/hub"))
        .transports(Transports::LONG_POLLING)
        .long_poll_timeout(SHORT)
        .build();
    let closed = on_close(&c);
    within("start", c.start()).await.unwrap();
    let pending = c.invoke::<String>("Echo", ("x",));
    let err = within("the pending invocation", pending).await.unwrap_err();
    assert!(matches!(err, ClientError::ConnectionClosed), "{err:?}");
    let error = closed_with(&closed).await.unwrap();
    assert!(is_timeout(&error, Operation::Poll), "{error:?}");
}
