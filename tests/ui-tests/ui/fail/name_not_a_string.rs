#[signalr::hub_contract(name = IChatHub)]
pub trait Chat {
    async fn send(&self, text: String);
}

fn main() {}
