//! Requests waiting for another server: group changes waiting for their acknowledgement,
//! client results waiting for the client's completion.
//!
//! Each waiter is a future that removes its entry when it ends or is dropped, so a caller
//! that gives up (its timeout, its cancellation) leaves nothing behind; an answer that comes
//! after that is ignored, as ASP.NET Core ignores it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// Waiters by key.
#[derive(Debug)]
pub(crate) struct Pending<K, V> {
    waiters: Arc<Mutex<HashMap<K, oneshot::Sender<V>>>>,
}

impl<K, V> Default for Pending<K, V> {
    fn default() -> Self {
        Pending {
            waiters: Arc::default(),
        }
    }
}

/// One registered waiter; dropping it forgets the request.
#[derive(Debug)]
pub(crate) struct Waiter<K: Eq + Hash, V> {
    key: K,
    rx: Option<oneshot::Receiver<V>>,
    waiters: Arc<Mutex<HashMap<K, oneshot::Sender<V>>>>,
}

impl<K: Eq + Hash + Clone, V> Pending<K, V> {
    /// Registers `key`; `None` if it is already waited for.
    pub(crate) fn register(&self, key: K) -> Option<Waiter<K, V>> {
        let (tx, rx) = oneshot::channel();
        let mut w = self.waiters.lock().ok()?;
        if w.contains_key(&key) {
            return None;
        }
        w.insert(key.clone(), tx);
        Some(Waiter {
            key,
            rx: Some(rx),
            waiters: self.waiters.clone(),
        })
    }

    /// Completes `key`'s waiter; `false` if nobody waits for it.
    pub(crate) fn complete(&self, key: &K, value: V) -> bool {
        let tx = self.waiters.lock().ok().and_then(|mut w| w.remove(key));
        match tx {
            Some(tx) => tx.send(value).is_ok(),
            None => false,
        }
    }

    /// How many are waiting.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.waiters.lock().map_or(0, |w| w.len())
    }
}

impl<K: Eq + Hash, V> Waiter<K, V> {
    /// The answer; `None` if the table was dropped.
    pub(crate) async fn wait(mut self) -> Option<V> {
        self.rx.take()?.await.ok()
    }
}

impl<K: Eq + Hash, V> Drop for Waiter<K, V> {
    fn drop(&mut self) {
        if let Ok(mut w) = self.waiters.lock() {
            w.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_gets_its_answer_and_an_abandoned_one_leaves_nothing() {
        let p: Pending<i32, &str> = Pending::default();
        let w = p.register(1);
        assert!(p.register(1).is_none(), "one waiter per key");
        assert!(p.complete(&1, "ack"));
        assert_eq!(w.map(Waiter::wait).unwrap().await, Some("ack"));
        assert!(!p.complete(&1, "late"));

        let abandoned = p.register(2);
        assert_eq!(p.len(), 1);
        drop(abandoned);
        assert_eq!(p.len(), 0);
        assert!(!p.complete(&2, "late"));
    }
}
