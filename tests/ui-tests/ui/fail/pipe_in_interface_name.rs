#[signalr::hub_contract(name = "IChat|Hub")]
pub trait Chat {
    async fn send(&self, text: String);
}

fn main() {}
