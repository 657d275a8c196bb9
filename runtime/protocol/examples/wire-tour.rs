//! A tour of the hub protocol on the wire: a handshake, one invocation and its completion in
//! both encodings, a stream split into odd chunks, and the official JavaScript client's
//! 10,000-message corpora decoded and re-encoded byte for byte.
//!
//! ```text
//! cargo run -p signalr-protocol --example wire-tour
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use signalr_protocol::handshake::{self, HandshakeRequest, HandshakeResponse};
use signalr_protocol::{
    Arguments, Completion, CompletionResult, FrameReader, Headers, HubMessage, Invocation, Payload,
    Protocol, decode_frames,
};

fn show(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x1e => "␞".to_owned(),
            0x20..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

type Error = Box<dyn std::error::Error>;

fn tour(protocol: Protocol) -> Result<(), Error> {
    println!("== {protocol}");
    let mut out = Vec::new();
    handshake::write_request(
        &HandshakeRequest {
            protocol: protocol.name().into(),
            version: 1,
        },
        &mut out,
    );
    println!("client handshake   {}", show(&out));
    let (request, _) =
        handshake::parse_request(&out, Some(32 * 1024))?.ok_or("incomplete handshake")?;
    let chosen = handshake::select_protocol(&request, &Protocol::ALL, None);
    out.clear();
    handshake::write_response(
        &HandshakeResponse {
            error: chosen.err().map(Into::into),
        },
        &mut out,
    );
    println!("server handshake   {}", show(&out));

    let mut args = Arguments::writer(protocol, 2);
    args.push("ada")?;
    args.push(&[1, 2, 3])?;
    let call = HubMessage::Invocation(Invocation {
        headers: Headers::new(),
        invocation_id: Some("0".into()),
        target: "Chat|SendMessage".into(),
        arguments: args.finish(),
        stream_ids: None,
    });
    let reply = HubMessage::Completion(Completion {
        headers: Headers::new(),
        invocation_id: "0".into(),
        result: CompletionResult::Value(Payload::serialize(protocol, &6)?),
    });
    let mut stream = Vec::new();
    protocol.encode(&call, &mut stream)?;
    protocol.encode(&HubMessage::Ping, &mut stream)?;
    protocol.encode(&reply, &mut stream)?;
    println!("three messages     {}", show(&stream));

    // The same bytes, arriving three at a time.
    let mut frames = FrameReader::new(protocol, Some(32 * 1024));
    for chunk in stream.chunks(3) {
        frames.push(chunk, |frame| {
            match protocol.decode_frame(frame)? {
                HubMessage::Invocation(inv) => {
                    let mut b = inv.arguments.binder(2)?;
                    let user: String = b.next_arg()?;
                    let numbers: Vec<i32> = b.next_arg()?;
                    println!(
                        "decoded            invocation {} of {}({user:?}, {numbers:?})",
                        inv.invocation_id.unwrap_or_default(),
                        inv.target
                    );
                }
                other => println!("decoded            {:?}", other.message_type()),
            }
            Ok::<_, Error>(())
        })?;
    }
    Ok(frames.finish()?)
}

fn corpus(protocol: Protocol, file: &str) -> Result<(), String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(file);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut kinds = BTreeMap::new();
    let mut again = Vec::with_capacity(bytes.len());
    decode_frames(protocol, &bytes, None, |m| match m {
        Ok(m) => {
            *kinds.entry(format!("{:?}", m.message_type())).or_insert(0) += 1;
            let _ = protocol.encode(&m, &mut again);
        }
        Err(e) => eprintln!("{e}"),
    })
    .map_err(|e| e.to_string())?;
    let total: usize = kinds.values().sum();
    println!(
        "{file}: {total} messages {kinds:?}; re-encoded {}",
        if again == bytes {
            "byte for byte"
        } else {
            "DIFFERENTLY"
        }
    );
    if again == bytes {
        Ok(())
    } else {
        Err("re-encoding differs".into())
    }
}

fn main() -> ExitCode {
    for p in Protocol::ALL {
        if let Err(e) = tour(p) {
            eprintln!("wire-tour: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("== the official JavaScript client's corpora");
    for (p, f) in [
        (Protocol::Json, "json.bin"),
        (Protocol::MessagePack, "msgpack.bin"),
    ] {
        if let Err(e) = corpus(p, f) {
            eprintln!("wire-tour: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
