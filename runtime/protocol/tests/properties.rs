//! Property tests: every message type round-trips through both encodings; any split of a
//! valid byte stream into chunks yields the same messages; arbitrary bytes never panic.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::Value;
use signalr_protocol::{
    Arguments, CancelInvocation, Close, Completion, CompletionResult, FrameReader, Headers,
    HubMessage, Invocation, Payload, Protocol, ProtocolError, StreamInvocation, StreamItem,
    handshake,
};

/// A payload value: what both encodings can carry identically.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{1,16}"
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((text(), text()), 0..3)
}

/// A message described independently of any encoding.
#[derive(Debug, Clone)]
enum Spec {
    Invocation {
        headers: Vec<(String, String)>,
        id: Option<String>,
        target: String,
        args: Vec<Value>,
        streams: Option<Vec<String>>,
    },
    StreamInvocation {
        headers: Vec<(String, String)>,
        id: String,
        target: String,
        args: Vec<Value>,
        streams: Option<Vec<String>>,
    },
    StreamItem {
        headers: Vec<(String, String)>,
        id: String,
        item: Value,
    },
    Completion {
        headers: Vec<(String, String)>,
        id: String,
        result: Option<Result<Value, String>>,
    },
    Cancel {
        headers: Vec<(String, String)>,
        id: String,
    },
    Ping,
    Close {
        error: Option<String>,
        allow_reconnect: bool,
    },
    Ack(u64),
    Sequence(u64),
}

fn spec() -> impl Strategy<Value = Spec> {
    let args = || prop::collection::vec(value(), 0..4);
    let streams = || prop::option::of(prop::collection::vec(text(), 0..3));
    prop_oneof![
        (
            headers(),
            prop::option::of(text()),
            text(),
            args(),
            streams()
        )
            .prop_map(|(headers, id, target, args, streams)| {
                Spec::Invocation {
                    headers,
                    id,
                    target,
                    args,
                    streams,
                }
            }),
        (headers(), text(), text(), args(), streams()).prop_map(
            |(headers, id, target, args, streams)| {
                Spec::StreamInvocation {
                    headers,
                    id,
                    target,
                    args,
                    streams,
                }
            }
        ),
        (headers(), text(), value()).prop_map(|(headers, id, item)| Spec::StreamItem {
            headers,
            id,
            item
        }),
        (
            headers(),
            text(),
            prop::option::of(prop_oneof![value().prop_map(Ok), text().prop_map(Err)])
        )
            .prop_map(|(headers, id, result)| Spec::Completion {
                headers,
                id,
                result
            }),
        (headers(), text()).prop_map(|(headers, id)| Spec::Cancel { headers, id }),
        Just(Spec::Ping),
        (prop::option::of(text()), any::<bool>()).prop_map(|(error, allow_reconnect)| {
            Spec::Close {
                error,
                allow_reconnect,
            }
        }),
        any::<u64>().prop_map(Spec::Ack),
        any::<u64>().prop_map(Spec::Sequence),
    ]
}

fn hdrs(h: &[(String, String)]) -> Headers<'static> {
    let mut out = Headers::new();
    for (k, v) in h {
        out.insert(k.clone(), v.clone());
    }
    out
}

fn build(spec: &Spec, p: Protocol) -> HubMessage<'static> {
    let payload = |v: &Value| Payload::serialize(p, v).expect("serializes");
    let args = |a: &[Value]| {
        let mut w = Arguments::writer(p, a.len());
        for v in a {
            w.push(v).expect("serializes");
        }
        w.finish()
    };
    let ids = |s: &Option<Vec<String>>| {
        s.as_ref()
            .map(|v| v.iter().cloned().map(Cow::Owned).collect())
    };
    match spec {
        Spec::Invocation {
            headers,
            id,
            target,
            args: a,
            streams,
        } => HubMessage::Invocation(Invocation {
            headers: hdrs(headers),
            invocation_id: id.clone().map(Cow::Owned),
            target: Cow::Owned(target.clone()),
            arguments: args(a),
            stream_ids: ids(streams),
        }),
        Spec::StreamInvocation {
            headers,
            id,
            target,
            args: a,
            streams,
        } => HubMessage::StreamInvocation(StreamInvocation {
            headers: hdrs(headers),
            invocation_id: Cow::Owned(id.clone()),
            target: Cow::Owned(target.clone()),
            arguments: args(a),
            stream_ids: ids(streams),
        }),
        Spec::StreamItem { headers, id, item } => HubMessage::StreamItem(StreamItem {
            headers: hdrs(headers),
            invocation_id: Cow::Owned(id.clone()),
            item: payload(item),
        }),
        Spec::Completion {
            headers,
            id,
            result,
        } => HubMessage::Completion(Completion {
            headers: hdrs(headers),
            invocation_id: Cow::Owned(id.clone()),
            result: match result {
                None => CompletionResult::Void,
                Some(Ok(v)) => CompletionResult::Value(payload(v)),
                Some(Err(e)) => CompletionResult::Error(Cow::Owned(e.clone())),
            },
        }),
        Spec::Cancel { headers, id } => HubMessage::CancelInvocation(CancelInvocation {
            headers: hdrs(headers),
            invocation_id: Cow::Owned(id.clone()),
        }),
        Spec::Ping => HubMessage::Ping,
        Spec::Close {
            error,
            allow_reconnect,
        } => HubMessage::Close(Close {
            error: error.clone().map(Cow::Owned),
            allow_reconnect: *allow_reconnect,
        }),
        Spec::Ack(n) => HubMessage::Ack { sequence_id: *n },
        Spec::Sequence(n) => HubMessage::Sequence { sequence_id: *n },
    }
}

fn decode_stream(p: Protocol, chunks: &[&[u8]]) -> Result<Vec<HubMessage<'static>>, ProtocolError> {
    let mut reader = FrameReader::new(p, None);
    let mut out = Vec::new();
    for chunk in chunks {
        reader.push(chunk, |frame| {
            out.push(p.decode_frame(frame)?.into_owned());
            Ok::<_, ProtocolError>(())
        })?;
    }
    reader.finish()?;
    Ok(out)
}

fn values_of(msg: &HubMessage<'_>) -> Vec<Value> {
    let bind = |p: Payload<'_>| p.bind::<Value>().expect("binds");
    match msg {
        HubMessage::Invocation(m) => m.arguments.iter().map(bind).collect(),
        HubMessage::StreamInvocation(m) => m.arguments.iter().map(bind).collect(),
        HubMessage::StreamItem(m) => vec![bind(m.item.clone())],
        HubMessage::Completion(Completion {
            result: CompletionResult::Value(v),
            ..
        }) => vec![bind(v.clone())],
        _ => vec![],
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_message_round_trips_through_both_encodings(spec in spec()) {
        for p in Protocol::ALL {
            let msg = build(&spec, p);
            let frame = p.to_frame(&msg).expect("encodes");
            let back = decode_stream(p, &[&frame]).expect("decodes");
            prop_assert_eq!(back.len(), 1);
            let back = &back[0];
            // Invocation ids that are empty decode as "none": both peers treat them so.
            let expected = match (&spec, msg.clone()) {
                (Spec::Invocation { id: Some(id), .. }, HubMessage::Invocation(mut inv)) if id.is_empty() => {
                    inv.invocation_id = None;
                    HubMessage::Invocation(inv)
                }
                (Spec::Close { error: Some(e), .. }, HubMessage::Close(mut c)) if e.is_empty() && p == Protocol::MessagePack => {
                    c.error = None;
                    HubMessage::Close(c)
                }
                (_, m) => m,
            };
            prop_assert_eq!(back, &expected);
            prop_assert_eq!(values_of(back), values_of(&expected));
            // And the payloads carry the same values as the description.
            let want: Vec<Value> = match &spec {
                Spec::Invocation { args, .. } | Spec::StreamInvocation { args, .. } => args.clone(),
                Spec::StreamItem { item, .. } => vec![item.clone()],
                Spec::Completion { result: Some(Ok(v)), .. } => vec![v.clone()],
                _ => vec![],
            };
            prop_assert_eq!(values_of(back), want);
        }
    }

    #[test]
    fn any_split_of_a_stream_yields_the_same_messages(
        specs in prop::collection::vec(spec(), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        for p in Protocol::ALL {
            let msgs: Vec<_> = specs.iter().map(|s| build(s, p)).collect();
            let mut stream = Vec::new();
            for m in &msgs {
                p.encode(m, &mut stream).expect("encodes");
            }
            let whole = decode_stream(p, &[&stream]).expect("decodes whole");
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for at in points {
                chunks.push(&stream[last..at]);
                last = at;
            }
            chunks.push(&stream[last..]);
            prop_assert_eq!(decode_stream(p, &chunks).expect("decodes in chunks"), whole.clone());
            // One byte at a time too.
            let bytes: Vec<&[u8]> = stream.chunks(1).collect();
            prop_assert_eq!(decode_stream(p, &bytes).expect("decodes bytewise"), whole);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for p in Protocol::ALL {
            let _ = p.decode_frame(&bytes);
            let _ = decode_stream(p, &[&bytes]);
            let mut reader = FrameReader::new(p, Some(64));
            let _ = reader.push(&bytes, |f| p.decode_frame(f).map(|_| ()));
        }
        let _ = handshake::parse_request(&bytes, Some(1024));
        let _ = handshake::parse_response(&bytes, Some(1024));
    }

    #[test]
    fn mutated_valid_frames_never_panic(spec in spec(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        for p in Protocol::ALL {
            let mut frame = p.to_frame(&build(&spec, p)).expect("encodes");
            for (at, byte) in &flips {
                let i = at.index(frame.len());
                frame[i] = *byte;
            }
            let _ = decode_stream(p, &[&frame]).map(|msgs| msgs.iter().map(values_of_lossy).count());
        }
    }
}

/// Binds every payload, ignoring failures: binding must not panic either.
fn values_of_lossy(msg: &HubMessage<'_>) -> usize {
    match msg {
        HubMessage::Invocation(m) => m
            .arguments
            .iter()
            .filter(|p| p.bind::<Value>().is_ok())
            .count(),
        HubMessage::StreamItem(m) => usize::from(m.item.bind::<Value>().is_ok()),
        _ => 0,
    }
}
