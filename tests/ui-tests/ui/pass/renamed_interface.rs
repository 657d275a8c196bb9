// `name = "..."`: the interface half of `Interface|Method` wire names.

#[signalr::hub_contract(name = "IChatHub")]
pub trait Chat {
    async fn send(&self, text: String) -> usize;
}

struct ChatImpl;

impl Chat for ChatImpl {
    async fn send(&self, text: String) -> usize {
        text.len()
    }
}

fn main() {
    let contract: serde_json::Value = serde_json::from_str(ChatProxy::CONTRACT).unwrap();
    assert_eq!(contract["name"], "Chat");
    assert_eq!(contract["interface"], "IChatHub");
    assert_eq!(contract["methods"][0]["wireName"], "IChatHub|Send");

    let hub = ChatDispatch::hub(ChatImpl);
    assert!(hub.resolve("IChatHub|Send").is_some());
    assert!(hub.resolve("ichathub|SEND").is_some());
    assert!(hub.resolve("Send").is_some());
    assert!(hub.resolve("Chat|Send").is_none());
}
