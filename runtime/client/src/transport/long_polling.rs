//! The long polling transport: a series of `GET {hub}?id=TOKEN` polls, each answered with
//! what the server queued (or empty after its poll timeout, 204 once the connection is gone);
//! each send is an HTTP POST, and `DELETE` ends the connection.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::http::{self, Deliver, Incoming, Poster};
use crate::config::Config;
use crate::error::{ClientError, Operation};

/// A poll's answer: data (possibly none) to read, or the end of the connection (204).
enum Polled {
    Data(reqwest::Response, Instant),
    Ended,
}

/// One poll; its answer must be complete by the returned deadline.
async fn poll(
    client: &reqwest::Client,
    url: &Url,
    headers: &HeaderMap,
    timeout: Duration,
) -> Result<Polled, ClientError> {
    let deadline = Instant::now() + timeout;
    let mut url = url.clone();
    // As the official clients: a unique query defeats caches.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    url.query_pairs_mut().append_pair("_", &now.to_string());
    let request = client.get(url).headers(headers.clone()).send();
    let response = tokio::time::timeout_at(deadline, request)
        .await
        .map_err(|_| ClientError::Timeout {
            operation: Operation::Poll,
            after: timeout,
        })?
        .map_err(|e| ClientError::request(Operation::Poll, e))?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(Polled::Data(response, deadline)),
        reqwest::StatusCode::NO_CONTENT => Ok(Polled::Ended),
        status => Err(ClientError::Status {
            operation: Operation::Poll,
            status: status.as_u16(),
        }),
    }
}

/// Starts the connection with a first poll at `url` (the hub URL with its `id`), then polls
/// in the background.
pub(crate) async fn connect(
    client: &reqwest::Client,
    url: &Url,
    config: &Config,
    token: Option<&str>,
) -> Result<(Poster, Incoming), ClientError> {
    let headers = http::headers(config, token)?;
    let timeout = config.long_poll_timeout;
    let first = match poll(client, url, &headers, timeout).await? {
        Polled::Data(response, deadline) => (response, deadline),
        Polled::Ended => {
            return Err(ClientError::Status {
                operation: Operation::Poll,
                status: 204,
            });
        }
    };
    let poster = Poster::new(client.clone(), url.clone(), headers.clone(), config);
    let (client, url) = (client.clone(), url.clone());
    let incoming = Incoming::spawn(move |tx| poll_loop(client, url, headers, timeout, first, tx));
    Ok((poster, incoming))
}

/// Forwards each poll's body as it arrives, then polls again, until the server ends the
/// connection or a poll fails (a poll that outlives its timeout fails: the server answers
/// within its own poll timeout, so it is gone).
async fn poll_loop(
    client: reqwest::Client,
    url: Url,
    headers: HeaderMap,
    timeout: Duration,
    first: (reqwest::Response, Instant),
    tx: Deliver,
) {
    let mut next = Some(first);
    loop {
        if let Some((mut response, deadline)) = next.take() {
            loop {
                let chunk = match tokio::time::timeout_at(deadline, response.chunk()).await {
                    Ok(Ok(Some(chunk))) => chunk,
                    Ok(Ok(None)) => break,
                    Ok(Err(e)) => {
                        let _ = tx.send(Err(ClientError::request(Operation::Poll, e))).await;
                        return;
                    }
                    Err(_) => {
                        let _ = tx
                            .send(Err(ClientError::Timeout {
                                operation: Operation::Poll,
                                after: timeout,
                            }))
                            .await;
                        return;
                    }
                };
                if !chunk.is_empty() && tx.send(Ok::<Bytes, _>(chunk)).await.is_err() {
                    return;
                }
            }
        }
        match poll(&client, &url, &headers, timeout).await {
            Ok(Polled::Data(response, deadline)) => next = Some((response, deadline)),
            Ok(Polled::Ended) => return,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
    }
}
