//! The connection engine, independent of any transport: invocation ids, the pending
//! invocations and streams, routing of incoming messages, client method handlers and their
//! replies, upload streams.
//!
//! The connection opens a [`Session`] per logical connection (one negotiate; with stateful
//! reconnect it outlives dropped WebSockets), feeds it every decoded message
//! ([`Session::receive`]) and writes every [`Outgoing`] frame the session queues, in order.
//! When the connection ends, [`Engine::close_session`] fails whatever is pending.

mod handlers;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;
use futures_util::stream::StreamExt;
use signalr_protocol::{
    Arguments, CancelInvocation, Completion, CompletionResult, Headers, HubMessage, Invocation,
    Payload, Protocol, StreamInvocation, StreamItem,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::arguments::{Call, ClientStream, EncodedItems};
use crate::error::ClientError;

pub(crate) use handlers::Handler;
pub use handlers::HandlerResult;
pub(crate) use handlers::Handlers;

/// The result of an invocation: its value (`None` for a void completion) or its error.
pub(crate) type InvokeResult = Result<Option<Payload<'static>>, ClientError>;

/// One encoded frame for the transport, and who to tell once it is written.
///
/// Every frame the engine queues is a *trackable* message of stateful reconnect
/// (Invocation, StreamInvocation, StreamItem, Completion, CancelInvocation); Pings, Acks and
/// Sequence messages are the session driver's own.
#[derive(Debug)]
pub(crate) struct Outgoing {
    /// The framed message (with its record separator or length prefix).
    pub(crate) frame: Bytes,
    /// Fired once the frame is written; dropped if it never is.
    pub(crate) written: Option<oneshot::Sender<()>>,
}

/// What a result stream's consumer receives.
#[derive(Debug)]
pub(crate) enum StreamEvent {
    Item(Payload<'static>),
    End(Result<(), ClientError>),
}

enum Pending {
    Invoke(oneshot::Sender<InvokeResult>),
    Stream(mpsc::UnboundedSender<StreamEvent>),
}

#[derive(Default)]
struct PendingMap {
    closed: bool,
    map: HashMap<String, Pending>,
}

/// What the transport should do after a message was received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Received {
    /// Keep going.
    Continue,
    /// The server closed the connection.
    Close {
        error: Option<String>,
        allow_reconnect: bool,
    },
}

/// The engine's state for one logical connection.
pub(crate) struct Session {
    protocol: Protocol,
    outbox: mpsc::UnboundedSender<Outgoing>,
    pending: Mutex<PendingMap>,
    dispatch: Mutex<Option<mpsc::UnboundedSender<Invocation<'static>>>>,
    closed: CancellationToken,
}

impl Session {
    /// Encodes `msg` and queues it for the transport.
    fn queue(
        &self,
        msg: &HubMessage<'_>,
        written: Option<oneshot::Sender<()>>,
    ) -> Result<(), ClientError> {
        let frame = Bytes::from(self.protocol.to_frame(msg)?);
        self.outbox
            .send(Outgoing { frame, written })
            .map_err(|_| ClientError::ConnectionClosed)
    }

    /// Queues `msg` and waits until the transport wrote it.
    async fn send_and_wait(&self, msg: &HubMessage<'_>) -> Result<(), ClientError> {
        let (tx, rx) = oneshot::channel();
        self.queue(msg, Some(tx))?;
        rx.await.map_err(|_| ClientError::ConnectionClosed)
    }

    fn register(&self, id: &str, p: Pending) -> Result<(), ClientError> {
        let mut pending = self
            .pending
            .lock()
            .map_err(|_| ClientError::ConnectionClosed)?;
        if pending.closed {
            return Err(ClientError::ConnectionClosed);
        }
        pending.map.insert(id.to_owned(), p);
        Ok(())
    }

    fn take(&self, id: &str) -> Option<Pending> {
        self.pending.lock().ok()?.map.remove(id)
    }

    fn stream_sender(&self, id: &str) -> Option<mpsc::UnboundedSender<StreamEvent>> {
        match self.pending.lock().ok()?.map.get(id)? {
            Pending::Stream(tx) => Some(tx.clone()),
            Pending::Invoke(_) => None,
        }
    }

    /// Handles one message from the server.
    pub(crate) fn receive(&self, msg: HubMessage<'_>) -> Received {
        match msg {
            HubMessage::Invocation(inv) => {
                let queue = self.dispatch.lock().ok().and_then(|d| d.clone());
                if let Some(q) = queue {
                    let _ = q.send(owned_invocation(inv));
                }
            }
            HubMessage::StreamItem(item) => match self.stream_sender(&item.invocation_id) {
                Some(tx) => {
                    if tx.send(StreamEvent::Item(item.item.into_owned())).is_err() {
                        // The consumer is gone; its drop already asked the server to stop.
                        self.take(&item.invocation_id);
                    }
                }
                None => {
                    tracing::debug!(id = %item.invocation_id, "stream item for no pending stream")
                }
            },
            HubMessage::Completion(c) => match self.take(&c.invocation_id) {
                Some(Pending::Invoke(tx)) => {
                    let result = match c.result {
                        CompletionResult::Void => Ok(None),
                        CompletionResult::Value(v) => Ok(Some(v.into_owned())),
                        CompletionResult::Error(e) => Err(ClientError::Hub(e.into_owned())),
                    };
                    let _ = tx.send(result);
                }
                Some(Pending::Stream(tx)) => {
                    let end = match c.result {
                        CompletionResult::Error(e) => Err(ClientError::Hub(e.into_owned())),
                        CompletionResult::Void | CompletionResult::Value(_) => Ok(()),
                    };
                    let _ = tx.send(StreamEvent::End(end));
                }
                None => {
                    tracing::debug!(id = %c.invocation_id, "completion for no pending invocation")
                }
            },
            HubMessage::Close(c) => {
                return Received::Close {
                    error: c.error.map(|e| e.into_owned()),
                    allow_reconnect: c.allow_reconnect,
                };
            }
            HubMessage::Ping | HubMessage::Ack { .. } | HubMessage::Sequence { .. } => {}
            HubMessage::StreamInvocation(_) | HubMessage::CancelInvocation(_) => {
                tracing::debug!("ignoring a message a client does not expect");
            }
        }
        Received::Continue
    }

    /// Forgets a pending invocation or result stream whose caller went away or cancelled,
    /// and asks the server to stop it (CancelInvocation).
    pub(crate) fn cancel_stream(&self, id: &str) {
        if self.take(id).is_none() {
            return;
        }
        let msg = HubMessage::CancelInvocation(CancelInvocation {
            headers: Headers::new(),
            invocation_id: id.into(),
        });
        let _ = self.queue(&msg, None);
    }

    /// Fails everything pending; later calls on this session fail at once.
    fn close(&self) {
        self.closed.cancel();
        if let Ok(mut d) = self.dispatch.lock() {
            d.take();
        }
        let pending = match self.pending.lock() {
            Ok(mut p) => {
                p.closed = true;
                std::mem::take(&mut p.map)
            }
            Err(_) => HashMap::new(),
        };
        for (_, p) in pending {
            match p {
                Pending::Invoke(tx) => {
                    let _ = tx.send(Err(ClientError::ConnectionClosed));
                }
                Pending::Stream(tx) => {
                    let _ = tx.send(StreamEvent::End(Err(ClientError::ConnectionClosed)));
                }
            }
        }
    }

    /// Whether the session was closed.
    #[cfg(test)]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }
}

/// Upload stream ids as an Invocation carries them.
fn wire_ids(ids: Option<&[String]>) -> Option<Vec<std::borrow::Cow<'_, str>>> {
    ids.map(|ids| ids.iter().map(|s| s.as_str().into()).collect())
}

fn owned_invocation(inv: Invocation<'_>) -> Invocation<'static> {
    match HubMessage::Invocation(inv).into_owned() {
        HubMessage::Invocation(inv) => inv,
        // `into_owned` keeps the variant.
        _ => Invocation {
            headers: Headers::new(),
            invocation_id: None,
            target: "".into(),
            arguments: Arguments::empty(Protocol::Json),
            stream_ids: None,
        },
    }
}

/// A started result stream: its events and the session to cancel it on.
pub(crate) struct StreamCall {
    pub(crate) id: String,
    pub(crate) session: Weak<Session>,
    pub(crate) events: mpsc::UnboundedReceiver<StreamEvent>,
}

/// The engine of one hub connection; it outlives reconnects (handlers and ids carry over).
pub(crate) struct Engine {
    protocol: Protocol,
    handlers: Arc<Handlers>,
    current: Mutex<Option<Arc<Session>>>,
    next_id: AtomicU64,
}

impl Engine {
    pub(crate) fn new(protocol: Protocol) -> Self {
        Engine {
            protocol,
            handlers: Arc::default(),
            current: Mutex::new(None),
            next_id: AtomicU64::new(0),
        }
    }

    pub(crate) fn protocol(&self) -> Protocol {
        self.protocol
    }

    pub(crate) fn handlers(&self) -> &Arc<Handlers> {
        &self.handlers
    }

    /// Starts a session for a new physical connection; the transport writes what the
    /// returned receiver yields. Must be called within a tokio runtime.
    pub(crate) fn open_session(&self) -> (Arc<Session>, mpsc::UnboundedReceiver<Outgoing>) {
        let (outbox, out_rx) = mpsc::unbounded_channel();
        let (dispatch, dispatch_rx) = mpsc::unbounded_channel();
        let session = Arc::new(Session {
            protocol: self.protocol,
            outbox: outbox.clone(),
            pending: Mutex::default(),
            dispatch: Mutex::new(Some(dispatch)),
            closed: CancellationToken::new(),
        });
        let reply: handlers::Reply = Arc::new(move |frame: Vec<u8>| {
            let _ = outbox.send(Outgoing {
                frame: frame.into(),
                written: None,
            });
        });
        tokio::spawn(handlers::dispatch_loop(
            self.handlers.clone(),
            reply,
            self.protocol,
            dispatch_rx,
        ));
        if let Ok(mut c) = self.current.lock() {
            *c = Some(session.clone());
        }
        (session, out_rx)
    }

    /// Ends a session: every pending invocation and stream fails with
    /// [`ClientError::ConnectionClosed`].
    pub(crate) fn close_session(&self, session: &Arc<Session>) {
        if let Ok(mut c) = self.current.lock()
            && c.as_ref().is_some_and(|s| Arc::ptr_eq(s, session))
        {
            *c = None;
        }
        session.close();
    }

    fn session(&self) -> Result<Arc<Session>, ClientError> {
        self.current
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .ok_or(ClientError::NotConnected)
    }

    fn next_id(&self) -> String {
        self.next_id.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// Ids for the upload streams of one call.
    fn stream_ids(&self, streams: &[ClientStream]) -> Option<Vec<String>> {
        (!streams.is_empty()).then(|| streams.iter().map(|_| self.next_id()).collect())
    }

    /// Sends an Invocation that expects a Completion; the receiver yields it. The session
    /// and the invocation id are returned too, to cancel it with [`Session::cancel_stream`].
    pub(crate) fn invoke(
        &self,
        method: &str,
        call: Call,
    ) -> Result<(oneshot::Receiver<InvokeResult>, Arc<Session>, String), ClientError> {
        let Call { arguments, streams } = call;
        let session = self.session()?;
        let id = self.next_id();
        let stream_ids = self.stream_ids(&streams);
        let (tx, rx) = oneshot::channel();
        session.register(&id, Pending::Invoke(tx))?;
        let msg = HubMessage::Invocation(Invocation {
            headers: Headers::new(),
            invocation_id: Some(id.as_str().into()),
            target: method.into(),
            arguments,
            stream_ids: wire_ids(stream_ids.as_deref()),
        });
        if let Err(e) = session.queue(&msg, None) {
            session.take(&id);
            return Err(e);
        }
        self.start_uploads(&session, stream_ids, streams);
        Ok((rx, session, id))
    }

    /// Sends an Invocation without an id (no reply); the receiver fires once it is written.
    pub(crate) fn send(
        &self,
        method: &str,
        call: Call,
    ) -> Result<oneshot::Receiver<()>, ClientError> {
        let Call { arguments, streams } = call;
        let session = self.session()?;
        let stream_ids = self.stream_ids(&streams);
        let msg = HubMessage::Invocation(Invocation {
            headers: Headers::new(),
            invocation_id: None,
            target: method.into(),
            arguments,
            stream_ids: wire_ids(stream_ids.as_deref()),
        });
        let (tx, rx) = oneshot::channel();
        session.queue(&msg, Some(tx))?;
        self.start_uploads(&session, stream_ids, streams);
        Ok(rx)
    }

    /// Sends a StreamInvocation; its items and end arrive as [`StreamEvent`]s.
    pub(crate) fn stream(&self, method: &str, call: Call) -> Result<StreamCall, ClientError> {
        let Call { arguments, streams } = call;
        let session = self.session()?;
        let id = self.next_id();
        let stream_ids = self.stream_ids(&streams);
        let (tx, events) = mpsc::unbounded_channel();
        session.register(&id, Pending::Stream(tx))?;
        let msg = HubMessage::StreamInvocation(StreamInvocation {
            headers: Headers::new(),
            invocation_id: id.as_str().into(),
            target: method.into(),
            arguments,
            stream_ids: wire_ids(stream_ids.as_deref()),
        });
        if let Err(e) = session.queue(&msg, None) {
            session.take(&id);
            return Err(e);
        }
        self.start_uploads(&session, stream_ids, streams);
        Ok(StreamCall {
            id,
            session: Arc::downgrade(&session),
            events,
        })
    }

    fn start_uploads(
        &self,
        session: &Arc<Session>,
        ids: Option<Vec<String>>,
        streams: Vec<ClientStream>,
    ) {
        for (id, stream) in ids.unwrap_or_default().into_iter().zip(streams) {
            tokio::spawn(upload(session.clone(), id, stream.encode(self.protocol)));
        }
    }
}

/// Sends the items of one upload stream, each once the previous one is written, then its
/// Completion; stops when the session ends.
async fn upload(session: Arc<Session>, id: String, mut items: EncodedItems) {
    let end = loop {
        let next = tokio::select! {
            n = items.next() => n,
            () = session.closed.cancelled() => return,
        };
        match next {
            Some(Ok(item)) => {
                let msg = HubMessage::StreamItem(StreamItem {
                    headers: Headers::new(),
                    invocation_id: id.as_str().into(),
                    item,
                });
                if session.send_and_wait(&msg).await.is_err() {
                    return;
                }
            }
            Some(Err(e)) => break CompletionResult::Error(e.into()),
            None => break CompletionResult::Void,
        }
    };
    let msg = HubMessage::Completion(Completion {
        headers: Headers::new(),
        invocation_id: id.as_str().into(),
        result: end,
    });
    let _ = session.queue(&msg, None);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use std::time::Duration;

    use super::*;
    use crate::arguments::CallArguments;
    use crate::error::NO_CLIENT_RESULT;
    use signalr_protocol::IntoArguments;

    fn call(p: Protocol, args: impl CallArguments) -> Call {
        args.into_call(p).unwrap()
    }

    fn decode(protocol: Protocol, out: &Outgoing) -> HubMessage<'static> {
        let mut msgs = Vec::new();
        signalr_protocol::decode_frames(protocol, &out.frame, None, |m| {
            msgs.push(m.unwrap().into_owned())
        })
        .unwrap();
        assert_eq!(msgs.len(), 1);
        msgs.remove(0)
    }

    async fn next(
        protocol: Protocol,
        rx: &mut mpsc::UnboundedReceiver<Outgoing>,
    ) -> HubMessage<'static> {
        let mut out = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        if let Some(w) = out.written.take() {
            let _ = w.send(());
        }
        decode(protocol, &out)
    }

    fn value<T: serde::Serialize>(p: Protocol, v: &T) -> Payload<'static> {
        Payload::serialize(p, v).unwrap()
    }

    #[tokio::test]
    async fn invocations_complete_by_id_and_fail_when_the_session_closes() {
        for p in Protocol::ALL {
            let engine = Engine::new(p);
            assert!(matches!(
                engine.invoke("Echo", call(p, ())).err(),
                Some(ClientError::NotConnected)
            ));
            let (session, mut out) = engine.open_session();
            let a = engine.invoke("Add", call(p, (2, 3))).unwrap().0;
            let b = engine.invoke("Fail", call(p, ("no",))).unwrap().0;
            let c = engine.invoke("Sleep", call(p, (1,))).unwrap().0;
            let mut seen = Vec::new();
            for _ in 0..3 {
                match next(p, &mut out).await {
                    HubMessage::Invocation(inv) => seen.push((
                        inv.invocation_id.unwrap().into_owned(),
                        inv.target.into_owned(),
                    )),
                    other => panic!("{other:?}"),
                }
            }
            assert_eq!(seen[0].1, "Add");
            // Completions may arrive in any order.
            session.receive(HubMessage::Completion(Completion {
                headers: Headers::new(),
                invocation_id: seen[1].0.clone().into(),
                result: CompletionResult::Error("boom".into()),
            }));
            session.receive(HubMessage::Completion(Completion {
                headers: Headers::new(),
                invocation_id: seen[0].0.clone().into(),
                result: CompletionResult::Value(value(p, &5)),
            }));
            assert!(matches!(b.await.unwrap(), Err(ClientError::Hub(e)) if e == "boom"));
            assert_eq!(a.await.unwrap().unwrap().unwrap().bind::<i32>().unwrap(), 5);
            engine.close_session(&session);
            assert!(matches!(
                c.await.unwrap(),
                Err(ClientError::ConnectionClosed)
            ));
            assert!(matches!(
                engine.invoke("Echo", call(p, ())).err(),
                Some(ClientError::NotConnected)
            ));
        }
    }

    #[tokio::test]
    async fn streams_yield_items_and_cancel_when_dropped() {
        let p = Protocol::Json;
        let engine = Engine::new(p);
        let (session, mut out) = engine.open_session();
        let mut call = engine.stream("Counter", call(p, (3, 0))).unwrap();
        let HubMessage::StreamInvocation(inv) = next(p, &mut out).await else {
            panic!()
        };
        assert_eq!(inv.invocation_id, call.id);
        for i in 0..2 {
            session.receive(HubMessage::StreamItem(StreamItem {
                headers: Headers::new(),
                invocation_id: call.id.clone().into(),
                item: value(p, &i),
            }));
        }
        for i in 0..2 {
            match call.events.recv().await.unwrap() {
                StreamEvent::Item(v) => assert_eq!(v.bind::<i32>().unwrap(), i),
                other => panic!("{other:?}"),
            }
        }
        call.session.upgrade().unwrap().cancel_stream(&call.id);
        match next(p, &mut out).await {
            HubMessage::CancelInvocation(c) => assert_eq!(c.invocation_id, call.id),
            other => panic!("{other:?}"),
        }
        // A second cancel (or a late completion) does nothing.
        session.cancel_stream(&call.id);
        assert!(out.try_recv().is_err());
    }

    #[tokio::test]
    async fn upload_streams_follow_their_invocation() {
        let p = Protocol::MessagePack;
        let engine = Engine::new(p);
        let (_session, mut out) = engine.open_session();
        let numbers = ClientStream::new(futures_util::stream::iter(1..=3));
        let failing =
            ClientStream::try_new(futures_util::stream::iter(vec![Ok(1), Err("bad item")]));
        let _rx = engine.invoke("Sum", call(p, (numbers, failing))).unwrap();
        let HubMessage::Invocation(inv) = next(p, &mut out).await else {
            panic!()
        };
        let ids: Vec<String> = inv
            .stream_ids
            .unwrap()
            .into_iter()
            .map(|s| s.into_owned())
            .collect();
        assert_eq!(ids.len(), 2);
        let mut items: HashMap<String, Vec<i32>> = HashMap::new();
        let mut ends: HashMap<String, CompletionResult<'static>> = HashMap::new();
        while ends.len() < 2 {
            match next(p, &mut out).await {
                HubMessage::StreamItem(i) => items
                    .entry(i.invocation_id.into_owned())
                    .or_default()
                    .push(i.item.bind().unwrap()),
                HubMessage::Completion(c) => {
                    ends.insert(c.invocation_id.into_owned(), c.result);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(items[&ids[0]], [1, 2, 3]);
        assert_eq!(ends[&ids[0]], CompletionResult::Void);
        assert_eq!(items[&ids[1]], [1]);
        assert_eq!(ends[&ids[1]], CompletionResult::Error("bad item".into()));
    }

    fn invocation(p: Protocol, id: Option<&str>, target: &str, arg: &str) -> HubMessage<'static> {
        HubMessage::Invocation(Invocation {
            headers: Headers::new(),
            invocation_id: id.map(|s| s.to_owned().into()),
            target: target.to_owned().into(),
            arguments: (arg,).to_arguments(p).unwrap(),
            stream_ids: None,
        })
    }

    #[tokio::test]
    async fn handlers_are_case_insensitive_and_answer_client_results() {
        for p in Protocol::ALL {
            let engine = Engine::new(p);
            let (tx, mut seen) = mpsc::unbounded_channel();
            let answer: Handler = Arc::new(move |args: Arguments<'static>| {
                let tx = tx.clone();
                Box::pin(async move {
                    let (q,): (String,) =
                        crate::FromArguments::from_arguments(&args).map_err(|e| e.to_string())?;
                    let _ = tx.send(q.clone());
                    Ok(Some(
                        Payload::serialize(args.protocol(), &format!("re: {q}")).unwrap(),
                    ))
                })
            });
            let reg = engine.handlers().add("Answer", answer);
            let (session, mut out) = engine.open_session();
            session.receive(invocation(p, None, "ANSWER", "one"));
            session.receive(invocation(p, Some("7"), "answer", "two"));
            session.receive(invocation(p, Some("8"), "Missing", "three"));
            assert_eq!(seen.recv().await.unwrap(), "one");
            assert_eq!(seen.recv().await.unwrap(), "two");
            let HubMessage::Completion(c) = next(p, &mut out).await else {
                panic!()
            };
            assert_eq!(c.invocation_id, "7");
            match c.result {
                CompletionResult::Value(v) => assert_eq!(v.bind::<String>().unwrap(), "re: two"),
                other => panic!("{other:?}"),
            }
            let HubMessage::Completion(c) = next(p, &mut out).await else {
                panic!()
            };
            assert_eq!(
                (c.invocation_id.as_ref(), c.result),
                ("8", CompletionResult::Error(NO_CLIENT_RESULT.into()))
            );
            // Two handlers that both answer: an error; after removal, no handler at all.
            let other: Handler = Arc::new(move |args: Arguments<'static>| {
                Box::pin(async move { Ok(Some(Payload::serialize(args.protocol(), &1).unwrap())) })
            });
            let second = engine.handlers().add("answer", other);
            session.receive(invocation(p, Some("9"), "Answer", "x"));
            let HubMessage::Completion(c) = next(p, &mut out).await else {
                panic!()
            };
            assert_eq!(
                c.result,
                CompletionResult::Error("Client provided multiple results.".into())
            );
            engine.handlers().remove("Answer", reg);
            engine.handlers().remove("ANSWER", second);
            session.receive(invocation(p, Some("10"), "Answer", "x"));
            let HubMessage::Completion(c) = next(p, &mut out).await else {
                panic!()
            };
            assert_eq!(c.result, CompletionResult::Error(NO_CLIENT_RESULT.into()));
        }
    }

    #[tokio::test]
    async fn a_close_message_is_reported_and_a_failing_handler_sends_its_error() {
        let p = Protocol::Json;
        let engine = Engine::new(p);
        let failing: Handler = Arc::new(|_| Box::pin(async { Err("nope".to_owned()) }));
        engine.handlers().add("Ask", failing);
        let panicking: Handler = Arc::new(|_| Box::pin(async { panic!("handler bug") }));
        engine.handlers().add("Crash", panicking);
        let (session, mut out) = engine.open_session();
        session.receive(invocation(p, Some("1"), "Ask", "?"));
        let HubMessage::Completion(c) = next(p, &mut out).await else {
            panic!()
        };
        assert_eq!(c.result, CompletionResult::Error("nope".into()));
        session.receive(invocation(p, Some("2"), "Crash", "?"));
        let HubMessage::Completion(c) = next(p, &mut out).await else {
            panic!()
        };
        assert_eq!(
            c.result,
            CompletionResult::Error("The client method 'Crash' panicked.".into())
        );
        assert_eq!(
            session.receive(HubMessage::Close(signalr_protocol::Close {
                error: Some("bye".into()),
                allow_reconnect: true,
            })),
            Received::Close {
                error: Some("bye".into()),
                allow_reconnect: true
            }
        );
        assert!(!session.is_closed());
        engine.close_session(&session);
        assert!(session.is_closed());
    }
}
