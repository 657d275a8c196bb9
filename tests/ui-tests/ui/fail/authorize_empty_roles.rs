// `roles` must name at least one role: an empty list would let nobody in, silently.

#[signalr::hub_contract]
#[hub(authorize(roles = " , "))]
pub trait Admin {
    async fn restart(&self);
}

fn main() {}
