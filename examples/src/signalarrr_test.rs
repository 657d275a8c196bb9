//! The hub SignalARRR's own client integration tests call, written with `#[hub_contract]`
//! and served in the SignalARRR dialect at `/signalr/testhub`, with the `/__test/...` hooks
//! those tests use to make the server call the client (`examples/signalarrr/server.rs`
//! serves it; the Rust tests host it in-process).
//!
//! The hub's own methods (`TestShared.ITestServerMethods`) answer to their bare names; the
//! second contract, `ExtraMethods`, to `ExtraMethods.Name` (SignalARRR's `ServerMethods`
//! class). What the server calls on clients is `TestShared.ITestClientMethods`, and
//! `TestShared.ITestClientNotes` beside it.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use signalr::server::signalarrr::{SignalArrr, SignalArrrOptions};
use signalr::server::{AuthRequest, HubServer, Identity, Requirement, RouterExt};
use signalr::{Caller, CancellationToken, HubError, HubStream, hub_contract};

/// Where the hub is served (its SignalARRR endpoint); the plain SignalR endpoint is
/// [`PLAIN_PATH`].
pub const PATH: &str = "/signalr/testhub";
/// The hub's plain SignalR endpoint.
pub const PLAIN_PATH: &str = "/hubs/testhub";
/// Where [`SecureHub`] is served (SignalARRR): its methods need a user, and a message
/// credential stands for 30 ms, so a longer stream is challenged on the way.
pub const SECURE_PATH: &str = "/signalr/secure";

/// The test hub's own methods.
#[hub_contract(name = "TestShared.ITestServerMethods")]
pub trait TestHub {
    /// `"MyName"`.
    async fn get_name(&self) -> String;
    /// `"MyNameAsync"`.
    async fn get_name_async(&self) -> String;
    /// A new GUID.
    async fn get_guid(&self) -> String;
    /// A new GUID.
    async fn get_guid_async(&self) -> String;
    /// Does nothing.
    async fn nothing(&self);
    /// Does nothing.
    async fn nothing_async(&self);
    /// Joins the caller to `group`.
    async fn subscribe_via_send(&self, group: String, caller: Caller) -> Result<(), HubError>;
    /// `text`, back.
    async fn echo(&self, text: String) -> String;
    /// The caller's connection id.
    async fn get_connection_id(&self, caller: Caller) -> String;
    /// Where the connection's request carried a credential:
    /// `header={Authorization or -};query={access_token or -}`.
    async fn transport_credential(&self, caller: Caller) -> String;
    /// `0..count`, one item every `delay` milliseconds, until cancelled.
    fn counter(&self, count: i32, delay: i32, cancel: CancellationToken) -> HubStream<i32>;
}

/// A second contract served beside the hub (SignalARRR's `ServerMethods` class).
#[hub_contract]
pub trait ExtraMethods {
    /// `Hello, {name}!`.
    async fn greet(&self, name: String) -> String;
    /// `a + b`.
    async fn add(&self, a: i32, b: i32) -> i32;
    /// `value`, back, under its own message name.
    #[hub(name = "CustomEcho")]
    async fn echo_with_custom_name(&self, value: String) -> String;
    /// The date of an ISO 8601 date-time, `yyyy-MM-dd`.
    async fn format_date(&self, date: String) -> Result<String, HubError>;
    /// A GUID, checked and back in its lower-case form.
    async fn guid_to_string(&self, id: String) -> Result<String, HubError>;
    /// `item-0` .. `item-{count-1}`.
    async fn generate_items(&self, count: i32) -> Vec<String>;
    /// Each word of `text` and its length.
    async fn word_lengths(&self, text: String) -> BTreeMap<String, usize>;
    /// `{text}-{number}-{flag}`, the flag as .NET writes a bool.
    async fn combine(&self, text: String, number: i32, flag: bool) -> String;
    /// A method whose only parameter is injected (no argument slot).
    async fn get_service_info(&self, caller: Caller) -> String;
    /// Rejects its argument.
    async fn throw_argument_exception(&self, param: String) -> Result<String, HubError>;
    /// Fails unexpectedly.
    async fn throw_invalid_operation(&self) -> Result<String, HubError>;
    /// Fails with an application code.
    async fn throw_room_full(&self) -> Result<String, HubError>;
}

/// What the server calls on clients.
#[hub_contract(client, name = "TestShared.ITestClientMethods")]
pub trait TestClientMethods {
    /// Does nothing.
    async fn nix(&self);
    /// `id`, back.
    async fn get_by_id(&self, id: String) -> String;
    /// `item-0` .. `item-{count-1}`.
    async fn get_content(&self, count: i32) -> Vec<String>;
    /// `0..count`. The server asks for it as a stream (`/__test/trigger-client-stream`, a
    /// message carrying a `StreamId`): each element comes back as one item.
    async fn stream_numbers(&self, count: i32) -> Vec<i32>;
}

/// A second contract the server calls on clients: its receiver shares a connection with
/// the receiver of [`TestClientMethods`] and answers only its own calls (the tests reach
/// it through `/__test/trigger-client-call`).
#[hub_contract(client, name = "TestShared.ITestClientNotes")]
pub trait TestClientNotes {
    /// Takes a note; the server may cancel it.
    async fn note(&self, text: String, cancel: CancellationToken);
}

/// The test hub; it reads connection facts through the SignalARRR endpoint it is served
/// by.
#[derive(Debug, Clone, Default)]
pub struct Hub {
    endpoint: Arc<OnceLock<SignalArrr>>,
}

impl TestHub for Hub {
    async fn get_name(&self) -> String {
        "MyName".into()
    }

    async fn get_name_async(&self) -> String {
        "MyNameAsync".into()
    }

    async fn get_guid(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    async fn get_guid_async(&self) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    async fn nothing(&self) {}

    async fn nothing_async(&self) {}

    async fn subscribe_via_send(&self, group: String, caller: Caller) -> Result<(), HubError> {
        caller.groups.add(&caller.connection_id, &group).await
    }

    async fn echo(&self, text: String) -> String {
        text
    }

    async fn get_connection_id(&self, caller: Caller) -> String {
        caller.connection_id.to_string()
    }

    async fn transport_credential(&self, caller: Caller) -> String {
        let client = self
            .endpoint
            .get()
            .and_then(|e| e.client(&caller.connection_id));
        let header = client
            .as_ref()
            .and_then(|c| c.header("authorization"))
            .unwrap_or("-")
            .to_owned();
        let query = client
            .as_ref()
            .and_then(|c| c.query("access_token"))
            .unwrap_or("-")
            .to_owned();
        format!("header={header};query={query}")
    }

    fn counter(&self, count: i32, delay: i32, cancel: CancellationToken) -> HubStream<i32> {
        let delay = Duration::from_millis(u64::try_from(delay).unwrap_or(0));
        Box::pin(futures_util::stream::unfold(0, move |i| {
            let cancel = cancel.clone();
            async move {
                if i >= count {
                    return None;
                }
                if i > 0 {
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = cancel.cancelled() => return None,
                    }
                }
                Some((Ok(i), i + 1))
            }
        }))
    }
}

/// The `ExtraMethods` implementation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra;

impl ExtraMethods for Extra {
    async fn greet(&self, name: String) -> String {
        format!("Hello, {name}!")
    }

    async fn add(&self, a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }

    async fn echo_with_custom_name(&self, value: String) -> String {
        value
    }

    async fn format_date(&self, date: String) -> Result<String, HubError> {
        let day = date.get(..10).unwrap_or_default();
        let b = day.as_bytes();
        let well_formed = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if well_formed {
            Ok(day.to_owned())
        } else {
            Err(invalid(&format!("'{date}' is not a date")))
        }
    }

    async fn guid_to_string(&self, id: String) -> Result<String, HubError> {
        uuid::Uuid::try_parse(&id)
            .map(|g| g.to_string())
            .map_err(|_| invalid(&format!("'{id}' is not a GUID")))
    }

    async fn generate_items(&self, count: i32) -> Vec<String> {
        (0..count.clamp(0, 10_000))
            .map(|i| format!("item-{i}"))
            .collect()
    }

    async fn word_lengths(&self, text: String) -> BTreeMap<String, usize> {
        text.split_whitespace()
            .map(|w| (w.to_owned(), w.chars().count()))
            .collect()
    }

    async fn combine(&self, text: String, number: i32, flag: bool) -> String {
        format!("{text}-{number}-{}", if flag { "True" } else { "False" })
    }

    async fn get_service_info(&self, _caller: Caller) -> String {
        "ServiceProviderInjected".into()
    }

    async fn throw_argument_exception(&self, param: String) -> Result<String, HubError> {
        Err(invalid(&format!(
            "Invalid value provided (Parameter '{param}')"
        )))
    }

    async fn throw_invalid_operation(&self) -> Result<String, HubError> {
        Err(HubError::internal("This operation is not allowed"))
    }

    async fn throw_room_full(&self) -> Result<String, HubError> {
        Err(HubError::coded("room_full", "The room is full."))
    }
}

/// A rejected argument (an `ArgumentException` to SignalARRR's clients).
fn invalid(message: &str) -> HubError {
    HubError::Binding(signalr::protocol::BindError::Value {
        message: message.to_owned(),
    })
}

/// A hub whose methods need a user: bearer tokens starting with `good` are users.
#[hub_contract(name = "Arrr.ISecureHub")]
pub trait SecureHub {
    /// A secret.
    async fn secret(&self) -> String;
    /// `0..count`, one item every `delay` milliseconds.
    fn ticks(&self, count: i32, delay: u64) -> HubStream<i32>;
}

/// The implementation of [`SecureHub`].
#[derive(Debug, Clone, Copy)]
pub struct Secure;

impl SecureHub for Secure {
    async fn secret(&self) -> String {
        "s3cret".into()
    }

    fn ticks(&self, count: i32, delay: u64) -> HubStream<i32> {
        Box::pin(futures_util::stream::unfold(0, move |i| async move {
            if i >= count {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(delay)).await;
            Some((Ok(i), i + 1))
        }))
    }
}

/// [`SecureHub`]'s SignalARRR endpoint at [`SECURE_PATH`]: both methods need a user (a
/// bearer token starting with `good`), and a checked message credential stands for 30 ms.
pub fn secure_router() -> Router {
    let hub = SecureHubDispatch::hub(Secure)
        .require_method("Secret", Requirement::authenticated())
        .require_method("Ticks", Requirement::authenticated());
    let server = HubServer::builder(hub)
        .authenticate(|r: &AuthRequest<'_>| {
            let user = r
                .bearer_token()
                .filter(|t| t.starts_with("good"))
                .map(Identity::new);
            async move { Ok(user) }
        })
        .build()
        .unwrap_or_else(|e| unreachable!("the secure hub's requirements need no policy: {e}"));
    let mut options = SignalArrrOptions::default();
    options.auth_cache_duration = Duration::from_millis(30);
    SignalArrr::builder(&server)
        .options(options)
        .build()
        .router(SECURE_PATH)
}

/// The test server: the hub at [`PATH`] (SignalARRR) and [`PLAIN_PATH`] (plain SignalR),
/// [`SecureHub`] at [`SECURE_PATH`], and the `/__test/...` hooks.
pub fn app() -> (Router, HubServer, SignalArrr) {
    let hub = Hub::default();
    let endpoint_slot = hub.endpoint.clone();
    let server = HubServer::new(TestHubDispatch::hub(hub));
    let arrr = SignalArrr::builder(&server)
        .methods(ExtraMethodsDispatch::hub(Extra))
        .build();
    let _ = endpoint_slot.set(arrr.clone());
    let hooks = Router::new()
        .route("/__test/trigger-client-typed-call", post(typed_call))
        .route("/__test/trigger-client-call", post(raw_call))
        .route("/__test/trigger-client-getbyid", post(get_by_id))
        .route("/__test/trigger-client-getcontent", post(get_content))
        .route("/__test/trigger-client-stream", post(client_stream))
        .route("/__test/trigger-client-getfilestream", post(file_stream))
        .route("/__test/get-client-attributes", post(attributes))
        .with_state(Hooks {
            server: server.clone(),
            arrr: arrr.clone(),
        });
    let app = Router::new()
        .hub(PLAIN_PATH, &server)
        .merge(arrr.router(PATH))
        .merge(secure_router())
        .merge(hooks);
    (app, server, arrr)
}

/// What the hooks reach the clients through.
#[derive(Clone)]
struct Hooks {
    server: HubServer,
    arrr: SignalArrr,
}

type Params = Query<BTreeMap<String, String>>;

/// A JSON answer (`"Sent"`, a list, an object), as ASP.NET Core's `WriteAsJsonAsync`.
fn answer(value: serde_json::Value) -> Response {
    axum::Json(value).into_response()
}

fn missing(what: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!(format!("Missing {what}"))),
    )
        .into_response()
}

fn failed(e: impl std::fmt::Display) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
}

fn param<'a>(q: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    q.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// The typed proxy over one connection.
fn client(h: &Hooks, id: &str) -> TestClientMethodsProxy<signalr::server::SingleClientProxy> {
    TestClientMethodsProxy::new(h.server.clients().client(id))
}

async fn typed_call(State(h): State<Hooks>, Query(q): Params) -> Response {
    let Some(id) = param(&q, "connectionId") else {
        return missing("connectionId");
    };
    match client(&h, id).nix() {
        Ok(()) => answer(json!("Sent")),
        Err(e) => failed(e),
    }
}

async fn raw_call(State(h): State<Hooks>, Query(q): Params) -> Response {
    let (Some(id), Some(method)) = (param(&q, "connectionId"), param(&q, "method")) else {
        return missing("connectionId or method");
    };
    let arg = q.get("arg").cloned().unwrap_or_default();
    match h.server.clients().client(id).send(method, &(arg,)) {
        Ok(_) => answer(json!("Sent")),
        Err(e) => failed(e),
    }
}

async fn get_by_id(State(h): State<Hooks>, Query(q): Params) -> Response {
    let (Some(id), Some(value)) = (param(&q, "connectionId"), param(&q, "id")) else {
        return missing("connectionId or id");
    };
    match client(&h, id).get_by_id(value.to_owned()).await {
        Ok(v) => answer(json!(v)),
        Err(e) => failed(e),
    }
}

async fn get_content(State(h): State<Hooks>, Query(q): Params) -> Response {
    let Some(id) = param(&q, "connectionId") else {
        return missing("connectionId");
    };
    let count = param(&q, "count").and_then(|c| c.parse().ok()).unwrap_or(0);
    match client(&h, id).get_content(count).await {
        Ok(v) => answer(json!(v)),
        Err(e) => failed(e),
    }
}

async fn client_stream(State(h): State<Hooks>, Query(q): Params) -> Response {
    let Some(id) = param(&q, "connectionId") else {
        return missing("connectionId");
    };
    let count: i32 = param(&q, "count").and_then(|c| c.parse().ok()).unwrap_or(0);
    let stream =
        h.arrr
            .request_stream::<i32>(id, "TestShared.ITestClientMethods|StreamNumbers", &(count,));
    let mut stream = match stream {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let mut items = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(i) => items.push(i),
            Err(e) => return failed(e),
        }
    }
    answer(json!(items))
}

async fn file_stream(State(h): State<Hooks>, Query(q): Params) -> Response {
    let Some(id) = param(&q, "connectionId") else {
        return missing("connectionId");
    };
    let content = q.get("content").cloned().unwrap_or_default();
    let never = CancellationToken::new();
    let result = h
        .server
        .clients()
        .client(id)
        .invoke_raw(
            "TestShared.ITestClientMethods|GetFileStream",
            &(content,),
            &never,
        )
        .await;
    let reference = match result {
        Ok(Some(r)) => r,
        Ok(None) => return failed("the client returned no stream reference"),
        Err(e) => return failed(e),
    };
    match h.arrr.resolve_stream(id, &reference).await {
        Ok(bytes) => answer(json!(String::from_utf8_lossy(&bytes))),
        Err(e) => failed(e),
    }
}

async fn attributes(State(h): State<Hooks>, Query(q): Params) -> Response {
    let Some(id) = param(&q, "connectionId") else {
        return missing("connectionId");
    };
    match h.arrr.client(id) {
        Some(c) => answer(json!(c.attributes())),
        None => failed(format!("no client {id}")),
    }
}
