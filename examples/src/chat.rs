//! A chat hub written with `#[hub_contract]`: rooms, messages, and each room's recent
//! history as a stream. The server and the Rust client in `examples/chat/` use it, and so
//! does the demo.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use signalr::server::signalarrr::SignalArrr;
use signalr::server::{ClassicEndpoint, Hub, HubServer, RouterExt};
use signalr::{Caller, HubError, HubStream, hub_contract};

/// How many messages a room remembers.
const HISTORY: usize = 100;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    /// The room it was sent to.
    pub room: String,
    /// Who sent it.
    pub from: String,
    /// What it says.
    pub text: String,
    /// When the server received it, in milliseconds since the Unix epoch.
    pub sent_at_ms: u64,
}

/// What chat clients call on the server.
#[hub_contract]
pub trait Chat {
    /// Enters `room` as `name`; returns who else is there.
    async fn join(
        &self,
        room: String,
        name: String,
        caller: Caller,
    ) -> Result<Vec<String>, HubError>;
    /// Sends `text` to everyone in `room`.
    async fn send_message(
        &self,
        room: String,
        text: String,
        caller: Caller,
    ) -> Result<(), HubError>;
    /// Leaves `room`.
    async fn leave(&self, room: String, caller: Caller) -> Result<(), HubError>;
    /// The room's recent messages, oldest first.
    fn history(&self, room: String) -> HubStream<ChatMessage>;
}

/// What the chat server calls on clients.
#[hub_contract(client)]
pub trait ChatClient {
    /// A message in a room the client is in.
    async fn receive(&self, message: ChatMessage);
    /// Someone entered a room the client is in.
    async fn joined(&self, room: String, name: String);
    /// Someone left a room the client is in.
    async fn left(&self, room: String, name: String);
}

#[derive(Debug, Default)]
struct State {
    /// Per connection, the name it joined with, per room.
    members: HashMap<String, HashMap<String, String>>,
    history: HashMap<String, VecDeque<ChatMessage>>,
}

/// The server's implementation of [`Chat`].
#[derive(Debug, Clone, Default)]
pub struct ChatHub {
    state: Arc<Mutex<State>>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn check(what: &str, value: &str, max: usize) -> Result<(), HubError> {
    if value.trim().is_empty() {
        return Err(HubError::new(format!("The {what} must not be empty.")));
    }
    if value.chars().count() > max {
        return Err(HubError::new(format!(
            "The {what} is longer than {max} characters."
        )));
    }
    Ok(())
}

impl ChatHub {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, HubError> {
        self.state
            .lock()
            .map_err(|_| HubError::internal("chat state poisoned"))
    }

    fn name_in(&self, room: &str, connection: &str) -> Result<String, HubError> {
        self.lock()?
            .members
            .get(room)
            .and_then(|m| m.get(connection))
            .cloned()
            .ok_or_else(|| HubError::new(format!("Join the room '{room}' first.")))
    }

    /// Forgets a connection that ended, telling its rooms.
    pub fn disconnected(&self, caller: &Caller) {
        let rooms: Vec<(String, String)> = match self.state.lock() {
            Ok(mut s) => s
                .members
                .iter_mut()
                .filter_map(|(room, m)| {
                    m.remove(caller.connection_id.as_ref())
                        .map(|name| (room.clone(), name))
                })
                .collect(),
            Err(_) => return,
        };
        for (room, name) in rooms {
            let _ = ChatClientProxy::new(caller.clients.group(room.clone())).left(room, name);
        }
    }
}

impl Chat for ChatHub {
    async fn join(
        &self,
        room: String,
        name: String,
        caller: Caller,
    ) -> Result<Vec<String>, HubError> {
        check("room", &room, 64)?;
        check("name", &name, 64)?;
        let others: Vec<String> = {
            let mut s = self.lock()?;
            let members = s.members.entry(room.clone()).or_default();
            let others = members.values().cloned().collect();
            members.insert(caller.connection_id.to_string(), name.clone());
            others
        };
        ChatClientProxy::new(caller.clients.others_in_group(room.clone()))
            .joined(room.clone(), name)?;
        caller.groups.add(&caller.connection_id, &room).await?;
        Ok(others)
    }

    async fn send_message(
        &self,
        room: String,
        text: String,
        caller: Caller,
    ) -> Result<(), HubError> {
        check("message", &text, 2000)?;
        let from = self.name_in(&room, &caller.connection_id)?;
        let message = ChatMessage {
            room: room.clone(),
            from,
            text,
            sent_at_ms: now_ms(),
        };
        {
            let mut s = self.lock()?;
            let history = s.history.entry(room.clone()).or_default();
            if history.len() == HISTORY {
                history.pop_front();
            }
            history.push_back(message.clone());
        }
        ChatClientProxy::new(caller.clients.group(room)).receive(message)
    }

    async fn leave(&self, room: String, caller: Caller) -> Result<(), HubError> {
        let name = self.name_in(&room, &caller.connection_id)?;
        if let Some(m) = self.lock()?.members.get_mut(&room) {
            m.remove(caller.connection_id.as_ref());
        }
        caller.groups.remove(&caller.connection_id, &room).await?;
        ChatClientProxy::new(caller.clients.group(room.clone())).left(room, name)
    }

    fn history(&self, room: String) -> HubStream<ChatMessage> {
        let messages: Vec<ChatMessage> = self
            .state
            .lock()
            .map(|s| {
                s.history
                    .get(&room)
                    .map(|h| h.iter().cloned().collect())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        signalr::hub_stream(futures_util::stream::iter(messages))
    }
}

/// The chat hub, ready to serve.
pub fn hub() -> Hub {
    let implementation = ChatHub::default();
    let on_end = implementation.clone();
    ChatDispatch::hub(implementation).on_disconnected(move |caller| {
        let hub = on_end.clone();
        async move { hub.disconnected(&caller) }
    })
}

/// Where the chat hub is served to plain SignalR clients.
pub const PATH: &str = "/hubs/chat";
/// Where the same hub is served to SignalARRR clients.
pub const SIGNALARRR_PATH: &str = "/signalr/chat";

/// Where the same hub is served to classic ASP.NET SignalR 2.x clients (hub `Chat`).
pub const CLASSIC_PATH: &str = "/signalr";

/// The routes of a chat server: `server`'s hub at [`PATH`] for plain SignalR clients, at
/// [`SIGNALARRR_PATH`] for SignalARRR clients and at [`CLASSIC_PATH`] (hub `Chat`) for
/// classic ASP.NET SignalR 2.x clients, one set of rooms for all three (clients of each
/// dialect in one room hear each other).
pub fn router(server: &HubServer) -> axum::Router {
    axum::Router::new()
        .hub(PATH, server)
        .merge(SignalArrr::new(server).router(SIGNALARRR_PATH))
        .merge(ClassicEndpoint::new(server).router(CLASSIC_PATH))
}
