//! One invocation from start to Completion: authorization, the filters and the hub method,
//! its reply or stream, every failure answered with ASP.NET Core's text, and panics
//! contained. The future runs on the connection's own task; nothing is spawned per call.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::{FutureExt, StreamExt};
use signalr_protocol::{Completion, CompletionResult, Headers, HubMessage, Payload, StreamItem};
use tokio_util::sync::CancellationToken;

use crate::clients::registry::Connection;
use crate::context::HubContext;
use crate::error::HubError;
use crate::frame::Frame;
use crate::hub::{BoxStream, Call, HubMethod, MethodKind, Reply};
use crate::slot::Slot;

/// The text of a Completion error, as ASP.NET Core writes it.
pub(crate) fn error_text(target: &str, e: &HubError, detailed: bool) -> String {
    match e {
        HubError::Binding(b) => {
            let base = format!("Failed to invoke '{target}' due to an error on the server.");
            if detailed {
                format!("{base} InvalidDataException: {b}")
            } else {
                base
            }
        }
        HubError::Hub(m) | HubError::Coded { message: m, .. } => format!(
            "An unexpected error occurred invoking '{target}' on the server. HubException: {m}"
        ),
        HubError::Named { exception, message } => format!(
            "An unexpected error occurred invoking '{target}' on the server. {exception}: {message}"
        ),
        HubError::Internal(m) => {
            let base = format!("An unexpected error occurred invoking '{target}' on the server.");
            if detailed {
                format!("{base} Exception: {m}")
            } else {
                base
            }
        }
    }
}

/// The text of a stream that failed after it started.
fn stream_error_text(e: &HubError, detailed: bool) -> String {
    let base = "An error occurred on the server while streaming results.";
    match e {
        HubError::Hub(m) | HubError::Coded { message: m, .. } => {
            format!("{base} HubException: {m}")
        }
        HubError::Named { exception, message } => format!("{base} {exception}: {message}"),
        _ if detailed => format!("{base} Exception: {e}"),
        _ => base.to_owned(),
    }
}

/// One invocation, ready to run.
pub(crate) struct Invocation {
    pub(crate) ctx: Arc<HubContext>,
    pub(crate) conn: Arc<Connection>,
    /// The client's invocation id (none for a non-blocking invocation).
    pub(crate) id: Option<Arc<str>>,
    pub(crate) method: HubMethod,
    pub(crate) call: Call,
}

impl Invocation {
    /// Runs the invocation to its end. `slot` is the invocation slot it holds (non-streaming
    /// invocations), given back once the method's reply is queued.
    pub(crate) async fn run(self, slot: Option<Slot>) {
        let Invocation {
            ctx,
            conn,
            id,
            method,
            call,
        } = self;
        let reply = Replier {
            conn,
            id,
            detailed: ctx.options.enable_detailed_errors,
        };
        let target = call.target.clone();
        let cancellation = call.cancellation.clone();
        let requirements = ctx.hub.method_requirements(&method.name);
        if !requirements.is_empty() {
            let identity = reply.conn.identity.as_deref();
            let allowed = ctx
                .auth
                .authorize(requirements, identity, Some(&method.name))
                .await;
            if allowed.is_err() {
                tracing::debug!(connection = %reply.conn.id, method = %method.name, "invocation refused: user is unauthorized");
                if let Some(slot) = &slot {
                    slot.release();
                }
                let text = format!("Failed to invoke '{target}' because user is unauthorized");
                reply.complete(CompletionResult::Error(text.into())).await;
                return;
            }
        }
        let running = ctx.filters.invoke(&method.handler, call);
        // A panicking method must not take the connection down, nor leave its caller waiting.
        let outcome = match &slot {
            Some(slot) => {
                AssertUnwindSafe(crate::slot::SLOT.scope(slot.clone(), running))
                    .catch_unwind()
                    .await
            }
            None => AssertUnwindSafe(running).catch_unwind().await,
        };
        let detailed = reply.detailed;
        match outcome {
            Ok(Ok(Reply::Void)) => reply.complete(CompletionResult::Void).await,
            Ok(Ok(Reply::Value(v))) => reply.complete(CompletionResult::Value(v)).await,
            Ok(Ok(Reply::Stream(items))) if method.kind == MethodKind::Stream => {
                reply.stream(items, &cancellation, &method.name).await;
            }
            Ok(Ok(Reply::Stream(_))) => {
                let e = HubError::internal("a non-streaming method answered with a stream");
                let text = error_text(&target, &e, detailed);
                reply.complete(CompletionResult::Error(text.into())).await;
            }
            Ok(Err(e)) => {
                let text = error_text(&target, &e, detailed);
                reply.complete(CompletionResult::Error(text.into())).await;
            }
            Err(panic) => {
                let what = panic_message(&*panic);
                tracing::error!(connection = %reply.conn.id, method = %method.name, "hub method panicked: {what}");
                let e = HubError::internal("the method panicked");
                let text = error_text(&target, &e, detailed);
                reply.complete(CompletionResult::Error(text.into())).await;
            }
        }
        // The slot is held until the reply is queued: a client that does not read its
        // replies slows its own invocations down instead of piling them up.
        if let Some(slot) = &slot {
            slot.release();
        }
    }
}

/// Answers one invocation on its connection.
struct Replier {
    conn: Arc<Connection>,
    id: Option<Arc<str>>,
    detailed: bool,
}

impl Replier {
    async fn send(&self, msg: HubMessage<'_>) -> bool {
        match Frame::encode(self.conn.protocol, &msg) {
            Ok(frame) => self.conn.send_own(frame).await,
            Err(e) => {
                tracing::error!(connection = %self.conn.id, error = %e, "cannot encode a reply");
                false
            }
        }
    }

    async fn complete(&self, result: CompletionResult<'_>) {
        if let Some(id) = &self.id {
            self.send(HubMessage::Completion(Completion {
                headers: Headers::new(),
                invocation_id: id.as_ref().into(),
                result,
            }))
            .await;
        }
    }

    /// Sends a stream's items until it ends, fails, panics or is cancelled. A stream cut off
    /// by the connection's end sends nothing more: the client is told by the Close, never
    /// by a Completion that would pass a truncated stream for a whole one.
    async fn stream(
        &self,
        mut items: BoxStream<Result<Payload<'static>, HubError>>,
        cancellation: &CancellationToken,
        method: &str,
    ) {
        let Some(id) = &self.id else { return };
        loop {
            let next = tokio::select! {
                n = AssertUnwindSafe(items.next()).catch_unwind() => n,
                () = cancellation.cancelled() => Ok(None),
            };
            match next {
                Ok(Some(Ok(item))) => {
                    let sent = self
                        .send(HubMessage::StreamItem(StreamItem {
                            headers: Headers::new(),
                            invocation_id: id.as_ref().into(),
                            item,
                        }))
                        .await;
                    if !sent {
                        return;
                    }
                }
                Ok(Some(Err(e))) => {
                    let text = stream_error_text(&e, self.detailed);
                    self.complete(CompletionResult::Error(text.into())).await;
                    return;
                }
                Ok(None) => {
                    // Cancelled by the client: a Completion, as ASP.NET Core sends. Ended by
                    // the connection's end: nothing (pushes are refused by then anyway).
                    if !self.conn.abort.is_cancelled() {
                        self.complete(CompletionResult::Void).await;
                    }
                    return;
                }
                Err(panic) => {
                    let what = panic_message(&*panic);
                    tracing::error!(connection = %self.conn.id, method, "hub stream panicked: {what}");
                    let e = HubError::internal("the stream panicked");
                    let text = stream_error_text(&e, self.detailed);
                    self.complete(CompletionResult::Error(text.into())).await;
                    return;
                }
            }
        }
    }
}

/// What a panic said, if it said it as text.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}
