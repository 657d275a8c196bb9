//! Three in-process servers joined by a real `redis-server`: every kind of target, group
//! changes for connections on other servers, and client results across servers, with JSON
//! and MessagePack clients mixed.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

#[path = "support/farm.rs"]
mod farm;
#[path = "support/redis_server.rs"]
mod redis_server;

use farm::{Client, client, node, settle};
use redis_server::RedisServer;
use signalr_protocol::Protocol::{Json, MessagePack};

/// After `text` reached its recipients: a marker from the sender's server, then one from
/// another server, so anything wrongly delivered (a duplicate, a message to someone it was
/// not for) has arrived; then checks that `text` was received `n` times by each client.
macro_rules! exactly {
    ($text:expr, [$($c:ident),*], via $same:expr, $other:expr, $n:expr) => {{
        let (same, other) = ($same.connection.clone(), $other.connection.clone());
        settle(&same, &mut [$(&mut $c),*]).await;
        settle(&other, &mut [$(&mut $c),*]).await;
        for (c, n) in [$((&$c, $n(&$c.name))),*] {
            assert_eq!(c.count($text), n, "{} received {:?}", c.name, $text);
        }
    }};
}

fn only(names: &'static [&'static str]) -> impl Fn(&str) -> usize {
    move |name| usize::from(names.contains(&name))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_target_reaches_connections_on_every_server() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let (a, b, c) = (
        node(&url, |b| b).await,
        node(&url, |b| b).await,
        node(&url, |b| b).await,
    );
    let mut a1 = client(&a, "a1", Json, None).await;
    let mut a2 = client(&a, "a2", MessagePack, Some("bob")).await;
    let mut b1 = client(&b, "b1", MessagePack, Some("alice")).await;
    let mut c1 = client(&c, "c1", Json, Some("alice")).await;
    let mut c2 = client(&c, "c2", MessagePack, None).await;

    a1.call("All", ("all",)).await;
    for x in [&mut a1, &mut a2, &mut b1, &mut c1, &mut c2] {
        x.receives("all").await;
    }
    exactly!("all", [a1, a2, b1, c1, c2], via a2, b1, |_| 1);

    a1.call("Others", ("others",)).await;
    for x in [&mut a2, &mut b1, &mut c1, &mut c2] {
        x.receives("others").await;
    }
    exactly!("others", [a1, a2, b1, c1, c2], via a2, b1, only(&["a2", "b1", "c1", "c2"]));

    a1.call("AllExcept", (vec![a2.id(), c1.id()], "except"))
        .await;
    for x in [&mut a1, &mut b1, &mut c2] {
        x.receives("except").await;
    }
    exactly!("except", [a1, a2, b1, c1, c2], via a2, b1, only(&["a1", "b1", "c2"]));

    a1.call("Client", (c2.id(), "one")).await;
    a1.call("Client", (a2.id(), "one")).await;
    c2.receives("one").await;
    a2.receives("one").await;
    exactly!("one", [a1, a2, b1, c1, c2], via a2, b1, only(&["a2", "c2"]));

    b1.call("Clients", (vec![a1.id(), b1.id(), c1.id()], "several"))
        .await;
    for x in [&mut a1, &mut b1, &mut c1] {
        x.receives("several").await;
    }
    exactly!("several", [a1, a2, b1, c1, c2], via b1, c2, only(&["a1", "b1", "c1"]));

    // Groups: members on all three servers, joined on their own servers.
    a2.call("Join", ("g",)).await;
    b1.call("Join", ("g",)).await;
    c1.call("Join", ("g",)).await;
    c2.call("Join", ("h",)).await;
    a1.call("Group", ("g", "group")).await;
    for x in [&mut a2, &mut b1, &mut c1] {
        x.receives("group").await;
    }
    exactly!("group", [a1, a2, b1, c1, c2], via a1, b1, only(&["a2", "b1", "c1"]));

    b1.call("Groups", (vec!["g", "h"], "groups")).await;
    for x in [&mut a2, &mut b1, &mut c1, &mut c2] {
        x.receives("groups").await;
    }
    exactly!("groups", [a1, a2, b1, c1, c2], via b1, a1, only(&["a2", "b1", "c1", "c2"]));

    a1.call("GroupExcept", ("g", vec![c1.id()], "group-except"))
        .await;
    for x in [&mut a2, &mut b1] {
        x.receives("group-except").await;
    }
    exactly!("group-except", [a1, a2, b1, c1, c2], via a1, c2, only(&["a2", "b1"]));

    c1.call("OthersInGroup", ("g", "others-in-group")).await;
    for x in [&mut a2, &mut b1] {
        x.receives("others-in-group").await;
    }
    exactly!("others-in-group", [a1, a2, b1, c1, c2], via c1, a1, only(&["a2", "b1"]));

    c1.call("Leave", ("g",)).await;
    a1.call("Group", ("g", "after-leave")).await;
    for x in [&mut a2, &mut b1] {
        x.receives("after-leave").await;
    }
    exactly!("after-leave", [a1, a2, b1, c1, c2], via a1, b1, only(&["a2", "b1"]));

    // Users: alice on B and C, bob on A.
    a1.call("User", ("alice", "user")).await;
    for x in [&mut b1, &mut c1] {
        x.receives("user").await;
    }
    exactly!("user", [a1, a2, b1, c1, c2], via a1, b1, only(&["b1", "c1"]));

    c2.call("Users", (vec!["alice", "bob"], "users")).await;
    for x in [&mut a2, &mut b1, &mut c1] {
        x.receives("users").await;
    }
    exactly!("users", [a1, a2, b1, c1, c2], via c2, a1, only(&["a2", "b1", "c1"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_changes_for_connections_on_other_servers_are_acknowledged() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let (a, b, c) = (
        node(&url, |b| b).await,
        node(&url, |b| b).await,
        node(&url, |b| b).await,
    );
    let mut a1 = client(&a, "a1", Json, None).await;
    let mut b1 = client(&b, "b1", MessagePack, None).await;
    let mut c1 = client(&c, "c1", Json, None).await;

    // Added from A, living on C, sent to from B.
    a1.call("Add", (c1.id(), "remote")).await;
    b1.call("Group", ("remote", "added")).await;
    c1.receives("added").await;
    exactly!("added", [a1, b1, c1], via b1, a1, only(&["c1"]));

    a1.call("Remove", (c1.id(), "remote")).await;
    b1.call("Group", ("remote", "removed")).await;
    exactly!("removed", [a1, b1, c1], via b1, a1, |_| 0);

    // Nobody has this connection: no acknowledgement, an error after the timeout.
    let e = a1
        .connection
        .invoke::<()>("Add", ("no-such-connection", "g"))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("An unexpected error occurred invoking 'Add' on the server."),
        "{e}"
    );

    // A connection that ends leaves its groups on its server's Redis subscriptions too.
    let c2 = client(&c, "c2", Json, None).await;
    c2.call("Join", ("gone",)).await;
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let subscribers = |v: Vec<(String, i64)>| v.first().map(|(_, n)| *n);
    let numsub: Vec<(String, i64)> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg("Farm:group:gone")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(subscribers(numsub), Some(1));
    c2.connection.stop().await;
    let mut left = false;
    for _ in 0..200 {
        let numsub: Vec<(String, i64)> = redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("Farm:group:gone")
            .query_async(&mut raw)
            .await
            .unwrap();
        if subscribers(numsub) == Some(0) {
            left = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        left,
        "the group channel is unsubscribed when its last member leaves"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_results_cross_servers() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let (a, c) = (node(&url, |b| b).await, node(&url, |b| b).await);
    let a1 = client(&a, "a1", Json, None).await;
    let c1 = client(&c, "c1", MessagePack, None).await;
    let c2 = client(&c, "c2", Json, None).await;

    let ask = |from: &Client, to: String, q: &str| {
        from.connection.invoke::<String>("Ask", (to, q.to_owned()))
    };
    assert_eq!(ask(&a1, c1.id(), "q1").await.unwrap(), "c1:q1");
    assert_eq!(ask(&a1, c2.id(), "q2").await.unwrap(), "c2:q2");
    assert_eq!(ask(&c1, a1.id(), "back").await.unwrap(), "a1:back");
    assert_eq!(ask(&a1, a1.id(), "self").await.unwrap(), "a1:self");

    let e = ask(&a1, c1.id(), "fail").await.unwrap_err().to_string();
    assert!(e.contains("HubException: no answer"), "{e}");
    let e = ask(&a1, "nobody".into(), "q")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("HubException: Connection 'nobody' does not exist."),
        "{e}"
    );
}
