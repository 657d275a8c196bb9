//! Every example of the hub protocol specification, byte for byte, in both directions:
//! decoding the example gives the expected message, and encoding that message gives the
//! example's bytes.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::borrow::Cow;

use signalr_protocol::{
    Arguments, CancelInvocation, Close, Completion, CompletionResult, Headers, HubMessage,
    Invocation, Payload, Protocol, ProtocolError, StreamInvocation, StreamItem,
};

fn args(
    protocol: Protocol,
    f: impl FnOnce(&mut signalr_protocol::ArgumentsWriter),
    n: usize,
) -> Arguments<'static> {
    let mut w = Arguments::writer(protocol, n);
    f(&mut w);
    w.finish()
}

fn send_args(protocol: Protocol) -> Arguments<'static> {
    args(
        protocol,
        |w| {
            w.push(&42).unwrap();
            w.push("Test Message").unwrap();
        },
        2,
    )
}

fn forty_two(protocol: Protocol) -> Payload<'static> {
    Payload::serialize(protocol, &42).unwrap()
}

fn invocation(
    id: Option<&'static str>,
    target: &'static str,
    arguments: Arguments<'static>,
) -> Invocation<'static> {
    Invocation {
        headers: Headers::new(),
        invocation_id: id.map(Cow::Borrowed),
        target: Cow::Borrowed(target),
        arguments,
        stream_ids: None,
    }
}

fn completion(id: &'static str, result: CompletionResult<'static>) -> HubMessage<'static> {
    HubMessage::Completion(Completion {
        headers: Headers::new(),
        invocation_id: Cow::Borrowed(id),
        result,
    })
}

/// Decodes `frame` (one message with its framing) and encodes `msg`: both must agree.
fn both_ways(protocol: Protocol, frame: &[u8], msg: &HubMessage<'_>) {
    let body = match protocol {
        Protocol::Json => {
            assert_eq!(frame.last(), Some(&0x1e), "a JSON frame ends with 0x1E");
            &frame[..frame.len() - 1]
        }
        Protocol::MessagePack => {
            assert_eq!(
                usize::from(frame[0]),
                frame.len() - 1,
                "one-byte length prefix"
            );
            &frame[1..]
        }
    };
    let decoded = protocol
        .decode_frame(body)
        .unwrap_or_else(|e| panic!("{e}: {frame:02x?}"));
    assert_eq!(&decoded, msg);
    assert_eq!(protocol.to_frame(msg).unwrap(), frame);
}

fn json(text: &str) -> Vec<u8> {
    let mut v = text.as_bytes().to_vec();
    v.push(0x1e);
    v
}

fn mp(body: &[u8]) -> Vec<u8> {
    let mut v = vec![u8::try_from(body.len()).unwrap()];
    v.extend_from_slice(body);
    v
}

const XYZ: [u8; 4] = [0xa3, b'x', b'y', b'z'];
const METHOD: [u8; 7] = [0xa6, b'm', b'e', b't', b'h', b'o', b'd'];

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn json_invocation_examples() {
    let p = Protocol::Json;
    both_ways(
        p,
        &json(r#"{"type":1,"invocationId":"123","target":"Send","arguments":[42,"Test Message"]}"#),
        &HubMessage::Invocation(invocation(Some("123"), "Send", send_args(p))),
    );
    both_ways(
        p,
        &json(r#"{"type":1,"target":"Send","arguments":[42,"Test Message"]}"#),
        &HubMessage::Invocation(invocation(None, "Send", send_args(p))),
    );
    let mut with_stream = invocation(Some("123"), "Send", args(p, |w| w.push(&42).unwrap(), 1));
    with_stream.stream_ids = Some(vec![Cow::Borrowed("1")]);
    both_ways(
        p,
        &json(
            r#"{"type":1,"invocationId":"123","target":"Send","arguments":[42],"streamIds":["1"]}"#,
        ),
        &HubMessage::Invocation(with_stream),
    );
    let mut with_headers = invocation(Some("123"), "Send", send_args(p));
    with_headers.headers.insert("Foo", "Bar");
    both_ways(
        p,
        &json(
            r#"{"type":1,"headers":{"Foo":"Bar"},"invocationId":"123","target":"Send","arguments":[42,"Test Message"]}"#,
        ),
        &HubMessage::Invocation(with_headers),
    );
}

#[test]
fn json_stream_invocation_and_item_examples() {
    let p = Protocol::Json;
    both_ways(
        p,
        &json(r#"{"type":4,"invocationId":"123","target":"Send","arguments":[42,"Test Message"]}"#),
        &HubMessage::StreamInvocation(StreamInvocation {
            headers: Headers::new(),
            invocation_id: "123".into(),
            target: "Send".into(),
            arguments: send_args(p),
            stream_ids: None,
        }),
    );
    both_ways(
        p,
        &json(r#"{"type":2,"invocationId":"123","item":42}"#),
        &HubMessage::StreamItem(StreamItem {
            headers: Headers::new(),
            invocation_id: "123".into(),
            item: forty_two(p),
        }),
    );
}

#[test]
fn json_completion_examples() {
    let p = Protocol::Json;
    both_ways(
        p,
        &json(r#"{"type":3,"invocationId":"123"}"#),
        &completion("123", CompletionResult::Void),
    );
    both_ways(
        p,
        &json(r#"{"type":3,"invocationId":"123","result":42}"#),
        &completion("123", CompletionResult::Value(forty_two(p))),
    );
    both_ways(
        p,
        &json(r#"{"type":3,"invocationId":"123","error":"It didn't work!"}"#),
        &completion("123", CompletionResult::Error("It didn't work!".into())),
    );
    // Both a result and an error: a protocol error.
    assert_eq!(
        p.decode_frame(br#"{"type":3,"invocationId":"123","result":42,"error":"It didn't work!"}"#),
        Err(ProtocolError::ResultAndError)
    );
}

#[test]
fn json_cancel_ping_close_examples() {
    let p = Protocol::Json;
    both_ways(
        p,
        &json(r#"{"type":5,"invocationId":"123"}"#),
        &HubMessage::CancelInvocation(CancelInvocation {
            headers: Headers::new(),
            invocation_id: "123".into(),
        }),
    );
    both_ways(p, &json(r#"{"type":6}"#), &HubMessage::Ping);
    both_ways(
        p,
        &json(r#"{"type":7}"#),
        &HubMessage::Close(Close::default()),
    );
    both_ways(
        p,
        &json(r#"{"type":7,"error":"Connection closed because of an error!"}"#),
        &HubMessage::Close(Close {
            error: Some("Connection closed because of an error!".into()),
            allow_reconnect: false,
        }),
    );
    both_ways(
        p,
        &json(
            r#"{"type":7,"error":"Connection closed because of an error!","allowReconnect":true}"#,
        ),
        &HubMessage::Close(Close {
            error: Some("Connection closed because of an error!".into()),
            allow_reconnect: true,
        }),
    );
}

#[test]
fn json_ack_and_sequence_examples() {
    let p = Protocol::Json;
    both_ways(
        p,
        &json(r#"{"type":8,"sequenceId":1394}"#),
        &HubMessage::Ack { sequence_id: 1394 },
    );
    both_ways(
        p,
        &json(r#"{"type":9,"sequenceId":1234}"#),
        &HubMessage::Sequence { sequence_id: 1234 },
    );
}

#[test]
fn json_examples_as_printed_in_the_specification_decode_too() {
    // The specification prints its examples indented; whitespace is insignificant.
    let pretty = "{\n    \"type\": 1,\n    \"headers\": {\n        \"Foo\": \"Bar\"\n    },\n    \"invocationId\": \"123\",\n    \"target\": \"Send\",\n    \"arguments\": [\n        42,\n        \"Test Message\"\n    ]\n}";
    let HubMessage::Invocation(inv) = Protocol::Json.decode_frame(pretty.as_bytes()).unwrap()
    else {
        panic!("not an invocation");
    };
    assert_eq!(inv.headers.get("Foo"), Some("Bar"));
    assert_eq!(inv.invocation_id.as_deref(), Some("123"));
    assert_eq!(inv.target, "Send");
    let mut b = inv.arguments.binder(2).unwrap();
    assert_eq!(b.next_arg::<i32>().unwrap(), 42);
    assert_eq!(b.next_arg::<String>().unwrap(), "Test Message");
    let pretty_close = "{\n    \"type\": 7,\n    \"error\": \"Connection closed because of an error!\",\n    \"allowReconnect\": true\n}";
    assert_eq!(
        Protocol::Json
            .decode_frame(pretty_close.as_bytes())
            .unwrap(),
        HubMessage::Close(Close {
            error: Some("Connection closed because of an error!".into()),
            allow_reconnect: true
        })
    );
}

#[test]
fn messagepack_invocation_examples() {
    let p = Protocol::MessagePack;
    let one_arg = || args(p, |w| w.push(&42).unwrap(), 1);
    let mut inv = invocation(Some("xyz"), "method", one_arg());
    inv.stream_ids = Some(vec![]);
    both_ways(
        p,
        &mp(&cat(&[
            &[0x96, 0x01, 0x80],
            &XYZ,
            &METHOD,
            &[0x91, 0x2a, 0x90],
        ])),
        &HubMessage::Invocation(inv.clone()),
    );
    let mut non_blocking = invocation(None, "method", one_arg());
    non_blocking.stream_ids = Some(vec![]);
    both_ways(
        p,
        &mp(&cat(&[
            &[0x96, 0x01, 0x80, 0xc0],
            &METHOD,
            &[0x91, 0x2a, 0x90],
        ])),
        &HubMessage::Invocation(non_blocking),
    );
    both_ways(
        p,
        &mp(&cat(&[
            &[0x96, 0x04, 0x80],
            &XYZ,
            &METHOD,
            &[0x91, 0x2a, 0x90],
        ])),
        &HubMessage::StreamInvocation(StreamInvocation {
            headers: Headers::new(),
            invocation_id: "xyz".into(),
            target: "method".into(),
            arguments: one_arg(),
            stream_ids: Some(vec![]),
        }),
    );
    let mut with_headers = inv;
    with_headers.headers.insert("x", "y");
    with_headers.headers.insert("z", "z");
    both_ways(
        p,
        &mp(&cat(&[
            &[
                0x96, 0x01, 0x82, 0xa1, b'x', 0xa1, b'y', 0xa1, b'z', 0xa1, b'z',
            ],
            &XYZ,
            &METHOD,
            &[0x91, 0x2a, 0x90],
        ])),
        &HubMessage::Invocation(with_headers),
    );
}

#[test]
fn messagepack_item_completion_cancel_examples() {
    let p = Protocol::MessagePack;
    both_ways(
        p,
        &mp(&cat(&[&[0x94, 0x02, 0x80], &XYZ, &[0x2a]])),
        &HubMessage::StreamItem(StreamItem {
            headers: Headers::new(),
            invocation_id: "xyz".into(),
            item: forty_two(p),
        }),
    );
    both_ways(
        p,
        &mp(&cat(&[
            &[0x95, 0x03, 0x80],
            &XYZ,
            &[0x01, 0xa5, b'E', b'r', b'r', b'o', b'r'],
        ])),
        &completion("xyz", CompletionResult::Error("Error".into())),
    );
    both_ways(
        p,
        &mp(&cat(&[&[0x94, 0x03, 0x80], &XYZ, &[0x02]])),
        &completion("xyz", CompletionResult::Void),
    );
    both_ways(
        p,
        &mp(&cat(&[&[0x95, 0x03, 0x80], &XYZ, &[0x03, 0x2a]])),
        &completion("xyz", CompletionResult::Value(forty_two(p))),
    );
    both_ways(
        p,
        &mp(&cat(&[&[0x93, 0x05, 0x80], &XYZ])),
        &HubMessage::CancelInvocation(CancelInvocation {
            headers: Headers::new(),
            invocation_id: "xyz".into(),
        }),
    );
}

#[test]
fn messagepack_ping_close_ack_sequence_examples() {
    let p = Protocol::MessagePack;
    both_ways(p, &mp(&[0x91, 0x06]), &HubMessage::Ping);
    both_ways(
        p,
        &mp(&[0x92, 0x07, 0xa3, b'x', b'y', b'z']),
        &HubMessage::Close(Close {
            error: Some("xyz".into()),
            allow_reconnect: false,
        }),
    );
    both_ways(
        p,
        &mp(&[0x93, 0x07, 0xa3, b'x', b'y', b'z', 0xc3]),
        &HubMessage::Close(Close {
            error: Some("xyz".into()),
            allow_reconnect: true,
        }),
    );
    both_ways(
        p,
        &mp(&[0x92, 0x08, 0xcc, 0x24]),
        &HubMessage::Ack { sequence_id: 36 },
    );
    both_ways(
        p,
        &mp(&[0x92, 0x09, 0xcc, 0x13]),
        &HubMessage::Sequence { sequence_id: 19 },
    );
    // Any unsigned width is accepted.
    assert_eq!(
        p.decode_frame(&[0x92, 0x08, 0x24]).unwrap(),
        HubMessage::Ack { sequence_id: 36 }
    );
}

#[test]
fn messagepack_five_element_invocations_from_older_writers() {
    // The official JavaScript writer leaves out StreamIds when there are none.
    let p = Protocol::MessagePack;
    let inv = invocation(Some("xyz"), "method", args(p, |w| w.push(&42).unwrap(), 1));
    both_ways(
        p,
        &mp(&cat(&[&[0x95, 0x01, 0x80], &XYZ, &METHOD, &[0x91, 0x2a]])),
        &HubMessage::Invocation(inv),
    );
}

#[test]
fn payloads_of_the_wrong_protocol_are_refused_not_written() {
    let msg = HubMessage::Invocation(invocation(Some("1"), "Send", send_args(Protocol::Json)));
    let mut out = b"keep".to_vec();
    assert!(Protocol::MessagePack.encode(&msg, &mut out).is_err());
    assert_eq!(out, b"keep");
}
