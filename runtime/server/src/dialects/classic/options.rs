//! The options of a classic endpoint, with the classic server's defaults.

use std::time::Duration;

use signalr_protocol::classic::ClassicTransport;

/// How a classic (ASP.NET SignalR 2.x) endpoint behaves. The defaults are the classic
/// server's (`DefaultConfigurationManager`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClassicOptions {
    /// How often a keep-alive is sent (10 s, a third of the disconnect timeout); `None`
    /// sends none (negotiate then says `"KeepAliveTimeout":null`).
    pub keep_alive: Option<Duration>,
    /// How long a connection whose client has no receive request open is kept (30 s): a
    /// reconnect within it resumes the connection.
    pub disconnect_timeout: Duration,
    /// How long a long poll is held open without messages (110 s).
    pub connection_timeout: Duration,
    /// How long a transport may take to deliver its init message (5 s, told to clients).
    pub transport_connect_timeout: Duration,
    /// How long a long-polling client waits between polls (0).
    pub long_poll_delay: Duration,
    /// How many messages to a connection are kept for a reconnecting client to resume from
    /// (1 000, the classic `DefaultMessageBufferSize`); older ones are dropped.
    pub message_buffer_size: usize,
    /// How many bytes of messages are kept per connection at most (1 MiB): past it the
    /// oldest are dropped, so a client that stops reading cannot grow the server's memory.
    pub message_buffer_bytes: usize,
    /// The largest message a client may send, over WebSockets or as a `data=` field (64 KiB,
    /// the classic `MaxIncomingWebSocketMessageSize`).
    pub max_incoming_message_size: usize,
    /// Hub calls of one connection running at once (16); further ones wait.
    pub max_parallel_invocations: usize,
    /// Whether `{path}/hubs` and `{path}/js` serve the JavaScript hub proxies (on).
    pub enable_javascript_proxies: bool,
    /// The transports served (WebSockets, Server-Sent Events and long polling; the forever
    /// frame is never served).
    pub transports: Vec<ClassicTransport>,
}

impl Default for ClassicOptions {
    fn default() -> Self {
        ClassicOptions {
            keep_alive: Some(Duration::from_secs(10)),
            disconnect_timeout: Duration::from_secs(30),
            connection_timeout: Duration::from_secs(110),
            transport_connect_timeout: Duration::from_secs(5),
            long_poll_delay: Duration::ZERO,
            message_buffer_size: 1000,
            message_buffer_bytes: 1 << 20,
            max_incoming_message_size: 64 << 10,
            max_parallel_invocations: 16,
            enable_javascript_proxies: true,
            transports: vec![
                ClassicTransport::WebSockets,
                ClassicTransport::ServerSentEvents,
                ClassicTransport::LongPolling,
            ],
        }
    }
}
