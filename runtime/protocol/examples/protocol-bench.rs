//! Throughput of the hub protocol over the fixed corpora, measured the way
//! `corpus/README.md` describes so the figures stand beside the official JavaScript
//! implementation's (`benches/protocol-bench.mjs` measures that one).
//!
//! ```text
//! cargo run --release -p signalr-protocol --example protocol-bench -- runtime/protocol/corpus [--mbps] [--bind] [--naive]
//! ```
//!
//! Each figure is the median of 5 runs of 20 passes over the 10,000-message corpus, after 2
//! warm-up passes:
//! - `write`: encode each of the 10,000 messages, framed, into an output buffer;
//! - `parse-frame`: decode one framed message per call;
//! - `parse-corpus`: decode the whole file per pass.
//!
//! Decoding validates every payload completely but leaves it raw until it is bound to a
//! Rust type. With `--bind`, the parse measurements also bind every argument, item and
//! result to a `serde_json::Value`, a dynamic tree like the objects the JavaScript parser
//! builds.
//!
//! With `--naive`, two more lines per encoding measure the naive decoder of
//! `protocol-bench/naive.rs` (serde into a generic message struct: `serde_json` with
//! `RawValue` payloads, `rmp-serde`) on the same frames: `naive-parse-frame` and
//! `naive-parse-corpus`.

use std::hint::black_box;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use signalr_protocol::{CompletionResult, HubMessage, Payload, Protocol, decode_frames};

#[path = "protocol-bench/naive.rs"]
mod naive;

const PASSES: usize = 20;
const WARMUP: usize = 2;
const RUNS: usize = 5;

/// Median messages per second of `pass`, which processes `per_pass` messages.
fn measure(per_pass: usize, mut pass: impl FnMut() -> usize) -> f64 {
    let mut check = 0usize;
    for _ in 0..WARMUP {
        check = check.wrapping_add(pass());
    }
    let mut rates: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PASSES {
                check = check.wrapping_add(pass());
            }
            (per_pass * PASSES) as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    black_box(check);
    rates.sort_by(f64::total_cmp);
    rates[RUNS / 2]
}

fn bind_all(msg: &HubMessage<'_>) -> usize {
    let bind = |p: &Payload<'_>| usize::from(p.bind::<serde_json::Value>().is_ok());
    match msg {
        HubMessage::Invocation(m) => m.arguments.iter().map(|p| bind(&p)).sum(),
        HubMessage::StreamInvocation(m) => m.arguments.iter().map(|p| bind(&p)).sum(),
        HubMessage::StreamItem(m) => bind(&m.item),
        HubMessage::Completion(m) => match &m.result {
            CompletionResult::Value(v) => bind(v),
            _ => 1,
        },
        _ => 1,
    }
}

/// Splits a corpus into its framed messages (each with its framing bytes).
fn frames(protocol: Protocol, bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let used = match protocol {
            Protocol::Json => {
                rest.iter()
                    .position(|&b| b == 0x1e)
                    .ok_or("JSON corpus ends without 0x1E")?
                    + 1
            }
            Protocol::MessagePack => {
                let mut len = 0usize;
                let mut n = 0;
                loop {
                    let b = *rest.get(n).ok_or("truncated length prefix")?;
                    len |= usize::from(b & 0x7f) << (7 * n);
                    n += 1;
                    if b & 0x80 == 0 {
                        break;
                    }
                }
                n + len
            }
        };
        if used > rest.len() {
            return Err("truncated frame".into());
        }
        out.push(&rest[..used]);
        rest = &rest[used..];
    }
    Ok(out)
}

/// What to measure and how to print it.
#[derive(Clone, Copy)]
struct Flags {
    mbps: bool,
    bind: bool,
    naive: bool,
}

fn run(protocol: Protocol, bytes: &[u8], flags: Flags) -> Result<(), String> {
    let Flags { mbps, bind, naive } = flags;
    let frames = frames(protocol, bytes)?;
    let count = frames.len();
    let mut messages = Vec::with_capacity(count);
    decode_frames(protocol, bytes, None, |m| messages.push(m)).map_err(|e| e.to_string())?;
    let messages = messages
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    if messages.len() != count {
        return Err(format!("decoded {} of {count} messages", messages.len()));
    }

    let mut out = Vec::with_capacity(bytes.len());
    let write = measure(count, || {
        out.clear();
        for m in &messages {
            // Every corpus message encodes; a failure would show up as a short count.
            let _ = protocol.encode(m, &mut out);
        }
        assert_eq!(out.len(), bytes.len(), "write reproduces the corpus");
        count
    });

    let parse_frame = measure(count, || {
        let mut n = 0;
        for f in &frames {
            let _ = decode_frames(protocol, f, None, |m| {
                n += match m {
                    Ok(m) if bind => bind_all(&m),
                    Ok(_) => 1,
                    Err(_) => 0,
                }
            });
        }
        n
    });

    let parse_corpus = measure(count, || {
        let mut n = 0;
        let _ = decode_frames(protocol, bytes, None, |m| {
            n += usize::from(match m {
                Ok(m) => !bind || bind_all(&m) > 0,
                Err(_) => false,
            })
        });
        assert_eq!(n, count, "every message decodes");
        n
    });

    let mut naive_rates = Vec::new();
    if naive {
        if naive::decode_all(protocol, bytes) != count {
            return Err("the naive decoder does not decode every message".into());
        }
        naive_rates.push((
            "naive-parse-frame",
            measure(count, || {
                frames.iter().map(|f| naive::decode_all(protocol, f)).sum()
            }),
        ));
        naive_rates.push((
            "naive-parse-corpus",
            measure(count, || naive::decode_all(protocol, bytes)),
        ));
    }

    let name = match protocol {
        Protocol::Json => "json",
        Protocol::MessagePack => "messagepack",
    };
    let bytes_per_msg = bytes.len() as f64 / count as f64;
    for (what, rate) in [
        ("write", write),
        ("parse-frame", parse_frame),
        ("parse-corpus", parse_corpus),
    ]
    .into_iter()
    .chain(naive_rates)
    {
        if mbps {
            println!(
                "{name} {what} {:.0} msg/s ({:.0} MB/s)",
                rate,
                rate * bytes_per_msg / 1e6
            );
        } else {
            println!("{name} {what} {rate:.0} msg/s");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let flags = Flags {
        mbps: args.iter().any(|a| a == "--mbps"),
        bind: args.iter().any(|a| a == "--bind"),
        naive: args.iter().any(|a| a == "--naive"),
    };
    for (protocol, file) in [
        (Protocol::Json, "json.bin"),
        (Protocol::MessagePack, "msgpack.bin"),
    ] {
        let path = dir.join(file);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("protocol-bench: cannot read {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = run(protocol, &bytes, flags) {
            eprintln!("protocol-bench: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
