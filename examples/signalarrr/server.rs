//! The hub SignalARRR's own client integration tests call (`signalr_examples::signalarrr_test`),
//! served for them to run against.
//!
//! ```text
//! cargo run --example signalarrr-test-server -- --listen 127.0.0.1:0
//! ```
//!
//! Prints `listening on http://HOST:PORT` once it accepts connections, serves the hub in the
//! SignalARRR dialect at `/signalr/testhub` (plain SignalR at `/hubs/testhub`) and the
//! `/__test/...` hooks, and stops cleanly on SIGINT or SIGTERM. Logs go to standard error.

use std::process::ExitCode;

const USAGE: &str =
    "usage: signalarrr-test-server [--listen HOST:PORT]  (port 0 picks a free port)";

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:5000");
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--listen", Some(addr)) => listen = addr,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .init();
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("signalarrr-test-server: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (app, server, _) = signalr_examples::signalarrr_test::app();
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => {
            eprintln!("signalarrr-test-server: {e}");
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
            eprintln!("signalarrr-test-server: {e}");
            ExitCode::FAILURE
        }
    }
}
