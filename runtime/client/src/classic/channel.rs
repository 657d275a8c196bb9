//! The receive channels of the classic transports, each yielding whole JSON documents
//! (persistent responses, hub responses, keep-alives): a WebSocket's text messages, the
//! events of a Server-Sent Events stream, or one long poll's answer after another.
//! Sends are `data=` form posts to `/send`, or text messages on the WebSocket.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, HeaderValue};
use signalr_protocol::negotiate::TransportType;

use super::body::{read_body, too_large};
use super::session::Session;
use crate::error::{ClientError, Message, Operation};
use crate::transport::http::{self, Deliver, Incoming};
use crate::transport::sse::{EVENT_END, EventStreamParser};
use crate::transport::websocket::{self, WsReceiver};

/// A transport's receive channel.
#[derive(Debug)]
pub(crate) enum Channel {
    /// The WebSocket's reading half (its writing half is the session's).
    WebSocket(WsReceiver),
    /// The event stream, split into events.
    Events { incoming: Incoming, buf: Vec<u8> },
    /// Long polling: the answer of the connect or reconnect request, then a poll each time.
    Polls { first: Option<reqwest::Response> },
}

/// Opens the receive channel with `what` (`connect` or `reconnect`, which sends the cursor
/// and groups token).
pub(crate) async fn open(session: &Session, what: &str) -> Result<Channel, ClientError> {
    let config = &session.config.base;
    let cursor = session.cursor();
    let groups = session.groups_token();
    match session.transport {
        TransportType::WebSockets => {
            let url = session
                .urls
                .receive(what, cursor.as_deref(), groups.as_deref());
            let (sender, receiver) = websocket::connect(&url, config, None).await?;
            session.set_writer(sender).await;
            Ok(Channel::WebSocket(receiver))
        }
        TransportType::ServerSentEvents => {
            let url = session
                .urls
                .receive(what, cursor.as_deref(), groups.as_deref());
            let mut headers = http::headers(config, None)?;
            headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
            let request = session.http.get(url).headers(headers).send();
            let response = tokio::time::timeout(config.http_request_timeout, request)
                .await
                .map_err(|_| ClientError::Timeout {
                    operation: Operation::EventStream,
                    after: config.http_request_timeout,
                })?
                .map_err(|e| ClientError::request(Operation::EventStream, e))?;
            if response.status() != reqwest::StatusCode::OK {
                return Err(ClientError::Status {
                    operation: Operation::EventStream,
                    status: response.status().as_u16(),
                });
            }
            let incoming = Incoming::spawn(|tx| read_events(response, tx));
            Ok(Channel::Events {
                incoming,
                buf: Vec::new(),
            })
        }
        TransportType::LongPolling => {
            let mut form = Vec::new();
            if what != "connect" {
                if let Some(c) = &cursor {
                    form.push(("messageId", c.as_str()));
                }
                if let Some(g) = &groups {
                    form.push(("groupsToken", g.as_str()));
                }
            }
            let response = poll_request(session, what, &form).await?;
            Ok(Channel::Polls {
                first: Some(response),
            })
        }
    }
}

/// Forwards the data of every event, each ended with [`EVENT_END`].
async fn read_events(mut response: reqwest::Response, tx: Deliver) {
    let mut parser = EventStreamParser::marking_event_ends();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return,
            Err(e) => {
                let _ = tx
                    .send(Err(ClientError::request(Operation::EventStream, e)))
                    .await;
                return;
            }
        };
        let mut data = Vec::new();
        parser.feed(&chunk, &mut data);
        if !data.is_empty() && tx.send(Ok(Bytes::from(data))).await.is_err() {
            return;
        }
    }
}

/// How long a long poll may be held: the server's connection timeout and 10 s more.
fn poll_timeout(session: &Session) -> Duration {
    Duration::from_secs_f64(session.negotiated.connection_timeout.clamp(0.0, 86_400.0))
        + Duration::from_secs(10)
}

/// `POST {url}/{what}` of long polling with `form`; the answer's head.
async fn poll_request(
    session: &Session,
    what: &str,
    form: &[(&str, &str)],
) -> Result<reqwest::Response, ClientError> {
    let timeout = poll_timeout(session);
    let request = session
        .http
        .post(session.urls.request(what, &[]))
        .headers(http::headers(&session.config.base, None)?)
        .form(form)
        .send();
    let response = tokio::time::timeout(timeout, request)
        .await
        .map_err(|_| ClientError::Timeout {
            operation: Operation::Poll,
            after: timeout,
        })?
        .map_err(|e| ClientError::request(Operation::Poll, e))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(ClientError::Status {
            operation: Operation::Poll,
            status: response.status().as_u16(),
        });
    }
    Ok(response)
}

impl Channel {
    /// The next JSON document; `None` when the transport ended. Long polling polls (after
    /// the server's delay) with the session's current cursor.
    pub(crate) async fn next(&mut self, session: &Session) -> Option<Result<Bytes, ClientError>> {
        let limit = session.config.base.max_receive_message_size;
        match self {
            Channel::WebSocket(ws) => ws.recv().await,
            Channel::Events { incoming, buf } => loop {
                if let Some(end) = memchr::memchr(EVENT_END, buf) {
                    let event: Vec<u8> = buf.drain(..=end).take(end).collect();
                    if event == b"initialized" {
                        continue;
                    }
                    return Some(Ok(Bytes::from(event)));
                }
                if let Some(limit) = limit
                    && buf.len() > limit
                {
                    return Some(Err(too_large(limit)));
                }
                match incoming.recv().await? {
                    Ok(chunk) => buf.extend_from_slice(&chunk),
                    Err(e) => return Some(Err(e)),
                }
            },
            Channel::Polls { first } => {
                let response = match first.take() {
                    Some(r) => r,
                    None => {
                        let delay = session.poll_delay();
                        if !delay.is_zero() {
                            tokio::time::sleep(delay).await;
                        }
                        let (cursor, groups) = (session.cursor(), session.groups_token());
                        let mut form = Vec::new();
                        if let Some(c) = &cursor {
                            form.push(("messageId", c.as_str()));
                        }
                        if let Some(g) = &groups {
                            form.push(("groupsToken", g.as_str()));
                        }
                        match poll_request(session, "poll", &form).await {
                            Ok(r) => r,
                            Err(e) => return Some(Err(e)),
                        }
                    }
                };
                let body = read_body(response, limit, poll_timeout(session), Operation::Poll).await;
                Some(body.and_then(|b| {
                    let text = b.trim_ascii_start();
                    if text.is_empty() {
                        Err(ClientError::request(
                            Operation::Poll,
                            Message("an empty poll answer".to_owned()),
                        ))
                    } else {
                        Ok(Bytes::copy_from_slice(text))
                    }
                }))
            }
        }
    }
}
