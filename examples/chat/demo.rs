//! The chat example in one command: a chat server speaking three dialects and five Rust
//! clients, all written against the one `Chat` contract: three over ASP.NET Core SignalR
//! (two speaking JSON, one MessagePack), one over SignalARRR and one over classic ASP.NET
//! SignalR 2.x, in one room.
//!
//! ```text
//! cargo run --example chat
//! ```

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use signalr::client::classic::ClassicHubConnection;
use signalr::client::signalarrr::SignalarrrConnection;
use signalr::client::{HubConnection, HubConnectionBuilder, Protocol};
use signalr::server::HubServer;
use signalr_examples::chat::{
    self, CLASSIC_PATH, ChatClient, ChatClientReceiver, ChatMessage, ChatProxy, PATH,
    SIGNALARRR_PATH,
};

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

impl Screen {
    fn new(who: &'static str) -> Self {
        Self {
            who,
            seen: Arc::default(),
        }
    }

    fn saw(&self, from: &str, text: &str) -> bool {
        self.seen
            .lock()
            .map(|s| s.iter().any(|m| m.from == from && m.text == text))
            .unwrap_or(false)
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn connect(
    url: &str,
    who: &'static str,
    protocol: Protocol,
) -> Result<(HubConnection, ChatProxy, Screen), Error> {
    let connection = HubConnectionBuilder::new(url).protocol(protocol).build();
    let screen = Screen::new(who);
    // The registrations live as long as the connection; dropping the handles keeps them.
    let _ = ChatClientReceiver::register(&connection, screen.clone());
    connection.start().await?;
    println!("{who} connected ({protocol})");
    Ok((connection.clone(), ChatProxy::new(connection), screen))
}

async fn run() -> Result<(), Error> {
    let server = HubServer::new(signalr_examples::chat::hub());
    let app = chat::router(&server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let url = format!("{base}{PATH}");
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!(
        "chat server at {url}, for SignalARRR clients at {base}{SIGNALARRR_PATH}, for classic clients at {base}{CLASSIC_PATH}"
    );

    let (alice_conn, alice, alice_screen) = connect(&url, "alice", Protocol::Json).await?;
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

    // The same contract, proxy and receiver over the server's two other dialects.
    let dave_conn = SignalarrrConnection::new(
        HubConnectionBuilder::new(format!("{base}{SIGNALARRR_PATH}")).build(),
    );
    let _ = ChatClientReceiver::register(&dave_conn, Screen::new("dave"));
    dave_conn.start().await?;
    println!("dave connected (SignalARRR, json)");
    let dave = ChatProxy::new(dave_conn.clone());
    dave.join("lobby".into(), "dave".into()).await?;
    dave.send_message("lobby".into(), "hello from SignalARRR".into())
        .await?;

    let erin_conn = ClassicHubConnection::builder(format!("{base}{CLASSIC_PATH}"), "Chat").build();
    let _ = ChatClientReceiver::register(&erin_conn, Screen::new("erin"));
    erin_conn.start().await?;
    println!("erin connected (classic ASP.NET SignalR 2.x, json)");
    let erin = ChatProxy::new(erin_conn.clone());
    erin.join("lobby".into(), "erin".into()).await?;
    erin.send_message("lobby".into(), "hello from classic SignalR".into())
        .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;

    for c in [alice_conn, bob_conn, carol_conn] {
        c.stop().await;
    }
    dave_conn.stop().await;
    erin_conn.stop().await;
    server.shutdown().await;

    let bob_saw = bob_screen.saw("alice", "hello bob");
    let alice_saw_dialects = alice_screen.saw("dave", "hello from SignalARRR")
        && alice_screen.saw("erin", "hello from classic SignalR");
    if !bob_saw || !alice_saw_dialects || count != 2 {
        return Err(format!(
            "the demo went wrong: bob saw alice's message: {bob_saw}, alice saw dave's and erin's: {alice_saw_dialects}, history had {count} messages"
        )
        .into());
    }
    println!(
        "ok: alice's message reached bob across protocols, dave's and erin's reached alice across dialects, and the history streamed {count} messages"
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
