//! Shared by the `json` and `messagepack` targets: frame the input, decode every frame, and
//! check what the decoder promises.

use signalr_protocol::{
    CompletionResult, FrameReader, HubMessage, Payload, Protocol, ProtocolError, decode_frames,
};

/// ASP.NET Core's default maximum message size.
const MAX: usize = 32 * 1024;

/// Splits `data` into frames, pushed in chunks of `chunk` bytes (all of it at once if `None`).
/// Returns the frames delivered, the push error if any, and `finish()` after a clean push.
fn frames(
    protocol: Protocol,
    data: &[u8],
    chunk: Option<usize>,
) -> (Vec<Vec<u8>>, Result<(), ProtocolError>) {
    let mut reader = FrameReader::new(protocol, Some(MAX));
    let mut out = Vec::new();
    let chunks: Vec<&[u8]> = match chunk {
        Some(n) => data.chunks(n).collect(),
        None => vec![data],
    };
    for c in chunks {
        let res = reader.push(c, |frame| {
            assert!(frame.len() <= MAX, "a {}-byte frame got through", frame.len());
            out.push(frame.to_vec());
            Ok::<_, ProtocolError>(())
        });
        if res.is_err() {
            return (out, res);
        }
    }
    let finished = reader.finish();
    (out, finished)
}

pub fn check(protocol: Protocol, data: &[u8]) {
    // Framing must not depend on how the bytes are chunked (the first byte picks a chunk size).
    let (whole, whole_res) = frames(protocol, data, None);
    let chunk = data.first().map_or(1, |&b| usize::from(b % 16) + 1);
    let (chunked, chunked_res) = frames(protocol, data, Some(chunk));
    assert_eq!(whole, chunked, "frames differ with {chunk}-byte chunks");
    assert_eq!(whole_res, chunked_res, "framing result differs with {chunk}-byte chunks");

    for frame in &whole {
        let Ok(msg) = protocol.decode_frame(frame) else {
            continue;
        };
        bind_payloads(protocol, &msg);

        // Re-encoding a decoded message cannot fail (its payloads are in this protocol) ...
        let mut encoded = Vec::new();
        if let Err(e) = protocol.encode(&msg, &mut encoded) {
            panic!("re-encoding {msg:?} failed: {e}");
        }
        // ... is exactly one frame ...
        let mut decoded = Vec::new();
        if let Err(e) = decode_frames(protocol, &encoded, None, |m| decoded.push(m)) {
            panic!("re-encoded {msg:?} is not whole frames: {e}; bytes {encoded:02x?}");
        }
        assert_eq!(decoded.len(), 1, "{msg:?} re-encoded as {} frames", decoded.len());
        // ... that decodes to the same message ...
        let again = match decoded.pop() {
            Some(Ok(m)) => m,
            Some(Err(e)) => panic!("re-encoded {msg:?} does not decode: {e}; bytes {encoded:02x?}"),
            None => unreachable!(),
        };
        assert_eq!(again, msg, "round trip changed the message; bytes {encoded:02x?}");
        // ... and encoding is then stable.
        let mut encoded_again = Vec::new();
        if let Err(e) = protocol.encode(&again, &mut encoded_again) {
            panic!("re-encoding {again:?} failed: {e}");
        }
        assert_eq!(encoded_again, encoded, "encoding is not stable for {msg:?}");
    }
}

/// Walks every payload of `msg` and binds it to `serde_json::Value` (binding may fail).
fn bind_payloads(protocol: Protocol, msg: &HubMessage<'_>) {
    let bind = |p: &Payload<'_>| {
        assert_eq!(p.protocol(), protocol);
        let _ = p.bind::<serde_json::Value>();
    };
    let arguments = match msg {
        HubMessage::Invocation(m) => Some(&m.arguments),
        HubMessage::StreamInvocation(m) => Some(&m.arguments),
        HubMessage::StreamItem(m) => {
            bind(&m.item);
            None
        }
        HubMessage::Completion(m) => {
            if let CompletionResult::Value(p) = &m.result {
                bind(p);
            }
            None
        }
        HubMessage::CancelInvocation(_)
        | HubMessage::Ping
        | HubMessage::Close(_)
        | HubMessage::Ack { .. }
        | HubMessage::Sequence { .. } => None,
    };
    if let Some(args) = arguments {
        assert_eq!(args.protocol(), protocol);
        let mut n = 0;
        for p in args.iter() {
            bind(&p);
            n += 1;
        }
        assert_eq!(n, args.len(), "arguments.iter() disagrees with arguments.len()");
    }
}
