//! The server's one Redis connection, kept alive: it publishes, holds the subscriptions,
//! reconnects with backoff and resubscribes after every reconnection.
//!
//! Publishing never waits: a publish goes into a bounded queue the link task drains in
//! batches (one pipeline per batch), and is dropped, counted and logged when the queue is
//! full or Redis is unreachable. Subscriptions are reference-counted wishes; the link task
//! brings Redis's subscriptions in line with them before each batch, so what was subscribed
//! when a publish was sent is known exactly (see [`crate::inbox`] for why that matters).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ConnectionInfo, ProtocolVersion, RedisError, Value};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::inbox::{Echoes, Expected, Inbox, Mailbox, PushSink, mailbox};

/// Publishes sent to Redis in one pipeline at most.
const MAX_BATCH: usize = 512;
/// How often dropped publishes are reported while connected.
const REPORT_EVERY: Duration = Duration::from_secs(1);
/// Channels named in one SUBSCRIBE or UNSUBSCRIBE at most.
const MAX_CHANNELS_PER_COMMAND: usize = 256;

/// How the link connects and how much it buffers.
#[derive(Debug, Clone)]
pub(crate) struct LinkOptions {
    pub(crate) connection: ConnectionInfo,
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) health_check_interval: Duration,
    pub(crate) publish_queue: usize,
    pub(crate) inbox_capacity: usize,
}

/// The state of the link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Status {
    /// Connected, with every subscription made.
    pub(crate) connected: bool,
    /// The subscription version Redis has confirmed on this connection.
    pub(crate) confirmed: u64,
    /// How many times the link has connected.
    pub(crate) connects: u64,
}

/// Why a publish was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PublishError {
    /// Redis is unreachable.
    #[error("not connected to Redis")]
    Down,
    /// The publish queue is full (Redis is slow or stuck).
    #[error("the Redis publish queue is full")]
    Full,
}

/// Redis's answer to one publish: how many subscribers received it.
pub(crate) type Receivers = Result<i64, PublishError>;

struct Outgoing {
    channel: Bytes,
    payload: Bytes,
    /// Whether this server may receive it back (and must then not deliver it again).
    echo: bool,
    reply: Option<oneshot::Sender<Receivers>>,
}

#[derive(Debug, Default)]
struct Wanted {
    counts: HashMap<Bytes, usize>,
    version: u64,
}

/// The handle to the link task; the task stops when the handle is dropped.
#[derive(Debug)]
pub(crate) struct Link {
    queue: mpsc::Sender<Outgoing>,
    wanted: Arc<Mutex<Wanted>>,
    wake: Arc<Notify>,
    status: watch::Receiver<Status>,
    dropped: Arc<AtomicU64>,
    _stop: tokio_util::sync::DropGuard,
}

impl Link {
    /// Starts the link task (on the current Tokio runtime); messages arrive in the inbox.
    pub(crate) fn start(options: LinkOptions) -> (Link, Inbox) {
        let (queue, rx) = mpsc::channel(options.publish_queue.max(1));
        let (status_tx, status) = watch::channel(Status::default());
        let (mailbox, inbox) = mailbox(options.inbox_capacity);
        let wanted = Arc::new(Mutex::new(Wanted::default()));
        let wake = Arc::new(Notify::new());
        let stop = CancellationToken::new();
        let dropped = Arc::new(AtomicU64::new(0));
        let task = LinkTask {
            options,
            queue: rx,
            wanted: wanted.clone(),
            wake: wake.clone(),
            status: status_tx,
            mailbox,
            stop: stop.clone(),
            dropped: dropped.clone(),
            applied: 0,
            seq: 0,
        };
        tokio::spawn(task.run());
        (
            Link {
                queue,
                wanted,
                wake,
                status,
                dropped,
                _stop: stop.drop_guard(),
            },
            inbox,
        )
    }

    /// Whether Redis is reachable and every subscription is made.
    pub(crate) fn status(&self) -> Status {
        *self.status.borrow()
    }

    /// Watches the link's state.
    pub(crate) fn watch(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    fn push(&self, o: Outgoing) -> Result<(), PublishError> {
        let result = if !self.status.borrow().connected {
            Err(PublishError::Down)
        } else {
            self.queue.try_send(o).map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => PublishError::Full,
                mpsc::error::TrySendError::Closed(_) => PublishError::Down,
            })
        };
        if let Err(e) = result
            && self.dropped.fetch_add(1, Ordering::Relaxed) == 0
        {
            tracing::warn!(
                "message not published: {e}; further drops are counted until Redis is back"
            );
        }
        result
    }

    /// Queues a publish. With `echo`, this server may be subscribed to the channel and will
    /// not deliver the message to its own connections when Redis sends it back.
    pub(crate) fn publish(
        &self,
        channel: impl Into<Bytes>,
        payload: impl Into<Bytes>,
        echo: bool,
    ) -> Result<(), PublishError> {
        self.push(Outgoing {
            channel: channel.into(),
            payload: payload.into(),
            echo,
            reply: None,
        })
    }

    /// Queues a publish and returns how many subscribers Redis gave it to.
    pub(crate) fn publish_counted(
        &self,
        channel: impl Into<Bytes>,
        payload: impl Into<Bytes>,
    ) -> Result<oneshot::Receiver<Receivers>, PublishError> {
        let (tx, rx) = oneshot::channel();
        self.push(Outgoing {
            channel: channel.into(),
            payload: payload.into(),
            echo: false,
            reply: Some(tx),
        })?;
        Ok(rx)
    }

    /// Adds a reference to a subscription; returns the version to wait for with
    /// [`Link::confirmed`].
    pub(crate) fn subscribe(&self, channel: &str) -> u64 {
        let version = match self.wanted.lock() {
            Ok(mut w) => {
                let n = w
                    .counts
                    .entry(Bytes::copy_from_slice(channel.as_bytes()))
                    .or_default();
                *n += 1;
                if *n == 1 {
                    w.version += 1;
                }
                w.version
            }
            Err(_) => 0,
        };
        self.wake.notify_one();
        version
    }

    /// Drops a reference to a subscription; the last one unsubscribes.
    pub(crate) fn unsubscribe(&self, channel: &str) {
        if let Ok(mut w) = self.wanted.lock()
            && let Some(n) = w.counts.get_mut(channel.as_bytes())
        {
            *n -= 1;
            if *n == 0 {
                w.counts.remove(channel.as_bytes());
                w.version += 1;
            }
        }
        self.wake.notify_one();
    }

    /// Waits until Redis has confirmed the subscriptions of `version`, at most `wait`;
    /// `false` at once when Redis is unreachable (the subscription is made on reconnecting).
    pub(crate) async fn confirmed(&self, version: u64, wait: Duration) -> bool {
        let mut status = self.status.clone();
        let done = tokio::time::timeout(
            wait,
            status.wait_for(|s| !s.connected || s.confirmed >= version),
        )
        .await;
        matches!(done, Ok(Ok(s)) if s.connected)
    }
}

/// Why serving a connection ended.
enum End {
    /// The handle was dropped.
    Stop,
    /// The connection failed.
    Lost(String),
}

struct LinkTask {
    options: LinkOptions,
    queue: mpsc::Receiver<Outgoing>,
    wanted: Arc<Mutex<Wanted>>,
    wake: Arc<Notify>,
    status: watch::Sender<Status>,
    mailbox: Mailbox,
    stop: CancellationToken,
    dropped: Arc<AtomicU64>,
    /// The subscription version made on the current connection.
    applied: u64,
    /// The last expected-echo number handed out.
    seq: u64,
}

impl LinkTask {
    async fn run(mut self) {
        let mut delay = self.options.reconnect_min;
        let mut failing = false;
        loop {
            let end = match self.connect().await {
                Ok((conn, echoes, closed)) => {
                    delay = self.options.reconnect_min;
                    self.serve(conn, echoes, closed).await
                }
                Err(e) => {
                    if failing {
                        tracing::debug!("Not connected to Redis: {e}");
                    } else {
                        tracing::error!("Not connected to Redis: {e}");
                    }
                    End::Lost(e.to_string())
                }
            };
            let was_connected = self.status.borrow().connected;
            self.status.send_modify(|s| s.connected = false);
            match end {
                End::Stop => return,
                End::Lost(e) if was_connected => {
                    tracing::error!("Connection to Redis failed: {e}");
                }
                End::Lost(_) => {}
            }
            failing = true;
            self.drop_queued();
            // Wait before reconnecting, dropping what is published meanwhile.
            let sleep = tokio::time::sleep(delay);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = self.stop.cancelled() => return,
                    () = &mut sleep => break,
                    o = self.queue.recv() => match o {
                        Some(o) => self.drop_one(o),
                        None => return,
                    },
                }
            }
            delay = (delay * 2).min(self.options.reconnect_max);
        }
    }

    fn drop_one(&self, o: Outgoing) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        if let Some(reply) = o.reply {
            let _ = reply.send(Err(PublishError::Down));
        }
    }

    /// Drops what was queued for a connection that is gone.
    fn drop_queued(&mut self) {
        while let Ok(o) = self.queue.try_recv() {
            self.drop_one(o);
        }
    }

    async fn connect(
        &mut self,
    ) -> Result<(MultiplexedConnection, Echoes, Arc<Notify>), RedisError> {
        let echoes = Echoes::default();
        let closed = Arc::new(Notify::new());
        let sink = PushSink {
            echoes: echoes.clone(),
            mailbox: self.mailbox.clone(),
            closed: closed.clone(),
        };
        let info = self.options.connection.clone();
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client = redis::Client::open(info.set_redis_settings(settings))?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.options.connect_timeout))
            .set_response_timeout(Some(self.options.response_timeout))
            .set_push_sender(sink);
        let conn = tokio::select! {
            c = client.get_multiplexed_async_connection_with_config(&config) => c?,
            () = self.stop.cancelled() => {
                return Err(RedisError::from((redis::ErrorKind::Client, "stopped")));
            }
        };
        Ok((conn, echoes, closed))
    }

    async fn serve(
        &mut self,
        mut conn: MultiplexedConnection,
        echoes: Echoes,
        closed: Arc<Notify>,
    ) -> End {
        let mut issued = HashSet::new();
        self.applied = 0;
        if let Err(e) = self.sync_subscriptions(&mut conn, &mut issued).await {
            return End::Lost(e.to_string());
        }
        let first = self.status.borrow().connects == 0;
        self.status.send_modify(|s| {
            s.connected = true;
            s.connects += 1;
        });
        if first {
            tracing::info!("Connected to Redis.");
        } else {
            tracing::info!("Connection to Redis restored.");
        }
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!("{dropped} messages were not published while Redis was unreachable");
        }
        let mut reported = tokio::time::Instant::now();
        loop {
            let idle = tokio::time::sleep(self.options.health_check_interval);
            let step = tokio::select! {
                biased;
                () = self.stop.cancelled() => return End::Stop,
                () = closed.notified() => Err("the connection was closed".to_owned()),
                () = self.wake.notified() => self
                    .sync_subscriptions(&mut conn, &mut issued)
                    .await
                    .map_err(|e| e.to_string()),
                o = self.queue.recv() => match o {
                    None => return End::Stop,
                    Some(o) => self.publish(o, &mut conn, &mut issued, &echoes).await,
                },
                () = idle => redis::cmd("PING")
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(|e| e.to_string()),
            };
            if let Err(e) = step {
                return End::Lost(e);
            }
            // Publishes dropped for a full queue are reported once a second at most.
            if self.dropped.load(Ordering::Relaxed) > 0 && reported.elapsed() >= REPORT_EVERY {
                reported = tokio::time::Instant::now();
                let dropped = self.dropped.swap(0, Ordering::Relaxed);
                tracing::warn!(
                    "{dropped} messages were not published: the Redis publish queue was full"
                );
            }
        }
    }

    /// Brings Redis's subscriptions on this connection in line with the wanted ones.
    async fn sync_subscriptions(
        &mut self,
        conn: &mut MultiplexedConnection,
        issued: &mut HashSet<Bytes>,
    ) -> Result<(), RedisError> {
        let (wanted, version) = match self.wanted.lock() {
            Ok(w) if w.version != self.applied => {
                (w.counts.keys().cloned().collect::<HashSet<_>>(), w.version)
            }
            _ => return Ok(()),
        };
        let gone: Vec<Bytes> = issued.difference(&wanted).cloned().collect();
        let new: Vec<Bytes> = wanted.difference(issued).cloned().collect();
        for chunk in gone.chunks(MAX_CHANNELS_PER_COMMAND) {
            let names: Vec<&[u8]> = chunk.iter().map(|c| &c[..]).collect();
            for c in chunk {
                tracing::trace!(
                    "Unsubscribing from channel: {}.",
                    String::from_utf8_lossy(c)
                );
            }
            conn.unsubscribe(names).await?;
            for c in chunk {
                issued.remove(c);
            }
        }
        for chunk in new.chunks(MAX_CHANNELS_PER_COMMAND) {
            let names: Vec<&[u8]> = chunk.iter().map(|c| &c[..]).collect();
            for c in chunk {
                tracing::trace!("Subscribing to channel: {}.", String::from_utf8_lossy(c));
            }
            conn.subscribe(names).await?;
            issued.extend(chunk.iter().cloned());
        }
        self.applied = version;
        self.status.send_modify(|s| s.confirmed = version);
        Ok(())
    }

    /// Sends `first` and whatever else is queued as one pipeline.
    async fn publish(
        &mut self,
        first: Outgoing,
        conn: &mut MultiplexedConnection,
        issued: &mut HashSet<Bytes>,
        echoes: &Echoes,
    ) -> Result<(), String> {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match self.queue.try_recv() {
                Ok(o) => batch.push(o),
                Err(_) => break,
            }
        }
        if let Err(e) = self.sync_subscriptions(conn, issued).await {
            for o in batch {
                self.drop_one(o);
            }
            return Err(e.to_string());
        }
        let mut pipe = redis::pipe();
        let mut expected = Vec::with_capacity(batch.len());
        {
            let mut echoes = echoes.lock().map_err(|_| "poisoned echo list".to_owned())?;
            for o in &batch {
                tracing::trace!(
                    "Publishing message to Redis channel {}.",
                    String::from_utf8_lossy(&o.channel)
                );
                pipe.cmd("PUBLISH").arg(&o.channel[..]).arg(&o.payload[..]);
                let seq = (o.echo && issued.contains(&o.channel)).then(|| {
                    self.seq += 1;
                    echoes.push_back(Expected {
                        seq: self.seq,
                        channel: o.channel.clone(),
                        payload: o.payload.clone(),
                    });
                    self.seq
                });
                expected.push(seq);
            }
        }
        let replies = match conn.send_packed_commands(&pipe, 0, batch.len()).await {
            Ok(r) => r,
            Err(e) => {
                for o in batch {
                    self.drop_one(o);
                }
                return Err(e.to_string());
            }
        };
        for ((o, seq), reply) in batch.into_iter().zip(expected).zip(replies) {
            let count = match reply {
                Value::Int(n) => Ok(n),
                other => {
                    // Redis refused this publish (e.g. out of memory): no echo will come.
                    tracing::warn!(
                        "Redis refused a publish to {}: {other:?}",
                        String::from_utf8_lossy(&o.channel)
                    );
                    if let (Some(seq), Ok(mut e)) = (seq, echoes.lock()) {
                        e.retain(|x| x.seq != seq);
                    }
                    Err(PublishError::Down)
                }
            };
            if let Some(reply) = o.reply {
                let _ = reply.send(count);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "link_tests.rs"]
mod tests;
