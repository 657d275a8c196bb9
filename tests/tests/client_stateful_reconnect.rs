//! Stateful reconnect of the client against the Rust server (stateful reconnects allowed),
//! through a TCP proxy in the test that can cut every connection at once, as a dropped
//! network does: during a 10,000-item stream the socket is cut 20 times and every item
//! arrives exactly once, in order; during an upload the socket is cut too and the server
//! sums every item exactly once; the application sees no disconnect at all.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use signalr_hub_client::{
    ClientStream, HubConnection, HubConnectionBuilder, HubConnectionState, Protocol, Transports,
};
use signalr_server::{HubOptions, HubServer, RouterExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

const LIMIT: Duration = Duration::from_secs(60);

/// Forwards every connection to `upstream`; [`cut`](Proxy::cut) drops them all.
struct Proxy {
    addr: SocketAddr,
    pipes: Arc<Mutex<Vec<AbortHandle>>>,
    accepted: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let pipes: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (list, count) = (pipes.clone(), accepted.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let pipe = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
                list.lock().unwrap().push(pipe.abort_handle());
            }
        });
        Proxy {
            addr,
            pipes,
            accepted,
        }
    }

    /// Drops every connection in both directions, whatever is in flight.
    fn cut(&self) {
        for pipe in self.pipes.lock().unwrap().drain(..) {
            pipe.abort();
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

async fn server() -> SocketAddr {
    let options = HubOptions {
        allow_stateful_reconnects: true,
        ..HubOptions::default()
    };
    let server = HubServer::with_options(signalr_examples::conformance::hub(), options);
    let app = axum::Router::new().hub("/hubs/conformance", &server);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// Every lifecycle event the connection raises.
fn events(c: &HubConnection) -> Arc<Mutex<Vec<String>>> {
    let events: Arc<Mutex<Vec<String>>> = Arc::default();
    let e = events.clone();
    c.on_close(move |err| e.lock().unwrap().push(format!("close {err:?}")));
    let e = events.clone();
    c.on_reconnecting(move |err| e.lock().unwrap().push(format!("reconnecting {err:?}")));
    let e = events.clone();
    c.on_reconnected(move |id| e.lock().unwrap().push(format!("reconnected {id:?}")));
    events
}

/// The stream and the upload over one connection in `protocol`, through a proxy of its own.
async fn survive_cuts(upstream: SocketAddr, protocol: Protocol) {
    let proxy = Proxy::start(upstream).await;
    let c = HubConnectionBuilder::new(format!("http://{}/hubs/conformance", proxy.addr))
        .protocol(protocol)
        .transports(Transports::WEB_SOCKETS)
        .with_stateful_reconnect()
        .build();
    let seen = events(&c);
    c.start().await.unwrap();
    let id = c.connection_id();
    let run = async {
        // Server to client: cut once every 500 items, 20 times in all.
        let mut items = c.stream::<i32>("Counter", (10_000, 0));
        let mut got = Vec::with_capacity(10_000);
        let mut cuts = 0;
        while let Some(item) = items.next().await {
            got.push(item.unwrap());
            if got.len() % 500 == 250 {
                proxy.cut();
                cuts += 1;
            }
        }
        assert_eq!(cuts, 20);
        assert!(
            got.iter().copied().eq(0..10_000),
            "{protocol:?}: {} items, first wrong at {:?}",
            got.len(),
            got.iter()
                .enumerate()
                .find(|(i, v)| usize::try_from(**v).ok() != Some(*i))
        );
        // Client to server: cut every 300 items of an upload.
        let cutter = proxy.pipes.clone();
        let numbers = futures_util::stream::iter(1..=3_000).map(move |n: i32| {
            if n % 300 == 0 {
                for pipe in cutter.lock().unwrap().drain(..) {
                    pipe.abort();
                }
            }
            n
        });
        let sum: i32 = c
            .invoke("Sum", (ClientStream::new(numbers),))
            .await
            .unwrap();
        assert_eq!(sum, 3_000 * 3_001 / 2, "{protocol:?}");
        assert_eq!(
            c.invoke::<String>("Echo", ("after",)).await.unwrap(),
            "after"
        );
    };
    tokio::time::timeout(LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("{protocol:?}: not within {LIMIT:?}"));
    // Each cut was followed by a new WebSocket on the same connection, unnoticed.
    assert!(proxy.accepted() > 30, "{} connections", proxy.accepted());
    assert_eq!(c.state(), HubConnectionState::Connected);
    assert_eq!(c.connection_id(), id);
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
    c.stop().await;
    assert_eq!(seen.lock().unwrap().as_slice(), ["close None"]);
}

#[tokio::test]
async fn a_stream_and_an_upload_survive_twenty_cut_sockets() {
    // Both protocols at once: each pass waits for the Acks the protocol sends once a second.
    let upstream = server().await;
    futures_util::future::join_all(Protocol::ALL.map(|p| survive_cuts(upstream, p))).await;
}

#[tokio::test]
async fn without_stateful_reconnect_a_cut_socket_is_a_lost_connection() {
    let upstream = server().await;
    let proxy = Proxy::start(upstream).await;
    let c = HubConnectionBuilder::new(format!("http://{}/hubs/conformance", proxy.addr))
        .transports(Transports::WEB_SOCKETS)
        .build();
    let seen = events(&c);
    c.start().await.unwrap();
    let pending = c.invoke::<i32>("Sleep", (5_000,));
    proxy.cut();
    let err = tokio::time::timeout(LIMIT, pending).await.unwrap();
    assert!(
        matches!(err, Err(signalr_hub_client::ClientError::ConnectionClosed)),
        "{err:?}"
    );
    tokio::time::timeout(LIMIT, async {
        while seen.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    assert!(seen.lock().unwrap()[0].starts_with("close "));
    assert_eq!(c.state(), HubConnectionState::Disconnected);
}
