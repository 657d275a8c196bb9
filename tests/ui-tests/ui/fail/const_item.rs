#[signalr::hub_contract]
pub trait Chat {
    const LIMIT: usize;
    async fn send(&self, text: String);
}

fn main() {}
