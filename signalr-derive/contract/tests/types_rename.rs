//! Wire names: every serde case rule, checked against what real serde_derive + serde_json
//! produce for the same items, plus rename, alias and rule precedence.
#![allow(unreachable_pub, dead_code, clippy::unwrap_used, clippy::panic)]
#![allow(
    non_snake_case,
    non_camel_case_types,
    clippy::upper_case_acronyms,
    clippy::enum_variant_names
)]

#[macro_use]
mod support;

use serde_json::{Value, json};
use signalr_contract::{NameKind, RenameRule, TypeDef, wire_name};
use support::{def, fields, variants};

/// One module per rule: a struct whose fields and an enum whose variants cover awkward
/// names, with `rename_all` set to the rule.
macro_rules! rule_case {
    ($m:ident, $($rule:tt)*) => {
        mod $m {
            use serde::{Deserialize, Serialize};
            both! {
                #[derive(Serialize, Deserialize, Debug, PartialEq)]
                #[serde($($rule)*)]
                pub struct Fields {
                    pub simple: u32,
                    pub two_words: u32,
                    pub three_word_name: u32,
                    pub with2_digits: u32,
                    pub x1_y2: u32,
                    pub r#type: u32,
                    pub _leading: u32,
                    pub trailing_: u32,
                    pub double__under: u32,
                    pub a: u32,
                    pub mixedCase: u32,
                    pub HTTP_server: u32,
                    pub café_au_lait: u32,
                }

                #[derive(Serialize, Deserialize, Debug, PartialEq, Clone, Copy)]
                #[serde($($rule)*)]
                pub enum Variants {
                    Simple,
                    TwoWords,
                    ThreeWordName,
                    With2Digits,
                    A,
                    HTTPServer,
                    IOError,
                    V1Beta,
                    r#Type,
                    lower_snake,
                    Mixed_Snake,
                    AÉté,
                }
            }

            pub fn sample() -> Fields {
                Fields {
                    simple: 1,
                    two_words: 2,
                    three_word_name: 3,
                    with2_digits: 4,
                    x1_y2: 5,
                    r#type: 6,
                    _leading: 7,
                    trailing_: 8,
                    double__under: 9,
                    a: 10,
                    mixedCase: 11,
                    HTTP_server: 12,
                    café_au_lait: 13,
                }
            }

            pub const ALL: &[Variants] = &[
                Variants::Simple,
                Variants::TwoWords,
                Variants::ThreeWordName,
                Variants::With2Digits,
                Variants::A,
                Variants::HTTPServer,
                Variants::IOError,
                Variants::V1Beta,
                Variants::r#Type,
                Variants::lower_snake,
                Variants::Mixed_Snake,
                Variants::AÉté,
            ];
        }
    };
}

rule_case!(none, bound = "");
rule_case!(lowercase, rename_all = "lowercase");
rule_case!(uppercase, rename_all = "UPPERCASE");
rule_case!(pascal, rename_all = "PascalCase");
rule_case!(camel, rename_all = "camelCase");
rule_case!(snake, rename_all = "snake_case");
rule_case!(screaming_snake, rename_all = "SCREAMING_SNAKE_CASE");
rule_case!(kebab, rename_all = "kebab-case");
rule_case!(screaming_kebab, rename_all = "SCREAMING-KEBAB-CASE");
rule_case!(
    split,
    rename_all(
        serialize = "camelCase",
        deserialize = "SCREAMING-KEBAB-CASE"
    )
);
rule_case!(ser_only, rename_all(serialize = "kebab-case"));
rule_case!(de_only, rename_all(deserialize = "UPPERCASE"));

/// The model's serialize and deserialize names for every field and variant must be the
/// names serde writes and reads.
fn compare_with_serde<F, V>(source: &str, sample: F, all: &[V])
where
    F: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    V: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let defs = support::defs(source);
    let s = def(&defs, "Fields");
    let e = def(&defs, "Variants");

    // Fields: the serialized object is exactly wire_name -> value, in declaration order.
    let written = serde_json::to_value(&sample).unwrap();
    let predicted: serde_json::Map<String, Value> = fields(s)
        .iter()
        .enumerate()
        .map(|(i, f)| (f.wire_name.clone(), json!(i + 1)))
        .collect();
    assert_eq!(written, Value::Object(predicted), "serialized field names");
    // Reading an object keyed by deserialize_name gives the same value back.
    let input: serde_json::Map<String, Value> = fields(s)
        .iter()
        .enumerate()
        .map(|(i, f)| (f.deserialize_name.clone(), json!(i + 1)))
        .collect();
    let read: F = serde_json::from_value(Value::Object(input)).unwrap();
    assert_eq!(read, sample, "deserialized field names");

    // Variants, in declaration order.
    assert_eq!(variants(e).len(), all.len());
    for (model, value) in variants(e).iter().zip(all) {
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            json!(model.wire_name),
            "serialized name of {}",
            model.name
        );
        let read: V = serde_json::from_value(json!(model.deserialize_name)).unwrap();
        assert_eq!(&read, value, "deserialized name of {}", model.name);
    }
}

macro_rules! rule_tests {
    ($($test:ident => $m:ident),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                compare_with_serde($m::SOURCE, $m::sample(), $m::ALL);
            }
        )*
    };
}

rule_tests! {
    no_rule_matches_serde => none,
    lowercase_matches_serde => lowercase,
    uppercase_matches_serde => uppercase,
    pascal_case_matches_serde => pascal,
    camel_case_matches_serde => camel,
    snake_case_matches_serde => snake,
    screaming_snake_case_matches_serde => screaming_snake,
    kebab_case_matches_serde => kebab,
    screaming_kebab_case_matches_serde => screaming_kebab,
    split_serialize_deserialize_rules_match_serde => split,
    serialize_only_rule_matches_serde => ser_only,
    deserialize_only_rule_matches_serde => de_only,
}

#[test]
fn split_rules_give_different_names_each_way() {
    let defs = support::defs(split::SOURCE);
    let f = &fields(def(&defs, "Fields"))[1];
    assert_eq!(f.wire_name, "twoWords");
    assert_eq!(f.deserialize_name, "TWO-WORDS");
    let v = &variants(def(&defs, "Variants"))[1];
    assert_eq!(v.wire_name, "twoWords");
    assert_eq!(v.deserialize_name, "TWO-WORDS");
}

#[test]
fn serde_quirks_are_kept() {
    // serde leaves field names alone under "lowercase" and "snake_case".
    let defs = support::defs(lowercase::SOURCE);
    assert_eq!(fields(def(&defs, "Fields"))[10].wire_name, "mixedCase");
    // Variants: snake_case splits before every uppercase letter.
    let defs = support::defs(snake::SOURCE);
    let v = variants(def(&defs, "Variants"));
    assert_eq!(v[5].wire_name, "h_t_t_p_server");
    assert_eq!(v[8].wire_name, "type", "raw identifiers lose r#");
    assert_eq!(v[10].wire_name, "mixed__snake");
}

/// serde_derive's own unit-test table (internals/case.rs), verbatim.
#[test]
fn serde_case_table() {
    use RenameRule::*;
    for &(original, lower, upper, camel, snake, screaming, kebab, screaming_kebab) in &[
        (
            "Outcome", "outcome", "OUTCOME", "outcome", "outcome", "OUTCOME", "outcome", "OUTCOME",
        ),
        (
            "VeryTasty",
            "verytasty",
            "VERYTASTY",
            "veryTasty",
            "very_tasty",
            "VERY_TASTY",
            "very-tasty",
            "VERY-TASTY",
        ),
        ("A", "a", "A", "a", "a", "A", "a", "A"),
        ("Z42", "z42", "Z42", "z42", "z42", "Z42", "z42", "Z42"),
    ] {
        assert_eq!(LowerCase.apply_to_variant(original), lower);
        assert_eq!(UpperCase.apply_to_variant(original), upper);
        assert_eq!(PascalCase.apply_to_variant(original), original);
        assert_eq!(CamelCase.apply_to_variant(original), camel);
        assert_eq!(SnakeCase.apply_to_variant(original), snake);
        assert_eq!(ScreamingSnakeCase.apply_to_variant(original), screaming);
        assert_eq!(KebabCase.apply_to_variant(original), kebab);
        assert_eq!(
            ScreamingKebabCase.apply_to_variant(original),
            screaming_kebab
        );
    }
    for &(original, upper, pascal, camel, screaming, kebab, screaming_kebab) in &[
        (
            "outcome", "OUTCOME", "Outcome", "outcome", "OUTCOME", "outcome", "OUTCOME",
        ),
        (
            "very_tasty",
            "VERY_TASTY",
            "VeryTasty",
            "veryTasty",
            "VERY_TASTY",
            "very-tasty",
            "VERY-TASTY",
        ),
        ("a", "A", "A", "a", "A", "a", "A"),
        ("z42", "Z42", "Z42", "z42", "Z42", "z42", "Z42"),
    ] {
        assert_eq!(UpperCase.apply_to_field(original), upper);
        assert_eq!(PascalCase.apply_to_field(original), pascal);
        assert_eq!(CamelCase.apply_to_field(original), camel);
        assert_eq!(SnakeCase.apply_to_field(original), original);
        assert_eq!(LowerCase.apply_to_field(original), original);
        assert_eq!(ScreamingSnakeCase.apply_to_field(original), screaming);
        assert_eq!(KebabCase.apply_to_field(original), kebab);
        assert_eq!(ScreamingKebabCase.apply_to_field(original), screaming_kebab);
    }
}

/// serde_derive panics on these (a non-ASCII first letter under camelCase); we must not.
#[test]
fn rules_never_panic_on_odd_names() {
    assert_eq!(
        RenameRule::CamelCase.apply_to_variant("ÉtéChaud"),
        "ÉtéChaud"
    );
    for name in [
        "", "_", "__", "é", "Éa", "a\u{301}", "日本", "_X", "X_", "1", "ß", "ǅ",
    ] {
        for rule in RenameRule::ALL {
            let _ = rule.apply_to_field(name);
            let _ = rule.apply_to_variant(name);
        }
    }
}

#[test]
fn rule_strings_round_trip() {
    for rule in RenameRule::ALL {
        assert_eq!(RenameRule::from_serde(rule.as_serde()), Some(rule));
        assert_eq!(rule.to_string(), rule.as_serde());
        // The model serializes a rule as serde spells it.
        assert_eq!(serde_json::to_value(rule).unwrap(), json!(rule.as_serde()));
    }
    assert_eq!(RenameRule::from_serde("Camelcase"), None);
    assert_eq!(RenameRule::from_serde("camel_case"), None);
}

#[test]
fn wire_name_helper() {
    assert_eq!(wire_name("r#type", None, NameKind::Field), "type");
    assert_eq!(
        wire_name("user_id", Some(RenameRule::CamelCase), NameKind::Field),
        "userId"
    );
    assert_eq!(
        wire_name("UserId", Some(RenameRule::CamelCase), NameKind::Variant),
        "userId"
    );
    assert_eq!(
        wire_name("UserId", Some(RenameRule::KebabCase), NameKind::Variant),
        "user-id"
    );
    assert_eq!(
        wire_name("user_id", Some(RenameRule::KebabCase), NameKind::Field),
        "user-id"
    );
}

mod precedence {
    use serde::{Deserialize, Serialize};
    both! {
        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        #[serde(rename = "Renamed", rename_all = "camelCase")]
        pub struct Person {
            pub first_name: String,
            #[serde(rename = "SURNAME")]
            pub last_name: String,
            #[serde(rename(serialize = "out_only"))]
            pub ser_renamed: u8,
            #[serde(rename(deserialize = "in_only"))]
            pub de_renamed: u8,
            #[serde(alias = "years", alias = "AGE")]
            pub age_years: u8,
            #[serde(rename(deserialize = "first", deserialize = "second"))]
            pub many: u8,
        }

        #[derive(Serialize, Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "snake_case", rename_all_fields = "SCREAMING_SNAKE_CASE")]
        pub enum Event {
            #[serde(rename = "created!")]
            UserCreated { user_id: u32 },
            #[serde(rename_all = "kebab-case")]
            UserDeleted { user_id: u32, #[serde(rename = "Why")] reason: String },
            #[serde(alias = "renamed", alias = "moved")]
            UserRenamed { new_name: String },
        }
    }
}

#[test]
fn explicit_names_beat_rules_and_aliases_are_read() {
    use precedence::{Event, Person};
    let defs = support::defs(precedence::SOURCE);
    let person: &TypeDef = def(&defs, "Person");
    assert_eq!(person.wire_name, "Renamed");
    assert_eq!(person.deserialize_name, "Renamed");
    let f = fields(person);
    let names: Vec<(&str, &str)> = f
        .iter()
        .map(|f| (f.wire_name.as_str(), f.deserialize_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("firstName", "firstName"),
            ("SURNAME", "SURNAME"),
            ("out_only", "serRenamed"),
            ("deRenamed", "in_only"),
            ("ageYears", "ageYears"),
            ("many", "first"),
        ]
    );
    assert_eq!(f[4].aliases, ["AGE", "years"]);
    assert_eq!(f[5].aliases, ["second"]);

    let p = Person {
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        ser_renamed: 1,
        de_renamed: 2,
        age_years: 36,
        many: 3,
    };
    let out = serde_json::to_value(&p).unwrap();
    assert_eq!(
        out,
        json!({"firstName": "Ada", "SURNAME": "Lovelace", "out_only": 1, "deRenamed": 2, "ageYears": 36, "many": 3})
    );
    assert_eq!(support::check(&defs, "Person", &out), Ok("Person".into()));
    // Every alias is read, as the model says.
    for (age_key, many_key) in [("ageYears", "first"), ("years", "second"), ("AGE", "first")] {
        let input = json!({"firstName": "Ada", "SURNAME": "Lovelace", "serRenamed": 1, "in_only": 2, age_key: 36, many_key: 3});
        assert_eq!(serde_json::from_value::<Person>(input).unwrap(), p);
    }

    let event = def(&defs, "Event");
    let v = variants(event);
    assert_eq!(v[0].wire_name, "created!");
    assert_eq!(v[1].wire_name, "user_deleted");
    assert_eq!(v[2].aliases, ["moved", "renamed"]);
    let field_names = |i: usize| -> Vec<String> {
        match &v[i].kind {
            signalr_contract::VariantKind::Struct(f) => {
                f.iter().map(|f| f.wire_name.clone()).collect()
            }
            other => panic!("{other:?}"),
        }
    };
    // rename_all_fields applies to struct variants without their own rename_all...
    assert_eq!(field_names(0), ["USER_ID"]);
    // ...and a variant's own rename_all wins over it; an explicit rename wins over both.
    assert_eq!(field_names(1), ["user-id", "Why"]);
    assert_eq!(field_names(2), ["NEW_NAME"]);

    let values = [
        Event::UserCreated { user_id: 1 },
        Event::UserDeleted {
            user_id: 2,
            reason: "spam".into(),
        },
        Event::UserRenamed {
            new_name: "x".into(),
        },
    ];
    for (model, value) in v.iter().zip(&values) {
        let out = serde_json::to_value(value).unwrap();
        assert_eq!(
            support::check(&defs, "Event", &out),
            Ok(model.name.clone()),
            "{out}"
        );
    }
    for tag in ["moved", "renamed", "user_renamed"] {
        let read: Event = serde_json::from_value(json!({tag: {"NEW_NAME": "x"}})).unwrap();
        assert_eq!(read, values[2]);
    }
}
