//! TypeScript for `@microsoft/signalr`: one module per contract file.
//!
//! - Every DTO a contract reaches becomes an `interface` (structs) or a `type` (newtypes,
//!   tuples, enums as unions of their wire forms), with the wire names serde writes.
//! - A server contract `Chat` becomes `ChatProxy`, a class over the package's
//!   `HubConnection`: one method per hub method (`invoke`, or `stream` for streams, with an
//!   `AsyncIterable` adapter), upload streams taken as any `AsyncIterable` or the package's
//!   `Subject`, a trailing `AbortSignal` where the Rust method takes a `CancellationToken`,
//!   and `send` for fire-and-forget calls of unit methods.
//! - A client contract `ChatClient` becomes the interface `ChatClient` (what the page
//!   implements; client results may be values or promises) and
//!   `ChatClientReceiver.register(connection, impl)`, which returns a handle whose
//!   `dispose()` removes every handler. Cancellation markers become `AbortSignal`s that the
//!   server can abort.
//!
//! Types follow what each protocol's decoder really returns: `Binary` is a base64 string
//! under JSON and a `Uint8Array` under MessagePack; serde_bytes containers are number
//! arrays under JSON; 64-bit integers are `number` (what `JSON.parse` and the MessagePack
//! decoder return; exact up to `Number.MAX_SAFE_INTEGER`). A construct TypeScript cannot
//! describe honestly is an error naming the item.

use std::collections::BTreeSet;

use askama::Template;
use heck::ToLowerCamelCase;
use signalr_contract::{
    EnumRepr, Field, MapKey, OutputKind, ParamKind, Side, TypeDef, TypeDefKind, TypeRef,
    VariantKind,
};

use crate::source::SourceError;
use crate::{Contracts, Hub, Protocol};

/// How to generate TypeScript.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The hub protocol the connection uses; it decides how bytes are typed.
    pub protocol: Protocol,
}

/// Names the generated module defines for itself; a contract type may not take them.
const RESERVED_TYPES: [&str; 8] = [
    "HubStream",
    "Upload",
    "Registration",
    "JsonValue",
    "CancellationMarker",
    "Handlers",
    "Cancellations",
    "HubConnection",
];

/// Proxy members that are not hub methods.
const RESERVED_MEMBERS: [&str; 3] = ["constructor", "connection", "send"];

/// Words that cannot name a parameter in strict-mode TypeScript.
const RESERVED_WORDS: [&str; 46] = [
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "with",
];

// ---------------------------------------------------------------------------------------
// The view model the templates render
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ts/client.ts", escape = "none")]
struct File {
    source: String,
    notes: Vec<&'static str>,
    type_imports: Vec<&'static str>,
    types: Vec<TypeDecl>,
    proxies: Vec<Proxy>,
    receivers: Vec<Receiver>,
    uses: Uses,
}

#[derive(Debug, Default, Clone, Copy)]
struct Uses {
    json_value: bool,
    stream: bool,
    upload: bool,
    abort: bool,
    receivers: bool,
    markers: bool,
    int64: bool,
    bytes: bool,
    serde_bytes: bool,
}

enum TypeDecl {
    /// `export interface Name { fields }`, or with flattened types
    /// `export type Name = { fields } & A & B;`.
    Object {
        docs: String,
        name: String,
        fields: Vec<FieldDecl>,
        flattened: Vec<String>,
    },
    /// `export type Name = T;` or a union, one member per line.
    Alias {
        docs: String,
        name: String,
        members: Vec<Member>,
    },
}

struct FieldDecl {
    docs: String,
    key: String,
    optional: bool,
    ty: String,
}

struct Member {
    docs: String,
    ty: String,
}

struct Proxy {
    docs: String,
    name: String,
    methods: Vec<ProxyMethod>,
    sends: Vec<ProxyMethod>,
}

struct ProxyMethod {
    docs: String,
    name: String,
    params: String,
    ret: String,
    body: String,
}

struct Receiver {
    docs: String,
    name: String,
    methods: Vec<ReceiverMethod>,
    markers: bool,
}

struct ReceiverMethod {
    docs: String,
    name: String,
    params: String,
    ret: String,
    names: String,
    handler: String,
}

// ---------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------

/// A JSDoc block for `lines` at `indent` spaces, ending with a newline; empty when there
/// are no lines.
fn jsdoc(lines: &[String], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let lines: Vec<String> = lines
        .iter()
        .map(|l| l.trim_end().replace("*/", "*\\/"))
        .collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return String::new();
    };
    let lines = &lines[first..=last];
    if let [one] = lines {
        return format!("{pad}/** {one} */\n");
    }
    let mut out = format!("{pad}/**\n");
    for l in lines {
        if l.is_empty() {
            out.push_str(&format!("{pad} *\n"));
        } else {
            out.push_str(&format!("{pad} * {l}\n"));
        }
    }
    out.push_str(&format!("{pad} */\n"));
    out
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key: bare when it is an identifier, quoted otherwise.
fn key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        string_literal(name)
    }
}

/// A double-quoted string literal.
fn string_literal(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A parameter name: camelCase, with `_` after words TypeScript reserves.
fn param_name(rust: &str) -> String {
    let name = rust.trim_start_matches("r#").to_lower_camel_case();
    if RESERVED_WORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

struct Cx<'a> {
    contracts: &'a Contracts,
    protocol: Protocol,
    uses: Uses,
}

impl Cx<'_> {
    /// The TypeScript type of a wire shape; `Err` says why it cannot be written.
    fn ty(&mut self, t: &TypeRef) -> Result<String, String> {
        Ok(match t {
            TypeRef::Bool => "boolean".into(),
            TypeRef::Int { bits, .. } => {
                self.uses.int64 |= *bits > 53;
                "number".into()
            }
            TypeRef::Float { .. } => "number".into(),
            TypeRef::String | TypeRef::Uuid | TypeRef::DateTime => "string".into(),
            TypeRef::Bytes => {
                self.uses.bytes = true;
                match self.protocol {
                    Protocol::Json => "string".into(),
                    Protocol::MessagePack => "Uint8Array".into(),
                }
            }
            TypeRef::SerdeBytes => {
                self.uses.serde_bytes = true;
                match self.protocol {
                    Protocol::Json => "number[]".into(),
                    Protocol::MessagePack => "Uint8Array".into(),
                }
            }
            TypeRef::Option(inner) => {
                let inner = self.ty(inner)?;
                if inner == "null" || inner.ends_with(" | null") {
                    inner
                } else {
                    format!("{inner} | null")
                }
            }
            TypeRef::List(inner) => {
                let inner = self.ty(inner)?;
                if inner.contains(' ') {
                    format!("({inner})[]")
                } else {
                    format!("{inner}[]")
                }
            }
            TypeRef::Map {
                key,
                key_kind,
                value,
                ..
            } => {
                let value = self.ty(value)?;
                match key_kind {
                    MapKey::Named => match self.enum_key(key) {
                        Some(k) => format!("Partial<Record<{k}, {value}>>"),
                        None => format!("Record<string, {value}>"),
                    },
                    MapKey::String | MapKey::Integer | MapKey::Uuid => {
                        format!("Record<string, {value}>")
                    }
                }
            }
            TypeRef::Tuple(items) => {
                let items = items
                    .iter()
                    .map(|i| self.ty(i))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("[{}]", items.join(", "))
            }
            TypeRef::Unit => "null".into(),
            TypeRef::Json => {
                self.uses.json_value = true;
                "JsonValue".into()
            }
            TypeRef::Named(n) => {
                if self.contracts.type_def(n).is_none() {
                    return Err(format!(
                        "the type `{n}` is not defined in the contract files"
                    ));
                }
                n.clone()
            }
        })
    }

    /// The name of a unit-only enum used as a map key (its variant names are the keys).
    fn enum_key(&self, key: &TypeRef) -> Option<String> {
        let TypeRef::Named(n) = key else { return None };
        let def = self.contracts.type_def(n)?;
        (def.is_unit_only_enum()
            && matches!(
                def.kind,
                TypeDefKind::Enum {
                    repr: EnumRepr::External,
                    ..
                }
            ))
        .then(|| n.clone())
    }

    fn fields(
        &mut self,
        fields: &[Field],
        owner: &str,
    ) -> Result<(Vec<FieldDecl>, Vec<String>), String> {
        let mut decls = Vec::new();
        let mut flattened = Vec::new();
        for f in fields {
            if f.flatten {
                flattened.push(self.flattened(f, owner)?);
                continue;
            }
            decls.push(FieldDecl {
                docs: jsdoc(&f.docs, 2),
                key: key(&f.wire_name),
                optional: !(f.required_on_output() && f.required_on_input()),
                ty: self.ty(&f.ty)?,
            });
        }
        Ok((decls, flattened))
    }

    /// The type a `#[serde(flatten)]` field merges into its object.
    fn flattened(&mut self, f: &Field, owner: &str) -> Result<String, String> {
        let cannot = || {
            format!(
                "the flattened field `{owner}::{}` must be a struct or enum type (or an `Option` of one): its keys would share the object with the other fields' types",
                f.name
            )
        };
        match &f.ty {
            TypeRef::Named(n) if self.is_object(n) => self.ty(&f.ty),
            TypeRef::Option(inner) => match inner.as_ref() {
                TypeRef::Named(n) if self.is_object(n) => Ok(format!("Partial<{n}>")),
                _ => Err(cannot()),
            },
            _ => Err(cannot()),
        }
    }

    /// Whether a user type is written as an object (a struct, or an enum whose every
    /// variant is an object).
    fn is_object(&self, name: &str) -> bool {
        match self.contracts.type_def(name).map(|d| &d.kind) {
            Some(TypeDefKind::Struct { .. }) => true,
            Some(TypeDefKind::Enum { repr, variants }) => match repr {
                EnumRepr::Internal { .. } | EnumRepr::Adjacent { .. } => {
                    variants.iter().all(|v| !v.untagged)
                }
                EnumRepr::External => variants.iter().all(|v| v.kind != VariantKind::Unit),
                EnumRepr::Untagged => false,
            },
            Some(TypeDefKind::Newtype(TypeRef::Named(inner))) => self.is_object(inner),
            _ => false,
        }
    }

    /// `{ a: A; b?: B }` on one line.
    fn inline_object(
        &mut self,
        fields: &[Field],
        owner: &str,
        tag: Option<(&str, &str)>,
    ) -> Result<String, String> {
        let (decls, flattened) = self.fields(fields, owner)?;
        let mut parts: Vec<String> = tag
            .map(|(k, v)| format!("{}: {}", key(k), string_literal(v)))
            .into_iter()
            .collect();
        parts.extend(
            decls
                .iter()
                .map(|d| format!("{}{}: {}", d.key, if d.optional { "?" } else { "" }, d.ty)),
        );
        let object = if parts.is_empty() {
            "Record<string, never>".to_owned()
        } else {
            format!("{{ {} }}", parts.join("; "))
        };
        Ok(std::iter::once(object)
            .chain(flattened)
            .collect::<Vec<_>>()
            .join(" & "))
    }

    fn type_decl(&mut self, def: &TypeDef) -> Result<TypeDecl, String> {
        let docs = jsdoc(&def.docs, 0);
        let name = def.name.clone();
        let alias = |members: Vec<Member>| TypeDecl::Alias {
            docs: docs.clone(),
            name: name.clone(),
            members,
        };
        let one = |ty: String| {
            vec![Member {
                docs: String::new(),
                ty,
            }]
        };
        Ok(match &def.kind {
            TypeDefKind::Struct { fields, tag, .. } => {
                let (mut decls, flattened) = self.fields(fields, &def.name)?;
                if let Some(tag) = tag {
                    decls.insert(
                        0,
                        FieldDecl {
                            docs: jsdoc(
                                &["Written by the server; not needed when sending.".to_owned()],
                                2,
                            ),
                            key: key(tag),
                            optional: true,
                            ty: string_literal(&def.wire_name),
                        },
                    );
                }
                TypeDecl::Object {
                    docs,
                    name,
                    fields: decls,
                    flattened,
                }
            }
            TypeDefKind::Newtype(t) => alias(one(self.ty(t)?)),
            TypeDefKind::Tuple(items) => alias(one(self.ty(&TypeRef::Tuple(items.clone()))?)),
            TypeDefKind::Unit => alias(one("null".into())),
            TypeDefKind::Enum { repr, variants } => {
                let mut members = Vec::new();
                for v in variants {
                    let owner = format!("{}::{}", def.name, v.name);
                    let content = match &v.kind {
                        VariantKind::Unit => None,
                        VariantKind::Newtype(t) => Some(self.ty(t)?),
                        VariantKind::Tuple(items) => Some(self.ty(&TypeRef::Tuple(items.clone()))?),
                        VariantKind::Struct(fields) => {
                            Some(self.inline_object(fields, &owner, None)?)
                        }
                    };
                    let tag = string_literal(&v.wire_name);
                    let ty = match (repr, content) {
                        (_, c) if v.untagged => c.unwrap_or_else(|| "null".into()),
                        (EnumRepr::External, None) => tag,
                        (EnumRepr::External, Some(c)) => {
                            format!("{{ {}: {c} }}", key(&v.wire_name))
                        }
                        (EnumRepr::Internal { tag: k }, None) => format!("{{ {}: {tag} }}", key(k)),
                        (EnumRepr::Internal { tag: k }, Some(c)) => match &v.kind {
                            VariantKind::Struct(fields) => {
                                self.inline_object(fields, &owner, Some((k, &v.wire_name)))?
                            }
                            VariantKind::Newtype(TypeRef::Named(n)) if self.is_object(n) => {
                                format!("({{ {}: {tag} }} & {c})", key(k))
                            }
                            _ => {
                                return Err(format!(
                                    "the variant `{owner}` of an internally tagged enum must hold a struct: its content is merged with the tag `{k}`"
                                ));
                            }
                        },
                        (EnumRepr::Adjacent { tag: k, .. }, None) => {
                            format!("{{ {}: {tag} }}", key(k))
                        }
                        (EnumRepr::Adjacent { tag: k, content }, Some(c)) => {
                            format!("{{ {}: {tag}; {}: {c} }}", key(k), key(content))
                        }
                        (EnumRepr::Untagged, c) => c.unwrap_or_else(|| "null".into()),
                    };
                    members.push(Member {
                        docs: jsdoc(&v.docs, 2),
                        ty,
                    });
                }
                if members.is_empty() {
                    // An enum without variants has no values.
                    members = one("never".into());
                }
                alias(members)
            }
        })
    }
}

// ---------------------------------------------------------------------------------------
// Hubs
// ---------------------------------------------------------------------------------------

fn proxy(cx: &mut Cx<'_>, hub: &Hub) -> Result<Proxy, SourceError> {
    let contract = &hub.contract;
    let mut methods = Vec::new();
    let mut sends = Vec::new();
    let mut members: BTreeSet<String> = BTreeSet::new();
    for (m, shape) in contract.methods.iter().zip(&hub.shapes) {
        let built = (|| -> Result<(), String> {
            let name = m.name.trim_start_matches("r#").to_lower_camel_case();
            if RESERVED_MEMBERS.contains(&name.as_str()) || !members.insert(name.clone()) {
                return Err(format!(
                    "`{}::{}` would be the proxy member `{name}`, which the proxy already has; rename the Rust method (its wire name can stay, with #[hub(name = \"...\")])",
                    contract.name, m.name
                ));
            }
            let mut params = Vec::new();
            let mut args = Vec::new();
            let mut cancellable = false;
            let mut used: BTreeSet<String> = BTreeSet::new();
            for (p, ty) in m.params.iter().zip(&shape.params) {
                let pname = param_name(&p.name);
                match (p.kind, ty) {
                    (ParamKind::Value, Some(ty)) => {
                        params.push(format!("{pname}: {}", cx.ty(ty)?));
                        args.push(pname.clone());
                    }
                    (ParamKind::Upload, Some(ty)) => {
                        cx.uses.upload = true;
                        params.push(format!("{pname}: Upload<{}>", cx.ty(ty)?));
                        args.push(format!("upload({pname})"));
                    }
                    (ParamKind::Cancellation, _) => cancellable = true,
                    _ => continue,
                }
                used.insert(pname);
            }
            let signal = ["signal", "abortSignal", "signal_"]
                .into_iter()
                .find(|s| !used.contains(*s))
                .unwrap_or("signal__");
            let value = shape.output.as_ref().map(|t| cx.ty(t)).transpose()?;
            let call_args = std::iter::once(string_literal(&m.wire_name))
                .chain(args.iter().cloned())
                .collect::<Vec<_>>()
                .join(", ");
            let mut doc_lines = m.docs.clone();
            let mut method_params = params.clone();
            if cancellable {
                cx.uses.abort = true;
                method_params.push(format!("{signal}?: AbortSignal"));
                if !doc_lines.is_empty() {
                    doc_lines.push(String::new());
                }
                match m.output.kind {
                    OutputKind::Stream => doc_lines.push(format!(
                        "@param {signal} - Aborting it ends the stream and cancels it on the server."
                    )),
                    _ => doc_lines.extend([
                        format!("@param {signal} - Aborting it rejects the promise at once. The server's token"),
                        "fires when the connection closes: the package has no way to cancel a running".to_owned(),
                        "invocation.".to_owned(),
                    ]),
                }
            }
            let (ret, body) = match m.output.kind {
                OutputKind::Stream => {
                    cx.uses.stream = true;
                    let item = value.clone().unwrap_or_else(|| "null".into());
                    let signal_arg = if cancellable {
                        format!(", {signal}")
                    } else {
                        String::new()
                    };
                    (
                        format!("HubStream<{item}>"),
                        format!(
                            "return hubStream(() => this.connection.stream<{item}>({call_args}){signal_arg});"
                        ),
                    )
                }
                OutputKind::Value | OutputKind::Unit => {
                    let result = value.clone().unwrap_or_else(|| "void".into());
                    let call = format!("this.connection.invoke<{result}>({call_args})");
                    let body = if cancellable {
                        format!("return abortable({signal}, () => {call});")
                    } else {
                        format!("return {call};")
                    };
                    (format!("Promise<{result}>"), body)
                }
            };
            if m.output.kind == OutputKind::Unit {
                sends.push(ProxyMethod {
                    docs: jsdoc(&m.docs, 2),
                    name: name.clone(),
                    params: params.join(", "),
                    ret: "Promise<void>".into(),
                    body: format!("connection.send({call_args})"),
                });
            }
            methods.push(ProxyMethod {
                docs: jsdoc(&doc_lines, 2),
                name,
                params: method_params.join(", "),
                ret,
                body,
            });
            Ok(())
        })();
        built.map_err(|e| shape.location.error(e))?;
    }
    Ok(Proxy {
        docs: jsdoc(&contract.docs, 0),
        name: contract.name.clone(),
        methods,
        sends,
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
            let name = m.name.trim_start_matches("r#").to_lower_camel_case();
            if !members.insert(name.clone()) {
                return Err(format!(
                    "`{}::{}` would be the member `{name}` twice",
                    contract.name, m.name
                ));
            }
            let mut params = Vec::new();
            let mut handler_params = Vec::new();
            let mut call_args = Vec::new();
            let mut opened = Vec::new();
            for (p, ty) in m.params.iter().zip(&shape.params) {
                let pname = param_name(&p.name);
                match (p.kind, ty) {
                    (ParamKind::Value, Some(ty)) => {
                        let ty = cx.ty(ty)?;
                        params.push(format!("{pname}: {ty}"));
                        handler_params.push(format!("{pname}: {ty}"));
                        call_args.push(pname);
                    }
                    (ParamKind::Cancellation, _) => {
                        markers = true;
                        cx.uses.markers = true;
                        params.push(format!("{pname}: AbortSignal"));
                        handler_params.push(format!("{pname}: CancellationMarker | null"));
                        call_args.push(format!("cancellations.open({pname})"));
                        opened.push(pname);
                    }
                    _ => {
                        return Err(format!(
                            "`{}::{}`: the parameter `{}` cannot be sent by a server to a client",
                            contract.name, m.name, p.name
                        ));
                    }
                }
            }
            let value = shape.output.as_ref().map(|t| cx.ty(t)).transpose()?;
            let ret = match (&m.output.kind, value) {
                (OutputKind::Value, Some(v)) => format!("{v} | Promise<{v}>"),
                (OutputKind::Unit, _) => "void | Promise<void>".into(),
                _ => {
                    return Err(format!(
                        "`{}::{}`: a server cannot stream from a client method",
                        contract.name, m.name
                    ));
                }
            };
            let call = format!("receiver.{name}({})", call_args.join(", "));
            let handler = if opened.is_empty() {
                format!("({}) => {call}", handler_params.join(", "))
            } else {
                let closes = opened
                    .iter()
                    .map(|p| format!("cancellations.close({p});"))
                    .collect::<Vec<_>>()
                    .join(" ");
                format!(
                    "async ({}) => {{\n      try {{\n        return await {call};\n      }} finally {{\n        {closes}\n      }}\n    }}",
                    handler_params.join(", ")
                )
            };
            let mut names = vec![string_literal(&m.wire_name)];
            if m.plain_name != m.wire_name {
                names.push(string_literal(&m.plain_name));
            }
            methods.push(ReceiverMethod {
                docs: jsdoc(&m.docs, 2),
                name,
                params: params.join(", "),
                ret,
                names: format!("[{}]", names.join(", ")),
                handler,
            });
            Ok(())
        })();
        built.map_err(|e| shape.location.error(e))?;
    }
    Ok(Receiver {
        docs: jsdoc(&contract.docs, 0),
        name: contract.name.clone(),
        methods,
        markers,
    })
}

/// The TypeScript module for every contract of `contracts`.
pub fn generate(contracts: &Contracts, options: &Options) -> Result<String, Vec<SourceError>> {
    let mut cx = Cx {
        contracts,
        protocol: options.protocol,
        uses: Uses::default(),
    };
    let mut errors = Vec::new();
    let mut types = Vec::new();
    for def in contracts.reachable_types() {
        let location = contracts.type_location(&def.name);
        if RESERVED_TYPES.contains(&def.name.as_str()) {
            errors.push(location.error(format!(
                "the type `{}` has a name the generated TypeScript module uses for itself; rename it",
                def.name
            )));
            continue;
        }
        match cx.type_decl(def) {
            Ok(t) => types.push(t),
            Err(e) => errors.push(location.error(format!(
                "`{}` cannot be written in TypeScript: {e}",
                def.name
            ))),
        }
    }
    let mut proxies = Vec::new();
    let mut receivers = Vec::new();
    for hub in &contracts.hubs {
        let built = match hub.contract.side {
            Side::Server => proxy(&mut cx, hub).map(|p| proxies.push(p)),
            Side::Client => receiver(&mut cx, hub).map(|r| receivers.push(r)),
        };
        if let Err(e) = built {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let uses = cx.uses;
    let mut notes = vec![match options.protocol {
        Protocol::Json => "For the JSON hub protocol (the package's default).",
        Protocol::MessagePack => {
            "For the MessagePack hub protocol (@microsoft/signalr-protocol-msgpack)."
        }
    }];
    match options.protocol {
        Protocol::Json => {
            if uses.bytes {
                notes.push("`Binary` values are base64 strings.");
            }
            if uses.serde_bytes {
                notes.push("serde_bytes values are arrays of numbers, as serde_json writes them.");
            }
        }
        Protocol::MessagePack => {
            if uses.bytes || uses.serde_bytes {
                notes.push("Bytes are `Uint8Array` (MessagePack `bin`).");
            }
        }
    }
    if uses.int64 {
        notes.push("64-bit integers are `number`, as the protocol decoders return them:");
        notes.push("exact up to Number.MAX_SAFE_INTEGER (2^53 - 1).");
    }
    let mut type_imports = vec!["HubConnection"];
    if uses.stream || uses.upload {
        type_imports.extend(["IStreamResult", "IStreamSubscriber", "ISubscription"]);
    }
    let source = contracts
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = File {
        source,
        notes,
        type_imports,
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
