//! Typed SignalR hubs and clients.
//!
//! This is the crate applications and generated code depend on. It re-exports the layers
//! beneath it, so generated code can name everything through one path:
//!
//! - [`protocol`]: the sans-io hub protocol (handshake, JSON and MessagePack, framing).

pub use signalr_protocol as protocol;
