//! Server options, with ASP.NET Core's defaults.

use std::time::Duration;

use signalr_protocol::negotiate::TransportType;
use signalr_protocol::{DEFAULT_MAX_MESSAGE_SIZE, Protocol};

/// How a hub server behaves. The defaults are ASP.NET Core's.
#[derive(Debug, Clone)]
pub struct HubOptions {
    /// A Ping is sent when nothing else was sent for this long (15 s).
    pub keep_alive_interval: Duration,
    /// The connection is closed when the client, once it has sent a Ping, sends nothing for
    /// this long (30 s).
    pub client_timeout_interval: Duration,
    /// How long a client has to complete the handshake (15 s).
    pub handshake_timeout: Duration,
    /// The largest incoming message, framing included (32 KiB); `None` for no limit.
    pub maximum_receive_message_size: Option<usize>,
    /// Items buffered per upload stream before the reader waits (10).
    pub stream_buffer_capacity: usize,
    /// Non-streaming invocations one client may have running at once (1); further ones wait.
    pub maximum_parallel_invocations_per_client: usize,
    /// Add exception details to error messages sent to clients (off).
    pub enable_detailed_errors: bool,
    /// The hub protocols offered (JSON and MessagePack).
    pub supported_protocols: Vec<Protocol>,
    /// How long the server waits for a client result (30 s).
    pub client_result_timeout: Duration,
    /// Outgoing messages queued per connection before the connection is considered stuck and
    /// closed (a client that stops reading cannot make the server buffer without bound).
    pub max_queued_messages: usize,
    /// The transports served and offered by negotiate (WebSockets, Server-Sent Events and
    /// long polling).
    pub transports: Vec<TransportType>,
    /// How long a long poll waits for messages before answering empty (90 s).
    pub long_polling_poll_timeout: Duration,
    /// How long a long-polling connection stays open with no poll in progress, and how long
    /// a stateful-reconnect connection waits for its client to reconnect (15 s).
    pub disconnect_timeout: Duration,
    /// Whether clients may use stateful reconnect (off, as ASP.NET Core's
    /// `AllowStatefulReconnects`): a WebSocket connection negotiated with
    /// `useStatefulReconnect=true` and a version 2 handshake then survives a dropped
    /// WebSocket, its messages tracked with Ack and Sequence.
    pub allow_stateful_reconnects: bool,
    /// The bytes of sent but unacknowledged messages kept for a stateful-reconnect
    /// connection (100 000); when full, further sends wait for the client's Acks.
    pub stateful_reconnect_buffer_size: usize,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            keep_alive_interval: Duration::from_secs(15),
            client_timeout_interval: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(15),
            maximum_receive_message_size: Some(DEFAULT_MAX_MESSAGE_SIZE),
            stream_buffer_capacity: 10,
            maximum_parallel_invocations_per_client: 1,
            enable_detailed_errors: false,
            supported_protocols: Protocol::ALL.to_vec(),
            client_result_timeout: Duration::from_secs(30),
            max_queued_messages: 1024,
            transports: vec![
                TransportType::WebSockets,
                TransportType::ServerSentEvents,
                TransportType::LongPolling,
            ],
            long_polling_poll_timeout: Duration::from_secs(90),
            disconnect_timeout: Duration::from_secs(15),
            allow_stateful_reconnects: false,
            stateful_reconnect_buffer_size: 100_000,
        }
    }
}
