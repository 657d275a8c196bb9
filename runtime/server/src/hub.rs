//! A hub: its methods, how a call reaches them, and what they answer.
//!
//! Generated code (from `#[hub_contract]`) and hand-written servers build a [`Hub`] the same
//! way: one [`MethodHandler`] per method, registered under its wire name.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use serde::Serialize;
use signalr_protocol::{ArgumentBinder, Arguments, BindError, Payload, Protocol, SerializeError};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clients::{Clients, Groups};

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
/// A boxed, sendable stream.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send + 'static>>;

/// Why a hub method failed.
///
/// A [`HubError::Hub`] passes its message to the caller, as ASP.NET Core's `HubException`
/// does; any other failure reaches the caller as the generic text only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// An error meant for the caller: its message is sent.
    #[error("{0}")]
    Hub(String),
    /// The arguments did not bind to the method's parameters.
    #[error("{0}")]
    Binding(#[from] BindError),
    /// Any other failure; the caller sees only the generic text (or this with detailed errors).
    #[error("{0}")]
    Internal(String),
}

impl HubError {
    /// An error whose message the caller sees (ASP.NET Core's `HubException`).
    pub fn new(message: impl Into<String>) -> Self {
        HubError::Hub(message.into())
    }

    /// A failure whose details stay on the server unless detailed errors are on.
    pub fn internal(message: impl fmt::Display) -> Self {
        HubError::Internal(message.to_string())
    }
}

impl From<SerializeError> for HubError {
    fn from(e: SerializeError) -> Self {
        HubError::Internal(e.to_string())
    }
}

/// What a method answers.
pub enum Reply {
    /// Nothing (a void method).
    Void,
    /// One value, already encoded in the caller's protocol.
    Value(Payload<'static>),
    /// A stream of values, each encoded in the caller's protocol.
    Stream(BoxStream<Result<Payload<'static>, HubError>>),
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Void => f.write_str("Void"),
            Reply::Value(p) => f.debug_tuple("Value").field(p).finish(),
            Reply::Stream(_) => f.write_str("Stream(..)"),
        }
    }
}

/// Whether a method answers with one value or a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// Invoked with an Invocation; answers with one Completion.
    Unary,
    /// Invoked with a StreamInvocation; answers with StreamItems and a Completion.
    Stream,
}

/// Who is calling and where to reach everyone else.
#[derive(Clone)]
pub struct Caller {
    /// The public id of the calling connection.
    pub connection_id: Arc<str>,
    /// The user the authentication layer set, if any.
    pub user: Option<Arc<str>>,
    /// The caller's protocol: replies are encoded in it.
    pub protocol: Protocol,
    /// Proxies to every connected client.
    pub clients: Clients,
    /// Group membership.
    pub groups: Groups,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("connection_id", &self.connection_id)
            .field("user", &self.user)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

/// A stream of results a hub method sends to its caller, item by item.
pub type HubStream<T> = BoxStream<Result<T, HubError>>;

/// Turns any stream of values into a [`HubStream`].
pub fn hub_stream<T: Send + 'static>(
    items: impl Stream<Item = T> + Send + 'static,
) -> HubStream<T> {
    Box::pin(futures_util::StreamExt::map(items, Ok))
}

/// One upload stream a caller sends to a method (`streamIds`): its items, raw.
#[derive(Debug)]
pub struct RawUploadStream {
    pub(crate) rx: mpsc::Receiver<Result<Payload<'static>, HubError>>,
}

/// One upload stream a caller sends to a method, its items bound to `T`.
///
/// It ends when the caller completes the stream; an item that does not bind, or a
/// completion with an error, comes out as an `Err` item.
#[derive(Debug)]
pub struct UploadStream<T> {
    raw: RawUploadStream,
    item: std::marker::PhantomData<fn() -> T>,
}

impl<T> From<RawUploadStream> for UploadStream<T> {
    fn from(raw: RawUploadStream) -> Self {
        UploadStream {
            raw,
            item: std::marker::PhantomData,
        }
    }
}

impl<T: serde::de::DeserializeOwned> UploadStream<T> {
    /// The next item; `None` when the caller completed the stream.
    pub async fn next(&mut self) -> Option<Result<T, HubError>> {
        self.raw.next::<T>().await
    }
}

impl<T: serde::de::DeserializeOwned> Stream for UploadStream<T> {
    type Item = Result<T, HubError>;

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.raw
            .rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.and_then(|p| p.bind::<T>().map_err(HubError::from))))
    }
}

impl RawUploadStream {
    /// The next item, `None` when the caller completed the stream; an error if the caller
    /// completed it with one.
    pub async fn next_raw(&mut self) -> Option<Result<Payload<'static>, HubError>> {
        self.rx.recv().await
    }

    /// The next item bound to `T`.
    pub async fn next<T: serde::de::DeserializeOwned>(&mut self) -> Option<Result<T, HubError>> {
        Some(match self.rx.recv().await? {
            Ok(p) => p.bind::<T>().map_err(HubError::from),
            Err(e) => Err(e),
        })
    }
}

/// One call of a hub method.
#[derive(Debug)]
pub struct Call {
    /// The caller.
    pub caller: Caller,
    /// The target as the caller sent it.
    pub target: String,
    /// The arguments, raw, in the caller's protocol.
    pub arguments: Arguments<'static>,
    /// The upload streams, in the order of the method's stream parameters.
    pub streams: Vec<RawUploadStream>,
    /// Fires when the caller cancels the invocation or disconnects.
    pub cancellation: CancellationToken,
}

impl Call {
    /// Starts binding the arguments to `n` parameters.
    pub fn bind(&self, n: usize) -> Result<ArgumentBinder<'_>, HubError> {
        Ok(self.arguments.binder(n)?)
    }

    /// Encodes `value` as this call's reply.
    pub fn reply<T: Serialize + ?Sized>(&self, value: &T) -> Result<Reply, HubError> {
        Ok(Reply::Value(Payload::serialize(
            self.caller.protocol,
            value,
        )?))
    }

    /// Takes the next upload stream.
    pub fn take_stream(&mut self) -> Result<RawUploadStream, HubError> {
        if self.streams.is_empty() {
            return Err(HubError::Binding(BindError::Value {
                message: "the method expects an upload stream the caller did not send".into(),
            }));
        }
        Ok(self.streams.remove(0))
    }
}

/// The code behind one hub method.
pub type MethodHandler = Arc<dyn Fn(Call) -> BoxFuture<Result<Reply, HubError>> + Send + Sync>;

/// One method of a hub.
#[derive(Clone)]
pub struct HubMethod {
    pub(crate) name: String,
    pub(crate) kind: MethodKind,
    pub(crate) upload_streams: usize,
    pub(crate) handler: MethodHandler,
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
    /// What every connection must satisfy (checked when it connects).
    pub(crate) requirements: Vec<Requirement>,
    /// What the caller of a method must satisfy, by lower-cased method name.
    method_requirements: HashMap<String, Vec<Requirement>>,
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
            name: name.to_owned(),
            kind,
            upload_streams,
            handler,
        };
        let key = name.to_lowercase();
        match self.index.get(&key) {
            Some(&i) => self.methods[i] = entry,
            None => {
                self.index.insert(key, self.methods.len());
                self.methods.push(entry);
            }
        }
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

    /// The requirements of the method named `name` (as registered).
    pub(crate) fn method_requirements(&self, name: &str) -> &[Requirement] {
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

    /// The method a target names: the plain name or `Interface|Name`, case-insensitively.
    pub fn resolve(&self, target: &str) -> Option<&HubMethod> {
        let name = match target.split_once('|') {
            Some((iface, name)) => {
                let matches = self
                    .interface
                    .as_deref()
                    .is_some_and(|i| i.eq_ignore_ascii_case(iface));
                if !matches {
                    return None;
                }
                name
            }
            None => target,
        };
        let i = if name.chars().any(char::is_uppercase) {
            *self.index.get(&name.to_lowercase())?
        } else {
            *self.index.get(name)?
        };
        self.methods.get(i)
    }
}
