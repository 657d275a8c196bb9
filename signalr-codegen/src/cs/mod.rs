//! C# for `Microsoft.AspNetCore.SignalR.Client`: one file per contract file, for the JSON
//! hub protocol (System.Text.Json, the connection's default).
//!
//! What a contract becomes:
//!
//! - A server contract `Chat` becomes the interface `IChat` and the class `ChatProxy`, built
//!   over a `HubConnection` (started or not). Every hub method is `{Name}Async`: a `Task`
//!   (`InvokeCoreAsync`), a `Task<T>` for a value, or an `IAsyncEnumerable<T>` for a stream
//!   (`StreamAsyncCore`). Upload streams are `IAsyncEnumerable<T>` parameters, which the
//!   connection turns into stream ids; a unit method also gets `Send{Name}Async`
//!   (`SendCoreAsync`, fire-and-forget). Every method ends with `CancellationToken
//!   cancellationToken = default`; the Rust side's `CancellationToken` and `Caller`
//!   parameters are never sent by a client, so they are not parameters here.
//! - A client contract `ChatClient` becomes the interface `IChatClient` that the program
//!   implements (`Task`, or `Task<T>` for a client result) and `ChatClientReceiver.Register(
//!   connection, receiver)`, which registers every method under its wire name and, when it
//!   differs, its plain name (the Rust server may send either) and returns an `IDisposable`
//!   that removes them all. A `CancellationToken` parameter arrives as a marker
//!   `{"Id": "..."}` in its argument slot and is handed to the method as a
//!   `CancellationToken` that `CancelTokenFromServer` (or the connection closing or
//!   reconnecting) cancels.
//! - Wire names are exactly the contract's ([`signalr_contract::Method::wire_name`]).
//!
//! With [`Dialect::SignalArrr`] (the same option as the TypeScript generator's) the proxies
//! and receivers speak SignalARRR: every call is one `ClientRequestMessage` (`Method` the
//! `Interface|Method` wire name, `Arguments`, `Authorization` from the proxy's optional
//! credential source) sent to the fixed hub methods `InvokeMessageResult` (every awaited
//! call), `SendMessage` (`Send{Name}Async`) and `StreamMessage` (streams); a proxy given a
//! credential also answers the server's `ChallengeAuthentication` with it (one handler per
//! connection, the latest credential wins). A receiver answers the server's
//! `InvokeServerRequest` (its value is the client result) and `InvokeServerMessage` by
//! routing the `ServerRequestMessage`'s `Method` (wire or plain name, any case) to the
//! implementation, each argument read from its slot; the receivers of a connection share
//! one route table (one handler per target), so each call reaches exactly one of them. A
//! message carrying a `StreamId` asks for a stream: the method's list result goes back
//! element by element (`StreamItemToServer`, then `StreamCompleteToServer` with the error's
//! message if it failed). Upload streams cannot tunnel and are an error in that dialect.
//!
//! DTOs follow what serde writes, with every JSON name spelled out (`[JsonPropertyName]`,
//! `[JsonStringEnumMemberName]`), so the connection's naming policy never applies:
//!
//! - A struct is a `sealed record` with `init` properties (PascalCase names). A field every
//!   serialized value has and deserialization needs is `required`; any other field is
//!   nullable, and when `null` is not a value Rust accepts for it (it is not an `Option`)
//!   it is left out when null (`JsonIgnoreCondition.WhenWritingNull`), so the server's
//!   default applies. A `#[serde(flatten)]` struct (or `Option` of one) contributes its
//!   fields as the record's own properties; a flattened map of `serde_json::Value` is
//!   `[JsonExtensionData]`.
//! - A newtype or `#[serde(transparent)]` struct is written as its content, so it has no
//!   C# type: its content's type stands for it everywhere (the header lists them).
//! - A unit-only enum (serde's default representation) is a C# `enum` with
//!   `JsonStringEnumConverter<T>` and a `[JsonStringEnumMemberName]` per member.
//! - An internally tagged enum (`#[serde(tag)]`) is an abstract record with
//!   `[JsonPolymorphic]` and one nested `sealed record` per variant (`[JsonDerivedType]`);
//!   a newtype variant holding a struct gets that struct's fields, as serde merges them. An
//!   adjacently tagged enum (`tag` and `content`) is the same with one property, named after
//!   the content key, holding the content (a nested `Fields` record for a struct variant).
//!   The connection serializes arguments, upload items and client results as their runtime
//!   type, which would leave the discriminator out, so those values are written through
//!   their declared base type first (a `JsonElement`).
//! - Types: `bool`; `sbyte`..`long`, `Int128`, `byte`..`ulong`, `UInt128`; `float`,
//!   `double`; `string` (also `char`); `byte[]` for `signalr::Binary` (base64, as
//!   System.Text.Json writes `byte[]`); `IReadOnlyList<byte>` for serde_bytes containers
//!   and `Vec<u8>` (serde_json writes numbers); `Guid`; `DateTimeOffset`; `T?` for
//!   `Option<T>`; `IReadOnlyList<T>`; `IReadOnlyDictionary<K, V>` for maps with string,
//!   integer, uuid or unit-enum keys; `JsonElement` for `serde_json::Value`.
//!
//! What System.Text.Json cannot carry with attributes alone is an error naming the item
//! (`file:line:col: ... cannot be represented in C#: why`), never a silent `object`:
//! tuples and tuple structs and tuple variants (JSON arrays of mixed types), `()` and unit
//! structs (always `null`), externally tagged enums with data (`{"Variant": content}`) and
//! untagged enums (no discriminator to read), other flattened fields, a field or variant
//! whose serialized and deserialized names differ, and names C# refuses or that the file
//! itself uses. A `JsonConverter` per type could carry the arrays and the other enum
//! representations, but the generated code stays within declarations System.Text.Json
//! interprets itself. (`tests/contracts/dtos.rs` uses several of these, so its C# golden is
//! the exact error list; `tests/contracts/csharp_dtos.rs` keeps everything C# carries.)
//!
//! Names: records, enums and variants keep their Rust names, properties and methods are
//! PascalCase, parameters camelCase (`@` before a C# keyword). Inside a polymorphic record a
//! variant's name hides a namespace type of the same name, so such a type is written
//! `global::Namespace.Name` there.

mod hubs;
mod names;
mod types;

use std::collections::BTreeMap;

use askama::Template;

use crate::Contracts;
use crate::names::Scope;
use crate::source::SourceError;
use crate::walk::walk;
use hubs::{CsHubs, HubNames};
use names::{KEYWORDS, RESERVED_TYPES, escape, is_identifier};
use types::{Cx, newtype_notes};

pub use crate::ts::Dialect;

/// How to generate C#.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace of the generated types.
    pub namespace: String,
    /// How calls travel over the connection.
    pub dialect: Dialect,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            namespace: "SignalR.Contracts".to_owned(),
            dialect: Dialect::Core,
        }
    }
}

/// Lines of text, without indentation (the templates indent them).
pub(crate) type Lines = Vec<String>;

#[derive(Template)]
#[template(path = "cs/client.cs", escape = "none")]
struct File {
    pub(crate) source: String,
    pub(crate) notes: Vec<String>,
    pub(crate) usings: Vec<&'static str>,
    pub(crate) namespace: String,
    pub(crate) types: Vec<TypeDecl>,
    pub(crate) proxies: Vec<Proxy>,
    pub(crate) receivers: Vec<Receiver>,
    pub(crate) uses: Uses,
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Uses {
    /// `JsonElement` or `JsonSerializer` appear.
    pub(crate) json: bool,
    /// Any System.Text.Json attribute appears.
    pub(crate) attributes: bool,
    /// A C# enum (needs System.Text.Json 9 for `JsonStringEnumMemberName`).
    pub(crate) enums: bool,
    /// `DeclaredJson.Of`.
    pub(crate) declared: bool,
    /// `DeclaredJson.Items`.
    pub(crate) declared_items: bool,
    /// A receiver.
    pub(crate) receivers: bool,
    /// A receiver with cancellation markers.
    pub(crate) markers: bool,
    /// A receiver registered by hub method name (`HubRegistration.On`/`OnResult`).
    pub(crate) handlers: bool,
    /// SignalARRR's `ClientRequestMessage` (proxies).
    pub(crate) requests: bool,
    /// SignalARRR's routing of `ServerRequestMessage`s (receivers).
    pub(crate) routes: bool,
}

pub(crate) enum TypeDecl {
    /// `public sealed record Name { properties }`.
    Record {
        docs: Lines,
        name: String,
        props: Vec<Prop>,
    },
    /// `public enum Name { members }` written as strings.
    Enum {
        docs: Lines,
        name: String,
        members: Vec<EnumMember>,
    },
    /// `public abstract record Name` with one nested record per variant.
    Union {
        docs: Lines,
        name: String,
        tag: String,
        variants: Vec<VariantDecl>,
    },
}

pub(crate) struct Prop {
    pub(crate) docs: Lines,
    pub(crate) attrs: Vec<String>,
    pub(crate) decl: String,
}

pub(crate) struct EnumMember {
    pub(crate) docs: Lines,
    pub(crate) wire: String,
    pub(crate) name: String,
}

pub(crate) struct VariantDecl {
    pub(crate) docs: Lines,
    pub(crate) name: String,
    pub(crate) wire: String,
    pub(crate) props: Vec<Prop>,
    /// The record holding a struct variant's fields (adjacently tagged enums).
    pub(crate) fields: Option<(String, Vec<Prop>)>,
}

pub(crate) struct Proxy {
    pub(crate) docs: Lines,
    pub(crate) interface: String,
    pub(crate) class: String,
    pub(crate) methods: Vec<ProxyMethod>,
    /// Whether calls tunnel through SignalARRR (the proxy takes a credential source).
    pub(crate) signalarrr: bool,
}

pub(crate) struct ProxyMethod {
    pub(crate) docs: Lines,
    pub(crate) signature: String,
    pub(crate) body: String,
}

pub(crate) struct Receiver {
    pub(crate) docs: Lines,
    pub(crate) interface: String,
    pub(crate) class: String,
    /// Whether a method returns a client result.
    pub(crate) results: bool,
    /// Whether a method takes a `CancellationToken`.
    pub(crate) markers: bool,
    pub(crate) methods: Vec<ReceiverMethod>,
    /// Whether the server's calls arrive through SignalARRR's `InvokeServerRequest` and
    /// `InvokeServerMessage`.
    pub(crate) signalarrr: bool,
}

pub(crate) struct ReceiverMethod {
    pub(crate) docs: Lines,
    pub(crate) signature: String,
    /// The registration statement, line by line (continuation lines carry their own
    /// indentation relative to the statement).
    pub(crate) register: Lines,
}

/// Whether `namespace` is a dotted C# namespace name.
fn is_namespace(namespace: &str) -> bool {
    namespace
        .split('.')
        .all(|part| is_identifier(part) && !KEYWORDS.contains(&part))
}

/// The C# file for every contract of `contracts`.
pub fn generate(contracts: &Contracts, options: &Options) -> Result<String, Vec<SourceError>> {
    if !is_namespace(&options.namespace) {
        return Err(vec![SourceError::file(
            &contracts.root,
            format!("`{}` is not a C# namespace name", options.namespace),
        )]);
    }
    let reachable = contracts.reachable_types();
    // One scope for every type the namespace declares: DTOs first (C# keywords escaped
    // with `@`, framework and helper names yielding `_`), then what the hubs generate.
    let mut namespace = Scope::new(RESERVED_TYPES);
    let mut type_names = BTreeMap::new();
    for def in &reachable {
        let name = namespace.claim(&def.name);
        type_names.insert(def.name.clone(), escape(&name));
    }
    let hub_names = contracts
        .hubs
        .iter()
        .map(|hub| HubNames::claim(&hub.contract, &mut namespace))
        .collect();
    let mut cx = Cx {
        contracts,
        namespace: &options.namespace,
        uses: Uses::default(),
        type_names,
        shadowed: Vec::new(),
    };
    let mut errors = Vec::new();
    let mut types = Vec::new();
    for def in &reachable {
        let location = contracts.type_location(&def.name);
        match cx.type_decl(def) {
            Ok(Some(t)) => types.push(t),
            Ok(None) => {}
            Err(e) => errors
                .push(location.error(format!("`{}` cannot be represented in C#: {e}", def.name))),
        }
    }
    let signalarrr = options.dialect == Dialect::SignalArrr;
    let mut emitter = CsHubs::new(&mut cx, hub_names, signalarrr);
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
    let mut notes =
        vec!["For the JSON hub protocol: the types carry System.Text.Json attributes.".to_owned()];
    notes.push(if uses.enums {
        "Needs C# 11 and System.Text.Json 9 (JsonStringEnumMemberName) or later.".to_owned()
    } else {
        "Needs C# 11 or later.".to_owned()
    });
    if signalarrr {
        notes.push(
            "For SignalARRR endpoints: calls tunnel through InvokeMessageResult, SendMessage"
                .to_owned(),
        );
        notes.push(
            "and StreamMessage; the server's calls arrive as InvokeServerRequest and".to_owned(),
        );
        notes.push("InvokeServerMessage.".to_owned());
    }
    notes.extend(newtype_notes(&mut cx, &reachable));
    let mut usings = vec!["System", "System.Collections.Generic"];
    // `EnumeratorCancellation`; `ConditionalWeakTable` (SignalARRR's per-connection state).
    if uses.declared_items || uses.requests || uses.routes {
        usings.push("System.Runtime.CompilerServices");
    }
    if uses.json || uses.routes {
        usings.push("System.Text.Json");
    }
    if uses.attributes || uses.markers || uses.requests || uses.routes {
        usings.push("System.Text.Json.Serialization");
    }
    usings.extend([
        "System.Threading",
        "System.Threading.Tasks",
        "Microsoft.AspNetCore.SignalR.Client",
    ]);
    let source = contracts
        .root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file = File {
        source,
        notes,
        usings,
        namespace: options.namespace.clone(),
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
