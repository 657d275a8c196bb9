//! Redis scale-out for signalr-server (work in progress).

mod channels;
mod inbox;
mod link;
mod messages;
mod msgpack;

#[cfg(test)]
mod golden_tests;

pub use msgpack::WireError;
