#[signalr::hub_contract]
pub trait Chat {
    async fn send(text: String);
}

fn main() {}
