//! A hub inside an application: the application's own state and routes, its tower layers
//! (CORS, compression, a timeout for its own routes) and its own authentication middleware
//! in front of the hub's routes, whose verdict the hub's authenticator reads from the
//! request's extensions.
//!
//! `cargo run --example app-server -- --listen 127.0.0.1:0`, then
//! `curl -H 'x-api-key: key-alice' -X POST 'http://HOST:PORT/hubs/greeter/negotiate?negotiateVersion=1'`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use signalr::{Caller, hub_contract};
use signalr_server::{AuthRequest, HubServer, Identity, Refusal, RouterExt};
use tower_http::compression::CompressionLayer;
use tower_http::cors::CorsLayer;
use tower_http::timeout::TimeoutLayer;

/// A greeting hub that knows who calls.
#[hub_contract]
#[hub(authorize)]
pub trait Greeter {
    /// "Hello, NAME, from APP": the caller's user, as the application's middleware found it.
    async fn greet(&self, caller: Caller) -> String;
}

/// The application's state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The application's name.
    pub name: String,
    /// API keys and the users they belong to.
    pub keys: Arc<HashMap<String, String>>,
}

impl AppState {
    /// An application with keys `key-alice` and `key-bob`.
    pub fn demo() -> Self {
        let keys = [("key-alice", "alice"), ("key-bob", "bob")]
            .into_iter()
            .map(|(k, u)| (k.to_owned(), u.to_owned()))
            .collect();
        AppState {
            name: "greeter-app".to_owned(),
            keys: Arc::new(keys),
        }
    }
}

/// The user the application's middleware verified, left in the request's extensions.
#[derive(Debug, Clone)]
pub struct Verified(pub String);

/// The application's middleware: an API key in `x-api-key` (or, for browsers' WebSockets
/// and event streams, the `api_key` query parameter) must name a user.
async fn require_api_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let from_header = request
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_query = request.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("api_key="))
            .map(str::to_owned)
    });
    match from_header
        .or(from_query)
        .and_then(|k| state.keys.get(&k).cloned())
    {
        Some(user) => {
            request.extensions_mut().insert(Verified(user));
            next.run(request).await
        }
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

struct GreeterHub {
    app: String,
}

impl Greeter for GreeterHub {
    async fn greet(&self, caller: Caller) -> String {
        let who = caller.user.as_deref().unwrap_or("stranger");
        format!("Hello, {who}, from {}", self.app)
    }
}

/// The hub server: its users are whoever the application's middleware verified.
pub fn hub_server(state: &AppState) -> HubServer {
    let hub = GreeterDispatch::hub(GreeterHub {
        app: state.name.clone(),
    });
    HubServer::builder(hub)
        .authenticate(|req: &AuthRequest<'_>| {
            let user = req.parts.extensions.get::<Verified>().map(|v| v.0.clone());
            async move {
                match user {
                    Some(u) => Ok(Some(Identity::new(u))),
                    None => Err(Refusal::unauthorized()),
                }
            }
        })
        .build()
        .unwrap_or_else(|e| unreachable!("the greeter hub needs no policy: {e}"))
}

async fn health(State(state): State<AppState>) -> String {
    format!("{} is up", state.name)
}

/// The application: `/health` (its own route, with a 5 s timeout) and the hub at
/// `/hubs/greeter` behind the API-key middleware, CORS and compression on everything.
pub fn router(state: AppState, hub: &HubServer) -> Router {
    let api = Router::<AppState>::new()
        .hub("/hubs/greeter", hub)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_api_key,
        ));
    Router::<AppState>::new()
        .route("/health", get(health))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(5),
        ))
        .merge(api)
        .layer(CorsLayer::permissive())
        .layer(CompressionLayer::new())
        .with_state(state)
}
