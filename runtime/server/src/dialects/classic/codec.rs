//! How a classic connection receives a server-to-client call: an element of a persistent
//! response's `M`, `{"H":"Conformance","M":"Notified","A":["hi"]}`. The connection numbers
//! it and wraps it in a persistent response when a receive request takes it.

use signalr_protocol::classic::ClientInvocation;
use signalr_protocol::{IntoArguments, Protocol};

use crate::clients::codec::Codec;
use crate::error::HubError;
use crate::frame::Frame;

/// The codec slot of classic connections (the hub protocol's are 0 and 1). Every connection
/// of one registry serves the same hub, so they share the encoding.
const SLOT: usize = 2;

/// The text a client result on a classic connection fails with: the classic protocol has no
/// way to answer a server's call.
pub(super) const NO_CLIENT_RESULTS: &str =
    "Client results are not supported by classic ASP.NET SignalR connections.";

/// Writes server-to-client calls as classic `M` entries of one hub.
#[derive(Debug)]
pub(super) struct ClassicCodec {
    /// The hub's name, as `H` carries it.
    pub(super) hub: String,
}

/// The method name a classic client knows: an `Interface|Method` wire name's method.
pub(super) fn plain_method(method: &str) -> &str {
    method.rsplit_once('|').map_or(method, |(_, m)| m)
}

impl Codec for ClassicCodec {
    fn slot(&self) -> usize {
        SLOT
    }

    fn invocation(
        &self,
        id: Option<&str>,
        method: &str,
        args: &(dyn IntoArguments + Sync),
    ) -> Result<Frame, HubError> {
        if id.is_some() {
            return Err(HubError::new(NO_CLIENT_RESULTS));
        }
        let arguments = args.to_arguments(Protocol::Json)?;
        let entry = ClientInvocation {
            hub: self.hub.as_str().into(),
            method: plain_method(method).into(),
            arguments,
            state: None,
        }
        .to_json()
        .map_err(HubError::internal)?;
        let text = String::from_utf8(entry).map_err(HubError::internal)?;
        Ok(Frame::text(text, false))
    }
}
