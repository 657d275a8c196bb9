//! Generated names never collide, whatever the contract calls things: a property test over
//! contracts whose methods, parameters and types take random names, keywords of Rust,
//! TypeScript and C#, and the names the generated code uses for itself. Every scope of the
//! TypeScript (both protocols) and C# output is read back and must declare each name once,
//! and never a reserved word.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use signalr_codegen::Protocol;

/// Rust keywords that can only be written as raw identifiers (all but `crate`, `self`,
/// `super`, `Self`, which cannot be raw).
const RUST_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static",
    "struct", "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn",
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized",
    "virtual", "yield", "try", "gen",
];

/// Names that mean something to TypeScript, C# or the generated code.
const HOSTILE: &[&str] = &[
    "arguments",
    "eval",
    "class",
    "default",
    "delete",
    "new",
    "function",
    "var",
    "void",
    "null",
    "this",
    "throw",
    "switch",
    "case",
    "instanceof",
    "interface",
    "package",
    "private",
    "public",
    "with",
    "constructor",
    "string",
    "object",
    "number",
    "any",
    "never",
    "unknown",
    "symbol",
    "boolean",
    "undefined",
    "bool",
    "byte",
    "char",
    "int",
    "long",
    "decimal",
    "double",
    "float",
    "event",
    "operator",
    "params",
    "out",
    "lock",
    "namespace",
    "record",
    "value",
    "args",
    "var",
    "dynamic",
    "connection",
    "send",
    "receiver",
    "handlers",
    "cancellations",
    "signal",
    "upload",
    "registration",
    "cancellation_token",
    "start",
    "stop",
    "stream",
    "invoke",
    "on",
    "off",
    "state",
    "__call",
    "__imp",
    "__w",
    "Record",
    "Promise",
    "HubStream",
    "Upload",
    "Registration",
    "JsonValue",
    "HubConnection",
    "Task",
    "Guid",
    "DeclaredJson",
    "HubRegistration",
    "AbortSignal",
    "Equals",
    "ToString",
    "Proxy",
    "Send",
    "Receiver",
    "Async",
];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(RUST_KEYWORDS).prop_map(str::to_owned),
        proptest::sample::select(HOSTILE).prop_map(str::to_owned),
        "[a-z][a-z0-9]{0,5}(_[a-z0-9]{1,4}){0,2}",
        "[A-Z][a-z0-9]{0,6}",
        "_{1,2}[a-z][a-z0-9]{0,4}",
    ]
}

/// A name as written in Rust.
fn rust(name: &str) -> String {
    if RUST_KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// serde's and the macro's idea of a method's wire name, enough to keep methods distinct
/// case-insensitively (the model refuses duplicate wire names, rightly).
fn wire_key(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_lowercase()
}

#[derive(Debug, Clone)]
struct Contract {
    types: Vec<String>,
    methods: Vec<(String, Vec<String>)>,
    client_methods: Vec<(String, Vec<String>)>,
}

fn contract() -> impl Strategy<Value = Contract> {
    (
        proptest::collection::vec(name(), 1..5),
        proptest::collection::vec((name(), proptest::collection::vec(name(), 0..4)), 1..6),
        proptest::collection::vec((name(), proptest::collection::vec(name(), 0..3)), 0..4),
    )
        .prop_map(|(types, methods, client_methods)| {
            let mut seen = BTreeSet::new();
            let types = types
                .into_iter()
                .filter(|t| seen.insert(t.clone()))
                .collect();
            let methods_of = |methods: Vec<(String, Vec<String>)>| {
                let mut keys = BTreeSet::new();
                methods
                    .into_iter()
                    .filter(|(m, _)| keys.insert(wire_key(m)))
                    .map(|(m, params)| {
                        let mut seen = BTreeSet::new();
                        (
                            m,
                            params
                                .into_iter()
                                .filter(|p| seen.insert(p.clone()))
                                .collect(),
                        )
                    })
                    .collect()
            };
            Contract {
                types,
                methods: methods_of(methods),
                client_methods: methods_of(client_methods),
            }
        })
}

fn source(c: &Contract) -> String {
    let mut out = String::new();
    for t in &c.types {
        out.push_str(&format!(
            "#[derive(serde::Serialize, serde::Deserialize)]\npub struct {} {{\n    pub {}: u32,\n}}\n\n",
            rust(t),
            rust(&t.to_lowercase())
        ));
    }
    let param_type = |i: usize| -> String {
        if i.is_multiple_of(2) {
            rust(&c.types[i / 2 % c.types.len()])
        } else {
            "String".to_owned()
        }
    };
    out.push_str("#[signalr::hub_contract]\npub trait Server {\n");
    for (i, (m, params)) in c.methods.iter().enumerate() {
        let params: Vec<String> = params
            .iter()
            .enumerate()
            .map(|(j, p)| format!(", {}: {}", rust(p), param_type(i + j)))
            .collect();
        let (ret, cancel) = match i % 3 {
            0 => ("".to_owned(), ", zz_cancel: signalr::CancellationToken"),
            1 => (" -> String".to_owned(), ""),
            _ => (format!(" -> signalr::HubStream<{}>", param_type(0)), ""),
        };
        let asyncness = if i % 3 == 2 { "" } else { "async " };
        out.push_str(&format!(
            "    {asyncness}fn {}(&self{}{cancel}){ret};\n",
            rust(m),
            params.concat()
        ));
    }
    out.push_str("}\n\n#[signalr::hub_contract(client)]\npub trait ServerClient {\n");
    for (i, (m, params)) in c.client_methods.iter().enumerate() {
        let params: Vec<String> = params
            .iter()
            .enumerate()
            .map(|(j, p)| format!(", {}: {}", rust(p), param_type(i + j)))
            .collect();
        let ret = if i % 2 == 0 { "" } else { " -> String" };
        out.push_str(&format!(
            "    async fn {}(&self{}){ret};\n",
            rust(m),
            params.concat()
        ));
    }
    out.push_str("}\n");
    out
}

/// Words no TypeScript declaration or parameter may use.
const TS_RESERVED: &[&str] = &[
    "arguments",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "enum",
    "eval",
    "export",
    "extends",
    "false",
    "finally",
    "for",
    "function",
    "if",
    "implements",
    "import",
    "in",
    "instanceof",
    "interface",
    "let",
    "new",
    "null",
    "package",
    "private",
    "protected",
    "public",
    "return",
    "static",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// TypeScript's own type names, which a declared type may not take.
const TS_TYPES: &[&str] = &[
    "any",
    "bigint",
    "boolean",
    "never",
    "null",
    "number",
    "object",
    "string",
    "symbol",
    "undefined",
    "unknown",
    "void",
    "Promise",
    "AbortSignal",
    "Uint8Array",
    "AsyncIterable",
    "AsyncIterator",
    "IteratorResult",
    "HubConnection",
    "IStreamResult",
    "IStreamSubscriber",
    "ISubscription",
];

fn assert_unique(what: &str, names: &[String], text: &str) {
    let mut seen = BTreeSet::new();
    for n in names {
        assert!(seen.insert(n), "{what}: `{n}` declared twice in:\n{text}");
    }
}

/// The identifier at the start of `s` (TypeScript identifiers may contain `$`).
fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect()
}

/// The parameter names of a `(a: A, b?: B)` list.
fn ts_params(list: &str) -> Vec<String> {
    let mut depth = 0;
    let mut names = Vec::new();
    let mut start = true;
    for (i, c) in list.char_indices() {
        match c {
            '<' | '(' | '[' | '{' => depth += 1,
            '>' | ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            _ if start && !c.is_whitespace() => {
                names.push(ident(&list[i..]));
                start = false;
            }
            _ => {}
        }
    }
    names
}

fn check_typescript(ts: &str) {
    // Module scope: every exported or private declaration once, none a reserved word or
    // a type the module names.
    let mut module = Vec::new();
    for line in ts.lines() {
        for prefix in [
            "export interface ",
            "export type ",
            "export class ",
            "export const ",
            "interface ",
            "type ",
            "class ",
            "function ",
        ] {
            if let Some(rest) = line.strip_prefix(prefix) {
                module.push(ident(rest));
            }
        }
    }
    assert_unique("module", &module, ts);
    for n in &module {
        assert!(
            !TS_RESERVED.contains(&n.as_str()) && !TS_TYPES.contains(&n.as_str()),
            "module declares `{n}`:\n{ts}"
        );
    }
    // Class and interface members, and every method's parameters.
    let mut members: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in ts.lines() {
        if ["export class ", "export interface ", "class ", "interface "]
            .iter()
            .any(|p| line.starts_with(p))
        {
            assert_unique("members", &members, ts);
            members.clear();
            in_block = line.ends_with('{');
            continue;
        }
        if line.starts_with('}') {
            in_block = false;
            continue;
        }
        let Some(member) = line.strip_prefix("  ").filter(|_| in_block) else {
            continue;
        };
        if member.starts_with(' ') || member.starts_with('/') || member.starts_with('*') {
            continue;
        }
        let member = member.strip_prefix("readonly ").unwrap_or(member);
        let name = if let Some(quoted) = member.strip_prefix('"') {
            quoted.split('"').next().unwrap_or_default().to_owned()
        } else {
            ident(member)
        };
        if let Some(params) = member.strip_prefix("constructor(") {
            // The constructor: its parameter properties are members.
            for p in params.split(", ") {
                if let Some(rest) = p
                    .strip_prefix("readonly ")
                    .or_else(|| p.strip_prefix("private readonly "))
                {
                    members.push(ident(rest));
                }
            }
            continue;
        }
        if name.is_empty() {
            continue;
        }
        // A method named `constructor` would be the constructor (a property may be).
        assert!(
            name != "constructor" || !member.contains('('),
            "a method named constructor:\n{ts}"
        );
        members.push(name);
        if let (Some(open), Some(close)) = (member.find('('), member.rfind(')')) {
            let params = ts_params(&member[open + 1..close]);
            assert_unique("parameters", &params, ts);
            for p in &params {
                assert!(!TS_RESERVED.contains(&p.as_str()), "parameter `{p}`:\n{ts}");
            }
        }
    }
    assert_unique("members", &members, ts);
}

fn check_csharp(cs: &str) {
    let mut types = Vec::new();
    let mut members: Vec<String> = Vec::new();
    let mut in_interface = false;
    for line in cs.lines() {
        if line.starts_with('}') {
            in_interface = false;
        }
        let decl = line
            .trim_start()
            .trim_start_matches("public ")
            .trim_start_matches("file ")
            .trim_start_matches("static ")
            .trim_start_matches("sealed ")
            .trim_start_matches("abstract ");
        if line.starts_with("public ") || line.starts_with("file ") {
            for kind in ["record ", "class ", "interface ", "enum "] {
                if let Some(rest) = decl.strip_prefix(kind) {
                    types.push(ident(rest.trim_start_matches('@')));
                    assert_unique("members", &members, cs);
                    members.clear();
                    in_interface = kind == "interface ";
                }
            }
        }
        // Interface methods: `    Task<T> NameAsync(T a, CancellationToken b = default);`
        if let Some(sig) = line.strip_prefix("    ").filter(|_| in_interface)
            && !sig.starts_with(' ')
            && sig.ends_with(");")
            && let Some(open) = sig.find('(')
        {
            let head = &sig[..open];
            let name = head.rsplit(' ').next().unwrap_or_default().to_owned();
            members.push(name);
            let params: Vec<String> = sig[open + 1..sig.len() - 2]
                .split(", ")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let p = p.split(" = ").next().unwrap_or(p);
                    p.rsplit(' ')
                        .next()
                        .unwrap_or(p)
                        .trim_start_matches('@')
                        .to_owned()
                })
                .collect();
            assert_unique("parameters", &params, cs);
        }
    }
    assert_unique("members", &members, cs);
    assert_unique("types", &types, cs);
}

fn generate(source: &str) -> Option<(String, String, String)> {
    let dir = std::env::temp_dir().join(format!(
        "signalr-codegen-names-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("contract.rs");
    std::fs::write(&file, source).unwrap();
    let contracts = signalr_codegen::read(&file);
    let _ = std::fs::remove_dir_all(&dir);
    let contracts = contracts.unwrap_or_else(|e| panic!("{e:?}\n{source}"));
    let ts = |protocol| {
        signalr_codegen::ts::generate(
            &contracts,
            &signalr_codegen::ts::Options {
                protocol,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e:?}\n{source}"))
    };
    let cs = signalr_codegen::cs::generate(&contracts, &Default::default())
        .unwrap_or_else(|e| panic!("{e:?}\n{source}"));
    Some((ts(Protocol::Json), ts(Protocol::MessagePack), cs))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_names_never_collide(c in contract()) {
        let source = source(&c);
        if let Some((json, msgpack, cs)) = generate(&source) {
            check_typescript(&json);
            check_typescript(&msgpack);
            check_csharp(&cs);
        }
    }
}

/// The checks see collisions (they would fail on the output of a generator that made one).
#[test]
#[should_panic(expected = "declared twice")]
fn the_typescript_check_sees_a_duplicate_member() {
    check_typescript(
        "export class ChatProxy {\n  constructor(readonly connection: HubConnection) {}\n\n  connection(): Promise<void> {\n    return x;\n  }\n}\n",
    );
}

#[test]
#[should_panic(expected = "declared twice")]
fn the_typescript_check_sees_a_duplicate_parameter() {
    check_typescript("export interface Chat {\n  send(text: string, text: number): void;\n}\n");
}

#[test]
#[should_panic(expected = "declared twice")]
fn the_csharp_check_sees_a_duplicate_type() {
    check_csharp("public sealed record Task\n{\n}\n\npublic interface Task\n{\n}\n");
}

/// The hostile-names contract passes the same checks.
#[test]
fn the_hostile_contract_passes() {
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/contracts/hostile.rs"),
    )
    .unwrap();
    let (json, msgpack, cs) = generate(&source).unwrap();
    check_typescript(&json);
    check_typescript(&msgpack);
    check_csharp(&cs);
}
