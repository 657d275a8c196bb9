//! Bearer-token authentication with JSON Web Tokens (HS256), on the `jsonwebtoken` crate.
//!
//! The token is read where ASP.NET Core's JWT handler is usually told to look for it on a
//! hub: the `Authorization: Bearer` header, or the `access_token` query parameter (which
//! browsers use for WebSockets and Server-Sent Events). Its claims become the connection's
//! [`Identity`]: `sub` the user id, `name`, `roles`, any other string claim, and `exp` the
//! expiry.
//!
//! ```
//! use signalr_examples::jwt::{Claims, JwtAuthenticator};
//! use signalr_server::{Hub, HubServer, Requirement};
//!
//! let auth = JwtAuthenticator::hs256(b"a secret of at least 32 bytes, please!")?;
//! let token = auth.issue(&Claims::new("alice", 3600).with_role("admin"));
//! assert!(token.matches('.').count() == 2);
//! let server = HubServer::builder(Hub::new("Admin").require(Requirement::authenticated()))
//!     .authenticate(auth)
//!     .build()
//!     .expect("an authenticator is configured");
//! # drop(server);
//! # Ok::<(), jsonwebtoken::errors::Error>(())
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use signalr_server::{AuthFuture, AuthRequest, Authenticator, Identity, Refusal};

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The expiry, in seconds since the Unix epoch.
    pub exp: u64,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Any other string claims.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl Claims {
    /// Claims for `sub`, valid for `ttl_seconds` from now.
    pub fn new(sub: impl Into<String>, ttl_seconds: i64) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Claims {
            sub: sub.into(),
            exp: now.saturating_add_signed(ttl_seconds),
            name: None,
            roles: Vec::new(),
            other: BTreeMap::new(),
        }
    }

    /// With a role.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.push(role.into());
        self
    }

    /// With a string claim.
    #[must_use]
    pub fn with_claim(mut self, kind: impl Into<String>, value: impl Into<String>) -> Self {
        self.other
            .insert(kind.into(), serde_json::Value::String(value.into()));
        self
    }
}

/// Validates HS256 bearer tokens and turns their claims into an [`Identity`].
pub struct JwtAuthenticator {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuthenticator").finish_non_exhaustive()
    }
}

impl JwtAuthenticator {
    /// Tokens signed with `secret` (HS256); an expired token is refused with no leeway.
    /// Fails for an empty secret.
    pub fn hs256(secret: &[u8]) -> Result<Self, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(JwtAuthenticator {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
            validation,
        })
    }

    /// A token with these claims, signed with the secret (for tests and demos; real
    /// deployments get tokens from their identity provider).
    pub fn issue(&self, claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .unwrap_or_default()
    }

    fn identity(&self, token: &str) -> Result<Identity, Refusal> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => Refusal::challenge(
                    "Bearer error=\"invalid_token\", error_description=\"The token expired\"",
                ),
                _ => Refusal::challenge("Bearer error=\"invalid_token\""),
            })?;
        let c = data.claims;
        let mut identity = Identity::new(c.sub)
            .with_roles(c.roles)
            .expires_at(UNIX_EPOCH + Duration::from_secs(c.exp));
        if let Some(name) = c.name {
            identity = identity.with_name(name);
        }
        for (kind, value) in c.other {
            if let serde_json::Value::String(v) = value {
                identity = identity.with_claim(kind, v);
            }
        }
        Ok(identity)
    }
}

impl Authenticator for JwtAuthenticator {
    fn authenticate<'a>(
        &'a self,
        request: &'a AuthRequest<'a>,
    ) -> AuthFuture<'a, Result<Option<Identity>, Refusal>> {
        let outcome = match request.bearer_token() {
            None => Ok(None),
            Some(token) => self.identity(token).map(Some),
        };
        Box::pin(std::future::ready(outcome))
    }
}
