//! A terminal chat client: `cargo run --example chat-client -- --url
//! http://127.0.0.1:5000/hubs/chat --name ada [--room lobby] [--protocol messagepack]
//! [--dialect core|signalarrr|classic]`. Each line typed is sent to the room; messages from
//! others are printed as they arrive.
//!
//! The same typed proxy and receiver run over each dialect: ASP.NET Core SignalR (`core`,
//! the default, at `/hubs/chat`), SignalARRR (`signalarrr`, at `/signalr/chat`) and classic
//! ASP.NET SignalR 2.x (`classic`, `--url http://127.0.0.1:5000/signalr`, hub `Chat`, JSON).

use std::process::ExitCode;

use signalr::client::classic::ClassicHubConnection;
use signalr::client::signalarrr::SignalarrrConnection;
use signalr::client::{ClientError, HubClient, HubConnectionBuilder, Protocol};
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

/// Which dialect the client speaks.
#[derive(Clone, Copy)]
enum Dialect {
    Core,
    SignalArrr,
    Classic,
}

async fn run(
    url: String,
    name: String,
    room: String,
    protocol: Protocol,
    dialect: Dialect,
) -> Result<(), Error> {
    match dialect {
        Dialect::Core | Dialect::SignalArrr => {
            let connection = HubConnectionBuilder::new(&url)
                .protocol(protocol)
                .with_automatic_reconnect()
                .build();
            if let Dialect::SignalArrr = dialect {
                let connection = SignalarrrConnection::new(connection);
                chat(connection.clone(), connection.start(), name, room).await?;
                connection.stop().await;
            } else {
                chat(connection.clone(), connection.start(), name, room).await?;
                connection.stop().await;
            }
        }
        Dialect::Classic => {
            let connection = ClassicHubConnection::builder(&url, "Chat").build();
            chat(connection.clone(), connection.start(), name, room).await?;
            connection.stop().await;
        }
    }
    Ok(())
}

/// The chat itself, the same over every dialect's connection: the receiver is registered,
/// then the connection `start`s.
async fn chat<C: HubClient>(
    connection: C,
    start: impl Future<Output = Result<(), ClientError>>,
    name: String,
    room: String,
) -> Result<(), Error> {
    let _receiver = ChatClientReceiver::register(&connection, Terminal);
    start.await?;
    let chat = ChatProxy::new(connection);
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
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut url, mut name, mut room, mut protocol, mut dialect) = (
        None,
        None,
        String::from("lobby"),
        Protocol::Json,
        Dialect::Core,
    );
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--url", Some(v)) => url = Some(v),
            ("--name", Some(v)) => name = Some(v),
            ("--room", Some(v)) => room = v,
            ("--protocol", Some(v)) if v == "messagepack" => protocol = Protocol::MessagePack,
            ("--protocol", Some(v)) if v == "json" => protocol = Protocol::Json,
            ("--dialect", Some(v)) if v == "core" => dialect = Dialect::Core,
            ("--dialect", Some(v)) if v == "signalarrr" => dialect = Dialect::SignalArrr,
            ("--dialect", Some(v)) if v == "classic" => dialect = Dialect::Classic,
            _ => url = None,
        }
    }
    let (Some(url), Some(name)) = (url, name) else {
        eprintln!(
            "usage: chat-client --url URL --name NAME [--room ROOM] [--protocol json|messagepack] [--dialect core|signalarrr|classic]"
        );
        return ExitCode::from(2);
    };
    match run(url, name, room, protocol, dialect).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-client: {e}");
            ExitCode::FAILURE
        }
    }
}
