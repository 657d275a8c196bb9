//! The `#[hub_contract]` attribute: typed proxies, dispatch and receivers generated from one
//! Rust trait, built on the contract model in `signalr-contract`.
