//! The chat example in one command: a chat server and three Rust clients (two speaking
//! JSON, one MessagePack), all written against the one `Chat` contract.
//!
//! ```text
//! cargo run --example chat
//! ```

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use signalr::client::{HubConnection, HubConnectionBuilder, Protocol};
use signalr::server::{HubServer, RouterExt};
use signalr_examples::chat::{ChatClient, ChatClientReceiver, ChatMessage, ChatProxy};

/// A client that prints what the server tells it and remembers the messages.
#[derive(Clone)]
struct Screen {
    who: &'static str,
    seen: Arc<Mutex<Vec<ChatMessage>>>,
}

impl ChatClient for Screen {
    async fn receive(&self, message: ChatMessage) {
        println!(
            "  [{}'s screen] {}: {}",
            self.who, message.from, message.text
        );
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(message);
        }
    }

    async fn joined(&self, room: String, name: String) {
        println!("  [{}'s screen] {name} joined #{room}", self.who);
    }

    async fn left(&self, room: String, name: String) {
        println!("  [{}'s screen] {name} left #{room}", self.who);
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn connect(
    url: &str,
    who: &'static str,
    protocol: Protocol,
) -> Result<(HubConnection, ChatProxy, Screen), Error> {
    let connection = HubConnectionBuilder::new(url).protocol(protocol).build();
    let screen = Screen {
        who,
        seen: Arc::default(),
    };
    // The registrations live as long as the connection; dropping the handles keeps them.
    let _ = ChatClientReceiver::register(&connection, screen.clone());
    connection.start().await?;
    println!("{who} connected ({protocol})");
    Ok((connection.clone(), ChatProxy::new(connection), screen))
}

async fn run() -> Result<(), Error> {
    let server = HubServer::new(signalr_examples::chat::hub());
    let app = axum::Router::new().hub("/hubs/chat", &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hubs/chat", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("chat server at {url}");

    let (alice_conn, alice, _alice_screen) = connect(&url, "alice", Protocol::Json).await?;
    let (bob_conn, bob, bob_screen) = connect(&url, "bob", Protocol::MessagePack).await?;

    let there = alice.join("lobby".into(), "alice".into()).await?;
    println!("alice joined #lobby (already there: {there:?})");
    let there = bob.join("lobby".into(), "bob".into()).await?;
    println!("bob joined #lobby (already there: {there:?})");
    alice
        .send_message("lobby".into(), "hello bob".into())
        .await?;
    bob.send_message("lobby".into(), "hi alice, MessagePack here".into())
        .await?;
    // A typo'd room is an error the caller sees, not a crash.
    if let Err(e) = bob.send_message("lobbby".into(), "oops".into()).await {
        println!("bob -> #lobbby failed: {e}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (carol_conn, carol, _carol_screen) = connect(&url, "carol", Protocol::Json).await?;
    println!("carol reads the history of #lobby:");
    let mut history = carol.history("lobby".into());
    let mut count = 0;
    while let Some(message) = history.next().await {
        let message = message?;
        println!("  {}: {}", message.from, message.text);
        count += 1;
    }
    bob.leave("lobby".into()).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;

    for c in [alice_conn, bob_conn, carol_conn] {
        c.stop().await;
    }
    server.shutdown().await;

    let bob_saw = bob_screen
        .seen
        .lock()
        .map(|s| s.iter().any(|m| m.from == "alice" && m.text == "hello bob"))
        .unwrap_or(false);
    if !bob_saw || count != 2 {
        return Err(format!(
            "the demo went wrong: bob saw alice's message: {bob_saw}, history had {count} messages"
        )
        .into());
    }
    println!(
        "ok: alice's message reached bob across protocols, and the history streamed {count} messages"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat demo: {e}");
            ExitCode::FAILURE
        }
    }
}
