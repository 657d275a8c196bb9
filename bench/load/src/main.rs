//! `signalr-load`: drives a SignalR hub server (the conformance server, or the
//! `signalr-ceiling` bare axum server that answers the same frames) with raw, pre-encoded
//! JSON hub frames over WebSockets, and measures what the server costs from `/proc/PID`.
//!
//! ```text
//! signalr-load echo      --url URL --pid PID [--connections C] [--in-flight W] [--seconds S]
//! signalr-load broadcast --url URL --pid PID [--receivers N] [--rate R] [--seconds S]
//! signalr-load idle      --url URL --pid PID [--steps 1000,5000,10000] [--sources K]
//! signalr-load connect   --url URL --pid PID [--concurrency K] [--seconds S]
//! signalr-load report    --results FILE --markdown OUT.md --svg-dir DIR
//! ```
//!
//! Each measuring command prints one line of `key=value` fields; `report` reads those
//! lines back and writes the tables and plots (`scripts/bench-load` runs all of it).

mod broadcast;
mod conn;
mod connect;
mod echo;
mod idle;
mod procfs;
mod report;
mod stats;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::conn::Target;
use crate::procfs::Server;
use crate::stats::Line;

#[derive(Debug, Parser)]
#[command(
    name = "signalr-load",
    about = "Load benchmark of a SignalR hub server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the server is and how the loader runs.
#[derive(Debug, Args)]
struct Common {
    /// The hub's URL, `http://HOST:PORT/PATH`.
    #[arg(long)]
    url: String,
    /// The server's process id, for its CPU time and memory.
    #[arg(long)]
    pid: u32,
    /// A label for the result line (`project`, `ceiling`, ...).
    #[arg(long, default_value = "server")]
    label: String,
    /// Loopback source addresses to connect from (127.0.0.1 upwards), to get past the
    /// ephemeral port range.
    #[arg(long, default_value_t = 1)]
    sources: u8,
    /// Worker threads of the loader.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// C connections × W `Echo` calls in flight.
    Echo {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1)]
        connections: usize,
        #[arg(long, default_value_t = 1)]
        in_flight: usize,
        /// Seconds measured.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Seconds of calls before measuring.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// The `Echo` argument.
        #[arg(long, default_value = "hello")]
        payload: String,
    },
    /// N receivers, one sender calling `Broadcast` R times a second.
    Broadcast {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 1000)]
        receivers: usize,
        /// Broadcasts per second (0: each as soon as the previous completed).
        #[arg(long, default_value_t = 100)]
        rate: u32,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Connections opened at once while setting up.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Idle connections: memory per connection, a bystander's latency, memory after close.
    Idle {
        #[command(flatten)]
        common: Common,
        /// Connection counts at which memory is read (the last is the total).
        #[arg(long, value_delimiter = ',', default_value = "1000,5000,10000")]
        steps: Vec<usize>,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Seconds to wait at each step before reading memory.
        #[arg(long, default_value_t = 1.0)]
        settle: f64,
        /// Seconds the bystander calls `Echo`.
        #[arg(long, default_value_t = 2.0)]
        bystander: f64,
        /// Seconds after the last close before reading memory.
        #[arg(long, default_value_t = 10.0)]
        after_close: f64,
    },
    /// Connections opened (and closed) per second.
    Connect {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Tables and plots from result lines.
    Report(report::ReportArgs),
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
}

fn runtime(threads: usize) -> std::io::Result<tokio::runtime::Runtime> {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
}

fn measure(
    common: &Common,
    scenario: &str,
    run: impl AsyncFnOnce(Arc<Target>, Server, &mut Line) -> Result<(), conn::ConnError>,
) -> ExitCode {
    let target = match Target::new(&common.url, common.sources) {
        Ok(t) => Arc::new(t),
        Err(e) => {
            eprintln!("signalr-load: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match runtime(common.threads) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("signalr-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = Server::new(common.pid);
    let mut line = Line::new(scenario, &common.label);
    match rt.block_on(run(target, server, &mut line)) {
        Ok(()) => {
            println!("{}", line.finish());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("signalr-load: {scenario} against {}: {e}", common.url);
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Echo {
            common,
            connections,
            in_flight,
            seconds,
            warmup,
            payload,
        } => {
            let opts = echo::EchoOptions {
                connections,
                in_flight: in_flight.max(1),
                warmup: secs(warmup),
                duration: secs(seconds),
                payload,
            };
            measure(&common, "echo", async |t, s, l| {
                echo::run(t, s, opts, l).await
            })
        }
        Command::Broadcast {
            common,
            receivers,
            rate,
            seconds,
            concurrency,
        } => {
            let opts = broadcast::BroadcastOptions {
                receivers,
                rate,
                duration: secs(seconds),
                concurrency,
            };
            measure(&common, "broadcast", async |t, s, l| {
                broadcast::run(t, s, opts, l).await
            })
        }
        Command::Idle {
            common,
            mut steps,
            concurrency,
            settle,
            bystander,
            after_close,
        } => {
            steps.sort_unstable();
            let opts = idle::IdleOptions {
                steps,
                concurrency,
                settle: secs(settle),
                bystander: secs(bystander),
                after_close: secs(after_close),
            };
            measure(&common, "idle", async |t, s, l| {
                idle::run(t, s, opts, l).await
            })
        }
        Command::Connect {
            common,
            concurrency,
            seconds,
        } => {
            let opts = connect::ConnectOptions {
                concurrency: concurrency.max(1),
                duration: secs(seconds),
            };
            measure(&common, "connect", async |t, s, l| {
                connect::run(t, s, opts, l).await;
                Ok(())
            })
        }
        Command::Report(args) => match report::run(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("signalr-load report: {e}");
                ExitCode::FAILURE
            }
        },
    }
}
