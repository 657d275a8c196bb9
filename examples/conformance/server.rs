//! The conformance hub of `CONTRACT.md`, served for any SignalR client to test against.
//!
//! ```text
//! cargo run --release --example conformance-server -- --listen 127.0.0.1:0
//! ```
//!
//! Prints `listening on http://127.0.0.1:PORT` once it accepts connections and serves the
//! hub at `/hubs/conformance`; stops cleanly on SIGINT or SIGTERM.

use std::process::ExitCode;

use signalr_server::{HubOptions, HubServer, RouterExt};

/// jemalloc, with the default `jemalloc` feature: its background threads return the memory of
/// closed connections to the system, where glibc's malloc and mimalloc keep it (BENCHMARKS.md
/// has the measurements).
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

fn listen_address() -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:5000");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().ok_or("--listen needs an address")?,
            "-h" | "--help" => {
                return Err(
                    "usage: conformance-server [--listen HOST:PORT]  (port 0 picks a free port)"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(listen)
}

#[tokio::main]
async fn main() -> ExitCode {
    let listen = match listen_address() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
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
    let server = HubServer::with_options(signalr_examples::conformance::hub(), options);
    let app = axum::Router::new().hub("/hubs/conformance", &server);
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
