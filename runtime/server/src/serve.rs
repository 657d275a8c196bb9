//! Serving an application on a TCP listener with the limits a server facing the internet
//! needs, which `axum::serve` does not set: a timeout for a request's head (a connection
//! that opens TCP, or sends half a request, and then idles is closed), an idle timeout
//! between requests, and a cap on open connections below the process's descriptor limit,
//! reached by closing the oldest connection that is not doing anything, so a flood of idle
//! sockets cannot lock new clients out.
//!
//! ```no_run
//! use signalr_server::{Hub, HubServer, RouterExt};
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = HubServer::new(Hub::new("Chat"));
//! let app = axum::Router::new().hub("/hubs/chat", &server);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:5000").await?;
//! let handle = server.clone();
//! signalr_server::serve(listener, app)
//!     .with_graceful_shutdown(async move {
//!         let _ = tokio::signal::ctrl_c().await;
//!         handle.shutdown().await;
//!     })
//!     .await
//! # }
//! ```

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// Descriptors kept free below the process's limit when the connection cap is derived
/// from it.
const DESCRIPTOR_RESERVE: usize = 64;
/// The cap when the descriptor limit cannot be read.
const FALLBACK_MAX_CONNECTIONS: usize = 10_000;
/// How often idle connections are looked for.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);
/// How long a graceful shutdown waits for open requests.
const GRACEFUL_TIMEOUT: Duration = Duration::from_secs(30);

/// The listener's limits.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// How long a client has to send a request's head, counted from when the server starts
    /// waiting for it (a new connection, or the next request of a kept-alive one): 30 s, as
    /// Kestrel's `RequestHeadersTimeout`.
    pub header_read_timeout: Duration,
    /// How long a connection that is not upgraded may go without reading or writing a
    /// byte while no response is being written (130 s, as Kestrel's `KeepAliveTimeout`; it
    /// must stay above the long-polling poll timeout).
    pub idle_timeout: Duration,
    /// The most TCP connections open at once; at the cap, the oldest connection that is
    /// not doing anything is closed for each new one (or the new one is, when every
    /// connection is busy). `None`: the process's open-file limit less 64.
    pub max_connections: Option<usize>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_read_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(130),
            max_connections: None,
        }
    }
}

impl ServeOptions {
    /// With this head timeout.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// With this idle timeout.
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// With this connection cap.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max);
        self
    }
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn descriptor_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Serves `app` on `listener` with [`ServeOptions`]; await it (it ends after a graceful
/// shutdown, or with the listener's error).
pub fn serve(listener: TcpListener, app: Router) -> Serve<std::future::Pending<()>> {
    Serve {
        listener,
        app,
        options: ServeOptions::default(),
        signal: std::future::pending(),
    }
}

/// A server being set up; see [`serve`].
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve<F> {
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    signal: F,
}

impl<F> std::fmt::Debug for Serve<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<F> Serve<F> {
    /// With these limits.
    pub fn options(mut self, options: ServeOptions) -> Self {
        self.options = options;
        self
    }

    /// Stops accepting when `signal` completes, then lets open requests finish (30 s at
    /// most). Put `HubServer::shutdown().await` at the end of `signal` to close every hub
    /// connection with a Close first.
    pub fn with_graceful_shutdown<G: Future<Output = ()> + Send + 'static>(
        self,
        signal: G,
    ) -> Serve<G> {
        Serve {
            listener: self.listener,
            app: self.app,
            options: self.options,
            signal,
        }
    }
}

impl<F: Future<Output = ()> + Send + 'static> IntoFuture for Serve<F> {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

/// The most header spellings one TCP connection records, and the longest name recorded.
const MAX_HEADER_SPELLINGS: usize = 32;
const MAX_HEADER_NAME: usize = 128;

/// How the client spelled the `#`-prefixed header names of its requests on one TCP
/// connection (SignalARRR's client attributes), which HTTP stacks lower-case: lower-cased
/// name to original. Requests carry it as an extension.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderSpelling(Arc<Mutex<std::collections::HashMap<String, String>>>);

impl HeaderSpelling {
    /// Every spelling recorded so far.
    pub(crate) fn snapshot(&self) -> std::collections::HashMap<String, String> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Records the `#name:` header lines of what was read; `line_start` says whether the
    /// previous read ended a line. (A line split across reads is missed.)
    fn record(&self, bytes: &[u8], line_start: bool) {
        let after_newline = bytes
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c == b'\n')
            .map(|(i, _)| i + 1);
        let starts = line_start.then_some(0).into_iter().chain(after_newline);
        for start in starts {
            let line = &bytes[start..];
            if line.first() != Some(&b'#') {
                continue;
            }
            let head = &line[..line.len().min(MAX_HEADER_NAME)];
            let Some(end) = head.iter().position(|&c| c == b':') else {
                continue;
            };
            let name = &head[..end];
            let is_token = name
                .iter()
                .all(|c| c.is_ascii_graphic() && !b"(),/:;<=>?@[\\]{}\"".contains(c));
            if !is_token || !name.iter().any(u8::is_ascii_uppercase) {
                continue;
            }
            let Ok(original) = std::str::from_utf8(name) else {
                continue;
            };
            let lower = original.to_ascii_lowercase();
            if let Ok(mut m) = self.0.lock()
                && (m.len() < MAX_HEADER_SPELLINGS || m.contains_key(&lower))
            {
                m.insert(lower, original.to_owned());
            }
        }
    }
}

/// One TCP connection, as the listener tracks it.
struct Tcp {
    /// The `#` header spellings seen on the connection.
    spelling: HeaderSpelling,
    /// Whether the last byte read ended a line.
    line_start: AtomicBool,
    /// Responses being written.
    in_flight: AtomicUsize,
    upgraded: AtomicBool,
    /// Milliseconds since the server started, at the last byte read or written.
    last_io: AtomicU64,
    close: Notify,
}

/// Every open TCP connection, oldest first.
struct Table {
    start: Instant,
    next: AtomicU64,
    conns: Mutex<BTreeMap<u64, Arc<Tcp>>>,
}

impl Table {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn len(&self) -> usize {
        self.conns.lock().map(|c| c.len()).unwrap_or(0)
    }

    fn add(&self) -> (u64, Arc<Tcp>) {
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        let tcp = Arc::new(Tcp {
            spelling: HeaderSpelling::default(),
            line_start: AtomicBool::new(true),
            in_flight: AtomicUsize::new(0),
            upgraded: AtomicBool::new(false),
            last_io: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
        });
        if let Ok(mut c) = self.conns.lock() {
            c.insert(key, tcp.clone());
        }
        (key, tcp)
    }

    fn remove(&self, key: u64) {
        if let Ok(mut c) = self.conns.lock() {
            c.remove(&key);
        }
    }

    fn is_idle(tcp: &Tcp) -> bool {
        !tcp.upgraded.load(Ordering::Acquire) && tcp.in_flight.load(Ordering::Acquire) == 0
    }

    /// Closes the oldest connection doing nothing; whether there was one.
    fn evict_oldest_idle(&self) -> bool {
        let victim = self.conns.lock().ok().and_then(|c| {
            c.iter()
                .find(|(_, t)| Self::is_idle(t))
                .map(|(k, t)| (*k, t.clone()))
        });
        match victim {
            Some((key, tcp)) => {
                self.remove(key);
                tcp.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Closes every idle connection that has been silent for `timeout`.
    fn sweep(&self, timeout: Duration) {
        let now = self.now_ms();
        let limit = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let stale: Vec<Arc<Tcp>> = self
            .conns
            .lock()
            .map(|c| {
                c.values()
                    .filter(|t| {
                        Self::is_idle(t)
                            && now.saturating_sub(t.last_io.load(Ordering::Relaxed)) >= limit
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for t in stale {
            t.close.notify_one();
        }
    }
}

fn out_of_descriptors(e: &io::Error) -> bool {
    // EMFILE (24) and ENFILE (23).
    matches!(e.raw_os_error(), Some(23 | 24))
}

async fn run<F: Future<Output = ()> + Send + 'static>(serve: Serve<F>) -> io::Result<()> {
    let Serve {
        listener,
        app,
        options,
        signal,
    } = serve;
    let max = options.max_connections.unwrap_or_else(|| {
        descriptor_limit()
            .map_or(FALLBACK_MAX_CONNECTIONS, |l| {
                l.saturating_sub(DESCRIPTOR_RESERVE)
            })
            .max(16)
    });
    let table = Arc::new(Table {
        start: Instant::now(),
        next: AtomicU64::new(0),
        conns: Mutex::new(BTreeMap::new()),
    });
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    let sweeper = {
        let table = table.clone();
        let stop = stop.clone();
        let idle = options.idle_timeout;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_INTERVAL);
            loop {
                tokio::select! {
                    _ = tick.tick() => table.sweep(idle),
                    () = stop.cancelled() => return,
                }
            }
        })
    };
    tokio::pin!(signal);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut signal => break,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) if out_of_descriptors(&e) => {
                tracing::warn!("out of file descriptors; closing the oldest idle connection");
                table.evict_oldest_idle();
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Err(e) => {
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
        };
        if table.len() >= max && !table.evict_oldest_idle() {
            tracing::warn!(
                max,
                "connection cap reached and every connection is busy; refusing one"
            );
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        tasks.spawn(connection(
            stream,
            addr,
            app.clone(),
            table.clone(),
            options.header_read_timeout,
            stop.clone(),
        ));
    }
    stop.cancel();
    sweeper.abort();
    tasks.close();
    let _ = tokio::time::timeout(GRACEFUL_TIMEOUT, tasks.wait()).await;
    Ok(())
}

async fn connection(
    stream: TcpStream,
    addr: SocketAddr,
    app: Router,
    table: Arc<Table>,
    header_read_timeout: Duration,
    stop: CancellationToken,
) {
    let (key, tcp) = table.add();
    let io = TrackedIo {
        inner: stream,
        tcp: tcp.clone(),
        table: table.clone(),
        key,
    };
    let service_tcp = tcp.clone();
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(addr));
        request
            .extensions_mut()
            .insert(service_tcp.spelling.clone());
        let app = app.clone();
        let guard = InFlight::new(service_tcp.clone());
        async move {
            let response = match app.oneshot(request.map(Body::new)).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                guard.tcp.upgraded.store(true, Ordering::Release);
            }
            Ok::<_, Infallible>(response.map(|inner| {
                Body::new(GuardedBody {
                    inner,
                    _guard: guard,
                })
            }))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .keep_alive(true);
    let conn = builder
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::trace!(error = %e, "connection ended");
                }
                return;
            }
            () = tcp.close.notified() => return,
            () = stop.cancelled(), if !stopping => {
                stopping = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Counts a response until its body has been written.
struct InFlight {
    tcp: Arc<Tcp>,
}

impl InFlight {
    fn new(tcp: Arc<Tcp>) -> Self {
        tcp.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight { tcp }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.tcp.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection counted as busy while it is written.
struct GuardedBody {
    inner: Body,
    _guard: InFlight,
}

impl HttpBody for GuardedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The TCP stream, noting when it last moved a byte and leaving the table when dropped
/// (after an upgrade, that is when the WebSocket ends).
struct TrackedIo {
    inner: TcpStream,
    tcp: Arc<Tcp>,
    table: Arc<Table>,
    key: u64,
}

impl TrackedIo {
    fn touch(&self) {
        self.tcp
            .last_io
            .store(self.table.now_ms(), Ordering::Relaxed);
    }
}

impl Drop for TrackedIo {
    fn drop(&mut self) {
        self.table.remove(self.key);
    }
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
            let tcp = &self.tcp;
            if !tcp.upgraded.load(Ordering::Acquire) {
                let read = &buf.filled()[before..];
                tcp.spelling
                    .record(read, tcp.line_start.load(Ordering::Relaxed));
                tcp.line_start
                    .store(read.last() == Some(&b'\n'), Ordering::Relaxed);
            }
        }
        r
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
