//! The calls applications make on a [`HubConnection`]: invoke, send, stream (upload streams
//! among the arguments of each), client method handlers, and the futures and streams they
//! return.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use futures_util::future::FutureExt;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use signalr_protocol::{Arguments, FromArguments, Payload, Protocol};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::arguments::{CallArguments, RawCall};
use crate::connection::HubConnection;
use crate::engine::{Handler, HandlerResult, Handlers, InvokeResult, Session, StreamEvent};
use crate::error::ClientError;

impl HubConnection {
    /// Invokes a hub method and waits for its result.
    ///
    /// The arguments are a tuple (values and [`ClientStream`](crate::ClientStream) upload
    /// streams), `()`, or see [`CallArguments`]. The Invocation is sent when this is called;
    /// the returned future only waits for the Completion (dropping it does not cancel the
    /// invocation). A `()` result accepts a void completion; a server error becomes
    /// [`ClientError::Hub`] with the server's text.
    pub fn invoke<T: DeserializeOwned>(
        &self,
        method: &str,
        args: impl CallArguments,
    ) -> InvokeFuture<T> {
        let engine = &self.shared().engine;
        let started = args
            .into_call(engine.protocol())
            .map_err(ClientError::from)
            .and_then(|call| engine.invoke(method, call))
            .map(|(rx, _, _)| rx);
        InvokeFuture {
            state: started.map_err(Some),
            protocol: engine.protocol(),
            _result: PhantomData,
        }
    }

    /// [`invoke`](Self::invoke) that can be cancelled: when `cancellation` fires first,
    /// CancelInvocation is sent (the server's token for the invocation fires) and the call
    /// ends with [`ClientError::Canceled`].
    pub fn invoke_with_cancellation<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        args: impl CallArguments,
        cancellation: CancellationToken,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + 'static {
        let protocol = self.protocol();
        let call = args.into_call(protocol).map(|call| {
            let (arguments, streams) = call.into_parts();
            RawCall::new(Ok(arguments)).with_streams(streams)
        });
        let raw =
            call.map(|call| crate::HubClient::invoke_raw(self, method, call, Some(cancellation)));
        async move { bind_result(protocol, raw?.await?) }
    }

    /// Sends an Invocation with an id: the receiver yields its Completion, the session and
    /// id cancel it.
    pub(crate) fn start_invoke(
        &self,
        method: &str,
        args: impl CallArguments,
    ) -> Result<(oneshot::Receiver<InvokeResult>, Arc<Session>, String), ClientError> {
        let engine = &self.shared().engine;
        args.into_call(engine.protocol())
            .map_err(ClientError::from)
            .and_then(|call| engine.invoke(method, call))
    }

    /// Sends a hub method invocation without an id: the server sends no result. The future
    /// resolves once the message is written to the transport.
    pub fn send(&self, method: &str, args: impl CallArguments) -> SendFuture {
        let engine = &self.shared().engine;
        let started = args
            .into_call(engine.protocol())
            .map_err(ClientError::from)
            .and_then(|call| engine.send(method, call));
        SendFuture {
            state: started.map_err(Some),
        }
    }

    /// Invokes a streaming hub method: the items arrive through the returned stream, which
    /// ends with the server's completion (an error completion is its last item). Dropping
    /// the stream before it ends sends CancelInvocation.
    pub fn stream<T: DeserializeOwned>(
        &self,
        method: &str,
        args: impl CallArguments,
    ) -> HubStream<T> {
        let engine = &self.shared().engine;
        let started = args
            .into_call(engine.protocol())
            .map_err(ClientError::from)
            .and_then(|call| engine.stream(method, call));
        match started {
            Ok(call) => HubStream::with_source(Source::Engine(EngineStream {
                events: call.events,
                cancel: Some((call.session, call.id)),
            })),
            Err(e) => HubStream::failed(e),
        }
    }

    /// Registers a handler for the client method `method` (matched case-insensitively),
    /// called with the arguments as raw [`Arguments`]. When the server invokes it with an
    /// id (a client result), the handler's `Ok(Some(value))` or `Err(text)` is sent back;
    /// `Ok(None)` answers "Client didn't provide a result.".
    pub fn on_raw<F, Fut>(&self, method: &str, handler: F) -> Subscription
    where
        F: Fn(Arguments<'static>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        subscribe(
            self.shared().engine.handlers(),
            method,
            Arc::new(move |args| handler(args).boxed()),
        )
    }

    /// Registers a handler for the client method `method` with typed arguments (a tuple,
    /// `()`, or [`Arguments`]); arguments that do not bind are logged and skipped.
    pub fn on<A, F, Fut>(&self, method: &str, handler: F) -> Subscription
    where
        A: FromArguments + Send + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_raw(method, move |args| {
            let call = A::from_arguments(&args).map(&handler);
            async move {
                match call {
                    Ok(f) => {
                        f.await;
                        Ok(None)
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
        })
    }

    /// Registers a handler that returns a client result: `Ok(value)` is sent to the server
    /// as the result, `Err(e)` as an error completion with `e`'s text.
    pub fn on_result<A, R, E, F, Fut>(&self, method: &str, handler: F) -> Subscription
    where
        A: FromArguments + Send + 'static,
        R: Serialize,
        E: fmt::Display,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<R, E>> + Send + 'static,
    {
        let protocol = self.protocol();
        self.on_raw(method, move |args| {
            let call = A::from_arguments(&args).map(&handler);
            async move {
                let value = call.map_err(|e| e.to_string())?.await;
                let value = value.map_err(|e| e.to_string())?;
                Payload::serialize(protocol, &value)
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
        })
    }

    /// Removes every handler of `method`.
    pub fn off(&self, method: &str) {
        self.shared().engine.handlers().remove_all(method);
    }
}

/// The result of [`HubConnection::invoke`]: resolves with the Completion.
#[must_use = "the invocation is sent already; the future only yields its result"]
pub struct InvokeFuture<T> {
    state: Result<oneshot::Receiver<InvokeResult>, Option<ClientError>>,
    protocol: Protocol,
    _result: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for InvokeFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvokeFuture").finish_non_exhaustive()
    }
}

/// Binds a completion's value; a void completion binds like `null`.
fn bind_result<T: DeserializeOwned>(
    protocol: Protocol,
    value: Option<Payload<'static>>,
) -> Result<T, ClientError> {
    let value = match value {
        Some(v) => v,
        None => Payload::serialize(protocol, &())?,
    };
    Ok(value.bind::<T>()?)
}

impl<T: DeserializeOwned> Future for InvokeFuture<T> {
    type Output = Result<T, ClientError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let protocol = self.protocol;
        match &mut self.state {
            Err(e) => Poll::Ready(Err(e.take().unwrap_or(ClientError::ConnectionClosed))),
            Ok(rx) => match Pin::new(rx).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(Ok(value))) => Poll::Ready(bind_result(protocol, value)),
                Poll::Ready(Ok(Err(e))) => Poll::Ready(Err(e)),
                Poll::Ready(Err(_)) => Poll::Ready(Err(ClientError::ConnectionClosed)),
            },
        }
    }
}

/// The result of [`HubConnection::send`]: resolves once the message is written.
#[must_use = "the message is queued already; the future only says when it is written"]
pub struct SendFuture {
    state: Result<oneshot::Receiver<()>, Option<ClientError>>,
}

impl fmt::Debug for SendFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}

impl Future for SendFuture {
    type Output = Result<(), ClientError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            Err(e) => Poll::Ready(Err(e.take().unwrap_or(ClientError::ConnectionClosed))),
            Ok(rx) => Pin::new(rx)
                .poll(cx)
                .map(|r| r.map_err(|_| ClientError::ConnectionClosed)),
        }
    }
}

/// A stream of raw results (stream items as [`Payload`]s): what a [`HubClient`](crate::HubClient)
/// returns for a streaming call. An error item is the stream's last; dropping the stream
/// before it ends cancels the call, as far as the connection's protocol can.
pub type PayloadStream = BoxStream<'static, Result<Payload<'static>, ClientError>>;

/// The items of a streaming invocation; see [`HubConnection::stream`].
///
/// Built by a connection, or by any [`HubClient`](crate::HubClient) from its raw items with
/// [`from_payloads`](Self::from_payloads).
pub struct HubStream<T> {
    source: Option<Source>,
    error: Option<ClientError>,
    _item: PhantomData<fn() -> T>,
}

/// Where a stream's raw items come from.
enum Source {
    Engine(EngineStream),
    Payloads(PayloadStream),
}

/// The items of a streaming invocation on this crate's engine; dropping it before the end
/// sends CancelInvocation.
struct EngineStream {
    events: mpsc::UnboundedReceiver<StreamEvent>,
    cancel: Option<(Weak<Session>, String)>,
}

impl EngineStream {
    fn invocation_id(&self) -> Option<&str> {
        self.cancel.as_ref().map(|(_, id)| id.as_str())
    }

    fn poll_payload(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Payload<'static>, ClientError>>> {
        match self.events.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(StreamEvent::Item(item))) => Poll::Ready(Some(Ok(item))),
            Poll::Ready(Some(StreamEvent::End(Ok(())))) | Poll::Ready(None) => {
                self.cancel = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(StreamEvent::End(Err(e)))) => {
                self.cancel = None;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

impl Stream for EngineStream {
    type Item = Result<Payload<'static>, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_payload(cx)
    }
}

impl Drop for EngineStream {
    fn drop(&mut self) {
        if let Some((session, id)) = self.cancel.take()
            && let Some(session) = session.upgrade()
        {
            session.cancel_stream(&id);
        }
    }
}

impl<T> fmt::Debug for HubStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = match &self.source {
            Some(Source::Engine(e)) => e.invocation_id(),
            _ => None,
        };
        f.debug_struct("HubStream")
            .field("invocation_id", &id)
            .field("ended", &(self.source.is_none() && self.error.is_none()))
            .finish()
    }
}

impl<T> HubStream<T> {
    fn with_source(source: Source) -> Self {
        HubStream {
            source: Some(source),
            error: None,
            _item: PhantomData,
        }
    }

    /// A stream over raw items (each bound to `T` as it is read). An error item ends the
    /// stream; dropping the stream drops `items`, which should cancel the call.
    pub fn from_payloads(
        items: impl Stream<Item = Result<Payload<'static>, ClientError>> + Send + 'static,
    ) -> Self {
        Self::with_source(Source::Payloads(items.boxed()))
    }

    /// A stream whose only item is `error`.
    pub fn failed(error: ClientError) -> Self {
        HubStream {
            source: None,
            error: Some(error),
            _item: PhantomData,
        }
    }

    /// The raw items, unbound (dropping them before the end cancels the call).
    pub fn into_payloads(mut self) -> PayloadStream {
        let error = self.error.take();
        match (self.source.take(), error) {
            (_, Some(e)) => futures_util::stream::once(async move { Err(e) }).boxed(),
            (Some(Source::Engine(e)), None) => e.boxed(),
            (Some(Source::Payloads(p)), None) => p,
            (None, None) => futures_util::stream::empty().boxed(),
        }
    }
}

impl<T: DeserializeOwned> Stream for HubStream<T> {
    type Item = Result<T, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(e) = self.error.take() {
            self.source = None;
            return Poll::Ready(Some(Err(e)));
        }
        let polled = match self.source.as_mut() {
            None => return Poll::Ready(None),
            Some(Source::Engine(e)) => e.poll_payload(cx),
            Some(Source::Payloads(p)) => p.poll_next_unpin(cx),
        };
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(item))) => {
                Poll::Ready(Some(item.bind::<T>().map_err(ClientError::from)))
            }
            Poll::Ready(None) => {
                self.source = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                self.source = None;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

/// Registers `handler` in `handlers`; the subscription removes it.
pub(crate) fn subscribe(handlers: &Arc<Handlers>, method: &str, handler: Handler) -> Subscription {
    let id = handlers.add(method, handler);
    let weak = Arc::downgrade(handlers);
    let name = method.to_owned();
    Subscription::new(method, move || {
        if let Some(h) = weak.upgrade() {
            h.remove(&name, id);
        }
    })
}

/// A registered client method handler; [`off`](Subscription::off) removes it. Dropping the
/// subscription keeps the handler registered.
pub struct Subscription {
    method: String,
    off: Box<dyn FnOnce() + Send + Sync>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// A subscription to `method` that `off` ends (for [`HubClient`](crate::HubClient)
    /// implementations).
    pub fn new(method: &str, off: impl FnOnce() + Send + Sync + 'static) -> Self {
        Subscription {
            method: method.to_owned(),
            off: Box::new(off),
        }
    }

    /// The method the handler is registered for.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Unregisters the handler.
    pub fn off(self) {
        (self.off)();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HubConnectionState;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[test]
    fn handles_can_move_between_tasks() {
        send_sync::<HubConnection>();
        send_sync::<Subscription>();
        send::<HubStream<String>>();
        send::<InvokeFuture<String>>();
        send::<SendFuture>();
        send_sync::<ClientError>();
    }

    #[tokio::test]
    async fn calls_before_start_fail_at_once() {
        let c = crate::HubConnectionBuilder::new("http://127.0.0.1:1/hub").build();
        assert_eq!(c.state(), HubConnectionState::Disconnected);
        assert!(matches!(
            c.invoke::<i32>("Add", (1, 2)).await,
            Err(ClientError::NotConnected)
        ));
        assert!(matches!(
            c.send("Add", (1, 2)).await,
            Err(ClientError::NotConnected)
        ));
        c.stop().await;
        assert_eq!(c.state(), HubConnectionState::Disconnected);
    }
}
