//! The client over each transport against the conformance hub served in-process: the typed
//! proxies and receivers `#[hub_contract]` generates over WebSockets, Server-Sent Events and
//! long polling in both protocols (Server-Sent Events carry text only); the fallback over
//! what negotiate offers, in the server's order and as the client allows; and the access
//! token on every request, as a header or in the query.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use futures_util::StreamExt;
use signalr::CancellationToken;
use signalr_examples::conformance::{
    ConformanceClient, ConformanceClientReceiver, ConformanceProxy, Person,
};
use signalr_hub_client::{
    ClientError, HubConnection, HubConnectionBuilder, Protocol, TransportType, Transports,
};
use signalr_server::{HubOptions, HubServer, RouterExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(10);

const EACH: [(TransportType, Transports); 3] = [
    (TransportType::WebSockets, Transports::WEB_SOCKETS),
    (
        TransportType::ServerSentEvents,
        Transports::SERVER_SENT_EVENTS,
    ),
    (TransportType::LongPolling, Transports::LONG_POLLING),
];

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn hub(options: HubOptions) -> String {
    let server = HubServer::with_options(signalr_examples::conformance::hub(), options);
    let addr = serve(axum::Router::new().hub("/hubs/conformance", &server)).await;
    format!("http://{addr}/hubs/conformance")
}

/// The client side of the contract: reports notifications, answers questions.
#[derive(Debug, Clone)]
struct Client {
    notified: mpsc::UnboundedSender<String>,
}

impl ConformanceClient for Client {
    async fn notified(&self, text: String) {
        let _ = self.notified.send(text);
    }

    async fn group_message(&self, _group: String, _text: String) {}

    async fn broadcasted(&self, _text: String) {}

    async fn answer(&self, question: String) -> String {
        format!("answer to {question}")
    }
}

#[tokio::test]
async fn typed_proxies_and_receivers_work_over_every_transport() {
    let url = hub(HubOptions::default()).await;
    for protocol in Protocol::ALL {
        for (transport, allowed) in EACH {
            if transport == TransportType::ServerSentEvents && protocol == Protocol::MessagePack {
                continue;
            }
            let what = format!("{transport:?} {protocol:?}");
            let c = HubConnectionBuilder::new(url.clone())
                .protocol(protocol)
                .transports(allowed)
                .build();
            let (tx, mut notified) = mpsc::unbounded_channel();
            let _ = ConformanceClientReceiver::register(&c, Client { notified: tx });
            c.start().await.unwrap();
            assert_eq!(c.transport(), Some(transport), "{what}");
            let hub = ConformanceProxy::new(c.clone());
            let call = async {
                let long = "x".repeat(20_000);
                assert_eq!(hub.echo(long.clone()).await.unwrap(), long, "{what}");
                assert_eq!(hub.add(2, 3).await.unwrap(), 5, "{what}");
                let ada = Person {
                    name: "Ada".into(),
                    age: 36,
                    tags: vec!["math".into()],
                    nickname: None,
                };
                assert_eq!(hub.echo_person(ada).await.unwrap().age, 37, "{what}");
                assert!(matches!(
                    hub.fail("boom".into()).await,
                    Err(ClientError::Hub(e)) if e.contains("boom")
                ));
                let items: Vec<i32> = hub
                    .counter(50, 0, CancellationToken::new())
                    .map(Result::unwrap)
                    .collect()
                    .await;
                assert_eq!(items, (0..50).collect::<Vec<_>>(), "{what}");
                // Dropping a stream cancels it on the server.
                let mut endless = hub.counter(100_000, 10, CancellationToken::new());
                assert_eq!(endless.next().await.unwrap().unwrap(), 0);
                drop(endless);
                assert!(hub.counter_cancelled().await.unwrap(), "{what}");
                let sum = hub.sum(futures_util::stream::iter(1..=200)).await.unwrap();
                assert_eq!(sum, 20_100, "{what}");
                assert_eq!(
                    hub.ask_client("q".into()).await.unwrap(),
                    "answer to q",
                    "{what}"
                );
                hub.notify("n".into()).await.unwrap();
                assert_eq!(notified.recv().await.unwrap(), "n", "{what}");
                let calls = (0..50).map(|i| hub.add(i, i));
                let sums = futures_util::future::join_all(calls).await;
                assert!(
                    sums.iter()
                        .enumerate()
                        .all(|(i, s)| *s.as_ref().unwrap() == 2 * i as i32)
                );
            };
            tokio::time::timeout(LIMIT, call)
                .await
                .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"));
            c.stop().await;
        }
    }
}

async fn connect(url: &str, protocol: Protocol, allowed: Transports) -> HubConnection {
    let c = HubConnectionBuilder::new(url)
        .protocol(protocol)
        .transports(allowed)
        .build();
    c.start().await.unwrap();
    c
}

#[tokio::test]
async fn the_first_transport_offered_and_allowed_is_used() {
    let url = hub(HubOptions::default()).await;
    let cases = [
        (Protocol::Json, Transports::ALL, TransportType::WebSockets),
        (
            Protocol::Json,
            Transports::SERVER_SENT_EVENTS | Transports::LONG_POLLING,
            TransportType::ServerSentEvents,
        ),
        // Server-Sent Events carry no binary: MessagePack falls through to long polling.
        (
            Protocol::MessagePack,
            Transports::SERVER_SENT_EVENTS | Transports::LONG_POLLING,
            TransportType::LongPolling,
        ),
    ];
    for (protocol, allowed, used) in cases {
        let c = connect(&url, protocol, allowed).await;
        assert_eq!(c.transport(), Some(used), "{protocol:?} {allowed:?}");
        assert_eq!(c.invoke::<i32>("Add", (1, 2)).await.unwrap(), 3);
        c.stop().await;
        assert_eq!(c.transport(), None);
    }
    // A server without WebSockets: the client falls back.
    let url = hub(HubOptions {
        transports: vec![TransportType::ServerSentEvents, TransportType::LongPolling],
        ..HubOptions::default()
    })
    .await;
    let c = connect(&url, Protocol::Json, Transports::ALL).await;
    assert_eq!(c.transport(), Some(TransportType::ServerSentEvents));
    c.stop().await;
    // Nothing allowed that the server offers: each transport says why.
    let err = HubConnectionBuilder::new(url)
        .transports(Transports::WEB_SOCKETS)
        .build()
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unable to connect to the server with any of the available transports. \
         ServerSentEvents failed: 'ServerSentEvents' is disabled by the client. \
         LongPolling failed: 'LongPolling' is disabled by the client."
    );
}

#[tokio::test]
async fn a_transport_that_fails_to_connect_falls_back_to_the_next_after_negotiating_again() {
    // Negotiate offers WebSockets first, but the WebSocket request is refused; long polling
    // answers the handshake.
    let negotiations = Arc::new(AtomicUsize::new(0));
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = negotiations.clone();
    let app = axum::Router::new()
        .route(
            "/hub/negotiate",
            post(move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    let body = format!(
                        r#"{{"negotiateVersion":1,"connectionId":"c{n}","connectionToken":"t{n}","availableTransports":[{{"transport":"WebSockets","transferFormats":["Text"]}},{{"transport":"LongPolling","transferFormats":["Text"]}}]}}"#
                    );
                    ([("content-type", "application/json")], body)
                }
            }),
        )
        .route(
            "/hub",
            get(move |request: Request| {
                let polls = polls.clone();
                async move {
                    if request.headers().contains_key("upgrade") {
                        return StatusCode::NOT_FOUND.into_response();
                    }
                    match polls.fetch_add(1, Ordering::SeqCst) {
                        0 => String::new().into_response(),
                        1 => "{}\u{1e}".into_response(),
                        _ => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            String::new().into_response()
                        }
                    }
                }
            })
            .post(|| async { "" })
            .delete(|| async { "" }),
        );
    let addr = serve(app).await;
    let c = HubConnectionBuilder::new(format!("http://{addr}/hub")).build();
    c.start().await.unwrap();
    assert_eq!(c.transport(), Some(TransportType::LongPolling));
    // The WebSocket attempt used the first token; long polling negotiated a second one.
    assert_eq!(negotiations.load(Ordering::SeqCst), 2);
    assert_eq!(c.connection_id().as_deref(), Some("c1"));
    c.stop().await;
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    authorization: Option<String>,
    upgrade: bool,
    event_stream: bool,
}

#[tokio::test]
async fn the_access_token_goes_on_every_request_as_a_header_or_in_the_query() {
    let server = HubServer::new(signalr_examples::conformance::hub());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let record = seen.clone();
    let app =
        axum::Router::new()
            .hub("/hubs/conformance", &server)
            .layer(axum::middleware::from_fn(
                move |request: Request, next: Next| {
                    let record = record.clone();
                    async move {
                        let entry = {
                            let header = |name: &str| {
                                request
                                    .headers()
                                    .get(name)
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned)
                            };
                            Seen {
                                method: request.method().to_string(),
                                path: request.uri().path().to_owned(),
                                query: request.uri().query().unwrap_or("").to_owned(),
                                authorization: header("authorization"),
                                upgrade: header("upgrade").is_some(),
                                event_stream: header("accept")
                                    .is_some_and(|a| a.contains("text/event-stream")),
                            }
                        };
                        record.lock().unwrap().push(entry);
                        next.run(request).await
                    }
                },
            ));
    let addr = serve(app).await;
    let url = format!("http://{addr}/hubs/conformance");
    for (transport, allowed) in EACH {
        for in_query in [false, true] {
            seen.lock().unwrap().clear();
            let c = HubConnectionBuilder::new(url.clone())
                .transports(allowed)
                .access_token_factory(|| async { "s3cret".to_owned() })
                .access_token_in_query(in_query)
                .build();
            c.start().await.unwrap();
            assert_eq!(c.invoke::<String>("Echo", ("t",)).await.unwrap(), "t");
            c.stop().await;
            let requests = seen.lock().unwrap().clone();
            assert!(requests.len() >= 2, "{requests:?}");
            for r in &requests {
                let what = format!("{transport:?} in_query={in_query}: {r:?}");
                // The WebSocket and the event stream carry the token as browsers do when
                // asked to; every other request carries the header.
                let streaming = r.upgrade || r.event_stream;
                let in_the_query = r.query.contains("access_token=s3cret");
                if streaming && in_query {
                    assert!(in_the_query && r.authorization.is_none(), "{what}");
                } else {
                    assert_eq!(r.authorization.as_deref(), Some("Bearer s3cret"), "{what}");
                    assert!(!in_the_query, "{what}");
                }
            }
            let negotiated = requests
                .iter()
                .any(|r| r.method == "POST" && r.path.ends_with("/negotiate"));
            assert!(negotiated, "{requests:?}");
            match transport {
                TransportType::WebSockets => assert!(requests.iter().any(|r| r.upgrade)),
                TransportType::ServerSentEvents => {
                    assert!(requests.iter().any(|r| r.event_stream));
                }
                TransportType::LongPolling => {
                    assert!(requests.iter().any(|r| r.method == "DELETE"));
                }
            }
        }
    }
}
