//! Bad input to the classic endpoint: each gets the classic server's status code and text,
//! and a bystander connection is served throughout.

use reqwest::StatusCode;
use serde_json::json;
use signalr_server::{AuthRequest, HubServer, Identity, Refusal};

use super::peer::{
    CONFORMANCE, Peer, Server, Transport, enc, get, negotiate, post_form, status_line, visits_hub,
};

const UNKNOWN_TRANSPORT: &str = "Protocol error: Unknown transport.";
const MISSING_TOKEN: &str = "Protocol error: Missing connection token.";
const BAD_TOKEN: &str = "The ConnectionId is in the incorrect format.";
const OTHER_USER: &str = "Unrecognized user identity.  The user identity cannot change during an active SignalR connection.";

/// The user is the access token (`Authorization: Bearer` or `access_token`).
fn user_of(req: &AuthRequest<'_>) -> std::future::Ready<Result<Option<Identity>, Refusal>> {
    std::future::ready(Ok(req.bearer_token().map(Identity::new)))
}

/// `{base}/{what}?…` with the given transport and token and the conformance hub.
fn url(base: &str, what: &str, transport: Option<&str>, token: Option<&str>) -> String {
    let mut u = format!("{base}/{what}?clientProtocol=2.1");
    if let Some(t) = transport {
        u.push_str(&format!("&transport={t}"));
    }
    if let Some(t) = token {
        u.push_str(&format!("&connectionToken={}", enc(t)));
    }
    u.push_str(&format!("&connectionData={}", enc(CONFORMANCE)));
    u
}

#[tokio::test]
async fn bad_requests_get_the_classic_answers_and_disturb_no_one() {
    let visits = HubServer::new(visits_hub());
    let secure_hub = HubServer::builder(signalr_examples::conformance::hub())
        .authenticate(user_of)
        .build()
        .unwrap();
    let server = Server::start(vec![visits], Some(secure_hub)).await;
    let other = Server::start(Vec::new(), None).await;
    let base = server.url("/signalr");
    let http = reqwest::Client::new();
    let mut bystander = Peer::connect(&base, Transport::WebSockets).await;
    let token = negotiate(&http, &base, CONFORMANCE).await["ConnectionToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // Transports: unknown, missing, and the forever frame (never served).
    for transport in [Some("carrierPigeon"), None, Some("foreverFrame"), Some("")] {
        for what in ["connect", "send", "start", "reconnect"] {
            let (status, body) = get(&http, &url(&base, what, transport, Some(&token))).await;
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::BAD_REQUEST, UNKNOWN_TRANSPORT),
                "{what} {transport:?}"
            );
        }
    }
    // Tokens: missing, garbage, tampered, another server's.
    let (status, body) = get(&http, &url(&base, "connect", Some("longPolling"), None)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, MISSING_TOKEN)
    );
    let mut tampered = token.clone().into_bytes();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let foreign = negotiate(&http, &other.url("/signalr"), CONFORMANCE).await["ConnectionToken"]
        .as_str()
        .unwrap()
        .to_owned();
    for bad in ["abc", "", &tampered, &foreign, &format!("{token}x")] {
        for (what, transport) in [
            ("connect", "serverSentEvents"),
            ("start", "webSockets"),
            ("send", "longPolling"),
        ] {
            let (status, body) = if what == "send" {
                post_form(
                    &http,
                    &url(&base, what, Some(transport), Some(bad)),
                    &[("data", "{}")],
                )
                .await
            } else {
                get(&http, &url(&base, what, Some(transport), Some(bad))).await
            };
            let want = if bad.is_empty() {
                MISSING_TOKEN
            } else {
                BAD_TOKEN
            };
            assert_eq!(
                (status, body.as_str()),
                (StatusCode::BAD_REQUEST, want),
                "{what} with {bad:?}"
            );
        }
    }
    // A token is bound to its user.
    let secure = server.url("/secure");
    let alice = negotiate(&http, &secure, CONFORMANCE).await;
    assert!(alice.get("ConnectionToken").is_some());
    let (status, body) = get(
        &http,
        &format!(
            "{secure}/negotiate?access_token=alice&connectionData={}",
            enc(CONFORMANCE)
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let alices: serde_json::Value = serde_json::from_str(&body).unwrap();
    let alices = alices["ConnectionToken"].as_str().unwrap();
    for who in ["&access_token=bob", "&access_token=ALICE2", ""] {
        let (status, body) = get(
            &http,
            &format!(
                "{}{who}",
                url(&secure, "start", Some("longPolling"), Some(alices))
            ),
        )
        .await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::FORBIDDEN, OTHER_USER),
            "{who:?}"
        );
    }
    let (status, body) = get(
        &http,
        &format!(
            "{}&access_token=Alice",
            url(&secure, "start", Some("longPolling"), Some(alices))
        ),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{ "Response": "started" }"#),
        "user names compare case-insensitively"
    );
    // JSONP is refused with the classic reason phrase.
    for what in ["negotiate", "ping", "start"] {
        let path = format!(
            "/signalr/{what}?callback=jQuery123&transport=longPolling&connectionToken={}&connectionData={}",
            enc(&token),
            enc(CONFORMANCE)
        );
        assert_eq!(
            status_line(&server.origin, &path).await,
            "HTTP/1.1 403 Forbidden: JSONP is disabled.",
            "{what}"
        );
    }
    // A WebSocket connect that is not an upgrade.
    let (status, body) = get(
        &http,
        &url(&base, "connect", Some("webSockets"), Some(&token)),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::BAD_REQUEST, "Not a valid web socket request.")
    );
    // connectionData: an unknown hub, a duplicate, not JSON.
    for (data, want) in [
        (
            r#"[{"name":"nosuch"}]"#,
            Some("'nosuch' Hub could not be resolved."),
        ),
        (
            r#"[{"name":"conformance"},{"name":"Conformance"}]"#,
            Some("Duplicate Hub names found."),
        ),
        ("[{", None),
    ] {
        let (status, body) = get(
            &http,
            &format!(
                "{base}/negotiate?clientProtocol=2.1&connectionData={}",
                enc(data)
            ),
        )
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{data}: {body}");
        if let Some(want) = want {
            assert_eq!(body, want, "{data}");
        }
    }

    for transport in [Transport::ServerSentEvents, Transport::LongPolling] {
        let t = transport.name();
        let mut a = Peer::connect(&base, transport).await;
        // data= bodies: too large, missing, not JSON, not a hub call, state too long.
        let big = format!(
            r#"{{"H":"conformance","M":"Echo","A":["{}"],"I":0}}"#,
            "x".repeat(70 << 10)
        );
        let (status, body) = a.send_raw(&big).await.unwrap();
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{t}");
        assert_eq!(
            body, "The message exceeds the maximum size of 65536 bytes.",
            "{t}"
        );
        let (status, _) = post_form(&a.http, &a.url("send", ""), &[("nodata", "1")]).await;
        assert_eq!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{t}: no data field"
        );
        for junk in ["not json", "[1,2]", r#"{"H":1}"#, "{", "\u{0}"] {
            let (status, _) = a.send_raw(junk).await.unwrap();
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{t}: {junk:?}");
        }
        let state = json!({ "s": "y".repeat(5000) });
        let call =
            json!({ "H": "conformance", "M": "Echo", "A": ["x"], "I": 0, "S": state }).to_string();
        let (status, body) = a.send_raw(&call).await.unwrap();
        assert_eq!(
            (status, body.as_str()),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "State has exceeded the maximum length of 4096 bytes."
            ),
            "{t}"
        );
        // A hub the endpoint does not have; a hub of the endpoint the client did not
        // subscribe to is callable, as on the classic server.
        let call = json!({ "H": "nosuch", "M": "Echo", "A": ["x"], "I": 0 }).to_string();
        let (status, body) = a.send_raw(&call).await.unwrap();
        assert_eq!(
            (status, body.as_str()),
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "'nosuch' Hub could not be resolved."
            ),
            "{t}"
        );
        assert_eq!(
            a.call_with("visits", "Visit", json!([]), None).await["R"],
            json!(0),
            "{t}"
        );
        // A malformed cursor.
        let (status, body) = get(&a.http, &a.url("reconnect", "&messageId=d-zz")).await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, "Invalid cursor."),
            "{t}"
        );
        // The connection still works.
        assert_eq!(a.call("Echo", json!(["fine"])).await["R"], "fine", "{t}");
        a.abort().await;
    }

    // Over WebSockets a message past the limit closes that socket only.
    let mut w = Peer::connect(&base, Transport::WebSockets).await;
    let big = format!(
        r#"{{"H":"conformance","M":"Echo","A":["{}"],"I":0}}"#,
        "x".repeat(70 << 10)
    );
    w.send_raw(&big).await;
    assert_eq!(
        w.close_code().await,
        Some(1009),
        "the oversize message's socket is closed"
    );

    // The bystander saw none of it.
    assert_eq!(
        bystander.call("Echo", json!(["still here"])).await["R"],
        "still here"
    );
    let mut b2 = Peer::connect(&base, Transport::LongPolling).await;
    b2.call("Broadcast", json!(["after"])).await;
    let m = bystander.message(|m| m["M"] == "Broadcasted").await;
    assert_eq!(m["A"], json!(["after"]));
}
