//! The URLs of a classic connection's requests, in the order the classic JavaScript client
//! writes their query parameters: `{url}/negotiate`, and with a transport and connection
//! token `connect`, `reconnect`, `poll`, `start`, `send` and `abort`.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Url;
use signalr_protocol::classic::HubSubscription;

/// The protocol version the client names (`clientProtocol`): long polling by `POST` with
/// the cursor in the form, `/start` raising `OnConnected`; no negotiate redirects.
pub(crate) const CLIENT_PROTOCOL: &str = "1.5";

/// The `connectionData` of the hubs a connection subscribes to: `[{"name":"chathub"}]`.
pub(crate) fn connection_data(hubs: &[String]) -> String {
    let list: Vec<HubSubscription> = hubs
        .iter()
        .map(|h| HubSubscription {
            name: h.to_lowercase(),
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned())
}

/// Milliseconds since the epoch, the cache buster of `GET` requests (`_`).
fn now_ms() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        .to_string()
}

/// `base` with `/{what}` appended to its path and no query.
fn at(base: &Url, what: &str) -> Url {
    let mut u = base.clone();
    let path = format!("{}/{what}", base.path().trim_end_matches('/'));
    u.set_path(&path);
    u.set_query(None);
    u
}

/// The query the user put in the endpoint's URL, passed on with every request.
fn user_query(base: &Url) -> Vec<(String, String)> {
    base.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `{base}/negotiate?clientProtocol=…[&qs]&connectionData=…&_=…`.
pub(crate) fn negotiate(base: &Url, data: &str) -> Url {
    let mut u = at(base, "negotiate");
    {
        let mut q = u.query_pairs_mut();
        q.append_pair("clientProtocol", CLIENT_PROTOCOL);
        q.extend_pairs(user_query(base));
        q.append_pair("connectionData", data);
        q.append_pair("_", &now_ms());
    }
    u
}

/// What a connection's requests carry: its endpoint, transport, token and hubs.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    pub(crate) base: Url,
    pub(crate) transport: &'static str,
    pub(crate) token: String,
    pub(crate) data: String,
}

impl Urls {
    /// `{base}/{what}?transport=…[&extra…]&clientProtocol=…[&qs]&connectionToken=…&connectionData=…`.
    pub(crate) fn request(&self, what: &str, extra: &[(&str, &str)]) -> Url {
        let mut u = at(&self.base, what);
        {
            let mut q = u.query_pairs_mut();
            q.append_pair("transport", self.transport);
            for (k, v) in extra {
                q.append_pair(k, v);
            }
            q.append_pair("clientProtocol", CLIENT_PROTOCOL);
            q.extend_pairs(user_query(&self.base));
            q.append_pair("connectionToken", &self.token);
            q.append_pair("connectionData", &self.data);
        }
        u
    }

    /// The receive request `what` (`connect` or `reconnect`) of WebSockets and Server-Sent
    /// Events, with the groups token and (reconnecting) cursor in the query.
    pub(crate) fn receive(
        &self,
        what: &str,
        cursor: Option<&str>,
        groups_token: Option<&str>,
    ) -> Url {
        let mut extra = Vec::new();
        if let Some(g) = groups_token {
            extra.push(("groupsToken", g));
        }
        if let Some(c) = cursor.filter(|_| what != "connect") {
            extra.push(("messageId", c));
        }
        let mut u = self.request(what, &extra);
        let tid = u64::from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos()),
        ) % 11;
        u.query_pairs_mut().append_pair("tid", &tid.to_string());
        u
    }

    /// `/start`, with the cache buster.
    pub(crate) fn start(&self) -> Url {
        let mut u = self.request("start", &[]);
        u.query_pairs_mut().append_pair("_", &now_ms());
        u
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn urls_as_the_classic_client_builds_them() {
        let base = Url::parse("http://h:5/signalr/?k=v").unwrap();
        let data = connection_data(&["Conformance".to_owned()]);
        assert_eq!(data, r#"[{"name":"conformance"}]"#);
        let n = negotiate(&base, &data);
        assert!(
            n.as_str().starts_with(
                "http://h:5/signalr/negotiate?clientProtocol=1.5&k=v&connectionData=%5B%7B%22name%22%3A%22conformance%22%7D%5D&_="
            ),
            "{n}"
        );
        let urls = Urls {
            base,
            transport: "webSockets",
            token: "a+b/c".into(),
            data: "[]".into(),
        };
        assert_eq!(
            urls.request("send", &[]).as_str(),
            "http://h:5/signalr/send?transport=webSockets&clientProtocol=1.5&k=v&connectionToken=a%2Bb%2Fc&connectionData=%5B%5D"
        );
        let r = urls.receive("reconnect", Some("d-1-A,1"), Some("g"));
        assert!(
            r.as_str().starts_with(
                "http://h:5/signalr/reconnect?transport=webSockets&groupsToken=g&messageId=d-1-A%2C1&clientProtocol=1.5"
            ),
            "{r}"
        );
        let c = urls.receive("connect", Some("d-1-A,1"), None);
        assert!(!c.as_str().contains("messageId"), "{c}");
        assert!(c.as_str().contains("&tid="), "{c}");
    }
}
