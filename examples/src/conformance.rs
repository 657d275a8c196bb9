//! The conformance hub of `CONTRACT.md`: the two contracts every SignalR peer is tested
//! against, hosted by `examples/conformance/server.rs` and used in-process by the tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use signalr_protocol::Binary;
use signalr_server::{Hub, HubError, MethodKind, Reply};
use tokio::sync::mpsc;

/// A person, camelCase on the wire.
#[derive(Debug, Serialize, Deserialize)]
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

/// Per-connection memory: whether the last Counter stream was cancelled by its caller.
type CounterState = Arc<Mutex<HashMap<String, bool>>>;

/// The `Conformance` hub: every method of the server contract.
pub fn hub() -> Hub {
    let cancelled: CounterState = Arc::default();
    let counter_state = cancelled.clone();
    let query_state = cancelled.clone();
    let cleanup_state = cancelled;
    Hub::new("Conformance")
        .method("Echo", MethodKind::Unary, 0, |call| async move {
            let text: String = call.bind(1)?.next_arg()?;
            call.reply(&text)
        })
        .method("Add", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (a, b): (i32, i32) = (args.next_arg()?, args.next_arg()?);
            let sum = a
                .checked_add(b)
                .ok_or_else(|| HubError::new(format!("{a} + {b} overflows a 32-bit integer.")))?;
            call.reply(&sum)
        })
        .method("EchoPerson", MethodKind::Unary, 0, |call| async move {
            let mut person: Person = call.bind(1)?.next_arg()?;
            person.age = person
                .age
                .checked_add(1)
                .ok_or_else(|| HubError::new("age overflows a 32-bit integer."))?;
            call.reply(&person)
        })
        .method("Fail", MethodKind::Unary, 0, |call| async move {
            let message: String = call.bind(1)?.next_arg()?;
            Err::<Reply, _>(HubError::new(message))
        })
        .method("Notify", MethodKind::Unary, 0, |call| async move {
            let text: String = call.bind(1)?.next_arg()?;
            call.caller.clients.caller().send("Notified", &(text,))?;
            Ok(Reply::Void)
        })
        .method("Counter", MethodKind::Stream, 0, move |call| {
            let state = counter_state.clone();
            async move {
                let mut args = call.bind(2)?;
                let (count, delay_ms): (i32, i32) = (args.next_arg()?, args.next_arg()?);
                let delay = Duration::from_millis(u64::try_from(delay_ms).unwrap_or(0));
                let id = call.caller.connection_id.to_string();
                let token = call.cancellation.clone();
                let protocol = call.caller.protocol;
                let (tx, rx) = mpsc::channel(1);
                tokio::spawn(async move {
                    let mut was_cancelled = false;
                    for i in 0..count.max(0) {
                        if i > 0 {
                            tokio::select! {
                                () = tokio::time::sleep(delay) => {}
                                () = token.cancelled() => { was_cancelled = true; break; }
                            }
                        }
                        let item = signalr_protocol::Payload::serialize(protocol, &i).map_err(HubError::from);
                        tokio::select! {
                            sent = tx.send(item) => if sent.is_err() { was_cancelled = token.is_cancelled(); break; },
                            () = token.cancelled() => { was_cancelled = true; break; }
                        }
                    }
                    if let Ok(mut m) = state.lock() {
                        m.insert(id, was_cancelled);
                    }
                });
                let items = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
                Ok(Reply::Stream(Box::pin(items)))
            }
        })
        .method("CounterCancelled", MethodKind::Unary, 0, move |call| {
            let state = query_state.clone();
            async move {
                call.bind(0)?;
                // The stream's task records the outcome as it ends; give it a moment.
                for _ in 0..50 {
                    if state.lock().is_ok_and(|m| m.contains_key(call.caller.connection_id.as_ref())) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                let was = state
                    .lock()
                    .ok()
                    .and_then(|m| m.get(call.caller.connection_id.as_ref()).copied())
                    .unwrap_or(false);
                call.reply(&was)
            }
        })
        .method("Sum", MethodKind::Unary, 1, |mut call| async move {
            call.bind(0)?;
            let mut numbers = call.take_stream()?;
            let mut sum: i32 = 0;
            while let Some(n) = numbers.next::<i32>().await {
                sum = sum
                    .checked_add(n?)
                    .ok_or_else(|| HubError::new("the sum overflows a 32-bit integer."))?;
            }
            call.reply(&sum)
        })
        .method("AskClient", MethodKind::Unary, 0, |call| async move {
            let question: String = call.bind(1)?.next_arg()?;
            let answer: String = call
                .caller
                .clients
                .caller()
                .invoke("Answer", &(question,), &call.cancellation)
                .await?;
            call.reply(&answer)
        })
        .method("JoinGroup", MethodKind::Unary, 0, |call| async move {
            let group: String = call.bind(1)?.next_arg()?;
            call.caller.groups.add(&call.caller.connection_id, &group);
            Ok(Reply::Void)
        })
        .method("LeaveGroup", MethodKind::Unary, 0, |call| async move {
            let group: String = call.bind(1)?.next_arg()?;
            call.caller.groups.remove(&call.caller.connection_id, &group);
            Ok(Reply::Void)
        })
        .method("SendToGroup", MethodKind::Unary, 0, |call| async move {
            let mut args = call.bind(2)?;
            let (group, text): (String, String) = (args.next_arg()?, args.next_arg()?);
            call.caller.clients.group(group.clone()).send("GroupMessage", &(group, text))?;
            Ok(Reply::Void)
        })
        .method("Broadcast", MethodKind::Unary, 0, |call| async move {
            let text: String = call.bind(1)?.next_arg()?;
            call.caller.clients.all().send("Broadcasted", &(text,))?;
            Ok(Reply::Void)
        })
        .method("EchoBytes", MethodKind::Unary, 0, |call| async move {
            let data: Binary = call.bind(1)?.next_arg()?;
            call.reply(&data)
        })
        .method("Sleep", MethodKind::Unary, 0, |call| async move {
            let ms: i32 = call.bind(1)?.next_arg()?;
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(u64::try_from(ms).unwrap_or(0))) => {}
                () = call.cancellation.cancelled() => {}
            }
            call.reply(&ms)
        })
        .on_disconnected(move |caller| {
            let state = cleanup_state.clone();
            async move {
                if let Ok(mut m) = state.lock() {
                    m.remove(caller.connection_id.as_ref());
                }
            }
        })
}
