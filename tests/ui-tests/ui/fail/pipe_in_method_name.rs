#[signalr::hub_contract]
pub trait Chat {
    #[hub(name = "Chat|Send")]
    async fn send(&self, text: String);
}

fn main() {}
