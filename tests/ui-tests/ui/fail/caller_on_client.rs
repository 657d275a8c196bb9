#[signalr::hub_contract(client)]
pub trait Board {
    async fn show(&self, text: String, caller: signalr::Caller);
}

fn main() {}
