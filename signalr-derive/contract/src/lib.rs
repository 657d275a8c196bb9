//! The hub contract model shared by the `#[hub_contract]` macro and the `signalr-codegen`
//! command: a Rust trait, parsed with syn, becomes a validated description of a hub (its
//! methods, wire names, parameter and result types, authorization). Both front ends read
//! contracts through this one crate, so the Rust proxies and the generated clients cannot
//! disagree.
//!
//! - [`model`](HubContract): the contract as data, every type resolved once into its wire
//!   shape ([`TypeUse`]), the syntax kept beside it for spans ([`Origin`]);
//! - [`parse_contract`]: trait → model, every error collected in one [`Ctxt`];
//! - [`collect_types`] / [`type_ref`]: the serde types a contract uses, as serde puts them
//!   on the wire;
//! - wire names follow `signalr_protocol::names`, the rule the server resolves targets by.

mod attr;
mod ctxt;
mod model;
mod parse;
mod types;

pub use attr::{ContractArgs, is_contract_attribute, is_hub_attribute};
pub use ctxt::{Ctxt, Errors};
pub use model::{
    ErrorType, HubContract, Method, Origin, Output, OutputKind, Param, ParamKind, ParamSyntax,
    Requirement, Side, TypeUse,
};
pub use parse::{contracts_in_file, parse_contract, parse_contract_in};
pub use types::{
    EnumRepr, Field, MapKey, NameKind, RenameRule, TypeDef, TypeDefKind, TypeError, TypeRef,
    Variant, VariantKind, collect_types, type_display, type_ref, wire_name,
};
