//! Sending to clients: every connection, some, a group, a user; and group membership.

use std::fmt;
use std::sync::Arc;

use signalr_protocol::{CompletionResult, IntoArguments, Payload};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::clients::codec::CODEC_SLOTS;
use crate::clients::registry::{ClientResult, Registry, Target};
use crate::error::HubError;
use crate::frame::Frame;
use crate::scaleout::{self, Added};

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
    /// encoded once per kind of connection in use. Returns how many connections it was
    /// queued on.
    pub fn send(&self, method: &str, args: &(dyn IntoArguments + Sync)) -> Result<usize, HubError> {
        if let Some(sent) = scaleout::send(&self.registry, &self.target, method, args) {
            return sent;
        }
        let targets = self.registry.select(&self.target);
        let mut encoded: [Option<Frame>; CODEC_SLOTS] = Default::default();
        let mut sent = 0;
        for c in targets {
            let slot = c.codec.slot().min(CODEC_SLOTS - 1);
            let frame = match &encoded[slot] {
                Some(f) => f.clone(),
                None => {
                    let f = c.codec.invocation(None, method, args)?;
                    encoded[slot] = Some(f.clone());
                    f
                }
            };
            if c.push(frame) {
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
            return scaleout::send_to_remote(&self.registry, &self.connection_id, method, args);
        };
        Ok(c.push(c.codec.invocation(None, method, args)?))
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
                scaleout::invoke_remote(&self.registry, &self.connection_id, method, args)
        {
            return scaleout::wait_for_result(answer?, timeout, cancel).await;
        }
        let c = self.registry.get(&self.connection_id).ok_or_else(|| {
            HubError::new(format!(
                "Connection '{}' does not exist.",
                self.connection_id
            ))
        })?;
        let id = c.next_invocation_id();
        // Encoded first: a connection whose codec cannot carry a client result (a classic
        // one) fails the call without leaving a waiter behind.
        let frame = c.codec.invocation(Some(&id), method, args)?;
        let (tx, rx) = oneshot::channel::<ClientResult>();
        if let Ok(mut m) = c.pending_results.lock() {
            m.insert(id.clone(), tx);
        }
        if !c.push(frame) {
            c.complete_result(&id, Err(HubError::new("Connection disconnected.")));
        }
        // The calling hub method's invocation slot is free while the client answers.
        let outcome = crate::slot::without_slot(async {
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
    /// Adds a connection to a group (a connection that no longer exists is ignored). Fails
    /// when the connection is already in the most groups a connection may join, or the name
    /// is longer than allowed.
    ///
    /// With a backplane, the connection may be on another server of the farm; this returns
    /// once the change has taken effect across the farm (the group's messages from other
    /// servers reach the connection), and fails if no server acknowledged it in time.
    pub async fn add(&self, connection_id: &str, group: &str) -> Result<(), HubError> {
        match self.registry.add_to_group(connection_id, group)? {
            Added::Here(Some(subscribed)) => {
                subscribed.await;
                Ok(())
            }
            Added::Here(None) => Ok(()),
            Added::NotHere => {
                match scaleout::change_remote_group(&self.registry, connection_id, group, true) {
                    Some(acknowledged) => acknowledged.await,
                    None => Ok(()),
                }
            }
        }
    }

    /// Removes a connection from a group (with a backplane, also one on another server of
    /// the farm, once that server acknowledged it).
    pub async fn remove(&self, connection_id: &str, group: &str) -> Result<(), HubError> {
        if !self.registry.remove_from_group(connection_id, group)
            && let Some(acknowledged) =
                scaleout::change_remote_group(&self.registry, connection_id, group, false)
        {
            return acknowledged.await;
        }
        Ok(())
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
