#[signalr::hub_contract]
pub struct Chat {
    pub name: String,
}

fn main() {}
