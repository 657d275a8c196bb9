//! One classic connection from negotiate to its end: its token and transport, the cursor
//! and groups token a reconnect resumes with, the calls waiting for their responses, the
//! WebSocket's writing half, and what each received document means (responses, progress,
//! server-to-client calls, caller state).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value};
use signalr_protocol::classic::{HubMessage, HubRequest, NegotiateResponse, Received};
use signalr_protocol::negotiate::TransportType;
use signalr_protocol::{Arguments, Payload};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use super::body::read_body;
use super::builder::ClassicConfig;
use super::urls::Urls;
use crate::engine::Handlers;
use crate::error::{ClientError, Operation};
use crate::transport::http;
use crate::transport::websocket::WsSender;

/// Each hub's caller state (by lower-cased hub name), kept for the connection's life.
pub(crate) type States = Mutex<HashMap<String, Map<String, Value>>>;

/// What a call waits for.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A result (`None` for void).
    Invoke(oneshot::Sender<Result<Option<Payload<'static>>, ClientError>>),
    /// Progress reports, ended by the response.
    Stream(mpsc::UnboundedSender<Result<Payload<'static>, ClientError>>),
}

#[derive(Debug)]
struct Pending {
    /// The hub, lower-cased: whose caller state the response's `S` updates.
    hub: String,
    reply: Reply,
}

/// What a received document asked of the receive loop.
#[derive(Debug, Default)]
pub(crate) struct Handled {
    /// The init message (`S`).
    pub(crate) initialized: bool,
    /// The server is shutting down (`T`): reconnect.
    pub(crate) reconnect: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A negotiated connection.
pub(crate) struct Session {
    pub(crate) config: ClassicConfig,
    pub(crate) http: reqwest::Client,
    pub(crate) negotiated: NegotiateResponse,
    pub(crate) transport: TransportType,
    pub(crate) urls: Urls,
    handlers: Arc<Handlers>,
    states: Arc<States>,
    cursor: Mutex<Option<String>>,
    groups_token: Mutex<Option<String>>,
    poll_delay: Mutex<Duration>,
    pending: Mutex<HashMap<String, Pending>>,
    next_id: AtomicU64,
    writer: tokio::sync::Mutex<Option<WsSender>>,
    /// Counts the WebSockets installed, so a send can wait for the next one.
    writers: watch::Sender<u64>,
    /// Fires when the connection is over for good.
    pub(crate) ended: CancellationToken,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("connection_id", &self.negotiated.connection_id)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// The name of a transport in the `transport` parameter.
pub(crate) fn transport_name(t: TransportType) -> &'static str {
    match t {
        TransportType::WebSockets => "webSockets",
        TransportType::ServerSentEvents => "serverSentEvents",
        TransportType::LongPolling => "longPolling",
    }
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        config: ClassicConfig,
        http: reqwest::Client,
        negotiated: NegotiateResponse,
        transport: TransportType,
        urls: Urls,
        handlers: Arc<Handlers>,
        states: Arc<States>,
    ) -> Self {
        Session {
            config,
            http,
            negotiated,
            transport,
            urls,
            handlers,
            states,
            cursor: Mutex::new(None),
            groups_token: Mutex::new(None),
            poll_delay: Mutex::new(Duration::ZERO),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            writer: tokio::sync::Mutex::new(None),
            writers: watch::channel(0).0,
            ended: CancellationToken::new(),
        }
    }

    /// The last cursor (`C`) received.
    pub(crate) fn cursor(&self) -> Option<String> {
        lock(&self.cursor).clone()
    }

    /// The last groups token (`G`) received.
    pub(crate) fn groups_token(&self) -> Option<String> {
        lock(&self.groups_token).clone()
    }

    /// How long long polling waits before its next poll (`L`).
    pub(crate) fn poll_delay(&self) -> Duration {
        *lock(&self.poll_delay)
    }

    /// Installs a new WebSocket's writing half.
    pub(crate) async fn set_writer(&self, sender: WsSender) {
        *self.writer.lock().await = Some(sender);
        self.writers.send_modify(|n| *n += 1);
    }

    /// Drops the WebSocket's writing half (it is gone): sends wait for the next one.
    pub(crate) async fn clear_writer(&self) -> Option<WsSender> {
        self.writer.lock().await.take()
    }

    /// Encodes the call `hub.method(arguments)` with the hub's caller state and registers
    /// what it waits for; returns its id and text.
    pub(crate) fn prepare(
        &self,
        hub: &str,
        method: &str,
        arguments: Arguments<'static>,
        reply: Reply,
    ) -> Result<(String, Vec<u8>), ClientError> {
        let hub_key = hub.to_lowercase();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let state = lock(&self.states)
            .get(&hub_key)
            .filter(|s| !s.is_empty())
            .map(|s| Value::Object(s.clone()).to_string());
        let state = state.map(Payload::json).transpose()?;
        let text = HubRequest {
            hub: hub.into(),
            method: method.into(),
            arguments,
            id: Some(id.as_str().into()),
            state,
        }
        .to_json()?;
        lock(&self.pending).insert(
            id.clone(),
            Pending {
                hub: hub_key,
                reply,
            },
        );
        Ok((id, text))
    }

    /// Ends the call `id` with `error` (it could not be sent).
    pub(crate) fn fail(&self, id: &str, error: ClientError) {
        if let Some(p) = lock(&self.pending).remove(id) {
            match p.reply {
                Reply::Invoke(tx) => {
                    let _ = tx.send(Err(error));
                }
                Reply::Stream(tx) => {
                    let _ = tx.send(Err(error));
                }
            }
        }
    }

    /// Forgets the call `id` (its caller is no longer interested).
    pub(crate) fn forget(&self, id: &str) {
        lock(&self.pending).remove(id);
    }

    /// Ends every waiting call with `error`.
    pub(crate) fn fail_all(&self, error: &ClientError) {
        let ids: Vec<String> = lock(&self.pending).keys().cloned().collect();
        for id in ids {
            self.fail(&id, error.clone());
        }
    }

    /// Sends the call `text`: a WebSocket message (waiting for a reconnect in progress), or
    /// `POST /send` whose answer is the call's response.
    pub(crate) async fn send(&self, text: Vec<u8>) -> Result<(), ClientError> {
        if self.transport == TransportType::WebSockets {
            let mut writers = self.writers.subscribe();
            loop {
                {
                    let mut writer = self.writer.lock().await;
                    if let Some(w) = writer.as_mut() {
                        return w.send(Bytes::from(text)).await;
                    }
                }
                tokio::select! {
                    changed = writers.changed() => if changed.is_err() { return Err(ClientError::ConnectionClosed) },
                    () = self.ended.cancelled() => return Err(ClientError::ConnectionClosed),
                }
            }
        }
        let config = &self.config.base;
        let mut headers = http::headers(config, None)?;
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
        );
        let data = String::from_utf8(text).map_err(|e| ClientError::request(Operation::Send, e))?;
        let request = self
            .http
            .post(self.urls.request("send", &[]))
            .headers(headers)
            .body(form_body(&data))
            .send();
        let timeout = config.http_request_timeout;
        let response = tokio::time::timeout(timeout, request)
            .await
            .map_err(|_| ClientError::Timeout {
                operation: Operation::Send,
                after: timeout,
            })?
            .map_err(|e| ClientError::request(Operation::Send, e))?;
        let status = response.status();
        let body = read_body(
            response,
            config.max_receive_message_size,
            timeout,
            Operation::Send,
        )
        .await?;
        if status != reqwest::StatusCode::OK {
            let text = String::from_utf8_lossy(&body).trim().to_owned();
            return Err(if text.is_empty() {
                ClientError::Status {
                    operation: Operation::Send,
                    status: status.as_u16(),
                }
            } else {
                ClientError::Hub(text)
            });
        }
        if !body.trim_ascii().is_empty() {
            self.handle(&body)?;
        }
        Ok(())
    }

    /// Acts on one received document.
    pub(crate) fn handle(&self, doc: &[u8]) -> Result<Handled, ClientError> {
        let mut handled = Handled::default();
        match Received::parse(doc)? {
            Received::KeepAlive => {}
            Received::Message(m) => self.message(m),
            Received::Persistent(head, messages) => {
                if let Some(e) = head.error {
                    return Err(ClientError::ServerClosed(e.into_owned()));
                }
                if head.disconnect {
                    return Err(ClientError::TransportClosed);
                }
                for m in &messages {
                    match HubMessage::parse(m.as_bytes()) {
                        Ok(m) => self.message(m),
                        Err(e) => tracing::debug!(error = %e, "a classic message was skipped"),
                    }
                }
                if let Some(g) = head.groups_token {
                    *lock(&self.groups_token) = Some(g.into_owned());
                }
                if let Some(c) = head.cursor {
                    *lock(&self.cursor) = Some(c.into_owned());
                }
                *lock(&self.poll_delay) = Duration::from_millis(head.long_poll_delay.unwrap_or(0));
                handled.initialized = head.initialized;
                handled.reconnect = head.reconnect;
            }
        }
        Ok(handled)
    }

    /// Merges the changes `state` (an object) into `hub`'s caller state.
    fn merge_state(&self, hub: &str, state: &Payload<'_>) {
        let Ok(changes) = serde_json::from_slice::<Map<String, Value>>(state.as_bytes()) else {
            return;
        };
        lock(&self.states)
            .entry(hub.to_lowercase())
            .or_default()
            .extend(changes);
    }

    fn message(&self, message: HubMessage<'_>) {
        match message {
            HubMessage::Progress(p) => {
                if let Some(Pending {
                    reply: Reply::Stream(tx),
                    ..
                }) = lock(&self.pending).get(p.id.as_ref())
                {
                    let _ = tx.send(Ok(p.data.into_owned()));
                }
            }
            HubMessage::Response(r) => {
                let Some(id) = r.id else { return };
                let Some(pending) = lock(&self.pending).remove(id.as_ref()) else {
                    return;
                };
                if let Some(s) = &r.state {
                    self.merge_state(&pending.hub, s);
                }
                let outcome = match r.error {
                    Some(e) => {
                        if let Some(d) = &e.data {
                            tracing::debug!(data = %String::from_utf8_lossy(d.as_bytes()), "hub error data");
                        }
                        Err(ClientError::Hub(e.message.into_owned()))
                    }
                    None => Ok(r.result.map(Payload::into_owned)),
                };
                match pending.reply {
                    Reply::Invoke(tx) => {
                        let _ = tx.send(outcome);
                    }
                    Reply::Stream(tx) => {
                        if let Err(e) = outcome {
                            let _ = tx.send(Err(e));
                        }
                    }
                }
            }
            HubMessage::Invocation(inv) => {
                if let Some(s) = &inv.state {
                    self.merge_state(&inv.hub, s);
                }
                let key = format!("{}.{}", inv.hub, inv.method);
                let handlers = self.handlers.get(&key);
                if handlers.is_empty() {
                    tracing::debug!(hub = %inv.hub, method = %inv.method, "no client method with this name");
                    return;
                }
                let arguments = inv.arguments.into_owned();
                let method = inv.method.into_owned();
                // Classic has no client results: a handler's value is ignored.
                tokio::spawn(async move {
                    for h in handlers {
                        if let Err(e) = h(arguments.clone()).await {
                            tracing::warn!(%method, error = %e, "client method failed");
                        }
                    }
                });
            }
        }
    }
}

/// `data=<percent-encoded text>`.
fn form_body(data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 8);
    out.push_str("data=");
    out.extend(form_urlencoded::byte_serialize(data.as_bytes()));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::config::Config;

    fn session() -> Session {
        let negotiated: NegotiateResponse = serde_json::from_str(
            r#"{"Url":"/signalr","ConnectionToken":"t","ConnectionId":"id","KeepAliveTimeout":20.0,"DisconnectTimeout":30.0,"ConnectionTimeout":110.0,"TryWebSockets":true,"ProtocolVersion":"1.5","TransportConnectTimeout":5.0,"LongPollDelay":0.0}"#,
        )
        .unwrap();
        let config = ClassicConfig {
            base: Config::new("http://127.0.0.1:1/signalr".into()),
            hubs: vec!["chat".into()],
            transport_connect_timeout: Duration::from_secs(5),
        };
        let urls = Urls {
            base: reqwest::Url::parse("http://127.0.0.1:1/signalr").unwrap(),
            transport: "longPolling",
            token: "t".into(),
            data: "[]".into(),
        };
        Session::new(
            config,
            reqwest::Client::new(),
            negotiated,
            TransportType::LongPolling,
            urls,
            Arc::default(),
            Arc::default(),
        )
    }

    #[test]
    fn documents_complete_calls_feed_streams_and_keep_state() {
        let s = session();
        lock(&s.states)
            .entry("chat".into())
            .or_default()
            .insert("user".into(), Value::from("ada"));
        let (tx, mut rx) = oneshot::channel();
        let (id, text) = s
            .prepare(
                "Chat",
                "Send",
                Arguments::empty(signalr_protocol::Protocol::Json),
                Reply::Invoke(tx),
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            r#"{"H":"Chat","M":"Send","A":[],"I":0,"S":{"user":"ada"}}"#
        );
        let (stx, mut srx) = mpsc::unbounded_channel();
        let (sid, _) = s
            .prepare(
                "chat",
                "Count",
                Arguments::empty(signalr_protocol::Protocol::Json),
                Reply::Stream(stx),
            )
            .unwrap();
        assert_eq!((id.as_str(), sid.as_str()), ("0", "1"));

        let h = s
            .handle(br#"{"C":"d-1-A,1","S":1,"G":"g1","M":[{"I":"P|1","P":{"I":"1","D":7}}]}"#)
            .unwrap();
        assert!(h.initialized && !h.reconnect);
        assert_eq!(srx.try_recv().unwrap().unwrap().as_bytes(), b"7");
        assert_eq!(
            (s.cursor().as_deref(), s.groups_token().as_deref()),
            (Some("d-1-A,1"), Some("g1"))
        );
        s.handle(br#"{"I":"1"}"#).unwrap();
        assert!(srx.try_recv().is_err(), "the response ends the stream");

        s.handle(br#"{"S":{"count":3},"R":true,"I":"0"}"#).unwrap();
        assert_eq!(rx.try_recv().unwrap().unwrap().unwrap().as_bytes(), b"true");
        let state = lock(&s.states)["chat"].clone();
        assert_eq!(
            Value::Object(state),
            serde_json::json!({ "user": "ada", "count": 3 })
        );

        let (tx, mut rx) = oneshot::channel();
        s.prepare(
            "chat",
            "Fail",
            Arguments::empty(signalr_protocol::Protocol::Json),
            Reply::Invoke(tx),
        )
        .unwrap();
        s.handle(br#"{"I":"2","H":true,"E":"Room is full","D":{"max":10}}"#)
            .unwrap();
        assert!(matches!(rx.try_recv().unwrap(), Err(ClientError::Hub(e)) if e == "Room is full"));

        assert!(s.handle(br#"{}"#).is_ok());
        assert!(s.handle(br#"{"C":"x","T":1,"M":[]}"#).unwrap().reconnect);
        assert!(matches!(
            s.handle(br#"{"C":"x","E":"gone","M":[]}"#),
            Err(ClientError::ServerClosed(e)) if e == "gone"
        ));
        assert!(s.handle(b"not json").is_err());
    }

    #[test]
    fn form_bodies_are_encoded() {
        assert_eq!(
            form_body(r#"{"A":["a b",1]}"#),
            "data=%7B%22A%22%3A%5B%22a+b%22%2C1%5D%7D"
        );
        assert_eq!(form_body("é"), "data=%C3%A9");
    }
}
