//! Which method a `ClientRequestMessage` names: the hub's own methods by their bare name,
//! and the methods of every method set (the hub's, and the extra contracts served beside
//! it, SignalARRR's `ServerMethods` classes) as `Class.Method` and `Interface|Method`,
//! where both the class and the interface are the contract's interface name.

use crate::hub::{Hub, HubMethod, Requirement};

use super::failure::Failure;

/// The hub and the extra method sets a SignalARRR endpoint reaches.
#[derive(Debug, Clone)]
pub(crate) struct Methods {
    /// The hub itself: its methods are reachable by bare name too.
    hub: Hub,
    /// Extra contracts, reachable only through their interface name.
    sets: Vec<Hub>,
}

/// A resolved method and what its caller must satisfy.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) method: HubMethod,
    pub(crate) requirements: Vec<Requirement>,
}

impl Methods {
    pub(crate) fn new(hub: Hub) -> Self {
        Methods {
            hub,
            sets: Vec::new(),
        }
    }

    /// Adds a method set; its trait-level requirements apply to each of its methods (they
    /// are checked per call, like a method's).
    pub(crate) fn add(&mut self, set: Hub) {
        self.sets.push(set);
    }

    fn set_named(&self, interface: &str) -> Option<(&Hub, bool)> {
        let named = |h: &Hub| {
            h.interface
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case(interface))
        };
        if named(&self.hub) {
            return Some((&self.hub, true));
        }
        self.sets.iter().find(|h| named(h)).map(|h| (h, false))
    }

    fn found(hub: &Hub, main: bool, method: &HubMethod) -> Resolved {
        let mut requirements = Vec::new();
        if !main {
            requirements.extend(hub.requirements.iter().cloned());
        }
        requirements.extend(hub.method_requirements(&method.name).iter().cloned());
        Resolved {
            method: method.clone(),
            requirements,
        }
    }

    /// The method `name` names: `Interface|Method`, `Class.Method`, or a bare hub method.
    pub(crate) fn resolve(&self, name: &str) -> Result<Resolved, Failure> {
        if let Some((interface, method)) = name.split_once('|') {
            let (hub, main) = self
                .set_named(interface)
                .ok_or_else(|| Failure::interface_not_found(interface))?;
            return bare(hub, method)
                .map(|m| Self::found(hub, main, m))
                .ok_or_else(|| Failure::method_not_found(name));
        }
        if let Some(m) = bare(&self.hub, name) {
            return Ok(Self::found(&self.hub, true, m));
        }
        if let Some((class, method)) = name.rsplit_once('.')
            && let Some((hub, main)) = self.set_named(class)
            && let Some(m) = bare(hub, method)
        {
            return Ok(Self::found(hub, main, m));
        }
        Err(Failure::method_not_found(name))
    }
}

/// A method of `hub` by its plain name (never `Interface|Method`).
fn bare<'h>(hub: &'h Hub, name: &str) -> Option<&'h HubMethod> {
    if name.is_empty() || name.contains('|') {
        return None;
    }
    hub.resolve(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::hub::{MethodKind, Reply};

    fn hub(interface: &str, names: &[&str]) -> Hub {
        names.iter().fold(Hub::new(interface), |h, n| {
            h.method(n, MethodKind::Unary, 0, |_| async { Ok(Reply::Void) })
        })
    }

    #[test]
    fn names_resolve_like_signalarrr() {
        let mut m = Methods::new(hub("TestShared.ITestServerMethods", &["Echo", "GetName"]));
        m.add(
            hub("ExtraMethods", &["Greet", "CustomEcho"])
                .require(Requirement::authenticated())
                .require_method("Greet", Requirement::any_role(["a"])),
        );
        let name = |n: &str| m.resolve(n).map(|r| r.method.name().to_owned());
        assert_eq!(name("Echo").unwrap(), "Echo");
        assert_eq!(
            name("TestShared.ITestServerMethods|GetName").unwrap(),
            "GetName"
        );
        assert_eq!(
            name("TestShared.ITestServerMethods.GetName").unwrap(),
            "GetName"
        );
        assert_eq!(name("ExtraMethods.CustomEcho").unwrap(), "CustomEcho");
        assert_eq!(name("ExtraMethods|Greet").unwrap(), "Greet");
        assert_eq!(
            m.resolve("ExtraMethods.Greet").unwrap().requirements.len(),
            2
        );
        assert!(m.resolve("Echo").unwrap().requirements.is_empty());
        assert_eq!(
            m.resolve("Greet").unwrap_err(),
            Failure::method_not_found("Greet")
        );
        assert_eq!(
            m.resolve("Nope|Greet").unwrap_err(),
            Failure::interface_not_found("Nope")
        );
        assert_eq!(
            m.resolve("ExtraMethods|Nope").unwrap_err(),
            Failure::method_not_found("ExtraMethods|Nope")
        );
        assert_eq!(m.resolve("").unwrap_err(), Failure::method_not_found(""));
        assert_eq!(
            m.resolve("ExtraMethods|ExtraMethods|Greet").unwrap_err(),
            Failure::method_not_found("ExtraMethods|ExtraMethods|Greet")
        );
    }
}
