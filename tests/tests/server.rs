//! Server behaviour beyond the conformance contract: graceful shutdown, the authentication
//! hook and users, and the lifecycle hooks, over real sockets on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use futures_util::{SinkExt, StreamExt};
use signalr_server::{
    AuthRequest, Hub, HubServer, Identity, MethodKind, Refusal, Reply, RouterExt,
};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(server: &HubServer) -> String {
    let app = axum::Router::new().hub("/hub", server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn connect(url: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await.as_deref(), Some("{}\u{1e}"));
    ws
}

async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("reply within 5 s")
        {
            Some(Ok(Message::Text(t))) if t.as_str() == "{\"type\":6}\u{1e}" => continue,
            Some(Ok(Message::Text(t))) => return Some(t.to_string()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return None,
        }
    }
}

fn who_am_i_hub(events: Arc<Mutex<Vec<String>>>) -> Hub {
    let (on, off) = (events.clone(), events);
    Hub::new("Users")
        .method("WhoAmI", MethodKind::Unary, 0, |call| async move {
            call.bind(0)?;
            call.reply(&call.caller.user.as_deref().unwrap_or("anonymous"))
        })
        .method("Tell", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (user, text): (String, String) = (args.next_arg()?, args.next_arg()?);
            call.caller.clients.user(user).send("Told", &(text,))?;
            Ok(Reply::Void)
        })
        .on_connected(move |c| {
            let events = on.clone();
            async move {
                events
                    .lock()
                    .unwrap()
                    .push(format!("connected {}", c.user.as_deref().unwrap_or("-")))
            }
        })
        .on_disconnected(move |c| {
            let events = off.clone();
            async move {
                events
                    .lock()
                    .unwrap()
                    .push(format!("disconnected {}", c.user.as_deref().unwrap_or("-")))
            }
        })
}

#[tokio::test]
async fn shutdown_closes_every_connection_with_a_close_message() {
    let server = HubServer::new(signalr_examples::conformance::hub());
    let addr = serve(&server).await;
    let mut a = connect(&format!("ws://{addr}/hub")).await;
    let mut b = connect(&format!("ws://{addr}/hub")).await;
    server.shutdown().await;
    for ws in [&mut a, &mut b] {
        assert_eq!(
            next_text(ws).await.as_deref(),
            Some("{\"type\":7,\"allowReconnect\":true}\u{1e}")
        );
        assert_eq!(next_text(ws).await, None);
    }
    // New connections are refused.
    assert!(
        tokio_tungstenite::connect_async(format!("ws://{addr}/hub"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_authentication_hook_sets_users_and_refuses_strangers() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let server = HubServer::builder(who_am_i_hub(events.clone()))
        .authenticate(|req: &AuthRequest<'_>| {
            let user = match req.query.get("access_token").map(String::as_str) {
                Some("alice-token") => Ok(Some(Identity::new("alice"))),
                Some("bob-token") => Ok(Some(Identity::new("bob"))),
                Some(_) => Err(Refusal::unauthorized()),
                None => Ok(None),
            };
            async move { user }
        })
        .build()
        .unwrap();
    let addr = serve(&server).await;
    let mut alice = connect(&format!("ws://{addr}/hub?access_token=alice-token")).await;
    let mut bob = connect(&format!("ws://{addr}/hub?access_token=bob-token")).await;
    let mut anon = connect(&format!("ws://{addr}/hub")).await;
    for (ws, name) in [
        (&mut alice, "alice"),
        (&mut bob, "bob"),
        (&mut anon, "anonymous"),
    ] {
        ws.send(Message::text(
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"WhoAmI\",\"arguments\":[]}\u{1e}",
        ))
        .await
        .unwrap();
        assert_eq!(
            next_text(ws).await.unwrap(),
            format!("{{\"type\":3,\"invocationId\":\"1\",\"result\":\"{name}\"}}\u{1e}")
        );
    }
    // A message to a user reaches that user's connections only.
    anon.send(Message::text(
        "{\"type\":1,\"invocationId\":\"2\",\"target\":\"Tell\",\"arguments\":[\"bob\",\"psst\"]}\u{1e}",
    ))
    .await
    .unwrap();
    assert_eq!(
        next_text(&mut anon).await.unwrap(),
        "{\"type\":3,\"invocationId\":\"2\"}\u{1e}"
    );
    assert_eq!(
        next_text(&mut bob).await.unwrap(),
        "{\"type\":1,\"target\":\"Told\",\"arguments\":[\"psst\"]}\u{1e}"
    );
    // Refused: the WebSocket upgrade fails with 401.
    match tokio_tungstenite::connect_async(format!("ws://{addr}/hub?access_token=forged")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED)
        }
        other => panic!("expected 401, got {other:?}"),
    }
    drop(alice);
    for _ in 0..100 {
        if events
            .lock()
            .unwrap()
            .iter()
            .any(|e| e == "disconnected alice")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let events = events.lock().unwrap().clone();
    for e in [
        "connected alice",
        "connected bob",
        "connected -",
        "disconnected alice",
    ] {
        assert!(events.iter().any(|x| x == e), "{e} missing from {events:?}");
    }
}

/// A hub whose replies are larger than a socket takes at once, and whose `Shout` reaches
/// every connection from the caller's task.
fn big_replies_hub() -> Hub {
    Hub::new("Big")
        .method("Big", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (tag, size): (u32, usize) = (args.next_arg()?, args.next_arg()?);
            call.reply(&format!("{tag}:{}", "x".repeat(size)))
        })
        .method("Shout", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(1)?;
            let i: u32 = args.next_arg()?;
            call.caller.clients.all().send("Heard", &(i,))?;
            Ok(Reply::Void)
        })
}

#[tokio::test]
async fn replies_the_socket_cannot_take_at_once_arrive_whole_and_in_order() {
    // The connection's task writes its replies itself while the socket takes them; past
    // that the writer task finishes them, and frames other connections queue meanwhile
    // (the `Heard` broadcasts, in the second round) keep their place.
    const CALLS: u32 = 40;
    const SIZE: usize = 256 * 1024;
    let server = HubServer::new(big_replies_hub());
    let addr = serve(&server).await;
    let url = format!("ws://{addr}/hub");
    let mut slow = connect(&url).await;
    let mut loud = connect(&url).await;
    for (round, shouts) in [(0u32, 0u32), (1, 20)] {
        for i in 0..CALLS {
            let call = format!(
                "{{\"type\":1,\"invocationId\":\"{round}-{i}\",\"target\":\"Big\",\"arguments\":[{i},{SIZE}]}}\u{1e}"
            );
            slow.send(Message::text(call)).await.unwrap();
        }
        // The slow client reads nothing for a while: its socket fills up.
        tokio::time::sleep(Duration::from_millis(300)).await;
        for i in 0..shouts {
            let call = format!(
                "{{\"type\":1,\"invocationId\":\"s{i}\",\"target\":\"Shout\",\"arguments\":[{i}]}}\u{1e}"
            );
            loud.send(Message::text(call)).await.unwrap();
        }
        let mut completions = 0u32;
        let mut heard = 0u32;
        while completions < CALLS || heard < shouts {
            let text = next_text(&mut slow)
                .await
                .expect("the connection stays open");
            for frame in text.split_terminator('\u{1e}') {
                let v: serde_json::Value = serde_json::from_str(frame).unwrap();
                match v["type"].as_u64() {
                    Some(3) => {
                        assert_eq!(v["invocationId"], format!("{round}-{completions}"));
                        let result = v["result"].as_str().unwrap();
                        let prefix = format!("{completions}:");
                        assert!(result.starts_with(&prefix));
                        assert_eq!(result.len(), prefix.len() + SIZE, "whole");
                        completions += 1;
                    }
                    Some(1) => {
                        assert_eq!(v["target"], "Heard");
                        assert_eq!(v["arguments"][0], heard, "in order");
                        heard += 1;
                    }
                    other => panic!("unexpected frame type {other:?}: {frame:.200}"),
                }
            }
        }
    }
    // Both connections still answer.
    for ws in [&mut slow, &mut loud] {
        ws.send(Message::text(
            "{\"type\":1,\"invocationId\":\"last\",\"target\":\"Big\",\"arguments\":[7,1]}\u{1e}",
        ))
        .await
        .unwrap();
        loop {
            let text = next_text(ws).await.expect("an answer");
            if text.contains("\"invocationId\":\"last\"") {
                assert!(text.contains("\"result\":\"7:x\""), "{text}");
                break;
            }
        }
    }
}
