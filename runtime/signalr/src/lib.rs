//! Typed SignalR hubs and clients.
//!
//! This is the crate applications and generated code depend on. It re-exports the layers
//! beneath it, so generated code can name everything through one path:
//!
//! - [`protocol`]: the sans-io hub protocol (handshake, negotiate, JSON and MessagePack,
//!   framing);
//! - [`server`]: the hub server on axum and tokio;
//! - [`client`]: the hub client on tokio.

pub use signalr_client as client;
pub use signalr_protocol as protocol;
pub use signalr_server as server;
