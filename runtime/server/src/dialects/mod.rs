//! Wire dialects: other protocols spoken over the same hubs, each at an endpoint of its own
//! beside the hub protocol's, sharing the server's clients, groups, authentication, filters
//! and scale-out. Each implements the engine's [`Dialect`](crate::dialect::Dialect) hook.

pub mod signalarrr;
