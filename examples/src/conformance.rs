//! The conformance hub of `CONTRACT.md`: the two contracts every SignalR peer is tested
//! against, written with `#[hub_contract]`, and the server's implementation. Hosted by
//! `examples/conformance/server.rs`, called by `examples/conformance/client.rs`, and used
//! in-process by the tests.
//!
//! Wire names are plain method names (what stock SignalR clients call); the server also
//! answers `Conformance|Method`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use signalr::server::Hub;
use signalr::{Binary, Caller, CancellationToken, HubError, HubStream, UploadStream, hub_contract};

/// A person, camelCase on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// The name.
    pub name: String,
    /// The age in years.
    pub age: i32,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// A nickname, if any.
    pub nickname: Option<String>,
}

/// What clients call on the conformance hub.
#[hub_contract(plain)]
pub trait Conformance {
    /// Returns `text` unchanged.
    async fn echo(&self, text: String) -> String;
    /// `a + b`; overflow is an error.
    async fn add(&self, a: i32, b: i32) -> Result<i32, HubError>;
    /// The person with `age + 1`.
    async fn echo_person(&self, person: Person) -> Result<Person, HubError>;
    /// Fails with an error containing `message`.
    async fn fail(&self, message: String) -> Result<(), HubError>;
    /// Calls `Notified(text)` on the caller.
    async fn notify(&self, text: String, caller: Caller) -> Result<(), HubError>;
    /// Streams `0..count`, waiting `delay_ms` between items.
    fn counter(
        &self,
        count: i32,
        delay_ms: i32,
        caller: Caller,
        cancel: CancellationToken,
    ) -> HubStream<i32>;
    /// Whether the caller's last `Counter` stream was ended by the caller.
    async fn counter_cancelled(&self, caller: Caller) -> bool;
    /// Sums an upload stream.
    async fn sum(&self, numbers: UploadStream<i32>) -> Result<i32, HubError>;
    /// Asks the caller `Answer(question)` and returns its answer.
    async fn ask_client(&self, question: String, caller: Caller) -> Result<String, HubError>;
    /// Adds the caller to `group`.
    async fn join_group(&self, group: String, caller: Caller) -> Result<(), HubError>;
    /// Removes the caller from `group`.
    async fn leave_group(&self, group: String, caller: Caller) -> Result<(), HubError>;
    /// Calls `GroupMessage(group, text)` on every member of `group`.
    async fn send_to_group(
        &self,
        group: String,
        text: String,
        caller: Caller,
    ) -> Result<(), HubError>;
    /// Calls `Broadcasted(text)` on every client.
    async fn broadcast(&self, text: String, caller: Caller) -> Result<(), HubError>;
    /// Returns the bytes unchanged.
    async fn echo_bytes(&self, data: Binary) -> Binary;
    /// Waits `ms`, then returns it.
    async fn sleep(&self, ms: i32, cancel: CancellationToken) -> i32;
}

/// What the conformance hub calls on clients.
#[hub_contract(client, plain)]
pub trait ConformanceClient {
    /// After `Notify`.
    async fn notified(&self, text: String);
    /// After `SendToGroup`.
    async fn group_message(&self, group: String, text: String);
    /// After `Broadcast`.
    async fn broadcasted(&self, text: String);
    /// A client result for `AskClient`.
    async fn answer(&self, question: String) -> String;
}

/// The server's implementation of [`Conformance`].
#[derive(Debug, Clone, Default)]
pub struct ConformanceHub {
    /// Per connection: whether its last `Counter` stream was cancelled by the caller.
    counter_cancelled: Arc<Mutex<HashMap<String, bool>>>,
}

impl Conformance for ConformanceHub {
    async fn echo(&self, text: String) -> String {
        text
    }

    async fn add(&self, a: i32, b: i32) -> Result<i32, HubError> {
        a.checked_add(b)
            .ok_or_else(|| HubError::new(format!("{a} + {b} overflows a 32-bit integer.")))
    }

    async fn echo_person(&self, mut person: Person) -> Result<Person, HubError> {
        person.age = person
            .age
            .checked_add(1)
            .ok_or_else(|| HubError::new("age overflows a 32-bit integer."))?;
        Ok(person)
    }

    async fn fail(&self, message: String) -> Result<(), HubError> {
        Err(HubError::new(message))
    }

    async fn notify(&self, text: String, caller: Caller) -> Result<(), HubError> {
        ConformanceClientProxy::new(caller.clients.caller()).notified(text)
    }

    fn counter(
        &self,
        count: i32,
        delay_ms: i32,
        caller: Caller,
        cancel: CancellationToken,
    ) -> HubStream<i32> {
        let delay = Duration::from_millis(u64::try_from(delay_ms).unwrap_or(0));
        let state = self.counter_cancelled.clone();
        let id = caller.connection_id.to_string();
        if let Ok(mut m) = state.lock() {
            m.remove(&id);
        }
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            let mut was_cancelled = false;
            for i in 0..count.max(0) {
                if i > 0 {
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = cancel.cancelled() => { was_cancelled = true; break; }
                    }
                }
                tokio::select! {
                    sent = tx.send(Ok(i)) => if sent.is_err() { was_cancelled = cancel.is_cancelled(); break; },
                    () = cancel.cancelled() => { was_cancelled = true; break; }
                }
            }
            if let Ok(mut m) = state.lock() {
                m.insert(id, was_cancelled);
            }
        });
        Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|x| (x, rx))
        }))
    }

    async fn counter_cancelled(&self, caller: Caller) -> bool {
        // The stream's task records the outcome as it ends; give it a moment.
        let id = caller.connection_id.as_ref();
        for _ in 0..50 {
            if self
                .counter_cancelled
                .lock()
                .is_ok_and(|m| m.contains_key(id))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.counter_cancelled
            .lock()
            .ok()
            .and_then(|m| m.get(id).copied())
            .unwrap_or(false)
    }

    async fn sum(&self, mut numbers: UploadStream<i32>) -> Result<i32, HubError> {
        let mut sum: i32 = 0;
        while let Some(n) = numbers.next().await {
            sum = sum
                .checked_add(n?)
                .ok_or_else(|| HubError::new("the sum overflows a 32-bit integer."))?;
        }
        Ok(sum)
    }

    async fn ask_client(&self, question: String, caller: Caller) -> Result<String, HubError> {
        ConformanceClientProxy::new(caller.clients.caller())
            .answer(question)
            .await
    }

    async fn join_group(&self, group: String, caller: Caller) -> Result<(), HubError> {
        caller.groups.add(&caller.connection_id, &group).await
    }

    async fn leave_group(&self, group: String, caller: Caller) -> Result<(), HubError> {
        caller.groups.remove(&caller.connection_id, &group).await
    }

    async fn send_to_group(
        &self,
        group: String,
        text: String,
        caller: Caller,
    ) -> Result<(), HubError> {
        ConformanceClientProxy::new(caller.clients.group(group.clone())).group_message(group, text)
    }

    async fn broadcast(&self, text: String, caller: Caller) -> Result<(), HubError> {
        ConformanceClientProxy::new(caller.clients.all()).broadcasted(text)
    }

    async fn echo_bytes(&self, data: Binary) -> Binary {
        data
    }

    async fn sleep(&self, ms: i32, cancel: CancellationToken) -> i32 {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(u64::try_from(ms).unwrap_or(0))) => {}
            () = cancel.cancelled() => {}
        }
        ms
    }
}

/// The `Conformance` hub, ready to serve; forgets a connection's state when it ends.
pub fn hub() -> Hub {
    let implementation = ConformanceHub::default();
    let state = implementation.counter_cancelled.clone();
    ConformanceDispatch::hub(implementation).on_disconnected(move |caller| {
        let state = state.clone();
        async move {
            if let Ok(mut m) = state.lock() {
                m.remove(caller.connection_id.as_ref());
            }
        }
    })
}
