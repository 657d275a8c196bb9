//! Malformed input gives a typed error that says what was wrong (with ASP.NET Core's
//! wording where it has one) and never a panic.

#![allow(clippy::unwrap_used, clippy::panic)]

use signalr_protocol::{BindError, FrameReader, HubMessage, Protocol, ProtocolError};

fn json_err(frame: &str) -> ProtocolError {
    Protocol::Json
        .decode_frame(frame.as_bytes())
        .expect_err(frame)
}

#[test]
fn json_missing_and_mistyped_properties_use_aspnet_texts() {
    for (frame, text) in [
        (
            r#"{"target":"x","arguments":[]}"#,
            "Missing required property 'type'.",
        ),
        (
            r#"{"type":1,"arguments":[]}"#,
            "Missing required property 'target'.",
        ),
        (
            r#"{"type":1,"target":"x"}"#,
            "Missing required property 'arguments'.",
        ),
        (
            r#"{"type":4,"target":"x","arguments":[]}"#,
            "Missing required property 'invocationId'.",
        ),
        (
            r#"{"type":2,"invocationId":"1"}"#,
            "Missing required property 'item'.",
        ),
        (r#"{"type":3}"#, "Missing required property 'invocationId'."),
        (r#"{"type":8}"#, "Missing required property 'sequenceId'."),
        (r#"{"type":"1"}"#, "Expected 'type' to be of type Number."),
        (r#"{"type":1.5}"#, "Expected 'type' to be of type Number."),
        (
            r#"{"type":1,"target":7,"arguments":[]}"#,
            "Expected 'target' to be of type String.",
        ),
        (
            r#"{"type":1,"target":"x","arguments":{}}"#,
            "Expected 'arguments' to be of type Array.",
        ),
        (
            r#"{"type":1,"target":"x","arguments":[],"streamIds":null}"#,
            "Null value for 'streamIds' is not valid.",
        ),
        (
            r#"{"type":1,"target":"x","arguments":[],"headers":[]}"#,
            "Expected 'headers' to be of type StartObject.",
        ),
        (
            r#"{"type":7,"allowReconnect":"yes"}"#,
            "Expected 'allowReconnect' to be of type Boolean.",
        ),
        (
            r#"{"type":3,"invocationId":"1","result":1,"error":"e"}"#,
            "The 'error' and 'result' properties are mutually exclusive.",
        ),
    ] {
        assert_eq!(json_err(frame).to_string(), text, "{frame}");
    }
}

#[test]
fn json_syntax_errors_say_where() {
    for (frame, offset) in [
        (r#"{"type":1,"target":"x","arguments":[1,]}"#, 38),
        (r#"{"type":1 "target":"x"}"#, 10),
        (r#"[1,2]"#, 0),
        (r#"{"type":6} x"#, 11),
        (r#"{"type":6"#, 9),
        ("", 0),
    ] {
        let e = json_err(frame);
        let at = match e {
            ProtocolError::InvalidJson { offset, .. } | ProtocolError::TrailingData { offset } => {
                offset.0
            }
            other => panic!("{frame}: {other:?}"),
        };
        assert_eq!(at, offset, "{frame}: {e}");
    }
    assert!(matches!(
        Protocol::Json.decode_frame(b"{\"type\":1,\"target\":\"\xff\",\"arguments\":[]}"),
        Err(ProtocolError::InvalidUtf8 { .. })
    ));
    assert!(matches!(
        Protocol::Json.decode_frame(b"{\"type\":1,\"target\":\"x\",\"arguments\":[\"\xc3\"]}"),
        Err(ProtocolError::InvalidUtf8 { .. })
    ));
    // Deep nesting is an error, not a stack overflow.
    let deep = format!(
        r#"{{"type":1,"target":"x","arguments":{}{}}}"#,
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    assert!(matches!(
        json_err(&deep),
        ProtocolError::DepthExceeded { .. }
    ));
}

#[test]
fn unknown_message_types_are_reported_as_ignorable() {
    let e = json_err(r#"{"type":42}"#);
    assert_eq!(e, ProtocolError::UnknownMessageType(42));
    assert!(e.is_ignorable());
    let e = Protocol::MessagePack
        .decode_frame(&[0x91, 0x2a])
        .expect_err("type 42");
    assert!(e.is_ignorable());
    assert!(!json_err(r#"{"type":"x"}"#).is_ignorable());
}

#[test]
fn unknown_json_properties_are_ignored() {
    let m = Protocol::Json
        .decode_frame(br#"{"future":{"a":[1,2,{"b":null}]},"type":6,"also":"x"}"#)
        .expect("decodes");
    assert_eq!(m, HubMessage::Ping);
}

#[test]
fn messagepack_errors_use_aspnet_texts() {
    let p = Protocol::MessagePack;
    for (body, text) in [
        (
            &[0x95, 0x01, 0x80, 0xc0, 0xc0, 0x90][..],
            "Null or empty target for Invocation message.",
        ),
        (
            &[0x95, 0x01, 0x80, 0xc0, 0x07, 0x90][..],
            "Reading 'target' as String failed.",
        ),
        (
            &[0x95, 0x01, 0x80, 0xc0, 0xa1, b'x', 0x80][..],
            "Reading 'arguments' as Array failed.",
        ),
        (
            &[0x94, 0x02, 0x80, 0xc0, 0x01][..],
            "Null or empty invocation ID for StreamItem message.",
        ),
        (
            &[0x95, 0x03, 0x80, 0xa1, b'1', 0x09, 0x01][..],
            "Invalid invocation result kind.",
        ),
        (
            &[0x93, 0x05, 0x90, 0xa1, b'1'][..],
            "Reading 'headers' as Map failed.",
        ),
        (
            &[0x91, 0xa1, b'1'][..],
            "Reading 'messageType' as Int32 failed.",
        ),
        (
            &[0x92, 0x01, 0x80][..],
            "Invalid message: a Invocation message needs at least 5 elements, found 2.",
        ),
        (
            &[0x81, 0x01, 0x02][..],
            "Reading 'message' as Array failed.",
        ),
    ] {
        assert_eq!(
            p.decode_frame(body).expect_err("malformed").to_string(),
            text,
            "{body:02x?}"
        );
    }
    // Truncated and trailing data.
    assert!(matches!(
        p.decode_frame(&[0x94, 0x02, 0x80, 0xa1]),
        Err(ProtocolError::InvalidMessagePack { .. })
    ));
    assert!(matches!(
        p.decode_frame(&[0x91, 0x06, 0x00]),
        Err(ProtocolError::TrailingData { .. })
    ));
    // A collection claiming four billion elements in a few bytes allocates nothing.
    assert!(
        p.decode_frame(&[
            0x95, 0x01, 0x80, 0xc0, 0xa1, b'x', 0xdd, 0xff, 0xff, 0xff, 0xff
        ])
        .is_err()
    );
}

#[test]
fn messagepack_peers_may_append_elements() {
    // A newer peer's extra trailing elements are skipped.
    let m = Protocol::MessagePack
        .decode_frame(&[0x94, 0x05, 0x80, 0xa1, b'1', 0xc3])
        .expect("decodes");
    assert!(matches!(m, HubMessage::CancelInvocation(_)));
}

#[test]
fn binding_reports_count_and_the_failing_argument() {
    let HubMessage::Invocation(inv) = Protocol::Json
        .decode_frame(br#"{"type":1,"target":"Add","arguments":[1,"two"]}"#)
        .expect("decodes")
    else {
        panic!("not an invocation")
    };
    assert_eq!(
        inv.arguments.binder(3).expect_err("count").to_string(),
        "Invocation provides 2 argument(s) but target expects 3."
    );
    let mut b = inv.arguments.binder(2).expect("count matches");
    assert_eq!(b.next_arg::<i32>(), Ok(1));
    match b.next_arg::<i32>() {
        Err(BindError::Argument { index: 1, message }) => {
            assert!(message.contains("invalid type"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn oversized_messages_close_before_buffering() {
    for p in Protocol::ALL {
        let mut r = FrameReader::new(p, Some(32 * 1024));
        let big = vec![b'a'; 40 * 1024];
        let mut prefix = Vec::new();
        if p == Protocol::MessagePack {
            prefix.extend_from_slice(&[0x80, 0xc0, 0x02]); // 40960
        }
        prefix.extend_from_slice(&big);
        let err = r
            .push(&prefix, |_| Ok::<_, ProtocolError>(()))
            .expect_err("too large");
        assert_eq!(
            err.to_string(),
            "The maximum message size of 32768B was exceeded. The message size can be configured with the maximum receive message size option."
        );
        assert!(r.buffered() < 32 * 1024);
    }
}

#[test]
fn messagepack_upload_invocation_without_its_id_slot_is_read_by_its_stream_id() {
    // signalrcore writes [1, {}, "Sum", [], ["s1"]]: no invocation id element.
    let body = [
        0x95, 0x01, 0x80, 0xa3, b'S', b'u', b'm', 0x90, 0x91, 0xa2, b's', b'1',
    ];
    match signalr_protocol::Protocol::MessagePack
        .decode_frame(&body)
        .unwrap()
    {
        HubMessage::Invocation(inv) => {
            assert_eq!(inv.target, "Sum");
            assert_eq!(inv.invocation_id.as_deref(), Some("s1"));
            assert_eq!(inv.stream_ids.unwrap(), ["s1"]);
            assert!(inv.arguments.is_empty());
        }
        other => panic!("not an invocation: {other:?}"),
    }
    // Its upload completion has no result kind either: [3, {}, "s1"] is a void Completion.
    match Protocol::MessagePack
        .decode_frame(&[0x93, 0x03, 0x80, 0xa2, b's', b'1'])
        .unwrap()
    {
        HubMessage::Completion(c) => {
            assert_eq!(c.invocation_id, "s1");
            assert!(matches!(c.result, signalr_protocol::CompletionResult::Void));
        }
        other => panic!("not a completion: {other:?}"),
    }
    // The five-element form with an id and a target is read as always: no stream ids.
    let body = [0x95, 0x01, 0x80, 0xa1, b'7', 0xa3, b'A', b'd', b'd', 0x90];
    match Protocol::MessagePack.decode_frame(&body).unwrap() {
        HubMessage::Invocation(inv) => {
            assert_eq!(inv.invocation_id.as_deref(), Some("7"));
            assert_eq!(inv.target, "Add");
            assert!(inv.stream_ids.is_none());
        }
        other => panic!("not an invocation: {other:?}"),
    }
}
