#[signalr::hub_contract]
pub trait Chat {
    type Message;
    async fn send(&self, text: String);
}

fn main() {}
