//! TypeScript for `@microsoft/signalr`: one module per contract file.
//!
//! - Every DTO a contract reaches becomes an `interface` (structs) or a `type` (newtypes,
//!   tuples, enums as unions of their wire forms), with the wire names serde writes.
//! - A server contract `Chat` becomes `ChatProxy`, a class over the package's
//!   `HubConnection`: one method per hub method (`invoke`, or `stream` for streams, with an
//!   `AsyncIterable` adapter), upload streams taken as any `AsyncIterable` or the package's
//!   `Subject`, a trailing `AbortSignal` where the Rust method takes a `CancellationToken`,
//!   and `send` for fire-and-forget calls of unit methods.
//! - A client contract `ChatClient` becomes the interface `ChatClient` (what the page
//!   implements; client results may be values or promises) and
//!   `ChatClientReceiver.register(connection, impl)`, which returns a handle whose
//!   `dispose()` removes every handler. Cancellation markers become `AbortSignal`s that the
//!   server can abort.
//!
//! Types follow what each protocol's decoder really returns: `Binary` is a base64 string
//! under JSON and a `Uint8Array` under MessagePack; serde_bytes containers are number
//! arrays under JSON; 64-bit integers are `number` (what `JSON.parse` and the MessagePack
//! decoder return; exact up to `Number.MAX_SAFE_INTEGER`). A construct TypeScript cannot
//! describe honestly is an error naming the item.
//!
//! With [`Dialect::SignalArrr`] the same proxies and receivers speak SignalARRR over the
//! package's `HubConnection`: every call is a `ClientRequestMessage` (`Method` the
//! `Interface|Method` wire name, `Arguments`, `Authorization`) sent to the fixed hub
//! methods `InvokeMessageResult` (calls with a result, and unit calls awaited),
//! `SendMessage` (fire-and-forget) and `StreamMessage` (streams); a proxy given a
//! credential also answers the server's `ChallengeAuthentication` with it. A receiver
//! answers the server's `InvokeServerRequest` (with a client result) and
//! `InvokeServerMessage` by routing the `ServerRequestMessage`'s `Method` (wire or plain
//! name, any case) to the implementation; the receivers of a connection share one route
//! table, so each call reaches exactly one of them. A message carrying a `StreamId` asks for
//! a stream: the method's array (or async iterable) result goes back item by item
//! (`StreamItemToServer`, then `StreamCompleteToServer` with the error's text if it
//! failed). Upload streams cannot tunnel and are an error in that dialect.
//!
//! Names never collide: a DTO named like a TypeScript keyword, a
//! predefined or global type the module uses, or a helper type (`HubStream`, `Upload`,
//! `Registration`, `JsonValue`) is written with `_` appended (the helper yields to the
//! DTO); a method named `constructor`, or like the proxy's `connection` and `send`, and a
//! parameter named like a reserved word or like a name the generated code uses there, are
//! renamed the same way. The module's private helpers start with `$`, which no Rust name
//! can.

mod hubs;
mod names;
mod types;

use std::collections::BTreeMap;

use askama::Template;

use crate::names::Scope;
use crate::source::SourceError;
use crate::walk::walk;
use crate::{Contracts, Protocol};
use hubs::{HubNames, TsHubs};
use names::{MODULE_RESERVED, RESERVED_WORDS};
use types::Cx;

/// How to generate TypeScript.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The hub protocol the connection uses; it decides how bytes are typed.
    pub protocol: Protocol,
    /// How calls travel over the connection.
    pub dialect: Dialect,
}

/// How the generated proxies and receivers travel over a SignalR connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dialect {
    /// Plain SignalR: each hub method is its own target (ASP.NET Core hubs, this
    /// project's servers).
    #[default]
    Core,
    /// SignalARRR: calls tunnel through its fixed hub methods as `ClientRequestMessage`s,
    /// the server's calls arrive as `ServerRequestMessage`s.
    SignalArrr,
}

// ---------------------------------------------------------------------------------------
// The view model the templates render
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ts/client.ts", escape = "none")]
struct File {
    source: String,
    notes: Vec<&'static str>,
    type_imports: Vec<&'static str>,
    helpers: Helpers,
    types: Vec<TypeDecl>,
    proxies: Vec<Proxy>,
    receivers: Vec<Receiver>,
    uses: Uses,
}

/// The exported helper types, as named in the module (each yields to a DTO of its name).
#[derive(Debug, Clone)]
pub(crate) struct Helpers {
    pub(crate) hub_stream: String,
    pub(crate) upload: String,
    pub(crate) registration: String,
    pub(crate) json_value: String,
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Uses {
    pub(crate) json_value: bool,
    pub(crate) stream: bool,
    pub(crate) upload: bool,
    pub(crate) abort: bool,
    pub(crate) receivers: bool,
    /// The `$Handlers` registry (plain receivers, and cancellation markers).
    pub(crate) handlers: bool,
    pub(crate) markers: bool,
    /// SignalARRR's `ClientRequestMessage` builder (proxies).
    pub(crate) requests: bool,
    /// SignalARRR's per-connection router of `ServerRequestMessage`s (receivers).
    pub(crate) routes: bool,
    pub(crate) partial: bool,
    pub(crate) int64: bool,
    pub(crate) bytes: bool,
    pub(crate) serde_bytes: bool,
}

pub(crate) enum TypeDecl {
    /// `export interface Name { fields }`, or with flattened types
    /// `export type Name = { fields } & A & B;`.
    Object {
        docs: String,
        name: String,
        fields: Vec<FieldDecl>,
        flattened: Vec<String>,
    },
    /// `export type Name = T;` or a union, one member per line.
    Alias {
        docs: String,
        name: String,
        members: Vec<Member>,
    },
}

pub(crate) struct FieldDecl {
    pub(crate) docs: String,
    pub(crate) key: String,
    pub(crate) optional: bool,
    pub(crate) ty: String,
}

pub(crate) struct Member {
    pub(crate) docs: String,
    pub(crate) ty: String,
}

pub(crate) struct Proxy {
    pub(crate) docs: String,
    pub(crate) name: String,
    pub(crate) send_name: String,
    pub(crate) send_type: String,
    pub(crate) connection: String,
    pub(crate) methods: Vec<ProxyMethod>,
    pub(crate) sends: Vec<ProxyMethod>,
    /// Whether calls tunnel through SignalARRR (the proxy takes a credential source).
    pub(crate) signalarrr: bool,
}

pub(crate) struct ProxyMethod {
    pub(crate) docs: String,
    pub(crate) name: String,
    pub(crate) params: String,
    pub(crate) ret: String,
    pub(crate) body: String,
}

pub(crate) struct Receiver {
    pub(crate) docs: String,
    pub(crate) name: String,
    pub(crate) receiver: String,
    pub(crate) methods: Vec<ReceiverMethod>,
    pub(crate) markers: bool,
    /// Whether the server's calls arrive through SignalARRR's `InvokeServerRequest` and
    /// `InvokeServerMessage`.
    pub(crate) signalarrr: bool,
}

/// A member's name in an interface: `new` quoted, since a bare `new(...)` there declares a
/// construct signature, not a method.
fn signature_name(name: &str) -> String {
    if name == "new" {
        names::string_literal(name)
    } else {
        name.to_owned()
    }
}

impl ProxyMethod {
    fn signature_name(&self) -> String {
        signature_name(&self.name)
    }
}

impl ReceiverMethod {
    fn signature_name(&self) -> String {
        signature_name(&self.name)
    }
}

pub(crate) struct ReceiverMethod {
    pub(crate) docs: String,
    pub(crate) name: String,
    pub(crate) params: String,
    pub(crate) ret: String,
    pub(crate) names: String,
    pub(crate) handler: String,
}

/// Names every DTO, hub item and exported helper in the module's one scope: DTOs first,
/// then what each hub generates, then the helpers.
fn module_names(contracts: &Contracts) -> (BTreeMap<String, String>, Vec<HubNames>, Helpers) {
    let mut module = Scope::new(RESERVED_WORDS.iter().chain(&MODULE_RESERVED).copied());
    let mut types = BTreeMap::new();
    for def in contracts.reachable_types() {
        let ts = module.claim(&def.name);
        types.insert(def.name.clone(), ts);
    }
    let hubs = contracts
        .hubs
        .iter()
        .map(|hub| HubNames::claim(&hub.contract, &mut module))
        .collect();
    let helpers = Helpers {
        hub_stream: module.claim("HubStream"),
        upload: module.claim("Upload"),
        registration: module.claim("Registration"),
        json_value: module.claim("JsonValue"),
    };
    (types, hubs, helpers)
}

/// The TypeScript module for every contract of `contracts`.
pub fn generate(contracts: &Contracts, options: &Options) -> Result<String, Vec<SourceError>> {
    let (type_names, hub_names, helpers) = module_names(contracts);
    let mut cx = Cx {
        contracts,
        protocol: options.protocol,
        uses: Uses::default(),
        type_names,
        helpers: helpers.clone(),
    };
    let mut errors = Vec::new();
    let mut types = Vec::new();
    for def in contracts.reachable_types() {
        match cx.type_decl(def) {
            Ok(t) => types.push(t),
            Err(e) => errors.push(contracts.type_location(&def.name).error(format!(
                "`{}` cannot be written in TypeScript: {e}",
                def.name
            ))),
        }
    }
    let signalarrr = options.dialect == Dialect::SignalArrr;
    let mut emitter = TsHubs::new(&mut cx, hub_names, signalarrr);
    let (proxies, receivers) = match walk(contracts, &mut emitter) {
        Ok(built) => built,
        Err(e) => {
            errors.extend(e);
            (Vec::new(), Vec::new())
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let uses = cx.uses;
    let mut notes = vec![match options.protocol {
        Protocol::Json => "For the JSON hub protocol (the package's default).",
        Protocol::MessagePack => {
            "For the MessagePack hub protocol (@microsoft/signalr-protocol-msgpack)."
        }
    }];
    match options.protocol {
        Protocol::Json => {
            if uses.bytes {
                notes.push("`Binary` values are base64 strings.");
            }
            if uses.serde_bytes {
                notes.push("serde_bytes values are arrays of numbers, as serde_json writes them.");
            }
        }
        Protocol::MessagePack => {
            if uses.bytes || uses.serde_bytes {
                notes.push("Bytes are `Uint8Array` (MessagePack `bin`).");
            }
        }
    }
    if signalarrr {
        notes.push(
            "For SignalARRR endpoints: calls tunnel through InvokeMessageResult, SendMessage",
        );
        notes.push("and StreamMessage; the server's calls arrive as InvokeServerRequest and");
        notes.push("InvokeServerMessage.");
    }
    if uses.int64 {
        notes.push("64-bit integers are `number`, as the protocol decoders return them:");
        notes.push("exact up to Number.MAX_SAFE_INTEGER (2^53 - 1).");
    }
    let mut type_imports = vec!["HubConnection"];
    if uses.stream || uses.upload {
        type_imports.extend(["IStreamResult", "IStreamSubscriber", "ISubscription"]);
    }
    let source = contracts
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = File {
        source,
        notes,
        type_imports,
        helpers,
        types,
        proxies,
        receivers,
        uses,
    };
    file.render().map(|text| crate::tidy(&text)).map_err(|e| {
        vec![SourceError::file(
            &contracts.root,
            format!("template error: {e}"),
        )]
    })
}
