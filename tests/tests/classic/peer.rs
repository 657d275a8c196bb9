//! A classic (ASP.NET SignalR 2.x) peer over raw sockets, written from the reference notes:
//! negotiate, the three transports' receive channels, `/start`, `/send`, `/abort`, hub calls
//! with their ids, and the persistent responses' cursors and groups tokens.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use signalr_server::{ClassicEndpoint, Hub, HubServer, RouterExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long one step may take before the test fails.
pub(crate) const STEP: Duration = Duration::from_secs(10);

/// The `connectionData` of a client of the conformance hub.
pub(crate) const CONFORMANCE: &str = r#"[{"name":"conformance"}]"#;

/// Percent-encodes a query value.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A server on 127.0.0.1 with the conformance hub at `/hubs/conformance` and classic
/// endpoints at `/signalr` and `/secure` (an endpoint whose user is its access token).
pub(crate) struct Server {
    /// `http://127.0.0.1:PORT`.
    pub(crate) origin: String,
    pub(crate) classic: ClassicEndpoint,
}

impl Server {
    pub(crate) async fn start(extra: Vec<HubServer>, secure: Option<HubServer>) -> Server {
        let server = HubServer::new(signalr_examples::conformance::hub());
        let mut builder = ClassicEndpoint::builder().hub(&server);
        for s in &extra {
            builder = builder.hub(s);
        }
        let classic = builder.build();
        let mut app = axum::Router::new()
            .hub("/hubs/conformance", &server)
            .merge(classic.router("/signalr"));
        if let Some(s) = &secure {
            app = app.merge(ClassicEndpoint::new(s).router("/secure"));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server {
            origin: format!("http://{addr}"),
            classic,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }
}

/// A hub with one method that counts the caller's visits in its classic caller state.
pub(crate) fn visits_hub() -> Hub {
    use signalr_server::{CallerState, MethodKind};
    Hub::new("Visits").method("Visit", MethodKind::Unary, 0, |call| async move {
        call.bind(0)?;
        let visits: u32 = CallerState::get("visits").unwrap_or(0);
        CallerState::set("visits", &(visits + 1));
        call.reply(&visits)
    })
}

/// An HTTP answer: status and body text.
pub(crate) type Answer = (StatusCode, String);

pub(crate) async fn get(http: &reqwest::Client, url: &str) -> Answer {
    let resp = tokio::time::timeout(STEP, http.get(url).send())
        .await
        .expect("no answer in time")
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

pub(crate) async fn post_form(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Answer {
    let resp = tokio::time::timeout(STEP, http.post(url).form(form).send())
        .await
        .expect("no answer in time")
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

/// Negotiates at `base` (`http://…/signalr`): the negotiate response.
pub(crate) async fn negotiate(http: &reqwest::Client, base: &str, data: &str) -> Value {
    let (status, body) = get(
        http,
        &format!(
            "{base}/negotiate?clientProtocol=2.1&connectionData={}&_=1",
            enc(data)
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "negotiate: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The three transports of the classic server that modern clients use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    WebSockets,
    ServerSentEvents,
    LongPolling,
}

impl Transport {
    pub(crate) const ALL: [Transport; 3] = [
        Transport::WebSockets,
        Transport::ServerSentEvents,
        Transport::LongPolling,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Transport::WebSockets => "webSockets",
            Transport::ServerSentEvents => "serverSentEvents",
            Transport::LongPolling => "longPolling",
        }
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The receive channel of a connection.
enum Channel {
    Ws(Box<Ws>),
    Sse {
        body: futures_util::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
        buf: Vec<u8>,
    },
    /// Long polling: each `next` is one poll.
    Lp,
    /// No receive request open.
    None,
}

/// A classic client connection.
pub(crate) struct Peer {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) transport: Transport,
    pub(crate) token: String,
    pub(crate) data: String,
    /// The last cursor (`C`) and groups token (`G`) received.
    pub(crate) cursor: Option<String>,
    pub(crate) groups_token: Option<String>,
    channel: Channel,
    next_call: u64,
    /// Hub responses read from a WebSocket while waiting for something else.
    responses: Vec<Value>,
    /// `M` entries received and not yet taken.
    pub(crate) messages: Vec<Value>,
    /// Every persistent response received, in order.
    pub(crate) persistent: Vec<Value>,
}

impl Peer {
    /// Negotiates, connects (reading the init message) and starts.
    pub(crate) async fn connect(base: &str, transport: Transport) -> Peer {
        Self::connect_with(reqwest::Client::new(), base, transport, CONFORMANCE).await
    }

    pub(crate) async fn connect_with(
        http: reqwest::Client,
        base: &str,
        transport: Transport,
        data: &str,
    ) -> Peer {
        let n = negotiate(&http, base, data).await;
        let mut peer = Peer {
            http,
            base: base.to_owned(),
            transport,
            token: n["ConnectionToken"].as_str().unwrap().to_owned(),
            data: data.to_owned(),
            cursor: None,
            groups_token: None,
            channel: Channel::None,
            next_call: 0,
            responses: Vec::new(),
            messages: Vec::new(),
            persistent: Vec::new(),
        };
        peer.open("connect").await;
        let init = peer.next().await;
        assert_eq!(init["S"], json!(1), "the init message: {init}");
        assert_eq!(init["M"], json!([]), "the init message: {init}");
        let (status, body) = get(&peer.http, &peer.url("start", "")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{ "Response": "started" }"#)
        );
        peer
    }

    /// `{base}/{what}?transport=…&clientProtocol=2.1&connectionToken=…&connectionData=…{extra}`.
    pub(crate) fn url(&self, what: &str, extra: &str) -> String {
        format!(
            "{}/{what}?transport={}&clientProtocol=2.1&connectionToken={}&connectionData={}{extra}",
            self.base,
            self.transport.name(),
            enc(&self.token),
            enc(&self.data)
        )
    }

    /// Opens the receive channel with `what` (`connect` or `reconnect`); a reconnect sends
    /// the cursor and groups token.
    pub(crate) async fn open(&mut self, what: &str) {
        let mut extra = String::new();
        if what != "connect"
            && let Some(c) = &self.cursor
        {
            extra.push_str(&format!("&messageId={}", enc(c)));
        }
        if let Some(g) = &self.groups_token {
            extra.push_str(&format!("&groupsToken={}", enc(g)));
        }
        match self.transport {
            Transport::WebSockets => {
                let url = self
                    .url(what, &format!("{extra}&tid=3"))
                    .replacen("http", "ws", 1);
                let (ws, _) = tokio::time::timeout(STEP, tokio_tungstenite::connect_async(url))
                    .await
                    .expect("no WebSocket in time")
                    .unwrap();
                self.channel = Channel::Ws(Box::new(ws));
            }
            Transport::ServerSentEvents => {
                let resp = tokio::time::timeout(
                    STEP,
                    self.http
                        .get(self.url(what, &format!("{extra}&tid=3")))
                        .send(),
                )
                .await
                .expect("no event stream in time")
                .unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                assert_eq!(resp.headers()["content-type"], "text/event-stream");
                self.channel = Channel::Sse {
                    body: resp.bytes_stream().boxed(),
                    buf: Vec::new(),
                };
            }
            Transport::LongPolling => {
                if what == "connect" {
                    let (status, body) = post_form(&self.http, &self.url("connect", ""), &[]).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    let v: Value = serde_json::from_str(body.trim_start()).unwrap();
                    self.note(&v);
                    self.channel = Channel::Lp;
                    // The connect's answer is read by the next `next`.
                    self.responses.push(json!({ "__init": v }));
                } else {
                    self.channel = Channel::Lp;
                }
            }
        }
    }

    /// Drops the receive channel without telling the server (a cut connection).
    pub(crate) fn cut(&mut self) {
        self.channel = Channel::None;
    }

    /// Remembers the cursor and groups token of a persistent response.
    fn note(&mut self, v: &Value) {
        if let Some(c) = v["C"].as_str() {
            self.cursor = Some(c.to_owned());
        }
        if let Some(g) = v["G"].as_str() {
            self.groups_token = Some(g.to_owned());
        }
    }

    /// The next JSON document of the receive channel (keep-alives `{}` skipped); persistent
    /// responses update the cursor and their `M` entries are kept in `messages`.
    pub(crate) async fn next(&mut self) -> Value {
        if let Some(pos) = self
            .responses
            .iter()
            .position(|r| r.get("__init").is_some())
        {
            let v = self.responses.remove(pos)["__init"].take();
            self.persistent.push(v.clone());
            return v;
        }
        loop {
            let v = tokio::time::timeout(STEP, self.read())
                .await
                .expect("nothing received in time");
            if v == json!({}) {
                continue;
            }
            if v.get("C").is_some() {
                self.note(&v);
                if let Some(m) = v["M"].as_array() {
                    self.messages.extend(m.iter().cloned());
                }
                self.persistent.push(v.clone());
            }
            return v;
        }
    }

    async fn read(&mut self) -> Value {
        match &mut self.channel {
            Channel::Ws(ws) => loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
                    Some(Ok(Message::Close(f))) => panic!("the server closed the WebSocket: {f:?}"),
                    Some(Ok(_)) => {}
                    other => panic!("the WebSocket ended: {other:?}"),
                }
            },
            Channel::Sse { body, buf } => loop {
                if let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
                    let event: Vec<u8> = buf.drain(..end + 2).collect();
                    let text = String::from_utf8(event).unwrap();
                    let data: String = text
                        .lines()
                        .filter_map(|l| l.strip_prefix("data: "))
                        .collect();
                    if data == "initialized" || data.is_empty() {
                        continue;
                    }
                    return serde_json::from_str(data.trim_end()).unwrap();
                }
                // `\r\n\r\n` ends a message as well.
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let event: Vec<u8> = buf.drain(..end + 4).collect();
                    let text = String::from_utf8(event).unwrap();
                    let data = text.trim().strip_prefix("data: ").unwrap().to_owned();
                    return serde_json::from_str(&data).unwrap();
                }
                match body.next().await {
                    Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
                    other => panic!("the event stream ended: {other:?}"),
                }
            },
            Channel::Lp => {
                let mut form = Vec::new();
                if let Some(c) = &self.cursor {
                    form.push(("messageId", c.clone()));
                }
                if let Some(g) = &self.groups_token {
                    form.push(("groupsToken", g.clone()));
                }
                let resp = self
                    .http
                    .post(self.url("poll", ""))
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                let body = resp.text().await.unwrap();
                serde_json::from_str(body.trim_start()).unwrap()
            }
            Channel::None => panic!("no receive channel"),
        }
    }

    /// Sends the raw payload `data`: a WebSocket text frame, or `/send` (whose answer is
    /// returned).
    pub(crate) async fn send_raw(&mut self, data: &str) -> Option<Answer> {
        match &mut self.channel {
            Channel::Ws(ws) => {
                ws.send(Message::text(data)).await.unwrap();
                None
            }
            _ => Some(post_form(&self.http, &self.url("send", ""), &[("data", data)]).await),
        }
    }

    /// Calls `hub.method(args)` with caller state `state`: the hub response (progress
    /// reports go to `messages` as the persistent responses carry them).
    pub(crate) async fn call_with(
        &mut self,
        hub: &str,
        method: &str,
        args: Value,
        state: Option<Value>,
    ) -> Value {
        let id = self.next_call;
        self.next_call += 1;
        let mut call = json!({ "H": hub, "M": method, "A": args, "I": id });
        if let Some(s) = state {
            call["S"] = s;
        }
        let want = id.to_string();
        match self.send_raw(&call.to_string()).await {
            Some((status, body)) => {
                assert_eq!(status, StatusCode::OK, "{method}: {body}");
                serde_json::from_str(&body).unwrap()
            }
            None => loop {
                if let Some(pos) = self.responses.iter().position(|r| r["I"] == json!(want)) {
                    return self.responses.remove(pos);
                }
                let v = self.next().await;
                if v.get("C").is_none() {
                    self.responses.push(v);
                }
            },
        }
    }

    pub(crate) async fn call(&mut self, method: &str, args: Value) -> Value {
        self.call_with("conformance", method, args, None).await
    }

    /// Reads until `messages` holds an entry `check` accepts; takes and returns it.
    pub(crate) async fn message(&mut self, check: impl Fn(&Value) -> bool) -> Value {
        loop {
            if let Some(pos) = self.messages.iter().position(&check) {
                return self.messages.remove(pos);
            }
            let v = self.next().await;
            if v.get("C").is_none() && v.get("I").is_some() {
                self.responses.push(v);
            }
        }
    }

    /// Reads the WebSocket until the server closes it: the close code.
    pub(crate) async fn close_code(&mut self) -> Option<u16> {
        let Channel::Ws(ws) = &mut self.channel else {
            panic!("not a WebSocket");
        };
        loop {
            match tokio::time::timeout(STEP, ws.next())
                .await
                .expect("not closed in time")
            {
                Some(Ok(Message::Close(f))) => return f.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    }

    /// `/abort`.
    pub(crate) async fn abort(&mut self) {
        let (status, body) = post_form(&self.http, &self.url("abort", ""), &[]).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, ""));
        self.channel = Channel::None;
    }
}

/// The first line of a raw HTTP/1.1 request's answer (its status line with the reason
/// phrase), over a socket of its own.
pub(crate) async fn status_line(origin: &str, path_and_query: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = origin.trim_start_matches("http://");
    let mut socket = TcpStream::connect(host).await.unwrap();
    let request =
        format!("GET {path_and_query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(STEP, socket.read_to_end(&mut answer))
        .await
        .expect("no answer in time")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().unwrap_or_default().to_owned()
}
