//! [`RedisOptions`]: how a backplane names its channels, reaches Redis and bounds its queues.

use std::time::Duration;

/// How the backplane names its channels, reaches Redis and bounds its queues. The defaults
/// suit most farms; [`RedisOptions::hub_name`] matters when .NET servers share the farm.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Prepended, as-is, to every channel name (StackExchange.Redis's `ChannelPrefix`):
    /// applications sharing one Redis need different prefixes. Empty by default.
    pub channel_prefix: String,
    /// The hub's name in channel names. ASP.NET Core uses the hub class's full name
    /// (`MyApp.Hubs.ChatHub`): set it to that to share a farm with .NET servers. `None`
    /// (the default) takes the hub's interface name (`Hub::new("Chat")` gives `Chat`).
    pub hub_name: Option<String>,
    /// Publishes waiting for Redis at most (10 000); more are dropped and logged.
    pub publish_queue: usize,
    /// Messages from Redis waiting to be delivered at most (100 000); more are dropped and
    /// logged.
    pub receive_queue: usize,
    /// The first wait before reconnecting (100 ms); it doubles on each failure.
    pub reconnect_min_delay: Duration,
    /// The longest wait between reconnection attempts (2 s).
    pub reconnect_max_delay: Duration,
    /// How long connecting to Redis may take (5 s).
    pub connect_timeout: Duration,
    /// How long Redis may take to answer before the connection is considered lost (5 s).
    pub response_timeout: Duration,
    /// An idle connection is checked with a PING this often (1 s).
    pub health_check_interval: Duration,
    /// How long a group change for a connection on another server waits for that server's
    /// acknowledgement (30 s, as ASP.NET Core).
    pub group_ack_timeout: Duration,
    /// How long a new connection, or a group's first member, waits for its subscription
    /// before going on without it (2 s; only when Redis is slow: an unreachable Redis is not
    /// waited for).
    pub subscription_wait: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            channel_prefix: String::new(),
            hub_name: None,
            publish_queue: 10_000,
            receive_queue: 100_000,
            reconnect_min_delay: Duration::from_millis(100),
            reconnect_max_delay: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(5),
            health_check_interval: Duration::from_secs(1),
            group_ack_timeout: Duration::from_secs(30),
            subscription_wait: Duration::from_secs(2),
        }
    }
}
