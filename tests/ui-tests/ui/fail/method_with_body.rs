#[signalr::hub_contract]
pub trait Chat {
    async fn send(&self, text: String) {
        let _ = text;
    }
}

fn main() {}
