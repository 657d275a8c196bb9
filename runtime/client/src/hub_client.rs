//! [`HubClient`]: what typed proxies and receivers call through, whatever the connection's
//! dialect. [`HubConnection`] (ASP.NET Core SignalR) implements it; so can a connection to a
//! classic ASP.NET SignalR server or one that tunnels calls through its own hub methods.

use std::future::Future;

use signalr_protocol::{Arguments, Payload, Protocol};
use tokio_util::sync::CancellationToken;

use crate::arguments::RawCall;
use crate::calls::{PayloadStream, Subscription};
use crate::connection::HubConnection;
use crate::engine::HandlerResult;
use crate::error::ClientError;

/// A connection to a hub, as the code `#[hub_contract]` generates uses it: calls with a
/// result (cancellable), calls without one, streams, upload streams among the arguments,
/// client method handlers (with client results; a `CancellationToken` parameter of a client
/// method travels as a marker argument the receiver registers), and the connection's close.
///
/// Values travel raw ([`Arguments`] and [`Payload`] in the connection's [`Protocol`]); the
/// generated code binds them. Cheap to clone: every clone is the same connection.
///
/// A connection that cannot express a call (an upload stream where the dialect has none,
/// say) fails it with [`ClientError`], never silently.
pub trait HubClient: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The protocol arguments and results are encoded in.
    fn protocol(&self) -> Protocol;

    /// Invokes `method` and waits for its result (`None` for a void result). When
    /// `cancellation` fires first, the server is told (as far as the dialect can) and the
    /// call ends with [`ClientError::Canceled`]. The call is sent before the future is
    /// polled.
    fn invoke_raw(
        &self,
        method: &str,
        call: RawCall,
        cancellation: Option<CancellationToken>,
    ) -> impl Future<Output = Result<Option<Payload<'static>>, ClientError>> + Send + 'static;

    /// Invokes `method` without waiting for a result; resolves once the call is written.
    fn send_raw(
        &self,
        method: &str,
        call: RawCall,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + 'static;

    /// Invokes the streaming method `method`: its items as they arrive; dropping the stream
    /// before its end cancels the call.
    fn stream_raw(&self, method: &str, call: RawCall) -> PayloadStream;

    /// Registers a handler for the client method `method` (matched case-insensitively).
    /// When the server expects a result, `Ok(Some(value))` or `Err(text)` answers it;
    /// `Ok(None)` answers that the client provided none.
    fn on_raw<F, Fut>(&self, method: &str, handler: F) -> Subscription
    where
        F: Fn(Arguments<'static>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static;

    /// Called when the connection is closed for good, with the error that ended it.
    fn on_close(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static);
}

impl HubClient for HubConnection {
    fn protocol(&self) -> Protocol {
        HubConnection::protocol(self)
    }

    fn invoke_raw(
        &self,
        method: &str,
        call: RawCall,
        cancellation: Option<CancellationToken>,
    ) -> impl Future<Output = Result<Option<Payload<'static>>, ClientError>> + Send + 'static {
        let started = self.start_invoke(method, call);
        async move {
            let (rx, session, id) = started?;
            let Some(cancellation) = cancellation else {
                return rx.await.unwrap_or(Err(ClientError::ConnectionClosed));
            };
            tokio::select! {
                r = rx => r.unwrap_or(Err(ClientError::ConnectionClosed)),
                () = cancellation.cancelled() => {
                    session.cancel_stream(&id);
                    Err(ClientError::Canceled)
                }
            }
        }
    }

    fn send_raw(
        &self,
        method: &str,
        call: RawCall,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + 'static {
        HubConnection::send(self, method, call)
    }

    fn stream_raw(&self, method: &str, call: RawCall) -> PayloadStream {
        HubConnection::stream::<serde::de::IgnoredAny>(self, method, call).into_payloads()
    }

    fn on_raw<F, Fut>(&self, method: &str, handler: F) -> Subscription
    where
        F: Fn(Arguments<'static>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        HubConnection::on_raw(self, method, handler)
    }

    fn on_close(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        HubConnection::on_close(self, callback);
    }
}
