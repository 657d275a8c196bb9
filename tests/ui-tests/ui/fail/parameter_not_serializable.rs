// A parameter type without serde derives: every error is `Point cannot travel as a SignalR
// argument, item or result`, at the type (once per use: the proxy encodes it, the dispatch
// decodes it).

pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[signalr::hub_contract]
pub trait Canvas {
    async fn draw(&self, at: Point);
}

fn main() {}
