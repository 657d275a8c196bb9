//! The link against a real `redis-server`.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use super::*;

#[path = "../tests/support/redis_server.rs"]
mod redis_server;
use redis_server::RedisServer;

/// Long enough for anything on this machine; only reached when the behaviour is wrong.
const PATIENCE: Duration = Duration::from_secs(20);

fn options(url: &str) -> LinkOptions {
    LinkOptions {
        connection: redis::IntoConnectionInfo::into_connection_info(url).unwrap(),
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(400),
        connect_timeout: Duration::from_secs(2),
        response_timeout: Duration::from_secs(2),
        health_check_interval: Duration::from_millis(500),
        publish_queue: 64,
        inbox_capacity: 1024,
    }
}

async fn up(link: &Link, connects: u64) {
    let mut w = link.watch();
    tokio::time::timeout(
        PATIENCE,
        w.wait_for(|s| s.connected && s.connects >= connects),
    )
    .await
    .expect("the link connects")
    .unwrap();
}

async fn next(inbox: &mut Inbox) -> (String, String) {
    let m = tokio::time::timeout(PATIENCE, inbox.recv())
        .await
        .expect("a message arrives")
        .expect("the link is running");
    (
        String::from_utf8_lossy(&m.channel).into_owned(),
        String::from_utf8_lossy(&m.payload).into_owned(),
    )
}

async fn subscribed(link: &Link, channel: &str) {
    let v = link.subscribe(channel);
    assert!(link.confirmed(v, PATIENCE).await, "subscribed to {channel}");
}

#[tokio::test]
async fn own_publishes_are_not_received_back_and_others_are() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, mut a_in) = Link::start(options(&redis.url()));
    let (b, mut b_in) = Link::start(options(&redis.url()));
    up(&a, 1).await;
    up(&b, 1).await;
    subscribed(&a, "c").await;
    subscribed(&b, "c").await;

    a.publish("c", "from a", true).unwrap();
    assert_eq!(next(&mut b_in).await, ("c".into(), "from a".into()));
    b.publish("c", "from b", true).unwrap();
    assert_eq!(next(&mut a_in).await, ("c".into(), "from b".into()));
    // Without `echo`, a server gets its own message back.
    a.publish("c", "again", false).unwrap();
    assert_eq!(next(&mut a_in).await, ("c".into(), "again".into()));
    assert_eq!(next(&mut b_in).await, ("c".into(), "again".into()));
    // The same bytes from both: each server receives the other's copy once.
    a.publish("c", "same", true).unwrap();
    b.publish("c", "same", true).unwrap();
    assert_eq!(next(&mut a_in).await, ("c".into(), "same".into()));
    assert_eq!(next(&mut b_in).await, ("c".into(), "same".into()));
    // Nothing else is pending: a marker published by the other side comes next.
    b.publish("c", "end", false).unwrap();
    assert_eq!(next(&mut a_in).await, ("c".into(), "end".into()));
}

#[tokio::test]
async fn unsubscribed_channels_stay_quiet_and_receiver_counts_are_reported() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, mut a_in) = Link::start(options(&redis.url()));
    let (b, _b_in) = Link::start(options(&redis.url()));
    up(&a, 1).await;
    up(&b, 1).await;
    subscribed(&a, "x").await;
    subscribed(&a, "x").await;
    let count = b.publish_counted("x", "1").unwrap();
    assert_eq!(count.await.unwrap(), Ok(1));
    assert_eq!(next(&mut a_in).await, ("x".into(), "1".into()));
    // Two references: the first release keeps the subscription.
    a.unsubscribe("x");
    let v = a.subscribe("y");
    assert!(a.confirmed(v, PATIENCE).await);
    assert_eq!(b.publish_counted("x", "2").unwrap().await.unwrap(), Ok(1));
    assert_eq!(next(&mut a_in).await, ("x".into(), "2".into()));
    a.unsubscribe("x");
    let v = a.subscribe("z");
    assert!(a.confirmed(v, PATIENCE).await);
    assert_eq!(b.publish_counted("x", "3").unwrap().await.unwrap(), Ok(0));
    b.publish("y", "on y", false).unwrap();
    assert_eq!(next(&mut a_in).await, ("y".into(), "on y".into()));
}

#[tokio::test]
async fn a_restarted_redis_is_reconnected_and_resubscribed() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let (a, mut a_in) = Link::start(options(&redis.url()));
    let (b, _b_in) = Link::start(options(&redis.url()));
    up(&a, 1).await;
    up(&b, 1).await;
    subscribed(&a, "r").await;

    redis.kill();
    let mut w = a.watch();
    tokio::time::timeout(PATIENCE, w.wait_for(|s| !s.connected))
        .await
        .expect("the loss is noticed")
        .unwrap();
    assert_eq!(a.publish("r", "lost", true), Err(PublishError::Down));

    redis.restart();
    up(&a, 2).await;
    up(&b, 2).await;
    assert_eq!(
        b.publish_counted("r", "back").unwrap().await.unwrap(),
        Ok(1)
    );
    assert_eq!(next(&mut a_in).await, ("r".into(), "back".into()));
}

#[tokio::test]
async fn a_stuck_redis_fills_the_queue_and_publishes_are_dropped_without_waiting() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, _a_in) = Link::start(options(&redis.url()));
    let (b, mut b_in) = Link::start(options(&redis.url()));
    up(&a, 1).await;
    up(&b, 1).await;
    subscribed(&b, "s").await;
    redis.pause();
    // The queue holds 64; the link task holds one batch besides. Every call returns at once.
    let results: Vec<_> = (0..2000)
        .map(|i| a.publish("s", format!("{i}"), true))
        .collect();
    assert!(results.contains(&Err(PublishError::Full)));
    assert!(results.iter().filter(|r| r.is_ok()).count() < 1000);
    redis.resume();
    // The link catches up and publishes again.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while a.publish("s", "after", true).is_err() {
        assert!(tokio::time::Instant::now() < deadline, "publishing resumes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    while next(&mut b_in).await.1 != "after" {}
}

#[tokio::test]
async fn a_link_without_redis_refuses_publishes_at_once() {
    // A link that never connects (nothing listens there) keeps refusing publishes at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (a, _in) = Link::start(options(&format!("redis://127.0.0.1:{port}")));
    for _ in 0..1000 {
        assert_eq!(a.publish("c", "x", true), Err(PublishError::Down));
    }
    assert!(!a.confirmed(a.subscribe("c"), PATIENCE).await);
}
