//! The TypeScript type of every wire shape, and the declaration of every DTO.

use std::collections::BTreeMap;

use signalr_contract::{EnumRepr, Field, MapKey, TypeDef, TypeDefKind, TypeRef, VariantKind};

use super::names::{jsdoc, key, string_literal};
use super::{FieldDecl, Helpers, Member, TypeDecl, Uses};
use crate::{Contracts, Protocol};

/// What writing types needs: the contracts, the protocol, and the TypeScript name of every
/// DTO and helper type (claimed in the module's scope).
pub(crate) struct Cx<'a> {
    pub(crate) contracts: &'a Contracts,
    pub(crate) protocol: Protocol,
    pub(crate) uses: Uses,
    /// The TypeScript name of each DTO, by Rust name.
    pub(crate) type_names: BTreeMap<String, String>,
    /// The exported helper types, as named in this module.
    pub(crate) helpers: Helpers,
}

impl Cx<'_> {
    /// The TypeScript name of the DTO named `name` in Rust.
    pub(crate) fn type_name(&self, name: &str) -> String {
        self.type_names
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }

    /// The TypeScript type of a wire shape; `Err` says why it cannot be written.
    pub(crate) fn ty(&mut self, t: &TypeRef) -> Result<String, String> {
        Ok(match t {
            TypeRef::Bool => "boolean".into(),
            TypeRef::Int { bits, .. } => {
                self.uses.int64 |= *bits > 53;
                "number".into()
            }
            TypeRef::Float { .. } => "number".into(),
            TypeRef::String | TypeRef::Char | TypeRef::Uuid | TypeRef::DateTime => "string".into(),
            TypeRef::Bytes => {
                self.uses.bytes = true;
                match self.protocol {
                    Protocol::Json => "string".into(),
                    Protocol::MessagePack => "Uint8Array".into(),
                }
            }
            TypeRef::SerdeBytes => {
                self.uses.serde_bytes = true;
                match self.protocol {
                    Protocol::Json => "number[]".into(),
                    Protocol::MessagePack => "Uint8Array".into(),
                }
            }
            TypeRef::Option(inner) => {
                let inner = self.ty(inner)?;
                if inner == "null" || inner.ends_with(" | null") {
                    inner
                } else {
                    format!("{inner} | null")
                }
            }
            TypeRef::List(inner) => {
                let inner = self.ty(inner)?;
                if inner.contains(' ') {
                    format!("({inner})[]")
                } else {
                    format!("{inner}[]")
                }
            }
            TypeRef::Map {
                key,
                key_kind,
                value,
                ..
            } => {
                let value = self.ty(value)?;
                match key_kind {
                    MapKey::Named => match self.enum_key(key) {
                        Some(k) => format!("{{ [key in {k}]?: {value} }}"),
                        None => format!("{{ [key: string]: {value} }}"),
                    },
                    MapKey::String | MapKey::Integer | MapKey::Uuid => {
                        format!("{{ [key: string]: {value} }}")
                    }
                }
            }
            TypeRef::Tuple(items) => {
                let items = items
                    .iter()
                    .map(|i| self.ty(i))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("[{}]", items.join(", "))
            }
            TypeRef::Unit => "null".into(),
            TypeRef::Json => {
                self.uses.json_value = true;
                self.helpers.json_value.clone()
            }
            TypeRef::Named(n) => {
                if self.contracts.type_def(n).is_none() {
                    return Err(format!(
                        "the type `{n}` is not defined in the contract files"
                    ));
                }
                self.type_name(n)
            }
        })
    }

    /// The name of a unit-only enum used as a map key (its variant names are the keys).
    pub(crate) fn enum_key(&self, key: &TypeRef) -> Option<String> {
        let TypeRef::Named(n) = key else { return None };
        let def = self.contracts.type_def(n)?;
        (def.is_unit_only_enum()
            && matches!(
                def.kind,
                TypeDefKind::Enum {
                    repr: EnumRepr::External,
                    ..
                }
            ))
        .then(|| self.type_name(n))
    }

    pub(crate) fn fields(
        &mut self,
        fields: &[Field],
        owner: &str,
    ) -> Result<(Vec<FieldDecl>, Vec<String>), String> {
        let mut decls = Vec::new();
        let mut flattened = Vec::new();
        for f in fields {
            if f.flatten {
                flattened.push(self.flattened(f, owner)?);
                continue;
            }
            decls.push(FieldDecl {
                docs: jsdoc(&f.docs, 2),
                key: key(&f.wire_name),
                optional: !(f.required_on_output() && f.required_on_input()),
                ty: self.ty(&f.ty)?,
            });
        }
        Ok((decls, flattened))
    }

    /// The type a `#[serde(flatten)]` field merges into its object.
    pub(crate) fn flattened(&mut self, f: &Field, owner: &str) -> Result<String, String> {
        let cannot = || {
            format!(
                "the flattened field `{owner}::{}` must be a struct or enum type (or an `Option` of one): its keys would share the object with the other fields' types",
                f.name
            )
        };
        match &f.ty {
            TypeRef::Named(n) if self.is_object(n) => self.ty(&f.ty),
            TypeRef::Option(inner) => match inner.as_ref() {
                TypeRef::Named(n) if self.is_object(n) => {
                    self.uses.partial = true;
                    Ok(format!("$Partial<{}>", self.type_name(n)))
                }
                _ => Err(cannot()),
            },
            _ => Err(cannot()),
        }
    }

    /// Whether a user type is written as an object (a struct, or an enum whose every
    /// variant is an object).
    pub(crate) fn is_object(&self, name: &str) -> bool {
        match self.contracts.type_def(name).map(|d| &d.kind) {
            Some(TypeDefKind::Struct { .. }) => true,
            Some(TypeDefKind::Enum { repr, variants }) => match repr {
                EnumRepr::Internal { .. } | EnumRepr::Adjacent { .. } => {
                    variants.iter().all(|v| !v.untagged)
                }
                EnumRepr::External => variants.iter().all(|v| v.kind != VariantKind::Unit),
                EnumRepr::Untagged => false,
            },
            Some(TypeDefKind::Newtype(TypeRef::Named(inner))) => self.is_object(inner),
            _ => false,
        }
    }

    /// `{ a: A; b?: B }` on one line.
    pub(crate) fn inline_object(
        &mut self,
        fields: &[Field],
        owner: &str,
        tag: Option<(&str, &str)>,
    ) -> Result<String, String> {
        let (decls, flattened) = self.fields(fields, owner)?;
        let mut parts: Vec<String> = tag
            .map(|(k, v)| format!("{}: {}", key(k), string_literal(v)))
            .into_iter()
            .collect();
        parts.extend(
            decls
                .iter()
                .map(|d| format!("{}{}: {}", d.key, if d.optional { "?" } else { "" }, d.ty)),
        );
        let object = if parts.is_empty() {
            "{ [key: string]: never }".to_owned()
        } else {
            format!("{{ {} }}", parts.join("; "))
        };
        Ok(std::iter::once(object)
            .chain(flattened)
            .collect::<Vec<_>>()
            .join(" & "))
    }

    pub(crate) fn type_decl(&mut self, def: &TypeDef) -> Result<TypeDecl, String> {
        let docs = jsdoc(&def.docs, 0);
        let name = self.type_name(&def.name);
        let alias = |members: Vec<Member>| TypeDecl::Alias {
            docs: docs.clone(),
            name: name.clone(),
            members,
        };
        let one = |ty: String| {
            vec![Member {
                docs: String::new(),
                ty,
            }]
        };
        Ok(match &def.kind {
            TypeDefKind::Struct { fields, tag, .. } => {
                let (mut decls, flattened) = self.fields(fields, &def.name)?;
                if let Some(tag) = tag {
                    decls.insert(
                        0,
                        FieldDecl {
                            docs: jsdoc(
                                &["Written by the server; not needed when sending.".to_owned()],
                                2,
                            ),
                            key: key(tag),
                            optional: true,
                            ty: string_literal(&def.wire_name),
                        },
                    );
                }
                TypeDecl::Object {
                    docs,
                    name,
                    fields: decls,
                    flattened,
                }
            }
            TypeDefKind::Newtype(t) => alias(one(self.ty(t)?)),
            TypeDefKind::Tuple(items) => alias(one(self.ty(&TypeRef::Tuple(items.clone()))?)),
            TypeDefKind::Unit => alias(one("null".into())),
            TypeDefKind::Enum { repr, variants } => {
                let mut members = Vec::new();
                for v in variants {
                    let owner = format!("{}::{}", def.name, v.name);
                    let content = match &v.kind {
                        VariantKind::Unit => None,
                        VariantKind::Newtype(t) => Some(self.ty(t)?),
                        VariantKind::Tuple(items) => Some(self.ty(&TypeRef::Tuple(items.clone()))?),
                        VariantKind::Struct(fields) => {
                            Some(self.inline_object(fields, &owner, None)?)
                        }
                    };
                    let tag = string_literal(&v.wire_name);
                    let ty = match (repr, content) {
                        (_, c) if v.untagged => c.unwrap_or_else(|| "null".into()),
                        (EnumRepr::External, None) => tag,
                        (EnumRepr::External, Some(c)) => {
                            format!("{{ {}: {c} }}", key(&v.wire_name))
                        }
                        (EnumRepr::Internal { tag: k }, None) => format!("{{ {}: {tag} }}", key(k)),
                        (EnumRepr::Internal { tag: k }, Some(c)) => match &v.kind {
                            VariantKind::Struct(fields) => {
                                self.inline_object(fields, &owner, Some((k, &v.wire_name)))?
                            }
                            VariantKind::Newtype(TypeRef::Named(n)) if self.is_object(n) => {
                                format!("({{ {}: {tag} }} & {c})", key(k))
                            }
                            _ => {
                                return Err(format!(
                                    "the variant `{owner}` of an internally tagged enum must hold a struct: its content is merged with the tag `{k}`"
                                ));
                            }
                        },
                        (EnumRepr::Adjacent { tag: k, .. }, None) => {
                            format!("{{ {}: {tag} }}", key(k))
                        }
                        (EnumRepr::Adjacent { tag: k, content }, Some(c)) => {
                            format!("{{ {}: {tag}; {}: {c} }}", key(k), key(content))
                        }
                        (EnumRepr::Untagged, c) => c.unwrap_or_else(|| "null".into()),
                    };
                    members.push(Member {
                        docs: jsdoc(&v.docs, 2),
                        ty,
                    });
                }
                if members.is_empty() {
                    // An enum without variants has no values.
                    members = one("never".into());
                }
                alias(members)
            }
        })
    }
}
