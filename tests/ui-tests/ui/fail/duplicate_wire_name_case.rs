// Wire names are matched case-insensitively: `send_message` (`SendMessage`) and a method
// renamed `SENDMESSAGE` collide.

#[signalr::hub_contract]
pub trait Chat {
    async fn send_message(&self, text: String);
    #[hub(name = "SENDMESSAGE")]
    async fn shout(&self, text: String);
}

fn main() {}
