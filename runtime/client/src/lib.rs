//! A SignalR hub client on tokio, in the spirit of the official clients.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use signalr_hub_client::{ClientStream, HubConnectionBuilder, Protocol};
//!
//! # async fn run() -> Result<(), signalr_hub_client::ClientError> {
//! let connection = HubConnectionBuilder::new("http://localhost:5000/hubs/conformance")
//!     .protocol(Protocol::MessagePack)
//!     .with_automatic_reconnect()
//!     .build();
//! connection.on("Notified", |(text,): (String,)| async move { println!("notified: {text}") });
//! connection.start().await?;
//! let echoed: String = connection.invoke("Echo", ("hello",)).await?;
//! let mut items = connection.stream::<i32>("Counter", (3, 10));
//! while let Some(item) = items.next().await {
//!     println!("{}", item?);
//! }
//! let upload = ClientStream::new(futures_util::stream::iter([1, 2, 3]));
//! let sum: i32 = connection.invoke("Sum", (upload,)).await?;
//! connection.stop().await;
//! # Ok(()) }
//! ```
//!
//! The crate is layered; each layer imports only the ones below it:
//!
//! - the connection *engine* (`engine/`: invocation ids, pending invocations and result
//!   streams, routing of the server's messages, client method handlers and their replies,
//!   upload streams) and stateful reconnect's bookkeeping (`stateful.rs`) know nothing of
//!   sockets: they consume decoded hub messages and produce framed ones;
//! - the *transports* (`transport/`: negotiate, WebSockets, Server-Sent Events, long
//!   polling, each in its module; the fallback between them; the handshake) move bytes;
//! - the *driver* (`driver.rs`) runs a session over a transport: framing with the receive
//!   limit, keep-alive Pings, the server timeout, Acks and the resend;
//! - [`HubConnection`] (`connection.rs`, `calls.rs`) ties them together with the
//!   lifecycle: start, stop, stateful and automatic reconnect and their events.
//!
//! Every step that waits on the server is bounded: negotiate and sends by the HTTP request
//! timeout, polls by the long poll timeout, the WebSocket and the handshake by the handshake
//! timeout, a connected session by the server timeout; and every message received is
//! bounded by the maximum receive message size.
//!
//! [`classic::ClassicHubConnection`] is a client of classic ASP.NET SignalR 2.x servers on
//! the same transports' plumbing; it implements [`HubClient`] too, so generated proxies and
//! receivers work over either.
//!
//! The hub protocol itself (JSON and MessagePack, framing, handshake, negotiate) is
//! `signalr-protocol`, re-exported here as [`protocol`].

mod arguments;
mod builder;
mod calls;
pub mod classic;
mod config;
mod connection;
mod driver;
mod engine;
mod error;
mod hub_client;
mod reconnect;
mod remote_error;
pub mod signalarrr;
mod stateful;
mod transport;

pub use arguments::{Call, CallArg, CallArguments, ClientStream, EncodedItems, RawCall};
pub use builder::HubConnectionBuilder;
pub use calls::{HubStream, InvokeFuture, PayloadStream, SendFuture, Subscription};
pub use config::{
    DEFAULT_HTTP_REQUEST_TIMEOUT, DEFAULT_LONG_POLL_TIMEOUT, DEFAULT_MAX_RECEIVE_MESSAGE_SIZE,
    DEFAULT_STATEFUL_RECONNECT_BUFFER_SIZE, Transports,
};
pub use connection::{HubConnection, HubConnectionState};
pub use engine::HandlerResult;
pub use error::{
    CONNECTION_CLOSED, ClientError, NO_CLIENT_RESULT, Operation, SERVER_TIMEOUT, SourceError,
    TransportFailure,
};
pub use hub_client::HubClient;
pub use reconnect::{DefaultRetryPolicy, RetryContext, RetryPolicy};
pub use signalr_protocol as protocol;
pub use signalr_protocol::negotiate::TransportType;
pub use signalr_protocol::{Arguments, Binary, FromArguments, IntoArguments, Payload, Protocol};
