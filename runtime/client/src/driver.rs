//! Runs an engine [`Session`] over a connected transport until one of them ends: splits what
//! arrives into frames (rejecting any larger than the receive limit before buffering it),
//! decodes and routes them, writes what the session queues, sends keep-alive Pings, watches
//! the server timeout, and keeps stateful reconnect's books (numbering, Acks, the resend
//! after a new WebSocket).
//!
//! Reading, writing and the timers run concurrently, so a slow write never delays reading
//! and a server that floods the connection cannot starve the timers.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use signalr_protocol::{FrameReader, HubMessage, Protocol};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::engine::{Outgoing, Received, Session};
use crate::error::ClientError;
use crate::stateful::{Admit, Stateful};
use crate::transport::{Connected, Sender};

/// How long after receiving a trackable message its Ack is sent (one Ack covers all that
/// arrive meanwhile), as the official clients.
const ACK_DELAY: Duration = Duration::from_secs(1);

/// The most bytes sent in one HTTP request when several messages are queued.
const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// Why a session stopped running on its transport.
#[derive(Debug)]
pub(crate) enum End {
    /// `stop` was called.
    Stopped,
    /// The server sent a Close message.
    Closed {
        /// Its error, if any.
        error: Option<ClientError>,
        /// Whether it allows automatic reconnect.
        allow_reconnect: bool,
    },
    /// The transport failed or ended; stateful reconnect may go on over a new one.
    Lost(Option<ClientError>),
    /// The server broke the protocol or sent a message over the receive limit: the session
    /// cannot go on.
    Failed(ClientError),
}

/// The timers of a session (none for long polling, which keeps itself alive).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timers {
    /// Send a Ping when nothing was sent for this long.
    pub(crate) keep_alive: Option<Duration>,
    /// End the session when nothing was received for this long.
    pub(crate) server_timeout: Option<Duration>,
}

/// What a session runs with.
pub(crate) struct Drive<'a> {
    pub(crate) session: &'a Session,
    pub(crate) outbox: &'a mut mpsc::UnboundedReceiver<Outgoing>,
    pub(crate) stateful: Option<&'a mut Stateful>,
    pub(crate) protocol: Protocol,
    pub(crate) max_message_size: Option<usize>,
    pub(crate) timers: Timers,
    pub(crate) stop: &'a CancellationToken,
}

/// What the reading and writing halves share. They run in one task and lock it only
/// between awaits, so the lock is never contended.
struct Shared<'a> {
    frames: FrameReader,
    stateful: Option<&'a mut Stateful>,
    last_received: Instant,
    ack_at: Option<Instant>,
}

impl Shared<'_> {
    /// Splits `chunk` into frames and routes their messages; `Err` ends the session.
    fn feed(&mut self, session: &Session, chunk: &[u8]) -> Result<(), End> {
        let protocol = self.frames.protocol();
        let stateful = &mut self.stateful;
        let mut end = None;
        self.frames
            .push(chunk, |frame| -> Result<(), ClientError> {
                if end.is_some() {
                    return Ok(());
                }
                let msg = match protocol.decode_frame(frame) {
                    Ok(m) => m,
                    Err(e) if e.is_ignorable() => return Ok(()),
                    Err(e) => return Err(e.into()),
                };
                if let Some(s) = stateful.as_deref_mut()
                    && s.receive(&msg)? == Admit::Skip
                {
                    return Ok(());
                }
                if let Received::Close {
                    error,
                    allow_reconnect,
                } = session.receive(msg)
                {
                    end = Some(End::Closed {
                        error: error.map(ClientError::ServerClosed),
                        allow_reconnect,
                    });
                }
                Ok(())
            })
            .map_err(End::Failed)?;
        match end {
            Some(end) => Err(end),
            None => Ok(()),
        }
    }
}

fn lock<'m, 'a>(shared: &'m Mutex<Shared<'a>>) -> MutexGuard<'m, Shared<'a>> {
    shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn frame(protocol: Protocol, msg: &HubMessage<'_>) -> Result<Bytes, End> {
    protocol
        .to_frame(msg)
        .map(Bytes::from)
        .map_err(|e| End::Failed(e.into()))
}

/// Runs the session over `transport` until the session or the transport ends. `leftover`
/// is what followed the handshake response; `resume` (after a stateful reconnect) first
/// sends `Sequence` and the unacknowledged messages.
pub(crate) async fn drive(
    transport: &mut Connected,
    drive: Drive<'_>,
    leftover: Vec<u8>,
    resume: bool,
) -> End {
    let Drive {
        session,
        outbox,
        stateful,
        protocol,
        max_message_size,
        timers,
        stop,
    } = drive;
    let shared = Mutex::new(Shared {
        frames: FrameReader::new(protocol, max_message_size),
        stateful,
        last_received: Instant::now(),
        ack_at: None,
    });
    let wake_writer = Notify::new();
    let sender = &mut transport.sender;
    let receiver = &mut transport.receiver;

    let reader = async {
        let mut pending = Some(leftover);
        loop {
            let chunk = match pending.take() {
                Some(leftover) => Bytes::from(leftover),
                None => match receiver.recv().await {
                    Some(Ok(chunk)) => chunk,
                    Some(Err(e)) => return End::Lost(Some(e)),
                    None => return End::Lost(None),
                },
            };
            let mut s = lock(&shared);
            s.last_received = Instant::now();
            if let Err(end) = s.feed(session, &chunk) {
                return end;
            }
            if let Some(st) = s.stateful.as_deref() {
                if s.ack_at.is_none() && st.ack_due().is_some() {
                    s.ack_at = Some(Instant::now() + ACK_DELAY);
                }
                // An Ack may have freed the buffer, or an Ack is due: let the writer look.
                wake_writer.notify_one();
            }
        }
    };

    let writer = async {
        let ping = match frame(protocol, &HubMessage::Ping) {
            Ok(p) => p,
            Err(end) => return end,
        };
        let first = if resume {
            let resend = lock(&shared).stateful.as_deref().map(Stateful::resend);
            match resend {
                Some((first, frames)) => {
                    let sequence =
                        match frame(protocol, &HubMessage::Sequence { sequence_id: first }) {
                            Ok(f) => f,
                            Err(end) => return end,
                        };
                    std::iter::once(sequence).chain(frames).collect()
                }
                None => Vec::new(),
            }
        } else if timers.keep_alive.is_some() {
            // The official clients send a Ping right after the handshake.
            vec![ping.clone()]
        } else {
            Vec::new()
        };
        for f in first {
            if let Err(e) = sender.send(f).await {
                return End::Lost(Some(e));
            }
        }
        let mut ping_at = timers.keep_alive.map(|k| Instant::now() + k);
        loop {
            let (full, ack_at) = {
                let s = lock(&shared);
                (
                    s.stateful.as_deref().is_some_and(Stateful::is_full),
                    s.ack_at,
                )
            };
            tokio::select! {
                out = outbox.recv(), if !full => {
                    let Some(out) = out else {
                        return End::Lost(Some(ClientError::ConnectionClosed));
                    };
                    let batch = collect_batch(out, outbox, sender);
                    let tracked = {
                        let mut s = lock(&shared);
                        match s.stateful.as_deref_mut() {
                            Some(st) => {
                                for o in &batch {
                                    st.track(o.frame.clone());
                                }
                                true
                            }
                            None => false,
                        }
                    };
                    let (data, written) = join(batch);
                    let result = sender.send(data).await;
                    // A frame kept for stateful reconnect reaches the server with the resend.
                    if result.is_ok() || tracked {
                        for w in written {
                            let _ = w.send(());
                        }
                    }
                    if let Err(e) = result {
                        return End::Lost(Some(e));
                    }
                    ping_at = timers.keep_alive.map(|k| Instant::now() + k);
                }
                () = sleep_until(ping_at) => {
                    if let Err(e) = sender.send(ping.clone()).await {
                        return End::Lost(Some(e));
                    }
                    ping_at = timers.keep_alive.map(|k| Instant::now() + k);
                }
                () = sleep_until(ack_at) => {
                    let due = {
                        let mut s = lock(&shared);
                        s.ack_at = None;
                        s.stateful.as_deref().and_then(Stateful::ack_due)
                    };
                    if let Some(id) = due {
                        let ack = match frame(protocol, &HubMessage::Ack { sequence_id: id }) {
                            Ok(f) => f,
                            Err(end) => return end,
                        };
                        if let Err(e) = sender.send(ack).await {
                            return End::Lost(Some(e));
                        }
                        if let Some(st) = lock(&shared).stateful.as_deref_mut() {
                            st.acked(id);
                        }
                    }
                }
                () = wake_writer.notified() => {}
            }
        }
    };

    let watchdog = async {
        let Some(timeout) = timers.server_timeout else {
            return std::future::pending().await;
        };
        loop {
            let deadline = lock(&shared).last_received + timeout;
            if Instant::now() >= deadline {
                return End::Lost(Some(ClientError::ServerTimeout));
            }
            tokio::time::sleep_until(deadline).await;
        }
    };

    tokio::select! {
        biased;
        () = stop.cancelled() => End::Stopped,
        end = reader => end,
        end = writer => end,
        end = watchdog => end,
    }
}

/// `first` and, for transports that batch, what else is queued (up to a size).
fn collect_batch(
    first: Outgoing,
    outbox: &mut mpsc::UnboundedReceiver<Outgoing>,
    sender: &Sender,
) -> Vec<Outgoing> {
    let mut size = first.frame.len();
    let mut batch = vec![first];
    if sender.batches() {
        while size < MAX_BATCH_BYTES {
            let Ok(more) = outbox.try_recv() else { break };
            size += more.frame.len();
            batch.push(more);
        }
    }
    batch
}

/// The frames of a batch as one buffer, and whom to tell once it is written.
fn join(mut batch: Vec<Outgoing>) -> (Bytes, Vec<tokio::sync::oneshot::Sender<()>>) {
    let written = batch.iter_mut().filter_map(|o| o.written.take()).collect();
    let data = match batch.as_slice() {
        [one] => one.frame.clone(),
        many => {
            let mut data = BytesMut::new();
            for out in many {
                data.extend_from_slice(&out.frame);
            }
            data.freeze()
        }
    };
    (data, written)
}
