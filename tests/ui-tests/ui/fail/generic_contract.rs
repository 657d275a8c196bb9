#[signalr::hub_contract]
pub trait Store<T> {
    async fn put(&self, value: String);
}

fn main() {}
