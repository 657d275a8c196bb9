//! Redis failing under a farm: killed and restarted on the same port, and stuck. Local
//! delivery goes on, cross-server delivery comes back with every subscription, and what was
//! published while Redis was unreachable reaches this server's connections only.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

#[path = "support/farm.rs"]
mod farm;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::time::Duration;

use farm::{Node, PATIENCE, client, node, settle};
use redis_server::RedisServer;
use signalr_protocol::Protocol::{Json, MessagePack};

async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn disconnected(n: &Node) {
    until("the backplane notices", || !n.backplane.is_connected()).await;
}

async fn reconnected(n: &Node) {
    assert!(
        n.backplane.connected(PATIENCE).await,
        "the backplane reconnects"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_redis_leaves_local_delivery_alone_and_a_restart_brings_the_farm_back() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let (a, b) = (node(&url, |b| b).await, node(&url, |b| b).await);
    let mut a1 = client(&a, "a1", Json, None).await;
    let mut a2 = client(&a, "a2", MessagePack, Some("ann")).await;
    let mut b1 = client(&b, "b1", Json, Some("bea")).await;
    a2.call("Join", ("ga",)).await;
    b1.call("Join", ("gb",)).await;
    a1.call("All", ("before",)).await;
    b1.receives("before").await;

    redis.kill();
    disconnected(&a).await;
    disconnected(&b).await;
    // Local delivery goes on: every target, for the connections of this server.
    a1.call("All", ("during",)).await;
    a1.call("Group", ("ga", "during-group")).await;
    a1.call("User", ("ann", "during-user")).await;
    a1.call("Client", (a2.id(), "during-client")).await;
    for t in ["during", "during-group", "during-user", "during-client"] {
        a2.receives(t).await;
    }
    a1.receives("during").await;
    b1.call("All", ("during-b",)).await;
    b1.receives("during-b").await;
    // What needs another server fails instead of waiting.
    let e = a1
        .connection
        .invoke::<String>("Ask", (b1.id(), "q"))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("An unexpected error occurred"),
        "{e}"
    );
    // And a client result on the same server still works.
    let answer: String = a1.connection.invoke("Ask", (a2.id(), "q")).await.unwrap();
    assert_eq!(answer, "a2:q");

    redis.restart();
    reconnected(&a).await;
    reconnected(&b).await;
    // Every subscription is back: all, groups, users, connections.
    a1.call("All", ("after",)).await;
    a1.call("Group", ("gb", "after-group")).await;
    a1.call("User", ("bea", "after-user")).await;
    a1.call("Client", (b1.id(), "after-client")).await;
    for t in ["after", "after-group", "after-user", "after-client"] {
        b1.receives(t).await;
    }
    b1.call("Group", ("ga", "after-b")).await;
    a2.receives("after-b").await;
    // What was published during the outage never reaches the other server, not even late:
    // it would have come before what was published after it.
    assert_eq!(b1.count("during"), 0);
    assert_eq!(a1.count("during-b"), 0);
    assert_eq!(a2.count("during-b"), 0);
    settle(&b1.connection.clone(), &mut [&mut a1, &mut a2, &mut b1]).await;
    assert_eq!(
        a2.count("during"),
        1,
        "local messages are not replayed either"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_redis_blocks_no_send_and_the_farm_recovers() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let options = signalr_redis::RedisOptions {
        publish_queue: 16,
        response_timeout: Duration::from_millis(500),
        health_check_interval: Duration::from_millis(100),
        ..farm::options()
    };
    let u = url.clone();
    let a = node(&url, move |_| {
        signalr_redis::RedisBackplane::with_options(&u, options).unwrap()
    })
    .await;
    let b = node(&url, |b| b).await;
    let mut a1 = client(&a, "a1", Json, None).await;
    let mut a2 = client(&a, "a2", Json, None).await;
    let mut b1 = client(&b, "b1", Json, None).await;

    redis.pause();
    // Far more sends than the publish queue holds: each returns, each reaches a2, while
    // Redis answers nothing.
    for i in 0..200 {
        a1.call("All", (format!("stuck-{i}"),)).await;
    }
    a2.receives("stuck-199").await;
    for i in 0..200 {
        assert_eq!(a2.count(&format!("stuck-{i}")), 1);
    }
    // New connections are served too (their subscription is not waited for long).
    let mut a3 = client(&a, "a3", Json, None).await;
    a1.call("All", ("stuck-new",)).await;
    a3.receives("stuck-new").await;
    redis.resume();

    reconnected(&a).await;
    reconnected(&b).await;
    // Cross-server delivery works again, in both directions.
    let mut n = 0;
    loop {
        n += 1;
        let t = format!("recovered-{n}");
        a1.call("All", (t.clone(),)).await;
        let got = tokio::time::timeout(Duration::from_millis(500), b1.receives(&t)).await;
        if got.is_ok() {
            break;
        }
        assert!(n < 40, "cross-server delivery comes back");
    }
    b1.call("All", ("from-b",)).await;
    a1.receives("from-b").await;
    a3.receives("from-b").await;
}
