//! The walk the client emitters share: every server contract becomes a proxy, every
//! client contract a receiver, every method one member of it, with its parameters sorted
//! by what they are on the wire. A method an emitter cannot write is an error at the
//! method's declaration.

use signalr_contract::{HubContract, Method, OutputKind, Param, ParamKind, Side, TypeRef};

use crate::source::SourceError;
use crate::{Contracts, Hub};

/// A parameter as a client sees it (a `Caller` is never sent, so it is not one).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// An argument value.
    Value(&'a Param, &'a TypeRef),
    /// An upload stream of items of this type (client to server only).
    Upload(&'a Param, &'a TypeRef),
    /// A `CancellationToken`: an `AbortSignal` / `CancellationToken` on the proxy side, a
    /// cancellation marker in its argument slot on the receiver side.
    Cancellation(&'a Param),
}

impl<'a> Arg<'a> {
    /// The parameter.
    pub(crate) fn param(&self) -> &'a Param {
        match self {
            Arg::Value(p, _) | Arg::Upload(p, _) | Arg::Cancellation(p) => p,
        }
    }
}

/// A method as a client sees it.
#[derive(Debug)]
pub(crate) struct MethodView<'a> {
    /// Its position in the contract.
    pub(crate) index: usize,
    /// The method.
    pub(crate) method: &'a Method,
    /// Its parameters a client sees, in order.
    pub(crate) args: Vec<Arg<'a>>,
    /// The wire shape of its value or stream item; `None` for unit.
    pub(crate) output: Option<&'a TypeRef>,
}

impl<'a> MethodView<'a> {
    fn new(index: usize, method: &'a Method) -> Self {
        let args = method
            .params
            .iter()
            .filter_map(|p| match (p.kind, p.wire()) {
                (ParamKind::Value, Some(t)) => Some(Arg::Value(p, t)),
                (ParamKind::Upload, Some(t)) => Some(Arg::Upload(p, t)),
                (ParamKind::Cancellation, _) => Some(Arg::Cancellation(p)),
                _ => None,
            })
            .collect();
        MethodView {
            index,
            method,
            args,
            output: method.output.wire(),
        }
    }

    /// Whether the method takes a `CancellationToken`.
    pub(crate) fn cancellable(&self) -> bool {
        self.args.iter().any(|a| matches!(a, Arg::Cancellation(_)))
    }
}

/// What an emitter makes of the hubs.
pub(crate) trait HubEmitter {
    /// A member of a proxy (what calls one server method).
    type ProxyMember;
    /// A member of a receiver (what handles one client method).
    type ReceiverMember;
    /// A generated proxy.
    type Proxy;
    /// A generated receiver.
    type Receiver;

    /// Called before a hub's members, with all its methods (to name them first).
    fn begin(&mut self, hub: &HubContract, methods: &[MethodView<'_>]);

    /// The proxy member that calls a server method.
    fn proxy_member(
        &mut self,
        hub: &HubContract,
        m: &MethodView<'_>,
    ) -> Result<Self::ProxyMember, String>;

    /// The receiver member that handles a client method.
    fn receiver_member(
        &mut self,
        hub: &HubContract,
        m: &MethodView<'_>,
    ) -> Result<Self::ReceiverMember, String>;

    /// The proxy of a server contract.
    fn proxy(&mut self, hub: &HubContract, members: Vec<Self::ProxyMember>) -> Self::Proxy;

    /// The receiver of a client contract.
    fn receiver(&mut self, hub: &HubContract, members: Vec<Self::ReceiverMember>)
    -> Self::Receiver;

    /// The message of an error about a method (`e` says why).
    fn method_error(&self, hub: &HubContract, m: &Method, e: String) -> String {
        let _ = (hub, m);
        e
    }
}

/// Every proxy and receiver of `contracts`, or every error found.
#[allow(clippy::type_complexity)]
pub(crate) fn walk<E: HubEmitter>(
    contracts: &Contracts,
    emitter: &mut E,
) -> Result<(Vec<E::Proxy>, Vec<E::Receiver>), Vec<SourceError>> {
    let mut proxies = Vec::new();
    let mut receivers = Vec::new();
    let mut errors = Vec::new();
    for hub in &contracts.hubs {
        let Hub { contract, .. } = hub;
        let views: Vec<MethodView<'_>> = contract
            .methods
            .iter()
            .enumerate()
            .map(|(i, m)| MethodView::new(i, m))
            .collect();
        emitter.begin(contract, &views);
        let mut report = |view: &MethodView<'_>, e: String, emitter: &E| {
            errors.push(hub.method_location(view.method).error(emitter.method_error(
                contract,
                view.method,
                e,
            )));
        };
        match contract.side {
            Side::Server => {
                let mut members = Vec::new();
                for view in &views {
                    match emitter.proxy_member(contract, view) {
                        Ok(member) => members.push(member),
                        Err(e) => report(view, e, emitter),
                    }
                }
                proxies.push(emitter.proxy(contract, members));
            }
            Side::Client => {
                let mut members = Vec::new();
                for view in &views {
                    let member =
                        receivable(view).and_then(|()| emitter.receiver_member(contract, view));
                    match member {
                        Ok(member) => members.push(member),
                        Err(e) => report(view, e, emitter),
                    }
                }
                receivers.push(emitter.receiver(contract, members));
            }
        }
    }
    if errors.is_empty() {
        Ok((proxies, receivers))
    } else {
        Err(errors)
    }
}

/// What a server cannot do to a client (the contract model refuses these already).
fn receivable(m: &MethodView<'_>) -> Result<(), String> {
    if let Some(p) = m.args.iter().find_map(|a| match a {
        Arg::Upload(p, _) => Some(p),
        _ => None,
    }) {
        return Err(format!(
            "the parameter `{}` cannot be sent by a server to a client",
            p.name
        ));
    }
    if m.method.output.kind == OutputKind::Stream {
        return Err("a server cannot stream from a client method".to_owned());
    }
    Ok(())
}
