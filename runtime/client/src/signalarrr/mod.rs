//! SignalARRR mode: a [`HubConnection`] to a SignalARRR hub, speaking its dialect, as a
//! [`HubClient`] — so the typed proxies and receivers `#[hub_contract]` generates work over
//! it unchanged.
//!
//! SignalARRR is ordinary SignalR with a fixed set of hub methods. Every call is tunnelled:
//! a call with a result goes to `InvokeMessageResult`, one without an answer to
//! `SendMessage`, a stream to `StreamMessage`, each with one `ClientRequestMessage`
//! (`{"Method": "Interface|Method", "Arguments": [..], "Authorization": ".."}`). The server
//! calls the client through `InvokeServerRequest` (a client result) and
//! `InvokeServerMessage` (none), each with a `ServerRequestMessage` naming the client method
//! a handler is registered under; it cancels a token it passed to a client method with
//! `CancelTokenFromServer`, and asks for a fresh credential with `ChallengeAuthentication`.
//! Failures arrive as SignalARRR's error envelope, read into [`ClientError::Remote`].
//!
//! ```no_run
//! use signalr_hub_client::signalarrr::SignalarrrConnection;
//! use signalr_hub_client::{HubClient, HubConnectionBuilder, RawCall};
//!
//! # async fn run() -> Result<(), signalr_hub_client::ClientError> {
//! let connection = HubConnectionBuilder::new("http://localhost:5000/signalr/testhub").build();
//! let arrr = SignalarrrConnection::new(connection).with_credential(|| "token".to_owned());
//! arrr.start().await?;
//! let args = signalr_hub_client::Arguments::writer(arrr.protocol(), 0).finish();
//! let name = arrr.invoke_raw("GetName", RawCall::new(Ok(args)), None).await?;
//! # Ok(()) }
//! ```
//!
//! What the dialect cannot carry fails with an error: upload streams among a call's
//! arguments (SignalARRR moves binary values over HTTP instead).

mod messages;
mod receiver;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock, Weak};

use futures_util::{FutureExt, StreamExt};
use signalr_protocol::{Arguments, Payload, Protocol, SerializeError};
use tokio_util::sync::CancellationToken;

use crate::arguments::{CallArguments, RawCall};
use crate::calls::{PayloadStream, Subscription, subscribe};
use crate::connection::HubConnection;
use crate::engine::{HandlerResult, Handlers};
use crate::error::ClientError;
use crate::hub_client::HubClient;

pub use crate::remote_error::{KNOWN_CODES, RemoteError};

use messages::{
    CANCEL_TOKEN_FROM_SERVER, CHALLENGE_AUTHENTICATION, INVOKE_MESSAGE_RESULT,
    INVOKE_SERVER_MESSAGE, INVOKE_SERVER_REQUEST, SEND_MESSAGE, STREAM_MESSAGE, ServerRequest,
};

/// Where the message credential comes from.
type Credential = Arc<dyn Fn() -> String + Send + Sync>;

/// A connection to a SignalARRR hub; see the [module](self) documentation.
///
/// Cheap to clone: every clone is the same connection. The wrapped [`HubConnection`]
/// (reachable through [`connection`](Self::connection)) is started and stopped as usual;
/// register handlers through this type ([`HubClient::on_raw`], or a generated receiver),
/// not on the wrapped connection, whose client methods are SignalARRR's own.
#[derive(Clone)]
pub struct SignalarrrConnection {
    inner: Arc<Inner>,
}

struct Inner {
    connection: HubConnection,
    /// The client methods, by the name a `ServerRequestMessage` names them.
    handlers: Arc<Handlers>,
    credential: RwLock<Option<Credential>>,
}

impl fmt::Debug for SignalarrrConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalarrrConnection")
            .field("connection", &self.inner.connection)
            .finish_non_exhaustive()
    }
}

impl SignalarrrConnection {
    /// Speaks SignalARRR over `connection` (started or not): registers its handlers for
    /// `InvokeServerRequest`, `InvokeServerMessage` and `ChallengeAuthentication`.
    pub fn new(connection: HubConnection) -> Self {
        let inner = Arc::new(Inner {
            connection,
            handlers: Arc::new(Handlers::default()),
            credential: RwLock::new(None),
        });
        // The handlers reach the connection weakly: the wrapped connection must not keep
        // itself alive.
        for (target, wants_result) in [
            (INVOKE_SERVER_REQUEST, true),
            (INVOKE_SERVER_MESSAGE, false),
        ] {
            let weak = Arc::downgrade(&inner);
            inner
                .connection
                .on_raw(target, move |args: Arguments<'static>| {
                    serve(weak.clone(), args, wants_result)
                });
        }
        let weak = Arc::downgrade(&inner);
        inner.connection.on_raw(
            CHALLENGE_AUTHENTICATION,
            move |_args: Arguments<'static>| {
                let answer = weak.upgrade().map(|inner| {
                    let protocol = inner.connection.protocol();
                    Payload::serialize(protocol, &inner.credential())
                });
                async move {
                    match answer {
                        Some(Ok(v)) => Ok(Some(v)),
                        Some(Err(e)) => Err(e.to_string()),
                        None => Ok(None),
                    }
                }
            },
        );
        SignalarrrConnection { inner }
    }

    /// Sends `credential()` as the message credential of every call (`Authorization`: a
    /// token, or `Scheme value`), and answers `ChallengeAuthentication` with it. Without
    /// one, calls carry `""`.
    #[must_use]
    pub fn with_credential(self, credential: impl Fn() -> String + Send + Sync + 'static) -> Self {
        if let Ok(mut c) = self.inner.credential.write() {
            *c = Some(Arc::new(credential));
        }
        self
    }

    /// The wrapped connection.
    pub fn connection(&self) -> &HubConnection {
        &self.inner.connection
    }

    /// Starts the wrapped connection.
    pub async fn start(&self) -> Result<(), ClientError> {
        self.inner.connection.start().await
    }

    /// Stops the wrapped connection.
    pub async fn stop(&self) {
        self.inner.connection.stop().await;
    }

    /// The one `ClientRequestMessage` argument of a call of `method`.
    fn request(&self, method: &str, call: RawCall) -> Result<RawCall, ClientError> {
        let protocol = self.protocol();
        let (arguments, streams) = call.into_call(protocol)?.into_parts();
        if !streams.is_empty() {
            return Err(ClientError::Serialize(SerializeError {
                message: format!(
                    "'{method}' takes upload streams, which a SignalARRR call cannot carry."
                ),
            }));
        }
        let request = messages::client_request(method, &arguments, &self.inner.credential())?;
        Ok(RawCall::new(Ok(request)))
    }
}

impl Inner {
    fn credential(&self) -> String {
        let provider = self.credential.read().ok().and_then(|c| c.clone());
        provider.map(|f| f()).unwrap_or_default()
    }
}

/// Serves one `InvokeServerRequest` or `InvokeServerMessage`.
async fn serve(inner: Weak<Inner>, args: Arguments<'static>, wants_result: bool) -> HandlerResult {
    let Some(inner) = inner.upgrade() else {
        return Ok(None);
    };
    let Some(request) = ServerRequest::parse(&args) else {
        return Err("The call carries no ServerRequestMessage.".to_owned());
    };
    receiver::handle(&inner.handlers, &inner.connection, request, wants_result).await
}

impl HubClient for SignalarrrConnection {
    fn protocol(&self) -> Protocol {
        self.inner.connection.protocol()
    }

    fn invoke_raw(
        &self,
        method: &str,
        call: RawCall,
        cancellation: Option<CancellationToken>,
    ) -> impl Future<Output = Result<Option<Payload<'static>>, ClientError>> + Send + 'static {
        let started = self.request(method, call).map(|request| {
            HubClient::invoke_raw(
                &self.inner.connection,
                INVOKE_MESSAGE_RESULT,
                request,
                cancellation,
            )
        });
        async move { started?.await.map_err(decode) }
    }

    fn send_raw(
        &self,
        method: &str,
        call: RawCall,
    ) -> impl Future<Output = Result<(), ClientError>> + Send + 'static {
        let started = self
            .request(method, call)
            .map(|request| self.inner.connection.send(SEND_MESSAGE, request));
        async move { started?.await.map_err(decode) }
    }

    fn stream_raw(&self, method: &str, call: RawCall) -> PayloadStream {
        match self.request(method, call) {
            Ok(request) => HubClient::stream_raw(&self.inner.connection, STREAM_MESSAGE, request)
                .map(|item| item.map_err(decode))
                .boxed(),
            Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
        }
    }

    fn on_raw<F, Fut>(&self, method: &str, handler: F) -> Subscription
    where
        F: Fn(Arguments<'static>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        if method.eq_ignore_ascii_case(CANCEL_TOKEN_FROM_SERVER) {
            // The server calls it directly, not through a ServerRequestMessage.
            return self.inner.connection.on_raw(method, handler);
        }
        subscribe(
            &self.inner.handlers,
            method,
            Arc::new(move |args| handler(args).boxed()),
        )
    }

    fn on_close(&self, callback: impl Fn(Option<&ClientError>) + Send + Sync + 'static) {
        self.inner.connection.on_close(callback);
    }
}

/// A call's error with SignalARRR's envelope read out of a server's error text.
fn decode(error: ClientError) -> ClientError {
    match error {
        ClientError::Hub(text) => match RemoteError::parse(&text) {
            Some(remote) => ClientError::Remote(Box::new(remote)),
            None => ClientError::Hub(text),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_call_error_carrying_the_envelope_becomes_remote_and_others_stay() {
        let text = "An unexpected error occurred invoking 'InvokeMessageResult' on the server. HARRRException: {\"Version\":1,\"Code\":\"argument_binding_failed\",\"Type\":\"System.ArgumentException\",\"Message\":\"Invalid value provided\"}";
        let d = decode(ClientError::Hub(text.to_owned()));
        assert!(
            matches!(&d, ClientError::Remote(r) if r.code.as_deref() == Some("argument_binding_failed"))
        );
        assert_eq!(d.to_string(), "Invalid value provided");
        let plain = decode(ClientError::Hub("Invocation failed.".into()));
        assert!(matches!(plain, ClientError::Hub(t) if t == "Invocation failed."));
        let other = decode(ClientError::ConnectionClosed);
        assert!(matches!(other, ClientError::ConnectionClosed));
    }
}
