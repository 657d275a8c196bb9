//! Connection rate: K openers, each opening a connection (WebSocket upgrade without
//! negotiate, then the handshake) and closing it, again and again; connections per second,
//! time to open, and the server's CPU time per connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::conn::{self, Target};
use crate::procfs::Server;
use crate::stats::{Latencies, Line};

/// What a connection-rate run does.
#[derive(Debug, Clone)]
pub(crate) struct ConnectOptions {
    /// Openers at once.
    pub(crate) concurrency: usize,
    /// How long they open connections.
    pub(crate) duration: Duration,
}

/// Runs the scenario against `target`, whose process is `server`.
pub(crate) async fn run(
    target: Arc<Target>,
    server: Server,
    opts: ConnectOptions,
    line: &mut Line,
) {
    let cpu0 = server.cpu();
    let t0 = Instant::now();
    let end = t0 + opts.duration;
    let tasks: Vec<_> = (0..opts.concurrency)
        .map(|_| {
            let target = target.clone();
            tokio::spawn(async move {
                let mut latencies = Latencies::default();
                let mut errors = 0u64;
                while Instant::now() < end {
                    let start = Instant::now();
                    match target.open().await {
                        Ok(ws) => {
                            latencies.record(start.elapsed());
                            conn::close(ws).await;
                        }
                        Err(e) => {
                            if errors == 0 {
                                eprintln!("signalr-load: connect failed: {e}");
                            }
                            errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Latencies::default();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            latencies.merge(l);
            errors += e;
        }
    }
    let elapsed = t0.elapsed();
    let cpu = server.cpu().saturating_sub(cpu0);
    let opened = latencies.len() as u64;
    line.int("concurrency", opts.concurrency as u64);
    line.float("seconds", elapsed.as_secs_f64(), 2);
    line.int("opened", opened);
    line.float("conns_per_s", opened as f64 / elapsed.as_secs_f64(), 0);
    latencies.fields(line);
    line.float(
        "cpu_us_per_conn",
        cpu.as_micros() as f64 / opened.max(1) as f64,
        1,
    );
    line.float(
        "server_cpu_pct",
        cpu.as_secs_f64() * 100.0 / elapsed.as_secs_f64(),
        1,
    );
    line.int("errors", errors);
}
