#[signalr::hub_contract]
pub trait Chat {
    async fn send(&self, text: impl Into<String>);
}

fn main() {}
