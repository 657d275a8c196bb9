//! The DTO contract (`tests/contracts/dtos.rs`, every serde attribute the generators
//! honour) compiled for real: sample values of every type and variant, serialized by
//! serde_json, must validate against the generated JSON Schema, and are written as a
//! TypeScript module (`tests/golden/dtos/samples.ts`) that assigns each to its generated
//! type, so `tsc --strict` (in `scripts/typescript`) proves the TypeScript types accept
//! what serde really writes.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs, dead_code)]

include!("../contracts/dtos.rs");

use std::path::Path;

use serde_json::{Value as Json, json};

fn point(x: f64, y: f64) -> Point {
    Point(x, y)
}

fn address() -> Address {
    Address {
        city: "Lyon".into(),
        zip: "69001".into(),
    }
}

/// (TypeScript type, schema definition or `None` for a method shape, value).
fn samples() -> Vec<(&'static str, Json)> {
    let id = uuid::Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
    let at = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09.123Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let scalars = Scalars {
        flag: true,
        i8: i8::MIN,
        i16: i16::MIN,
        i32: i32::MIN,
        i64: -(1 << 53) + 1,
        u8: u8::MAX,
        u16: u16::MAX,
        u32: u32::MAX,
        u64: (1 << 53) - 1,
        f32: 1.5,
        f64: -0.25,
        text: "héllo 👋".into(),
        letter: 'ß',
        blob: signalr::Binary::from(vec![0, 1, 2, 255]),
        raw: vec![9, 8, 7],
        octets: vec![1, 2],
        id,
        at,
        anything: json!({"a": [1, "two", null, {"b": false}]}),
    };
    let containers = Containers {
        list_of_names: vec!["a".into(), "b".into()],
        maybe_count: None,
        nested: vec![Some(vec![1, 2]), None],
        by_name: [("x".to_owned(), 1.0)].into_iter().collect(),
        by_number: [(7, "seven".to_owned())].into_iter().collect(),
        by_level: [(Level::High, true), (Level::Maximum, false)]
            .into_iter()
            .collect(),
        pair: (1, "one".into()),
        unit: (),
    };
    let full = UserProfile {
        display_name: "Ada".into(),
        email: "ada@example.com".into(),
        cache: Some("never sent".into()),
        bio: Some("Counts".into()),
        score: 3,
        address: address(),
    };
    let sparse = UserProfile {
        bio: None,
        ..full.clone()
    };
    let s = |v: &dyn erased::Ser| v.json();
    vec![
        ("Scalars", s(&scalars)),
        ("Containers", s(&containers)),
        (
            "Containers",
            s(&Containers {
                maybe_count: Some(4),
                ..containers.clone()
            }),
        ),
        ("UserProfile", s(&full)),
        ("UserProfile", s(&sparse)),
        ("Address", s(&address())),
        ("UserId", s(&UserId(id))),
        ("Meters", s(&Meters { value: 12.5 })),
        ("Point", s(&point(1.0, 2.0))),
        ("Level", s(&Level::Low)),
        ("Level", s(&Level::High)),
        ("Level", s(&Level::Maximum)),
        ("Shape", s(&Shape::Empty)),
        ("Shape", s(&Shape::Circle(2.0))),
        (
            "Shape",
            s(&Shape::Segment(point(0.0, 0.0), point(1.0, 1.0))),
        ),
        (
            "Shape",
            s(&Shape::Rect {
                width: 2.0,
                height: 3.0,
            }),
        ),
        ("Event", s(&Event::Started)),
        (
            "Event",
            s(&Event::Moved {
                from: point(0.0, 0.0),
                to: point(3.0, 4.0),
            }),
        ),
        ("Event", s(&Event::Renamed(address()))),
        ("Reply", s(&Reply::Nothing)),
        ("Reply", s(&Reply::Text("hi".into()))),
        ("Reply", s(&Reply::Pair(1, 2))),
        ("Reply", s(&Reply::Detail { code: 404 })),
        ("Sample", s(&Sample::Count(5))),
        ("Sample", s(&Sample::Number(1.5))),
        ("Sample", s(&Sample::Words(vec!["a".into()]))),
        ("Sample", s(&Sample::Nothing)),
    ]
}

/// serde_json for a `&dyn` sample.
mod erased {
    pub(crate) trait Ser {
        fn json(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap()
        }
    }
}

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

#[test]
fn serde_output_validates_against_the_generated_schema() {
    let contracts = signalr_codegen::read(&repo("tests/contracts/dtos.rs")).unwrap();
    let doc = signalr_codegen::schema::generate(&contracts);
    assert!(jsonschema::meta::is_valid(&doc));
    let mut checked = 0;
    for (ty, value) in samples() {
        let part = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": doc["$defs"],
            "$ref": format!("#/$defs/{ty}"),
        });
        let validator = jsonschema::validator_for(&part).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{ty} {value}: {errors:?}");
        checked += 1;
    }
    assert_eq!(checked, samples().len());
    // And the schema is not merely permissive: wrong shapes fail.
    for (ty, wrong) in [
        ("Scalars", json!({"flag": "yes"})),
        ("Level", json!("Low")),
        ("Shape", json!({"Circle": "big"})),
        ("Event", json!({"type": "teleported"})),
        ("Reply", json!({"kind": "Text", "data": 3})),
        (
            "UserProfile",
            json!({"display-name": "Ada", "e_mail": "a", "city": "L"}),
        ),
    ] {
        let part = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": doc["$defs"],
            "$ref": format!("#/$defs/{ty}"),
        });
        let validator = jsonschema::validator_for(&part).unwrap();
        assert!(!validator.is_valid(&wrong), "{ty} accepted {wrong}");
    }
}

/// The TypeScript module that assigns every sample to its generated type.
fn samples_module() -> String {
    let mut names: Vec<&str> = samples().iter().map(|(t, _)| *t).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::from(
        "// Written by tests/tests/dtos.rs from serde_json's output for tests/contracts/dtos.rs;\n\
         // `tsc --strict` checks that each value has its generated type. Do not edit.\n\n",
    );
    out.push_str(&format!(
        "import type {{ {} }} from \"./client.js\";\n\n",
        names.join(", ")
    ));
    out.push_str("export const samples = [\n");
    for (ty, value) in samples() {
        out.push_str(&format!("  (({value}) satisfies {ty}),\n"));
    }
    out.push_str("];\n");
    out
}

#[test]
fn the_typescript_samples_are_current() {
    let path = repo("tests/golden/dtos/samples.ts");
    let text = samples_module();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == text,
        "tests/golden/dtos/samples.ts is stale (UPDATE_GOLDEN=1 rewrites it)"
    );
}
