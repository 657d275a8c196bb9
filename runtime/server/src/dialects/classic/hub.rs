//! One hub of a classic endpoint: its name and the context of the `HubServer` that serves it.

use std::sync::Arc;

use signalr_protocol::classic::proxy::{ProxyHub, ProxyMethod};

use crate::context::HubContext;

/// One hub of the endpoint.
pub(super) struct EndpointHub {
    /// The hub's name (`H`; clients name it case-insensitively).
    pub(super) name: String,
    pub(super) ctx: Arc<HubContext>,
}

impl EndpointHub {
    /// The hub's JavaScript proxy: its methods and their parameters.
    pub(super) fn proxy(&self) -> ProxyHub {
        let hub = &self.ctx.hub;
        ProxyHub {
            name: self.name.clone(),
            methods: hub
                .methods
                .iter()
                .map(|m| ProxyMethod {
                    name: m.name().to_owned(),
                    params: hub
                        .parameter_names(m.name())
                        .map(<[String]>::to_vec)
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }
}
