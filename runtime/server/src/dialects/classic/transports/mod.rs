//! The receive side of the classic transports: WebSockets (calls come in on the socket
//! too), Server-Sent Events and long polling, each delivering the connection's numbered
//! messages as persistent responses from a cursor, with keep-alives.

pub(super) mod long_polling;
pub(super) mod sse;
pub(super) mod websockets;

use signalr_protocol::classic::ResponseHead;

use super::connection::ClassicConnection;
use super::endpoint::Endpoint;

/// Messages per persistent response on the streaming transports.
pub(super) const STREAMING_BATCH: usize = 100;
/// Messages per long-poll response (the classic server's `MaxMessages` for long polling).
pub(super) const POLL_BATCH: usize = 5000;

/// The keep-alive of WebSockets and Server-Sent Events.
pub(super) const KEEP_ALIVE: &[u8] = b"{}";

/// The persistent response of the messages from `from` (at most `batch`), and the position
/// after them; `None` when there is nothing to say (no message, no new groups token, not
/// the init message, and not `always`).
pub(super) fn next_response(
    endpoint: &Endpoint,
    conn: &ClassicConnection,
    from: u64,
    batch: usize,
    init: bool,
    always: bool,
) -> Option<(Vec<u8>, u64)> {
    let (messages, next) = conn.buffer.read(from, batch);
    let groups_token = conn.groups_token(&endpoint.protector);
    if messages.is_empty() && groups_token.is_none() && !init && !always {
        return None;
    }
    let delay = endpoint.options.long_poll_delay;
    let head = ResponseHead {
        cursor: Some(conn.buffer.cursor(next).into()),
        initialized: init,
        groups_token: groups_token.map(Into::into),
        long_poll_delay: (batch == POLL_BATCH && !delay.is_zero())
            .then(|| u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)),
        ..ResponseHead::default()
    };
    Some((head.encode(messages.iter().map(|m| m.as_ref())), next))
}
