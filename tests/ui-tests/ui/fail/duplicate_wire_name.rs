// Two methods with the same wire name: `send` is `Send`, and so is the renamed `post`.

#[signalr::hub_contract]
pub trait Chat {
    async fn send(&self, text: String);
    #[hub(name = "Send")]
    async fn post(&self, text: String);
}

fn main() {}
