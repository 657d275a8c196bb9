//! From a trait (syn) to a validated [`HubContract`], every error collected in one
//! [`Ctxt`] with its span.

use heck::ToUpperCamelCase;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{
    FnArg, GenericArgument, ItemTrait, Pat, PathArguments, ReturnType, TraitItem, TraitItemFn, Type,
};

use crate::attr::{
    ContractArgs, HubAttrTarget, docs, hub_attrs, is_contract_attribute, is_hub_attribute,
};
use crate::ctxt::{Ctxt, Errors};
use crate::model::{
    ErrorType, HubContract, Method, Origin, Output, OutputKind, Param, ParamKind, ParamSyntax,
    Side, TypeUse,
};
use crate::types::{type_display, type_ref, unraw};

/// The last path segment of a type and its generic type arguments.
fn last_segment(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let mut ty = ty;
    while let Type::Group(g) = ty {
        ty = &g.elem;
    }
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let seg = p.path.segments.last()?;
    let args = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|g| match g {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((unraw(&seg.ident), args))
}

/// A reference, lifetime or `impl Trait` inside a type.
fn borrowed_part(ty: &Type) -> Option<Span> {
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

/// The type as the model carries it, its wire shape resolved; errors are reported.
fn type_use(cx: &Ctxt, ty: &Type) -> Option<TypeUse> {
    match type_ref(ty, &[]) {
        Ok(wire) => Some(TypeUse {
            rust: type_display(ty),
            wire,
            origin: Origin::new(ty.clone()),
        }),
        Err(e) => {
            cx.syn_error(e.into());
            None
        }
    }
}

/// What `#[hub_contract]` refuses about a method's signature, other than its types.
fn check_signature(cx: &Ctxt, item: &TraitItemFn) {
    let sig = &item.sig;
    if let Some(body) = &item.default {
        cx.error_spanned_by(
            body,
            "contract methods have no body: the implementation is written separately",
        );
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "hub methods cannot be generic: every argument must have one type on the wire",
        );
    } else if let Some(clause) = &sig.generics.where_clause {
        cx.error_spanned_by(
            clause,
            "remove this `where` clause: hub methods take no bounds, and `where Self: Sized` is not needed (a contract is never used as `dyn Trait`)",
        );
    }
    if let Some(v) = &sig.variadic {
        cx.error_spanned_by(v, "hub methods cannot be variadic");
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) => {
            if r.reference.is_none() || r.mutability.is_some() || r.colon_token.is_some() {
                cx.error_spanned_by(r, "hub methods take `&self`");
            }
        }
        _ => cx.error_at(
            sig.ident.span(),
            "hub methods take `&self` as their first parameter",
        ),
    }
}

fn parse_param(cx: &Ctxt, arg: &FnArg, side: Side, cancellation_seen: &mut bool) -> Option<Param> {
    let FnArg::Typed(pt) = arg else {
        cx.error_spanned_by(arg, "only the first parameter may be `self`");
        return None;
    };
    let ident = match &*pt.pat {
        Pat::Ident(id) if id.subpat.is_none() && id.by_ref.is_none() => id.ident.clone(),
        other => {
            cx.error_spanned_by(
                other,
                "use a plain parameter name: patterns are not allowed in hub methods",
            );
            return None;
        }
    };
    let ty = &*pt.ty;
    let (kind, value_ty) = match last_segment(ty) {
        Some((seg, _)) if seg == "CancellationToken" => {
            if *cancellation_seen {
                cx.error_spanned_by(ty, "a hub method takes at most one `CancellationToken`");
            }
            *cancellation_seen = true;
            (ParamKind::Cancellation, None)
        }
        Some((seg, _)) if seg == "Caller" => {
            if side == Side::Client {
                cx.error_spanned_by(ty, "`Caller` is only available to server methods");
            }
            (ParamKind::Caller, None)
        }
        Some((seg, item)) if seg == "UploadStream" => {
            if side == Side::Client {
                cx.error_spanned_by(
                    ty,
                    "client methods cannot take upload streams: only the server receives streams from callers",
                );
            }
            match item.first() {
                Some(item) => (ParamKind::Upload, Some(*item)),
                None => {
                    cx.error_spanned_by(ty, "write the item type: `UploadStream<T>`");
                    return None;
                }
            }
        }
        Some((seg, item)) if seg == "HubStream" && !item.is_empty() => {
            let item = item
                .first()
                .map_or_else(|| "T".to_owned(), |t| type_display(t));
            cx.error_spanned_by(
                ty,
                format!(
                    "`HubStream<T>` is what a method returns to stream to its caller; to receive a stream from the caller, take `UploadStream<{item}>`"
                ),
            );
            return None;
        }
        _ => (ParamKind::Value, Some(ty)),
    };
    let ty_use = match value_ty {
        Some(t) if borrowed_part(t).is_some() => {
            cx.error_spanned_by(
                t,
                "hub method parameters must be owned types (no references, lifetimes or `impl Trait`): arguments are deserialized from the wire",
            );
            return None;
        }
        Some(t) => Some(type_use(cx, t)?),
        None => None,
    };
    Some(Param {
        name: unraw(&ident),
        kind,
        ty: ty_use,
        origin: Origin::new(ParamSyntax {
            ident,
            ty: ty.clone(),
        }),
    })
}

fn parse_output(cx: &Ctxt, ty: &Type, side: Side) -> Option<Output> {
    let (inner, fallible, error) = match last_segment(ty) {
        Some((seg, args)) if seg == "Result" && !args.is_empty() => {
            let error = args.get(1).map(|e| ErrorType {
                rust: type_display(e),
                origin: Origin::new((*e).clone()),
            });
            (args[0], true, error)
        }
        _ => (ty, false, None),
    };
    if let Type::Tuple(t) = inner
        && t.elems.is_empty()
    {
        return Some(Output {
            kind: OutputKind::Unit,
            ty: None,
            fallible,
            error,
        });
    }
    if let Some((seg, item)) = last_segment(inner)
        && seg == "HubStream"
    {
        if side == Side::Client {
            cx.error_spanned_by(
                ty,
                "client methods cannot return streams: only the server streams to callers",
            );
        }
        if fallible {
            cx.error_spanned_by(
                ty,
                "return `HubStream<T>` directly; its items carry their own errors",
            );
        }
        let Some(item) = item.first() else {
            cx.error_spanned_by(ty, "write the item type: `HubStream<T>`");
            return None;
        };
        if let Some(span) = borrowed_part(item) {
            cx.error_at(
                span,
                "hub method results must be owned types: they are serialized to the wire",
            );
            return None;
        }
        return Some(Output {
            kind: OutputKind::Stream,
            ty: Some(type_use(cx, item)?),
            fallible: false,
            error: None,
        });
    }
    if let Some(span) = borrowed_part(inner) {
        cx.error_at(
            span,
            "hub method results must be owned types: they are serialized to the wire",
        );
        return None;
    }
    Some(Output {
        kind: OutputKind::Value,
        ty: Some(type_use(cx, inner)?),
        fallible,
        error,
    })
}

fn parse_method(
    cx: &Ctxt,
    item: &TraitItemFn,
    side: Side,
    interface: &str,
    plain: bool,
) -> Option<Method> {
    let sig = &item.sig;
    let before = cx.error_count();
    check_signature(cx, item);
    let mut params = Vec::new();
    let mut cancellation_seen = false;
    for arg in sig.inputs.iter().skip(1) {
        if let Some(p) = parse_param(cx, arg, side, &mut cancellation_seen) {
            params.push(p);
        }
    }
    let output = match &sig.output {
        ReturnType::Default => Some(Output {
            kind: OutputKind::Unit,
            ty: None,
            fallible: false,
            error: None,
        }),
        ReturnType::Type(_, ty) => parse_output(cx, ty, side),
    };
    if sig.asyncness.is_none() && output.as_ref().is_none_or(|o| o.kind != OutputKind::Stream) {
        cx.error_at(
            sig.fn_token.span,
            "hub methods are `async fn`; only a method returning `HubStream<T>` may be a plain `fn`",
        );
    }
    let attrs = hub_attrs(&item.attrs, HubAttrTarget::Method, cx);
    if side == Side::Client && !attrs.authorize.is_empty() {
        cx.error_spanned_by(
            item.attrs.iter().find(|a| is_hub_attribute(a)),
            "`authorize` applies to server contracts: the server checks who may call its methods",
        );
    }
    let output = output?;
    if cx.error_count() > before {
        return None;
    }
    let name = unraw(&sig.ident);
    let plain_name = attrs.name.unwrap_or_else(|| name.to_upper_camel_case());
    Some(Method {
        wire_name: signalr_protocol::names::wire_name(interface, &plain_name, plain),
        plain_name,
        name,
        docs: docs(&item.attrs),
        is_async: sig.asyncness.is_some(),
        authorize: attrs.authorize,
        params,
        output,
        origin: Origin::new(sig.ident.clone()),
    })
}

/// Parses and validates a contract trait into `cx`; `None` when it has errors.
pub fn parse_contract_in(cx: &Ctxt, args: &ContractArgs, item: &ItemTrait) -> Option<HubContract> {
    let before = cx.error_count();
    let side = if args.client {
        Side::Client
    } else {
        Side::Server
    };
    let name = unraw(&item.ident);
    let interface = args.name.clone().unwrap_or_else(|| name.clone());
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(&item.generics, "hub contracts cannot be generic");
    }
    let attrs = hub_attrs(&item.attrs, HubAttrTarget::Trait, cx);
    if side == Side::Client && !attrs.authorize.is_empty() {
        cx.error_spanned_by(
            item.attrs.iter().find(|a| is_hub_attribute(a)),
            "`authorize` applies to server contracts: the server checks who may connect",
        );
    }
    let mut methods: Vec<Method> = Vec::new();
    for trait_item in &item.items {
        let TraitItem::Fn(f) = trait_item else {
            cx.error_spanned_by(
                trait_item,
                "hub contracts contain only methods; move this item out of the trait",
            );
            continue;
        };
        let Some(m) = parse_method(cx, f, side, &interface, args.plain) else {
            continue;
        };
        let key = signalr_protocol::names::key(&m.plain_name);
        if let Some(prev) = methods
            .iter()
            .find(|p| signalr_protocol::names::key(&p.plain_name) == key)
        {
            cx.error_at(
                f.sig.ident.span(),
                format!(
                    "`{}` (wire name `{}`) clashes with `{}` (wire name `{}`): wire names are matched case-insensitively; rename one with `#[hub(name = \"...\")]`",
                    m.name, m.wire_name, prev.name, prev.wire_name
                ),
            );
            continue;
        }
        methods.push(m);
    }
    if cx.error_count() > before {
        return None;
    }
    Some(HubContract {
        name,
        interface,
        side,
        plain: args.plain,
        docs: docs(&item.attrs),
        authorize: attrs.authorize,
        methods,
        origin: Origin::new(item.ident.clone()),
    })
}

/// Parses and validates a contract trait. On failure every error found is returned.
pub fn parse_contract(args: &ContractArgs, item: &ItemTrait) -> Result<HubContract, Errors> {
    let cx = Ctxt::new();
    let contract = parse_contract_in(&cx, args, item);
    cx.check()?;
    // Without errors, the contract was built.
    contract.ok_or_else(Errors::default)
}

/// Every contract trait in a source file (traits carrying `#[hub_contract]`, in inline
/// modules too), parsed.
pub fn contracts_in_file(file: &syn::File) -> Vec<Result<HubContract, Errors>> {
    let mut out = Vec::new();
    collect(&file.items, &mut out);
    out
}

fn collect(items: &[syn::Item], out: &mut Vec<Result<HubContract, Errors>>) {
    for item in items {
        match item {
            syn::Item::Trait(t) => {
                if let Some(attr) = t.attrs.iter().find(|a| is_contract_attribute(a)) {
                    let cx = Ctxt::new();
                    let args = ContractArgs::from_attribute(attr, &cx);
                    let contract = parse_contract_in(&cx, &args, t);
                    out.push(
                        cx.check()
                            .and_then(|()| contract.ok_or_else(Errors::default)),
                    );
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
