//! The chat hub, served: `cargo run --example chat-server -- --listen 127.0.0.1:5000`
//! serves it at `/hubs/chat` (JSON and MessagePack over WebSockets) until SIGINT/SIGTERM.

use std::process::ExitCode;

use signalr::server::{HubServer, RouterExt};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:5000");
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--listen", Some(addr)) => listen = addr,
            _ => {
                eprintln!("usage: chat-server [--listen HOST:PORT]");
                return ExitCode::from(2);
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("chat-server: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = HubServer::new(signalr_examples::chat::hub());
    let app = axum::Router::new().hub("/hubs/chat", &server);
    if let Ok(addr) = listener.local_addr() {
        println!("listening on http://{addr}");
    }
    let handle = server.clone();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            handle.shutdown();
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-server: {e}");
            ExitCode::FAILURE
        }
    }
}
