//! The chat example serves its hub in the three dialects at once (`chat::router`): typed
//! clients of each, the same `ChatProxy` and `ChatClientReceiver` over an ASP.NET Core
//! connection, a SignalARRR connection and a classic connection, chat in one room.

use std::time::Duration;

use signalr_examples::chat::{
    self, CLASSIC_PATH, ChatClient, ChatClientReceiver, ChatMessage, ChatProxy, PATH,
    SIGNALARRR_PATH,
};
use signalr_hub_client::classic::ClassicHubConnection;
use signalr_hub_client::signalarrr::SignalarrrConnection;
use signalr_hub_client::{HubClient, HubConnectionBuilder, Subscription, Transports};
use signalr_server::HubServer;
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(20);

/// What a chat client hears: "from: text" for messages, "+name" for arrivals.
#[derive(Clone)]
struct Ears(mpsc::UnboundedSender<String>);

impl ChatClient for Ears {
    async fn receive(&self, message: ChatMessage) {
        let _ = self.0.send(format!("{}: {}", message.from, message.text));
    }

    async fn joined(&self, _room: String, name: String) {
        let _ = self.0.send(format!("+{name}"));
    }

    async fn left(&self, _room: String, name: String) {
        let _ = self.0.send(format!("-{name}"));
    }
}

fn listen<C: HubClient>(connection: &C) -> (Vec<Subscription>, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (ChatClientReceiver::register(connection, Ears(tx)), rx)
}

async fn hears(rx: &mut mpsc::UnboundedReceiver<String>, wanted: &str) {
    let mut heard = Vec::new();
    let found = tokio::time::timeout(LIMIT, async {
        while let Some(line) = rx.recv().await {
            if line == wanted {
                return true;
            }
            heard.push(line);
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "waited for {wanted:?}, heard {heard:?}");
}

#[tokio::test]
async fn the_chat_example_serves_three_dialects_in_one_room() {
    let server = HubServer::new(chat::hub());
    let app = chat::router(&server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { signalr_server::serve(listener, app).await });

    let core = HubConnectionBuilder::new(format!("{base}{PATH}")).build();
    let (_core_ears, mut core_heard) = listen(&core);
    core.start().await.unwrap();

    let arrr = SignalarrrConnection::new(
        HubConnectionBuilder::new(format!("{base}{SIGNALARRR_PATH}")).build(),
    );
    let (_arrr_ears, mut arrr_heard) = listen(&arrr);
    arrr.start().await.unwrap();

    // The classic client over long polling, so the room spans every kind of transport.
    let classic = ClassicHubConnection::builder(format!("{base}{CLASSIC_PATH}"), "Chat")
        .transports(Transports::LONG_POLLING)
        .build();
    let (_classic_ears, mut classic_heard) = listen(&classic);
    classic.start().await.unwrap();

    let core_chat = ChatProxy::new(core.clone());
    let arrr_chat = ChatProxy::new(arrr.clone());
    let classic_chat = ChatProxy::new(classic.clone());

    assert!(
        core_chat
            .join("lobby".into(), "ada".into())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        arrr_chat.join("lobby".into(), "bob".into()).await.unwrap(),
        ["ada"]
    );
    hears(&mut core_heard, "+bob").await;
    let mut there = classic_chat
        .join("lobby".into(), "cy".into())
        .await
        .unwrap();
    there.sort();
    assert_eq!(there, ["ada", "bob"]);
    hears(&mut core_heard, "+cy").await;
    hears(&mut arrr_heard, "+cy").await;

    // Each speaks; the other two hear it.
    core_chat
        .send_message("lobby".into(), "hello from core".into())
        .await
        .unwrap();
    arrr_chat
        .send_message("lobby".into(), "hello from signalarrr".into())
        .await
        .unwrap();
    classic_chat
        .send_message("lobby".into(), "hello from classic".into())
        .await
        .unwrap();
    hears(&mut arrr_heard, "ada: hello from core").await;
    hears(&mut classic_heard, "ada: hello from core").await;
    hears(&mut core_heard, "bob: hello from signalarrr").await;
    hears(&mut classic_heard, "bob: hello from signalarrr").await;
    hears(&mut core_heard, "cy: hello from classic").await;
    hears(&mut arrr_heard, "cy: hello from classic").await;

    // The classic client leaves; the others see it go.
    classic_chat.leave("lobby".into()).await.unwrap();
    hears(&mut core_heard, "-cy").await;
    hears(&mut arrr_heard, "-cy").await;

    classic.stop().await;
    arrr.stop().await;
    core.stop().await;
}
