//! Connection tokens: negotiated ones waiting for their transport, and the ones in use.
//!
//! Negotiated tokens expire a minute after negotiate; they are kept in the order they were
//! made, so expiring them costs nothing per negotiate beyond the tokens that did expire.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::transport::Transport;
use crate::transports::http::HttpConnection;

/// How long a negotiated connection token stays valid before its transport arrives.
const PENDING_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// The most negotiated-but-unconnected tokens kept at once.
const MAX_PENDING_TOKENS: usize = 100_000;

/// A negotiated connection waiting for its transport.
pub(crate) struct PendingConnection {
    pub(crate) id: Arc<str>,
    /// The user id negotiate authenticated; every later request must be the same user.
    pub(crate) user: Option<Arc<str>>,
    /// Negotiated with stateful reconnect.
    pub(crate) stateful: bool,
    at: Instant,
}

/// The transport a connection token is in use with.
#[derive(Clone)]
pub(crate) enum Active {
    /// A WebSocket connection, and where a stateful-reconnect connection takes its next
    /// WebSocket.
    WebSocket {
        user: Option<Arc<str>>,
        next: Option<mpsc::Sender<Transport>>,
    },
    Http(Arc<HttpConnection>),
}

#[derive(Default)]
struct Pending {
    by_token: HashMap<String, PendingConnection>,
    /// Tokens in the order they were made.
    order: VecDeque<(Instant, String)>,
}

/// Every connection token of a hub.
#[derive(Default)]
pub(crate) struct Tokens {
    pending: Mutex<Pending>,
    active: Mutex<HashMap<String, Active>>,
}

impl Tokens {
    /// Keeps a negotiated token; `false` when too many are waiting.
    pub(crate) fn add_pending(
        &self,
        token: String,
        id: Arc<str>,
        user: Option<Arc<str>>,
        stateful: bool,
    ) -> bool {
        let Ok(mut p) = self.pending.lock() else {
            return false;
        };
        let now = Instant::now();
        while let Some((at, _)) = p.order.front()
            && now.duration_since(*at) >= PENDING_TOKEN_LIFETIME
        {
            if let Some((at, token)) = p.order.pop_front()
                && p.by_token.get(&token).is_some_and(|c| c.at == at)
            {
                p.by_token.remove(&token);
            }
        }
        if p.by_token.len() >= MAX_PENDING_TOKENS {
            return false;
        }
        p.order.push_back((now, token.clone()));
        p.by_token.insert(
            token,
            PendingConnection {
                id,
                user,
                stateful,
                at: now,
            },
        );
        true
    }

    /// The negotiated connection of `token`, if it is still valid, without taking it.
    pub(crate) fn pending_user(&self, token: &str) -> Option<Option<Arc<str>>> {
        let p = self.pending.lock().ok()?;
        let c = p.by_token.get(token)?;
        (c.at.elapsed() < PENDING_TOKEN_LIFETIME).then(|| c.user.clone())
    }

    /// Takes the negotiated connection of `token`, if it is still valid.
    pub(crate) fn take_pending(&self, token: &str) -> Option<PendingConnection> {
        let c = self.pending.lock().ok()?.by_token.remove(token)?;
        (c.at.elapsed() < PENDING_TOKEN_LIFETIME).then_some(c)
    }

    /// The connection `token` is in use with.
    pub(crate) fn active(&self, token: &str) -> Option<Active> {
        self.active.lock().ok()?.get(token).cloned()
    }

    pub(crate) fn set_active(&self, token: &str, active: Active) {
        if let Ok(mut a) = self.active.lock() {
            a.insert(token.to_owned(), active);
        }
    }

    pub(crate) fn remove_active(&self, token: &str) {
        if let Ok(mut a) = self.active.lock() {
            a.remove(token);
        }
    }

    /// Whether `token` is still in use with exactly `conn`.
    pub(crate) fn is_active_http(&self, token: &str, conn: &Arc<HttpConnection>) -> bool {
        self.active
            .lock()
            .is_ok_and(|a| matches!(a.get(token), Some(Active::Http(c)) if Arc::ptr_eq(c, conn)))
    }
}
