//! Client methods the server calls: the registry of handlers, and running them for each
//! server-to-client invocation, with the reply a client result needs.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use futures_util::future::{BoxFuture, FutureExt};
use signalr_protocol::{
    Arguments, Completion, CompletionResult, Headers, HubMessage, Invocation, Payload, Protocol,
};
use tokio::sync::mpsc;

use crate::error::NO_CLIENT_RESULT;

/// Queues a framed reply for the transport.
pub(super) type Reply = Arc<dyn Fn(Vec<u8>) + Send + Sync>;

/// What a client method handler returns: a value for a client result (`Some`), nothing, or
/// an error text sent back to the server.
pub type HandlerResult = Result<Option<Payload<'static>>, String>;

/// A client method handler, type-erased.
pub(crate) type Handler =
    Arc<dyn Fn(Arguments<'static>) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

/// The client methods the server may call, by case-folded name.
#[derive(Default)]
pub(crate) struct Handlers {
    map: RwLock<HashMap<String, Vec<(u64, Handler)>>>,
    next: AtomicU64,
}

impl Handlers {
    fn key(method: &str) -> String {
        method.to_lowercase()
    }

    /// Registers `handler` for `method`; returns its registration id.
    pub(crate) fn add(&self, method: &str, handler: Handler) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.map.write() {
            m.entry(Self::key(method)).or_default().push((id, handler));
        }
        id
    }

    /// Removes one registration.
    pub(crate) fn remove(&self, method: &str, id: u64) {
        if let Ok(mut m) = self.map.write() {
            let key = Self::key(method);
            if let Some(list) = m.get_mut(&key) {
                list.retain(|(i, _)| *i != id);
                if list.is_empty() {
                    m.remove(&key);
                }
            }
        }
    }

    /// Removes every handler of `method`.
    pub(crate) fn remove_all(&self, method: &str) {
        if let Ok(mut m) = self.map.write() {
            m.remove(&Self::key(method));
        }
    }

    /// The handlers of `method`, in registration order.
    pub(crate) fn get(&self, method: &str) -> Vec<Handler> {
        self.map
            .read()
            .ok()
            .and_then(|m| {
                m.get(&Self::key(method))
                    .map(|l| l.iter().map(|(_, h)| h.clone()).collect())
            })
            .unwrap_or_default()
    }
}

/// Runs the handlers of every invocation from the server, started in arrival order, and
/// sends the Completion of those that carry an id.
pub(super) async fn dispatch_loop(
    handlers: Arc<Handlers>,
    reply: Reply,
    protocol: Protocol,
    mut queue: mpsc::UnboundedReceiver<Invocation<'static>>,
) {
    // Handlers start in arrival order and run concurrently, as the JavaScript client's do:
    // a long-running handler must not hold back the next call (a cancellation, say).
    while let Some(inv) = queue.recv().await {
        let handlers = handlers.clone();
        let reply = reply.clone();
        tokio::spawn(async move { handle_invocation(&handlers, &reply, protocol, inv).await });
    }
}

/// Runs the handlers of one server-to-client invocation and sends its completion, if any.
async fn handle_invocation(
    handlers: &Handlers,
    reply: &Reply,
    protocol: Protocol,
    inv: Invocation<'static>,
) {
    let result = run_handlers(handlers, &inv).await;
    let Some(id) = inv.invocation_id else {
        if let Err(e) = result {
            tracing::warn!(method = %inv.target, error = %e, "client method failed");
        }
        return;
    };
    let result = match result {
        Ok(Some(v)) => CompletionResult::Value(v),
        Ok(None) => CompletionResult::Error(NO_CLIENT_RESULT.into()),
        Err(e) => CompletionResult::Error(e.into()),
    };
    let mut msg = Completion {
        headers: Headers::new(),
        invocation_id: id,
        result,
    };
    let frame = match protocol.to_frame(&HubMessage::Completion(msg.clone())) {
        Ok(f) => f,
        Err(e) => {
            msg.result = CompletionResult::Error(e.to_string().into());
            match protocol.to_frame(&HubMessage::Completion(msg)) {
                Ok(f) => f,
                Err(_) => return,
            }
        }
    };
    reply(frame);
}

/// Calls every handler of the invocation's target; at most one may return a value.
async fn run_handlers(handlers: &Handlers, inv: &Invocation<'static>) -> HandlerResult {
    let list = handlers.get(&inv.target);
    if list.is_empty() {
        tracing::warn!(method = %inv.target, "no client method with this name");
        return Ok(None);
    }
    let mut value = None;
    let mut error = None;
    for h in list {
        let outcome = AssertUnwindSafe(h(inv.arguments.clone()))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(format!("The client method '{}' panicked.", inv.target)));
        match outcome {
            Ok(Some(v)) => {
                if value.is_some() {
                    error.get_or_insert_with(|| "Client provided multiple results.".to_owned());
                }
                value = Some(v);
            }
            Ok(None) => {}
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    match error {
        Some(e) => Err(e),
        None => Ok(value),
    }
}
