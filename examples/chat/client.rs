//! A terminal chat client: `cargo run --example chat-client -- --url
//! http://127.0.0.1:5000/hubs/chat --name ada [--room lobby] [--protocol messagepack]`.
//! Each line typed is sent to the room; messages from others are printed as they arrive.

use std::process::ExitCode;

use signalr::client::{HubConnectionBuilder, Protocol};
use signalr_examples::chat::{ChatClient, ChatClientReceiver, ChatMessage, ChatProxy};
use tokio::io::AsyncBufReadExt;

struct Terminal;

impl ChatClient for Terminal {
    async fn receive(&self, message: ChatMessage) {
        println!("{}: {}", message.from, message.text);
    }

    async fn joined(&self, room: String, name: String) {
        println!("* {name} joined #{room}");
    }

    async fn left(&self, room: String, name: String) {
        println!("* {name} left #{room}");
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn run(url: String, name: String, room: String, protocol: Protocol) -> Result<(), Error> {
    let connection = HubConnectionBuilder::new(&url)
        .protocol(protocol)
        .with_automatic_reconnect()
        .build();
    let _receiver = ChatClientReceiver::register(&connection, Terminal);
    connection.start().await?;
    let chat = ChatProxy::new(connection.clone());
    let there = chat.join(room.clone(), name).await?;
    println!(
        "* joined #{room}; here already: {}",
        if there.is_empty() {
            "nobody".into()
        } else {
            there.join(", ")
        }
    );
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        if !line.trim().is_empty()
            && let Err(e) = chat.send_message(room.clone(), line).await
        {
            eprintln!("! {e}");
        }
    }
    connection.stop().await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut url, mut name, mut room, mut protocol) =
        (None, None, String::from("lobby"), Protocol::Json);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--url", Some(v)) => url = Some(v),
            ("--name", Some(v)) => name = Some(v),
            ("--room", Some(v)) => room = v,
            ("--protocol", Some(v)) if v == "messagepack" => protocol = Protocol::MessagePack,
            ("--protocol", Some(v)) if v == "json" => protocol = Protocol::Json,
            _ => url = None,
        }
    }
    let (Some(url), Some(name)) = (url, name) else {
        eprintln!(
            "usage: chat-client --url URL --name NAME [--room ROOM] [--protocol json|messagepack]"
        );
        return ExitCode::from(2);
    };
    match run(url, name, room, protocol).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-client: {e}");
            ExitCode::FAILURE
        }
    }
}
