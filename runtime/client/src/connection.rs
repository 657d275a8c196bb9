//! The hub connection and its lifecycle: start, stop, stateful reconnect over a new
//! WebSocket, automatic reconnect, and the close/reconnecting/reconnected events. The calls
//! applications make on a connection are in `calls.rs`.

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use signalr_protocol::Protocol;
use signalr_protocol::negotiate::TransportType;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, DEFAULT_STATEFUL_RECONNECT_BUFFER_SIZE};
use crate::driver::{self, Drive, End, Timers};
use crate::engine::{Engine, Outgoing, Session};
use crate::error::ClientError;
use crate::reconnect::{RetryContext, RetryPolicy};
use crate::stateful::Stateful;
use crate::transport::{self, Connected};

/// The delays of the attempts to reopen a stateful-reconnect connection's WebSocket before
/// the connection is considered lost.
const REOPEN_DELAYS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Where a connection is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubConnectionState {
    /// Not connected; `start` may be called.
    Disconnected,
    /// `start` is negotiating, connecting or handshaking.
    Connecting,
    /// Connected: calls can be made (also while stateful reconnect replaces a dropped
    /// WebSocket: calls then wait for the new one).
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
    transport: Option<TransportType>,
    run: Option<Run>,
}

pub(crate) struct Shared {
    pub(crate) config: Config,
    http: Result<reqwest::Client, ClientError>,
    pub(crate) engine: Engine,
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
/// use signalr_hub_client::{ClientStream, HubConnectionBuilder};
/// use futures_util::StreamExt;
///
/// # async fn run() -> Result<(), signalr_hub_client::ClientError> {
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
/// let numbers = ClientStream::new(futures_util::stream::iter(1..=10));
/// let total: i32 = connection.invoke("Sum", (numbers,)).await?;
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
            .field("transport", &self.transport())
            .finish()
    }
}

impl HubConnection {
    pub(crate) fn new(config: Config) -> Self {
        let http = transport::http::client(&config);
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
                        transport: None,
                        run: None,
                    }),
                    callbacks: Callbacks::default(),
                }),
            }),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
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

    /// The transport in use, while connected.
    pub fn transport(&self) -> Option<TransportType> {
        self.shared()
            .lifecycle
            .lock()
            .ok()
            .and_then(|lc| lc.transport)
    }

    /// The hub protocol.
    pub fn protocol(&self) -> Protocol {
        self.shared().config.protocol
    }

    /// Negotiates, connects a transport and completes the handshake. Fails if the
    /// connection is not disconnected, or with the reason the connection could not be made
    /// (every step is bounded by its timeout).
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

    /// Called when the connection is disconnected (after `stop`, a server Close without
    /// reconnect, or when reconnecting gave up), with the error that ended it, if any.
    pub fn on_close(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        if let Ok(mut l) = self.shared().callbacks.close.write() {
            l.push(Arc::new(callback));
        }
    }

    /// Called when the connection was lost and automatic reconnect starts, with the error.
    /// (A WebSocket that stateful reconnect replaces is not a lost connection.)
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
    let (connected, leftover) = match first {
        Ok(c) => c,
        Err(e) => {
            shared.set_disconnected();
            let _ = started.send(Err(e));
            let _ = done.send(true);
            return;
        }
    };
    let Some((session, outbox)) = shared.connected(&stop, &connected) else {
        connected.close().await;
        shared.set_disconnected();
        let _ = started.send(Err(ClientError::Stopped));
        let _ = done.send(true);
        return;
    };
    let _ = started.send(Ok(()));
    let error = shared
        .run(connected, leftover, session, outbox, &stop)
        .await;
    shared.set_disconnected();
    for cb in snapshot(&shared.callbacks.close) {
        cb(error.as_ref());
    }
    let _ = done.send(true);
}

/// A session and the transport it runs on.
struct Running {
    connected: Connected,
    leftover: Vec<u8>,
    session: Arc<Session>,
    outbox: mpsc::UnboundedReceiver<Outgoing>,
}

impl Shared {
    async fn connect(&self) -> Result<(Connected, Vec<u8>), ClientError> {
        let http = self.http.as_ref().map_err(Clone::clone)?;
        transport::connect(&self.config, http).await
    }

    /// Opens an engine session for a new transport and marks the connection connected,
    /// unless `stop` was requested meanwhile.
    fn connected(
        &self,
        stop: &CancellationToken,
        connected: &Connected,
    ) -> Option<(Arc<Session>, mpsc::UnboundedReceiver<Outgoing>)> {
        let mut lc = self.lifecycle.lock().ok()?;
        if stop.is_cancelled() {
            return None;
        }
        let opened = self.engine.open_session();
        lc.state = HubConnectionState::Connected;
        lc.connection_id.clone_from(&connected.connection_id);
        lc.transport = Some(connected.transport);
        Some(opened)
    }

    fn set_disconnected(&self) {
        if let Ok(mut lc) = self.lifecycle.lock() {
            lc.state = HubConnectionState::Disconnected;
            lc.connection_id = None;
            lc.transport = None;
            lc.run = None;
        }
    }

    fn timers(&self, connected: &Connected) -> Timers {
        if connected.inherent_keep_alive() {
            Timers {
                keep_alive: None,
                server_timeout: None,
            }
        } else {
            Timers {
                keep_alive: Some(self.config.keep_alive_interval),
                server_timeout: Some(self.config.server_timeout),
            }
        }
    }

    /// Runs the session over its transport, and over new WebSockets while stateful
    /// reconnect can replace a dropped one; returns how it ended and the transport it ended
    /// on.
    async fn run_session(&self, running: &mut Running, stop: &CancellationToken) -> End {
        let mut stateful = running.connected.reopen.as_ref().map(|_| {
            Stateful::new(
                self.config
                    .stateful_reconnect
                    .unwrap_or(DEFAULT_STATEFUL_RECONNECT_BUFFER_SIZE),
            )
        });
        let mut resume = false;
        loop {
            let drive = Drive {
                session: &running.session,
                outbox: &mut running.outbox,
                stateful: stateful.as_mut(),
                protocol: self.config.protocol,
                max_message_size: self.config.max_receive_message_size,
                timers: self.timers(&running.connected),
                stop,
            };
            let leftover = std::mem::take(&mut running.leftover);
            let end = driver::drive(&mut running.connected, drive, leftover, resume).await;
            let error = match end {
                End::Lost(error) => error,
                other => return other,
            };
            let (Some(reopen), Some(st)) = (running.connected.reopen.clone(), stateful.as_mut())
            else {
                return End::Lost(error);
            };
            if stop.is_cancelled() {
                return End::Stopped;
            }
            tracing::info!(error = ?error.as_ref().map(ClientError::report), "transport lost; reopening the WebSocket");
            st.disconnected();
            let id = running.connected.connection_id.clone();
            match self.reopen(&reopen, id, stop).await {
                Some(next) => {
                    running.connected = next;
                    resume = true;
                }
                None if stop.is_cancelled() => return End::Stopped,
                None => return End::Lost(error),
            }
        }
    }

    /// Reopens a stateful-reconnect connection's WebSocket, trying a few times.
    async fn reopen(
        &self,
        reopen: &transport::Reopen,
        connection_id: Option<String>,
        stop: &CancellationToken,
    ) -> Option<Connected> {
        for delay in REOPEN_DELAYS {
            let attempt = async {
                tokio::time::sleep(delay).await;
                transport::reopen(reopen, &self.config, connection_id.clone()).await
            };
            tokio::select! {
                r = attempt => match r {
                    Ok(c) => return Some(c),
                    Err(e) => tracing::info!(error = %e.report(), "reopening the WebSocket failed"),
                },
                () = stop.cancelled() => return None,
            }
        }
        None
    }

    /// Runs sessions, reconnecting as the retry policy allows; returns the error the
    /// connection finally ended with.
    async fn run(
        &self,
        connected: Connected,
        leftover: Vec<u8>,
        session: Arc<Session>,
        outbox: mpsc::UnboundedReceiver<Outgoing>,
        stop: &CancellationToken,
    ) -> Option<ClientError> {
        let mut running = Running {
            connected,
            leftover,
            session,
            outbox,
        };
        loop {
            let end = self.run_session(&mut running, stop).await;
            self.engine.close_session(&running.session);
            let (error, allow_reconnect) = match end {
                End::Stopped => {
                    running.connected.close().await;
                    return None;
                }
                End::Closed {
                    error,
                    allow_reconnect,
                } => {
                    running.connected.close().await;
                    (error, allow_reconnect)
                }
                End::Failed(error) => {
                    running.connected.abort();
                    (Some(error), true)
                }
                // The transport is gone already.
                End::Lost(error) => (error, true),
            };
            if let Some(e) = &error {
                tracing::info!(error = %e.report(), "connection lost");
            }
            let policy = match &self.config.retry_policy {
                Some(p) if allow_reconnect && !stop.is_cancelled() => p.clone(),
                _ => return error,
            };
            let (connected, leftover) = match self.reconnect(&*policy, error, stop).await {
                Ok(c) => c,
                Err(error) => return error,
            };
            let Some((session, outbox)) = self.connected(stop, &connected) else {
                connected.close().await;
                return None;
            };
            let id = connected.connection_id.clone();
            running = Running {
                connected,
                leftover,
                session,
                outbox,
            };
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
    ) -> Result<(Connected, Vec<u8>), Option<ClientError>> {
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
            lc.transport = None;
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
                Ok(connected) => return Ok(connected),
                Err(e) => {
                    tracing::info!(error = %e.report(), "reconnect attempt failed");
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
