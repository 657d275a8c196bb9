//! Golden frames of the SignalARRR dialect (the shapes SignalARRR's clients and servers
//! exchange), over a real WebSocket on 127.0.0.1 against the SignalARRR test server
//! (`signalr_examples::signalarrr_test`): every frame the server writes is compared byte for
//! byte, with only what is new on every run masked (GUIDs, correlation ids) and the
//! invocation ids the server picks read back from its frame.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What a GUID becomes in a masked frame (36 bytes, as the GUID).
const GUID: &str = "gggggggg-gggg-gggg-gggg-gggggggggggg";
/// What a correlation id becomes (12 bytes).
const CORRELATION: &str = "cccccccccccc";

async fn start() -> String {
    let (app, _server, _arrr) = signalr_examples::signalarrr_test::app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { signalr_server::serve(listener, app).await });
    addr
}

/// A connection to the SignalARRR endpoint, its handshake done.
async fn client(addr: &str, protocol: &str) -> Ws {
    client_at(addr, "/signalr/testhub", protocol).await
}

/// A connection to the endpoint at `path`, its handshake done.
async fn client_at(addr: &str, path: &str, protocol: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}"))
        .await
        .unwrap();
    let hs = format!("{{\"protocol\":\"{protocol}\",\"version\":1}}\u{1e}");
    ws.send(Message::text(hs)).await.unwrap();
    assert_eq!(next(&mut ws).await, b"{}\x1e");
    ws
}

/// The next data frame other than a Ping (5 s limit).
async fn next(ws: &mut Ws) -> Vec<u8> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("no frame within 5 s");
        let bytes = match msg {
            Some(Ok(Message::Text(t))) => t.as_bytes().to_vec(),
            Some(Ok(Message::Binary(b))) => b.to_vec(),
            Some(Ok(_)) => continue,
            other => panic!("the connection ended: {other:?}"),
        };
        if bytes != b"{\"type\":6}\x1e" && bytes != [0x02, 0x91, 0x06] {
            return bytes;
        }
    }
}

async fn next_text(ws: &mut Ws) -> String {
    String::from_utf8(mask(&next(ws).await)).unwrap()
}

async fn send(ws: &mut Ws, frame: &str) {
    ws.send(Message::text(format!("{frame}\u{1e}")))
        .await
        .unwrap();
}

fn is_guid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// `bytes` with every lower-case GUID replaced by [`GUID`] and every correlation id by
/// [`CORRELATION`] (same lengths, so MessagePack lengths stay right).
fn mask(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut i = 0;
    while i + 36 <= out.len() {
        if is_guid(&out[i..i + 36]) {
            out[i..i + 36].copy_from_slice(GUID.as_bytes());
            i += 36;
        } else {
            i += 1;
        }
    }
    let marker = b"Correlation id: ";
    let mut i = 0;
    while i + marker.len() + 12 <= out.len() {
        if &out[i..i + marker.len()] == marker {
            let at = i + marker.len();
            out[at..at + 12].copy_from_slice(CORRELATION.as_bytes());
        }
        i += 1;
    }
    out
}

/// The GUIDs of a frame, in order.
fn guids(frame: &[u8]) -> Vec<String> {
    frame
        .windows(36)
        .filter(|w| is_guid(w))
        .map(|w| String::from_utf8(w.to_vec()).unwrap())
        .collect()
}

/// The `invocationId` of a JSON frame.
fn invocation_id(frame: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(frame.trim_end_matches('\u{1e}')).unwrap();
    v["invocationId"].as_str().unwrap().to_owned()
}

/// POSTs a test hook in the background; its body.
fn hook(addr: &str, path: &str) -> tokio::task::JoinHandle<String> {
    let url = format!("http://{addr}/__test/{path}");
    tokio::spawn(async move {
        let r = reqwest::Client::new().post(url).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.text().await.unwrap()
    })
}

/// The connection id, asked through the tunnel.
async fn connection_id(ws: &mut Ws) -> String {
    send(
        ws,
        r#"{"type":1,"invocationId":"id","target":"InvokeMessageResult","arguments":[{"Method":"GetConnectionId","Arguments":[],"Authorization":""}]}"#,
    )
    .await;
    let reply = String::from_utf8(next(ws).await).unwrap();
    let v: serde_json::Value = serde_json::from_str(reply.trim_end_matches('\u{1e}')).unwrap();
    v["result"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn client_calls_and_their_replies() {
    let addr = start().await;
    let mut ws = client(&addr, "json").await;

    send(&mut ws, r#"{"type":1,"invocationId":"0","target":"InvokeMessageResult","arguments":[{"Method":"Echo","Arguments":["hello"],"Authorization":""}]}"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"0\",\"result\":\"hello\"}\u{1e}"
    );

    send(&mut ws, r#"{"type":1,"invocationId":"1","target":"InvokeMessageResult","arguments":[{"Method":"NothingAsync","Arguments":[],"Authorization":""}]}"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":null}\u{1e}"
    );

    // SendMessage has no reply: the next frame is the stream's first item.
    send(&mut ws, r#"{"type":1,"target":"SendMessage","arguments":[{"Method":"NothingAsync","Arguments":[],"Authorization":""}]}"#).await;
    send(&mut ws, r#"{"type":4,"invocationId":"2","target":"StreamMessage","arguments":[{"Method":"Counter","Arguments":[5,10],"Authorization":""}]}"#).await;
    for i in 0..5 {
        assert_eq!(
            next_text(&mut ws).await,
            format!("{{\"type\":2,\"invocationId\":\"2\",\"item\":{i}}}\u{1e}")
        );
    }
    assert_eq!(
        next_text(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"2\"}\u{1e}"
    );

    send(
        &mut ws,
        r#"{"type":1,"invocationId":"3","target":"RequestUploadSlot","arguments":[]}"#,
    )
    .await;
    assert_eq!(
        next_text(&mut ws).await,
        format!(
            "{{\"type\":3,\"invocationId\":\"3\",\"result\":\"http://{addr}/signalr/testhub/upload/{GUID}\"}}\u{1e}"
        )
    );

    // InvokeMessage: a Completion without a result.
    send(&mut ws, r#"{"type":1,"invocationId":"4","target":"InvokeMessage","arguments":[{"Method":"Echo","Arguments":["x"],"Authorization":""}]}"#).await;
    assert_eq!(
        next_text(&mut ws).await,
        "{\"type\":3,\"invocationId\":\"4\"}\u{1e}"
    );
}

#[tokio::test]
async fn error_replies_carry_the_envelope() {
    let addr = start().await;
    let mut ws = client(&addr, "json").await;
    let prefix = "An unexpected error occurred invoking 'InvokeMessageResult' on the server. HARRRException: ";
    let cases = [
        (
            "ExtraMethods.ThrowInvalidOperation",
            "[]",
            format!(
                r#"{{\"Version\":1,\"Code\":\"internal\",\"Type\":\"Cocoar.SignalARRR.Server.HARRRException\",\"Message\":\"The server failed to handle this call. Correlation id: {CORRELATION}\",\"StackTrace\":null,\"InnerError\":null}}"#
            ),
        ),
        (
            "ExtraMethods.ThrowArgumentException",
            r#"["testParam"]"#,
            r#"{\"Version\":1,\"Code\":\"argument_binding_failed\",\"Type\":\"System.ArgumentException\",\"Message\":\"Invalid value provided (Parameter \\u0027testParam\\u0027)\",\"StackTrace\":null,\"InnerError\":null}"#.to_owned(),
        ),
        (
            "NoSuchMethod",
            "[]",
            r#"{\"Version\":1,\"Code\":\"method_not_found\",\"Type\":\"Cocoar.SignalARRR.Common.Exceptions.MethodResolutionException\",\"Message\":\"Method \\u0027NoSuchMethod\\u0027 not found!\",\"StackTrace\":null,\"InnerError\":null}"#.to_owned(),
        ),
    ];
    for (i, (method, args, envelope)) in cases.iter().enumerate() {
        send(&mut ws, &format!(r#"{{"type":1,"invocationId":"{i}","target":"InvokeMessageResult","arguments":[{{"Method":"{method}","Arguments":{args},"Authorization":""}}]}}"#)).await;
        assert_eq!(
            next_text(&mut ws).await,
            format!(
                "{{\"type\":3,\"invocationId\":\"{i}\",\"error\":\"{prefix}{envelope}\"}}\u{1e}"
            ),
            "{method}"
        );
    }
}

#[tokio::test]
async fn server_calls_and_the_client_stream() {
    let addr = start().await;
    let mut ws = client(&addr, "json").await;
    let id = connection_id(&mut ws).await;

    // InvokeServerRequest, answered with a client result.
    let answer = hook(
        &addr,
        &format!("trigger-client-getbyid?connectionId={id}&id=hello-from-ts"),
    );
    let frame = next_text(&mut ws).await;
    let inv = invocation_id(&frame);
    assert_eq!(
        frame,
        format!(
            "{{\"type\":1,\"invocationId\":\"{inv}\",\"target\":\"InvokeServerRequest\",\"arguments\":[{{\"Id\":\"{GUID}\",\"Method\":\"TestShared.ITestClientMethods|GetById\",\"Arguments\":[\"hello-from-ts\"],\"GenericArguments\":[],\"CancellationGuid\":null,\"StreamId\":null,\"TraceParent\":null,\"TraceState\":null}}]}}\u{1e}"
        )
    );
    send(
        &mut ws,
        &format!(r#"{{"type":3,"invocationId":"{inv}","result":"hello-from-ts"}}"#),
    )
    .await;
    assert_eq!(answer.await.unwrap(), "\"hello-from-ts\"");

    // InvokeServerMessage: a one-way call.
    let sent = hook(
        &addr,
        &format!("trigger-client-typed-call?connectionId={id}"),
    );
    assert_eq!(
        next_text(&mut ws).await,
        format!(
            "{{\"type\":1,\"target\":\"InvokeServerMessage\",\"arguments\":[{{\"Id\":\"{GUID}\",\"Method\":\"TestShared.ITestClientMethods|Nix\",\"Arguments\":[],\"GenericArguments\":[],\"CancellationGuid\":null,\"StreamId\":null,\"TraceParent\":null,\"TraceState\":null}}]}}\u{1e}"
        )
    );
    assert_eq!(sent.await.unwrap(), "\"Sent\"");

    // InvokeServerMessage with a StreamId: the client streams through StreamItemToServer.
    let items = hook(
        &addr,
        &format!("trigger-client-stream?connectionId={id}&count=3"),
    );
    let raw = next(&mut ws).await;
    let stream_id = guids(&raw)[1].clone();
    assert_eq!(
        String::from_utf8(mask(&raw)).unwrap(),
        format!(
            "{{\"type\":1,\"target\":\"InvokeServerMessage\",\"arguments\":[{{\"Id\":\"{GUID}\",\"Method\":\"TestShared.ITestClientMethods|StreamNumbers\",\"Arguments\":[3],\"GenericArguments\":[],\"CancellationGuid\":null,\"StreamId\":\"{GUID}\",\"TraceParent\":null,\"TraceState\":null}}]}}\u{1e}"
        )
    );
    for i in 0..3 {
        send(
            &mut ws,
            &format!(
                r#"{{"type":1,"target":"StreamItemToServer","arguments":["{stream_id}",{i}]}}"#
            ),
        )
        .await;
    }
    send(
        &mut ws,
        &format!(
            r#"{{"type":1,"target":"StreamCompleteToServer","arguments":["{stream_id}",null]}}"#
        ),
    )
    .await;
    assert_eq!(items.await.unwrap(), "[0,1,2]");
}

/// The MessagePack frames of the reference notes: SignalARRR's TypeScript client's
/// `invoke('Echo', 'hello-msgpack')`, its reply, and a server call's map keyed as in JSON.
#[tokio::test]
async fn messagepack_frames() {
    let addr = start().await;
    let mut ws = client(&addr, "messagepack").await;

    let mut call = vec![0x4f, 0x95, 0x01, 0x80, 0xa1, b'0', 0xb3];
    call.extend_from_slice(b"InvokeMessageResult");
    call.extend_from_slice(&[0x91, 0x83, 0xa6]);
    call.extend_from_slice(b"Method");
    call.push(0xa4);
    call.extend_from_slice(b"Echo");
    call.push(0xa9);
    call.extend_from_slice(b"Arguments");
    call.extend_from_slice(&[0x91, 0xad]);
    call.extend_from_slice(b"hello-msgpack");
    call.push(0xad);
    call.extend_from_slice(b"Authorization");
    call.push(0xa0);
    assert_eq!(usize::from(call[0]), call.len() - 1);
    ws.send(Message::binary(call)).await.unwrap();
    let mut reply = vec![0x14, 0x95, 0x03, 0x80, 0xa1, b'0', 0x03, 0xad];
    reply.extend_from_slice(b"hello-msgpack");
    assert_eq!(next(&mut ws).await, reply);

    // The connection id, for the hook.
    let mut call = vec![0x95, 0x01, 0x80, 0xa1, b'1', 0xb3];
    call.extend_from_slice(b"InvokeMessageResult");
    call.extend_from_slice(&[0x91, 0x83, 0xa6]);
    call.extend_from_slice(b"Method");
    call.push(0xaf);
    call.extend_from_slice(b"GetConnectionId");
    call.push(0xa9);
    call.extend_from_slice(b"Arguments");
    call.push(0x90);
    call.push(0xad);
    call.extend_from_slice(b"Authorization");
    call.push(0xa0);
    call.insert(0, u8::try_from(call.len()).unwrap());
    ws.send(Message::binary(call)).await.unwrap();
    let reply = next(&mut ws).await;
    // [3, {}, "1", 3, "<id>"]: the id is the tail after its str header.
    let head = [0x95, 0x03, 0x80, 0xa1, b'1', 0x03];
    assert_eq!(&reply[1..7], head);
    let id = String::from_utf8(reply[9..].to_vec()).unwrap();

    let sent = hook(
        &addr,
        &format!("trigger-client-typed-call?connectionId={id}"),
    );
    let frame = mask(&next(&mut ws).await);
    // Six elements, the last the (empty) stream ids, as ASP.NET Core writes invocations.
    let mut body = vec![0x96, 0x01, 0x80, 0xc0, 0xb3];
    body.extend_from_slice(b"InvokeServerMessage");
    body.extend_from_slice(&[0x91, 0x88]);
    for (key, value) in [
        ("Id", Some(GUID)),
        ("Method", Some("TestShared.ITestClientMethods|Nix")),
        ("Arguments", None),
        ("GenericArguments", None),
        ("CancellationGuid", None),
        ("StreamId", None),
        ("TraceParent", None),
        ("TraceState", None),
    ] {
        body.push(0xa0 | u8::try_from(key.len()).unwrap());
        body.extend_from_slice(key.as_bytes());
        match (key, value) {
            (_, Some(v)) if v.len() < 32 => {
                body.push(0xa0 | u8::try_from(v.len()).unwrap());
                body.extend_from_slice(v.as_bytes());
            }
            (_, Some(v)) => {
                body.extend_from_slice(&[0xd9, u8::try_from(v.len()).unwrap()]);
                body.extend_from_slice(v.as_bytes());
            }
            ("Arguments" | "GenericArguments", None) => body.push(0x90),
            (_, None) => body.push(0xc0),
        }
    }
    body.push(0x90);
    let mut expected = Vec::new();
    let mut len = body.len();
    while len >= 0x80 {
        expected.push(u8::try_from(len & 0x7f).unwrap() | 0x80);
        len >>= 7;
    }
    expected.push(u8::try_from(len).unwrap());
    expected.extend_from_slice(&body);
    assert_eq!(frame, expected);
    assert_eq!(sent.await.unwrap(), "\"Sent\"");
}

/// Reads JSON frames until one satisfies `wanted`; that frame.
async fn until(ws: &mut Ws, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    loop {
        let frame = String::from_utf8(next(ws).await).unwrap();
        for part in frame.split_terminator('\u{1e}') {
            let v: serde_json::Value = serde_json::from_str(part).unwrap();
            if wanted(&v) {
                return v;
            }
        }
    }
}

fn completion(id: &'static str) -> impl Fn(&serde_json::Value) -> bool {
    move |v| v["type"] == 3 && v["invocationId"] == id
}

/// The chat example serves both dialects at once: a plain SignalR client and a SignalARRR
/// client in one room hear each other.
#[tokio::test]
async fn chat_serves_both_dialects_in_one_room() {
    use signalr_examples::chat;
    let server = signalr_server::HubServer::new(chat::hub());
    let app = chat::router(&server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { signalr_server::serve(listener, app).await });

    let mut plain = client_at(&addr, chat::PATH, "json").await;
    let mut arrr = client_at(&addr, chat::SIGNALARRR_PATH, "json").await;
    send(
        &mut plain,
        r#"{"type":1,"invocationId":"0","target":"Join","arguments":["lobby","ada"]}"#,
    )
    .await;
    assert_eq!(
        until(&mut plain, completion("0")).await["result"],
        serde_json::json!([])
    );
    send(&mut arrr, r#"{"type":1,"invocationId":"0","target":"InvokeMessageResult","arguments":[{"Method":"Join","Arguments":["lobby","bob"],"Authorization":""}]}"#).await;
    assert_eq!(
        until(&mut arrr, completion("0")).await["result"],
        serde_json::json!(["ada"])
    );
    let joined = until(&mut plain, |v| v["type"] == 1).await;
    assert!(
        joined["target"].as_str().unwrap().ends_with("Joined"),
        "{joined}"
    );
    assert_eq!(joined["arguments"], serde_json::json!(["lobby", "bob"]));

    // The SignalARRR client speaks; the plain one hears it as a plain invocation.
    send(&mut arrr, r#"{"type":1,"invocationId":"1","target":"InvokeMessage","arguments":[{"Method":"SendMessage","Arguments":["lobby","hi from arrr"],"Authorization":""}]}"#).await;
    let heard = until(&mut plain, |v| v["type"] == 1).await;
    assert!(
        heard["target"].as_str().unwrap().ends_with("Receive"),
        "{heard}"
    );
    assert_eq!(heard["arguments"][0]["from"], "bob");
    assert_eq!(heard["arguments"][0]["text"], "hi from arrr");

    // The plain client speaks (the hub's own SendMessage, beside SignalARRR's tunnel of
    // the same name); the SignalARRR client hears it in a ServerRequestMessage.
    send(&mut plain, r#"{"type":1,"invocationId":"1","target":"SendMessage","arguments":["lobby","hi from plain"]}"#).await;
    until(&mut plain, completion("1")).await;
    let heard = until(&mut arrr, |v| {
        v["type"] == 1 && v["arguments"][0]["Arguments"][0]["text"] == "hi from plain"
    })
    .await;
    assert_eq!(heard["target"], "InvokeServerMessage");
    let request = &heard["arguments"][0];
    assert!(
        request["Method"].as_str().unwrap().ends_with("|Receive"),
        "{heard}"
    );
    assert_eq!(request["Arguments"][0]["from"], "ada");
    assert!(
        is_guid(request["Id"].as_str().unwrap().as_bytes()),
        "{heard}"
    );
}

/// An upload past `max_upload_size` is refused with 413 and the limit's text, whether its
/// `Content-Length` says so up front or a chunked body only grows past it; an upload within
/// the limit is taken, and the connection goes on.
#[tokio::test]
async fn uploads_past_the_size_limit_are_refused_with_413() {
    use signalr_server::signalarrr::{SignalArrr, SignalArrrOptions};
    let server = signalr_server::HubServer::new(signalr_examples::chat::hub());
    let mut options = SignalArrrOptions::default();
    options.max_upload_size = Some(1024);
    let arrr = SignalArrr::builder(&server).options(options).build();
    let app = arrr.router("/arrr");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { signalr_server::serve(listener, app).await });
    let mut ws = client_at(&addr, "/arrr", "json").await;
    let http = reqwest::Client::new();
    let limit_text = "Upload exceeds the configured limit of 1024 bytes.";

    // Declared too large.
    let url = upload_slot(&mut ws, "1").await;
    let resp = http.post(&url).body(vec![7u8; 2048]).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.text().await.unwrap(), limit_text);

    // Chunked, growing past the limit.
    let url = upload_slot(&mut ws, "2").await;
    let chunks =
        futures_util::stream::iter((0..3).map(|_| Ok::<_, std::io::Error>(vec![7u8; 600])));
    let resp = http
        .post(&url)
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.text().await.unwrap(), limit_text);

    // Within the limit: taken, once.
    let url = upload_slot(&mut ws, "3").await;
    let resp = http.post(&url).body(vec![7u8; 1024]).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let again = http.post(&url).body(vec![7u8; 8]).send().await.unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(
        again.text().await.unwrap(),
        "Upload slot not found or already used"
    );

    // The connection goes on.
    assert!(
        upload_slot(&mut ws, "4")
            .await
            .starts_with(&format!("http://{addr}/arrr/upload/"))
    );
}

/// Asks for an upload slot with invocation `id`; its URL.
async fn upload_slot(ws: &mut Ws, id: &str) -> String {
    send(
        ws,
        &format!(
            r#"{{"type":1,"invocationId":"{id}","target":"RequestUploadSlot","arguments":[]}}"#
        ),
    )
    .await;
    let reply: serde_json::Value =
        serde_json::from_slice(next(ws).await.strip_suffix(b"\x1e").unwrap()).unwrap();
    assert_eq!(reply["invocationId"], id, "{reply}");
    reply["result"].as_str().unwrap().to_owned()
}
