// A stream whose items are not `Send`: hub streams run on any task, so the error points at
// the item type and says so.

use std::marker::PhantomData;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Frame {
    pub value: u32,
    #[serde(skip)]
    pub not_send: PhantomData<*const ()>,
}

#[signalr::hub_contract]
pub trait Video {
    fn frames(&self, count: u32) -> signalr::HubStream<Frame>;
}

fn main() {}
