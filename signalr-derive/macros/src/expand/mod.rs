//! The expansion of `#[hub_contract]`: parse (into the shared contract model), check,
//! expand.
//!
//! Hygiene: every name the expansion introduces for itself (locals, closure parameters,
//! the generated functions' own parameters) has `Span::mixed_site()` hygiene, so a
//! parameter of the contract named `__call`, `connection` or `implementation` can never
//! capture or be captured by it. Spans that should point at the user's code (a type that
//! cannot travel, an error type that does not convert) keep that hygiene with the user's
//! location (`located_at`). Generated items that share a namespace with the contract's
//! methods (the proxies' `new`, `connection` and `CONTRACT`) give way to a method of the
//! same name; the `HubProxy` trait always reaches them.

mod client;
mod server;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use signalr_contract::{
    ContractArgs, Ctxt, HubContract, Method, Output, Param, Requirement, Side, TypeUse,
    is_hub_attribute, parse_contract_in,
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
    let cx = Ctxt::new();
    let args = ContractArgs::parse(attr, &cx);
    let contract = parse_contract_in(&cx, &args, &item);
    match (cx.check(), contract) {
        (Ok(()), Some(contract)) => {
            let generator = Generator::new(&args, &contract);
            let generated = match contract.side {
                Side::Server => server::expand(&generator),
                Side::Client => client::expand(&generator),
            };
            desugar_trait(&mut item);
            quote! { #item #generated }
        }
        (Err(errors), _) => {
            strip_hub_attributes(&mut item);
            let errs = errors.to_compile_errors();
            quote! { #item #errs }
        }
        (Ok(()), None) => {
            strip_hub_attributes(&mut item);
            quote! { #item }
        }
    }
}

fn strip_hub_attributes(item: &mut ItemTrait) {
    item.attrs.retain(|a| !is_hub_attribute(a));
    for ti in &mut item.items {
        if let TraitItem::Fn(f) = ti {
            f.attrs.retain(|a| !is_hub_attribute(a));
        }
    }
}

/// The trait as implementors see it: `async fn` becomes `fn -> impl Future + Send`, so the
/// futures can run on any tokio task; the trait gains `Send + Sync + 'static`.
fn desugar_trait(item: &mut ItemTrait) {
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
}

/// The hygiene of everything the expansion names for itself.
pub(crate) fn hygiene() -> Span {
    Span::mixed_site()
}

/// The expansion's hygiene, located at `span` (for errors that belong to the user's code).
pub(crate) fn at(span: Span) -> Span {
    hygiene().located_at(span)
}

/// A name the expansion introduces for itself.
pub(crate) fn local(name: &str) -> Ident {
    Ident::new(name, hygiene())
}

/// A user's identifier located at `span` (its hygiene unchanged).
pub(crate) fn relocated(id: &Ident, span: Span) -> Ident {
    let mut id = id.clone();
    id.set_span(id.span().located_at(span));
    id
}

/// Every token of `tokens` located at `span` (hygiene unchanged).
pub(crate) fn relocate_tokens(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut group =
                    proc_macro2::Group::new(g.delimiter(), relocate_tokens(g.stream(), span));
                group.set_span(g.span().located_at(span));
                return proc_macro2::TokenTree::Group(group);
            }
            t.set_span(t.span().located_at(span));
            t
        })
        .collect()
}

/// The facade's path located at `span`, for expressions reported there.
pub(crate) fn krate_at(krate: &syn::Path, span: Span) -> TokenStream {
    relocate_tokens(quote!(#krate), span)
}

/// [`local`], located at `span`: the same name to the compiler, but an expression built
/// only from tokens located at `span` is reported there.
pub(crate) fn local_at(name: &str, span: Span) -> Ident {
    Ident::new(name, at(span))
}

/// What every part of the expansion needs.
pub(crate) struct Generator<'a> {
    /// The facade: `::signalr`, or `crate = "..."`.
    pub(crate) krate: syn::Path,
    /// The contract.
    pub(crate) contract: &'a HubContract,
}

impl<'a> Generator<'a> {
    fn new(args: &ContractArgs, contract: &'a HubContract) -> Self {
        Generator {
            krate: args.facade(),
            contract,
        }
    }

    /// The trait, as written.
    pub(crate) fn trait_ident(&self) -> Ident {
        self.contract
            .origin
            .get()
            .cloned()
            .unwrap_or_else(|| name_ident(&self.contract.name))
    }

    /// A generated item named after the contract: `{Trait}{suffix}`.
    pub(crate) fn item(&self, suffix: &str) -> Ident {
        format_ident!("{}{}", self.contract.name, suffix, span = hygiene())
    }

    /// The contract as data (the model `signalr-codegen` reads), as JSON.
    pub(crate) fn contract_json(&self) -> String {
        serde_json::to_string(self.contract).unwrap_or_default()
    }

    /// Whether no method of the contract is named `name` (so a generated inherent item of
    /// that name cannot collide with one).
    pub(crate) fn free(&self, name: &str) -> bool {
        !self.contract.methods.iter().any(|m| m.name == name)
    }

    /// `.require(...)` calls: the contract's and each method's authorization.
    pub(crate) fn requirements(&self) -> TokenStream {
        let krate = &self.krate;
        let hub = self.contract.authorize.iter().map(|r| {
            let r = requirement(krate, r);
            quote_spanned!(hygiene()=> .require(#r))
        });
        let methods = self.contract.methods.iter().flat_map(|m| {
            let plain = &m.plain_name;
            m.authorize.iter().map(move |r| {
                let r = requirement(krate, r);
                quote_spanned!(hygiene()=> .require_method(#plain, #r))
            })
        });
        hub.chain(methods).collect()
    }
}

fn requirement(krate: &syn::Path, r: &Requirement) -> TokenStream {
    let h = hygiene();
    match r {
        Requirement::Authenticated => quote_spanned!(h=> #krate::Requirement::authenticated()),
        Requirement::AnyRole { roles } => {
            quote_spanned!(h=> #krate::Requirement::any_role([#(#roles),*]))
        }
        Requirement::Policy { name } => quote_spanned!(h=> #krate::Requirement::policy(#name)),
    }
}

/// An identifier for a name of the model (raw when it is a keyword).
fn name_ident(name: &str) -> Ident {
    syn::parse_str::<Ident>(name).unwrap_or_else(|_| Ident::new_raw(name, Span::call_site()))
}

/// A method's name as written (`r#` kept).
pub(crate) fn method_ident(m: &Method) -> Ident {
    m.origin
        .get()
        .cloned()
        .unwrap_or_else(|| name_ident(&m.name))
}

/// A parameter's name as written (`r#` kept).
pub(crate) fn param_ident(p: &Param) -> Ident {
    p.origin
        .get()
        .map(|s| s.ident.clone())
        .unwrap_or_else(|| name_ident(&p.name))
}

/// A type as written (the user's tokens, with their spans).
pub(crate) fn type_tokens(t: &TypeUse) -> TokenStream {
    match t.origin.get() {
        Some(ty) => quote!(#ty),
        None => t.rust.parse().unwrap_or_default(),
    }
}

/// The output type (`()` for unit).
pub(crate) fn output_tokens(o: &Output) -> TokenStream {
    o.ty.as_ref()
        .map_or_else(|| quote_spanned!(hygiene()=> ()), type_tokens)
}

/// Doc attributes for doc lines.
pub(crate) fn docs(lines: &[String]) -> TokenStream {
    lines
        .iter()
        .map(|d| {
            let d = format!(" {d}");
            quote_spanned!(hygiene()=> #[doc = #d])
        })
        .collect()
}

/// A method's doc lines, and what its caller must satisfy.
pub(crate) fn method_docs(m: &Method) -> TokenStream {
    let mut lines = m.docs.clone();
    if !m.authorize.is_empty() && !lines.is_empty() {
        lines.push(String::new());
    }
    lines.extend(
        m.authorize
            .iter()
            .map(|r| format!("Requires {}.", r.describe())),
    );
    docs(&lines)
}

/// Encodes argument values with `push`, each spanned at its type: a type that cannot
/// travel is reported there, with `WireType`'s message.
pub(crate) fn encode_args(
    krate: &syn::Path,
    protocol: TokenStream,
    values: &[(TokenStream, Span)],
) -> TokenStream {
    let h = hygiene();
    let n = values.len();
    let w = local("__w");
    if values.is_empty() {
        return quote_spanned!(h=> #krate::__private::encode(#protocol, 0, |_| ::core::result::Result::Ok(())));
    }
    let pushes = values.iter().map(|(v, span)| {
        let w = local_at("__w", *span);
        let v = relocate_tokens(v.clone(), *span);
        let krate = krate_at(krate, *span);
        quote_spanned!(at(*span)=> #krate::__private::push(#w, &#v)?;)
    });
    quote_spanned! {h=>
        #krate::__private::encode(#protocol, #n, |#w| {
            #(#pushes)*
            ::core::result::Result::Ok(())
        })
    }
}

/// `result` (a `Result<_, E>`) with its error made a `HubError`, spanned at `E`: an error
/// type that does not convert is reported there.
pub(crate) fn convert_error(krate: &syn::Path, o: &Output, result: TokenStream) -> TokenStream {
    let span = o
        .error
        .as_ref()
        .and_then(|e| e.origin.get().map(Spanned::span))
        .or_else(|| o.ty.as_ref().map(TypeUse::span))
        .unwrap_or_else(hygiene);
    let krate = krate_at(krate, span);
    let (v, e) = (local("__v"), local("__e"));
    let e_at = local_at("__e", span);
    let convert = quote_spanned!(at(span)=> #krate::__private::into_hub_error(#e_at));
    quote_spanned! {hygiene()=>
        match #result {
            ::core::result::Result::Ok(#v) => ::core::result::Result::Ok(#v),
            ::core::result::Result::Err(#e) => ::core::result::Result::Err(#convert),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Expansion snapshots: what `#[hub_contract]` generates, formatted with prettyplease.
    //! Review a changed snapshot as code: generated paths are absolute (`::signalr::...`,
    //! `::core::...`, `::std::...`); only the types written in the contract keep the user's
    //! own spelling.

    #![allow(clippy::unwrap_used)]

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
        let source = include_str!("../../../../tests/contracts/shapes.rs");
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

    /// `crate = "..."`: every generated path names the facade through it.
    #[test]
    fn a_renamed_facade_is_named_everywhere() {
        let item = quote! {
            pub trait Renamed {
                async fn echo(&self, text: String) -> Result<String, my::HubError>;
                fn ticks(&self, n: u32, cancel: my::CancellationToken) -> my::HubStream<u32>;
            }
        };
        let out = expand(quote!(crate = "crate::reexports::my"), item);
        assert!(!out.contains("::signalr"), "{out}");
        assert!(
            out.contains("crate::reexports::my::__private::Hub::new(\"Renamed\")"),
            "{out}"
        );
    }

    /// `#[hub(authorize ...)]`: the hub requires, and each method requires, what the
    /// attributes say, through the server's `Requirement` API.
    #[test]
    fn authorization_becomes_requirements() {
        let item = quote! {
            #[hub(authorize)]
            pub trait Admin {
                #[hub(authorize(roles = "admin, ops"))]
                async fn restart(&self);
                #[hub(authorize(roles = ["admin"], policy = "adults"))]
                async fn purge(&self);
                async fn status(&self) -> String;
            }
        };
        let out: String = expand(quote!(), item)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',')
            .collect();
        for expected in [
            ".require(::signalr::Requirement::authenticated())",
            ".require_method(\"Restart\", ::signalr::Requirement::any_role([\"admin\", \"ops\"]))",
            ".require_method(\"Purge\", ::signalr::Requirement::any_role([\"admin\"]))",
            ".require_method(\"Purge\", ::signalr::Requirement::policy(\"adults\"))",
        ] {
            let expected: String = expected
                .chars()
                .filter(|c| !c.is_whitespace() && *c != ',')
                .collect();
            assert!(out.contains(&expected), "{expected} not in:\n{out}");
        }
        assert!(!out.contains("#[hub"), "{out}");
    }
}
