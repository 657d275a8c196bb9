//! C# names and text: keywords, identifiers, string literals, XML doc comments.

use heck::{ToLowerCamelCase, ToUpperCamelCase};

use super::Lines;

/// Type names the generated code refers to (its own helpers, and the framework types it
/// names unqualified): a contract type of that name would hide them.
pub(crate) const RESERVED_TYPES: [&str; 55] = [
    "Array",
    "ArgumentNullException",
    "CallCancellation",
    "CancellationMarker",
    "CancellationToken",
    "CancellationTokenSource",
    "CancelTokenRequest",
    "ConditionalWeakTable",
    "DateTimeOffset",
    "DeclaredJson",
    "Dictionary",
    "EnumeratorCancellation",
    "Exception",
    "Func",
    "Guid",
    "HubConnection",
    "HubRegistration",
    "IAsyncEnumerable",
    "IDisposable",
    "InvalidOperationException",
    "IReadOnlyDictionary",
    "IReadOnlyList",
    "Int128",
    "JsonConverter",
    "JsonDerivedType",
    "JsonElement",
    "JsonExtensionData",
    "JsonIgnore",
    "JsonIgnoreCondition",
    "JsonPolymorphic",
    "JsonPropertyName",
    "JsonSerializer",
    "JsonStringEnumConverter",
    "JsonStringEnumMemberName",
    "JsonValueKind",
    "List",
    "Object",
    "ServerRequestMessage",
    "SignalArrrArguments",
    "SignalArrrChallenges",
    "SignalArrrRequest",
    "SignalArrrRoutes",
    "String",
    "StringComparer",
    "Task",
    "Type",
    "UInt128",
    // An attribute `[X]` is also found as `XAttribute`.
    "EnumeratorCancellationAttribute",
    "JsonConverterAttribute",
    "JsonDerivedTypeAttribute",
    "JsonExtensionDataAttribute",
    "JsonIgnoreAttribute",
    "JsonPolymorphicAttribute",
    "JsonPropertyNameAttribute",
    "JsonStringEnumMemberNameAttribute",
];

/// Members every record has; a property may not take their names.
pub(crate) const RESERVED_MEMBERS: [&str; 8] = [
    "Clone",
    "Deconstruct",
    "EqualityContract",
    "Equals",
    "GetHashCode",
    "GetType",
    "PrintMembers",
    "ToString",
];

/// C# keywords: a parameter of that name is written with `@`.
pub(crate) const KEYWORDS: [&str; 77] = [
    "abstract",
    "as",
    "base",
    "bool",
    "break",
    "byte",
    "case",
    "catch",
    "char",
    "checked",
    "class",
    "const",
    "continue",
    "decimal",
    "default",
    "delegate",
    "do",
    "double",
    "else",
    "enum",
    "event",
    "explicit",
    "extern",
    "false",
    "finally",
    "fixed",
    "float",
    "for",
    "foreach",
    "goto",
    "if",
    "implicit",
    "in",
    "int",
    "interface",
    "internal",
    "is",
    "lock",
    "long",
    "namespace",
    "new",
    "null",
    "object",
    "operator",
    "out",
    "override",
    "params",
    "private",
    "protected",
    "public",
    "readonly",
    "ref",
    "return",
    "sbyte",
    "sealed",
    "short",
    "sizeof",
    "stackalloc",
    "static",
    "string",
    "struct",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "typeof",
    "uint",
    "ulong",
    "unchecked",
    "unsafe",
    "ushort",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
];

/// Rust doc text as XML doc text: `&`, `<` and `>` escaped, code spans (and intra-doc links
/// to them) as `<c>`.
pub(crate) fn xml_text(line: &str) -> String {
    let escaped = line
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("[`", "`")
        .replace("`]", "`");
    let parts: Vec<&str> = escaped.split('`').collect();
    if parts.len().is_multiple_of(2) {
        // An unbalanced backtick: leave the text as it is.
        return escaped;
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                format!("<c>{p}</c>")
            } else {
                (*p).to_owned()
            }
        })
        .collect()
}

/// Paragraphs of a doc comment (split at blank lines), each line trimmed and escaped.
pub(crate) fn paragraphs(lines: &[String]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut current = Vec::new();
    for l in lines {
        let l = l.trim();
        if l.is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(xml_text(l));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `text` in lines of at most `width` characters (longer words stand alone).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

/// An XML doc comment: the first paragraph of `lines` as the summary, the others and
/// `extra` (paragraphs already in XML) as remarks.
pub(crate) fn xml_docs(lines: &[String], extra: &[String]) -> Lines {
    let mut paras = paragraphs(lines);
    paras.extend(extra.iter().map(|e| wrap(e, 84)));
    if paras.is_empty() {
        return Vec::new();
    }
    let summary = paras.remove(0);
    let mut out = Vec::new();
    if let [one] = summary.as_slice() {
        out.push(format!("/// <summary>{one}</summary>"));
    } else {
        out.push("/// <summary>".to_owned());
        out.extend(summary.iter().map(|l| format!("/// {l}")));
        out.push("/// </summary>".to_owned());
    }
    if !paras.is_empty() {
        out.push("/// <remarks>".to_owned());
        for p in &paras {
            let last = p.len() - 1;
            for (i, l) in p.iter().enumerate() {
                let open = if i == 0 { "<para>" } else { "" };
                let close = if i == last { "</para>" } else { "" };
                out.push(format!("/// {open}{l}{close}"));
            }
        }
        out.push("/// </remarks>".to_owned());
    }
    out
}

/// A C# string literal.
pub(crate) fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' || c == '\u{85}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A member name: PascalCase.
pub(crate) fn pascal(rust: &str) -> String {
    rust.trim_start_matches("r#").to_upper_camel_case()
}

/// A parameter name before it is claimed in its scope: camelCase (a leading digit gets a
/// `_` before it).
pub(crate) fn param_name(rust: &str) -> String {
    let name = rust.trim_start_matches("r#").to_lower_camel_case();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// Contextual keywords: C# refuses some as type names and reads others as keywords in some
/// places (`await`, `async`, query clauses), so they are always written with `@`.
const CONTEXTUAL: [&str; 46] = [
    "_",
    "add",
    "alias",
    "allows",
    "and",
    "args",
    "ascending",
    "async",
    "await",
    "by",
    "descending",
    "dynamic",
    "equals",
    "extension",
    "field",
    "file",
    "from",
    "get",
    "global",
    "group",
    "init",
    "into",
    "join",
    "let",
    "managed",
    "nameof",
    "nint",
    "not",
    "notnull",
    "nuint",
    "on",
    "or",
    "orderby",
    "partial",
    "record",
    "remove",
    "required",
    "scoped",
    "select",
    "set",
    "unmanaged",
    "value",
    "var",
    "when",
    "where",
    "yield",
];

/// An identifier as written in C#: `@` before a keyword or a contextual keyword.
pub(crate) fn escape(name: &str) -> String {
    if KEYWORDS.contains(&name) || CONTEXTUAL.contains(&name) {
        format!("@{name}")
    } else {
        name.to_owned()
    }
}

/// Whether `s` is a C# identifier (letters, digits and `_`, not starting with a digit).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}
