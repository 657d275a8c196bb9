#[signalr::hub_contract]
pub trait Chat {
    fn echo(&self, text: String) -> String;
}

fn main() {}
