//! Golden bytes: the test vectors of ASP.NET Core's `RedisProtocolTests` and
//! `DefaultHubMessageSerializerTests`, and the worked examples of the reference notes (derived
//! from the source), written and read back.

#![allow(clippy::unwrap_used, clippy::panic)]

use bytes::Bytes;
use signalr_protocol::{
    Completion, CompletionResult, Headers, HubMessage, IntoArguments, Invocation, Payload, Protocol,
};

use crate::channels::Channels;
use crate::messages::*;
use crate::msgpack::WireError;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// An invocation framed as the hub protocol writes it to a connection (what the server
/// serializes once per protocol).
fn framed_invocation(
    protocol: Protocol,
    id: Option<&str>,
    target: &str,
    args: &dyn IntoArguments,
) -> Vec<u8> {
    protocol
        .to_frame(&HubMessage::Invocation(Invocation {
            headers: Headers::new(),
            invocation_id: id.map(Into::into),
            target: target.into(),
            arguments: args.to_arguments(protocol).unwrap(),
            stream_ids: (protocol == Protocol::MessagePack).then(Vec::new),
        }))
        .unwrap()
}

fn both(id: Option<&str>, target: &str, args: &dyn IntoArguments) -> (Vec<u8>, Vec<u8>) {
    (
        framed_invocation(Protocol::Json, id, target, args),
        framed_invocation(Protocol::MessagePack, id, target, args),
    )
}

#[test]
fn group_commands_match_redis_protocol_tests() {
    let mut c = GroupCommand {
        id: 42,
        server: "S".into(),
        action: GroupAction::Add,
        group: "G".into(),
        connection_id: "C".into(),
    };
    let add = hex("95 2a a1 53 01 a1 47 a1 43");
    assert_eq!(write_group_command(&c), add);
    assert_eq!(read_group_command(&Bytes::from(add)).unwrap(), c);
    c.action = GroupAction::Remove;
    let remove = hex("95 2a a1 53 02 a1 47 a1 43");
    assert_eq!(write_group_command(&c), remove);
    assert_eq!(read_group_command(&Bytes::from(remove)).unwrap(), c);
}

#[test]
fn acks_match_redis_protocol_tests() {
    for (id, bytes) in [
        (0, "91 00"),
        (42, "91 2a"),
        (180, "91 cc b4"),
        (384, "91 cd 01 80"),
        (70000, "91 ce 00 01 11 70"),
    ] {
        assert_eq!(write_ack(id), hex(bytes), "{id}");
        assert_eq!(read_ack(&Bytes::from(hex(bytes))).unwrap(), id);
    }
}

#[test]
fn a_messagepack_invocation_is_framed_as_default_hub_message_serializer_tests_expect() {
    assert_eq!(
        framed_invocation(Protocol::MessagePack, None, "target", &()),
        hex("0d 96 01 80 c0 a6 74 61 72 67 65 74 90 90")
    );
}

/// Reference notes §10.1: `Clients.All.SendAsync("Send", "hi")` on hub `MyApp.ChatHub`.
#[test]
fn a_broadcast_is_the_worked_example() {
    let (json, msgpack) = both(None, "Send", &("hi",));
    assert_eq!(
        json,
        br#"{"type":1,"target":"Send","arguments":["hi"]}"#
            .iter()
            .chain(b"\x1e")
            .copied()
            .collect::<Vec<_>>()
    );
    assert_eq!(json.len(), 46);
    assert_eq!(msgpack, hex("0e 96 01 80 c0 a4 53 65 6e 64 91 a2 68 69 90"));
    let serialized = [("json", &json[..]), ("messagepack", &msgpack[..])];
    let payload = write_invocation::<&str>(&[], &serialized, None);
    let expected = hex(
        "92 90 82 a4 6a 73 6f 6e c4 2e 7b 22 74 79 70 65 22 3a 31 2c 22 74 61 72 67 65 74 22 3a 22 53 65 6e 64 22 2c
         22 61 72 67 75 6d 65 6e 74 73 22 3a 5b 22 68 69 22 5d 7d 1e ab 6d 65 73 73 61 67 65 70 61 63 6b c4 0f 0e 96
         01 80 c0 a4 53 65 6e 64 91 a2 68 69 90",
    );
    assert_eq!(payload.len(), 85);
    assert_eq!(payload, expected);
    assert_eq!(
        Channels::new("", "MyApp.ChatHub", "s").all(),
        "MyApp.ChatHub:all"
    );

    let read = read_invocation(&Bytes::from(payload)).unwrap();
    assert!(read.excluded.is_empty() && read.result.is_none());
    assert_eq!(
        read.serialized,
        [
            ("json".to_owned(), Bytes::from(json.clone())),
            ("messagepack".to_owned(), Bytes::from(msgpack.clone()))
        ]
    );

    // `Clients.AllExcept("conn1")`: the excluded list is the only difference.
    let except = write_invocation(&["conn1"], &serialized, None);
    assert_eq!(except.len(), 91);
    assert_eq!(except[..8], hex("92 91 a5 63 6f 6e 6e 31")[..]);
    assert_eq!(except[8..], expected[2..]);
    assert_eq!(
        read_invocation(&Bytes::from(except)).unwrap().excluded,
        ["conn1"]
    );
}

/// Reference notes §10.2: adding connection `abc` on another server to group `g`.
#[test]
fn a_remote_group_add_is_the_worked_example() {
    let server = "web1_0123456789abcdef0123456789abcdef";
    let c = GroupCommand {
        id: 1,
        server: server.into(),
        action: GroupAction::Add,
        group: "g".into(),
        connection_id: "abc".into(),
    };
    let mut expected = hex("95 01 d9 25");
    expected.extend_from_slice(server.as_bytes());
    expected.extend(hex("01 a1 67 a3 61 62 63"));
    assert_eq!(expected.len(), 48);
    assert_eq!(write_group_command(&c), expected);
    let channels = Channels::new("", "MyApp.ChatHub", server);
    assert_eq!(channels.group_commands(), "MyApp.ChatHub:internal:groups");
    assert_eq!(channels.group("g"), "MyApp.ChatHub:group:g");
    assert_eq!(
        channels.ack_for(server),
        "MyApp.ChatHub:internal:ack:web1_0123456789abcdef0123456789abcdef"
    );
    assert_eq!(write_ack(1), hex("91 01"));
}

/// Reference notes §10.3: a client result relayed to another server and answered.
#[test]
fn a_relayed_client_result_is_the_worked_example() {
    let id = "AAECAwQFBgcICQoLDA0ODw";
    let channels = Channels::new("", "MyApp.ChatHub", "web1_0123456789abcdef0123456789abcdef");
    let (json, msgpack) = both(Some(id), "GetName", &());
    assert_eq!(json.len(), 0x55);
    assert_eq!(msgpack.len(), 0x25);
    let payload = write_invocation::<&str>(
        &[],
        &[("json", &json), ("messagepack", &msgpack)],
        Some((id, channels.ret())),
    );
    let mut expected = hex("94 90 82 a4 6a 73 6f 6e c4 55");
    expected.extend_from_slice(
        br#"{"type":1,"invocationId":"AAECAwQFBgcICQoLDA0ODw","target":"GetName","arguments":[]}"#,
    );
    expected.push(0x1e);
    expected.extend(hex(
        "ab 6d 65 73 73 61 67 65 70 61 63 6b c4 25 24 96 01 80 b6",
    ));
    expected.extend_from_slice(id.as_bytes());
    expected.push(0xa7);
    expected.extend_from_slice(b"GetName");
    expected.extend(hex("90 90 b6"));
    expected.extend_from_slice(id.as_bytes());
    expected.extend(hex("d9 43"));
    expected
        .extend_from_slice(b"MyApp.ChatHub:internal:return:web1_0123456789abcdef0123456789abcdef");
    assert_eq!(payload.len(), 238);
    assert_eq!(payload, expected);
    let read = read_invocation(&Bytes::from(payload)).unwrap();
    assert_eq!(
        read.result,
        Some(ResultReturn {
            invocation_id: id.into(),
            channel: channels.ret().into()
        })
    );

    // The JSON client answers "bob"; its Completion goes back framed, in JSON.
    let completion = Protocol::Json
        .to_frame(&HubMessage::Completion(Completion {
            headers: Headers::new(),
            invocation_id: id.into(),
            result: CompletionResult::Value(Payload::json("\"bob\"").unwrap()),
        }))
        .unwrap();
    let back = write_completion("json", &completion);
    let mut expected = hex("92 a4 6a 73 6f 6e c4 42");
    expected
        .extend_from_slice(br#"{"type":3,"invocationId":"AAECAwQFBgcICQoLDA0ODw","result":"bob"}"#);
    expected.push(0x1e);
    assert_eq!(back.len(), 74);
    assert_eq!(back, expected);
    let read = read_completion(&Bytes::from(back)).unwrap();
    assert_eq!(read.protocol, "json");
    assert_eq!(read.completion, Bytes::from(completion));
}

#[test]
fn readers_ignore_extra_items_and_refuse_missing_ones() {
    let longer = hex("96 2a a1 53 01 a1 47 a1 43 c0");
    assert_eq!(read_group_command(&Bytes::from(longer)).unwrap().id, 42);
    assert_eq!(read_ack(&Bytes::from(hex("92 07 a1 78"))).unwrap(), 7);
    // A 3-item invocation is read as the 2-item form.
    let three = hex("93 90 80 a1 78");
    assert_eq!(read_invocation(&Bytes::from(three)).unwrap().result, None);

    let short = [
        (
            read_invocation(&Bytes::from(hex("91 90"))).err(),
            "Invocation",
        ),
        (
            read_group_command(&Bytes::from(hex("94 01 a1 53 01 a1 47"))).err(),
            "GroupCommand",
        ),
        (read_ack(&Bytes::from(hex("90"))).err(), "Ack"),
        (
            read_completion(&Bytes::from(hex("91 a4 6a 73 6f 6e"))).err(),
            "CompletionMessage",
        ),
    ];
    for (err, name) in short {
        let err = err.unwrap();
        assert_eq!(err, WireError::InsufficientItems(name));
        assert_eq!(
            err.to_string(),
            format!("Insufficient items in {name} array.")
        );
    }
    // Any integer width is read.
    assert_eq!(read_ack(&Bytes::from(hex("91 d2 00 00 00 05"))).unwrap(), 5);
    assert!(read_ack(&Bytes::from(hex("91 cf 00 00 00 01 00 00 00 00"))).is_err());
    assert!(read_group_command(&Bytes::from(hex("95 01 a1 53 03 a1 47 a1 43"))).is_err());
}
