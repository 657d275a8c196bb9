// `Cow<'a, str>` with `'a` declared nowhere: the contract error, and rustc's own E0261 on the
// trait the macro emits as written (whose suggestions, a lifetime on the method or the
// trait, are both refused by the contract checks).

use std::borrow::Cow;

#[signalr::hub_contract]
pub trait Chat {
    async fn send(&self, text: Cow<'a, str>);
}

fn main() {}
