//! TypeScript names and text: reserved words, identifiers, keys, literals, JSDoc.

use heck::ToLowerCamelCase;

/// What a DTO may not be called in the module: TypeScript's own type names, and the
/// global and imported types the generated code names (a DTO of that name is renamed).
pub(crate) const MODULE_RESERVED: [&str; 23] = [
    // Predefined types (TS2427).
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
    // Global types the module names.
    "AbortController",
    "AbortSignal",
    "AsyncIterable",
    "AsyncIterator",
    "IteratorResult",
    "Promise",
    "Uint8Array",
    // Imported from @microsoft/signalr.
    "HubConnection",
    "IStreamResult",
    "IStreamSubscriber",
    "ISubscription",
];

/// Members a class or interface may not declare (a method of that name is renamed).
pub(crate) const MEMBER_RESERVED: [&str; 1] = ["constructor"];

/// Words that cannot name a parameter in strict-mode TypeScript.
pub(crate) use signalr_protocol::names::JS_RESERVED_WORDS as RESERVED_WORDS;

/// A JSDoc block for `lines` at `indent` spaces, ending with a newline; empty when there
/// are no lines.
pub(crate) fn jsdoc(lines: &[String], indent: usize) -> String {
    let pad = " ".repeat(indent);
    let lines: Vec<String> = lines
        .iter()
        .map(|l| l.trim_end().replace("*/", "*\\/"))
        .collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return String::new();
    };
    let lines = &lines[first..=last];
    if let [one] = lines {
        return format!("{pad}/** {one} */\n");
    }
    let mut out = format!("{pad}/**\n");
    for l in lines {
        if l.is_empty() {
            out.push_str(&format!("{pad} *\n"));
        } else {
            out.push_str(&format!("{pad} * {l}\n"));
        }
    }
    out.push_str(&format!("{pad} */\n"));
    out
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key: bare when it is an identifier, quoted otherwise.
pub(crate) fn key(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        string_literal(name)
    }
}

/// A double-quoted string literal.
pub(crate) fn string_literal(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A method or parameter name before it is claimed in its scope: camelCase (a leading
/// digit gets a `_` before it).
pub(crate) fn value_name(rust: &str) -> String {
    let name = rust.trim_start_matches("r#").to_lower_camel_case();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}
