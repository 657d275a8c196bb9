// A fallible method whose error type does not convert into `HubError`: the error points at
// the error type and says what to return instead.

#[signalr::hub_contract]
pub trait Store {
    async fn load(&self, key: String) -> Result<String, String>;
}

fn main() {}
