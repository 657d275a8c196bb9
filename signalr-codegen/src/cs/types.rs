//! The C# type of every wire shape, and the declaration of every DTO.

use std::collections::BTreeMap;

use signalr_contract::{
    EnumRepr, Field, MapKey, TypeDef, TypeDefKind, TypeRef, Variant, VariantKind,
};

use super::names::{
    RESERVED_MEMBERS, RESERVED_TYPES, is_identifier, pascal, string_literal, xml_docs,
};
use super::{EnumMember, Prop, TypeDecl, Uses, VariantDecl};
use crate::Contracts;
use crate::names::Scope;

/// A C# type as written.
#[derive(Debug, Clone)]
pub(crate) struct CsType {
    /// The text, `?` included.
    pub(crate) text: String,
    /// Whether it is a value type (`int`, `Guid`, an enum, ...).
    pub(crate) value: bool,
    /// Whether it ends with `?`.
    pub(crate) nullable: bool,
}

impl CsType {
    pub(crate) fn reference(text: impl Into<String>) -> CsType {
        CsType {
            text: text.into(),
            value: false,
            nullable: false,
        }
    }

    pub(crate) fn value(text: impl Into<String>) -> CsType {
        CsType {
            text: text.into(),
            value: true,
            nullable: false,
        }
    }

    pub(crate) fn nullable(self) -> CsType {
        if self.nullable {
            return self;
        }
        CsType {
            text: format!("{}?", self.text),
            value: self.value,
            nullable: true,
        }
    }

    /// The type in `typeof(...)`: a nullable reference type without its `?`.
    pub(crate) fn type_of(&self) -> &str {
        if self.nullable && !self.value {
            self.text.trim_end_matches('?')
        } else {
            &self.text
        }
    }

    /// `args[i]` cast to this type.
    pub(crate) fn cast(&self, arg: &str) -> String {
        if self.nullable {
            format!("({}){arg}", self.text)
        } else {
            format!("({}){arg}!", self.text)
        }
    }
}

/// How a user enum is represented.
pub(crate) enum EnumShape<'a> {
    /// A C# enum of strings.
    Strings,
    /// An abstract record with a discriminator property.
    Union {
        tag: &'a str,
        content: Option<&'a str>,
    },
}

/// The most newtypes followed in a row (a guard against `struct A(B); struct B(A);`).
pub(crate) const MAX_NEWTYPE_DEPTH: usize = 64;

pub(crate) struct Cx<'a> {
    pub(crate) contracts: &'a Contracts,
    pub(crate) namespace: &'a str,
    pub(crate) uses: Uses,
    /// The C# name of each DTO, by Rust name (claimed in the namespace's scope).
    pub(crate) type_names: BTreeMap<String, String>,
    /// Names that, where types are being written, mean a nested record (the variants of
    /// the enum being written): a contract type of such a name is written qualified.
    pub(crate) shadowed: Vec<String>,
}

impl<'a> Cx<'a> {
    /// The definition behind a name, through newtypes.
    pub(crate) fn resolve(&self, name: &str) -> Option<&'a TypeDef> {
        let mut def = self.contracts.type_def(name)?;
        for _ in 0..MAX_NEWTYPE_DEPTH {
            match &def.kind {
                TypeDefKind::Newtype(TypeRef::Named(inner)) => {
                    def = self.contracts.type_def(inner)?;
                }
                _ => return Some(def),
            }
        }
        None
    }

    /// How an enum is represented, or why it cannot be.
    pub(crate) fn enum_shape(def: &TypeDef) -> Result<EnumShape<'_>, String> {
        let TypeDefKind::Enum { repr, variants } = &def.kind else {
            return Err(format!("`{}` is not an enum", def.name));
        };
        if let Some(v) = variants.iter().find(|v| v.untagged) {
            return Err(format!(
                "the variant `{}::{}` is `#[serde(untagged)]`: it is written without a tag, which System.Text.Json cannot tell from the others",
                def.name, v.name
            ));
        }
        match repr {
            EnumRepr::External if variants.iter().all(|v| v.kind == VariantKind::Unit) => {
                Ok(EnumShape::Strings)
            }
            EnumRepr::External => Err(
                "an externally tagged enum with data is written `{\"Variant\": content}`, and System.Text.Json has no attribute that reads a type from an object's key; use `#[serde(tag = \"...\")]`, with `content = \"...\"` if a variant holds something other than fields".to_owned(),
            ),
            EnumRepr::Internal { tag } => Ok(EnumShape::Union { tag, content: None }),
            EnumRepr::Adjacent { tag, content } => Ok(EnumShape::Union {
                tag,
                content: Some(content),
            }),
            EnumRepr::Untagged => Err(
                "an untagged enum is written as its content alone, with nothing System.Text.Json can tell the variants by".to_owned(),
            ),
        }
    }

    /// Whether values of this type are polymorphic records (written through their base
    /// type, see [`Cx::argument`]).
    pub(crate) fn is_union(&self, t: &TypeRef) -> bool {
        match t {
            TypeRef::Option(inner) => self.is_union(inner),
            TypeRef::Named(n) => self
                .resolve(n)
                .is_some_and(|d| matches!(Self::enum_shape(d), Ok(EnumShape::Union { .. }))),
            _ => false,
        }
    }

    /// An argument, upload stream or result as the connection should be handed it.
    pub(crate) fn argument(&mut self, t: &TypeRef, expr: &str, upload: bool) -> String {
        if !self.is_union(t) {
            return expr.to_owned();
        }
        self.uses.json = true;
        if upload {
            self.uses.declared_items = true;
            format!("DeclaredJson.Items({expr})")
        } else {
            self.uses.declared = true;
            format!("DeclaredJson.Of({expr})")
        }
    }

    /// The C# type of a wire shape; `Err` says why it cannot be written. A user type with
    /// its own problem keeps its name here: the error is reported at its definition.
    pub(crate) fn ty(&mut self, t: &TypeRef) -> Result<CsType, String> {
        Ok(match t {
            TypeRef::Bool => CsType::value("bool"),
            TypeRef::Int { bits, signed } => CsType::value(match (bits, signed) {
                (8, true) => "sbyte",
                (16, true) => "short",
                (32, true) => "int",
                (64, true) => "long",
                (128, true) => "Int128",
                (8, false) => "byte",
                (16, false) => "ushort",
                (32, false) => "uint",
                (64, false) => "ulong",
                (128, false) => "UInt128",
                _ => return Err(format!("there is no C# integer of {bits} bits")),
            }),
            TypeRef::Float { bits } => CsType::value(if *bits == 32 { "float" } else { "double" }),
            TypeRef::String | TypeRef::Char => CsType::reference("string"),
            TypeRef::Bytes => CsType::reference("byte[]"),
            TypeRef::SerdeBytes => CsType::reference("IReadOnlyList<byte>"),
            TypeRef::Uuid => CsType::value("Guid"),
            TypeRef::DateTime => CsType::value("DateTimeOffset"),
            TypeRef::Option(inner) => self.ty(inner)?.nullable(),
            TypeRef::List(inner) => {
                CsType::reference(format!("IReadOnlyList<{}>", self.ty(inner)?.text))
            }
            TypeRef::Map {
                key,
                key_kind,
                value,
            } => {
                let key = self.key(key, *key_kind)?;
                let value = self.ty(value)?;
                CsType::reference(format!("IReadOnlyDictionary<{key}, {}>", value.text))
            }
            TypeRef::Tuple(_) => {
                return Err(
                    "a tuple is a JSON array of mixed types, which System.Text.Json does not read into any C# type without a converter; use a struct".to_owned(),
                );
            }
            TypeRef::Unit => {
                return Err("`()` is always `null`, and C# has no type for that".to_owned());
            }
            TypeRef::Json => {
                self.uses.json = true;
                CsType::value("JsonElement")
            }
            TypeRef::Named(n) => {
                let Some(def) = self.contracts.type_def(n) else {
                    return Err(format!(
                        "the type `{n}` is not defined in the contract files"
                    ));
                };
                let name = self.type_name(n);
                match &def.kind {
                    TypeDefKind::Newtype(inner) => {
                        let inner = inner.clone();
                        return Ok(self
                            .newtype_target(&inner, 0)
                            .unwrap_or_else(|| CsType::reference(name)));
                    }
                    TypeDefKind::Enum { .. } => match Self::enum_shape(def) {
                        Ok(EnumShape::Strings) => CsType::value(name),
                        _ => CsType::reference(name),
                    },
                    _ => CsType::reference(name),
                }
            }
        })
    }

    /// The C# name of the contract type named `name` in Rust, as declared.
    pub(crate) fn declared_name(&self, name: &str) -> String {
        self.type_names
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }

    /// How a contract type is named where types are being written.
    pub(crate) fn type_name(&self, name: &str) -> String {
        let declared = self.declared_name(name);
        if self.shadowed.contains(&declared) {
            format!("global::{}.{declared}", self.namespace)
        } else {
            declared
        }
    }

    /// The type a newtype stands for, if it can be written (its own error is reported at
    /// its definition).
    pub(crate) fn newtype_target(&mut self, inner: &TypeRef, depth: usize) -> Option<CsType> {
        if depth > MAX_NEWTYPE_DEPTH {
            return None;
        }
        if let TypeRef::Named(n) = inner
            && let Some(TypeDefKind::Newtype(next)) = self.contracts.type_def(n).map(|d| &d.kind)
        {
            let next = next.clone();
            return self.newtype_target(&next, depth + 1);
        }
        self.ty(inner).ok()
    }

    /// A dictionary key type.
    pub(crate) fn key(&mut self, key: &TypeRef, kind: MapKey) -> Result<String, String> {
        match (kind, key) {
            (MapKey::String, _) => Ok("string".to_owned()),
            (MapKey::Uuid, _) => Ok("Guid".to_owned()),
            (MapKey::Integer, t) => Ok(self.ty(t)?.text),
            (MapKey::Named, TypeRef::Named(n)) => {
                let def = self.resolve(n).ok_or_else(|| {
                    format!("the map key type `{n}` is not defined in the contract files")
                })?;
                match &def.kind {
                    TypeDefKind::Enum { .. }
                        if matches!(Self::enum_shape(def), Ok(EnumShape::Strings)) =>
                    {
                        Ok(self.type_name(&def.name))
                    }
                    TypeDefKind::Newtype(inner) => {
                        let inner = inner.clone();
                        let kind = match &inner {
                            TypeRef::String | TypeRef::Char => MapKey::String,
                            TypeRef::Uuid => MapKey::Uuid,
                            TypeRef::Int { .. } => MapKey::Integer,
                            _ => {
                                return Err(format!(
                                    "the map key type `{n}` is not written as a string"
                                ));
                            }
                        };
                        self.key(&inner, kind)
                    }
                    _ => Err(format!(
                        "the map key type `{n}` is not a string, an integer, a uuid or a unit-only enum"
                    )),
                }
            }
            (MapKey::Named, _) => Err("the map key type is not written as a string".to_owned()),
        }
    }

    /// The properties of `fields` (flattened structs contribute theirs), appended to `out`.
    /// `optional`: the fields sit in a flattened `Option`, so each may be missing.
    pub(crate) fn props(
        &mut self,
        fields: &[Field],
        owner: &str,
        optional: bool,
        depth: usize,
        out: &mut Vec<(String, Prop)>,
    ) -> Result<(), String> {
        if depth > MAX_NEWTYPE_DEPTH {
            return Err(format!("`{owner}` flattens itself"));
        }
        for f in fields {
            let field = format!("{owner}::{}", f.name);
            if f.flatten {
                self.flattened(f, &field, optional, depth, out)?;
                continue;
            }
            if f.wire_name != f.deserialize_name {
                return Err(format!(
                    "the field `{field}` is written as `{}` but read as `{}`, and a C# property has one JSON name",
                    f.wire_name, f.deserialize_name
                ));
            }
            let ty = self
                .ty(&f.ty)
                .map_err(|e| format!("the field `{field}`: {e}"))?;
            let required = !optional && f.required_on_output() && f.required_on_input();
            let mut attrs = vec![format!(
                "JsonPropertyName({})",
                string_literal(&f.wire_name)
            )];
            let ty = if required {
                ty
            } else {
                if !matches!(f.ty, TypeRef::Option(_)) {
                    // `null` is no value of the Rust field: leave the key out instead, so
                    // the server's default (or its error) applies.
                    attrs.push(
                        "JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)".to_owned(),
                    );
                }
                ty.nullable()
            };
            out.push((
                pascal(&f.name),
                Prop {
                    docs: xml_docs(&f.docs, &[]),
                    attrs,
                    decl: format!(
                        "public {}{}",
                        if required { "required " } else { "" },
                        ty.text
                    ),
                },
            ));
        }
        Ok(())
    }

    /// The properties a `#[serde(flatten)]` field contributes.
    pub(crate) fn flattened(
        &mut self,
        f: &Field,
        field: &str,
        optional: bool,
        depth: usize,
        out: &mut Vec<(String, Prop)>,
    ) -> Result<(), String> {
        let (inner, optional) = match &f.ty {
            TypeRef::Option(inner) => (inner.as_ref(), true),
            t => (t, optional),
        };
        match inner {
            TypeRef::Named(n) => {
                if let Some(def) = self.resolve(n)
                    && let TypeDefKind::Struct {
                        fields, tag: None, ..
                    } = &def.kind
                {
                    let fields = fields.clone();
                    let owner = def.name.clone();
                    return self.props(&fields, &owner, optional, depth + 1, out);
                }
            }
            TypeRef::Map {
                key_kind: MapKey::String,
                value,
                ..
            } if **value == TypeRef::Json => {
                self.uses.json = true;
                out.push((
                    pascal(&f.name),
                    Prop {
                        docs: xml_docs(&f.docs, &[]),
                        attrs: vec!["JsonExtensionData".to_owned()],
                        decl: "public Dictionary<string, JsonElement>?".to_owned(),
                    },
                ));
                return Ok(());
            }
            _ => {}
        }
        Err(format!(
            "the flattened field `{field}` must be a struct without a tag (or an `Option` of one), whose fields become properties, or a map of `serde_json::Value`, which becomes extension data"
        ))
    }

    /// The properties of the record `record`: each named in the record's scope (a name
    /// every record has, the record's own name, or one taken before gets `_` appended), its
    /// declaration completed with that name.
    pub(crate) fn checked_props(
        record: &str,
        props: Vec<(String, Prop)>,
    ) -> Result<Vec<Prop>, String> {
        let mut scope = Scope::new(RESERVED_MEMBERS.iter().copied().chain([record]));
        let mut extension = false;
        let mut out = Vec::new();
        for (name, mut p) in props {
            if !is_identifier(&name) {
                return Err(format!("the property name `{name}` is not a C# identifier"));
            }
            if p.attrs.iter().any(|a| a == "JsonExtensionData") {
                if extension {
                    return Err(
                        "two flattened maps would both be extension data, and a C# type has one"
                            .to_owned(),
                    );
                }
                extension = true;
            }
            let name = scope.claim(&name);
            p.decl = format!("{} {name} {{ get; init; }}", p.decl);
            out.push(p);
        }
        Ok(out)
    }

    pub(crate) fn type_decl(&mut self, def: &TypeDef) -> Result<Option<TypeDecl>, String> {
        let mut docs = def.docs.clone();
        Ok(Some(match &def.kind {
            TypeDefKind::Struct { fields, tag, .. } => {
                if let Some(tag) = tag {
                    docs.push(String::new());
                    docs.push(format!(
                        "The server writes it with `\"{tag}\": \"{}\"`, which is ignored when read.",
                        def.wire_name
                    ));
                }
                let mut props = Vec::new();
                self.props(fields, &def.name, false, 0, &mut props)?;
                self.uses.attributes |= !props.is_empty();
                let name = self.declared_name(&def.name);
                TypeDecl::Record {
                    docs: xml_docs(&docs, &[]),
                    props: Self::checked_props(&name, props)?,
                    name,
                }
            }
            TypeDefKind::Newtype(inner) => {
                // Written as its content: the content's type stands for it.
                self.ty(inner)?;
                return Ok(None);
            }
            TypeDefKind::Tuple(_) => {
                return Err(
                    "a tuple struct is a JSON array of mixed types, which System.Text.Json does not read into any C# type without a converter; use named fields".to_owned(),
                );
            }
            TypeDefKind::Unit => {
                return Err(
                    "a unit struct is always `null`, and C# has no type for that".to_owned(),
                );
            }
            TypeDefKind::Enum { variants, .. } => match Self::enum_shape(def)? {
                EnumShape::Strings => {
                    self.uses.enums = true;
                    self.uses.attributes = true;
                    let name = self.declared_name(&def.name);
                    let names = Self::variant_names(def, variants, [name.as_str()])?;
                    let members = variants
                        .iter()
                        .zip(names)
                        .map(|(v, member)| EnumMember {
                            docs: xml_docs(&v.docs, &[]),
                            wire: string_literal(&v.wire_name),
                            name: member,
                        })
                        .collect();
                    TypeDecl::Enum {
                        docs: xml_docs(&docs, &[]),
                        name,
                        members,
                    }
                }
                EnumShape::Union { tag, content } => {
                    self.uses.attributes = true;
                    let name = self.declared_name(&def.name);
                    // A nested record named like a framework type the file names would
                    // hide it inside the abstract record.
                    let names = Self::variant_names(
                        def,
                        variants,
                        RESERVED_TYPES.iter().copied().chain([name.as_str()]),
                    )?;
                    // Inside the abstract record, a variant's name (and a struct variant's
                    // `Fields` or `Content` record) hides a namespace type of that name.
                    self.shadowed = names.clone();
                    self.shadowed
                        .extend(["Fields".to_owned(), "Content".to_owned()]);
                    let built: Result<Vec<_>, String> = variants
                        .iter()
                        .zip(names)
                        .map(|(v, variant)| self.variant(def, v, variant, content))
                        .collect();
                    self.shadowed.clear();
                    let out = built?;
                    TypeDecl::Union {
                        docs: xml_docs(&docs, &[]),
                        name,
                        tag: string_literal(tag),
                        variants: out,
                    }
                }
            },
        }))
    }

    /// The C# names of an enum's variants, claimed in order after `reserved` (the enum's
    /// own name, and what else the members may not be called).
    pub(crate) fn variant_names<'r>(
        def: &TypeDef,
        variants: &[Variant],
        reserved: impl IntoIterator<Item = &'r str>,
    ) -> Result<Vec<String>, String> {
        let mut scope = Scope::new(reserved);
        let mut names = Vec::new();
        for v in variants {
            if v.wire_name != v.deserialize_name {
                return Err(format!(
                    "the variant `{}::{}` is written as `{}` but read as `{}`, and C# gives it one name",
                    def.name, v.name, v.wire_name, v.deserialize_name
                ));
            }
            let name = pascal(&v.name);
            if !is_identifier(&name) {
                return Err(format!(
                    "the variant `{}::{}` cannot be the C# member `{name}`",
                    def.name, v.name
                ));
            }
            names.push(scope.claim(&name));
        }
        Ok(names)
    }

    /// One variant of a polymorphic record.
    pub(crate) fn variant(
        &mut self,
        def: &TypeDef,
        v: &Variant,
        name: String,
        content: Option<&str>,
    ) -> Result<VariantDecl, String> {
        let owner = format!("{}::{}", def.name, v.name);
        let mut props = Vec::new();
        let mut fields = None;
        match (&v.kind, content) {
            (VariantKind::Unit, _) => {}
            (VariantKind::Tuple(_), _) => {
                return Err(format!(
                    "the tuple variant `{owner}` is a JSON array of mixed types, which System.Text.Json does not read without a converter; use named fields"
                ));
            }
            // Internally tagged: the content's keys sit beside the tag.
            (VariantKind::Struct(fs), None) => {
                self.props(fs, &owner, false, 0, &mut props)?;
            }
            (VariantKind::Newtype(t), None) => {
                let merged = match t {
                    TypeRef::Named(n) => self.resolve(n).and_then(|d| match &d.kind {
                        TypeDefKind::Struct {
                            fields, tag: None, ..
                        } => Some((d.name.clone(), fields.clone())),
                        _ => None,
                    }),
                    _ => None,
                };
                let Some((struct_name, fs)) = merged else {
                    return Err(format!(
                        "the variant `{owner}` of an internally tagged enum must hold a struct without a tag: serde merges its fields with the tag"
                    ));
                };
                self.props(&fs, &struct_name, false, 0, &mut props)?;
            }
            // Adjacently tagged: the content under its own key.
            (VariantKind::Newtype(t), Some(key)) => {
                let ty = self
                    .ty(t)
                    .map_err(|e| format!("the variant `{owner}`: {e}"))?;
                props.push((pascal(key), content_prop(key, &ty.text)));
            }
            (VariantKind::Struct(fs), Some(key)) => {
                let mut inner = Vec::new();
                self.props(fs, &owner, false, 0, &mut inner)?;
                let property = pascal(key);
                let record = if property == "Fields" {
                    "Content"
                } else {
                    "Fields"
                };
                fields = Some((record.to_owned(), Self::checked_props(record, inner)?));
                props.push((property, content_prop(key, record)));
            }
        }
        let mut doc_lines = v.docs.clone();
        if v.other {
            doc_lines.push(String::new());
            doc_lines.push("The server reads any tag it does not know as this variant.".to_owned());
        }
        Ok(VariantDecl {
            docs: xml_docs(&doc_lines, &[]),
            props: Self::checked_props(&name, props)?,
            name,
            wire: string_literal(&v.wire_name),
            fields,
        })
    }
}

/// The property of an adjacently tagged variant that holds its content.
pub(crate) fn content_prop(key: &str, ty: &str) -> Prop {
    Prop {
        docs: Vec::new(),
        attrs: vec![format!("JsonPropertyName({})", string_literal(key))],
        decl: format!("public required {ty}"),
    }
}

/// Names each newtype the hubs reach with the C# type that stands for it.
pub(crate) fn newtype_notes(cx: &mut Cx<'_>, types: &[&TypeDef]) -> Vec<String> {
    let pairs: Vec<String> = types
        .iter()
        .filter(|d| matches!(d.kind, TypeDefKind::Newtype(_)))
        .filter_map(|d| {
            cx.ty(&TypeRef::Named(d.name.clone()))
                .ok()
                .map(|t| format!("{} is {}", d.name, t.text))
        })
        .collect();
    if pairs.is_empty() {
        return Vec::new();
    }
    vec![
        "Newtypes are written as their content, so their content's type stands for them:"
            .to_owned(),
        format!("{}.", pairs.join(", ")),
    ]
}
