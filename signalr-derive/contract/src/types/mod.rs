//! The DTO types a contract uses, modelled from syn as serde puts them on the wire.
//!
//! Two entry points:
//!
//! - [`type_ref`] maps a Rust type as written (a parameter, a result, a field) to its wire
//!   shape, a [`TypeRef`]. Well-known types become shapes (`Vec<T>` a list, `Uuid` a
//!   uuid, ...); any other path becomes [`TypeRef::Named`] by its last segment, to be
//!   resolved against the collected [`TypeDef`]s later. Unknown names are not errors here.
//! - [`collect_types`] reads the structs and enums of a source file (and of its inline `mod`
//!   blocks) that derive `Serialize` or `Deserialize`, and models each as a [`TypeDef`],
//!   applying the `#[serde(...)]` attributes the way `serde_derive` applies them: renames
//!   and case rules, skips, defaults, flattening, transparency, and the four enum
//!   representations.
//!
//! What cannot be represented is reported as a [`TypeError`] carrying the span of the
//! offending item and a message naming it. Nothing here panics, whatever the input.
//!
//! Decisions worth knowing:
//!
//! - **Generic types are rejected.** A struct or enum with type or const parameters is
//!   reported (lifetimes are fine), and so is a use of a generic user type such as
//!   `Page<User>`: every type in a contract must have one wire shape, which TypeScript, C#
//!   and JSON Schema can all name.
//! - **Well-known names.** A path is taken for a well-known type when it is a bare name
//!   (`Uuid`, `HashMap`, `Value`, `Timestamp`, `Binary`...) or when its first segment is
//!   that type's crate (`uuid::Uuid`, `std::collections::HashMap`, `serde_json::Value`,
//!   `jiff::Timestamp`). `crate::x::Uuid` or `dto::Value` are user types. A user type
//!   whose bare name is a well-known one is therefore shadowed: qualify it (`self::Value`).
//! - **`cfg_attr`** is read as if its condition held: `#[cfg_attr(feature = "serde",
//!   derive(Serialize), serde(rename_all = "camelCase"))]` counts.
//! - **Field adapters.** `#[serde(with = "serde_bytes")]` (bytes) and `#[serde(with =
//!   "time::serde::rfc3339")]` / `"time::serde::rfc3339::option"` (date-times) are
//!   understood; any other `with`, and every `serialize_with` / `deserialize_with`, is an
//!   error, since the wire shape is then whatever a function writes.

mod collect;
mod error;
mod model;
mod rename;
mod resolve;
mod serde_attr;

pub use collect::collect_types;
pub use error::TypeError;
pub use model::{EnumRepr, Field, MapKey, TypeDef, TypeDefKind, TypeRef, Variant, VariantKind};
pub(crate) use rename::unraw;
pub use rename::{NameKind, RenameRule, wire_name};
pub use resolve::{type_display, type_ref};
