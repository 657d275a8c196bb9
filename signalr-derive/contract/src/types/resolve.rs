//! Type resolution: a Rust type as written to its wire shape ([`TypeRef`]).

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, GenericArgument, PathArguments, Type, TypePath};

use super::error::{Fail, TypeError, fail};
use super::model::{TypeRef, key_kind};
use super::rename::unraw;
use super::serde_attr::{Adapter, adapter_of, check_no_serde_as, expand_attrs, serde_metas};

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
pub fn type_display(ty: &Type) -> String {
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

pub(crate) struct Ctx<'a> {
    /// The enclosing type's name, for `Self`.
    pub(crate) self_name: Option<&'a str>,
}

pub(crate) const MAX_DEPTH: usize = 64;

pub(crate) fn resolve_field(ty: &Type, adapter: Adapter, cx: &Ctx<'_>) -> Result<TypeRef, Fail> {
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
pub(crate) fn type_args(args: &PathArguments) -> Result<(Vec<&Type>, bool), Fail> {
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

pub(crate) const STD: &[&str] = &["std", "core", "alloc"];

pub(crate) fn one<'t>(ty: &Type, name: &str, args: &[&'t Type]) -> Result<&'t Type, Fail> {
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

pub(crate) fn int(bits: u8, signed: bool) -> TypeRef {
    TypeRef::Int { bits, signed }
}

pub(crate) fn resolve(ty: &Type, cx: &Ctx<'_>, depth: usize) -> Result<TypeRef, Fail> {
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

pub(crate) fn resolve_path(
    ty: &Type,
    p: &TypePath,
    cx: &Ctx<'_>,
    d: usize,
) -> Result<TypeRef, Fail> {
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
        "char" if from(STD) && plain => Some(TypeRef::Char),
        "str" if from(STD) && plain => Some(TypeRef::String),
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
                "signalr_hub_client",
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

pub(crate) fn is_u8(ty: &Type, cx: &Ctx<'_>) -> bool {
    matches!(
        resolve(ty, cx, 0),
        Ok(TypeRef::Int {
            bits: 8,
            signed: false
        })
    )
}

/// A type under `#[serde(with = "serde_bytes")]`.
pub(crate) fn resolve_bytes(
    ty: &Type,
    cx: &Ctx<'_>,
    option_ok: bool,
    depth: usize,
) -> Result<TypeRef, Fail> {
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
