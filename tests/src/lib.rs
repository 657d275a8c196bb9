//! Cross-crate tests and interoperability tests against the official SignalR peers.
