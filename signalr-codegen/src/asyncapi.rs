//! AsyncAPI 3.0 for a contract file, from the same model and schemas as the JSON Schema
//! ([`crate::schema`]), from the hub server's side:
//!
//! - every hub method is a channel whose address is its wire name (`Chat|SendMessage`), with
//!   its messages: the invocation (the `arguments` array), the completion's result (value
//!   methods), each stream item (stream methods) and each upload stream's items;
//! - every server method is an operation the hub `receive`s (clients call it), every
//!   client method one it `send`s (the server calls clients); a result or a stream is the
//!   operation's reply on the same channel;
//! - every hub is a tag (its interface name, docs and direction), on its channels and
//!   operations;
//! - authorization is `x-authorize` on the hub's tag and on the method's channel and
//!   operation, as in the JSON Schema;
//! - payloads are the AsyncAPI schema format (JSON Schema draft 07), the DTOs under
//!   `#/components/schemas`, as the JSON hub protocol writes them.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use signalr_contract::{HubContract, Method, OutputKind, Side};

use crate::Contracts;
use crate::authorize::extension;
use crate::names::Scope;
use crate::schema::{Dialect, describe, direction, method_parts, typedef_schema};

/// How to generate the AsyncAPI document.
#[derive(Debug, Clone)]
pub struct Options {
    /// `info.version`: the version of the API the document describes.
    pub version: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            version: "1.0.0".to_owned(),
        }
    }
}

/// An identifier AsyncAPI accepts as a channel, operation or component key
/// (`[A-Za-z0-9_-]`; anything else becomes `_`).
fn key(text: &str) -> String {
    let key: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if key.is_empty() { "_".to_owned() } else { key }
}

fn reference(path: &str) -> Value {
    json!({ "$ref": path })
}

/// A message of the channel `channel`, as a component named `{channel}.{name}`.
struct Messages<'a> {
    channel: &'a str,
    components: &'a mut Map<String, Value>,
    on_channel: Map<String, Value>,
}

impl Messages<'_> {
    /// Adds the message `name` with `payload`; the reference operations use.
    fn add(&mut self, name: &str, title: String, summary: &str, payload: Value) -> Value {
        let component = format!("{}.{name}", self.channel);
        self.components.insert(
            component.clone(),
            json!({
                "name": name,
                "title": title,
                "summary": summary,
                "contentType": "application/json",
                "payload": payload,
            }),
        );
        self.on_channel.insert(
            name.to_owned(),
            reference(&format!("#/components/messages/{component}")),
        );
        reference(&format!("#/channels/{}/messages/{name}", self.channel))
    }
}

/// The channel and operation of one method.
fn method(
    hub: &HubContract,
    m: &Method,
    channel: &str,
    components: &mut Map<String, Value>,
) -> (Value, Value) {
    let parts = method_parts(Dialect::AsyncApi, hub, m);
    let mut messages = Messages {
        channel,
        components,
        on_channel: Map::new(),
    };
    let title = format!("{}.{}", hub.name, m.name);
    let (caller, callee) = match hub.side {
        Side::Server => ("a client", "the hub"),
        Side::Client => ("the hub", "a client"),
    };
    let mut sent = vec![messages.add(
        "invocation",
        format!("{title}: invocation"),
        &format!(
            "{caller} invokes `{}`; the payload is its arguments",
            m.wire_name
        ),
        parts.arguments,
    )];
    if let Some(Value::Object(uploads)) = parts.uploads {
        // One message per upload stream: the items it carries.
        let items = uploads
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, item) in items.into_iter().enumerate() {
            sent.push(messages.add(
                &format!("upload{i}"),
                format!("{title}: upload stream {i}"),
                &format!("{caller} streams an item of upload stream {i} to {callee}"),
                item,
            ));
        }
    }
    let mut replies = Vec::new();
    if let Some(result) = parts.result {
        replies.push(messages.add(
            "completion",
            format!("{title}: completion"),
            &format!("{callee} completes the invocation; the payload is its result"),
            result,
        ));
    }
    if let Some(item) = parts.item {
        replies.push(messages.add(
            "streamItem",
            format!("{title}: stream item"),
            &format!("{callee} streams an item; the payload is the item"),
            item,
        ));
    }
    let tag = reference(&format!("#/components/tags/{}", key(&hub.name)));
    let mut channel_doc = json!({
        "address": m.wire_name,
        "title": title,
        "messages": messages.on_channel,
        "tags": [tag.clone()],
        "x-signalr-wire-name": m.wire_name,
        "x-signalr-plain-name": m.plain_name,
        "x-signalr-direction": direction(hub),
    });
    describe(&mut channel_doc, &m.docs);
    let mut operation = json!({
        "action": match hub.side {
            Side::Server => "receive",
            Side::Client => "send",
        },
        "channel": reference(&format!("#/channels/{channel}")),
        "title": title,
        "messages": sent,
        "tags": [tag],
    });
    describe(&mut operation, &m.docs);
    if !replies.is_empty() {
        operation["reply"] = json!({
            "channel": reference(&format!("#/channels/{channel}")),
            "messages": replies,
        });
    }
    if m.output.kind == OutputKind::Stream {
        operation["x-signalr-stream"] = json!(true);
    }
    if let Some(authorize) = extension(&m.authorize) {
        channel_doc["x-authorize"] = authorize.clone();
        operation["x-authorize"] = authorize;
    }
    (channel_doc, operation)
}

/// The AsyncAPI 3.0 document of every contract of `contracts`.
pub fn generate(contracts: &Contracts, options: &Options) -> Value {
    let mut schemas = BTreeMap::new();
    for def in &contracts.types {
        schemas.insert(def.name.clone(), typedef_schema(Dialect::AsyncApi, def));
    }
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut tags = Map::new();
    let mut keys = Scope::new([]);
    for hub in &contracts.hubs {
        let contract = &hub.contract;
        let mut tag = json!({
            "name": contract.name,
            "x-signalr-interface": contract.interface,
            "x-signalr-direction": direction(contract),
        });
        describe(&mut tag, &contract.docs);
        if let Some(authorize) = extension(&contract.authorize) {
            tag["x-authorize"] = authorize;
        }
        tags.insert(key(&contract.name), tag);
        for m in &contract.methods {
            let channel = keys.claim(&key(&format!("{}_{}", contract.name, m.plain_name)));
            let (channel_doc, operation) = method(contract, m, &channel, &mut messages);
            channels.insert(channel.clone(), channel_doc);
            operations.insert(channel, operation);
        }
    }
    let source = contracts
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hub_tags: Vec<Value> = tags
        .keys()
        .map(|k| reference(&format!("#/components/tags/{k}")))
        .collect();
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": format!("SignalR hubs of {source}"),
            "version": options.version,
            "description": "The hub methods of the contracts (each a channel named by its wire name) and the types they carry, as the JSON hub protocol writes them. Generated by signalr-codegen from the contract file.",
            "tags": hub_tags,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "tags": tags,
        },
    })
}

/// The AsyncAPI document as text (pretty-printed JSON, ending with a newline).
pub fn to_string(contracts: &Contracts, options: &Options) -> String {
    let mut text = serde_json::to_string_pretty(&generate(contracts, options)).unwrap_or_default();
    text.push('\n');
    text
}
