//! The server's calls on a SignalARRR connection: `InvokeServerRequest` (a client result)
//! and `InvokeServerMessage` (none) carry a `ServerRequestMessage` naming the client method;
//! its handlers run as a plain connection's would, and a call with a `StreamId` has its
//! result sent back as a stream (`StreamItemToServer`, then `StreamCompleteToServer`).

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use signalr_protocol::{Arguments, Payload, Protocol, SerializeError};

use crate::connection::HubConnection;
use crate::engine::{HandlerResult, Handlers};

use super::messages::{STREAM_COMPLETE_TO_SERVER, STREAM_ITEM_TO_SERVER, ServerRequest};

/// Runs every handler of `method`; `None` when there is none. At most one may return a
/// value; the first error wins.
async fn run_handlers(
    handlers: &Handlers,
    method: &str,
    arguments: &Arguments<'static>,
) -> Option<HandlerResult> {
    let list = handlers.get(method);
    if list.is_empty() {
        return None;
    }
    let mut value = None;
    let mut error = None;
    for h in list {
        let outcome = AssertUnwindSafe(h(arguments.clone()))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(format!("The client method '{method}' panicked.")));
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
    Some(match error {
        Some(e) => Err(e),
        None => Ok(value),
    })
}

/// `(streamId, item)`, the item raw.
fn item_arguments(
    protocol: Protocol,
    stream_id: &str,
    item: &Payload<'_>,
) -> Result<Arguments<'static>, SerializeError> {
    let mut w = Arguments::writer(protocol, 2);
    w.push(stream_id)?;
    w.push_raw(item)?;
    Ok(w.finish())
}

fn null(protocol: Protocol) -> Result<Payload<'static>, String> {
    Payload::serialize(protocol, &()).map_err(|e| e.to_string())
}

/// Handles one server call. `wants_result`: the call is `InvokeServerRequest`, whose
/// answer is the handler's result (`null` for a method without one); a method no handler
/// is registered for answers that the client provided no result.
pub(super) async fn handle(
    handlers: &Handlers,
    connection: &HubConnection,
    request: ServerRequest,
    wants_result: bool,
) -> HandlerResult {
    let protocol = request.arguments.protocol();
    let outcome = run_handlers(handlers, &request.method, &request.arguments).await;
    if let Some(stream_id) = &request.stream_id {
        answer_stream(connection, stream_id, &request.method, outcome).await;
        return if wants_result {
            null(protocol).map(Some)
        } else {
            Ok(None)
        };
    }
    match outcome {
        None => {
            tracing::warn!(method = %request.method, "no client method with this name");
            Ok(None)
        }
        Some(Ok(None)) if wants_result => null(protocol).map(Some),
        Some(outcome) => outcome,
    }
}

/// Sends a handler's result as the stream the server asked for: each element of an array
/// (or the value itself; nothing for `null` or no value), then the completion, with the
/// handler's error if it failed.
async fn answer_stream(
    connection: &HubConnection,
    stream_id: &str,
    method: &str,
    outcome: Option<HandlerResult>,
) {
    let protocol = connection.protocol();
    let items = match outcome {
        None => Err(format!("Client method '{method}' not found.")),
        Some(Err(e)) => Err(e),
        Some(Ok(None)) => Ok(Vec::new()),
        Some(Ok(Some(v))) if v.is_null() => Ok(Vec::new()),
        Some(Ok(Some(v))) => Ok(match v.to_arguments() {
            Some(elements) => elements.iter().map(Payload::into_owned).collect(),
            None => vec![v],
        }),
    };
    let error = match items {
        Ok(items) => {
            for item in items {
                let sent = match item_arguments(protocol, stream_id, &item) {
                    Ok(args) => connection.send(STREAM_ITEM_TO_SERVER, args).await,
                    Err(e) => Err(e.into()),
                };
                if let Err(e) = sent {
                    tracing::warn!(method, error = %e, "a stream item could not be sent");
                    return;
                }
            }
            None
        }
        Err(e) => Some(e),
    };
    if let Err(e) = connection
        .send(STREAM_COMPLETE_TO_SERVER, (stream_id, error))
        .await
    {
        tracing::warn!(method, error = %e, "a stream's completion could not be sent");
    }
}
