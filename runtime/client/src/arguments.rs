//! Turning Rust values into invocation arguments and back, and upload streams.

use std::fmt;

use futures_util::stream::{BoxStream, Stream, StreamExt};
use serde::Serialize;
use signalr_protocol::{Payload, Protocol};

/// The items of an upload stream, encoded for one protocol.
pub(crate) type EncodedItems = BoxStream<'static, Result<Payload<'static>, String>>;

type MakeItems = Box<dyn FnOnce(Protocol) -> EncodedItems + Send>;

/// An upload stream: a Rust [`Stream`] whose items are sent to the server one by one as
/// StreamItem messages after the invocation that names it in `streamIds`, then ended with a
/// Completion (an error Completion if the stream yields an error).
///
/// Pass it to [`HubConnection::invoke_with_streams`](crate::HubConnection::invoke_with_streams),
/// [`send_with_streams`](crate::HubConnection::send_with_streams) or
/// [`stream_with_streams`](crate::HubConnection::stream_with_streams); the hub method receives
/// it as its streaming parameter (after the ordinary arguments).
pub struct ClientStream {
    make: MakeItems,
}

impl fmt::Debug for ClientStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientStream").finish_non_exhaustive()
    }
}

impl ClientStream {
    /// Uploads every item of `items`.
    pub fn new<S, T>(items: S) -> Self
    where
        S: Stream<Item = T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        ClientStream {
            make: Box::new(move |protocol| {
                items
                    .map(move |item| Payload::serialize(protocol, &item).map_err(|e| e.to_string()))
                    .boxed()
            }),
        }
    }

    /// Uploads every item of `items`; the first error ends the upload with an error
    /// Completion carrying its text.
    pub fn try_new<S, T, E>(items: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Serialize + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        ClientStream {
            make: Box::new(move |protocol| {
                items
                    .map(move |item| match item {
                        Ok(v) => Payload::serialize(protocol, &v).map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    })
                    .boxed()
            }),
        }
    }

    /// The items, encoded for `protocol`.
    pub(crate) fn encode(self, protocol: Protocol) -> EncodedItems {
        (self.make)(protocol)
    }
}
