//! Authentication and authorization over real sockets, on every transport: missing, invalid
//! and expired bearer tokens refused with ASP.NET Core's statuses, the header and the
//! `access_token` query both accepted, method requirements refused with ASP.NET Core's
//! text, and no way to reach another user's connection, invocation, stream or client result.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use signalr_examples::jwt::{Claims, JwtAuthenticator};
use signalr_protocol::{CompletionResult, HubMessage, Protocol, decode_frames};
use signalr_server::{BuildError, Hub, HubServer, MethodKind, Requirement, RouterExt, policy_fn};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const SECRET: &[u8] = b"the secret every test token is signed with";

fn jwt() -> JwtAuthenticator {
    JwtAuthenticator::hs256(SECRET).unwrap()
}

fn token(claims: Claims) -> String {
    jwt().issue(&claims)
}

fn alice() -> String {
    token(Claims::new("alice", 3600).with_claim("age", "30"))
}

fn bob() -> String {
    token(Claims::new("bob", 3600).with_claim("age", "12"))
}

fn admin() -> String {
    token(Claims::new("root", 3600).with_role("admin"))
}

fn expired() -> String {
    token(Claims::new("alice", -120))
}

fn forged() -> String {
    JwtAuthenticator::hs256(b"not the server's secret at all!!")
        .unwrap()
        .issue(&Claims::new("alice", 3600).with_role("admin"))
}

fn hub() -> Hub {
    Hub::new("Secure")
        .require(Requirement::authenticated())
        .method("WhoAmI", MethodKind::Unary, 0, |call| async move {
            call.bind(0)?;
            let who = call.caller.identity.as_ref().map(|i| {
                (
                    i.id().to_owned(),
                    i.roles().map(str::to_owned).collect::<Vec<_>>(),
                )
            });
            call.reply(&who)
        })
        .method("AdminOnly", MethodKind::Unary, 0, |call| async move {
            call.bind(0)?;
            call.reply("welcome")
        })
        .require_method("AdminOnly", Requirement::any_role(["admin"]))
        .method("AdultsOnly", MethodKind::Unary, 0, |call| async move {
            call.bind(0)?;
            call.reply("cheers")
        })
        .require_method("adultsonly", Requirement::policy("adults"))
        .method("Sleep", MethodKind::Unary, 0, |call| async move {
            let ms: u64 = call.bind(1)?.next_arg()?;
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(ms)) => call.reply(&ms),
                () = call.cancellation.cancelled() => call.reply(&0u64),
            }
        })
        .method("Ask", MethodKind::Unary, 0, |call| async move {
            let question: String = call.bind(1)?.next_arg()?;
            let answer: String = call
                .caller
                .clients
                .caller()
                .invoke("Answer", &(question,), &call.cancellation)
                .await?;
            call.reply(&answer)
        })
        .method("Sum", MethodKind::Unary, 1, |mut call| async move {
            call.bind(0)?;
            let mut numbers = call.take_stream()?;
            let mut sum = 0i64;
            while let Some(n) = numbers.next::<i64>().await {
                sum += n?;
            }
            call.reply(&sum)
        })
}

fn server() -> HubServer {
    HubServer::builder(hub())
        .authenticate(jwt())
        .policy(
            "adults",
            policy_fn(|i| {
                i.claim("age")
                    .and_then(|a| a.parse::<u32>().ok())
                    .is_some_and(|a| a >= 18)
            }),
        )
        .build()
        .unwrap()
}

async fn serve(server: &HubServer) -> String {
    let app = axum::Router::new().hub("/hub", server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(signalr_server::serve(listener, app).into_future());
    addr
}

/// How a request carries its token.
#[derive(Clone, Copy)]
enum Via<'a> {
    None,
    Header(&'a str),
    Query(&'a str),
}

fn url(addr: &str, path: &str, query: &[(&str, &str)], via: Via<'_>) -> String {
    let mut q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let Via::Query(t) = via {
        q.push(format!("access_token={t}"));
    }
    if q.is_empty() {
        format!("http://{addr}{path}")
    } else {
        format!("http://{addr}{path}?{}", q.join("&"))
    }
}

fn with_auth(rb: reqwest::RequestBuilder, via: Via<'_>) -> reqwest::RequestBuilder {
    match via {
        Via::Header(t) => rb.header("authorization", format!("Bearer {t}")),
        _ => rb,
    }
}

/// Negotiates; the status, and the connection token when accepted.
async fn negotiate(addr: &str, via: Via<'_>) -> (StatusCode, Option<String>) {
    let http = reqwest::Client::new();
    let rb = http.post(url(
        addr,
        "/hub/negotiate",
        &[("negotiateVersion", "1")],
        via,
    ));
    let resp = with_auth(rb, via).send().await.unwrap();
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = resp.headers().get("www-authenticate").unwrap();
        assert!(challenge.to_str().unwrap().starts_with("Bearer"));
    }
    let body = resp.text().await.unwrap();
    let token = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["connectionToken"].as_str().map(str::to_owned));
    (status, token)
}

/// Opens a WebSocket (with `id` when given); the HTTP status when refused.
async fn websocket(addr: &str, id: Option<&str>, via: Via<'_>) -> Result<Ws, u16> {
    let query: Vec<(&str, &str)> = id.map(|i| ("id", i)).into_iter().collect();
    let http_url = url(addr, "/hub", &query, via);
    let mut request = http_url
        .replacen("http", "ws", 1)
        .into_client_request()
        .unwrap();
    if let Via::Header(t) = via {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {t}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn handshake(ws: &mut Ws) {
    ws.send(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
        .await
        .unwrap();
    assert_eq!(next(ws).await, None, "handshake answered with {{}}");
}

/// The next hub message other than Ping (`None` for the handshake response).
async fn next(ws: &mut Ws) -> Option<HubMessage<'static>> {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message within 5 s")
            .expect("the connection is open")
            .unwrap();
        let bytes = match msg {
            Message::Text(t) => t.as_bytes().to_vec(),
            Message::Binary(b) => b.to_vec(),
            Message::Close(c) => panic!("closed: {c:?}"),
            _ => continue,
        };
        if bytes == b"{}\x1e" {
            return None;
        }
        let mut out = Vec::new();
        decode_frames(Protocol::Json, &bytes, None, |m| {
            out.push(m.unwrap().into_owned())
        })
        .unwrap();
        if let Some(m) = out.into_iter().find(|m| *m != HubMessage::Ping) {
            return Some(m);
        }
    }
}

async fn send(ws: &mut Ws, json: &str) {
    ws.send(Message::text(format!("{json}\u{1e}")))
        .await
        .unwrap();
}

async fn call(ws: &mut Ws, id: &str, target: &str, args: &str) -> CompletionResult<'static> {
    send(
        ws,
        &format!(r#"{{"type":1,"invocationId":"{id}","target":"{target}","arguments":{args}}}"#),
    )
    .await;
    loop {
        if let Some(HubMessage::Completion(c)) = next(ws).await
            && c.invocation_id == id
        {
            return c.result;
        }
    }
}

fn value(r: &CompletionResult<'_>) -> serde_json::Value {
    match r {
        CompletionResult::Value(p) => p.bind().unwrap(),
        other => panic!("expected a value, got {other:?}"),
    }
}

fn error(r: &CompletionResult<'_>) -> String {
    match r {
        CompletionResult::Error(e) => e.to_string(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn negotiate_refuses_missing_invalid_and_expired_tokens() {
    let addr = serve(&server()).await;
    assert_eq!(
        negotiate(&addr, Via::None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        negotiate(&addr, Via::Header("not-a-jwt")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        negotiate(&addr, Via::Header(&forged())).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        negotiate(&addr, Via::Header(&expired())).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The header and the access_token query both work for negotiate.
    assert_eq!(
        negotiate(&addr, Via::Header(&alice())).await.0,
        StatusCode::OK
    );
    assert_eq!(
        negotiate(&addr, Via::Query(&alice())).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn websockets_refuse_bad_tokens_with_and_without_negotiation() {
    let addr = serve(&server()).await;
    for via in [
        Via::None,
        Via::Query("garbage"),
        Via::Header(&forged()),
        Via::Query(&expired()),
    ] {
        assert_eq!(websocket(&addr, None, via).await.err(), Some(401));
    }
    // A negotiated token is no credential: the WebSocket request is authenticated too.
    let (_, token) = negotiate(&addr, Via::Header(&alice())).await;
    let token = token.unwrap();
    assert_eq!(
        websocket(&addr, Some(&token), Via::None).await.err(),
        Some(401)
    );
    assert_eq!(
        websocket(&addr, Some(&token), Via::Header(&forged()))
            .await
            .err(),
        Some(401)
    );
    // Someone else's valid token does not take over the negotiated connection.
    assert_eq!(
        websocket(&addr, Some(&token), Via::Query(&bob()))
            .await
            .err(),
        Some(403)
    );
    // Alice, by query (as browsers do) and by header.
    let mut ws = websocket(&addr, Some(&token), Via::Query(&alice()))
        .await
        .unwrap();
    handshake(&mut ws).await;
    let who = value(&call(&mut ws, "1", "WhoAmI", "[]").await);
    assert_eq!(who, serde_json::json!(["alice", []]));
    let mut direct = websocket(&addr, None, Via::Header(&admin())).await.unwrap();
    handshake(&mut direct).await;
    let who = value(&call(&mut direct, "1", "WhoAmI", "[]").await);
    assert_eq!(who, serde_json::json!(["root", ["admin"]]));
}

#[tokio::test]
async fn server_sent_events_and_long_polling_authenticate_every_request() {
    let addr = serve(&server()).await;
    let http = reqwest::Client::new();
    // Server-Sent Events: the access_token query (browsers' EventSource) and the header.
    for via in [Via::Query(&alice()), Via::Header(&alice())] {
        let (_, token) = negotiate(&addr, Via::Header(&alice())).await;
        let token = token.unwrap();
        let get = |via: Via<'_>| {
            with_auth(
                http.get(url(&addr, "/hub", &[("id", &token)], via))
                    .header("accept", "text/event-stream"),
                via,
            )
        };
        assert_eq!(get(Via::None).send().await.unwrap().status(), 401);
        assert_eq!(
            get(Via::Query(&expired())).send().await.unwrap().status(),
            401
        );
        assert_eq!(get(Via::Header(&bob())).send().await.unwrap().status(), 403);
        let events = get(via).send().await.unwrap();
        assert_eq!(events.status(), 200);
        // Sends are authenticated as well.
        let post = |via: Via<'_>| {
            with_auth(
                http.post(url(&addr, "/hub", &[("id", &token)], via))
                    .body("{\"protocol\":\"json\",\"version\":1}\u{1e}"),
                via,
            )
        };
        assert_eq!(post(Via::None).send().await.unwrap().status(), 401);
        assert_eq!(post(Via::Query(&bob())).send().await.unwrap().status(), 403);
        assert_eq!(post(via).send().await.unwrap().status(), 200);
        let mut body = events.bytes_stream();
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains("data: {}") {
            let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            seen.extend_from_slice(&chunk);
        }
    }
    // Long polling: every poll, send and delete.
    let (_, token) = negotiate(&addr, Via::Header(&alice())).await;
    let token = token.unwrap();
    let poll = |via: Via<'_>| with_auth(http.get(url(&addr, "/hub", &[("id", &token)], via)), via);
    assert_eq!(poll(Via::None).send().await.unwrap().status(), 401);
    assert_eq!(
        poll(Via::Header(&alice())).send().await.unwrap().status(),
        200
    );
    assert_eq!(poll(Via::None).send().await.unwrap().status(), 401);
    assert_eq!(
        poll(Via::Header(&bob())).send().await.unwrap().status(),
        403
    );
    let post = |via: Via<'_>| {
        with_auth(
            http.post(url(&addr, "/hub", &[("id", &token)], via))
                .body("{\"protocol\":\"json\",\"version\":1}\u{1e}"),
            via,
        )
    };
    assert_eq!(post(Via::None).send().await.unwrap().status(), 401);
    assert_eq!(
        post(Via::Header(&forged())).send().await.unwrap().status(),
        401
    );
    assert_eq!(
        post(Via::Header(&bob())).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        post(Via::Header(&alice())).send().await.unwrap().status(),
        200
    );
    let delete =
        |via: Via<'_>| with_auth(http.delete(url(&addr, "/hub", &[("id", &token)], via)), via);
    assert_eq!(delete(Via::None).send().await.unwrap().status(), 401);
    assert_eq!(
        delete(Via::Header(&bob())).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        delete(Via::Header(&alice())).send().await.unwrap().status(),
        202
    );
}

#[tokio::test]
async fn methods_refuse_users_without_the_role_or_policy_with_the_aspnet_text() {
    let addr = serve(&server()).await;
    let mut a = websocket(&addr, None, Via::Header(&alice())).await.unwrap();
    handshake(&mut a).await;
    assert_eq!(
        error(&call(&mut a, "1", "AdminOnly", "[]").await),
        "Failed to invoke 'AdminOnly' because user is unauthorized"
    );
    // Refused before binding: even wrong arguments get the authorization text.
    assert_eq!(
        error(&call(&mut a, "2", "adminonly", "[1,2,3]").await),
        "Failed to invoke 'adminonly' because user is unauthorized"
    );
    assert_eq!(
        value(&call(&mut a, "3", "AdultsOnly", "[]").await),
        "cheers"
    );
    let mut root = websocket(&addr, None, Via::Header(&admin())).await.unwrap();
    handshake(&mut root).await;
    assert_eq!(
        value(&call(&mut root, "1", "AdminOnly", "[]").await),
        "welcome"
    );
    // root has no age claim: the policy refuses.
    assert_eq!(
        error(&call(&mut root, "2", "AdultsOnly", "[]").await),
        "Failed to invoke 'AdultsOnly' because user is unauthorized"
    );
    let mut b = websocket(&addr, None, Via::Header(&bob())).await.unwrap();
    handshake(&mut b).await;
    assert_eq!(
        error(&call(&mut b, "1", "AdultsOnly", "[]").await),
        "Failed to invoke 'AdultsOnly' because user is unauthorized"
    );
    // The connection goes on after a refusal.
    assert_eq!(value(&call(&mut b, "2", "Sleep", "[1]").await), 1);
}

#[tokio::test]
async fn a_hub_role_requirement_refuses_others_with_403() {
    let hub = Hub::new("Admins")
        .require(Requirement::any_role(["admin"]))
        .method("Ping", MethodKind::Unary, 0, |call| async move {
            call.bind(0)?;
            call.reply("pong")
        });
    let server = HubServer::builder(hub).authenticate(jwt()).build().unwrap();
    let addr = serve(&server).await;
    assert_eq!(
        negotiate(&addr, Via::None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        negotiate(&addr, Via::Header(&alice())).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        websocket(&addr, None, Via::Header(&alice())).await.err(),
        Some(403)
    );
    assert_eq!(
        negotiate(&addr, Via::Header(&admin())).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn guessing_ids_reaches_no_other_users_connection_invocation_stream_or_result() {
    let addr = serve(&server()).await;
    // Alice over long polling: her public connection id is not her connection token.
    let http = reqwest::Client::new();
    let resp = http
        .post(url(
            &addr,
            "/hub/negotiate",
            &[("negotiateVersion", "1")],
            Via::None,
        ))
        .header("authorization", format!("Bearer {}", alice()))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    let public_id = body["connectionId"].as_str().unwrap().to_owned();
    assert_eq!(
        http.get(url(&addr, "/hub", &[("id", &public_id)], Via::None))
            .header("authorization", format!("Bearer {}", bob()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let mut a = websocket(&addr, None, Via::Header(&alice())).await.unwrap();
    handshake(&mut a).await;
    let mut b = websocket(&addr, None, Via::Header(&bob())).await.unwrap();
    handshake(&mut b).await;
    // Bob cancels "7", Alice's invocation id, on his own connection: Alice's call runs on.
    send(
        &mut a,
        r#"{"type":1,"invocationId":"7","target":"Sleep","arguments":[300]}"#,
    )
    .await;
    send(&mut b, r#"{"type":5,"invocationId":"7"}"#).await;
    // Bob feeds items into and completes "up", the id of Alice's upload stream.
    send(
        &mut a,
        r#"{"type":1,"invocationId":"8","target":"Sum","arguments":[],"streamIds":["up"]}"#,
    )
    .await;
    send(&mut b, r#"{"type":2,"invocationId":"up","item":1000}"#).await;
    send(&mut b, r#"{"type":3,"invocationId":"up"}"#).await;
    send(&mut a, r#"{"type":2,"invocationId":"up","item":1}"#).await;
    send(&mut a, r#"{"type":2,"invocationId":"up","item":2}"#).await;
    // Alice is asked a question (a client result, id "s0" on her connection); Bob answers
    // "s0" first, on his.
    send(
        &mut a,
        r#"{"type":1,"invocationId":"9","target":"Ask","arguments":["ready?"]}"#,
    )
    .await;
    let mut results = std::collections::HashMap::new();
    let mut asked = false;
    while results.len() < 2 || !asked {
        match next(&mut a).await {
            Some(HubMessage::Invocation(inv)) if inv.target == "Answer" => {
                let id = inv.invocation_id.unwrap().into_owned();
                send(
                    &mut b,
                    &format!(r#"{{"type":3,"invocationId":"{id}","result":"bob's answer"}}"#),
                )
                .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                send(
                    &mut a,
                    &format!(r#"{{"type":3,"invocationId":"{id}","result":"alice's answer"}}"#),
                )
                .await;
                asked = true;
            }
            Some(HubMessage::Completion(c)) => {
                results.insert(c.invocation_id.to_string(), c.result);
            }
            _ => {}
        }
        if results.len() == 1 && results.contains_key("7") {
            send(&mut a, r#"{"type":3,"invocationId":"up"}"#).await;
        }
    }
    assert_eq!(value(&results["7"]), 300, "Alice's Sleep was not cancelled");
    while !results.contains_key("8") || !results.contains_key("9") {
        if let Some(HubMessage::Completion(c)) = next(&mut a).await {
            results.insert(c.invocation_id.to_string(), c.result);
        }
    }
    assert_eq!(value(&results["8"]), 3, "only Alice's items count");
    assert_eq!(value(&results["9"]), "alice's answer");
    // Bob's connection is unharmed too.
    assert_eq!(value(&call(&mut b, "1", "Sleep", "[1]").await), 1);
}

#[tokio::test]
async fn clones_share_the_authentication_configured_when_the_server_was_built() {
    let server = server();
    let clone = server.clone();
    let addr = serve(&clone).await;
    assert_eq!(
        negotiate(&addr, Via::None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(websocket(&addr, None, Via::None).await.err(), Some(401));
    // A server built without an authenticator cannot serve a hub that requires users.
    assert_eq!(
        HubServer::builder(hub()).build().err(),
        Some(BuildError::UnknownPolicy("adults".into()))
    );
    assert_eq!(
        HubServer::builder(hub())
            .policy("adults", policy_fn(|_| true))
            .build()
            .err(),
        Some(BuildError::NoAuthenticator)
    );
    // Without the builder, such a hub refuses everyone rather than no one.
    let open = HubServer::new(hub());
    let addr = serve(&open).await;
    assert_eq!(
        negotiate(&addr, Via::Header(&alice())).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_connection_whose_credential_expires_is_closed_when_asked_to() {
    let server = HubServer::builder(hub())
        .authenticate(jwt())
        .policy("adults", policy_fn(|_| true))
        .close_on_authentication_expiration(true)
        .build()
        .unwrap();
    let addr = serve(&server).await;
    let short = token(Claims::new("alice", 2));
    let mut ws = websocket(&addr, None, Via::Header(&short)).await.unwrap();
    handshake(&mut ws).await;
    assert_eq!(value(&call(&mut ws, "1", "Sleep", "[1]").await), 1);
    let started = std::time::Instant::now();
    let close = loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closed within 5 s");
        match msg {
            Some(Ok(Message::Text(t))) if t.as_str().contains("\"type\":7") => break t,
            Some(Ok(_)) => continue,
            other => panic!("no Close message: {other:?}"),
        }
    };
    assert!(close.as_str().contains("Connection closed with an error."));
    assert!(started.elapsed() < Duration::from_secs(4));
}
