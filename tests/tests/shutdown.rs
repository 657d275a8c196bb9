//! Graceful shutdown of a real server process: SIGTERM with 500 calls in flight, and every
//! client gets a Close before the process exits.

#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use signalr_server::{HubServer, RouterExt};
use support::child::{ChildServer, is_child};
use tokio_tungstenite::tungstenite::Message;

#[test]
#[ignore = "the server the shutdown test runs in a child process"]
fn child_server() {
    if !is_child() {
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = HubServer::new(signalr_examples::conformance::hub());
        let app = axum::Router::new().hub("/hubs/conformance", &server);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        signalr_server::serve(listener, app)
            .with_graceful_shutdown(async move {
                signalr_examples::signal::shutdown_signal().await;
                server.shutdown().await;
            })
            .await
            .unwrap();
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_500_calls_in_flight_closes_every_connection_with_a_close() {
    let mut child = ChildServer::spawn("child_server", &[]);
    let url = format!("ws://{}/hubs/conformance", child.addr);
    let mut clients = Vec::new();
    for i in 0..500 {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        ws.send(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
            .await
            .unwrap();
        match ws.next().await {
            Some(Ok(Message::Text(t))) => assert_eq!(t.as_str(), "{}\u{1e}"),
            other => panic!("client {i}: {other:?}"),
        }
        ws.send(Message::text(
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Sleep\",\"arguments\":[60000]}\u{1e}",
        ))
        .await
        .unwrap();
        clients.push(ws);
    }
    // Every call is in flight: the server is sleeping in all 500.
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.terminate();
    let outcomes = futures_util::future::join_all(clients.into_iter().map(|mut ws| async move {
        loop {
            match tokio::time::timeout(Duration::from_secs(15), ws.next()).await {
                Ok(Some(Ok(Message::Text(t)))) if t.as_str().contains("\"type\":7") => {
                    return Some(t.to_string());
                }
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    }))
    .await;
    let closed = outcomes.iter().flatten().count();
    assert_eq!(
        closed, 500,
        "clients that got a Close before the server went away"
    );
    for close in outcomes.iter().flatten() {
        assert_eq!(close, "{\"type\":7,\"allowReconnect\":true}\u{1e}");
    }
    assert!(child.wait_exit(Duration::from_secs(15)), "the server exits");
}
