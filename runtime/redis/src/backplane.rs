//! [`RedisBackplane`]: the server side of the farm, on the link.

use std::fmt;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use redis::IntoConnectionInfo;
use signalr_server::BoxFuture;
use signalr_server::HubError;
use signalr_server::scaleout::{Audience, Backplane, ClientResult, LocalHub, SerializedMessage};
use tokio::sync::mpsc;

use crate::channels::Channels;
use crate::link::{Link, LinkOptions, PublishError};
use crate::messages::{self, GroupAction, GroupCommand};
use crate::options::RedisOptions;
use crate::pending::Pending;
use crate::receive;
use crate::state::{Attached, Inner};

/// Why a backplane could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Redis URL is not valid.
    #[error("invalid Redis URL: {0}")]
    Url(#[source] redis::RedisError),
}

/// A Redis backplane for one hub: give it to the hub's server with
/// [`HubServerBuilder::backplane`](signalr_server::HubServerBuilder::backplane).
///
/// Clones share one backplane (keep one to watch [`RedisBackplane::is_connected`]).
#[derive(Clone)]
pub struct RedisBackplane {
    inner: Arc<Inner>,
}

impl fmt::Debug for RedisBackplane {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBackplane")
            .field("server_name", &self.inner.server_name)
            .field("endpoint", &self.inner.connection.addr().to_string())
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// `{machine}_{32 hex digits}`, as ASP.NET Core names its servers.
fn server_name() -> String {
    let machine = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{machine}_{}", uuid::Uuid::new_v4().simple())
}

impl RedisBackplane {
    /// A backplane on the Redis at `url` (`redis://[:password@]host[:port][/db]`), with
    /// default options. Nothing connects until a server is given it.
    pub fn new(url: &str) -> Result<Self, Error> {
        Self::with_options(url, RedisOptions::default())
    }

    /// A backplane with `options`.
    pub fn with_options(url: &str, options: RedisOptions) -> Result<Self, Error> {
        let connection = url.into_connection_info().map_err(Error::Url)?;
        Ok(RedisBackplane {
            inner: Arc::new(Inner {
                connection,
                options,
                server_name: server_name(),
                attached: OnceLock::new(),
            }),
        })
    }

    /// Sets the channel prefix (see [`RedisOptions::channel_prefix`]); before the backplane
    /// is given to a server.
    pub fn channel_prefix(self, prefix: impl Into<String>) -> Self {
        self.map_options(|o| o.channel_prefix = prefix.into())
    }

    /// Sets the hub name of the channels (see [`RedisOptions::hub_name`]); before the
    /// backplane is given to a server.
    pub fn hub_name(self, name: impl Into<String>) -> Self {
        self.map_options(|o| o.hub_name = Some(name.into()))
    }

    fn map_options(self, f: impl FnOnce(&mut RedisOptions)) -> Self {
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => {
                f(&mut inner.options);
                RedisBackplane {
                    inner: Arc::new(inner),
                }
            }
            Err(inner) => {
                tracing::error!("backplane options set after the backplane was shared; ignored");
                RedisBackplane { inner }
            }
        }
    }

    /// This server's name in the farm (`{machine}_{guid}`): the end of its ack and return
    /// channels.
    pub fn server_name(&self) -> &str {
        &self.inner.server_name
    }

    /// Whether the backplane is connected to Redis with every subscription made.
    pub fn is_connected(&self) -> bool {
        self.inner
            .attached
            .get()
            .is_some_and(|a| a.link.status().connected)
    }

    /// Waits until the backplane is connected (the server must have been given it), at most
    /// `timeout`; whether it is.
    pub async fn connected(&self, timeout: Duration) -> bool {
        let Some(a) = self.inner.attached.get() else {
            return false;
        };
        let mut status = a.link.watch();
        matches!(
            tokio::time::timeout(timeout, status.wait_for(|s| s.connected)).await,
            Ok(Ok(_))
        )
    }

    fn attached(&self) -> Option<&Attached> {
        self.inner.attached.get()
    }
}

fn serialized_pairs(message: &SerializedMessage) -> Vec<(&'static str, &[u8])> {
    message.iter().map(|(p, b)| (p.name(), &b[..])).collect()
}

fn ready<T: Send + 'static>(value: T) -> BoxFuture<T> {
    Box::pin(std::future::ready(value))
}

impl Backplane for RedisBackplane {
    fn attach(&self, local: LocalHub) {
        if self.inner.attached.get().is_some() {
            tracing::error!("a Redis backplane serves one hub server; ignored");
            return;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            tracing::error!("the Redis backplane needs a Tokio runtime; not connected");
            return;
        }
        let o = &self.inner.options;
        let hub = o
            .hub_name
            .clone()
            .unwrap_or_else(|| local.hub_name().to_owned());
        let channels = Channels::new(&o.channel_prefix, &hub, &self.inner.server_name);
        tracing::info!(
            "Connecting to Redis endpoints: {}. Using Server Name: {}",
            self.inner.connection.addr(),
            self.inner.server_name
        );
        let (link, inbox) = Link::start(LinkOptions {
            connection: self.inner.connection.clone(),
            reconnect_min: o.reconnect_min_delay,
            reconnect_max: o.reconnect_max_delay,
            connect_timeout: o.connect_timeout,
            response_timeout: o.response_timeout,
            health_check_interval: o.health_check_interval,
            publish_queue: o.publish_queue,
            inbox_capacity: o.receive_queue,
        });
        for channel in [
            channels.all(),
            channels.group_commands(),
            channels.ack().to_owned(),
            channels.ret().to_owned(),
        ] {
            link.subscribe(&channel);
        }
        let (group_commands, commands_rx) = mpsc::unbounded_channel();
        let attached = Attached {
            channels,
            link,
            local,
            server_name: self.inner.server_name.clone(),
            acks: Pending::default(),
            results: Pending::default(),
            next_ack: AtomicI32::new(0),
            options: o.clone(),
            group_commands,
        };
        if self.inner.attached.set(attached).is_err() {
            return;
        }
        let inner = Arc::downgrade(&self.inner);
        tokio::spawn(receive::run(inner.clone(), inbox));
        tokio::spawn(receive::group_commands(inner, commands_rx));
    }

    fn publish(&self, audience: Audience<'_>, message: &SerializedMessage) -> bool {
        let Some(a) = self.attached() else {
            return false;
        };
        let serialized = serialized_pairs(message);
        let none: &[String] = &[];
        let (channel, except, echo) = match audience {
            Audience::All { except } => (a.channels.all(), except, true),
            Audience::Group { name, except } => (a.channels.group(name), except, true),
            Audience::User(user) => (a.channels.user(user), none, true),
            Audience::Connection(id) => (a.channels.connection(id), none, false),
            _ => return false,
        };
        let payload = messages::write_invocation(except, &serialized, None);
        a.publish(channel, payload, echo)
    }

    fn connection_opened(&self, connection_id: &str, user: Option<&str>) -> BoxFuture<()> {
        let Some(a) = self.attached() else {
            return ready(());
        };
        let mut version = a.link.subscribe(&a.channels.connection(connection_id));
        if let Some(user) = user.filter(|u| !u.is_empty()) {
            version = a.link.subscribe(&a.channels.user(user));
        }
        let inner = self.inner.clone();
        let wait = a.options.subscription_wait;
        Box::pin(async move {
            if let Some(a) = inner.attached.get() {
                a.link.confirmed(version, wait).await;
            }
        })
    }

    fn connection_closed(&self, connection_id: &str, user: Option<&str>) {
        let Some(a) = self.attached() else { return };
        a.link.unsubscribe(&a.channels.connection(connection_id));
        if let Some(user) = user.filter(|u| !u.is_empty()) {
            a.link.unsubscribe(&a.channels.user(user));
        }
    }

    fn group_opened(&self, group: &str) -> BoxFuture<()> {
        let Some(a) = self.attached() else {
            return ready(());
        };
        let version = a.link.subscribe(&a.channels.group(group));
        let inner = self.inner.clone();
        let wait = a.options.subscription_wait;
        Box::pin(async move {
            if let Some(a) = inner.attached.get() {
                a.link.confirmed(version, wait).await;
            }
        })
    }

    fn group_closed(&self, group: &str) {
        if let Some(a) = self.attached() {
            a.link.unsubscribe(&a.channels.group(group));
        }
    }

    fn change_remote_group(
        &self,
        connection_id: &str,
        group: &str,
        add: bool,
    ) -> BoxFuture<Result<(), HubError>> {
        let Some(a) = self.attached() else {
            return ready(Err(HubError::internal(
                "the Redis backplane is not running",
            )));
        };
        // Ids start at 1 and wrap, as ASP.NET Core's Interlocked.Increment does.
        let id = a.next_ack.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        let Some(waiter) = a.acks.register(id) else {
            return ready(Err(HubError::internal("group change id in use")));
        };
        let command = GroupCommand {
            id,
            server: a.server_name.clone(),
            action: if add {
                GroupAction::Add
            } else {
                GroupAction::Remove
            },
            group: group.to_owned(),
            connection_id: connection_id.to_owned(),
        };
        let sent = a.link.publish(
            a.channels.group_commands(),
            messages::write_group_command(&command),
            false,
        );
        let timeout = a.options.group_ack_timeout;
        Box::pin(async move {
            if let Err(e) = sent {
                return Err(HubError::internal(format!(
                    "the group change could not be sent: {e}"
                )));
            }
            match tokio::time::timeout(timeout, waiter.wait()).await {
                Ok(Some(())) => Ok(()),
                _ => Err(HubError::internal(format!(
                    "no server acknowledged the group change for connection '{}' within {timeout:?}",
                    command.connection_id
                ))),
            }
        })
    }

    fn invoke_remote(
        &self,
        connection_id: &str,
        invocation_id: &str,
        message: SerializedMessage,
    ) -> BoxFuture<ClientResult> {
        let Some(a) = self.attached() else {
            return ready(Err(HubError::internal(
                "the Redis backplane is not running",
            )));
        };
        let Some(waiter) = a.results.register(invocation_id.to_owned()) else {
            return ready(Err(HubError::new(
                "ID collision occurred when using client results. This is likely a bug in SignalR.",
            )));
        };
        let payload = messages::write_invocation::<&str>(
            &[],
            &serialized_pairs(&message),
            Some((invocation_id, a.channels.ret())),
        );
        let receivers = a
            .link
            .publish_counted(a.channels.connection(connection_id), Bytes::from(payload));
        let connection_id = connection_id.to_owned();
        Box::pin(async move {
            let not_there =
                || HubError::new(format!("Connection '{connection_id}' does not exist."));
            let unreachable =
                |e: PublishError| HubError::internal(format!("client result not sent: {e}"));
            match receivers {
                Err(e) => return Err(unreachable(e)),
                Ok(count) => match count.await {
                    Ok(Ok(0)) => return Err(not_there()),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Err(unreachable(e)),
                    Err(_) => return Err(unreachable(PublishError::Down)),
                },
            }
            waiter
                .wait()
                .await
                .unwrap_or_else(|| Err(HubError::new("Connection disconnected.")))
        })
    }
}
