//! JSON Schema (draft 2020-12) for a contract file, as the JSON protocol carries it: a
//! definition for every DTO, and for every hub method its wire name, direction, arguments
//! and result or stream item.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use signalr_contract::{
    EnumRepr, Field, MapKey, OutputKind, ParamKind, Side, TypeDef, TypeDefKind, TypeRef,
    VariantKind,
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

/// An array of exactly these items (`prefixItems` must not be empty in 2020-12).
fn fixed_array(items: Vec<Value>) -> Value {
    if items.is_empty() {
        return json!({"type": "array", "maxItems": 0});
    }
    let n = items.len();
    json!({"type": "array", "prefixItems": items, "minItems": n, "maxItems": n})
}

/// The schema of a type reference.
pub(crate) fn type_schema(t: &TypeRef) -> Value {
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
        TypeRef::Option(inner) => json!({"anyOf": [type_schema(inner), {"type": "null"}]}),
        TypeRef::List(inner) => json!({"type": "array", "items": type_schema(inner)}),
        TypeRef::Map {
            key_kind, value, ..
        } => {
            let mut m = json!({"type": "object", "additionalProperties": type_schema(value)});
            match key_kind {
                MapKey::Integer => m["propertyNames"] = json!({"pattern": "^-?[0-9]+$"}),
                MapKey::Uuid => m["propertyNames"] = json!({"format": "uuid"}),
                MapKey::String | MapKey::Named => {}
            }
            m
        }
        TypeRef::Tuple(items) => fixed_array(items.iter().map(type_schema).collect()),
        TypeRef::Unit => json!({"type": "null"}),
        TypeRef::Json => json!(true),
        TypeRef::Named(n) => json!({"$ref": format!("#/$defs/{n}")}),
    }
}

fn describe(schema: &mut Value, docs: &[String]) {
    if !docs.is_empty()
        && let Value::Object(m) = schema
    {
        m.insert("description".into(), Value::String(docs.join("\n")));
    }
}

/// An object of fields (flattened fields merge their type's keys through `allOf`).
fn fields_schema(fields: &[Field], tag: Option<(&str, &str)>) -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    let mut flattened = Vec::new();
    if let Some((key, value)) = tag {
        properties.insert(key.to_owned(), json!({"const": value}));
        required.push(Value::String(key.to_owned()));
    }
    for f in fields {
        if f.flatten {
            flattened.push(type_schema(&f.ty));
            continue;
        }
        let mut s = type_schema(&f.ty);
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

fn variant_content(kind: &VariantKind) -> Option<Value> {
    match kind {
        VariantKind::Unit => None,
        VariantKind::Newtype(t) => Some(type_schema(t)),
        VariantKind::Tuple(items) => Some(type_schema(&TypeRef::Tuple(items.clone()))),
        VariantKind::Struct(fields) => Some(fields_schema(fields, None)),
    }
}

/// The schema of a user type.
pub(crate) fn typedef_schema(def: &TypeDef) -> Value {
    let mut schema = match &def.kind {
        TypeDefKind::Struct {
            fields,
            tag,
            deny_unknown_fields,
        } => {
            let mut object =
                fields_schema(fields, tag.as_deref().map(|t| (t, def.wire_name.as_str())));
            // serde ignores unknown keys unless told otherwise.
            if *deny_unknown_fields && object.get("allOf").is_none() {
                object["additionalProperties"] = json!(false);
            }
            object
        }
        TypeDefKind::Newtype(t) => type_schema(t),
        TypeDefKind::Tuple(items) => type_schema(&TypeRef::Tuple(items.clone())),
        TypeDefKind::Unit => json!({"type": "null"}),
        TypeDefKind::Enum { repr, variants } => {
            let options: Vec<Value> = variants
                .iter()
                .map(|v| {
                    let content = variant_content(&v.kind);
                    let tag = &v.wire_name;
                    let mut s = match (repr, content) {
                        (_, _) if v.untagged => variant_content(&v.kind).unwrap_or(json!({"type": "null"})),
                        (EnumRepr::External, None) => json!({"const": tag}),
                        (EnumRepr::External, Some(c)) => json!({
                            "type": "object", "properties": {tag: c}, "required": [tag], "additionalProperties": false
                        }),
                        (EnumRepr::Internal { tag: key }, None) => {
                            json!({"type": "object", "properties": {key: {"const": tag}}, "required": [key]})
                        }
                        (EnumRepr::Internal { tag: key }, Some(c)) => match &v.kind {
                            VariantKind::Struct(fields) => fields_schema(fields, Some((key, tag))),
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

/// The whole schema document.
pub fn generate(contracts: &Contracts) -> Value {
    let mut defs = BTreeMap::new();
    for def in &contracts.types {
        defs.insert(def.name.clone(), typedef_schema(def));
    }
    let mut hubs = serde_json::Map::new();
    for hub in &contracts.hubs {
        let contract = &hub.contract;
        let direction = match contract.side {
            Side::Server => "clientToServer",
            Side::Client => "serverToClient",
        };
        let mut methods = serde_json::Map::new();
        for m in &contract.methods {
            let output = m.output.wire();
            let args: Vec<Value> = m
                .params
                .iter()
                .filter_map(|p| match p.kind {
                    ParamKind::Value => Some(p.wire().map_or(json!(true), type_schema)),
                    ParamKind::Cancellation if contract.side == Side::Client => Some(json!({
                        "type": "object", "properties": {"Id": {"type": "string"}}, "required": ["Id"]
                    })),
                    _ => None,
                })
                .collect();
            let uploads: Vec<Value> = m
                .params
                .iter()
                .filter(|p| p.kind == ParamKind::Upload)
                .map(|p| p.wire().map_or(json!(true), type_schema))
                .collect();
            let mut method = json!({
                "x-signalr-wire-name": m.wire_name,
                "x-signalr-plain-name": m.plain_name,
                "x-signalr-direction": direction,
                "type": "object",
                "properties": { "arguments": fixed_array(args) },
            });
            if !uploads.is_empty() {
                // One entry per upload stream: the type of that stream's items.
                method["properties"]["uploadItems"] = fixed_array(uploads);
            }
            let out = output.map_or(json!({"type": "null"}), type_schema);
            match m.output.kind {
                OutputKind::Unit => {}
                OutputKind::Value => method["properties"]["result"] = out,
                OutputKind::Stream => method["properties"]["item"] = out,
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
