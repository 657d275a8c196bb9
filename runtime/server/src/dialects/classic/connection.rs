//! One classic connection, from its first receive request to its disconnect: its place in
//! each subscribed hub's registry (with the classic codec), its numbered messages, which
//! receive request is current, the hooks, the groups it reports, and the watchdog that
//! declares it disconnected when no receive request came back within the disconnect
//! timeout.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use signalr_protocol::Protocol;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

use super::buffer::MessageBuffer;
use super::codec::ClassicCodec;
use super::hub::EndpointHub;
use super::options::ClassicOptions;
use super::protect::{self, Protector};
use crate::clients::Caller;
use crate::clients::codec::Codec;
use crate::clients::registry::{Connection, NewConnection, Outbox, OutboxReceiver};
use crate::connection::panic_message;
use crate::context::HubContext;
use crate::error::HubError;
use crate::frame::Frame;
use crate::identity::Identity;

/// Who a connection belongs to.
#[derive(Debug, Clone)]
pub(super) struct Owner {
    pub(super) id: Arc<str>,
    pub(super) user: Option<Arc<str>>,
    pub(super) identity: Option<Arc<Identity>>,
    pub(super) remote: Option<IpAddr>,
}

/// The connection's place in one hub it subscribed to.
pub(super) struct Subscription {
    /// The hub's index in the endpoint.
    pub(super) hub: usize,
    /// The hub's name.
    pub(super) name: String,
    /// The hub's context.
    pub(super) ctx: Arc<HubContext>,
    pub(super) conn: Arc<Connection>,
    pub(super) caller: Caller,
}

#[derive(Default)]
struct ReceiveState {
    /// Counts receive requests, so a request that ended late cannot clear its successor.
    generation: u64,
    active: Option<(u64, CancellationToken)>,
}

/// One classic connection.
pub(super) struct ClassicConnection {
    pub(super) owner: Owner,
    pub(super) subscriptions: Vec<Subscription>,
    pub(super) buffer: MessageBuffer,
    receive: Mutex<ReceiveState>,
    receive_changed: Notify,
    /// Fires when the connection is over.
    pub(super) ended: CancellationToken,
    /// The hooks' `on_connected` ran (so `on_disconnected` will).
    started: AtomicBool,
    disconnected: AtomicBool,
    /// Hub calls running at once.
    pub(super) invocations: Arc<Semaphore>,
    /// The groups last reported to the client (`G`).
    groups_sent: Mutex<Vec<String>>,
    /// The position up to which messages were handed to a receive request.
    delivered: AtomicU64,
    delivered_changed: Notify,
    /// When the last hand-off to a receive request that cannot tell when the client has
    /// its messages (Server-Sent Events) counts as delivered.
    settles_at: Mutex<tokio::time::Instant>,
}

impl std::fmt::Debug for ClassicConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClassicConnection")
            .field("id", &self.owner.id)
            .finish_non_exhaustive()
    }
}

/// Ends the receive request's turn when dropped.
pub(super) struct Receiving {
    conn: Arc<ClassicConnection>,
    generation: u64,
    /// Fires when another receive request replaced this one (or the connection ended).
    pub(super) replaced: CancellationToken,
}

impl Drop for Receiving {
    fn drop(&mut self) {
        let mut state = self.conn.lock_receive();
        if state
            .active
            .as_ref()
            .is_some_and(|(g, _)| *g == self.generation)
        {
            state.active = None;
        }
        drop(state);
        self.conn.receive_changed.notify_waiters();
    }
}

impl ClassicConnection {
    /// Registers a new connection in the hubs it subscribed to (`hubs`, indices into the
    /// endpoint's `all`), rejoins `groups` (hub index and group name), and starts moving what
    /// the hubs send it into its buffer; the endpoint then runs [`watch`] for it.
    pub(super) async fn open(
        all: &[EndpointHub],
        options: &ClassicOptions,
        owner: Owner,
        hubs: &[usize],
        groups: &[(usize, String)],
    ) -> Arc<ClassicConnection> {
        let ended = CancellationToken::new();
        let mut subscriptions = Vec::with_capacity(hubs.len());
        let mut receivers = Vec::with_capacity(hubs.len());
        for &hub in hubs {
            let h = &all[hub];
            let ctx = &h.ctx;
            let (outbox, rx) = Outbox::new(ctx.options.maximum_outgoing_buffer_size);
            let codec: Arc<dyn Codec> = Arc::new(ClassicCodec {
                hub: h.name.clone(),
            });
            let conn = Arc::new(Connection::new(NewConnection {
                id: owner.id.clone(),
                user: owner.user.clone(),
                identity: owner.identity.clone(),
                protocol: Protocol::Json,
                codec,
                remote: owner.remote,
                outbox,
                send_timeout: ctx.options.transport_send_timeout,
                abort: ended.child_token(),
            }));
            ctx.registry.add(conn.clone());
            crate::scaleout::connection_opened(&ctx.registry, &conn.id, conn.user.as_deref()).await;
            let caller = Caller {
                connection_id: owner.id.clone(),
                user: owner.user.clone(),
                identity: owner.identity.clone(),
                remote: owner.remote,
                protocol: Protocol::Json,
                clients: ctx.clients(Some(owner.id.clone())),
                groups: ctx.groups(),
            };
            receivers.push((conn.clone(), rx));
            subscriptions.push(Subscription {
                hub,
                name: h.name.clone(),
                ctx: ctx.clone(),
                conn,
                caller,
            });
        }
        let conn = Arc::new(ClassicConnection {
            owner,
            subscriptions,
            buffer: MessageBuffer::new(options.message_buffer_size, options.message_buffer_bytes),
            receive: Mutex::new(ReceiveState::default()),
            receive_changed: Notify::new(),
            ended,
            started: AtomicBool::new(false),
            disconnected: AtomicBool::new(false),
            invocations: Arc::new(Semaphore::new(options.max_parallel_invocations.max(1))),
            groups_sent: Mutex::new(Vec::new()),
            delivered: AtomicU64::new(0),
            delivered_changed: Notify::new(),
            settles_at: Mutex::new(tokio::time::Instant::now()),
        });
        for (hub, group) in groups {
            if let Some(s) = conn.subscriptions.iter().find(|s| s.hub == *hub)
                && let Err(e) = s.caller.groups.add(&conn.owner.id, group).await
            {
                tracing::debug!(connection = %conn.owner.id, group = %group, error = %e, "rejoining a group failed");
            }
        }
        // What the client is in after rejoining is what its groups token already says.
        *conn
            .groups_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = conn.groups();
        tokio::spawn(pump(conn.clone(), receivers));
        conn
    }

    fn lock_receive(&self) -> std::sync::MutexGuard<'_, ReceiveState> {
        self.receive.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes a new receive request the current one; the previous one is told to end.
    pub(super) fn begin_receive(self: &Arc<Self>) -> Receiving {
        let replaced = self.ended.child_token();
        let generation = {
            let mut state = self.lock_receive();
            state.generation += 1;
            let g = state.generation;
            if let Some((_, previous)) = state.active.replace((g, replaced.clone())) {
                previous.cancel();
            }
            g
        };
        self.receive_changed.notify_waiters();
        Receiving {
            conn: self.clone(),
            generation,
            replaced,
        }
    }

    /// Messages up to `position` were handed to a receive request.
    pub(super) fn mark_delivered(&self, position: u64) {
        self.delivered.fetch_max(position, Ordering::AcqRel);
        self.delivered_changed.notify_waiters();
    }

    /// Messages up to `position` were handed to a receive request that cannot tell when the
    /// client has them: a response waiting for them goes `settle` after this hand-off.
    pub(super) fn mark_handed_off(&self, position: u64, settle: Duration) {
        *self
            .settles_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = tokio::time::Instant::now() + settle;
        self.mark_delivered(position);
    }

    /// Waits (up to `timeout`) until messages up to `position` were handed to a receive
    /// request (and, after a hand-off that cannot be acknowledged, its settling time): a
    /// call's progress reaches the client before its response does.
    pub(super) async fn wait_delivered(&self, position: u64, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.delivered_changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.ended.is_cancelled() {
                return;
            }
            if self.delivered.load(Ordering::Acquire) >= position {
                let settles_at = *self
                    .settles_at
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                tokio::select! {
                    () = tokio::time::sleep_until(settles_at.min(deadline)) => {}
                    () = self.ended.cancelled() => {}
                }
                return;
            }
            tokio::select! {
                () = changed => {}
                () = self.ended.cancelled() => return,
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    /// Runs the hooks of a connection that starts: each subscribed hub's filters'
    /// `on_connected`, then its `on_connected` hook (once; later calls do nothing). An
    /// error or a panic is the start's error.
    pub(super) async fn start(&self) -> Result<(), HubError> {
        if self.started.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        for s in &self.subscriptions {
            let ctx = &s.ctx;
            let run = async {
                ctx.filters.connected(&s.caller).await?;
                if let Some(hook) = &ctx.hub.on_connected {
                    hook(s.caller.clone()).await;
                }
                Ok::<(), HubError>(())
            };
            match futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run)).await {
                Ok(r) => r?,
                Err(panic) => {
                    tracing::error!("on_connected panicked: {}", panic_message(&*panic));
                    return Err(HubError::internal("on_connected panicked"));
                }
            }
        }
        Ok(())
    }

    /// The groups the connection is in, as `{Hub}.{group}`, sorted.
    pub(super) fn groups(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in &self.subscriptions {
            if let Ok(groups) = s.conn.groups.lock() {
                out.extend(groups.iter().map(|g| format!("{}.{g}", s.name)));
            }
        }
        out.sort();
        out
    }

    /// A new groups token when the groups changed since the last one the client was given.
    pub(super) fn groups_token(&self, protector: &Protector) -> Option<String> {
        let now = self.groups();
        let mut sent = self
            .groups_sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *sent == now {
            return None;
        }
        let text = format!(
            "{}:{}",
            self.owner.id,
            serde_json::to_string(&now).unwrap_or_else(|_| "[]".into())
        );
        *sent = now;
        Some(protector.protect(protect::GROUPS, &text))
    }

    /// Ends the connection (once): the receive request ends, the hubs and the endpoint
    /// forget it, and its `on_disconnected` hooks run if it had started.
    pub(super) async fn disconnect(&self, stop_called: bool) {
        if self.disconnected.swap(true, Ordering::AcqRel) {
            return;
        }
        tracing::debug!(connection = %self.owner.id, stop_called, "classic connection disconnected");
        self.ended.cancel();
        self.buffer.close();
        for s in &self.subscriptions {
            let ctx = &s.ctx;
            s.conn.fail_pending_results();
            ctx.registry.remove(&s.conn);
        }
        if !self.started.load(Ordering::Acquire) {
            return;
        }
        for s in &self.subscriptions {
            let ctx = &s.ctx;
            let run = async {
                if let Some(hook) = &ctx.hub.on_disconnected {
                    hook(s.caller.clone()).await;
                }
                ctx.filters.disconnected(&s.caller, None).await;
            };
            if let Err(panic) =
                futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run)).await
            {
                tracing::error!("on_disconnected panicked: {}", panic_message(&*panic));
            }
        }
    }
}

/// Moves what the hubs send the connection into its buffer, until it ends. A hub that
/// closes the connection (its queue overflowed) ends it.
async fn pump(conn: Arc<ClassicConnection>, receivers: Vec<(Arc<Connection>, OutboxReceiver)>) {
    let streams: Vec<BoxStream<'static, (Arc<Connection>, Frame)>> = receivers
        .into_iter()
        .map(|(c, rx)| {
            stream::unfold((c, rx), |(c, mut rx)| async move {
                let frame = rx.recv().await?;
                Some(((c.clone(), frame), (c, rx)))
            })
            .boxed()
        })
        .collect();
    let mut all = stream::select_all(streams);
    loop {
        tokio::select! {
            next = all.next() => match next {
                Some((c, frame)) => {
                    c.outbox.taken(&frame);
                    conn.buffer.push(Bytes::copy_from_slice(frame.as_bytes()));
                }
                None => break,
            },
            () = conn.ended.cancelled() => break,
        }
    }
}

/// Declares the connection disconnected when no receive request is open for the
/// disconnect timeout, or when a hub ended it.
///
/// Returns only once the connection ended, however it ended.
pub(super) async fn watch(conn: Arc<ClassicConnection>, timeout: Duration) {
    let aborted = stream::select_all(
        conn.subscriptions
            .iter()
            .map(|s| {
                let token = s.conn.abort.clone();
                Box::pin(stream::once(async move { token.cancelled_owned().await }))
            })
            .collect::<Vec<_>>(),
    );
    tokio::pin!(aborted);
    loop {
        let changed = conn.receive_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let idle = {
            let state = conn.lock_receive();
            state.active.is_none().then_some(state.generation)
        };
        let wait = async {
            match idle {
                Some(_) => tokio::time::sleep(timeout).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = wait => {
                let still = {
                    let state = conn.lock_receive();
                    state.active.is_none() && Some(state.generation) == idle
                };
                if still {
                    conn.disconnect(false).await;
                    return;
                }
            }
            () = &mut changed => {}
            Some(()) = aborted.next(), if !conn.subscriptions.is_empty() => {
                tracing::debug!(connection = %conn.owner.id, "a hub ended the classic connection");
                conn.disconnect(false).await;
                return;
            }
            () = conn.ended.cancelled() => return,
        }
    }
}
