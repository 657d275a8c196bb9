// A result type without serde derives: every error is at the type. Most read `Point cannot
// travel as a SignalR argument, item or result`; rustc reports the proxy's
// `impl Future<Output = Result<Point, _>>` return type with serde's own bounds.

pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[signalr::hub_contract]
pub trait Canvas {
    async fn center(&self) -> Point;
}

fn main() {}
