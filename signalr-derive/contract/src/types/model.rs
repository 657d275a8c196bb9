//! The type model: the wire shape of a Rust type ([`TypeRef`]) and of a user type
//! ([`TypeDef`]), as serde writes them.

use serde::{Deserialize, Serialize};

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
    /// Text: `String`, `str`, `Cow<str>`.
    String,
    /// `char`: a string of exactly one Unicode scalar value.
    Char,
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
            | TypeRef::Char
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

/// How a type becomes a JSON object key, if serde_json accepts it as one.
pub(crate) fn key_kind(key: &TypeRef) -> Option<MapKey> {
    match key {
        TypeRef::String | TypeRef::Char => Some(MapKey::String),
        TypeRef::Int { .. } => Some(MapKey::Integer),
        TypeRef::Uuid => Some(MapKey::Uuid),
        TypeRef::Named(_) => Some(MapKey::Named),
        _ => None,
    }
}
