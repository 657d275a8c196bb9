//! One classic hub call, from its `data` to its response: the hub and method it names, the
//! hub's and method's authorization, the filters and the method (with the caller's state),
//! progress reports for a streaming method, and the response with the classic server's
//! error texts. Panics are contained.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use signalr_protocol::Payload;
use signalr_protocol::classic::{
    HubProgress, HubRequest, HubResponse, ResponseError, STATE_TOO_LONG,
};

use super::connection::ClassicConnection;
use super::endpoint::Endpoint;
use super::request::unresolved_hub;
use super::state::{self, Tracker};
use crate::clients::Caller;
use crate::connection::panic_message;
use crate::error::HubError;
use crate::hub::{Call, MethodKind, Reply};

/// What a hub call came to.
#[derive(Debug)]
pub(super) enum Outcome {
    /// The response (JSON), and the position in the connection's messages after the
    /// progress the call reported (to be delivered before the response).
    Response { json: Vec<u8>, after: Option<u64> },
    /// The call could not be made at all (the classic server throws: the request fails,
    /// with no response): why, and the call's id if it had one.
    Failed { id: Option<String>, text: String },
}

/// `There was an error invoking Hub method '{hub}.{method}'.`
fn invocation_failed(hub: &str, method: &str) -> String {
    format!("There was an error invoking Hub method '{hub}.{method}'.")
}

/// Runs the hub call `data` of `conn`.
pub(super) async fn invoke(
    endpoint: &Endpoint,
    conn: &Arc<ClassicConnection>,
    data: &[u8],
) -> Outcome {
    let request = match HubRequest::parse(data) {
        Ok(r) => r,
        Err(e) => {
            return Outcome::Failed {
                id: None,
                text: e.to_string(),
            };
        }
    };
    let id = request.id.as_deref().map(str::to_owned);
    if request.state_too_long() {
        return Outcome::Failed {
            id,
            text: STATE_TOO_LONG.to_owned(),
        };
    }
    let Some(hub) = endpoint.hub_index(&request.hub) else {
        return Outcome::Failed {
            id,
            text: unresolved_hub(&request.hub),
        };
    };
    let ctx = &endpoint.hubs[hub].ctx;
    let detailed = ctx.options.enable_detailed_errors;
    let failed = |message: String| ResponseError {
        message: if detailed {
            message.into()
        } else {
            invocation_failed(&request.hub, &request.method).into()
        },
        ..ResponseError::default()
    };
    let respond = |error: Option<ResponseError<'_>>,
                   result: Option<Payload<'_>>,
                   state: Option<Vec<u8>>,
                   after: Option<u64>| {
        let state = state.and_then(|s| Payload::json(String::from_utf8(s).ok()?).ok());
        let response = HubResponse {
            state,
            result,
            id: request.id.clone(),
            error,
        };
        match response.to_json() {
            Ok(json) => Outcome::Response { json, after },
            Err(e) => Outcome::Failed {
                id: id.clone(),
                text: e.to_string(),
            },
        }
    };

    // The caller as this hub sees it: the subscription's, or (for a hub the client did not
    // subscribe to, as the classic server allows) one its messages do not reach.
    let caller = match conn.subscriptions.iter().find(|s| s.hub == hub) {
        Some(s) => s.caller.clone(),
        None => Caller {
            connection_id: conn.owner.id.clone(),
            user: conn.owner.user.clone(),
            identity: conn.owner.identity.clone(),
            remote: conn.owner.remote,
            protocol: signalr_protocol::Protocol::Json,
            clients: ctx.clients(Some(conn.owner.id.clone())),
            groups: ctx.groups(),
        },
    };
    let Some(method) = ctx.hub.resolve(&request.method).cloned() else {
        let text = format!(
            "'{}' method could not be resolved. No method found with that name.",
            request.method
        );
        return respond(Some(failed(text)), None, None, None);
    };
    let identity = conn.owner.identity.as_deref();
    let hub_allowed = ctx
        .auth
        .authorize(&ctx.hub.requirements, identity, None)
        .await
        .is_ok();
    let method_allowed = hub_allowed
        && ctx
            .auth
            .authorize(
                ctx.hub.method_requirements(&method.name),
                identity,
                Some(&method.name),
            )
            .await
            .is_ok();
    if !method_allowed {
        tracing::debug!(connection = %conn.owner.id, method = %method.name, "classic call refused: caller is not authorized");
        let text = format!(
            "Caller is not authorized to invoke the {} method on {}.",
            request.method, request.hub
        );
        return respond(Some(failed(text)), None, None, None);
    }

    let tracker = Arc::new(Mutex::new(Tracker::new(
        request.state.as_ref().map(Payload::as_bytes),
    )));
    let call = Call {
        caller,
        method: method.name.clone(),
        target: request.method.to_string(),
        arguments: request.arguments.clone().into_owned(),
        streams: Vec::new(),
        cancellation: conn.ended.child_token(),
    };
    let cancellation = call.cancellation.clone();
    let running = state::scope(tracker.clone(), ctx.filters.invoke(&method.handler, call));
    let outcome = AssertUnwindSafe(running).catch_unwind().await;
    let changes = || {
        tracker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .changes()
    };
    let error_of = |e: &HubError| match e {
        HubError::Hub(m) => ResponseError {
            message: m.clone().into(),
            hub_exception: true,
            ..ResponseError::default()
        },
        other => failed(other.to_string()),
    };
    match outcome {
        Ok(Ok(Reply::Void)) => respond(None, None, changes(), None),
        Ok(Ok(Reply::Value(v))) => {
            let result = (v.as_bytes() != b"null").then_some(v);
            respond(None, result, changes(), None)
        }
        Ok(Ok(Reply::Stream(mut items))) if method.kind == MethodKind::Stream => {
            // Each item is a progress report, delivered with the connection's messages; the
            // response ends the call once they are all out.
            let callback = request.id.as_deref().unwrap_or_default().to_owned();
            let mut after = None;
            loop {
                let next = tokio::select! {
                    n = AssertUnwindSafe(items.next()).catch_unwind() => n,
                    () = cancellation.cancelled() => Ok(None),
                };
                match next {
                    Ok(Some(Ok(item))) => {
                        let report = HubProgress {
                            id: callback.as_str().into(),
                            data: item,
                        };
                        match report.to_json() {
                            Ok(json) => {
                                conn.buffer.push(Bytes::from(json));
                                after = Some(conn.buffer.end());
                            }
                            Err(e) => {
                                let e = HubError::internal(e);
                                return respond(Some(error_of(&e)), None, changes(), after);
                            }
                        }
                    }
                    Ok(Some(Err(e))) => return respond(Some(error_of(&e)), None, changes(), after),
                    Ok(None) => return respond(None, None, changes(), after),
                    Err(panic) => {
                        tracing::error!(connection = %conn.owner.id, method = %method.name, "hub stream panicked: {}", panic_message(&*panic));
                        let e = HubError::internal("the stream panicked");
                        return respond(Some(error_of(&e)), None, changes(), after);
                    }
                }
            }
        }
        Ok(Ok(Reply::Stream(_))) => {
            let e = HubError::internal("a non-streaming method answered with a stream");
            respond(Some(error_of(&e)), None, changes(), None)
        }
        Ok(Err(e)) => respond(Some(error_of(&e)), None, changes(), None),
        Err(panic) => {
            tracing::error!(connection = %conn.owner.id, method = %method.name, "hub method panicked: {}", panic_message(&*panic));
            let e = HubError::internal("the method panicked");
            respond(Some(error_of(&e)), None, changes(), None)
        }
    }
}
