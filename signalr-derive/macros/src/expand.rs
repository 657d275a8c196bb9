//! The expansion of `#[hub_contract]`: parse, check, expand.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use signalr_contract::{
    ContractArgs, Errors, HubContract, Method, MethodTypes, OutputKind, ParamKind, Side,
    parse_contract,
};
use syn::spanned::Spanned;
use syn::{ItemTrait, TraitItem, Type};

/// Expands the attribute; never fails: errors become `compile_error!` beside the trait.
pub(crate) fn hub_contract(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut item: ItemTrait = match syn::parse2(item.clone()) {
        Ok(t) => t,
        Err(e) => {
            let err =
                syn::Error::new(e.span(), "#[hub_contract] goes on a trait").to_compile_error();
            return quote! { #item #err };
        }
    };
    let mut errors = Errors::default();
    let args = ContractArgs::parse(attr, &mut errors);
    let parsed = if errors.is_empty() {
        parse_contract(&args, &item)
    } else {
        Err(errors)
    };
    match parsed {
        Ok(parsed) => {
            let trait_def = desugar_trait(&mut item, &parsed.contract, &parsed.types);
            let generated = match parsed.contract.side {
                Side::Server => server_contract(&parsed.contract, &parsed.types),
                Side::Client => client_contract(&parsed.contract, &parsed.types),
            };
            quote! { #trait_def #generated }
        }
        Err(errors) => {
            strip_hub_attributes(&mut item);
            let errs = errors.to_compile_errors();
            quote! { #item #errs }
        }
    }
}

fn strip_hub_attributes(item: &mut ItemTrait) {
    for ti in &mut item.items {
        if let TraitItem::Fn(f) = ti {
            f.attrs.retain(|a| !a.path().is_ident("hub"));
        }
    }
}

/// The trait as implementors see it: `async fn` becomes `fn -> impl Future + Send`, so the
/// futures can run on any tokio task; the trait gains `Send + Sync + 'static`.
fn desugar_trait(
    item: &mut ItemTrait,
    contract: &HubContract,
    _types: &[MethodTypes],
) -> TokenStream {
    strip_hub_attributes(item);
    item.supertraits
        .push(syn::parse_quote!(::core::marker::Send));
    item.supertraits
        .push(syn::parse_quote!(::core::marker::Sync));
    item.supertraits.push(syn::parse_quote!('static));
    for ti in &mut item.items {
        if let TraitItem::Fn(f) = ti
            && f.sig.asyncness.take().is_some()
        {
            let out: Type = match &f.sig.output {
                syn::ReturnType::Default => syn::parse_quote!(()),
                syn::ReturnType::Type(_, t) => (**t).clone(),
            };
            f.sig.output = syn::parse_quote_spanned! {out.span()=>
                -> impl ::core::future::Future<Output = #out> + ::core::marker::Send
            };
        }
    }
    let _ = contract;
    quote! { #item }
}

fn contract_json(contract: &HubContract) -> String {
    serde_json::to_string(contract).unwrap_or_default()
}

/// Encodes argument expressions with `::signalr::__private::push`, whose `WireType` bound
/// reports a type that cannot travel with a readable message at the argument.
fn encode_args(protocol: TokenStream, values: &[TokenStream]) -> TokenStream {
    let n = values.len();
    if values.is_empty() {
        return quote!(::signalr::__private::encode(#protocol, 0, |_| ::core::result::Result::Ok(())));
    }
    let pushes = values.iter().map(|v| {
        let span = v
            .clone()
            .into_iter()
            .next()
            .map_or_else(proc_macro2::Span::call_site, |t| t.span());
        quote::quote_spanned!(span=> ::signalr::__private::push(__w, &#v)?;)
    });
    quote! {
        ::signalr::__private::encode(#protocol, #n, |__w| {
            #(#pushes)*
            ::core::result::Result::Ok(())
        })
    }
}

fn arg_names(m: &Method) -> Vec<syn::Ident> {
    m.params
        .iter()
        .map(|p| format_ident!("{}", p.name))
        .collect()
}

/// For a server contract: the client-side proxy and the server-side dispatch.
fn server_contract(contract: &HubContract, types: &[MethodTypes]) -> TokenStream {
    let trait_name = format_ident!("{}", contract.name);
    let proxy = format_ident!("{}Proxy", contract.name);
    let dispatch = format_ident!("{}Dispatch", contract.name);
    let interface = &contract.interface;
    let json = contract_json(contract);

    let proxy_methods = contract.methods.iter().zip(types).map(|(m, t)| {
        let name = format_ident!("{}", m.name);
        let wire = &m.wire_name;
        let docs = m.docs.iter().map(|d| {
            let d = format!(" {d}");
            quote!(#[doc = #d])
        });
        let mut params = Vec::new();
        let mut values = Vec::new();
        let mut uploads = Vec::new();
        let mut token = None;
        for (p, ty) in m.params.iter().zip(&t.params) {
            // Spanned at the type, so a type that cannot travel is reported there.
            let id = syn::Ident::new(&p.name, ty.as_ref().map_or_else(proc_macro2::Span::call_site, |t| t.span()));
            match (p.kind, ty) {
                (ParamKind::Value, Some(ty)) => {
                    params.push(quote!(#id: #ty));
                    values.push(quote!(#id));
                }
                (ParamKind::Upload, Some(ty)) => {
                    params.push(quote!(#id: impl ::signalr::__private::Stream<Item = #ty> + ::core::marker::Send + 'static));
                    uploads.push(quote!(::signalr::__private::upload(#id)));
                }
                (ParamKind::Cancellation, _) => {
                    params.push(quote!(#id: ::signalr::CancellationToken));
                    token = Some(id);
                }
                _ => {}
            }
        }
        let args = encode_args(quote!(self.connection.protocol()), &values);
        let uploads = quote!(::std::vec![#(#uploads),*]);
        let out_ty = t.output.clone().map_or_else(|| quote!(()), |ty| quote!(#ty));
        match (m.output.kind, &token) {
            (OutputKind::Stream, None) => quote! {
                #(#docs)*
                pub fn #name(&self, #(#params),*) -> ::signalr::__private::ClientHubStream<#out_ty> {
                    ::signalr::__private::stream::<#out_ty>(&self.connection, #wire, #args, #uploads)
                }
            },
            (OutputKind::Stream, Some(tok)) => quote! {
                #(#docs)*
                pub fn #name(&self, #(#params),*) -> ::signalr::__private::CancellableStream<#out_ty> {
                    ::signalr::__private::cancellable_stream(
                        ::signalr::__private::stream::<#out_ty>(&self.connection, #wire, #args, #uploads),
                        #tok,
                    )
                }
            },
            _ => {
                let call = match &token {
                    Some(tok) => quote! {
                        ::signalr::__private::invoke_cancellable::<#out_ty>(&self.connection, #wire, #args, #uploads, #tok)
                    },
                    None => quote! {
                        ::signalr::__private::invoke::<#out_ty>(&self.connection, #wire, #args, #uploads)
                    },
                };
                quote! {
                    #(#docs)*
                    pub fn #name(&self, #(#params),*) -> impl ::core::future::Future<Output = ::core::result::Result<#out_ty, ::signalr::__private::ClientError>> + ::core::marker::Send + 'static {
                        #call
                    }
                }
            }
        }
    });

    let registrations = contract.methods.iter().zip(types).map(|(m, t)| {
        let name = format_ident!("{}", m.name);
        let plain = &m.plain_name;
        let n_values = m.wire_params().count();
        let n_uploads = m.upload_params().count();
        let names = arg_names(m);
        let mut upload_binds = Vec::new();
        let mut marker_binds = Vec::new();
        let mut value_names = Vec::new();
        let mut value_types = Vec::new();
        for (p, ty) in m.params.iter().zip(&t.params) {
            let id = format_ident!("{}", p.name);
            match (p.kind, ty) {
                (ParamKind::Value, Some(ty)) => {
                    value_names.push(id);
                    value_types.push(ty.clone());
                }
                (ParamKind::Upload, Some(ty)) => upload_binds.push(
                    quote!(let #id: ::signalr::UploadStream<#ty> = ::signalr::UploadStream::from(__call.take_stream()?);),
                ),
                (ParamKind::Cancellation, _) => marker_binds.push(quote!(let #id = __call.cancellation.clone();)),
                (ParamKind::Caller, _) => marker_binds.push(quote!(let #id = __call.caller.clone();)),
                _ => {}
            }
        }
        // Upload streams are taken first; the binder borrows the call only inside its block.
        let value_binds = if value_names.is_empty() {
            quote!(__call.bind(0)?;)
        } else {
            quote! {
                let (#(#value_names,)*): (#(#value_types,)*) = {
                    let mut __args = __call.bind(#n_values)?;
                    (#(::signalr::__private::next_arg::<#value_types>(&mut __args)?,)*)
                };
            }
        };
        let kind = if m.output.kind == OutputKind::Stream {
            quote!(::signalr::__private::MethodKind::Stream)
        } else {
            quote!(::signalr::__private::MethodKind::Unary)
        };
        let call_impl = if m.is_async {
            quote!(__imp.#name(#(#names),*).await)
        } else {
            quote!(__imp.#name(#(#names),*))
        };
        let reply = match (m.output.kind, m.output.fallible) {
            (OutputKind::Unit, false) => quote!({ #call_impl; ::core::result::Result::Ok(::signalr::__private::Reply::Void) }),
            (OutputKind::Unit, true) => quote!({ #call_impl?; ::core::result::Result::Ok(::signalr::__private::Reply::Void) }),
            (OutputKind::Value, false) => quote!({ let __out = #call_impl; ::signalr::__private::reply(&__call, &__out) }),
            (OutputKind::Value, true) => quote!({ let __out = #call_impl?; ::signalr::__private::reply(&__call, &__out) }),
            (OutputKind::Stream, _) => quote!({
                let __out = #call_impl;
                ::core::result::Result::Ok(::signalr::__private::stream_reply(__call.caller.protocol, __out))
            }),
        };
        quote! {
            .method(#plain, #kind, #n_uploads, {
                let __imp = ::std::sync::Arc::clone(&__imp);
                move |__call: ::signalr::__private::Call| {
                    let __imp = ::std::sync::Arc::clone(&__imp);
                    async move {
                        #[allow(unused_mut)]
                        let mut __call = __call;
                        #(#upload_binds)*
                        #value_binds
                        #(#marker_binds)*
                        #reply
                    }
                }
            })
        }
    });

    quote! {
        /// Calls the hub's methods over a client connection, with their exact wire names.
        #[derive(Clone, Debug)]
        pub struct #proxy {
            connection: ::signalr::__private::HubConnection,
        }

        impl #proxy {
            /// The contract as data (the same model `signalr-codegen` reads), as JSON.
            pub const CONTRACT: &'static str = #json;

            /// A proxy over `connection`.
            pub fn new(connection: ::signalr::__private::HubConnection) -> Self {
                Self { connection }
            }

            /// The connection the proxy calls through.
            pub fn connection(&self) -> &::signalr::__private::HubConnection {
                &self.connection
            }

            #(#proxy_methods)*
        }

        /// Builds the server-side hub that dispatches calls to an implementation of the trait.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct #dispatch;

        impl #dispatch {
            /// The hub for `implementation`: every method under its plain name and its
            /// `Interface|Method` name, matched case-insensitively.
            pub fn hub<T: #trait_name>(implementation: T) -> ::signalr::__private::Hub {
                let __imp = ::std::sync::Arc::new(implementation);
                ::signalr::__private::Hub::new(#interface)
                    #(#registrations)*
            }
        }

    }
}

/// For a client contract: receiver registration (client side) and typed proxies over the
/// server's client handles (server side).
fn client_contract(contract: &HubContract, types: &[MethodTypes]) -> TokenStream {
    let trait_name = format_ident!("{}", contract.name);
    let proxy = format_ident!("{}Proxy", contract.name);
    let receiver = format_ident!("{}Receiver", contract.name);
    let json = contract_json(contract);

    let registrations = contract.methods.iter().zip(types).map(|(m, t)| {
        let name = format_ident!("{}", m.name);
        // Server to client, a CancellationToken occupies an argument slot (its marker).
        let n_values = m
            .params
            .iter()
            .filter(|p| matches!(p.kind, ParamKind::Value | ParamKind::Cancellation))
            .count();
        let names = arg_names(m);
        let mut marker_ids = Vec::new();
        let binds: Vec<TokenStream> = m
            .params
            .iter()
            .zip(&t.params)
            .map(|(p, ty)| {
                let id = format_ident!("{}", p.name);
                match (p.kind, ty) {
                    (ParamKind::Value, Some(ty)) => quote!(
                        let #id: #ty = ::signalr::__private::next_arg::<#ty>(&mut __args).map_err(|e| e.to_string())?;
                    ),
                    (ParamKind::Cancellation, _) => {
                        let marker = format_ident!("__marker_{}", p.name);
                        marker_ids.push(marker.clone());
                        quote! {
                            let #marker = ::signalr::__private::next_arg::<::signalr::__private::CancellationMarker>(&mut __args)
                                .map_err(|e| e.to_string())?;
                            let #id = __tokens.register(&#marker.id);
                        }
                    }
                    _ => quote!(),
                }
            })
            .collect();
        let call_impl = quote!({
            let __out = __imp.#name(#(#names),*).await;
            #(__tokens.remove(&#marker_ids.id);)*
            __out
        });
        let reply = match (m.output.kind, m.output.fallible) {
            (OutputKind::Value, false) => quote!({
                let __out = #call_impl;
                ::signalr::__private::serialize(__protocol, &__out).map(::core::option::Option::Some).map_err(|e| e.to_string())
            }),
            (OutputKind::Value, true) => quote!({
                let __out = #call_impl.map_err(|e| e.to_string())?;
                ::signalr::__private::serialize(__protocol, &__out).map(::core::option::Option::Some).map_err(|e| e.to_string())
            }),
            (_, true) => quote!({ #call_impl.map_err(|e| e.to_string())?; ::core::result::Result::Ok(::core::option::Option::None) }),
            _ => quote!({ #call_impl; ::core::result::Result::Ok(::core::option::Option::None) }),
        };
        let mut wire_names = vec![m.plain_name.clone()];
        if m.wire_name != m.plain_name {
            wire_names.push(m.wire_name.clone());
        }
        let one = |wire: &String| quote! {
                __subscriptions.push(connection.on_raw(#wire, {
                    let __imp = ::std::sync::Arc::clone(&__imp);
                    let __tokens = __tokens.clone();
                    move |__arguments: ::signalr::__private::Arguments<'static>| {
                        let __imp = ::std::sync::Arc::clone(&__imp);
                        #[allow(unused_variables)]
                        let __tokens = __tokens.clone();
                        async move {
                            let __protocol = __arguments.protocol();
                            #[allow(unused_mut, unused_variables)]
                            let mut __args = __arguments.binder(#n_values).map_err(|e| e.to_string())?;
                            #(#binds)*
                            #reply
                        }
                    }
                }));
        };
        wire_names.iter().map(one).collect::<TokenStream>()
    });

    let has_tokens = contract
        .methods
        .iter()
        .any(|m| m.params.iter().any(|p| p.kind == ParamKind::Cancellation));
    let cancel_handler = if has_tokens {
        quote!(__subscriptions.push(::signalr::__private::register_cancel_handler(connection, &__tokens));)
    } else {
        quote!()
    };
    let mut send_methods = Vec::new();
    let mut single_methods = Vec::new();
    for (m, t) in contract.methods.iter().zip(types) {
        let name = format_ident!("{}", m.name);
        let wire = &m.wire_name;
        let docs: Vec<_> = m
            .docs
            .iter()
            .map(|d| {
                let d = format!(" {d}");
                quote!(#[doc = #d])
            })
            .collect();
        let mut params = Vec::new();
        let mut values = Vec::new();
        let mut token = None;
        for (p, ty) in m.params.iter().zip(&t.params) {
            // Spanned at the type, so a type that cannot travel is reported there.
            let id = syn::Ident::new(
                &p.name,
                ty.as_ref()
                    .map_or_else(proc_macro2::Span::call_site, |t| t.span()),
            );
            match (p.kind, ty) {
                (ParamKind::Value, Some(ty)) => {
                    params.push(quote!(#id: #ty));
                    values.push(quote!(#id));
                }
                (ParamKind::Cancellation, _) => {
                    params.push(quote!(#id: ::signalr::CancellationToken));
                    values.push(quote!(__marker.clone()));
                    token = Some(id);
                }
                _ => {}
            }
        }
        let encoded = encode_args(quote!(__p), &values);
        let args =
            quote!(::signalr::__private::ArgsFn(|__p: ::signalr::__private::Protocol| #encoded));
        let marker = if token.is_some() {
            quote!(let __marker = ::signalr::__private::CancellationMarker::new();)
        } else {
            quote!()
        };
        if m.output.kind == OutputKind::Value {
            let out_ty = &t.output;
            let call = match &token {
                Some(tok) => quote! {
                    let __watch = ::signalr::__private::watch_cancellation(&self.target, &__marker, &#tok);
                    let __out = ::signalr::__private::invoke_client::<#out_ty>(&self.target, #wire, &#args, &#tok).await;
                    ::core::mem::drop(__watch);
                    __out
                },
                None => {
                    quote!(::signalr::__private::invoke_client::<#out_ty>(&self.target, #wire, &#args, &::signalr::CancellationToken::new()).await)
                }
            };
            single_methods.push(quote! {
                #(#docs)*
                pub async fn #name(&self, #(#params),*) -> ::core::result::Result<#out_ty, ::signalr::HubError> {
                    #marker
                    #call
                }
            });
        } else {
            let method = quote! {
                #(#docs)*
                #[allow(unused_variables)]
                pub fn #name(&self, #(#params),*) -> ::core::result::Result<(), ::signalr::HubError> {
                    #marker
                    self.target.send(#wire, &#args).map(|_| ())
                }
            };
            send_methods.push(method.clone());
            single_methods.push(method);
        }
    }

    quote! {
        /// Calls the clients' methods from the server: over a set of clients
        /// (`ClientProxy`: methods without a result) or one client (`SingleClientProxy`: all
        /// methods, including client results).
        #[derive(Clone, Debug)]
        pub struct #proxy<P> {
            target: P,
        }

        impl<P> #proxy<P> {
            /// The contract as data (the same model `signalr-codegen` reads), as JSON.
            pub const CONTRACT: &'static str = #json;

            /// A proxy over `target`, e.g. `caller.clients.group("a")` or `caller.clients.caller()`.
            pub fn new(target: P) -> Self {
                Self { target }
            }
        }

        impl #proxy<::signalr::__private::ClientProxy> {
            #(#send_methods)*
        }

        impl #proxy<::signalr::__private::SingleClientProxy> {
            #(#single_methods)*
        }

        /// Registers an implementation of the trait as the receiver of the server's calls on
        /// a client connection.
        #[derive(Clone, Copy, Debug, Default)]
        pub struct #receiver;

        impl #receiver {
            /// Registers every method (under its plain and `Interface|Method` names); the
            /// returned subscriptions unregister them with `off`.
            pub fn register<T: #trait_name>(
                connection: &::signalr::__private::HubConnection,
                implementation: T,
            ) -> ::std::vec::Vec<::signalr::__private::Subscription> {
                let __imp = ::std::sync::Arc::new(implementation);
                let __tokens = ::signalr::__private::ReceiverTokens::default();
                let mut __subscriptions = ::std::vec::Vec::new();
                #(#registrations)*
                #cancel_handler
                __subscriptions
            }
        }

    }
}

#[cfg(test)]
mod tests {
    //! Expansion snapshots: what `#[hub_contract]` generates, formatted with prettyplease.
    //! Review a changed snapshot as code: generated paths are absolute (`::signalr::...`,
    //! `::core::...`, `::std::...`); only the types written in the contract keep the user's
    //! own spelling.

    use super::hub_contract;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn expand(attr: TokenStream, item: TokenStream) -> String {
        let tokens = hub_contract(attr, item);
        prettyplease::unparse(&syn::parse2(tokens).unwrap())
    }

    /// The traits of `tests/contracts/shapes.rs` (every method shape), read from the file
    /// itself so the snapshots always show the contract the round-trip tests use, each with
    /// the arguments of its own `#[hub_contract(...)]` attribute.
    fn shapes_contract(name: &str) -> (TokenStream, TokenStream) {
        let source = include_str!("../../../tests/contracts/shapes.rs");
        let file = syn::parse_file(source).unwrap();
        let mut item = file
            .items
            .into_iter()
            .find_map(|i| match i {
                syn::Item::Trait(t) if t.ident == name => Some(t),
                _ => None,
            })
            .unwrap();
        let attr = item
            .attrs
            .iter()
            .position(signalr_contract::is_contract_attribute)
            .map(|i| item.attrs.remove(i))
            .unwrap();
        let args = match attr.meta {
            syn::Meta::List(list) => list.tokens,
            _ => TokenStream::new(),
        };
        (args, quote!(#item))
    }

    #[test]
    fn server_contract_with_every_shape() {
        let (args, item) = shapes_contract("Shapes");
        insta::assert_snapshot!("server_shapes", expand(args, item));
    }

    #[test]
    fn client_contract_with_every_shape() {
        let (args, item) = shapes_contract("ShapesClient");
        insta::assert_snapshot!("client_shapes", expand(args, item));
    }

    /// An invalid contract: the trait comes back as written (without its `#[hub]`
    /// attributes), beside one `compile_error!` per problem and nothing else generated.
    #[test]
    fn invalid_contract_keeps_the_trait() {
        let item = quote! {
            /// A contract with three mistakes and one good method.
            pub trait Broken {
                /// Fine.
                async fn echo(&self, text: String) -> String;
                /// Generic.
                async fn put<T>(&self, value: T);
                /// Not async and not a stream.
                fn get(&self) -> u8;
                /// A `|` in its name.
                #[hub(name = "Broken|Send")]
                async fn send(&self, text: String);
            }
        };
        insta::assert_snapshot!("invalid_contract", expand(quote!(plain), item));
    }
}
