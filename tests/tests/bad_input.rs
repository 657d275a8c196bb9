//! Every bad input of the conformance contract, against the real server over real sockets on
//! 127.0.0.1: the offending connection gets the documented answer, and a bystander
//! connection keeps working throughout.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_protocol::{CompletionResult, HubMessage, Protocol, decode_frames};
use signalr_server::{HubOptions, HubServer, RouterExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start(options: HubOptions) -> (String, HubServer) {
    let server = HubServer::with_options(signalr_examples::conformance::hub(), options);
    let app = axum::Router::new().hub("/hubs/conformance", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr.to_string(), server)
}

async fn connect(addr: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/hubs/conformance"))
        .await
        .unwrap();
    ws
}

/// Connects and completes the handshake for `protocol`.
async fn client(addr: &str, protocol: Protocol) -> Ws {
    let mut ws = connect(addr).await;
    let hs = format!(
        "{{\"protocol\":\"{}\",\"version\":1}}\u{1e}",
        protocol.name()
    );
    ws.send(Message::text(hs)).await.unwrap();
    assert_eq!(next_bytes(&mut ws).await.unwrap(), b"{}\x1e");
    ws
}

/// The next data message, or `None` when the connection ended (with a 5 s limit).
async fn next_bytes(ws: &mut Ws) -> Option<Vec<u8>> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("no reply within 5 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Some(t.as_bytes().to_vec()),
            Some(Ok(Message::Binary(b))) => return Some(b.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
        }
    }
}

/// The next hub message other than Ping, decoded and detached.
async fn next_message(ws: &mut Ws, protocol: Protocol) -> Option<HubMessage<'static>> {
    loop {
        let bytes = next_bytes(ws).await?;
        let mut msgs = Vec::new();
        decode_frames(protocol, &bytes, None, |m| {
            msgs.push(m.unwrap().into_owned())
        })
        .unwrap();
        if let Some(m) = msgs.into_iter().find(|m| *m != HubMessage::Ping) {
            return Some(m);
        }
    }
}

async fn send_json(ws: &mut Ws, text: &str) {
    ws.send(Message::text(format!("{text}\u{1e}")))
        .await
        .unwrap();
}

fn completion_error(m: &HubMessage<'_>) -> String {
    match m {
        HubMessage::Completion(c) => match &c.result {
            CompletionResult::Error(e) => e.to_string(),
            other => panic!("expected an error, got {other:?}"),
        },
        other => panic!("expected a completion, got {other:?}"),
    }
}

/// A connection that must keep answering while others misbehave.
async fn echo_works(ws: &mut Ws, n: u32) {
    send_json(
        ws,
        &format!(
            r#"{{"type":1,"invocationId":"b{n}","target":"Echo","arguments":["still here {n}"]}}"#
        ),
    )
    .await;
    match next_message(ws, Protocol::Json).await {
        Some(HubMessage::Completion(c)) => {
            assert_eq!(c.invocation_id, format!("b{n}"));
            match c.result {
                CompletionResult::Value(v) => {
                    assert_eq!(v.bind::<String>().unwrap(), format!("still here {n}"))
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("bystander got {other:?}"),
    }
}

fn close_error(m: Option<HubMessage<'_>>) -> String {
    match m {
        Some(HubMessage::Close(c)) => c.error.map(|e| e.to_string()).unwrap_or_default(),
        other => panic!("expected a Close message, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_method_and_bad_arguments_get_error_completions() {
    let (addr, _server) = start(HubOptions::default()).await;
    let mut bystander = client(&addr, Protocol::Json).await;
    let mut ws = client(&addr, Protocol::Json).await;
    send_json(
        &mut ws,
        r#"{"type":1,"invocationId":"1","target":"Nope","arguments":[]}"#,
    )
    .await;
    assert_eq!(
        completion_error(&next_message(&mut ws, Protocol::Json).await.unwrap()),
        "Unknown hub method 'Nope'"
    );
    echo_works(&mut bystander, 1).await;
    for (request, error) in [
        (
            r#"{"type":1,"invocationId":"2","target":"Add","arguments":[1]}"#,
            "Failed to invoke 'Add' due to an error on the server.",
        ),
        (
            r#"{"type":1,"invocationId":"3","target":"Add","arguments":["one",2]}"#,
            "Failed to invoke 'Add' due to an error on the server.",
        ),
        (
            r#"{"type":4,"invocationId":"4","target":"Echo","arguments":["x"]}"#,
            "The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.",
        ),
        (
            r#"{"type":1,"invocationId":"5","target":"Counter","arguments":[1,1]}"#,
            "The client attempted to invoke the streaming 'Counter' method with a non-streaming invocation.",
        ),
    ] {
        send_json(&mut ws, request).await;
        assert_eq!(
            completion_error(&next_message(&mut ws, Protocol::Json).await.unwrap()),
            error
        );
    }
    // A non-blocking call that fails gets no reply at all; the next call is answered.
    send_json(&mut ws, r#"{"type":1,"target":"Nope","arguments":[]}"#).await;
    echo_works(&mut ws, 5).await;
    echo_works(&mut bystander, 2).await;
}

#[tokio::test]
async fn malformed_frames_close_the_connection_with_an_error() {
    let (addr, _server) = start(HubOptions::default()).await;
    let mut bystander = client(&addr, Protocol::Json).await;
    for bad in [
        &b"{\"type\":1,\"target\":\x1e"[..],
        b"not json\x1e",
        b"{\"type\":\"x\"}\x1e",
    ] {
        let mut ws = client(&addr, Protocol::Json).await;
        ws.send(Message::binary(bad.to_vec())).await.unwrap();
        assert_eq!(
            close_error(next_message(&mut ws, Protocol::Json).await),
            "Connection closed with an error."
        );
        assert!(
            next_bytes(&mut ws).await.is_none(),
            "the connection ends after the Close"
        );
        echo_works(&mut bystander, 3).await;
    }
    let mut ws = client(&addr, Protocol::MessagePack).await;
    ws.send(Message::binary(vec![0x03, 0x93, 0xc1, 0x00]))
        .await
        .unwrap();
    assert_eq!(
        close_error(next_message(&mut ws, Protocol::MessagePack).await),
        "Connection closed with an error."
    );
    echo_works(&mut bystander, 4).await;
}

#[tokio::test]
async fn bad_handshakes_are_refused_with_aspnet_texts() {
    let options = HubOptions {
        handshake_timeout: Duration::from_millis(300),
        ..HubOptions::default()
    };
    let (addr, _server) = start(options).await;
    let mut bystander = client(&addr, Protocol::Json).await;
    for (request, answer) in [
        (
            r#"{"protocol":"xml","version":1}"#,
            r#"{"error":"The protocol 'xml' is not supported."}"#,
        ),
        (
            r#"{"protocol":"json","version":3}"#,
            r#"{"error":"The server does not support version 3 of the 'json' protocol."}"#,
        ),
        (
            r#"{"protocol":"json"}"#,
            r#"{"error":"An unexpected error occurred during connection handshake."}"#,
        ),
        (
            "nonsense",
            r#"{"error":"An unexpected error occurred during connection handshake."}"#,
        ),
    ] {
        let mut ws = connect(&addr).await;
        ws.send(Message::text(format!("{request}\u{1e}")))
            .await
            .unwrap();
        assert_eq!(
            next_bytes(&mut ws).await.unwrap(),
            format!("{answer}\u{1e}").as_bytes(),
            "{request}"
        );
        assert!(next_bytes(&mut ws).await.is_none());
        echo_works(&mut bystander, 5).await;
    }
    // No record separator: the handshake never completes and is canceled.
    let mut ws = connect(&addr).await;
    ws.send(Message::text(r#"{"protocol":"json","version":1}"#))
        .await
        .unwrap();
    assert_eq!(
        next_bytes(&mut ws).await.unwrap(),
        b"{\"error\":\"Handshake was canceled.\"}\x1e"
    );
    echo_works(&mut bystander, 6).await;
}

#[tokio::test]
async fn oversized_messages_close_the_connection() {
    let (addr, _server) = start(HubOptions::default()).await;
    let mut bystander = client(&addr, Protocol::Json).await;
    let mut ws = client(&addr, Protocol::Json).await;
    let big = "x".repeat(40 * 1024);
    send_json(
        &mut ws,
        &format!(r#"{{"type":1,"invocationId":"1","target":"Echo","arguments":["{big}"]}}"#),
    )
    .await;
    assert_eq!(
        close_error(next_message(&mut ws, Protocol::Json).await),
        "Connection closed with an error."
    );
    // Just under the limit is fine.
    let mut ok = client(&addr, Protocol::Json).await;
    let fits = "y".repeat(32 * 1024 - 100);
    send_json(
        &mut ok,
        &format!(r#"{{"type":1,"invocationId":"1","target":"Echo","arguments":["{fits}"]}}"#),
    )
    .await;
    assert!(matches!(
        next_message(&mut ok, Protocol::Json).await,
        Some(HubMessage::Completion(_))
    ));
    // A MessagePack length prefix claiming 2 GB is refused at once.
    let mut mp = client(&addr, Protocol::MessagePack).await;
    mp.send(Message::binary(vec![0xff, 0xff, 0xff, 0xff, 0x07, 0x95]))
        .await
        .unwrap();
    assert_eq!(
        close_error(next_message(&mut mp, Protocol::MessagePack).await),
        "Connection closed with an error."
    );
    echo_works(&mut bystander, 7).await;
}

/// The close status of the WebSocket, once the server has closed it.
async fn close_code(ws: &mut Ws) -> Option<u16> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closed within 5 s")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return None,
        }
    }
}

#[tokio::test]
async fn one_mebibyte_messages_and_invalid_utf8_get_a_close_with_an_error() {
    let (addr, _server) = start(HubOptions::default()).await;
    let mut bystander = client(&addr, Protocol::Json).await;

    // A 1 MiB JSON invocation, one WebSocket message.
    let mut json = client(&addr, Protocol::Json).await;
    let big = "x".repeat(1 << 20);
    send_json(
        &mut json,
        &format!(r#"{{"type":1,"invocationId":"1","target":"Echo","arguments":["{big}"]}}"#),
    )
    .await;
    assert_eq!(
        close_error(next_message(&mut json, Protocol::Json).await),
        "Connection closed with an error."
    );
    assert_eq!(close_code(&mut json).await, Some(1009));
    echo_works(&mut bystander, 11).await;

    // A 1 MiB MessagePack invocation: [1, {}, "1", "EchoBytes", [bin 1 MiB]].
    let mut mp = client(&addr, Protocol::MessagePack).await;
    let mut body = vec![0x95, 0x01, 0x80, 0xa1, b'1', 0xa9];
    body.extend_from_slice(b"EchoBytes");
    body.extend_from_slice(&[0x91, 0xc6, 0x00, 0x10, 0x00, 0x00]);
    body.resize(body.len() + (1 << 20), 0x5a);
    let mut frame = Vec::new();
    let mut len = body.len();
    while len >= 0x80 {
        frame.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    frame.push(len as u8);
    frame.extend_from_slice(&body);
    mp.send(Message::binary(frame)).await.unwrap();
    assert_eq!(
        close_error(next_message(&mut mp, Protocol::MessagePack).await),
        "Connection closed with an error."
    );
    assert_eq!(close_code(&mut mp).await, Some(1009));
    echo_works(&mut bystander, 12).await;

    // A text message that is not UTF-8.
    let mut bad = client(&addr, Protocol::Json).await;
    let raw = tokio_tungstenite::tungstenite::protocol::frame::Frame::message(
        vec![b'{', 0xff, 0xfe, b'}', 0x1e],
        tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(
            tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Text,
        ),
        true,
    );
    bad.send(Message::Frame(raw)).await.unwrap();
    assert_eq!(
        close_error(next_message(&mut bad, Protocol::Json).await),
        "Connection closed with an error."
    );
    assert_eq!(close_code(&mut bad).await, Some(1007));
    echo_works(&mut bystander, 13).await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_and_others_carry_on() {
    let options = HubOptions {
        maximum_outgoing_buffer_size: 128 * 1024,
        ..HubOptions::default()
    };
    let (addr, server) = start(options).await;
    let mut bystander = client(&addr, Protocol::Json).await;
    // The stuck client completes its handshake, then never reads again.
    let _stuck = client(&addr, Protocol::Json).await;
    assert_eq!(server.connection_count(), 2);
    let text = "z".repeat(16 * 1024);
    let mut closed = false;
    for i in 0..2000 {
        server
            .clients()
            .all()
            .send("Broadcasted", &(text.clone(),))
            .unwrap();
        // Keep draining the bystander, which does read.
        while let Ok(Some(_)) =
            tokio::time::timeout(Duration::from_millis(1), bystander.next()).await
        {}
        if server.connection_count() == 1 {
            closed = true;
            assert!(i > 0);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(closed, "the stuck connection was not closed");
    // Drain what is left for the bystander, then check it still works.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(50), bystander.next()).await
    {
    }
    echo_works(&mut bystander, 8).await;
}

#[tokio::test]
async fn keep_alive_and_client_timeout() {
    let options = HubOptions {
        keep_alive_interval: Duration::from_millis(100),
        client_timeout_interval: Duration::from_millis(300),
        ..HubOptions::default()
    };
    let (addr, server) = start(options).await;
    let mut ws = client(&addr, Protocol::Json).await;
    // Nothing sent: the server pings.
    assert_eq!(next_bytes(&mut ws).await.unwrap(), b"{\"type\":6}\x1e");
    // The client timeout starts with the client's first Ping; then silence ends the connection.
    send_json(&mut ws, r#"{"type":6}"#).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(server.connection_count(), 0);
}

#[tokio::test]
async fn negotiate_answers_like_aspnet() {
    let (addr, _server) = start(HubOptions::default()).await;
    let post = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    let mut answers = Vec::new();
    for query in ["?negotiateVersion=1", "", "?negotiateVersion=abc"] {
        let mut tcp = TcpStream::connect(&addr).await.unwrap();
        tcp.write_all(post(&format!("/hubs/conformance/negotiate{query}")).as_bytes())
            .await
            .unwrap();
        let mut response = String::new();
        tcp.read_to_string(&mut response).await.unwrap();
        let body = response.split("\r\n\r\n").nth(1).unwrap().to_owned();
        answers.push(serde_json::from_str::<serde_json::Value>(&body).unwrap());
    }
    assert_eq!(answers[0]["negotiateVersion"], 1);
    assert!(answers[0]["connectionToken"].is_string());
    assert_ne!(answers[0]["connectionToken"], answers[0]["connectionId"]);
    assert_eq!(
        answers[0]["availableTransports"][0]["transport"],
        "WebSockets"
    );
    assert_eq!(answers[1]["negotiateVersion"], 0);
    assert!(answers[1].get("connectionToken").is_none());
    assert_eq!(
        answers[2]["error"],
        "The client requested a non-integer protocol version."
    );
    // The token is the id of the WebSocket; an unknown one is refused.
    let token = answers[0]["connectionToken"].as_str().unwrap();
    assert!(
        tokio_tungstenite::connect_async(format!("ws://{addr}/hubs/conformance?id={token}"))
            .await
            .is_ok()
    );
    assert!(
        tokio_tungstenite::connect_async(format!("ws://{addr}/hubs/conformance?id=unknown"))
            .await
            .is_err()
    );
}
