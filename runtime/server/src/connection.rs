//! One connection, from handshake to close: the read loop, the write loop with keep-alive,
//! and dispatch of every hub message.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::pin::Pin;

use axum::extract::ws::{Message, WebSocket};
use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Sink, SinkExt, StreamExt};
use signalr_protocol::handshake::{self, HandshakeResponse};
use signalr_protocol::{
    Close, Completion, CompletionResult, FrameReader, Headers, HubMessage, Payload, Protocol,
    ProtocolError, StreamItem, TransferFormat,
};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::clients::{Clients, Connection, Frame, Groups, client_result};
use crate::hub::{Call, Caller, HubError, HubMethod, MethodKind, RawUploadStream, Reply};
use crate::server::ServerState;
use crate::stateful;

/// The Close error every fatal connection error sends unless detailed errors are on.
const CLOSED_WITH_ERROR: &str = "Connection closed with an error.";

/// Jobs waiting for an invocation slot, per connection.
const INVOCATION_QUEUE: usize = 1024;

type Uploads = Arc<Mutex<HashMap<String, mpsc::Sender<Result<Payload<'static>, HubError>>>>>;
type Active = Arc<Mutex<HashMap<String, CancellationToken>>>;

/// The outgoing half of a transport: frames in order; closing it ends the transport.
pub(crate) type Outgoing = Pin<Box<dyn Sink<Frame, Error = ()> + Send>>;

/// One connection's transport, whatever carries it: the bytes the client sends, in chunks
/// (the stream ends when the client goes away), and the sink of frames to the client.
pub(crate) struct Transport {
    pub(crate) incoming: BoxStream<'static, Bytes>,
    pub(crate) outgoing: Outgoing,
    /// The only transfer format the transport carries, if it cannot carry both.
    pub(crate) format: Option<TransferFormat>,
    /// Whether the server sends keep-alive Pings (long polling keeps itself alive).
    pub(crate) keep_alive: bool,
}

impl Transport {
    /// The WebSocket transport: text and binary messages both carry frames.
    pub(crate) fn websocket(socket: WebSocket) -> Self {
        let (sink, stream) = socket.split();
        let incoming = stream
            .take_while(|m| {
                std::future::ready(matches!(
                    m,
                    Ok(Message::Text(_) | Message::Binary(_) | Message::Ping(_) | Message::Pong(_))
                ))
            })
            .filter_map(|m| {
                std::future::ready(match m {
                    Ok(Message::Text(t)) => Some(Bytes::from(t)),
                    Ok(Message::Binary(b)) => Some(b),
                    _ => None,
                })
            })
            .boxed();
        let outgoing = sink
            .with(|frame: Frame| {
                std::future::ready(Ok::<_, axum::Error>(match frame {
                    Frame::Text(t) => Message::Text(t),
                    Frame::Binary(b) => Message::Binary(b),
                }))
            })
            .sink_map_err(|_| ());
        Transport {
            incoming,
            outgoing: Box::pin(outgoing),
            format: None,
            keep_alive: true,
        }
    }
}

/// Reads the handshake; returns the chosen protocol, the version the client asked for, and
/// the bytes that followed it.
async fn handshake(
    transport: &mut Transport,
    state: &ServerState,
) -> Option<(Protocol, i64, Vec<u8>)> {
    let opts = &state.options;
    let mut buf = Vec::new();
    let format = transport.format;
    let incoming = &mut transport.incoming;
    let read = async {
        loop {
            match incoming.next().await {
                Some(chunk) => buf.extend_from_slice(&chunk),
                None => return Err(None),
            }
            match handshake::parse_request(&buf, opts.maximum_receive_message_size) {
                Ok(Some((req, used))) => {
                    let chosen =
                        handshake::select_protocol(&req, &opts.supported_protocols, format);
                    return Ok((chosen, used, req.version));
                }
                Ok(None) => continue,
                Err(e) => {
                    return Err(Some(handshake::unreadable_request_error(
                        &e,
                        opts.enable_detailed_errors,
                    )));
                }
            }
        }
    };
    let outcome = match tokio::time::timeout(opts.handshake_timeout, read).await {
        Ok(r) => r,
        Err(_) => Err(Some(handshake::HANDSHAKE_CANCELED.to_owned())),
    };
    let (error, result) = match outcome {
        Ok((Ok(protocol), used, version)) => {
            (None, Some((protocol, version, buf[used..].to_vec())))
        }
        Ok((Err(text), _, _)) => (Some(text), None),
        Err(Some(text)) => (Some(text), None),
        Err(None) => return None,
    };
    let mut out = Vec::new();
    handshake::write_response(
        &HandshakeResponse {
            error: error.map(Into::into),
        },
        &mut out,
    );
    let text = String::from_utf8_lossy(&out).into_owned();
    if transport
        .outgoing
        .send(Frame::Text(text.into()))
        .await
        .is_err()
    {
        return None;
    }
    if result.is_none() {
        let _ = transport.outgoing.close().await;
    }
    result
}

/// Runs one connection to its end over `transport`; `abort` ends it from outside. With
/// `next`, the connection was negotiated with stateful reconnect: if the client's handshake
/// asks for version 2, later transports of the connection arrive there.
pub(crate) async fn run(
    mut transport: Transport,
    state: Arc<ServerState>,
    id: Arc<str>,
    user: Option<Arc<str>>,
    abort: CancellationToken,
    next: Option<mpsc::Receiver<Transport>>,
) {
    let handshake = tokio::select! {
        h = handshake(&mut transport, &state) => h,
        () = abort.cancelled() => None,
    };
    let Some((protocol, version, leftover)) = handshake else {
        return;
    };
    // A version 1 client cannot reconnect statefully; dropping `next` refuses a second
    // WebSocket for the connection, as without the feature.
    let next = next.filter(|_| version >= 2);
    let opts = state.options.clone();
    let (tx, rx) = mpsc::channel(opts.max_queued_messages);
    let conn = Arc::new(Connection::new(
        id.clone(),
        user.clone(),
        protocol,
        tx,
        abort.clone(),
    ));
    state.registry.add(conn.clone());
    crate::scaleout::connection_opened(&state.registry, &id, user.as_deref()).await;
    let caller = Caller {
        connection_id: id.clone(),
        user,
        protocol,
        clients: Clients {
            registry: state.registry.clone(),
            caller: Some(id.clone()),
        },
        groups: Groups {
            registry: state.registry.clone(),
        },
    };
    let Transport {
        incoming,
        outgoing,
        keep_alive,
        ..
    } = transport;
    let close_frame: Arc<Mutex<Option<Frame>>> = Arc::new(Mutex::new(None));
    let keep_alive = keep_alive.then_some(opts.keep_alive_interval);
    let (writer, reconnect) = match next {
        None => (
            tokio::spawn(write_loop(
                outgoing,
                rx,
                abort.clone(),
                keep_alive,
                protocol,
                close_frame.clone(),
            )),
            None,
        ),
        Some(next) => {
            let shared = Arc::new(stateful::Shared::new(opts.stateful_reconnect_buffer_size));
            let (sinks_tx, sinks_rx) = mpsc::channel(1);
            let (lost_tx, lost_rx) = watch::channel(u64::MAX);
            let writer = tokio::spawn(stateful::write_loop(
                outgoing,
                rx,
                sinks_rx,
                lost_tx,
                abort.clone(),
                keep_alive,
                protocol,
                close_frame.clone(),
                shared.clone(),
            ));
            let reconnect = Reconnect {
                shared,
                next,
                sinks: sinks_tx,
                lost: lost_rx,
                generation: 0,
                awaiting_sequence: false,
                next_receiving: 1,
            };
            (writer, Some(reconnect))
        }
    };
    if let Some(hook) = &state.hub.on_connected {
        hook(caller.clone()).await;
    }

    let mut reader = Reader {
        state: state.clone(),
        conn: conn.clone(),
        caller: caller.clone(),
        uploads: Arc::default(),
        active: Arc::default(),
        jobs: spawn_invocation_runner(opts.maximum_parallel_invocations_per_client, abort.clone()),
        pinged: false,
        reconnect,
    };
    let end = reader.read_loop(incoming, leftover).await;
    if let Some(error) = end {
        let text = if opts.enable_detailed_errors {
            format!("{CLOSED_WITH_ERROR} InvalidDataException: {error}")
        } else {
            CLOSED_WITH_ERROR.to_owned()
        };
        let msg = HubMessage::Close(Close {
            error: Some(text.into()),
            allow_reconnect: true,
        });
        if let (Ok(frame), Ok(mut slot)) = (Frame::encode(protocol, &msg), close_frame.lock()) {
            *slot = Some(frame);
        }
    }
    abort.cancel();
    let _ = writer.await;
    conn.fail_pending_results();
    state.registry.remove(&id);
    if let Ok(mut uploads) = reader.uploads.lock() {
        uploads.clear();
    }
    if let Some(hook) = &state.hub.on_disconnected {
        hook(caller).await;
    }
}

type Job = Box<dyn FnOnce(Slot) + Send>;

/// The invocation slot a running hub method holds. A method waiting for a client result
/// gives its slot back meanwhile, so the client can call the hub while it answers (with one
/// slot per client, the default, it could not otherwise).
#[derive(Clone)]
pub(crate) struct Slot {
    semaphore: Arc<Semaphore>,
    permit: Arc<std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>>,
}

impl Slot {
    /// Gives the slot back; whether it was held.
    fn release(&self) -> bool {
        self.permit
            .lock()
            .map(|mut p| p.take().is_some())
            .unwrap_or(false)
    }

    /// Waits for a slot again (behind invocations that arrived meanwhile).
    async fn reacquire(&self) {
        if let Ok(p) = self.semaphore.clone().acquire_owned().await
            && let Ok(mut held) = self.permit.lock()
        {
            *held = Some(p);
        }
    }
}

tokio::task_local! {
    static SLOT: Slot;
}

/// Runs `f` without the calling hub method's invocation slot, if it holds one, and takes a
/// slot again before returning.
pub(crate) async fn without_slot<F: Future>(f: F) -> F::Output {
    let slot = SLOT.try_with(Clone::clone).ok();
    let released = slot.as_ref().is_some_and(Slot::release);
    let output = f.await;
    if released && let Some(slot) = slot {
        slot.reacquire().await;
    }
    output
}

/// Starts the task that admits non-streaming invocations in arrival order, at most `n` at once.
fn spawn_invocation_runner(n: usize, abort: CancellationToken) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(INVOCATION_QUEUE);
    let permits = Arc::new(Semaphore::new(n.max(1)));
    tokio::spawn(async move {
        loop {
            // The job first: an idle runner holds no slot, so a method waiting for a client
            // result can always take its slot back.
            let job = tokio::select! {
                j = rx.recv() => match j { Some(j) => j, None => break },
                () = abort.cancelled() => break,
            };
            let permit = tokio::select! {
                p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                () = abort.cancelled() => break,
            };
            job(Slot {
                semaphore: permits.clone(),
                permit: Arc::new(std::sync::Mutex::new(Some(permit))),
            });
        }
    });
    tx
}

async fn write_loop(
    mut sink: Outgoing,
    mut rx: mpsc::Receiver<Frame>,
    abort: CancellationToken,
    keep_alive: Option<Duration>,
    protocol: Protocol,
    close_frame: Arc<Mutex<Option<Frame>>>,
) {
    let ping = Frame::encode(protocol, &HubMessage::Ping).ok();
    loop {
        let next = tokio::select! {
            biased;
            () = abort.cancelled() => break,
            f = rx.recv() => match f { Some(f) => Some(f), None => break },
            () = sleep_or_never(keep_alive) => ping.clone(),
        };
        let Some(frame) = next else { continue };
        // A client that stops reading blocks the send; the connection's end must not wait for it.
        let sent = tokio::select! {
            r = sink.send(frame) => r.is_ok(),
            () = abort.cancelled() => false,
        };
        if !sent {
            abort.cancel();
            return;
        }
    }
    flush_and_close(sink, rx, &close_frame).await;
}

/// At a connection's end: sends what is already queued (replies written just before the
/// end), then the Close, and closes the transport, all within a bounded time.
pub(crate) async fn flush_and_close(
    mut sink: Outgoing,
    mut rx: mpsc::Receiver<Frame>,
    close_frame: &Mutex<Option<Frame>>,
) {
    let flush = async {
        while let Ok(frame) = rx.try_recv() {
            if sink.send(frame).await.is_err() {
                return;
            }
        }
        let close = close_frame.lock().ok().and_then(|mut f| f.take());
        if let Some(frame) = close {
            let _ = sink.send(frame).await;
        }
        let _ = sink.close().await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), flush).await;
}

/// Sleeps for `d`, or forever without one.
async fn sleep_or_never(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// The reader's side of stateful reconnect.
struct Reconnect {
    shared: Arc<stateful::Shared>,
    /// Where the connection's next transports arrive.
    next: mpsc::Receiver<Transport>,
    /// Where the reader hands each new transport's outgoing half to the writer.
    sinks: mpsc::Sender<stateful::NextSink>,
    /// The number of the transport whose sends failed, from the writer.
    lost: watch::Receiver<u64>,
    /// The number of the current transport.
    generation: u64,
    /// After a new transport, incoming messages are dropped until the client's Sequence.
    awaiting_sequence: bool,
    /// The sequence id of the next trackable message received.
    next_receiving: u64,
}

/// Ends when the writer reports transport `generation` lost.
async fn lost(lost: &mut watch::Receiver<u64>, generation: u64) {
    if lost.wait_for(|g| *g == generation).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Reconnect {
    /// Counts a trackable message; `false` if it must be dropped (before the client's
    /// Sequence, or already processed before the reconnect).
    fn admit(&mut self) -> bool {
        if self.awaiting_sequence {
            return false;
        }
        let id = self.next_receiving;
        self.next_receiving += 1;
        let received = self.shared.received.load(Ordering::Acquire);
        if id <= received {
            return false;
        }
        self.shared.received.store(id, Ordering::Release);
        true
    }
}

struct Reader {
    reconnect: Option<Reconnect>,
    state: Arc<ServerState>,
    conn: Arc<Connection>,
    caller: Caller,
    uploads: Uploads,
    active: Active,
    jobs: mpsc::Sender<Job>,
    pinged: bool,
}

impl Reader {
    /// Reads until the connection ends; `Some(error)` if it ends because of bad input.
    async fn read_loop(
        &mut self,
        stream: BoxStream<'static, Bytes>,
        leftover: Vec<u8>,
    ) -> Option<String> {
        let protocol = self.caller.protocol;
        let mut frames =
            FrameReader::new(protocol, self.state.options.maximum_receive_message_size);
        let timeout = self.state.options.client_timeout_interval;
        let abort = self.conn.abort.clone();
        let mut pending = leftover;
        let mut stream = stream;
        loop {
            if !pending.is_empty() {
                let mut messages = Vec::new();
                let res = frames.push(&pending, |frame| {
                    match protocol.decode_frame(frame) {
                        Ok(m) => messages.push(m.into_owned()),
                        Err(e) if e.is_ignorable() => {}
                        Err(e) => return Err(e),
                    }
                    Ok::<_, ProtocolError>(())
                });
                pending.clear();
                for m in messages {
                    if !self.handle(m).await {
                        return None;
                    }
                }
                if let Err(e) = res {
                    tracing::debug!(connection = %self.conn.id, error = %e, "closing on bad input");
                    return Some(e.to_string());
                }
            }
            let pinged = self.pinged;
            let reconnect = &mut self.reconnect;
            let next = async {
                if pinged {
                    tokio::time::timeout(timeout, stream.next()).await.ok()
                } else {
                    Some(stream.next().await)
                }
            };
            let replaced = async {
                match reconnect.as_mut() {
                    Some(r) => tokio::select! {
                        t = r.next.recv() => t,
                        () = lost(&mut r.lost, r.generation) => None,
                    },
                    None => std::future::pending().await,
                }
            };
            let event = tokio::select! {
                m = next => Ok(m),
                () = abort.cancelled() => return None,
                // A new transport, or the writer found the current one gone.
                t = replaced => Err(t),
            };
            let replacement = match event {
                // The transport ended; a stateful-reconnect connection waits for the next.
                Ok(Some(None)) if self.reconnect.is_some() => None,
                Ok(msg) => {
                    match msg {
                        // Client timeout: no message since the interval began.
                        None => {
                            tracing::debug!(connection = %self.conn.id, "client timeout");
                            return None;
                        }
                        Some(Some(chunk)) => pending.extend_from_slice(&chunk),
                        Some(None) => return None,
                    }
                    continue;
                }
                Err(t) => t,
            };
            let transport = match replacement {
                Some(t) => t,
                None => self.wait_for_transport(&abort).await?,
            };
            stream = self.switch(transport).await?;
            frames = FrameReader::new(protocol, self.state.options.maximum_receive_message_size);
            pending.clear();
        }
    }

    /// Waits (the disconnect timeout at most) for the next transport of a stateful-reconnect
    /// connection; `None` ends the connection.
    async fn wait_for_transport(&mut self, abort: &CancellationToken) -> Option<Transport> {
        let timeout = self.state.options.disconnect_timeout;
        let r = self.reconnect.as_mut()?;
        tracing::debug!(connection = %self.conn.id, "transport lost; waiting for a reconnect");
        tokio::select! {
            t = tokio::time::timeout(timeout, r.next.recv()) => match t {
                Ok(Some(t)) => Some(t),
                _ => {
                    tracing::debug!(connection = %self.conn.id, "no reconnect in time");
                    None
                }
            },
            () = abort.cancelled() => None,
        }
    }

    /// Starts using a new transport: its outgoing half goes to the writer (which resends
    /// what is unacknowledged), its incoming half is returned.
    async fn switch(&mut self, transport: Transport) -> Option<BoxStream<'static, Bytes>> {
        let r = self.reconnect.as_mut()?;
        r.generation += 1;
        r.awaiting_sequence = true;
        tracing::debug!(connection = %self.conn.id, "reconnected");
        if r.sinks
            .send((r.generation, transport.outgoing))
            .await
            .is_err()
        {
            return None;
        }
        Some(transport.incoming)
    }

    /// Handles one message; `false` ends the connection.
    async fn handle(&mut self, msg: HubMessage<'static>) -> bool {
        if let Some(r) = self.reconnect.as_mut() {
            match &msg {
                HubMessage::Ack { sequence_id } => r.shared.ack(*sequence_id),
                HubMessage::Sequence { sequence_id } => {
                    let received = r.shared.received.load(Ordering::Acquire);
                    if *sequence_id > received + 1 {
                        tracing::debug!(connection = %self.conn.id, "Sequence ID greater than amount of messages we've received.");
                        return false;
                    }
                    r.next_receiving = *sequence_id;
                    r.awaiting_sequence = false;
                }
                HubMessage::Ping | HubMessage::Close(_) => {}
                _ => {
                    if !r.admit() {
                        return true;
                    }
                }
            }
        }
        match msg {
            HubMessage::Invocation(inv) => {
                let id = inv.invocation_id.map(|s| s.into_owned());
                let target = inv.target.into_owned();
                let stream_ids = inv.stream_ids.unwrap_or_default();
                self.invoke(id, target, inv.arguments, stream_ids, MethodKind::Unary)
                    .await;
            }
            HubMessage::StreamInvocation(inv) => {
                let stream_ids = inv.stream_ids.unwrap_or_default();
                self.invoke(
                    Some(inv.invocation_id.into_owned()),
                    inv.target.into_owned(),
                    inv.arguments,
                    stream_ids,
                    MethodKind::Stream,
                )
                .await;
            }
            HubMessage::StreamItem(item) => {
                let tx = self
                    .uploads
                    .lock()
                    .ok()
                    .and_then(|u| u.get(item.invocation_id.as_ref()).cloned());
                if let Some(tx) = tx {
                    // Waiting here is the backpressure of a bounded upload buffer.
                    let _ = tx.send(Ok(item.item)).await;
                }
            }
            HubMessage::Completion(c) => {
                let upload = self
                    .uploads
                    .lock()
                    .ok()
                    .and_then(|mut u| u.remove(c.invocation_id.as_ref()));
                match upload {
                    Some(tx) => {
                        if let CompletionResult::Error(e) = c.result {
                            let _ = tx.send(Err(HubError::new(e.into_owned()))).await;
                        }
                    }
                    None => {
                        if !self
                            .conn
                            .complete_result(&c.invocation_id, client_result(c.result))
                        {
                            tracing::debug!(connection = %self.conn.id, id = %c.invocation_id, "completion for an unknown invocation ignored");
                        }
                    }
                }
            }
            HubMessage::CancelInvocation(c) => {
                if let Some(token) = self
                    .active
                    .lock()
                    .ok()
                    .and_then(|a| a.get(c.invocation_id.as_ref()).cloned())
                {
                    token.cancel();
                }
            }
            HubMessage::Ping => self.pinged = true,
            HubMessage::Close(_) => return false,
            HubMessage::Ack { .. } | HubMessage::Sequence { .. } => {}
        }
        true
    }

    fn complete(&self, id: &str, result: CompletionResult<'static>) {
        let msg = HubMessage::Completion(Completion {
            headers: Headers::new(),
            invocation_id: id.to_owned().into(),
            result,
        });
        if let Ok(frame) = Frame::encode(self.caller.protocol, &msg) {
            self.conn.push(frame);
        }
    }

    fn fail(&self, id: Option<&str>, text: String) {
        if let Some(id) = id {
            self.complete(id, CompletionResult::Error(text.into()));
        }
    }

    async fn invoke(
        &mut self,
        id: Option<String>,
        target: String,
        arguments: signalr_protocol::Arguments<'static>,
        stream_ids: Vec<std::borrow::Cow<'static, str>>,
        kind: MethodKind,
    ) {
        let Some(method) = self.state.hub.resolve(&target).cloned() else {
            self.fail(id.as_deref(), format!("Unknown hub method '{target}'"));
            return;
        };
        if method.kind != kind {
            let text = match kind {
                MethodKind::Unary => format!(
                    "The client attempted to invoke the streaming '{target}' method with a non-streaming invocation."
                ),
                MethodKind::Stream => format!(
                    "The client attempted to invoke the non-streaming '{target}' method with a streaming invocation."
                ),
            };
            self.fail(id.as_deref(), text);
            return;
        }
        if stream_ids.len() != method.upload_streams {
            self.fail(
                id.as_deref(),
                format!(
                    "An unexpected error occurred invoking '{target}' on the server. HubException: Client sent {} stream(s), Hub method expects {}.",
                    stream_ids.len(),
                    method.upload_streams
                ),
            );
            return;
        }
        if let Some(id) = &id
            && self.active.lock().is_ok_and(|a| a.contains_key(id))
        {
            self.fail(Some(id), format!("Invocation ID '{id}' is already in use."));
            return;
        }
        let mut streams = Vec::with_capacity(stream_ids.len());
        for sid in stream_ids {
            let (tx, rx) = mpsc::channel(self.state.options.stream_buffer_capacity.max(1));
            if let Ok(mut u) = self.uploads.lock() {
                u.insert(sid.into_owned(), tx);
            }
            streams.push(RawUploadStream { rx });
        }
        let cancellation = self.conn.abort.child_token();
        if let Some(id) = &id
            && let Ok(mut a) = self.active.lock()
        {
            a.insert(id.clone(), cancellation.clone());
        }
        let call = Call {
            caller: self.caller.clone(),
            target,
            arguments,
            streams,
            cancellation,
        };
        let run = Invocation {
            conn: self.conn.clone(),
            active: self.active.clone(),
            detailed: self.state.options.enable_detailed_errors,
            id,
            method,
        };
        // Streams, and methods that read upload streams, run at once; other invocations
        // wait for a slot in arrival order.
        if kind == MethodKind::Stream || run.method.upload_streams > 0 {
            tokio::spawn(run.execute(call, None));
        } else {
            let job: Job = Box::new(move |slot| {
                tokio::spawn(run.execute(call, Some(slot)));
            });
            if self.jobs.send(job).await.is_err() {
                tracing::debug!(connection = %self.conn.id, "invocation dropped: connection closing");
            }
        }
    }
}

/// One running invocation.
struct Invocation {
    conn: Arc<Connection>,
    active: Active,
    detailed: bool,
    id: Option<String>,
    method: HubMethod,
}

impl Invocation {
    fn error_text(&self, target: &str, e: &HubError) -> String {
        match e {
            HubError::Binding(b) => {
                let base = format!("Failed to invoke '{target}' due to an error on the server.");
                if self.detailed {
                    format!("{base} InvalidDataException: {b}")
                } else {
                    base
                }
            }
            HubError::Hub(m) => format!(
                "An unexpected error occurred invoking '{target}' on the server. HubException: {m}"
            ),
            HubError::Internal(m) => {
                let base =
                    format!("An unexpected error occurred invoking '{target}' on the server.");
                if self.detailed {
                    format!("{base} Exception: {m}")
                } else {
                    base
                }
            }
        }
    }

    fn send(&self, msg: HubMessage<'_>) {
        if let Ok(frame) = Frame::encode(self.conn.protocol, &msg) {
            self.conn.push(frame);
        }
    }

    fn complete(&self, result: CompletionResult<'_>) {
        if let Some(id) = &self.id {
            self.send(HubMessage::Completion(Completion {
                headers: Headers::new(),
                invocation_id: id.as_str().into(),
                result,
            }));
        }
    }

    async fn execute(self, call: Call, slot: Option<Slot>) {
        let target = call.target.clone();
        let cancellation = call.cancellation.clone();
        let handler = self.method.handler.clone();
        // A panicking method must not take the connection down: run it as its own task.
        let outcome = match slot.clone() {
            Some(slot) => tokio::spawn(SLOT.scope(slot, handler(call))).await,
            None => tokio::spawn(handler(call)).await,
        };
        if let Some(slot) = slot {
            slot.release();
        }
        match outcome {
            Ok(Ok(Reply::Void)) => self.complete(CompletionResult::Void),
            Ok(Ok(Reply::Value(v))) => self.complete(CompletionResult::Value(v)),
            Ok(Ok(Reply::Stream(mut items))) => loop {
                let next = tokio::select! {
                    n = items.next() => n,
                    () = cancellation.cancelled() => None,
                };
                match next {
                    Some(Ok(item)) => {
                        if let Some(id) = &self.id {
                            self.send(HubMessage::StreamItem(StreamItem {
                                headers: Headers::new(),
                                invocation_id: id.as_str().into(),
                                item,
                            }));
                        }
                    }
                    Some(Err(e)) => {
                        let base = "An error occurred on the server while streaming results.";
                        let text = match &e {
                            HubError::Hub(m) => format!("{base} HubException: {m}"),
                            _ if self.detailed => format!("{base} Exception: {e}"),
                            _ => base.to_owned(),
                        };
                        self.complete(CompletionResult::Error(text.into()));
                        break;
                    }
                    None => {
                        self.complete(CompletionResult::Void);
                        break;
                    }
                }
            },
            Ok(Err(e)) => {
                self.complete(CompletionResult::Error(self.error_text(&target, &e).into()))
            }
            Err(panic) => {
                tracing::error!(connection = %self.conn.id, method = %self.method.name, "hub method panicked: {panic}");
                self.complete(CompletionResult::Error(
                    self.error_text(&target, &HubError::internal("the method panicked"))
                        .into(),
                ));
            }
        }
        if let Some(id) = &self.id
            && let Ok(mut a) = self.active.lock()
        {
            a.remove(id);
        }
    }
}
