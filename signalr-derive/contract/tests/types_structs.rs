//! Structs and fields against real serde: which keys are required each way, skips,
//! defaults, flatten, transparent and newtype structs, from/into, struct tags, map keys.
#![allow(unreachable_pub, dead_code, clippy::unwrap_used, clippy::panic)]

#[macro_use]
mod support;

use std::collections::HashMap;

use serde_json::{Value, json};
use signalr_contract::{MapKey, TypeDefKind, TypeRef};
use support::{check, def, field, fields, sample_def};

mod dto {
    use serde::{Deserialize, Serialize};
    use std::collections::{BTreeMap, HashMap};
    both! {
        /// A user.
        ///
        /// Second paragraph.
        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        #[serde(rename_all = "camelCase")]
        pub struct Keys {
            /// Always there.
            pub plain: u32,
            pub opt: Option<u32>,
            pub boxed_opt: Box<Option<u32>>,
            #[serde(default)]
            pub defaulted: u32,
            #[serde(default = "five")]
            pub default_path: u32,
            #[serde(skip_deserializing)]
            pub skip_de: u32,
            #[serde(skip_serializing)]
            pub skip_ser: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            pub maybe: Option<u32>,
            #[serde(skip_serializing_if = "Vec::is_empty", default)]
            pub tags: Vec<String>,
            #[serde(skip)]
            pub cache: Option<std::rc::Rc<u8>>,
            #[serde(rename = "X")]
            pub renamed: i8,
            pub nested: Vec<Option<BTreeMap<String, (u8, bool)>>>,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        #[serde(default)]
        pub struct AllDefault {
            pub a: u32,
            pub b: String,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        pub struct Page {
            pub total: u64,
            #[serde(flatten)]
            pub meta: Meta,
            #[serde(flatten)]
            pub extra: HashMap<String, serde_json::Value>,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        #[serde(rename_all = "camelCase")]
        pub struct Meta {
            pub page_size: u32,
            pub cursor: Option<String>,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        pub struct Id(pub u64);

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        pub struct Pair(pub i32, pub String);

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        pub struct Nothing();

        #[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, Default)]
        pub struct Ping;

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        pub struct Empty {}

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        #[serde(transparent)]
        pub struct Wrapper {
            pub value: Vec<Id>,
            #[serde(skip)]
            pub note: String,
            pub marker: std::marker::PhantomData<u8>,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        #[serde(from = "String", into = "String")]
        pub struct Email {
            pub user: String,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        #[serde(tag = "kind", rename = "person")]
        pub struct Tagged {
            pub name: String,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, Copy, PartialOrd, Ord)]
        #[serde(rename_all = "lowercase")]
        pub enum Color { Red, DarkBlue }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, Copy, PartialOrd, Ord)]
        #[serde(tag = "t")]
        pub enum TaggedKey { A }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, Copy, PartialOrd, Ord)]
        #[serde(untagged)]
        pub enum UntaggedKey { A }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, PartialOrd, Ord)]
        pub struct Name(pub String);

        #[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, PartialOrd, Ord)]
        pub struct Code(pub u16);

        #[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone, PartialOrd, Ord)]
        pub struct Point(pub u16, pub u16);

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Default)]
        pub struct Maps {
            pub by_color: BTreeMap<Color, u8>,
            pub by_name: BTreeMap<Name, u8>,
            pub by_code: HashMap<Code, u8>,
            pub by_int: BTreeMap<i64, u8>,
            pub by_char: BTreeMap<char, u8>,
        }
    }

    impl From<String> for Email {
        fn from(s: String) -> Email {
            Email { user: s }
        }
    }
    impl From<Email> for String {
        fn from(e: Email) -> String {
            e.user
        }
    }

    pub fn five() -> u32 {
        5
    }
}

fn keys_value() -> dto::Keys {
    dto::Keys {
        plain: 1,
        opt: Some(2),
        boxed_opt: Box::new(Some(3)),
        defaulted: 4,
        default_path: 5,
        skip_de: 6,
        skip_ser: 7,
        maybe: Some(8),
        tags: vec!["t".into()],
        cache: None,
        renamed: -9,
        nested: vec![None, Some([("k".to_owned(), (1, true))].into())],
    }
}

#[test]
fn required_on_input_matches_serde_key_by_key() {
    let defs = support::defs(dto::SOURCE);
    let d = def(&defs, "Keys");
    let full = serde_json::to_value(keys_value()).unwrap();
    let Value::Object(mut full) = full else {
        panic!()
    };
    // skip_ser is never written; give it for reading.
    full.insert("skipSer".into(), json!(7));
    assert!(serde_json::from_value::<dto::Keys>(Value::Object(full.clone())).is_ok());
    for f in fields(d) {
        let mut without = full.clone();
        without.remove(&f.deserialize_name);
        let serde_requires = serde_json::from_value::<dto::Keys>(Value::Object(without)).is_err();
        assert_eq!(
            f.required_on_input(),
            serde_requires,
            "field `{}` (key {:?})",
            f.name,
            f.deserialize_name
        );
    }
    // And the model's minimal input is enough.
    let minimal = sample_def(&defs, d);
    serde_json::from_str::<dto::Keys>(&minimal.to_string()).unwrap();
}

#[test]
fn required_on_output_matches_serde() {
    let defs = support::defs(dto::SOURCE);
    let d = def(&defs, "Keys");
    let names: Vec<&str> = fields(d).iter().map(|f| f.name.as_str()).collect();
    assert!(!names.contains(&"cache"), "skip removes the field");
    let sparse = dto::Keys {
        maybe: None,
        tags: vec![],
        ..keys_value()
    };
    let out = serde_json::to_value(&sparse).unwrap();
    for f in fields(d) {
        let written = out.get(&f.wire_name).is_some();
        if f.required_on_output() {
            assert!(written, "`{}` must always be written", f.name);
        }
        if f.skip_serializing {
            assert!(!written, "`{}` is never written", f.name);
        }
    }
    assert!(!field(d, "maybe").required_on_output());
    assert!(!field(d, "tags").required_on_output());
    assert!(!field(d, "skip_ser").required_on_output());
    assert_eq!(check(&defs, "Keys", &out), Ok("Keys".into()));
    assert_eq!(
        check(&defs, "Keys", &serde_json::to_value(keys_value()).unwrap()),
        Ok("Keys".into())
    );
}

#[test]
fn field_details() {
    let defs = support::defs(dto::SOURCE);
    let d = def(&defs, "Keys");
    assert_eq!(d.docs, ["A user.", "", "Second paragraph."]);
    assert_eq!(field(d, "plain").docs, ["Always there."]);
    assert!(d.serialize && d.deserialize);
    assert_eq!(field(d, "renamed").wire_name, "X");
    assert_eq!(field(d, "boxed_opt").wire_name, "boxedOpt");
    assert_eq!(
        field(d, "boxed_opt").ty,
        TypeRef::Option(Box::new(TypeRef::Int {
            bits: 32,
            signed: false
        }))
    );
    assert!(
        field(d, "skip_de").default,
        "skip_deserializing implies default"
    );
    assert!(field(d, "default_path").default);
    assert_eq!(
        field(d, "nested").ty,
        TypeRef::List(Box::new(TypeRef::Option(Box::new(TypeRef::Map {
            key: Box::new(TypeRef::String),
            key_kind: MapKey::String,
            value: Box::new(TypeRef::Tuple(vec![
                TypeRef::Int {
                    bits: 8,
                    signed: false
                },
                TypeRef::Bool
            ])),
        }))))
    );
    let all = def(&defs, "AllDefault");
    assert!(
        fields(all)
            .iter()
            .all(|f| f.default && !f.required_on_input())
    );
    serde_json::from_str::<dto::AllDefault>("{}").unwrap();
}

#[test]
fn flatten_merges_keys() {
    let defs = support::defs(dto::SOURCE);
    let page = def(&defs, "Page");
    assert!(field(page, "meta").flatten);
    assert!(field(page, "extra").flatten);
    assert!(!field(page, "meta").required_on_output());
    let value = dto::Page {
        total: 3,
        meta: dto::Meta {
            page_size: 10,
            cursor: Some("c".into()),
        },
        extra: [("more".to_owned(), json!([1]))].into(),
    };
    let out = serde_json::to_value(&value).unwrap();
    assert_eq!(
        out,
        json!({"total": 3, "pageSize": 10, "cursor": "c", "more": [1]})
    );
    assert_eq!(check(&defs, "Page", &out), Ok("Page".into()));
    let input = sample_def(&defs, page);
    assert_eq!(input, json!({"total": 7, "pageSize": 7}));
    serde_json::from_value::<dto::Page>(input).unwrap();
}

#[test]
fn newtype_tuple_unit_and_empty_structs() {
    let defs = support::defs(dto::SOURCE);
    let shapes = [
        (
            "Id",
            TypeDefKind::Newtype(TypeRef::Int {
                bits: 64,
                signed: false,
            }),
            json!(7),
        ),
        (
            "Pair",
            TypeDefKind::Tuple(vec![
                TypeRef::Int {
                    bits: 32,
                    signed: true,
                },
                TypeRef::String,
            ]),
            json!([0, ""]),
        ),
        ("Nothing", TypeDefKind::Tuple(vec![]), json!([])),
        ("Ping", TypeDefKind::Unit, json!(null)),
    ];
    for (name, kind, written) in shapes {
        assert_eq!(def(&defs, name).kind, kind, "{name}");
        assert_eq!(check(&defs, name, &written), Ok(name.to_owned()));
    }
    assert_eq!(serde_json::to_value(dto::Id(7)).unwrap(), json!(7));
    assert_eq!(
        serde_json::to_value(dto::Pair::default()).unwrap(),
        json!([0, ""])
    );
    assert_eq!(serde_json::to_value(dto::Nothing()).unwrap(), json!([]));
    assert_eq!(serde_json::to_value(dto::Ping).unwrap(), json!(null));
    assert_eq!(serde_json::to_value(dto::Empty {}).unwrap(), json!({}));
    assert!(
        matches!(&def(&defs, "Empty").kind, TypeDefKind::Struct { fields, .. } if fields.is_empty())
    );
}

#[test]
fn transparent_and_conversions_write_the_inner_type() {
    let defs = support::defs(dto::SOURCE);
    assert_eq!(
        def(&defs, "Wrapper").kind,
        TypeDefKind::Newtype(TypeRef::List(Box::new(TypeRef::Named("Id".into()))))
    );
    let w = dto::Wrapper {
        value: vec![dto::Id(1), dto::Id(2)],
        ..Default::default()
    };
    let out = serde_json::to_value(&w).unwrap();
    assert_eq!(out, json!([1, 2]));
    assert_eq!(check(&defs, "Wrapper", &out), Ok("Wrapper".into()));

    assert_eq!(
        def(&defs, "Email").kind,
        TypeDefKind::Newtype(TypeRef::String)
    );
    let e = dto::Email { user: "a@b".into() };
    assert_eq!(serde_json::to_value(&e).unwrap(), json!("a@b"));
}

#[test]
fn struct_tag_is_written_with_the_container_name() {
    let defs = support::defs(dto::SOURCE);
    let d = def(&defs, "Tagged");
    assert!(d.serialize && d.deserialize);
    assert_eq!(d.wire_name, "person");
    assert!(matches!(&d.kind, TypeDefKind::Struct { tag: Some(t), .. } if t == "kind"));
    let out = serde_json::to_value(dto::Tagged { name: "n".into() }).unwrap();
    assert_eq!(out, json!({"kind": "person", "name": "n"}));
    assert_eq!(check(&defs, "Tagged", &out), Ok("Tagged".into()));
    // Reading ignores the tag, as the model documents: with or without it, any value.
    for input in [
        out,
        json!({"name": "n"}),
        json!({"kind": "other", "name": "n"}),
    ] {
        assert_eq!(
            serde_json::from_value::<dto::Tagged>(input).unwrap(),
            dto::Tagged { name: "n".into() }
        );
    }
}

#[test]
fn an_adapter_makes_an_option_field_required_on_input() {
    // serde fills a missing Option with None only without `deserialize_with`.
    let defs = support::defs(
        r#"#[derive(Deserialize)] struct S {
            #[serde(with = "serde_bytes")] a: Option<Vec<u8>>,
            #[serde(with = "serde_bytes", default)] b: Option<Vec<u8>>,
            c: Option<Vec<u8>>,
        }"#,
    );
    let s = def(&defs, "S");
    assert_eq!(field(s, "a").with.as_deref(), Some("serde_bytes"));
    assert!(field(s, "a").required_on_input());
    assert!(!field(s, "b").required_on_input());
    assert!(!field(s, "c").required_on_input());
    assert_eq!(
        field(s, "a").ty,
        TypeRef::Option(Box::new(TypeRef::SerdeBytes))
    );
}

#[test]
fn map_keys_as_serde_json_writes_them() {
    use dto::{Code, Color, Name};
    let defs = support::defs(dto::SOURCE);
    let maps = def(&defs, "Maps");
    let kinds: Vec<MapKey> = fields(maps)
        .iter()
        .map(|f| match &f.ty {
            TypeRef::Map { key_kind, .. } => *key_kind,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            MapKey::Named,
            MapKey::Named,
            MapKey::Named,
            MapKey::Integer,
            MapKey::String
        ]
    );
    let value = dto::Maps {
        by_color: [(Color::Red, 1), (Color::DarkBlue, 2)].into(),
        by_name: [(Name("n".into()), 3)].into(),
        by_code: [(Code(404), 4)].into(),
        by_int: [(-5, 5)].into(),
        by_char: [('c', 6)].into(),
    };
    let out = serde_json::to_value(&value).unwrap();
    assert_eq!(out["by_color"], json!({"red": 1, "darkblue": 2}));
    assert_eq!(out["by_code"], json!({"404": 4}));
    assert_eq!(check(&defs, "Maps", &out), Ok("Maps".into()));

    // TypeDef::map_key says which named types serde_json accepts as keys.
    for (name, expected) in [
        ("Color", Some(MapKey::String)),
        ("Name", Some(MapKey::String)),
        ("Code", Some(MapKey::Integer)),
        ("TaggedKey", None),
        ("UntaggedKey", None),
        ("Point", None),
        ("Ping", None),
        ("Keys", None),
    ] {
        assert_eq!(def(&defs, name).map_key(), expected, "{name}");
    }
    assert!(def(&defs, "Color").is_unit_only_enum());
    assert!(def(&defs, "TaggedKey").is_unit_only_enum());
    assert!(!def(&defs, "Keys").is_unit_only_enum());
    let err = |r: Result<Value, serde_json::Error>| r.is_err();
    assert!(err(serde_json::to_value(HashMap::from([(
        dto::TaggedKey::A,
        1
    )]))));
    assert!(err(serde_json::to_value(HashMap::from([(
        dto::UntaggedKey::A,
        1
    )]))));
    assert!(err(serde_json::to_value(HashMap::from([(
        dto::Point(1, 2),
        1
    )]))));
    assert!(err(serde_json::to_value(HashMap::from([(dto::Ping, 1)]))));
    assert!(!err(serde_json::to_value(HashMap::from([(
        dto::Code(1),
        1
    )]))));
}

#[test]
fn referenced_names_lists_user_types_once() {
    let defs = support::defs(dto::SOURCE);
    assert_eq!(def(&defs, "Wrapper").referenced_names(), ["Id"]);
    assert_eq!(def(&defs, "Page").referenced_names(), ["Meta"]);
    assert_eq!(
        def(&defs, "Maps").referenced_names(),
        ["Color", "Name", "Code"]
    );
    assert!(def(&defs, "Keys").referenced_names().is_empty());
}

#[test]
fn struct_errors() {
    use support::assert_error;
    assert_error(
        "#[derive(Serialize)] struct S { #[serde(flatten)] n: u32 }",
        &["`S.n`", "flatten"],
    );
    assert_error(
        "#[derive(Serialize)] struct S(#[serde(flatten)] Meta);",
        &["`S.0`", "flatten"],
    );
    assert_error(
        "#[derive(Serialize)] struct S(u8, #[serde(flatten)] Meta);",
        &["`S.1`", "flatten"],
    );
    assert_error(
        "#[derive(Serialize)] struct S(#[serde(skip)] u8);",
        &["`S.0`", "cannot be skipped"],
    );
    assert_error(
        "#[derive(Serialize)] struct S(u8, #[serde(skip_serializing)] u8);",
        &["`S.1`", "one direction"],
    );
    assert_error(
        "#[derive(Serialize, Deserialize)] #[serde(transparent)] struct S { a: u8, b: u8 }",
        &["`S`", "exactly one field"],
    );
    assert_error(
        "#[derive(Deserialize)] #[serde(transparent)] struct S { #[serde(default)] a: u8 }",
        &["`S`", "exactly one field"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(transparent)] struct S;",
        &["`S`", "unit struct"],
    );
    assert_error(
        "#[derive(Serialize, Deserialize)] #[serde(into = \"String\")] struct S { a: u8 }",
        &["`S`", "`into` without `from`"],
    );
    assert_error(
        "#[derive(Serialize, Deserialize)] #[serde(from = \"String\")] struct S { a: u8 }",
        &["`S`", "`from` without `into`"],
    );
    assert_error(
        "#[derive(Serialize, Deserialize)] #[serde(from = \"String\", into = \"u32\")] struct S { a: u8 }",
        &["`S`", "differ"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(from = \"String\", try_from = \"String\")] struct S { a: u8 }",
        &["`S`", "conflict"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(transparent, into = \"String\")] struct S { a: u8 }",
        &["`S`", "transparent"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(into = \"not a type !\")] struct S { a: u8 }",
        &["`S`", "cannot parse"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(untagged)] struct S { a: u8 }",
        &["`S`", "only be used on enums"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(content = \"c\")] struct S { a: u8 }",
        &["`S`", "only be used on enums"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(rename_all_fields = \"camelCase\")] struct S { a: u8 }",
        &["`S`", "only be used on enums"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\")] struct S(u8, u8);",
        &["`S`", "named fields"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(default)] struct S;",
        &["`S`", "have fields"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(tag = \"kind\")] struct S { kind: u8 }",
        &["`S`", "same key as the tag"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(remote = \"Other\")] struct S { a: u8 }",
        &["`S`", "remote"],
    );
    assert_error(
        "#[derive(Deserialize)] #[serde(field_identifier)] enum F { A }",
        &["`F`", "field_identifier"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(rename_all = \"camel\")] struct S { a: u8 }",
        &["`S`", "unknown rename rule", "\"camelCase\""],
    );
    assert_error(
        "#[derive(Serialize)] #[serde(wat)] struct S { a: u8 }",
        &["`S`", "unknown serde container attribute `wat`"],
    );
    assert_error(
        "#[derive(Serialize)] struct S { #[serde(wat = \"x\")] a: u8 }",
        &["`S.a`", "unknown serde field attribute `wat`"],
    );
    assert_error(
        "#[derive(Serialize)] enum E { #[serde(wat)] A }",
        &["`E::A`", "unknown serde variant attribute `wat`"],
    );
    assert_error(
        "#[derive(Serialize)] struct S { #[serde(rename = 5)] a: u8 }",
        &["`S.a`", "expected"],
    );
    assert_error(
        "#[derive(Serialize)] struct S { #[serde(skip = \"yes\")] a: u8 }",
        &["`S.a`", "takes no value"],
    );
    assert_error(
        "#[derive(Serialize)] struct S { #[serde(rename(other = \"x\"))] a: u8 }",
        &["`S.a`", "malformed"],
    );
    assert_error(
        "#[derive(Serialize)] #[serde] struct S { a: u8 }",
        &["`S`", "malformed"],
    );
}

#[test]
fn conversions_for_one_direction_only() {
    // Serialize-only: `into` decides; Deserialize-only: `from` / `try_from` decides.
    let defs = support::defs(
        r#"
        #[derive(Serialize)] #[serde(into = "Vec<u8>")] struct Out { a: u8 }
        #[derive(Deserialize)] #[serde(try_from = "String")] struct In { a: u8 }
        #[derive(Serialize, Deserialize)] #[serde(try_from = "u32", into = "u32")] enum Level { Low, High }
        #[derive(Serialize)] #[serde(from = "String")] struct OnlyFrom { a: u8 }
        "#,
    );
    assert_eq!(
        def(&defs, "Out").kind,
        TypeDefKind::Newtype(TypeRef::List(Box::new(TypeRef::Int {
            bits: 8,
            signed: false
        })))
    );
    assert_eq!(def(&defs, "In").kind, TypeDefKind::Newtype(TypeRef::String));
    assert_eq!(
        def(&defs, "Level").kind,
        TypeDefKind::Newtype(TypeRef::Int {
            bits: 32,
            signed: false
        })
    );
    // `from` has no effect on a Serialize-only type.
    assert!(matches!(
        def(&defs, "OnlyFrom").kind,
        TypeDefKind::Struct { .. }
    ));
}
