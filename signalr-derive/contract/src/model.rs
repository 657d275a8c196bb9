//! The validated description of a hub contract: plain data, the same for the macro and the
//! code generator, comparable and serializable.

use serde::{Deserialize, Serialize};

/// Who implements a contract's methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    /// The server implements the methods; clients call them (`#[hub_contract]`).
    Server,
    /// Clients implement the methods; the server calls them (`#[hub_contract(client)]`).
    Client,
}

/// One hub contract: a trait of methods and their wire names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubContract {
    /// The Rust trait's name.
    pub name: String,
    /// The interface half of `Interface|Method` wire names.
    pub interface: String,
    /// Who implements the methods.
    pub side: Side,
    /// Whether wire names are plain method names (for stock ASP.NET Core hubs).
    pub plain: bool,
    /// The trait's doc comment, line by line.
    pub docs: Vec<String>,
    /// The methods, in declaration order.
    pub methods: Vec<Method>,
}

/// One method of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    /// The Rust name.
    pub name: String,
    /// The name callers send: `Interface|Method`, or the plain name in plain mode.
    pub wire_name: String,
    /// The plain method name, which dispatch also accepts.
    pub plain_name: String,
    /// The doc comment, line by line.
    pub docs: Vec<String>,
    /// Whether the Rust method is `async`.
    pub is_async: bool,
    /// The parameters, in order (including those not sent on the wire).
    pub params: Vec<Param>,
    /// What the method returns.
    pub output: Output,
}

impl Method {
    /// The parameters sent as arguments, in order.
    pub fn wire_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.kind == ParamKind::Value)
    }

    /// The upload-stream parameters, in order.
    pub fn upload_params(&self) -> impl Iterator<Item = &Param> {
        self.params.iter().filter(|p| p.kind == ParamKind::Upload)
    }
}

/// What a parameter is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ParamKind {
    /// An argument value.
    Value,
    /// An upload stream (`UploadStream<T>`): a stream id, then items.
    Upload,
    /// A `CancellationToken`: not sent as a value from client to server; sent as a
    /// cancellation marker `{"Id":"..."}` from server to client.
    Cancellation,
    /// The server-side `Caller` context: never on the wire.
    Caller,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Param {
    /// The Rust name.
    pub name: String,
    /// What it is on the wire.
    pub kind: ParamKind,
    /// The value type (the item type for uploads), as Rust source; empty for markers.
    pub ty: String,
}

/// The shape of a method's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutputKind {
    /// Nothing.
    Unit,
    /// One value.
    Value,
    /// A stream of values (`HubStream<T>`), server to client.
    Stream,
}

/// What a method returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Unit, value or stream.
    pub kind: OutputKind,
    /// The value or item type as Rust source; empty for unit.
    pub ty: String,
    /// Whether the method returns `Result<_, HubError>`.
    pub fallible: bool,
}
