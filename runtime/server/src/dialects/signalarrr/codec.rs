//! How a SignalARRR connection receives the server's calls: each one wrapped in a
//! `ServerRequestMessage`, sent as `InvokeServerRequest` when the server waits for a
//! result (a SignalR client result) and as `InvokeServerMessage` otherwise; the
//! cancellation of a token and the authentication challenge under their own names.

use signalr_protocol::{Arguments, IntoArguments, Protocol};

use crate::clients::codec::{Codec, HubProtocolCodec};
use crate::error::HubError;
use crate::frame::Frame;

use super::messages::{
    CANCEL_TOKEN_FROM_SERVER, CHALLENGE_AUTHENTICATION, INVOKE_SERVER_MESSAGE,
    INVOKE_SERVER_REQUEST, ServerRequest, normalize_references,
};

/// The codec of a SignalARRR connection in one hub protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignalArrrCodec(pub(crate) Protocol);

/// The server-to-client invocation of `target` carrying one `ServerRequestMessage`.
pub(crate) fn request_frame(
    protocol: Protocol,
    id: Option<&str>,
    target: &str,
    request: &ServerRequest<'_>,
) -> Result<Frame, HubError> {
    let message = request.encode(protocol)?;
    let args = Arguments::from_payloads(protocol, [&message])?;
    HubProtocolCodec(protocol).invocation(id, target, &args)
}

impl Codec for SignalArrrCodec {
    fn slot(&self) -> usize {
        match self.0 {
            Protocol::Json => 6,
            Protocol::MessagePack => 7,
        }
    }

    fn invocation(
        &self,
        id: Option<&str>,
        method: &str,
        args: &(dyn IntoArguments + Sync),
    ) -> Result<Frame, HubError> {
        let protocol = self.0;
        let arguments = args.to_arguments(protocol)?;
        let none = Arguments::empty(protocol);
        if method == CANCEL_TOKEN_FROM_SERVER {
            // The call's argument is a ServerRequestMessage already: only its
            // CancellationGuid matters; the message is written out whole.
            let guid = arguments.get(0).and_then(|m| {
                m.entry("CancellationGuid")
                    .and_then(|g| g.as_str().map(|s| s.into_owned()))
            });
            let request = ServerRequest {
                method: CANCEL_TOKEN_FROM_SERVER,
                arguments: &none,
                cancellation: guid.as_deref(),
                stream_id: None,
            };
            return request_frame(protocol, id, CANCEL_TOKEN_FROM_SERVER, &request);
        }
        if method == CHALLENGE_AUTHENTICATION {
            let request = ServerRequest {
                method: CHALLENGE_AUTHENTICATION,
                arguments: &none,
                cancellation: None,
                stream_id: None,
            };
            return request_frame(protocol, id, CHALLENGE_AUTHENTICATION, &request);
        }
        let (arguments, cancellation) = normalize_references(&arguments)?;
        let request = ServerRequest {
            method,
            arguments: &arguments,
            cancellation: cancellation.as_deref(),
            stream_id: None,
        };
        let target = if id.is_some() {
            INVOKE_SERVER_REQUEST
        } else {
            INVOKE_SERVER_MESSAGE
        };
        request_frame(protocol, id, target, &request)
    }
}
