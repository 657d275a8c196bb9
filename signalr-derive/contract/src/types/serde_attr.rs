//! serde attributes as `serde_derive` reads them: `cfg_attr` expansion, derives, the
//! entries of `#[serde(...)]`, field adapters, and the container, variant and field
//! attributes with the names they give.

use std::collections::BTreeSet;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Meta, Token, Type};

use super::error::{Fail, fail};
use super::rename::{NameKind, RenameRule, wire_name};

/// The attributes as if every `cfg_attr` condition held.
pub(crate) fn expand_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    let mut out = Vec::new();
    expand_into(attrs.iter().cloned(), &mut out, 0);
    out
}

pub(crate) fn expand_into(
    attrs: impl Iterator<Item = Attribute>,
    out: &mut Vec<Attribute>,
    depth: usize,
) {
    for attr in attrs {
        if !attr.path().is_ident("cfg_attr") {
            out.push(attr);
            continue;
        }
        if depth > 16 {
            continue;
        }
        let Meta::List(list) = &attr.meta else {
            continue;
        };
        let Ok(metas) =
            list.parse_args_with(syn::punctuated::Punctuated::<Meta, Token![,]>::parse_terminated)
        else {
            continue;
        };
        let inner = metas.into_iter().skip(1).map(|meta| Attribute {
            pound_token: attr.pound_token,
            style: attr.style,
            bracket_token: attr.bracket_token,
            meta,
        });
        let inner: Vec<Attribute> = inner.collect();
        expand_into(inner.into_iter(), out, depth + 1);
    }
}

/// Which of `Serialize` / `Deserialize` the attributes derive (by last path segment).
pub(crate) fn derives(attrs: &[Attribute]) -> (bool, bool) {
    let mut ser = false;
    let mut de = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let Ok(paths) = attr
            .parse_args_with(syn::punctuated::Punctuated::<syn::Path, Token![,]>::parse_terminated)
        else {
            continue;
        };
        for p in paths {
            match p.segments.last().map(|s| s.ident.to_string()).as_deref() {
                Some("Serialize") => ser = true,
                Some("Deserialize") => de = true,
                _ => {}
            }
        }
    }
    (ser, de)
}

pub(crate) fn ungroup_expr(mut expr: &Expr) -> &Expr {
    while let Expr::Group(g) = expr {
        expr = &g.expr;
    }
    expr
}

/// The value of one entry in `#[serde(...)]`.
#[derive(Debug)]
pub(crate) enum MetaValue {
    /// `key`
    Flag,
    /// `key = "..."`
    Str(LitStr),
    /// `key = <not a string>`
    NotStr,
    /// `key(serialize = "...", deserialize = "...")`
    Split { ser: Vec<LitStr>, de: Vec<LitStr> },
}

/// One entry in `#[serde(...)]`.
#[derive(Debug)]
pub(crate) struct SerdeMeta {
    pub(crate) key: String,
    pub(crate) span: Span,
    pub(crate) value: MetaValue,
}

impl SerdeMeta {
    pub(crate) fn flag(&self, what: &str) -> Result<(), Fail> {
        match self.value {
            MetaValue::Flag => Ok(()),
            _ => fail(
                self.span,
                format!("`#[serde({})]` takes no value on {what}", self.key),
            ),
        }
    }

    pub(crate) fn string(&self) -> Result<&LitStr, Fail> {
        match &self.value {
            MetaValue::Str(s) => Ok(s),
            _ => fail(
                self.span,
                format!("expected a string: `#[serde({} = \"...\")]`", self.key),
            ),
        }
    }

    /// `key = "x"` gives both directions; `key(serialize = .., deserialize = ..)` each.
    pub(crate) fn ser_de(&self) -> Result<(Option<&LitStr>, Vec<&LitStr>), Fail> {
        match &self.value {
            MetaValue::Str(s) => Ok((Some(s), vec![s])),
            MetaValue::Split { ser, de } => Ok((ser.first(), de.iter().collect())),
            MetaValue::Flag | MetaValue::NotStr => fail(
                self.span,
                format!(
                    "expected `{0} = \"...\"` or `{0}(serialize = \"...\", deserialize = \"...\")`",
                    self.key
                ),
            ),
        }
    }
}

pub(crate) fn path_string(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Every entry of every `#[serde(...)]` attribute, parsed the way serde_derive parses them.
pub(crate) fn serde_metas(attrs: &[Attribute]) -> (Vec<SerdeMeta>, Vec<Fail>) {
    let mut metas = Vec::new();
    let mut errors = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        if let Meta::List(list) = &attr.meta
            && list.tokens.is_empty()
        {
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            let key = path_string(&meta.path);
            let span = meta.path.span();
            let value = if meta.input.peek(Token![=]) {
                let expr: Expr = meta.value()?.parse()?;
                match ungroup_expr(&expr) {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => MetaValue::Str(s.clone()),
                    _ => MetaValue::NotStr,
                }
            } else if meta.input.peek(syn::token::Paren) {
                let mut ser = Vec::new();
                let mut de = Vec::new();
                meta.parse_nested_meta(|inner| {
                    let which = path_string(&inner.path);
                    let expr: Expr = inner.value()?.parse()?;
                    let Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) = ungroup_expr(&expr)
                    else {
                        return Err(inner.error("expected a string"));
                    };
                    match which.as_str() {
                        "serialize" => ser.push(s.clone()),
                        "deserialize" => de.push(s.clone()),
                        _ => {
                            return Err(inner.error(
                                "expected `serialize = \"...\"` or `deserialize = \"...\"`",
                            ));
                        }
                    }
                    Ok(())
                })?;
                MetaValue::Split { ser, de }
            } else {
                MetaValue::Flag
            };
            metas.push(SerdeMeta { key, span, value });
            Ok(())
        });
        if let Err(e) = result {
            errors.push(Fail {
                span: e.span(),
                detail: format!("malformed `#[serde(...)]` attribute: {e}"),
            });
        }
    }
    (metas, errors)
}

/// A field adapter named by `#[serde(with = "...")]` that keeps a known wire shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Adapter {
    None,
    SerdeBytes,
    Rfc3339,
    Rfc3339Option,
}

/// The adapter a field's serde entries ask for; errors for unknown adapters.
pub(crate) fn adapter_of(metas: &[SerdeMeta]) -> Result<(Adapter, Option<String>), Fail> {
    let mut adapter = (Adapter::None, None);
    for m in metas {
        match m.key.as_str() {
            "with" => {
                let lit = m.string()?;
                let path: syn::Path = lit.parse().map_err(|_| Fail {
                    span: lit.span(),
                    detail: format!("cannot parse `with = {:?}` as a path", lit.value()),
                })?;
                let text = path_string(&path);
                let a = match text.as_str() {
                    "serde_bytes" => Adapter::SerdeBytes,
                    "time::serde::rfc3339" => Adapter::Rfc3339,
                    "time::serde::rfc3339::option" => Adapter::Rfc3339Option,
                    _ => {
                        return fail(
                            lit.span(),
                            format!(
                                "`#[serde(with = \"{text}\")]` writes whatever its functions write, so the wire shape is unknown; only `serde_bytes` and `time::serde::rfc3339` (`::option`) are understood"
                            ),
                        );
                    }
                };
                adapter = (a, Some(text));
            }
            "serialize_with" | "deserialize_with" => {
                return fail(
                    m.span,
                    format!(
                        "`#[serde({})]` writes whatever its function writes, so the wire shape is unknown; use a type whose serde shape is the wire shape",
                        m.key
                    ),
                );
            }
            _ => {}
        }
    }
    Ok(adapter)
}

pub(crate) fn check_no_serde_as(attrs: &[Attribute]) -> Result<(), Fail> {
    match attrs.iter().find(|a| a.path().is_ident("serde_as")) {
        Some(a) => fail(
            a.span(),
            "`#[serde_as(...)]` (serde_with) changes the wire shape in ways this model cannot follow",
        ),
        None => Ok(()),
    }
}
/// A pair of optional rename rules (serialize, deserialize).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rules {
    pub(crate) ser: Option<RenameRule>,
    pub(crate) de: Option<RenameRule>,
}

impl Rules {
    pub(crate) fn or(self, other: Rules) -> Rules {
        Rules {
            ser: self.ser.or(other.ser),
            de: self.de.or(other.de),
        }
    }
}

/// The names of a field or variant after serde's rules.
pub(crate) struct Names {
    pub(crate) ser: String,
    pub(crate) de: String,
    pub(crate) aliases: Vec<String>,
}

#[derive(Default)]
pub(crate) struct RenameAttrs {
    pub(crate) ser: Option<String>,
    pub(crate) de: Vec<String>,
    pub(crate) aliases: Vec<String>,
}

impl RenameAttrs {
    pub(crate) fn names(&self, rust: &str, rules: Rules, kind: NameKind) -> Names {
        let ser = self
            .ser
            .clone()
            .unwrap_or_else(|| wire_name(rust, rules.ser, kind));
        let de = self
            .de
            .first()
            .cloned()
            .unwrap_or_else(|| wire_name(rust, rules.de, kind));
        let mut set: BTreeSet<String> = self.aliases.iter().cloned().collect();
        set.extend(self.de.iter().cloned());
        set.remove(&de);
        Names {
            ser,
            de,
            aliases: set.into_iter().collect(),
        }
    }
}

pub(crate) fn parse_rules(m: &SerdeMeta) -> Result<Rules, Fail> {
    let (ser, de) = m.ser_de()?;
    let rule = |lit: &LitStr| {
        RenameRule::from_serde(&lit.value()).ok_or_else(|| Fail {
            span: lit.span(),
            detail: format!(
                "unknown rename rule `{} = {:?}`, expected one of {}",
                m.key,
                lit.value(),
                RenameRule::ALL
                    .iter()
                    .map(|r| format!("{:?}", r.as_serde()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
    };
    Ok(Rules {
        ser: ser.map(rule).transpose()?,
        de: de.first().map(|l| rule(l)).transpose()?,
    })
}

#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) rename: RenameAttrs,
    pub(crate) rename_all: Rules,
    pub(crate) rename_all_fields: Option<(Rules, Span)>,
    pub(crate) transparent: Option<Span>,
    pub(crate) deny_unknown_fields: bool,
    pub(crate) default: Option<Span>,
    pub(crate) untagged: Option<Span>,
    pub(crate) tag: Option<(String, Span)>,
    pub(crate) content: Option<(String, Span)>,
    pub(crate) from: Option<(Type, Span)>,
    pub(crate) try_from: Option<(Type, Span)>,
    pub(crate) into: Option<(Type, Span)>,
}

pub(crate) fn parse_type_lit(m: &SerdeMeta) -> Result<(Type, Span), Fail> {
    let lit = m.string()?;
    match lit.parse::<Type>() {
        Ok(t) => Ok((t, lit.span())),
        Err(_) => fail(
            lit.span(),
            format!("cannot parse `{} = {:?}` as a type", m.key, lit.value()),
        ),
    }
}

pub(crate) fn container_attrs(metas: &[SerdeMeta], errors: &mut Vec<Fail>) -> ContainerAttrs {
    let mut c = ContainerAttrs::default();
    for m in metas {
        if let Err(e) = container_attr(&mut c, m) {
            errors.push(e);
        }
    }
    c
}

pub(crate) fn container_attr(c: &mut ContainerAttrs, m: &SerdeMeta) -> Result<(), Fail> {
    match m.key.as_str() {
        "rename" => {
            let (ser, de) = m.ser_de()?;
            if let Some(s) = ser {
                c.rename.ser = Some(s.value());
            }
            if let Some(d) = de.first() {
                c.rename.de = vec![d.value()];
            }
        }
        "rename_all" => c.rename_all = parse_rules(m)?,
        "rename_all_fields" => c.rename_all_fields = Some((parse_rules(m)?, m.span)),
        "transparent" => {
            m.flag("a container")?;
            c.transparent = Some(m.span);
        }
        "deny_unknown_fields" => {
            m.flag("a container")?;
            c.deny_unknown_fields = true;
        }
        "default" => match &m.value {
            MetaValue::Flag | MetaValue::Str(_) => c.default = Some(m.span),
            _ => return fail(m.span, "expected `default` or `default = \"path\"`"),
        },
        "untagged" => {
            m.flag("a container")?;
            c.untagged = Some(m.span);
        }
        "tag" => c.tag = Some((m.string()?.value(), m.span)),
        "content" => c.content = Some((m.string()?.value(), m.span)),
        "from" => c.from = Some(parse_type_lit(m)?),
        "try_from" => c.try_from = Some(parse_type_lit(m)?),
        "into" => c.into = Some(parse_type_lit(m)?),
        "bound" | "crate" | "expecting" => {}
        "remote" => {
            return fail(
                m.span,
                "`#[serde(remote = \"...\")]` describes another crate's type; it is not a contract type",
            );
        }
        "field_identifier" | "variant_identifier" => {
            return fail(
                m.span,
                format!("`#[serde({})]` types are not contract types", m.key),
            );
        }
        other => {
            return fail(
                m.span,
                format!("unknown serde container attribute `{other}`"),
            );
        }
    }
    Ok(())
}

#[derive(Default)]
pub(crate) struct VariantAttrs {
    pub(crate) rename: RenameAttrs,
    pub(crate) rename_all: Rules,
    pub(crate) skip_ser: bool,
    pub(crate) skip_de: bool,
    pub(crate) other: Option<Span>,
    pub(crate) untagged: bool,
}

pub(crate) fn variant_attrs(metas: &[SerdeMeta], errors: &mut Vec<Fail>) -> VariantAttrs {
    let mut v = VariantAttrs::default();
    for m in metas {
        if let Err(e) = variant_attr(&mut v, m) {
            errors.push(e);
        }
    }
    v
}

pub(crate) fn variant_attr(v: &mut VariantAttrs, m: &SerdeMeta) -> Result<(), Fail> {
    match m.key.as_str() {
        "rename" => {
            let (ser, de) = m.ser_de()?;
            if let Some(s) = ser {
                v.rename.ser = Some(s.value());
            }
            v.rename.de.extend(de.iter().map(|l| l.value()));
        }
        "alias" => v.rename.aliases.push(m.string()?.value()),
        "rename_all" => v.rename_all = parse_rules(m)?,
        "skip" => {
            m.flag("a variant")?;
            v.skip_ser = true;
            v.skip_de = true;
        }
        "skip_serializing" => {
            m.flag("a variant")?;
            v.skip_ser = true;
        }
        "skip_deserializing" => {
            m.flag("a variant")?;
            v.skip_de = true;
        }
        "other" => {
            m.flag("a variant")?;
            v.other = Some(m.span);
        }
        "untagged" => {
            m.flag("a variant")?;
            v.untagged = true;
        }
        "bound" | "borrow" => {}
        "with" | "serialize_with" | "deserialize_with" => {
            return fail(
                m.span,
                format!(
                    "`#[serde({})]` on a variant writes whatever its function writes, so the wire shape is unknown",
                    m.key
                ),
            );
        }
        other => {
            return fail(m.span, format!("unknown serde variant attribute `{other}`"));
        }
    }
    Ok(())
}

#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) rename: RenameAttrs,
    /// `default` on the field itself.
    pub(crate) own_default: bool,
    pub(crate) skip_ser: bool,
    pub(crate) skip_de: bool,
    pub(crate) skip_ser_if: bool,
    pub(crate) flatten: Option<Span>,
}

pub(crate) fn field_attrs(metas: &[SerdeMeta], errors: &mut Vec<Fail>) -> FieldAttrs {
    let mut f = FieldAttrs::default();
    for m in metas {
        if let Err(e) = field_attr(&mut f, m) {
            errors.push(e);
        }
    }
    f
}

pub(crate) fn field_attr(f: &mut FieldAttrs, m: &SerdeMeta) -> Result<(), Fail> {
    match m.key.as_str() {
        "rename" => {
            let (ser, de) = m.ser_de()?;
            if let Some(s) = ser {
                f.rename.ser = Some(s.value());
            }
            f.rename.de.extend(de.iter().map(|l| l.value()));
        }
        "alias" => f.rename.aliases.push(m.string()?.value()),
        "default" => match &m.value {
            MetaValue::Flag | MetaValue::Str(_) => f.own_default = true,
            _ => return fail(m.span, "expected `default` or `default = \"path\"`"),
        },
        "skip" => {
            m.flag("a field")?;
            f.skip_ser = true;
            f.skip_de = true;
        }
        "skip_serializing" => {
            m.flag("a field")?;
            f.skip_ser = true;
        }
        "skip_deserializing" => {
            m.flag("a field")?;
            f.skip_de = true;
        }
        "skip_serializing_if" => {
            m.string()?;
            f.skip_ser_if = true;
        }
        "flatten" => {
            m.flag("a field")?;
            f.flatten = Some(m.span);
        }
        // Read by `adapter_of`.
        "with" | "serialize_with" | "deserialize_with" => {}
        "bound" | "borrow" | "getter" => {}
        other => {
            return fail(m.span, format!("unknown serde field attribute `{other}`"));
        }
    }
    Ok(())
}
