//! The validated description of a hub contract: the same data for the macro, the
//! generated dispatch and every generator, comparable and serializable.
//!
//! Every parameter and result carries its type twice, resolved once: as written in Rust
//! ([`TypeUse::rust`]) and as its wire shape ([`TypeUse::wire`]). The syntax the model was
//! built from is kept beside the data ([`Origin`]), for spans and for the macro's output;
//! it is not part of the data (serde skips it, equality ignores it).

use std::fmt;

use proc_macro2::Span;
use serde::{Deserialize, Serialize};

use crate::types::TypeRef;

/// The syntax a part of the model was built from, when it was built from syntax: for
/// spans (errors, source locations) and for the macro, which emits the user's own tokens.
///
/// Not part of the data: serde skips it, every origin equals every other, and a model read
/// back from JSON has none.
#[derive(Clone)]
pub struct Origin<T>(Option<T>);

impl<T> Origin<T> {
    /// The origin `syntax`.
    pub fn new(syntax: T) -> Self {
        Origin(Some(syntax))
    }

    /// The syntax, if the model was built from syntax.
    pub fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<T> Default for Origin<T> {
    fn default() -> Self {
        Origin(None)
    }
}

impl<T> PartialEq for Origin<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Origin<T> {}

impl<T> fmt::Debug for Origin<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Origin(..)"
        } else {
            "Origin(none)"
        })
    }
}

/// Who implements a contract's methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    /// The server implements the methods; clients call them (`#[hub_contract]`).
    Server,
    /// Clients implement the methods; the server calls them (`#[hub_contract(client)]`).
    Client,
}

/// What the user behind a connection must satisfy (ASP.NET Core's `[Authorize]`):
/// `#[hub(authorize)]`, `#[hub(authorize(roles = "..."))]`, `#[hub(authorize(policy =
/// "..."))]`. Checked by the server; the model only carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Requirement {
    /// Any authenticated user.
    Authenticated,
    /// An authenticated user with at least one of these roles.
    AnyRole {
        /// The roles, in the order written.
        roles: Vec<String>,
    },
    /// An authenticated user the named policy accepts.
    Policy {
        /// The policy's name.
        name: String,
    },
}

impl Requirement {
    /// The requirement in words, for documentation: "an authenticated user", "an
    /// authenticated user in one of the roles admin, ops", "an authenticated user the
    /// policy `adults` accepts".
    pub fn describe(&self) -> String {
        match self {
            Requirement::Authenticated => "an authenticated user".to_owned(),
            Requirement::AnyRole { roles } if roles.len() == 1 => {
                format!("an authenticated user in the role {}", roles.join(""))
            }
            Requirement::AnyRole { roles } => format!(
                "an authenticated user in one of the roles {}",
                roles.join(", ")
            ),
            Requirement::Policy { name } => {
                format!("an authenticated user the policy `{name}` accepts")
            }
        }
    }
}

/// One hub contract: a trait of methods and their wire names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HubContract {
    /// The Rust trait's name (without `r#`).
    pub name: String,
    /// The interface half of `Interface|Method` wire names.
    pub interface: String,
    /// Who implements the methods.
    pub side: Side,
    /// Whether wire names are plain method names (for stock ASP.NET Core hubs).
    pub plain: bool,
    /// The trait's doc comment, line by line.
    pub docs: Vec<String>,
    /// What every connection must satisfy (`#[hub(authorize ...)]` on the trait); all of
    /// them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorize: Vec<Requirement>,
    /// The methods, in declaration order.
    pub methods: Vec<Method>,
    /// The trait's name as written.
    #[serde(skip)]
    pub origin: Origin<syn::Ident>,
}

impl HubContract {
    /// Where the trait is declared (its name), or the call site without an origin.
    pub fn span(&self) -> Span {
        self.origin
            .get()
            .map_or_else(Span::call_site, syn::Ident::span)
    }
}

/// One method of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Method {
    /// The Rust name (without `r#`).
    pub name: String,
    /// The name callers send: `Interface|Method`, or the plain name in plain mode.
    pub wire_name: String,
    /// The plain method name, which dispatch also accepts.
    pub plain_name: String,
    /// The doc comment, line by line.
    pub docs: Vec<String>,
    /// Whether the Rust method is `async`.
    pub is_async: bool,
    /// What the caller must satisfy (`#[hub(authorize ...)]` on the method); all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorize: Vec<Requirement>,
    /// The parameters, in order (including those not sent on the wire).
    pub params: Vec<Param>,
    /// What the method returns.
    pub output: Output,
    /// The method's name as written (`r#` kept).
    #[serde(skip)]
    pub origin: Origin<syn::Ident>,
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

    /// Whether the method takes a `CancellationToken`.
    pub fn is_cancellable(&self) -> bool {
        self.params
            .iter()
            .any(|p| p.kind == ParamKind::Cancellation)
    }

    /// Every name the method answers to, the wire name first (the plain name too, unless
    /// it is the wire name).
    pub fn accepted_names(&self) -> Vec<String> {
        let mut names = vec![self.wire_name.clone()];
        if self.plain_name != self.wire_name {
            names.push(self.plain_name.clone());
        }
        names
    }

    /// Where the method is declared (its name), or the call site without an origin.
    pub fn span(&self) -> Span {
        self.origin
            .get()
            .map_or_else(Span::call_site, syn::Ident::span)
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

/// A type as a contract uses it: as written, and its wire shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeUse {
    /// The type as written in Rust, compactly spaced (`Vec<String>`).
    pub rust: String,
    /// Its wire shape.
    pub wire: TypeRef,
    /// The type as written.
    #[serde(skip)]
    pub origin: Origin<syn::Type>,
}

impl TypeUse {
    /// Where the type is written, or the call site without an origin.
    pub fn span(&self) -> Span {
        self.origin
            .get()
            .map_or_else(Span::call_site, syn::spanned::Spanned::span)
    }
}

/// The syntax of a parameter.
#[derive(Debug, Clone)]
pub struct ParamSyntax {
    /// The name as written (`r#` kept).
    pub ident: syn::Ident,
    /// The whole type as written (`UploadStream<T>`, `CancellationToken`, ...).
    pub ty: syn::Type,
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Param {
    /// The Rust name (without `r#`).
    pub name: String,
    /// What it is on the wire.
    pub kind: ParamKind,
    /// The value type (the item type of an upload stream); `None` for markers.
    pub ty: Option<TypeUse>,
    /// The parameter as written.
    #[serde(skip)]
    pub origin: Origin<ParamSyntax>,
}

impl Param {
    /// The wire shape of the value (or upload item); `None` for markers.
    pub fn wire(&self) -> Option<&TypeRef> {
        self.ty.as_ref().map(|t| &t.wire)
    }

    /// Where the parameter's name is written, or the call site without an origin.
    pub fn span(&self) -> Span {
        self.origin
            .get()
            .map_or_else(Span::call_site, |s| s.ident.span())
    }
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

/// The error type of a fallible method (`Result<T, E>`): not on the wire (it becomes a
/// `HubError`), but its syntax is where a wrong error type is reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorType {
    /// The type as written, compactly spaced (`HubError`).
    pub rust: String,
    /// The type as written.
    #[serde(skip)]
    pub origin: Origin<syn::Type>,
}

/// What a method returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Unit, value or stream.
    pub kind: OutputKind,
    /// The value or stream item type; `None` for unit.
    pub ty: Option<TypeUse>,
    /// Whether the method returns `Result<_, E>`.
    pub fallible: bool,
    /// `E` of `Result<_, E>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorType>,
}

impl Output {
    /// The wire shape of the value or stream item; `None` for unit.
    pub fn wire(&self) -> Option<&TypeRef> {
        self.ty.as_ref().map(|t| &t.wire)
    }
}
