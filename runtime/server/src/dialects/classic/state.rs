//! The caller state of a classic hub call: what a classic client keeps in
//! `proxy.state` and sends with every call (`S`). A hub method reads and changes it with
//! [`CallerState`]; the changes go back to the client in the response's `S`, and the
//! client merges them into its state.

use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

tokio::task_local! {
    static STATE: Arc<Mutex<Tracker>>;
}

/// The state as the call found it, and as it is now.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    initial: Map<String, Value>,
    current: Map<String, Value>,
}

impl Tracker {
    /// A tracker of the state a call carried (an object; anything else is no state).
    pub(super) fn new(state: Option<&[u8]>) -> Self {
        let initial = state
            .and_then(|s| serde_json::from_slice::<Map<String, Value>>(s).ok())
            .unwrap_or_default();
        Tracker {
            current: initial.clone(),
            initial,
        }
    }

    /// The keys whose values changed or appeared, as an object; `None` without changes.
    pub(super) fn changes(&self) -> Option<Vec<u8>> {
        let changed: Map<String, Value> = self
            .current
            .iter()
            .filter(|(k, v)| self.initial.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if changed.is_empty() {
            return None;
        }
        serde_json::to_vec(&changed).ok()
    }
}

/// Runs `call` with `tracker` as the caller state [`CallerState`] reads and writes.
pub(super) async fn scope<F: std::future::Future>(
    tracker: Arc<Mutex<Tracker>>,
    call: F,
) -> F::Output {
    STATE.scope(tracker, call).await
}

/// The caller state of the classic hub call the current task runs (a classic client's
/// `proxy.state`). Outside a classic call (an ASP.NET Core client's call, say) there is
/// none: reads find nothing and writes are ignored.
///
/// ```
/// use signalr_server::CallerState;
///
/// // In a hub method called by a classic client whose proxy has `state.visits = 1`:
/// let visits: u32 = CallerState::get("visits").unwrap_or(0);
/// CallerState::set("visits", &(visits + 1)); // the client's state.visits becomes 2
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CallerState;

impl CallerState {
    fn with<R>(f: impl FnOnce(&mut Tracker) -> R) -> Option<R> {
        STATE
            .try_with(|t| f(&mut t.lock().unwrap_or_else(PoisonError::into_inner)))
            .ok()
    }

    /// Whether the current task runs a classic hub call.
    pub fn is_available() -> bool {
        STATE.try_with(|_| ()).is_ok()
    }

    /// The value of `key`, if the state has one that binds to `T`.
    pub fn get<T: DeserializeOwned>(key: &str) -> Option<T> {
        Self::with(|t| t.current.get(key).cloned())
            .flatten()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// Sets `key`; the client's state gets the new value with the response. Returns
    /// whether there is a state to set (a classic call) and the value serialized.
    pub fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> bool {
        let Ok(value) = serde_json::to_value(value) else {
            return false;
        };
        Self::with(|t| {
            t.current.insert(key.to_owned(), value);
        })
        .is_some()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn changes_are_what_the_call_set() {
        let tracker = Arc::new(Mutex::new(Tracker::new(Some(br#"{"a":1,"b":"x"}"#))));
        scope(tracker.clone(), async {
            assert_eq!(CallerState::get::<u32>("a"), Some(1));
            assert!(CallerState::set("a", &1));
            assert!(CallerState::set("c", &[1, 2]));
        })
        .await;
        assert_eq!(
            tracker.lock().unwrap().changes().unwrap(),
            br#"{"c":[1,2]}"#
        );
        assert!(!CallerState::set("a", &2));
        assert_eq!(CallerState::get::<u32>("a"), None);
        assert!(Tracker::new(Some(b"[1]")).changes().is_none());
    }
}
