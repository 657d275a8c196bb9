#[signalr::hub_contract]
pub trait Chat {
    #[hub(name = "")]
    async fn send(&self, text: String);
}

fn main() {}
