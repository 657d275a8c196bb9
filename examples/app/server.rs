//! A hub inside an application's router: the application's own state, routes and tower
//! layers, and its authentication middleware in front of the hub (see `src/app.rs`).
//!
//! ```text
//! cargo run --example app-server -- --listen 127.0.0.1:0
//! ```

use std::process::ExitCode;

use signalr_examples::app::{AppState, hub_server, router};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:5000");
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--listen", Some(l)) => listen = l,
            _ => {
                eprintln!("usage: app-server [--listen HOST:PORT]");
                return ExitCode::from(2);
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("app-server: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let state = AppState::demo();
    let hub = hub_server(&state);
    let app = router(state, &hub);
    if let Ok(addr) = listener.local_addr() {
        println!("listening on http://{addr}");
    }
    let served = signalr_server::serve(listener, app)
        .with_graceful_shutdown(async move {
            signalr_examples::signal::shutdown_signal().await;
            hub.shutdown().await;
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("app-server: {e}");
            ExitCode::FAILURE
        }
    }
}
