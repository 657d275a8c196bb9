//! Typed SignalR hubs and clients from one Rust contract.
//!
//! Write the hub once as a trait, annotate it with [`hub_contract`], and get:
//!
//! - for a server contract (`#[hub_contract]`, the methods clients call): `{Trait}Proxy`,
//!   which calls the hub over a client [`HubConnection`](client::HubConnection) with the
//!   exact wire names, and `{Trait}Dispatch::hub(implementation)`, the server-side
//!   [`Hub`](server::Hub) that binds every argument and calls the implementation;
//! - for a client contract (`#[hub_contract(client)]`, the methods the server calls on
//!   clients): `{Trait}Receiver::register(&connection, implementation)` on the client, and
//!   `{Trait}Proxy::new(caller.clients.group("a"))` on the server.
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
//! The layers are re-exported: [`protocol`] (sans-io), [`server`] (axum), [`client`] (tokio).

pub use signalr_client as client;
pub use signalr_derive::hub_contract;
pub use signalr_protocol as protocol;
pub use signalr_protocol::Binary;
pub use signalr_server as server;
pub use signalr_server::{
    Caller, CancellationToken, HubError, HubStream, UploadStream, hub_stream,
};

#[doc(hidden)]
pub mod __private {
    //! What generated code uses. Not a stable API.

    use std::future::Future;

    use serde::Serialize;
    use serde::de::DeserializeOwned;

    pub use futures_util::Stream;
    pub use signalr_client::{
        ClientError, ClientStream, HubConnection, HubStream as ClientHubStream, Subscription,
    };
    pub use signalr_protocol::{Arguments, IntoArguments, Payload, Protocol};
    pub use signalr_server::{Call, ClientProxy, Hub, MethodKind, Reply, SingleClientProxy};

    use crate::{CancellationToken, HubError, HubStream};

    /// Types that can be an argument, item or result on the wire.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot travel as a SignalR argument, item or result",
        label = "this type must implement `serde::Serialize` and `serde::de::DeserializeOwned`",
        note = "derive `serde::Serialize` and `serde::Deserialize` for it, or use a type that has them"
    )]
    pub trait WireType {}

    impl<T: Serialize + DeserializeOwned> WireType for T {}

    /// Fails to compile, at the type's span, when `T` cannot travel.
    pub const fn assert_wire_type<T: WireType + ?Sized>() {}

    /// A proxy call: an invocation with optional upload streams.
    pub fn invoke<T: DeserializeOwned + Send + 'static>(
        connection: &HubConnection,
        method: &str,
        args: impl IntoArguments,
        uploads: Vec<ClientStream>,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + 'static {
        connection.invoke_with_streams::<T>(method, args, uploads)
    }

    /// A proxy call whose cancellation token sends CancelInvocation.
    pub fn invoke_cancellable<T: DeserializeOwned + Send + 'static>(
        connection: &HubConnection,
        method: &str,
        args: impl IntoArguments,
        uploads: Vec<ClientStream>,
        cancellation: CancellationToken,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + 'static {
        connection.invoke_with_cancellation::<T>(method, args, uploads, cancellation)
    }

    /// A server method's stream of values, encoded in the caller's protocol.
    pub fn stream_reply<T: Serialize + Send + 'static>(
        protocol: Protocol,
        items: HubStream<T>,
    ) -> Reply {
        Reply::Stream(Box::pin(futures_util::StreamExt::map(items, move |item| {
            item.and_then(|v| Payload::serialize(protocol, &v).map_err(HubError::from))
        })))
    }
}
