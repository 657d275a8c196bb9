#[signalr::hub_contract]
pub trait Store {
    async fn put<T>(&self, value: T);
}

fn main() {}
