//! The hook a wire dialect (`dialects/`) plugs into the connections of its endpoint: how
//! they are written to (their [`Codec`]), what the dialect learns when one starts and ends,
//! and the hub-method invocations it handles on the reader itself.
//!
//! The connection engine knows only this trait; the dialects implement it and import the
//! engine, never the other way round.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use signalr_protocol::{Arguments, Payload, Protocol};

use crate::clients::codec::Codec;
use crate::clients::registry::Connection;
use crate::error::HubError;
use crate::hub::UploadSender;
use crate::serve::HeaderSpelling;

/// What a dialect sees of the HTTP request that established a connection: the WebSocket
/// upgrade, the Server-Sent Events request, or the first long poll.
#[derive(Debug, Clone)]
pub(crate) struct ConnectRequest {
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    /// The query string, parsed.
    pub(crate) query: HashMap<String, String>,
    /// Header names as the client spelled them (HTTP stacks lower-case them), when the
    /// listener kept them: lower-cased name to original.
    pub(crate) header_case: HashMap<String, String>,
}

impl ConnectRequest {
    /// The request of `parts`, its query parsed already.
    pub(crate) fn new(parts: &Parts, query: HashMap<String, String>) -> Self {
        ConnectRequest {
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
            query,
            header_case: parts
                .extensions
                .get::<HeaderSpelling>()
                .map(HeaderSpelling::snapshot)
                .unwrap_or_default(),
        }
    }
}

/// What the reader does with a hub-method invocation a dialect looked at.
pub(crate) enum Intercept {
    /// Not the dialect's: the hub dispatches it.
    Pass,
    /// Handled (a blocking invocation is completed without a result).
    Handled,
    /// Handled: an item, or the error it ended with, for a stream the dialect owns; the
    /// reader delivers it in order, pausing while the stream's buffer is full.
    Deliver(UploadSender, Result<Payload<'static>, HubError>),
}

/// A wire dialect served at an endpoint of the hub.
pub(crate) trait Dialect: Send + Sync + 'static {
    /// How this endpoint's connections in `protocol` receive server-to-client invocations.
    fn codec(&self, protocol: Protocol) -> Arc<dyn Codec>;

    /// A connection has completed its handshake and is registered.
    fn connected(&self, conn: &Arc<Connection>, request: Option<&ConnectRequest>);

    /// A connection has ended (before it leaves the registry).
    fn disconnected(&self, conn: &Connection);

    /// An invocation of `target` arrived on `conn`: the dialect may handle it on the
    /// reader, in the order invocations arrive (no slot, nothing spawned).
    fn intercept(
        &self,
        conn: &Connection,
        target: &str,
        arguments: &Arguments<'static>,
    ) -> Intercept;
}
