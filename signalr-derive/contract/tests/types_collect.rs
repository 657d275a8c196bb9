//! `collect_types`: which items are read, modules, docs, derives, generics, duplicates,
//! error reporting, and that no input makes it panic.
#![allow(unreachable_pub, dead_code, clippy::unwrap_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};

use signalr_contract::{TypeDef, TypeDefKind, TypeRef, collect_types, type_ref};
use support::{assert_error, collect, def, field, fields, names, variant};

#[test]
fn reads_derived_structs_and_enums_in_inline_modules() {
    let (defs, errors) = collect(
        r#"
        use serde::{Deserialize, Serialize};

        #[derive(Serialize, Deserialize)]
        pub struct Top { pub a: u8 }

        pub struct NotDerived { pub f: fn() }

        #[derive(Debug, Clone)]
        pub struct OtherDerives { pub f: fn() }

        pub mod dto {
            #[derive(serde::Serialize)]
            pub struct Inner { pub b: Vec<super::Top> }

            mod deeper {
                #[derive(::serde::Deserialize)]
                enum Deep { A, B(u8) }
            }
        }

        mod external;

        fn body() {
            #[derive(Serialize)]
            struct InFunction { x: u8 }
        }

        #[derive(serde_derive::Serialize)]
        #[derive(Clone)]
        struct SecondDerive;
        "#,
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(names(&defs), ["Top", "Inner", "Deep", "SecondDerive"]);
    assert_eq!(def(&defs, "Inner").module, ["dto"]);
    assert_eq!(def(&defs, "Deep").module, ["dto", "deeper"]);
    assert_eq!(def(&defs, "Deep").qualified_name(), "dto::deeper::Deep");
    assert_eq!(def(&defs, "Top").qualified_name(), "Top");
    let inner = def(&defs, "Inner");
    assert!(inner.serialize && !inner.deserialize);
    let deep = def(&defs, "Deep");
    assert!(!deep.serialize && deep.deserialize);
    assert_eq!(
        field(inner, "b").ty,
        TypeRef::List(Box::new(TypeRef::Named("Top".into())))
    );
}

#[test]
fn cfg_attr_counts_as_if_enabled() {
    let (defs, errors) = collect(
        r#"
        #[cfg_attr(feature = "serde", derive(Serialize, Deserialize), serde(rename_all = "camelCase"))]
        pub struct A {
            #[cfg_attr(feature = "serde", serde(rename = "ID"))]
            pub user_id: u8,
            pub other_field: u8,
        }

        #[cfg_attr(all(feature = "a", not(test)), cfg_attr(feature = "b", derive(Serialize)))]
        pub struct B;
        "#,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let a = def(&defs, "A");
    let wire: Vec<&str> = fields(a).iter().map(|f| f.wire_name.as_str()).collect();
    assert_eq!(wire, ["ID", "otherField"]);
    assert_eq!(def(&defs, "B").kind, TypeDefKind::Unit);
}

#[test]
fn docs_are_kept() {
    let (defs, _) = collect(
        r#"
        /// The type.
        ///   indented
        #[doc = "attribute doc"]
        #[derive(Serialize)]
        enum E {
            /// A variant.
            A {
                /// A field.
                x: u8,
            },
            /** Block doc. */
            B,
        }
        "#,
    );
    let e = def(&defs, "E");
    assert_eq!(e.docs, ["The type.", "  indented", "attribute doc"]);
    assert_eq!(variant(e, "A").docs, ["A variant."]);
    assert_eq!(variant(e, "B").docs, ["Block doc. "]);
    let signalr_contract::VariantKind::Struct(fs) = &variant(e, "A").kind else {
        panic!()
    };
    assert_eq!(fs[0].docs, ["A field."]);
}

#[test]
fn generic_types_are_rejected_but_lifetimes_are_fine() {
    assert_error(
        "#[derive(Serialize)] struct Page<T> { items: Vec<T> }",
        &["`Page`", "generic types are not supported"],
    );
    assert_error(
        "#[derive(Serialize)] struct Buf<const N: usize> { b: [u8; N] }",
        &["`Buf`", "generic"],
    );
    assert_error(
        "#[derive(Serialize)] enum E<'a, T> { A(&'a T) }",
        &["`E`", "generic"],
    );
    let (defs, errors) = collect(
        "#[derive(Serialize, Deserialize)] struct Borrowed<'a> { #[serde(borrow)] name: Cow<'a, str>, raw: &'a [u8] }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let b = def(&defs, "Borrowed");
    assert_eq!(field(b, "name").ty, TypeRef::String);
}

#[test]
fn self_names_the_enclosing_type() {
    let (defs, errors) = collect(
        "#[derive(Serialize)] struct Tree { children: Vec<Self>, parent: Option<Box<Self>> }
         #[derive(Serialize)] enum List { Cons(u8, Box<Self>), Nil }",
    );
    assert!(errors.is_empty(), "{errors:?}");
    let tree = def(&defs, "Tree");
    assert_eq!(
        field(tree, "children").ty,
        TypeRef::List(Box::new(TypeRef::Named("Tree".into())))
    );
    assert_eq!(def(&defs, "List").referenced_names(), ["List"]);
}

#[test]
fn duplicate_names_are_reported() {
    let src = "
        mod a { #[derive(Serialize)] pub struct User { pub id: u8 } }
        mod b { #[derive(Serialize)] pub struct User { pub name: String } }
        #[derive(Serialize)] struct Other;
    ";
    let (defs, errors) = collect(src);
    assert_eq!(names(&defs), ["User", "Other"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].item(), "b::User");
    assert!(errors[0].message().contains("`a::User`"), "{}", errors[0]);
}

#[test]
fn unions_are_reported() {
    assert_error("#[derive(Serialize)] union U { a: u8 }", &["`U`", "unions"]);
    let (_, errors) = collect("union NotSerde { a: u8 }");
    assert!(errors.is_empty());
}

#[test]
fn every_error_is_collected_and_bad_items_are_left_out() {
    let src = r#"
        #[derive(Serialize)]
        struct Bad {
            #[serde(serialize_with = "ser")]
            a: u8,
            b: HashMap<Vec<u8>, u8>,
            c: Box<dyn Fn()>,
            #[serde(skip)]
            d: Box<dyn Fn()>,
            e: u8,
        }
        #[derive(Serialize)]
        struct Good { x: Bad }
        #[derive(Serialize)]
        enum AlsoBad { A(fn()), B { #[serde(with = "custom")] x: u8 } }
    "#;
    let (defs, errors) = collect(src);
    assert_eq!(names(&defs), ["Good"]);
    let items: Vec<&str> = errors.iter().map(|e| e.item()).collect();
    assert_eq!(
        items,
        ["Bad.a", "Bad.b", "Bad.c", "AlsoBad::A.0", "AlsoBad::B.x"]
    );
    for e in &errors {
        assert!(e.message().starts_with(&format!("`{}`: ", e.item())), "{e}");
    }
    // Spans point into the source: the key type of `b`'s map, on its own line.
    let b = &errors[1];
    assert_eq!(b.span().start().line, 6);
    assert!(b.message().contains("map key `Vec<u8>`"), "{b}");
    // A skipped field's type is never looked at.
    assert!(!errors.iter().any(|e| e.item() == "Bad.d"));
}

#[test]
fn serde_with_annotations_are_reported() {
    assert_error(
        "#[derive(Serialize)] struct S { #[serde_as(as = \"DisplayFromStr\")] n: u64 }",
        &["`S.n`", "serde_as"],
    );
}

#[test]
fn the_model_round_trips_through_serde() {
    let (defs, errors) = collect(
        r#"
        /// Doc.
        #[derive(Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields, tag = "type")]
        struct A { #[serde(alias = "b")] a_b: Option<HashMap<u64, Vec<(u8, String)>>>, #[serde(flatten)] m: serde_json::Map<String, serde_json::Value> }
        #[derive(Serialize, Deserialize)]
        #[serde(tag = "t", content = "c")]
        enum E { U, N(A), T(u8, u8), S { #[serde(skip_serializing_if = "x")] f: Uuid }, #[serde(untagged)] W(String) }
        #[derive(Serialize)] struct N(Binary);
        #[derive(Serialize)] struct T(u8, i128);
        #[derive(Serialize)] struct Unit;
        "#,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let text = serde_json::to_string_pretty(&defs).unwrap();
    let back: Vec<TypeDef> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, defs);
    assert!(text.contains("\"denyUnknownFields\": true"), "{text}");
    assert!(text.contains("\"deserializeName\""), "{text}");
}

// ---------------------------------------------------------------------------------------
// Never panic
// ---------------------------------------------------------------------------------------

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "node_modules" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Every type written anywhere in a file.
struct Types(Vec<syn::Type>);
impl<'ast> syn::visit::Visit<'ast> for Types {
    fn visit_type(&mut self, t: &'ast syn::Type) {
        self.0.push(t.clone());
        syn::visit::visit_type(self, t);
    }
    fn visit_field(&mut self, f: &'ast syn::Field) {
        // With the field's attributes, as collect_types passes them.
        let _ = type_ref(&f.ty, &f.attrs);
        syn::visit::visit_field(self, f);
    }
}

#[test]
fn never_panics_on_the_workspace_sources() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 20, "found the workspace: {}", files.len());
    let mut types = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(file) = syn::parse_file(&text) else {
            continue;
        };
        let _ = collect_types(&file);
        let mut v = Types(Vec::new());
        syn::visit::Visit::visit_file(&mut v, &file);
        for t in &v.0 {
            let _ = type_ref(t, &[]);
        }
        types += v.0.len();
    }
    assert!(types > 1000, "looked at {types} types");
}

/// Every container attribute, field attribute and variant attribute serde knows (and a
/// few it does not), in pairs, on every kind of item.
#[test]
fn never_panics_on_attribute_combinations() {
    let container = [
        "",
        "rename = \"R\"",
        "rename(serialize = \"S\", deserialize = \"D\")",
        "rename(serialize = \"S\")",
        "rename_all = \"camelCase\"",
        "rename_all = \"nope\"",
        "rename_all(deserialize = \"kebab-case\")",
        "rename_all_fields = \"UPPERCASE\"",
        "deny_unknown_fields",
        "tag = \"t\"",
        "tag = \"t\", content = \"c\"",
        "content = \"c\"",
        "untagged",
        "transparent",
        "default",
        "default = \"f\"",
        "from = \"String\"",
        "try_from = \"u8\"",
        "into = \"String\"",
        "into = \"Vec<\"",
        "remote = \"X\"",
        "bound = \"\"",
        "crate = \"s\"",
        "expecting = \"e\"",
        "field_identifier",
        "variant_identifier",
        "tag = 5",
        "rename",
        "rename()",
        "rename(serialize)",
        "= \"x\"",
        "a::b",
        "",
    ];
    let field = [
        "",
        "rename = \"r\"",
        "rename(deserialize = \"a\", deserialize = \"b\")",
        "alias = \"a\"",
        "default",
        "default = \"d\"",
        "skip",
        "skip_serializing",
        "skip_deserializing",
        "skip_serializing_if = \"f\"",
        "flatten",
        "with = \"serde_bytes\"",
        "with = \"other\"",
        "with = \"::\"",
        "serialize_with = \"f\"",
        "deserialize_with = \"f\"",
        "borrow",
        "borrow = \"'a\"",
        "getter = \"g\"",
        "bound = \"\"",
        "skip = 1",
        "unknown",
        "alias",
    ];
    let variant = [
        "",
        "rename = \"v\"",
        "alias = \"w\"",
        "rename_all = \"snake_case\"",
        "skip",
        "skip_serializing",
        "skip_deserializing",
        "other",
        "untagged",
        "with = \"m\"",
        "borrow",
        "bound = \"\"",
        "nope",
    ];
    let field_types = [
        "u8",
        "Vec<u8>",
        "Option<Vec<u8>>",
        "Meta",
        "HashMap<String, u8>",
        "Option<Meta>",
        "Box<dyn Fn()>",
        "HashMap<Vec<u8>, u8>",
        "Page<T>",
        "Self",
        "PhantomData<u8>",
        "(u8, String)",
    ];
    let mut sources = Vec::new();
    for c1 in &container {
        for c2 in &container {
            for body in [
                "struct S { a: u8, b: Option<String> }",
                "struct S(u8);",
                "struct S(u8, u8);",
                "struct S;",
                "enum E { A, B(u8), C(u8, u8), D { x: u8 } }",
            ] {
                sources.push(format!(
                    "#[derive(Serialize, Deserialize)] #[serde({c1})] #[serde({c2})] {body}"
                ));
            }
        }
    }
    for f in &field {
        for t in &field_types {
            for c in ["", "tag = \"t\"", "transparent", "default"] {
                sources.push(format!(
                    "#[derive(Serialize, Deserialize)] #[serde({c})] struct S {{ #[serde({f})] a: {t}, #[serde({f})] b: u8 }}"
                ));
                sources.push(format!(
                    "#[derive(Serialize, Deserialize)] #[serde({c})] struct S(#[serde({f})] {t});"
                ));
                sources.push(format!(
                    "#[derive(Serialize)] #[serde({c})] struct S(#[serde({f})] {t}, #[serde({f})] u8);"
                ));
            }
        }
    }
    for v in &variant {
        for f in &field {
            for c in [
                "",
                "tag = \"t\"",
                "tag = \"t\", content = \"c\"",
                "untagged",
            ] {
                sources.push(format!(
                    "#[derive(Serialize, Deserialize)] #[serde({c})] enum E {{ #[serde({v})] A, #[serde({v})] B(#[serde({f})] Vec<u8>), #[serde({v})] C(u8, #[serde({f})] Meta), #[serde({v})] D {{ #[serde({f})] t: Option<Meta> }} }}"
                ));
            }
        }
    }
    let mut parsed = 0;
    for src in &sources {
        // Some combinations are not even Rust; those never reach collect_types.
        if let Ok(file) = syn::parse_file(src) {
            let (defs, errors) = collect_types(&file);
            for e in &errors {
                assert!(e.message().starts_with('`'), "{src}: {e}");
                assert!(!e.item().is_empty(), "{src}");
            }
            // Items are either modelled or reported.
            assert!(!defs.is_empty() || !errors.is_empty(), "{src}");
            parsed += 1;
        }
    }
    assert!(parsed > 5000, "checked {parsed} sources");
}

#[test]
fn never_panics_on_odd_sources() {
    for src in [
        "",
        "#[derive(Serialize)] struct S { r#type: r#u8 }",
        "#[derive(Serialize)] struct r#S { r#a: u8 }",
        "#[derive] struct S;",
        "#[derive = \"x\"] struct S;",
        "#[derive(Serialize = 1)] struct S;",
        "#[cfg_attr] #[derive(Serialize)] struct S;",
        "#[cfg_attr(x)] #[derive(Serialize)] struct S;",
        "#[cfg_attr(x, serde(tag = ))] #[derive(Serialize)] struct S { a: u8 }",
        "#[derive(Serialize)] #[serde(rename = \"\")] struct S { #[serde(rename = \"\")] a: u8 }",
        "#[derive(Serialize)] #[serde(rename_all = \"camelCase\")] struct S { __: u8, _a: u8 }",
        "#[derive(Serialize)] #[serde(rename_all = \"camelCase\")] enum E { É, Ä { ö: u8 } }",
        "#[derive(Serialize)] enum E {}",
        "#[derive(Serialize)] struct S { a: [u8; usize::MAX] }",
        "#[derive(Serialize)] struct S { a: <Vec<u8> as IntoIterator>::Item }",
        "#[derive(Serialize)] struct S { a: Vec<<T as X>::Y> }",
        "#[derive(Serialize)] struct S { a: ::Vec<u8> }",
        "#[derive(Serialize)] struct S { a: Vec::<u8> }",
        "#[derive(Serialize)] struct S { a: Fn(u8) -> u8 }",
        "#[derive(Serialize)] struct S { a: Option<impl Fn()> }",
        "#[derive(Serialize)] struct S { a: HashMap<> }",
        "#[derive(Serialize)] struct S { a: Vec<'a> }",
        "#[derive(Serialize)] struct S { a: Vec<N = u8> }",
        "#[derive(Serialize)] struct S { a: Option<T: Copy> }",
        "#[derive(Serialize)] struct S where u8: Copy { a: u8 }",
        "#[derive(Serialize)] #[serde(from = \"\")] struct S { a: u8 }",
        "#[derive(Serialize)] #[serde(into = \"Self\")] struct S { a: u8 }",
        "#[derive(Serialize, Deserialize)] #[serde(from = \"Self\", into = \"Self\")] struct S { a: u8 }",
        "#[derive(Serialize)] #[serde(tag = \"\", content = \"\")] enum E { A }",
        "#[derive(Serialize)] #[serde(transparent)] struct S { #[serde(skip)] a: u8 }",
        "#[derive(Serialize)] #[serde(transparent)] struct S(PhantomData<u8>, u8);",
        "mod m { mod n { mod o { #[derive(Serialize)] struct S(u8); } } }",
        "#[derive(Serialize)] struct S { #[serde(flatten)] a: Option<Option<Meta>> }",
    ] {
        let Ok(file) = syn::parse_file(src) else {
            continue;
        };
        let _ = collect_types(&file);
    }
}
