//! `#[hub_contract]`: typed proxies, dispatch and receivers generated from one Rust trait.
//!
//! The attribute parses the trait with the shared contract model (`signalr-contract`), so
//! the wire names it generates are exactly those `signalr-codegen` writes into TypeScript
//! and C#. Generated code names everything through the `signalr` crate. On an invalid
//! contract the trait is still emitted, with every error as a `compile_error!` at its span.
//!
//! See the `signalr` crate for the user-facing documentation.

mod expand;

use proc_macro::TokenStream;

/// Turns a trait into a hub contract. See the `signalr` crate's documentation.
#[proc_macro_attribute]
pub fn hub_contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::hub_contract(attr.into(), item.into()).into()
}
