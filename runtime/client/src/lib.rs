//! A SignalR hub client on tokio, in the spirit of the official clients.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use signalr_client::{HubConnectionBuilder, Protocol};
//!
//! # async fn run() -> Result<(), signalr_client::ClientError> {
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
//! connection.stop().await;
//! # Ok(()) }
//! ```
//!
//! The crate is layered:
//!
//! - the connection *engine* (invocation ids, pending invocations and result streams,
//!   routing of the server's messages, client method handlers and their replies, upload
//!   streams) knows nothing of sockets: it consumes decoded hub messages and produces framed
//!   ones (see `engine.rs`, tested on its own);
//! - the *transport* does negotiate over HTTP, the WebSocket, the handshake, keep-alive
//!   Pings and the server timeout, moving frames between the socket and the engine;
//! - [`HubConnection`] ties them together with the lifecycle: start, stop, automatic
//!   reconnect and the close/reconnecting/reconnected events.
//!
//! The hub protocol itself (JSON and MessagePack, framing, handshake, negotiate) is
//! `signalr-protocol`, re-exported here as [`protocol`].

mod arguments;
mod builder;
mod connection;
mod engine;
mod error;
mod reconnect;
mod transport;

pub use arguments::ClientStream;
pub use builder::HubConnectionBuilder;
pub use connection::{
    HubConnection, HubConnectionState, HubStream, InvokeFuture, SendFuture, Subscription,
};
pub use engine::HandlerResult;
pub use error::{CONNECTION_CLOSED, ClientError, NO_CLIENT_RESULT, SERVER_TIMEOUT};
pub use reconnect::{DefaultRetryPolicy, RetryContext, RetryPolicy};
pub use signalr_protocol as protocol;
pub use signalr_protocol::{Arguments, Binary, FromArguments, IntoArguments, Payload, Protocol};
