//! Enum representations: externally, internally and adjacently tagged and untagged, each
//! with unit, newtype, tuple and struct variants, checked against real serde_json both
//! ways: what serde writes must match the model, and JSON built from the model alone must
//! be read by serde as the intended variant.
#![allow(unreachable_pub, dead_code, clippy::unwrap_used, clippy::panic)]

#[macro_use]
mod support;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use signalr_contract::{EnumRepr, TypeDefKind, TypeRef, VariantKind};
use support::{check, def, sample_variant, variant, variants};

mod reprs {
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;
    both! {
        /// Content for newtype variants.
        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        pub struct Inner {
            pub x: i32,
            pub label: Option<String>,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        pub struct Marker;

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        pub enum External {
            Unit,
            Newtype(Inner),
            Number(u16),
            Tuple(u32, String),
            Empty(),
            Struct { a_field: u32, other: Option<String> },
            EmptyStruct {},
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        #[serde(tag = "type")]
        pub enum Internal {
            Unit,
            Newtype(Inner),
            Map(BTreeMap<String, u8>),
            Marker(Marker),
            Struct { a_field: u32, other: Option<String> },
            EmptyStruct {},
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        #[serde(tag = "t", content = "c")]
        pub enum Adjacent {
            Unit,
            Newtype(Inner),
            Number(u16),
            Tuple(u32, String),
            Empty(),
            Struct { a_field: u32, other: Option<String> },
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        #[serde(untagged)]
        pub enum Untagged {
            Struct { a_field: u32, other: Option<String> },
            Tuple(u32, String),
            Newtype(Inner),
            Number(u16),
            Unit,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        #[serde(tag = "kind", rename_all = "camelCase")]
        pub enum Mixed {
            FirstOne { n: u8 },
            SecondOne,
            #[serde(untagged)]
            Fallback(Inner),
            #[serde(untagged)]
            Text(String),
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        #[serde(tag = "kind", content = "data", rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum AdjacentOther {
            Known(u8),
            Also,
            #[serde(other)]
            Unknown,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
        #[serde(tag = "op")]
        pub enum InternalOther {
            Add { n: i64 },
            #[serde(other)]
            Unknown,
        }

        #[derive(Serialize, Deserialize, Clone, Default)]
        pub enum Skips {
            #[default]
            Plain,
            #[serde(skip)]
            Gone(std::rc::Rc<dyn Fn()>),
            #[serde(skip_serializing)]
            ReadOnly,
            #[serde(skip_deserializing)]
            WriteOnly,
            Hidden(#[serde(skip)] u8),
            Partial(u8, #[serde(skip)] u8, String),
            Fields { kept: u8, #[serde(skip)] dropped: u8 },
        }
    }
}

fn inner() -> reprs::Inner {
    reprs::Inner {
        x: -3,
        label: Some("l".into()),
    }
}

/// For every value: serde's output matches the model as the expected variant; and the
/// model's own input sample for that variant is read by serde as that variant.
fn round<E>(name: &str, cases: &[(&str, E)])
where
    E: Serialize + DeserializeOwned + std::fmt::Debug,
{
    let defs = support::defs(reprs::SOURCE);
    let d = def(&defs, name);
    let TypeDefKind::Enum { repr, variants } = &d.kind else {
        panic!()
    };
    // Every modelled variant is exercised.
    let mut names: Vec<&str> = cases.iter().map(|(n, _)| *n).collect();
    names.dedup();
    let modelled: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, modelled, "cases cover the variants");

    for (expected, value) in cases {
        let out = serde_json::to_value(value).unwrap();
        assert_eq!(
            check(&defs, name, &out).as_deref(),
            Ok(*expected),
            "serde wrote {out} for {value:?}"
        );

        let var = variant(d, expected);
        let input = sample_variant(&defs, repr, var);
        // From text, as on the wire (serde_json's `from_value` reads `[]` as unit).
        let read: E = serde_json::from_str(&input.to_string())
            .unwrap_or_else(|e| panic!("serde refused the model's {input} for {expected}: {e}"));
        let back = serde_json::to_value(&read).unwrap();
        assert_eq!(
            check(&defs, name, &back).as_deref(),
            Ok(*expected),
            "{input} was read as {read:?}"
        );
    }
}

#[test]
fn externally_tagged() {
    use reprs::External as E;
    round(
        "External",
        &[
            ("Unit", E::Unit),
            ("Newtype", E::Newtype(inner())),
            ("Number", E::Number(9)),
            ("Tuple", E::Tuple(1, "two".into())),
            ("Empty", E::Empty()),
            (
                "Struct",
                E::Struct {
                    a_field: 1,
                    other: None,
                },
            ),
            (
                "Struct",
                E::Struct {
                    a_field: 1,
                    other: Some("o".into()),
                },
            ),
            ("EmptyStruct", E::EmptyStruct {}),
        ],
    );
    let defs = support::defs(reprs::SOURCE);
    let d = def(&defs, "External");
    assert!(matches!(
        &d.kind,
        TypeDefKind::Enum {
            repr: EnumRepr::External,
            ..
        }
    ));
    assert_eq!(variant(d, "Unit").kind, VariantKind::Unit);
    assert_eq!(
        variant(d, "Newtype").kind,
        VariantKind::Newtype(TypeRef::Named("Inner".into()))
    );
    assert_eq!(
        variant(d, "Tuple").kind,
        VariantKind::Tuple(vec![
            TypeRef::Int {
                bits: 32,
                signed: false
            },
            TypeRef::String
        ])
    );
    assert_eq!(variant(d, "Empty").kind, VariantKind::Tuple(vec![]));
    assert_eq!(variant(d, "EmptyStruct").kind, VariantKind::Struct(vec![]));
    // The exact JSON, for the record.
    assert_eq!(
        serde_json::to_value(reprs::External::Unit).unwrap(),
        json!("Unit")
    );
    assert_eq!(
        serde_json::to_value(reprs::External::Tuple(1, "a".into())).unwrap(),
        json!({"Tuple": [1, "a"]})
    );
}

#[test]
fn internally_tagged() {
    use reprs::Internal as E;
    round(
        "Internal",
        &[
            ("Unit", E::Unit),
            ("Newtype", E::Newtype(inner())),
            ("Map", E::Map([("k".to_owned(), 1)].into())),
            ("Marker", E::Marker(reprs::Marker)),
            (
                "Struct",
                E::Struct {
                    a_field: 1,
                    other: Some("o".into()),
                },
            ),
            ("EmptyStruct", E::EmptyStruct {}),
        ],
    );
    let defs = support::defs(reprs::SOURCE);
    assert!(matches!(
        &def(&defs, "Internal").kind,
        TypeDefKind::Enum { repr: EnumRepr::Internal { tag }, .. } if tag == "type"
    ));
    assert_eq!(
        serde_json::to_value(E::Newtype(inner())).unwrap(),
        json!({"type": "Newtype", "x": -3, "label": "l"})
    );
}

#[test]
fn adjacently_tagged() {
    use reprs::Adjacent as E;
    round(
        "Adjacent",
        &[
            ("Unit", E::Unit),
            ("Newtype", E::Newtype(inner())),
            ("Number", E::Number(3)),
            ("Tuple", E::Tuple(1, "two".into())),
            ("Empty", E::Empty()),
            (
                "Struct",
                E::Struct {
                    a_field: 1,
                    other: None,
                },
            ),
        ],
    );
    let defs = support::defs(reprs::SOURCE);
    assert!(matches!(
        &def(&defs, "Adjacent").kind,
        TypeDefKind::Enum { repr: EnumRepr::Adjacent { tag, content }, .. } if tag == "t" && content == "c"
    ));
    assert_eq!(serde_json::to_value(E::Unit).unwrap(), json!({"t": "Unit"}));
}

#[test]
fn untagged() {
    use reprs::Untagged as E;
    round(
        "Untagged",
        &[
            (
                "Struct",
                E::Struct {
                    a_field: 1,
                    other: None,
                },
            ),
            ("Tuple", E::Tuple(1, "two".into())),
            ("Newtype", E::Newtype(inner())),
            ("Number", E::Number(3)),
            ("Unit", E::Unit),
        ],
    );
    assert_eq!(serde_json::to_value(E::Unit).unwrap(), json!(null));
}

#[test]
fn untagged_variants_in_a_tagged_enum() {
    use reprs::Mixed as E;
    round(
        "Mixed",
        &[
            ("FirstOne", E::FirstOne { n: 1 }),
            ("SecondOne", E::SecondOne),
            ("Fallback", E::Fallback(inner())),
            ("Text", E::Text("t".into())),
        ],
    );
    let defs = support::defs(reprs::SOURCE);
    let d = def(&defs, "Mixed");
    assert!(!variant(d, "FirstOne").untagged);
    assert!(variant(d, "Fallback").untagged);
    assert_eq!(variant(d, "SecondOne").wire_name, "secondOne");
}

#[test]
fn other_catches_unknown_tags() {
    use reprs::{AdjacentOther, InternalOther};
    round(
        "AdjacentOther",
        &[
            ("Known", AdjacentOther::Known(1)),
            ("Also", AdjacentOther::Also),
            ("Unknown", AdjacentOther::Unknown),
        ],
    );
    round(
        "InternalOther",
        &[
            ("Add", InternalOther::Add { n: 2 }),
            ("Unknown", InternalOther::Unknown),
        ],
    );
    let defs = support::defs(reprs::SOURCE);
    assert!(variant(def(&defs, "AdjacentOther"), "Unknown").other);
    assert!(!variant(def(&defs, "AdjacentOther"), "Also").other);
    let read: InternalOther = serde_json::from_value(json!({"op": "Nope"})).unwrap();
    assert_eq!(read, InternalOther::Unknown);
    let read: AdjacentOther = serde_json::from_value(json!({"kind": "NOPE"})).unwrap();
    assert_eq!(read, AdjacentOther::Unknown);
}

#[test]
fn skipped_variants_and_fields() {
    use reprs::Skips as E;
    let defs = support::defs(reprs::SOURCE);
    let d = def(&defs, "Skips");
    let names: Vec<&str> = variants(d).iter().map(|v| v.name.as_str()).collect();
    // `skip` removes the variant (and its unrepresentable function pointer is never looked at).
    assert_eq!(
        names,
        [
            "Plain",
            "ReadOnly",
            "WriteOnly",
            "Hidden",
            "Partial",
            "Fields"
        ]
    );
    assert!(variant(d, "ReadOnly").skip_serializing);
    assert!(variant(d, "WriteOnly").skip_deserializing);
    // A newtype variant whose only field is skipped is a unit variant, as serde writes it.
    assert_eq!(variant(d, "Hidden").kind, VariantKind::Unit);
    assert_eq!(serde_json::to_value(E::Hidden(5)).unwrap(), json!("Hidden"));
    assert_eq!(
        variant(d, "Partial").kind,
        VariantKind::Tuple(vec![
            TypeRef::Int {
                bits: 8,
                signed: false
            },
            TypeRef::String
        ])
    );
    for (expected, value) in [
        ("Plain", E::Plain),
        ("WriteOnly", E::WriteOnly),
        ("Hidden", E::Hidden(1)),
        ("Partial", E::Partial(1, 2, "x".into())),
        (
            "Fields",
            E::Fields {
                kept: 1,
                dropped: 2,
            },
        ),
    ] {
        let out = serde_json::to_value(&value).unwrap();
        assert_eq!(
            check(&defs, "Skips", &out).as_deref(),
            Ok(expected),
            "{out}"
        );
    }
    // serde refuses to write a skip_serializing variant, and the model never predicts it.
    assert!(serde_json::to_value(E::ReadOnly).is_err());
    assert!(serde_json::from_value::<E>(json!("WriteOnly")).is_err());
    assert!(serde_json::from_value::<E>(json!("ReadOnly")).is_ok());
}

#[test]
fn enums_that_serde_or_the_model_reject() {
    support::assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { A(u8, u8) }",
        &["`E::A`", "tuple variants"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { A(u8) }",
        &["`E::A`", "struct or a map"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { A(Option<Inner>) }",
        &["`E::A`", "struct or a map"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { A { t: u8 } }",
        &["`E::A`", "conflicts with the internal tag `t`"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { A { #[serde(rename = \"t\")] x: u8 } }",
        &["`E::A`", "field `x` conflicts"],
    );
    support::assert_error(
        "#[derive(Deserialize)] #[serde(tag = \"t\")] enum E { A { #[serde(alias = \"t\")] x: u8 } }",
        &["`E::A`", "field `x` conflicts"],
    );
    // Renamed by rename_all_fields, `t` becomes `T` and no longer clashes.
    support::defs(
        "#[derive(Serialize)] #[serde(tag = \"t\", rename_all_fields = \"UPPERCASE\")] enum E { A { t: u8 } }",
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\", content = \"t\")] enum E { A }",
        &["`E`", "conflict"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(content = \"c\")] enum E { A }",
        &["`E`", "must be used together"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(untagged, tag = \"t\")] enum E { A }",
        &["`E`", "untagged"],
    );
    support::assert_error(
        "#[derive(Deserialize)] #[serde(untagged)] enum E { #[serde(other)] A }",
        &["`E`", "untagged enum"],
    );
    support::assert_error(
        "#[derive(Deserialize)] #[serde(tag = \"t\")] enum E { #[serde(other)] A, B }",
        &["`E::A`", "last variant"],
    );
    support::assert_error(
        "#[derive(Deserialize)] #[serde(tag = \"t\")] enum E { B, #[serde(other)] A { x: u8 } }",
        &["`E::A`", "unit variant"],
    );
    support::assert_error(
        "#[derive(Serialize)] enum E { #[serde(untagged)] A(u8), B }",
        &["`E::A`", "must come after"],
    );
    support::assert_error(
        "#[derive(Serialize)] enum E { #[serde(with = \"m\")] A(u8) }",
        &["`E::A`", "with"],
    );
    support::assert_error(
        "#[derive(Serialize)] enum E { A(#[serde(skip_serializing)] u8) }",
        &["`E::A`", "one direction"],
    );
    support::assert_error(
        "#[derive(Serialize)] enum E { A(u8, #[serde(skip_deserializing)] u8) }",
        &["`E::A.1`", "one direction"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(transparent)] enum E { A(u8) }",
        &["`E`", "transparent"],
    );
    support::assert_error(
        "#[derive(Serialize)] #[serde(default)] enum E { A }",
        &["`E`", "only be used on structs"],
    );
}

#[test]
fn internally_tagged_skipped_and_untagged_variants_are_not_checked() {
    // Untagged variants of an internally tagged enum may hold anything; skipped variants
    // are never written.
    let defs = support::defs(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { X, #[serde(untagged)] A(u8) }",
    );
    assert_eq!(variants(def(&defs, "E")).len(), 2);
    let defs = support::defs(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { #[serde(skip)] A(u8), B }",
    );
    assert_eq!(variants(def(&defs, "E")).len(), 1);
    // serde checks for tuple variants before looking at skips, and so does the model.
    support::assert_error(
        "#[derive(Serialize)] #[serde(tag = \"t\")] enum E { #[serde(skip)] A(u8, u8), B }",
        &["`E::A`", "tuple variants"],
    );
}
