//! From a trait (syn) to a validated [`HubContract`], collecting every error with its span.

use heck::ToUpperCamelCase;
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Expr, ExprLit, FnArg, GenericArgument, ItemTrait, Lit, Meta, Pat, PathArguments,
    ReturnType, Signature, Token, TraitItem, TraitItemFn, Type,
};

use crate::model::{HubContract, Method, Output, OutputKind, Param, ParamKind, Side};

/// The arguments of `#[hub_contract(...)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractArgs {
    /// `client`: the methods are implemented by clients and called by the server.
    pub client: bool,
    /// `plain`: wire names are plain method names.
    pub plain: bool,
    /// `name = "..."`: the interface name used in `Interface|Method` wire names.
    pub name: Option<String>,
}

/// The Rust types of one method, for code generation (aligned with [`Method::params`]).
#[derive(Debug, Clone)]
pub struct MethodTypes {
    /// For each parameter: its value type (item type for uploads), `None` for markers.
    pub params: Vec<Option<Type>>,
    /// The value or stream item type, `None` for unit.
    pub output: Option<Type>,
    /// The method's signature as written.
    pub sig: Signature,
}

/// A parsed contract: the model, and the Rust types behind it.
#[derive(Debug, Clone)]
pub struct ParsedContract {
    /// The validated model.
    pub contract: HubContract,
    /// Per method, the types for code generation.
    pub types: Vec<MethodTypes>,
}

/// Every problem found in a contract, each with its span.
#[derive(Debug, Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.0.push(syn::Error::new(span, message));
    }

    fn push_spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.0.push(syn::Error::new_spanned(tokens, message));
    }

    /// Whether no error was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors, in the order found.
    pub fn into_vec(self) -> Vec<syn::Error> {
        self.0
    }

    /// All errors as one `compile_error!` token stream.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}

/// A string literal's value (seen through the invisible groups macro expansion adds).
fn string_value(mut expr: &Expr) -> Option<String> {
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

fn check_name(errors: &mut Errors, span: Span, name: &str, what: &str) -> bool {
    if name.is_empty() {
        errors.push(span, format!("the {what} name must not be empty"));
        false
    } else if name.contains('|') {
        errors.push(
            span,
            format!("the {what} name must not contain `|`: it separates the interface from the method on the wire"),
        );
        false
    } else {
        true
    }
}

impl ContractArgs {
    /// Parses the attribute's arguments, reporting unknown ones.
    pub fn parse(tokens: TokenStream, errors: &mut Errors) -> ContractArgs {
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
                errors.0.push(e);
                return args;
            }
        };
        for meta in metas {
            match &meta {
                Meta::Path(p) if p.is_ident("client") => args.client = true,
                Meta::Path(p) if p.is_ident("plain") => args.plain = true,
                Meta::NameValue(nv) if nv.path.is_ident("name") => match string_value(&nv.value) {
                    Some(name) => {
                        if check_name(errors, nv.value.span(), &name, "interface") {
                            args.name = Some(name);
                        }
                    }
                    None => errors.push_spanned(&nv.value, "expected a string: `name = \"IChatHub\"`"),
                },
                other => errors.push_spanned(
                    other,
                    "unknown argument; `#[hub_contract]` takes `client`, `plain` and `name = \"...\"`",
                ),
            }
        }
        args
    }

    /// Reads the arguments from a `#[hub_contract(...)]` attribute (for source files).
    pub fn from_attribute(attr: &Attribute, errors: &mut Errors) -> ContractArgs {
        match &attr.meta {
            Meta::Path(_) => ContractArgs::default(),
            Meta::List(list) => ContractArgs::parse(list.tokens.clone(), errors),
            Meta::NameValue(nv) => {
                errors.push_spanned(nv, "write `#[hub_contract]` or `#[hub_contract(...)]`");
                ContractArgs::default()
            }
        }
    }
}

/// Whether an attribute is `#[hub_contract]` (by its last path segment).
pub fn is_contract_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "hub_contract")
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

/// The last path segment of a type and its single generic argument, if any.
fn last_segment(ty: &Type) -> Option<(String, Option<&Type>)> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let seg = p.path.segments.last()?;
    let arg = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), arg))
}

fn type_string(ty: &Type) -> String {
    ty.to_token_stream().to_string()
}

fn has_reference(ty: &Type) -> Option<Span> {
    struct Finder(Option<Span>);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            self.0.get_or_insert(r.span());
        }
        fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
            self.0.get_or_insert(l.span());
        }
        fn visit_type_impl_trait(&mut self, i: &'ast syn::TypeImplTrait) {
            self.0.get_or_insert(i.span());
        }
    }
    let mut f = Finder(None);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

/// The `#[hub(...)]` attributes of a method: its renamed wire name, if any.
fn method_rename(attrs: &[Attribute], errors: &mut Errors) -> Option<String> {
    let mut name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("hub")) {
        let metas = match attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            Ok(m) => m,
            Err(e) => {
                errors.0.push(e);
                continue;
            }
        };
        for meta in metas {
            match &meta {
                Meta::NameValue(nv) if nv.path.is_ident("name") => match string_value(&nv.value) {
                    Some(n) => {
                        if check_name(errors, nv.value.span(), &n, "method") {
                            name = Some(n);
                        }
                    }
                    None => errors
                        .push_spanned(&nv.value, "expected a string: `#[hub(name = \"Send\")]`"),
                },
                other => {
                    errors.push_spanned(other, "unknown argument; `#[hub]` takes `name = \"...\"`")
                }
            }
        }
    }
    name
}

fn parse_method(
    item: &TraitItemFn,
    side: Side,
    interface: &str,
    plain: bool,
    errors: &mut Errors,
) -> Option<(Method, MethodTypes)> {
    let sig = &item.sig;
    let before = errors.0.len();
    if let Some(body) = &item.default {
        errors.push_spanned(
            body,
            "contract methods have no body: the implementation is written separately",
        );
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push_spanned(
            &sig.generics,
            "hub methods cannot be generic: every argument must have one type on the wire",
        );
    }
    if let Some(v) = &sig.variadic {
        errors.push_spanned(v, "hub methods cannot be variadic");
    }
    // Receiver: exactly `&self`.
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) => {
            if r.reference.is_none() || r.mutability.is_some() || r.colon_token.is_some() {
                errors.push_spanned(r, "hub methods take `&self`");
            }
        }
        _ => errors.push(
            sig.ident.span(),
            "hub methods take `&self` as their first parameter",
        ),
    }
    let mut params = Vec::new();
    let mut param_types = Vec::new();
    let mut cancellation_seen = false;
    for arg in sig.inputs.iter().skip(1) {
        let FnArg::Typed(pt) = arg else {
            errors.push_spanned(arg, "only the first parameter may be `self`");
            continue;
        };
        let name = match &*pt.pat {
            Pat::Ident(id) if id.subpat.is_none() && id.by_ref.is_none() => id.ident.to_string(),
            other => {
                errors.push_spanned(
                    other,
                    "use a plain parameter name: patterns are not allowed in hub methods",
                );
                continue;
            }
        };
        let ty = &*pt.ty;
        let (kind, value_ty) = match last_segment(ty) {
            Some((seg, _)) if seg == "CancellationToken" => {
                if cancellation_seen {
                    errors.push_spanned(ty, "a hub method takes at most one `CancellationToken`");
                }
                cancellation_seen = true;
                (ParamKind::Cancellation, None)
            }
            Some((seg, _)) if seg == "Caller" => {
                if side == Side::Client {
                    errors.push_spanned(ty, "`Caller` is only available to server methods");
                }
                (ParamKind::Caller, None)
            }
            Some((seg, item)) if seg == "UploadStream" => {
                if side == Side::Client {
                    errors.push_spanned(
                        ty,
                        "client methods cannot take upload streams: only the server receives streams from callers",
                    );
                }
                match item {
                    Some(item) => (ParamKind::Upload, Some(item.clone())),
                    None => {
                        errors.push_spanned(ty, "write the item type: `UploadStream<T>`");
                        continue;
                    }
                }
            }
            _ => (ParamKind::Value, Some(ty.clone())),
        };
        if let Some(ty) = value_ty.as_ref().filter(|t| has_reference(t).is_some()) {
            errors.push_spanned(
                ty,
                "hub method parameters must be owned types (no references, lifetimes or `impl Trait`): arguments are deserialized from the wire",
            );
        }
        params.push(Param {
            name,
            kind,
            ty: value_ty.as_ref().map(type_string).unwrap_or_default(),
        });
        param_types.push(value_ty);
    }
    // Output.
    let (output, output_ty) = match &sig.output {
        ReturnType::Default => (
            Output {
                kind: OutputKind::Unit,
                ty: String::new(),
                fallible: false,
            },
            None,
        ),
        ReturnType::Type(_, ty) => classify_output(ty, side, errors),
    };
    if sig.asyncness.is_none() && output.kind != OutputKind::Stream {
        errors.push(
            sig.fn_token.span,
            "hub methods are `async fn`; only a method returning `HubStream<T>` may be a plain `fn`",
        );
    }
    if let Some(span) = output_ty.as_ref().and_then(has_reference) {
        errors.push(
            span,
            "hub method results must be owned types: they are serialized to the wire",
        );
    }
    let rename = method_rename(&item.attrs, errors);
    if errors.0.len() > before {
        return None;
    }
    let plain_name = rename.unwrap_or_else(|| sig.ident.to_string().to_upper_camel_case());
    let wire_name = if plain {
        plain_name.clone()
    } else {
        format!("{interface}|{plain_name}")
    };
    Some((
        Method {
            name: sig.ident.to_string(),
            wire_name,
            plain_name,
            docs: docs(&item.attrs),
            is_async: sig.asyncness.is_some(),
            params,
            output,
        },
        MethodTypes {
            params: param_types,
            output: output_ty,
            sig: sig.clone(),
        },
    ))
}

fn classify_output(ty: &Type, side: Side, errors: &mut Errors) -> (Output, Option<Type>) {
    let (fallible, inner) = match last_segment(ty) {
        Some((seg, Some(ok))) if seg == "Result" => (true, ok.clone()),
        _ => (false, ty.clone()),
    };
    if let Type::Tuple(t) = &inner
        && t.elems.is_empty()
    {
        return (
            Output {
                kind: OutputKind::Unit,
                ty: String::new(),
                fallible,
            },
            None,
        );
    }
    match last_segment(&inner) {
        Some((seg, item)) if seg == "HubStream" => {
            if side == Side::Client {
                errors.push_spanned(
                    ty,
                    "client methods cannot return streams: only the server streams to callers",
                );
            }
            if fallible {
                errors.push_spanned(
                    ty,
                    "return `HubStream<T>` directly; its items carry their own errors",
                );
            }
            match item {
                Some(item) => (
                    Output {
                        kind: OutputKind::Stream,
                        ty: type_string(item),
                        fallible: false,
                    },
                    Some(item.clone()),
                ),
                None => {
                    errors.push_spanned(ty, "write the item type: `HubStream<T>`");
                    (
                        Output {
                            kind: OutputKind::Unit,
                            ty: String::new(),
                            fallible: false,
                        },
                        None,
                    )
                }
            }
        }
        _ => (
            Output {
                kind: OutputKind::Value,
                ty: type_string(&inner),
                fallible,
            },
            Some(inner),
        ),
    }
}

/// Parses and validates a contract trait. On failure every error found is returned.
pub fn parse_contract(args: &ContractArgs, item: &ItemTrait) -> Result<ParsedContract, Errors> {
    let mut errors = Errors::default();
    let side = if args.client {
        Side::Client
    } else {
        Side::Server
    };
    let interface = args.name.clone().unwrap_or_else(|| item.ident.to_string());
    if !item.generics.params.is_empty() {
        errors.push_spanned(&item.generics, "hub contracts cannot be generic");
    }
    let mut methods: Vec<Method> = Vec::new();
    let mut types = Vec::new();
    for trait_item in &item.items {
        match trait_item {
            TraitItem::Fn(f) => {
                if let Some((m, t)) = parse_method(f, side, &interface, args.plain, &mut errors) {
                    if let Some(prev) = methods
                        .iter()
                        .find(|p| p.plain_name.eq_ignore_ascii_case(&m.plain_name))
                    {
                        errors.push(
                            f.sig.ident.span(),
                            format!(
                                "`{}` (wire name `{}`) clashes with `{}` (wire name `{}`): wire names are matched case-insensitively; rename one with `#[hub(name = \"...\")]`",
                                m.name, m.wire_name, prev.name, prev.wire_name
                            ),
                        );
                        continue;
                    }
                    methods.push(m);
                    types.push(t);
                }
            }
            other => errors.push_spanned(
                other,
                "hub contracts contain only methods; move this item out of the trait",
            ),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ParsedContract {
        contract: HubContract {
            name: item.ident.to_string(),
            interface,
            side,
            plain: args.plain,
            docs: docs(&item.attrs),
            methods,
        },
        types,
    })
}

/// Every contract trait in a source file (traits carrying `#[hub_contract]`), parsed.
pub fn contracts_in_file(file: &syn::File) -> Vec<Result<ParsedContract, Errors>> {
    let mut out = Vec::new();
    collect(&file.items, &mut out);
    out
}

fn collect(items: &[syn::Item], out: &mut Vec<Result<ParsedContract, Errors>>) {
    for item in items {
        match item {
            syn::Item::Trait(t) => {
                if let Some(attr) = t.attrs.iter().find(|a| is_contract_attribute(a)) {
                    let mut errors = Errors::default();
                    let args = ContractArgs::from_attribute(attr, &mut errors);
                    out.push(if errors.is_empty() {
                        parse_contract(&args, t)
                    } else {
                        Err(errors)
                    });
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect(items, out);
                }
            }
            _ => {}
        }
    }
}
