#[signalr::hub_contract]
pub trait Chat {
    #[hub(rename = "Post")]
    async fn send(&self, text: String);
}

fn main() {}
