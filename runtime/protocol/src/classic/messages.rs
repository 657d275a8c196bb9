//! The messages of classic ASP.NET SignalR 2.x hubs, all JSON: a client's hub call
//! (`H`, `M`, `A`, `I`, `S`), the server's response (`S`, `R`, `I`, `H`, `E`, `T`, `D`) and
//! progress (`P`), a server-to-client call (an element of `M`), and the persistent response
//! that carries those (`C`, `S`, `T`, `G`, `L`, `M`). Keys are written in the order the
//! classic server writes them.

use std::borrow::Cow;

use super::object::{self, members};
use crate::error::ProtocolError;
use crate::json::write_str;
use crate::payload::{Arguments, Payload};
use crate::protocol::Protocol;

/// The longest caller state a hub call may carry, in bytes of JSON text (the classic
/// server's limit).
pub const MAX_STATE_LENGTH: usize = 4096;

/// The error a hub call whose state is longer than [`MAX_STATE_LENGTH`] fails with.
pub const STATE_TOO_LONG: &str = "State has exceeded the maximum length of 4096 bytes.";

fn missing(name: &'static str) -> ProtocolError {
    ProtocolError::MissingProperty { name }
}

fn push_key(out: &mut Vec<u8>, first: &mut bool, key: &str) {
    if !*first {
        out.push(b',');
    }
    *first = false;
    write_str(out, key);
    out.push(b':');
}

/// An id as the classic clients write it: a number when it is one (the JavaScript client
/// counts from 0), a string otherwise.
fn write_id(out: &mut Vec<u8>, id: &str) {
    if !id.is_empty() && id.len() <= 15 && id.bytes().all(|b| b.is_ascii_digit()) {
        out.extend_from_slice(id.as_bytes());
    } else {
        write_str(out, id);
    }
}

/// A hub method call from a client: `{"H":"chathub","M":"Send","A":["bob","hi"],"I":0}`,
/// with the caller's state in `S` when it has any.
#[derive(Debug, Clone)]
pub struct HubRequest<'a> {
    /// The hub, as the client names it (matched case-insensitively).
    pub hub: Cow<'a, str>,
    /// The method, as the client names it (matched case-insensitively).
    pub method: Cow<'a, str>,
    /// The arguments (JSON).
    pub arguments: Arguments<'a>,
    /// The callback id the response carries back (a number or a string on the wire).
    pub id: Option<Cow<'a, str>>,
    /// The caller's state, an object.
    pub state: Option<Payload<'a>>,
}

impl<'a> HubRequest<'a> {
    /// Decodes a call. A call without `H` or `M`, with `A` not an array or `S` not an
    /// object, or that is not JSON, is an error.
    pub fn parse(text: &'a [u8]) -> Result<Self, ProtocolError> {
        let (mut hub, mut method, mut arguments, mut id, mut state) =
            (None, None, None, None, None);
        for (key, raw) in members(text)? {
            match key.as_ref() {
                "H" => hub = object::string(raw, "H")?,
                "M" => method = object::string(raw, "M")?,
                "A" => arguments = object::arguments(raw, "A")?,
                "I" => id = object::id(raw, "I")?,
                "S" => state = object::object(raw, "S")?,
                _ => {}
            }
        }
        Ok(HubRequest {
            hub: hub.ok_or_else(|| missing("H"))?,
            method: method.ok_or_else(|| missing("M"))?,
            arguments: arguments.unwrap_or_else(|| Arguments::empty(Protocol::Json)),
            id,
            state,
        })
    }

    /// Whether the state is longer than the classic server accepts.
    pub fn state_too_long(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.as_bytes().len() > MAX_STATE_LENGTH)
    }

    /// The call as a client sends it.
    pub fn to_json(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::with_capacity(32 + self.arguments.raw_array().len());
        out.push(b'{');
        let mut first = true;
        push_key(&mut out, &mut first, "H");
        write_str(&mut out, &self.hub);
        push_key(&mut out, &mut first, "M");
        write_str(&mut out, &self.method);
        push_key(&mut out, &mut first, "A");
        out.extend_from_slice(self.arguments.array_for(Protocol::Json)?);
        if let Some(id) = &self.id {
            push_key(&mut out, &mut first, "I");
            write_id(&mut out, id);
        }
        if let Some(state) = &self.state {
            push_key(&mut out, &mut first, "S");
            out.extend_from_slice(state.bytes_for(Protocol::Json)?);
        }
        out.push(b'}');
        Ok(out)
    }
}

/// The error of a hub response.
#[derive(Debug, Clone, Default)]
pub struct ResponseError<'a> {
    /// The text (`E`).
    pub message: Cow<'a, str>,
    /// Whether the hub method threw a hub exception (`H`): its text is meant for the
    /// caller.
    pub hub_exception: bool,
    /// A stack trace, when the server is debugging (`T`).
    pub stack_trace: Option<Cow<'a, str>>,
    /// The hub exception's data (`D`).
    pub data: Option<Payload<'a>>,
}

/// The server's answer to a hub call: `{"I":"0"}`, `{"R":"pong","I":"0"}`,
/// `{"S":{"count":3},"R":true,"I":"1"}`, `{"I":"0","E":"..."}`.
#[derive(Debug, Clone, Default)]
pub struct HubResponse<'a> {
    /// The caller state's changes (`S`).
    pub state: Option<Payload<'a>>,
    /// The result (`R`; absent for a void method or a null result).
    pub result: Option<Payload<'a>>,
    /// The call's callback id (`I`, written as a string).
    pub id: Option<Cow<'a, str>>,
    /// The error, if the call failed.
    pub error: Option<ResponseError<'a>>,
}

impl HubResponse<'_> {
    /// The response as the classic server writes it (keys `S`, `R`, `I`, `H`, `E`, `T`,
    /// `D`, absent ones left out).
    pub fn to_json(&self) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::with_capacity(64);
        out.push(b'{');
        let mut first = true;
        if let Some(state) = &self.state {
            push_key(&mut out, &mut first, "S");
            out.extend_from_slice(state.bytes_for(Protocol::Json)?);
        }
        if let Some(result) = &self.result {
            push_key(&mut out, &mut first, "R");
            out.extend_from_slice(result.bytes_for(Protocol::Json)?);
        }
        if let Some(id) = &self.id {
            push_key(&mut out, &mut first, "I");
            write_str(&mut out, id);
        }
        if let Some(e) = &self.error {
            if e.hub_exception {
                push_key(&mut out, &mut first, "H");
                out.extend_from_slice(b"true");
            }
            push_key(&mut out, &mut first, "E");
            write_str(&mut out, &e.message);
            if let Some(t) = &e.stack_trace {
                push_key(&mut out, &mut first, "T");
                write_str(&mut out, t);
            }
            if let Some(d) = &e.data {
                push_key(&mut out, &mut first, "D");
                out.extend_from_slice(d.bytes_for(Protocol::Json)?);
            }
        }
        out.push(b'}');
        Ok(out)
    }
}

/// A progress report of a running hub call: `{"I":"P|4","P":{"I":"4","D":50}}`.
#[derive(Debug, Clone)]
pub struct HubProgress<'a> {
    /// The call's callback id.
    pub id: Cow<'a, str>,
    /// The reported value.
    pub data: Payload<'a>,
}

impl HubProgress<'_> {
    /// The report as the classic server writes it.
    pub fn to_json(&self) -> Result<Vec<u8>, ProtocolError> {
        let data = self.data.bytes_for(Protocol::Json)?;
        let mut out = Vec::with_capacity(32 + data.len());
        out.extend_from_slice(b"{\"I\":");
        write_str(&mut out, &format!("P|{}", self.id));
        out.extend_from_slice(b",\"P\":{\"I\":");
        write_str(&mut out, &self.id);
        out.extend_from_slice(b",\"D\":");
        out.extend_from_slice(data);
        out.extend_from_slice(b"}}");
        Ok(out)
    }
}

/// A call of a client method by the server, an element of a persistent response's `M`:
/// `{"H":"ChatHub","M":"addMessage","A":["bob","hi"]}`.
#[derive(Debug, Clone)]
pub struct ClientInvocation<'a> {
    /// The hub's name.
    pub hub: Cow<'a, str>,
    /// The client method (matched case-insensitively by the clients).
    pub method: Cow<'a, str>,
    /// The arguments (JSON).
    pub arguments: Arguments<'a>,
    /// The caller state's changes, on a call of the caller.
    pub state: Option<Payload<'a>>,
}

impl ClientInvocation<'_> {
    /// The call as the classic server writes it.
    pub fn to_json(&self) -> Result<Vec<u8>, ProtocolError> {
        let args = self.arguments.array_for(Protocol::Json)?;
        let mut out = Vec::with_capacity(32 + args.len());
        out.extend_from_slice(b"{\"H\":");
        write_str(&mut out, &self.hub);
        out.extend_from_slice(b",\"M\":");
        write_str(&mut out, &self.method);
        out.extend_from_slice(b",\"A\":");
        out.extend_from_slice(args);
        if let Some(state) = &self.state {
            out.extend_from_slice(b",\"S\":");
            out.extend_from_slice(state.bytes_for(Protocol::Json)?);
        }
        out.push(b'}');
        Ok(out)
    }
}

/// What one element of a persistent response's `M` (or a message on its own) is.
#[derive(Debug, Clone)]
pub enum HubMessage<'a> {
    /// The server calls a client method.
    Invocation(ClientInvocation<'a>),
    /// A running call reports progress.
    Progress(HubProgress<'a>),
    /// A call's response.
    Response(HubResponse<'a>),
}

impl<'a> HubMessage<'a> {
    /// Decodes a message: progress when it has `P`, a response when it has `I`, a client
    /// method call when it has `H` and `M`.
    pub fn parse(text: &'a [u8]) -> Result<Self, ProtocolError> {
        let fields = members(text)?;
        let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
        if let Some(p) = get("P") {
            let inner = members(p)?;
            let inner_get = |name: &str| inner.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
            let id = inner_get("I")
                .map(|raw| object::id(raw, "I"))
                .transpose()?
                .flatten()
                .ok_or_else(|| missing("I"))?;
            let data = inner_get("D").map_or_else(
                || Payload::from_raw(Protocol::Json, &b"null"[..]),
                object::value,
            );
            return Ok(HubMessage::Progress(HubProgress { id, data }));
        }
        if let Some(i) = get("I") {
            let error = match get("E").map(|raw| object::string(raw, "E")).transpose()? {
                Some(Some(message)) => Some(ResponseError {
                    message,
                    hub_exception: get("H").is_some_and(object::flag),
                    stack_trace: get("T")
                        .map(|raw| object::string(raw, "T"))
                        .transpose()?
                        .flatten(),
                    data: get("D").filter(|d| *d != b"null").map(object::value),
                }),
                _ => None,
            };
            return Ok(HubMessage::Response(HubResponse {
                state: get("S")
                    .map(|raw| object::object(raw, "S"))
                    .transpose()?
                    .flatten(),
                result: get("R").filter(|r| *r != b"null").map(object::value),
                id: object::id(i, "I")?,
                error,
            }));
        }
        let hub = get("H")
            .map(|raw| object::string(raw, "H"))
            .transpose()?
            .flatten()
            .ok_or_else(|| missing("H"))?;
        let method = get("M")
            .map(|raw| object::string(raw, "M"))
            .transpose()?
            .flatten()
            .ok_or_else(|| missing("M"))?;
        let arguments = get("A")
            .map(|raw| object::arguments(raw, "A"))
            .transpose()?
            .flatten()
            .unwrap_or_else(|| Arguments::empty(Protocol::Json));
        let state = get("S")
            .map(|raw| object::object(raw, "S"))
            .transpose()?
            .flatten();
        Ok(HubMessage::Invocation(ClientInvocation {
            hub,
            method,
            arguments,
            state,
        }))
    }
}

/// The head of a persistent response: everything but its messages.
#[derive(Debug, Clone, Default)]
pub struct ResponseHead<'a> {
    /// The cursor after the response's messages (`C`): where a reconnect resumes.
    pub cursor: Option<Cow<'a, str>>,
    /// The answer to a connect request (`S`): the client may now start.
    pub initialized: bool,
    /// The server is shutting down (`T`): reconnect.
    pub reconnect: bool,
    /// The new groups token, when the connection's groups changed (`G`).
    pub groups_token: Option<Cow<'a, str>>,
    /// How long a long-polling client waits before its next poll, in milliseconds (`L`).
    pub long_poll_delay: Option<u64>,
    /// The connection was ended by the server (`D`, written by 1.x servers only).
    pub disconnect: bool,
    /// An error that ends the connection (`E`).
    pub error: Option<Cow<'a, str>>,
}

impl ResponseHead<'_> {
    /// The persistent response with `messages` (each one JSON value, already encoded), as
    /// the classic server writes it: `{"C":"...","S":1,"M":[]}`.
    pub fn encode<'m>(&self, messages: impl IntoIterator<Item = &'m [u8]>) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.push(b'{');
        let mut first = true;
        if let Some(c) = &self.cursor {
            push_key(&mut out, &mut first, "C");
            write_str(&mut out, c);
        }
        if self.disconnect {
            push_key(&mut out, &mut first, "D");
            out.push(b'1');
        }
        if self.initialized {
            push_key(&mut out, &mut first, "S");
            out.push(b'1');
        }
        if self.reconnect {
            push_key(&mut out, &mut first, "T");
            out.push(b'1');
        }
        if let Some(g) = &self.groups_token {
            push_key(&mut out, &mut first, "G");
            write_str(&mut out, g);
        }
        if let Some(l) = self.long_poll_delay {
            push_key(&mut out, &mut first, "L");
            out.extend_from_slice(l.to_string().as_bytes());
        }
        if let Some(e) = &self.error {
            push_key(&mut out, &mut first, "E");
            write_str(&mut out, e);
        }
        push_key(&mut out, &mut first, "M");
        out.push(b'[');
        for (i, m) in messages.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(m);
        }
        out.extend_from_slice(b"]}");
        out
    }
}

/// What a classic transport delivers: a keep-alive (`{}`), a persistent response, or (over
/// WebSockets) a hub call's response on its own.
#[derive(Debug, Clone)]
pub enum Received<'a> {
    /// `{}`: the server is alive.
    KeepAlive,
    /// A persistent response: its head and messages.
    Persistent(ResponseHead<'a>, Vec<Payload<'a>>),
    /// A message outside a persistent response (a response or progress, over WebSockets).
    Message(HubMessage<'a>),
}

impl<'a> Received<'a> {
    /// Decodes what a transport delivered.
    pub fn parse(text: &'a [u8]) -> Result<Self, ProtocolError> {
        let fields = members(text)?;
        if fields.is_empty() {
            return Ok(Received::KeepAlive);
        }
        let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
        if get("I").is_some() || get("P").is_some() {
            return Ok(Received::Message(HubMessage::parse(text)?));
        }
        let head = ResponseHead {
            cursor: get("C")
                .map(|raw| object::string(raw, "C"))
                .transpose()?
                .flatten(),
            initialized: get("S").is_some_and(object::flag),
            reconnect: get("T").is_some_and(object::flag),
            groups_token: get("G")
                .map(|raw| object::string(raw, "G"))
                .transpose()?
                .flatten(),
            long_poll_delay: get("L")
                .and_then(|raw| std::str::from_utf8(raw).ok())
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|l| l.is_finite() && *l >= 0.0)
                // Saturating: a delay past u64 is a delay forever anyway.
                .map(|l| l as u64),
            disconnect: get("D").is_some_and(object::flag),
            error: get("E")
                .map(|raw| object::string(raw, "E"))
                .transpose()?
                .flatten(),
        };
        let messages = match get("M") {
            Some(raw) => object::elements(raw, "M")?,
            None => Vec::new(),
        };
        Ok(Received::Persistent(head, messages))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    #[test]
    fn a_call_round_trips_with_a_numeric_id_and_state() {
        let text =
            br#"{"H":"chathub","M":"Send","A":["bob",{"x":[1,2]}],"I":0,"S":{"name":"bob"}}"#;
        let call = HubRequest::parse(text).unwrap();
        assert_eq!(
            (call.hub.as_ref(), call.method.as_ref()),
            ("chathub", "Send")
        );
        assert_eq!(call.arguments.len(), 2);
        assert_eq!(call.id.as_deref(), Some("0"));
        assert_eq!(
            call.state.as_ref().unwrap().as_bytes(),
            br#"{"name":"bob"}"#
        );
        assert_eq!(call.to_json().unwrap(), text);
        let call = HubRequest::parse(br#"{"I":"7","M":"m","H":"h"}"#).unwrap();
        assert_eq!(call.arguments.len(), 0);
        assert_eq!(call.id.as_deref(), Some("7"));
    }

    #[test]
    fn bad_calls_say_what_is_wrong() {
        for (text, expected) in [
            (&br#"{"M":"m"}"#[..], "Missing required property 'H'."),
            (
                br#"{"H":"h","M":"m","A":{}}"#,
                "Expected 'A' to be of type Array.",
            ),
            (
                br#"{"H":"h","M":"m","S":[1]}"#,
                "Expected 'S' to be of type Object.",
            ),
            (br#"{"H":1,"M":"m"}"#, "Expected 'H' to be of type String."),
        ] {
            assert_eq!(HubRequest::parse(text).unwrap_err().to_string(), expected);
        }
        assert!(HubRequest::parse(b"data").is_err());
        assert!(HubRequest::parse(br#"{"H":"h","M":"m"} x"#).is_err());
        assert!(HubRequest::parse(br#"{"H":"h","M":"m","A":[1,]}"#).is_err());
    }

    #[test]
    fn responses_are_written_in_the_classic_order() {
        let r = HubResponse {
            state: Some(Payload::json(r#"{"count":3}"#).unwrap()),
            result: Some(Payload::json("true").unwrap()),
            id: Some("1".into()),
            error: None,
        };
        assert_eq!(
            r.to_json().unwrap(),
            br#"{"S":{"count":3},"R":true,"I":"1"}"#
        );
        let e = HubResponse {
            id: Some("0".into()),
            error: Some(ResponseError {
                message: "Room is full".into(),
                hub_exception: true,
                stack_trace: None,
                data: Some(Payload::json(r#"{"max":10}"#).unwrap()),
            }),
            ..HubResponse::default()
        };
        let text = e.to_json().unwrap();
        assert_eq!(
            text,
            br#"{"I":"0","H":true,"E":"Room is full","D":{"max":10}}"#
        );
        let HubMessage::Response(back) = HubMessage::parse(&text).unwrap() else {
            panic!("not a response");
        };
        let err = back.error.unwrap();
        assert!(err.hub_exception);
        assert_eq!(err.message, "Room is full");
        let p = HubProgress {
            id: "4".into(),
            data: Payload::json("50").unwrap(),
        };
        let text = p.to_json().unwrap();
        assert_eq!(text, br#"{"I":"P|4","P":{"I":"4","D":50}}"#);
        let HubMessage::Progress(back) = HubMessage::parse(&text).unwrap() else {
            panic!("not progress");
        };
        assert_eq!((back.id.as_ref(), back.data.as_bytes()), ("4", &b"50"[..]));
    }

    #[test]
    fn persistent_responses_carry_their_messages_raw() {
        let call = ClientInvocation {
            hub: "ChatHub".into(),
            method: "addMessage".into(),
            arguments: Arguments::from_payloads(
                Protocol::Json,
                [&Payload::json(r#""bob""#).unwrap()],
            )
            .unwrap(),
            state: None,
        }
        .to_json()
        .unwrap();
        assert_eq!(call, br#"{"H":"ChatHub","M":"addMessage","A":["bob"]}"#);
        let head = ResponseHead {
            cursor: Some("d-1-A,1F".into()),
            initialized: true,
            groups_token: Some("tok".into()),
            ..ResponseHead::default()
        };
        let text = head.encode([call.as_slice()]);
        assert_eq!(
            text,
            br#"{"C":"d-1-A,1F","S":1,"G":"tok","M":[{"H":"ChatHub","M":"addMessage","A":["bob"]}]}"#
        );
        let Received::Persistent(back, messages) = Received::parse(&text).unwrap() else {
            panic!("not a persistent response");
        };
        assert!(back.initialized && !back.reconnect);
        assert_eq!(back.cursor.as_deref(), Some("d-1-A,1F"));
        assert_eq!(messages.len(), 1);
        let HubMessage::Invocation(inv) = HubMessage::parse(messages[0].as_bytes()).unwrap() else {
            panic!("not an invocation");
        };
        assert_eq!(inv.method, "addMessage");
        assert!(matches!(
            Received::parse(b" {} ").unwrap(),
            Received::KeepAlive
        ));
        assert!(matches!(
            Received::parse(br#"{"I":"3"}"#).unwrap(),
            Received::Message(HubMessage::Response(_))
        ));
    }
}
