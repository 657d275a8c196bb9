//! Every connection of a hub, its groups and its users, and each connection's outgoing
//! queue.
//!
//! Each connection's queue is bounded in bytes: a send that would go past the bound means
//! the client stopped reading, and the connection is closed with an error rather than
//! allowed to grow the server's memory.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use signalr_protocol::{Payload, Protocol};
use tokio::sync::{Notify, oneshot};
use tokio_util::sync::CancellationToken;

use crate::clients::codec::Codec;
use crate::error::HubError;
use crate::frame::Frame;
use crate::identity::Identity;
use crate::scaleout::{self, Added, ScaleOut};

/// What a client answered to a client-result invocation.
pub(crate) type ClientResult = Result<Option<Payload<'static>>, HubError>;

/// Bytes counted for each queued frame beyond its own (the queue's bookkeeping).
const FRAME_OVERHEAD: usize = 64;

/// A connection's outgoing queue, bounded in bytes.
///
/// The queue allocates nothing until a frame is queued and gives its room back once
/// drained after a burst, so an idle connection costs only its empty shell.
pub(crate) struct Outbox {
    shared: Arc<OutboxShared>,
    queued: AtomicUsize,
    limit: usize,
    /// Signalled when the writer takes frames off the queue.
    space: Notify,
    /// The connection's own task writes what it queues itself (see [`crate::writer`]):
    /// its frames do not wake it.
    written_inline: bool,
}

/// What the two ends of an [`Outbox`] share.
struct OutboxShared {
    queue: Mutex<Queue>,
    /// Signalled when a frame is queued or the sending end is gone (one waiter: the writer).
    ready: Notify,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Frame>,
    /// The sending end is gone: nothing more will be queued.
    closed: bool,
}

/// The room a drained queue keeps; more is given back.
const KEPT_SLOTS: usize = 16;

impl Outbox {
    /// A queue of at most `limit` bytes, and its receiving end for the writer.
    pub(crate) fn new(limit: usize) -> (Outbox, OutboxReceiver) {
        Self::make(limit, false)
    }

    /// A queue whose connection writes the frames its own task queues (its replies) itself,
    /// so that only frames queued from elsewhere wake it.
    pub(crate) fn written_inline(limit: usize) -> (Outbox, OutboxReceiver) {
        Self::make(limit, true)
    }

    fn make(limit: usize, written_inline: bool) -> (Outbox, OutboxReceiver) {
        let shared = Arc::new(OutboxShared {
            queue: Mutex::new(Queue::default()),
            ready: Notify::new(),
        });
        (
            Outbox {
                shared: shared.clone(),
                queued: AtomicUsize::new(0),
                limit,
                space: Notify::new(),
                written_inline,
            },
            OutboxReceiver { shared },
        )
    }

    /// Queues `frame` if it fits; `Err(frame)` when the bound would be passed. `own`: queued
    /// by the connection's own task.
    fn try_push(&self, frame: Frame, own: bool) -> Result<bool, Frame> {
        let cost = frame.len() + FRAME_OVERHEAD;
        let before = self.queued.fetch_add(cost, Ordering::AcqRel);
        // A frame larger than the whole bound still goes through an empty queue.
        if before > 0 && before + cost > self.limit {
            self.queued.fetch_sub(cost, Ordering::AcqRel);
            return Err(frame);
        }
        {
            let Ok(mut queue) = self.shared.queue.lock() else {
                self.queued.fetch_sub(cost, Ordering::AcqRel);
                return Ok(false);
            };
            queue.frames.push_back(frame);
        }
        if !(own && self.written_inline) {
            self.shared.ready.notify_one();
        }
        Ok(true)
    }

    /// Fires when the connection's writer should look at the queue: a frame was queued from
    /// another task.
    pub(crate) fn writer_woken(&self) -> tokio::sync::futures::Notified<'_> {
        self.shared.ready.notified()
    }

    /// The writer took `frame` off the queue.
    pub(crate) fn taken(&self, frame: &Frame) {
        self.queued
            .fetch_sub(frame.len() + FRAME_OVERHEAD, Ordering::AcqRel);
        self.space.notify_waiters();
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        if let Ok(mut queue) = self.shared.queue.lock() {
            queue.closed = true;
        }
        self.shared.ready.notify_one();
    }
}

/// The writer's end of an [`Outbox`].
pub(crate) struct OutboxReceiver {
    shared: Arc<OutboxShared>,
}

impl OutboxReceiver {
    /// The next frame; `None` once the sending end is gone and the queue is empty.
    pub(crate) async fn recv(&mut self) -> Option<Frame> {
        loop {
            match self.take() {
                Ok(Some(frame)) => return Some(frame),
                Ok(None) => self.shared.ready.notified().await,
                Err(()) => return None,
            }
        }
    }

    /// A frame if one is queued now.
    pub(crate) fn try_recv(&mut self) -> Option<Frame> {
        self.take().ok().flatten()
    }

    /// Whether a frame is queued now.
    pub(crate) fn has_frames(&self) -> bool {
        self.shared
            .queue
            .lock()
            .is_ok_and(|queue| !queue.frames.is_empty())
    }

    /// The next frame, `Ok(None)` when none is queued, `Err` when none ever will be.
    fn take(&self) -> Result<Option<Frame>, ()> {
        let mut queue = self.shared.queue.lock().map_err(|_| ())?;
        match queue.frames.pop_front() {
            Some(frame) => {
                if queue.frames.is_empty() && queue.frames.capacity() > KEPT_SLOTS {
                    queue.frames.shrink_to(KEPT_SLOTS);
                }
                Ok(Some(frame))
            }
            None if queue.closed => Err(()),
            None => Ok(None),
        }
    }
}

/// The server's view of one connection.
pub(crate) struct Connection {
    pub(crate) id: Arc<str>,
    /// The user id `Clients::user` matches.
    pub(crate) user: Option<Arc<str>>,
    pub(crate) identity: Option<Arc<Identity>>,
    pub(crate) protocol: Protocol,
    pub(crate) codec: Arc<dyn Codec>,
    pub(crate) remote: Option<IpAddr>,
    pub(crate) outbox: Outbox,
    /// How long an invocation's reply may wait for room in the queue.
    send_timeout: Duration,
    /// Fires to end the connection (stuck queue, server shutdown, fatal error).
    pub(crate) abort: CancellationToken,
    /// Why the server ended the connection, for the Close message it sends.
    close_error: Mutex<Option<String>>,
    pub(crate) pending_results: Mutex<HashMap<String, oneshot::Sender<ClientResult>>>,
    next_id: AtomicU64,
    /// The groups the connection is in.
    pub(crate) groups: Mutex<HashSet<String>>,
}

/// What a new connection is made of.
pub(crate) struct NewConnection {
    pub(crate) id: Arc<str>,
    pub(crate) user: Option<Arc<str>>,
    pub(crate) identity: Option<Arc<Identity>>,
    pub(crate) protocol: Protocol,
    pub(crate) codec: Arc<dyn Codec>,
    pub(crate) remote: Option<IpAddr>,
    pub(crate) outbox: Outbox,
    pub(crate) send_timeout: Duration,
    pub(crate) abort: CancellationToken,
}

impl Connection {
    pub(crate) fn new(n: NewConnection) -> Self {
        Connection {
            id: n.id,
            user: n.user,
            identity: n.identity,
            protocol: n.protocol,
            codec: n.codec,
            remote: n.remote,
            outbox: n.outbox,
            send_timeout: n.send_timeout,
            abort: n.abort,
            close_error: Mutex::new(None),
            pending_results: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            groups: Mutex::new(HashSet::new()),
        }
    }

    /// Ends the connection; the client is sent a Close with `error` (the first reason
    /// given wins).
    pub(crate) fn close_with_error(&self, error: impl Into<String>) {
        if let Ok(mut slot) = self.close_error.lock()
            && slot.is_none()
        {
            *slot = Some(error.into());
        }
        self.abort.cancel();
    }

    /// The error the connection was closed with, if any.
    pub(crate) fn close_error(&self) -> Option<String> {
        self.close_error.lock().ok().and_then(|e| e.clone())
    }

    /// Queues a frame without waiting; a queue past its bound means the client stopped
    /// reading: the connection ends with an error.
    pub(crate) fn push(&self, frame: Frame) -> bool {
        self.push_as(frame, false)
    }

    /// [`Connection::push`] from the connection's own task (its reader and the invocations
    /// it drives), which writes what it queued before it waits again.
    pub(crate) fn push_own(&self, frame: Frame) -> bool {
        self.push_as(frame, true)
    }

    fn push_as(&self, frame: Frame, own: bool) -> bool {
        if self.abort.is_cancelled() {
            return false;
        }
        match self.outbox.try_push(frame, own) {
            Ok(sent) => sent,
            Err(_) => {
                tracing::warn!(connection = %self.id, "outgoing queue full; closing the connection");
                self.close_with_error("The client is not reading its messages.");
                false
            }
        }
    }

    /// Queues a frame from the connection's own task (an invocation's reply or stream
    /// item), waiting up to the send timeout for room: the method slows down with its
    /// client instead of growing the queue.
    pub(crate) async fn send_own(&self, frame: Frame) -> bool {
        if self.abort.is_cancelled() {
            return false;
        }
        // Most frames fit at once: no clock read, no registration.
        let mut frame = match self.outbox.try_push(frame, true) {
            Ok(sent) => return sent,
            Err(f) => f,
        };
        let deadline = tokio::time::Instant::now() + self.send_timeout;
        loop {
            if self.abort.is_cancelled() {
                return false;
            }
            let space = self.outbox.space.notified();
            tokio::pin!(space);
            // Registered before the attempt, so a frame taken meanwhile is not missed.
            space.as_mut().enable();
            match self.outbox.try_push(frame, true) {
                Ok(sent) => return sent,
                Err(f) => frame = f,
            }
            tokio::select! {
                () = space => {}
                () = self.abort.cancelled() => return false,
                () = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(connection = %self.id, "client not reading within the send timeout; closing the connection");
                    self.close_with_error("The client is not reading its messages.");
                    return false;
                }
            }
        }
    }

    /// A new id for a server-to-client invocation that expects a result.
    pub(crate) fn next_invocation_id(&self) -> String {
        format!("s{}", self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Delivers a Completion the client sent for a client-result invocation.
    pub(crate) fn complete_result(&self, id: &str, result: ClientResult) -> bool {
        let waiter = self
            .pending_results
            .lock()
            .ok()
            .and_then(|mut m| m.remove(id));
        match waiter {
            Some(tx) => {
                let _ = tx.send(result);
                true
            }
            None => false,
        }
    }

    /// Fails every client result still waiting (the connection ended).
    pub(crate) fn fail_pending_results(&self) {
        let waiters: Vec<_> = match self.pending_results.lock() {
            Ok(mut m) => m.drain().map(|(_, tx)| tx).collect(),
            Err(_) => Vec::new(),
        };
        for tx in waiters {
            let _ = tx.send(Err(HubError::new("Connection disconnected.")));
        }
    }
}

/// Who a message goes to.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    All {
        except: Vec<String>,
    },
    Connections(Vec<String>),
    Groups {
        names: Vec<String>,
        except: Vec<String>,
    },
    Users(Vec<String>),
}

/// Limits on what one connection may hold in the registry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GroupLimits {
    pub(crate) max_groups_per_connection: usize,
    pub(crate) max_group_name_length: usize,
}

/// Every connection of a hub, its groups and its users.
pub(crate) struct Registry {
    pub(crate) connections: RwLock<HashMap<Arc<str>, Arc<Connection>>>,
    groups: RwLock<HashMap<String, HashSet<Arc<str>>>>,
    users: RwLock<HashMap<Arc<str>, HashSet<Arc<str>>>>,
    /// Connections per client address.
    addresses: Mutex<HashMap<IpAddr, usize>>,
    /// How long a client result may take.
    pub(crate) client_result_timeout: Duration,
    limits: GroupLimits,
    /// The backplane to the other servers of a farm, if any.
    pub(crate) scaleout: OnceLock<ScaleOut>,
}

impl Registry {
    pub(crate) fn new(client_result_timeout: Duration, limits: GroupLimits) -> Self {
        Registry {
            connections: RwLock::default(),
            groups: RwLock::default(),
            users: RwLock::default(),
            addresses: Mutex::default(),
            client_result_timeout,
            limits,
            scaleout: OnceLock::new(),
        }
    }

    pub(crate) fn add(&self, c: Arc<Connection>) {
        if let Some(ip) = c.remote
            && let Ok(mut a) = self.addresses.lock()
        {
            *a.entry(ip).or_default() += 1;
        }
        if let Some(user) = &c.user
            && let Ok(mut users) = self.users.write()
        {
            users.entry(user.clone()).or_default().insert(c.id.clone());
        }
        if let Ok(mut m) = self.connections.write() {
            m.insert(c.id.clone(), c);
        }
    }

    pub(crate) fn remove(&self, c: &Connection) {
        if let Ok(mut m) = self.connections.write() {
            m.remove(&c.id);
        }
        if let Some(ip) = c.remote
            && let Ok(mut a) = self.addresses.lock()
            && let Some(n) = a.get_mut(&ip)
        {
            *n -= 1;
            if *n == 0 {
                a.remove(&ip);
            }
        }
        if let Some(user) = &c.user
            && let Ok(mut users) = self.users.write()
            && let Some(ids) = users.get_mut(user)
        {
            ids.remove(&c.id);
            if ids.is_empty() {
                users.remove(user);
            }
        }
        let joined: Vec<String> = c
            .groups
            .lock()
            .map(|mut g| g.drain().collect())
            .unwrap_or_default();
        if !joined.is_empty()
            && let Ok(mut groups) = self.groups.write()
        {
            for name in joined {
                if let Some(members) = groups.get_mut(&name) {
                    members.remove(&c.id);
                    if members.is_empty() {
                        groups.remove(&name);
                        scaleout::group_closed(self, &name);
                    }
                }
            }
        }
        scaleout::connection_closed(self, &c.id, c.user.as_deref());
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.connections.read().ok()?.get(id).cloned()
    }

    /// How many connections are open.
    pub(crate) fn len(&self) -> usize {
        self.connections.read().map(|c| c.len()).unwrap_or(0)
    }

    /// How many connections `user` has open.
    pub(crate) fn user_connections(&self, user: &str) -> usize {
        self.users
            .read()
            .ok()
            .and_then(|u| u.get(user).map(HashSet::len))
            .unwrap_or(0)
    }

    /// How many connections come from `ip`.
    pub(crate) fn address_connections(&self, ip: IpAddr) -> usize {
        self.addresses
            .lock()
            .ok()
            .and_then(|a| a.get(&ip).copied())
            .unwrap_or(0)
    }

    /// Adds a connection of this server to a group, or says it is not here.
    pub(crate) fn add_to_group(&self, connection_id: &str, group: &str) -> Result<Added, HubError> {
        let Some(c) = self.get(connection_id) else {
            return Ok(Added::NotHere);
        };
        if group.len() > self.limits.max_group_name_length {
            return Err(HubError::new(format!(
                "The group name is longer than {} bytes.",
                self.limits.max_group_name_length
            )));
        }
        {
            let Ok(mut joined) = c.groups.lock() else {
                return Ok(Added::NotHere);
            };
            if !joined.contains(group) {
                if joined.len() >= self.limits.max_groups_per_connection {
                    return Err(HubError::new(format!(
                        "The connection is already in the maximum of {} groups.",
                        self.limits.max_groups_per_connection
                    )));
                }
                joined.insert(group.to_owned());
            }
        }
        let mut opened = None;
        if let Ok(mut g) = self.groups.write() {
            let members = g.entry(group.to_owned()).or_default();
            if members.is_empty() {
                opened = scaleout::group_opened(self, group);
            }
            members.insert(c.id.clone());
        }
        Ok(Added::Here(opened))
    }

    /// Removes a connection of this server from a group; `false` when it is not here.
    pub(crate) fn remove_from_group(&self, connection_id: &str, group: &str) -> bool {
        let Some(c) = self.get(connection_id) else {
            return false;
        };
        if let Ok(mut joined) = c.groups.lock() {
            joined.remove(group);
        }
        if let Ok(mut g) = self.groups.write()
            && let Some(members) = g.get_mut(group)
        {
            members.remove(connection_id);
            if members.is_empty() {
                g.remove(group);
                scaleout::group_closed(self, group);
            }
        }
        true
    }

    /// The connections of this server a message to `target` reaches.
    pub(crate) fn select(&self, target: &Target) -> Vec<Arc<Connection>> {
        let Ok(conns) = self.connections.read() else {
            return Vec::new();
        };
        match target {
            Target::All { except } => conns
                .values()
                .filter(|c| !except.iter().any(|e| **e == *c.id))
                .cloned()
                .collect(),
            Target::Connections(ids) => ids
                .iter()
                .filter_map(|id| conns.get(id.as_str()).cloned())
                .collect(),
            Target::Groups { names, except } => {
                let Ok(groups) = self.groups.read() else {
                    return Vec::new();
                };
                let mut seen = HashSet::new();
                names
                    .iter()
                    .filter_map(|n| groups.get(n))
                    .flatten()
                    .filter(|id| !except.iter().any(|e| **e == ***id) && seen.insert((*id).clone()))
                    .filter_map(|id| conns.get(id).cloned())
                    .collect()
            }
            Target::Users(users) => {
                let Ok(index) = self.users.read() else {
                    return Vec::new();
                };
                let mut seen = HashSet::new();
                users
                    .iter()
                    .filter_map(|u| index.get(u.as_str()))
                    .flatten()
                    .filter(|id| seen.insert((*id).clone()))
                    .filter_map(|id| conns.get(id).cloned())
                    .collect()
            }
        }
    }
}
