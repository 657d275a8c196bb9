//! Echo: C connections, each keeping W `Echo` invocations in flight (a new one as soon as
//! one completes); calls per second, latency, and the server's CPU time per call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{self, ConnError, Socket, Target};
use crate::procfs::Server;
use crate::stats::{Latencies, Line};

const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

/// What an echo run does.
#[derive(Debug, Clone)]
pub(crate) struct EchoOptions {
    /// Connections.
    pub(crate) connections: usize,
    /// Invocations in flight per connection.
    pub(crate) in_flight: usize,
    /// Calls before the measurement starts.
    pub(crate) warmup: Duration,
    /// How long the measurement lasts.
    pub(crate) duration: Duration,
    /// The `Echo` argument.
    pub(crate) payload: String,
}

/// The pre-encoded `Echo` invocation with id `id`.
pub(crate) fn invocation(id: usize, payload: &str) -> Message {
    conn::text(format!(
        "{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Echo\",\"arguments\":[\"{payload}\"]}}\u{1e}"
    ))
}

/// What one connection saw while measuring.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) calls: u64,
    pub(crate) errors: u64,
    pub(crate) latencies: Latencies,
}

/// Keeps `in_flight` calls going on `ws` until `phase` says stop, then waits for those still
/// in flight.
pub(crate) async fn drive(
    mut ws: Socket,
    in_flight: usize,
    payload: &str,
    phase: &AtomicU8,
) -> Result<(Socket, Seen), ConnError> {
    let frames: Vec<Message> = (0..in_flight).map(|i| invocation(i, payload)).collect();
    let mut sent_at = vec![Instant::now(); in_flight];
    for (i, f) in frames.iter().enumerate() {
        sent_at[i] = Instant::now();
        ws.feed(f.clone()).await?;
    }
    ws.flush().await?;
    let mut seen = Seen::default();
    let mut outstanding = in_flight;
    while outstanding > 0 {
        let msg = match ws.next().await {
            Some(m) => m?,
            None => return Err(ConnError::Closed),
        };
        let now = Instant::now();
        let p = phase.load(Ordering::Relaxed);
        let mut wrote = false;
        for f in conn::frames(&msg) {
            if conn::find(f, b"\"type\":3").is_none() {
                continue;
            }
            let Some(i) = conn::string_property(f, b"\"invocationId\":\"")
                .and_then(conn::parse_u64)
                .and_then(|i| usize::try_from(i).ok())
                .filter(|&i| i < in_flight)
            else {
                continue;
            };
            if p == MEASURE {
                seen.calls += 1;
                seen.latencies.record(now - sent_at[i]);
                if conn::find(f, b"\"error\"").is_some() {
                    seen.errors += 1;
                }
            }
            if p == STOP {
                outstanding -= 1;
                continue;
            }
            sent_at[i] = Instant::now();
            ws.feed(frames[i].clone()).await?;
            wrote = true;
        }
        if wrote {
            ws.flush().await?;
        }
    }
    Ok((ws, seen))
}

/// Runs the scenario against `target`, whose process is `server`.
pub(crate) async fn run(
    target: Arc<Target>,
    server: Server,
    opts: EchoOptions,
    line: &mut Line,
) -> Result<(), ConnError> {
    let mut sockets = Vec::with_capacity(opts.connections);
    for _ in 0..opts.connections {
        sockets.push(target.open().await?);
    }
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let payload: Arc<str> = opts.payload.clone().into();
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|ws| {
            let phase = phase.clone();
            let payload = payload.clone();
            let in_flight = opts.in_flight;
            tokio::spawn(async move {
                let (ws, seen) = drive(ws, in_flight, &payload, &phase).await?;
                conn::close(ws).await;
                Ok::<_, ConnError>(seen)
            })
        })
        .collect();
    tokio::time::sleep(opts.warmup).await;
    let cpu0 = server.cpu();
    let t0 = Instant::now();
    phase.store(MEASURE, Ordering::Relaxed);
    tokio::time::sleep(opts.duration).await;
    phase.store(STOP, Ordering::Relaxed);
    let elapsed = t0.elapsed();
    let cpu = server.cpu().saturating_sub(cpu0);

    let mut total = Seen::default();
    let mut failed = 0u64;
    for t in tasks {
        match t.await {
            Ok(Ok(seen)) => {
                total.calls += seen.calls;
                total.errors += seen.errors;
                total.latencies.merge(seen.latencies);
            }
            Ok(Err(e)) => {
                eprintln!("signalr-load: echo connection failed: {e}");
                failed += 1;
            }
            Err(_) => failed += 1,
        }
    }
    line.int("connections", opts.connections as u64);
    line.int("in_flight", opts.in_flight as u64);
    line.float("seconds", elapsed.as_secs_f64(), 2);
    line.int("calls", total.calls);
    line.float("calls_per_s", total.calls as f64 / elapsed.as_secs_f64(), 0);
    total.latencies.fields(line);
    line.float(
        "cpu_us_per_call",
        cpu.as_micros() as f64 / total.calls.max(1) as f64,
        2,
    );
    line.float(
        "server_cpu_pct",
        cpu.as_secs_f64() * 100.0 / elapsed.as_secs_f64(),
        1,
    );
    line.int("errors", total.errors);
    line.int("failed_connections", failed);
    Ok(())
}
