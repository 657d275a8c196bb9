//! Runnable examples of the toolkit; each lives in this package's `examples/` targets, and
//! the hubs they serve live here so tests can host them in-process.

pub mod alloc;
pub mod app;
pub mod chat;
pub mod conformance;
pub mod jwt;
pub mod signal;
pub mod signalarrr_test;
