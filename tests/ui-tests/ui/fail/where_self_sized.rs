// `where Self: Sized` on a method: not generic, and not needed; the error points at the
// `where` clause and says to remove it.

#[signalr::hub_contract]
pub trait Chat {
    async fn send(&self, text: String)
    where
        Self: Sized;
}

fn main() {}
