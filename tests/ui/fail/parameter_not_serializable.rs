// A parameter type without serde derives. The readable error is `Point cannot travel as a
// SignalR argument, item or result`, at the type. Today rustc also reports the raw serde
// bounds of the generated proxy and dispatch (some at the attribute); the expected output
// records that until the macro stops producing them.

pub struct Point {
    pub x: i32,
    pub y: i32,
}

#[signalr::hub_contract]
pub trait Canvas {
    async fn draw(&self, at: Point);
}

fn main() {}
