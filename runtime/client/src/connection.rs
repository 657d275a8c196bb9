//! The hub connection: its lifecycle (start, stop, automatic reconnect, events) and the
//! calls applications make on it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::task::{Context, Poll};

use futures_util::future::FutureExt;
use futures_util::stream::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;
use signalr_protocol::{Arguments, Payload, Protocol};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::arguments::ClientStream;
use crate::builder::Config;
use crate::engine::{
    Engine, HandlerResult, Handlers, InvokeResult, Outgoing, Session, StreamEvent,
};
use crate::error::ClientError;
use crate::reconnect::{RetryContext, RetryPolicy};
use crate::transport::{self, Established, Timers};
use signalr_protocol::{FromArguments, IntoArguments};

/// Where a connection is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubConnectionState {
    /// Not connected; `start` may be called.
    Disconnected,
    /// `start` is negotiating, connecting or handshaking.
    Connecting,
    /// Connected: calls can be made.
    Connected,
    /// `stop` is closing the connection.
    Disconnecting,
    /// The connection was lost and automatic reconnect is trying to restore it.
    Reconnecting,
}

type ErrorCallback = Arc<dyn Fn(Option<&ClientError>) + Send + Sync>;
type ReconnectedCallback = Arc<dyn Fn(Option<&str>) + Send + Sync>;

#[derive(Default)]
struct Callbacks {
    close: RwLock<Vec<ErrorCallback>>,
    reconnecting: RwLock<Vec<ErrorCallback>>,
    reconnected: RwLock<Vec<ReconnectedCallback>>,
}

fn snapshot<T: Clone>(list: &RwLock<Vec<T>>) -> Vec<T> {
    list.read().map(|l| l.clone()).unwrap_or_default()
}

/// One start of the connection, until it is disconnected again.
#[derive(Clone)]
struct Run {
    stop: CancellationToken,
    done: watch::Receiver<bool>,
}

struct Lifecycle {
    state: HubConnectionState,
    connection_id: Option<String>,
    run: Option<Run>,
}

struct Shared {
    config: Config,
    http: Option<reqwest::Client>,
    engine: Engine,
    lifecycle: Mutex<Lifecycle>,
    callbacks: Callbacks,
}

/// Stops the connection when the last [`HubConnection`] handle is dropped.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Ok(lc) = self.shared.lifecycle.lock()
            && let Some(run) = &lc.run
        {
            run.stop.cancel();
        }
    }
}

/// A connection to a SignalR hub. Cheap to clone; every clone is the same connection, and
/// the connection stops when the last clone is dropped (a handler that captures a clone
/// keeps it alive: call [`stop`](Self::stop) then).
///
/// Server-to-client invocations start their handlers in arrival order and run them
/// concurrently (as the JavaScript client does), each on a task of its own, so a handler may
/// itself call the server and a long handler does not hold back the next call.
///
/// ```no_run
/// use signalr_client::{ClientStream, HubConnectionBuilder};
/// use futures_util::StreamExt;
///
/// # async fn run() -> Result<(), signalr_client::ClientError> {
/// let connection = HubConnectionBuilder::new("http://localhost:5000/hubs/chat").build();
/// connection.on("Notified", |(text,): (String,)| async move { println!("{text}") });
/// connection.on_result("Answer", |(q,): (String,)| async move { Ok::<_, String>(format!("re: {q}")) });
/// connection.start().await?;
/// let sum: i32 = connection.invoke("Add", (2, 3)).await?;
/// connection.send("Notify", ("hi",)).await?;
/// let mut counter = connection.stream::<i32>("Counter", (5, 100));
/// while let Some(n) = counter.next().await {
///     println!("{}", n?);
/// }
/// let total: i32 = connection
///     .invoke_with_streams("Sum", (), vec![ClientStream::new(futures_util::stream::iter(1..=10))])
///     .await?;
/// connection.stop().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HubConnection {
    owner: Arc<Owner>,
}

impl fmt::Debug for HubConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubConnection")
            .field("url", &self.owner.shared.config.url)
            .field("protocol", &self.owner.shared.config.protocol)
            .field("state", &self.state())
            .field("connection_id", &self.connection_id())
            .finish()
    }
}

impl HubConnection {
    pub(crate) fn new(config: Config) -> Self {
        let http = transport::http_client(&config);
        let engine = Engine::new(config.protocol);
        HubConnection {
            owner: Arc::new(Owner {
                shared: Arc::new(Shared {
                    config,
                    http,
                    engine,
                    lifecycle: Mutex::new(Lifecycle {
                        state: HubConnectionState::Disconnected,
                        connection_id: None,
                        run: None,
                    }),
                    callbacks: Callbacks::default(),
                }),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    /// The connection's state.
    pub fn state(&self) -> HubConnectionState {
        self.shared()
            .lifecycle
            .lock()
            .map(|lc| lc.state)
            .unwrap_or(HubConnectionState::Disconnected)
    }

    /// The connection id the server assigned in negotiate, while connected (`None` when
    /// negotiation was skipped).
    pub fn connection_id(&self) -> Option<String> {
        self.shared()
            .lifecycle
            .lock()
            .ok()
            .and_then(|lc| lc.connection_id.clone())
    }

    /// The hub protocol.
    pub fn protocol(&self) -> Protocol {
        self.shared().config.protocol
    }

    /// Negotiates, connects the WebSocket and completes the handshake. Fails if the
    /// connection is not disconnected, or with the reason the connection could not be made.
    pub async fn start(&self) -> Result<(), ClientError> {
        let shared = self.shared().clone();
        let (stop, done) = {
            let mut lc = shared
                .lifecycle
                .lock()
                .map_err(|_| ClientError::NotDisconnected)?;
            if lc.state != HubConnectionState::Disconnected {
                return Err(ClientError::NotDisconnected);
            }
            let stop = CancellationToken::new();
            let (done_tx, done_rx) = watch::channel(false);
            lc.state = HubConnectionState::Connecting;
            lc.run = Some(Run {
                stop: stop.clone(),
                done: done_rx,
            });
            (stop, done_tx)
        };
        let (result_tx, result_rx) = oneshot::channel();
        // The lifecycle runs in its own task, so that dropping this future cannot leave the
        // connection half-started.
        tokio::spawn(lifecycle(shared, stop, done, result_tx));
        result_rx.await.unwrap_or(Err(ClientError::Stopped))
    }

    /// Closes the connection (or stops `start` or reconnecting) and waits until it is
    /// disconnected. Pending invocations fail with [`ClientError::ConnectionClosed`].
    pub async fn stop(&self) {
        let run = {
            let Ok(mut lc) = self.shared().lifecycle.lock() else {
                return;
            };
            let Some(run) = lc.run.clone() else {
                return;
            };
            if matches!(
                lc.state,
                HubConnectionState::Connected | HubConnectionState::Reconnecting
            ) {
                lc.state = HubConnectionState::Disconnecting;
            }
            run.stop.cancel();
            run
        };
        let mut done = run.done;
        let _ = done.wait_for(|d| *d).await;
    }

    /// Invokes a hub method and waits for its result.
    ///
    /// The Invocation is sent when this is called; the returned future only waits for the
    /// Completion (dropping it does not cancel the invocation). A `()` result accepts a void
    /// completion; a server error becomes [`ClientError::Hub`] with the server's text.
    pub fn invoke<T: DeserializeOwned>(
        &self,
        method: &str,
        args: impl IntoArguments,
    ) -> InvokeFuture<T> {
        self.invoke_with_streams(method, args, Vec::new())
    }

    /// Invokes a hub method with upload streams: each [`ClientStream`] is announced in
    /// `streamIds` and its items are sent after the invocation, then its completion.
    pub fn invoke_with_streams<T: DeserializeOwned>(
        &self,
        method: &str,
        args: impl IntoArguments,
        streams: Vec<ClientStream>,
    ) -> InvokeFuture<T> {
        let engine = &self.shared().engine;
        let started = args
            .to_arguments(engine.protocol())
            .map_err(ClientError::from)
            .and_then(|a| engine.invoke(method, a, streams));
        InvokeFuture {
            state: started.map_err(Some),
            protocol: engine.protocol(),
            _result: PhantomData,
        }
    }

    /// [`invoke_with_streams`](Self::invoke_with_streams) that can be cancelled: when
    /// `cancellation` fires first, CancelInvocation is sent (the server's token for the
    /// invocation fires) and the call ends with [`ClientError::Canceled`].
    pub fn invoke_with_cancellation<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        args: impl IntoArguments,
        streams: Vec<ClientStream>,
        cancellation: tokio_util::sync::CancellationToken,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + 'static {
        let engine = &self.shared().engine;
        let protocol = engine.protocol();
        let started = args
            .to_arguments(protocol)
            .map_err(ClientError::from)
            .and_then(|a| engine.invoke_tracked(method, a, streams));
        async move {
            let (rx, session, id) = started?;
            tokio::select! {
                r = rx => match r {
                    Ok(Ok(value)) => bind_result(protocol, value),
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(ClientError::ConnectionClosed),
                },
                () = cancellation.cancelled() => {
                    session.cancel_stream(&id);
                    Err(ClientError::Canceled)
                }
            }
        }
    }

    /// Sends a hub method invocation without an id: the server sends no result. The future
    /// resolves once the message is written to the transport.
    pub fn send(&self, method: &str, args: impl IntoArguments) -> SendFuture {
        self.send_with_streams(method, args, Vec::new())
    }

    /// [`send`](Self::send) with upload streams, as in
    /// [`invoke_with_streams`](Self::invoke_with_streams).
    pub fn send_with_streams(
        &self,
        method: &str,
        args: impl IntoArguments,
        streams: Vec<ClientStream>,
    ) -> SendFuture {
        let engine = &self.shared().engine;
        let started = args
            .to_arguments(engine.protocol())
            .map_err(ClientError::from)
            .and_then(|a| engine.send(method, a, streams));
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
        args: impl IntoArguments,
    ) -> HubStream<T> {
        self.stream_with_streams(method, args, Vec::new())
    }

    /// [`stream`](Self::stream) with upload streams.
    pub fn stream_with_streams<T: DeserializeOwned>(
        &self,
        method: &str,
        args: impl IntoArguments,
        streams: Vec<ClientStream>,
    ) -> HubStream<T> {
        let engine = &self.shared().engine;
        let started = args
            .to_arguments(engine.protocol())
            .map_err(ClientError::from)
            .and_then(|a| engine.stream(method, a, streams));
        match started {
            Ok(call) => HubStream {
                events: Some(call.events),
                error: None,
                cancel: Some((call.session, call.id)),
                _item: PhantomData,
            },
            Err(e) => HubStream {
                events: None,
                error: Some(e),
                cancel: None,
                _item: PhantomData,
            },
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
        let handlers = self.shared().engine.handlers();
        let id = handlers.add(method, Arc::new(move |args| handler(args).boxed()));
        Subscription {
            handlers: Arc::downgrade(handlers),
            method: method.to_owned(),
            id,
        }
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

    /// Called when the connection is disconnected (after `stop`, a server Close without
    /// reconnect, or when reconnecting gave up), with the error that ended it, if any.
    pub fn on_close(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        if let Ok(mut l) = self.shared().callbacks.close.write() {
            l.push(Arc::new(callback));
        }
    }

    /// Called when the connection was lost and automatic reconnect starts, with the error.
    pub fn on_reconnecting(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        if let Ok(mut l) = self.shared().callbacks.reconnecting.write() {
            l.push(Arc::new(callback));
        }
    }

    /// Called when automatic reconnect succeeded, with the new connection id.
    pub fn on_reconnected(&self, callback: impl Fn(Option<&str>) + Send + Sync + 'static) {
        if let Ok(mut l) = self.shared().callbacks.reconnected.write() {
            l.push(Arc::new(callback));
        }
    }
}

/// Starts the connection, then runs it until it is disconnected.
async fn lifecycle(
    shared: Arc<Shared>,
    stop: CancellationToken,
    done: watch::Sender<bool>,
    started: oneshot::Sender<Result<(), ClientError>>,
) {
    let first = tokio::select! {
        r = shared.connect() => r,
        () = stop.cancelled() => Err(ClientError::Stopped),
    };
    let established = match first {
        Ok(e) => e,
        Err(e) => {
            shared.set_disconnected();
            let _ = started.send(Err(e));
            let _ = done.send(true);
            return;
        }
    };
    let Some((session, outgoing)) = shared.connected(&stop, &established) else {
        established.close().await;
        shared.set_disconnected();
        let _ = started.send(Err(ClientError::Stopped));
        let _ = done.send(true);
        return;
    };
    let _ = started.send(Ok(()));
    let error = shared.run(established, session, outgoing, &stop).await;
    shared.set_disconnected();
    for cb in snapshot(&shared.callbacks.close) {
        cb(error.as_ref());
    }
    let _ = done.send(true);
}

impl Shared {
    async fn connect(&self) -> Result<Established, ClientError> {
        let http = self
            .http
            .as_ref()
            .ok_or_else(|| ClientError::Negotiate("the HTTP client could not be created".into()))?;
        transport::connect(&self.config, http).await
    }

    /// Opens an engine session for a new WebSocket and marks the connection connected,
    /// unless `stop` was requested meanwhile.
    fn connected(
        &self,
        stop: &CancellationToken,
        established: &Established,
    ) -> Option<(Arc<Session>, mpsc::UnboundedReceiver<Outgoing>)> {
        let mut lc = self.lifecycle.lock().ok()?;
        if stop.is_cancelled() {
            return None;
        }
        let opened = self.engine.open_session();
        lc.state = HubConnectionState::Connected;
        lc.connection_id.clone_from(&established.connection_id);
        Some(opened)
    }

    fn set_disconnected(&self) {
        if let Ok(mut lc) = self.lifecycle.lock() {
            lc.state = HubConnectionState::Disconnected;
            lc.connection_id = None;
            lc.run = None;
        }
    }

    /// Runs sessions, reconnecting as the retry policy allows; returns the error the
    /// connection finally ended with.
    async fn run(
        &self,
        mut established: Established,
        mut session: Arc<Session>,
        mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
        stop: &CancellationToken,
    ) -> Option<ClientError> {
        let timers = Timers {
            keep_alive_interval: self.config.keep_alive_interval,
            server_timeout: self.config.server_timeout,
        };
        loop {
            let end = transport::drive(
                established,
                session.clone(),
                outgoing,
                self.config.protocol,
                timers,
                stop.clone(),
            )
            .await;
            self.engine.close_session(&session);
            if let Some(e) = &end.error {
                tracing::info!(error = %e, "connection lost");
            }
            let policy = match &self.config.retry_policy {
                Some(p) if end.allow_reconnect && !stop.is_cancelled() => p.clone(),
                _ => return end.error,
            };
            established = match self.reconnect(&*policy, end.error, stop).await {
                Ok(e) => e,
                Err(error) => return error,
            };
            match self.connected(stop, &established) {
                Some((s, o)) => (session, outgoing) = (s, o),
                None => {
                    established.close().await;
                    return None;
                }
            }
            let id = established.connection_id.clone();
            for cb in snapshot(&self.callbacks.reconnected) {
                cb(id.as_deref());
            }
        }
    }

    /// Tries to reconnect after each delay of the retry policy. `Err` carries the error to
    /// close with when it gives up (`None` when stopped).
    async fn reconnect(
        &self,
        policy: &dyn RetryPolicy,
        error: Option<ClientError>,
        stop: &CancellationToken,
    ) -> Result<Established, Option<ClientError>> {
        let started = Instant::now();
        let mut attempts = 0u64;
        let mut reason = error.clone();
        let context = |attempts, reason: &Option<ClientError>| RetryContext {
            previous_retry_count: attempts,
            elapsed: started.elapsed(),
            retry_reason: reason.clone(),
        };
        let Some(mut delay) = policy.next_retry_delay(&context(0, &reason)) else {
            return Err(error);
        };
        {
            let mut lc = self.lifecycle.lock().map_err(|_| error.clone())?;
            if stop.is_cancelled() {
                return Err(None);
            }
            lc.state = HubConnectionState::Reconnecting;
            lc.connection_id = None;
        }
        for cb in snapshot(&self.callbacks.reconnecting) {
            cb(error.as_ref());
        }
        loop {
            tracing::info!(?delay, attempt = attempts + 1, "reconnecting");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stop.cancelled() => return Err(None),
            }
            let attempt = tokio::select! {
                r = self.connect() => r,
                () = stop.cancelled() => return Err(None),
            };
            match attempt {
                Ok(established) => return Ok(established),
                Err(e) => {
                    tracing::info!(error = %e, "reconnect attempt failed");
                    attempts += 1;
                    reason = Some(e);
                }
            }
            match policy.next_retry_delay(&context(attempts, &reason)) {
                Some(d) => delay = d,
                None => return Err(reason),
            }
        }
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

/// The items of a streaming invocation; see [`HubConnection::stream`].
pub struct HubStream<T> {
    events: Option<mpsc::UnboundedReceiver<StreamEvent>>,
    error: Option<ClientError>,
    cancel: Option<(Weak<Session>, String)>,
    _item: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for HubStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubStream")
            .field("invocation_id", &self.cancel.as_ref().map(|(_, id)| id))
            .field("ended", &self.events.is_none())
            .finish()
    }
}

impl<T> HubStream<T> {
    fn end(&mut self) {
        self.events = None;
        self.cancel = None;
    }
}

impl<T: DeserializeOwned> Stream for HubStream<T> {
    type Item = Result<T, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(e) = self.error.take() {
            self.end();
            return Poll::Ready(Some(Err(e)));
        }
        let Some(events) = self.events.as_mut() else {
            return Poll::Ready(None);
        };
        match events.poll_recv(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(StreamEvent::Item(item))) => {
                Poll::Ready(Some(item.bind::<T>().map_err(ClientError::from)))
            }
            Poll::Ready(Some(StreamEvent::End(Ok(())))) | Poll::Ready(None) => {
                self.end();
                Poll::Ready(None)
            }
            Poll::Ready(Some(StreamEvent::End(Err(e)))) => {
                self.end();
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

impl<T> Drop for HubStream<T> {
    fn drop(&mut self) {
        if let Some((session, id)) = self.cancel.take()
            && let Some(session) = session.upgrade()
        {
            session.cancel_stream(&id);
        }
    }
}

/// A registered client method handler; [`off`](Subscription::off) removes it. Dropping the
/// subscription keeps the handler registered.
pub struct Subscription {
    handlers: Weak<Handlers>,
    method: String,
    id: u64,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("method", &self.method)
            .field("id", &self.id)
            .finish()
    }
}

impl Subscription {
    /// The method the handler is registered for.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// Unregisters the handler.
    pub fn off(self) {
        if let Some(h) = self.handlers.upgrade() {
            h.remove(&self.method, self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}

    #[test]
    fn handles_can_move_between_tasks() {
        send_sync::<HubConnection>();
        send_sync::<Subscription>();
        send::<HubStream<String>>();
        send::<InvokeFuture<String>>();
        send::<SendFuture>();
    }

    #[tokio::test]
    async fn calls_before_start_fail_at_once() {
        let c = crate::HubConnectionBuilder::new("http://127.0.0.1:1/hub").build();
        assert_eq!(c.state(), HubConnectionState::Disconnected);
        assert_eq!(
            c.invoke::<i32>("Add", (1, 2)).await,
            Err(ClientError::NotConnected)
        );
        assert_eq!(c.send("Add", (1, 2)).await, Err(ClientError::NotConnected));
        c.stop().await;
        assert_eq!(c.state(), HubConnectionState::Disconnected);
    }
}
