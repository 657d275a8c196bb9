//! In-process hub servers joined by a Redis backplane, and clients that record what they
//! receive, for the integration tests.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::time::Duration;

use signalr_hub_client::{HubConnection, HubConnectionBuilder};
use signalr_protocol::Protocol;
use signalr_redis::{RedisBackplane, RedisOptions};
use signalr_server::{
    AuthRequest, Hub, HubError, HubServer, Identity, MethodKind, Reply, RouterExt,
};
use tokio::sync::mpsc;

/// Long enough for anything on this machine; only reached when the behaviour is wrong.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The test hub: one method per kind of target; clients receive `Msg(text)`.
pub fn hub() -> Hub {
    fn text(call: &signalr_server::Call, n: usize) -> Result<Vec<String>, HubError> {
        let mut args = call.bind(n)?;
        (0..n).map(|_| Ok(args.next_arg::<String>()?)).collect()
    }
    Hub::new("Farm")
        .method("All", MethodKind::Unary, 0, |call| async move {
            let [t] = <[String; 1]>::try_from(text(&call, 1)?).unwrap();
            call.caller.clients.all().send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("Others", MethodKind::Unary, 0, |call| async move {
            let [t] = <[String; 1]>::try_from(text(&call, 1)?).unwrap();
            call.caller.clients.others().send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("AllExcept", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (ids, t): (Vec<String>, String) = (args.next_arg()?, args.next_arg()?);
            call.caller.clients.all_except(ids).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("Client", MethodKind::Unary, 0, |call| async move {
            let [id, t] = <[String; 2]>::try_from(text(&call, 2)?).unwrap();
            call.caller.clients.client(id).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("Clients", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (ids, t): (Vec<String>, String) = (args.next_arg()?, args.next_arg()?);
            call.caller.clients.clients(ids).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("Group", MethodKind::Unary, 0, |call| async move {
            let [g, t] = <[String; 2]>::try_from(text(&call, 2)?).unwrap();
            call.caller.clients.group(g).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("Groups", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (gs, t): (Vec<String>, String) = (args.next_arg()?, args.next_arg()?);
            call.caller.clients.groups(gs).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("GroupExcept", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(3)?;
            let (g, ids, t): (String, Vec<String>, String) =
                (args.next_arg()?, args.next_arg()?, args.next_arg()?);
            call.caller
                .clients
                .group_except(g, ids)
                .send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("OthersInGroup", MethodKind::Unary, 0, |call| async move {
            let [g, t] = <[String; 2]>::try_from(text(&call, 2)?).unwrap();
            call.caller.clients.others_in_group(g).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("User", MethodKind::Unary, 0, |call| async move {
            let [u, t] = <[String; 2]>::try_from(text(&call, 2)?).unwrap();
            call.caller.clients.user(u).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("Users", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (us, t): (Vec<String>, String) = (args.next_arg()?, args.next_arg()?);
            call.caller.clients.users(us).send("Msg", &(t,))?;
            Ok(Reply::Void)
        })
        .method("Ready", MethodKind::Unary, 0, |call| async move {
            call.bind(0)?;
            Ok(Reply::Void)
        })
        .method("Join", MethodKind::Unary, 0, |call| async move {
            let [g] = <[String; 1]>::try_from(text(&call, 1)?).unwrap();
            call.caller
                .groups
                .add(&call.caller.connection_id, &g)
                .await?;
            Ok(Reply::Void)
        })
        .method("Leave", MethodKind::Unary, 0, |call| async move {
            let [g] = <[String; 1]>::try_from(text(&call, 1)?).unwrap();
            call.caller
                .groups
                .remove(&call.caller.connection_id, &g)
                .await?;
            Ok(Reply::Void)
        })
        .method("Add", MethodKind::Unary, 0, |call| async move {
            let [id, g] = <[String; 2]>::try_from(text(&call, 2)?).unwrap();
            call.caller.groups.add(&id, &g).await?;
            Ok(Reply::Void)
        })
        .method("Remove", MethodKind::Unary, 0, |call| async move {
            let [id, g] = <[String; 2]>::try_from(text(&call, 2)?).unwrap();
            call.caller.groups.remove(&id, &g).await?;
            Ok(Reply::Void)
        })
        .method("Ask", MethodKind::Unary, 0, |call| async move {
            let [id, q] = <[String; 2]>::try_from(text(&call, 2)?).unwrap();
            let answer: String = call
                .caller
                .clients
                .client(id)
                .invoke("Answer", &(q,), &call.cancellation)
                .await?;
            call.reply(&answer)
        })
}

/// Options for tests: quick reconnection and a short acknowledgement timeout.
pub fn options() -> RedisOptions {
    RedisOptions {
        reconnect_min_delay: Duration::from_millis(50),
        reconnect_max_delay: Duration::from_millis(500),
        group_ack_timeout: Duration::from_secs(2),
        ..RedisOptions::default()
    }
}

/// One server of the farm, serving the test hub at `url`.
pub struct Node {
    pub server: HubServer,
    pub backplane: RedisBackplane,
    pub url: String,
}

/// Starts a server on 127.0.0.1 with a backplane to `redis`; it is connected when this
/// returns. A bearer token is the connection's user.
pub async fn node(redis: &str, configure: impl FnOnce(RedisBackplane) -> RedisBackplane) -> Node {
    let backplane = configure(RedisBackplane::with_options(redis, options()).unwrap());
    let server = HubServer::builder(hub())
        .authenticate(|req: &AuthRequest<'_>| {
            let user = req.bearer_token().map(Identity::new);
            std::future::ready(Ok(user))
        })
        .backplane(backplane.clone())
        .build()
        .unwrap();
    let app: axum::Router = axum::Router::new().hub("/hub", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hub", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert!(
        backplane.connected(PATIENCE).await,
        "the backplane connects"
    );
    Node {
        server,
        backplane,
        url,
    }
}

/// A started client that records every `Msg` it receives, and answers `Answer(q)` with
/// `"{name}:{q}"`.
pub struct Client {
    pub connection: HubConnection,
    pub name: String,
    rx: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

pub async fn client(node: &Node, name: &str, protocol: Protocol, user: Option<&str>) -> Client {
    let mut builder = HubConnectionBuilder::new(node.url.clone()).protocol(protocol);
    if let Some(user) = user {
        let user = user.to_owned();
        builder = builder.access_token_factory(move || std::future::ready(user.clone()));
    }
    let connection = builder.build();
    let (tx, rx) = mpsc::unbounded_channel();
    connection.on("Msg", move |(text,): (String,)| {
        let _ = tx.send(text);
        std::future::ready(())
    });
    let me = name.to_owned();
    connection.on_result("Answer", move |(q,): (String,)| {
        std::future::ready(if q == "fail" {
            Err("no answer".to_owned())
        } else {
            Ok(format!("{me}:{q}"))
        })
    });
    connection.start().await.unwrap();
    // The server reads a connection's first message once other servers can reach it: after
    // this round trip its connection and user channels are subscribed.
    connection.invoke::<()>("Ready", ()).await.unwrap();
    Client {
        connection,
        name: name.to_owned(),
        rx,
        seen: Vec::new(),
    }
}

impl Client {
    pub fn id(&self) -> String {
        self.connection.connection_id().unwrap()
    }

    pub async fn call(&self, method: &str, args: impl signalr_hub_client::CallArguments) {
        self.connection
            .invoke::<()>(method, args)
            .await
            .unwrap_or_else(|e| panic!("{} {method}: {e}", self.name));
    }

    /// Waits for `text`, keeping everything received before it.
    pub async fn receives(&mut self, text: &str) {
        if self.seen.iter().any(|t| t == text) {
            return;
        }
        loop {
            let t = tokio::time::timeout(PATIENCE, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("{} never received {text:?}; got {:?}", self.name, self.seen)
                })
                .expect("the connection is open");
            let done = t == text;
            self.seen.push(t);
            if done {
                return;
            }
        }
    }

    /// How many times `text` has been received so far.
    pub fn count(&self, text: &str) -> usize {
        self.seen.iter().filter(|t| *t == text).count()
    }
}

static MARKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Has `from` broadcast a new marker and waits for it at every client: Redis hands each
/// server its messages in order, so anything sent before that reached them first.
pub async fn settle(from: &HubConnection, everyone: &mut [&mut Client]) {
    let mark = format!(
        "mark-{}",
        MARKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    from.invoke::<()>("All", (mark.clone(),)).await.unwrap();
    for c in everyone.iter_mut() {
        c.receives(&mark).await;
    }
}
