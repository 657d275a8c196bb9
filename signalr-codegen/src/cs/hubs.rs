//! Proxies (server contracts) and receivers (client contracts) in C#, built along the
//! shared walk ([`crate::walk`]).

use std::collections::VecDeque;

use signalr_contract::{HubContract, Method, OutputKind, Side};

use super::names::{escape, param_name, pascal, string_literal, xml_docs};
use super::types::Cx;
use super::{Proxy, ProxyMethod, Receiver, ReceiverMethod};
use crate::authorize::{hub_docs, method_docs};
use crate::names::Scope;
use crate::walk::{Arg, HubEmitter, MethodView};

/// What a hub is called in the namespace.
#[derive(Debug, Clone)]
pub(crate) struct HubNames {
    /// `I{Hub}`: the interface of the hub's methods.
    pub(crate) interface: String,
    /// `{Hub}Proxy` or `{Hub}Receiver`.
    pub(crate) class: String,
}

impl HubNames {
    /// The hub's names, claimed in the namespace's scope.
    pub(crate) fn claim(hub: &HubContract, namespace: &mut Scope) -> Self {
        let suffix = match hub.side {
            Side::Server => "Proxy",
            Side::Client => "Receiver",
        };
        HubNames {
            interface: namespace.claim(&format!("I{}", hub.name)),
            class: namespace.claim(&format!("{}{suffix}", hub.name)),
        }
    }
}

/// The method names of the hub being written: per method, `{Name}Async` and (for a unit
/// method of a proxy) `Send{Name}Async`.
type MemberNames = Vec<(String, Option<String>)>;

/// The C# emitter of proxies and receivers.
pub(crate) struct CsHubs<'c, 'a> {
    cx: &'c mut Cx<'a>,
    hubs: VecDeque<HubNames>,
    current: Option<HubNames>,
    members: MemberNames,
    markers: bool,
    /// Whether calls tunnel through SignalARRR's fixed hub methods.
    signalarrr: bool,
}

impl<'c, 'a> CsHubs<'c, 'a> {
    pub(crate) fn new(cx: &'c mut Cx<'a>, hubs: Vec<HubNames>, signalarrr: bool) -> Self {
        CsHubs {
            cx,
            hubs: hubs.into(),
            current: None,
            members: Vec::new(),
            markers: false,
            signalarrr,
        }
    }

    fn names(&self, hub: &HubContract) -> HubNames {
        self.current.clone().unwrap_or_else(|| HubNames {
            interface: format!("I{}", hub.name),
            class: hub.name.clone(),
        })
    }
}

/// The parameter names of `args` (camelCase, `@` before a keyword), claimed in order, and
/// the name of the trailing `CancellationToken` after them.
fn param_names<'a>(args: impl Iterator<Item = &'a Arg<'a>>) -> (Vec<String>, String) {
    let mut scope = Scope::new([]);
    let names = args
        .map(|a| escape(&scope.claim(&param_name(&a.param().name))))
        .collect();
    (names, escape(&scope.claim("cancellationToken")))
}

impl HubEmitter for CsHubs<'_, '_> {
    type ProxyMember = Vec<ProxyMethod>;
    type ReceiverMember = ReceiverMethod;
    type Proxy = Proxy;
    type Receiver = Receiver;

    fn begin(&mut self, hub: &HubContract, methods: &[MethodView<'_>]) {
        self.current = self.hubs.pop_front();
        self.markers = false;
        if hub.side == Side::Client {
            self.cx.uses.receivers = true;
            if self.signalarrr {
                self.cx.uses.routes = true;
            } else {
                self.cx.uses.handlers = true;
            }
        } else if self.signalarrr {
            self.cx.uses.requests = true;
        }
        // Every `{Name}Async` first, then the `Send{Name}Async` of unit methods: a method's
        // own name wins over another's fire-and-forget variant.
        let mut scope = Scope::new([]);
        let own: Vec<String> = methods
            .iter()
            .map(|m| scope.claim(&format!("{}Async", pascal(&m.method.name))))
            .collect();
        self.members = methods
            .iter()
            .zip(own)
            .map(|(m, own)| {
                let send = (hub.side == Side::Server && m.method.output.kind == OutputKind::Unit)
                    .then(|| scope.claim(&format!("Send{}Async", pascal(&m.method.name))));
                (own, send)
            })
            .collect();
    }

    fn proxy_member(
        &mut self,
        _hub: &HubContract,
        m: &MethodView<'_>,
    ) -> Result<Self::ProxyMember, String> {
        let cx = &mut *self.cx;
        let (name, send_name) = self.members[m.index].clone();
        let sent: Vec<&Arg<'_>> = m
            .args
            .iter()
            .filter(|a| !matches!(a, Arg::Cancellation(_)))
            .collect();
        let (names, token) = param_names(sent.iter().copied());
        let mut params = Vec::new();
        let mut args = Vec::new();
        for (arg, pname) in sent.iter().zip(&names) {
            let (ty, upload) = match arg {
                Arg::Upload(..) if self.signalarrr => {
                    return Err(
                        "an upload stream cannot tunnel through SignalARRR's ClientRequestMessage"
                            .into(),
                    );
                }
                Arg::Value(_, ty) => (*ty, false),
                Arg::Upload(_, ty) => (*ty, true),
                Arg::Cancellation(_) => continue,
            };
            let cs = cx
                .ty(ty)
                .map_err(|e| format!("the parameter `{}`: {e}", arg.param().name))?;
            if upload {
                params.push(format!("IAsyncEnumerable<{}> {pname}", cs.text));
            } else {
                params.push(format!("{} {pname}", cs.text));
            }
            args.push(cx.argument(ty, pname, upload));
        }
        params.push(format!("CancellationToken {token} = default"));
        let params = params.join(", ");
        let args = if args.is_empty() {
            "Array.Empty<object?>()".to_owned()
        } else {
            format!("new object?[] {{ {} }}", args.join(", "))
        };
        // The target and arguments of a call: the hub method itself, or under SignalARRR
        // its fixed tunnelling method with one ClientRequestMessage.
        let signalarrr = self.signalarrr;
        let wire_name = string_literal(&m.method.wire_name);
        let call = |tunnel: &str| {
            if signalarrr {
                format!(
                    "{}, new object?[] {{ new SignalArrrRequest({wire_name}, {args}, Authorization()) }}",
                    string_literal(tunnel)
                )
            } else {
                format!("{wire_name}, {args}")
            }
        };
        let value = m
            .output
            .map(|t| cx.ty(t))
            .transpose()
            .map_err(|e| format!("the result: {e}"))?;
        let (ret, body) = match (m.method.output.kind, &value) {
            (OutputKind::Stream, Some(item)) => (
                format!("IAsyncEnumerable<{}>", item.text),
                format!(
                    "_connection.StreamAsyncCore<{}>({}, {token})",
                    item.text,
                    call("StreamMessage")
                ),
            ),
            (OutputKind::Value, Some(v)) => (
                format!("Task<{}>", v.text),
                format!(
                    "_connection.InvokeCoreAsync<{}>({}, {token})",
                    v.text,
                    call("InvokeMessageResult")
                ),
            ),
            _ => (
                "Task".to_owned(),
                format!(
                    "_connection.InvokeCoreAsync({}, {token})",
                    call("InvokeMessageResult")
                ),
            ),
        };
        let docs = method_docs(m.method);
        let mut methods = vec![ProxyMethod {
            docs: xml_docs(&docs, &[]),
            signature: format!("{ret} {name}({params})"),
            body,
        }];
        if let Some(send) = send_name {
            methods.push(ProxyMethod {
                docs: xml_docs(
                    &docs,
                    &["Fire-and-forget: the task completes once the call is sent, without waiting for the hub method to run, and a failure of the hub method is not reported.".to_owned()],
                ),
                signature: format!("Task {send}({params})"),
                body: format!(
                    "_connection.SendCoreAsync({}, {token})",
                    call("SendMessage")
                ),
            });
        }
        Ok(methods)
    }

    fn receiver_member(
        &mut self,
        _hub: &HubContract,
        m: &MethodView<'_>,
    ) -> Result<Self::ReceiverMember, String> {
        let cx = &mut *self.cx;
        let (name, _) = self.members[m.index].clone();
        let (names, _) = param_names(m.args.iter());
        let mut params = Vec::new();
        let mut types = Vec::new();
        let mut call_args = Vec::new();
        let mut opened = Vec::new();
        let signalarrr = self.signalarrr;
        for (index, (arg, pname)) in m.args.iter().zip(&names).enumerate() {
            // Under SignalARRR the arguments are the ServerRequestMessage's, each slot read
            // as its parameter's type.
            let slot = format!("args[{index}]");
            match arg {
                Arg::Value(p, ty) => {
                    let cs = cx
                        .ty(ty)
                        .map_err(|e| format!("the parameter `{}`: {e}", p.name))?;
                    params.push(format!("{} {pname}", cs.text));
                    types.push(format!("typeof({})", cs.type_of()));
                    call_args.push(if signalarrr {
                        format!("args.Get<{}>({index})", cs.text)
                    } else {
                        cs.cast(&slot)
                    });
                }
                Arg::Cancellation(_) => {
                    self.markers = true;
                    params.push(format!("CancellationToken {pname}"));
                    types.push("typeof(CancellationMarker)".to_owned());
                    call_args.push(format!("call{index}.Token"));
                    let marker = if signalarrr {
                        format!("args.Get<CancellationMarker?>({index})")
                    } else {
                        slot
                    };
                    opened.push(format!(
                        "using var call{index} = registration.Open({marker});"
                    ));
                }
                Arg::Upload(..) => {}
            }
        }
        let value = m
            .output
            .map(|t| cx.ty(t))
            .transpose()
            .map_err(|e| format!("the result: {e}"))?;
        let call = format!("receiver.{name}({})", call_args.join(", "));
        let (ret, on, result) = match (m.method.output.kind, &value, m.output) {
            (OutputKind::Value, Some(v), Some(t)) => {
                let awaited = format!("await {call}.ConfigureAwait(false)");
                let result = cx.argument(t, &awaited, false);
                (format!("Task<{}>", v.text), "OnResult", Some(result))
            }
            _ => ("Task".to_owned(), "On", None),
        };
        let wire_names: Vec<String> = m
            .method
            .accepted_names()
            .iter()
            .map(|n| string_literal(n))
            .collect();
        let types = if types.is_empty() {
            "Type.EmptyTypes".to_owned()
        } else {
            format!("new[] {{ {} }}", types.join(", "))
        };
        let mut register = if signalarrr {
            vec![
                "registration.Route(".to_owned(),
                format!("    new[] {{ {} }},", wire_names.join(", ")),
            ]
        } else {
            vec![
                format!("registration.{on}("),
                format!("    new[] {{ {} }},", wire_names.join(", ")),
                format!("    {types},"),
            ]
        };
        match (&result, opened.is_empty()) {
            (None, true) if signalarrr => {
                register.push("    async args =>".to_owned());
                register.push("    {".to_owned());
                register.push(format!("        await {call}.ConfigureAwait(false);"));
                register.push("        return null;".to_owned());
                register.push("    });".to_owned());
            }
            (None, true) => register.push(format!("    args => {call});")),
            (Some(r), true) => register.push(format!("    async args => {r});")),
            (_, false) => {
                register.push("    async args =>".to_owned());
                register.push("    {".to_owned());
                register.extend(opened.iter().map(|l| format!("        {l}")));
                match &result {
                    Some(r) => register.push(format!("        return {r};")),
                    None => {
                        register.push(format!("        await {call}.ConfigureAwait(false);"));
                        if signalarrr {
                            register.push("        return null;".to_owned());
                        }
                    }
                }
                register.push("    });".to_owned());
            }
        }
        Ok(ReceiverMethod {
            docs: xml_docs(&m.method.docs, &[]),
            signature: format!("{ret} {name}({})", params.join(", ")),
            register,
        })
    }

    fn proxy(&mut self, hub: &HubContract, members: Vec<Self::ProxyMember>) -> Proxy {
        let names = self.names(hub);
        Proxy {
            docs: xml_docs(&hub_docs(hub), &[]),
            interface: names.interface,
            class: names.class,
            methods: members.into_iter().flatten().collect(),
            signalarrr: self.signalarrr,
        }
    }

    fn receiver(&mut self, hub: &HubContract, members: Vec<Self::ReceiverMember>) -> Receiver {
        let names = self.names(hub);
        self.cx.uses.markers |= self.markers;
        Receiver {
            docs: xml_docs(&hub.docs, &[]),
            interface: names.interface,
            class: names.class,
            results: hub
                .methods
                .iter()
                .any(|m| m.output.kind == OutputKind::Value),
            markers: self.markers,
            methods: members,
            signalarrr: self.signalarrr,
        }
    }

    fn method_error(&self, hub: &HubContract, m: &Method, e: String) -> String {
        format!(
            "`{}::{}` cannot be represented in C#: {e}",
            hub.name, m.name
        )
    }
}
