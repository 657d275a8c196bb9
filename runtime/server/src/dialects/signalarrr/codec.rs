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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::dialects::signalarrr::messages::{cancellation_reference, is_guid};

    /// A frame's text with its `Id` GUID (the first GUID) replaced by `{id}`.
    fn masked(frame: &Frame) -> String {
        let text = std::str::from_utf8(frame.as_bytes()).unwrap().to_owned();
        let at = text.find("\"Id\":\"").unwrap() + 6;
        assert!(is_guid(&text[at..at + 36]), "{text}");
        format!("{}{{id}}{}", &text[..at], &text[at + 36..])
    }

    const GUID: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

    #[test]
    fn the_challenge_is_a_client_result_named_for_itself() {
        let frame = SignalArrrCodec(Protocol::Json)
            .invocation(Some("2"), CHALLENGE_AUTHENTICATION, &())
            .unwrap();
        assert_eq!(
            masked(&frame),
            "{\"type\":1,\"invocationId\":\"2\",\"target\":\"ChallengeAuthentication\",\"arguments\":[{\"Id\":\"{id}\",\"Method\":\"ChallengeAuthentication\",\"Arguments\":[],\"GenericArguments\":[],\"CancellationGuid\":null,\"StreamId\":null,\"TraceParent\":null,\"TraceState\":null}]}\u{1e}"
        );
    }

    #[test]
    fn a_cancellation_names_its_guid() {
        let carried = serde_json::json!({ "CancellationGuid": GUID });
        let frame = SignalArrrCodec(Protocol::Json)
            .invocation(None, CANCEL_TOKEN_FROM_SERVER, &(carried,))
            .unwrap();
        assert_eq!(
            masked(&frame),
            format!(
                "{{\"type\":1,\"target\":\"CancelTokenFromServer\",\"arguments\":[{{\"Id\":\"{{id}}\",\"Method\":\"CancelTokenFromServer\",\"Arguments\":[],\"GenericArguments\":[],\"CancellationGuid\":\"{GUID}\",\"StreamId\":null,\"TraceParent\":null,\"TraceState\":null}}]}}\u{1e}"
            )
        );
    }

    #[test]
    fn a_token_argument_travels_as_a_reference_and_names_the_call() {
        let old = serde_json::json!({ "Id": GUID });
        let frame = SignalArrrCodec(Protocol::Json)
            .invocation(Some("7"), "I|Wait", &(5, old))
            .unwrap();
        assert_eq!(
            masked(&frame),
            format!(
                "{{\"type\":1,\"invocationId\":\"7\",\"target\":\"InvokeServerRequest\",\"arguments\":[{{\"Id\":\"{{id}}\",\"Method\":\"I|Wait\",\"Arguments\":[5,{{\"__type\":\"cancellationToken\",\"Id\":\"{GUID}\"}}],\"GenericArguments\":[],\"CancellationGuid\":\"{GUID}\",\"StreamId\":null,\"TraceParent\":null,\"TraceState\":null}}]}}\u{1e}"
            )
        );
        let reference = cancellation_reference(Protocol::Json, GUID).unwrap();
        assert_eq!(
            std::str::from_utf8(reference.as_bytes()).unwrap(),
            format!("{{\"__type\":\"cancellationToken\",\"Id\":\"{GUID}\"}}")
        );
    }
}
