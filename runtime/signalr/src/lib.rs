//! Typed SignalR hubs and clients from one Rust contract.
//!
//! Write the hub once as a trait, annotate it with [`hub_contract`], and serve it, call it
//! from Rust, and generate its TypeScript and C# clients from the same file: every side
//! uses the same wire names and payload shapes, because they all come from the contract.
//! Underneath, the server and the client speak the SignalR hub protocol as ASP.NET Core and
//! the official clients do, so stock SignalR clients and servers work with them too.
//!
//! # The workflow
//!
//! ## 1. The contract
//!
//! A server contract (`#[hub_contract]`) lists the methods clients call on the hub; a client
//! contract (`#[hub_contract(client)]`) lists the methods the hub calls on clients. Types
//! that travel derive serde's `Serialize` and `Deserialize`. Keep the contract in a file of
//! its own (here `src/chat.rs`), so `signalr-codegen` can read it.
//!
//! ```
//! // src/chat.rs
//! use serde::{Deserialize, Serialize};
//! use signalr::{Caller, HubError, HubStream, hub_contract};
//!
//! /// One chat message.
//! #[derive(Debug, Clone, Serialize, Deserialize)]
//! pub struct Message {
//!     pub from: String,
//!     pub text: String,
//! }
//!
//! /// What clients call on the server.
//! #[hub_contract]
//! pub trait Chat {
//!     /// Sends `text` to everyone (the `Caller` is the server's; clients do not send it).
//!     async fn send_message(&self, text: String, caller: Caller) -> Result<(), HubError>;
//!     /// The last `count` messages, streamed.
//!     fn history(&self, count: u32) -> HubStream<Message>;
//! }
//!
//! /// What the server calls on clients.
//! #[hub_contract(client)]
//! pub trait ChatClient {
//!     async fn receive(&self, message: Message);
//! }
//! # fn main() {}
//! ```
//!
//! On the wire the methods are `Chat|SendMessage`, `Chat|History` and `ChatClient|Receive`
//! (or `SendMessage`, ... with `#[hub_contract(plain)]`); the server also accepts the plain
//! name, case-insensitively. The macro generates, next to the trait:
//!
//! - `ChatDispatch::hub(implementation)`: the server-side [`Hub`](server::Hub) that binds
//!   every argument and calls the implementation;
//! - `ChatProxy::new(connection)`: the Rust client's typed calls over a
//!   [`HubConnection`](client::HubConnection);
//! - `ChatClientReceiver::register(&connection, implementation)`: the Rust client's
//!   handlers for what the server calls;
//! - `ChatClientProxy::new(caller.clients.all())`: the server's typed calls on one client,
//!   a group, or everyone.
//!
//! ## 2. The server
//!
//! Implement the contract, wrap it in a [`HubServer`](server::HubServer), mount it in an
//! axum router (beside the application's own routes, under its layers, with any state:
//! [`RouterExt::hub`](server::RouterExt::hub)), and serve it with [`server::serve`] (or
//! `axum::serve`).
//!
//! ```no_run
//! # use serde::{Deserialize, Serialize};
//! # use signalr::{Caller, HubError, HubStream, hub_contract};
//! # #[derive(Debug, Clone, Serialize, Deserialize)]
//! # pub struct Message { pub from: String, pub text: String }
//! # #[hub_contract]
//! # pub trait Chat {
//! #     async fn send_message(&self, text: String, caller: Caller) -> Result<(), HubError>;
//! #     fn history(&self, count: u32) -> HubStream<Message>;
//! # }
//! # #[hub_contract(client)]
//! # pub trait ChatClient {
//! #     async fn receive(&self, message: Message);
//! # }
//! use signalr::server::{HubServer, RouterExt};
//!
//! #[derive(Default)]
//! struct ChatHub {
//!     messages: std::sync::Mutex<Vec<Message>>,
//! }
//!
//! impl Chat for ChatHub {
//!     async fn send_message(&self, text: String, caller: Caller) -> Result<(), HubError> {
//!         if text.is_empty() {
//!             // The caller's invocation fails with this message.
//!             return Err(HubError::new("Say something."));
//!         }
//!         let message = Message { from: caller.connection_id.to_string(), text };
//!         if let Ok(mut messages) = self.messages.lock() {
//!             messages.push(message.clone());
//!         }
//!         ChatClientProxy::new(caller.clients.all()).receive(message)
//!     }
//!
//!     fn history(&self, count: u32) -> HubStream<Message> {
//!         let messages = self.messages.lock().map(|m| m.clone()).unwrap_or_default();
//!         let skip = messages.len().saturating_sub(count as usize);
//!         signalr::hub_stream(futures_util::stream::iter(messages.into_iter().skip(skip)))
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let server = HubServer::new(ChatDispatch::hub(ChatHub::default()));
//!     let app = axum::Router::new()
//!         .route("/", axum::routing::get(|| async { "a chat server" }))
//!         .hub("/hubs/chat", &server);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//!     let handle = server.clone();
//!     signalr::server::serve(listener, app)
//!         .with_graceful_shutdown(async move {
//!             let _ = tokio::signal::ctrl_c().await;
//!             handle.shutdown().await; // every client gets a Close
//!         })
//!         .await
//! }
//! ```
//!
//! [`HubServer::builder`](server::HubServer::builder) adds options, authentication,
//! authorization policies, hub filters and a scale-out backplane (`signalr-redis`).
//!
//! ## 3. The Rust client
//!
//! Build a [`HubConnection`](client::HubConnection), register the client contract's
//! receiver before starting it, and call the hub through the proxy: arguments and results
//! are typed, a stream is a [`Stream`](futures_util::Stream) of results.
//!
//! ```no_run
//! # use serde::{Deserialize, Serialize};
//! # use signalr::{Caller, HubError, HubStream, hub_contract};
//! # #[derive(Debug, Clone, Serialize, Deserialize)]
//! # pub struct Message { pub from: String, pub text: String }
//! # #[hub_contract]
//! # pub trait Chat {
//! #     async fn send_message(&self, text: String, caller: Caller) -> Result<(), HubError>;
//! #     fn history(&self, count: u32) -> HubStream<Message>;
//! # }
//! # #[hub_contract(client)]
//! # pub trait ChatClient {
//! #     async fn receive(&self, message: Message);
//! # }
//! use futures_util::StreamExt;
//! use signalr::client::{HubConnectionBuilder, Protocol};
//!
//! struct Screen;
//!
//! impl ChatClient for Screen {
//!     async fn receive(&self, message: Message) {
//!         println!("{}: {}", message.from, message.text);
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let connection = HubConnectionBuilder::new("http://127.0.0.1:5000/hubs/chat")
//!         .protocol(Protocol::MessagePack)
//!         .with_automatic_reconnect()
//!         .build();
//!     let _receiver = ChatClientReceiver::register(&connection, Screen);
//!     connection.start().await?;
//!
//!     let chat = ChatProxy::new(connection.clone());
//!     chat.send_message("hello".into()).await?;
//!     let mut history = chat.history(10);
//!     while let Some(message) = history.next().await {
//!         let message = message?;
//!         println!("earlier, {}: {}", message.from, message.text);
//!     }
//!     connection.stop().await;
//!     Ok(())
//! }
//! ```
//!
//! The client negotiates and falls back from WebSockets to Server-Sent Events to long
//! polling as the official clients do; [`HubConnectionBuilder`](client::HubConnectionBuilder)
//! chooses transports, access tokens, stateful reconnect and timeouts.
//!
//! ## 4. TypeScript and C# clients
//!
//! `signalr-codegen` reads the same contract file (and the files its `mod` items name)
//! through the same contract model as the macro:
//!
//! ```sh
//! cargo install signalr-codegen
//! signalr-codegen ts src/chat.rs -o web/src/chat.ts            # for @microsoft/signalr
//! signalr-codegen ts src/chat.rs --protocol messagepack -o web/src/chat.ts
//! signalr-codegen cs src/chat.rs --namespace Chat.Client -o Chat.cs
//! signalr-codegen schema src/chat.rs -o chat.schema.json      # JSON Schema 2020-12
//! signalr-codegen asyncapi src/chat.rs -o chat.asyncapi.json  # AsyncAPI 3.0
//! signalr-codegen ts src/chat.rs -o web/src/chat.ts --check   # CI: fails if stale
//! ```
//!
//! ```ts
//! import { ChatProxy, ChatClientReceiver } from "./chat";
//!
//! ChatClientReceiver.register(connection, {
//!   receive: (m) => console.log(`${m.from}: ${m.text}`),
//! });
//! await connection.start();
//! await new ChatProxy(connection).sendMessage("hello");
//! ```
//!
//! The same generators are a library for `build.rs` (`signalr-codegen` with
//! `default-features = false`, without the command line's dependencies).
//!
//! # The contract in detail
//!
//! Wire names are `Interface|Method` (the trait's name and the method's name in
//! PascalCase), or plain method names with `#[hub_contract(plain)]`; `name = "..."` renames
//! the interface and `#[hub(name = "...")]` a method. Dispatch always accepts the plain name
//! too, case-insensitively.
//!
//! Method shapes: `async fn m(&self, ..)` returning `()`, a value, or `Result<T, HubError>`;
//! `fn m(&self, ..) -> HubStream<T>` streams to the caller; an `UploadStream<T>` parameter
//! receives a stream from the caller; a [`CancellationToken`] parameter fires when the caller
//! cancels (it is not sent as a value); a [`Caller`] parameter gives a server method its
//! caller, the other clients and the groups.
//!
//! Authorization (checked by the server, ASP.NET Core's `[Authorize]`): `#[hub(authorize)]`,
//! `#[hub(authorize(roles = "admin, ops"))]` (or `roles = ["admin", "ops"]`) and
//! `#[hub(authorize(policy = "adults"))]` on the trait (every connection must satisfy it)
//! and on methods (the caller must satisfy it) become [`Requirement`]s of the generated
//! hub. Write `#[hub(...)]` below `#[hub_contract]`, which reads and removes it.
//!
//! Names: any name works, keywords included (`async fn r#type` is `Interface|Type` on the
//! wire). The proxies' own `new`, `connection` and `CONTRACT` give way to hub methods of
//! those names; [`HubProxy`] always reaches them. `#[hub_contract(crate = "path")]` names
//! the facade for generated code when it is renamed or re-exported.
//!
//! The layers are re-exported: [`protocol`] (sans-io), [`server`] (axum), [`client`] (tokio).

pub use signalr_derive::hub_contract;
pub use signalr_hub_client as client;
pub use signalr_protocol as protocol;
pub use signalr_protocol::Binary;
pub use signalr_server as server;
pub use signalr_server::{
    Caller, CancellationToken, HubError, HubStream, Requirement, UploadStream, hub_stream,
};

/// What every proxy `#[hub_contract]` generates has, whatever the contract's methods are
/// named: the inherent `new`, `connection` and `CONTRACT` of a proxy give way to a hub
/// method of the same name, these never do.
pub trait HubProxy {
    /// What the proxy calls through: a client
    /// [`HubConnection`](client::HubConnection) for a server contract, the server's handle
    /// on one client or a set of clients for a client contract.
    type Target;

    /// The contract as data (the same model `signalr-codegen` reads), as JSON.
    const CONTRACT: &'static str;

    /// A proxy over `target`.
    fn from_target(target: Self::Target) -> Self;

    /// What the proxy calls through.
    fn target(&self) -> &Self::Target;
}

#[doc(hidden)]
pub mod __private {
    //! What generated code uses. Not a stable API.

    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex, PoisonError};
    use std::task::{Context, Poll};

    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub use futures_util::Stream;
    pub use signalr_hub_client::{
        ClientError, ClientStream, HubClient, HubConnection, HubStream as ClientHubStream, RawCall,
        Subscription,
    };
    pub use signalr_protocol::{
        ArgumentBinder, Arguments, ArgumentsWriter, BindError, IntoArguments, Payload, Protocol,
        SerializeError,
    };
    pub use signalr_server::{Call, ClientProxy, Hub, MethodKind, Reply, SingleClientProxy};

    use crate::{CancellationToken, HubError, HubStream};

    /// Types that can be an argument, item or result on the wire.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot travel as a SignalR argument, item or result",
        label = "this type must implement `serde::Serialize` and `serde::de::DeserializeOwned`",
        note = "derive `serde::Serialize` and `serde::Deserialize` for it, or use a type that has them"
    )]
    pub trait WireType: Serialize + DeserializeOwned {}

    impl<T: Serialize + DeserializeOwned> WireType for T {}

    /// Error types a fallible hub method may return.
    #[diagnostic::on_unimplemented(
        message = "the error type `{Self}` of a hub method must convert into `HubError`",
        label = "return `Result<T, HubError>` here, or implement `From<{Self}> for HubError`",
        note = "the caller receives the `HubError`'s message (`HubError::new(text)`)"
    )]
    pub trait IntoHubError {
        /// The error as a `HubError`.
        fn into_hub_error(self) -> HubError;
    }

    impl<E: Into<HubError>> IntoHubError for E {
        fn into_hub_error(self) -> HubError {
            self.into()
        }
    }

    /// A hub method's error as a `HubError` (generated code spans it at the error type).
    pub fn into_hub_error<E: IntoHubError>(error: E) -> HubError {
        error.into_hub_error()
    }

    /// Types a hub stream can carry: items are produced on any task.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be a stream item: hub streams run on any thread",
        label = "the items of `HubStream<T>` must be `Send + 'static`",
        note = "use an item type without `Rc`, `RefCell` references, raw pointers or borrowed data"
    )]
    pub trait StreamItem: Send + 'static {}

    impl<T: Send + 'static> StreamItem for T {}

    /// Arguments encoded by a closure once the protocol is known. Generated code builds its
    /// arguments with [`push`], whose `WireType` bound gives a readable error for a type
    /// that cannot travel.
    pub struct ArgsFn<F>(pub F);

    impl<F> std::fmt::Debug for ArgsFn<F> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("ArgsFn")
        }
    }

    /// Encodes `n` arguments with `f` (which pushes each with [`push`]).
    pub fn encode(
        protocol: Protocol,
        n: usize,
        f: impl FnOnce(&mut ArgumentsWriter) -> Result<(), SerializeError>,
    ) -> Result<Arguments<'static>, SerializeError> {
        let mut writer = Arguments::writer(protocol, n);
        f(&mut writer)?;
        Ok(writer.finish())
    }

    impl<F: Fn(Protocol) -> Result<Arguments<'static>, SerializeError>> IntoArguments for ArgsFn<F> {
        fn to_arguments(&self, protocol: Protocol) -> Result<Arguments<'static>, SerializeError> {
            (self.0)(protocol)
        }
    }

    /// Encodes one argument.
    pub fn push<T: WireType>(
        writer: &mut ArgumentsWriter,
        value: &T,
    ) -> Result<(), SerializeError> {
        writer.push(value)
    }

    /// Binds the next argument.
    pub fn next_arg<'a, T: WireType>(binder: &mut ArgumentBinder<'a>) -> Result<T, BindError> {
        binder.next_arg::<T>()
    }

    /// A server method's reply value.
    pub fn reply<T: WireType>(call: &Call, value: &T) -> Result<Reply, HubError> {
        call.reply(value)
    }

    /// A client method's result value.
    pub fn serialize<T: WireType>(
        protocol: Protocol,
        value: &T,
    ) -> Result<Payload<'static>, SerializeError> {
        Payload::serialize(protocol, value)
    }

    /// An upload stream for a proxy call.
    pub fn upload<T: WireType + Send + 'static>(
        items: impl Stream<Item = T> + Send + 'static,
    ) -> ClientStream {
        ClientStream::new(items)
    }

    /// A proxy call to a streaming method.
    pub fn stream<T: WireType>(
        connection: &impl HubClient,
        method: &str,
        args: Result<Arguments<'static>, SerializeError>,
        uploads: Vec<ClientStream>,
    ) -> ClientHubStream<T> {
        ClientHubStream::from_payloads(
            connection.stream_raw(method, RawCall::new(args).with_streams(uploads)),
        )
    }

    /// A server-to-client call that waits for the client's result.
    pub async fn invoke_client<T: WireType>(
        target: &SingleClientProxy,
        method: &str,
        args: &(dyn IntoArguments + Sync),
        cancellation: &CancellationToken,
    ) -> Result<T, HubError> {
        target.invoke::<T>(method, args, cancellation).await
    }

    /// A call's result bound to `T`; a void result binds like `null`.
    fn bind_result<T: WireType>(
        protocol: Protocol,
        value: Option<Payload<'static>>,
    ) -> Result<T, ClientError> {
        let value = match value {
            Some(v) => v,
            None => Payload::serialize(protocol, &())?,
        };
        Ok(value.bind::<T>()?)
    }

    /// A proxy call: an invocation with optional upload streams.
    pub fn invoke<T: WireType + Send + 'static>(
        connection: &impl HubClient,
        method: &str,
        args: Result<Arguments<'static>, SerializeError>,
        uploads: Vec<ClientStream>,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + 'static {
        let protocol = connection.protocol();
        let call = connection.invoke_raw(method, RawCall::new(args).with_streams(uploads), None);
        async move { bind_result(protocol, call.await?) }
    }

    /// A proxy call whose cancellation token cancels the invocation (CancelInvocation on
    /// an ASP.NET Core connection).
    pub fn invoke_cancellable<T: WireType + Send + 'static>(
        connection: &impl HubClient,
        method: &str,
        args: Result<Arguments<'static>, SerializeError>,
        uploads: Vec<ClientStream>,
        cancellation: CancellationToken,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + 'static {
        let protocol = connection.protocol();
        let call = connection.invoke_raw(
            method,
            RawCall::new(args).with_streams(uploads),
            Some(cancellation),
        );
        async move { bind_result(protocol, call.await?) }
    }

    /// The cancellation marker a server-to-client call carries in a `CancellationToken`
    /// parameter's argument slot (SignalARRR's wire format).
    #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
    pub struct CancellationMarker {
        /// The id the server will name in `CancelTokenFromServer`.
        #[serde(rename = "Id")]
        pub id: String,
    }

    impl CancellationMarker {
        /// A marker with a new id.
        pub fn new() -> Self {
            CancellationMarker {
                id: uuid::Uuid::new_v4().to_string(),
            }
        }
    }

    impl Default for CancellationMarker {
        fn default() -> Self {
            Self::new()
        }
    }

    /// The client method through which the server cancels a token it sent as a marker.
    pub const CANCEL_TOKEN_FROM_SERVER: &str = "CancelTokenFromServer";

    /// Stops watching a token when dropped (the call it belonged to has ended).
    #[derive(Debug)]
    pub struct CancelWatch(CancellationToken);

    impl Drop for CancelWatch {
        fn drop(&mut self) {
            self.0.cancel();
        }
    }

    /// Until the returned guard is dropped: if `token` fires, tells the client to cancel the
    /// token behind `marker` (`CancelTokenFromServer` with its id as `CancellationGuid`).
    pub fn watch_cancellation(
        target: &SingleClientProxy,
        marker: &CancellationMarker,
        token: &CancellationToken,
    ) -> CancelWatch {
        let done = CancellationToken::new();
        let (target, id, token, stop) = (
            target.clone(),
            marker.id.clone(),
            token.clone(),
            done.clone(),
        );
        tokio::spawn(async move {
            tokio::select! {
                // A call cancelled by its token ends at once and drops the guard too: the
                // token must win that race so the client hears of the cancellation.
                biased;
                () = token.cancelled() => {
                    let request = serde_json::json!({
                        "Id": uuid::Uuid::new_v4().to_string(),
                        "Method": CANCEL_TOKEN_FROM_SERVER,
                        "Arguments": [],
                        "CancellationGuid": id,
                    });
                    let _ = target.send(CANCEL_TOKEN_FROM_SERVER, &(request,));
                }
                () = stop.cancelled() => {}
            }
        });
        CancelWatch(done)
    }

    /// The tokens a client's receivers handed to running handlers, by marker id.
    #[derive(Debug, Clone, Default)]
    pub struct ReceiverTokens(
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, CancellationToken>>>,
    );

    impl ReceiverTokens {
        /// A token for the marker `id`, cancelled when the server cancels it or the
        /// connection closes.
        pub fn register(&self, id: &str) -> CancellationToken {
            let token = CancellationToken::new();
            if let Ok(mut m) = self.0.lock() {
                m.insert(id.to_owned(), token.clone());
            }
            token
        }

        /// Forgets a marker whose handler has returned.
        pub fn remove(&self, id: &str) {
            if let Ok(mut m) = self.0.lock() {
                m.remove(id);
            }
        }

        fn cancel(&self, id: &str) {
            let token = self.0.lock().ok().and_then(|mut m| m.remove(id));
            if let Some(t) = token {
                t.cancel();
            }
        }

        fn cancel_all(&self) {
            let tokens: Vec<_> = match self.0.lock() {
                Ok(mut m) => m.drain().map(|(_, t)| t).collect(),
                Err(_) => Vec::new(),
            };
            for t in tokens {
                t.cancel();
            }
        }
    }

    /// Handles `CancelTokenFromServer` for a receiver's tokens; the connection closing
    /// cancels them all.
    pub fn register_cancel_handler<C: HubClient>(
        connection: &C,
        tokens: &ReceiverTokens,
    ) -> Subscription {
        #[derive(serde::Deserialize)]
        struct Request {
            #[serde(rename = "CancellationGuid")]
            cancellation_guid: Option<String>,
        }
        let on_close = tokens.clone();
        connection.on_close(move |_| on_close.cancel_all());
        let tokens = tokens.clone();
        connection.on_raw(CANCEL_TOKEN_FROM_SERVER, move |args: Arguments<'static>| {
            if let Some(id) = args
                .binder(1)
                .ok()
                .and_then(|mut b| b.next_arg::<Request>().ok())
                .and_then(|r| r.cancellation_guid)
            {
                tokens.cancel(&id);
            }
            async { Ok(None) }
        })
    }

    /// A result stream that ends when `cancellation` fires. The cancellation reaches the
    /// server at once (CancelInvocation, so the hub method's token fires), whether or not
    /// the stream is polled or dropped: a task watches the token and drops the call.
    pub fn cancellable_stream<T: WireType + Send + 'static>(
        items: ClientHubStream<T>,
        cancellation: CancellationToken,
    ) -> CancellableStream<T> {
        let items = Arc::new(Mutex::new(Some(items)));
        let done = CancellationToken::new();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (slot, token, stop) = (Arc::clone(&items), cancellation.clone(), done.clone());
            runtime.spawn(async move {
                tokio::select! {
                    () = token.cancelled() => drop(take(&slot)),
                    () = stop.cancelled() => {}
                }
            });
        }
        CancellableStream {
            items,
            cancelled: Box::pin(cancellation.cancelled_owned()),
            done,
        }
    }

    /// Takes the call out of its slot (dropping it, outside the lock, sends
    /// CancelInvocation if it has not ended).
    fn take<T>(slot: &Mutex<Option<ClientHubStream<T>>>) -> Option<ClientHubStream<T>> {
        slot.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// The proxy's result stream for a method that takes a `CancellationToken`: the
    /// items, until the server completes the stream or the token fires.
    pub struct CancellableStream<T> {
        items: Arc<Mutex<Option<ClientHubStream<T>>>>,
        cancelled: Pin<Box<tokio_util::sync::WaitForCancellationFutureOwned>>,
        /// Stops the watching task once the stream has ended or is dropped.
        done: CancellationToken,
    }

    impl<T> std::fmt::Debug for CancellableStream<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("CancellableStream")
                .field("cancelled", &self.done.is_cancelled())
                .finish_non_exhaustive()
        }
    }

    impl<T: WireType> Stream for CancellableStream<T> {
        type Item = Result<T, ClientError>;

        fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            let this = self.get_mut();
            if this.cancelled.as_mut().poll(cx).is_ready() {
                drop(take(&this.items));
                this.done.cancel();
                return Poll::Ready(None);
            }
            let mut slot = this.items.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(items) = slot.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(items).poll_next(cx) {
                Poll::Ready(None) => {
                    let ended = slot.take();
                    drop(slot);
                    drop(ended);
                    this.done.cancel();
                    Poll::Ready(None)
                }
                other => other,
            }
        }
    }

    impl<T> Drop for CancellableStream<T> {
        fn drop(&mut self) {
            self.done.cancel();
        }
    }

    /// A server method's stream of values, encoded in the caller's protocol.
    pub fn stream_reply<T: WireType + StreamItem>(
        protocol: Protocol,
        items: HubStream<T>,
    ) -> Reply {
        Reply::Stream(Box::pin(futures_util::StreamExt::map(items, move |item| {
            item.and_then(|v| Payload::serialize(protocol, &v).map_err(HubError::from))
        })))
    }
}
