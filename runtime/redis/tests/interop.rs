//! The farm seen from Redis, as an ASP.NET Core server sees it: what a .NET server would
//! publish reaches our clients, and what we publish and answer has the exact bytes a .NET
//! server reads. The other side is a plain Redis client (RESP2 pub/sub, as StackExchange.Redis
//! uses) publishing and reading raw bytes.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

#[path = "support/farm.rs"]
mod farm;
#[path = "support/redis_server.rs"]
mod redis_server;

use farm::{PATIENCE, client, node};
use futures_util::StreamExt;
use redis::AsyncCommands;
use redis_server::RedisServer;
use signalr_protocol::Protocol::{Json, MessagePack};

const HUB: &str = "MyApp.ChatHub";

/// `Msg(text)` framed by each protocol, as `Clients.All.SendAsync("Msg", text)` serializes it.
fn framed_msg(text: &str) -> (Vec<u8>, Vec<u8>) {
    let mut json = format!(r#"{{"type":1,"target":"Msg","arguments":["{text}"]}}"#).into_bytes();
    json.push(0x1e);
    let mut body = vec![0x96, 0x01, 0x80, 0xc0, 0xa3, b'M', b's', b'g', 0x91];
    body.push(0xa0 | u8::try_from(text.len()).unwrap());
    body.extend_from_slice(text.as_bytes());
    body.push(0x90);
    let mut msgpack = vec![u8::try_from(body.len()).unwrap()];
    msgpack.extend(body);
    (json, msgpack)
}

/// The Invocation layout: `[excluded, {"json": bin, "messagepack": bin}]`.
fn invocation(excluded: &[&str], json: &[u8], msgpack: &[u8]) -> Vec<u8> {
    let mut out = vec![0x92, 0x90 | u8::try_from(excluded.len()).unwrap()];
    for id in excluded {
        out.extend(string(id));
    }
    out.extend([0x82, 0xa4]);
    out.extend_from_slice(b"json");
    out.extend([0xc4, u8::try_from(json.len()).unwrap()]);
    out.extend_from_slice(json);
    out.push(0xab);
    out.extend_from_slice(b"messagepack");
    out.extend([0xc4, u8::try_from(msgpack.len()).unwrap()]);
    out.extend_from_slice(msgpack);
    out
}

/// A MessagePack string: fixstr below 32 bytes, else str8.
fn string(s: &str) -> Vec<u8> {
    if s.len() < 32 {
        let mut out = vec![0xa0 | u8::try_from(s.len()).unwrap()];
        out.extend_from_slice(s.as_bytes());
        out
    } else {
        str8(s)
    }
}

fn str8(s: &str) -> Vec<u8> {
    let mut out = vec![0xd9, u8::try_from(s.len()).unwrap()];
    out.extend_from_slice(s.as_bytes());
    out
}

async fn raw(url: &str) -> (redis::aio::MultiplexedConnection, redis::aio::PubSub) {
    let client = redis::Client::open(url).unwrap();
    (
        client.get_multiplexed_async_connection().await.unwrap(),
        client.get_async_pubsub().await.unwrap(),
    )
}

async fn next_message(pubsub: &mut redis::aio::PubSub) -> (String, Vec<u8>) {
    let m = tokio::time::timeout(PATIENCE, pubsub.on_message().next())
        .await
        .expect("a message")
        .expect("subscribed");
    (
        m.get_channel_name().to_owned(),
        m.get_payload_bytes().to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dotnet_servers_messages_reach_our_clients_and_ours_read_as_dotnets() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let a = node(&url, |b| b.hub_name(HUB)).await;
    let mut json = client(&a, "json", Json, Some("alice")).await;
    let mut msgpack = client(&a, "msgpack", MessagePack, None).await;
    let (mut publisher, mut subscriber) = raw(&url).await;

    // A .NET server's Clients.All, Clients.AllExcept, Clients.User and Clients.Client.
    let (j, m) = framed_msg("from-dotnet");
    let _: i64 = publisher
        .publish(format!("{HUB}:all"), invocation(&[], &j, &m))
        .await
        .unwrap();
    json.receives("from-dotnet").await;
    msgpack.receives("from-dotnet").await;
    let (j, m) = framed_msg("except");
    let payload = invocation(&[&json.id()], &j, &m);
    let _: i64 = publisher
        .publish(format!("{HUB}:all"), payload)
        .await
        .unwrap();
    msgpack.receives("except").await;
    let (j, m) = framed_msg("to-alice");
    let _: i64 = publisher
        .publish(format!("{HUB}:user:alice"), invocation(&[], &j, &m))
        .await
        .unwrap();
    json.receives("to-alice").await;
    let (j, m) = framed_msg("direct");
    let channel = format!("{HUB}:connection:{}", msgpack.id());
    let _: i64 = publisher
        .publish(channel, invocation(&[], &j, &m))
        .await
        .unwrap();
    msgpack.receives("direct").await;
    assert_eq!(json.count("except"), 0);
    assert_eq!(msgpack.count("to-alice"), 0);

    // Our Clients.All and Clients.Group, byte for byte what a .NET server reads.
    subscriber.subscribe(format!("{HUB}:all")).await.unwrap();
    subscriber
        .subscribe(format!("{HUB}:group:g"))
        .await
        .unwrap();
    json.call("All", ("hi",)).await;
    let (j, m) = framed_msg("hi");
    assert_eq!(
        next_message(&mut subscriber).await,
        (format!("{HUB}:all"), invocation(&[], &j, &m))
    );
    json.call("OthersInGroup", ("g", "og")).await;
    let (j, m) = framed_msg("og");
    assert_eq!(
        next_message(&mut subscriber).await,
        (format!("{HUB}:group:g"), invocation(&[&json.id()], &j, &m))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dotnet_servers_group_command_is_acknowledged_and_takes_effect() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let a = node(&url, |b| b.hub_name(HUB)).await;
    let mut c = client(&a, "c", Json, None).await;
    let (mut publisher, mut subscriber) = raw(&url).await;
    let dotnet = "web1_0123456789abcdef0123456789abcdef";
    subscriber
        .subscribe(format!("{HUB}:internal:ack:{dotnet}"))
        .await
        .unwrap();

    // [1, server, Add, "g", connection]
    let id = c.id();
    let mut command = vec![0x95, 0x01];
    command.extend(str8(dotnet));
    command.extend([0x01, 0xa1, b'g']);
    command.extend(string(&id));
    let _: i64 = publisher
        .publish(format!("{HUB}:internal:groups"), command.clone())
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut subscriber).await,
        (format!("{HUB}:internal:ack:{dotnet}"), vec![0x91, 0x01])
    );
    // Acknowledged only once the group's channel is subscribed: a message to it arrives.
    let (j, m) = framed_msg("grouped");
    let received: i64 = publisher
        .publish(format!("{HUB}:group:g"), invocation(&[], &j, &m))
        .await
        .unwrap();
    assert_eq!(received, 1);
    c.receives("grouped").await;

    // Remove (action 2), id 2.
    command[1] = 0x02;
    command[2 + 2 + dotnet.len()] = 0x02;
    let _: i64 = publisher
        .publish(format!("{HUB}:internal:groups"), command)
        .await
        .unwrap();
    assert_eq!(
        next_message(&mut subscriber).await,
        (format!("{HUB}:internal:ack:{dotnet}"), vec![0x91, 0x02])
    );
    // A command for a connection we do not have is not ours to acknowledge.
    let mut other = vec![0x95, 0x03];
    other.extend(str8(dotnet));
    other.extend([0x01, 0xa1, b'g', 0xa3, b'x', b'y', b'z']);
    let _: i64 = publisher
        .publish(format!("{HUB}:internal:groups"), other)
        .await
        .unwrap();
    let _: i64 = publisher
        .publish(format!("{HUB}:internal:ack:{dotnet}"), vec![0x91, 0x7f])
        .await
        .unwrap();
    assert_eq!(next_message(&mut subscriber).await.1, vec![0x91, 0x7f]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dotnet_servers_client_result_is_answered_on_its_return_channel() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let a = node(&url, |b| b.hub_name(HUB)).await;
    let json = client(&a, "json", Json, None).await;
    let msgpack = client(&a, "msgpack", MessagePack, None).await;
    let (mut publisher, mut subscriber) = raw(&url).await;
    let ret = format!("{HUB}:internal:return:web1_0123456789abcdef0123456789abcdef");
    subscriber.subscribe(ret.clone()).await.unwrap();
    let id = "AAECAwQFBgcICQoLDA0ODw";

    // InvocationMessage(id, "Answer", ["q"]) per protocol, then the id and return channel.
    let mut j =
        format!(r#"{{"type":1,"invocationId":"{id}","target":"Answer","arguments":["q"]}}"#)
            .into_bytes();
    j.push(0x1e);
    let mut body = vec![0x96, 0x01, 0x80, 0xb6];
    body.extend_from_slice(id.as_bytes());
    body.extend([0xa6]);
    body.extend_from_slice(b"Answer");
    body.extend([0x91, 0xa1, b'q', 0x90]);
    let mut m = vec![u8::try_from(body.len()).unwrap()];
    m.extend(body);
    let mut payload = invocation(&[], &j, &m);
    payload[0] = 0x94;
    payload.push(0xb6);
    payload.extend_from_slice(id.as_bytes());
    payload.extend(str8(&ret));

    let channel = format!("{HUB}:connection:{}", json.id());
    let received: i64 = publisher.publish(channel, payload.clone()).await.unwrap();
    assert_eq!(received, 1);
    // The JSON client's Completion, framed in JSON: [ "json", bin ].
    let mut completion =
        format!(r#"{{"type":3,"invocationId":"{id}","result":"json:q"}}"#).into_bytes();
    completion.push(0x1e);
    let mut expected = vec![0x92, 0xa4];
    expected.extend_from_slice(b"json");
    expected.extend([0xc4, u8::try_from(completion.len()).unwrap()]);
    expected.extend(completion);
    assert_eq!(next_message(&mut subscriber).await, (ret.clone(), expected));

    // The MessagePack client's: [ "messagepack", bin(VarInt + [3, {}, id, 3, "msgpack:q"]) ].
    let channel = format!("{HUB}:connection:{}", msgpack.id());
    let _: i64 = publisher.publish(channel, payload).await.unwrap();
    let mut body = vec![0x95, 0x03, 0x80, 0xb6];
    body.extend_from_slice(id.as_bytes());
    body.extend([0x03, 0xa9]);
    body.extend_from_slice(b"msgpack:q");
    let mut framed = vec![u8::try_from(body.len()).unwrap()];
    framed.extend(body);
    let mut expected = vec![0x92, 0xab];
    expected.extend_from_slice(b"messagepack");
    expected.extend([0xc4, u8::try_from(framed.len()).unwrap()]);
    expected.extend(framed);
    assert_eq!(next_message(&mut subscriber).await, (ret, expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channel_prefix_is_prepended_raw_and_other_prefixes_are_not_heard() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let a = node(&url, |b| b.hub_name(HUB).channel_prefix("app1.")).await;
    let mut c = client(&a, "c", Json, None).await;
    let (mut publisher, mut subscriber) = raw(&url).await;

    let (j, m) = framed_msg("unprefixed");
    let heard: i64 = publisher
        .publish(format!("{HUB}:all"), invocation(&[], &j, &m))
        .await
        .unwrap();
    assert_eq!(heard, 0, "nobody listens without the prefix");
    let (j, m) = framed_msg("prefixed");
    let heard: i64 = publisher
        .publish(format!("app1.{HUB}:all"), invocation(&[], &j, &m))
        .await
        .unwrap();
    assert_eq!(heard, 1);
    c.receives("prefixed").await;
    assert_eq!(c.count("unprefixed"), 0);

    subscriber
        .subscribe(format!("app1.{HUB}:all"))
        .await
        .unwrap();
    c.call("All", ("out",)).await;
    let (j, m) = framed_msg("out");
    assert_eq!(
        next_message(&mut subscriber).await,
        (format!("app1.{HUB}:all"), invocation(&[], &j, &m))
    );
}
