//! The Rust classic client (`ClassicHubConnection`) against the classic endpoint, over each
//! transport: the conformance rows classic can express through the typed proxies and
//! receivers `#[hub_contract]` generates, caller state, groups, and a transport dropped in
//! the middle of a burst of server-to-client calls.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use signalr::CancellationToken;
use signalr_examples::conformance::{
    ConformanceClient, ConformanceClientReceiver, ConformanceProxy, Person,
};
use signalr_hub_client::classic::{ClassicHubConnection, ClassicState, NO_UPLOAD_STREAMS};
use signalr_hub_client::{
    CallArguments, ClientError, HubClient, Protocol, RawCall, TransportType, Transports,
};
use signalr_server::HubServer;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::peer::{Server, visits_hub};

const LIMIT: Duration = Duration::from_secs(30);

const EACH: [(TransportType, Transports); 3] = [
    (TransportType::WebSockets, Transports::WEB_SOCKETS),
    (
        TransportType::ServerSentEvents,
        Transports::SERVER_SENT_EVENTS,
    ),
    (TransportType::LongPolling, Transports::LONG_POLLING),
];

/// What the conformance hub calls on a client, passed on to channels.
#[derive(Clone)]
struct Client {
    notified: mpsc::UnboundedSender<String>,
    groups: mpsc::UnboundedSender<(String, String)>,
    broadcasts: mpsc::UnboundedSender<String>,
}

struct Received {
    notified: mpsc::UnboundedReceiver<String>,
    groups: mpsc::UnboundedReceiver<(String, String)>,
    broadcasts: mpsc::UnboundedReceiver<String>,
}

fn client() -> (Client, Received) {
    let (n, notified) = mpsc::unbounded_channel();
    let (g, groups) = mpsc::unbounded_channel();
    let (b, broadcasts) = mpsc::unbounded_channel();
    (
        Client {
            notified: n,
            groups: g,
            broadcasts: b,
        },
        Received {
            notified,
            groups,
            broadcasts,
        },
    )
}

impl ConformanceClient for Client {
    async fn notified(&self, text: String) {
        let _ = self.notified.send(text);
    }

    async fn group_message(&self, group: String, text: String) {
        let _ = self.groups.send((group, text));
    }

    async fn broadcasted(&self, text: String) {
        let _ = self.broadcasts.send(text);
    }

    async fn answer(&self, question: String) -> String {
        question
    }
}

async fn connect(url: &str, allowed: Transports) -> (ClassicHubConnection, Received) {
    let c = ClassicHubConnection::builder(url, "conformance")
        .transports(allowed)
        .build();
    let (handlers, received) = client();
    let _ = ConformanceClientReceiver::register(&c, handlers);
    c.start().await.unwrap();
    (c, received)
}

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, f)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {LIMIT:?}"))
}

#[tokio::test]
async fn typed_proxies_and_receivers_work_over_each_transport() {
    let server = Server::start(Vec::new(), None).await;
    let url = server.url("/signalr");
    for (transport, allowed) in EACH {
        let what = format!("{transport:?}");
        let (c, mut received) = connect(&url, allowed).await;
        assert_eq!(c.transport(), Some(transport), "{what}");
        assert_eq!(c.state(), ClassicState::Connected);
        let closed = Arc::new(Mutex::new(Vec::new()));
        let seen = closed.clone();
        c.on_close(move |e| seen.lock().unwrap().push(e.map(ToString::to_string)));
        let hub = ConformanceProxy::new(c.clone());
        within(&what, async {
            let text = "héllo ✓ \u{1F389}".to_owned();
            assert_eq!(hub.echo(text.clone()).await.unwrap(), text, "{what}");
            assert_eq!(hub.add(40, 2).await.unwrap(), 42, "{what}");
            let ada = Person {
                name: "Ada".into(),
                age: 36,
                tags: vec!["math".into()],
                nickname: None,
            };
            assert_eq!(hub.echo_person(ada).await.unwrap().age, 37, "{what}");
            // A hub error: the message.
            assert!(
                matches!(hub.fail("boom".into()).await, Err(ClientError::Hub(e)) if e.contains("boom")),
                "{what}"
            );
            // Any other failure: the classic generic text.
            assert!(matches!(hub.add(i32::MAX, 1).await, Err(ClientError::Hub(_))));
            // Void calls, and a server-to-client call.
            hub.notify("ping".into()).await.unwrap();
            assert_eq!(received.notified.recv().await.unwrap(), "ping", "{what}");
            // A streaming method: its progress reports, ended by its response.
            let items: Vec<i32> = hub
                .counter(20, 1, CancellationToken::new())
                .map(Result::unwrap)
                .collect()
                .await;
            assert_eq!(items, (0..20).collect::<Vec<_>>(), "{what}");
            // Names are case-insensitive; an unknown one fails with the classic text.
            assert_eq!(c.invoke::<i32>("aDD", (1, 2)).await.unwrap(), 3, "{what}");
            match c.invoke::<()>("NoSuch", ()).await {
                Err(ClientError::Hub(e)) => assert_eq!(
                    e, "There was an error invoking Hub method 'conformance.NoSuch'.",
                    "{what}"
                ),
                other => panic!("{what}: {other:?}"),
            }
            // `Hub|Method` names a hub.
            assert_eq!(
                c.invoke::<String>("Conformance|Echo", ("x",)).await.unwrap(),
                "x"
            );
            // Classic has no upload streams, and cancels locally.
            match hub.sum(futures_util::stream::iter(1..=3)).await {
                Err(ClientError::NotSupported(t)) => assert_eq!(t, NO_UPLOAD_STREAMS),
                other => panic!("{what}: {other:?}"),
            }
            let cancel = CancellationToken::new();
            let sleeping = hub.sleep(10_000, cancel.clone());
            cancel.cancel();
            assert!(matches!(sleeping.await, Err(ClientError::Canceled)), "{what}");
            // Sends and many calls at once.
            let (args, _) = CallArguments::into_call(("all",), Protocol::Json)
                .unwrap()
                .into_parts();
            hub.connection()
                .send_raw("Broadcast", RawCall::new(Ok(args)))
                .await
                .unwrap();
            assert_eq!(received.broadcasts.recv().await.unwrap(), "all", "{what}");
            let sums = futures_util::future::join_all((0..30).map(|i| hub.add(i, i))).await;
            for (i, s) in sums.into_iter().enumerate() {
                assert_eq!(s.unwrap(), 2 * i as i32, "{what}");
            }
        })
        .await;
        c.stop().await;
        assert_eq!(c.state(), ClassicState::Disconnected);
        assert_eq!(*closed.lock().unwrap(), vec![None], "{what}");
        assert!(matches!(
            hub.echo("x".into()).await,
            Err(ClientError::NotConnected)
        ));
        for _ in 0..100 {
            if server.classic.connection_count() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(server.classic.connection_count(), 0, "{what}: aborted");
    }
}

#[tokio::test]
async fn groups_reach_their_members_over_each_transport() {
    let server = Server::start(Vec::new(), None).await;
    let url = server.url("/signalr");
    for (transport, allowed) in EACH {
        let what = format!("{transport:?}");
        let (a, mut a_got) = connect(&url, allowed).await;
        let (b, mut b_got) = connect(&url, allowed).await;
        let (pa, pb) = (
            ConformanceProxy::new(a.clone()),
            ConformanceProxy::new(b.clone()),
        );
        within(&what, async {
            pa.join_group("room".into()).await.unwrap();
            pb.send_to_group("room".into(), "one".into()).await.unwrap();
            assert_eq!(
                a_got.groups.recv().await.unwrap(),
                ("room".to_owned(), "one".to_owned()),
                "{what}"
            );
            pa.leave_group("room".into()).await.unwrap();
            pb.join_group("room".into()).await.unwrap();
            pb.send_to_group("room".into(), "two".into()).await.unwrap();
            assert_eq!(b_got.groups.recv().await.unwrap().1, "two", "{what}");
            // A marker after it: a (no longer a member) got nothing in between.
            pb.broadcast("marker".into()).await.unwrap();
            assert_eq!(a_got.broadcasts.recv().await.unwrap(), "marker");
            assert!(a_got.groups.try_recv().is_err(), "{what}: not a member");
        })
        .await;
        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test]
async fn caller_state_round_trips_over_each_transport() {
    let server = Server::start(vec![HubServer::new(visits_hub())], None).await;
    let url = server.url("/signalr");
    for (transport, allowed) in EACH {
        let what = format!("{transport:?}");
        let c = ClassicHubConnection::builder(&url, "conformance")
            .hub("visits")
            .transports(allowed)
            .build();
        c.start().await.unwrap();
        let visits = c.hub("visits");
        within(&what, async {
            visits.set_state("visits", &4).unwrap();
            visits.set_state("room", "x").unwrap();
            assert_eq!(
                visits.invoke::<u32>("Visit", ()).await.unwrap(),
                4,
                "{what}"
            );
            assert_eq!(visits.state_value::<u32>("visits"), Some(5), "{what}");
            assert_eq!(
                visits.invoke::<u32>("visit", ()).await.unwrap(),
                5,
                "{what}"
            );
            assert_eq!(visits.state_value::<u32>("visits"), Some(6), "{what}");
            assert_eq!(visits.state_value::<String>("room").as_deref(), Some("x"));
            // Each hub has its own state.
            assert_eq!(c.state_value::<u32>("visits"), None, "{what}");
        })
        .await;
        c.stop().await;
    }
}

/// A TCP proxy whose connections can be cut, as a network failure cuts them.
struct Proxy {
    addr: SocketAddr,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// While set, connections are accepted and dropped at once (the server is gone).
    down: Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let down: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let (list, is_down) = (links.clone(), down.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if is_down.load(std::sync::atomic::Ordering::SeqCst) {
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                list.lock().unwrap().push(link);
            }
        });
        Proxy { addr, links, down }
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    fn cut(&self) {
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}

#[tokio::test]
async fn a_dropped_transport_reconnects_and_every_message_arrives_once() {
    let server = Server::start(Vec::new(), None).await;
    let upstream: SocketAddr = server.origin.trim_start_matches("http://").parse().unwrap();
    let proxy = Proxy::start(upstream).await;
    let through_proxy = format!("http://{}/signalr", proxy.addr);
    for (transport, allowed) in EACH {
        let what = format!("{transport:?}");
        let (a, mut a_got) = connect(&through_proxy, allowed).await;
        let reconnects = Arc::new(Mutex::new((0, 0)));
        let (r1, r2) = (reconnects.clone(), reconnects.clone());
        a.on_reconnecting(move |_| r1.lock().unwrap().0 += 1);
        a.on_reconnected(move || r2.lock().unwrap().1 += 1);
        let (b, _b_got) = connect(&server.url("/signalr"), allowed).await;
        let burst = tokio::spawn(async move {
            let pb = ConformanceProxy::new(b.clone());
            for i in 0..150 {
                pb.broadcast(format!("m{i}")).await.unwrap();
                if i % 10 == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            b
        });
        let mut got = Vec::new();
        within(&what, async {
            while got.len() < 40 {
                got.push(a_got.broadcasts.recv().await.unwrap());
            }
            proxy.cut();
            while got.len() < 150 {
                got.push(a_got.broadcasts.recv().await.unwrap());
            }
        })
        .await;
        let b = burst.await.unwrap();
        // Nothing more arrives (no message twice).
        ConformanceProxy::new(b.clone())
            .broadcast("last".into())
            .await
            .unwrap();
        let last = within(&what, a_got.broadcasts.recv()).await.unwrap();
        assert_eq!(last, "last", "{what}");
        let mut sorted = got.clone();
        sorted.sort_by_key(|m| m[1..].parse::<u32>().unwrap());
        let want: Vec<String> = (0..150).map(|i| format!("m{i}")).collect();
        assert_eq!(sorted, want, "{what}: every message exactly once");
        assert_eq!(*reconnects.lock().unwrap(), (1, 1), "{what}");
        assert_eq!(a.state(), ClassicState::Connected, "{what}");
        assert_eq!(ConformanceProxy::new(a.clone()).add(1, 2).await.unwrap(), 3);
        a.stop().await;
        b.stop().await;
    }
}

/// A classic endpoint for the conformance hub with `options`, at `http://…/signalr`.
async fn endpoint_with(options: signalr_server::ClassicOptions) -> String {
    let server = HubServer::new(signalr_examples::conformance::hub());
    let classic = signalr_server::ClassicEndpoint::builder()
        .hub(&server)
        .options(options)
        .build();
    let app: axum::Router = classic.router("/signalr");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/signalr")
}

#[tokio::test]
async fn transports_fall_back_in_the_classic_order() {
    let server = Server::start(Vec::new(), None).await;
    let url = server.url("/signalr");
    let cases = [
        (Transports::ALL, TransportType::WebSockets),
        (
            Transports::SERVER_SENT_EVENTS | Transports::LONG_POLLING,
            TransportType::ServerSentEvents,
        ),
    ];
    for (allowed, used) in cases {
        let (c, _) = connect(&url, allowed).await;
        assert_eq!(c.transport(), Some(used), "{allowed:?}");
        c.stop().await;
        assert_eq!(c.transport(), None);
    }
    // A server without WebSockets: the client falls back to Server-Sent Events.
    let mut options = signalr_server::ClassicOptions::default();
    options.transports = vec![
        signalr_protocol::classic::ClassicTransport::ServerSentEvents,
        signalr_protocol::classic::ClassicTransport::LongPolling,
    ];
    let url = endpoint_with(options).await;
    let (c, _) = connect(&url, Transports::ALL).await;
    assert_eq!(c.transport(), Some(TransportType::ServerSentEvents));
    assert_eq!(ConformanceProxy::new(c.clone()).add(1, 2).await.unwrap(), 3);
    c.stop().await;
    // Nothing the client allows works: each transport says why.
    let err = ClassicHubConnection::builder(&url, "conformance")
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
async fn a_server_gone_for_longer_than_the_disconnect_timeout_closes_the_connection() {
    let mut options = signalr_server::ClassicOptions::default();
    options.disconnect_timeout = Duration::from_secs(2);
    options.keep_alive = Some(Duration::from_millis(500));
    let url = endpoint_with(options).await;
    let upstream: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches("/signalr")
        .parse()
        .unwrap();
    let proxy = Proxy::start(upstream).await;
    let through_proxy = format!("http://{}/signalr", proxy.addr);
    for (transport, allowed) in EACH {
        let (c, _) = connect(&through_proxy, allowed).await;
        let (tx, mut closed) = mpsc::unbounded_channel();
        c.on_close(move |e| {
            let _ = tx.send(e.map(ToString::to_string));
        });
        proxy.set_down(true);
        proxy.cut();
        let reason = within(&format!("{transport:?}"), closed.recv())
            .await
            .unwrap();
        assert_eq!(
            reason.as_deref(),
            Some("Couldn't reconnect within the configured timeout of 2000 ms, disconnecting."),
            "{transport:?}"
        );
        assert_eq!(c.state(), ClassicState::Disconnected);
        assert!(matches!(
            ConformanceProxy::new(c.clone()).add(1, 2).await,
            Err(ClientError::NotConnected)
        ));
        proxy.set_down(false);
    }
}
