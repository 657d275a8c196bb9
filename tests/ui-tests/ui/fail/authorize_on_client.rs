// Authorization is the server's: a client contract cannot require anything of the server.

#[signalr::hub_contract(client)]
pub trait Screen {
    #[hub(authorize(roles = "admin"))]
    async fn show(&self, text: String);
}

fn main() {}
