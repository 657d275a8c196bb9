//! What other servers publish, delivered here: invocations to this server's connections,
//! group commands for them, acknowledgements of this server's group commands and the
//! answers to its client results.
//!
//! Messages are handled one at a time in arrival order (ASP.NET Core handles each channel's
//! messages in order); nothing here waits for a connection or for Redis, except group
//! commands, which have their own task.

use std::sync::Weak;

use bytes::Bytes;
use signalr_protocol::{
    Completion, CompletionResult, Headers, HubMessage, Protocol, decode_frames,
};
use signalr_server::HubError;
use signalr_server::scaleout::{Audience, ClientResult, SerializedMessage};
use tokio::sync::mpsc;

use crate::channels::Incoming;
use crate::inbox::{Inbound, Inbox};
use crate::messages::{
    self, GroupAction, GroupCommand, ResultReturn, read_ack, read_completion, read_group_command,
    read_invocation,
};
use crate::state::{Attached, Inner};

/// Delivers what arrives in `inbox` until the link stops or the backplane is dropped.
pub(crate) async fn run(inner: Weak<Inner>, mut inbox: Inbox) {
    while let Some(m) = inbox.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        if let Some(a) = inner.attached() {
            handle(a, &inner, m);
        }
    }
}

/// The protocols ASP.NET Core's servers name (ordinal, as it looks them up).
fn protocol_named(name: &str) -> Option<Protocol> {
    Protocol::ALL.into_iter().find(|p| p.name() == name)
}

fn serialized_message(serialized: &[(String, Bytes)]) -> SerializedMessage {
    let mut message = SerializedMessage::new();
    for (name, bytes) in serialized {
        if let Some(p) = protocol_named(name) {
            message.insert(p, bytes.clone());
        }
    }
    message
}

fn handle(a: &Attached, inner: &std::sync::Arc<Inner>, m: Inbound) {
    let Some(kind) = a.channels.classify(&m.channel) else {
        return;
    };
    match kind {
        Incoming::All | Incoming::Group(_) | Incoming::User(_) | Incoming::Connection(_) => {
            if matches!(kind, Incoming::All) {
                tracing::trace!(
                    "Received message from Redis channel {}.",
                    String::from_utf8_lossy(&m.channel)
                );
            }
            let invocation = match read_invocation(&m.payload) {
                Ok(i) => i,
                Err(e) => {
                    tracing::debug!("Failed writing message: {e}");
                    return;
                }
            };
            let message = serialized_message(&invocation.serialized);
            let except = &invocation.excluded;
            match kind {
                Incoming::All => {
                    a.local.deliver(Audience::All { except }, &message);
                }
                Incoming::Group(name) => {
                    a.local.deliver(Audience::Group { name, except }, &message);
                }
                Incoming::User(user) => {
                    a.local.deliver(Audience::User(user), &message);
                }
                Incoming::Connection(id) => match invocation.result {
                    None => {
                        a.local.deliver(Audience::Connection(id), &message);
                    }
                    Some(back) => relay_client_result(a, inner, id, back, &message),
                },
                _ => {}
            }
        }
        Incoming::GroupCommands => match read_group_command(&m.payload) {
            Ok(c) if a.local.has_connection(&c.connection_id) => {
                let _ = a.group_commands.send(c);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("Error processing message for internal server message: {e}"),
        },
        Incoming::Ack => match read_ack(&m.payload) {
            Ok(id) => {
                a.acks.complete(&id, ());
            }
            Err(e) => tracing::warn!("Error processing message for internal server message: {e}"),
        },
        Incoming::Return => complete_client_result(a, &m.payload),
    }
}

/// Another server's client result for a connection here: sends the invocation, and the
/// client's answer back, framed in the client's protocol.
fn relay_client_result(
    a: &Attached,
    inner: &std::sync::Arc<Inner>,
    connection_id: &str,
    back: ResultReturn,
    message: &SerializedMessage,
) {
    let Some((protocol, answer)) =
        a.local
            .invoke_for_remote(connection_id, &back.invocation_id, message)
    else {
        // The connection has just ended: say so rather than let the caller wait.
        let (protocol, _) = message
            .iter()
            .next()
            .unwrap_or((Protocol::Json, &Bytes::new()));
        let result = Err(HubError::new("Connection disconnected."));
        send_completion(a, protocol, &back, &result);
        return;
    };
    let inner = std::sync::Arc::downgrade(inner);
    tokio::spawn(async move {
        let result = answer.await;
        if let Some(inner) = inner.upgrade()
            && let Some(a) = inner.attached()
        {
            send_completion(a, protocol, &back, &result);
        }
    });
}

fn send_completion(a: &Attached, protocol: Protocol, back: &ResultReturn, result: &ClientResult) {
    let result = match result {
        Ok(None) => CompletionResult::Void,
        Ok(Some(p)) => CompletionResult::Value(p.clone()),
        Err(e) => CompletionResult::Error(e.to_string().into()),
    };
    let frame = protocol.to_frame(&HubMessage::Completion(Completion {
        headers: Headers::new(),
        invocation_id: back.invocation_id.as_str().into(),
        result,
    }));
    let sent = match frame {
        Ok(frame) => a.publish(
            back.channel.clone(),
            messages::write_completion(protocol.name(), &frame),
            false,
        ),
        Err(_) => false,
    };
    if !sent {
        tracing::error!(
            "Error forwarding client result with ID '{}' to server.",
            back.invocation_id
        );
    }
}

/// A client's answer, relayed by the server that has the client, to a client result of
/// this server.
fn complete_client_result(a: &Attached, payload: &Bytes) {
    let completion = match read_completion(payload) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("Error processing message for internal server message: {e}");
            return;
        }
    };
    let Some(protocol) = protocol_named(&completion.protocol) else {
        tracing::error!(
            "Received a client result for protocol {} which is not supported by this server. This likely means you have different versions of your server deployed.",
            completion.protocol
        );
        return;
    };
    let mut answer = None;
    let parsed = decode_frames(protocol, &completion.completion, None, |msg| {
        if let Ok(HubMessage::Completion(c)) = msg {
            let result = match c.result {
                CompletionResult::Void => Ok(None),
                CompletionResult::Value(p) => Ok(Some(p.into_owned())),
                CompletionResult::Error(e) => Err(HubError::new(e.into_owned())),
            };
            answer = Some((c.invocation_id.into_owned(), result));
        }
    });
    match (parsed, answer) {
        (Ok(()), Some((id, result))) => {
            a.results.complete(&id, result);
        }
        _ => tracing::warn!(
            "Error parsing client result with protocol {}.",
            completion.protocol
        ),
    }
}

/// Group commands for this server's connections, one at a time: the change, then (once
/// the group's messages from other servers reach this server) the acknowledgement.
pub(crate) async fn group_commands(
    inner: Weak<Inner>,
    mut rx: mpsc::UnboundedReceiver<GroupCommand>,
) {
    while let Some(c) = rx.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        let Some(a) = inner.attached() else { continue };
        let done = match c.action {
            GroupAction::Add => match a.local.add_to_group(&c.connection_id, &c.group) {
                Some(added) => {
                    // Acknowledged even when refused (a group limit): the layout has no
                    // room for an error, and the sender must not wait for nothing.
                    if let Err(e) = added.await {
                        tracing::debug!(connection = %c.connection_id, "group add refused: {e}");
                    }
                    true
                }
                None => false,
            },
            GroupAction::Remove => a.local.remove_from_group(&c.connection_id, &c.group),
        };
        if done {
            a.publish(
                a.channels.ack_for(&c.server),
                messages::write_ack(c.id),
                false,
            );
        }
    }
}
