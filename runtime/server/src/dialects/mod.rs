//! Wire dialects: other protocols spoken over the same hubs, each at an endpoint of its own
//! beside the hub protocol's, sharing the server's clients, groups, authentication, filters
//! and scale-out. SignalARRR implements the engine's [`Dialect`](crate::dialect::Dialect)
//! hook; classic ASP.NET SignalR 2.x has a connection engine of its own over the same hub.

pub(crate) mod classic;
pub mod signalarrr;
