//! C# for `Microsoft.AspNetCore.SignalR.Client`: one file per contract file, for the JSON
//! hub protocol (System.Text.Json, the connection's default).
//!
//! What a contract becomes:
//!
//! - A server contract `Chat` becomes the interface `IChat` and the class `ChatProxy`, built
//!   over a `HubConnection` (started or not). Every hub method is `{Name}Async`: a `Task`
//!   (`InvokeCoreAsync`), a `Task<T>` for a value, or an `IAsyncEnumerable<T>` for a stream
//!   (`StreamAsyncCore`). Upload streams are `IAsyncEnumerable<T>` parameters, which the
//!   connection turns into stream ids; a unit method also gets `Send{Name}Async`
//!   (`SendCoreAsync`, fire-and-forget). Every method ends with `CancellationToken
//!   cancellationToken = default`; the Rust side's `CancellationToken` and `Caller`
//!   parameters are never sent by a client, so they are not parameters here.
//! - A client contract `ChatClient` becomes the interface `IChatClient` that the program
//!   implements (`Task`, or `Task<T>` for a client result) and `ChatClientReceiver.Register(
//!   connection, receiver)`, which registers every method under its wire name and, when it
//!   differs, its plain name (the Rust server may send either) and returns an `IDisposable`
//!   that removes them all. A `CancellationToken` parameter arrives as a marker
//!   `{"Id": "..."}` in its argument slot and is handed to the method as a
//!   `CancellationToken` that `CancelTokenFromServer` (or the connection closing or
//!   reconnecting) cancels.
//! - Wire names are exactly the contract's ([`signalr_contract::Method::wire_name`]).
//!
//! DTOs follow what serde writes, with every JSON name spelled out (`[JsonPropertyName]`,
//! `[JsonStringEnumMemberName]`), so the connection's naming policy never applies:
//!
//! - A struct is a `sealed record` with `init` properties (PascalCase names). A field every
//!   serialized value has and deserialization needs is `required`; any other field is
//!   nullable, and when `null` is not a value Rust accepts for it (it is not an `Option`)
//!   it is left out when null (`JsonIgnoreCondition.WhenWritingNull`), so the server's
//!   default applies. A `#[serde(flatten)]` struct (or `Option` of one) contributes its
//!   fields as the record's own properties; a flattened map of `serde_json::Value` is
//!   `[JsonExtensionData]`.
//! - A newtype or `#[serde(transparent)]` struct is written as its content, so it has no
//!   C# type: its content's type stands for it everywhere (the header lists them).
//! - A unit-only enum (serde's default representation) is a C# `enum` with
//!   `JsonStringEnumConverter<T>` and a `[JsonStringEnumMemberName]` per member.
//! - An internally tagged enum (`#[serde(tag)]`) is an abstract record with
//!   `[JsonPolymorphic]` and one nested `sealed record` per variant (`[JsonDerivedType]`);
//!   a newtype variant holding a struct gets that struct's fields, as serde merges them. An
//!   adjacently tagged enum (`tag` and `content`) is the same with one property, named after
//!   the content key, holding the content (a nested `Fields` record for a struct variant).
//!   The connection serializes arguments, upload items and client results as their runtime
//!   type, which would leave the discriminator out, so those values are written through
//!   their declared base type first (a `JsonElement`).
//! - Types: `bool`; `sbyte`..`long`, `Int128`, `byte`..`ulong`, `UInt128`; `float`,
//!   `double`; `string` (also `char`); `byte[]` for `signalr::Binary` (base64, as
//!   System.Text.Json writes `byte[]`); `IReadOnlyList<byte>` for serde_bytes containers
//!   and `Vec<u8>` (serde_json writes numbers); `Guid`; `DateTimeOffset`; `T?` for
//!   `Option<T>`; `IReadOnlyList<T>`; `IReadOnlyDictionary<K, V>` for maps with string,
//!   integer, uuid or unit-enum keys; `JsonElement` for `serde_json::Value`.
//!
//! What System.Text.Json cannot carry with attributes alone is an error naming the item
//! (`file:line:col: ... cannot be represented in C#: why`), never a silent `object`:
//! tuples and tuple structs and tuple variants (JSON arrays of mixed types), `()` and unit
//! structs (always `null`), externally tagged enums with data (`{"Variant": content}`) and
//! untagged enums (no discriminator to read), other flattened fields, a field or variant
//! whose serialized and deserialized names differ, and names C# refuses or that the file
//! itself uses. A `JsonConverter` per type could carry the arrays and the other enum
//! representations, but the generated code stays within declarations System.Text.Json
//! interprets itself. (`tests/contracts/dtos.rs` uses several of these, so its C# golden is
//! the exact error list; `tests/contracts/csharp_dtos.rs` keeps everything C# carries.)
//!
//! Names: records, enums and variants keep their Rust names, properties and methods are
//! PascalCase, parameters camelCase (`@` before a C# keyword). Inside a polymorphic record a
//! variant's name hides a namespace type of the same name, so such a type is written
//! `global::Namespace.Name` there.

use std::collections::BTreeSet;

use askama::Template;
use heck::{ToLowerCamelCase, ToUpperCamelCase};
use signalr_contract::{
    EnumRepr, Field, MapKey, OutputKind, ParamKind, Side, TypeDef, TypeDefKind, TypeRef, Variant,
    VariantKind,
};

use crate::source::SourceError;
use crate::{Contracts, Hub};

/// How to generate C#.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace of the generated types.
    pub namespace: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: "SignalR.Contracts".to_owned(),
        }
    }
}

/// Type names the generated code refers to (its own helpers, and the framework types it
/// names unqualified): a contract type of that name would hide them.
const RESERVED_TYPES: [&str; 38] = [
    "Array",
    "ArgumentNullException",
    "CallCancellation",
    "CancellationMarker",
    "CancellationToken",
    "CancellationTokenSource",
    "CancelTokenRequest",
    "DateTimeOffset",
    "DeclaredJson",
    "Dictionary",
    "EnumeratorCancellation",
    "Exception",
    "Func",
    "Guid",
    "HubConnection",
    "HubRegistration",
    "IAsyncEnumerable",
    "IDisposable",
    "IReadOnlyDictionary",
    "IReadOnlyList",
    "Int128",
    "JsonConverter",
    "JsonDerivedType",
    "JsonElement",
    "JsonExtensionData",
    "JsonIgnore",
    "JsonIgnoreCondition",
    "JsonPolymorphic",
    "JsonPropertyName",
    "JsonSerializer",
    "JsonStringEnumConverter",
    "JsonStringEnumMemberName",
    "List",
    "Object",
    "String",
    "Task",
    "Type",
    "UInt128",
];

/// Members every record has; a property may not take their names.
const RESERVED_MEMBERS: [&str; 8] = [
    "Clone",
    "Deconstruct",
    "EqualityContract",
    "Equals",
    "GetHashCode",
    "GetType",
    "PrintMembers",
    "ToString",
];

/// C# keywords: a parameter of that name is written with `@`.
const KEYWORDS: [&str; 77] = [
    "abstract",
    "as",
    "base",
    "bool",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "checked",
    "class",
    "const",
    "continue",
    "decimal",
    "default",
    "delegate",
    "do",
    "double",
    "else",
    "enum",
    "event",
    "explicit",
    "extern",
    "false",
    "finally",
    "fixed",
    "float",
    "for",
    "foreach",
    "goto",
    "if",
    "implicit",
    "in",
    "int",
    "interface",
    "internal",
    "is",
    "lock",
    "long",
    "namespace",
    "new",
    "null",
    "object",
    "operator",
    "out",
    "override",
    "params",
    "private",
    "protected",
    "public",
    "readonly",
    "ref",
    "return",
    "sbyte",
    "sealed",
    "short",
    "sizeof",
    "stackalloc",
    "static",
    "string",
    "struct",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "uint",
    "ulong",
    "unchecked",
    "unsafe",
    "ushort",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
];

// ---------------------------------------------------------------------------------------
// The view model the templates render
// ---------------------------------------------------------------------------------------

/// Lines of text, without indentation (the templates indent them).
type Lines = Vec<String>;

#[derive(Template)]
#[template(path = "cs/client.cs", escape = "none")]
struct File {
    source: String,
    notes: Vec<String>,
    usings: Vec<&'static str>,
    namespace: String,
    types: Vec<TypeDecl>,
    proxies: Vec<Proxy>,
    receivers: Vec<Receiver>,
    uses: Uses,
}

#[derive(Debug, Default, Clone, Copy)]
struct Uses {
    /// `JsonElement` or `JsonSerializer` appear.
    json: bool,
    /// Any System.Text.Json attribute appears.
    attributes: bool,
    /// A C# enum (needs System.Text.Json 9 for `JsonStringEnumMemberName`).
    enums: bool,
    /// `DeclaredJson.Of`.
    declared: bool,
    /// `DeclaredJson.Items`.
    declared_items: bool,
    /// A receiver.
    receivers: bool,
    /// A receiver with cancellation markers.
    markers: bool,
}

enum TypeDecl {
    /// `public sealed record Name { properties }`.
    Record {
        docs: Lines,
        name: String,
        props: Vec<Prop>,
    },
    /// `public enum Name { members }` written as strings.
    Enum {
        docs: Lines,
        name: String,
        members: Vec<EnumMember>,
    },
    /// `public abstract record Name` with one nested record per variant.
    Union {
        docs: Lines,
        name: String,
        tag: String,
        variants: Vec<VariantDecl>,
    },
}

struct Prop {
    docs: Lines,
    attrs: Vec<String>,
    decl: String,
}

struct EnumMember {
    docs: Lines,
    wire: String,
    name: String,
}

struct VariantDecl {
    docs: Lines,
    name: String,
    wire: String,
    props: Vec<Prop>,
    /// The record holding a struct variant's fields (adjacently tagged enums).
    fields: Option<(String, Vec<Prop>)>,
}

struct Proxy {
    docs: Lines,
    name: String,
    methods: Vec<ProxyMethod>,
}

struct ProxyMethod {
    docs: Lines,
    signature: String,
    body: String,
}

struct Receiver {
    docs: Lines,
    name: String,
    /// Whether a method returns a client result.
    results: bool,
    /// Whether a method takes a `CancellationToken`.
    markers: bool,
    methods: Vec<ReceiverMethod>,
}

struct ReceiverMethod {
    docs: Lines,
    signature: String,
    /// The registration statement, line by line (continuation lines carry their own
    /// indentation relative to the statement).
    register: Lines,
}

// ---------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------

/// Rust doc text as XML doc text: `&`, `<` and `>` escaped, code spans (and intra-doc links
/// to them) as `<c>`.
fn xml_text(line: &str) -> String {
    let escaped = line
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("[`", "`")
        .replace("`]", "`");
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len().is_multiple_of(2) {
        // An unbalanced backtick: leave the text as it is.
        return escaped;
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                format!("<c>{p}</c>")
            } else {
                (*p).to_owned()
            }
        })
        .collect()
}

/// Paragraphs of a doc comment (split at blank lines), each line trimmed and escaped.
fn paragraphs(lines: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut current = Vec::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(xml_text(l));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `text` in lines of at most `width` characters (longer words stand alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// An XML doc comment: the first paragraph of `lines` as the summary, the others and
/// `extra` (paragraphs already in XML) as remarks.
fn xml_docs(lines: &[String], extra: &[String]) -> Lines {
    let mut paras = paragraphs(lines);
    paras.extend(extra.iter().map(|e| wrap(e, 84)));
    if paras.is_empty() {
        return Vec::new();
    }
    let summary = paras.remove(0);
    let mut out = Vec::new();
    if let [one] = summary.as_slice() {
        out.push(format!("/// <summary>{one}</summary>"));
    } else {
        out.push("/// <summary>".to_owned());
        out.extend(summary.iter().map(|l| format!("/// {l}")));
        out.push("/// </summary>".to_owned());
    }
    if !paras.is_empty() {
        out.push("/// <remarks>".to_owned());
        for p in &paras {
            let last = p.len() - 1;
            for (i, l) in p.iter().enumerate() {
                let open = if i == 0 { "<para>" } else { "" };
                let close = if i == last { "</para>" } else { "" };
                out.push(format!("/// {open}{l}{close}"));
            }
        }
        out.push("/// </remarks>".to_owned());
    }
    out
}

/// A C# string literal.
fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '\u{85}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A member name: PascalCase.
fn pascal(rust: &str) -> String {
    rust.trim_start_matches("r#").to_upper_camel_case()
}

/// A parameter name: camelCase, with `@` before a keyword.
fn param_name(rust: &str) -> String {
    let name = rust.trim_start_matches("r#").to_lower_camel_case();
    if KEYWORDS.contains(&name.as_str()) {
        format!("@{name}")
    } else {
        name
    }
}

/// Whether `s` is a C# identifier as this generator writes them (ASCII letters, digits
/// and `_`, not starting with a digit).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

/// A C# type as written.
#[derive(Debug, Clone)]
struct CsType {
    /// The text, `?` included.
    text: String,
    /// Whether it is a value type (`int`, `Guid`, an enum, ...).
    value: bool,
    /// Whether it ends with `?`.
    nullable: bool,
}

impl CsType {
    fn reference(text: impl Into<String>) -> CsType {
        CsType {
            text: text.into(),
            value: false,
            nullable: false,
        }
    }

    fn value(text: impl Into<String>) -> CsType {
        CsType {
            text: text.into(),
            value: true,
            nullable: false,
        }
    }

    fn nullable(self) -> CsType {
        if self.nullable {
            return self;
        }
        CsType {
            text: format!("{}?", self.text),
            value: self.value,
            nullable: true,
        }
    }

    /// The type in `typeof(...)`: a nullable reference type without its `?`.
    fn type_of(&self) -> &str {
        if self.nullable && !self.value {
            self.text.trim_end_matches('?')
        } else {
            &self.text
        }
    }

    /// `args[i]` cast to this type.
    fn cast(&self, arg: &str) -> String {
        if self.nullable {
            format!("({}){arg}", self.text)
        } else {
            format!("({}){arg}!", self.text)
        }
    }
}

/// How a user enum is represented.
enum EnumShape<'a> {
    /// A C# enum of strings.
    Strings,
    /// An abstract record with a discriminator property.
    Union {
        tag: &'a str,
        content: Option<&'a str>,
    },
}

/// The most newtypes followed in a row (a guard against `struct A(B); struct B(A);`).
const MAX_NEWTYPE_DEPTH: usize = 64;

struct Cx<'a> {
    contracts: &'a Contracts,
    namespace: &'a str,
    uses: Uses,
    /// Names that, where types are being written, mean a nested record (the variants of
    /// the enum being written): a contract type of such a name is written qualified.
    shadowed: Vec<String>,
}

impl<'a> Cx<'a> {
    /// The definition behind a name, through newtypes.
    fn resolve(&self, name: &str) -> Option<&'a TypeDef> {
        let mut def = self.contracts.type_def(name)?;
        for _ in 0..MAX_NEWTYPE_DEPTH {
            match &def.kind {
                TypeDefKind::Newtype(TypeRef::Named(inner)) => {
                    def = self.contracts.type_def(inner)?;
                }
                _ => return Some(def),
            }
        }
        None
    }

    /// How an enum is represented, or why it cannot be.
    fn enum_shape(def: &TypeDef) -> Result<EnumShape<'_>, String> {
        let TypeDefKind::Enum { repr, variants } = &def.kind else {
            return Err(format!("`{}` is not an enum", def.name));
        };
        if let Some(v) = variants.iter().find(|v| v.untagged) {
            return Err(format!(
                "the variant `{}::{}` is `#[serde(untagged)]`: it is written without a tag, which System.Text.Json cannot tell from the others",
                def.name, v.name
            ));
        }
        match repr {
            EnumRepr::External if variants.iter().all(|v| v.kind == VariantKind::Unit) => {
                Ok(EnumShape::Strings)
            }
            EnumRepr::External => Err(
                "an externally tagged enum with data is written `{\"Variant\": content}`, and System.Text.Json has no attribute that reads a type from an object's key; use `#[serde(tag = \"...\")]`, with `content = \"...\"` if a variant holds something other than fields".to_owned(),
            ),
            EnumRepr::Internal { tag } => Ok(EnumShape::Union { tag, content: None }),
            EnumRepr::Adjacent { tag, content } => Ok(EnumShape::Union {
                tag,
                content: Some(content),
            }),
            EnumRepr::Untagged => Err(
                "an untagged enum is written as its content alone, with nothing System.Text.Json can tell the variants by".to_owned(),
            ),
        }
    }

    /// Whether values of this type are polymorphic records (written through their base
    /// type, see [`Cx::argument`]).
    fn is_union(&self, t: &TypeRef) -> bool {
        match t {
            TypeRef::Option(inner) => self.is_union(inner),
            TypeRef::Named(n) => self
                .resolve(n)
                .is_some_and(|d| matches!(Self::enum_shape(d), Ok(EnumShape::Union { .. }))),
            _ => false,
        }
    }

    /// An argument, upload stream or result as the connection should be handed it.
    fn argument(&mut self, t: &TypeRef, expr: &str, upload: bool) -> String {
        if !self.is_union(t) {
            return expr.to_owned();
        }
        self.uses.json = true;
        if upload {
            self.uses.declared_items = true;
            format!("DeclaredJson.Items({expr})")
        } else {
            self.uses.declared = true;
            format!("DeclaredJson.Of({expr})")
        }
    }

    /// The C# type of a wire shape; `Err` says why it cannot be written. A user type with
    /// its own problem keeps its name here: the error is reported at its definition.
    fn ty(&mut self, t: &TypeRef) -> Result<CsType, String> {
        Ok(match t {
            TypeRef::Bool => CsType::value("bool"),
            TypeRef::Int { bits, signed } => CsType::value(match (bits, signed) {
                (8, true) => "sbyte",
                (16, true) => "short",
                (32, true) => "int",
                (64, true) => "long",
                (128, true) => "Int128",
                (8, false) => "byte",
                (16, false) => "ushort",
                (32, false) => "uint",
                (64, false) => "ulong",
                (128, false) => "UInt128",
                _ => return Err(format!("there is no C# integer of {bits} bits")),
            }),
            TypeRef::Float { bits } => CsType::value(if *bits == 32 { "float" } else { "double" }),
            TypeRef::String => CsType::reference("string"),
            TypeRef::Bytes => CsType::reference("byte[]"),
            TypeRef::SerdeBytes => CsType::reference("IReadOnlyList<byte>"),
            TypeRef::Uuid => CsType::value("Guid"),
            TypeRef::DateTime => CsType::value("DateTimeOffset"),
            TypeRef::Option(inner) => self.ty(inner)?.nullable(),
            TypeRef::List(inner) => {
                CsType::reference(format!("IReadOnlyList<{}>", self.ty(inner)?.text))
            }
            TypeRef::Map {
                key,
                key_kind,
                value,
            } => {
                let key = self.key(key, *key_kind)?;
                let value = self.ty(value)?;
                CsType::reference(format!("IReadOnlyDictionary<{key}, {}>", value.text))
            }
            TypeRef::Tuple(_) => {
                return Err(
                    "a tuple is a JSON array of mixed types, which System.Text.Json does not read into any C# type without a converter; use a struct".to_owned(),
                );
            }
            TypeRef::Unit => {
                return Err("`()` is always `null`, and C# has no type for that".to_owned());
            }
            TypeRef::Json => {
                self.uses.json = true;
                CsType::value("JsonElement")
            }
            TypeRef::Named(n) => {
                let Some(def) = self.contracts.type_def(n) else {
                    return Err(format!(
                        "the type `{n}` is not defined in the contract files"
                    ));
                };
                let name = self.type_name(n);
                match &def.kind {
                    TypeDefKind::Newtype(inner) => {
                        let inner = inner.clone();
                        return Ok(self
                            .newtype_target(&inner, 0)
                            .unwrap_or_else(|| CsType::reference(name)));
                    }
                    TypeDefKind::Enum { .. } => match Self::enum_shape(def) {
                        Ok(EnumShape::Strings) => CsType::value(name),
                        _ => CsType::reference(name),
                    },
                    _ => CsType::reference(name),
                }
            }
        })
    }

    /// How a contract type is named where types are being written.
    fn type_name(&self, name: &str) -> String {
        if self.shadowed.iter().any(|s| s == name) {
            format!("global::{}.{name}", self.namespace)
        } else {
            name.to_owned()
        }
    }

    /// The type a newtype stands for, if it can be written (its own error is reported at
    /// its definition).
    fn newtype_target(&mut self, inner: &TypeRef, depth: usize) -> Option<CsType> {
        if depth > MAX_NEWTYPE_DEPTH {
            return None;
        }
        if let TypeRef::Named(n) = inner
            && let Some(TypeDefKind::Newtype(next)) = self.contracts.type_def(n).map(|d| &d.kind)
        {
            let next = next.clone();
            return self.newtype_target(&next, depth + 1);
        }
        self.ty(inner).ok()
    }

    /// A dictionary key type.
    fn key(&mut self, key: &TypeRef, kind: MapKey) -> Result<String, String> {
        match (kind, key) {
            (MapKey::String, _) => Ok("string".to_owned()),
            (MapKey::Uuid, _) => Ok("Guid".to_owned()),
            (MapKey::Integer, t) => Ok(self.ty(t)?.text),
            (MapKey::Named, TypeRef::Named(n)) => {
                let def = self.resolve(n).ok_or_else(|| {
                    format!("the map key type `{n}` is not defined in the contract files")
                })?;
                match &def.kind {
                    TypeDefKind::Enum { .. }
                        if matches!(Self::enum_shape(def), Ok(EnumShape::Strings)) =>
                    {
                        Ok(self.type_name(&def.name))
                    }
                    TypeDefKind::Newtype(inner) => {
                        let inner = inner.clone();
                        let kind = match &inner {
                            TypeRef::String => MapKey::String,
                            TypeRef::Uuid => MapKey::Uuid,
                            TypeRef::Int { .. } => MapKey::Integer,
                            _ => {
                                return Err(format!(
                                    "the map key type `{n}` is not written as a string"
                                ));
                            }
                        };
                        self.key(&inner, kind)
                    }
                    _ => Err(format!(
                        "the map key type `{n}` is not a string, an integer, a uuid or a unit-only enum"
                    )),
                }
            }
            (MapKey::Named, _) => Err("the map key type is not written as a string".to_owned()),
        }
    }

    /// The properties of `fields` (flattened structs contribute theirs), appended to `out`.
    /// `optional`: the fields sit in a flattened `Option`, so each may be missing.
    fn props(
        &mut self,
        fields: &[Field],
        owner: &str,
        optional: bool,
        depth: usize,
        out: &mut Vec<(String, Prop)>,
    ) -> Result<(), String> {
        if depth > MAX_NEWTYPE_DEPTH {
            return Err(format!("`{owner}` flattens itself"));
        }
        for f in fields {
            let field = format!("{owner}::{}", f.name);
            if f.flatten {
                self.flattened(f, &field, optional, depth, out)?;
                continue;
            }
            if f.wire_name != f.deserialize_name {
                return Err(format!(
                    "the field `{field}` is written as `{}` but read as `{}`, and a C# property has one JSON name",
                    f.wire_name, f.deserialize_name
                ));
            }
            let ty = self
                .ty(&f.ty)
                .map_err(|e| format!("the field `{field}`: {e}"))?;
            let required = !optional && f.required_on_output() && f.required_on_input();
            let mut attrs = vec![format!(
                "JsonPropertyName({})",
                string_literal(&f.wire_name)
            )];
            let ty = if required {
                ty
            } else {
                if !matches!(f.ty, TypeRef::Option(_)) {
                    // `null` is no value of the Rust field: leave the key out instead, so
                    // the server's default (or its error) applies.
                    attrs.push(
                        "JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)".to_owned(),
                    );
                }
                ty.nullable()
            };
            let name = pascal(&f.name);
            out.push((
                name.clone(),
                Prop {
                    docs: xml_docs(&f.docs, &[]),
                    attrs,
                    decl: format!(
                        "public {}{} {name} {{ get; init; }}",
                        if required { "required " } else { "" },
                        ty.text
                    ),
                },
            ));
        }
        Ok(())
    }

    /// The properties a `#[serde(flatten)]` field contributes.
    fn flattened(
        &mut self,
        f: &Field,
        field: &str,
        optional: bool,
        depth: usize,
        out: &mut Vec<(String, Prop)>,
    ) -> Result<(), String> {
        let (inner, optional) = match &f.ty {
            TypeRef::Option(inner) => (inner.as_ref(), true),
            t => (t, optional),
        };
        match inner {
            TypeRef::Named(n) => {
                if let Some(def) = self.resolve(n)
                    && let TypeDefKind::Struct {
                        fields, tag: None, ..
                    } = &def.kind
                {
                    let fields = fields.clone();
                    let owner = def.name.clone();
                    return self.props(&fields, &owner, optional, depth + 1, out);
                }
            }
            TypeRef::Map {
                key_kind: MapKey::String,
                value,
                ..
            } if **value == TypeRef::Json => {
                self.uses.json = true;
                out.push((
                    pascal(&f.name),
                    Prop {
                        docs: xml_docs(&f.docs, &[]),
                        attrs: vec!["JsonExtensionData".to_owned()],
                        decl: format!(
                            "public Dictionary<string, JsonElement>? {} {{ get; init; }}",
                            pascal(&f.name)
                        ),
                    },
                ));
                return Ok(());
            }
            _ => {}
        }
        Err(format!(
            "the flattened field `{field}` must be a struct without a tag (or an `Option` of one), whose fields become properties, or a map of `serde_json::Value`, which becomes extension data"
        ))
    }

    /// The properties of the record `record`, once their names are known to be valid C#.
    fn checked_props(record: &str, props: Vec<(String, Prop)>) -> Result<Vec<Prop>, String> {
        let mut seen = BTreeSet::new();
        let mut extension = false;
        for (name, p) in &props {
            if name == record {
                return Err(format!(
                    "the property `{name}` would have its record's name, which C# forbids; rename the field"
                ));
            }
            if RESERVED_MEMBERS.contains(&name.as_str()) {
                return Err(format!(
                    "the property `{name}` would hide a member every C# record has; rename the field"
                ));
            }
            if !is_identifier(name) {
                return Err(format!("the property name `{name}` is not a C# identifier"));
            }
            if !seen.insert(name.clone()) {
                return Err(format!(
                    "two fields would both be the C# property `{name}`; rename one"
                ));
            }
            if p.attrs.iter().any(|a| a == "JsonExtensionData") {
                if extension {
                    return Err(
                        "two flattened maps would both be extension data, and a C# type has one"
                            .to_owned(),
                    );
                }
                extension = true;
            }
        }
        Ok(props.into_iter().map(|(_, p)| p).collect())
    }

    fn type_decl(&mut self, def: &TypeDef) -> Result<Option<TypeDecl>, String> {
        let mut docs = def.docs.clone();
        Ok(Some(match &def.kind {
            TypeDefKind::Struct { fields, tag, .. } => {
                if let Some(tag) = tag {
                    docs.push(String::new());
                    docs.push(format!(
                        "The server writes it with `\"{tag}\": \"{}\"`, which is ignored when read.",
                        def.wire_name
                    ));
                }
                let mut props = Vec::new();
                self.props(fields, &def.name, false, 0, &mut props)?;
                self.uses.attributes |= !props.is_empty();
                TypeDecl::Record {
                    docs: xml_docs(&docs, &[]),
                    name: def.name.clone(),
                    props: Self::checked_props(&def.name, props)?,
                }
            }
            TypeDefKind::Newtype(inner) => {
                // Written as its content: the content's type stands for it.
                self.ty(inner)?;
                return Ok(None);
            }
            TypeDefKind::Tuple(_) => {
                return Err(
                    "a tuple struct is a JSON array of mixed types, which System.Text.Json does not read into any C# type without a converter; use named fields".to_owned(),
                );
            }
            TypeDefKind::Unit => {
                return Err(
                    "a unit struct is always `null`, and C# has no type for that".to_owned(),
                );
            }
            TypeDefKind::Enum { variants, .. } => match Self::enum_shape(def)? {
                EnumShape::Strings => {
                    self.uses.enums = true;
                    self.uses.attributes = true;
                    let mut members = Vec::new();
                    let mut seen = BTreeSet::new();
                    for v in variants {
                        let name = self.variant_name(def, v, &mut seen)?;
                        members.push(EnumMember {
                            docs: xml_docs(&v.docs, &[]),
                            wire: string_literal(&v.wire_name),
                            name,
                        });
                    }
                    TypeDecl::Enum {
                        docs: xml_docs(&docs, &[]),
                        name: def.name.clone(),
                        members,
                    }
                }
                EnumShape::Union { tag, content } => {
                    self.uses.attributes = true;
                    // Inside the abstract record, a variant's name (and a struct variant's
                    // `Fields` or `Content` record) hides a namespace type of that name.
                    self.shadowed = variants.iter().map(|v| pascal(&v.name)).collect();
                    self.shadowed
                        .extend(["Fields".to_owned(), "Content".to_owned()]);
                    let mut seen = BTreeSet::new();
                    let built: Result<Vec<_>, String> = variants
                        .iter()
                        .map(|v| self.variant(def, v, content, &mut seen))
                        .collect();
                    self.shadowed.clear();
                    let out = built?;
                    TypeDecl::Union {
                        docs: xml_docs(&docs, &[]),
                        name: def.name.clone(),
                        tag: string_literal(tag),
                        variants: out,
                    }
                }
            },
        }))
    }

    /// The C# name of a variant, checked.
    fn variant_name(
        &self,
        def: &TypeDef,
        v: &Variant,
        seen: &mut BTreeSet<String>,
    ) -> Result<String, String> {
        if v.wire_name != v.deserialize_name {
            return Err(format!(
                "the variant `{}::{}` is written as `{}` but read as `{}`, and C# gives it one name",
                def.name, v.name, v.wire_name, v.deserialize_name
            ));
        }
        let name = pascal(&v.name);
        if !is_identifier(&name) || name == def.name || !seen.insert(name.clone()) {
            return Err(format!(
                "the variant `{}::{}` cannot be the C# member `{name}` (it would repeat a name or its enum's name)",
                def.name, v.name
            ));
        }
        Ok(name)
    }

    /// One variant of a polymorphic record.
    fn variant(
        &mut self,
        def: &TypeDef,
        v: &Variant,
        content: Option<&str>,
        seen: &mut BTreeSet<String>,
    ) -> Result<VariantDecl, String> {
        let name = self.variant_name(def, v, seen)?;
        let owner = format!("{}::{}", def.name, v.name);
        if RESERVED_TYPES.contains(&name.as_str()) {
            return Err(format!(
                "the variant `{owner}` would be the C# type `{name}`, a name the generated file uses for itself; rename it"
            ));
        }
        let mut props = Vec::new();
        let mut fields = None;
        match (&v.kind, content) {
            (VariantKind::Unit, _) => {}
            (VariantKind::Tuple(_), _) => {
                return Err(format!(
                    "the tuple variant `{owner}` is a JSON array of mixed types, which System.Text.Json does not read without a converter; use named fields"
                ));
            }
            // Internally tagged: the content's keys sit beside the tag.
            (VariantKind::Struct(fs), None) => {
                self.props(fs, &owner, false, 0, &mut props)?;
            }
            (VariantKind::Newtype(t), None) => {
                let merged = match t {
                    TypeRef::Named(n) => self.resolve(n).and_then(|d| match &d.kind {
                        TypeDefKind::Struct {
                            fields, tag: None, ..
                        } => Some((d.name.clone(), fields.clone())),
                        _ => None,
                    }),
                    _ => None,
                };
                let Some((struct_name, fs)) = merged else {
                    return Err(format!(
                        "the variant `{owner}` of an internally tagged enum must hold a struct without a tag: serde merges its fields with the tag"
                    ));
                };
                self.props(&fs, &struct_name, false, 0, &mut props)?;
            }
            // Adjacently tagged: the content under its own key.
            (VariantKind::Newtype(t), Some(key)) => {
                let ty = self
                    .ty(t)
                    .map_err(|e| format!("the variant `{owner}`: {e}"))?;
                props.push((pascal(key), content_prop(key, &ty.text)));
            }
            (VariantKind::Struct(fs), Some(key)) => {
                let mut inner = Vec::new();
                self.props(fs, &owner, false, 0, &mut inner)?;
                let property = pascal(key);
                let record = if property == "Fields" {
                    "Content"
                } else {
                    "Fields"
                };
                fields = Some((record.to_owned(), Self::checked_props(record, inner)?));
                props.push((property, content_prop(key, record)));
            }
        }
        let mut doc_lines = v.docs.clone();
        if v.other {
            doc_lines.push(String::new());
            doc_lines.push("The server reads any tag it does not know as this variant.".to_owned());
        }
        Ok(VariantDecl {
            docs: xml_docs(&doc_lines, &[]),
            props: Self::checked_props(&name, props)?,
            name,
            wire: string_literal(&v.wire_name),
            fields,
        })
    }
}

/// The property of an adjacently tagged variant that holds its content.
fn content_prop(key: &str, ty: &str) -> Prop {
    Prop {
        docs: Vec::new(),
        attrs: vec![format!("JsonPropertyName({})", string_literal(key))],
        decl: format!("public required {ty} {} {{ get; init; }}", pascal(key)),
    }
}

/// Names each newtype the hubs reach with the C# type that stands for it.
fn newtype_notes(cx: &mut Cx<'_>, types: &[&TypeDef]) -> Vec<String> {
    let pairs: Vec<String> = types
        .iter()
        .filter(|d| matches!(d.kind, TypeDefKind::Newtype(_)))
        .filter_map(|d| {
            cx.ty(&TypeRef::Named(d.name.clone()))
                .ok()
                .map(|t| format!("{} is {}", d.name, t.text))
        })
        .collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    vec![
        "Newtypes are written as their content, so their content's type stands for them:"
            .to_owned(),
        format!("{}.", pairs.join(", ")),
    ]
}

// ---------------------------------------------------------------------------------------
// Hubs
// ---------------------------------------------------------------------------------------

/// The name of the trailing `CancellationToken`: `cancellationToken` unless a parameter
/// has it.
fn token_name(used: &BTreeSet<String>) -> String {
    let mut name = "cancellationToken".to_owned();
    while used.contains(&name) {
        name.push('_');
    }
    name
}

fn proxy(cx: &mut Cx<'_>, hub: &Hub) -> Result<Proxy, SourceError> {
    let contract = &hub.contract;
    let mut methods = Vec::new();
    let mut members: BTreeSet<String> = BTreeSet::new();
    for (m, shape) in contract.methods.iter().zip(&hub.shapes) {
        let built = (|| -> Result<(), String> {
            let base = pascal(&m.name);
            let mut params = Vec::new();
            let mut args = Vec::new();
            let mut used: BTreeSet<String> = BTreeSet::new();
            for (p, ty) in m.params.iter().zip(&shape.params) {
                let (kind, Some(ty)) = (p.kind, ty) else {
                    continue;
                };
                let pname = param_name(&p.name);
                let cs = cx
                    .ty(ty)
                    .map_err(|e| format!("the parameter `{}`: {e}", p.name))?;
                match kind {
                    ParamKind::Value => {
                        params.push(format!("{} {pname}", cs.text));
                        args.push(cx.argument(ty, &pname, false));
                    }
                    ParamKind::Upload => {
                        params.push(format!("IAsyncEnumerable<{}> {pname}", cs.text));
                        args.push(cx.argument(ty, &pname, true));
                    }
                    ParamKind::Cancellation | ParamKind::Caller => continue,
                }
                if !used.insert(pname.clone()) {
                    return Err(format!(
                        "two parameters would both be the C# parameter `{pname}`; rename one"
                    ));
                }
            }
            let token = token_name(&used);
            params.push(format!("CancellationToken {token} = default"));
            let params = params.join(", ");
            let args = if args.is_empty() {
                "Array.Empty<object?>()".to_owned()
            } else {
                format!("new object?[] {{ {} }}", args.join(", "))
            };
            let wire = string_literal(&m.wire_name);
            let value = shape
                .output
                .as_ref()
                .map(|t| cx.ty(t))
                .transpose()
                .map_err(|e| format!("the result: {e}"))?;
            let mut names = vec![format!("{base}Async")];
            let (ret, body) = match (m.output.kind, &value) {
                (OutputKind::Stream, Some(item)) => (
                    format!("IAsyncEnumerable<{}>", item.text),
                    format!(
                        "_connection.StreamAsyncCore<{}>({wire}, {args}, {token})",
                        item.text
                    ),
                ),
                (OutputKind::Value, Some(v)) => (
                    format!("Task<{}>", v.text),
                    format!(
                        "_connection.InvokeCoreAsync<{}>({wire}, {args}, {token})",
                        v.text
                    ),
                ),
                _ => (
                    "Task".to_owned(),
                    format!("_connection.InvokeCoreAsync({wire}, {args}, {token})"),
                ),
            };
            methods.push(ProxyMethod {
                docs: xml_docs(&m.docs, &[]),
                signature: format!("{ret} {base}Async({params})"),
                body,
            });
            if m.output.kind == OutputKind::Unit {
                names.push(format!("Send{base}Async"));
                methods.push(ProxyMethod {
                    docs: xml_docs(
                        &m.docs,
                        &["Fire-and-forget: the task completes once the call is sent, without waiting for the hub method to run, and a failure of the hub method is not reported.".to_owned()],
                    ),
                    signature: format!("Task Send{base}Async({params})"),
                    body: format!("_connection.SendCoreAsync({wire}, {args}, {token})"),
                });
            }
            for name in names {
                if !members.insert(name.clone()) {
                    return Err(format!(
                        "`{}::{}` would be the C# method `{name}`, which `I{}` already has; rename the Rust method (its wire name can stay, with #[hub(name = \"...\")])",
                        contract.name, m.name, contract.name
                    ));
                }
            }
            Ok(())
        })();
        built.map_err(|e| {
            shape.location.error(format!(
                "`{}::{}` cannot be represented in C#: {e}",
                contract.name, m.name
            ))
        })?;
    }
    Ok(Proxy {
        docs: xml_docs(&contract.docs, &[]),
        name: contract.name.clone(),
        methods,
    })
}

fn receiver(cx: &mut Cx<'_>, hub: &Hub) -> Result<Receiver, SourceError> {
    let contract = &hub.contract;
    cx.uses.receivers = true;
    let mut methods = Vec::new();
    let mut markers = false;
    let mut members: BTreeSet<String> = BTreeSet::new();
    for (m, shape) in contract.methods.iter().zip(&hub.shapes) {
        let built = (|| -> Result<(), String> {
            let name = format!("{}Async", pascal(&m.name));
            if !members.insert(name.clone()) {
                return Err(format!("it would be the C# method `{name}` twice"));
            }
            let mut params = Vec::new();
            let mut types = Vec::new();
            let mut call_args = Vec::new();
            let mut opened = Vec::new();
            let mut used: BTreeSet<String> = BTreeSet::new();
            for (p, ty) in m.params.iter().zip(&shape.params) {
                let pname = param_name(&p.name);
                let index = types.len();
                let arg = format!("args[{index}]");
                match (p.kind, ty) {
                    (ParamKind::Value, Some(ty)) => {
                        let cs = cx
                            .ty(ty)
                            .map_err(|e| format!("the parameter `{}`: {e}", p.name))?;
                        params.push(format!("{} {pname}", cs.text));
                        types.push(format!("typeof({})", cs.type_of()));
                        call_args.push(cs.cast(&arg));
                    }
                    (ParamKind::Cancellation, _) => {
                        markers = true;
                        params.push(format!("CancellationToken {pname}"));
                        types.push("typeof(CancellationMarker)".to_owned());
                        call_args.push(format!("call{index}.Token"));
                        opened.push(format!("using var call{index} = registration.Open({arg});"));
                    }
                    _ => {
                        return Err(format!(
                            "the parameter `{}` cannot be sent by a server to a client",
                            p.name
                        ));
                    }
                }
                if !used.insert(pname.clone()) {
                    return Err(format!(
                        "two parameters would both be the C# parameter `{pname}`; rename one"
                    ));
                }
            }
            let value = shape
                .output
                .as_ref()
                .map(|t| cx.ty(t))
                .transpose()
                .map_err(|e| format!("the result: {e}"))?;
            let call = format!("receiver.{name}({})", call_args.join(", "));
            let (ret, on, result) = match (m.output.kind, &value, &shape.output) {
                (OutputKind::Value, Some(v), Some(t)) => {
                    let awaited = format!("await {call}.ConfigureAwait(false)");
                    let result = cx.argument(t, &awaited, false);
                    (format!("Task<{}>", v.text), "OnResult", Some(result))
                }
                (OutputKind::Unit, _, _) => ("Task".to_owned(), "On", None),
                _ => return Err("a server cannot stream from a client method".to_owned()),
            };
            let mut names = vec![string_literal(&m.wire_name)];
            if m.plain_name != m.wire_name {
                names.push(string_literal(&m.plain_name));
            }
            let types = if types.is_empty() {
                "Type.EmptyTypes".to_owned()
            } else {
                format!("new[] {{ {} }}", types.join(", "))
            };
            let mut register = vec![
                format!("registration.{on}("),
                format!("    new[] {{ {} }},", names.join(", ")),
                format!("    {types},"),
            ];
            match (&result, opened.is_empty()) {
                (None, true) => register.push(format!("    args => {call});")),
                (Some(r), true) => register.push(format!("    async args => {r});")),
                (_, false) => {
                    register.push("    async args =>".to_owned());
                    register.push("    {".to_owned());
                    register.extend(opened.iter().map(|l| format!("        {l}")));
                    match &result {
                        Some(r) => register.push(format!("        return {r};")),
                        None => {
                            register.push(format!("        await {call}.ConfigureAwait(false);"));
                        }
                    }
                    register.push("    });".to_owned());
                }
            }
            methods.push(ReceiverMethod {
                docs: xml_docs(&m.docs, &[]),
                signature: format!("{ret} {name}({})", params.join(", ")),
                register,
            });
            Ok(())
        })();
        built.map_err(|e| {
            shape.location.error(format!(
                "`{}::{}` cannot be represented in C#: {e}",
                contract.name, m.name
            ))
        })?;
    }
    cx.uses.markers |= markers;
    Ok(Receiver {
        docs: xml_docs(&contract.docs, &[]),
        name: contract.name.clone(),
        results: contract
            .methods
            .iter()
            .any(|m| m.output.kind == OutputKind::Value),
        markers,
        methods,
    })
}

/// Whether `namespace` is a dotted C# namespace name.
fn is_namespace(namespace: &str) -> bool {
    namespace
        .split('.')
        .all(|part| is_identifier(part) && !KEYWORDS.contains(&part))
}

/// The C# file for every contract of `contracts`.
pub fn generate(contracts: &Contracts, options: &Options) -> Result<String, Vec<SourceError>> {
    if !is_namespace(&options.namespace) {
        return Err(vec![SourceError::file(
            &contracts.root,
            format!("`{}` is not a C# namespace name", options.namespace),
        )]);
    }
    let mut cx = Cx {
        contracts,
        namespace: &options.namespace,
        uses: Uses::default(),
        shadowed: Vec::new(),
    };
    let mut errors = Vec::new();
    // Every name the file declares, with where it comes from.
    let mut declared: BTreeSet<String> = BTreeSet::new();
    let mut declare = |name: String, location: &crate::Location, errors: &mut Vec<SourceError>| {
        if !is_identifier(&name) || KEYWORDS.contains(&name.as_str()) {
            errors.push(location.error(format!(
                "`{name}` is not a C# type name; rename the Rust item"
            )));
        } else if RESERVED_TYPES.contains(&name.as_str()) {
            errors.push(location.error(format!(
                "`{name}` is a name the generated C# file uses for itself; rename the Rust item"
            )));
        } else if !declared.insert(name.clone()) {
            errors.push(location.error(format!(
                "`{name}` would be declared twice in the generated C# file; rename the Rust item"
            )));
        }
    };
    let reachable = contracts.reachable_types();
    let mut types = Vec::new();
    for def in &reachable {
        let location = contracts.type_location(&def.name);
        match cx.type_decl(def) {
            Ok(Some(t)) => {
                declare(def.name.clone(), &location, &mut errors);
                types.push(t);
            }
            Ok(None) => {}
            Err(e) => errors
                .push(location.error(format!("`{}` cannot be represented in C#: {e}", def.name))),
        }
    }
    let mut proxies = Vec::new();
    let mut receivers = Vec::new();
    for hub in &contracts.hubs {
        let name = &hub.contract.name;
        let built = match hub.contract.side {
            Side::Server => {
                declare(format!("I{name}"), &hub.location, &mut errors);
                declare(format!("{name}Proxy"), &hub.location, &mut errors);
                proxy(&mut cx, hub).map(|p| proxies.push(p))
            }
            Side::Client => {
                declare(format!("I{name}"), &hub.location, &mut errors);
                declare(format!("{name}Receiver"), &hub.location, &mut errors);
                receiver(&mut cx, hub).map(|r| receivers.push(r))
            }
        };
        if let Err(e) = built {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let uses = cx.uses;
    let mut notes =
        vec!["For the JSON hub protocol: the types carry System.Text.Json attributes.".to_owned()];
    notes.push(if uses.enums {
        "Needs C# 11 and System.Text.Json 9 (JsonStringEnumMemberName) or later.".to_owned()
    } else {
        "Needs C# 11 or later.".to_owned()
    });
    notes.extend(newtype_notes(&mut cx, &reachable));
    let mut usings = vec!["System", "System.Collections.Generic"];
    if uses.declared_items {
        usings.push("System.Runtime.CompilerServices");
    }
    if uses.json {
        usings.push("System.Text.Json");
    }
    if uses.attributes || uses.markers {
        usings.push("System.Text.Json.Serialization");
    }
    usings.extend([
        "System.Threading",
        "System.Threading.Tasks",
        "Microsoft.AspNetCore.SignalR.Client",
    ]);
    let source = contracts
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = File {
        source,
        notes,
        usings,
        namespace: options.namespace.clone(),
        types,
        proxies,
        receivers,
        uses,
    };
    file.render().map(|text| crate::tidy(&text)).map_err(|e| {
        vec![SourceError::file(
            &contracts.root,
            format!("template error: {e}"),
        )]
    })
}
