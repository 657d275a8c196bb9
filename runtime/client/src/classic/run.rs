//! A classic connection's life: negotiate, the transports tried in turn until one delivers
//! its init message, `/start`, the receive loop, reconnecting a dropped transport from the
//! cursor within the server's disconnect timeout, and `/abort` on stop.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;
use signalr_protocol::classic::{NegotiateResponse, ProtocolVersion};
use signalr_protocol::negotiate::{NegotiateError, TransportType};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::body::read_body;
use super::channel::{self, Channel};
use super::session::{Session, transport_name};
use super::urls::{self, CLIENT_PROTOCOL, Urls};
use super::{ClassicState, Shared};
use crate::config::Transports;
use crate::error::{ClientError, Operation, TransportFailure};
use crate::transport::http;

/// The oldest protocol a server may speak with this client.
const OLDEST_SERVER: &str = "1.5";

/// The pauses between reconnect attempts; the last one repeats.
const RECONNECT_DELAYS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_millis(250),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// How long `/abort` may take.
const ABORT_TIMEOUT: Duration = Duration::from_secs(5);

fn seconds(s: f64) -> Duration {
    Duration::from_secs_f64(if s.is_finite() {
        s.clamp(0.0, 86_400.0)
    } else {
        0.0
    })
}

/// A `GET` whose JSON answer is read within the HTTP request timeout.
async fn get_text(
    shared: &Shared,
    http_client: &reqwest::Client,
    url: Url,
    operation: Operation,
) -> Result<Vec<u8>, ClientError> {
    let config = &shared.config.base;
    let timeout = config.http_request_timeout;
    let request = http_client
        .get(url)
        .headers(http::headers(config, None)?)
        .send();
    let response = tokio::time::timeout(timeout, request)
        .await
        .map_err(|_| ClientError::Timeout {
            operation,
            after: timeout,
        })?
        .map_err(|e| ClientError::request(operation, e))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(ClientError::Status {
            operation,
            status: response.status().as_u16(),
        });
    }
    read_body(
        response,
        config.max_receive_message_size,
        timeout,
        operation,
    )
    .await
}

/// Negotiates, connects the first transport that delivers its init message, and starts.
pub(super) async fn connect(shared: &Shared) -> Result<(Arc<Session>, Channel), ClientError> {
    let http_client = shared.http.as_ref().map_err(Clone::clone)?.clone();
    let config = &shared.config;
    let base = http::parse_url(&config.base.url)?;
    let base = http::with_scheme(&base, false);
    let data = urls::connection_data(&config.hubs);
    let body = get_text(
        shared,
        &http_client,
        urls::negotiate(&base, &data),
        Operation::Negotiate,
    )
    .await?;
    let negotiated: NegotiateResponse =
        serde_json::from_slice(&body).map_err(|e| NegotiateError::Invalid(e.to_string()))?;
    if let Some(e) = negotiated.error.clone() {
        return Err(NegotiateError::Refused(e).into());
    }
    let oldest = ProtocolVersion::parse(OLDEST_SERVER);
    if ProtocolVersion::parse(&negotiated.protocol_version) < oldest {
        return Err(ClientError::IncompatibleServer {
            client: CLIENT_PROTOCOL.to_owned(),
            server: negotiated.protocol_version.clone(),
        });
    }
    let allowed = config.base.transports;
    let mut candidates = Vec::new();
    if negotiated.try_web_sockets {
        candidates.push(TransportType::WebSockets);
    }
    candidates.push(TransportType::ServerSentEvents);
    candidates.push(TransportType::LongPolling);
    let init_timeout =
        seconds(negotiated.transport_connect_timeout) + config.transport_connect_timeout;
    let mut failures = Vec::new();
    for transport in candidates {
        if !allowed.contains(Transports::from(transport)) {
            failures.push(TransportFailure {
                transport,
                error: ClientError::TransportDisabled(transport),
            });
            continue;
        }
        let session = Arc::new(Session::new(
            config.clone(),
            http_client.clone(),
            negotiated.clone(),
            transport,
            Urls {
                base: base.clone(),
                transport: transport_name(transport),
                token: negotiated.connection_token.clone(),
                data: data.clone(),
            },
            shared.handlers.clone(),
            shared.states.clone(),
        ));
        match tokio::time::timeout(init_timeout, initialize(&session)).await {
            Ok(Ok(channel)) => {
                let body =
                    get_text(shared, &http_client, session.urls.start(), Operation::Start).await?;
                let started = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .is_some_and(|v| v["Response"] == "started");
                if !started {
                    return Err(ClientError::InvalidStartResponse(
                        String::from_utf8_lossy(&body).into_owned(),
                    ));
                }
                return Ok((session, channel));
            }
            Ok(Err(error)) => failures.push(TransportFailure { transport, error }),
            Err(_) => failures.push(TransportFailure {
                transport,
                error: ClientError::Timeout {
                    operation: Operation::Initialize,
                    after: init_timeout,
                },
            }),
        }
        session.ended.cancel();
    }
    Err(ClientError::AllTransportsFailed(failures))
}

/// Opens the receive channel with `connect` and reads up to the init message.
async fn initialize(session: &Session) -> Result<Channel, ClientError> {
    let mut channel = channel::open(session, "connect").await?;
    loop {
        match channel.next(session).await {
            Some(Ok(doc)) => {
                if session.handle(&doc)?.initialized {
                    return Ok(channel);
                }
            }
            Some(Err(e)) => return Err(e),
            None => return Err(ClientError::TransportClosed),
        }
    }
}

/// How long the receive channel may stay silent: the server's keep-alive timeout on the
/// streaming transports; long polls are bounded on their own.
fn silence_limit(session: &Session) -> Option<Duration> {
    if session.transport == TransportType::LongPolling {
        return None;
    }
    session.negotiated.keep_alive_timeout.map(seconds)
}

/// The next document, `Err` when the transport is lost.
async fn receive(session: &Session, channel: &mut Channel) -> Result<Bytes, ClientError> {
    let next = channel.next(session);
    let received = match silence_limit(session) {
        Some(limit) => tokio::time::timeout(limit, next)
            .await
            .map_err(|_| ClientError::ServerTimeout)?,
        None => next.await,
    };
    received.unwrap_or(Err(ClientError::TransportClosed))
}

/// Runs the connection until it is stopped (`None`) or ends for good (its error).
pub(super) async fn run(
    shared: &Shared,
    session: &Arc<Session>,
    mut channel: Channel,
    stop: &CancellationToken,
) -> Option<ClientError> {
    loop {
        let lost = tokio::select! {
            () = stop.cancelled() => return None,
            r = receive(session, &mut channel) => match r {
                Ok(doc) => match session.handle(&doc) {
                    Ok(h) if h.reconnect => ClientError::TransportClosed,
                    Ok(_) => continue,
                    Err(e @ (ClientError::ServerClosed(_) | ClientError::TransportClosed)) => return Some(e),
                    Err(e) => {
                        tracing::debug!(error = %e, "an unreadable classic message");
                        continue;
                    }
                },
                Err(e) => e,
            },
        };
        tracing::debug!(error = %lost.report(), "classic transport lost; reconnecting");
        drop(channel);
        if session.transport == TransportType::WebSockets {
            // Responses to calls sent on the dropped socket are lost with it.
            if let Some(writer) = session.clear_writer().await {
                drop(writer);
            }
            session.fail_all(&ClientError::ConnectionClosed);
        }
        shared.set_state(ClassicState::Reconnecting);
        shared.reconnecting(&lost);
        channel = match reconnect(session, stop).await {
            Ok(c) => c,
            Err(None) => return None,
            Err(Some(e)) => return Some(e),
        };
        shared.set_state(ClassicState::Connected);
        shared.reconnected();
    }
}

/// Reopens the receive channel with `/reconnect`, until the disconnect timeout passes.
async fn reconnect(
    session: &Session,
    stop: &CancellationToken,
) -> Result<Channel, Option<ClientError>> {
    let timeout = seconds(session.negotiated.disconnect_timeout);
    let deadline = Instant::now() + timeout;
    for attempt in 0.. {
        let delay = RECONNECT_DELAYS[attempt.min(RECONNECT_DELAYS.len() - 1)];
        tokio::select! {
            () = stop.cancelled() => return Err(None),
            () = tokio::time::sleep_until((Instant::now() + delay).min(deadline)) => {}
        }
        if Instant::now() >= deadline {
            break;
        }
        tokio::select! {
            () = stop.cancelled() => return Err(None),
            r = tokio::time::timeout_at(deadline, channel::open(session, "reconnect")) => match r {
                Ok(Ok(channel)) => return Ok(channel),
                Ok(Err(e)) => tracing::debug!(error = %e.report(), "reconnect failed"),
                Err(_) => break,
            },
        }
    }
    Err(Some(ClientError::ReconnectTimeout(timeout)))
}

/// `POST /abort`: the server ends the connection at once.
pub(super) async fn abort(session: &Session) {
    let request = session
        .http
        .post(session.urls.request("abort", &[]))
        .headers(http::headers(&session.config.base, None).unwrap_or_default())
        .send();
    let _ = tokio::time::timeout(ABORT_TIMEOUT, request).await;
}
