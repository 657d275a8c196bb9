//! Connected clients, groups and users, and sending to them.
//!
//! A message to many connections is encoded once per protocol and the same bytes are queued
//! on every connection. Each connection's queue is bounded: a connection whose queue is full
//! (its client stopped reading) is closed rather than allowed to grow the server's memory.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use bytes::Bytes;
use signalr_protocol::{
    CompletionResult, Headers, HubMessage, IntoArguments, Invocation, Payload, Protocol,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::hub::HubError;
use crate::scaleout::GroupChange;

/// One encoded frame, ready for the transport.
#[derive(Debug, Clone)]
pub(crate) enum Frame {
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Frame {
    pub(crate) fn encode(protocol: Protocol, msg: &HubMessage<'_>) -> Result<Frame, HubError> {
        let bytes = protocol.to_frame(msg).map_err(HubError::internal)?;
        Ok(match protocol {
            Protocol::Json => Frame::Text(
                Utf8Bytes::try_from(Bytes::from(bytes))
                    .map_err(|_| HubError::internal("JSON frame is not UTF-8"))?,
            ),
            Protocol::MessagePack => Frame::Binary(Bytes::from(bytes)),
        })
    }

    /// The frame's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Frame::Text(t) => t.as_bytes(),
            Frame::Binary(b) => b,
        }
    }

    /// The frame's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.as_bytes().len()
    }
}

/// What a client answered to a client-result invocation.
pub(crate) type ClientResult = Result<Option<Payload<'static>>, HubError>;

/// The server's view of one connection.
pub(crate) struct Connection {
    pub(crate) id: Arc<str>,
    pub(crate) user: Option<Arc<str>>,
    pub(crate) protocol: Protocol,
    pub(crate) tx: mpsc::Sender<Frame>,
    /// Fires to end the connection (stuck queue, server shutdown).
    pub(crate) abort: CancellationToken,
    pub(crate) pending_results: Mutex<HashMap<String, oneshot::Sender<ClientResult>>>,
    next_id: AtomicU64,
}

impl Connection {
    pub(crate) fn new(
        id: Arc<str>,
        user: Option<Arc<str>>,
        protocol: Protocol,
        tx: mpsc::Sender<Frame>,
        abort: CancellationToken,
    ) -> Self {
        Connection {
            id,
            user,
            protocol,
            tx,
            abort,
            pending_results: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        }
    }

    /// Queues a frame; a full queue means the client stopped reading: the connection ends.
    pub(crate) fn push(&self, frame: Frame) -> bool {
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(connection = %self.id, "outgoing queue full; closing the connection");
                self.abort.cancel();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
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

/// Every connection of a hub, and its groups.
pub(crate) struct Registry {
    pub(crate) connections: RwLock<HashMap<Arc<str>, Arc<Connection>>>,
    pub(crate) groups: RwLock<HashMap<String, HashSet<Arc<str>>>>,
    /// How long a client result may take.
    client_result_timeout: Duration,
    /// The backplane to the other servers of a farm, if any.
    pub(crate) scaleout: OnceLock<crate::scaleout::ScaleOut>,
}

impl Registry {
    pub(crate) fn new(client_result_timeout: Duration) -> Self {
        Registry {
            connections: RwLock::default(),
            groups: RwLock::default(),
            client_result_timeout,
            scaleout: OnceLock::new(),
        }
    }

    pub(crate) fn add(&self, c: Arc<Connection>) {
        if let Ok(mut m) = self.connections.write() {
            m.insert(c.id.clone(), c);
        }
    }

    pub(crate) fn remove(&self, id: &str) {
        let removed = self.connections.write().ok().and_then(|mut m| m.remove(id));
        if let Ok(mut g) = self.groups.write() {
            g.retain(|name, members| {
                let keep = !members.remove(id) || !members.is_empty();
                if !keep {
                    crate::scaleout::group_closed(self, name);
                }
                keep
            });
        }
        if let Some(c) = removed {
            crate::scaleout::connection_closed(self, id, c.user.as_deref());
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.connections.read().ok()?.get(id).cloned()
    }

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
            Target::Users(users) => conns
                .values()
                .filter(|c| {
                    c.user
                        .as_deref()
                        .is_some_and(|u| users.iter().any(|x| x == u))
                })
                .cloned()
                .collect(),
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

pub(crate) fn invocation_frame(
    protocol: Protocol,
    id: Option<String>,
    method: &str,
    args: &(dyn IntoArguments + Sync),
) -> Result<Frame, HubError> {
    let msg = HubMessage::Invocation(Invocation {
        headers: Headers::new(),
        invocation_id: id.map(Into::into),
        target: method.into(),
        arguments: args.to_arguments(protocol)?,
        // ASP.NET Core writes the stream ids element of every MessagePack invocation (an
        // empty array here), and some clients read it unconditionally; JSON leaves it out.
        stream_ids: match protocol {
            Protocol::MessagePack => Some(Vec::new()),
            Protocol::Json => None,
        },
    });
    Frame::encode(protocol, &msg)
}

/// Proxies to the clients of a hub, as seen from one caller (for `caller` and `others`).
#[derive(Clone)]
pub struct Clients {
    pub(crate) registry: Arc<Registry>,
    pub(crate) caller: Option<Arc<str>>,
}

impl fmt::Debug for Clients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clients")
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

impl Clients {
    fn proxy(&self, target: Target) -> ClientProxy {
        ClientProxy {
            registry: self.registry.clone(),
            target,
        }
    }

    fn caller_id(&self) -> String {
        self.caller.as_deref().unwrap_or_default().to_owned()
    }

    /// Every connected client.
    pub fn all(&self) -> ClientProxy {
        self.proxy(Target::All { except: Vec::new() })
    }

    /// Every connected client except these connections.
    pub fn all_except(
        &self,
        connection_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> ClientProxy {
        self.proxy(Target::All {
            except: connection_ids.into_iter().map(Into::into).collect(),
        })
    }

    /// The calling client.
    pub fn caller(&self) -> SingleClientProxy {
        self.client(self.caller_id())
    }

    /// Every client but the caller.
    pub fn others(&self) -> ClientProxy {
        self.all_except([self.caller_id()])
    }

    /// One connection.
    pub fn client(&self, connection_id: impl Into<String>) -> SingleClientProxy {
        SingleClientProxy {
            registry: self.registry.clone(),
            connection_id: connection_id.into(),
        }
    }

    /// Several connections.
    pub fn clients(
        &self,
        connection_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> ClientProxy {
        self.proxy(Target::Connections(
            connection_ids.into_iter().map(Into::into).collect(),
        ))
    }

    /// The members of a group.
    pub fn group(&self, name: impl Into<String>) -> ClientProxy {
        self.proxy(Target::Groups {
            names: vec![name.into()],
            except: Vec::new(),
        })
    }

    /// The members of several groups (each connection once).
    pub fn groups(&self, names: impl IntoIterator<Item = impl Into<String>>) -> ClientProxy {
        self.proxy(Target::Groups {
            names: names.into_iter().map(Into::into).collect(),
            except: Vec::new(),
        })
    }

    /// The members of a group except these connections.
    pub fn group_except(
        &self,
        name: impl Into<String>,
        connection_ids: impl IntoIterator<Item = impl Into<String>>,
    ) -> ClientProxy {
        self.proxy(Target::Groups {
            names: vec![name.into()],
            except: connection_ids.into_iter().map(Into::into).collect(),
        })
    }

    /// The members of a group except the caller.
    pub fn others_in_group(&self, name: impl Into<String>) -> ClientProxy {
        self.group_except(name, [self.caller_id()])
    }

    /// Every connection of a user.
    pub fn user(&self, user: impl Into<String>) -> ClientProxy {
        self.proxy(Target::Users(vec![user.into()]))
    }

    /// Every connection of several users.
    pub fn users(&self, users: impl IntoIterator<Item = impl Into<String>>) -> ClientProxy {
        self.proxy(Target::Users(users.into_iter().map(Into::into).collect()))
    }
}

/// Sends to a set of clients.
#[derive(Clone)]
pub struct ClientProxy {
    registry: Arc<Registry>,
    target: Target,
}

impl fmt::Debug for ClientProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientProxy")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl ClientProxy {
    /// Invokes `method` on every selected client without waiting for replies. The message is
    /// encoded once per protocol in use. Returns how many connections it was queued on.
    pub fn send(&self, method: &str, args: &(dyn IntoArguments + Sync)) -> Result<usize, HubError> {
        if let Some(sent) = crate::scaleout::send(&self.registry, &self.target, method, args) {
            return sent;
        }
        let targets = self.registry.select(&self.target);
        let mut encoded: [Option<Frame>; 2] = [None, None];
        let mut sent = 0;
        for c in targets {
            let slot = match c.protocol {
                Protocol::Json => 0,
                Protocol::MessagePack => 1,
            };
            if encoded[slot].is_none() {
                encoded[slot] = Some(invocation_frame(c.protocol, None, method, args)?);
            }
            if let Some(frame) = &encoded[slot]
                && c.push(frame.clone())
            {
                sent += 1;
            }
        }
        Ok(sent)
    }
}

/// Sends to, or invokes with a result on, one client.
#[derive(Clone)]
pub struct SingleClientProxy {
    registry: Arc<Registry>,
    connection_id: String,
}

impl fmt::Debug for SingleClientProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleClientProxy")
            .field("connection_id", &self.connection_id)
            .finish_non_exhaustive()
    }
}

impl SingleClientProxy {
    /// Invokes `method` on the client without waiting for a reply.
    pub fn send(&self, method: &str, args: &(dyn IntoArguments + Sync)) -> Result<bool, HubError> {
        let Some(c) = self.registry.get(&self.connection_id) else {
            return crate::scaleout::send_to_remote(
                &self.registry,
                &self.connection_id,
                method,
                args,
            );
        };
        Ok(c.push(invocation_frame(c.protocol, None, method, args)?))
    }

    /// Invokes `method` on the client and waits for its result (a client result), up to the
    /// server's client-result timeout or until `cancel` fires.
    pub async fn invoke_raw(
        &self,
        method: &str,
        args: &(dyn IntoArguments + Sync),
        cancel: &CancellationToken,
    ) -> Result<Option<Payload<'static>>, HubError> {
        let timeout = self.registry.client_result_timeout;
        if self.registry.get(&self.connection_id).is_none()
            && let Some(answer) =
                crate::scaleout::invoke_remote(&self.registry, &self.connection_id, method, args)
        {
            return crate::scaleout::wait_for_result(answer?, timeout, cancel).await;
        }
        let c = self.registry.get(&self.connection_id).ok_or_else(|| {
            HubError::new(format!(
                "Connection '{}' does not exist.",
                self.connection_id
            ))
        })?;
        let id = format!("s{}", c.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        if let Ok(mut m) = c.pending_results.lock() {
            m.insert(id.clone(), tx);
        }
        let frame = invocation_frame(c.protocol, Some(id.clone()), method, args)?;
        if !c.push(frame) {
            c.complete_result(&id, Err(HubError::new("Connection disconnected.")));
        }
        // The calling hub method's invocation slot is free while the client answers.
        let outcome = crate::connection::without_slot(async {
            tokio::select! {
                r = rx => r.unwrap_or_else(|_| Err(HubError::new("Connection disconnected."))),
                () = tokio::time::sleep(timeout) => Err(HubError::new("Invocation canceled by the server.")),
                () = cancel.cancelled() => Err(HubError::new("Invocation canceled by the server.")),
            }
        })
        .await;
        if let Ok(mut m) = c.pending_results.lock() {
            m.remove(&id);
        }
        outcome
    }

    /// Invokes `method` on the client and binds its result to `T`.
    pub async fn invoke<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        args: &(dyn IntoArguments + Sync),
        cancel: &CancellationToken,
    ) -> Result<T, HubError> {
        match self.invoke_raw(method, args, cancel).await? {
            Some(p) => p.bind::<T>().map_err(HubError::from),
            None => serde_json::from_value(serde_json::Value::Null)
                .map_err(|_| HubError::new("Client didn't provide a result.")),
        }
    }
}

/// Adds connections to groups and removes them.
#[derive(Clone)]
pub struct Groups {
    pub(crate) registry: Arc<Registry>,
}

impl fmt::Debug for Groups {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Groups")
    }
}

impl Groups {
    /// Adds a connection to a group (a connection that no longer exists is ignored). With a
    /// backplane, the connection may be on another server of the farm; await the returned
    /// [`GroupChange`] to know the change has taken effect across the farm.
    pub fn add(&self, connection_id: &str, group: &str) -> GroupChange {
        let Some(c) = self.registry.get(connection_id) else {
            return GroupChange::remote(crate::scaleout::change_remote_group(
                &self.registry,
                connection_id,
                group,
                true,
            ));
        };
        let mut opened = None;
        if let Ok(mut g) = self.registry.groups.write() {
            let members = g.entry(group.to_owned()).or_default();
            if members.is_empty() {
                opened = crate::scaleout::group_opened(&self.registry, group);
            }
            members.insert(c.id.clone());
        }
        GroupChange::subscribing(opened)
    }

    /// Removes a connection from a group (with a backplane, also one on another server).
    pub fn remove(&self, connection_id: &str, group: &str) -> GroupChange {
        if self.registry.get(connection_id).is_none() {
            return GroupChange::remote(crate::scaleout::change_remote_group(
                &self.registry,
                connection_id,
                group,
                false,
            ));
        }
        if let Ok(mut g) = self.registry.groups.write()
            && let Some(members) = g.get_mut(group)
        {
            members.remove(connection_id);
            if members.is_empty() {
                g.remove(group);
                crate::scaleout::group_closed(&self.registry, group);
            }
        }
        GroupChange::done()
    }
}

/// Turns a client's Completion into a client result.
pub(crate) fn client_result(result: CompletionResult<'_>) -> ClientResult {
    match result {
        CompletionResult::Void => Ok(None),
        CompletionResult::Value(p) => Ok(Some(p.into_owned())),
        CompletionResult::Error(e) => Err(HubError::new(e.into_owned())),
    }
}
