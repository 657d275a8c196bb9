//! Who a connection's user is, as the authentication hook established it.

use std::collections::BTreeSet;
use std::time::SystemTime;

/// An authenticated user: an id, a display name, roles and claims, and when the credential
/// that proved it expires.
///
/// ```
/// use signalr_server::Identity;
///
/// let alice = Identity::new("alice").with_name("Alice").with_role("admin").with_claim("tenant", "t1");
/// assert!(alice.has_role("admin"));
/// assert_eq!(alice.claim("tenant"), Some("t1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    id: String,
    name: Option<String>,
    roles: BTreeSet<String>,
    claims: Vec<(String, String)>,
    expires_at: Option<SystemTime>,
}

impl Identity {
    /// A user with this id (ASP.NET Core's `NameIdentifier` claim; the default user id of
    /// `Clients::user`).
    pub fn new(id: impl Into<String>) -> Self {
        Identity {
            id: id.into(),
            name: None,
            roles: BTreeSet::new(),
            claims: Vec::new(),
            expires_at: None,
        }
    }

    /// With a display name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// With one more role.
    #[must_use]
    pub fn with_role(mut self, role: impl Into<String>) -> Self {
        self.roles.insert(role.into());
        self
    }

    /// With these roles too.
    #[must_use]
    pub fn with_roles(mut self, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    /// With one more claim (a claim type may have several values).
    #[must_use]
    pub fn with_claim(mut self, kind: impl Into<String>, value: impl Into<String>) -> Self {
        self.claims.push((kind.into(), value.into()));
        self
    }

    /// With the time the credential expires (a JWT's `exp`); with
    /// [`close_on_authentication_expiration`](crate::HubServerBuilder::close_on_authentication_expiration)
    /// the connection is closed then.
    #[must_use]
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// The user's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The display name, if one was set.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The roles.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().map(String::as_str)
    }

    /// Whether the user has `role` (compared exactly, as ASP.NET Core's `IsInRole`).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// The first value of a claim.
    pub fn claim(&self, kind: &str) -> Option<&str> {
        self.claims
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a claim.
    pub fn claims(&self, kind: &str) -> impl Iterator<Item = &str> {
        self.claims
            .iter()
            .filter(move |(k, _)| k == kind)
            .map(|(_, v)| v.as_str())
    }

    /// When the credential expires, if it does.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expires_at
    }

    /// Whether the credential has expired.
    pub fn is_expired(&self) -> bool {
        self.expires_at.is_some_and(|at| at <= SystemTime::now())
    }
}
