//! A client of classic ASP.NET SignalR 2.x servers (`Microsoft.AspNet.SignalR`, the
//! jQuery client's servers), implementing [`HubClient`] so that the typed proxies and
//! receivers `#[hub_contract]` generates work over it unchanged.
//!
//! ```no_run
//! use signalr_hub_client::classic::ClassicHubConnectionBuilder;
//!
//! # async fn run() -> Result<(), signalr_hub_client::ClientError> {
//! let connection = ClassicHubConnectionBuilder::new("http://localhost:8080/signalr", "chatHub").build();
//! connection.on("addMessage", |(name, text): (String, String)| async move {
//!     println!("{name}: {text}");
//! });
//! connection.start().await?;
//! connection.set_state("userName", &"ada")?;
//! let echoed: String = connection.invoke("Echo", ("hello",)).await?;
//! connection.stop().await;
//! # Ok(()) }
//! ```
//!
//! What the classic protocol can and cannot express:
//!
//! - negotiate (`clientProtocol=1.5`), then WebSockets (when the server allows them),
//!   Server-Sent Events, long polling, each tried until one delivers its init message
//!   ([`ClassicHubConnectionBuilder::transports`] forces one), `/start`, and `/abort` on
//!   [`stop`](ClassicHubConnection::stop);
//! - every call carries an id `I` and the hub's caller state `S`; a response's result `R`
//!   completes it, its error `E` fails it with [`ClientError::Hub`] (the message; a hub
//!   exception's data `D` is not kept), its `S` updates the caller state
//!   ([`state`](ClassicHubConnection::state)). A streaming call's items are the method's
//!   progress reports (`P`); its response ends the stream;
//! - server-to-client calls are dispatched to the handlers of their hub and method,
//!   case-insensitively; classic has no client results, so a handler's value is ignored;
//! - a transport that drops is reconnected (`/reconnect` with the cursor and groups token)
//!   until the server's disconnect timeout passes, so no message is lost or repeated; the
//!   close callbacks run when the connection ends for good. Over WebSockets the responses
//!   of calls in flight are lost with the socket: those calls fail with
//!   [`ClientError::ConnectionClosed`];
//! - JSON only; upload streams fail with [`ClientError::NotSupported`]; cancelling an
//!   invocation, or dropping a stream, only stops waiting for it: classic has no message
//!   to cancel a call, so the server runs it to its end;
//! - negotiate redirects (Azure SignalR Service) are not followed.

mod body;
mod builder;
mod channel;
mod run;
mod session;
mod urls;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use futures_util::future::FutureExt;
use futures_util::stream::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use signalr_protocol::negotiate::TransportType;
use signalr_protocol::{Arguments, FromArguments, Payload, Protocol};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

pub use builder::{ClassicHubConnectionBuilder, DEFAULT_TRANSPORT_CONNECT_TIMEOUT};

use crate::arguments::{CallArguments, RawCall};
use crate::calls::{PayloadStream, Subscription};
use crate::engine::{HandlerResult, Handlers};
use crate::error::ClientError;
use crate::hub_client::HubClient;
use builder::ClassicConfig;
use session::{Reply, Session, States};

/// The text an upload stream on a classic connection fails with.
pub const NO_UPLOAD_STREAMS: &str =
    "Upload streams are not supported by classic ASP.NET SignalR connections.";

/// Where a classic connection is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClassicState {
    /// Not connected; `start` may be called.
    Disconnected,
    /// `start` is negotiating, connecting or starting.
    Connecting,
    /// Connected.
    Connected,
    /// The transport dropped and is being reconnected (calls wait over WebSockets).
    Reconnecting,
}

type ErrorCallback = Arc<dyn Fn(Option<&ClientError>) + Send + Sync>;
type Callback = Arc<dyn Fn() + Send + Sync>;

struct Lifecycle {
    state: ClassicState,
    session: Option<Arc<Session>>,
    run: Option<(CancellationToken, watch::Receiver<bool>)>,
}

pub(crate) struct Shared {
    config: ClassicConfig,
    http: Result<reqwest::Client, ClientError>,
    handlers: Arc<Handlers>,
    states: Arc<States>,
    lifecycle: Mutex<Lifecycle>,
    close: RwLock<Vec<ErrorCallback>>,
    reconnecting: RwLock<Vec<ErrorCallback>>,
    reconnected: RwLock<Vec<Callback>>,
}

fn snapshot<T: Clone>(list: &RwLock<Vec<T>>) -> Vec<T> {
    list.read().map(|l| l.clone()).unwrap_or_default()
}

impl Shared {
    fn lifecycle(&self) -> std::sync::MutexGuard<'_, Lifecycle> {
        self.lifecycle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_state(&self, state: ClassicState) {
        self.lifecycle().state = state;
    }

    fn reconnecting(&self, error: &ClientError) {
        for cb in snapshot(&self.reconnecting) {
            cb(Some(error));
        }
    }

    fn reconnected(&self) {
        for cb in snapshot(&self.reconnected) {
            cb();
        }
    }
}

/// Stops the connection when the last handle is dropped.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        if let Some((stop, _)) = &self.shared.lifecycle().run {
            stop.cancel();
        }
    }
}

/// A connection to a classic ASP.NET SignalR 2.x endpoint, calling one of its hubs (see
/// the [module documentation](self) for what classic can express). Cheap to clone; every
/// clone, and every [`hub`](Self::hub) view, is the same connection, which stops when the
/// last of them is dropped.
///
/// A method name `Hub|Method` (the wire name of a non-`plain` `#[hub_contract]`) calls
/// `Method` on hub `Hub`; any other name calls the connection's hub.
#[derive(Clone)]
pub struct ClassicHubConnection {
    owner: Arc<Owner>,
    hub: Arc<str>,
}

impl fmt::Debug for ClassicHubConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClassicHubConnection")
            .field("url", &self.shared().config.base.url)
            .field("hub", &self.hub)
            .field("state", &self.state())
            .finish()
    }
}

impl ClassicHubConnection {
    pub(crate) fn new(config: ClassicConfig) -> Self {
        let http = crate::transport::http::client(&config.base);
        let hub: Arc<str> = config.hubs.first().map_or("", String::as_str).into();
        ClassicHubConnection {
            owner: Arc::new(Owner {
                shared: Arc::new(Shared {
                    config,
                    http,
                    handlers: Arc::default(),
                    states: Arc::new(Mutex::new(HashMap::new())),
                    lifecycle: Mutex::new(Lifecycle {
                        state: ClassicState::Disconnected,
                        session: None,
                        run: None,
                    }),
                    close: RwLock::default(),
                    reconnecting: RwLock::default(),
                    reconnected: RwLock::default(),
                }),
            }),
            hub,
        }
    }

    /// Starts building a connection to the endpoint at `url` calling `hub`.
    pub fn builder(url: impl Into<String>, hub: impl Into<String>) -> ClassicHubConnectionBuilder {
        ClassicHubConnectionBuilder::new(url, hub)
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    /// The same connection, calling `hub` (subscribe to it with
    /// [`ClassicHubConnectionBuilder::hub`] to receive its calls).
    pub fn hub(&self, hub: impl Into<String>) -> ClassicHubConnection {
        ClassicHubConnection {
            owner: self.owner.clone(),
            hub: hub.into().into(),
        }
    }

    /// The hub this handle calls.
    pub fn hub_name(&self) -> &str {
        &self.hub
    }

    /// The connection's state.
    pub fn state(&self) -> ClassicState {
        self.shared().lifecycle().state
    }

    fn session(&self) -> Option<Arc<Session>> {
        self.shared().lifecycle().session.clone()
    }

    /// The connection id from negotiate, while connected.
    pub fn connection_id(&self) -> Option<String> {
        self.session().map(|s| s.negotiated.connection_id.clone())
    }

    /// The transport in use, while connected.
    pub fn transport(&self) -> Option<TransportType> {
        self.session().map(|s| s.transport)
    }

    /// Negotiates, connects a transport and starts the connection.
    pub async fn start(&self) -> Result<(), ClientError> {
        let shared = self.shared().clone();
        let (stop, done) = {
            let mut lc = shared.lifecycle();
            if lc.state != ClassicState::Disconnected {
                return Err(ClientError::NotDisconnected);
            }
            let stop = CancellationToken::new();
            let (done_tx, done_rx) = watch::channel(false);
            lc.state = ClassicState::Connecting;
            lc.run = Some((stop.clone(), done_rx));
            (stop, done_tx)
        };
        let (started_tx, started_rx) = oneshot::channel();
        tokio::spawn(lifecycle(shared, stop, done, started_tx));
        started_rx.await.unwrap_or(Err(ClientError::Stopped))
    }

    /// Stops the connection (`/abort`) and waits until it is disconnected; waiting calls
    /// fail with [`ClientError::ConnectionClosed`].
    pub async fn stop(&self) {
        let run = self.shared().lifecycle().run.clone();
        if let Some((stop, mut done)) = run {
            stop.cancel();
            let _ = done.wait_for(|d| *d).await;
        }
    }

    /// Called when the connection ends for good, with the error that ended it (`None`
    /// after [`stop`](Self::stop)).
    pub fn on_close(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        if let Ok(mut l) = self.shared().close.write() {
            l.push(Arc::new(callback));
        }
    }

    /// Called when the transport dropped and reconnecting starts, with the error.
    pub fn on_reconnecting(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        if let Ok(mut l) = self.shared().reconnecting.write() {
            l.push(Arc::new(callback));
        }
    }

    /// Called when the transport was reconnected.
    pub fn on_reconnected(&self, callback: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut l) = self.shared().reconnected.write() {
            l.push(Arc::new(callback));
        }
    }

    /// Sets `key` of this hub's caller state (sent with every call to the hub).
    pub fn set_state<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
    ) -> Result<(), ClientError> {
        let value = serde_json::to_value(value).map_err(|e| signalr_protocol::SerializeError {
            message: e.to_string(),
        })?;
        self.shared()
            .states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(self.hub.to_lowercase())
            .or_default()
            .insert(key.to_owned(), value);
        Ok(())
    }

    /// `key` of this hub's caller state, as the hub last set it (or the client did).
    pub fn state_value<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let states = self
            .shared()
            .states
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let value = states.get(&self.hub.to_lowercase())?.get(key)?.clone();
        serde_json::from_value(value).ok()
    }

    /// The hub and method a name calls.
    fn target<'a>(&'a self, method: &'a str) -> (&'a str, &'a str) {
        method.split_once('|').unwrap_or((&self.hub, method))
    }

    /// Sends a call that waits for `reply`; returns the session and the call's id.
    fn call(
        &self,
        method: &str,
        call: impl CallArguments,
        reply: impl FnOnce() -> Reply,
    ) -> Result<(Arc<Session>, String, tokio::task::JoinHandle<()>), ClientError> {
        let (arguments, streams) = call.into_call(Protocol::Json)?.into_parts();
        if !streams.is_empty() {
            return Err(ClientError::NotSupported(NO_UPLOAD_STREAMS));
        }
        let session = self.session().ok_or(ClientError::NotConnected)?;
        let (hub, method) = self.target(method);
        let (id, text) = session.prepare(hub, method, arguments, reply())?;
        let sending = {
            let (session, id) = (session.clone(), id.clone());
            tokio::spawn(async move {
                if let Err(e) = session.send(text).await {
                    session.fail(&id, e);
                }
            })
        };
        Ok((session, id, sending))
    }

    /// Invokes a hub method and waits for its result (a `()` result accepts a void one).
    pub fn invoke<T: DeserializeOwned + Send + 'static>(
        &self,
        method: &str,
        args: impl CallArguments,
    ) -> impl Future<Output = Result<T, ClientError>> + Send + 'static {
        let call = args.into_call(Protocol::Json).map(|c| {
            let (arguments, streams) = c.into_parts();
            RawCall::new(Ok(arguments)).with_streams(streams)
        });
        let raw = call.map(|c| self.invoke_raw(method, c, None));
        async move {
            let value = match raw?.await? {
                Some(v) => v,
                None => Payload::serialize(Protocol::Json, &())?,
            };
            Ok(value.bind::<T>()?)
        }
    }

    /// Registers a handler for the client method `method` of this hub with typed
    /// arguments (a tuple, `()`, or [`Arguments`]).
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
}

/// Connects, then runs the connection until it ends.
async fn lifecycle(
    shared: Arc<Shared>,
    stop: CancellationToken,
    done: watch::Sender<bool>,
    started: oneshot::Sender<Result<(), ClientError>>,
) {
    let connected = tokio::select! {
        r = run::connect(&shared) => r,
        () = stop.cancelled() => Err(ClientError::Stopped),
    };
    let (session, channel) = match connected {
        Ok(c) => c,
        Err(e) => {
            {
                let mut lc = shared.lifecycle();
                lc.state = ClassicState::Disconnected;
                lc.run = None;
            }
            let _ = started.send(Err(e));
            let _ = done.send(true);
            return;
        }
    };
    {
        let mut lc = shared.lifecycle();
        lc.state = ClassicState::Connected;
        lc.session = Some(session.clone());
    }
    let _ = started.send(Ok(()));
    let error = run::run(&shared, &session, channel, &stop).await;
    {
        let mut lc = shared.lifecycle();
        lc.state = ClassicState::Disconnected;
        lc.session = None;
        lc.run = None;
    }
    session.ended.cancel();
    session.fail_all(&ClientError::ConnectionClosed);
    if let Some(writer) = session.clear_writer().await {
        drop(writer);
    }
    // A connection that could not reconnect in time is gone on the server already.
    if !matches!(error, Some(ClientError::ReconnectTimeout(_))) {
        run::abort(&session).await;
    }
    for cb in snapshot(&shared.close) {
        cb(error.as_ref());
    }
    let _ = done.send(true);
}

impl HubClient for ClassicHubConnection {
    fn protocol(&self) -> Protocol {
        Protocol::Json
    }

    /// Cancellation is local: classic has no message to cancel a call, so the server runs
    /// it to its end and its response is dropped.
    fn invoke_raw(
        &self,
        method: &str,
        call: RawCall,
        cancellation: Option<CancellationToken>,
    ) -> impl Future<Output = Result<Option<Payload<'static>>, ClientError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        let started = self.call(method, call, || Reply::Invoke(tx));
        async move {
            let (session, id, _sending) = started?;
            let cancellation = cancellation.unwrap_or_default();
            tokio::select! {
                r = rx => r.unwrap_or(Err(ClientError::ConnectionClosed)),
                () = cancellation.cancelled() => {
                    session.forget(&id);
                    Err(ClientError::Canceled)
                }
            }
        }
    }

    fn send_raw(
        &self,
        method: &str,
        call: RawCall,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        let started = self.call(method, call, || Reply::Invoke(tx));
        async move {
            let (session, id, sending) = started?;
            let _ = sending.await;
            // Written: the response is not waited for (but an error sending it is).
            session.forget(&id);
            match rx.now_or_never() {
                Some(Ok(Err(e))) if !matches!(e, ClientError::Hub(_)) => Err(e),
                _ => Ok(()),
            }
        }
    }

    fn stream_raw(&self, method: &str, call: RawCall) -> PayloadStream {
        let (tx, rx) = mpsc::unbounded_channel();
        match self.call(method, call, || Reply::Stream(tx)) {
            Ok((session, id, _)) => {
                // Dropping the stream stops waiting for it (classic cannot cancel a call).
                let forget = Forget(Arc::downgrade(&session), id);
                futures_util::stream::unfold((rx, forget), |(mut rx, forget)| async move {
                    rx.recv().await.map(|item| (item, (rx, forget)))
                })
                .boxed()
            }
            Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
        }
    }

    fn on_raw<F, Fut>(&self, method: &str, handler: F) -> Subscription
    where
        F: Fn(Arguments<'static>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        // Keyed by hub and method: the server names both in each call.
        let key = format!("{}.{method}", self.hub);
        let handlers = &self.shared().handlers;
        let id = handlers.add(&key, Arc::new(move |args| handler(args).boxed()));
        let weak = Arc::downgrade(handlers);
        Subscription::new(method, move || {
            if let Some(h) = weak.upgrade() {
                h.remove(&key, id);
            }
        })
    }

    fn on_close(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        ClassicHubConnection::on_close(self, callback);
    }
}

/// Forgets a streaming call when its stream is dropped.
struct Forget(std::sync::Weak<Session>, String);

impl Drop for Forget {
    fn drop(&mut self) {
        if let Some(s) = self.0.upgrade() {
            s.forget(&self.1);
        }
    }
}
