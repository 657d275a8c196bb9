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
    /// The bytes of outgoing messages queued per connection (1 MiB). A broadcast that would
    /// go past it means the client stopped reading: the connection is closed with an error.
    /// An invocation's own replies and stream items wait for room instead, up to
    /// [`HubOptions::transport_send_timeout`].
    pub maximum_outgoing_buffer_size: usize,
    /// How long a send to a client may wait for room in its queue, or for its transport to
    /// take it, before the connection is closed (10 s, as ASP.NET Core's
    /// `TransportSendTimeout`).
    pub transport_send_timeout: Duration,
    /// The bytes of received invocations waiting for an invocation slot before the server
    /// stops reading from the connection (64 KiB): a client that sends faster than its
    /// invocations run is slowed down by TCP instead of growing the server's memory.
    pub maximum_pending_invocation_bytes: usize,
    /// Upload streams (client to server) one connection may have open at once (100).
    pub maximum_upload_streams_per_connection: usize,
    /// Streams (server to client) one connection may have running at once (100).
    pub maximum_streams_per_connection: usize,
    /// Groups one connection may be in at once (1 000).
    pub maximum_groups_per_connection: usize,
    /// The longest group name, in bytes (1 024).
    pub maximum_group_name_length: usize,
    /// Connections the server accepts at once; more are refused with 503 (no limit).
    pub maximum_connections: Option<usize>,
    /// Connections one user may have open at once; more are refused with 429 (no limit).
    pub maximum_connections_per_user: Option<usize>,
    /// Connections one client address may have open at once; more are refused with 429 (no
    /// limit). The address is known with `signalr_server::serve`, or axum's `ConnectInfo`.
    pub maximum_connections_per_address: Option<usize>,
    /// The WebSocket read buffer, per connection (1 KiB: most hub messages are smaller, and
    /// an idle connection keeps it; messages larger than it are read in several steps, so a
    /// server of mostly large messages reads them with fewer system calls when it is
    /// larger).
    pub websocket_read_buffer_size: usize,
    /// The WebSocket write buffer, per connection (4 KiB).
    pub websocket_write_buffer_size: usize,
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
            maximum_outgoing_buffer_size: 1 << 20,
            transport_send_timeout: Duration::from_secs(10),
            maximum_pending_invocation_bytes: 64 << 10,
            maximum_upload_streams_per_connection: 100,
            maximum_streams_per_connection: 100,
            maximum_groups_per_connection: 1000,
            maximum_group_name_length: 1024,
            maximum_connections: None,
            maximum_connections_per_user: None,
            maximum_connections_per_address: None,
            websocket_read_buffer_size: 1 << 10,
            websocket_write_buffer_size: 4 << 10,
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
