//! A hub mounted inside an application's `Router<AppState>`, beside the application's own
//! routes, behind its tower layers (CORS, compression) and its authentication middleware,
//! whose verdict reaches the hub's authenticator through the request's extensions.

#![allow(clippy::unwrap_used, clippy::panic)]

use futures_util::{SinkExt, StreamExt};
use signalr_examples::app::{AppState, hub_server, router};
use tokio_tungstenite::tungstenite::Message;

async fn serve() -> String {
    let state = AppState::demo();
    let hub = hub_server(&state);
    let app = router(state, &hub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(signalr_server::serve(listener, app).into_future());
    addr
}

#[tokio::test]
async fn the_hub_lives_in_the_application_router_behind_its_layers() {
    let addr = serve().await;
    let http = reqwest::Client::new();
    // The application's own route, with its state.
    let health = http
        .get(format!("http://{addr}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "greeter-app is up");
    // The middleware guards the hub's routes.
    let negotiate = format!("http://{addr}/hubs/greeter/negotiate?negotiateVersion=1");
    assert_eq!(http.post(&negotiate).send().await.unwrap().status(), 401);
    let ok = http
        .post(&negotiate)
        .header("x-api-key", "key-alice")
        .header("origin", "http://example.test")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    // The CORS layer answered too.
    assert_eq!(ok.headers()["access-control-allow-origin"], "*");
    let body: serde_json::Value = serde_json::from_str(&ok.text().await.unwrap()).unwrap();
    assert!(body["connectionToken"].is_string());
    // A preflight is answered by the layer.
    let preflight = http
        .request(reqwest::Method::OPTIONS, &negotiate)
        .header("origin", "http://example.test")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());

    // A WebSocket with the key in the query (as a browser would send it): the user the
    // middleware verified is the hub's caller.
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{addr}/hubs/greeter?api_key=key-bob"))
            .await
            .unwrap();
    ws.send(Message::text("{\"protocol\":\"json\",\"version\":1}\u{1e}"))
        .await
        .unwrap();
    ws.next().await.unwrap().unwrap();
    ws.send(Message::text(
        "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Greet\",\"arguments\":[]}\u{1e}",
    ))
    .await
    .unwrap();
    let reply = loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) if t.as_str().contains("\"type\":3") => break t.to_string(),
            _ => continue,
        }
    };
    assert_eq!(
        reply,
        "{\"type\":3,\"invocationId\":\"1\",\"result\":\"Hello, bob, from greeter-app\"}\u{1e}"
    );
    // Without a key, the WebSocket is refused before it reaches the hub.
    match tokio_tungstenite::connect_async(format!("ws://{addr}/hubs/greeter")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 401),
        other => panic!("{other:?}"),
    }
}
