//! The Server-Sent Events and long polling transports over raw HTTP on 127.0.0.1: negotiate,
//! the event stream, polls, sends, DELETE, and the refusals.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use signalr_server::{HubOptions, HubServer, RouterExt};

async fn start(options: HubOptions) -> (String, HubServer) {
    let server = HubServer::with_options(signalr_examples::conformance::hub(), options);
    let app = axum::Router::new().hub("/hubs/conformance", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hubs/conformance"), server)
}

async fn negotiate(http: &reqwest::Client, url: &str) -> serde_json::Value {
    let body = http
        .post(format!("{url}/negotiate?negotiateVersion=1"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

async fn token(http: &reqwest::Client, url: &str) -> String {
    negotiate(http, url).await["connectionToken"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn post(http: &reqwest::Client, url: &str, token: &str, body: &[u8]) -> StatusCode {
    http.post(format!("{url}?id={token}"))
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
}

async fn poll(http: &reqwest::Client, url: &str, token: &str) -> (StatusCode, Vec<u8>) {
    let resp = tokio::time::timeout(
        Duration::from_secs(10),
        http.get(format!("{url}?id={token}")).send(),
    )
    .await
    .expect("no poll answer within 10 s")
    .unwrap();
    let status = resp.status();
    (status, resp.bytes().await.unwrap().to_vec())
}

/// Polls until the answer holds something (or the connection ended).
async fn poll_data(http: &reqwest::Client, url: &str, token: &str) -> (StatusCode, Vec<u8>) {
    loop {
        let (status, body) = poll(http, url, token).await;
        if status != StatusCode::OK || !body.is_empty() {
            return (status, body);
        }
    }
}

async fn wait_for_no_connections(server: &HubServer) {
    for _ in 0..100 {
        if server.connection_count() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the connection is still open");
}

const HANDSHAKE: &[u8] = b"{\"protocol\":\"json\",\"version\":1}\x1e";
const ECHO: &[u8] =
    b"{\"type\":1,\"invocationId\":\"1\",\"target\":\"Echo\",\"arguments\":[\"hi\"]}\x1e";

#[tokio::test]
async fn negotiate_lists_the_three_transports() {
    let (url, _server) = start(HubOptions::default()).await;
    let answer = negotiate(&reqwest::Client::new(), &url).await;
    assert_eq!(
        answer["availableTransports"],
        serde_json::json!([
            {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]},
            {"transport": "ServerSentEvents", "transferFormats": ["Text"]},
            {"transport": "LongPolling", "transferFormats": ["Text", "Binary"]},
        ])
    );
}

#[tokio::test]
async fn negotiate_lists_only_enabled_transports() {
    let options = HubOptions {
        transports: vec![signalr_server::TransportType::LongPolling],
        ..HubOptions::default()
    };
    let (url, _server) = start(options).await;
    let http = reqwest::Client::new();
    let answer = negotiate(&http, &url).await;
    assert_eq!(
        answer["availableTransports"],
        serde_json::json!([{"transport": "LongPolling", "transferFormats": ["Text", "Binary"]}])
    );
    let token = answer["connectionToken"].as_str().unwrap();
    let sse = http
        .get(format!("{url}?id={token}"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn server_sent_events_carry_the_replies() {
    let (url, server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    let resp = http
        .get(format!("{url}?id={token}"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut events = resp.bytes_stream();
    let mut seen = Vec::new();
    let mut read_until = async |needle: &[u8]| {
        while !seen.windows(needle.len()).any(|w| w == needle) {
            let chunk = tokio::time::timeout(Duration::from_secs(5), events.next())
                .await
                .expect("no event within 5 s")
                .expect("the event stream ended")
                .unwrap();
            seen.extend_from_slice(&chunk);
        }
    };
    assert_eq!(post(&http, &url, &token, HANDSHAKE).await, StatusCode::OK);
    read_until(b"data: {}\x1e\r\n\r\n").await;
    assert_eq!(post(&http, &url, &token, ECHO).await, StatusCode::OK);
    read_until(b"data: {\"type\":3,\"invocationId\":\"1\",\"result\":\"hi\"}\x1e\r\n\r\n").await;
    assert_eq!(server.connection_count(), 1);

    // A second event stream, a long poll or a WebSocket for the same token is refused; so
    // is DELETE, which only ends long polling.
    let again = http
        .get(format!("{url}?id={token}"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::BAD_REQUEST);
    let ws_url = format!("{}?id={token}", url.replacen("http", "ws", 1));
    assert!(tokio_tungstenite::connect_async(ws_url).await.is_err());
    let delete = http
        .delete(format!("{url}?id={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::BAD_REQUEST);

    // Dropping the event stream ends the connection.
    drop(events);
    wait_for_no_connections(&server).await;
    assert_eq!(post(&http, &url, &token, ECHO).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn long_polling_polls_sends_and_deletes() {
    let (url, server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    // The first poll is answered at once, empty.
    assert_eq!(
        poll(&http, &url, &token).await,
        (StatusCode::OK, Vec::new())
    );
    assert_eq!(post(&http, &url, &token, HANDSHAKE).await, StatusCode::OK);
    assert_eq!(
        poll_data(&http, &url, &token).await,
        (StatusCode::OK, b"{}\x1e".to_vec())
    );
    assert_eq!(post(&http, &url, &token, ECHO).await, StatusCode::OK);
    let (status, body) = poll_data(&http, &url, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        b"{\"type\":3,\"invocationId\":\"1\",\"result\":\"hi\"}\x1e"
    );
    assert_eq!(server.connection_count(), 1);

    // A newer poll ends the older one with 204.
    let older = tokio::spawn({
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        async move { poll(&http, &url, &token).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let newer = tokio::spawn({
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        async move { poll(&http, &url, &token).await }
    });
    assert_eq!(older.await.unwrap().0, StatusCode::NO_CONTENT);

    // DELETE ends the connection; the poll in progress ends with 204.
    let delete = http
        .delete(format!("{url}?id={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::ACCEPTED);
    assert_eq!(newer.await.unwrap().0, StatusCode::NO_CONTENT);
    wait_for_no_connections(&server).await;
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn long_polling_refuses_other_transports_for_its_token() {
    let (url, _server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::OK);
    let sse = http
        .get(format!("{url}?id={token}"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), StatusCode::BAD_REQUEST);
    let ws_url = format!("{}?id={token}", url.replacen("http", "ws", 1));
    assert!(tokio_tungstenite::connect_async(ws_url).await.is_err());
}

#[tokio::test]
async fn posts_to_a_websocket_connection_are_refused() {
    let (url, _server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    let ws_url = format!("{}?id={token}", url.replacen("http", "ws", 1));
    let (_ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    assert_eq!(
        post(&http, &url, &token, HANDSHAKE).await,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_tokens_are_not_found() {
    let (url, _server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    assert_eq!(poll(&http, &url, "nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        post(&http, &url, "nope", HANDSHAKE).await,
        StatusCode::NOT_FOUND
    );
    let delete = http.delete(format!("{url}?id=nope")).send().await.unwrap();
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
    let sse = http
        .get(format!("{url}?id=nope"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), StatusCode::NOT_FOUND);
    let no_id = http.get(&url).send().await.unwrap();
    assert_eq!(no_id.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_over_limit_post_closes_the_connection_with_an_error() {
    let (url, server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::OK);
    assert_eq!(post(&http, &url, &token, HANDSHAKE).await, StatusCode::OK);
    assert_eq!(
        poll_data(&http, &url, &token).await,
        (StatusCode::OK, b"{}\x1e".to_vec())
    );
    // 1 MiB with no record separator: far past the 32 KiB message limit.
    let big = vec![b' '; 1 << 20];
    let _ = http
        .post(format!("{url}?id={token}"))
        .body(big)
        .send()
        .await;
    let (status, body) = poll_data(&http, &url, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        b"{\"type\":7,\"error\":\"Connection closed with an error.\",\"allowReconnect\":true}\x1e"
    );
    let (status, _) = poll(&http, &url, &token).await;
    assert!(
        status == StatusCode::NO_CONTENT || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    wait_for_no_connections(&server).await;
}

#[tokio::test]
async fn a_long_polling_client_that_stops_polling_is_disconnected() {
    let options = HubOptions {
        disconnect_timeout: Duration::from_millis(300),
        ..HubOptions::default()
    };
    let (url, server) = start(options).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::OK);
    assert_eq!(post(&http, &url, &token, HANDSHAKE).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.connection_count(), 1);
    wait_for_no_connections(&server).await;
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn long_polling_carries_messagepack() {
    let (url, _server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    assert_eq!(poll(&http, &url, &token).await.0, StatusCode::OK);
    let handshake = b"{\"protocol\":\"messagepack\",\"version\":1}\x1e";
    assert_eq!(post(&http, &url, &token, handshake).await, StatusCode::OK);
    assert_eq!(
        poll_data(&http, &url, &token).await,
        (StatusCode::OK, b"{}\x1e".to_vec())
    );
    // Ping as MessagePack: length 2, [6].
    let frame = signalr_protocol::Protocol::MessagePack
        .to_frame(&signalr_protocol::HubMessage::Ping)
        .unwrap();
    assert_eq!(post(&http, &url, &token, &frame).await, StatusCode::OK);
}

#[tokio::test]
async fn server_sent_events_refuse_messagepack() {
    let (url, _server) = start(HubOptions::default()).await;
    let http = reqwest::Client::new();
    let token = token(&http, &url).await;
    let resp = http
        .get(format!("{url}?id={token}"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let mut events = resp.bytes_stream();
    let handshake = b"{\"protocol\":\"messagepack\",\"version\":1}\x1e";
    assert_eq!(post(&http, &url, &token, handshake).await, StatusCode::OK);
    let mut seen = Vec::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("no event within 5 s")
    {
        seen.extend_from_slice(&chunk.unwrap());
    }
    let seen = String::from_utf8(seen).unwrap();
    assert!(
        seen.contains("Cannot use the 'messagepack' protocol on the current transport."),
        "{seen}"
    );
}
