//! A server contract: the client-side proxy (`{Trait}Proxy`) and the server-side dispatch
//! (`{Trait}Dispatch::hub`).

use proc_macro2::TokenStream;
use quote::quote_spanned;
use signalr_contract::{Method, OutputKind, ParamKind};

use super::{
    Generator, at, convert_error, encode_args, hygiene, local, local_at, method_docs, method_ident,
    output_tokens, param_ident, relocated, type_tokens,
};

pub(crate) fn expand(g: &Generator<'_>) -> TokenStream {
    let h = hygiene();
    let krate = &g.krate;
    let proxy = g.item("Proxy");
    let dispatch = g.item("Dispatch");
    let interface = &g.contract.interface;
    let json = g.contract_json();
    let connection = local("connection");
    let methods = g.contract.methods.iter().map(|m| proxy_method(g, m));
    let registrations = g.contract.methods.iter().map(|m| registration(g, m));
    let requirements = g.requirements();
    let imp = local("__imp");
    let implementation = local("implementation");
    let trait_ident = g.trait_ident();

    let contract_const = g.free("CONTRACT").then(|| {
        quote_spanned! {h=>
            /// The contract as data (the same model `signalr-codegen` reads), as JSON.
            pub const CONTRACT: &'static str = <Self as #krate::HubProxy>::CONTRACT;
        }
    });
    let new = g.free("new").then(|| {
        quote_spanned! {h=>
            /// A proxy over `connection`.
            pub fn new(#connection: __Client) -> Self {
                Self { #connection }
            }
        }
    });
    let connection_getter = g.free("connection").then(|| {
        quote_spanned! {h=>
            /// The connection the proxy calls through.
            pub fn connection(&self) -> &__Client {
                &self.connection
            }
        }
    });

    quote_spanned! {h=>
        /// Calls the hub's methods over a client connection, with their exact wire names:
        /// a `HubConnection` by default, or any other `HubClient` (a connection to a
        /// server of another dialect).
        ///
        /// Built with `new(connection)`, `From<connection>` or `HubProxy::from_target` (the inherent
        /// `new`, `connection` and `CONTRACT` give way to hub methods of the same name;
        /// `HubProxy` always has them).
        #[derive(Clone, Debug)]
        pub struct #proxy<__Client = #krate::__private::HubConnection> {
            connection: __Client,
        }

        impl #proxy {
            #contract_const
        }

        impl<__Client: #krate::__private::HubClient> #proxy<__Client> {
            #new
            #connection_getter
            #(#methods)*
        }

        impl<__Client: #krate::__private::HubClient> #krate::HubProxy for #proxy<__Client> {
            type Target = __Client;
            const CONTRACT: &'static str = #json;

            fn from_target(#connection: __Client) -> Self {
                Self { #connection }
            }

            fn target(&self) -> &__Client {
                &self.connection
            }
        }

        impl<__Client: #krate::__private::HubClient> ::core::convert::From<__Client> for #proxy<__Client> {
            fn from(#connection: __Client) -> Self {
                Self { #connection }
            }
        }

        /// Builds the server-side hub that dispatches calls to an implementation of the trait.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct #dispatch;

        impl #dispatch {
            /// The hub for `implementation`: every method under its plain name and its
            /// `Interface|Method` name, matched case-insensitively, with the authorization
            /// the contract requires.
            pub fn hub(#implementation: impl #trait_ident) -> #krate::__private::Hub {
                let #imp = ::std::sync::Arc::new(#implementation);
                #krate::__private::Hub::new(#interface)
                    #requirements
                    #(#registrations)*
            }
        }
    }
}

/// A proxy method: one call of the hub method by its wire name.
fn proxy_method(g: &Generator<'_>, m: &Method) -> TokenStream {
    let h = hygiene();
    let krate = &g.krate;
    let name = method_ident(m);
    let wire = &m.wire_name;
    let docs = method_docs(m);
    let mut params = Vec::new();
    let mut values = Vec::new();
    let mut uploads = Vec::new();
    let mut token = None;
    for p in &m.params {
        let id = param_ident(p);
        match (p.kind, &p.ty) {
            (ParamKind::Value, Some(ty)) => {
                let t = type_tokens(ty);
                params.push(quote_spanned!(h=> #id: #t));
                let span = ty.span();
                values.push((quote_spanned!(h=> #id), span));
            }
            (ParamKind::Upload, Some(ty)) => {
                let t = type_tokens(ty);
                params.push(quote_spanned!(h=> #id: impl #krate::__private::Stream<Item = #t> + ::core::marker::Send + 'static));
                let items = relocated(&id, ty.span());
                let krate_at = super::krate_at(krate, ty.span());
                uploads.push(
                    quote_spanned!(at(ty.span())=> #krate_at::__private::upload::<#t>(#items)),
                );
            }
            (ParamKind::Cancellation, _) => {
                params.push(quote_spanned!(h=> #id: #krate::CancellationToken));
                token = Some(id);
            }
            _ => {}
        }
    }
    let args = encode_args(
        krate,
        quote_spanned!(h=> #krate::__private::HubClient::protocol(&self.connection)),
        &values,
    );
    let uploads = quote_spanned!(h=> ::std::vec![#(#uploads),*]);
    let out = output_tokens(&m.output);
    let out_span = m.output.ty.as_ref().map_or_else(hygiene, |t| t.span());
    match (m.output.kind, &token) {
        (OutputKind::Stream, None) => quote_spanned! {h=>
            #docs
            pub fn #name(&self, #(#params),*) -> #krate::__private::ClientHubStream<#out> {
                #krate::__private::stream::<#out>(&self.connection, #wire, #args, #uploads)
            }
        },
        (OutputKind::Stream, Some(tok)) => {
            let items = local_at("__items", out_span);
            let tok_at = relocated(tok, out_span);
            let krate_at = super::krate_at(krate, out_span);
            let cancellable = quote_spanned! {at(out_span)=>
                #krate_at::__private::cancellable_stream::<#out>(#items, #tok_at)
            };
            quote_spanned! {h=>
                #docs
                pub fn #name(&self, #(#params),*) -> #krate::__private::CancellableStream<#out> {
                    let #items = #krate::__private::stream::<#out>(&self.connection, #wire, #args, #uploads);
                    #cancellable
                }
            }
        }
        _ => {
            // The call is built from tokens located at the result type only, so a result
            // type that cannot travel is reported there.
            let (a, u) = (local_at("__a", out_span), local_at("__u", out_span));
            let krate_at = super::krate_at(krate, out_span);
            let call = match &token {
                Some(tok) => {
                    let tok = relocated(tok, out_span);
                    quote_spanned! {at(out_span)=>
                        #krate_at::__private::invoke_cancellable::<#out>(&self.connection, #wire, #a, #u, #tok)
                    }
                }
                None => quote_spanned! {at(out_span)=>
                    #krate_at::__private::invoke::<#out>(&self.connection, #wire, #a, #u)
                },
            };
            let ret = quote_spanned! {at(out_span)=>
                impl ::core::future::Future<Output = ::core::result::Result<#out, #krate_at::__private::ClientError>> + ::core::marker::Send + 'static
            };
            quote_spanned! {h=>
                #docs
                pub fn #name(&self, #(#params),*) -> #ret {
                    let #a = #args;
                    let #u = #uploads;
                    #call
                }
            }
        }
    }
}

/// The registration of one method on the hub: bind the arguments, call the
/// implementation, encode the reply.
fn registration(g: &Generator<'_>, m: &Method) -> TokenStream {
    let h = hygiene();
    let krate = &g.krate;
    let trait_ident = g.trait_ident();
    let name = method_ident(m);
    let plain = &m.plain_name;
    let n_values = m.wire_params().count();
    let n_uploads = m.upload_params().count();
    let (call, imp, args, out) = (
        local("__call"),
        local("__imp"),
        local("__args"),
        local("__out"),
    );
    let names: Vec<_> = m.params.iter().map(param_ident).collect();
    let mut upload_binds = Vec::new();
    let mut marker_binds = Vec::new();
    let mut value_names = Vec::new();
    let mut value_types = Vec::new();
    let mut next_args = Vec::new();
    for p in &m.params {
        let id = param_ident(p);
        match (p.kind, &p.ty) {
            (ParamKind::Value, Some(ty)) => {
                let t = type_tokens(ty);
                let args = local_at("__args", ty.span());
                let krate_at = super::krate_at(krate, ty.span());
                next_args.push(quote_spanned!(at(ty.span())=> #krate_at::__private::next_arg::<#t>(&mut #args)?));
                value_names.push(id);
                value_types.push(t);
            }
            (ParamKind::Upload, Some(ty)) => {
                let t = type_tokens(ty);
                upload_binds.push(quote_spanned!(h=>
                    let #id: #krate::UploadStream<#t> = #krate::UploadStream::from(#call.take_stream()?);
                ));
            }
            (ParamKind::Cancellation, _) => {
                marker_binds.push(quote_spanned!(h=> let #id = #call.cancellation.clone();))
            }
            (ParamKind::Caller, _) => {
                marker_binds.push(quote_spanned!(h=> let #id = #call.caller.clone();))
            }
            _ => {}
        }
    }
    // Upload streams are taken first; the binder borrows the call only inside its block.
    let value_binds = if value_names.is_empty() {
        quote_spanned!(h=> #call.bind(0)?;)
    } else {
        quote_spanned! {h=>
            let (#(#value_names,)*): (#(#value_types,)*) = {
                let mut #args = #call.bind(#n_values)?;
                (#(#next_args,)*)
            };
        }
    };
    let kind = if m.output.kind == OutputKind::Stream {
        quote_spanned!(h=> #krate::__private::MethodKind::Stream)
    } else {
        quote_spanned!(h=> #krate::__private::MethodKind::Unary)
    };
    let mut call_impl = quote_spanned!(h=> #trait_ident::#name(&*#imp, #(#names),*));
    if m.is_async {
        call_impl = quote_spanned!(h=> #call_impl.await);
    }
    if m.output.fallible {
        let converted = convert_error(krate, &m.output, call_impl);
        call_impl = quote_spanned!(h=> #converted?);
    }
    let out_span = m.output.ty.as_ref().map_or_else(hygiene, |t| t.span());
    let reply = match m.output.kind {
        OutputKind::Unit => quote_spanned!(h=> {
            #call_impl;
            ::core::result::Result::Ok(#krate::__private::Reply::Void)
        }),
        OutputKind::Value => {
            let (call, out) = (local_at("__call", out_span), local_at("__out", out_span));
            let krate_at = super::krate_at(krate, out_span);
            let reply = quote_spanned!(at(out_span)=> #krate_at::__private::reply(&#call, &#out));
            quote_spanned!(h=> {
                let #out = #call_impl;
                #reply
            })
        }
        OutputKind::Stream => {
            let item = output_tokens(&m.output);
            let (call_at, out_at) = (local_at("__call", out_span), local_at("__out", out_span));
            let krate_at = super::krate_at(krate, out_span);
            let reply = quote_spanned!(at(out_span)=> #krate_at::__private::stream_reply::<#item>(#call_at.caller.protocol, #out_at));
            quote_spanned!(h=> {
                let #out = #call_impl;
                ::core::result::Result::Ok(#reply)
            })
        }
    };
    let param_names = m.wire_params().map(|p| lower_camel(&p.name));
    quote_spanned! {h=>
        .parameters(#plain, &[#(#param_names),*])
        .method(#plain, #kind, #n_uploads, {
            let #imp = ::std::sync::Arc::clone(&#imp);
            move |#call: #krate::__private::Call| {
                let #imp = ::std::sync::Arc::clone(&#imp);
                async move {
                    #[allow(unused_mut)]
                    let mut #call = #call;
                    #(#upload_binds)*
                    #value_binds
                    #(#marker_binds)*
                    #reply
                }
            }
        })
    }
}

/// A parameter's name as classic JavaScript proxies show it: `delay_ms` is `delayMs`.
fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
