//! SignalARRR's messages inside SignalR invocations: the `ClientRequestMessage` a client
//! tunnels a call in, the `ServerRequestMessage` the server wraps its calls in, and the
//! remote references (cancellation tokens, streams) inside their arguments.
//!
//! Property names are fixed (PascalCase, in the C# declaration order) whatever the hub
//! protocol: JSON objects and MessagePack maps carry the same keys.

use std::borrow::Cow;

use signalr_protocol::{Arguments, Payload, Protocol, SerializeError};

/// The SignalR client method a result-expecting server-to-client call is sent to.
pub(crate) const INVOKE_SERVER_REQUEST: &str = "InvokeServerRequest";
/// The SignalR client method a fire-and-forget server-to-client call is sent to.
pub(crate) const INVOKE_SERVER_MESSAGE: &str = "InvokeServerMessage";
/// The client method that asks for a fresh message credential.
pub(crate) const CHALLENGE_AUTHENTICATION: &str = "ChallengeAuthentication";
/// The client method that cancels a token the server sent as a reference.
pub(crate) const CANCEL_TOKEN_FROM_SERVER: &str = "CancelTokenFromServer";

/// The `__type` of a cancellation-token reference.
const CANCELLATION_TOKEN: &str = "cancellationToken";
/// The `__type` of a stream reference.
const STREAM: &str = "stream";

/// A call a client tunnels through `InvokeMessage`, `InvokeMessageResult`, `SendMessage`
/// or `StreamMessage`.
#[derive(Debug)]
pub(crate) struct ClientRequest {
    /// `Method`: `Name`, `Class.Method` or `Interface|Method`.
    pub(crate) method: String,
    /// `Authorization`: the message credential (`""` when none).
    pub(crate) authorization: String,
    /// `Arguments`, raw, bound like an invocation's own.
    pub(crate) arguments: Arguments<'static>,
    /// `GenericArguments`: type names for a generic method.
    pub(crate) generic_arguments: Vec<String>,
}

/// Why a `ClientRequestMessage` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("The ClientRequestMessage could not be read: {0}")]
pub(crate) struct MalformedRequest(pub(crate) String);

/// Whether `arguments` are one `ClientRequestMessage` (a single map with a `Method` key),
/// rather than a plain call's arguments.
pub(crate) fn looks_like_request(arguments: &Arguments<'_>) -> bool {
    arguments.len() == 1
        && arguments.get(0).is_some_and(|p| {
            p.entries()
                .is_some_and(|e| e.iter().any(|(k, _)| k.eq_ignore_ascii_case("Method")))
        })
}

/// A string property: a string, or null/absent for `""`.
fn string_field(value: Option<&Payload<'_>>, name: &str) -> Result<String, MalformedRequest> {
    match value {
        None => Ok(String::new()),
        Some(v) if v.is_null() => Ok(String::new()),
        Some(v) => v
            .as_str()
            .map(Cow::into_owned)
            .ok_or_else(|| MalformedRequest(format!("'{name}' must be a string."))),
    }
}

impl ClientRequest {
    /// Reads the one `ClientRequestMessage` argument (keys matched case-insensitively;
    /// unknown keys, such as the trace context, are ignored).
    pub(crate) fn parse(payload: &Payload<'_>) -> Result<ClientRequest, MalformedRequest> {
        let entries = payload
            .entries()
            .ok_or_else(|| MalformedRequest("it must be an object.".into()))?;
        let field = |name: &str| {
            entries
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let method = string_field(field("Method"), "Method")?;
        let authorization = string_field(field("Authorization"), "Authorization")?;
        let arguments = match field("Arguments") {
            None => Arguments::empty(payload.protocol()),
            Some(v) if v.is_null() => Arguments::empty(payload.protocol()),
            Some(v) => v
                .to_arguments()
                .ok_or_else(|| MalformedRequest("'Arguments' must be an array.".into()))?
                .into_owned(),
        };
        let generic_arguments = match field("GenericArguments") {
            None => Vec::new(),
            Some(v) if v.is_null() => Vec::new(),
            Some(v) => {
                let list = v.to_arguments().ok_or_else(|| {
                    MalformedRequest("'GenericArguments' must be an array of strings.".into())
                })?;
                list.iter()
                    .map(|p| p.as_str().map(Cow::into_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        MalformedRequest("'GenericArguments' must be an array of strings.".into())
                    })?
            }
        };
        Ok(ClientRequest {
            method,
            authorization,
            arguments,
            generic_arguments,
        })
    }
}

/// A new correlation id: a GUID in its 36-character lower-case form.
pub(crate) fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether `s` is a GUID in its 36-character form (either case).
pub(crate) fn is_guid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

/// A `ServerRequestMessage`: the one argument of a server-to-client call.
#[derive(Debug)]
pub(crate) struct ServerRequest<'a> {
    /// `Method`: `Interface|Method`, or any name a handler is registered under.
    pub(crate) method: &'a str,
    /// `Arguments`, already in the connection's protocol (references in their v5 form).
    pub(crate) arguments: &'a Arguments<'a>,
    /// `CancellationGuid`: what `CancelTokenFromServer` names to cancel the call.
    pub(crate) cancellation: Option<&'a str>,
    /// `StreamId`: set when the server asks the client for a stream.
    pub(crate) stream_id: Option<&'a str>,
}

impl ServerRequest<'_> {
    /// The message, encoded in `protocol` with a new `Id`: `Id, Method, Arguments,
    /// GenericArguments, CancellationGuid, StreamId, TraceParent, TraceState`, nulls
    /// written out, as System.Text.Json writes the C# class.
    pub(crate) fn encode(&self, protocol: Protocol) -> Result<Payload<'static>, SerializeError> {
        let id = new_guid();
        let mut w = MapWriter::new(protocol, 8);
        w.field("Id", &id)?;
        w.field("Method", self.method)?;
        w.raw_field("Arguments", self.arguments.raw_array())?;
        w.raw_field("GenericArguments", empty_array(protocol))?;
        w.field("CancellationGuid", &self.cancellation)?;
        w.field("StreamId", &self.stream_id)?;
        w.field("TraceParent", &None::<&str>)?;
        w.field("TraceState", &None::<&str>)?;
        w.finish()
    }
}

fn empty_array(protocol: Protocol) -> &'static [u8] {
    match protocol {
        Protocol::Json => b"[]",
        Protocol::MessagePack => &[0x90],
    }
}

/// Writes a map (JSON object, MessagePack map) whose values may be raw.
struct MapWriter {
    protocol: Protocol,
    out: Vec<u8>,
    first: bool,
}

impl MapWriter {
    fn new(protocol: Protocol, len: u8) -> Self {
        let out = match protocol {
            Protocol::Json => vec![b'{'],
            // A fixmap: at most 15 entries.
            Protocol::MessagePack => vec![0x80 | (len & 0x0f)],
        };
        MapWriter {
            protocol,
            out,
            first: true,
        }
    }

    fn key(&mut self, key: &str) -> Result<(), SerializeError> {
        if self.protocol == Protocol::Json && !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out
            .extend_from_slice(Payload::serialize(self.protocol, key)?.as_bytes());
        if self.protocol == Protocol::Json {
            self.out.push(b':');
        }
        Ok(())
    }

    fn field<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), SerializeError> {
        self.key(key)?;
        self.out
            .extend_from_slice(Payload::serialize(self.protocol, value)?.as_bytes());
        Ok(())
    }

    fn raw_field(&mut self, key: &str, raw: &[u8]) -> Result<(), SerializeError> {
        self.key(key)?;
        self.out.extend_from_slice(raw);
        Ok(())
    }

    fn finish(mut self) -> Result<Payload<'static>, SerializeError> {
        let checked = match self.protocol {
            Protocol::Json => {
                self.out.push(b'}');
                String::from_utf8(self.out)
                    .map_err(|e| e.to_string())
                    .and_then(|s| Payload::json(s).map_err(|e| e.to_string()))
            }
            Protocol::MessagePack => Payload::messagepack(self.out).map_err(|e| e.to_string()),
        };
        checked.map_err(|message| SerializeError { message })
    }
}

/// A cancellation-token reference in its v5 form: `{"__type":"cancellationToken","Id":..}`.
pub(crate) fn cancellation_reference(
    protocol: Protocol,
    id: &str,
) -> Result<Payload<'static>, SerializeError> {
    let mut w = MapWriter::new(protocol, 2);
    w.field("__type", CANCELLATION_TOKEN)?;
    w.field("Id", id)?;
    w.finish()
}

/// A stream reference in its v5 form: `{"__type":"stream","Uri":..}`.
#[cfg(test)]
fn stream_reference(protocol: Protocol, uri: &str) -> Result<Payload<'static>, SerializeError> {
    let mut w = MapWriter::new(protocol, 2);
    w.field("__type", STREAM)?;
    w.field("Uri", uri)?;
    w.finish()
}

/// The marker key of a reference: `__type` (v5); under MessagePack a .NET server names it
/// after the C# property, `Type`.
fn marker<'p>(entries: &'p [(Cow<'_, str>, Payload<'_>)]) -> Option<Cow<'p, str>> {
    entries
        .iter()
        .find(|(k, _)| k == "__type" || k == "Type")
        .and_then(|(_, v)| v.as_str())
}

/// The id of a cancellation-token reference: the v5 form, or the older unmarked
/// `{"Id": guid}` (only key, a GUID), as SignalARRR's clients accept it.
pub(crate) fn cancellation_id(value: &Payload<'_>) -> Option<String> {
    let entries = value.entries()?;
    let id = entries
        .iter()
        .find(|(k, _)| k == "Id")
        .and_then(|(_, v)| v.as_str())?;
    let marked = marker(&entries);
    let is_reference = match marked.as_deref() {
        Some(kind) => kind == CANCELLATION_TOKEN,
        None => entries.len() == 1 && is_guid(&id),
    };
    is_reference.then(|| id.into_owned())
}

/// The URI of a stream reference: the v5 form, or the older unmarked `{"Uri": ..}` (only
/// key), which SignalARRR's clients return for binary results.
pub(crate) fn stream_uri(value: &Payload<'_>) -> Option<String> {
    let entries = value.entries()?;
    let uri = entries
        .iter()
        .find(|(k, _)| k == "Uri")
        .and_then(|(_, v)| v.as_str())?;
    let is_reference = match marker(&entries).as_deref() {
        Some(kind) => kind == STREAM,
        None => entries.len() == 1,
    };
    is_reference.then(|| uri.into_owned())
}

/// The arguments with every cancellation-token reference in its v5 form, and the id of
/// the first one (what `CancellationGuid` names, so clients that key the token by the call
/// and clients that key it by the reference both find it).
pub(crate) fn normalize_references(
    arguments: &Arguments<'_>,
) -> Result<(Arguments<'static>, Option<String>), SerializeError> {
    let protocol = arguments.protocol();
    let ids: Vec<Option<String>> = arguments.iter().map(|a| cancellation_id(&a)).collect();
    let first = ids.iter().flatten().next().cloned();
    if first.is_none() {
        return Ok((arguments.clone().into_owned(), None));
    }
    let mut w = Arguments::writer(protocol, arguments.len());
    for (value, id) in arguments.iter().zip(&ids) {
        match id {
            Some(id) => w.push_raw(&cancellation_reference(protocol, id)?)?,
            None => w.push_raw(&value)?,
        }
    }
    Ok((w.finish(), first))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use signalr_protocol::IntoArguments;

    #[test]
    fn a_client_request_is_read_in_both_protocols() {
        #[derive(serde::Serialize)]
        #[allow(non_snake_case)]
        struct Request<'a> {
            Method: &'a str,
            Arguments: (&'a str, i32),
            Authorization: &'a str,
        }
        for p in Protocol::ALL {
            let payload = Payload::serialize(
                p,
                &Request {
                    Method: "ExtraMethods.Add",
                    Arguments: ("a", 2),
                    Authorization: "",
                },
            )
            .unwrap();
            let args = Arguments::from_payloads(p, [&payload]).unwrap();
            assert!(looks_like_request(&args));
            let r = ClientRequest::parse(&payload).unwrap();
            assert_eq!(r.method, "ExtraMethods.Add");
            assert_eq!(r.authorization, "");
            assert_eq!(r.arguments.len(), 2);
            assert!(r.generic_arguments.is_empty());
            assert!(!looks_like_request(&("a", 2).to_arguments(p).unwrap()));
        }
    }

    #[test]
    fn malformed_requests_say_why() {
        for (text, why) in [
            (r#""Echo""#, "it must be an object."),
            (r#"{"Method":1}"#, "'Method' must be a string."),
            (
                r#"{"Method":"Echo","Arguments":{}}"#,
                "'Arguments' must be an array.",
            ),
            (
                r#"{"Method":"Echo","GenericArguments":[1]}"#,
                "'GenericArguments' must be an array of strings.",
            ),
        ] {
            let e = ClientRequest::parse(&Payload::json(text).unwrap()).unwrap_err();
            assert_eq!(e.0, why, "{text}");
        }
        let r = ClientRequest::parse(&Payload::json(r#"{"method":null}"#).unwrap()).unwrap();
        assert_eq!((r.method.as_str(), r.arguments.len()), ("", 0));
    }

    #[test]
    fn server_requests_have_every_field_in_order() {
        let args = ("hello", 1).to_arguments(Protocol::Json).unwrap();
        let msg = ServerRequest {
            method: "I|M",
            arguments: &args,
            cancellation: None,
            stream_id: Some("s"),
        }
        .encode(Protocol::Json)
        .unwrap();
        let text = std::str::from_utf8(msg.as_bytes()).unwrap();
        let rest = &text[text.find(r#""Method""#).unwrap()..];
        assert_eq!(
            rest,
            r#""Method":"I|M","Arguments":["hello",1],"GenericArguments":[],"CancellationGuid":null,"StreamId":"s","TraceParent":null,"TraceState":null}"#
        );
        let packed = ServerRequest {
            method: "I|M",
            arguments: &("hello", 1).to_arguments(Protocol::MessagePack).unwrap(),
            cancellation: None,
            stream_id: None,
        }
        .encode(Protocol::MessagePack)
        .unwrap();
        let keys: Vec<String> = packed
            .entries()
            .unwrap()
            .into_iter()
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(
            keys,
            [
                "Id",
                "Method",
                "Arguments",
                "GenericArguments",
                "CancellationGuid",
                "StreamId",
                "TraceParent",
                "TraceState"
            ]
        );
    }

    #[test]
    fn references_old_and_new() {
        let guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
        for p in Protocol::ALL {
            let v5 = cancellation_reference(p, guid).unwrap();
            assert_eq!(cancellation_id(&v5).as_deref(), Some(guid));
            let old = Payload::serialize(p, &serde_json::json!({ "Id": guid })).unwrap();
            assert_eq!(cancellation_id(&old).as_deref(), Some(guid));
            let not_guid = Payload::serialize(p, &serde_json::json!({ "Id": "7" })).unwrap();
            assert_eq!(cancellation_id(&not_guid), None);
            let two =
                Payload::serialize(p, &serde_json::json!({ "Id": guid, "Name": "x" })).unwrap();
            assert_eq!(cancellation_id(&two), None);
            let s = stream_reference(p, "http://h/x/download/1").unwrap();
            assert_eq!(stream_uri(&s).as_deref(), Some("http://h/x/download/1"));
            assert_eq!(cancellation_id(&s), None);
            let bare = Payload::serialize(p, &serde_json::json!({ "Uri": "u" })).unwrap();
            assert_eq!(stream_uri(&bare).as_deref(), Some("u"));
            let dotnet =
                Payload::serialize(p, &serde_json::json!({ "Type": "stream", "Uri": "u" }))
                    .unwrap();
            assert_eq!(stream_uri(&dotnet).as_deref(), Some("u"));

            let args = (1, serde_json::json!({ "Id": guid }))
                .to_arguments(p)
                .unwrap();
            let (normalized, first) = normalize_references(&args).unwrap();
            assert_eq!(first.as_deref(), Some(guid));
            assert_eq!(
                normalized.get(1).unwrap(),
                cancellation_reference(p, guid).unwrap()
            );
        }
        let text = cancellation_reference(Protocol::Json, guid).unwrap();
        assert_eq!(
            text.as_bytes(),
            format!(r#"{{"__type":"cancellationToken","Id":"{guid}"}}"#).as_bytes()
        );
    }
}
