//! Test support: parse a source string into the type model, check real serde_json output
//! against the model (what serialization must produce), and build input JSON from the
//! model alone (what deserialization must accept).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use signalr_contract::{
    EnumRepr, Field, MapKey, TypeDef, TypeDefKind, TypeError, TypeRef, Variant, VariantKind,
    collect_types,
};

/// Defines the items and a `SOURCE` constant holding their source text, so a test can
/// compare what the model predicts with what serde does to the very same items.
#[macro_export]
macro_rules! both {
    ($($item:item)*) => {
        $($item)*
        pub const SOURCE: &str = stringify!($($item)*);
    };
}

/// Parses source text and collects its types.
pub fn collect(src: &str) -> (Vec<TypeDef>, Vec<TypeError>) {
    let file = syn::parse_file(src).unwrap_or_else(|e| panic!("bad test source: {e}\n{src}"));
    collect_types(&file)
}

/// Parses source text and collects its types, which must have no errors.
pub fn defs(src: &str) -> Vec<TypeDef> {
    let (defs, errors) = collect(src);
    assert!(
        errors.is_empty(),
        "unexpected errors: {:#?}",
        errors
            .iter()
            .map(|e| e.message().to_owned())
            .collect::<Vec<_>>()
    );
    defs
}

/// The error messages for a source text (which must have some).
pub fn errors(src: &str) -> Vec<String> {
    let (_, errors) = collect(src);
    assert!(!errors.is_empty(), "expected errors in:\n{src}");
    errors.iter().map(|e| e.message().to_owned()).collect()
}

/// Asserts that some error message contains every one of `parts`.
pub fn assert_error(src: &str, parts: &[&str]) {
    let errs = errors(src);
    assert!(
        errs.iter().any(|e| parts.iter().all(|p| e.contains(p))),
        "no error contains {parts:?}; errors: {errs:#?}"
    );
}

pub fn def<'a>(defs: &'a [TypeDef], name: &str) -> &'a TypeDef {
    defs.iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no type `{name}` in {:?}", names(defs)))
}

pub fn names(defs: &[TypeDef]) -> Vec<&str> {
    defs.iter().map(|d| d.name.as_str()).collect()
}

pub fn fields(def: &TypeDef) -> &[Field] {
    match &def.kind {
        TypeDefKind::Struct { fields, .. } => fields,
        other => panic!("`{}` is not a struct: {other:?}", def.name),
    }
}

pub fn field<'a>(def: &'a TypeDef, name: &str) -> &'a Field {
    fields(def)
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no field `{name}` in `{}`", def.name))
}

pub fn variants(def: &TypeDef) -> &[Variant] {
    match &def.kind {
        TypeDefKind::Enum { variants, .. } => variants,
        other => panic!("`{}` is not an enum: {other:?}", def.name),
    }
}

pub fn variant<'a>(def: &'a TypeDef, name: &str) -> &'a Variant {
    variants(def)
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no variant `{name}` in `{}`", def.name))
}

// ---------------------------------------------------------------------------------------
// Output: does this JSON match the model?
// ---------------------------------------------------------------------------------------

/// Checks serialized JSON against the named type. For an enum, returns the Rust name of
/// the first variant the JSON matches.
pub fn check(defs: &[TypeDef], name: &str, v: &Value) -> Result<String, String> {
    check_def(defs, def(defs, name), v, "$")
}

fn lookup<'a>(defs: &'a [TypeDef], name: &str, at: &str) -> Result<&'a TypeDef, String> {
    defs.iter()
        .find(|d| d.name == name)
        .ok_or_else(|| format!("{at}: unresolved type `{name}`"))
}

pub fn check_ref(defs: &[TypeDef], ty: &TypeRef, v: &Value, at: &str) -> Result<(), String> {
    let bad = |what: &str| Err(format!("{at}: expected {what}, got {v}"));
    match ty {
        TypeRef::Bool => v
            .is_boolean()
            .then_some(())
            .ok_or(())
            .or_else(|()| bad("a bool")),
        TypeRef::Int { bits, signed } => {
            let ok = if *signed {
                v.as_i64().is_some_and(|n| {
                    *bits >= 64 || (n >= -(1i64 << (bits - 1)) && n < (1i64 << (bits - 1)))
                })
            } else {
                v.as_u64()
                    .is_some_and(|n| *bits >= 64 || n < (1u64 << bits))
            };
            if ok {
                Ok(())
            } else {
                bad(&format!("an int{bits} (signed: {signed})"))
            }
        }
        TypeRef::Float { .. } => {
            if v.is_number() {
                Ok(())
            } else {
                bad("a number")
            }
        }
        TypeRef::String => {
            if v.is_string() {
                Ok(())
            } else {
                bad("a string")
            }
        }
        TypeRef::Char => match v.as_str() {
            Some(s) if s.chars().count() == 1 => Ok(()),
            _ => bad("a one-character string"),
        },
        TypeRef::Bytes => match v {
            Value::String(_) => Ok(()),
            _ => bad("base64 text"),
        },
        TypeRef::SerdeBytes => match v {
            Value::Array(items) if items.iter().all(|i| i.as_u64().is_some_and(|n| n < 256)) => {
                Ok(())
            }
            _ => bad("bytes"),
        },
        TypeRef::Uuid => match v.as_str() {
            Some(s) if s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4 => Ok(()),
            _ => bad("a uuid"),
        },
        TypeRef::DateTime => match v.as_str() {
            Some(s) if s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') => Ok(()),
            _ => bad("an RFC 3339 date-time"),
        },
        TypeRef::Option(inner) => {
            if v.is_null() {
                Ok(())
            } else {
                check_ref(defs, inner, v, at)
            }
        }
        TypeRef::List(inner) => match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| check_ref(defs, inner, item, &format!("{at}[{i}]"))),
            _ => bad("an array"),
        },
        TypeRef::Map {
            key,
            key_kind,
            value,
        } => {
            let Value::Object(obj) = v else {
                return bad("an object");
            };
            for (k, item) in obj {
                let kat = format!("{at}.<key {k}>");
                check_key(defs, key, k, &kat)?;
                if *key_kind == MapKey::Named && !matches!(**key, TypeRef::Named(_)) {
                    return Err(format!("{kat}: key kind Named for {key:?}"));
                }
                check_ref(defs, value, item, &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        TypeRef::Tuple(items) => match v {
            Value::Array(vs) if vs.len() == items.len() => items
                .iter()
                .zip(vs)
                .enumerate()
                .try_for_each(|(i, (t, x))| check_ref(defs, t, x, &format!("{at}[{i}]"))),
            _ => bad(&format!("an array of {}", items.len())),
        },
        TypeRef::Unit => {
            if v.is_null() {
                Ok(())
            } else {
                bad("null")
            }
        }
        TypeRef::Json => Ok(()),
        TypeRef::Named(n) => check_def(defs, lookup(defs, n, at)?, v, at).map(|_| ()),
    }
}

/// A JSON object key against the map's key type, as serde_json writes keys.
fn check_key(defs: &[TypeDef], key: &TypeRef, k: &str, at: &str) -> Result<(), String> {
    match key {
        TypeRef::String => Ok(()),
        TypeRef::Char if k.chars().count() == 1 => Ok(()),
        TypeRef::Char => Err(format!("{at}: not a one-character key")),
        TypeRef::Int { .. } => match k.parse::<i128>().is_ok() || k.parse::<u128>().is_ok() {
            true => Ok(()),
            false => Err(format!("{at}: not an integer key")),
        },
        TypeRef::Uuid => check_ref(defs, &TypeRef::Uuid, &json!(k), at),
        TypeRef::Named(n) => {
            let d = lookup(defs, n, at)?;
            match (&d.kind, d.map_key()) {
                (_, None) => Err(format!("{at}: `{n}` cannot be a key")),
                (TypeDefKind::Enum { variants, .. }, Some(_)) => {
                    if variants.iter().any(|v| v.wire_name == k) {
                        Ok(())
                    } else {
                        Err(format!("{at}: not a variant of `{n}`"))
                    }
                }
                (TypeDefKind::Newtype(inner), Some(_)) => check_key(defs, inner, k, at),
                (other, Some(_)) => Err(format!("{at}: unexpected key type {other:?}")),
            }
        }
        other => Err(format!("{at}: {other:?} cannot be a key")),
    }
}

fn check_def(defs: &[TypeDef], def: &TypeDef, v: &Value, at: &str) -> Result<String, String> {
    match &def.kind {
        TypeDefKind::Struct { fields, tag, .. } => {
            let Value::Object(obj) = v else {
                return Err(format!(
                    "{at}: expected an object for `{}`, got {v}",
                    def.name
                ));
            };
            let mut used = BTreeSet::new();
            if let Some(tag) = tag {
                if obj.get(tag) != Some(&json!(def.wire_name)) {
                    return Err(format!("{at}: expected tag {tag:?} = {:?}", def.wire_name));
                }
                used.insert(tag.clone());
            }
            consume_fields(defs, fields, obj, &mut used, at)?;
            no_extra(obj, &used, at)?;
            Ok(def.name.clone())
        }
        TypeDefKind::Newtype(t) => check_ref(defs, t, v, at).map(|()| def.name.clone()),
        TypeDefKind::Tuple(items) => {
            check_ref(defs, &TypeRef::Tuple(items.clone()), v, at).map(|()| def.name.clone())
        }
        TypeDefKind::Unit => {
            if v.is_null() {
                Ok(def.name.clone())
            } else {
                Err(format!("{at}: expected null for `{}`", def.name))
            }
        }
        TypeDefKind::Enum { repr, variants } => {
            let mut why = Vec::new();
            for var in variants.iter().filter(|var| !var.skip_serializing) {
                match check_variant(defs, repr, var, v, at) {
                    Ok(()) => return Ok(var.name.clone()),
                    Err(e) => why.push(format!("{}: {e}", var.name)),
                }
            }
            Err(format!(
                "{at}: no variant of `{}` matches {v}: {why:#?}",
                def.name
            ))
        }
    }
}

fn no_extra(obj: &Map<String, Value>, used: &BTreeSet<String>, at: &str) -> Result<(), String> {
    match obj.keys().find(|k| !used.contains(*k)) {
        Some(k) => Err(format!("{at}: unexpected key {k:?}")),
        None => Ok(()),
    }
}

fn consume_fields(
    defs: &[TypeDef],
    fields: &[Field],
    obj: &Map<String, Value>,
    used: &mut BTreeSet<String>,
    at: &str,
) -> Result<(), String> {
    for f in fields {
        if f.flatten {
            if f.skip_serializing {
                continue;
            }
            let ty = match &f.ty {
                TypeRef::Option(inner) => inner,
                t => t,
            };
            match ty {
                TypeRef::Named(n) => match &lookup(defs, n, at)?.kind {
                    TypeDefKind::Struct { fields, .. } => {
                        consume_fields(defs, fields, obj, used, at)?;
                    }
                    other => return Err(format!("{at}: cannot check flattened {other:?}")),
                },
                TypeRef::Map { value, .. } => {
                    for (k, x) in obj {
                        if used.insert(k.clone()) {
                            check_ref(defs, value, x, &format!("{at}.{k}"))?;
                        }
                    }
                }
                TypeRef::Json => {
                    used.extend(obj.keys().cloned());
                }
                other => return Err(format!("{at}: cannot flatten {other:?}")),
            }
            continue;
        }
        let key = &f.wire_name;
        match obj.get(key) {
            Some(x) if !f.skip_serializing => {
                check_ref(defs, &f.ty, x, &format!("{at}.{key}"))?;
                used.insert(key.clone());
            }
            Some(_) => return Err(format!("{at}: skipped field {key:?} was written")),
            None if f.required_on_output() => {
                return Err(format!("{at}: missing field {key:?}"));
            }
            None => {}
        }
    }
    Ok(())
}

fn check_content(defs: &[TypeDef], kind: &VariantKind, v: &Value, at: &str) -> Result<(), String> {
    match kind {
        VariantKind::Unit => {
            if v.is_null() {
                Ok(())
            } else {
                Err(format!("{at}: expected null"))
            }
        }
        VariantKind::Newtype(t) => check_ref(defs, t, v, at),
        VariantKind::Tuple(items) => check_ref(defs, &TypeRef::Tuple(items.clone()), v, at),
        VariantKind::Struct(fields) => {
            let Value::Object(obj) = v else {
                return Err(format!("{at}: expected an object"));
            };
            let mut used = BTreeSet::new();
            consume_fields(defs, fields, obj, &mut used, at)?;
            no_extra(obj, &used, at)
        }
    }
}

fn check_variant(
    defs: &[TypeDef],
    repr: &EnumRepr,
    var: &Variant,
    v: &Value,
    at: &str,
) -> Result<(), String> {
    let name = json!(var.wire_name);
    if var.untagged || *repr == EnumRepr::Untagged {
        return check_content(defs, &var.kind, v, at);
    }
    match repr {
        EnumRepr::Untagged => unreachable!(),
        EnumRepr::External => match (&var.kind, v) {
            (VariantKind::Unit, _) if *v == name => Ok(()),
            (VariantKind::Unit, _) => Err(format!("{at}: expected {name}")),
            (_, Value::Object(obj)) if obj.len() == 1 && obj.contains_key(&var.wire_name) => {
                check_content(defs, &var.kind, &obj[&var.wire_name], at)
            }
            _ => Err(format!("{at}: expected {{{name}: ..}}")),
        },
        EnumRepr::Internal { tag } => {
            let Value::Object(obj) = v else {
                return Err(format!("{at}: expected an object"));
            };
            if obj.get(tag) != Some(&name) {
                return Err(format!("{at}: expected {tag:?} = {name}"));
            }
            let mut used = BTreeSet::from([tag.clone()]);
            match &var.kind {
                VariantKind::Unit => {}
                VariantKind::Struct(fields) => consume_fields(defs, fields, obj, &mut used, at)?,
                VariantKind::Newtype(TypeRef::Named(n)) => match &lookup(defs, n, at)?.kind {
                    TypeDefKind::Struct { fields, .. } => {
                        consume_fields(defs, fields, obj, &mut used, at)?;
                    }
                    TypeDefKind::Unit => {}
                    other => return Err(format!("{at}: cannot check merged {other:?}")),
                },
                VariantKind::Newtype(TypeRef::Map { value, .. }) => {
                    for (k, x) in obj {
                        if used.insert(k.clone()) {
                            check_ref(defs, value, x, &format!("{at}.{k}"))?;
                        }
                    }
                }
                other => return Err(format!("{at}: cannot check internal {other:?}")),
            }
            no_extra(obj, &used, at)
        }
        EnumRepr::Adjacent { tag, content } => {
            let Value::Object(obj) = v else {
                return Err(format!("{at}: expected an object"));
            };
            if obj.get(tag) != Some(&name) {
                return Err(format!("{at}: expected {tag:?} = {name}"));
            }
            match (&var.kind, obj.get(content)) {
                (VariantKind::Unit, None) if obj.len() == 1 => Ok(()),
                (VariantKind::Unit, _) => Err(format!("{at}: unit variant with content")),
                (kind, Some(c)) if obj.len() == 2 => check_content(defs, kind, c, at),
                _ => Err(format!("{at}: expected {tag:?} and {content:?}")),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Input: JSON built from the model alone, which serde must accept
// ---------------------------------------------------------------------------------------

/// A minimal value of the type, with only the keys required on input.
pub fn sample(defs: &[TypeDef], ty: &TypeRef) -> Value {
    match ty {
        TypeRef::Bool => json!(true),
        TypeRef::Int { .. } => json!(7),
        TypeRef::Float { .. } => json!(1.5),
        TypeRef::String => json!("s"),
        TypeRef::Char => json!("c"),
        TypeRef::Bytes => json!("AQI="),
        TypeRef::SerdeBytes => json!([1, 2]),
        TypeRef::Uuid => json!("67e55044-10b1-426f-9247-bb680e5fe0c8"),
        TypeRef::DateTime => json!("2024-05-06T07:08:09Z"),
        TypeRef::Option(_) | TypeRef::Unit | TypeRef::Json => Value::Null,
        TypeRef::List(inner) => json!([sample(defs, inner)]),
        TypeRef::Map { .. } => json!({}),
        TypeRef::Tuple(items) => Value::Array(items.iter().map(|t| sample(defs, t)).collect()),
        TypeRef::Named(n) => sample_def(defs, def(defs, n)),
    }
}

pub fn sample_def(defs: &[TypeDef], def: &TypeDef) -> Value {
    match &def.kind {
        TypeDefKind::Struct { fields, .. } => Value::Object(sample_fields(defs, fields)),
        TypeDefKind::Newtype(t) => sample(defs, t),
        TypeDefKind::Tuple(items) => sample(defs, &TypeRef::Tuple(items.clone())),
        TypeDefKind::Unit => Value::Null,
        TypeDefKind::Enum { repr, variants } => {
            let var = variants
                .iter()
                .find(|v| !v.skip_deserializing)
                .expect("an enum with a readable variant");
            sample_variant(defs, repr, var)
        }
    }
}

pub fn sample_fields(defs: &[TypeDef], fields: &[Field]) -> Map<String, Value> {
    let mut obj = Map::new();
    for f in fields {
        if f.flatten {
            if let TypeRef::Named(n) = &f.ty
                && let Value::Object(inner) = sample_def(defs, def(defs, n))
            {
                obj.extend(inner);
            }
            continue;
        }
        if f.required_on_input() {
            obj.insert(f.deserialize_name.clone(), sample(defs, &f.ty));
        }
    }
    obj
}

fn sample_content(defs: &[TypeDef], kind: &VariantKind) -> Value {
    match kind {
        VariantKind::Unit => Value::Null,
        VariantKind::Newtype(t) => sample(defs, t),
        VariantKind::Tuple(items) => sample(defs, &TypeRef::Tuple(items.clone())),
        VariantKind::Struct(fields) => Value::Object(sample_fields(defs, fields)),
    }
}

/// Input JSON for one variant, from the model alone.
pub fn sample_variant(defs: &[TypeDef], repr: &EnumRepr, var: &Variant) -> Value {
    let name = json!(var.deserialize_name);
    if var.untagged || *repr == EnumRepr::Untagged {
        return sample_content(defs, &var.kind);
    }
    match repr {
        EnumRepr::Untagged => unreachable!(),
        EnumRepr::External => match &var.kind {
            VariantKind::Unit => name,
            kind => json!({ var.deserialize_name.clone(): sample_content(defs, kind) }),
        },
        EnumRepr::Internal { tag } => {
            let mut obj = Map::new();
            obj.insert(tag.clone(), name);
            if let Value::Object(content) = sample_content(defs, &var.kind) {
                obj.extend(content);
            }
            Value::Object(obj)
        }
        EnumRepr::Adjacent { tag, content } => {
            let mut obj = Map::new();
            obj.insert(tag.clone(), name);
            if var.kind != VariantKind::Unit {
                obj.insert(content.clone(), sample_content(defs, &var.kind));
            }
            Value::Object(obj)
        }
    }
}
