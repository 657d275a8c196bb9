//! Metrics under ASP.NET Core's names (the `Microsoft.AspNetCore.Http.Connections` meter),
//! through the `metrics` facade when the `metrics` feature is on; nothing otherwise.
//!
//! - `signalr.server.active_connections` (gauge): connections open now;
//! - `signalr.server.connection.duration` (histogram, seconds): how long each lasted;
//!
//! both with `signalr.transport` (`web_sockets`, `server_sent_events`, `long_polling`), and
//! the duration with `signalr.connection.status` (`normal_closure`, `timeout`,
//! `app_shutdown`).

use std::time::Instant;

use signalr_protocol::negotiate::TransportType;

/// How a connection ended, for `signalr.connection.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    NormalClosure,
    Timeout,
    AppShutdown,
}

impl Status {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn name(self) -> &'static str {
        match self {
            Status::NormalClosure => "normal_closure",
            Status::Timeout => "timeout",
            Status::AppShutdown => "app_shutdown",
        }
    }
}

#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
fn transport_name(t: TransportType) -> &'static str {
    match t {
        TransportType::WebSockets => "web_sockets",
        TransportType::ServerSentEvents => "server_sent_events",
        TransportType::LongPolling => "long_polling",
    }
}

/// One connection, counted while it lives.
#[derive(Debug)]
pub(crate) struct Tracked {
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    transport: TransportType,
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    started: Instant,
}

impl Tracked {
    /// A connection starts.
    pub(crate) fn start(transport: TransportType) -> Self {
        #[cfg(feature = "metrics")]
        metrics::gauge!("signalr.server.active_connections", "signalr.transport" => transport_name(transport))
            .increment(1.0);
        Tracked {
            transport,
            started: Instant::now(),
        }
    }

    /// The connection ended.
    pub(crate) fn end(self, status: Status) {
        #[cfg(feature = "metrics")]
        {
            let transport = transport_name(self.transport);
            metrics::gauge!("signalr.server.active_connections", "signalr.transport" => transport)
                .decrement(1.0);
            metrics::histogram!(
                "signalr.server.connection.duration",
                "signalr.transport" => transport,
                "signalr.connection.status" => status.name()
            )
            .record(self.started.elapsed().as_secs_f64());
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (self, status);
    }
}
