//! The client in SignalARRR mode (`signalr_hub_client::signalarrr::SignalarrrConnection`)
//! against our SignalARRR endpoint, in-process over 127.0.0.1, in both protocols: the
//! typed proxies and receivers `#[hub_contract]` generates, unchanged, over the tunnelling
//! connection — calls with and without results, streams, the error envelope, the server's
//! calls (client results, messages, a stream the server asks for) and cancellation both
//! ways, the message credential and the challenge.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use signalr::{Caller, CancellationToken, hub_contract};
use signalr_examples::signalarrr_test::{
    ExtraMethodsProxy, SecureHubProxy, TestClientMethods, TestClientMethodsReceiver, TestHubProxy,
    secure_router,
};
use signalr_hub_client::signalarrr::SignalarrrConnection;
use signalr_hub_client::{
    Arguments, ClientError, HubClient, HubConnectionBuilder, Protocol, RawCall,
};
use signalr_server::signalarrr::SignalArrr;
use signalr_server::{HubServer, RouterExt};
use tokio::sync::mpsc;

/// How long anything the test waits for may take.
const PATIENCE: Duration = Duration::from_secs(5);

/// The SignalARRR test server; its address.
async fn start_test_server() -> String {
    let (app, _server, _arrr) = signalr_examples::signalarrr_test::app();
    serve(app).await
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { signalr_server::serve(listener, app).await });
    addr
}

/// A started SignalARRR connection to `http://{addr}{path}`.
async fn connect(addr: &str, path: &str, protocol: Protocol) -> SignalarrrConnection {
    let connection = HubConnectionBuilder::new(format!("http://{addr}{path}"))
        .protocol(protocol)
        .build();
    let arrr = SignalarrrConnection::new(connection);
    arrr.start().await.unwrap();
    arrr
}

/// The structured error of a failed call.
fn remote(e: ClientError) -> signalr_hub_client::signalarrr::RemoteError {
    match e {
        ClientError::Remote(r) => *r,
        other => panic!("not a structured error: {other:?}"),
    }
}

#[tokio::test]
async fn typed_calls_results_void_and_streams() {
    let addr = start_test_server().await;
    for protocol in Protocol::ALL {
        let arrr = connect(&addr, "/signalr/testhub", protocol).await;
        let hub = TestHubProxy::new(arrr.clone());
        let extra = ExtraMethodsProxy::new(arrr.clone());
        assert_eq!(hub.get_name().await.unwrap(), "MyName");
        assert_eq!(hub.get_name_async().await.unwrap(), "MyNameAsync");
        assert_eq!(hub.echo("hello".into()).await.unwrap(), "hello");
        hub.nothing().await.unwrap();
        assert_eq!(extra.add(3, 4).await.unwrap(), 7);
        assert_eq!(extra.greet("World".into()).await.unwrap(), "Hello, World!");
        assert_eq!(
            extra
                .echo_with_custom_name("test-value".into())
                .await
                .unwrap(),
            "test-value"
        );
        assert_eq!(
            extra.combine("test".into(), 42, true).await.unwrap(),
            "test-42-True"
        );
        assert_eq!(
            extra.generate_items(3).await.unwrap(),
            ["item-0", "item-1", "item-2"]
        );
        let lengths = extra.word_lengths("hello world".into()).await.unwrap();
        assert_eq!(lengths.get("world"), Some(&5));

        let items: Vec<i32> = hub
            .counter(5, 1, CancellationToken::new())
            .map(Result::unwrap)
            .collect()
            .await;
        assert_eq!(items, [0, 1, 2, 3, 4], "{protocol:?}");

        // A call without an answer, by its bare name, and the connection still answers.
        let none = Arguments::writer(protocol, 0).finish();
        arrr.send_raw("NothingAsync", RawCall::new(Ok(none)))
            .await
            .unwrap();
        assert_eq!(hub.echo("after".into()).await.unwrap(), "after");
        arrr.stop().await;
    }
}

#[tokio::test]
async fn errors_carry_code_type_and_message() {
    let addr = start_test_server().await;
    for protocol in Protocol::ALL {
        let arrr = connect(&addr, "/signalr/testhub", protocol).await;
        let extra = ExtraMethodsProxy::new(arrr.clone());

        let e = remote(extra.throw_room_full().await.unwrap_err());
        assert_eq!(e.code.as_deref(), Some("room_full"));
        assert_eq!(e.message, "The room is full.");
        assert_eq!(e.normalized_code(), "internal");

        let e = remote(
            extra
                .throw_argument_exception("testParam".into())
                .await
                .unwrap_err(),
        );
        assert_eq!(e.code.as_deref(), Some("argument_binding_failed"));
        assert_eq!(e.error_type, "System.ArgumentException");
        assert!(
            e.message.contains("Invalid value provided"),
            "{}",
            e.message
        );

        // An unexpected failure: the detail stays on the server.
        let e = extra.throw_invalid_operation().await.unwrap_err();
        assert!(e.to_string().contains("Correlation id: "), "{e}");
        let e = remote(e);
        assert_eq!(e.code.as_deref(), Some("internal"));
        assert!(!e.message.contains("not allowed"));

        // A name no method has.
        let none = Arguments::writer(protocol, 0).finish();
        let e = remote(
            arrr.invoke_raw("NoSuchMethod", RawCall::new(Ok(none)), None)
                .await
                .unwrap_err(),
        );
        assert_eq!(e.code.as_deref(), Some("method_not_found"));
        assert_eq!(e.message, "Method 'NoSuchMethod' not found!");
        arrr.stop().await;
    }
}

/// The client side of the test hub: records what the server called.
#[derive(Clone)]
struct Recorder(mpsc::UnboundedSender<String>);

impl TestClientMethods for Recorder {
    async fn nix(&self) {
        let _ = self.0.send("nix".into());
    }

    async fn get_by_id(&self, id: String) -> String {
        let _ = self.0.send(format!("get_by_id {id}"));
        id
    }

    async fn get_content(&self, count: i32) -> Vec<String> {
        (0..count).map(|i| format!("item-{i}")).collect()
    }

    async fn stream_numbers(&self, count: i32) -> Vec<i32> {
        (0..count).collect()
    }
}

/// POSTs a test hook; its JSON answer.
async fn hook(addr: &str, path: &str) -> serde_json::Value {
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/__test/{path}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    serde_json::from_str(&r.text().await.unwrap()).unwrap()
}

async fn recv(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .expect("nothing within 5 s")
        .unwrap()
}

#[tokio::test]
async fn the_servers_calls_reach_the_typed_receiver() {
    let addr = start_test_server().await;
    for protocol in Protocol::ALL {
        let arrr = connect(&addr, "/signalr/testhub", protocol).await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        // What the server asks a stream of (`stream_numbers`): the list, item by item.
        TestClientMethodsReceiver::register(&arrr, Recorder(tx));
        let id = TestHubProxy::new(arrr.clone())
            .get_connection_id()
            .await
            .unwrap();

        // Client results (InvokeServerRequest).
        let got = hook(
            &addr,
            &format!("trigger-client-getbyid?connectionId={id}&id=hello-from-rust"),
        )
        .await;
        assert_eq!(got, "hello-from-rust");
        assert_eq!(recv(&mut rx).await, "get_by_id hello-from-rust");
        let got = hook(
            &addr,
            &format!("trigger-client-getcontent?connectionId={id}&count=3"),
        )
        .await;
        assert_eq!(got, serde_json::json!(["item-0", "item-1", "item-2"]));

        // Messages (InvokeServerMessage): by interface name, and by plain name.
        let sent = hook(
            &addr,
            &format!("trigger-client-typed-call?connectionId={id}"),
        )
        .await;
        assert_eq!(sent, "Sent");
        assert_eq!(recv(&mut rx).await, "nix");
        let sent = hook(
            &addr,
            &format!("trigger-client-call?connectionId={id}&method=GetById&arg=fire-forget"),
        )
        .await;
        assert_eq!(sent, "Sent");
        assert_eq!(recv(&mut rx).await, "get_by_id fire-forget");

        // A stream the server asks for (InvokeServerMessage with a StreamId).
        let got = hook(
            &addr,
            &format!("trigger-client-stream?connectionId={id}&count=5"),
        )
        .await;
        assert_eq!(got, serde_json::json!([0, 1, 2, 3, 4]), "{protocol:?}");
        arrr.stop().await;
    }
}

/// A hub that calls its caller back with a token it then cancels, and a method the
/// client cancels.
#[hub_contract(name = "Arrr.IWorkHub")]
trait WorkHub {
    /// Asks the caller to work for `ms` milliseconds, cancelling after `cancel_after`.
    async fn delegate(&self, ms: u64, cancel_after: u64, caller: Caller) -> String;
    /// Waits `ms` milliseconds or until cancelled; records a cancellation.
    async fn wait(&self, ms: u64, cancel: CancellationToken) -> bool;
    /// Whether a `wait` was cancelled.
    async fn cancelled_waits(&self) -> u32;
}

/// What the work hub calls on its clients.
#[hub_contract(client, name = "Arrr.IWorkClient")]
trait WorkClient {
    /// Works for `ms` milliseconds or until cancelled: whether it was cancelled.
    async fn work(&self, ms: u64, cancel: CancellationToken) -> bool;
}

#[derive(Clone, Default)]
struct Work {
    cancelled: Arc<Mutex<u32>>,
}

impl WorkHub for Work {
    async fn delegate(&self, ms: u64, cancel_after: u64, caller: Caller) -> String {
        let token = CancellationToken::new();
        let trigger = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(cancel_after)).await;
            trigger.cancel();
        });
        let client = WorkClientProxy::new(caller.clients.client(caller.connection_id.as_ref()));
        match client.work(ms, token).await {
            Ok(cancelled) => format!("answered {cancelled}"),
            Err(e) => format!("failed: {e}"),
        }
    }

    async fn wait(&self, ms: u64, cancel: CancellationToken) -> bool {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => false,
            () = cancel.cancelled() => {
                *self.cancelled.lock().unwrap() += 1;
                true
            }
        }
    }

    async fn cancelled_waits(&self) -> u32 {
        *self.cancelled.lock().unwrap()
    }
}

/// The client side: reports whether its work was cancelled.
struct Worker(mpsc::UnboundedSender<String>);

impl WorkClient for Worker {
    async fn work(&self, ms: u64, cancel: CancellationToken) -> bool {
        let cancelled = tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(ms)) => false,
            () = cancel.cancelled() => true,
        };
        let _ = self.0.send(format!("cancelled {cancelled}"));
        cancelled
    }
}

#[tokio::test]
async fn cancellation_both_ways() {
    let server = HubServer::new(WorkHubDispatch::hub(Work::default()));
    let arrr_endpoint = SignalArrr::new(&server);
    let app = axum::Router::new()
        .hub("/hubs/work", &server)
        .merge(arrr_endpoint.router("/signalr/work"));
    let addr = serve(app).await;
    for protocol in Protocol::ALL {
        let arrr = connect(&addr, "/signalr/work", protocol).await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        WorkClientReceiver::register(&arrr, Worker(tx));
        let hub = WorkHubProxy::new(arrr.clone());

        // Work the server lets finish, then work the server cancels (CancelTokenFromServer
        // names the marker the call carried).
        assert_eq!(hub.delegate(10, 60_000).await.unwrap(), "answered false");
        assert_eq!(recv(&mut rx).await, "cancelled false");
        let started = tokio::time::Instant::now();
        let answer = tokio::time::timeout(PATIENCE, hub.delegate(60_000, 50))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(recv(&mut rx).await, "cancelled true", "{answer}");
        assert!(started.elapsed() < PATIENCE);

        // The client cancels a call: it ends at once, and the server's token fires.
        let before = hub.cancelled_waits().await.unwrap();
        let token = CancellationToken::new();
        let call = hub.wait(60_000, token.clone());
        tokio::time::sleep(Duration::from_millis(50)).await;
        token.cancel();
        let e = tokio::time::timeout(PATIENCE, call)
            .await
            .unwrap()
            .unwrap_err();
        assert!(matches!(e, ClientError::Canceled), "{e:?}");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while hub.cancelled_waits().await.unwrap() == before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server's token never fired"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        arrr.stop().await;
    }
}

/// The test server's secure hub (its methods need a user; a credential stands 30 ms).
#[tokio::test]
async fn the_message_credential_authorizes_calls_and_answers_the_challenge() {
    let addr = serve(secure_router()).await;
    for protocol in Protocol::ALL {
        // Without a credential the method refuses.
        let anonymous = connect(&addr, "/signalr/secure", protocol).await;
        let e = remote(
            SecureHubProxy::new(anonymous.clone())
                .secret()
                .await
                .unwrap_err(),
        );
        assert_eq!(e.code.as_deref(), Some("unauthorized"));
        anonymous.stop().await;

        // With one, calls go through; the stream outlives the checked credential, so the
        // server asks for it again (ChallengeAuthentication) and gets it.
        let asked = Arc::new(Mutex::new(0_u32));
        let counter = asked.clone();
        let connection = HubConnectionBuilder::new(format!("http://{addr}/signalr/secure"))
            .protocol(protocol)
            .build();
        let arrr = SignalarrrConnection::new(connection).with_credential(move || {
            *counter.lock().unwrap() += 1;
            "good-token".into()
        });
        arrr.start().await.unwrap();
        let proxy = SecureHubProxy::new(arrr.clone());
        assert_eq!(proxy.secret().await.unwrap(), "s3cret");
        let items: Vec<i32> = proxy.ticks(4, 50).map(Result::unwrap).collect().await;
        assert_eq!(items, [0, 1, 2, 3]);
        // Two calls, and at least one challenge answered.
        assert!(*asked.lock().unwrap() > 2, "{}", asked.lock().unwrap());

        // A credential that is no longer valid ends the stream at the challenge.
        let valid = Arc::new(Mutex::new(true));
        let flag = valid.clone();
        let connection = HubConnectionBuilder::new(format!("http://{addr}/signalr/secure"))
            .protocol(protocol)
            .build();
        let arrr = SignalarrrConnection::new(connection).with_credential(move || {
            if *flag.lock().unwrap() {
                "good-token"
            } else {
                "revoked"
            }
            .into()
        });
        arrr.start().await.unwrap();
        let mut ticks = SecureHubProxy::new(arrr.clone()).ticks(10, 50);
        assert_eq!(ticks.next().await.unwrap().unwrap(), 0);
        *valid.lock().unwrap() = false;
        let mut failure = None;
        while let Some(item) = ticks.next().await {
            if let Err(e) = item {
                failure = Some(e);
                break;
            }
        }
        let e = remote(failure.expect("the stream ended without an error"));
        assert_eq!(e.code.as_deref(), Some("unauthorized"), "{e:?}");
        arrr.stop().await;
    }
}

#[tokio::test]
async fn upload_streams_are_refused() {
    let addr = start_test_server().await;
    let arrr = connect(&addr, "/signalr/testhub", Protocol::Json).await;
    // Upload streams cannot be tunnelled: the call fails before anything is sent.
    let args = Arguments::writer(Protocol::Json, 0).finish();
    let call = RawCall::new(Ok(args)).with_stream(signalr_hub_client::ClientStream::new(
        futures_util::stream::iter([1]),
    ));
    let e = arrr.invoke_raw("Echo", call, None).await.unwrap_err();
    assert!(e.to_string().contains("upload streams"), "{e}");
    assert_eq!(
        TestHubProxy::new(arrr.clone())
            .echo("x".into())
            .await
            .unwrap(),
        "x"
    );
    arrr.stop().await;
}

#[tokio::test]
async fn a_void_client_result_is_null() {
    // A handler without a value answers InvokeServerRequest with null, as SignalARRR's
    // clients do for a void method; a name without a handler has no result.
    let addr = start_test_server().await;
    let arrr = connect(&addr, "/signalr/testhub", Protocol::Json).await;
    arrr.on_raw("TestShared.ITestClientMethods|GetById", |_| async {
        Ok(None)
    });
    let id = TestHubProxy::new(arrr.clone())
        .get_connection_id()
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .post(format!(
            "http://{addr}/__test/trigger-client-getbyid?connectionId={id}&id=x"
        ))
        .send()
        .await
        .unwrap();
    // The hook binds the result to a string: null does not bind.
    assert_eq!(r.status(), 500);
    let r = reqwest::Client::new()
        .post(format!(
            "http://{addr}/__test/trigger-client-getcontent?connectionId={id}&count=2"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains(signalr_hub_client::NO_CLIENT_RESULT)
    );
    arrr.stop().await;
}
