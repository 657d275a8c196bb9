//! `type_ref`: the wire shape of a type as written, with field attributes.
#![allow(unreachable_pub, dead_code, clippy::unwrap_used, clippy::panic)]

use signalr_contract::{MapKey, TypeError, TypeRef, type_ref};
use syn::{Attribute, Type};

fn ty(src: &str) -> Type {
    syn::parse_str(src).unwrap_or_else(|e| panic!("bad type {src}: {e}"))
}

fn attrs(src: &str) -> Vec<Attribute> {
    let item: syn::ItemStruct = syn::parse_str(&format!("{src} struct X;")).unwrap();
    item.attrs
}

fn of(src: &str) -> TypeRef {
    type_ref(&ty(src), &[]).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn with(src: &str, attr: &str) -> Result<TypeRef, TypeError> {
    type_ref(&ty(src), &attrs(attr))
}

fn err(src: &str) -> TypeError {
    match type_ref(&ty(src), &[]) {
        Ok(t) => panic!("{src} should fail, got {t:?}"),
        Err(e) => e,
    }
}

fn int(bits: u8, signed: bool) -> TypeRef {
    TypeRef::Int { bits, signed }
}
fn list(t: TypeRef) -> TypeRef {
    TypeRef::List(Box::new(t))
}
fn opt(t: TypeRef) -> TypeRef {
    TypeRef::Option(Box::new(t))
}
fn named(n: &str) -> TypeRef {
    TypeRef::Named(n.into())
}
fn map(key: TypeRef, key_kind: MapKey, value: TypeRef) -> TypeRef {
    TypeRef::Map {
        key: Box::new(key),
        key_kind,
        value: Box::new(value),
    }
}

#[test]
fn primitives() {
    assert_eq!(of("bool"), TypeRef::Bool);
    for (src, bits, signed) in [
        ("i8", 8, true),
        ("i16", 16, true),
        ("i32", 32, true),
        ("i64", 64, true),
        ("i128", 128, true),
        ("isize", 64, true),
        ("u8", 8, false),
        ("u16", 16, false),
        ("u32", 32, false),
        ("u64", 64, false),
        ("u128", 128, false),
        ("usize", 64, false),
        ("std::num::NonZeroU32", 32, false),
        ("NonZeroI64", 64, true),
        ("core::num::NonZero<u16>", 16, false),
        ("std::primitive::u8", 8, false),
    ] {
        assert_eq!(of(src), int(bits, signed), "{src}");
    }
    assert_eq!(of("f32"), TypeRef::Float { bits: 32 });
    assert_eq!(of("f64"), TypeRef::Float { bits: 64 });
    for src in [
        "String",
        "std::string::String",
        "alloc::string::String",
        "&str",
        "&'static str",
        "Box<str>",
        "Arc<str>",
        "Cow<'a, str>",
        "std::borrow::Cow<'static, str>",
    ] {
        assert_eq!(of(src), TypeRef::String, "{src}");
    }
    // A `char` is a string of one scalar value (JSON Schema says so).
    assert_eq!(of("char"), TypeRef::Char);
    assert_eq!(of("core::primitive::char"), TypeRef::Char);
    assert_eq!(of("()"), TypeRef::Unit);
    assert_eq!(of("PhantomData<T>"), TypeRef::Unit);
    assert_eq!(of("std::marker::PhantomData<u8>"), TypeRef::Unit);
}

#[test]
fn well_known_types() {
    for src in ["Uuid", "uuid::Uuid", "::uuid::Uuid"] {
        assert_eq!(of(src), TypeRef::Uuid, "{src}");
    }
    for src in [
        "DateTime<Utc>",
        "chrono::DateTime<chrono::Utc>",
        "DateTime<FixedOffset>",
        "time::OffsetDateTime",
        "OffsetDateTime",
        "jiff::Timestamp",
        "Timestamp",
    ] {
        assert_eq!(of(src), TypeRef::DateTime, "{src}");
    }
    for src in ["Binary", "signalr::Binary", "signalr_protocol::Binary"] {
        assert_eq!(of(src), TypeRef::Bytes, "{src}");
    }
    for src in [
        "serde_bytes::ByteBuf",
        "ByteBuf",
        "&serde_bytes::Bytes",
        "bytes::Bytes",
    ] {
        assert_eq!(of(src), TypeRef::SerdeBytes, "{src}");
    }
    assert_eq!(of("serde_json::Value"), TypeRef::Json);
    assert_eq!(of("Value"), TypeRef::Json);
    assert_eq!(
        of("serde_json::Map<String, serde_json::Value>"),
        map(TypeRef::String, MapKey::String, TypeRef::Json)
    );
}

#[test]
fn qualified_paths_outside_the_owning_crate_are_user_types() {
    assert_eq!(of("crate::dto::Uuid"), named("Uuid"));
    assert_eq!(of("self::Value"), named("Value"));
    assert_eq!(of("toml::Value"), named("Value"));
    assert_eq!(of("prost_types::Timestamp"), named("Timestamp"));
    assert_eq!(of("my::Binary"), named("Binary"));
    assert_eq!(of("dto::String"), named("String"));
}

#[test]
fn containers() {
    for src in [
        "Vec<u8>",
        "std::vec::Vec<u8>",
        "VecDeque<u8>",
        "LinkedList<u8>",
        "BinaryHeap<u8>",
        "HashSet<u8>",
        "HashSet<u8, RandomState>",
        "BTreeSet<u8>",
        "indexmap::IndexSet<u8>",
        "[u8; 4]",
        "&[u8]",
        "Box<[u8]>",
        "Arc<[u8]>",
        "Cow<'a, [u8]>",
    ] {
        assert_eq!(of(src), list(int(8, false)), "{src}");
    }
    assert_eq!(of("Vec<Vec<String>>"), list(list(TypeRef::String)));
    assert_eq!(of("Option<Vec<Message>>"), opt(list(named("Message"))));
    assert_eq!(of("Option<Option<u8>>"), opt(opt(int(8, false))));
    assert_eq!(
        of("(u8, String)"),
        TypeRef::Tuple(vec![int(8, false), TypeRef::String])
    );
    assert_eq!(of("(u8,)"), TypeRef::Tuple(vec![int(8, false)]));
    assert_eq!(
        of("HashMap<String, Vec<User>>"),
        map(TypeRef::String, MapKey::String, list(named("User")))
    );
    assert_eq!(
        of("std::collections::BTreeMap<u64, bool>"),
        map(int(64, false), MapKey::Integer, TypeRef::Bool)
    );
    assert_eq!(
        of("HashMap<Uuid, f64, S>"),
        map(TypeRef::Uuid, MapKey::Uuid, TypeRef::Float { bits: 64 })
    );
    assert_eq!(
        of("IndexMap<Color, u8>"),
        map(named("Color"), MapKey::Named, int(8, false))
    );
    assert_eq!(
        of("BTreeMap<char, u8>"),
        map(TypeRef::Char, MapKey::String, int(8, false))
    );
    assert_eq!(
        of("HashMap<Box<str>, u8>"),
        map(TypeRef::String, MapKey::String, int(8, false))
    );
}

#[test]
fn wrappers_are_transparent() {
    for src in [
        "Box<User>",
        "Arc<User>",
        "std::rc::Rc<User>",
        "&User",
        "&'a User",
        "&mut User",
        "Cow<'a, User>",
        "RefCell<User>",
        "std::sync::Mutex<User>",
        "Box<Arc<Rc<User>>>",
        "(User)",
        "crate::dto::User",
        "User<'a>",
    ] {
        assert_eq!(of(src), named("User"), "{src}");
    }
}

#[test]
fn raw_identifiers_lose_their_prefix() {
    assert_eq!(of("r#match"), named("match"));
    assert_eq!(of("dto::r#Type"), named("Type"));
}

#[test]
fn serde_bytes_makes_byte_containers_bytes() {
    let sb = "#[serde(with = \"serde_bytes\")]";
    for src in [
        "Vec<u8>",
        "&[u8]",
        "&'a [u8]",
        "[u8; 32]",
        "Box<[u8]>",
        "Cow<'a, [u8]>",
        "ByteBuf",
        "serde_bytes::ByteBuf",
        "&serde_bytes::Bytes",
        "serde_bytes::ByteArray<4>",
    ] {
        assert_eq!(with(src, sb).unwrap(), TypeRef::SerdeBytes, "{src}");
    }
    assert_eq!(
        with("Option<Vec<u8>>", sb).unwrap(),
        opt(TypeRef::SerdeBytes)
    );
    assert_eq!(
        with("Option<Box<[u8]>>", sb).unwrap(),
        opt(TypeRef::SerdeBytes)
    );
    assert_eq!(
        with("Vec<u8>", "#[serde(with = \"::serde_bytes\")]").unwrap(),
        TypeRef::SerdeBytes
    );
    assert_eq!(
        with(
            "Vec<u8>",
            "#[cfg_attr(feature = \"bytes\", serde(with = \"serde_bytes\"))]"
        )
        .unwrap(),
        TypeRef::SerdeBytes
    );
    // Without the attribute, Vec<u8> is an array of numbers, as serde writes it.
    assert_eq!(of("Vec<u8>"), list(int(8, false)));
    // Other attributes do not matter to the shape.
    assert_eq!(
        with(
            "Vec<u8>",
            "#[serde(rename = \"x\", default)] #[doc = \"d\"]"
        )
        .unwrap(),
        list(int(8, false))
    );
    for src in [
        "Vec<u16>",
        "String",
        "Vec<Vec<u8>>",
        "Option<Option<Vec<u8>>>",
        "u8",
        "HashMap<u8, u8>",
    ] {
        let e = with(src, sb).unwrap_err();
        assert!(e.message().contains("serde_bytes"), "{src}: {e}");
    }
}

#[test]
fn rfc3339_adapter() {
    assert_eq!(
        with(
            "OffsetDateTime",
            "#[serde(with = \"time::serde::rfc3339\")]"
        )
        .unwrap(),
        TypeRef::DateTime
    );
    assert_eq!(
        with(
            "Option<time::OffsetDateTime>",
            "#[serde(with = \"time::serde::rfc3339::option\")]"
        )
        .unwrap(),
        opt(TypeRef::DateTime)
    );
    assert!(with("String", "#[serde(with = \"time::serde::rfc3339\")]").is_err());
    assert!(
        with(
            "OffsetDateTime",
            "#[serde(with = \"time::serde::rfc3339::option\")]"
        )
        .is_err()
    );
}

#[test]
fn custom_serialization_is_an_error() {
    for attr in [
        "#[serde(with = \"my_module\")]",
        "#[serde(with = \"chrono::serde::ts_seconds\")]",
        "#[serde(with = \"time::serde::iso8601\")]",
        "#[serde(serialize_with = \"f\")]",
        "#[serde(deserialize_with = \"f\")]",
        "#[serde_as(as = \"DisplayFromStr\")]",
    ] {
        let e = with("u64", attr).unwrap_err();
        assert_eq!(e.item(), "u64", "{attr}");
        assert!(e.message().starts_with("`u64`: "), "{attr}: {e}");
    }
    let e = with("u64", "#[serde(with = \"m\")]").unwrap_err();
    assert!(e.message().contains("wire shape is unknown"), "{e}");
    let e = with("u64", "#[serde(rename(nope = \"x\"))]").unwrap_err();
    assert!(e.message().contains("malformed"), "{e}");
}

#[test]
fn map_keys_must_be_strings() {
    for src in [
        "HashMap<Vec<u8>, u8>",
        "BTreeMap<(u8, u8), u8>",
        "HashMap<bool, u8>",
        "HashMap<f64, u8>",
        "HashMap<Option<String>, u8>",
        "HashMap<(), u8>",
        "HashMap<serde_json::Value, u8>",
        "HashMap<DateTime<Utc>, u8>",
        "BTreeMap<BTreeMap<String, u8>, u8>",
        "Vec<HashMap<Vec<String>, u8>>",
    ] {
        let e = err(src);
        assert!(
            e.message().contains("cannot be a JSON object key"),
            "{src}: {e}"
        );
        assert_eq!(e.item(), src);
    }
}

#[test]
fn unrepresentable_types() {
    for (src, needle) in [
        ("Box<dyn Fn()>", "trait objects"),
        ("impl Serialize", "impl Trait"),
        ("fn(u8) -> u8", "function pointers"),
        ("*const u8", "raw pointers"),
        ("!", "never"),
        ("_", "`_`"),
        ("my_macro!()", "macro"),
        ("<T as Trait>::Assoc", "qualified paths"),
        ("Page<User>", "generic type `Page<User>`"),
        ("Result<u8, String>", "generic type"),
        ("crate::Wrapper<u8>", "generic type"),
        ("ArrayVec<u8, 4>", "generic type"),
        ("Option", "one type argument"),
        ("HashMap<String>", "a key and a value type"),
        ("NonZero<String>", "integer type"),
        ("Self", "`Self`"),
        ("Vec<Box<dyn Any>>", "trait objects"),
        ("Option<&dyn Display>", "trait objects"),
    ] {
        let e = err(src);
        assert!(e.message().contains(needle), "{src}: {e}");
    }
}

#[test]
fn errors_point_at_the_offending_part() {
    let t = ty("HashMap<\n    Vec<u8>,\n    u32,\n>");
    let e = type_ref(&t, &[]).unwrap_err();
    let start = e.span().start();
    assert_eq!((start.line, start.column), (2, 4), "the key type");
    let syn_err: syn::Error = e.clone().into();
    assert_eq!(syn_err.to_string(), e.message());
    assert!(e.to_compile_error().to_string().contains("compile_error"));
    assert_eq!(e.to_string(), e.message());
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(boxed.to_string().contains("Vec<u8>"));
}

/// `outer<outer<...<u8>>>`, built without parsing (syn's parser itself runs out of stack
/// on deep nesting in debug builds).
fn nest(depth: usize, outer: &str) -> Type {
    let mut t = ty("u8");
    for _ in 0..depth {
        let mut w = ty(&format!("{outer}<u8>"));
        let Type::Path(p) = &mut w else { panic!() };
        let syn::PathArguments::AngleBracketed(a) =
            &mut p.path.segments.last_mut().unwrap().arguments
        else {
            panic!()
        };
        a.args[0] = syn::GenericArgument::Type(t);
        t = w;
    }
    t
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for outer in ["Vec", "Option", "Box"] {
        let t = nest(60, outer);
        assert!(type_ref(&t, &[]).is_ok(), "{outer} x 60");
        let t = nest(300, outer);
        let e = type_ref(&t, &[]).unwrap_err();
        assert!(e.message().contains("nested too deeply"), "{outer}");
        let t = nest(300, outer);
        let e = type_ref(&t, &attrs("#[serde(with = \"serde_bytes\")]")).unwrap_err();
        assert!(e.message().contains("serde_bytes"), "{outer}: {e}");
    }
}

#[test]
fn named_collects_user_types() {
    assert_eq!(
        of("HashMap<Color, Vec<(User, Option<Box<Group>>)>>").named(),
        ["Color", "User", "Group"]
    );
    assert!(of("Vec<u8>").named().is_empty());
}

#[test]
fn the_model_round_trips_through_serde() {
    for src in [
        "HashMap<Color, Vec<(User, Option<Box<Group>>)>>",
        "Option<Vec<[f32; 3]>>",
        "(bool, i128, Uuid, DateTime<Utc>, Binary, serde_json::Value, ())",
    ] {
        let t = of(src);
        let text = serde_json::to_string(&t).unwrap();
        let back: TypeRef = serde_json::from_str(&text).unwrap();
        assert_eq!(back, t, "{text}");
    }
    assert_eq!(
        serde_json::to_value(of("Option<HashMap<u8, String>>")).unwrap(),
        serde_json::json!({"option": {"map": {
            "key": {"int": {"bits": 8, "signed": false}},
            "keyKind": "integer",
            "value": "string"
        }}})
    );
}
