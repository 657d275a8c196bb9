//! The conformance hub of `CONTRACT.md`, served for any SignalR client to test against.
//!
//! ```text
//! cargo run --release --example conformance-server -- --listen 127.0.0.1:0
//! ```
//!
//! Prints `listening on http://127.0.0.1:PORT` once it accepts connections and serves the
//! hub at `/hubs/conformance` to ASP.NET Core clients and at `/signalr` (hub `conformance`)
//! to classic ASP.NET SignalR 2.x clients, both the same hub; stops cleanly on SIGINT or
//! SIGTERM.
//!
//! With `--redis redis://HOST:PORT` it joins a farm: every conformance server given the same
//! Redis shares its clients' broadcasts, groups, users and client results (the
//! `signalr-redis` backplane; it prints `listening` once connected to Redis). In a farm the
//! hub also has the methods of `farm.rs`, and an access token (a bearer token or the
//! `access_token` query parameter) is taken as the connection's user name. Logs go to
//! standard error.

mod farm;

use std::process::ExitCode;
use std::time::Duration;

use signalr_redis::RedisBackplane;
use signalr_server::{
    AuthRequest, ClassicEndpoint, HubOptions, HubServer, Identity, Refusal, RouterExt,
};

/// jemalloc, with the default `jemalloc` feature: its background threads return the memory of
/// closed connections to the system, where glibc's malloc and mimalloc keep it, with the
/// settings of `signalr_examples::alloc` (BENCHMARKS.md has the measurements).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// mimalloc, when chosen instead (`--no-default-features --features mimalloc`).
#[cfg(all(
    feature = "mimalloc",
    not(all(feature = "jemalloc", not(target_env = "msvc")))
))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The command line.
struct Args {
    listen: String,
    redis: Option<String>,
}

const USAGE: &str = "usage: conformance-server [--listen HOST:PORT] [--redis redis://HOST:PORT]  (port 0 picks a free port)";

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        listen: String::from("127.0.0.1:5000"),
        redis: None,
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => parsed.listen = args.next().ok_or("--listen needs an address")?,
            "--redis" => parsed.redis = Some(args.next().ok_or("--redis needs a URL")?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

/// A farm's users: the access token is the user name (a test farm has no secrets).
fn user_of(req: &AuthRequest<'_>) -> std::future::Ready<Result<Option<Identity>, Refusal>> {
    std::future::ready(Ok(req.bearer_token().map(Identity::new)))
}

fn main() -> ExitCode {
    signalr_examples::alloc::configure();
    match signalr_examples::alloc::runtime() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("conformance-server: cannot start the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> ExitCode {
    let Args { listen, redis } = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("conformance-server: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = HubOptions {
        allow_stateful_reconnects: true,
        ..HubOptions::default()
    };
    let hub = signalr_examples::conformance::hub();
    let server = match &redis {
        None => HubServer::with_options(hub, options),
        Some(url) => {
            let backplane = match RedisBackplane::new(url) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("conformance-server: {e}");
                    return ExitCode::from(2);
                }
            };
            let built = HubServer::builder(farm::with_farm_methods(hub))
                .options(options)
                .authenticate(user_of)
                .backplane(backplane.clone())
                .build();
            let server = match built {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("conformance-server: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if !backplane.connected(Duration::from_secs(10)).await {
                eprintln!(
                    "conformance-server: not connected to Redis at {url} yet; serving anyway"
                );
            }
            server
        }
    };
    let app = axum::Router::new()
        .hub("/hubs/conformance", &server)
        .merge(ClassicEndpoint::new(&server).router(signalr_server::CLASSIC_PATH));
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => {
            eprintln!("conformance-server: {e}");
            return ExitCode::FAILURE;
        }
    }
    let handle = server.clone();
    let served = signalr_server::serve(listener, app)
        .with_graceful_shutdown(async move {
            signalr_examples::signal::shutdown_signal().await;
            handle.shutdown().await;
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance-server: {e}");
            ExitCode::FAILURE
        }
    }
}
