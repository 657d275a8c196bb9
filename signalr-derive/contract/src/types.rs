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
//! - **Items with errors are left out** of the returned definitions; their errors say why.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use serde::{Deserialize, Serialize};
use syn::spanned::Spanned;

use crate::parse::docs;
use syn::{
    Attribute, Expr, ExprLit, Fields, GenericArgument, GenericParam, Ident, Item, Lit, LitStr,
    Meta, PathArguments, Token, Type, TypePath,
};

// ---------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------

/// The wire shape of a Rust type as written in a contract or a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum TypeRef {
    /// `bool`.
    Bool,
    /// An integer: `i8`..`i128`, `u8`..`u128` (`isize` and `usize` as 64 bits), `NonZero*`.
    Int {
        /// The width in bits.
        bits: u8,
        /// Whether it is signed.
        signed: bool,
    },
    /// A float: `f32` or `f64`.
    Float {
        /// The width in bits.
        bits: u8,
    },
    /// Text: `String`, `str`, `char`, `Cow<str>`.
    String,
    /// `signalr::Binary`: MessagePack `bin`, and base64 text in JSON (as .NET writes
    /// `byte[]`).
    Bytes,
    /// Bytes written through serde's `serialize_bytes`: `serde_bytes::ByteBuf` / `Bytes`,
    /// `bytes::Bytes`, and byte containers under `#[serde(with = "serde_bytes")]`.
    /// MessagePack carries them as `bin`; serde_json writes an array of numbers.
    SerdeBytes,
    /// `uuid::Uuid`: a hyphenated string.
    Uuid,
    /// An instant as an RFC 3339 string: `chrono::DateTime<_>`, `jiff::Timestamp`,
    /// `time::OffsetDateTime` (which writes RFC 3339 only under
    /// `#[serde(with = "time::serde::rfc3339")]`).
    DateTime,
    /// `Option<T>`: the value or `null`.
    Option(Box<TypeRef>),
    /// A sequence: `Vec`, `VecDeque`, `LinkedList`, `BinaryHeap`, `HashSet`, `BTreeSet`,
    /// `IndexSet`, `[T; N]`, `[T]`, `Box<[T]>`; `Vec<u8>` too (an array of numbers, as
    /// serde writes it, unless `#[serde(with = "serde_bytes")]`).
    List(Box<TypeRef>),
    /// A map, written as an object: `HashMap`, `BTreeMap`, `IndexMap`, `serde_json::Map`.
    Map {
        /// The key type.
        key: Box<TypeRef>,
        /// How the key becomes an object key (JSON object keys are strings).
        key_kind: MapKey,
        /// The value type.
        value: Box<TypeRef>,
    },
    /// A tuple `(A, B, ...)`: an array with one element per position.
    Tuple(Vec<TypeRef>),
    /// `()` or `PhantomData<T>`: `null`.
    Unit,
    /// `serde_json::Value`: any JSON.
    Json,
    /// A user type, by the last segment of its path; resolved against [`TypeDef::name`]
    /// later.
    Named(String),
}

/// How a map key becomes a JSON object key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MapKey {
    /// A string (`String`, `str`, `char`): written as is.
    String,
    /// An integer: written as its decimal digits.
    Integer,
    /// A uuid: written as its hyphenated string.
    Uuid,
    /// A user type: it must resolve to a key type ([`TypeDef::map_key`]), such as a
    /// unit-only enum; checked when names are resolved.
    Named,
}

/// A user type found in a source file: a struct or enum deriving `Serialize` or
/// `Deserialize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeDef {
    /// The Rust name (without `r#`).
    pub name: String,
    /// The inline modules the item sits in, outermost first (empty at the file's top).
    pub module: Vec<String>,
    /// The name serde uses when serializing (`#[serde(rename)]`); it is the tag value of a
    /// struct with `#[serde(tag = "...")]`.
    pub wire_name: String,
    /// The name serde uses when deserializing.
    pub deserialize_name: String,
    /// The doc comment, line by line.
    pub docs: Vec<String>,
    /// Whether the type derives `Serialize`.
    pub serialize: bool,
    /// Whether the type derives `Deserialize`.
    pub deserialize: bool,
    /// The shape.
    pub kind: TypeDefKind,
}

/// The shape of a user type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum TypeDefKind {
    /// A struct with named fields: an object.
    Struct {
        /// The fields not skipped in both directions, in declaration order.
        fields: Vec<Field>,
        /// `#[serde(tag = "...")]` on a struct: serialization adds this key with the value
        /// [`TypeDef::wire_name`]; deserialization ignores it.
        tag: Option<String>,
        /// `#[serde(deny_unknown_fields)]`.
        deny_unknown_fields: bool,
    },
    /// Written as another type: a newtype struct `struct Id(Uuid)`, a
    /// `#[serde(transparent)]` struct, or `#[serde(from = "T", into = "T")]`.
    Newtype(TypeRef),
    /// A tuple struct of zero or several fields: an array (fields skipped in both
    /// directions are left out).
    Tuple(Vec<TypeRef>),
    /// A unit struct: `null`.
    Unit,
    /// An enum.
    Enum {
        /// How variants are told apart.
        repr: EnumRepr,
        /// The variants not skipped in both directions, in declaration order.
        variants: Vec<Variant>,
    },
}

/// How an enum's variants appear on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum EnumRepr {
    /// serde's default: `"Unit"`, `{"Newtype": value}`, `{"Tuple": [..]}`,
    /// `{"Struct": {..}}`.
    External,
    /// `#[serde(tag = "t")]`: `{"t": "Unit"}`, `{"t": "Struct", ..fields}`; a newtype
    /// variant's content (a struct or map) is merged with the tag. No tuple variants.
    Internal {
        /// The tag key.
        tag: String,
    },
    /// `#[serde(tag = "t", content = "c")]`: `{"t": "Unit"}`, `{"t": "V", "c": content}`.
    Adjacent {
        /// The tag key.
        tag: String,
        /// The content key.
        content: String,
    },
    /// `#[serde(untagged)]`: the content alone (`null` for a unit variant).
    Untagged,
}

/// A field of a struct or of a struct variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    /// The Rust name (without `r#`).
    pub name: String,
    /// The key written when serializing.
    pub wire_name: String,
    /// The key read when deserializing.
    pub deserialize_name: String,
    /// Further keys accepted when deserializing (`alias`, extra `rename(deserialize)`),
    /// sorted, without [`Field::deserialize_name`].
    pub aliases: Vec<String>,
    /// The doc comment, line by line.
    pub docs: Vec<String>,
    /// The wire shape.
    pub ty: TypeRef,
    /// The field adapter module of `#[serde(with = "...")]`, if any (`serde_bytes`,
    /// `time::serde::rfc3339`, `time::serde::rfc3339::option`).
    pub with: Option<String>,
    /// `#[serde(skip_serializing)]`: never written.
    pub skip_serializing: bool,
    /// `#[serde(skip_deserializing)]`: never read.
    pub skip_deserializing: bool,
    /// `#[serde(skip_serializing_if = "...")]`: may be left out when serializing.
    pub skip_serializing_if: bool,
    /// A missing key is filled in when deserializing: `#[serde(default)]` on the field or
    /// the struct, or implied by `skip_deserializing`.
    pub default: bool,
    /// `#[serde(flatten)]`: the value's keys are merged into the enclosing object.
    pub flatten: bool,
}

impl Field {
    /// Whether every serialized value has this key.
    pub fn required_on_output(&self) -> bool {
        !self.skip_serializing && !self.skip_serializing_if && !self.flatten
    }

    /// Whether deserializing fails without this key. An `Option` field may be missing
    /// (serde reads it as `None`) unless a `with` adapter reads it.
    pub fn required_on_input(&self) -> bool {
        let missing_is_none = matches!(self.ty, TypeRef::Option(_)) && self.with.is_none();
        !(self.skip_deserializing || self.default || self.flatten || missing_is_none)
    }
}

/// A variant of an enum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    /// The Rust name (without `r#`).
    pub name: String,
    /// The tag written when serializing.
    pub wire_name: String,
    /// The tag read when deserializing.
    pub deserialize_name: String,
    /// Further tags accepted when deserializing, sorted, without
    /// [`Variant::deserialize_name`].
    pub aliases: Vec<String>,
    /// The doc comment, line by line.
    pub docs: Vec<String>,
    /// The variant's content.
    pub kind: VariantKind,
    /// `#[serde(skip_serializing)]`: serializing this variant fails.
    pub skip_serializing: bool,
    /// `#[serde(skip_deserializing)]`: never read.
    pub skip_deserializing: bool,
    /// `#[serde(other)]`: read for any unknown tag (internally or adjacently tagged enums).
    pub other: bool,
    /// `#[serde(untagged)]` on the variant: written and read without a tag, after the
    /// tagged variants.
    pub untagged: bool,
}

/// The content of a variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum VariantKind {
    /// No content (also a newtype variant whose only field is skipped).
    Unit,
    /// One unnamed field.
    Newtype(TypeRef),
    /// Zero or several unnamed fields: an array (fields skipped in both directions are
    /// left out).
    Tuple(Vec<TypeRef>),
    /// Named fields: an object (fields skipped in both directions are left out).
    Struct(Vec<Field>),
}

impl TypeRef {
    /// The names of the user types this type mentions, in order of appearance.
    pub fn named(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_named(&mut out);
        out
    }

    fn collect_named<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            TypeRef::Named(n) => out.push(n),
            TypeRef::Option(t) | TypeRef::List(t) => t.collect_named(out),
            TypeRef::Map { key, value, .. } => {
                key.collect_named(out);
                value.collect_named(out);
            }
            TypeRef::Tuple(items) => items.iter().for_each(|t| t.collect_named(out)),
            TypeRef::Bool
            | TypeRef::Int { .. }
            | TypeRef::Float { .. }
            | TypeRef::String
            | TypeRef::Bytes
            | TypeRef::SerdeBytes
            | TypeRef::Uuid
            | TypeRef::DateTime
            | TypeRef::Unit
            | TypeRef::Json => {}
        }
    }
}

impl TypeDef {
    /// The module path and name, `a::b::Name`.
    pub fn qualified_name(&self) -> String {
        let mut parts = self.module.clone();
        parts.push(self.name.clone());
        parts.join("::")
    }

    /// Whether the type is an enum of unit variants only.
    pub fn is_unit_only_enum(&self) -> bool {
        matches!(&self.kind, TypeDefKind::Enum { variants, .. }
            if variants.iter().all(|v| v.kind == VariantKind::Unit))
    }

    /// How this type becomes a JSON object key, or `None` if serde_json refuses it as a
    /// key. An externally tagged enum of unit variants is written as its variant name; a
    /// newtype is written as its content ([`MapKey::Named`]: look that type up in turn).
    pub fn map_key(&self) -> Option<MapKey> {
        match &self.kind {
            TypeDefKind::Enum {
                repr: EnumRepr::External,
                variants,
            } if variants
                .iter()
                .all(|v| v.kind == VariantKind::Unit && !v.untagged) =>
            {
                Some(MapKey::String)
            }
            TypeDefKind::Newtype(inner) => key_kind(inner),
            _ => None,
        }
    }

    /// The names of the user types this definition mentions, in order, without repeats.
    pub fn referenced_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut refs: Vec<&TypeRef> = Vec::new();
        match &self.kind {
            TypeDefKind::Struct { fields, .. } => refs.extend(fields.iter().map(|f| &f.ty)),
            TypeDefKind::Newtype(t) => refs.push(t),
            TypeDefKind::Tuple(items) => refs.extend(items.iter()),
            TypeDefKind::Unit => {}
            TypeDefKind::Enum { variants, .. } => {
                for v in variants {
                    match &v.kind {
                        VariantKind::Unit => {}
                        VariantKind::Newtype(t) => refs.push(t),
                        VariantKind::Tuple(items) => refs.extend(items.iter()),
                        VariantKind::Struct(fields) => refs.extend(fields.iter().map(|f| &f.ty)),
                    }
                }
            }
        }
        for t in refs {
            for n in t.named() {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// A type that cannot be represented, with the span of the offending item and a message
/// naming it.
#[derive(Debug, Clone)]
pub struct TypeError {
    span: Span,
    item: String,
    message: String,
}

impl TypeError {
    /// An error at `span` about `item`; the message is "`item`: detail".
    pub fn new(span: Span, item: impl Into<String>, detail: impl fmt::Display) -> TypeError {
        let item = item.into();
        let message = format!("`{item}`: {detail}");
        TypeError {
            span,
            item,
            message,
        }
    }

    /// Where the problem is.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The item the problem is about: a type (`Order`), a field (`Order.lines`), a
    /// variant (`Shape::Circle`), or for [`type_ref`] the type as written.
    pub fn item(&self) -> &str {
        &self.item
    }

    /// The whole message, which names the item.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// As a `syn::Error`, for `compile_error!` output.
    pub fn to_syn_error(&self) -> syn::Error {
        syn::Error::new(self.span, &self.message)
    }

    /// As a `compile_error!` token stream.
    pub fn to_compile_error(&self) -> TokenStream {
        self.to_syn_error().to_compile_error()
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TypeError {}

impl From<TypeError> for syn::Error {
    fn from(e: TypeError) -> syn::Error {
        e.to_syn_error()
    }
}

/// An error before it is attached to an item.
#[derive(Debug)]
struct Fail {
    span: Span,
    detail: String,
}

fn fail<T>(span: Span, detail: impl Into<String>) -> Result<T, Fail> {
    Err(Fail {
        span,
        detail: detail.into(),
    })
}

impl Fail {
    fn at(self, item: &str) -> TypeError {
        TypeError::new(self.span, item, self.detail)
    }
}

// ---------------------------------------------------------------------------------------
// Rename rules
// ---------------------------------------------------------------------------------------

/// A serde `rename_all` case rule, applied exactly as `serde_derive` applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RenameRule {
    /// `"lowercase"`.
    #[serde(rename = "lowercase")]
    LowerCase,
    /// `"UPPERCASE"`.
    #[serde(rename = "UPPERCASE")]
    UpperCase,
    /// `"PascalCase"`.
    #[serde(rename = "PascalCase")]
    PascalCase,
    /// `"camelCase"`.
    #[serde(rename = "camelCase")]
    CamelCase,
    /// `"snake_case"`.
    #[serde(rename = "snake_case")]
    SnakeCase,
    /// `"SCREAMING_SNAKE_CASE"`.
    #[serde(rename = "SCREAMING_SNAKE_CASE")]
    ScreamingSnakeCase,
    /// `"kebab-case"`.
    #[serde(rename = "kebab-case")]
    KebabCase,
    /// `"SCREAMING-KEBAB-CASE"`.
    #[serde(rename = "SCREAMING-KEBAB-CASE")]
    ScreamingKebabCase,
}

/// What a name belongs to: serde's rules treat fields and variants differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A struct field (or a struct variant's field): written in snake_case in Rust.
    Field,
    /// An enum variant: written in PascalCase in Rust.
    Variant,
}

impl RenameRule {
    /// Every rule, in serde's order.
    pub const ALL: [RenameRule; 8] = [
        RenameRule::LowerCase,
        RenameRule::UpperCase,
        RenameRule::PascalCase,
        RenameRule::CamelCase,
        RenameRule::SnakeCase,
        RenameRule::ScreamingSnakeCase,
        RenameRule::KebabCase,
        RenameRule::ScreamingKebabCase,
    ];

    /// The rule a `rename_all = "..."` string names, if any.
    pub fn from_serde(s: &str) -> Option<RenameRule> {
        RenameRule::ALL.into_iter().find(|r| r.as_serde() == s)
    }

    /// The string serde spells the rule with.
    pub fn as_serde(self) -> &'static str {
        match self {
            RenameRule::LowerCase => "lowercase",
            RenameRule::UpperCase => "UPPERCASE",
            RenameRule::PascalCase => "PascalCase",
            RenameRule::CamelCase => "camelCase",
            RenameRule::SnakeCase => "snake_case",
            RenameRule::ScreamingSnakeCase => "SCREAMING_SNAKE_CASE",
            RenameRule::KebabCase => "kebab-case",
            RenameRule::ScreamingKebabCase => "SCREAMING-KEBAB-CASE",
        }
    }

    /// Applies the rule to a variant name (serde's `apply_to_variant`).
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            RenameRule::PascalCase => variant.to_owned(),
            RenameRule::LowerCase => variant.to_ascii_lowercase(),
            RenameRule::UpperCase => variant.to_ascii_uppercase(),
            RenameRule::CamelCase => lower_first_ascii(variant),
            RenameRule::SnakeCase => {
                let mut snake = String::new();
                for (i, ch) in variant.char_indices() {
                    if i > 0 && ch.is_uppercase() {
                        snake.push('_');
                    }
                    snake.push(ch.to_ascii_lowercase());
                }
                snake
            }
            RenameRule::ScreamingSnakeCase => RenameRule::SnakeCase
                .apply_to_variant(variant)
                .to_ascii_uppercase(),
            RenameRule::KebabCase => RenameRule::SnakeCase
                .apply_to_variant(variant)
                .replace('_', "-"),
            RenameRule::ScreamingKebabCase => RenameRule::ScreamingSnakeCase
                .apply_to_variant(variant)
                .replace('_', "-"),
        }
    }

    /// Applies the rule to a field name (serde's `apply_to_field`). Note serde's quirks:
    /// `lowercase` and `snake_case` leave field names as written.
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::LowerCase | RenameRule::SnakeCase => field.to_owned(),
            RenameRule::UpperCase | RenameRule::ScreamingSnakeCase => field.to_ascii_uppercase(),
            RenameRule::PascalCase => {
                let mut pascal = String::new();
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            RenameRule::CamelCase => {
                lower_first_ascii(&RenameRule::PascalCase.apply_to_field(field))
            }
            RenameRule::KebabCase => field.replace('_', "-"),
            RenameRule::ScreamingKebabCase => field.to_ascii_uppercase().replace('_', "-"),
        }
    }

    /// Applies the rule to a field or a variant name.
    pub fn apply(self, name: &str, kind: NameKind) -> String {
        match kind {
            NameKind::Field => self.apply_to_field(name),
            NameKind::Variant => self.apply_to_variant(name),
        }
    }
}

impl fmt::Display for RenameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_serde())
    }
}

/// serde lowercases the first byte (`s[..1].to_ascii_lowercase()`); for a non-ASCII first
/// character (where serde_derive itself would panic) the character is kept.
fn lower_first_ascii(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out = String::with_capacity(s.len());
            out.push(first.to_ascii_lowercase());
            out.push_str(chars.as_str());
            out
        }
        None => String::new(),
    }
}

/// The wire name serde gives a field or variant named `rust_name` (a leading `r#` is
/// dropped) under an optional `rename_all` rule, when it has no `rename` of its own.
pub fn wire_name(rust_name: &str, rule: Option<RenameRule>, kind: NameKind) -> String {
    let name = unraw_str(rust_name);
    match rule {
        Some(rule) => rule.apply(name, kind),
        None => name.to_owned(),
    }
}

fn unraw_str(s: &str) -> &str {
    s.trim_start_matches("r#")
}

fn unraw(ident: &Ident) -> String {
    unraw_str(&ident.to_string()).to_owned()
}

// ---------------------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------------------

/// The attributes as if every `cfg_attr` condition held.
fn expand_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    let mut out = Vec::new();
    expand_into(attrs.iter().cloned(), &mut out, 0);
    out
}

fn expand_into(attrs: impl Iterator<Item = Attribute>, out: &mut Vec<Attribute>, depth: usize) {
    for attr in attrs {
        if !attr.path().is_ident("cfg_attr") {
            out.push(attr);
            continue;
        }
        if depth > 16 {
            continue;
        }
        let Meta::List(list) = &attr.meta else {
            continue;
        };
        let Ok(metas) =
            list.parse_args_with(syn::punctuated::Punctuated::<Meta, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let inner = metas.into_iter().skip(1).map(|meta| Attribute {
            pound_token: attr.pound_token,
            style: attr.style,
            bracket_token: attr.bracket_token,
            meta,
        });
        let inner: Vec<Attribute> = inner.collect();
        expand_into(inner.into_iter(), out, depth + 1);
    }
}

/// Which of `Serialize` / `Deserialize` the attributes derive (by last path segment).
fn derives(attrs: &[Attribute]) -> (bool, bool) {
    let mut ser = false;
    let mut de = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr
            .parse_args_with(syn::punctuated::Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        for p in paths {
            match p.segments.last().map(|s| s.ident.to_string()).as_deref() {
                Some("Serialize") => ser = true,
                Some("Deserialize") => de = true,
                _ => {}
            }
        }
    }
    (ser, de)
}

fn ungroup_expr(mut expr: &Expr) -> &Expr {
    while let Expr::Group(g) = expr {
        expr = &g.expr;
    }
    expr
}

/// The value of one entry in `#[serde(...)]`.
#[derive(Debug)]
enum MetaValue {
    /// `key`
    Flag,
    /// `key = "..."`
    Str(LitStr),
    /// `key = <not a string>`
    NotStr,
    /// `key(serialize = "...", deserialize = "...")`
    Split { ser: Vec<LitStr>, de: Vec<LitStr> },
}

/// One entry in `#[serde(...)]`.
#[derive(Debug)]
struct SerdeMeta {
    key: String,
    span: Span,
    value: MetaValue,
}

impl SerdeMeta {
    fn flag(&self, what: &str) -> Result<(), Fail> {
        match self.value {
            MetaValue::Flag => Ok(()),
            _ => fail(
                self.span,
                format!("`#[serde({})]` takes no value on {what}", self.key),
            ),
        }
    }

    fn string(&self) -> Result<&LitStr, Fail> {
        match &self.value {
            MetaValue::Str(s) => Ok(s),
            _ => fail(
                self.span,
                format!("expected a string: `#[serde({} = \"...\")]`", self.key),
            ),
        }
    }

    /// `key = "x"` gives both directions; `key(serialize = .., deserialize = ..)` each.
    fn ser_de(&self) -> Result<(Option<&LitStr>, Vec<&LitStr>), Fail> {
        match &self.value {
            MetaValue::Str(s) => Ok((Some(s), vec![s])),
            MetaValue::Split { ser, de } => Ok((ser.first(), de.iter().collect())),
            MetaValue::Flag | MetaValue::NotStr => fail(
                self.span,
                format!(
                    "expected `{0} = \"...\"` or `{0}(serialize = \"...\", deserialize = \"...\")`",
                    self.key
                ),
            ),
        }
    }
}

fn path_string(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Every entry of every `#[serde(...)]` attribute, parsed the way serde_derive parses them.
fn serde_metas(attrs: &[Attribute]) -> (Vec<SerdeMeta>, Vec<Fail>) {
    let mut metas = Vec::new();
    let mut errors = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        if let Meta::List(list) = &attr.meta
            && list.tokens.is_empty()
        {
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            let key = path_string(&meta.path);
            let span = meta.path.span();
            let value = if meta.input.peek(Token![=]) {
                let expr: Expr = meta.value()?.parse()?;
                match ungroup_expr(&expr) {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => MetaValue::Str(s.clone()),
                    _ => MetaValue::NotStr,
                }
            } else if meta.input.peek(syn::token::Paren) {
                let mut ser = Vec::new();
                let mut de = Vec::new();
                meta.parse_nested_meta(|inner| {
                    let which = path_string(&inner.path);
                    let expr: Expr = inner.value()?.parse()?;
                    let Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) = ungroup_expr(&expr)
                    else {
                        return Err(inner.error("expected a string"));
                    };
                    match which.as_str() {
                        "serialize" => ser.push(s.clone()),
                        "deserialize" => de.push(s.clone()),
                        _ => {
                            return Err(inner.error(
                                "expected `serialize = \"...\"` or `deserialize = \"...\"`",
                            ));
                        }
                    }
                    Ok(())
                })?;
                MetaValue::Split { ser, de }
            } else {
                MetaValue::Flag
            };
            metas.push(SerdeMeta { key, span, value });
            Ok(())
        });
        if let Err(e) = result {
            errors.push(Fail {
                span: e.span(),
                detail: format!("malformed `#[serde(...)]` attribute: {e}"),
            });
        }
    }
    (metas, errors)
}

/// A field adapter named by `#[serde(with = "...")]` that keeps a known wire shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adapter {
    None,
    SerdeBytes,
    Rfc3339,
    Rfc3339Option,
}

/// The adapter a field's serde entries ask for; errors for unknown adapters.
fn adapter_of(metas: &[SerdeMeta]) -> Result<(Adapter, Option<String>), Fail> {
    let mut adapter = (Adapter::None, None);
    for m in metas {
        match m.key.as_str() {
            "with" => {
                let lit = m.string()?;
                let path: syn::Path = lit.parse().map_err(|_| Fail {
                    span: lit.span(),
                    detail: format!("cannot parse `with = {:?}` as a path", lit.value()),
                })?;
                let text = path_string(&path);
                let a = match text.as_str() {
                    "serde_bytes" => Adapter::SerdeBytes,
                    "time::serde::rfc3339" => Adapter::Rfc3339,
                    "time::serde::rfc3339::option" => Adapter::Rfc3339Option,
                    _ => {
                        return fail(
                            lit.span(),
                            format!(
                                "`#[serde(with = \"{text}\")]` writes whatever its functions write, so the wire shape is unknown; only `serde_bytes` and `time::serde::rfc3339` (`::option`) are understood"
                            ),
                        );
                    }
                };
                adapter = (a, Some(text));
            }
            "serialize_with" | "deserialize_with" => {
                return fail(
                    m.span,
                    format!(
                        "`#[serde({})]` writes whatever its function writes, so the wire shape is unknown; use a type whose serde shape is the wire shape",
                        m.key
                    ),
                );
            }
            _ => {}
        }
    }
    Ok(adapter)
}

fn check_no_serde_as(attrs: &[Attribute]) -> Result<(), Fail> {
    match attrs.iter().find(|a| a.path().is_ident("serde_as")) {
        Some(a) => fail(
            a.span(),
            "`#[serde_as(...)]` (serde_with) changes the wire shape in ways this model cannot follow",
        ),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Type references
// ---------------------------------------------------------------------------------------

/// The wire shape of a Rust type as written in a contract or a field, given the field's
/// attributes (for `#[serde(with = "serde_bytes")]` and the like; pass `&[]` for a
/// parameter or result type).
///
/// Unknown paths are not errors: they become [`TypeRef::Named`] by their last segment.
/// Errors are for what no wire shape describes: references to trait objects, function
/// pointers, map keys that are not strings, generic user types, `serialize_with`, ...
pub fn type_ref(ty: &Type, field_attrs: &[Attribute]) -> Result<TypeRef, TypeError> {
    let attrs = expand_attrs(field_attrs);
    let item = type_display(ty);
    check_no_serde_as(&attrs).map_err(|f| f.at(&item))?;
    let (metas, errors) = serde_metas(&attrs);
    if let Some(e) = errors.into_iter().next() {
        return Err(e.at(&item));
    }
    let (adapter, _) = adapter_of(&metas).map_err(|f| f.at(&item))?;
    resolve_field(ty, adapter, &Ctx { self_name: None }).map_err(|f| f.at(&item))
}

/// A type as Rust source, compactly spaced: `HashMap<String, Vec<u8>>`.
fn type_display(ty: &Type) -> String {
    let raw = ty.to_token_stream().to_string();
    raw.replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" <", "<")
        .replace("< ", "<")
        .replace(" >", ">")
        .replace(" ,", ",")
        .replace("& ", "&")
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace("( ", "(")
        .replace(" )", ")")
        .replace(" ;", ";")
}

struct Ctx<'a> {
    /// The enclosing type's name, for `Self`.
    self_name: Option<&'a str>,
}

const MAX_DEPTH: usize = 64;

fn resolve_field(ty: &Type, adapter: Adapter, cx: &Ctx<'_>) -> Result<TypeRef, Fail> {
    match adapter {
        Adapter::None => resolve(ty, cx, 0),
        Adapter::SerdeBytes => resolve_bytes(ty, cx, true, 0),
        Adapter::Rfc3339 => match resolve(ty, cx, 0)? {
            TypeRef::DateTime => Ok(TypeRef::DateTime),
            _ => fail(
                ty.span(),
                "`#[serde(with = \"time::serde::rfc3339\")]` applies to `OffsetDateTime`",
            ),
        },
        Adapter::Rfc3339Option => match resolve(ty, cx, 0)? {
            TypeRef::Option(inner) if *inner == TypeRef::DateTime => {
                Ok(TypeRef::Option(Box::new(TypeRef::DateTime)))
            }
            _ => fail(
                ty.span(),
                "`#[serde(with = \"time::serde::rfc3339::option\")]` applies to `Option<OffsetDateTime>`",
            ),
        },
    }
}

/// The type arguments of a path segment (lifetimes skipped); whether any const or other
/// non-type argument is present.
fn type_args(args: &PathArguments) -> Result<(Vec<&Type>, bool), Fail> {
    match args {
        PathArguments::None => Ok((Vec::new(), false)),
        PathArguments::Parenthesized(p) => fail(
            p.span(),
            "function-trait arguments `(..) -> ..` have no wire shape",
        ),
        PathArguments::AngleBracketed(a) => {
            let mut types = Vec::new();
            let mut other = false;
            for arg in &a.args {
                match arg {
                    GenericArgument::Type(t) => types.push(t),
                    GenericArgument::Lifetime(_) => {}
                    _ => other = true,
                }
            }
            Ok((types, other))
        }
    }
}

const STD: &[&str] = &["std", "core", "alloc"];

fn one<'t>(ty: &Type, name: &str, args: &[&'t Type]) -> Result<&'t Type, Fail> {
    match args {
        [t] => Ok(t),
        [t, ..]
            if matches!(
                name,
                "Vec"
                    | "VecDeque"
                    | "HashSet"
                    | "IndexSet"
                    | "Box"
                    | "Arc"
                    | "Rc"
                    | "LinkedList"
                    | "BinaryHeap"
                    | "BTreeSet"
            ) =>
        {
            // An allocator or hasher parameter.
            Ok(t)
        }
        _ => fail(ty.span(), format!("`{name}` takes one type argument")),
    }
}

fn int(bits: u8, signed: bool) -> TypeRef {
    TypeRef::Int { bits, signed }
}

fn key_kind(key: &TypeRef) -> Option<MapKey> {
    match key {
        TypeRef::String => Some(MapKey::String),
        TypeRef::Int { .. } => Some(MapKey::Integer),
        TypeRef::Uuid => Some(MapKey::Uuid),
        TypeRef::Named(_) => Some(MapKey::Named),
        _ => None,
    }
}

fn resolve(ty: &Type, cx: &Ctx<'_>, depth: usize) -> Result<TypeRef, Fail> {
    if depth > MAX_DEPTH {
        return fail(ty.span(), "the type is nested too deeply");
    }
    let d = depth + 1;
    match ty {
        Type::Group(g) => resolve(&g.elem, cx, d),
        Type::Paren(p) => resolve(&p.elem, cx, d),
        Type::Reference(r) => resolve(&r.elem, cx, d),
        Type::Slice(s) => Ok(TypeRef::List(Box::new(resolve(&s.elem, cx, d)?))),
        Type::Array(a) => Ok(TypeRef::List(Box::new(resolve(&a.elem, cx, d)?))),
        Type::Tuple(t) if t.elems.is_empty() => Ok(TypeRef::Unit),
        Type::Tuple(t) => Ok(TypeRef::Tuple(
            t.elems
                .iter()
                .map(|e| resolve(e, cx, d))
                .collect::<Result<_, _>>()?,
        )),
        Type::Path(p) => resolve_path(ty, p, cx, d),
        Type::Never(_) => fail(ty.span(), "the never type `!` has no values to send"),
        Type::Ptr(_) => fail(ty.span(), "raw pointers cannot be serialized"),
        Type::BareFn(_) => fail(ty.span(), "function pointers cannot be serialized"),
        Type::TraitObject(_) | Type::ImplTrait(_) => fail(
            ty.span(),
            "trait objects and `impl Trait` have no single wire shape; use a concrete type",
        ),
        Type::Infer(_) => fail(ty.span(), "write the type out: `_` has no wire shape"),
        Type::Macro(_) => fail(
            ty.span(),
            "a type written by a macro cannot be read; write the type out",
        ),
        _ => fail(ty.span(), "this type has no wire shape"),
    }
}

fn resolve_path(ty: &Type, p: &TypePath, cx: &Ctx<'_>, d: usize) -> Result<TypeRef, Fail> {
    if p.qself.is_some() {
        return fail(
            ty.span(),
            "qualified paths like `<T as Trait>::Assoc` have no known wire shape; name the type",
        );
    }
    let segments = &p.path.segments;
    let Some(last) = segments.last() else {
        return fail(ty.span(), "empty type path");
    };
    let name = unraw(&last.ident);
    let qualified = segments.len() > 1;
    let first = segments
        .first()
        .map(|s| unraw(&s.ident))
        .unwrap_or_default();
    let from = |crates: &[&str]| !qualified || crates.contains(&first.as_str());
    let (args, other_args) = type_args(&last.arguments)?;
    let plain = args.is_empty() && !other_args;

    let known: Option<TypeRef> = match name.as_str() {
        "Self" if !qualified && plain => match cx.self_name {
            Some(n) => Some(TypeRef::Named(n.to_owned())),
            None => {
                return fail(
                    ty.span(),
                    "`Self` names the enclosing type, which is not known here",
                );
            }
        },
        "bool" if from(STD) && plain => Some(TypeRef::Bool),
        "i8" if from(STD) && plain => Some(int(8, true)),
        "i16" if from(STD) && plain => Some(int(16, true)),
        "i32" if from(STD) && plain => Some(int(32, true)),
        "i64" | "isize" if from(STD) && plain => Some(int(64, true)),
        "i128" if from(STD) && plain => Some(int(128, true)),
        "u8" if from(STD) && plain => Some(int(8, false)),
        "u16" if from(STD) && plain => Some(int(16, false)),
        "u32" if from(STD) && plain => Some(int(32, false)),
        "u64" | "usize" if from(STD) && plain => Some(int(64, false)),
        "u128" if from(STD) && plain => Some(int(128, false)),
        "NonZeroI8" if from(STD) && plain => Some(int(8, true)),
        "NonZeroI16" if from(STD) && plain => Some(int(16, true)),
        "NonZeroI32" if from(STD) && plain => Some(int(32, true)),
        "NonZeroI64" | "NonZeroIsize" if from(STD) && plain => Some(int(64, true)),
        "NonZeroI128" if from(STD) && plain => Some(int(128, true)),
        "NonZeroU8" if from(STD) && plain => Some(int(8, false)),
        "NonZeroU16" if from(STD) && plain => Some(int(16, false)),
        "NonZeroU32" if from(STD) && plain => Some(int(32, false)),
        "NonZeroU64" | "NonZeroUsize" if from(STD) && plain => Some(int(64, false)),
        "NonZeroU128" if from(STD) && plain => Some(int(128, false)),
        "NonZero" if from(STD) => match resolve(one(ty, &name, &args)?, cx, d)? {
            t @ TypeRef::Int { .. } => Some(t),
            _ => return fail(ty.span(), "`NonZero<T>` takes an integer type"),
        },
        "f32" if from(STD) && plain => Some(TypeRef::Float { bits: 32 }),
        "f64" if from(STD) && plain => Some(TypeRef::Float { bits: 64 }),
        "char" | "str" if from(STD) && plain => Some(TypeRef::String),
        "String" if from(STD) && plain => Some(TypeRef::String),
        "Option" if from(STD) => Some(TypeRef::Option(Box::new(resolve(
            one(ty, &name, &args)?,
            cx,
            d,
        )?))),
        "Vec" | "VecDeque" | "LinkedList" | "BinaryHeap" | "BTreeSet" if from(STD) => Some(
            TypeRef::List(Box::new(resolve(one(ty, &name, &args)?, cx, d)?)),
        ),
        "HashSet" if from(&["std", "hashbrown"]) => Some(TypeRef::List(Box::new(resolve(
            one(ty, &name, &args)?,
            cx,
            d,
        )?))),
        "IndexSet" if from(&["indexmap"]) => Some(TypeRef::List(Box::new(resolve(
            one(ty, &name, &args)?,
            cx,
            d,
        )?))),
        "HashMap" | "BTreeMap" | "IndexMap" | "Map"
            if (name == "Map" && from(&["serde_json"]))
                || (name == "IndexMap" && from(&["indexmap"]))
                || (name == "HashMap" && from(&["std", "hashbrown"]))
                || (name == "BTreeMap" && from(STD)) =>
        {
            let (Some(k), Some(v)) = (args.first(), args.get(1)) else {
                return fail(ty.span(), format!("`{name}` takes a key and a value type"));
            };
            let key = resolve(k, cx, d)?;
            let Some(key_kind) = key_kind(&key) else {
                return fail(
                    k.span(),
                    format!(
                        "map key `{}` cannot be a JSON object key, which is a string; use String, an integer, Uuid or a unit-only enum",
                        type_display(k)
                    ),
                );
            };
            let value = resolve(v, cx, d)?;
            Some(TypeRef::Map {
                key: Box::new(key),
                key_kind,
                value: Box::new(value),
            })
        }
        "Box" | "Arc" | "Rc" if from(STD) => Some(resolve(one(ty, &name, &args)?, cx, d)?),
        "Cell" | "RefCell" | "Mutex" | "RwLock" | "Wrapping" | "Reverse" | "Saturating"
            if from(STD) =>
        {
            Some(resolve(one(ty, &name, &args)?, cx, d)?)
        }
        "Cow" if from(STD) => Some(resolve(one(ty, &name, &args)?, cx, d)?),
        "PhantomData" if from(STD) => Some(TypeRef::Unit),
        "Uuid" if from(&["uuid"]) && plain => Some(TypeRef::Uuid),
        "DateTime" if from(&["chrono"]) => Some(TypeRef::DateTime),
        "OffsetDateTime" if from(&["time"]) && plain => Some(TypeRef::DateTime),
        "Timestamp" if from(&["jiff"]) && plain => Some(TypeRef::DateTime),
        "Binary"
            if from(&[
                "signalr",
                "signalr_protocol",
                "signalr_client",
                "signalr_server",
            ]) && plain =>
        {
            Some(TypeRef::Bytes)
        }
        "ByteBuf" if from(&["serde_bytes"]) && plain => Some(TypeRef::SerdeBytes),
        "Bytes" | "BytesMut" if from(&["serde_bytes", "bytes"]) && plain => {
            Some(TypeRef::SerdeBytes)
        }
        "Value" if from(&["serde_json"]) && plain => Some(TypeRef::Json),
        _ => None,
    };
    if let Some(t) = known {
        return Ok(t);
    }
    if !plain {
        return fail(
            ty.span(),
            format!(
                "generic type `{}` is not supported: every contract type needs one wire shape; use a concrete type",
                type_display(ty)
            ),
        );
    }
    Ok(TypeRef::Named(name))
}

fn is_u8(ty: &Type, cx: &Ctx<'_>) -> bool {
    matches!(
        resolve(ty, cx, 0),
        Ok(TypeRef::Int {
            bits: 8,
            signed: false
        })
    )
}

/// A type under `#[serde(with = "serde_bytes")]`.
fn resolve_bytes(ty: &Type, cx: &Ctx<'_>, option_ok: bool, depth: usize) -> Result<TypeRef, Fail> {
    let not_bytes = || {
        fail(
            ty.span(),
            format!(
                "`#[serde(with = \"serde_bytes\")]` applies to byte containers (`Vec<u8>`, `[u8]`, `[u8; N]`, `Box<[u8]>`, `Cow<[u8]>`, `ByteBuf`, or an `Option` of one), not to `{}`",
                type_display(ty)
            ),
        )
    };
    if depth > MAX_DEPTH {
        return not_bytes();
    }
    let d = depth + 1;
    match ty {
        Type::Group(g) => resolve_bytes(&g.elem, cx, option_ok, d),
        Type::Paren(p) => resolve_bytes(&p.elem, cx, option_ok, d),
        Type::Reference(r) => resolve_bytes(&r.elem, cx, option_ok, d),
        Type::Slice(s) if is_u8(&s.elem, cx) => Ok(TypeRef::SerdeBytes),
        Type::Array(a) if is_u8(&a.elem, cx) => Ok(TypeRef::SerdeBytes),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return not_bytes();
            };
            let name = unraw(&last.ident);
            let Ok((args, _)) = type_args(&last.arguments) else {
                return not_bytes();
            };
            match (name.as_str(), args.as_slice()) {
                ("Option", [inner]) if option_ok => Ok(TypeRef::Option(Box::new(resolve_bytes(
                    inner, cx, false, d,
                )?))),
                ("Vec", [inner, ..]) if is_u8(inner, cx) => Ok(TypeRef::SerdeBytes),
                ("Box" | "Cow", [inner, ..]) => resolve_bytes(inner, cx, false, d),
                ("ByteBuf" | "Bytes" | "ByteArray", _) => Ok(TypeRef::SerdeBytes),
                _ => not_bytes(),
            }
        }
        _ => not_bytes(),
    }
}

// ---------------------------------------------------------------------------------------
// Collecting type definitions
// ---------------------------------------------------------------------------------------

/// Every struct and enum in a source file (and its inline `mod` blocks) that derives
/// `Serialize` or `Deserialize` (by the derive's last path segment), modelled with its
/// serde attributes; and every problem found. Items with problems are left out of the
/// definitions.
pub fn collect_types(file: &syn::File) -> (Vec<TypeDef>, Vec<TypeError>) {
    let mut c = Collector::default();
    c.items(&file.items, &mut Vec::new());
    (c.defs, c.errors)
}

#[derive(Default)]
struct Collector {
    defs: Vec<TypeDef>,
    errors: Vec<TypeError>,
    /// Name → qualified name of the first definition.
    seen: BTreeMap<String, String>,
}

/// A pair of optional rename rules (serialize, deserialize).
#[derive(Debug, Clone, Copy, Default)]
struct Rules {
    ser: Option<RenameRule>,
    de: Option<RenameRule>,
}

impl Rules {
    fn or(self, other: Rules) -> Rules {
        Rules {
            ser: self.ser.or(other.ser),
            de: self.de.or(other.de),
        }
    }
}

/// The names of a field or variant after serde's rules.
struct Names {
    ser: String,
    de: String,
    aliases: Vec<String>,
}

#[derive(Default)]
struct RenameAttrs {
    ser: Option<String>,
    de: Vec<String>,
    aliases: Vec<String>,
}

impl RenameAttrs {
    fn names(&self, rust: &str, rules: Rules, kind: NameKind) -> Names {
        let ser = self
            .ser
            .clone()
            .unwrap_or_else(|| wire_name(rust, rules.ser, kind));
        let de = self
            .de
            .first()
            .cloned()
            .unwrap_or_else(|| wire_name(rust, rules.de, kind));
        let mut set: BTreeSet<String> = self.aliases.iter().cloned().collect();
        set.extend(self.de.iter().cloned());
        set.remove(&de);
        Names {
            ser,
            de,
            aliases: set.into_iter().collect(),
        }
    }
}

fn parse_rules(m: &SerdeMeta) -> Result<Rules, Fail> {
    let (ser, de) = m.ser_de()?;
    let rule = |lit: &LitStr| {
        RenameRule::from_serde(&lit.value()).ok_or_else(|| Fail {
            span: lit.span(),
            detail: format!(
                "unknown rename rule `{} = {:?}`, expected one of {}",
                m.key,
                lit.value(),
                RenameRule::ALL
                    .iter()
                    .map(|r| format!("{:?}", r.as_serde()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    };
    Ok(Rules {
        ser: ser.map(rule).transpose()?,
        de: de.first().map(|l| rule(l)).transpose()?,
    })
}

#[derive(Default)]
struct ContainerAttrs {
    rename: RenameAttrs,
    rename_all: Rules,
    rename_all_fields: Option<(Rules, Span)>,
    transparent: Option<Span>,
    deny_unknown_fields: bool,
    default: Option<Span>,
    untagged: Option<Span>,
    tag: Option<(String, Span)>,
    content: Option<(String, Span)>,
    from: Option<(Type, Span)>,
    try_from: Option<(Type, Span)>,
    into: Option<(Type, Span)>,
}

fn parse_type_lit(m: &SerdeMeta) -> Result<(Type, Span), Fail> {
    let lit = m.string()?;
    match lit.parse::<Type>() {
        Ok(t) => Ok((t, lit.span())),
        Err(_) => fail(
            lit.span(),
            format!("cannot parse `{} = {:?}` as a type", m.key, lit.value()),
        ),
    }
}

fn container_attrs(metas: &[SerdeMeta], errors: &mut Vec<Fail>) -> ContainerAttrs {
    let mut c = ContainerAttrs::default();
    for m in metas {
        if let Err(e) = container_attr(&mut c, m) {
            errors.push(e);
        }
    }
    c
}

fn container_attr(c: &mut ContainerAttrs, m: &SerdeMeta) -> Result<(), Fail> {
    match m.key.as_str() {
        "rename" => {
            let (ser, de) = m.ser_de()?;
            if let Some(s) = ser {
                c.rename.ser = Some(s.value());
            }
            if let Some(d) = de.first() {
                c.rename.de = vec![d.value()];
            }
        }
        "rename_all" => c.rename_all = parse_rules(m)?,
        "rename_all_fields" => c.rename_all_fields = Some((parse_rules(m)?, m.span)),
        "transparent" => {
            m.flag("a container")?;
            c.transparent = Some(m.span);
        }
        "deny_unknown_fields" => {
            m.flag("a container")?;
            c.deny_unknown_fields = true;
        }
        "default" => match &m.value {
            MetaValue::Flag | MetaValue::Str(_) => c.default = Some(m.span),
            _ => return fail(m.span, "expected `default` or `default = \"path\"`"),
        },
        "untagged" => {
            m.flag("a container")?;
            c.untagged = Some(m.span);
        }
        "tag" => c.tag = Some((m.string()?.value(), m.span)),
        "content" => c.content = Some((m.string()?.value(), m.span)),
        "from" => c.from = Some(parse_type_lit(m)?),
        "try_from" => c.try_from = Some(parse_type_lit(m)?),
        "into" => c.into = Some(parse_type_lit(m)?),
        "bound" | "crate" | "expecting" => {}
        "remote" => {
            return fail(
                m.span,
                "`#[serde(remote = \"...\")]` describes another crate's type; it is not a contract type",
            );
        }
        "field_identifier" | "variant_identifier" => {
            return fail(
                m.span,
                format!("`#[serde({})]` types are not contract types", m.key),
            );
        }
        other => {
            return fail(
                m.span,
                format!("unknown serde container attribute `{other}`"),
            );
        }
    }
    Ok(())
}

#[derive(Default)]
struct VariantAttrs {
    rename: RenameAttrs,
    rename_all: Rules,
    skip_ser: bool,
    skip_de: bool,
    other: Option<Span>,
    untagged: bool,
}

fn variant_attrs(metas: &[SerdeMeta], errors: &mut Vec<Fail>) -> VariantAttrs {
    let mut v = VariantAttrs::default();
    for m in metas {
        if let Err(e) = variant_attr(&mut v, m) {
            errors.push(e);
        }
    }
    v
}

fn variant_attr(v: &mut VariantAttrs, m: &SerdeMeta) -> Result<(), Fail> {
    match m.key.as_str() {
        "rename" => {
            let (ser, de) = m.ser_de()?;
            if let Some(s) = ser {
                v.rename.ser = Some(s.value());
            }
            v.rename.de.extend(de.iter().map(|l| l.value()));
        }
        "alias" => v.rename.aliases.push(m.string()?.value()),
        "rename_all" => v.rename_all = parse_rules(m)?,
        "skip" => {
            m.flag("a variant")?;
            v.skip_ser = true;
            v.skip_de = true;
        }
        "skip_serializing" => {
            m.flag("a variant")?;
            v.skip_ser = true;
        }
        "skip_deserializing" => {
            m.flag("a variant")?;
            v.skip_de = true;
        }
        "other" => {
            m.flag("a variant")?;
            v.other = Some(m.span);
        }
        "untagged" => {
            m.flag("a variant")?;
            v.untagged = true;
        }
        "bound" | "borrow" => {}
        "with" | "serialize_with" | "deserialize_with" => {
            return fail(
                m.span,
                format!(
                    "`#[serde({})]` on a variant writes whatever its function writes, so the wire shape is unknown",
                    m.key
                ),
            );
        }
        other => {
            return fail(m.span, format!("unknown serde variant attribute `{other}`"));
        }
    }
    Ok(())
}

#[derive(Default)]
struct FieldAttrs {
    rename: RenameAttrs,
    /// `default` on the field itself.
    own_default: bool,
    skip_ser: bool,
    skip_de: bool,
    skip_ser_if: bool,
    flatten: Option<Span>,
}

fn field_attrs(metas: &[SerdeMeta], errors: &mut Vec<Fail>) -> FieldAttrs {
    let mut f = FieldAttrs::default();
    for m in metas {
        if let Err(e) = field_attr(&mut f, m) {
            errors.push(e);
        }
    }
    f
}

fn field_attr(f: &mut FieldAttrs, m: &SerdeMeta) -> Result<(), Fail> {
    match m.key.as_str() {
        "rename" => {
            let (ser, de) = m.ser_de()?;
            if let Some(s) = ser {
                f.rename.ser = Some(s.value());
            }
            f.rename.de.extend(de.iter().map(|l| l.value()));
        }
        "alias" => f.rename.aliases.push(m.string()?.value()),
        "default" => match &m.value {
            MetaValue::Flag | MetaValue::Str(_) => f.own_default = true,
            _ => return fail(m.span, "expected `default` or `default = \"path\"`"),
        },
        "skip" => {
            m.flag("a field")?;
            f.skip_ser = true;
            f.skip_de = true;
        }
        "skip_serializing" => {
            m.flag("a field")?;
            f.skip_ser = true;
        }
        "skip_deserializing" => {
            m.flag("a field")?;
            f.skip_de = true;
        }
        "skip_serializing_if" => {
            m.string()?;
            f.skip_ser_if = true;
        }
        "flatten" => {
            m.flag("a field")?;
            f.flatten = Some(m.span);
        }
        // Read by `adapter_of`.
        "with" | "serialize_with" | "deserialize_with" => {}
        "bound" | "borrow" | "getter" => {}
        other => {
            return fail(m.span, format!("unknown serde field attribute `{other}`"));
        }
    }
    Ok(())
}

/// A field, parsed: its attributes and (unless skipped both ways) its wire shape.
struct ParsedField<'a> {
    field: &'a syn::Field,
    attrs: FieldAttrs,
    /// `None` when the field is skipped in both directions (its type is not read).
    ty: Option<TypeRef>,
    /// Missing on input is filled in (field or container default, or skip_deserializing).
    default: bool,
    with: Option<String>,
    docs: Vec<String>,
}

impl ParsedField<'_> {
    fn skipped(&self) -> bool {
        self.attrs.skip_ser && self.attrs.skip_de
    }

    fn is_phantom(&self) -> bool {
        matches!(&self.field.ty, Type::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "PhantomData"))
    }
}

/// Whether a value of this shape may be an object whose keys can merge into another
/// object (`flatten`, internally tagged newtype content).
fn may_be_object(ty: &TypeRef, option_ok: bool) -> bool {
    match ty {
        TypeRef::Named(_) | TypeRef::Map { .. } | TypeRef::Json | TypeRef::Unit => true,
        TypeRef::Option(inner) => option_ok && may_be_object(inner, false),
        _ => false,
    }
}

impl Collector {
    fn items(&mut self, items: &[Item], module: &mut Vec<String>) {
        for item in items {
            match item {
                Item::Struct(s) => self.item(
                    &s.attrs,
                    &s.ident,
                    &s.generics,
                    module,
                    Body::Struct(&s.fields),
                ),
                Item::Enum(e) => self.item(&e.attrs, &e.ident, &e.generics, module, Body::Enum(e)),
                Item::Union(u) => {
                    let attrs = expand_attrs(&u.attrs);
                    let (ser, de) = derives(&attrs);
                    if ser || de {
                        let name = qualified(module, &unraw(&u.ident));
                        self.errors.push(TypeError::new(
                            u.ident.span(),
                            name,
                            "serde does not derive for unions",
                        ));
                    }
                }
                Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        module.push(unraw(&m.ident));
                        self.items(items, module);
                        module.pop();
                    }
                }
                _ => {}
            }
        }
    }

    fn item(
        &mut self,
        raw_attrs: &[Attribute],
        ident: &Ident,
        generics: &syn::Generics,
        module: &[String],
        body: Body<'_>,
    ) {
        let attrs = expand_attrs(raw_attrs);
        let (ser, de) = derives(&attrs);
        if !ser && !de {
            return;
        }
        let name = unraw(ident);
        let item = qualified(module, &name);
        let before = self.errors.len();

        if let Some(p) = generics
            .params
            .iter()
            .find(|p| !matches!(p, GenericParam::Lifetime(_)))
        {
            self.errors.push(TypeError::new(
                p.span(),
                &item,
                "generic types are not supported: every contract type needs one wire shape; use concrete types",
            ));
            return;
        }

        let (metas, fails) = serde_metas(&attrs);
        let mut fails = fails;
        let c = container_attrs(&metas, &mut fails);
        self.errors.extend(fails.into_iter().map(|f| f.at(&item)));

        let names = c.rename.names(&name, Rules::default(), NameKind::Variant);
        // A container's own name is not changed by rename rules; `names` used no rule.
        let cx = Ctx {
            self_name: Some(&name),
        };
        let kind = match body {
            Body::Struct(fields) => {
                self.struct_checks(&item, fields, &c);
                match self.conversion_kind(&item, &c, (ser, de), &cx) {
                    Some(kind) => kind,
                    None => self.struct_kind(&item, fields, &c, (ser, de), &cx),
                }
            }
            Body::Enum(e) => {
                self.enum_checks(&item, &c);
                match self.conversion_kind(&item, &c, (ser, de), &cx) {
                    Some(kind) => kind,
                    None => self.enum_kind(&item, e, &c, &cx),
                }
            }
        };
        if self.errors.len() > before {
            return;
        }
        let Some(kind) = kind else { return };
        if let Some(first) = self.seen.get(&name) {
            self.errors.push(TypeError::new(
                ident.span(),
                &item,
                format!(
                    "another type named `{name}` is defined at `{first}`; types are resolved by name, so DTO names must be unique"
                ),
            ));
            return;
        }
        self.seen.insert(name.clone(), item.clone());
        self.defs.push(TypeDef {
            name,
            module: module.to_vec(),
            wire_name: names.ser,
            deserialize_name: names.de,
            docs: docs(&attrs),
            serialize: ser,
            deserialize: de,
            kind,
        });
    }

    /// Parses the fields (named or not) of a struct or variant.
    fn parse_fields<'a>(
        &mut self,
        owner: &str,
        fields: impl Iterator<Item = &'a syn::Field>,
        container_default: bool,
        cx: &Ctx<'_>,
    ) -> Vec<ParsedField<'a>> {
        let mut out = Vec::new();
        for (i, field) in fields.enumerate() {
            let label = match &field.ident {
                Some(id) => format!("{owner}.{}", unraw(id)),
                None => format!("{owner}.{i}"),
            };
            let attrs = expand_attrs(&field.attrs);
            let (metas, mut fails) = serde_metas(&attrs);
            let fa = field_attrs(&metas, &mut fails);
            let default = fa.own_default || fa.skip_de || container_default;
            let mut ty = None;
            let mut with = None;
            if !(fa.skip_ser && fa.skip_de) {
                let r = check_no_serde_as(&attrs)
                    .and_then(|()| adapter_of(&metas))
                    .and_then(|(adapter, w)| {
                        with = w;
                        resolve_field(&field.ty, adapter, cx)
                    });
                match r {
                    Ok(t) => ty = Some(t),
                    Err(f) => fails.push(f),
                }
            }
            self.errors.extend(fails.into_iter().map(|f| f.at(&label)));
            out.push(ParsedField {
                field,
                attrs: fa,
                ty,
                default,
                with,
                docs: docs(&attrs),
            });
        }
        out
    }

    /// Named fields to model fields (skipping those skipped both ways).
    fn named_fields(
        &mut self,
        owner: &str,
        parsed: Vec<ParsedField<'_>>,
        rules: Rules,
    ) -> Vec<Field> {
        let mut out = Vec::new();
        for p in parsed {
            if p.skipped() {
                continue;
            }
            let Some(ty) = p.ty else { continue };
            let rust = p.field.ident.as_ref().map(unraw).unwrap_or_default();
            let label = format!("{owner}.{rust}");
            if let Some(span) = p.attrs.flatten
                && !may_be_object(&ty, true)
            {
                self.errors.push(TypeError::new(
                    span,
                    &label,
                    "`#[serde(flatten)]` needs a struct or a map: only their keys can be merged into the enclosing object",
                ));
            }
            let names = p.attrs.rename.names(&rust, rules, NameKind::Field);
            out.push(Field {
                name: rust,
                wire_name: names.ser,
                deserialize_name: names.de,
                aliases: names.aliases,
                docs: p.docs,
                ty,
                with: p.with,
                skip_serializing: p.attrs.skip_ser,
                skip_deserializing: p.attrs.skip_de,
                skip_serializing_if: p.attrs.skip_ser_if,
                default: p.default,
                flatten: p.attrs.flatten.is_some(),
            });
        }
        out
    }

    /// Unnamed fields to a list of shapes, leaving out those skipped both ways and
    /// rejecting one-way skips (the array would differ by direction) and `flatten`.
    fn unnamed_fields(&mut self, owner: &str, parsed: Vec<ParsedField<'_>>) -> Vec<TypeRef> {
        let mut out = Vec::new();
        for (i, p) in parsed.into_iter().enumerate() {
            let label = format!("{owner}.{i}");
            if let Some(span) = p.attrs.flatten {
                self.errors.push(TypeError::new(
                    span,
                    &label,
                    "`#[serde(flatten)]` cannot be used on tuple fields",
                ));
                continue;
            }
            if p.skipped() {
                continue;
            }
            if p.attrs.skip_ser || p.attrs.skip_de {
                self.errors.push(TypeError::new(
                    p.field.span(),
                    &label,
                    "a tuple field skipped in one direction only gives arrays of different lengths each way; use `#[serde(skip)]`",
                ));
                continue;
            }
            if let Some(ty) = p.ty {
                out.push(ty);
            }
        }
        out
    }

    /// serde's compile-time checks on struct containers.
    fn struct_checks(&mut self, item: &str, fields: &Fields, c: &ContainerAttrs) {
        let mut err = |span: Span, msg: &str| {
            self.errors.push(TypeError::new(span, item, msg));
        };
        if let Some(span) = c.untagged {
            err(span, "`#[serde(untagged)]` can only be used on enums");
        }
        if let Some((_, span)) = &c.content {
            err(
                *span,
                "`#[serde(content = \"...\")]` can only be used on enums",
            );
        }
        if let Some((_, span)) = &c.rename_all_fields {
            err(
                *span,
                "`#[serde(rename_all_fields)]` can only be used on enums",
            );
        }
        if let (Some((_, span)), false) = (&c.tag, matches!(fields, Fields::Named(_))) {
            err(
                *span,
                "`#[serde(tag = \"...\")]` can only be used on enums and structs with named fields",
            );
        }
        if let (Some(span), Fields::Unit) = (c.default, fields) {
            err(
                span,
                "`#[serde(default)]` can only be used on structs that have fields",
            );
        }
        if let (Some(span), Fields::Unit) = (c.transparent, fields) {
            err(
                span,
                "`#[serde(transparent)]` is not allowed on a unit struct",
            );
        }
    }

    /// serde's compile-time checks on enum containers.
    fn enum_checks(&mut self, item: &str, c: &ContainerAttrs) {
        if let Some(span) = c.transparent {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(transparent)]` is not allowed on an enum",
            ));
        }
        if let Some(span) = c.default {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(default)]` can only be used on structs",
            ));
        }
    }

    fn struct_kind(
        &mut self,
        item: &str,
        fields: &Fields,
        c: &ContainerAttrs,
        (ser, de): (bool, bool),
        cx: &Ctx<'_>,
    ) -> Option<TypeDefKind> {
        let container_default = c.default.is_some();
        match fields {
            Fields::Unit => Some(TypeDefKind::Unit),
            Fields::Named(named) => {
                let parsed = self.parse_fields(item, named.named.iter(), container_default, cx);
                if let Some(span) = c.transparent {
                    return self.transparent(item, span, parsed, (ser, de));
                }
                let fields = self.named_fields(item, parsed, c.rename_all);
                if let Some((tag, span)) = &c.tag
                    && let Some(f) = fields.iter().find(|f| {
                        (!f.skip_serializing && &f.wire_name == tag)
                            || (!f.skip_deserializing
                                && (&f.deserialize_name == tag || f.aliases.contains(tag)))
                    })
                {
                    self.errors.push(TypeError::new(
                        *span,
                        item,
                        format!("field `{}` has the same key as the tag `{tag}`", f.name),
                    ));
                }
                Some(TypeDefKind::Struct {
                    fields,
                    tag: c.tag.as_ref().map(|(t, _)| t.clone()),
                    deny_unknown_fields: c.deny_unknown_fields,
                })
            }
            Fields::Unnamed(unnamed) => {
                let parsed = self.parse_fields(item, unnamed.unnamed.iter(), container_default, cx);
                if let Some(span) = c.transparent {
                    return self.transparent(item, span, parsed, (ser, de));
                }
                if parsed.len() == 1 {
                    let mut parsed = parsed;
                    let p = parsed.remove(0);
                    let label = format!("{item}.0");
                    if let Some(span) = p.attrs.flatten {
                        self.errors.push(TypeError::new(
                            span,
                            label,
                            "`#[serde(flatten)]` cannot be used on newtype structs",
                        ));
                        return None;
                    }
                    if p.attrs.skip_ser || p.attrs.skip_de {
                        self.errors.push(TypeError::new(
                            p.field.span(),
                            label,
                            "the only field of a newtype struct cannot be skipped",
                        ));
                        return None;
                    }
                    return p.ty.map(TypeDefKind::Newtype);
                }
                Some(TypeDefKind::Tuple(self.unnamed_fields(item, parsed)))
            }
        }
    }

    /// `from` / `try_from` / `into`: the type is written as another type.
    fn conversion_kind(
        &mut self,
        item: &str,
        c: &ContainerAttrs,
        (ser, de): (bool, bool),
        cx: &Ctx<'_>,
    ) -> Option<Option<TypeDefKind>> {
        if c.from.is_none() && c.try_from.is_none() && c.into.is_none() {
            return None;
        }
        let mut bad = |span: Span, msg: &str| {
            self.errors.push(TypeError::new(span, item, msg));
            Some(None)
        };
        if let Some(span) = c.transparent {
            return bad(
                span,
                "`#[serde(transparent)]` is not allowed with `from`, `try_from` or `into`",
            );
        }
        if let (Some(_), Some((_, span))) = (&c.from, &c.try_from) {
            return bad(*span, "`from` and `try_from` conflict with each other");
        }
        let input = c.from.as_ref().or(c.try_from.as_ref());
        let output = c.into.as_ref();
        let chosen = match (ser, de, output, input) {
            (true, true, Some(o), Some(i)) => {
                if o.0.to_token_stream().to_string() != i.0.to_token_stream().to_string() {
                    return bad(
                        i.1,
                        "the type is read as one type and written as another (`from`/`try_from` and `into` differ); the wire shape must be the same both ways",
                    );
                }
                o
            }
            (true, true, Some(o), None) => {
                return bad(
                    o.1,
                    "`into` without `from`: the type is written as one shape and read as another",
                );
            }
            (true, true, None, Some(i)) => {
                return bad(
                    i.1,
                    "`from` without `into`: the type is read as one shape and written as another",
                );
            }
            (true, _, Some(o), _) => o,
            (_, true, _, Some(i)) => i,
            _ => return None,
        };
        match resolve(&chosen.0, cx, 0) {
            Ok(t) => Some(Some(TypeDefKind::Newtype(t))),
            Err(f) => {
                self.errors.push(f.at(item));
                Some(None)
            }
        }
    }

    fn transparent(
        &mut self,
        item: &str,
        span: Span,
        parsed: Vec<ParsedField<'_>>,
        (ser, de): (bool, bool),
    ) -> Option<TypeDefKind> {
        let ser_pick: Vec<usize> = (0..parsed.len())
            .filter(|&i| !parsed[i].is_phantom() && !parsed[i].attrs.skip_ser)
            .collect();
        let de_pick: Vec<usize> = (0..parsed.len())
            .filter(|&i| {
                let a = &parsed[i].attrs;
                // serde counts only the field's own default (and skip_deserializing's).
                !parsed[i].is_phantom() && !a.skip_de && !a.own_default
            })
            .collect();
        let pick = match (ser, de) {
            (true, true) if ser_pick.len() == 1 && ser_pick == de_pick => ser_pick.first(),
            (true, false) if ser_pick.len() == 1 => ser_pick.first(),
            (false, true) if de_pick.len() == 1 => de_pick.first(),
            _ => None,
        };
        let Some(&i) = pick else {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(transparent)]` needs exactly one field that is not skipped, defaulted or `PhantomData`",
            ));
            return None;
        };
        let mut parsed = parsed;
        let p = parsed.swap_remove(i);
        if let Some(span) = p.attrs.flatten {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(flatten)]` cannot be used on the field of a transparent struct",
            ));
            return None;
        }
        p.ty.map(TypeDefKind::Newtype)
    }

    fn enum_kind(
        &mut self,
        item: &str,
        e: &syn::ItemEnum,
        c: &ContainerAttrs,
        cx: &Ctx<'_>,
    ) -> Option<TypeDefKind> {
        let err = |this: &mut Collector, span: Span, msg: String| {
            this.errors.push(TypeError::new(span, item, msg));
        };
        let repr = match (c.untagged, &c.tag, &c.content) {
            (None, None, None) => EnumRepr::External,
            (Some(_), None, None) => EnumRepr::Untagged,
            (None, Some((tag, _)), None) => EnumRepr::Internal { tag: tag.clone() },
            (None, Some((tag, span)), Some((content, _))) => {
                if tag == content {
                    err(
                        self,
                        *span,
                        format!("enum tags `{tag}` for type and content conflict with each other"),
                    );
                }
                EnumRepr::Adjacent {
                    tag: tag.clone(),
                    content: content.clone(),
                }
            }
            (None, None, Some((_, span))) => {
                err(
                    self,
                    *span,
                    "`#[serde(tag = \"...\", content = \"...\")]` must be used together".into(),
                );
                EnumRepr::External
            }
            (Some(span), _, _) => {
                err(
                    self,
                    span,
                    "an untagged enum cannot have `tag` or `content`".into(),
                );
                EnumRepr::External
            }
        };
        let rename_fields = c.rename_all_fields.map(|(r, _)| r).unwrap_or_default();
        let count = e.variants.len();
        let mut variants = Vec::new();
        // Untagged variants, skipped or not, must follow every tagged one.
        let last_tagged = e.variants.iter().rposition(|v| {
            let attrs = expand_attrs(&v.attrs);
            !serde_metas(&attrs).0.iter().any(|m| m.key == "untagged")
        });
        for (index, v) in e.variants.iter().enumerate() {
            let rust = unraw(&v.ident);
            let label = format!("{item}::{rust}");
            let attrs = expand_attrs(&v.attrs);
            let (metas, mut fails) = serde_metas(&attrs);
            let va = variant_attrs(&metas, &mut fails);
            self.errors.extend(fails.into_iter().map(|f| f.at(&label)));

            // Checks serde makes on every variant, skipped or not.
            if va.untagged && last_tagged.is_some_and(|last| index < last) {
                self.errors.push(TypeError::new(
                    v.ident.span(),
                    &label,
                    "variants with `#[serde(untagged)]` must come after all tagged variants",
                ));
            }
            if let Some(span) = va.other {
                if repr == EnumRepr::Untagged {
                    err(
                        self,
                        span,
                        format!("`#[serde(other)]` on `{rust}` cannot appear on an untagged enum"),
                    );
                } else if !matches!(v.fields, Fields::Unit) {
                    self.errors.push(TypeError::new(
                        span,
                        &label,
                        "`#[serde(other)]` must be on a unit variant",
                    ));
                } else if index + 1 != count {
                    self.errors.push(TypeError::new(
                        span,
                        &label,
                        "`#[serde(other)]` must be on the last variant",
                    ));
                }
            }
            if let (EnumRepr::Internal { .. }, Fields::Unnamed(u)) = (&repr, &v.fields)
                && u.unnamed.len() != 1
            {
                self.errors.push(TypeError::new(
                    v.ident.span(),
                    &label,
                    "an internally tagged enum (`#[serde(tag = \"...\")]`) cannot have tuple variants",
                ));
                continue;
            }
            if va.skip_ser && va.skip_de {
                continue;
            }

            let names = va.rename.names(&rust, c.rename_all, NameKind::Variant);
            let kind = match &v.fields {
                Fields::Unit => VariantKind::Unit,
                Fields::Named(named) => {
                    let parsed = self.parse_fields(&label, named.named.iter(), false, cx);
                    let fields = self.named_fields(&label, parsed, va.rename_all.or(rename_fields));
                    VariantKind::Struct(fields)
                }
                Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                    let mut parsed = self.parse_fields(&label, unnamed.unnamed.iter(), false, cx);
                    let p = parsed.remove(0);
                    if let Some(span) = p.attrs.flatten {
                        self.errors.push(TypeError::new(
                            span,
                            &label,
                            "`#[serde(flatten)]` cannot be used on newtype variants",
                        ));
                        continue;
                    }
                    if p.skipped() {
                        VariantKind::Unit
                    } else if p.attrs.skip_ser || p.attrs.skip_de {
                        self.errors.push(TypeError::new(
                            p.field.span(),
                            &label,
                            "the field of a newtype variant skipped in one direction only makes the variant a unit one way and a newtype the other",
                        ));
                        continue;
                    } else if let Some(ty) = p.ty {
                        VariantKind::Newtype(ty)
                    } else {
                        continue;
                    }
                }
                Fields::Unnamed(unnamed) => {
                    let parsed = self.parse_fields(&label, unnamed.unnamed.iter(), false, cx);
                    VariantKind::Tuple(self.unnamed_fields(&label, parsed))
                }
            };

            if let EnumRepr::Internal { tag } = &repr
                && !va.untagged
            {
                match &kind {
                    VariantKind::Newtype(t) if !may_be_object(t, false) => {
                        self.errors.push(TypeError::new(
                            v.ident.span(),
                            &label,
                            "a newtype variant of an internally tagged enum must hold a struct or a map: its keys are merged with the tag",
                        ));
                    }
                    VariantKind::Struct(fields) => {
                        if let Some(f) = fields.iter().find(|f| {
                            (!f.skip_serializing && !va.skip_ser && &f.wire_name == tag)
                                || (!f.skip_deserializing
                                    && !va.skip_de
                                    && (&f.deserialize_name == tag || f.aliases.contains(tag)))
                        }) {
                            self.errors.push(TypeError::new(
                                v.ident.span(),
                                &label,
                                format!(
                                    "field `{}` conflicts with the internal tag `{tag}`",
                                    f.name
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }

            variants.push(Variant {
                name: rust,
                wire_name: names.ser,
                deserialize_name: names.de,
                aliases: names.aliases,
                docs: docs(&attrs),
                kind,
                skip_serializing: va.skip_ser,
                skip_deserializing: va.skip_de,
                other: va.other.is_some(),
                untagged: va.untagged,
            });
        }
        Some(TypeDefKind::Enum { repr, variants })
    }
}

enum Body<'a> {
    Struct(&'a Fields),
    Enum(&'a syn::ItemEnum),
}

fn qualified(module: &[String], name: &str) -> String {
    if module.is_empty() {
        name.to_owned()
    } else {
        format!("{}::{name}", module.join("::"))
    }
}
