// A client contract with client results, called from a server method through its caller,
// and registered as the receiver on a client connection.

use signalr::{Caller, HubError};

/// What the server calls on clients.
#[signalr::hub_contract(client)]
pub trait Board {
    async fn show(&self, text: String);
    async fn pick(&self, options: Vec<String>) -> usize;
    async fn confirm(&self, question: String) -> Result<bool, HubError>;
}

#[signalr::hub_contract]
pub trait Game {
    async fn play(&self, caller: Caller) -> Result<String, HubError>;
}

struct GameImpl;

impl Game for GameImpl {
    async fn play(&self, caller: Caller) -> Result<String, HubError> {
        BoardProxy::new(caller.clients.all()).show("new round".into())?;
        let one = BoardProxy::new(caller.clients.caller());
        one.show("your turn".into())?;
        let options = vec!["rock".to_owned(), "paper".to_owned()];
        let picked = one.pick(options.clone()).await?;
        if one.confirm(format!("{}?", options[picked])).await? {
            Ok(options[picked].clone())
        } else {
            Err(HubError::new("not confirmed"))
        }
    }
}

struct Player;

impl Board for Player {
    async fn show(&self, _text: String) {}

    async fn pick(&self, options: Vec<String>) -> usize {
        options.len() - 1
    }

    async fn confirm(&self, _question: String) -> Result<bool, HubError> {
        Ok(true)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let contract: serde_json::Value = serde_json::from_str(BoardProxy::<()>::CONTRACT).unwrap();
    assert_eq!(contract["side"], "client");
    assert_eq!(contract["methods"][1]["wireName"], "Board|Pick");

    assert!(GameDispatch::hub(GameImpl).resolve("Game|Play").is_some());

    let connection = signalr::client::HubConnectionBuilder::new("http://127.0.0.1:1/game").build();
    let subscriptions = BoardReceiver::register(&connection, Player);
    // Each method under its plain and its `Interface|Method` name.
    assert_eq!(subscriptions.len(), 6);
}
