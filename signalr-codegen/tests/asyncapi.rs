//! The AsyncAPI 3.0 generator: the committed documents of the examples are current, every
//! hub method is a channel at its wire name with the operation the hub receives or sends,
//! and the payload schemas (draft 07) accept what the JSON protocol carries and refuse the
//! rest. That @asyncapi/parser accepts the documents is checked by `scripts/typescript`.

#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{golden, repo};

fn document(rel: &str) -> Value {
    let contracts = signalr_codegen::read(&repo(rel)).unwrap_or_else(|e| panic!("{e:?}"));
    signalr_codegen::asyncapi::generate(&contracts, &Default::default())
}

#[test]
fn committed_documents_are_current() {
    for (contract, file) in [
        (
            "examples/src/conformance.rs",
            "examples/conformance/contract.asyncapi.json",
        ),
        ("examples/src/chat.rs", "examples/chat/chat.asyncapi.json"),
    ] {
        let contracts = signalr_codegen::read(&repo(contract)).unwrap();
        golden(
            file,
            &signalr_codegen::asyncapi::to_string(&contracts, &Default::default()),
        );
    }
}

#[test]
fn every_method_is_a_channel_and_an_operation() {
    let doc = document("tests/contracts/shapes.rs");
    assert_eq!(doc["asyncapi"], "3.0.0");
    let channels = doc["channels"].as_object().unwrap();
    let operations = doc["operations"].as_object().unwrap();
    assert_eq!(channels.len(), 13, "10 server methods and 3 client methods");
    assert_eq!(operations.len(), channels.len());
    assert_eq!(
        doc["channels"]["Shapes_Renamed"]["address"],
        "Shapes|Renamed"
    );
    // The hub receives what clients call, and sends what it calls on clients.
    assert_eq!(doc["operations"]["Shapes_Echo"]["action"], "receive");
    assert_eq!(doc["operations"]["ShapesClient_Answer"]["action"], "send");
    // A value is the reply's completion, a stream its items, a unit method has no reply.
    assert_eq!(
        doc["operations"]["Shapes_Echo"]["reply"]["messages"],
        json!([{"$ref": "#/channels/Shapes_Echo/messages/completion"}])
    );
    assert_eq!(
        doc["operations"]["Shapes_Count"]["reply"]["messages"],
        json!([{"$ref": "#/channels/Shapes_Count/messages/streamItem"}])
    );
    assert!(doc["operations"]["Shapes_Hello"].get("reply").is_none());
    // Each upload stream has its message, sent with the invocation.
    assert_eq!(
        doc["operations"]["Shapes_Dot"]["messages"],
        json!([
            {"$ref": "#/channels/Shapes_Dot/messages/invocation"},
            {"$ref": "#/channels/Shapes_Dot/messages/upload0"},
            {"$ref": "#/channels/Shapes_Dot/messages/upload1"},
        ])
    );
    // Hubs are tags.
    assert_eq!(
        doc["components"]["tags"]["Shapes"]["x-signalr-interface"],
        "Shapes"
    );
}

/// A validator for a message's payload, with the document's schemas.
fn payload(doc: &Value, message: &str) -> jsonschema::Validator {
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "components": {"schemas": doc["components"]["schemas"]},
        "allOf": [doc["components"]["messages"][message]["payload"]],
    });
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn payloads_accept_what_the_json_protocol_carries() {
    let doc = document("examples/src/conformance.rs");
    let echo_person = payload(&doc, "Conformance_EchoPerson.invocation");
    assert!(echo_person.is_valid(&json!([{"name": "Ada", "age": 36, "tags": []}])));
    assert!(!echo_person.is_valid(&json!([{"name": "Ada", "tags": []}])));
    assert!(!echo_person.is_valid(&json!([])));
    let result = payload(&doc, "Conformance_EchoPerson.completion");
    assert!(result.is_valid(&json!({"name": "Ada", "age": 37, "tags": ["x"], "nickname": null})));
    let counter = payload(&doc, "Conformance_Counter.streamItem");
    assert!(counter.is_valid(&json!(3)));
    assert!(!counter.is_valid(&json!("3")));
    let sum = payload(&doc, "Conformance_Sum.upload0");
    assert!(sum.is_valid(&json!(5)));
    assert!(!sum.is_valid(&json!(4_294_967_296_i64)));
}
