//! The JSON Schema generator against a real validator: the document passes the 2020-12
//! meta-schema, and real payloads of the conformance and chat hubs validate against it
//! (wrong ones do not).

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn schema_of(rel: &str) -> Value {
    let contracts = signalr_codegen::read(&repo(rel)).unwrap_or_else(|e| panic!("{e:?}"));
    signalr_codegen::schema::generate(&contracts)
}

/// A validator for one part of the document (`#/...`), with the document's definitions.
fn validator(doc: &Value, pointer: &str) -> jsonschema::Validator {
    let part = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": doc["$defs"],
        "$ref": format!("#{pointer}"),
        "properties": doc["properties"],
    });
    jsonschema::validator_for(&part).unwrap()
}

#[test]
fn documents_pass_the_2020_12_meta_schema() {
    for file in ["examples/src/conformance.rs", "examples/src/chat.rs"] {
        let doc = schema_of(file);
        assert!(jsonschema::meta::is_valid(&doc), "{file}");
        assert!(jsonschema::validator_for(&doc).is_ok(), "{file}");
    }
}

#[test]
fn conformance_payloads_validate() {
    let doc = schema_of("examples/src/conformance.rs");
    let person = validator(&doc, "/$defs/Person");
    assert!(
        person.is_valid(&json!({"name": "Ada", "age": 36, "tags": ["math"], "nickname": null}))
    );
    assert!(person.is_valid(&json!({"name": "Ada", "age": 36, "tags": []})));
    assert!(!person.is_valid(&json!({"name": "Ada", "age": "36", "tags": []})));
    assert!(!person.is_valid(&json!({"name": "Ada", "tags": []})));
    assert!(!person.is_valid(&json!({"name": "Ada", "age": 4_294_967_296_i64, "tags": []})));

    let add = validator(&doc, "/properties/Conformance/properties/Add");
    assert!(add.is_valid(&json!({"arguments": [1, 2], "result": 3})));
    assert!(!add.is_valid(&json!({"arguments": [1]})));
    let echo_person = validator(&doc, "/properties/Conformance/properties/EchoPerson");
    assert!(echo_person.is_valid(&json!({
        "arguments": [{"name": "A", "age": 1, "tags": [], "nickname": "a"}],
        "result": {"name": "A", "age": 2, "tags": [], "nickname": "a"}
    })));
    let bytes = validator(&doc, "/properties/Conformance/properties/EchoBytes");
    assert!(bytes.is_valid(&json!({"arguments": ["AQID"], "result": "AQID"})));
    let counter = validator(&doc, "/properties/Conformance/properties/Counter");
    assert!(counter.is_valid(&json!({"arguments": [5, 10], "item": 3})));
    assert_eq!(
        doc["properties"]["Conformance"]["properties"]["Counter"]["x-signalr-wire-name"],
        "Counter"
    );
    assert_eq!(
        doc["properties"]["ConformanceClient"]["properties"]["Answer"]["x-signalr-direction"],
        "serverToClient"
    );
}

#[test]
fn chat_wire_names_are_those_of_the_macro() {
    let doc = schema_of("examples/src/chat.rs");
    let methods = doc["properties"]["Chat"]["properties"].as_object().unwrap();
    let mut names: Vec<&str> = methods.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "Chat|History",
            "Chat|Join",
            "Chat|Leave",
            "Chat|SendMessage"
        ]
    );
    let message = validator(&doc, "/$defs/ChatMessage");
    assert!(message.is_valid(&json!({"room": "r", "from": "a", "text": "hi", "sentAtMs": 1})));
    assert!(!message.is_valid(&json!({"room": "r", "from": "a", "text": "hi", "sent_at_ms": 1})));
}

/// The schema of a contract written to a temporary file.
fn schema_of_source(source: &str) -> Value {
    let dir = std::env::temp_dir().join(format!(
        "signalr-codegen-schema-src-{}-{}",
        std::process::id(),
        source.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contract.rs");
    std::fs::write(&file, source).unwrap();
    let contracts = signalr_codegen::read(&file).unwrap_or_else(|e| panic!("{e:?}"));
    let _ = std::fs::remove_dir_all(&dir);
    signalr_codegen::schema::generate(&contracts)
}

/// Untagged variants may overlap (every integer is a number), so they are `anyOf`; a
/// `char` is one code point; 64-bit (and 128-bit) integers have their exact bounds; base64
/// text says so.
#[test]
fn values_serde_writes_validate_and_others_do_not() {
    let doc = schema_of_source(
        r#"
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    Count(i64),
    Ratio(f64),
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind")]
pub enum Reading {
    Known { value: f64 },
    #[serde(untagged)]
    Raw(f64),
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Wide {
    pub letter: char,
    pub small: i64,
    pub large: u64,
    pub huge: i128,
    pub vast: u128,
    pub blob: signalr::Binary,
}

#[signalr::hub_contract]
pub trait Meter {
    async fn put(&self, q: Quantity, r: Reading, w: Wide);
}
"#,
    );
    assert!(jsonschema::meta::is_valid(&doc));
    let quantity = validator(&doc, "/$defs/Quantity");
    assert!(quantity.is_valid(&json!(5)), "an i64 is also a number");
    assert!(quantity.is_valid(&json!(2.5)));
    assert!(!quantity.is_valid(&json!("5")));
    let reading = validator(&doc, "/$defs/Reading");
    assert!(reading.is_valid(&json!({"kind": "Known", "value": 1})));
    assert!(reading.is_valid(&json!(3)));
    let wide = validator(&doc, "/$defs/Wide");
    let with = |key: &str, value: Value| {
        let mut v = json!({
            "letter": "a", "small": 0, "large": 0, "huge": 0, "vast": 0, "blob": "AQID"
        });
        v[key] = value;
        wide.is_valid(&v)
    };
    assert!(with("letter", json!("ß")));
    assert!(
        with("letter", json!("😀")),
        "one code point, two UTF-16 units"
    );
    assert!(!with("letter", json!("ab")));
    assert!(!with("letter", json!("")));
    assert!(with("small", json!(i64::MIN)));
    assert!(with("small", json!(i64::MAX)));
    assert!(!with("small", json!(u64::try_from(i64::MAX).unwrap() + 1)));
    assert!(with("large", json!(u64::MAX)));
    assert!(!with("large", json!(-1)));
    assert!(with("huge", json!(-1.0e30)));
    assert!(!with("huge", json!(2f64.powi(127))));
    assert!(with("vast", json!(1.0e38)));
    assert!(!with("vast", json!(2f64.powi(128))));
    assert!(!with("vast", json!(-1)));
    let blob = &doc["$defs"]["Wide"]["properties"]["blob"];
    assert_eq!(blob["contentEncoding"], "base64", "{blob}");
}

#[test]
fn errors_name_the_file_line_and_item() {
    let dir = std::env::temp_dir().join(format!("signalr-codegen-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("c.rs");
    std::fs::write(
        &file,
        "#[signalr::hub_contract]\npub trait Hub {\n    async fn put(&self, x: Missing);\n}\n",
    )
    .unwrap();
    let errors = signalr_codegen::read(&file).unwrap_err();
    let text = errors[0].to_string();
    assert!(
        text.starts_with(&format!(
            "{}:3:14: `Hub::put` uses the type `Missing`",
            file.display()
        )),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "cli")]
#[test]
fn the_cli_writes_and_checks() {
    let dir = std::env::temp_dir().join(format!("signalr-codegen-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("contract.schema.json");
    let bin = env!("CARGO_BIN_EXE_signalr-codegen");
    let contract = repo("examples/src/conformance.rs");
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let o = out.to_str().unwrap();
    let c = contract.to_str().unwrap();
    assert!(run(&["schema", c, "-o", o]).status.success());
    assert!(run(&["schema", c, "-o", o, "--check"]).status.success());
    std::fs::write(&out, "{}").unwrap();
    let stale = run(&["schema", c, "-o", o, "--check"]);
    assert!(!stale.status.success());
    assert!(String::from_utf8_lossy(&stale.stderr).contains("contract.schema.json: differs"));
    let help = run(&["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("schema"));
    let _ = std::fs::remove_dir_all(&dir);
}
