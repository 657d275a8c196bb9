//! A hub: its methods, how a call reaches them, and what the caller must satisfy.
//!
//! Generated code (from `#[hub_contract]`) and hand-written servers build a [`Hub`] the same
//! way: one [`MethodHandler`] per method, registered under its wire name.

mod call;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

pub use call::{
    BoxFuture, BoxStream, Call, HubStream, RawUploadStream, Reply, UploadStream, hub_stream,
};
pub(crate) use call::{UploadSender, upload_stream};

use crate::clients::Caller;
use crate::error::HubError;

/// Whether a method answers with one value or a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// Invoked with an Invocation; answers with one Completion.
    Unary,
    /// Invoked with a StreamInvocation; answers with StreamItems and a Completion.
    Stream,
}

/// The code behind one hub method.
pub type MethodHandler = Arc<dyn Fn(Call) -> BoxFuture<Result<Reply, HubError>> + Send + Sync>;

/// One method of a hub.
#[derive(Clone)]
pub struct HubMethod {
    pub(crate) name: Arc<str>,
    pub(crate) kind: MethodKind,
    pub(crate) upload_streams: usize,
    pub(crate) handler: MethodHandler,
}

impl HubMethod {
    /// The name the method was registered under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it answers with one value or a stream.
    pub fn kind(&self) -> MethodKind {
        self.kind
    }

    /// How many upload streams it takes.
    pub fn upload_streams(&self) -> usize {
        self.upload_streams
    }
}

impl fmt::Debug for HubMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubMethod")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("upload_streams", &self.upload_streams)
            .finish_non_exhaustive()
    }
}

/// Connection lifecycle hooks.
pub type ConnectionHook = Arc<dyn Fn(Caller) -> BoxFuture<()> + Send + Sync>;

/// What a connection's user must satisfy to connect to a hub or to invoke one of its
/// methods (ASP.NET Core's `[Authorize]`, `[Authorize(Roles = ..)]`,
/// `[Authorize(Policy = ..)]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Requirement {
    /// Any authenticated user.
    Authenticated,
    /// An authenticated user with at least one of these roles.
    AnyRole(Vec<String>),
    /// An authenticated user the named policy accepts (policies are registered on the
    /// server's builder; a name with no policy refuses everyone).
    Policy(String),
}

impl Requirement {
    /// Any authenticated user.
    pub fn authenticated() -> Self {
        Requirement::Authenticated
    }

    /// An authenticated user with at least one of `roles`.
    pub fn any_role(roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Requirement::AnyRole(roles.into_iter().map(Into::into).collect())
    }

    /// An authenticated user the policy named `name` accepts.
    pub fn policy(name: impl Into<String>) -> Self {
        Requirement::Policy(name.into())
    }
}

/// A hub: methods reachable by name (case-insensitively, and as `Interface|Method`).
#[derive(Clone, Default)]
pub struct Hub {
    pub(crate) interface: Option<String>,
    pub(crate) methods: Vec<HubMethod>,
    index: HashMap<String, usize>,
    /// The same, by the names as registered: most calls spell a name exactly, and then
    /// finding it costs no lower-casing.
    exact: HashMap<String, usize>,
    /// What every connection must satisfy (checked when it connects).
    pub(crate) requirements: Vec<Requirement>,
    /// What the caller of a method must satisfy, by lower-cased method name.
    method_requirements: HashMap<String, Vec<Requirement>>,
    /// The names of each method's parameters, by lower-cased method name.
    parameter_names: HashMap<String, Vec<String>>,
    pub(crate) on_connected: Option<ConnectionHook>,
    pub(crate) on_disconnected: Option<ConnectionHook>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("interface", &self.interface)
            .field("methods", &self.methods)
            .field("requirements", &self.requirements)
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub whose methods also answer to `interface|Method`.
    pub fn new(interface: impl Into<String>) -> Self {
        Hub {
            interface: Some(interface.into()),
            ..Hub::default()
        }
    }

    /// Adds a method. Names are unique case-insensitively: a second method with the same
    /// name replaces the first.
    pub fn method<F, Fut>(
        mut self,
        name: &str,
        kind: MethodKind,
        upload_streams: usize,
        handler: F,
    ) -> Self
    where
        F: Fn(Call) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Reply, HubError>> + Send + 'static,
    {
        let handler: MethodHandler = Arc::new(move |call| Box::pin(handler(call)));
        let entry = HubMethod {
            name: name.into(),
            kind,
            upload_streams,
            handler,
        };
        let key = name.to_lowercase();
        let i = match self.index.get(&key) {
            Some(&i) => {
                self.methods[i] = entry;
                i
            }
            None => {
                self.index.insert(key, self.methods.len());
                self.methods.push(entry);
                self.methods.len() - 1
            }
        };
        self.exact.insert(name.to_owned(), i);
        self
    }

    /// Adds a requirement every connection must satisfy: checked at negotiate and when the
    /// transport connects (401 for an anonymous user, 403 for one that does not satisfy it).
    pub fn require(mut self, requirement: Requirement) -> Self {
        self.requirements.push(requirement);
        self
    }

    /// Adds a requirement to the method named `name` (case-insensitively, before or after
    /// the method is added): a caller that does not satisfy it gets ASP.NET Core's
    /// "Failed to invoke 'X' because user is unauthorized", before its arguments are bound.
    pub fn require_method(mut self, name: &str, requirement: Requirement) -> Self {
        self.method_requirements
            .entry(name.to_lowercase())
            .or_default()
            .push(requirement);
        self
    }

    /// Names the parameters a caller passes to the method named `name` (case-insensitively),
    /// in order: for descriptions of the hub, such as the JavaScript proxies of a classic
    /// endpoint. Generated hubs name them all.
    pub fn parameters(mut self, name: &str, parameters: &[&str]) -> Self {
        self.parameter_names.insert(
            name.to_lowercase(),
            parameters.iter().map(|p| (*p).to_owned()).collect(),
        );
        self
    }

    /// The parameter names given for the method named `name`, if any.
    pub fn parameter_names(&self, name: &str) -> Option<&[String]> {
        self.parameter_names
            .get(&name.to_lowercase())
            .map(Vec::as_slice)
    }

    /// Every requirement the hub and its methods name.
    pub(crate) fn all_requirements(&self) -> impl Iterator<Item = &Requirement> {
        self.requirements
            .iter()
            .chain(self.method_requirements.values().flatten())
    }

    /// The requirements of the method named `name` (as registered).
    pub(crate) fn method_requirements(&self, name: &str) -> &[Requirement] {
        if self.method_requirements.is_empty() {
            return &[];
        }
        let found = if name.chars().any(char::is_uppercase) {
            self.method_requirements.get(&name.to_lowercase())
        } else {
            self.method_requirements.get(name)
        };
        found.map_or(&[], Vec::as_slice)
    }

    /// Runs `hook` when a connection has completed its handshake.
    pub fn on_connected<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Caller) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_connected = Some(Arc::new(move |c| Box::pin(hook(c))));
        self
    }

    /// Runs `hook` when a connection has ended.
    pub fn on_disconnected<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Caller) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_disconnected = Some(Arc::new(move |c| Box::pin(hook(c))));
        self
    }

    /// The method a target names: the plain name or `Interface|Name`, case-insensitively
    /// (the rule of [`signalr_protocol::names`], which the contract model shares).
    pub fn resolve(&self, target: &str) -> Option<&HubMethod> {
        let name = signalr_protocol::names::method_of(self.interface.as_deref(), target)?;
        if let Some(&i) = self.exact.get(name) {
            return self.methods.get(i);
        }
        let i = *self
            .index
            .get(signalr_protocol::names::key(name).as_ref())?;
        self.methods.get(i)
    }
}
