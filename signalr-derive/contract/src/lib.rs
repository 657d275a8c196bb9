//! The hub contract model shared by the `#[hub_contract]` macro and the `signalr-codegen`
//! command: a Rust trait, parsed with syn, becomes a validated description of a hub (its
//! methods, wire names, parameter and result kinds). Both front ends read contracts through
//! this one crate, so the Rust proxies and the generated clients cannot disagree.
//!
//! Parsing collects every error with its span instead of stopping at the first.

mod model;
mod parse;
mod types;

pub use model::{HubContract, Method, Output, OutputKind, Param, ParamKind, Side};
pub use parse::{
    ContractArgs, Errors, MethodTypes, ParsedContract, contracts_in_file, is_contract_attribute,
    parse_contract,
};
pub use types::{
    EnumRepr, Field, MapKey, NameKind, RenameRule, TypeDef, TypeDefKind, TypeError, TypeRef,
    Variant, VariantKind, collect_types, type_ref, wire_name,
};
