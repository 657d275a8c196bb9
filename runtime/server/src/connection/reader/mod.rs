//! The connection's loop: bytes from the transport into hub messages, each message
//! dispatched ([`dispatch`]), the connection's invocations driven, its deadlines kept, and,
//! without stateful reconnect, its writes made (`crate::writer::half`), all on one task.
//!
//! Invocations run as futures polled by the reader itself (no task per call): non-streaming
//! ones wait for an invocation slot in arrival order; streams and methods that read upload
//! streams start at once. When too many bytes of invocations wait for a slot, or an upload
//! stream's buffer is full, the reader stops reading and TCP slows the client down.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{BoxStream, FuturesUnordered};
use signalr_protocol::{FrameReader, HubMessage, Payload, Protocol, ProtocolError};
use tokio::sync::futures::Notified;
use tokio::sync::mpsc::OwnedPermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::clients::Caller;
use crate::clients::registry::Connection;
use crate::connection::invoke::Invocation;
use crate::context::HubContext;
use crate::error::HubError;
use crate::hub::UploadSender;
use crate::slot::{Slot, Slots};
use crate::stateful::Reconnect;
use crate::transport::TransportError;
use crate::writer::{WriteError, WriteHalf};

mod dispatch;

use super::timers::{Deadlines, Fired, Now, bring_forward};

/// How many bytes a connection handles before it lets other connections run: a client
/// that sends as fast as it can must not keep a worker thread from everyone else.
const YIELD_EVERY: usize = 32 << 10;

/// Bytes received as the client's chunks.
pub(crate) type Incoming = BoxStream<'static, Result<Bytes, TransportError>>;

/// Why the read side ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The client sent Close, or its transport ended.
    Gone,
    /// The server ended the connection (shutdown, a stuck queue, a fatal error elsewhere).
    Aborted,
    /// The client sent something that is not the hub protocol.
    BadInput(String),
    /// The transport failed (an oversize or invalid WebSocket message).
    Transport(TransportError),
    /// The client sent nothing within the client timeout.
    Timeout,
    /// The user's credential expired.
    Expired,
}

/// An invocation that has finished, for the reader's bookkeeping.
struct Done {
    id: Option<Arc<str>>,
    stream: bool,
}

type Running = Pin<Box<dyn Future<Output = Done> + Send>>;

/// One item of an upload stream, or the error it ended with.
type UploadItem = Result<Payload<'static>, HubError>;

/// Room for one item in an upload stream's buffer (`None`: the stream is gone).
type Room = Pin<Box<dyn Future<Output = Option<OwnedPermit<UploadItem>>> + Send>>;

/// An upload item waiting for room in its stream's buffer.
struct Stalled {
    room: Room,
    item: UploadItem,
}

/// A received invocation waiting for a slot, and its size.
struct Pending {
    invocation: Invocation,
    size: usize,
}

pub(crate) struct Reader {
    pub(crate) ctx: Arc<HubContext>,
    pub(crate) conn: Arc<Connection>,
    pub(crate) caller: Caller,
    pub(crate) reconnect: Option<Reconnect>,
    /// The write half this task writes its own replies through (none with stateful
    /// reconnect, whose writer numbers every frame).
    half: Option<WriteHalf>,
    /// Fires when the connection ends, for every invocation's cancellation token.
    pub(crate) teardown: CancellationToken,
    protocol: Protocol,
    frames: FrameReader,
    slots: Arc<Slots>,
    /// The invocations being driven (made with the first: an idle connection has none).
    running: Option<FuturesUnordered<Running>>,
    pending: VecDeque<Pending>,
    pending_bytes: usize,
    /// Cancellation of the running invocations, by the client's invocation id.
    active: HashMap<Arc<str>, CancellationToken>,
    streams: usize,
    uploads: HashMap<String, UploadSender>,
    stalled: Option<Stalled>,
    /// Messages received after an upload stalled, handled once it has room.
    backlog: VecDeque<HubMessage<'static>>,
    pinged: bool,
    last_received: Instant,
}

impl Reader {
    pub(crate) fn new(
        ctx: Arc<HubContext>,
        conn: Arc<Connection>,
        caller: Caller,
        reconnect: Option<Reconnect>,
        half: Option<WriteHalf>,
    ) -> Self {
        let protocol = conn.protocol;
        let frames = FrameReader::new(protocol, ctx.options.maximum_receive_message_size);
        let slots = Arc::new(Slots::new(
            ctx.options.maximum_parallel_invocations_per_client,
        ));
        Reader {
            ctx,
            conn,
            caller,
            reconnect,
            half,
            teardown: CancellationToken::new(),
            protocol,
            frames,
            slots,
            running: None,
            pending: VecDeque::new(),
            pending_bytes: 0,
            active: HashMap::new(),
            streams: 0,
            uploads: HashMap::new(),
            stalled: None,
            backlog: VecDeque::new(),
            pinged: false,
            last_received: Instant::now(),
        }
    }

    /// Reads and dispatches until the connection ends, and says why.
    pub(crate) async fn run(&mut self, incoming: Incoming, leftover: Vec<u8>) -> End {
        let mut incoming = Some(incoming);
        let abort = self.conn.abort.clone();
        // Made once: waiting on the token registers with it, and re-registering every turn
        // of the loop would cost a lock and an allocation per message.
        let aborted = abort.cancelled();
        tokio::pin!(aborted);
        let disconnect_timeout = self.ctx.options.disconnect_timeout;
        if !leftover.is_empty()
            && let Err(end) = self.receive(&leftover)
        {
            return end;
        }
        // The write side (without stateful reconnect): woken for frames other tasks queue.
        let conn = self.conn.clone();
        let woken = conn.outbox.writer_woken();
        tokio::pin!(woken);
        let mut deadlines = Deadlines::new(
            self.ctx.options.client_timeout_interval,
            self.half.as_ref().and_then(|h| h.keep_alive()),
            self.expiry(),
        );
        let timer = tokio::time::sleep_until(deadlines.next(&self.now(true)));
        tokio::pin!(timer);
        // Whether the timer knows the client timeout applies (the client has pinged).
        let mut client_timed = false;
        let slots = self.slots.clone();
        // Bytes handled since this task last let others run.
        let mut since_yield = 0usize;
        loop {
            if since_yield >= YIELD_EVERY {
                since_yield = 0;
                tokio::task::yield_now().await;
            }
            let freed = slots.freed.notified();
            tokio::pin!(freed);
            if !self.pending.is_empty() {
                freed.as_mut().enable();
            }
            self.admit();
            let paused = self.pending_bytes > self.ctx.options.maximum_pending_invocation_bytes
                || self.stalled.is_some();
            let connected = incoming.is_some();
            tokio::select! {
                biased;
                () = &mut aborted => return End::Aborted,
                Some(done) = next_done(&mut self.running), if self.running.as_ref().is_some_and(|r| !r.is_empty()) => self.finished(done),
                () = &mut freed, if !self.pending.is_empty() => {}
                room = wait_for_room(&mut self.stalled), if self.stalled.is_some() => {
                    if let Some(stalled) = self.stalled.take()
                        && let Some(permit) = room
                    {
                        permit.send(stalled.item);
                    }
                    if let Err(end) = self.drain_backlog() {
                        return end;
                    }
                }
                chunk = next_chunk(&mut incoming), if connected && !paused => match chunk {
                    Some(Ok(bytes)) => {
                        self.last_received = Instant::now();
                        since_yield += bytes.len();
                        if let Err(end) = self.receive(&bytes) {
                            return end;
                        }
                        if self.pinged && !client_timed {
                            client_timed = true;
                            let at = deadlines.client_deadline(self.last_received);
                            bring_forward(timer.as_mut(), at);
                        }
                    }
                    Some(Err(e)) => return End::Transport(e),
                    None => {
                        if self.reconnect.is_none() {
                            return End::Gone;
                        }
                        tracing::debug!("transport lost; waiting for a reconnect");
                        incoming = None;
                        bring_forward(timer.as_mut(), deadlines.lost(disconnect_timeout));
                    }
                },
                () = &mut timer => {
                    let now = self.now(connected);
                    match deadlines.fire(&now) {
                        Fired::Expired => return End::Expired,
                        Fired::TimedOut => {
                            tracing::debug!("client timeout");
                            return End::Timeout;
                        }
                        Fired::NoReconnect => {
                            tracing::debug!("no reconnect in time");
                            return End::Gone;
                        }
                        Fired::Ping => {
                            if let Some(half) = &mut self.half {
                                half.ping();
                            }
                        }
                        Fired::Nothing => {}
                    }
                    timer.as_mut().reset(deadlines.next(&now));
                }
                event = reconnect_event(&mut self.reconnect, connected) => {
                    let transport = match event {
                        ReconnectEvent::Lost => {
                            tracing::debug!("transport lost; waiting for a reconnect");
                            incoming = None;
                            bring_forward(timer.as_mut(), deadlines.lost(disconnect_timeout));
                            continue;
                        }
                        ReconnectEvent::Next(None) => return End::Gone,
                        ReconnectEvent::Next(Some(t)) => t,
                    };
                    let Some(r) = self.reconnect.as_mut() else { return End::Gone };
                    tracing::debug!("reconnected");
                    incoming = Box::pin(r.switch(transport)).await;
                    if incoming.is_none() {
                        return End::Gone;
                    }
                    self.frames = FrameReader::new(self.protocol, self.ctx.options.maximum_receive_message_size);
                    self.last_received = Instant::now();
                    deadlines.reconnected();
                    // The client timeout counts again from now.
                    let at = deadlines.next(&self.now(true));
                    bring_forward(timer.as_mut(), at);
                }
                // Last: only when nothing else is ready, so that a burst of messages is
                // answered with one write. It completes only when writing is over.
                written = write(self.half.as_mut(), &conn, woken.as_mut()), if self.half.is_some() => {
                    match written {
                        WriteError::Failed => {
                            self.conn.abort.cancel();
                            return End::Aborted;
                        }
                        WriteError::Timeout => {
                            tracing::warn!(connection = %self.conn.id, "client not reading within the send timeout; closing the connection");
                            self.conn.close_with_error("The client is not reading its messages.");
                            return End::Aborted;
                        }
                    }
                }
            }
        }
    }

    /// The transport and what is still queued, for the connection's end to flush and close
    /// (none with stateful reconnect, or when the transport is gone or stuck).
    pub(crate) fn take_write(&mut self) -> Option<crate::writer::half::Parts> {
        self.half.as_mut()?.take()
    }

    /// What the deadlines depend on now.
    fn now(&self, connected: bool) -> Now {
        Now {
            at: Instant::now(),
            connected,
            pinged: self.pinged,
            last_received: self.last_received,
            last_send: self.half.as_ref().map(|h| h.last_send()),
        }
    }

    /// When the connection must close because its credential expires.
    fn expiry(&self) -> Option<Instant> {
        if !self.ctx.auth.close_on_expiration {
            return None;
        }
        let at = self.conn.identity.as_ref()?.expiry()?;
        let left = at
            .duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO);
        Some(Instant::now() + left)
    }

    /// The running and waiting invocations, to finish after the connection has ended.
    pub(crate) fn into_leftovers(self) -> impl Future<Output = ()> + Send {
        let running = self.running;
        async move {
            if let Some(running) = running {
                running.for_each(|_| async {}).await;
            }
        }
    }

    /// Starts waiting invocations while slots are free.
    fn admit(&mut self) {
        while !self.pending.is_empty() && self.slots.try_take() {
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            self.pending_bytes -= p.size;
            let slot = Slot::taken(self.slots.clone());
            self.start(p.invocation, Some(slot), false);
        }
    }

    fn start(&mut self, invocation: Invocation, slot: Option<Slot>, stream: bool) {
        let id = invocation.id.clone();
        let span = tracing::debug_span!(
            "signalr.invocation",
            method = %invocation.method.name,
            invocation_id = id.as_deref().unwrap_or(""),
        );
        self.running
            .get_or_insert_with(FuturesUnordered::new)
            .push(Box::pin(
                async move {
                    invocation.run(slot).await;
                    Done { id, stream }
                }
                .instrument(span),
            ));
    }

    fn finished(&mut self, done: Done) {
        if let Some(id) = done.id {
            self.active.remove(&id);
        }
        if done.stream {
            self.streams -= 1;
        }
    }

    /// Decodes what arrived and handles each message.
    fn receive(&mut self, bytes: &[u8]) -> Result<(), End> {
        let protocol = self.protocol;
        let mut messages = Vec::new();
        let res = self.frames.push(bytes, |frame| {
            match protocol.decode_frame(frame) {
                Ok(m) => messages.push(m.into_owned()),
                Err(e) if e.is_ignorable() => {}
                Err(e) => return Err(e),
            }
            Ok::<_, ProtocolError>(())
        });
        for m in messages {
            if self.stalled.is_some() {
                self.backlog.push_back(m);
            } else {
                self.handle(m)?;
            }
        }
        if let Err(e) = res {
            tracing::debug!(error = %e, "closing on bad input");
            return Err(End::BadInput(e.to_string()));
        }
        Ok(())
    }

    fn drain_backlog(&mut self) -> Result<(), End> {
        while self.stalled.is_none() {
            let Some(m) = self.backlog.pop_front() else {
                break;
            };
            self.handle(m)?;
        }
        Ok(())
    }
}

async fn next_done(running: &mut Option<FuturesUnordered<Running>>) -> Option<Done> {
    match running {
        Some(r) => r.next().await,
        None => std::future::pending().await,
    }
}

async fn next_chunk(incoming: &mut Option<Incoming>) -> Option<Result<Bytes, TransportError>> {
    match incoming {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

/// Writes what there is to write (see [`WriteHalf::poll_write`]) whenever it is polled, and
/// stays pending: it completes only when writing is over for good. The frames this task
/// queues itself are seen at each poll (they are queued in the branches polled before it);
/// frames queued by other tasks wake it through `woken`, so a wake for them costs one turn.
async fn write<'c>(
    mut half: Option<&mut WriteHalf>,
    conn: &'c Connection,
    mut woken: Pin<&mut Notified<'c>>,
) -> WriteError {
    std::future::poll_fn(|cx| {
        let Some(half) = half.as_deref_mut() else {
            return std::task::Poll::Pending;
        };
        // Registered again after each wake, so the next frame from elsewhere wakes the task.
        while woken.as_mut().poll(cx).is_ready() {
            woken.set(conn.outbox.writer_woken());
        }
        match half.poll_write(conn, cx) {
            std::task::Poll::Ready(Err(e)) => std::task::Poll::Ready(e),
            _ => std::task::Poll::Pending,
        }
    })
    .await
}

async fn wait_for_room(stalled: &mut Option<Stalled>) -> Option<OwnedPermit<UploadItem>> {
    match stalled {
        Some(s) => s.room.as_mut().await,
        None => std::future::pending().await,
    }
}

/// What happened to a stateful-reconnect connection's transports.
enum ReconnectEvent {
    /// A new transport arrived (`None`: none ever will).
    Next(Option<crate::transport::Transport>),
    /// The writer found the current transport gone.
    Lost,
}

/// The next event of a stateful-reconnect connection's transports; pending forever
/// without stateful reconnect. Boxed, and only for such connections: its futures would
/// otherwise size every connection's task.
fn reconnect_event(
    reconnect: &mut Option<Reconnect>,
    connected: bool,
) -> Pin<Box<dyn Future<Output = ReconnectEvent> + Send + '_>> {
    let Some(r) = reconnect else {
        return Box::pin(std::future::pending());
    };
    Box::pin(async move {
        if !connected {
            return ReconnectEvent::Next(r.next.recv().await);
        }
        let (next, lost) = r.next_or_lost();
        tokio::select! {
            t = next => ReconnectEvent::Next(t),
            () = lost => ReconnectEvent::Lost,
        }
    })
}
