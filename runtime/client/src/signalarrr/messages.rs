//! SignalARRR's messages inside SignalR invocations, client side: the
//! `ClientRequestMessage` a call is tunnelled in, and the `ServerRequestMessage` the
//! server wraps its calls in.
//!
//! Property names are fixed (PascalCase) whatever the hub protocol: JSON objects and
//! MessagePack maps carry the same keys.

use signalr_protocol::{Arguments, Payload, Protocol, SerializeError};

/// The hub method a call with a result is tunnelled through.
pub(crate) const INVOKE_MESSAGE_RESULT: &str = "InvokeMessageResult";
/// The hub method a call without an awaited answer is tunnelled through.
pub(crate) const SEND_MESSAGE: &str = "SendMessage";
/// The hub method a streaming call is tunnelled through.
pub(crate) const STREAM_MESSAGE: &str = "StreamMessage";
/// The hub method an item of a stream the server asked for goes through.
pub(crate) const STREAM_ITEM_TO_SERVER: &str = "StreamItemToServer";
/// The hub method that ends a stream the server asked for.
pub(crate) const STREAM_COMPLETE_TO_SERVER: &str = "StreamCompleteToServer";

/// The client target of a server call that waits for a result.
pub(crate) const INVOKE_SERVER_REQUEST: &str = "InvokeServerRequest";
/// The client target of a server call without a result.
pub(crate) const INVOKE_SERVER_MESSAGE: &str = "InvokeServerMessage";
/// The client target that asks for a fresh message credential.
pub(crate) const CHALLENGE_AUTHENTICATION: &str = "ChallengeAuthentication";
/// The client target that cancels a token the server sent as a marker.
pub(crate) const CANCEL_TOKEN_FROM_SERVER: &str = "CancelTokenFromServer";

/// The one argument of a tunnelled call: `{"Method":..,"Arguments":[..],"Authorization":..}`
/// (the order SignalARRR's TypeScript client writes), the arguments copied raw.
pub(crate) fn client_request(
    method: &str,
    arguments: &Arguments<'_>,
    authorization: &str,
) -> Result<Arguments<'static>, SerializeError> {
    let protocol = arguments.protocol();
    let method = Payload::serialize(protocol, method)?;
    let authorization = Payload::serialize(protocol, authorization)?;
    let mut out = Vec::new();
    match protocol {
        Protocol::Json => {
            out.extend_from_slice(b"{\"Method\":");
            out.extend_from_slice(method.as_bytes());
            out.extend_from_slice(b",\"Arguments\":");
            out.extend_from_slice(arguments.raw_array());
            out.extend_from_slice(b",\"Authorization\":");
            out.extend_from_slice(authorization.as_bytes());
            out.push(b'}');
        }
        Protocol::MessagePack => {
            // A fixmap of three entries; fixstr keys.
            out.push(0x83);
            out.push(0xa0 | 6);
            out.extend_from_slice(b"Method");
            out.extend_from_slice(method.as_bytes());
            out.push(0xa0 | 9);
            out.extend_from_slice(b"Arguments");
            out.extend_from_slice(arguments.raw_array());
            out.push(0xa0 | 13);
            out.extend_from_slice(b"Authorization");
            out.extend_from_slice(authorization.as_bytes());
        }
    }
    let checked = match protocol {
        Protocol::Json => String::from_utf8(out)
            .map_err(|e| e.to_string())
            .and_then(|s| Payload::json(s).map_err(|e| e.to_string())),
        Protocol::MessagePack => Payload::messagepack(out).map_err(|e| e.to_string()),
    };
    let request = checked.map_err(|message| SerializeError { message })?;
    Arguments::from_payloads(protocol, [&request])
}

/// A `ServerRequestMessage`, as far as a client needs it.
#[derive(Debug)]
pub(crate) struct ServerRequest {
    /// `Method`: `Interface|Method`, or any name a handler is registered under.
    pub(crate) method: String,
    /// `Arguments`, raw.
    pub(crate) arguments: Arguments<'static>,
    /// `StreamId`: set when the server asks for a stream of items.
    pub(crate) stream_id: Option<String>,
}

impl ServerRequest {
    /// Reads the one argument of a server call (keys matched case-insensitively, unknown
    /// keys ignored); `None` when it is not a `ServerRequestMessage`.
    pub(crate) fn parse(arguments: &Arguments<'_>) -> Option<ServerRequest> {
        if arguments.len() != 1 {
            return None;
        }
        let message = arguments.get(0)?;
        let entries = message.entries()?;
        let field = |name: &str| {
            entries
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
                .filter(|v| !v.is_null())
        };
        let method = field("Method")?.as_str()?.into_owned();
        let arguments = match field("Arguments") {
            Some(a) => a.to_arguments()?.into_owned(),
            None => Arguments::empty(message.protocol()),
        };
        let stream_id = field("StreamId")
            .and_then(|s| s.as_str().map(|s| s.into_owned()))
            .filter(|s| !s.is_empty());
        Some(ServerRequest {
            method,
            arguments,
            stream_id,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use signalr_protocol::IntoArguments;

    #[test]
    fn a_client_request_wraps_the_arguments_raw() {
        let args = ("hello", 2).to_arguments(Protocol::Json).unwrap();
        let wrapped = client_request("I|Echo", &args, "").unwrap();
        assert_eq!(
            std::str::from_utf8(wrapped.raw_array()).unwrap(),
            r#"[{"Method":"I|Echo","Arguments":["hello",2],"Authorization":""}]"#
        );
        let args = ("hello", 2).to_arguments(Protocol::MessagePack).unwrap();
        let wrapped = client_request("I|Echo", &args, "Bearer t").unwrap();
        let request = wrapped.get(0).unwrap();
        let keys: Vec<String> = request
            .entries()
            .unwrap()
            .into_iter()
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(keys, ["Method", "Arguments", "Authorization"]);
        assert_eq!(request.entry("Method").unwrap().as_str().unwrap(), "I|Echo");
        assert_eq!(
            request.entry("Authorization").unwrap().as_str().unwrap(),
            "Bearer t"
        );
        let arguments = request.entry("Arguments").unwrap();
        let inner = arguments.to_arguments().unwrap();
        let mut b = inner.binder(2).unwrap();
        assert_eq!(b.next_arg::<String>().unwrap(), "hello");
        assert_eq!(b.next_arg::<i32>().unwrap(), 2);
    }

    #[test]
    fn a_server_request_is_read_in_both_protocols() {
        let text = r#"{"Id":"9d0f","Method":"I|GetById","Arguments":["x",{"__type":"cancellationToken","Id":"g"}],"GenericArguments":[],"CancellationGuid":"g","StreamId":null,"TraceParent":null,"TraceState":null}"#;
        let message = Payload::json(text).unwrap();
        let args = Arguments::from_payloads(Protocol::Json, [&message]).unwrap();
        let r = ServerRequest::parse(&args).unwrap();
        assert_eq!(r.method, "I|GetById");
        assert_eq!(r.arguments.len(), 2);
        assert_eq!(r.stream_id, None);

        #[derive(serde::Serialize)]
        #[allow(non_snake_case)]
        struct Message<'a> {
            Id: &'a str,
            Method: &'a str,
            Arguments: (i32,),
            StreamId: Option<&'a str>,
        }
        let packed = Payload::serialize(
            Protocol::MessagePack,
            &Message {
                Id: "1",
                Method: "I|StreamNumbers",
                Arguments: (5,),
                StreamId: Some("s"),
            },
        )
        .unwrap();
        let args = Arguments::from_payloads(Protocol::MessagePack, [&packed]).unwrap();
        let r = ServerRequest::parse(&args).unwrap();
        assert_eq!(r.method, "I|StreamNumbers");
        assert_eq!(r.stream_id.as_deref(), Some("s"));
        assert_eq!(r.arguments.binder(1).unwrap().next_arg::<i32>().unwrap(), 5);

        let plain = ("x",).to_arguments(Protocol::Json).unwrap();
        assert!(ServerRequest::parse(&plain).is_none());
    }
}
