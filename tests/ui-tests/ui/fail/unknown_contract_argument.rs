#[signalr::hub_contract(bogus)]
pub trait Chat {
    async fn send(&self, text: String);
}

fn main() {}
