//! Broadcast: N receivers and one sender, which calls `Broadcast(text)` R times a second
//! (or, with R = 0, each time the previous call completed); every connection gets
//! `Broadcasted(text)`. The text is the send time, so each receiver measures the latency of
//! each delivery. Deliveries per second, latency, lost deliveries, server CPU per delivery.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::conn::{self, ConnError, Socket, Target};
use crate::procfs::Server;
use crate::stats::{Latencies, Line};

/// What a broadcast run does.
#[derive(Debug, Clone)]
pub(crate) struct BroadcastOptions {
    /// Receiving connections (the sender receives too, but is not counted).
    pub(crate) receivers: usize,
    /// Broadcasts per second; 0 for one after another as fast as they complete.
    pub(crate) rate: u32,
    /// How long the sender sends.
    pub(crate) duration: Duration,
    /// Connections opened at once while setting up.
    pub(crate) concurrency: usize,
}

/// Deliveries counted by all receivers, and the time of the last one.
#[derive(Debug, Default)]
struct Counters {
    delivered: AtomicU64,
    last_us: AtomicU64,
}

fn micros(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Reads `Broadcasted` frames until `stop`; returns the latencies.
async fn receive(
    mut ws: Socket,
    base: Instant,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) -> Latencies {
    let mut latencies = Latencies::default();
    loop {
        let msg = tokio::select! {
            m = ws.next() => match m {
                Some(Ok(m)) => m,
                _ => return latencies,
            },
            _ = stop.changed() => break,
        };
        let now = micros(base);
        let mut n = 0;
        for f in conn::frames(&msg) {
            if conn::find(f, b"\"Broadcasted\"").is_none() {
                continue;
            }
            let Some(sent) =
                conn::string_property(f, b"\"arguments\":[\"").and_then(conn::parse_u64)
            else {
                continue;
            };
            latencies.record(Duration::from_micros(now.saturating_sub(sent)));
            n += 1;
        }
        if n > 0 {
            counters.delivered.fetch_add(n, Ordering::Relaxed);
            counters.last_us.fetch_max(now, Ordering::Relaxed);
        }
    }
    conn::close(ws).await;
    latencies
}

/// The sender: `Broadcast(now)` at the rate, for the duration; returns how many it sent and
/// how many completed.
async fn send(
    mut ws: Socket,
    base: Instant,
    opts: &BroadcastOptions,
) -> Result<(u64, u64), ConnError> {
    let frame = |id: u64| {
        conn::text(format!(
            "{{\"type\":1,\"invocationId\":\"{id}\",\"target\":\"Broadcast\",\"arguments\":[\"{}\"]}}\u{1e}",
            micros(base)
        ))
    };
    let period = if opts.rate == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs(1) / opts.rate
    };
    let mut tick = tokio::time::interval(period.max(Duration::from_micros(1)));
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let end = tokio::time::Instant::now() + opts.duration;
    let (mut sent, mut completed) = (0u64, 0u64);
    let closed_loop = opts.rate == 0;
    if closed_loop {
        ws.send(frame(sent)).await?;
        sent += 1;
    }
    loop {
        let sending = tokio::time::Instant::now() < end;
        if !sending && completed >= sent {
            break;
        }
        tokio::select! {
            _ = tick.tick(), if sending && !closed_loop => {
                ws.send(frame(sent)).await?;
                sent += 1;
            }
            m = ws.next() => {
                let msg = match m {
                    Some(m) => m?,
                    None => return Err(ConnError::Closed),
                };
                let done = conn::frames(&msg).filter(|f| conn::find(f, b"\"type\":3").is_some()).count() as u64;
                completed += done;
                if closed_loop && done > 0 && sending {
                    ws.send(frame(sent)).await?;
                    sent += 1;
                }
            }
            () = tokio::time::sleep_until(end + Duration::from_secs(10)), if !sending => break,
        }
    }
    conn::close(ws).await;
    Ok((sent, completed))
}

/// Runs the scenario against `target`, whose process is `server`.
pub(crate) async fn run(
    target: Arc<Target>,
    server: Server,
    opts: BroadcastOptions,
    line: &mut Line,
) -> Result<(), ConnError> {
    let receivers = crate::idle::open_many(&target, opts.receivers, opts.concurrency).await?;
    let sender = target.open().await?;
    let base = Instant::now();
    let counters = Arc::new(Counters::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks: Vec<_> = receivers
        .into_iter()
        .map(|ws| tokio::spawn(receive(ws, base, counters.clone(), stop_rx.clone())))
        .collect();

    let cpu0 = server.cpu();
    let first_us = micros(base);
    let (sent, completed) = send(sender, base, &opts).await?;
    // Wait for the deliveries to stop coming (everything delivered, or nothing new for 2 s).
    let expected = sent * opts.receivers as u64;
    let mut last = u64::MAX;
    let mut still = 0;
    while counters.delivered.load(Ordering::Relaxed) < expected && still < 20 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = counters.delivered.load(Ordering::Relaxed);
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
    let cpu = server.cpu().saturating_sub(cpu0);
    let _ = stop_tx.send(true);
    let mut latencies = Latencies::default();
    for t in tasks {
        if let Ok(l) = t.await {
            latencies.merge(l);
        }
    }
    let delivered = counters.delivered.load(Ordering::Relaxed);
    let span = Duration::from_micros(
        counters
            .last_us
            .load(Ordering::Relaxed)
            .saturating_sub(first_us)
            .max(1),
    );
    line.int("receivers", opts.receivers as u64);
    line.int("rate", u64::from(opts.rate));
    line.int("sent", sent);
    line.int("completed", completed);
    line.int("delivered", delivered);
    line.int("lost", expected.saturating_sub(delivered));
    line.float("delivered_per_s", delivered as f64 / span.as_secs_f64(), 0);
    latencies.fields(line);
    line.float(
        "cpu_us_per_delivery",
        cpu.as_micros() as f64 / delivered.max(1) as f64,
        3,
    );
    line.float(
        "server_cpu_pct",
        cpu.as_secs_f64() * 100.0 / span.as_secs_f64(),
        1,
    );
    Ok(())
}
