//! Redis scale-out for [`signalr_server`]: several hub servers, Rust or ASP.NET Core, form
//! one farm through a Redis, speaking exactly the channels and bytes of ASP.NET Core's Redis
//! backplane (`Microsoft.AspNetCore.SignalR.StackExchangeRedis`).
//!
//! ```no_run
//! use signalr_redis::RedisBackplane;
//! use signalr_server::{Hub, HubServer, RouterExt};
//!
//! # async fn run(hub: Hub) -> Result<(), Box<dyn std::error::Error>> {
//! let server = HubServer::builder(hub)
//!     .backplane(RedisBackplane::new("redis://127.0.0.1:6379")?)
//!     .build()?;
//! let app: axum::Router = axum::Router::new().hub("/hubs/chat", &server);
//! # let _ = app; Ok(()) }
//! ```
//!
//! Then every [`Clients`](signalr_server::Clients) target reaches the matching connections of
//! every server (all, all-except, one or several connections, groups, group-except, others,
//! users); [`Groups::add`](signalr_server::Groups::add) and `remove` work for a connection on
//! another server (they return once that server acknowledged the change, 30 s at most); and
//! a client result can be asked of a connection on another server.
//!
//! # On the wire
//!
//! Channels are `{prefix}{hub}:all`, `:connection:{id}`, `:group:{name}`, `:user:{id}`,
//! `:internal:groups`, `:internal:ack:{server}` and `:internal:return:{server}`, with the
//! MessagePack layouts of ASP.NET Core's `RedisProtocol`. A message is serialized once per
//! hub protocol the server speaks (JSON and MessagePack by default) and every server hands
//! each connection the bytes for its protocol. To share a farm with .NET servers, set
//! [`RedisOptions::hub_name`] to the hub class's full name, the same channel prefix, and
//! offer the same protocols. Redis 6 or newer is needed (one RESP3 connection publishes and
//! subscribes).
//!
//! # Delivery
//!
//! A server delivers to its own connections at once and publishes for the others; when
//! Redis sends its own publish back it does not deliver it again. So connections on the
//! sending server get a message even when Redis is slow, stuck or gone, and sooner than a
//! round-trip would allow. Messages of one sender reach each server in the order they were
//! sent. A message to several groups reaches a member of several of them on another server
//! once per group (as with ASP.NET Core).
//!
//! # When Redis is unreachable
//!
//! Every server keeps serving its own connections: local sends, groups and client results of
//! connections on the same server work as without a backplane. The backplane reconnects with
//! exponential backoff ([`RedisOptions::reconnect_min_delay`] doubling up to
//! [`RedisOptions::reconnect_max_delay`]), makes every subscription again, and logs each step
//! with `tracing` (`Connection to Redis failed.`, `Connection to Redis restored.`).
//!
//! Messages published while this server's link to Redis is down (and those still queued
//! when it went down) are delivered to this server's connections and dropped for the other
//! servers: they are counted and logged, never queued for later, never replayed after the
//! reconnection. Messages other servers publish while this server is disconnected are lost
//! for its connections (Redis pub/sub keeps nothing). A group change or client result for a
//! connection on another server fails while Redis is unreachable. Delivery is at most once.
//!
//! Publishing never waits: a publish joins a bounded queue
//! ([`RedisOptions::publish_queue`]) that the link drains in pipelined batches; when Redis
//! is too slow for the queue, further publishes are dropped and logged. A Redis that stops
//! answering is dropped after [`RedisOptions::response_timeout`] and reconnected.

mod backplane;
mod channels;
mod inbox;
mod link;
mod messages;
mod msgpack;
mod options;
mod pending;
mod receive;
mod state;

#[cfg(test)]
mod golden_tests;

pub use backplane::{Error, RedisBackplane};
pub use options::RedisOptions;
