//! The fixed corpora written by the official JavaScript implementation: 10,000 messages in
//! each encoding. They must decode to exactly the kinds `manifest.json` lists, the two files
//! must hold the same logical messages, and re-encoding must reproduce them byte for byte.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use signalr_protocol::{CompletionResult, HubMessage, Protocol, decode_frames};

fn corpus(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn decode_all(protocol: Protocol, bytes: &[u8]) -> Vec<HubMessage<'_>> {
    let mut out = Vec::new();
    decode_frames(protocol, bytes, None, |m| {
        out.push(m.expect("corpus message decodes"))
    })
    .expect("whole frames");
    out
}

/// The manifest's name for a message's kind.
fn kind(msg: &HubMessage<'_>) -> &'static str {
    match msg {
        HubMessage::Invocation(inv) => {
            if inv.target == "EchoPerson" {
                "invocation EchoPerson(person)"
            } else if inv.invocation_id.is_none() {
                "invocation (non-blocking, 1-3 small args)"
            } else if inv.target == "Echo"
                && inv.arguments.len() == 1
                && inv
                    .arguments
                    .binder(1)
                    .and_then(|mut b| b.next_arg::<String>())
                    .is_ok_and(|s| s.len() == 1024)
            {
                "invocation Echo(1 KiB string)"
            } else {
                "invocation (1-3 small args)"
            }
        }
        HubMessage::StreamInvocation(_) => "stream invocation Counter(n, ms)",
        HubMessage::StreamItem(_) => "stream item",
        HubMessage::Completion(c) => match &c.result {
            CompletionResult::Void => "completion (void)",
            CompletionResult::Error(_) => "completion (error)",
            CompletionResult::Value(v) => {
                match v.bind::<serde_json::Value>().expect("result binds") {
                    serde_json::Value::Number(_) => "completion (int result)",
                    serde_json::Value::String(_) => "completion (string result)",
                    serde_json::Value::Object(_) => "completion (Person result)",
                    other => panic!("unexpected result {other}"),
                }
            }
        },
        HubMessage::CancelInvocation(_) => "cancel invocation",
        HubMessage::Ping => "ping",
        other => panic!("unexpected message {other:?}"),
    }
}

fn manifest_kinds() -> BTreeMap<String, usize> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&corpus("manifest.json")).expect("manifest is JSON");
    assert_eq!(manifest["messages"], 10_000);
    serde_json::from_value(manifest["kinds"].clone()).expect("kinds map")
}

fn check_kinds(messages: &[HubMessage<'_>]) {
    assert_eq!(messages.len(), 10_000);
    let mut counts = BTreeMap::new();
    for m in messages {
        *counts.entry(kind(m).to_owned()).or_insert(0usize) += 1;
    }
    assert_eq!(counts, manifest_kinds());
}

fn reencode(protocol: Protocol, messages: &[HubMessage<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        protocol.encode(m, &mut out).expect("encodes");
    }
    out
}

#[test]
fn json_corpus_decodes_to_the_manifest_and_reencodes_byte_for_byte() {
    let bytes = corpus("json.bin");
    let messages = decode_all(Protocol::Json, &bytes);
    check_kinds(&messages);
    assert!(
        reencode(Protocol::Json, &messages) == bytes,
        "re-encoded JSON differs from the corpus"
    );
}

#[test]
fn messagepack_corpus_decodes_to_the_manifest_and_reencodes_byte_for_byte() {
    let bytes = corpus("msgpack.bin");
    let messages = decode_all(Protocol::MessagePack, &bytes);
    check_kinds(&messages);
    assert!(
        reencode(Protocol::MessagePack, &messages) == bytes,
        "re-encoded MessagePack differs from the corpus"
    );
}

/// The value of every payload of a message, protocol-neutral.
fn values(msg: &HubMessage<'_>) -> Vec<serde_json::Value> {
    let bind =
        |p: signalr_protocol::Payload<'_>| p.bind::<serde_json::Value>().expect("payload binds");
    match msg {
        HubMessage::Invocation(m) => m.arguments.iter().map(bind).collect(),
        HubMessage::StreamInvocation(m) => m.arguments.iter().map(bind).collect(),
        HubMessage::StreamItem(m) => vec![bind(m.item.clone())],
        HubMessage::Completion(m) => match &m.result {
            CompletionResult::Value(v) => vec![bind(v.clone())],
            CompletionResult::Error(e) => vec![serde_json::Value::String(e.to_string())],
            CompletionResult::Void => vec![],
        },
        _ => vec![],
    }
}

fn ids<'m>(msg: &'m HubMessage<'_>) -> (Option<&'m str>, Option<&'m str>) {
    match msg {
        HubMessage::Invocation(m) => (m.invocation_id.as_deref(), Some(&m.target)),
        HubMessage::StreamInvocation(m) => (Some(&m.invocation_id), Some(&m.target)),
        HubMessage::StreamItem(m) => (Some(&m.invocation_id), None),
        HubMessage::Completion(m) => (Some(&m.invocation_id), None),
        HubMessage::CancelInvocation(m) => (Some(&m.invocation_id), None),
        _ => (None, None),
    }
}

#[test]
fn both_corpora_hold_the_same_messages() {
    let (j, m) = (corpus("json.bin"), corpus("msgpack.bin"));
    let (j, m) = (
        decode_all(Protocol::Json, &j),
        decode_all(Protocol::MessagePack, &m),
    );
    for (i, (a, b)) in j.iter().zip(&m).enumerate() {
        assert_eq!(a.message_type(), b.message_type(), "message {i}");
        assert_eq!(ids(a), ids(b), "message {i}");
        assert_eq!(values(a), values(b), "message {i}");
    }
}
