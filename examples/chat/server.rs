//! The chat hub, served: `cargo run --example chat-server -- --listen 127.0.0.1:5000`
//! serves it at `/hubs/chat` to plain SignalR clients, at `/signalr/chat` to SignalARRR
//! clients and at `/signalr` (hub `Chat`) to classic ASP.NET SignalR 2.x clients (one set of
//! rooms for all; JSON and MessagePack where the dialect has them, every transport) until
//! SIGINT/SIGTERM.
//!
//! With `--web DIR` it also serves the files in `DIR` at `/`, so a web page built from
//! `examples/chat/web/` (see `scripts/chat-browser`) and the hub share one origin.

use std::path::PathBuf;
use std::process::ExitCode;

use signalr::server::HubServer;
use tower_http::services::ServeDir;

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut listen = String::from("127.0.0.1:5000");
    let mut web: Option<PathBuf> = None;
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--listen", Some(addr)) => listen = addr,
            ("--web", Some(dir)) => web = Some(dir.into()),
            _ => {
                eprintln!("usage: chat-server [--listen HOST:PORT] [--web DIR]");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(dir) = &web
        && !dir.is_dir()
    {
        eprintln!("chat-server: {} is not a directory", dir.display());
        return ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind(&listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("chat-server: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = HubServer::new(signalr_examples::chat::hub());
    let mut app = signalr_examples::chat::router(&server);
    if let Some(dir) = web {
        app = app.fallback_service(ServeDir::new(dir));
    }
    if let Ok(addr) = listener.local_addr() {
        println!("listening on http://{addr}");
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
            eprintln!("chat-server: {e}");
            ExitCode::FAILURE
        }
    }
}
