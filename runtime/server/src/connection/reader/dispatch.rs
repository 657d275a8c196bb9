//! Each hub message the client sent, handled: invocations checked and queued or started,
//! upload items delivered, client results completed, cancellations passed on.

use std::borrow::Cow;
use std::sync::Arc;

use signalr_protocol::{Arguments, Completion, CompletionResult, Headers, HubMessage, Payload};

use super::{End, Pending, Reader, Stalled};
use crate::clients::proxy::client_result;
use crate::connection::invoke::Invocation;
use crate::dialect::Intercept;
use crate::error::HubError;
use crate::frame::Frame;
use crate::hub::{Call, MethodKind, UploadSender, upload_stream};

impl Reader {
    /// Handles one message.
    pub(super) fn handle(&mut self, msg: HubMessage<'static>) -> Result<(), End> {
        if let Some(r) = self.reconnect.as_mut() {
            match &msg {
                HubMessage::Ack { sequence_id } => r.shared.ack(*sequence_id),
                HubMessage::Sequence { sequence_id } => {
                    if !r.sequence(*sequence_id) {
                        tracing::debug!(
                            "Sequence ID greater than amount of messages we've received."
                        );
                        return Err(End::Gone);
                    }
                }
                HubMessage::Ping | HubMessage::Close(_) => {}
                _ => {
                    if !r.admit() {
                        return Ok(());
                    }
                }
            }
        }
        match msg {
            HubMessage::Invocation(inv) => {
                let size = inv.arguments.raw_array().len() + inv.target.len();
                self.invoke(
                    inv.invocation_id.map(|s| Arc::from(s.as_ref())),
                    inv.target,
                    inv.arguments,
                    inv.stream_ids.unwrap_or_default(),
                    MethodKind::Unary,
                    size,
                );
            }
            HubMessage::StreamInvocation(inv) => {
                let size = inv.arguments.raw_array().len() + inv.target.len();
                self.invoke(
                    Some(Arc::from(inv.invocation_id.as_ref())),
                    inv.target,
                    inv.arguments,
                    inv.stream_ids.unwrap_or_default(),
                    MethodKind::Stream,
                    size,
                );
            }
            HubMessage::StreamItem(item) => {
                // Items for a stream this connection did not open are dropped.
                if let Some(upload) = self.uploads.get(item.invocation_id.as_ref()) {
                    self.deliver(upload.clone(), Ok(item.item));
                }
            }
            HubMessage::Completion(c) => match self.uploads.remove(c.invocation_id.as_ref()) {
                Some(upload) => match c.result {
                    CompletionResult::Error(e) => {
                        self.deliver(upload, Err(HubError::new(e.into_owned())));
                    }
                    _ => upload.complete(),
                },
                None => {
                    if !self
                        .conn
                        .complete_result(&c.invocation_id, client_result(c.result))
                    {
                        tracing::debug!(id = %c.invocation_id, "completion for an unknown invocation ignored");
                    }
                }
            },
            HubMessage::CancelInvocation(c) => {
                if let Some(token) = self.active.get(c.invocation_id.as_ref()) {
                    token.cancel();
                }
            }
            HubMessage::Ping => self.pinged = true,
            HubMessage::Close(_) => return Err(End::Gone),
            HubMessage::Ack { .. } | HubMessage::Sequence { .. } => {}
        }
        Ok(())
    }

    /// Puts an item in an upload stream's buffer, or stalls the reader until there is room.
    fn deliver(&mut self, upload: UploadSender, item: Result<Payload<'static>, HubError>) {
        use tokio::sync::mpsc::error::TrySendError;
        match upload.tx.try_send(item) {
            Ok(()) | Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(item)) => {
                let tx = upload.tx.clone();
                self.stalled = Some(Stalled {
                    room: Box::pin(async move { tx.reserve_owned().await.ok() }),
                    item,
                });
            }
        }
    }

    fn fail(&self, id: Option<&str>, text: String) {
        if let Some(id) = id {
            let msg = HubMessage::Completion(Completion {
                headers: Headers::new(),
                invocation_id: id.into(),
                result: CompletionResult::Error(text.into()),
            });
            if let Ok(frame) = Frame::encode(self.protocol, &msg) {
                self.conn.push_own(frame);
            }
        }
    }

    /// Completes a blocking invocation a dialect handled on the reader.
    fn complete_void(&self, id: Option<&str>) {
        if let Some(id) = id {
            let msg = HubMessage::Completion(Completion {
                headers: Headers::new(),
                invocation_id: id.into(),
                result: CompletionResult::Void,
            });
            if let Ok(frame) = Frame::encode(self.protocol, &msg) {
                self.conn.push_own(frame);
            }
        }
    }

    fn invoke(
        &mut self,
        id: Option<Arc<str>>,
        target: Cow<'static, str>,
        arguments: Arguments<'static>,
        stream_ids: Vec<Cow<'static, str>>,
        kind: MethodKind,
        size: usize,
    ) {
        if let Some(dialect) = &self.ctx.dialect {
            match dialect.intercept(&self.conn, &target, &arguments) {
                Intercept::Pass => {}
                Intercept::Handled => return self.complete_void(id.as_deref()),
                Intercept::Deliver(upload, item) => {
                    self.deliver(upload, item);
                    return self.complete_void(id.as_deref());
                }
            }
        }
        let opts = &self.ctx.options;
        let Some(method) = self.ctx.hub.resolve(&target).cloned() else {
            self.fail(id.as_deref(), format!("Unknown hub method '{target}'"));
            return;
        };
        if method.kind != kind {
            let text = match kind {
                MethodKind::Unary => format!(
                    "The client attempted to invoke the streaming '{target}' method with a non-streaming invocation."
                ),
                MethodKind::Stream => format!(
                    "The client attempted to invoke the non-streaming '{target}' method with a streaming invocation."
                ),
            };
            self.fail(id.as_deref(), text);
            return;
        }
        if stream_ids.len() != method.upload_streams {
            self.fail(
                id.as_deref(),
                format!(
                    "An unexpected error occurred invoking '{target}' on the server. HubException: Client sent {} stream(s), Hub method expects {}.",
                    stream_ids.len(),
                    method.upload_streams
                ),
            );
            return;
        }
        if let Some(id) = &id
            && self.active.contains_key(id)
        {
            self.fail(Some(id), format!("Invocation ID '{id}' is already in use."));
            return;
        }
        if kind == MethodKind::Stream && self.streams >= opts.maximum_streams_per_connection {
            let text = format!(
                "An unexpected error occurred invoking '{target}' on the server. HubException: The connection already has {} streams running, the most allowed.",
                opts.maximum_streams_per_connection
            );
            self.fail(id.as_deref(), text);
            return;
        }
        if self.uploads.len() + stream_ids.len() > opts.maximum_upload_streams_per_connection {
            let text = format!(
                "An unexpected error occurred invoking '{target}' on the server. HubException: The connection already has {} upload streams open, the most allowed.",
                opts.maximum_upload_streams_per_connection
            );
            self.fail(id.as_deref(), text);
            return;
        }
        let mut streams = Vec::with_capacity(stream_ids.len());
        for sid in stream_ids {
            let (tx, rx) = upload_stream(opts.stream_buffer_capacity);
            self.uploads.insert(sid.into_owned(), tx);
            streams.push(rx);
        }
        let cancellation = self.teardown.child_token();
        if let Some(id) = &id {
            self.active.insert(id.clone(), cancellation.clone());
        }
        let call = Call {
            caller: self.caller.clone(),
            method: method.name.clone(),
            target: target.into_owned(),
            arguments,
            streams,
            cancellation,
        };
        let runs_at_once = kind == MethodKind::Stream || method.upload_streams > 0;
        let invocation = Invocation {
            ctx: self.ctx.clone(),
            conn: self.conn.clone(),
            id,
            method,
            call,
        };
        if runs_at_once {
            let stream = kind == MethodKind::Stream;
            if stream {
                self.streams += 1;
            }
            self.start(invocation, None, stream);
        } else {
            self.pending_bytes += size;
            self.pending.push_back(Pending { invocation, size });
        }
    }
}
