//! A client contract: receiver registration on a client connection
//! (`{Trait}Receiver::register`) and typed proxies over the server's client handles
//! (`{Trait}Proxy`).

use proc_macro2::TokenStream;
use quote::quote_spanned;
use signalr_contract::{Method, OutputKind, ParamKind};

use super::{
    Generator, at, convert_error, encode_args, hygiene, local, local_at, method_docs, method_ident,
    output_tokens, param_ident, type_tokens,
};

pub(crate) fn expand(g: &Generator<'_>) -> TokenStream {
    let h = hygiene();
    let krate = &g.krate;
    let trait_ident = g.trait_ident();
    let proxy = g.item("Proxy");
    let receiver = g.item("Receiver");
    let json = g.contract_json();
    let (connection, implementation, imp, tokens, subscriptions, target) = (
        local("connection"),
        local("implementation"),
        local("__imp"),
        local("__tokens"),
        local("__subscriptions"),
        local("target"),
    );

    let registrations = g.contract.methods.iter().map(|m| registration(g, m));
    let cancel_handler = g.contract.methods.iter().any(Method::is_cancellable).then(|| {
        quote_spanned!(h=> #subscriptions.push(#krate::__private::register_cancel_handler(#connection, &#tokens));)
    });
    let mut send_methods = Vec::new();
    let mut single_methods = Vec::new();
    for m in &g.contract.methods {
        let (method, one_way) = proxy_method(g, m);
        if one_way {
            send_methods.push(method.clone());
        }
        single_methods.push(method);
    }
    let contract_const = g.free("CONTRACT").then(|| {
        quote_spanned! {h=>
            /// The contract as data (the same model `signalr-codegen` reads), as JSON.
            pub const CONTRACT: &'static str = <Self as #krate::HubProxy>::CONTRACT;
        }
    });
    let new = g.free("new").then(|| {
        quote_spanned! {h=>
            /// A proxy over `target`, e.g. `caller.clients.group("a")` or `caller.clients.caller()`.
            pub fn new(#target: P) -> Self {
                Self { #target }
            }
        }
    });

    quote_spanned! {h=>
        /// Calls the clients' methods from the server: over a set of clients
        /// (`ClientProxy`: methods without a result) or one client (`SingleClientProxy`: all
        /// methods, including client results).
        ///
        /// Built with `new(target)` or `HubProxy::from_target` (the inherent `new` and
        /// `CONTRACT` give way to client methods of the same name; `HubProxy` always has
        /// them).
        #[derive(Clone, Debug)]
        pub struct #proxy<P> {
            target: P,
        }

        impl<P> #proxy<P> {
            #contract_const
            #new
        }

        impl<P> #krate::HubProxy for #proxy<P> {
            type Target = P;
            const CONTRACT: &'static str = #json;

            fn from_target(#target: P) -> Self {
                Self { #target }
            }

            fn target(&self) -> &P {
                &self.target
            }
        }

        impl #proxy<#krate::__private::ClientProxy> {
            #(#send_methods)*
        }

        impl #proxy<#krate::__private::SingleClientProxy> {
            #(#single_methods)*
        }

        /// Registers an implementation of the trait as the receiver of the server's calls on
        /// a client connection (a `HubConnection`, or any other `HubClient`).
        #[derive(Clone, Copy, Debug, Default)]
        pub struct #receiver;

        impl #receiver {
            /// Registers every method (under its plain and `Interface|Method` names); the
            /// returned subscriptions unregister them with `off`.
            pub fn register<__Client: #krate::__private::HubClient>(
                #connection: &__Client,
                #implementation: impl #trait_ident,
            ) -> ::std::vec::Vec<#krate::__private::Subscription> {
                let #imp = ::std::sync::Arc::new(#implementation);
                let #tokens = #krate::__private::ReceiverTokens::default();
                let mut #subscriptions = ::std::vec::Vec::new();
                #(#registrations)*
                #cancel_handler
                #subscriptions
            }
        }
    }
}

/// The handler of one client method, registered under every name it answers to.
fn registration(g: &Generator<'_>, m: &Method) -> TokenStream {
    let h = hygiene();
    let krate = &g.krate;
    let trait_ident = g.trait_ident();
    let name = method_ident(m);
    let (connection, imp, tokens, subscriptions, arguments, args, protocol, out) = (
        local("connection"),
        local("__imp"),
        local("__tokens"),
        local("__subscriptions"),
        local("__arguments"),
        local("__args"),
        local("__protocol"),
        local("__out"),
    );
    // Server to client, a CancellationToken occupies an argument slot (its marker).
    let n_values = m
        .params
        .iter()
        .filter(|p| matches!(p.kind, ParamKind::Value | ParamKind::Cancellation))
        .count();
    let names: Vec<_> = m.params.iter().map(param_ident).collect();
    let mut markers = Vec::new();
    let mut binds = Vec::new();
    for (i, p) in m.params.iter().enumerate() {
        let id = param_ident(p);
        match (p.kind, &p.ty) {
            (ParamKind::Value, Some(ty)) => {
                let t = type_tokens(ty);
                let args = local_at("__args", ty.span());
                let krate_at = super::krate_at(krate, ty.span());
                let next = quote_spanned!(at(ty.span())=> #krate_at::__private::next_arg::<#t>(&mut #args));
                binds.push(quote_spanned!(h=>
                    let #id: #t = #next.map_err(|e| ::std::string::ToString::to_string(&e))?;
                ));
            }
            (ParamKind::Cancellation, _) => {
                let marker = local(&format!("__marker{i}"));
                binds.push(quote_spanned! {h=>
                    let #marker = #krate::__private::next_arg::<#krate::__private::CancellationMarker>(&mut #args)
                        .map_err(|e| ::std::string::ToString::to_string(&e))?;
                    let #id = #tokens.register(&#marker.id);
                });
                markers.push(marker);
            }
            _ => {}
        }
    }
    let mut call_impl = quote_spanned!(h=> #trait_ident::#name(&*#imp, #(#names),*).await);
    if m.output.fallible {
        let converted = convert_error(krate, &m.output, call_impl);
        call_impl =
            quote_spanned!(h=> #converted.map_err(|e| ::std::string::ToString::to_string(&e))?);
    }
    let call_impl = quote_spanned!(h=> {
        let #out = #call_impl;
        #(#tokens.remove(&#markers.id);)*
        #out
    });
    let out_span = m.output.ty.as_ref().map_or_else(hygiene, |t| t.span());
    let reply = match m.output.kind {
        OutputKind::Value => {
            let (protocol, out) = (
                local_at("__protocol", out_span),
                local_at("__out", out_span),
            );
            let krate_at = super::krate_at(krate, out_span);
            let serialize =
                quote_spanned!(at(out_span)=> #krate_at::__private::serialize(#protocol, &#out));
            quote_spanned!(h=> {
                let #out = #call_impl;
                #serialize
                    .map(::core::option::Option::Some)
                    .map_err(|e| ::std::string::ToString::to_string(&e))
            })
        }
        _ => quote_spanned!(h=> {
            #call_impl;
            ::core::result::Result::Ok(::core::option::Option::None)
        }),
    };
    m.accepted_names()
        .iter()
        .map(|wire| {
            quote_spanned! {h=>
                #subscriptions.push(#krate::__private::HubClient::on_raw(#connection, #wire, {
                    let #imp = ::std::sync::Arc::clone(&#imp);
                    let #tokens = #tokens.clone();
                    move |#arguments: #krate::__private::Arguments<'static>| {
                        let #imp = ::std::sync::Arc::clone(&#imp);
                        #[allow(unused_variables)]
                        let #tokens = #tokens.clone();
                        async move {
                            let #protocol = #arguments.protocol();
                            #[allow(unused_mut, unused_variables)]
                            let mut #args = #arguments.binder(#n_values).map_err(|e| ::std::string::ToString::to_string(&e))?;
                            #(#binds)*
                            #reply
                        }
                    }
                }));
            }
        })
        .collect()
}

/// A method of the proxy over the server's client handles, and whether it is one-way
/// (callable on a set of clients too).
fn proxy_method(g: &Generator<'_>, m: &Method) -> (TokenStream, bool) {
    let h = hygiene();
    let krate = &g.krate;
    let name = method_ident(m);
    let wire = &m.wire_name;
    let docs = method_docs(m);
    let (p, marker, watch, out) = (
        local("__p"),
        local("__marker"),
        local("__watch"),
        local("__out"),
    );
    let mut params = Vec::new();
    let mut values = Vec::new();
    let mut token = None;
    for param in &m.params {
        let id = param_ident(param);
        match (param.kind, &param.ty) {
            (ParamKind::Value, Some(ty)) => {
                let t = type_tokens(ty);
                params.push(quote_spanned!(h=> #id: #t));
                values.push((quote_spanned!(h=> #id), ty.span()));
            }
            (ParamKind::Cancellation, _) => {
                params.push(quote_spanned!(h=> #id: #krate::CancellationToken));
                values.push((quote_spanned!(h=> #marker.clone()), hygiene()));
                token = Some(id);
            }
            _ => {}
        }
    }
    let encoded = encode_args(krate, quote_spanned!(h=> #p), &values);
    let args =
        quote_spanned!(h=> #krate::__private::ArgsFn(|#p: #krate::__private::Protocol| #encoded));
    let new_marker = token
        .as_ref()
        .map(|_| quote_spanned!(h=> let #marker = #krate::__private::CancellationMarker::new();));
    if m.output.kind == OutputKind::Value {
        let out_ty = output_tokens(&m.output);
        let out_span = m.output.ty.as_ref().map_or_else(hygiene, |t| t.span());
        let krate_at = super::krate_at(krate, out_span);
        let invoke = quote_spanned!(at(out_span)=> #krate_at::__private::invoke_client::<#out_ty>);
        let call = match &token {
            Some(tok) => quote_spanned! {h=>
                let #watch = #krate::__private::watch_cancellation(&self.target, &#marker, &#tok);
                let #out = #invoke(&self.target, #wire, &#args, &#tok).await;
                ::core::mem::drop(#watch);
                #out
            },
            None => quote_spanned! {h=>
                #invoke(&self.target, #wire, &#args, &#krate::CancellationToken::new()).await
            },
        };
        let method = quote_spanned! {h=>
            #docs
            pub async fn #name(&self, #(#params),*) -> ::core::result::Result<#out_ty, #krate::HubError> {
                #new_marker
                #call
            }
        };
        (method, false)
    } else {
        let method = quote_spanned! {h=>
            #docs
            #[allow(unused_variables)]
            pub fn #name(&self, #(#params),*) -> ::core::result::Result<(), #krate::HubError> {
                #new_marker
                self.target.send(#wire, &#args).map(|_| ())
            }
        };
        (method, true)
    }
}
