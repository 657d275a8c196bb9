//! What the contract says about authorization, as the generated clients document it and
//! the schemas carry it (`x-authorize`). The server checks it; clients only describe it.

use serde_json::{Value, json};
use signalr_contract::{HubContract, Method, Requirement};

/// A method's doc lines, followed by what its caller must satisfy.
pub(crate) fn method_docs(m: &Method) -> Vec<String> {
    with_requirements(&m.docs, &m.authorize, "Requires")
}

/// A contract's doc lines, followed by what every connection must satisfy.
pub(crate) fn hub_docs(hub: &HubContract) -> Vec<String> {
    with_requirements(&hub.docs, &hub.authorize, "Every connection requires")
}

fn with_requirements(docs: &[String], requirements: &[Requirement], lead: &str) -> Vec<String> {
    let mut lines = docs.to_vec();
    if requirements.is_empty() {
        return lines;
    }
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.extend(
        requirements
            .iter()
            .map(|r| format!("{lead} {}.", r.describe())),
    );
    lines
}

/// The `x-authorize` value of a schema: every requirement, as the contract model writes it
/// (`{"kind": "authenticated"}`, `{"kind": "anyRole", "roles": [..]}`, `{"kind": "policy",
/// "name": ".."}`); `None` when there is none.
pub(crate) fn extension(requirements: &[Requirement]) -> Option<Value> {
    (!requirements.is_empty()).then(|| json!(requirements))
}
