//! The transports: WebSockets, Server-Sent Events and long polling, side by side, and the
//! table of connection tokens they share.
//!
//! Server-Sent Events and long polling receive with `POST {path}?id=TOKEN` (the body is raw
//! frames); Server-Sent Events sends on one `GET {path}?id=TOKEN` answered as
//! `text/event-stream`; long polling sends on a series of `GET {path}?id=TOKEN` polls and
//! ends with `DELETE {path}?id=TOKEN`.

pub(crate) mod http;
pub(crate) mod long_polling;
pub(crate) mod sse;
pub(crate) mod tokens;
pub(crate) mod websockets;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use signalr_protocol::negotiate::TransportType;

pub(crate) fn text(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

pub(crate) fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "No Connection with that ID")
}

pub(crate) fn id_required() -> Response {
    text(StatusCode::BAD_REQUEST, "Connection ID required")
}

pub(crate) fn cannot_change() -> Response {
    text(
        StatusCode::BAD_REQUEST,
        "Cannot change transports mid-connection",
    )
}

pub(crate) fn not_supported(kind: TransportType) -> Response {
    let body = match kind {
        TransportType::WebSockets => "WebSockets transport not supported by this end point type",
        TransportType::ServerSentEvents => {
            "ServerSentEvents transport not supported by this end point type"
        }
        TransportType::LongPolling => "LongPolling transport not supported by this end point type",
    };
    text(StatusCode::NOT_FOUND, body)
}
