//! The classic endpoint's requests: `negotiate`, `ping`, the JavaScript proxies, and with a
//! transport and connection token `connect`, `reconnect`, `poll`, `start`, `send` and
//! `abort`, each answered with the classic server's status codes and texts.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use signalr_protocol::classic::{ClassicTransport, NegotiateResponse, ProtocolVersion, proxy};

use super::buffer::Cursor;
use super::connection::{ClassicConnection, Owner};
use super::endpoint::Endpoint;
use super::invoke::{Outcome, invoke};
use super::protect;
use super::request::{
    Hubs, Incoming, Kind, User, fail, form_urlencoded_pairs, json, jsonp_refused, nosniff,
};
use super::transports::{long_polling, sse, websockets};

/// How long a `/send` answer waits for the call's progress to reach the client first.
const PROGRESS_DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);

const NOT_A_WEBSOCKET: &str = "Not a valid web socket request.";
const PONG: &str = r#"{ "Response": "pong" }"#;
const STARTED: &str = r#"{ "Response": "started" }"#;

/// Every request of the endpoint.
pub(super) async fn handle(State(endpoint): State<Arc<Endpoint>>, request: Request) -> Response {
    nosniff(dispatch(endpoint, request).await)
}

async fn dispatch(endpoint: Arc<Endpoint>, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .ok();
    let req = Incoming::new(parts);
    if req.param("callback").is_some_and(|c| !c.is_empty()) {
        return jsonp_refused();
    }
    let kind = Kind::of(req.parts.uri.path());
    let (user, hubs) = match endpoint.user_and_hubs(&req).await {
        Ok(u) => u,
        Err(refused) => return refused,
    };
    match kind {
        Kind::Proxies => return proxies(&endpoint, &req),
        Kind::Negotiate => return negotiate(&endpoint, &req, &user),
        Kind::Ping => return json(PONG),
        _ => {}
    }
    let transport = match endpoint.transport(&req) {
        Ok(t) => t,
        Err((status, text)) => return fail(status, text),
    };
    let id = match endpoint.connection_id(&req, &user) {
        Ok(id) => id,
        Err((status, text)) => return fail(status, text),
    };
    let owner = Owner {
        id: id.as_str().into(),
        user: user.id.clone(),
        identity: user.identity.clone(),
        remote: req.remote.map(|a| a.ip()),
    };
    match kind {
        Kind::Abort => {
            if let Some(conn) = endpoint.get(&id) {
                conn.disconnect(true).await;
            }
            ([(header::CONTENT_TYPE, "text/plain")], "").into_response()
        }
        Kind::Start => {
            let (conn, _) = endpoint.get_or_open(owner, &hubs.subscribed, &[]).await;
            match conn.start().await {
                Ok(()) => json(STARTED),
                Err(e) => {
                    conn.disconnect(false).await;
                    fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
                }
            }
        }
        Kind::Send => send(&endpoint, owner, &hubs, body).await,
        Kind::Connect | Kind::Reconnect | Kind::Poll | Kind::Other => {
            receive(
                &endpoint, &req, kind, transport, owner, &hubs, upgrade, body,
            )
            .await
        }
        Kind::Proxies | Kind::Negotiate | Kind::Ping => StatusCode::NOT_FOUND.into_response(),
    }
}

fn proxies(endpoint: &Endpoint, req: &Incoming) -> Response {
    let script = if endpoint.options.enable_javascript_proxies {
        let path = req.parts.uri.path().trim_end_matches('/');
        let service = path
            .strip_suffix("/hubs")
            .or_else(|| path.strip_suffix("/js"))
            .or_else(|| path.strip_suffix("/HUBS"))
            .or_else(|| path.strip_suffix("/JS"))
            .unwrap_or(path);
        let hubs: Vec<_> = endpoint.hubs.iter().map(|h| h.proxy()).collect();
        proxy::javascript(&hubs, service)
    } else {
        proxy::DISABLED.to_owned()
    };
    (
        [(
            header::CONTENT_TYPE,
            "application/javascript; charset=UTF-8",
        )],
        script,
    )
        .into_response()
}

fn negotiate(endpoint: &Endpoint, req: &Incoming, user: &User) -> Response {
    let options = &endpoint.options;
    let id = uuid::Uuid::new_v4().to_string();
    let token = endpoint
        .protector
        .protect(protect::CONNECTION_TOKEN, &format!("{id}:{}", user.name));
    let path = req.parts.uri.path();
    let url = match path.len().checked_sub("/negotiate".len()) {
        Some(cut) if path.is_char_boundary(cut) => &path[..cut],
        _ => path,
    };
    let body = NegotiateResponse {
        url: url.to_owned(),
        connection_token: token,
        connection_id: id,
        keep_alive_timeout: options.keep_alive.map(|k| (k * 2).as_secs_f64()),
        disconnect_timeout: options.disconnect_timeout.as_secs_f64(),
        connection_timeout: options.connection_timeout.as_secs_f64(),
        try_web_sockets: options.transports.contains(&ClassicTransport::WebSockets),
        protocol_version: req.protocol().to_string(),
        transport_connect_timeout: options.transport_connect_timeout.as_secs_f64(),
        long_poll_delay: options.long_poll_delay.as_secs_f64(),
        redirect_url: None,
        access_token: None,
        error: None,
        web_socket_server_url: None,
    };
    match serde_json::to_string(&body) {
        Ok(text) => json(text),
        Err(e) => fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// The fields of a form body no larger than `limit` bytes; `Err` with the response that
/// refuses it.
async fn form(body: Body, limit: usize) -> Result<Vec<(String, String)>, Response> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(form_urlencoded_pairs(&collected.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The message exceeds the maximum size of {limit} bytes."),
        )),
        Err(_) => Err(StatusCode::BAD_REQUEST.into_response()),
    }
}

/// The form's limit: the message limit, percent-encoded at worst (three bytes a byte).
fn form_limit(endpoint: &Endpoint) -> usize {
    endpoint
        .options
        .max_incoming_message_size
        .saturating_mul(3)
        .saturating_add(1024)
}

async fn send(endpoint: &Arc<Endpoint>, owner: Owner, hubs: &Hubs, body: Body) -> Response {
    let fields = match form(body, form_limit(endpoint)).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let Some((_, data)) = fields.into_iter().find(|(k, _)| k == "data") else {
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Value cannot be null. Parameter name: data",
        );
    };
    if data.len() > endpoint.options.max_incoming_message_size {
        return fail(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The message exceeds the maximum size of {} bytes.",
                endpoint.options.max_incoming_message_size
            ),
        );
    }
    let (conn, _) = endpoint.get_or_open(owner, &hubs.subscribed, &[]).await;
    let Ok(_permit) = conn.invocations.clone().acquire_owned().await else {
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The connection has ended.",
        );
    };
    match invoke(endpoint, &conn, data.as_bytes()).await {
        Outcome::Response { json: body, after } => {
            if let Some(position) = after {
                conn.wait_delivered(position, PROGRESS_DELIVERY_TIMEOUT)
                    .await;
            }
            json(body)
        }
        Outcome::Failed { text, .. } => fail(StatusCode::INTERNAL_SERVER_ERROR, text),
    }
}

/// The value of a receive request's parameter: the query's, else the form's (long polling
/// posts `messageId` and `groupsToken`).
fn param(req: &Incoming, fields: &[(String, String)], name: &str) -> Option<String> {
    req.param(name).map(str::to_owned).or_else(|| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
}

#[allow(clippy::too_many_arguments)]
async fn receive(
    endpoint: &Arc<Endpoint>,
    req: &Incoming,
    kind: Kind,
    transport: ClassicTransport,
    owner: Owner,
    hubs: &Hubs,
    upgrade: Option<WebSocketUpgrade>,
    body: Body,
) -> Response {
    if transport == ClassicTransport::WebSockets && upgrade.is_none() {
        return fail(StatusCode::BAD_REQUEST, NOT_A_WEBSOCKET);
    }
    let fields = if req.parts.method == Method::POST {
        match form(body, form_limit(endpoint)).await {
            Ok(f) => f,
            Err(refused) => return refused,
        }
    } else {
        Vec::new()
    };
    let connect = kind == Kind::Connect;
    let message_id = (!connect)
        .then(|| param(req, &fields, "messageId"))
        .flatten()
        .filter(|m| !m.is_empty());
    let groups_token = param(req, &fields, "groupsToken");
    let groups = endpoint.rejoined_groups(groups_token.as_deref(), &owner.id, hubs);
    let (conn, created) = endpoint.get_or_open(owner, &hubs.subscribed, &groups).await;
    let from = match &message_id {
        Some(text) => match conn.buffer.parse_cursor(text) {
            Ok(cursor) => conn.buffer.resolve(cursor),
            Err(e) => return fail(StatusCode::INTERNAL_SERVER_ERROR, e),
        },
        None => conn.buffer.resolve(Cursor::Foreign),
    };
    // Clients of protocol 1.2 and 1.3 send no `/start`: the connect raises the hooks. A
    // connection recreated by a reconnect (the server had already forgotten it) raises them
    // too, so its end raises `on_disconnected` in turn.
    let delayed_start = req.protocol() >= ProtocolVersion::DELAYED_START;
    let starts = (connect && !delayed_start) || (created && !connect);
    if starts && let Err(e) = conn.start().await {
        conn.disconnect(false).await;
        return fail(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    }
    respond(endpoint, conn, transport, upgrade, from, connect)
}

fn respond(
    endpoint: &Arc<Endpoint>,
    conn: Arc<ClassicConnection>,
    transport: ClassicTransport,
    upgrade: Option<WebSocketUpgrade>,
    from: u64,
    init: bool,
) -> Response {
    let receiving = conn.begin_receive();
    let endpoint = endpoint.clone();
    match (transport, upgrade) {
        (ClassicTransport::WebSockets, Some(upgrade)) => {
            websockets::respond(endpoint, conn, receiving, upgrade, from, init)
        }
        (ClassicTransport::ServerSentEvents, _) => {
            sse::respond(endpoint, conn, receiving, from, init)
        }
        (ClassicTransport::LongPolling, _) => {
            long_polling::respond(endpoint, conn, receiving, from, init)
        }
        _ => fail(StatusCode::BAD_REQUEST, NOT_A_WEBSOCKET),
    }
}
