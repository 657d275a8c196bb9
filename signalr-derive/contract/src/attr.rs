//! The attributes of a contract: `#[hub_contract(...)]` on the trait, `#[hub(...)]` on the
//! trait (authorization) and on its methods (wire name, authorization), and doc comments.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Lit, Meta, Token};

use crate::ctxt::Ctxt;
use crate::model::Requirement;

/// The arguments of `#[hub_contract(...)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractArgs {
    /// `client`: the methods are implemented by clients and called by the server.
    pub client: bool,
    /// `plain`: wire names are plain method names.
    pub plain: bool,
    /// `name = "..."`: the interface name used in `Interface|Method` wire names.
    pub name: Option<String>,
    /// `crate = "..."`: the path generated code names the `signalr` facade by, for a
    /// renamed or re-exported facade (`::signalr` when absent).
    pub krate: Option<syn::Path>,
}

/// A string literal's value (seen through the invisible groups macro expansion adds).
pub(crate) fn string_value(mut expr: &Expr) -> Option<String> {
    while let Expr::Group(g) = expr {
        expr = &g.expr;
    }
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => None,
    }
}

/// Checks an interface or method name against the wire-name rule; reports at `at`.
pub(crate) fn check_name(cx: &Ctxt, at: impl quote::ToTokens, name: &str, what: &str) -> bool {
    use signalr_protocol::names::{NameError, SEPARATOR, check};
    match check(name) {
        Ok(()) => true,
        Err(NameError::Empty) => {
            cx.error_spanned_by(at, format!("the {what} name must not be empty"));
            false
        }
        Err(NameError::Separator) => {
            cx.error_spanned_by(
                at,
                format!(
                    "the {what} name must not contain `{SEPARATOR}`: it separates the interface from the method on the wire"
                ),
            );
            false
        }
    }
}

impl ContractArgs {
    /// Parses the attribute's arguments, reporting unknown ones.
    pub fn parse(tokens: TokenStream, cx: &Ctxt) -> ContractArgs {
        let mut args = ContractArgs::default();
        if tokens.is_empty() {
            return args;
        }
        let metas = match syn::parse::Parser::parse2(
            Punctuated::<Meta, Token![,]>::parse_terminated,
            tokens,
        ) {
            Ok(m) => m,
            Err(e) => {
                cx.syn_error(e);
                return args;
            }
        };
        for meta in metas {
            match &meta {
                Meta::Path(p) if p.is_ident("client") => args.client = true,
                Meta::Path(p) if p.is_ident("plain") => args.plain = true,
                Meta::NameValue(nv) if nv.path.is_ident("name") => match string_value(&nv.value) {
                    Some(name) => {
                        if check_name(cx, &nv.value, &name, "interface") {
                            args.name = Some(name);
                        }
                    }
                    None => {
                        cx.error_spanned_by(&nv.value, "expected a string: `name = \"IChatHub\"`")
                    }
                },
                Meta::NameValue(nv) if nv.path.is_ident("crate") => {
                    match string_value(&nv.value).map(|s| syn::parse_str::<syn::Path>(&s)) {
                        Some(Ok(path)) => args.krate = Some(path),
                        Some(Err(_)) => cx.error_spanned_by(
                            &nv.value,
                            "expected a path to the `signalr` crate: `crate = \"my_signalr\"` or `crate = \"crate::reexports::signalr\"`",
                        ),
                        None => cx.error_spanned_by(
                            &nv.value,
                            "expected a string: `crate = \"my_signalr\"`",
                        ),
                    }
                }
                other => cx.error_spanned_by(
                    other,
                    "unknown argument; `#[hub_contract]` takes `client`, `plain`, `name = \"...\"` and `crate = \"...\"`",
                ),
            }
        }
        args
    }

    /// Reads the arguments from a `#[hub_contract(...)]` attribute (for source files).
    pub fn from_attribute(attr: &Attribute, cx: &Ctxt) -> ContractArgs {
        match &attr.meta {
            Meta::Path(_) => ContractArgs::default(),
            Meta::List(list) => ContractArgs::parse(list.tokens.clone(), cx),
            Meta::NameValue(nv) => {
                cx.error_spanned_by(nv, "write `#[hub_contract]` or `#[hub_contract(...)]`");
                ContractArgs::default()
            }
        }
    }

    /// The path generated code names the facade by: `crate = "..."`, or `::signalr`.
    pub fn facade(&self) -> syn::Path {
        self.krate
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::signalr))
    }
}

/// Whether an attribute is `#[hub_contract]` (by its last path segment).
pub fn is_contract_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "hub_contract")
}

/// Whether an attribute is `#[hub(...)]`, which the contract reads and the macro removes.
pub fn is_hub_attribute(attr: &Attribute) -> bool {
    attr.path().is_ident("hub")
}

/// A doc comment, line by line (the space rustdoc adds after `///` removed).
pub(crate) fn docs(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => string_value(&nv.value),
            _ => None,
        })
        .map(|line| line.strip_prefix(' ').map(str::to_owned).unwrap_or(line))
        .collect()
}

/// What `#[hub(...)]` says about a trait or a method.
#[derive(Debug, Default)]
pub(crate) struct HubAttrs {
    /// `name = "..."`: the method's wire name (methods only).
    pub(crate) name: Option<String>,
    /// `authorize`, `authorize(roles = ..)`, `authorize(policy = ..)`, in order.
    pub(crate) authorize: Vec<Requirement>,
}

/// Where a `#[hub(...)]` attribute is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HubAttrTarget {
    /// On the contract trait.
    Trait,
    /// On a method.
    Method,
}

/// Reads every `#[hub(...)]` attribute among `attrs`.
pub(crate) fn hub_attrs(attrs: &[Attribute], target: HubAttrTarget, cx: &Ctxt) -> HubAttrs {
    let mut out = HubAttrs::default();
    for attr in attrs.iter().filter(|a| is_hub_attribute(a)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") && target == HubAttrTarget::Method {
                let value: Expr = meta.value()?.parse()?;
                match string_value(&value) {
                    Some(n) => {
                        if check_name(cx, &value, &n, "method") {
                            out.name = Some(n);
                        }
                    }
                    None => cx.error_spanned_by(
                        &value,
                        "expected a string: `#[hub(name = \"Send\")]`",
                    ),
                }
                Ok(())
            } else if meta.path.is_ident("authorize") {
                out.authorize.extend(authorize(&meta, cx)?);
                Ok(())
            } else {
                Err(meta.error(match target {
                    HubAttrTarget::Method => {
                        "unknown argument; `#[hub]` on a method takes `name = \"...\"` and `authorize`, `authorize(roles = \"...\")`, `authorize(policy = \"...\")`"
                    }
                    HubAttrTarget::Trait => {
                        "unknown argument; `#[hub]` on a contract takes `authorize`, `authorize(roles = \"...\")`, `authorize(policy = \"...\")` (rename the interface with `#[hub_contract(name = \"...\")]`)"
                    }
                }))
            }
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}

/// `authorize`, `authorize(roles = "a, b")`, `authorize(roles = ["a", "b"])`,
/// `authorize(policy = "p")` (roles and policy together: both are required).
fn authorize(meta: &ParseNestedMeta<'_>, cx: &Ctxt) -> syn::Result<Vec<Requirement>> {
    if !meta.input.peek(syn::token::Paren) {
        return Ok(vec![Requirement::Authenticated]);
    }
    let mut out = Vec::new();
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("roles") {
            let value: Expr = inner.value()?.parse()?;
            match roles(&value) {
                Some(roles) if !roles.is_empty() => out.push(Requirement::AnyRole { roles }),
                Some(_) => cx.error_spanned_by(
                    &value,
                    "`roles` names no role: write `roles = \"admin\"` or `roles = [\"admin\", \"ops\"]`",
                ),
                None => cx.error_spanned_by(
                    &value,
                    "expected roles as a string or a list of strings: `roles = \"admin, ops\"` or `roles = [\"admin\", \"ops\"]`",
                ),
            }
            Ok(())
        } else if inner.path.is_ident("policy") {
            let value: Expr = inner.value()?.parse()?;
            match string_value(&value) {
                Some(name) if !name.trim().is_empty() => out.push(Requirement::Policy {
                    name: name.trim().to_owned(),
                }),
                Some(_) => cx.error_spanned_by(&value, "the policy name must not be empty"),
                None => cx.error_spanned_by(
                    &value,
                    "expected a string: `policy = \"adults\"`",
                ),
            }
            Ok(())
        } else {
            Err(inner.error(
                "unknown argument; `authorize` takes `roles = \"...\"` and `policy = \"...\"`",
            ))
        }
    })?;
    if out.is_empty() {
        out.push(Requirement::Authenticated);
    }
    Ok(out)
}

/// The roles of `roles = "a, b"` (comma-separated, as ASP.NET Core reads `Roles`) or
/// `roles = ["a", "b"]`; `None` when the value is neither.
fn roles(value: &Expr) -> Option<Vec<String>> {
    let split = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if let Some(s) = string_value(value) {
        return Some(split(&s));
    }
    let mut value = value;
    while let Expr::Group(g) = value {
        value = &g.expr;
    }
    let Expr::Array(array) = value else {
        return None;
    };
    let mut out = Vec::new();
    for element in &array.elems {
        out.extend(split(&string_value(element)?));
    }
    Some(out)
}
