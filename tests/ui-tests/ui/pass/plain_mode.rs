// `plain`: wire names are the bare method names, for stock ASP.NET Core hubs.

#[signalr::hub_contract(plain)]
pub trait Chat {
    async fn send_message(&self, user: String, text: String);
    #[hub(name = "Join")]
    async fn join_group(&self, group: String) -> bool;
}

struct ChatImpl;

impl Chat for ChatImpl {
    async fn send_message(&self, _user: String, _text: String) {}

    async fn join_group(&self, _group: String) -> bool {
        true
    }
}

fn main() {
    let contract: serde_json::Value = serde_json::from_str(ChatProxy::CONTRACT).unwrap();
    assert_eq!(contract["plain"], true);
    assert_eq!(contract["methods"][0]["wireName"], "SendMessage");
    assert_eq!(contract["methods"][1]["wireName"], "Join");

    let hub = ChatDispatch::hub(ChatImpl);
    assert!(hub.resolve("SendMessage").is_some());
    assert!(hub.resolve("sendmessage").is_some());
    assert!(hub.resolve("Join").is_some());
    assert!(hub.resolve("JoinGroup").is_none());
}
