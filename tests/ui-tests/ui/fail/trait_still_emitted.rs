// When a check fails the trait is still emitted as written, so code that implements it
// gets only the contract's error, not "cannot find trait" on top.

#[signalr::hub_contract]
pub trait Counter {
    async fn get(&self) -> u64;
    async fn bump(&mut self);
}

struct Impl(u64);

impl Counter for Impl {
    async fn get(&self) -> u64 {
        self.0
    }

    async fn bump(&mut self) {
        self.0 += 1;
    }
}

fn main() {
    let mut counter = Impl(0);
    drop(counter.bump());
    drop(counter.get());
}
