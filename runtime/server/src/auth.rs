//! Authentication (who the user of a request is) and authorization (whether that user may
//! connect, or invoke a method).
//!
//! Every request of a connection is authenticated: negotiate, the transport's connect,
//! and each long poll, send and delete, as ASP.NET Core does. A hub's requirements are
//! checked on each of them; a method's, on each invocation, before its arguments are bound.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::hub::Requirement;
use crate::identity::Identity;

/// A boxed future that may borrow.
pub type AuthFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What authentication sees of a request: its parts (method, URI, headers, and the
/// extensions an axum or tower layer may have filled, e.g. with a verified user), the query
/// parsed, and the peer's address when the server knows it.
#[derive(Debug)]
pub struct AuthRequest<'a> {
    /// The request's method, URI, headers and extensions.
    pub parts: &'a Parts,
    /// The query string, parsed.
    pub query: &'a HashMap<String, String>,
    /// The peer's address (with `signalr_server::serve`, or axum's `ConnectInfo`).
    pub remote: Option<SocketAddr>,
}

impl AuthRequest<'_> {
    /// The bearer token of the request, where ASP.NET Core's JWT handler is usually told to
    /// look for it: the `Authorization: Bearer` header, or else the `access_token` query
    /// parameter (which browsers use for WebSockets and Server-Sent Events, since they
    /// cannot set headers there).
    pub fn bearer_token(&self) -> Option<&str> {
        let from_header = self
            .parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .filter(|t| !t.is_empty());
        from_header.or_else(|| {
            self.query
                .get("access_token")
                .map(String::as_str)
                .filter(|t| !t.is_empty())
        })
    }
}

/// Why a request was refused: its status (401 or 403) and, for 401, the
/// `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    status: StatusCode,
    challenge: Option<String>,
}

impl Refusal {
    /// 401 Unauthorized with `WWW-Authenticate: Bearer`: no credential, or one that is not
    /// valid (bad signature, expired, unknown).
    pub fn unauthorized() -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            challenge: Some("Bearer".to_owned()),
        }
    }

    /// 401 Unauthorized with this `WWW-Authenticate` challenge (e.g.
    /// `Bearer error="invalid_token", error_description="The token expired"`).
    pub fn challenge(challenge: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::UNAUTHORIZED,
            challenge: Some(challenge.into()),
        }
    }

    /// 403 Forbidden: a valid user who may not do this.
    pub fn forbidden() -> Self {
        Refusal {
            status: StatusCode::FORBIDDEN,
            challenge: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        if let Some(c) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
        response
    }
}

/// Decides who the user of a request is: `Ok(Some(identity))`, `Ok(None)` for anonymous,
/// or a [`Refusal`] for a credential that is present but not valid.
///
/// Closures work: `|req: &AuthRequest<'_>| { let token = req.bearer_token().map(str::to_owned); async move { .. } }`.
pub trait Authenticator: Send + Sync + 'static {
    /// Authenticates one request.
    fn authenticate<'a>(
        &'a self,
        request: &'a AuthRequest<'a>,
    ) -> AuthFuture<'a, Result<Option<Identity>, Refusal>>;
}

impl<F, Fut> Authenticator for F
where
    F: Fn(&AuthRequest<'_>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<Identity>, Refusal>> + Send + 'static,
{
    fn authenticate<'a>(
        &'a self,
        request: &'a AuthRequest<'a>,
    ) -> AuthFuture<'a, Result<Option<Identity>, Refusal>> {
        Box::pin(self(request))
    }
}

/// A named authorization policy (`Requirement::policy("name")`): decides whether an
/// authenticated user may connect, or invoke a method.
pub trait Policy: Send + Sync + 'static {
    /// Whether `identity` satisfies the policy; `method` is the method being invoked, or
    /// `None` when the user connects.
    fn check<'a>(&'a self, identity: &'a Identity, method: Option<&'a str>)
    -> AuthFuture<'a, bool>;
}

/// A policy from a plain function of the identity.
pub fn policy_fn(f: impl Fn(&Identity) -> bool + Send + Sync + 'static) -> impl Policy {
    PolicyFn(f)
}

struct PolicyFn<F>(F);

impl<F: Fn(&Identity) -> bool + Send + Sync + 'static> Policy for PolicyFn<F> {
    fn check<'a>(
        &'a self,
        identity: &'a Identity,
        _method: Option<&'a str>,
    ) -> AuthFuture<'a, bool> {
        let ok = (self.0)(identity);
        Box::pin(std::future::ready(ok))
    }
}

/// Decides the user id of an identity (ASP.NET Core's `IUserIdProvider`): what
/// `Clients::user(..)` matches. The default is the identity's id.
pub type UserIdProvider = Arc<dyn Fn(&Identity) -> Option<String> + Send + Sync>;

/// Why authorization failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// No user, where one is required (401).
    Unauthenticated,
    /// A user who does not satisfy a requirement (403).
    Forbidden,
}

impl Denied {
    pub(crate) fn into_refusal(self) -> Refusal {
        match self {
            Denied::Unauthenticated => Refusal::unauthorized(),
            Denied::Forbidden => Refusal::forbidden(),
        }
    }
}

/// The authentication and authorization a server was built with.
#[derive(Clone, Default)]
pub(crate) struct Auth {
    pub(crate) authenticator: Option<Arc<dyn Authenticator>>,
    pub(crate) policies: HashMap<String, Arc<dyn Policy>>,
    pub(crate) user_id: Option<UserIdProvider>,
    pub(crate) close_on_expiration: bool,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("authenticator", &self.authenticator.is_some())
            .field("policies", &self.policies.keys().collect::<Vec<_>>())
            .field("close_on_expiration", &self.close_on_expiration)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Who the user of a request is; an expired identity is refused.
    pub(crate) async fn authenticate(
        &self,
        request: &AuthRequest<'_>,
    ) -> Result<Option<Identity>, Refusal> {
        let Some(a) = &self.authenticator else {
            return Ok(None);
        };
        let identity = a.authenticate(request).await?;
        if identity.as_ref().is_some_and(Identity::is_expired) {
            return Err(Refusal::challenge(
                "Bearer error=\"invalid_token\", error_description=\"The token expired\"",
            ));
        }
        Ok(identity)
    }

    /// The user id of an identity.
    pub(crate) fn user_id(&self, identity: &Identity) -> Option<String> {
        match &self.user_id {
            Some(p) => p(identity),
            None => Some(identity.id().to_owned()),
        }
    }

    /// Whether `identity` satisfies every requirement. A policy name nobody registered
    /// refuses (and is logged): authorization fails closed.
    pub(crate) async fn authorize(
        &self,
        requirements: &[Requirement],
        identity: Option<&Identity>,
        method: Option<&str>,
    ) -> Result<(), Denied> {
        if requirements.is_empty() {
            return Ok(());
        }
        let Some(identity) = identity else {
            return Err(Denied::Unauthenticated);
        };
        for r in requirements {
            let ok = match r {
                Requirement::Authenticated => true,
                Requirement::AnyRole(roles) => roles.iter().any(|role| identity.has_role(role)),
                Requirement::Policy(name) => match self.policies.get(name) {
                    Some(p) => p.check(identity, method).await,
                    None => {
                        tracing::error!(policy = %name, "authorization policy not registered; refusing");
                        false
                    }
                },
            };
            if !ok {
                return Err(Denied::Forbidden);
            }
        }
        Ok(())
    }
}
