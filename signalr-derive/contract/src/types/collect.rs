//! Collecting the serde types of a source file into [`TypeDef`]s.

use std::collections::BTreeMap;

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, Fields, GenericParam, Ident, Item, Type};

use super::error::TypeError;
use super::model::{EnumRepr, Field, TypeDef, TypeDefKind, TypeRef, Variant, VariantKind};
use super::rename::{NameKind, unraw};
use super::resolve::{Ctx, resolve, resolve_field};
use super::serde_attr::{
    ContainerAttrs, FieldAttrs, Rules, adapter_of, check_no_serde_as, container_attrs, derives,
    expand_attrs, field_attrs, serde_metas, variant_attrs,
};
use crate::attr::docs;

/// Every struct and enum in a source file (and its inline `mod` blocks) that derives
/// `Serialize` or `Deserialize` (by the derive's last path segment), modelled with its
/// serde attributes; and every problem found. Items with problems are left out of the
/// definitions.
pub fn collect_types(file: &syn::File) -> (Vec<TypeDef>, Vec<TypeError>) {
    let mut c = Collector::default();
    c.items(&file.items, &mut Vec::new());
    (c.defs, c.errors)
}

#[derive(Default)]
struct Collector {
    defs: Vec<TypeDef>,
    errors: Vec<TypeError>,
    /// Name → qualified name of the first definition.
    seen: BTreeMap<String, String>,
}

/// A field, parsed: its attributes and (unless skipped both ways) its wire shape.
struct ParsedField<'a> {
    field: &'a syn::Field,
    attrs: FieldAttrs,
    /// `None` when the field is skipped in both directions (its type is not read).
    ty: Option<TypeRef>,
    /// Missing on input is filled in (field or container default, or skip_deserializing).
    default: bool,
    with: Option<String>,
    docs: Vec<String>,
}

impl ParsedField<'_> {
    fn skipped(&self) -> bool {
        self.attrs.skip_ser && self.attrs.skip_de
    }

    fn is_phantom(&self) -> bool {
        matches!(&self.field.ty, Type::Path(p)
            if p.path.segments.last().is_some_and(|s| s.ident == "PhantomData"))
    }
}

/// Whether a value of this shape may be an object whose keys can merge into another
/// object (`flatten`, internally tagged newtype content).
fn may_be_object(ty: &TypeRef, option_ok: bool) -> bool {
    match ty {
        TypeRef::Named(_) | TypeRef::Map { .. } | TypeRef::Json | TypeRef::Unit => true,
        TypeRef::Option(inner) => option_ok && may_be_object(inner, false),
        _ => false,
    }
}

impl Collector {
    fn items(&mut self, items: &[Item], module: &mut Vec<String>) {
        for item in items {
            match item {
                Item::Struct(s) => self.item(
                    &s.attrs,
                    &s.ident,
                    &s.generics,
                    module,
                    Body::Struct(&s.fields),
                ),
                Item::Enum(e) => self.item(&e.attrs, &e.ident, &e.generics, module, Body::Enum(e)),
                Item::Union(u) => {
                    let attrs = expand_attrs(&u.attrs);
                    let (ser, de) = derives(&attrs);
                    if ser || de {
                        let name = qualified(module, &unraw(&u.ident));
                        self.errors.push(TypeError::new(
                            u.ident.span(),
                            name,
                            "serde does not derive for unions",
                        ));
                    }
                }
                Item::Mod(m) => {
                    if let Some((_, items)) = &m.content {
                        module.push(unraw(&m.ident));
                        self.items(items, module);
                        module.pop();
                    }
                }
                _ => {}
            }
        }
    }

    fn item(
        &mut self,
        raw_attrs: &[Attribute],
        ident: &Ident,
        generics: &syn::Generics,
        module: &[String],
        body: Body<'_>,
    ) {
        let attrs = expand_attrs(raw_attrs);
        let (ser, de) = derives(&attrs);
        if !ser && !de {
            return;
        }
        let name = unraw(ident);
        let item = qualified(module, &name);
        let before = self.errors.len();

        if let Some(p) = generics
            .params
            .iter()
            .find(|p| !matches!(p, GenericParam::Lifetime(_)))
        {
            self.errors.push(TypeError::new(
                p.span(),
                &item,
                "generic types are not supported: every contract type needs one wire shape; use concrete types",
            ));
            return;
        }

        let (metas, fails) = serde_metas(&attrs);
        let mut fails = fails;
        let c = container_attrs(&metas, &mut fails);
        self.errors.extend(fails.into_iter().map(|f| f.at(&item)));

        let names = c.rename.names(&name, Rules::default(), NameKind::Variant);
        // A container's own name is not changed by rename rules; `names` used no rule.
        let cx = Ctx {
            self_name: Some(&name),
        };
        let kind = match body {
            Body::Struct(fields) => {
                self.struct_checks(&item, fields, &c);
                match self.conversion_kind(&item, &c, (ser, de), &cx) {
                    Some(kind) => kind,
                    None => self.struct_kind(&item, fields, &c, (ser, de), &cx),
                }
            }
            Body::Enum(e) => {
                self.enum_checks(&item, &c);
                match self.conversion_kind(&item, &c, (ser, de), &cx) {
                    Some(kind) => kind,
                    None => self.enum_kind(&item, e, &c, &cx),
                }
            }
        };
        if self.errors.len() > before {
            return;
        }
        let Some(kind) = kind else { return };
        if let Some(first) = self.seen.get(&name) {
            self.errors.push(TypeError::new(
                ident.span(),
                &item,
                format!(
                    "another type named `{name}` is defined at `{first}`; types are resolved by name, so DTO names must be unique"
                ),
            ));
            return;
        }
        self.seen.insert(name.clone(), item.clone());
        self.defs.push(TypeDef {
            name,
            module: module.to_vec(),
            wire_name: names.ser,
            deserialize_name: names.de,
            docs: docs(&attrs),
            serialize: ser,
            deserialize: de,
            kind,
        });
    }

    /// Parses the fields (named or not) of a struct or variant.
    fn parse_fields<'a>(
        &mut self,
        owner: &str,
        fields: impl Iterator<Item = &'a syn::Field>,
        container_default: bool,
        cx: &Ctx<'_>,
    ) -> Vec<ParsedField<'a>> {
        let mut out = Vec::new();
        for (i, field) in fields.enumerate() {
            let label = match &field.ident {
                Some(id) => format!("{owner}.{}", unraw(id)),
                None => format!("{owner}.{i}"),
            };
            let attrs = expand_attrs(&field.attrs);
            let (metas, mut fails) = serde_metas(&attrs);
            let fa = field_attrs(&metas, &mut fails);
            let default = fa.own_default || fa.skip_de || container_default;
            let mut ty = None;
            let mut with = None;
            if !(fa.skip_ser && fa.skip_de) {
                let r = check_no_serde_as(&attrs)
                    .and_then(|()| adapter_of(&metas))
                    .and_then(|(adapter, w)| {
                        with = w;
                        resolve_field(&field.ty, adapter, cx)
                    });
                match r {
                    Ok(t) => ty = Some(t),
                    Err(f) => fails.push(f),
                }
            }
            self.errors.extend(fails.into_iter().map(|f| f.at(&label)));
            out.push(ParsedField {
                field,
                attrs: fa,
                ty,
                default,
                with,
                docs: docs(&attrs),
            });
        }
        out
    }

    /// Named fields to model fields (skipping those skipped both ways).
    fn named_fields(
        &mut self,
        owner: &str,
        parsed: Vec<ParsedField<'_>>,
        rules: Rules,
    ) -> Vec<Field> {
        let mut out = Vec::new();
        for p in parsed {
            if p.skipped() {
                continue;
            }
            let Some(ty) = p.ty else { continue };
            let rust = p.field.ident.as_ref().map(unraw).unwrap_or_default();
            let label = format!("{owner}.{rust}");
            if let Some(span) = p.attrs.flatten
                && !may_be_object(&ty, true)
            {
                self.errors.push(TypeError::new(
                    span,
                    &label,
                    "`#[serde(flatten)]` needs a struct or a map: only their keys can be merged into the enclosing object",
                ));
            }
            let names = p.attrs.rename.names(&rust, rules, NameKind::Field);
            out.push(Field {
                name: rust,
                wire_name: names.ser,
                deserialize_name: names.de,
                aliases: names.aliases,
                docs: p.docs,
                ty,
                with: p.with,
                skip_serializing: p.attrs.skip_ser,
                skip_deserializing: p.attrs.skip_de,
                skip_serializing_if: p.attrs.skip_ser_if,
                default: p.default,
                flatten: p.attrs.flatten.is_some(),
            });
        }
        out
    }

    /// Unnamed fields to a list of shapes, leaving out those skipped both ways and
    /// rejecting one-way skips (the array would differ by direction) and `flatten`.
    fn unnamed_fields(&mut self, owner: &str, parsed: Vec<ParsedField<'_>>) -> Vec<TypeRef> {
        let mut out = Vec::new();
        for (i, p) in parsed.into_iter().enumerate() {
            let label = format!("{owner}.{i}");
            if let Some(span) = p.attrs.flatten {
                self.errors.push(TypeError::new(
                    span,
                    &label,
                    "`#[serde(flatten)]` cannot be used on tuple fields",
                ));
                continue;
            }
            if p.skipped() {
                continue;
            }
            if p.attrs.skip_ser || p.attrs.skip_de {
                self.errors.push(TypeError::new(
                    p.field.span(),
                    &label,
                    "a tuple field skipped in one direction only gives arrays of different lengths each way; use `#[serde(skip)]`",
                ));
                continue;
            }
            if let Some(ty) = p.ty {
                out.push(ty);
            }
        }
        out
    }

    /// serde's compile-time checks on struct containers.
    fn struct_checks(&mut self, item: &str, fields: &Fields, c: &ContainerAttrs) {
        let mut err = |span: Span, msg: &str| {
            self.errors.push(TypeError::new(span, item, msg));
        };
        if let Some(span) = c.untagged {
            err(span, "`#[serde(untagged)]` can only be used on enums");
        }
        if let Some((_, span)) = &c.content {
            err(
                *span,
                "`#[serde(content = \"...\")]` can only be used on enums",
            );
        }
        if let Some((_, span)) = &c.rename_all_fields {
            err(
                *span,
                "`#[serde(rename_all_fields)]` can only be used on enums",
            );
        }
        if let (Some((_, span)), false) = (&c.tag, matches!(fields, Fields::Named(_))) {
            err(
                *span,
                "`#[serde(tag = \"...\")]` can only be used on enums and structs with named fields",
            );
        }
        if let (Some(span), Fields::Unit) = (c.default, fields) {
            err(
                span,
                "`#[serde(default)]` can only be used on structs that have fields",
            );
        }
        if let (Some(span), Fields::Unit) = (c.transparent, fields) {
            err(
                span,
                "`#[serde(transparent)]` is not allowed on a unit struct",
            );
        }
    }

    /// serde's compile-time checks on enum containers.
    fn enum_checks(&mut self, item: &str, c: &ContainerAttrs) {
        if let Some(span) = c.transparent {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(transparent)]` is not allowed on an enum",
            ));
        }
        if let Some(span) = c.default {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(default)]` can only be used on structs",
            ));
        }
    }

    fn struct_kind(
        &mut self,
        item: &str,
        fields: &Fields,
        c: &ContainerAttrs,
        (ser, de): (bool, bool),
        cx: &Ctx<'_>,
    ) -> Option<TypeDefKind> {
        let container_default = c.default.is_some();
        match fields {
            Fields::Unit => Some(TypeDefKind::Unit),
            Fields::Named(named) => {
                let parsed = self.parse_fields(item, named.named.iter(), container_default, cx);
                if let Some(span) = c.transparent {
                    return self.transparent(item, span, parsed, (ser, de));
                }
                let fields = self.named_fields(item, parsed, c.rename_all);
                if let Some((tag, span)) = &c.tag
                    && let Some(f) = fields.iter().find(|f| {
                        (!f.skip_serializing && &f.wire_name == tag)
                            || (!f.skip_deserializing
                                && (&f.deserialize_name == tag || f.aliases.contains(tag)))
                    })
                {
                    self.errors.push(TypeError::new(
                        *span,
                        item,
                        format!("field `{}` has the same key as the tag `{tag}`", f.name),
                    ));
                }
                Some(TypeDefKind::Struct {
                    fields,
                    tag: c.tag.as_ref().map(|(t, _)| t.clone()),
                    deny_unknown_fields: c.deny_unknown_fields,
                })
            }
            Fields::Unnamed(unnamed) => {
                let parsed = self.parse_fields(item, unnamed.unnamed.iter(), container_default, cx);
                if let Some(span) = c.transparent {
                    return self.transparent(item, span, parsed, (ser, de));
                }
                if parsed.len() == 1 {
                    let mut parsed = parsed;
                    let p = parsed.remove(0);
                    let label = format!("{item}.0");
                    if let Some(span) = p.attrs.flatten {
                        self.errors.push(TypeError::new(
                            span,
                            label,
                            "`#[serde(flatten)]` cannot be used on newtype structs",
                        ));
                        return None;
                    }
                    if p.attrs.skip_ser || p.attrs.skip_de {
                        self.errors.push(TypeError::new(
                            p.field.span(),
                            label,
                            "the only field of a newtype struct cannot be skipped",
                        ));
                        return None;
                    }
                    return p.ty.map(TypeDefKind::Newtype);
                }
                Some(TypeDefKind::Tuple(self.unnamed_fields(item, parsed)))
            }
        }
    }

    /// `from` / `try_from` / `into`: the type is written as another type.
    fn conversion_kind(
        &mut self,
        item: &str,
        c: &ContainerAttrs,
        (ser, de): (bool, bool),
        cx: &Ctx<'_>,
    ) -> Option<Option<TypeDefKind>> {
        if c.from.is_none() && c.try_from.is_none() && c.into.is_none() {
            return None;
        }
        let mut bad = |span: Span, msg: &str| {
            self.errors.push(TypeError::new(span, item, msg));
            Some(None)
        };
        if let Some(span) = c.transparent {
            return bad(
                span,
                "`#[serde(transparent)]` is not allowed with `from`, `try_from` or `into`",
            );
        }
        if let (Some(_), Some((_, span))) = (&c.from, &c.try_from) {
            return bad(*span, "`from` and `try_from` conflict with each other");
        }
        let input = c.from.as_ref().or(c.try_from.as_ref());
        let output = c.into.as_ref();
        let chosen = match (ser, de, output, input) {
            (true, true, Some(o), Some(i)) => {
                if o.0.to_token_stream().to_string() != i.0.to_token_stream().to_string() {
                    return bad(
                        i.1,
                        "the type is read as one type and written as another (`from`/`try_from` and `into` differ); the wire shape must be the same both ways",
                    );
                }
                o
            }
            (true, true, Some(o), None) => {
                return bad(
                    o.1,
                    "`into` without `from`: the type is written as one shape and read as another",
                );
            }
            (true, true, None, Some(i)) => {
                return bad(
                    i.1,
                    "`from` without `into`: the type is read as one shape and written as another",
                );
            }
            (true, _, Some(o), _) => o,
            (_, true, _, Some(i)) => i,
            _ => return None,
        };
        match resolve(&chosen.0, cx, 0) {
            Ok(t) => Some(Some(TypeDefKind::Newtype(t))),
            Err(f) => {
                self.errors.push(f.at(item));
                Some(None)
            }
        }
    }

    fn transparent(
        &mut self,
        item: &str,
        span: Span,
        parsed: Vec<ParsedField<'_>>,
        (ser, de): (bool, bool),
    ) -> Option<TypeDefKind> {
        let ser_pick: Vec<usize> = (0..parsed.len())
            .filter(|&i| !parsed[i].is_phantom() && !parsed[i].attrs.skip_ser)
            .collect();
        let de_pick: Vec<usize> = (0..parsed.len())
            .filter(|&i| {
                let a = &parsed[i].attrs;
                // serde counts only the field's own default (and skip_deserializing's).
                !parsed[i].is_phantom() && !a.skip_de && !a.own_default
            })
            .collect();
        let pick = match (ser, de) {
            (true, true) if ser_pick.len() == 1 && ser_pick == de_pick => ser_pick.first(),
            (true, false) if ser_pick.len() == 1 => ser_pick.first(),
            (false, true) if de_pick.len() == 1 => de_pick.first(),
            _ => None,
        };
        let Some(&i) = pick else {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(transparent)]` needs exactly one field that is not skipped, defaulted or `PhantomData`",
            ));
            return None;
        };
        let mut parsed = parsed;
        let p = parsed.swap_remove(i);
        if let Some(span) = p.attrs.flatten {
            self.errors.push(TypeError::new(
                span,
                item,
                "`#[serde(flatten)]` cannot be used on the field of a transparent struct",
            ));
            return None;
        }
        p.ty.map(TypeDefKind::Newtype)
    }

    fn enum_kind(
        &mut self,
        item: &str,
        e: &syn::ItemEnum,
        c: &ContainerAttrs,
        cx: &Ctx<'_>,
    ) -> Option<TypeDefKind> {
        let err = |this: &mut Collector, span: Span, msg: String| {
            this.errors.push(TypeError::new(span, item, msg));
        };
        let repr = match (c.untagged, &c.tag, &c.content) {
            (None, None, None) => EnumRepr::External,
            (Some(_), None, None) => EnumRepr::Untagged,
            (None, Some((tag, _)), None) => EnumRepr::Internal { tag: tag.clone() },
            (None, Some((tag, span)), Some((content, _))) => {
                if tag == content {
                    err(
                        self,
                        *span,
                        format!("enum tags `{tag}` for type and content conflict with each other"),
                    );
                }
                EnumRepr::Adjacent {
                    tag: tag.clone(),
                    content: content.clone(),
                }
            }
            (None, None, Some((_, span))) => {
                err(
                    self,
                    *span,
                    "`#[serde(tag = \"...\", content = \"...\")]` must be used together".into(),
                );
                EnumRepr::External
            }
            (Some(span), _, _) => {
                err(
                    self,
                    span,
                    "an untagged enum cannot have `tag` or `content`".into(),
                );
                EnumRepr::External
            }
        };
        let rename_fields = c.rename_all_fields.map(|(r, _)| r).unwrap_or_default();
        let count = e.variants.len();
        let mut variants = Vec::new();
        // Untagged variants, skipped or not, must follow every tagged one.
        let last_tagged = e.variants.iter().rposition(|v| {
            let attrs = expand_attrs(&v.attrs);
            !serde_metas(&attrs).0.iter().any(|m| m.key == "untagged")
        });
        for (index, v) in e.variants.iter().enumerate() {
            let rust = unraw(&v.ident);
            let label = format!("{item}::{rust}");
            let attrs = expand_attrs(&v.attrs);
            let (metas, mut fails) = serde_metas(&attrs);
            let va = variant_attrs(&metas, &mut fails);
            self.errors.extend(fails.into_iter().map(|f| f.at(&label)));

            // Checks serde makes on every variant, skipped or not.
            if va.untagged && last_tagged.is_some_and(|last| index < last) {
                self.errors.push(TypeError::new(
                    v.ident.span(),
                    &label,
                    "variants with `#[serde(untagged)]` must come after all tagged variants",
                ));
            }
            if let Some(span) = va.other {
                if repr == EnumRepr::Untagged {
                    err(
                        self,
                        span,
                        format!("`#[serde(other)]` on `{rust}` cannot appear on an untagged enum"),
                    );
                } else if !matches!(v.fields, Fields::Unit) {
                    self.errors.push(TypeError::new(
                        span,
                        &label,
                        "`#[serde(other)]` must be on a unit variant",
                    ));
                } else if index + 1 != count {
                    self.errors.push(TypeError::new(
                        span,
                        &label,
                        "`#[serde(other)]` must be on the last variant",
                    ));
                }
            }
            if let (EnumRepr::Internal { .. }, Fields::Unnamed(u)) = (&repr, &v.fields)
                && u.unnamed.len() != 1
            {
                self.errors.push(TypeError::new(
                    v.ident.span(),
                    &label,
                    "an internally tagged enum (`#[serde(tag = \"...\")]`) cannot have tuple variants",
                ));
                continue;
            }
            if va.skip_ser && va.skip_de {
                continue;
            }

            let names = va.rename.names(&rust, c.rename_all, NameKind::Variant);
            let kind = match &v.fields {
                Fields::Unit => VariantKind::Unit,
                Fields::Named(named) => {
                    let parsed = self.parse_fields(&label, named.named.iter(), false, cx);
                    let fields = self.named_fields(&label, parsed, va.rename_all.or(rename_fields));
                    VariantKind::Struct(fields)
                }
                Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                    let mut parsed = self.parse_fields(&label, unnamed.unnamed.iter(), false, cx);
                    let p = parsed.remove(0);
                    if let Some(span) = p.attrs.flatten {
                        self.errors.push(TypeError::new(
                            span,
                            &label,
                            "`#[serde(flatten)]` cannot be used on newtype variants",
                        ));
                        continue;
                    }
                    if p.skipped() {
                        VariantKind::Unit
                    } else if p.attrs.skip_ser || p.attrs.skip_de {
                        self.errors.push(TypeError::new(
                            p.field.span(),
                            &label,
                            "the field of a newtype variant skipped in one direction only makes the variant a unit one way and a newtype the other",
                        ));
                        continue;
                    } else if let Some(ty) = p.ty {
                        VariantKind::Newtype(ty)
                    } else {
                        continue;
                    }
                }
                Fields::Unnamed(unnamed) => {
                    let parsed = self.parse_fields(&label, unnamed.unnamed.iter(), false, cx);
                    VariantKind::Tuple(self.unnamed_fields(&label, parsed))
                }
            };

            if let EnumRepr::Internal { tag } = &repr
                && !va.untagged
            {
                match &kind {
                    VariantKind::Newtype(t) if !may_be_object(t, false) => {
                        self.errors.push(TypeError::new(
                            v.ident.span(),
                            &label,
                            "a newtype variant of an internally tagged enum must hold a struct or a map: its keys are merged with the tag",
                        ));
                    }
                    VariantKind::Struct(fields) => {
                        if let Some(f) = fields.iter().find(|f| {
                            (!f.skip_serializing && !va.skip_ser && &f.wire_name == tag)
                                || (!f.skip_deserializing
                                    && !va.skip_de
                                    && (&f.deserialize_name == tag || f.aliases.contains(tag)))
                        }) {
                            self.errors.push(TypeError::new(
                                v.ident.span(),
                                &label,
                                format!(
                                    "field `{}` conflicts with the internal tag `{tag}`",
                                    f.name
                                ),
                            ));
                        }
                    }
                    _ => {}
                }
            }

            variants.push(Variant {
                name: rust,
                wire_name: names.ser,
                deserialize_name: names.de,
                aliases: names.aliases,
                docs: docs(&attrs),
                kind,
                skip_serializing: va.skip_ser,
                skip_deserializing: va.skip_de,
                other: va.other.is_some(),
                untagged: va.untagged,
            });
        }
        Some(TypeDefKind::Enum { repr, variants })
    }
}

enum Body<'a> {
    Struct(&'a Fields),
    Enum(&'a syn::ItemEnum),
}

fn qualified(module: &[String], name: &str) -> String {
    if module.is_empty() {
        name.to_owned()
    } else {
        format!("{}::{name}", module.join("::"))
    }
}
