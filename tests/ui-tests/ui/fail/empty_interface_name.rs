#[signalr::hub_contract(name = "")]
pub trait Chat {
    async fn send(&self, text: String);
}

fn main() {}
