//! Authorization of tunnelled calls, on top of the server's own (every HTTP request of
//! the connection authenticated, the hub's requirements checked when it connects): a
//! method's requirements are checked per call against the message credential
//! (`ClientRequestMessage.Authorization`, authenticated by the server's authenticator as
//! if it were the connect request's `Authorization` header, and cached for a while), or
//! else against the connection's user. A running stream whose credential lapses asks the
//! client for a fresh one (`ChallengeAuthentication`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderValue, Request, header};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::auth::AuthRequest;
use crate::clients::Caller;
use crate::hub::Requirement;
use crate::identity::Identity;

use super::Shared;
use super::failure::Failure;
use super::messages::CHALLENGE_AUTHENTICATION;
use super::state::{CachedCredential, ClientState};

/// When a call's authorization must be checked again (`None`: it does not lapse).
pub(crate) type Recheck = Option<Instant>;

/// A credential as an `Authorization` header value: a bare token becomes `Bearer token`.
fn with_scheme(credential: &str) -> String {
    let credential = credential.trim();
    if credential.contains(' ') {
        credential.to_owned()
    } else {
        format!("Bearer {credential}")
    }
}

/// When an identity stops standing: its credential's expiry, if any.
fn expiry_of(identity: &Identity) -> Option<Instant> {
    let at = identity.expiry()?;
    let left = at
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    Some(Instant::now() + left)
}

impl Shared {
    /// Whether `caller` may call a method with `requirements`, sending `credential`.
    pub(crate) async fn authorize(
        &self,
        caller: &Caller,
        credential: &str,
        method: &str,
        requirements: &[Requirement],
    ) -> Result<Recheck, Failure> {
        if requirements.is_empty() {
            return Ok(None);
        }
        let state = self.client(&caller.connection_id);
        let (identity, until) = match &state {
            Some(state) if !credential.trim().is_empty() => {
                self.message_identity(state, credential).await?
            }
            _ => self.standing_identity(state.as_deref(), caller)?,
        };
        self.ctx
            .auth
            .authorize(requirements, Some(&identity), Some(method))
            .await
            .map_err(|_| Failure::unauthorized())?;
        Ok(until)
    }

    /// The identity of a credential a message brought (cached while it stands).
    async fn message_identity(
        &self,
        state: &ClientState,
        credential: &str,
    ) -> Result<(Arc<Identity>, Recheck), Failure> {
        let credential = with_scheme(credential);
        if let Ok(mut c) = state.credentials.lock() {
            c.declined = false;
            if let Some(cached) = &c.cached
                && cached.credential == credential
                && cached.valid_until > Instant::now()
            {
                return Ok((cached.identity.clone(), Some(cached.valid_until)));
            }
        }
        let identity = Arc::new(self.authenticate(state, &credential).await?);
        let mut until = Instant::now() + self.options.auth_cache_duration;
        if let Some(expires) = expiry_of(&identity) {
            until = until.min(expires);
        }
        if let Ok(mut c) = state.credentials.lock() {
            c.cached = Some(CachedCredential {
                credential,
                identity: identity.clone(),
                valid_until: until,
            });
        }
        Ok((identity, Some(until)))
    }

    /// The identity a call without a credential stands on: a cached message credential
    /// while it stands, else the connection's user while its credential has not expired.
    fn standing_identity(
        &self,
        state: Option<&ClientState>,
        caller: &Caller,
    ) -> Result<(Arc<Identity>, Recheck), Failure> {
        if let Some(state) = state
            && let Ok(c) = state.credentials.lock()
            && let Some(cached) = &c.cached
            && cached.valid_until > Instant::now()
        {
            return Ok((cached.identity.clone(), Some(cached.valid_until)));
        }
        match &caller.identity {
            Some(identity) if !identity.is_expired() => Ok((identity.clone(), expiry_of(identity))),
            _ => Err(Failure::unauthorized()),
        }
    }

    /// Authenticates `credential` (with its scheme) with the server's authenticator, as
    /// the connect request carrying it in its `Authorization` header.
    async fn authenticate(
        &self,
        state: &ClientState,
        credential: &str,
    ) -> Result<Identity, Failure> {
        let value = HeaderValue::from_str(credential).map_err(|_| Failure::unauthorized())?;
        let mut builder = Request::get(state.request.as_ref().map_or("/", |r| r.uri.path()));
        if let Some(r) = &state.request {
            for (name, v) in &r.headers {
                if name != header::AUTHORIZATION {
                    builder = builder.header(name, v);
                }
            }
        }
        let (parts, ()) = builder
            .header(header::AUTHORIZATION, value)
            .body(())
            .map_err(|_| Failure::unauthorized())?
            .into_parts();
        // The message credential is the only one: the transport's query token is left out.
        let query: HashMap<String, String> = state
            .request
            .as_ref()
            .map(|r| {
                r.query
                    .iter()
                    .filter(|(k, _)| k.as_str() != "access_token")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let request = AuthRequest {
            parts: &parts,
            query: &query,
            remote: None,
        };
        match self.ctx.auth.authenticate(&request).await {
            Ok(Some(identity)) => Ok(identity),
            Ok(None) | Err(_) => Err(Failure::unauthorized()),
        }
    }

    /// Asks the client of a running stream for a fresh credential and checks it.
    pub(crate) async fn challenge(
        &self,
        caller: &Caller,
        method: &str,
        requirements: &[Requirement],
        cancellation: &CancellationToken,
    ) -> Result<Recheck, Failure> {
        let state = self
            .client(&caller.connection_id)
            .ok_or_else(Failure::unauthorized)?;
        if state.credentials.lock().is_ok_and(|c| c.declined) {
            return Err(Failure::unauthorized());
        }
        let client = caller.clients.caller();
        let asked = client.invoke_raw(CHALLENGE_AUTHENTICATION, &(), cancellation);
        let answer = tokio::time::timeout(self.options.challenge_timeout, asked)
            .await
            .ok()
            .and_then(Result::ok)
            .flatten()
            .and_then(|p| p.bind::<Option<String>>().ok().flatten())
            .unwrap_or_default();
        if answer.trim().is_empty() {
            if let Ok(mut c) = state.credentials.lock() {
                c.declined = true;
                c.cached = None;
            }
            return Err(Failure::unauthorized());
        }
        let (identity, until) = self.message_identity(&state, &answer).await?;
        self.ctx
            .auth
            .authorize(requirements, Some(&identity), Some(method))
            .await
            .map_err(|_| Failure::unauthorized())?;
        Ok(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_tokens_get_the_bearer_scheme() {
        assert_eq!(with_scheme("abc"), "Bearer abc");
        assert_eq!(with_scheme("Basic dXNlcg=="), "Basic dXNlcg==");
        assert_eq!(with_scheme(" Bearer x "), "Bearer x");
    }
}
