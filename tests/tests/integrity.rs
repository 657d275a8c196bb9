//! Nothing that ends badly is ever reported as a success: a stream cut off by a client
//! timeout, a panicking stream or hook, an upload cut off by a disconnect; and every such end
//! is cleaned up. Hub filters run around invocations and connections, in order.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_protocol::{CompletionResult, HubMessage, Protocol, decode_frames};
use signalr_server::{
    Call, Caller, FilterFuture, Hub, HubError, HubFilter, HubOptions, HubServer, MethodKind, Next,
    Reply, RouterExt,
};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

type Log = Arc<Mutex<Vec<String>>>;

fn hub(log: Log) -> Hub {
    let (upload_log, connect_log, disconnect_log) = (log.clone(), log.clone(), log);
    Hub::new("Integrity")
        .method("Ticks", MethodKind::Stream, 0, |call| async move {
            // One item per millisecond: slow enough that a frozen client's socket buffers
            // never fill, so the end of the connection can always be written.
            let n: u32 = call.bind(1)?.next_arg()?;
            let protocol = call.caller.protocol;
            let items = futures_util::stream::iter(0..n).then(move |i| async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                signalr_protocol::Payload::serialize(protocol, &i).map_err(HubError::from)
            });
            Ok(Reply::Stream(Box::pin(items)))
        })
        .method("Explodes", MethodKind::Stream, 0, |call| async move {
            let after: u32 = call.bind(1)?.next_arg()?;
            let protocol = call.caller.protocol;
            let items = futures_util::stream::iter(0..).map(move |i: u32| {
                if i == after {
                    panic!("the stream exploded");
                }
                signalr_protocol::Payload::serialize(protocol, &i).map_err(HubError::from)
            });
            Ok(Reply::Stream(Box::pin(items)))
        })
        .method("Echo", MethodKind::Unary, 0, |call| async move {
            let text: String = call.bind(1)?.next_arg()?;
            call.reply(&text)
        })
        .method("Collect", MethodKind::Unary, 1, move |mut call| {
            let log = upload_log.clone();
            async move {
                call.bind(0)?;
                let mut items = call.take_stream()?;
                let mut seen = 0;
                while let Some(item) = items.next::<i32>().await {
                    match item {
                        Ok(_) => seen += 1,
                        Err(e) => {
                            log.lock()
                                .unwrap()
                                .push(format!("upload error after {seen}: {e}"));
                            return Err(e);
                        }
                    }
                }
                log.lock()
                    .unwrap()
                    .push(format!("upload complete with {seen}"));
                call.reply(&seen)
            }
        })
        .on_connected(move |caller: Caller| {
            let log = connect_log.clone();
            async move {
                log.lock().unwrap().push("hub connected".into());
                if caller.user.as_deref() == Some("panic") {
                    panic!("on_connected exploded");
                }
            }
        })
        .on_disconnected(move |_| {
            let log = disconnect_log.clone();
            async move {
                log.lock().unwrap().push("hub disconnected".into());
            }
        })
}

async fn serve(server: &HubServer) -> String {
    let app = axum::Router::new().hub("/hub", server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(signalr_server::serve(listener, app).into_future());
    addr
}

async fn connect(addr: &str, query: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/hub{query}"))
        .await
        .unwrap();
    ws.send(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await, Some(Vec::new()));
    ws
}

/// Every hub message of the next WebSocket message (`[]` for the handshake response);
/// `None` when the connection ended.
async fn next(ws: &mut Ws) -> Option<Vec<HubMessage<'static>>> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s");
        let bytes = match msg {
            Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
            Some(Ok(Message::Binary(b))) => b.to_vec(),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
        };
        if bytes == b"{}\x1e" {
            return Some(Vec::new());
        }
        let mut out = Vec::new();
        decode_frames(Protocol::Json, &bytes, None, |m| {
            out.push(m.unwrap().into_owned())
        })
        .unwrap();
        out.retain(|m| *m != HubMessage::Ping);
        if !out.is_empty() {
            return Some(out);
        }
    }
}

async fn send(ws: &mut Ws, json: &str) {
    ws.send(Message::text(format!("{json}\u{1e}")))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stream_cut_off_by_the_client_timeout_ends_with_an_error_never_a_completion() {
    let options = HubOptions {
        keep_alive_interval: Duration::from_millis(100),
        client_timeout_interval: Duration::from_millis(400),
        ..HubOptions::default()
    };
    let server = HubServer::with_options(hub(Log::default()), options);
    let addr = serve(&server).await;
    let mut ws = connect(&addr, "").await;
    // The client's first Ping starts the client timeout.
    send(&mut ws, r#"{"type":6}"#).await;
    send(
        &mut ws,
        r#"{"type":4,"invocationId":"s","target":"Ticks","arguments":[200000]}"#,
    )
    .await;
    // Read a few items, then freeze (neither read nor send) well past the timeout.
    let mut items = 0u64;
    while items < 10 {
        for m in next(&mut ws).await.unwrap() {
            if matches!(m, HubMessage::StreamItem(_)) {
                items += 1;
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        server.connection_count(),
        0,
        "the frozen client was timed out"
    );
    // Thawed: whatever was sent before the timeout, then a Close with an error.
    let mut close = None;
    while let Some(msgs) = next(&mut ws).await {
        for m in msgs {
            match m {
                HubMessage::StreamItem(_) => items += 1,
                HubMessage::Completion(c) => {
                    panic!("a truncated stream was completed: {c:?} after {items} items")
                }
                HubMessage::Close(c) => close = Some(c),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let close = close.expect("a Close message");
    assert_eq!(
        close.error.as_deref(),
        Some("Connection closed with an error.")
    );
    assert!(items < 200_000, "the stream was cut off ({items} items)");
}

#[tokio::test]
async fn a_panicking_stream_ends_with_an_error_and_frees_its_id() {
    let server = HubServer::new(hub(Log::default()));
    let addr = serve(&server).await;
    let mut ws = connect(&addr, "").await;
    for round in 0..2 {
        send(
            &mut ws,
            r#"{"type":4,"invocationId":"x","target":"Explodes","arguments":[5]}"#,
        )
        .await;
        let mut items = 0;
        let error = loop {
            let mut done = None;
            for m in next(&mut ws).await.unwrap() {
                match m {
                    HubMessage::StreamItem(_) => items += 1,
                    HubMessage::Completion(c) => done = Some(c.result),
                    other => panic!("round {round}: {other:?}"),
                }
            }
            if let Some(r) = done {
                break r;
            }
        };
        assert_eq!(items, 5);
        assert_eq!(
            error,
            CompletionResult::Error(
                "An error occurred on the server while streaming results.".into()
            )
        );
    }
    send(
        &mut ws,
        r#"{"type":1,"invocationId":"e","target":"Echo","arguments":["alive"]}"#,
    )
    .await;
    let reply = next(&mut ws).await.unwrap();
    assert!(matches!(&reply[0], HubMessage::Completion(c) if c.invocation_id == "e"));
}

#[tokio::test]
async fn an_upload_cut_off_by_a_disconnect_is_seen_as_an_error_by_the_method() {
    let log = Log::default();
    let server = HubServer::new(hub(log.clone()));
    let addr = serve(&server).await;
    let mut ws = connect(&addr, "").await;
    send(
        &mut ws,
        r#"{"type":1,"invocationId":"c","target":"Collect","arguments":[],"streamIds":["u"]}"#,
    )
    .await;
    for i in 0..3 {
        send(
            &mut ws,
            &format!(r#"{{"type":2,"invocationId":"u","item":{i}}}"#),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(ws);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let seen = log.lock().unwrap().clone();
        if seen.iter().any(|l| l.starts_with("upload")) {
            assert!(
                seen.iter().any(|l| l.starts_with("upload error after 3")),
                "{seen:?}"
            );
            assert!(!seen.iter().any(|l| l.starts_with("upload complete")));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{seen:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A completed upload is whole.
    let mut ws = connect(&addr, "").await;
    send(
        &mut ws,
        r#"{"type":1,"invocationId":"c","target":"Collect","arguments":[],"streamIds":["u"]}"#,
    )
    .await;
    send(&mut ws, r#"{"type":2,"invocationId":"u","item":1}"#).await;
    send(&mut ws, r#"{"type":3,"invocationId":"u"}"#).await;
    let reply = next(&mut ws).await.unwrap();
    assert!(
        matches!(&reply[0], HubMessage::Completion(c) if c.result == CompletionResult::Value(signalr_protocol::Payload::json("1").unwrap()))
    );
}

/// Records the order filters run in, refuses anonymous connections, and limits calls.
struct Recorder {
    name: &'static str,
    log: Log,
    limit: Option<usize>,
    calls: Mutex<usize>,
}

impl HubFilter for Recorder {
    fn invoke<'a>(&'a self, call: Call, next: Next) -> FilterFuture<'a, Result<Reply, HubError>> {
        Box::pin(async move {
            if let Some(limit) = self.limit {
                let mut calls = self.calls.lock().unwrap();
                *calls += 1;
                if *calls > limit {
                    return Err(HubError::new("rate limit exceeded"));
                }
            }
            self.log
                .lock()
                .unwrap()
                .push(format!("{} before {}", self.name, call.method));
            let reply = next.run(call).await;
            self.log
                .lock()
                .unwrap()
                .push(format!("{} after", self.name));
            reply
        })
    }

    fn on_connected<'a>(&'a self, caller: &'a Caller) -> FilterFuture<'a, Result<(), HubError>> {
        Box::pin(async move {
            self.log
                .lock()
                .unwrap()
                .push(format!("{} connected", self.name));
            if self.limit.is_some() && caller.remote.is_none() {
                return Err(HubError::new("no address"));
            }
            Ok(())
        })
    }

    fn on_disconnected<'a>(
        &'a self,
        _caller: &'a Caller,
        error: Option<&'a str>,
    ) -> FilterFuture<'a, ()> {
        Box::pin(async move {
            self.log.lock().unwrap().push(format!(
                "{} disconnected {}",
                self.name,
                error.unwrap_or("cleanly")
            ));
        })
    }
}

fn recorder(name: &'static str, log: &Log, limit: Option<usize>) -> Recorder {
    Recorder {
        name,
        log: log.clone(),
        limit,
        calls: Mutex::new(0),
    }
}

#[tokio::test]
async fn filters_wrap_invocations_in_order_and_can_refuse() {
    let log = Log::default();
    let server = HubServer::builder(hub(log.clone()))
        .filter(recorder("outer", &log, Some(2)))
        .filter(recorder("inner", &log, None))
        .build()
        .unwrap();
    let addr = serve(&server).await;
    let mut ws = connect(&addr, "").await;
    for id in 1..=3 {
        send(
            &mut ws,
            &format!(r#"{{"type":1,"invocationId":"{id}","target":"echo","arguments":["hi"]}}"#),
        )
        .await;
        let reply = next(&mut ws).await.unwrap();
        match (&reply[0], id) {
            (HubMessage::Completion(c), 1 | 2) => {
                assert!(matches!(c.result, CompletionResult::Value(_)))
            }
            (HubMessage::Completion(c), 3) => assert_eq!(
                c.result,
                CompletionResult::Error(
                    "An unexpected error occurred invoking 'echo' on the server. HubException: rate limit exceeded"
                        .into()
                )
            ),
            other => panic!("{other:?}"),
        }
    }
    drop(ws);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = log.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            "outer connected",
            "inner connected",
            "hub connected",
            "outer before Echo",
            "inner before Echo",
            "inner after",
            "outer after",
            "outer before Echo",
            "inner before Echo",
            "inner after",
            "outer after",
            "hub disconnected",
            "outer disconnected cleanly",
            "inner disconnected cleanly",
        ]
    );
}

#[tokio::test]
async fn a_failing_connect_filter_or_a_panicking_hook_closes_with_an_error_and_cleans_up() {
    // Served with axum::serve, which gives no peer address: the limiting filter refuses.
    let log = Log::default();
    let server = HubServer::builder(hub(log.clone()))
        .filter(recorder("guard", &log, Some(10)))
        .build()
        .unwrap();
    let app = axum::Router::new().hub("/hub", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let mut ws = connect(&addr, "").await;
    let close = next(&mut ws).await.unwrap();
    match &close[0] {
        HubMessage::Close(c) => assert_eq!(
            c.error.as_deref(),
            Some("Connection closed with an error. HubException: no address")
        ),
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connection_count(), 0);
    assert!(!log.lock().unwrap().contains(&"hub connected".to_owned()));

    // A panicking on_connected hook: the connection is closed and forgotten.
    let log = Log::default();
    let server = HubServer::builder(hub(log.clone()))
        .authenticate(|req: &signalr_server::AuthRequest<'_>| {
            let user = req.query.get("user").cloned();
            async move { Ok(user.map(signalr_server::Identity::new)) }
        })
        .build()
        .unwrap();
    let addr = serve(&server).await;
    let mut ws = connect(&addr, "?user=panic").await;
    let close = next(&mut ws).await.unwrap();
    assert!(
        matches!(&close[0], HubMessage::Close(c) if c.error.as_deref() == Some("Connection closed with an error."))
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connection_count(), 0);
    assert!(log.lock().unwrap().contains(&"hub disconnected".to_owned()));
    // Others connect and call as usual.
    let mut ok = connect(&addr, "?user=carol").await;
    send(
        &mut ok,
        r#"{"type":1,"invocationId":"1","target":"Echo","arguments":["hi"]}"#,
    )
    .await;
    assert!(matches!(
        &next(&mut ok).await.unwrap()[0],
        HubMessage::Completion(_)
    ));
}
