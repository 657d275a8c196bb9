// `authorize` takes `roles` and `policy`; a misspelt key is reported at the key.

#[signalr::hub_contract]
pub trait Admin {
    #[hub(authorize(role = "admin"))]
    async fn restart(&self);
}

fn main() {}
