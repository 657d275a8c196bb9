//! The negotiate request: `POST {hub}/negotiate`, its redirects, and what its answer allows.

use reqwest::Url;
use signalr_protocol::ProtocolError;
use signalr_protocol::negotiate::NegotiateResponse;

use super::http;
use crate::config::Config;
use crate::error::{ClientError, Operation};

/// The most negotiate redirects followed, as the official clients.
const MAX_REDIRECTS: usize = 100;

/// The largest negotiate response read (a server cannot make the client buffer more).
const MAX_RESPONSE_SIZE: usize = 1024 * 1024;

/// A negotiate answer and where it was obtained.
#[derive(Debug)]
pub(crate) struct Negotiated {
    /// The hub URL after the redirects.
    pub(crate) url: Url,
    /// The access token for the rest of the attempt (a redirect's, or the factory's).
    pub(crate) token: Option<String>,
    /// Whether `token` came from a redirect (it then replaces the factory for good).
    pub(crate) token_from_redirect: bool,
    /// The answer.
    pub(crate) response: NegotiateResponse,
}

/// One negotiate request, its answer read within the HTTP request timeout.
pub(crate) async fn request(
    client: &reqwest::Client,
    config: &Config,
    url: &Url,
    token: Option<&str>,
) -> Result<NegotiateResponse, ClientError> {
    let headers = http::headers(config, token)?;
    let stateful = config.stateful_reconnect.is_some();
    let exchange = async {
        let mut response = client
            .post(http::negotiate_url(url, stateful))
            .headers(headers)
            .send()
            .await
            .map_err(|e| ClientError::request(Operation::Negotiate, e))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(ClientError::Status {
                operation: Operation::Negotiate,
                status: status.as_u16(),
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ClientError::request(Operation::Negotiate, e))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_SIZE {
                return Err(ProtocolError::MessageTooLarge {
                    limit: MAX_RESPONSE_SIZE,
                }
                .into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(NegotiateResponse::parse(&body)?)
    };
    let response = tokio::time::timeout(config.http_request_timeout, exchange)
        .await
        .map_err(|_| ClientError::Timeout {
            operation: Operation::Negotiate,
            after: config.http_request_timeout,
        })??;
    if response.use_stateful_reconnect && !stateful {
        return Err(ClientError::UnexpectedStatefulReconnect);
    }
    Ok(response)
}

/// Negotiates at `url`, following redirects (whose access token replaces `token`).
pub(crate) async fn negotiate(
    client: &reqwest::Client,
    config: &Config,
    url: Url,
    token: Option<String>,
) -> Result<Negotiated, ClientError> {
    let (mut url, mut token, mut token_from_redirect) = (url, token, false);
    for _ in 0..MAX_REDIRECTS {
        let response = request(client, config, &url, token.as_deref()).await?;
        let Some(next) = &response.url else {
            return Ok(Negotiated {
                url,
                token,
                token_from_redirect,
                response,
            });
        };
        url = http::parse_url(next)?;
        if let Some(t) = &response.access_token {
            token = Some(t.clone());
            token_from_redirect = true;
        }
    }
    Err(ClientError::TooManyRedirects)
}
