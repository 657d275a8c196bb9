//! Where the server calls its backplane: each function does nothing (or says so) when the
//! server has none.

use std::sync::Arc;
use std::time::Duration;

use signalr_protocol::{IntoArguments, Protocol};
use tokio_util::sync::CancellationToken;

use super::local::{Fanout, LocalHub};
use super::{Audience, Backplane, ClientResult, SerializedMessage};
use crate::clients::registry::{Registry, Target};
use crate::error::HubError;
use crate::hub::BoxFuture;

/// A server's backplane, and the protocols it serializes for.
pub(crate) struct ScaleOut {
    backplane: Arc<dyn Backplane>,
    protocols: Vec<Protocol>,
}

/// Gives a server its backplane (once).
pub(crate) fn attach(
    registry: &Arc<Registry>,
    hub_name: Option<&str>,
    protocols: &[Protocol],
    backplane: Arc<dyn Backplane>,
) {
    let scaleout = ScaleOut {
        backplane: backplane.clone(),
        protocols: protocols.to_vec(),
    };
    if registry.scaleout.set(scaleout).is_err() {
        tracing::error!("a hub server takes one backplane; this one is ignored");
        return;
    }
    backplane.attach(LocalHub {
        registry: Arc::downgrade(registry),
        hub_name: hub_name.unwrap_or("Hub").to_owned(),
        protocols: protocols.to_vec(),
    });
}

/// With a backplane, `ClientProxy::send`: delivers here, then publishes; `None` without one.
pub(crate) fn send(
    registry: &Registry,
    target: &Target,
    method: &str,
    args: &(dyn IntoArguments + Sync),
) -> Option<Result<usize, HubError>> {
    let s = registry.scaleout.get()?;
    let message = match SerializedMessage::invocation(&s.protocols, None, method, args) {
        Ok(m) => m,
        Err(e) => return Some(Err(e)),
    };
    let sent = Fanout::of_call(&message, method, args).push_all(&registry.select(target));
    let bp = &s.backplane;
    match target {
        Target::All { except } => {
            bp.publish(Audience::All { except }, &message);
        }
        Target::Connections(ids) => {
            for id in ids.iter().filter(|id| registry.get(id).is_none()) {
                bp.publish(Audience::Connection(id), &message);
            }
        }
        Target::Groups { names, except } => {
            for name in names.iter().filter(|n| !n.is_empty()) {
                bp.publish(Audience::Group { name, except }, &message);
            }
        }
        Target::Users(users) => {
            for user in users.iter().filter(|u| !u.is_empty()) {
                bp.publish(Audience::User(user), &message);
            }
        }
    }
    Some(Ok(sent))
}

/// With a backplane, `SingleClientProxy::send` to a connection not on this server.
pub(crate) fn send_to_remote(
    registry: &Registry,
    connection_id: &str,
    method: &str,
    args: &(dyn IntoArguments + Sync),
) -> Result<bool, HubError> {
    let Some(s) = registry.scaleout.get() else {
        return Ok(false);
    };
    let message = SerializedMessage::invocation(&s.protocols, None, method, args)?;
    Ok(s.backplane
        .publish(Audience::Connection(connection_id), &message))
}

/// With a backplane, a client result from a connection not on this server; `None` without
/// one.
pub(crate) fn invoke_remote(
    registry: &Registry,
    connection_id: &str,
    method: &str,
    args: &(dyn IntoArguments + Sync),
) -> Option<Result<BoxFuture<ClientResult>, HubError>> {
    let s = registry.scaleout.get()?;
    let invocation_id = uuid::Uuid::new_v4().simple().to_string();
    Some(
        SerializedMessage::invocation(&s.protocols, Some(&invocation_id), method, args).map(
            |message| {
                s.backplane
                    .invoke_remote(connection_id, &invocation_id, message)
            },
        ),
    )
}

/// Waits for a client result, at most `timeout` and until `cancel`, without the calling
/// hub method's invocation slot.
pub(crate) async fn wait_for_result(
    answer: BoxFuture<ClientResult>,
    timeout: Duration,
    cancel: &CancellationToken,
) -> ClientResult {
    crate::slot::without_slot(async {
        tokio::select! {
            r = answer => r,
            () = tokio::time::sleep(timeout) => Err(HubError::new("Invocation canceled by the server.")),
            () = cancel.cancelled() => Err(HubError::new("Invocation canceled by the server.")),
        }
    })
    .await
}

/// A connection opened here: waits (bounded by the backplane) until other servers reach it.
pub(crate) async fn connection_opened(registry: &Registry, id: &str, user: Option<&str>) {
    if let Some(s) = registry.scaleout.get() {
        s.backplane.connection_opened(id, user).await;
    }
}

/// A connection of this server ended.
pub(crate) fn connection_closed(registry: &Registry, id: &str, user: Option<&str>) {
    if let Some(s) = registry.scaleout.get() {
        s.backplane.connection_closed(id, user);
    }
}

/// A group got its first member here (called under the registry's group lock, so that
/// openings and closings reach the backplane in order).
pub(crate) fn group_opened(registry: &Registry, group: &str) -> Option<BoxFuture<()>> {
    Some(registry.scaleout.get()?.backplane.group_opened(group))
}

/// A group lost its last member here (called under the registry's group lock).
pub(crate) fn group_closed(registry: &Registry, group: &str) {
    if let Some(s) = registry.scaleout.get() {
        s.backplane.group_closed(group);
    }
}

/// A group change for a connection not on this server; `None` without a backplane (then
/// there is nothing to do).
pub(crate) fn change_remote_group(
    registry: &Registry,
    connection_id: &str,
    group: &str,
    add: bool,
) -> Option<BoxFuture<Result<(), HubError>>> {
    Some(
        registry
            .scaleout
            .get()?
            .backplane
            .change_remote_group(connection_id, group, add),
    )
}
