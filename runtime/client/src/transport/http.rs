//! What negotiate and every transport share: the URLs built from the hub URL, the headers of
//! every request (the configured ones and the access token), and the HTTP client with the
//! connection's TLS settings.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use signalr_protocol::TransferFormat;
use signalr_protocol::negotiate::NEGOTIATE_VERSION;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::error::{ClientError, Message, Operation};

/// Chunks received by an HTTP transport's background task, waiting for the session driver.
const INCOMING_CHUNKS: usize = 16;

/// Parses the hub URL (`http`, `https`, `ws` or `wss`).
pub(crate) fn parse_url(url: &str) -> Result<Url, ClientError> {
    let invalid = |source: Arc<dyn std::error::Error + Send + Sync>| ClientError::InvalidUrl {
        url: url.to_owned(),
        source,
    };
    let parsed = Url::parse(url).map_err(|e| invalid(Arc::new(e)))?;
    match parsed.scheme() {
        "http" | "https" | "ws" | "wss" => Ok(parsed),
        other => Err(invalid(Arc::new(Message(format!(
            "unsupported scheme '{other}'"
        ))))),
    }
}

/// Switches between the HTTP and WebSocket schemes (`secure` stays as it was).
pub(crate) fn with_scheme(url: &Url, websocket: bool) -> Url {
    let secure = matches!(url.scheme(), "https" | "wss");
    let scheme = match (websocket, secure) {
        (true, false) => "ws",
        (true, true) => "wss",
        (false, false) => "http",
        (false, true) => "https",
    };
    let mut u = url.clone();
    // Switching between special schemes always succeeds.
    let _ = u.set_scheme(scheme);
    u
}

/// `{url}/negotiate?...&negotiateVersion=1[&useStatefulReconnect=true]`, as the official
/// clients build it.
pub(crate) fn negotiate_url(url: &Url, stateful_reconnect: bool) -> Url {
    let mut u = with_scheme(url, false);
    let mut path = u.path().to_owned();
    if !path.ends_with('/') {
        path.push('/');
    }
    path.push_str("negotiate");
    u.set_path(&path);
    let has = |name: &str| u.query_pairs().any(|(k, _)| k == name);
    let (version, stateful) = (has("negotiateVersion"), has("useStatefulReconnect"));
    if !version {
        u.query_pairs_mut()
            .append_pair("negotiateVersion", &NEGOTIATE_VERSION.to_string());
    }
    if stateful_reconnect && !stateful {
        u.query_pairs_mut()
            .append_pair("useStatefulReconnect", "true");
    }
    u
}

/// The URL of a transport's requests: the hub URL with the connection token as `id`.
pub(crate) fn connect_url(url: &Url, connection_token: Option<&str>) -> Url {
    let mut u = with_scheme(url, false);
    if let Some(token) = connection_token {
        u.query_pairs_mut().append_pair("id", token);
    }
    u
}

/// `url` with the access token as the `access_token` query parameter, as browsers send it
/// on WebSocket and Server-Sent Events requests.
pub(crate) fn with_access_token(url: &Url, token: &str) -> Url {
    let mut u = url.clone();
    u.query_pairs_mut().append_pair("access_token", token);
    u
}

fn invalid_header(name: &str, e: impl std::error::Error + Send + Sync + 'static) -> ClientError {
    ClientError::InvalidHeader {
        name: name.to_owned(),
        source: Arc::new(e),
    }
}

/// The configured headers, and `Authorization: Bearer {token}` when there is a token.
pub(crate) fn headers(config: &Config, token: Option<&str>) -> Result<HeaderMap, ClientError> {
    let mut map = HeaderMap::new();
    for (name, value) in &config.headers {
        let header =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid_header(name, e))?;
        let value = HeaderValue::from_str(value).map_err(|e| invalid_header(name, e))?;
        map.append(header, value);
    }
    if let Some(token) = token {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| invalid_header("Authorization", e))?;
        value.set_sensitive(true);
        map.insert(AUTHORIZATION, value);
    }
    Ok(map)
}

/// The TLS settings of `https` and `wss`: the public roots and the configured certificates.
pub(crate) fn tls_config(config: &Config) -> Result<rustls::ClientConfig, ClientError> {
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for certificate in &config.root_certificates {
        roots
            .add(certificate.clone())
            .map_err(|e| ClientError::InvalidCertificate(Arc::new(e)))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::HttpClient(Arc::new(e)))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The HTTP client of negotiate and the HTTP transports, with the connection's TLS settings.
pub(crate) fn client(config: &Config) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .no_proxy()
        .use_preconfigured_tls(tls_config(config)?)
        .build()
        .map_err(|e| ClientError::HttpClient(Arc::new(e)))
}

/// The sending half of the HTTP transports: each send is one `POST {hub}?id=TOKEN`.
#[derive(Debug)]
pub(crate) struct Poster {
    client: reqwest::Client,
    url: Url,
    headers: HeaderMap,
    timeout: Duration,
}

impl Poster {
    /// Posts to `url` (the hub URL with its `id`) with `headers`.
    pub(crate) fn new(
        client: reqwest::Client,
        url: Url,
        mut headers: HeaderMap,
        config: &Config,
    ) -> Self {
        let content_type = match config.protocol.transfer_format() {
            TransferFormat::Text => "text/plain;charset=UTF-8",
            TransferFormat::Binary => "application/octet-stream",
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        Poster {
            client,
            url,
            headers,
            timeout: config.http_request_timeout,
        }
    }

    /// Sends `data` (whole frames) in one request, within the HTTP request timeout.
    pub(crate) async fn send(&self, data: Bytes) -> Result<(), ClientError> {
        let request = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(data)
            .send();
        let response = tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| ClientError::Timeout {
                operation: Operation::Send,
                after: self.timeout,
            })?
            .map_err(|e| ClientError::request(Operation::Send, e))?;
        match response.status() {
            reqwest::StatusCode::OK => Ok(()),
            status => Err(ClientError::Status {
                operation: Operation::Send,
                status: status.as_u16(),
            }),
        }
    }

    /// `DELETE {hub}?id=TOKEN`, which ends a long-polling connection; waits `within` at most
    /// and ignores the answer (the connection is ending either way).
    pub(crate) async fn delete(&self, within: Duration) {
        let request = self
            .client
            .delete(self.url.clone())
            .headers(self.headers.clone())
            .send();
        let _ = tokio::time::timeout(within, request).await;
    }
}

/// The receiving half of the HTTP transports: what a background task (the event stream's
/// reader, or the poll loop) received, in order. Dropping it stops the task.
#[derive(Debug)]
pub(crate) struct Incoming {
    rx: mpsc::Receiver<Result<Bytes, ClientError>>,
    task: JoinHandle<()>,
}

/// Where an HTTP transport's task delivers what it receives.
pub(crate) type Deliver = mpsc::Sender<Result<Bytes, ClientError>>;

impl Incoming {
    /// Runs `task` with the sending end of a bounded channel (it waits while the driver is
    /// behind, so memory stays bounded).
    pub(crate) fn spawn<F, Fut>(task: F) -> Self
    where
        F: FnOnce(Deliver) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(INCOMING_CHUNKS);
        Incoming {
            rx,
            task: tokio::spawn(task(tx)),
        }
    }

    /// The next chunk; `None` once the task ended without an error.
    pub(crate) async fn recv(&mut self) -> Option<Result<Bytes, ClientError>> {
        self.rx.recv().await
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn urls_as_the_official_clients_build_them() {
        let u = parse_url("http://h:5/hubs/chat").unwrap();
        assert_eq!(
            negotiate_url(&u, false).as_str(),
            "http://h:5/hubs/chat/negotiate?negotiateVersion=1"
        );
        assert_eq!(
            negotiate_url(&u, true).as_str(),
            "http://h:5/hubs/chat/negotiate?negotiateVersion=1&useStatefulReconnect=true"
        );
        assert_eq!(
            with_scheme(&connect_url(&u, Some("a+b/c")), true).as_str(),
            "ws://h:5/hubs/chat?id=a%2Bb%2Fc"
        );
        assert_eq!(
            with_access_token(&connect_url(&u, Some("t")), "x y").as_str(),
            "http://h:5/hubs/chat?id=t&access_token=x+y"
        );
        let u = parse_url("https://h/hubs/chat/?x=1").unwrap();
        assert_eq!(
            negotiate_url(&u, false).as_str(),
            "https://h/hubs/chat/negotiate?x=1&negotiateVersion=1"
        );
        assert_eq!(
            with_scheme(&connect_url(&u, None), true).as_str(),
            "wss://h/hubs/chat/?x=1"
        );
        let u = parse_url("wss://h/c?negotiateVersion=1").unwrap();
        assert_eq!(
            negotiate_url(&u, false).as_str(),
            "https://h/c/negotiate?negotiateVersion=1"
        );
        assert!(matches!(
            parse_url("ftp://h/c"),
            Err(ClientError::InvalidUrl { .. })
        ));
        assert!(parse_url("not a url").is_err());
    }

    #[test]
    fn headers_carry_the_token() {
        let mut config = Config::new("http://h/hub".into());
        config.headers.push(("X-A".into(), "1".into()));
        let map = headers(&config, Some("tok")).unwrap();
        assert_eq!(map["x-a"], "1");
        assert_eq!(map["authorization"], "Bearer tok");
        config.headers.push(("bad name".into(), "1".into()));
        assert!(matches!(
            headers(&config, None),
            Err(ClientError::InvalidHeader { .. })
        ));
    }
}
