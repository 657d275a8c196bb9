//! The classic (ASP.NET SignalR 2.x) endpoint over real sockets on 127.0.0.1, driven by a
//! peer written from the reference notes: negotiate, each transport end to end, hub calls,
//! progress, caller state, server-to-client calls, groups, resuming from a cursor, the
//! Rust classic client, the chat example in three dialects at once, and the
//! classic answers to bad input with other connections unaffected.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    unreachable_pub
)]

mod bad_input;
mod chat;
mod client;
mod peer;

use reqwest::StatusCode;
use serde_json::{Value, json};
use signalr_server::HubServer;

use peer::{CONFORMANCE, Peer, Server, Transport, enc, get, visits_hub};

#[tokio::test]
async fn negotiate_answers_the_classic_fields_and_clamps_the_protocol() {
    let server = Server::start(Vec::new(), None).await;
    let http = reqwest::Client::new();
    let base = server.url("/signalr");
    let resp = http
        .get(format!(
            "{base}/negotiate?clientProtocol=2.1&connectionData={}&_=1",
            enc(CONFORMANCE)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=UTF-8"
    );
    let text = resp.text().await.unwrap();
    let n: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(n["Url"], "/signalr");
    assert_eq!(n["ProtocolVersion"], "2.0");
    assert_eq!(n["KeepAliveTimeout"], json!(20.0));
    assert_eq!(n["DisconnectTimeout"], json!(30.0));
    assert_eq!(n["ConnectionTimeout"], json!(110.0));
    assert_eq!(n["TryWebSockets"], json!(true));
    assert_eq!(n["TransportConnectTimeout"], json!(5.0));
    assert_eq!(n["LongPollDelay"], json!(0.0));
    let id = n["ConnectionId"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a GUID: {id}");
    assert!(
        !n["ConnectionToken"].as_str().unwrap().contains(id),
        "the token is protected"
    );
    // Newtonsoft's order of the anonymous object's properties.
    let keys: Vec<&str> = [
        "\"Url\"",
        "\"ConnectionToken\"",
        "\"ConnectionId\"",
        "\"KeepAliveTimeout\"",
        "\"DisconnectTimeout\"",
        "\"ConnectionTimeout\"",
        "\"TryWebSockets\"",
        "\"ProtocolVersion\"",
        "\"TransportConnectTimeout\"",
        "\"LongPollDelay\"",
    ]
    .into_iter()
    .collect();
    let positions: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");

    for (asked, answered) in [
        (Some("1.5"), "1.5"),
        (Some("2.0"), "2.0"),
        (Some("9.9"), "2.0"),
        (Some("1.0"), "1.2"),
        (Some("nonsense"), "1.2"),
        (None, "1.2"),
    ] {
        let q = asked
            .map(|a| format!("clientProtocol={a}&"))
            .unwrap_or_default();
        let (status, body) = get(
            &http,
            &format!("{base}/negotiate?{q}connectionData={}", enc(CONFORMANCE)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let n: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(n["ProtocolVersion"], answered, "clientProtocol {asked:?}");
    }

    let (status, body) = get(&http, &format!("{base}/ping?_=2")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{ "Response": "pong" }"#)
    );

    let (status, body) = get(&http, &format!("{base}/hubs")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains(r#"proxies["conformance"] = this.createHubProxy("conformance");"#),
        "{body}"
    );
    assert!(
        body.contains(r#""echoPerson": function (person)"#),
        "{body}"
    );
    assert!(
        body.contains(r#"$.merge(["EchoPerson"], $.makeArray(arguments))"#),
        "{body}"
    );
}

/// Hub calls, results, hub errors, progress, server-to-client `M` entries over one transport.
async fn calls_over(transport: Transport) {
    let server = Server::start(Vec::new(), None).await;
    let base = server.url("/signalr");
    let mut a = Peer::connect(&base, transport).await;
    let t = transport.name();

    let r = a.call("Echo", json!(["héllo ✓ \u{1F389}"])).await;
    assert_eq!(r, json!({ "R": "héllo ✓ \u{1F389}", "I": "0" }), "{t}");
    let r = a.call("add", json!([40, 2])).await;
    assert_eq!(
        r,
        json!({ "R": 42, "I": "1" }),
        "{t}: method names are case-insensitive"
    );
    let r = a
        .call(
            "EchoPerson",
            json!([{ "name": "Ada", "age": 36, "tags": ["x"], "nickname": null }]),
        )
        .await;
    assert_eq!(
        r["R"],
        json!({ "name": "Ada", "age": 37, "tags": ["x"], "nickname": null }),
        "{t}"
    );

    // A hub error: the message, flagged as a HubException.
    let r = a.call("Fail", json!(["boom"])).await;
    assert_eq!(r["H"], json!(true), "{t}: {r}");
    assert!(r["E"].as_str().unwrap().contains("boom"), "{t}: {r}");
    assert_eq!(r["I"], "3");
    // Any other failure: the classic generic text naming the hub and method as sent.
    let r = a.call("Add", json!([2147483647, 1])).await;
    assert!(r.get("E").is_some() && r.get("R").is_none(), "{t}: {r}");
    let r = a.call("NoSuch", json!([])).await;
    assert_eq!(
        r["E"], "There was an error invoking Hub method 'conformance.NoSuch'.",
        "{t}"
    );
    let r = a.call("Add", json!(["x"])).await;
    assert!(r.get("E").is_some(), "{t}: wrong arguments: {r}");
    let r = a.call("Echo", json!(["after errors"])).await;
    assert_eq!(r["R"], "after errors", "{t}");

    // Notify: a void answer, then the server calls the client: an `M` entry.
    let r = a.call("Notify", json!(["ping"])).await;
    assert_eq!(r, json!({ "I": "8" }), "{t}");
    let m = a.message(|m| m["M"] == "Notified").await;
    assert_eq!(
        m,
        json!({ "H": "Conformance", "M": "Notified", "A": ["ping"] }),
        "{t}"
    );

    // A streaming method: each item is progress `P|id` (in `M`), then the void response,
    // which comes after every progress report.
    let r = a.call("Counter", json!([4, 5])).await;
    assert_eq!(r, json!({ "I": "9" }), "{t}");
    let mut items = Vec::new();
    while items.len() < 4 {
        let p = a.message(|m| m.get("P").is_some()).await;
        assert_eq!(p["I"], "P|9", "{t}: {p}");
        assert_eq!(p["P"]["I"], "9", "{t}: {p}");
        items.push(p["P"]["D"].clone());
    }
    assert_eq!(items, vec![json!(0), json!(1), json!(2), json!(3)], "{t}");

    // Another connection's broadcast reaches this one.
    let mut b = Peer::connect(&base, transport).await;
    let r = b.call("Broadcast", json!(["to all"])).await;
    assert_eq!(r, json!({ "I": "0" }));
    let m = a.message(|m| m["M"] == "Broadcasted").await;
    assert_eq!(m["A"], json!(["to all"]), "{t}");
    b.message(|m| m["M"] == "Broadcasted").await;

    // Every cursor is a classic one.
    let cursor = a.cursor.clone().unwrap();
    assert!(cursor.starts_with("d-"), "{t}: {cursor}");

    a.abort().await;
    b.abort().await;
    for _ in 0..100 {
        if server.classic.connection_count() == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{t}: the aborted connections are still open");
}

#[tokio::test]
async fn calls_over_websockets() {
    calls_over(Transport::WebSockets).await;
}

#[tokio::test]
async fn calls_over_server_sent_events() {
    calls_over(Transport::ServerSentEvents).await;
}

#[tokio::test]
async fn calls_over_long_polling() {
    calls_over(Transport::LongPolling).await;
}

#[tokio::test]
async fn caller_state_round_trips_and_only_changes_come_back() {
    let visits = HubServer::new(visits_hub());
    let server = Server::start(vec![visits], None).await;
    let data = r#"[{"name":"visits"},{"name":"conformance"}]"#;
    for transport in Transport::ALL {
        let mut a = Peer::connect_with(
            reqwest::Client::new(),
            &server.url("/signalr"),
            transport,
            data,
        )
        .await;
        let r = a
            .call_with(
                "visits",
                "Visit",
                json!([]),
                Some(json!({ "visits": 4, "room": "x" })),
            )
            .await;
        assert_eq!(
            r,
            json!({ "S": { "visits": 5 }, "R": 4, "I": "0" }),
            "{}",
            transport.name()
        );
        let r = a.call_with("visits", "Visit", json!([]), None).await;
        assert_eq!(
            r,
            json!({ "S": { "visits": 1 }, "R": 0, "I": "1" }),
            "{}",
            transport.name()
        );
        // A method that leaves the state alone sends none back.
        let r = a
            .call_with(
                "conformance",
                "Echo",
                json!(["s"]),
                Some(json!({ "visits": 1 })),
            )
            .await;
        assert_eq!(r, json!({ "R": "s", "I": "2" }), "{}", transport.name());
        a.abort().await;
    }
}

async fn groups_over(transport: Transport) {
    let server = Server::start(Vec::new(), None).await;
    let base = server.url("/signalr");
    let t = transport.name();
    let mut a = Peer::connect(&base, transport).await;
    let mut b = Peer::connect(&base, transport).await;
    assert_eq!(
        a.call("JoinGroup", json!(["room"])).await,
        json!({ "I": "0" })
    );
    b.call("SendToGroup", json!(["room", "one"])).await;
    let m = a.message(|m| m["M"] == "GroupMessage").await;
    assert_eq!(m["A"], json!(["room", "one"]), "{t}");
    let token = a
        .groups_token
        .clone()
        .expect("a groups token after joining");
    assert!(
        !token.contains("room"),
        "{t}: the groups token is protected: {token}"
    );

    // A cut connection that reconnects with its groups token is still in the group, and
    // a foreign groups token (another connection's) is ignored.
    a.cut();
    a.open("reconnect").await;
    b.call("SendToGroup", json!(["room", "two"])).await;
    let m = a
        .message(|m| m["M"] == "GroupMessage" && m["A"][1] == "two")
        .await;
    assert_eq!(m["A"], json!(["room", "two"]), "{t}");

    let mut c = Peer::connect(&base, transport).await;
    c.cut();
    c.groups_token = Some(token);
    c.open("reconnect").await;
    assert_eq!(
        a.call("LeaveGroup", json!(["room"])).await,
        json!({ "I": "1" })
    );
    b.call("SendToGroup", json!(["room", "three"])).await;
    b.call("Broadcast", json!(["marker"])).await;
    for p in [&mut a, &mut c] {
        p.message(|m| m["M"] == "Broadcasted").await;
        assert!(
            !p.messages.iter().any(|m| m["A"][1] == "three"),
            "{t}: a connection not in the group got its message"
        );
    }
}

#[tokio::test]
async fn groups_over_websockets() {
    groups_over(Transport::WebSockets).await;
}

#[tokio::test]
async fn groups_over_server_sent_events() {
    groups_over(Transport::ServerSentEvents).await;
}

#[tokio::test]
async fn groups_over_long_polling() {
    groups_over(Transport::LongPolling).await;
}

/// A connection cut while another broadcasts: reconnecting with its cursor, it gets every
/// message exactly once, in order.
async fn resume_over(transport: Transport) {
    let server = Server::start(Vec::new(), None).await;
    let base = server.url("/signalr");
    let t = transport.name();
    let mut a = Peer::connect(&base, transport).await;
    let mut b = Peer::connect(&base, transport).await;
    for i in 0..30 {
        b.call("Broadcast", json!([format!("m{i}")])).await;
    }
    // Read part of it, then lose the channel.
    while a.messages.len() < 10 {
        a.next().await;
    }
    a.cut();
    for i in 30..60 {
        b.call("Broadcast", json!([format!("m{i}")])).await;
    }
    a.open("reconnect").await;
    for i in 60..70 {
        b.call("Broadcast", json!([format!("m{i}")])).await;
    }
    while a.messages.len() < 70 {
        a.next().await;
    }
    let got: Vec<String> = a
        .messages
        .iter()
        .map(|m| m["A"][0].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..70).map(|i| format!("m{i}")).collect();
    assert_eq!(got, want, "{t}");
    assert!(
        a.persistent.iter().skip(1).all(|r| r.get("S").is_none()),
        "{t}: only the connect sends S"
    );
    // Nothing is delivered twice later either: the next message is the next one sent.
    b.call("Broadcast", json!(["last"])).await;
    while a.messages.len() < 71 {
        a.next().await;
    }
    assert_eq!(a.messages[70]["A"], json!(["last"]), "{t}");
}

#[tokio::test]
async fn a_reconnect_with_its_cursor_resumes_over_websockets() {
    resume_over(Transport::WebSockets).await;
}

#[tokio::test]
async fn a_reconnect_with_its_cursor_resumes_over_server_sent_events() {
    resume_over(Transport::ServerSentEvents).await;
}

#[tokio::test]
async fn a_reconnect_with_its_cursor_resumes_over_long_polling() {
    resume_over(Transport::LongPolling).await;
}

#[tokio::test]
async fn connections_of_different_transports_reach_each_other() {
    let server = Server::start(Vec::new(), None).await;
    let base = server.url("/signalr");
    let mut ws = Peer::connect(&base, Transport::WebSockets).await;
    let mut sse = Peer::connect(&base, Transport::ServerSentEvents).await;
    let mut lp = Peer::connect(&base, Transport::LongPolling).await;
    ws.call("Broadcast", json!(["across"])).await;
    for p in [&mut ws, &mut sse, &mut lp] {
        let m = p.message(|m| m["M"] == "Broadcasted").await;
        assert_eq!(m["A"], json!(["across"]), "{}", p.transport.name());
    }
}
