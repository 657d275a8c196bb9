//! Contracts into the model: raw identifiers, types resolved once with their syntax kept,
//! authorization, the `#[hub_contract]` arguments, and every error collected with its span.

#![allow(clippy::unwrap_used, clippy::panic)]

use proc_macro2::TokenStream;
use signalr_contract::{
    ContractArgs, Ctxt, HubContract, MapKey, OutputKind, ParamKind, Requirement, TypeRef,
    parse_contract,
};

fn parse(args: &str, item: &str) -> Result<HubContract, Vec<String>> {
    let cx = Ctxt::new();
    let args = ContractArgs::parse(args.parse::<TokenStream>().unwrap(), &cx);
    let item: syn::ItemTrait = syn::parse_str(item).unwrap();
    if let Err(errors) = cx.check() {
        return Err(errors.iter().map(ToString::to_string).collect());
    }
    parse_contract(&args, &item).map_err(|e| e.iter().map(ToString::to_string).collect())
}

fn errors(args: &str, item: &str) -> Vec<String> {
    match parse(args, item) {
        Ok(c) => panic!("expected errors, got {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn raw_identifiers_lose_their_prefix_but_keep_their_syntax() {
    let c = parse(
        "",
        "trait r#Store { async fn r#type(&self, r#match: String) -> u8; }",
    )
    .unwrap();
    assert_eq!(c.name, "Store");
    let m = &c.methods[0];
    assert_eq!(m.name, "type");
    assert_eq!(m.wire_name, "Store|Type");
    assert_eq!(m.plain_name, "Type");
    assert_eq!(m.origin.get().unwrap().to_string(), "r#type");
    assert_eq!(m.params[0].name, "match");
    assert_eq!(
        m.params[0].origin.get().unwrap().ident.to_string(),
        "r#match"
    );
}

#[test]
fn types_are_resolved_once_with_their_syntax() {
    let c = parse(
        "plain",
        "trait Store {
            async fn put(&self, tags: Vec<String>, by_id: std::collections::HashMap<u32, Item>,
                         items: signalr::UploadStream<Item>, cancel: signalr::CancellationToken,
                         caller: signalr::Caller) -> Result<Option<char>, MyError>;
            fn watch(&self) -> signalr::HubStream<Item>;
        }",
    )
    .unwrap();
    let put = &c.methods[0];
    assert_eq!(put.wire_name, "Put", "plain mode");
    let kinds: Vec<ParamKind> = put.params.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            ParamKind::Value,
            ParamKind::Value,
            ParamKind::Upload,
            ParamKind::Cancellation,
            ParamKind::Caller
        ]
    );
    let tags = put.params[0].ty.as_ref().unwrap();
    assert_eq!(tags.rust, "Vec<String>");
    assert_eq!(tags.wire, TypeRef::List(Box::new(TypeRef::String)));
    assert!(tags.origin.get().is_some());
    assert_eq!(
        put.params[1].wire(),
        Some(&TypeRef::Map {
            key: Box::new(TypeRef::Int {
                bits: 32,
                signed: false
            }),
            key_kind: MapKey::Integer,
            value: Box::new(TypeRef::Named("Item".into())),
        })
    );
    assert_eq!(put.params[2].wire(), Some(&TypeRef::Named("Item".into())));
    assert_eq!(put.params[3].ty, None);
    assert_eq!(put.output.kind, OutputKind::Value);
    assert_eq!(
        put.output.wire(),
        Some(&TypeRef::Option(Box::new(TypeRef::Char)))
    );
    assert!(put.output.fallible);
    assert_eq!(put.output.error.as_ref().unwrap().rust, "MyError");
    let watch = &c.methods[1];
    assert_eq!(watch.output.kind, OutputKind::Stream);
    assert_eq!(watch.output.wire(), Some(&TypeRef::Named("Item".into())));
    // The model round-trips through JSON without its syntax, and compares equal.
    let json = serde_json::to_string(&c).unwrap();
    let back: HubContract = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    assert!(back.methods[0].origin.get().is_none());
}

#[test]
fn authorization_is_read_from_the_trait_and_its_methods() {
    let c = parse(
        "",
        r#"#[hub(authorize)]
        trait Admin {
            #[hub(authorize(roles = " admin ,ops,"))]
            async fn restart(&self);
            #[hub(authorize(roles = ["admin", "ops, audit"], policy = "adults"))]
            #[hub(authorize)]
            async fn purge(&self);
            async fn status(&self);
        }"#,
    )
    .unwrap();
    assert_eq!(c.authorize, [Requirement::Authenticated]);
    assert_eq!(
        c.methods[0].authorize,
        [Requirement::AnyRole {
            roles: vec!["admin".into(), "ops".into()]
        }]
    );
    assert_eq!(
        c.methods[1].authorize,
        [
            Requirement::AnyRole {
                roles: vec!["admin".into(), "ops".into(), "audit".into()]
            },
            Requirement::Policy {
                name: "adults".into()
            },
            Requirement::Authenticated,
        ]
    );
    assert!(c.methods[2].authorize.is_empty());
    assert_eq!(
        Requirement::AnyRole {
            roles: vec!["admin".into(), "ops".into()]
        }
        .describe(),
        "an authenticated user in one of the roles admin, ops"
    );
}

#[test]
fn contract_arguments() {
    let cx = Ctxt::new();
    let args = ContractArgs::parse(
        r#"client, plain, name = "IChat", crate = "crate::reexports::signalr""#
            .parse()
            .unwrap(),
        &cx,
    );
    cx.check().unwrap();
    assert!(args.client && args.plain);
    assert_eq!(args.name.as_deref(), Some("IChat"));
    let facade = args.facade();
    assert_eq!(
        quote::quote!(#facade).to_string(),
        "crate :: reexports :: signalr"
    );
    let facade = ContractArgs::default().facade();
    assert_eq!(quote::quote!(#facade).to_string(), ":: signalr");
    let e = errors(r#"crate = "not a path!""#, "trait A {}");
    assert!(
        e[0].contains("expected a path to the `signalr` crate"),
        "{e:?}"
    );
}

/// Every mistake of a contract is reported, in order, each saying what to write instead.
#[test]
fn every_error_is_collected() {
    let e = errors(
        "",
        r#"trait Broken {
            async fn put<T>(&self, value: T);
            async fn send(&self, text: String) where Self: Sized;
            async fn record(&self, samples: signalr::HubStream<f64>);
            async fn page(&self, page: Page<User>);
            #[hub(name = "A|B")]
            async fn pipe(&self);
            #[hub(authorize(role = "admin"))]
            async fn typo(&self);
            fn get(&self) -> u8;
        }"#,
    );
    assert_eq!(e.len(), 7, "{e:#?}");
    assert!(e[0].starts_with("hub methods cannot be generic"));
    assert!(e[1].starts_with("remove this `where` clause"));
    assert!(e[2].contains("take `UploadStream<f64>`"));
    assert!(e[3].contains("generic type `Page<User>` is not supported"));
    assert!(e[4].contains("must not contain `|`"));
    assert!(e[5].contains("`authorize` takes `roles"));
    assert!(e[6].starts_with("hub methods are `async fn`"));
}

#[test]
fn authorization_belongs_to_server_contracts() {
    let e = errors(
        "client",
        "trait Screen { #[hub(authorize)] async fn show(&self); }",
    );
    assert!(
        e[0].starts_with("`authorize` applies to server contracts"),
        "{e:?}"
    );
}

#[test]
fn wire_names_clash_case_insensitively() {
    let e = errors(
        "",
        r#"trait T { async fn send(&self); #[hub(name = "SEND")] async fn other(&self); }"#,
    );
    assert!(
        e[0].contains("wire names are matched case-insensitively"),
        "{e:?}"
    );
}
