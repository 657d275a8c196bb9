//! Connected clients, groups and users, and sending to them.
//!
//! A message to many connections is encoded once per kind of connection and the same bytes
//! are queued on every connection.

pub(crate) mod caller;
pub(crate) mod codec;
pub(crate) mod proxy;
pub(crate) mod registry;

pub use caller::Caller;
pub use proxy::{ClientProxy, Clients, Groups, SingleClientProxy};
