#[signalr::hub_contract]
pub trait Ticker {
    fn ticks(&self, n: i32) -> Result<signalr::HubStream<i32>, signalr::HubError>;
}

fn main() {}
