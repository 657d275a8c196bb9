//! Proxies (server contracts) and receivers (client contracts) in TypeScript, built along
//! the shared walk ([`crate::walk`]).

use std::collections::VecDeque;

use signalr_contract::{HubContract, Method, OutputKind, Side};

use super::names::{MEMBER_RESERVED, RESERVED_WORDS, jsdoc, string_literal, value_name};
use super::types::Cx;
use super::{Proxy, ProxyMethod, Receiver, ReceiverMethod};
use crate::authorize::{hub_docs, method_docs};
use crate::names::Scope;
use crate::walk::{Arg, HubEmitter, MethodView};

/// What a hub is called in the module.
#[derive(Debug, Clone)]
pub(crate) enum HubNames {
    /// A server contract: its proxy class and the interface of its `send` member.
    Server { proxy: String, send: String },
    /// A client contract: the interface a page implements and its receiver.
    Client { interface: String, receiver: String },
}

impl HubNames {
    /// The hub's names, claimed in the module's scope.
    pub(crate) fn claim(hub: &HubContract, module: &mut Scope) -> Self {
        match hub.side {
            Side::Server => HubNames::Server {
                proxy: module.claim(&format!("{}Proxy", hub.name)),
                send: module.claim(&format!("{}Send", hub.name)),
            },
            Side::Client => HubNames::Client {
                interface: module.claim(&hub.name),
                receiver: module.claim(&format!("{}Receiver", hub.name)),
            },
        }
    }
}

/// The members of the hub being written.
#[derive(Debug, Default)]
struct Members {
    /// Per method: its member name.
    methods: Vec<String>,
    /// The proxy's connection property.
    connection: String,
    /// The proxy's fire-and-forget member.
    send: String,
}

/// The TypeScript emitter of proxies and receivers.
pub(crate) struct TsHubs<'c, 'a> {
    cx: &'c mut Cx<'a>,
    hubs: VecDeque<HubNames>,
    current: Option<HubNames>,
    members: Members,
    markers: bool,
    /// Whether calls tunnel through SignalARRR's fixed hub methods.
    signalarrr: bool,
}

impl<'c, 'a> TsHubs<'c, 'a> {
    pub(crate) fn new(cx: &'c mut Cx<'a>, hubs: Vec<HubNames>, signalarrr: bool) -> Self {
        TsHubs {
            cx,
            hubs: hubs.into(),
            current: None,
            members: Members::default(),
            markers: false,
            signalarrr,
        }
    }
}

/// The names of `args`, claimed in order after `reserved` (what the generated code uses
/// in that scope) and TypeScript's reserved words.
fn param_names<'a>(
    args: impl Iterator<Item = &'a Arg<'a>>,
    reserved: &[&str],
) -> (Scope, Vec<String>) {
    let mut scope = Scope::new(RESERVED_WORDS.iter().chain(reserved).copied());
    let names = args
        .map(|a| scope.claim(&value_name(&a.param().name)))
        .collect();
    (scope, names)
}

impl HubEmitter for TsHubs<'_, '_> {
    type ProxyMember = (ProxyMethod, Option<ProxyMethod>);
    type ReceiverMember = ReceiverMethod;
    type Proxy = Proxy;
    type Receiver = Receiver;

    fn begin(&mut self, hub: &HubContract, methods: &[MethodView<'_>]) {
        self.current = self.hubs.pop_front();
        let mut scope = Scope::new(MEMBER_RESERVED);
        let names = methods
            .iter()
            .map(|m| scope.claim(&value_name(&m.method.name)))
            .collect();
        self.members = Members {
            methods: names,
            connection: scope.claim("connection"),
            send: scope.claim("send"),
        };
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
    }

    fn proxy_member(
        &mut self,
        _hub: &HubContract,
        m: &MethodView<'_>,
    ) -> Result<Self::ProxyMember, String> {
        let cx = &mut *self.cx;
        let name = self.members.methods[m.index].clone();
        let connection = &self.members.connection;
        let sent: Vec<&Arg<'_>> = m
            .args
            .iter()
            .filter(|a| !matches!(a, Arg::Cancellation(_)))
            .collect();
        let (mut scope, names) = param_names(sent.iter().copied(), &[]);
        let mut params = Vec::new();
        let mut args = Vec::new();
        for (arg, pname) in sent.iter().zip(&names) {
            match arg {
                Arg::Value(_, ty) => {
                    params.push(format!("{pname}: {}", cx.ty(ty)?));
                    args.push(pname.clone());
                }
                Arg::Upload(..) if self.signalarrr => {
                    return Err(
                        "an upload stream cannot tunnel through SignalARRR's ClientRequestMessage"
                            .into(),
                    );
                }
                Arg::Upload(_, ty) => {
                    cx.uses.upload = true;
                    let item = cx.ty(ty)?;
                    params.push(format!("{pname}: {}<{item}>", cx.helpers.upload));
                    args.push(format!("$upload({pname})"));
                }
                Arg::Cancellation(_) => {}
            }
        }
        let cancellable = m.cancellable();
        let signal = scope.claim(if scope.is_taken("signal") {
            "abortSignal"
        } else {
            "signal"
        });
        let value = m.output.map(|t| cx.ty(t)).transpose()?;
        // The target and arguments of a call: the hub method itself, or under SignalARRR
        // its fixed tunnelling method with one ClientRequestMessage.
        let call_args = |tunnel: &str| {
            if self.signalarrr {
                format!(
                    "{}, $request(this.#authorization, {}, [{}])",
                    string_literal(tunnel),
                    string_literal(&m.method.wire_name),
                    args.join(", ")
                )
            } else {
                std::iter::once(string_literal(&m.method.wire_name))
                    .chain(args.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut doc_lines = method_docs(m.method);
        let mut method_params = params.clone();
        if cancellable {
            method_params.push(format!("{signal}?: AbortSignal"));
            if !doc_lines.is_empty() {
                doc_lines.push(String::new());
            }
            match m.method.output.kind {
                OutputKind::Stream => doc_lines.push(format!(
                    "@param {signal} - Aborting it ends the stream at once and cancels it on the server."
                )),
                _ => doc_lines.extend([
                    format!(
                        "@param {signal} - Aborting it rejects the promise at once. The server's token"
                    ),
                    "fires when the connection closes: the package has no way to cancel a running"
                        .to_owned(),
                    "invocation.".to_owned(),
                ]),
            }
        }
        let (ret, body) = match m.method.output.kind {
            OutputKind::Stream => {
                cx.uses.stream = true;
                let item = value.clone().unwrap_or_else(|| "null".into());
                let signal_arg = if cancellable {
                    format!(", {signal}")
                } else {
                    String::new()
                };
                (
                    format!("{}<{item}>", cx.helpers.hub_stream),
                    format!(
                        "return $hubStream(() => this.{connection}.stream<{item}>({}){signal_arg});",
                        call_args("StreamMessage")
                    ),
                )
            }
            OutputKind::Value | OutputKind::Unit => {
                let result = value.clone().unwrap_or_else(|| "void".into());
                let call = format!(
                    "this.{connection}.invoke<{result}>({})",
                    call_args("InvokeMessageResult")
                );
                let body = if cancellable {
                    // Only promises need the helper; streams take the signal themselves.
                    cx.uses.abort = true;
                    format!("return $abortable({signal}, () => {call});")
                } else {
                    format!("return {call};")
                };
                (format!("Promise<{result}>"), body)
            }
        };
        let send = (m.method.output.kind == OutputKind::Unit).then(|| ProxyMethod {
            docs: jsdoc(&method_docs(m.method), 2),
            name: name.clone(),
            params: params.join(", "),
            ret: "Promise<void>".into(),
            body: format!("this.{connection}.send({})", call_args("SendMessage")),
        });
        Ok((
            ProxyMethod {
                docs: jsdoc(&doc_lines, 2),
                name,
                params: method_params.join(", "),
                ret,
                body,
            },
            send,
        ))
    }

    fn receiver_member(
        &mut self,
        _hub: &HubContract,
        m: &MethodView<'_>,
    ) -> Result<Self::ReceiverMember, String> {
        let cx = &mut *self.cx;
        let name = self.members.methods[m.index].clone();
        // The handlers run inside `register(connection, receiver)`, beside its locals.
        let (_, names) = param_names(
            m.args.iter(),
            &["connection", "receiver", "handlers", "cancellations"],
        );
        let mut params = Vec::new();
        let mut handler_params = Vec::new();
        let mut call_args = Vec::new();
        let mut opened = Vec::new();
        // Under SignalARRR the handler takes the ServerRequestMessage's `Arguments`; each
        // parameter reads its slot.
        let signalarrr = self.signalarrr;
        let mut slot = 0;
        let mut slot_of = |pname: &str, ty: &str, handler_params: &mut Vec<String>| {
            if signalarrr {
                let read = format!("$args[{slot}] as {ty}");
                slot += 1;
                read
            } else {
                handler_params.push(format!("{pname}: {ty}"));
                pname.to_owned()
            }
        };
        for (arg, pname) in m.args.iter().zip(names) {
            match arg {
                Arg::Value(_, ty) => {
                    let ty = cx.ty(ty)?;
                    params.push(format!("{pname}: {ty}"));
                    call_args.push(slot_of(&pname, &ty, &mut handler_params));
                }
                Arg::Cancellation(_) => {
                    self.markers = true;
                    cx.uses.markers = true;
                    cx.uses.handlers = true;
                    params.push(format!("{pname}: AbortSignal"));
                    let marker = slot_of(&pname, "$CancellationMarker | null", &mut handler_params);
                    call_args.push(format!("cancellations.open({marker})"));
                    opened.push(marker);
                }
                Arg::Upload(..) => {}
            }
        }
        let value = m.output.map(|t| cx.ty(t)).transpose()?;
        let ret = match (m.method.output.kind, value) {
            (OutputKind::Value, Some(v)) => format!("{v} | Promise<{v}>"),
            _ => "void | Promise<void>".into(),
        };
        if signalarrr && slot > 0 {
            handler_params = vec!["$args: unknown[]".to_owned()];
        }
        let call = format!("receiver.{name}({})", call_args.join(", "));
        let handler = if opened.is_empty() {
            format!("({}) => {call}", handler_params.join(", "))
        } else {
            let closes = opened
                .iter()
                .map(|p| format!("cancellations.close({p});"))
                .collect::<Vec<_>>()
                .join(" ");
            format!(
                "async ({}) => {{\n      try {{\n        return await {call};\n      }} finally {{\n        {closes}\n      }}\n    }}",
                handler_params.join(", ")
            )
        };
        let names: Vec<String> = m
            .method
            .accepted_names()
            .iter()
            .map(|n| string_literal(n))
            .collect();
        Ok(ReceiverMethod {
            docs: jsdoc(&m.method.docs, 2),
            name,
            params: params.join(", "),
            ret,
            names: format!("[{}]", names.join(", ")),
            handler,
        })
    }

    fn proxy(&mut self, hub: &HubContract, members: Vec<Self::ProxyMember>) -> Proxy {
        let (name, send_type) = match self.current.clone() {
            Some(HubNames::Server { proxy, send }) => (proxy, send),
            _ => (format!("{}Proxy", hub.name), format!("{}Send", hub.name)),
        };
        let mut methods = Vec::new();
        let mut sends = Vec::new();
        for (method, send) in members {
            methods.push(method);
            sends.extend(send);
        }
        Proxy {
            docs: jsdoc(&hub_docs(hub), 0),
            name,
            send_name: self.members.send.clone(),
            send_type,
            connection: self.members.connection.clone(),
            methods,
            sends,
            signalarrr: self.signalarrr,
        }
    }

    fn method_error(&self, hub: &HubContract, m: &Method, e: String) -> String {
        format!("`{}::{}`: {e}", hub.name, m.name)
    }

    fn receiver(&mut self, hub: &HubContract, members: Vec<Self::ReceiverMember>) -> Receiver {
        let (name, receiver) = match self.current.clone() {
            Some(HubNames::Client {
                interface,
                receiver,
            }) => (interface, receiver),
            _ => (hub.name.clone(), format!("{}Receiver", hub.name)),
        };
        Receiver {
            docs: jsdoc(&hub.docs, 0),
            name,
            receiver,
            methods: members,
            markers: self.markers,
            signalarrr: self.signalarrr,
        }
    }
}
