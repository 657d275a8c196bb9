//! One call of a hub method: its caller, arguments and upload streams, and what the
//! method answers.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::Stream;
use serde::Serialize;
use signalr_protocol::{ArgumentBinder, Arguments, BindError, Payload};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clients::Caller;
use crate::error::HubError;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
/// A boxed, sendable stream.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = T> + Send + 'static>>;

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

/// A stream of results a hub method sends to its caller, item by item.
pub type HubStream<T> = BoxStream<Result<T, HubError>>;

/// Turns any stream of values into a [`HubStream`].
pub fn hub_stream<T: Send + 'static>(
    items: impl Stream<Item = T> + Send + 'static,
) -> HubStream<T> {
    Box::pin(futures_util::StreamExt::map(items, Ok))
}

/// One upload stream a caller sends to a method (`streamIds`): its items, raw.
///
/// It ends (`None`) only when the caller completed it; if the connection ends first, the
/// last item is an error, so a truncated upload is never mistaken for a whole one.
#[derive(Debug)]
pub struct RawUploadStream {
    rx: mpsc::Receiver<Result<Payload<'static>, HubError>>,
    /// Set when the caller completed the stream.
    completed: Arc<AtomicBool>,
    /// The end has been reported.
    ended: bool,
}

/// The reader's end of an upload stream: where items go, and how it is completed.
#[derive(Debug, Clone)]
pub(crate) struct UploadSender {
    pub(crate) tx: mpsc::Sender<Result<Payload<'static>, HubError>>,
    completed: Arc<AtomicBool>,
}

impl UploadSender {
    /// The caller completed the stream (the sender is dropped next).
    pub(crate) fn complete(&self) {
        self.completed.store(true, Ordering::Release);
    }
}

/// A new upload stream buffering `capacity` items.
pub(crate) fn upload_stream(capacity: usize) -> (UploadSender, RawUploadStream) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let completed = Arc::new(AtomicBool::new(false));
    (
        UploadSender {
            tx,
            completed: completed.clone(),
        },
        RawUploadStream {
            rx,
            completed,
            ended: false,
        },
    )
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
        self.get_mut()
            .raw
            .poll_raw(cx)
            .map(|item| item.map(|r| r.and_then(|p| p.bind::<T>().map_err(HubError::from))))
    }
}

impl RawUploadStream {
    /// The next item, `None` when the caller completed the stream; an error if the caller
    /// completed it with one.
    pub async fn next_raw(&mut self) -> Option<Result<Payload<'static>, HubError>> {
        std::future::poll_fn(|cx| self.poll_raw(cx)).await
    }

    /// The next item bound to `T`.
    pub async fn next<T: serde::de::DeserializeOwned>(&mut self) -> Option<Result<T, HubError>> {
        Some(match self.next_raw().await? {
            Ok(p) => p.bind::<T>().map_err(HubError::from),
            Err(e) => Err(e),
        })
    }

    fn poll_raw(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Payload<'static>, HubError>>> {
        if self.ended {
            return std::task::Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            std::task::Poll::Ready(None) => {
                self.ended = true;
                if self.completed.load(Ordering::Acquire) {
                    std::task::Poll::Ready(None)
                } else {
                    std::task::Poll::Ready(Some(Err(HubError::new(
                        "The upload stream ended before the caller completed it: the connection closed.",
                    ))))
                }
            }
            other => other,
        }
    }
}

/// One call of a hub method.
#[derive(Debug)]
pub struct Call {
    /// The caller.
    pub caller: Caller,
    /// The method's name as the hub registered it.
    pub method: Arc<str>,
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
