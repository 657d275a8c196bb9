//! Idle connections: N connections opened (handshake done) and left idle; the server's
//! resident memory per connection at each step, a bystander's `Echo` latency with all of
//! them open, and the server's memory 10 s after they all closed.

use std::sync::Arc;
use std::sync::atomic::AtomicU8;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{Semaphore, watch};

use crate::conn::{self, ConnError, Socket, Target};
use crate::echo;
use crate::procfs::Server;
use crate::stats::Line;

/// What an idle run does.
#[derive(Debug, Clone)]
pub(crate) struct IdleOptions {
    /// Connection counts at which memory is measured, ascending; the last is the total.
    pub(crate) steps: Vec<usize>,
    /// Connections opened at once.
    pub(crate) concurrency: usize,
    /// How long to wait at each step before reading memory.
    pub(crate) settle: Duration,
    /// How long the bystander calls `Echo` with every connection open.
    pub(crate) bystander: Duration,
    /// How long to wait after the last connection closed before reading memory.
    pub(crate) after_close: Duration,
}

/// Opens `count` connections, `concurrency` at a time.
pub(crate) async fn open_many(
    target: &Arc<Target>,
    count: usize,
    concurrency: usize,
) -> Result<Vec<Socket>, ConnError> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(count);
    for _ in 0..count {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let ws = target.open().await;
            drop(permit);
            ws
        }));
    }
    let mut sockets = Vec::with_capacity(count);
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(Ok(ws)) => sockets.push(ws),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(sockets),
    }
}

/// Holds a connection open, reading whatever comes (keep-alive Pings), until `stop`; then
/// closes it.
async fn hold(mut ws: Socket, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            m = ws.next() => if !matches!(m, Some(Ok(_))) { return },
            _ = stop.changed() => break,
        }
    }
    conn::close(ws).await;
}

/// Runs the scenario against `target`, whose process is `server`.
pub(crate) async fn run(
    target: Arc<Target>,
    server: Server,
    opts: IdleOptions,
    line: &mut Line,
) -> Result<(), ConnError> {
    let rss0 = server.rss_kib();
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut held = Vec::new();
    let mut open = 0usize;
    let mut steps = Vec::new();
    let started = Instant::now();
    for &step in &opts.steps {
        if step <= open {
            continue;
        }
        let more = open_many(&target, step - open, opts.concurrency).await?;
        open = step;
        held.extend(
            more.into_iter()
                .map(|ws| tokio::spawn(hold(ws, stop_rx.clone()))),
        );
        tokio::time::sleep(opts.settle).await;
        let rss = server.rss_kib();
        let per = rss.saturating_sub(rss0) as f64 / step as f64;
        steps.push(format!("{step}:{per:.2}"));
    }
    let opened_in = started.elapsed();
    let rss_open = server.rss_kib();

    // A bystander calls Echo, one call at a time, with every connection open.
    let bystander = target.open().await?;
    let phase = Arc::new(AtomicU8::new(1));
    let stopper = {
        let phase = phase.clone();
        let d = opts.bystander;
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            phase.store(2, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let (bystander, mut seen) = echo::drive(bystander, 1, "bystander", &phase).await?;
    let _ = stopper.await;
    conn::close(bystander).await;

    let _ = stop_tx.send(true);
    for h in held {
        let _ = h.await;
    }
    tokio::time::sleep(opts.after_close).await;
    let rss_end = server.rss_kib();

    line.int("connections", open as u64);
    line.int("rss0_kib", rss0);
    line.int("rss_open_kib", rss_open);
    line.float(
        "kib_per_conn",
        rss_open.saturating_sub(rss0) as f64 / open.max(1) as f64,
        2,
    );
    line.text("steps", &steps.join(","));
    line.float("open_seconds", opened_in.as_secs_f64(), 2);
    line.int("bystander_calls", seen.latencies.len() as u64);
    line.int(
        "bystander_p50_us",
        u64::from(seen.latencies.percentile(50.0)),
    );
    line.int(
        "bystander_p99_us",
        u64::from(seen.latencies.percentile(99.0)),
    );
    line.int(
        "bystander_p999_us",
        u64::from(seen.latencies.percentile(99.9)),
    );
    line.int("rss_after_close_kib", rss_end);
    line.float("after_close_ratio", rss_end as f64 / rss0.max(1) as f64, 2);
    Ok(())
}
