#[signalr::hub_contract(client)]
pub trait Ticker {
    fn ticks(&self, n: i32) -> signalr::HubStream<i32>;
}

fn main() {}
