use signalr::CancellationToken;

#[signalr::hub_contract]
pub trait Jobs {
    async fn wait(&self, first: CancellationToken, second: CancellationToken) -> bool;
}

fn main() {}
