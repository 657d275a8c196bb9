use std::borrow::Cow;

#[signalr::hub_contract]
pub trait Chat {
    async fn send(&self, text: Cow<'static, str>);
}

fn main() {}
