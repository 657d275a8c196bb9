//! The `signalr-hub-client` crate against the conformance hub served in-process, over real
//! sockets on 127.0.0.1, with both protocols: calls of every kind, client results, the
//! keep-alive and timeouts, the close event, authentication, negotiate redirects and
//! automatic reconnect.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use futures_util::StreamExt;
use signalr_examples::conformance::Person;
use signalr_hub_client::{
    Binary, CONNECTION_CLOSED, ClientError, ClientStream, DefaultRetryPolicy, HubConnection,
    HubConnectionBuilder, HubConnectionState, Operation, Protocol, SERVER_TIMEOUT, Transports,
};
use signalr_server::{HubOptions, HubServer, RouterExt};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const LIMIT: Duration = Duration::from_secs(10);

/// A listener on `addr` that can be bound again as soon as the previous one is gone.
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

struct Served {
    server: HubServer,
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Served {
    fn url(&self) -> String {
        format!("http://{}/hubs/conformance", self.addr)
    }
}

fn serve_server(listener: TcpListener, server: HubServer, app: axum::Router) -> Served {
    let addr = listener.local_addr().unwrap();
    let app = app.hub("/hubs/conformance", &server);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Served { server, addr, task }
}

async fn start_with(options: HubOptions) -> Served {
    let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let server = HubServer::with_options(signalr_examples::conformance::hub(), options);
    serve_server(listener, server, axum::Router::new())
}

async fn start() -> Served {
    start_with(HubOptions::default()).await
}

fn builder(url: &str, protocol: Protocol) -> HubConnectionBuilder {
    HubConnectionBuilder::new(url).protocol(protocol)
}

async fn connect(url: &str, protocol: Protocol) -> HubConnection {
    let c = builder(url, protocol).build();
    c.start().await.unwrap();
    c
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"))
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !cond() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Records a connection's close, reconnecting and reconnected events.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn watch(c: &HubConnection) -> Self {
        let events = Events::default();
        let e = events.clone();
        c.on_close(move |err| e.push(format!("close {}", describe(err))));
        let e = events.clone();
        c.on_reconnecting(move |err| e.push(format!("reconnecting {}", describe(err))));
        let e = events.clone();
        c.on_reconnected(move |id| e.push(format!("reconnected {}", id.unwrap_or("-"))));
        events
    }

    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }

    fn list(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    async fn wait_for(&self, prefix: &str) -> String {
        let mut found = None;
        wait_until(&format!("event {prefix}"), || {
            found = self.list().into_iter().find(|e| e.starts_with(prefix));
            found.is_some()
        })
        .await;
        found.unwrap()
    }
}

fn describe(err: Option<&ClientError>) -> String {
    err.map_or_else(|| "-".to_owned(), |e| e.to_string())
}

/// Expects an error completion with exactly `text`.
fn assert_hub_error<T: std::fmt::Debug>(result: Result<T, ClientError>, text: &str) {
    match result {
        Err(ClientError::Hub(got)) => assert_eq!(got, text),
        other => panic!("expected the hub error {text:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn invoke_results_and_errors() {
    let served = start().await;
    for protocol in Protocol::ALL {
        let c = connect(&served.url(), protocol).await;
        assert_eq!(c.state(), HubConnectionState::Connected);
        assert!(c.connection_id().is_some());
        let text = "héllo ✓ \u{1e} \"x\"";
        assert_eq!(c.invoke::<String>("Echo", (text,)).await.unwrap(), text);
        assert_eq!(c.invoke::<i32>("add", (2, 3)).await.unwrap(), 5);
        assert_eq!(
            c.invoke::<String>("Conformance|Echo", ("q",))
                .await
                .unwrap(),
            "q"
        );
        let person = Person {
            name: "Ada".into(),
            age: 36,
            tags: vec!["x".into()],
            nickname: None,
        };
        let back: Person = c.invoke("EchoPerson", (&person,)).await.unwrap();
        assert_eq!((back.name.as_str(), back.age), ("Ada", 37));
        let bytes = Binary((0..=255).collect());
        assert_eq!(
            c.invoke::<Binary>("EchoBytes", (&bytes,)).await.unwrap(),
            bytes
        );
        // A void result binds to ().
        c.invoke::<()>("JoinGroup", ("g",)).await.unwrap();
        assert_hub_error(
            c.invoke::<i32>("Fail", ("it broke",)).await,
            "An unexpected error occurred invoking 'Fail' on the server. HubException: it broke",
        );
        assert_hub_error(
            c.invoke::<i32>("Add", (i32::MAX, 1)).await,
            "An unexpected error occurred invoking 'Add' on the server. HubException: 2147483647 + 1 overflows a 32-bit integer.",
        );
        assert_hub_error(
            c.invoke::<()>("Nope", ()).await,
            "Unknown hub method 'Nope'",
        );
        assert_hub_error(
            c.invoke::<i32>("Add", (1,)).await,
            "Failed to invoke 'Add' due to an error on the server.",
        );
        // A result of the wrong type is a bind error, not a panic.
        assert!(matches!(
            c.invoke::<i32>("Echo", ("x",)).await,
            Err(ClientError::Bind(_))
        ));
        // Many at once, resolved by id.
        let calls = (0..100).map(|i| c.invoke::<i32>("Add", (i, 1)));
        let results = futures_util::future::join_all(calls).await;
        assert_eq!(
            results.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            (1..=100).collect::<Vec<_>>()
        );
        c.stop().await;
        assert_eq!(c.state(), HubConnectionState::Disconnected);
        assert_eq!(c.connection_id(), None);
        assert!(matches!(
            c.invoke::<String>("Echo", ("late",)).await,
            Err(ClientError::NotConnected)
        ));
    }
}

#[tokio::test]
async fn send_and_client_method_handlers() {
    let served = start().await;
    for protocol in Protocol::ALL {
        let c = builder(&served.url(), protocol).build();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let tx2 = tx.clone();
        // Dispatch is case-insensitive; every handler of a method runs.
        let first = c.on("notified", move |(text,): (String,)| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(format!("1:{text}"));
            }
        });
        c.on("NOTIFIED", move |(text,): (String,)| {
            let tx = tx2.clone();
            async move {
                let _ = tx.send(format!("2:{text}"));
            }
        });
        c.start().await.unwrap();
        c.send("Notify", ("a",)).await.unwrap();
        assert_eq!(within("Notified", rx.recv()).await.unwrap(), "1:a");
        assert_eq!(within("Notified", rx.recv()).await.unwrap(), "2:a");
        first.off();
        c.send("Notify", ("b",)).await.unwrap();
        assert_eq!(within("Notified", rx.recv()).await.unwrap(), "2:b");
        c.off("Notified");
        c.send("Notify", ("c",)).await.unwrap();
        // Order is kept: the Echo completes after Notified(c) would have been handled.
        assert_eq!(c.invoke::<String>("Echo", ("x",)).await.unwrap(), "x");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err());
        c.stop().await;
    }
}

#[tokio::test]
async fn server_streams_and_cancellation() {
    let served = start().await;
    for protocol in Protocol::ALL {
        let c = connect(&served.url(), protocol).await;
        let items: Vec<i32> = c
            .stream::<i32>("Counter", (5, 1))
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(items, [0, 1, 2, 3, 4]);
        assert!(!c.invoke::<bool>("CounterCancelled", ()).await.unwrap());

        let mut stream = c.stream::<i32>("Counter", (1000, 20));
        assert_eq!(within("item", stream.next()).await.unwrap().unwrap(), 0);
        assert_eq!(within("item", stream.next()).await.unwrap().unwrap(), 1);
        drop(stream);
        assert!(c.invoke::<bool>("CounterCancelled", ()).await.unwrap());

        // A stream whose invocation fails ends with the error.
        let mut bad = c.stream::<i32>("Counter", ("x", 1));
        assert!(matches!(
            within("error", bad.next()).await,
            Some(Err(ClientError::Hub(_)))
        ));
        assert!(bad.next().await.is_none());
        c.stop().await;
        // A stream on a stopped connection yields the error once.
        let mut late = c.stream::<i32>("Counter", (1, 1));
        assert!(matches!(
            late.next().await,
            Some(Err(ClientError::NotConnected))
        ));
        assert!(late.next().await.is_none());
    }
}

#[tokio::test]
async fn upload_streams() {
    let served = start().await;
    for protocol in Protocol::ALL {
        let c = connect(&served.url(), protocol).await;
        let numbers = ClientStream::new(futures_util::stream::iter(1..=1000));
        let sum: i32 = c.invoke("Sum", (numbers,)).await.unwrap();
        assert_eq!(sum, 500_500);
        let slow = ClientStream::new(futures_util::stream::iter([1, 2, 3]).then(|n| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            n
        }));
        assert_eq!(c.invoke::<i32>("Sum", (slow,)).await.unwrap(), 6);
        // An upload that fails ends the server's method with an error.
        let failing = ClientStream::try_new(futures_util::stream::iter(vec![
            Ok(1),
            Err("client side failure"),
        ]));
        assert!(matches!(
            c.invoke::<i32>("Sum", (failing,)).await,
            Err(ClientError::Hub(_))
        ));
        // Sent without waiting for a result, and as a streaming invocation's upload.
        let (tx, mut rx) = mpsc::unbounded_channel();
        c.on("Notified", move |(text,): (String,)| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(text);
            }
        });
        let upload = ClientStream::new(futures_util::stream::iter([4, 5]));
        c.send("Sum", (upload,)).await.unwrap();
        c.send("Notify", ("after the upload",)).await.unwrap();
        assert_eq!(
            within("Notified", rx.recv()).await.unwrap(),
            "after the upload"
        );
        c.stop().await;
    }
}

#[tokio::test]
async fn a_client_answering_a_client_result_can_call_the_hub_meanwhile() {
    // With one invocation slot per client (the default), AskClient waits for the client's
    // answer; the answer handler itself calls Echo, which needs a slot. The waiting method
    // gives its slot back, so neither waits for the other.
    let served = start().await;
    for protocol in Protocol::ALL {
        let c = builder(&served.url(), protocol).build();
        let inner = c.clone();
        c.on_result("answer", move |(q,): (String,)| {
            let inner = inner.clone();
            async move {
                let echoed: String = inner
                    .invoke("Echo", (format!("echo of {q}"),))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(echoed)
            }
        });
        c.start().await.unwrap();
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            c.invoke::<String>("AskClient", ("nested",)),
        )
        .await
        .expect("AskClient waited for a slot its own answer needed");
        assert_eq!(answer.unwrap(), "echo of nested");
        // The connection still runs one invocation at a time afterwards, and works.
        let sum: i32 = c.invoke("Add", (2, 3)).await.unwrap();
        assert_eq!(sum, 5);
        c.stop().await;
    }
}

#[tokio::test]
async fn client_results() {
    let served = start().await;
    for protocol in Protocol::ALL {
        let c = builder(&served.url(), protocol).build();
        let answer = c.on_result("answer", |(q,): (String,)| async move {
            if q == "fail" {
                Err("no answer to that".to_owned())
            } else {
                Ok(format!("re: {q}"))
            }
        });
        c.start().await.unwrap();
        assert_eq!(
            c.invoke::<String>("AskClient", ("why",)).await.unwrap(),
            "re: why"
        );
        assert!(matches!(
            c.invoke::<String>("AskClient", ("fail",)).await,
            Err(ClientError::Hub(_))
        ));
        answer.off();
        // Without a handler the client answers "Client didn't provide a result.".
        assert!(matches!(
            c.invoke::<String>("AskClient", ("why",)).await,
            Err(ClientError::Hub(_))
        ));
        // A raw handler works too.
        c.on_raw("Answer", |args| async move {
            let q: String = args.get(0).unwrap().bind().unwrap();
            let answer = format!("{} chars", q.len());
            Ok(Some(
                signalr_hub_client::Payload::serialize(args.protocol(), &answer).unwrap(),
            ))
        });
        assert_eq!(
            c.invoke::<String>("AskClient", ("four",)).await.unwrap(),
            "4 chars"
        );
        c.stop().await;
    }
}

#[tokio::test]
async fn keep_alive_pings_keep_an_idle_connection_open() {
    // The server drops a client that sends nothing for 400 ms (after its first Ping).
    let served = start_with(HubOptions {
        client_timeout_interval: Duration::from_millis(400),
        keep_alive_interval: Duration::from_secs(60),
        ..HubOptions::default()
    })
    .await;
    for protocol in Protocol::ALL {
        let c = builder(&served.url(), protocol)
            .keep_alive_interval(Duration::from_millis(100))
            .build();
        c.start().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(c.state(), HubConnectionState::Connected);
        assert_eq!(c.invoke::<i32>("Add", (1, 1)).await.unwrap(), 2);
        c.stop().await;

        // Without the client's pings the server does drop it, and the close event says so.
        let quiet = builder(&served.url(), protocol)
            .keep_alive_interval(Duration::from_secs(60))
            .build();
        let events = Events::watch(&quiet);
        quiet.start().await.unwrap();
        let close = events.wait_for("close").await;
        assert!(close.starts_with("close "), "{close}");
        assert_eq!(quiet.state(), HubConnectionState::Disconnected);
    }
}

#[tokio::test]
async fn server_timeout_closes_and_fails_pending_invocations() {
    // The server pings only every minute: a client expecting a message every 300 ms gives up.
    let served = start_with(HubOptions {
        keep_alive_interval: Duration::from_secs(60),
        ..HubOptions::default()
    })
    .await;
    for protocol in Protocol::ALL {
        let c = builder(&served.url(), protocol)
            .server_timeout(Duration::from_millis(300))
            .build();
        let events = Events::watch(&c);
        c.start().await.unwrap();
        let pending = c.invoke::<i32>("Sleep", (5000,));
        let err = within("pending", pending).await.unwrap_err();
        assert!(matches!(err, ClientError::ConnectionClosed), "{err:?}");
        assert_eq!(err.to_string(), CONNECTION_CLOSED);
        assert_eq!(
            events.wait_for("close").await,
            format!("close {SERVER_TIMEOUT}")
        );
        assert_eq!(c.state(), HubConnectionState::Disconnected);
    }
    // The server's own keep-alive satisfies the timeout.
    let chatty = start_with(HubOptions {
        keep_alive_interval: Duration::from_millis(100),
        ..HubOptions::default()
    })
    .await;
    for protocol in Protocol::ALL {
        let c = builder(&chatty.url(), protocol)
            .server_timeout(Duration::from_millis(500))
            .build();
        c.start().await.unwrap();
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_eq!(c.state(), HubConnectionState::Connected);
        c.stop().await;
    }
}

#[tokio::test]
async fn stop_and_close_events() {
    let served = start().await;
    for protocol in Protocol::ALL {
        let c = builder(&served.url(), protocol).build();
        let events = Events::watch(&c);
        c.start().await.unwrap();
        assert!(matches!(c.start().await, Err(ClientError::NotDisconnected)));
        let pending = c.invoke::<i32>("Sleep", (5000,));
        c.stop().await;
        assert!(matches!(pending.await, Err(ClientError::ConnectionClosed)));
        assert_eq!(events.list(), ["close -"]);
        // A stopped connection starts again, with a new id.
        c.start().await.unwrap();
        assert_eq!(c.invoke::<i32>("Add", (1, 2)).await.unwrap(), 3);
        c.stop().await;
        c.stop().await;
        assert_eq!(events.list(), ["close -", "close -"]);
    }
    // Dropping the last handle closes the connection.
    let c = connect(&served.url(), Protocol::Json).await;
    wait_until("connected", || served.server.connection_count() == 1).await;
    drop(c);
    wait_until("dropped", || served.server.connection_count() == 0).await;
}

#[tokio::test]
async fn a_server_close_without_automatic_reconnect_disconnects() {
    let served = start().await;
    let c = connect(&served.url(), Protocol::MessagePack).await;
    let events = Events::watch(&c);
    served.server.shutdown().await;
    assert_eq!(events.wait_for("close").await, "close -");
    assert_eq!(c.state(), HubConnectionState::Disconnected);
    assert_eq!(events.list(), ["close -"]);
}

#[tokio::test]
async fn start_failures() {
    // Nothing listening.
    let c = HubConnectionBuilder::new("http://127.0.0.1:1/hubs/conformance").build();
    let refused = c.start().await.unwrap_err();
    assert!(
        matches!(
            refused,
            ClientError::Request {
                operation: Operation::Negotiate,
                ..
            }
        ),
        "{refused:?}"
    );
    // The error keeps its source: the HTTP client's, saying why.
    assert!(std::error::Error::source(&refused).is_some());
    assert_eq!(c.state(), HubConnectionState::Disconnected);
    assert!(matches!(
        HubConnectionBuilder::new("not a url").build().start().await,
        Err(ClientError::InvalidUrl { .. })
    ));

    let served = start_with(HubOptions {
        supported_protocols: vec![Protocol::Json],
        ..HubOptions::default()
    })
    .await;
    // Negotiate offers no binary transport, so MessagePack cannot be used; each transport
    // says why, in the server's order.
    let err = builder(&served.url(), Protocol::MessagePack)
        .build()
        .start()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unable to connect to the server with any of the available transports. \
         WebSockets failed: 'WebSockets' does not support Binary. \
         ServerSentEvents failed: 'ServerSentEvents' does not support Binary. \
         LongPolling failed: 'LongPolling' does not support Binary."
    );
    // Without negotiate, the handshake is refused with the server's text.
    let err = builder(&served.url(), Protocol::MessagePack)
        .skip_negotiation(true)
        .transports(Transports::WEB_SOCKETS)
        .build()
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Handshake(text) if text == "The protocol 'messagepack' is not supported."),
        "{err:?}"
    );
    // Skipping negotiate needs WebSockets alone, as the official clients.
    let err = builder(&served.url(), Protocol::Json)
        .skip_negotiation(true)
        .build()
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::SkipNegotiationNeedsWebSockets),
        "{err:?}"
    );
    // Skipping negotiate works, without a connection id.
    let c = builder(&served.url(), Protocol::Json)
        .skip_negotiation(true)
        .transports(Transports::WEB_SOCKETS)
        .build();
    c.start().await.unwrap();
    assert_eq!(c.connection_id(), None);
    assert_eq!(c.invoke::<i32>("Add", (2, 2)).await.unwrap(), 4);
    c.stop().await;
    // A wrong path.
    let err = builder(&format!("http://{}/hubs/nope", served.addr), Protocol::Json)
        .build()
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Status {
                operation: Operation::Negotiate,
                status: 404
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "Unexpected status code returned from negotiate '404'"
    );
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

#[tokio::test]
async fn access_tokens_headers_and_negotiate_redirects() {
    let server = HubServer::builder(signalr_examples::conformance::hub())
        .authenticate(|req: &signalr_server::AuthRequest<'_>| {
            let headers = &req.parts.headers;
            let custom = headers.get("x-custom").and_then(|v| v.to_str().ok());
            let user = match (bearer(headers), custom) {
                (Some("secret"), Some("yes")) => Ok(Some(signalr_server::Identity::new("alice"))),
                _ => Err(signalr_server::Refusal::unauthorized()),
            };
            async move { user }
        })
        .build()
        .unwrap();
    let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let hub_url = format!("http://{addr}/hubs/conformance");
    let target = hub_url.clone();
    let looping = format!("http://{addr}/loop");
    let redirects = axum::Router::new()
        .route(
            "/redirect/negotiate",
            axum::routing::post(move || {
                let body = format!(r#"{{"url":"{target}","accessToken":"secret"}}"#);
                async move { ([("content-type", "application/json")], body) }
            }),
        )
        .route(
            "/loop/negotiate",
            axum::routing::post(move || {
                let body = format!(r#"{{"url":"{looping}"}}"#);
                async move { ([("content-type", "application/json")], body) }
            }),
        );
    let served = serve_server(listener, server, redirects);

    for protocol in Protocol::ALL {
        for skip in [false, true] {
            let refused = builder(&hub_url, protocol)
                .skip_negotiation(skip)
                .transports(Transports::WEB_SOCKETS)
                .header("X-Custom", "yes")
                .build();
            let err = refused.start().await.unwrap_err();
            assert!(
                matches!(
                    err,
                    ClientError::Status {
                        operation: Operation::Negotiate,
                        status: 401
                    } | ClientError::AllTransportsFailed(_)
                        | ClientError::Request {
                            operation: Operation::WebSocket,
                            ..
                        }
                ),
                "{err:?}"
            );
            let calls = Arc::new(Mutex::new(0));
            let counted = calls.clone();
            let c = builder(&hub_url, protocol)
                .skip_negotiation(skip)
                .transports(Transports::WEB_SOCKETS)
                .header("X-Custom", "yes")
                .access_token_factory(move || {
                    *counted.lock().unwrap() += 1;
                    async { "secret".to_owned() }
                })
                .build();
            c.start().await.unwrap();
            assert_eq!(*calls.lock().unwrap(), 1);
            assert_eq!(c.invoke::<i32>("Add", (1, 2)).await.unwrap(), 3);
            c.stop().await;
        }
        // The redirect's URL and access token are used.
        let c = builder(&format!("http://{addr}/redirect"), protocol)
            .header("X-Custom", "yes")
            .build();
        c.start().await.unwrap();
        assert_eq!(c.invoke::<String>("Echo", ("r",)).await.unwrap(), "r");
        c.stop().await;
    }
    assert!(matches!(
        builder(&format!("http://{addr}/loop"), Protocol::Json)
            .build()
            .start()
            .await,
        Err(ClientError::TooManyRedirects)
    ));
    served.task.abort();
}

#[tokio::test]
async fn automatic_reconnect_to_a_restarted_server_on_the_same_port() {
    for protocol in Protocol::ALL {
        let first = start().await;
        let addr = first.addr;
        let c = builder(&first.url(), protocol)
            .with_automatic_reconnect_delays(vec![Duration::from_millis(50); 200])
            .build();
        let events = Events::watch(&c);
        let (tx, mut rx) = mpsc::unbounded_channel();
        c.on("Notified", move |(text,): (String,)| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(text);
            }
        });
        c.start().await.unwrap();
        let first_id = c.connection_id().unwrap();

        // The server closes every connection allowing reconnects, and goes away.
        first.server.shutdown().await;
        assert_eq!(events.wait_for("reconnecting").await, "reconnecting -");
        assert_eq!(c.state(), HubConnectionState::Reconnecting);
        assert_eq!(c.connection_id(), None);
        assert!(matches!(
            c.invoke::<String>("Echo", ("x",)).await,
            Err(ClientError::NotConnected)
        ));
        first.task.abort();
        let _ = first.task.await;

        // A new server on the same port.
        let deadline = Instant::now() + LIMIT;
        let listener = loop {
            match listen(addr) {
                Ok(l) => break l,
                Err(e) => {
                    assert!(Instant::now() < deadline, "cannot bind {addr} again: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        let second = serve_server(
            listener,
            HubServer::new(signalr_examples::conformance::hub()),
            axum::Router::new(),
        );
        let reconnected = events.wait_for("reconnected").await;
        let second_id = c.connection_id().unwrap();
        assert_eq!(reconnected, format!("reconnected {second_id}"));
        assert_ne!(first_id, second_id);
        assert_eq!(c.state(), HubConnectionState::Connected);
        // Everything works again, handlers included.
        assert_eq!(c.invoke::<String>("Echo", ("back",)).await.unwrap(), "back");
        c.send("Notify", ("again",)).await.unwrap();
        assert_eq!(within("Notified", rx.recv()).await.unwrap(), "again");
        assert!(!events.list().iter().any(|e| e.starts_with("close")));
        c.stop().await;
        assert_eq!(events.wait_for("close").await, "close -");
        second.server.shutdown().await;
        second.task.abort();
    }
}

#[tokio::test]
async fn reconnect_gives_up_after_its_delays() {
    let served = start().await;
    let c = builder(&served.url(), Protocol::Json)
        .with_retry_policy(DefaultRetryPolicy::with_delays(vec![
            Duration::from_millis(10),
            Duration::from_millis(10),
        ]))
        .build();
    let events = Events::watch(&c);
    c.start().await.unwrap();
    served.server.shutdown().await;
    let close = events.wait_for("close").await;
    let list = events.list();
    assert_eq!(list[0], "reconnecting -");
    assert_eq!(list.len(), 2, "{list:?}");
    // The last attempt's error: the shut-down server refuses negotiate.
    assert!(close.contains("503"), "{close}");
    assert_eq!(c.state(), HubConnectionState::Disconnected);

    // A policy that declines at once: no reconnecting event, just close.
    let served = start().await;
    let c = builder(&served.url(), Protocol::Json)
        .with_automatic_reconnect_delays(vec![])
        .build();
    let events = Events::watch(&c);
    c.start().await.unwrap();
    served.server.shutdown().await;
    assert_eq!(events.wait_for("close").await, "close -");
    assert_eq!(events.list(), ["close -"]);
}
