//! JSON Schema (draft 2020-12) for a contract file, as the JSON protocol carries it: a
//! definition for every DTO, and for every hub method its wire name, direction, arguments
//! and result or stream item.
//!
//! The same schemas serve the AsyncAPI document ([`crate::asyncapi`]) in its dialect
//! (a dialect): JSON Schema draft 07 (fixed arrays as `items` lists), with references
//! into `#/components/schemas`.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use signalr_contract::{
    EnumRepr, Field, HubContract, MapKey, Method, OutputKind, ParamKind, Side, TypeDef,
    TypeDefKind, TypeRef, VariantKind,
};

use crate::Contracts;

fn int_schema(bits: u8, signed: bool) -> Value {
    match (bits, signed) {
        (b, true) if b <= 32 => {
            json!({"type": "integer", "minimum": -(1i64 << (b - 1)), "maximum": (1i64 << (b - 1)) - 1})
        }
        (b, false) if b <= 32 => {
            json!({"type": "integer", "minimum": 0, "maximum": (1u64 << b) - 1})
        }
        (64, true) => json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
        (64, false) => json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
        // Beyond 64 bits JSON numbers are doubles here: 2^127 and 2^128 are exact doubles,
        // so exclusive bounds at them are exact.
        (_, true) => json!({
            "type": "integer",
            "minimum": -(2f64.powi(127)),
            "exclusiveMaximum": 2f64.powi(127),
        }),
        (_, false) => json!({"type": "integer", "minimum": 0, "exclusiveMaximum": 2f64.powi(128)}),
    }
}

/// Which JSON Schema the schemas are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Draft 2020-12, definitions under `#/$defs` (the schema document).
    Draft2020,
    /// The AsyncAPI schema format (draft 07), definitions under `#/components/schemas`.
    AsyncApi,
}

impl Dialect {
    /// A reference to the definition of `name`.
    fn reference(self, name: &str) -> Value {
        match self {
            Dialect::Draft2020 => json!({"$ref": format!("#/$defs/{name}")}),
            Dialect::AsyncApi => json!({"$ref": format!("#/components/schemas/{name}")}),
        }
    }

    /// An array of exactly these items (`prefixItems` must not be empty in 2020-12; draft
    /// 07 lists them in `items`).
    pub(crate) fn fixed_array(self, items: Vec<Value>) -> Value {
        if items.is_empty() {
            return json!({"type": "array", "maxItems": 0});
        }
        let n = items.len();
        match self {
            Dialect::Draft2020 => {
                json!({"type": "array", "prefixItems": items, "minItems": n, "maxItems": n})
            }
            Dialect::AsyncApi => json!({
                "type": "array", "items": items, "additionalItems": false, "minItems": n, "maxItems": n
            }),
        }
    }
}

/// The schema of a type reference.
pub(crate) fn type_schema(d: Dialect, t: &TypeRef) -> Value {
    match t {
        TypeRef::Bool => json!({"type": "boolean"}),
        TypeRef::Int { bits, signed } => int_schema(*bits, *signed),
        TypeRef::Float { .. } => json!({"type": "number"}),
        TypeRef::String => json!({"type": "string"}),
        // One Unicode scalar value (JSON Schema counts code points).
        TypeRef::Char => json!({"type": "string", "minLength": 1, "maxLength": 1}),
        TypeRef::Bytes => json!({
            "type": "string",
            "contentEncoding": "base64",
            "contentMediaType": "application/octet-stream",
        }),
        TypeRef::SerdeBytes => {
            json!({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 255}})
        }
        TypeRef::Uuid => json!({"type": "string", "format": "uuid"}),
        TypeRef::DateTime => json!({"type": "string", "format": "date-time"}),
        TypeRef::Option(inner) => json!({"anyOf": [type_schema(d, inner), {"type": "null"}]}),
        TypeRef::List(inner) => json!({"type": "array", "items": type_schema(d, inner)}),
        TypeRef::Map {
            key_kind, value, ..
        } => {
            let mut m = json!({"type": "object", "additionalProperties": type_schema(d, value)});
            match key_kind {
                MapKey::Integer => m["propertyNames"] = json!({"pattern": "^-?[0-9]+$"}),
                MapKey::Uuid => m["propertyNames"] = json!({"format": "uuid"}),
                MapKey::String | MapKey::Named => {}
            }
            m
        }
        TypeRef::Tuple(items) => d.fixed_array(items.iter().map(|t| type_schema(d, t)).collect()),
        TypeRef::Unit => json!({"type": "null"}),
        TypeRef::Json => json!(true),
        TypeRef::Named(n) => d.reference(n),
    }
}

pub(crate) fn describe(schema: &mut Value, docs: &[String]) {
    if !docs.is_empty()
        && let Value::Object(m) = schema
    {
        m.insert("description".into(), Value::String(docs.join("\n")));
    }
}

/// An object of fields (flattened fields merge their type's keys through `allOf`).
fn fields_schema(d: Dialect, fields: &[Field], tag: Option<(&str, &str)>) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    let mut flattened = Vec::new();
    if let Some((key, value)) = tag {
        properties.insert(key.to_owned(), json!({"const": value}));
        required.push(Value::String(key.to_owned()));
    }
    for f in fields {
        if f.flatten {
            flattened.push(type_schema(d, &f.ty));
            continue;
        }
        let mut s = type_schema(d, &f.ty);
        describe(&mut s, &f.docs);
        properties.insert(f.wire_name.clone(), s);
        if f.required_on_output() && f.required_on_input() {
            required.push(Value::String(f.wire_name.clone()));
        }
    }
    let mut object = json!({"type": "object", "properties": properties, "required": required});
    if !flattened.is_empty() {
        object = json!({"allOf": std::iter::once(object).chain(flattened).collect::<Vec<_>>()});
    }
    object
}

fn variant_content(d: Dialect, kind: &VariantKind) -> Option<Value> {
    match kind {
        VariantKind::Unit => None,
        VariantKind::Newtype(t) => Some(type_schema(d, t)),
        VariantKind::Tuple(items) => Some(type_schema(d, &TypeRef::Tuple(items.clone()))),
        VariantKind::Struct(fields) => Some(fields_schema(d, fields, None)),
    }
}

/// The schema of a user type.
pub(crate) fn typedef_schema(d: Dialect, def: &TypeDef) -> Value {
    let mut schema = match &def.kind {
        TypeDefKind::Struct {
            fields,
            tag,
            deny_unknown_fields,
        } => {
            let mut object = fields_schema(
                d,
                fields,
                tag.as_deref().map(|t| (t, def.wire_name.as_str())),
            );
            // serde ignores unknown keys unless told otherwise.
            if *deny_unknown_fields && object.get("allOf").is_none() {
                object["additionalProperties"] = json!(false);
            }
            object
        }
        TypeDefKind::Newtype(t) => type_schema(d, t),
        TypeDefKind::Tuple(items) => type_schema(d, &TypeRef::Tuple(items.clone())),
        TypeDefKind::Unit => json!({"type": "null"}),
        TypeDefKind::Enum { repr, variants } => {
            let options: Vec<Value> = variants
                .iter()
                .map(|v| {
                    let content = variant_content(d, &v.kind);
                    let tag = &v.wire_name;
                    let mut s = match (repr, content) {
                        (_, _) if v.untagged => variant_content(d, &v.kind).unwrap_or(json!({"type": "null"})),
                        (EnumRepr::External, None) => json!({"const": tag}),
                        (EnumRepr::External, Some(c)) => json!({
                            "type": "object", "properties": {tag: c}, "required": [tag], "additionalProperties": false
                        }),
                        (EnumRepr::Internal { tag: key }, None) => {
                            json!({"type": "object", "properties": {key: {"const": tag}}, "required": [key]})
                        }
                        (EnumRepr::Internal { tag: key }, Some(c)) => match &v.kind {
                            VariantKind::Struct(fields) => fields_schema(d, fields, Some((key, tag))),
                            _ => json!({"allOf": [{"type": "object", "properties": {key: {"const": tag}}, "required": [key]}, c]}),
                        },
                        (EnumRepr::Adjacent { tag: key, .. }, None) => {
                            json!({"type": "object", "properties": {key: {"const": tag}}, "required": [key]})
                        }
                        (EnumRepr::Adjacent { tag: key, content }, Some(c)) => json!({
                            "type": "object", "properties": {key: {"const": tag}, content: c}, "required": [key, content]
                        }),
                        (EnumRepr::Untagged, c) => c.unwrap_or(json!({"type": "null"})),
                    };
                    describe(&mut s, &v.docs);
                    s
                })
                .collect();
            // Variants written without a tag may overlap (an `i64` variant's values are
            // also numbers): any of them may match, so `anyOf`. Tagged variants never
            // overlap, so `oneOf` says more.
            if matches!(repr, EnumRepr::Untagged) || variants.iter().any(|v| v.untagged) {
                json!({"anyOf": options})
            } else {
                json!({"oneOf": options})
            }
        }
    };
    describe(&mut schema, &def.docs);
    schema
}

/// What travels for one method, as schemas.
#[derive(Debug)]
pub(crate) struct MethodParts {
    /// The `arguments` array (a cancellation marker in its slot, server to client).
    pub(crate) arguments: Value,
    /// Per upload stream, the type of its items; `None` without upload streams.
    pub(crate) uploads: Option<Value>,
    /// The completion's result (value methods).
    pub(crate) result: Option<Value>,
    /// Each stream item (stream methods).
    pub(crate) item: Option<Value>,
}

/// The parts of `m`, a method of `hub`.
pub(crate) fn method_parts(d: Dialect, hub: &HubContract, m: &Method) -> MethodParts {
    let args: Vec<Value> = m
        .params
        .iter()
        .filter_map(|p| match p.kind {
            ParamKind::Value => Some(p.wire().map_or(json!(true), |t| type_schema(d, t))),
            ParamKind::Cancellation if hub.side == Side::Client => Some(json!({
                "type": "object", "properties": {"Id": {"type": "string"}}, "required": ["Id"]
            })),
            _ => None,
        })
        .collect();
    let uploads: Vec<Value> = m
        .upload_params()
        .map(|p| p.wire().map_or(json!(true), |t| type_schema(d, t)))
        .collect();
    let out = m
        .output
        .wire()
        .map_or(json!({"type": "null"}), |t| type_schema(d, t));
    let (result, item) = match m.output.kind {
        OutputKind::Unit => (None, None),
        OutputKind::Value => (Some(out), None),
        OutputKind::Stream => (None, Some(out)),
    };
    MethodParts {
        arguments: d.fixed_array(args),
        uploads: (!uploads.is_empty()).then(|| d.fixed_array(uploads)),
        result,
        item,
    }
}

/// Who calls the methods of `hub`.
pub(crate) fn direction(hub: &HubContract) -> &'static str {
    match hub.side {
        Side::Server => "clientToServer",
        Side::Client => "serverToClient",
    }
}

/// The whole schema document.
pub fn generate(contracts: &Contracts) -> Value {
    let d = Dialect::Draft2020;
    let mut defs = BTreeMap::new();
    for def in &contracts.types {
        defs.insert(def.name.clone(), typedef_schema(d, def));
    }
    let mut hubs = serde_json::Map::new();
    for hub in &contracts.hubs {
        let contract = &hub.contract;
        let direction = direction(contract);
        let mut methods = serde_json::Map::new();
        for m in &contract.methods {
            let parts = method_parts(d, contract, m);
            let mut method = json!({
                "x-signalr-wire-name": m.wire_name,
                "x-signalr-plain-name": m.plain_name,
                "x-signalr-direction": direction,
                "type": "object",
                "properties": { "arguments": parts.arguments },
            });
            if let Some(uploads) = parts.uploads {
                // One entry per upload stream: the type of that stream's items.
                method["properties"]["uploadItems"] = uploads;
            }
            if let Some(result) = parts.result {
                method["properties"]["result"] = result;
            }
            if let Some(item) = parts.item {
                method["properties"]["item"] = item;
            }
            describe(&mut method, &m.docs);
            if let Some(authorize) = crate::authorize::extension(&m.authorize) {
                method["x-authorize"] = authorize;
            }
            methods.insert(m.wire_name.clone(), method);
        }
        let mut hub = json!({
            "x-signalr-interface": contract.interface,
            "x-signalr-direction": direction,
            "type": "object",
            "properties": methods,
        });
        describe(&mut hub, &contract.docs);
        if let Some(authorize) = crate::authorize::extension(&contract.authorize) {
            hub["x-authorize"] = authorize;
        }
        hubs.insert(contract.name.clone(), hub);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "SignalR hub contracts",
        "description": "Hub methods (wire names, arguments, results, stream items) and the types they carry, as the JSON hub protocol writes them.",
        "type": "object",
        "properties": hubs,
        "$defs": defs,
    })
}

/// The JSON Schema document as text (pretty-printed, ending with a newline).
pub fn to_string(contracts: &Contracts) -> String {
    let mut text = serde_json::to_string_pretty(&generate(contracts)).unwrap_or_default();
    text.push('\n');
    text
}
