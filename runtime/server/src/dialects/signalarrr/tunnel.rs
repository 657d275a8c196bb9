//! The hub methods a SignalARRR client tunnels its calls through: `InvokeMessage`,
//! `InvokeMessageResult`, `SendMessage` and `StreamMessage`, each taking one
//! `ClientRequestMessage`, and `RequestUploadSlot`.
//!
//! They are ordinary hub methods to the connection engine (invocation slots, filters,
//! cancellation, Completions and stream items as for any method); inside, the named method
//! is resolved, authorized with the message's credential, and called with the message's
//! arguments, bound exactly as a plain call's. Every failure reaches the caller as
//! SignalARRR's error envelope.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::{FutureExt, StreamExt, stream};
use signalr_protocol::{BindError, Payload};
use tokio::time::Instant;

use crate::connection::panic_message;
use crate::error::HubError;
use crate::hub::{BoxStream, Call, HubMethod, MethodKind, Reply, Requirement};

use super::Shared;
use super::auth::Recheck;
use super::failure::{Failure, codes, types};
use super::messages::{ClientRequest, looks_like_request};

/// Which tunnelling method was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tunnel {
    /// `InvokeMessage`: waits for the method, answers no result.
    Invoke,
    /// `InvokeMessageResult`: answers the method's result (`null` for a unit method).
    InvokeResult,
    /// `SendMessage`: no invocation id, no answer.
    Send,
    /// `StreamMessage`: the method's items as a stream.
    Stream,
}

impl Tunnel {
    /// Every tunnelling method, by its hub method name.
    pub(crate) const ALL: [(&'static str, Tunnel); 4] = [
        ("InvokeMessage", Tunnel::Invoke),
        ("InvokeMessageResult", Tunnel::InvokeResult),
        ("SendMessage", Tunnel::Send),
        ("StreamMessage", Tunnel::Stream),
    ];

    pub(crate) fn kind(self) -> MethodKind {
        match self {
            Tunnel::Stream => MethodKind::Stream,
            _ => MethodKind::Unary,
        }
    }
}

/// The hub's own method a tunnelling name shadows (`SendMessage`, say): a call whose
/// arguments are not one `ClientRequestMessage` goes to it.
pub(crate) type Shadowed = Option<HubMethod>;

/// Runs one call of a tunnelling method.
pub(crate) async fn run(
    shared: Arc<Shared>,
    tunnel: Tunnel,
    shadowed: Shadowed,
    call: Call,
) -> Result<Reply, HubError> {
    if !looks_like_request(&call.arguments)
        && let Some(own) = shadowed
    {
        return (own.handler)(call).await;
    }
    if call.arguments.len() != 1 {
        // Not SignalARRR's to answer: SignalR's own binding error.
        return Err(HubError::Binding(BindError::ArgumentCount {
            provided: call.arguments.len(),
            expected: 1,
        }));
    }
    let detailed = shared.ctx.options.enable_detailed_errors;
    let request = call
        .arguments
        .get(0)
        .ok_or_else(|| Failure::binding("The ClientRequestMessage is missing."))
        .and_then(|p| ClientRequest::parse(&p).map_err(|e| Failure::binding(e.to_string())))
        .map_err(Failure::into_hub_error)?;
    let name = request.method.clone();
    let resolved = shared
        .methods
        .resolve(&name)
        .map_err(Failure::into_hub_error)?;
    let method = resolved.method;
    let refuse = |f: Failure| Err(f.into_hub_error());
    if !request.generic_arguments.is_empty() {
        return refuse(Failure::binding(format!(
            "Method '{name}' is not generic: it takes no GenericArguments."
        )));
    }
    if method.upload_streams > 0 {
        return refuse(Failure::binding(format!(
            "Method '{name}' takes upload streams, which a ClientRequestMessage cannot carry."
        )));
    }
    if method.kind == MethodKind::Stream && tunnel != Tunnel::Stream {
        return refuse(Failure::new(
            codes::METHOD_NOT_FOUND,
            types::METHOD_RESOLUTION,
            format!("Method '{name}' streams its results: call it with StreamMessage."),
        ));
    }
    let recheck = shared
        .authorize(
            &call.caller,
            &request.authorization,
            &method.name,
            &resolved.requirements,
        )
        .await
        .map_err(Failure::into_hub_error)?;
    let caller = call.caller.clone();
    let cancellation = call.cancellation.clone();
    let inner = Call {
        caller: call.caller,
        method: method.name.clone(),
        target: name.clone(),
        arguments: request.arguments,
        streams: Vec::new(),
        cancellation: call.cancellation,
    };
    let protocol = caller.protocol;
    let outcome = AssertUnwindSafe((method.handler)(inner))
        .catch_unwind()
        .await;
    let reply = match outcome {
        Ok(Ok(reply)) => reply,
        Ok(Err(_)) if cancellation.is_cancelled() => {
            return Err(Failure::cancelled().into_hub_error());
        }
        Ok(Err(e)) => return Err(Failure::from_hub_error(&name, &e, detailed).into_hub_error()),
        Err(panic) => {
            return Err(Failure::withheld(&name, &panic_message(&*panic)).into_hub_error());
        }
    };
    Ok(match (tunnel, reply) {
        (Tunnel::InvokeResult, Reply::Void) => Reply::Value(Payload::serialize(protocol, &())?),
        (Tunnel::InvokeResult, Reply::Value(v)) => Reply::Value(v),
        (Tunnel::Invoke | Tunnel::Send, Reply::Void | Reply::Value(_)) => Reply::Void,
        (Tunnel::Stream, Reply::Void) => Reply::Stream(Box::pin(stream::empty())),
        (Tunnel::Stream, Reply::Value(v)) => Reply::Stream(Box::pin(stream::iter([Ok(v)]))),
        (Tunnel::Stream, Reply::Stream(items)) => Reply::Stream(guarded(
            StreamCall {
                shared,
                caller,
                cancellation,
                name,
                method: method.name.to_string(),
                requirements: resolved.requirements,
                recheck,
                detailed,
            },
            items,
        )),
        (_, Reply::Stream(_)) => {
            return Err(
                Failure::withheld(&name, "a non-streaming method answered with a stream")
                    .into_hub_error(),
            );
        }
    })
}

/// What a running stream needs to report its errors and re-check its caller.
struct StreamCall {
    shared: Arc<Shared>,
    caller: crate::clients::Caller,
    cancellation: tokio_util::sync::CancellationToken,
    /// The name the client called it by.
    name: String,
    /// The name the hub registered it under.
    method: String,
    requirements: Vec<Requirement>,
    recheck: Recheck,
    detailed: bool,
}

/// The stream's items, each error as SignalARRR's envelope, a panic ending it as an
/// internal error, and the caller's authorization checked again before each item once it
/// has lapsed (asking the client for a fresh credential).
fn guarded(
    call: StreamCall,
    items: BoxStream<Result<Payload<'static>, HubError>>,
) -> BoxStream<Result<Payload<'static>, HubError>> {
    let items = AssertUnwindSafe(items).catch_unwind();
    Box::pin(stream::unfold(
        (Box::pin(items), Some(call)),
        |(mut items, call)| async move {
            let mut call = call?;
            let item = match items.next().await? {
                Ok(Ok(p)) => Ok(p),
                Ok(Err(e)) => {
                    let f = Failure::from_hub_error(&call.name, &e, call.detailed);
                    return Some((Err(f.into_hub_error()), (items, None)));
                }
                Err(panic) => {
                    let f = Failure::withheld(&call.name, &panic_message(&*panic));
                    return Some((Err(f.into_hub_error()), (items, None)));
                }
            };
            if call.recheck.is_some_and(|at| at <= Instant::now()) {
                let renewed = call
                    .shared
                    .challenge(
                        &call.caller,
                        &call.method,
                        &call.requirements,
                        &call.cancellation,
                    )
                    .await;
                match renewed {
                    Ok(recheck) => call.recheck = recheck,
                    Err(f) => return Some((Err(f.into_hub_error()), (items, None))),
                }
            }
            Some((item, (items, Some(call))))
        },
    ))
}

/// The hub method of one tunnelling name.
pub(crate) fn method(
    shared: &Arc<Shared>,
    tunnel: Tunnel,
    shadowed: Shadowed,
) -> impl Fn(Call) -> crate::hub::BoxFuture<Result<Reply, HubError>> + Send + Sync + 'static {
    let shared = shared.clone();
    move |call| Box::pin(run(shared.clone(), tunnel, shadowed.clone(), call))
}

/// `RequestUploadSlot()`: the URL of a new upload slot for the caller.
pub(crate) async fn request_upload_slot(
    shared: Arc<Shared>,
    call: Call,
) -> Result<Reply, HubError> {
    call.bind(0)?;
    let base = shared
        .client(&call.caller.connection_id)
        .map(|s| s.connected_to.clone())
        .unwrap_or_default();
    let url = shared
        .transfers
        .new_slot(
            &call.caller.connection_id,
            &base,
            shared.options.max_upload_slots_per_connection,
            shared.options.transfer_expiry,
        )
        .map_err(Failure::into_hub_error)?;
    call.reply(&url)
}
