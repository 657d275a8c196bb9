//! Hub method names on the wire: the one rule that the contract model (and so the
//! `#[hub_contract]` macro and every generated client) and the server's method lookup share.
//!
//! A method is called by `Interface|Method` (a contract's interface name, `|`, the method
//! name) or by its plain name (`Method`, what stock SignalR clients send). Names match
//! case-insensitively, as ASP.NET Core matches hub methods.

use std::borrow::Cow;

/// Separates the interface from the method: `Chat|SendMessage`.
pub const SEPARATOR: char = '|';

/// The name a method is called by: `Interface|Method`, or `Method` when `plain`.
pub fn wire_name(interface: &str, method: &str, plain: bool) -> String {
    if plain {
        method.to_owned()
    } else {
        format!("{interface}{SEPARATOR}{method}")
    }
}

/// Every name a method answers to, the wire name first: `Interface|Method` and `Method`
/// (one name when `plain`).
pub fn accepted_names(interface: &str, method: &str, plain: bool) -> Vec<String> {
    let wire = wire_name(interface, method, plain);
    if wire == method {
        vec![wire]
    } else {
        vec![wire, method.to_owned()]
    }
}

/// The method a call's target names on a hub whose interface is `interface`: the part
/// after `Interface|` when the interface matches (case-insensitively), the whole target
/// when it names no interface, and `None` when it names another interface.
pub fn method_of<'a>(interface: Option<&str>, target: &'a str) -> Option<&'a str> {
    match target.split_once(SEPARATOR) {
        Some((named, method)) => interface
            .is_some_and(|i| i.eq_ignore_ascii_case(named))
            .then_some(method),
        None => Some(target),
    }
}

/// The key a method name is looked up by: two names are the same method when their keys
/// are equal (case-insensitive matching).
pub fn key(name: &str) -> Cow<'_, str> {
    if name.chars().any(char::is_uppercase) {
        Cow::Owned(name.to_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

/// Why a name cannot be an interface or method name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name contains [`SEPARATOR`].
    Separator,
}

/// Checks that `name` can be an interface or a method name.
pub fn check(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.contains(SEPARATOR) {
        Err(NameError::Separator)
    } else {
        Ok(())
    }
}

/// Words that cannot name a parameter in strict-mode JavaScript or TypeScript: what every
/// generator of JavaScript (the classic hub proxies, the TypeScript client) avoids.
pub const JS_RESERVED_WORDS: [&str; 48] = [
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_and_the_names_a_method_answers_to() {
        assert_eq!(wire_name("Chat", "Send", false), "Chat|Send");
        assert_eq!(wire_name("Chat", "Send", true), "Send");
        assert_eq!(accepted_names("Chat", "Send", false), ["Chat|Send", "Send"]);
        assert_eq!(accepted_names("Chat", "Send", true), ["Send"]);
    }

    #[test]
    fn targets_resolve_case_insensitively() {
        assert_eq!(method_of(Some("Chat"), "chat|SEND"), Some("SEND"));
        assert_eq!(method_of(Some("Chat"), "Send"), Some("Send"));
        assert_eq!(method_of(Some("Chat"), "Other|Send"), None);
        assert_eq!(method_of(None, "Chat|Send"), None);
        assert_eq!(method_of(Some("Chat"), "Chat|"), Some(""));
        assert_eq!(key("SendMessage"), "sendmessage");
        assert_eq!(key("sendmessage"), "sendmessage");
        assert_eq!(key(&wire_name("Chat", "Send", false)), "chat|send");
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(check(""), Err(NameError::Empty));
        assert_eq!(check("a|b"), Err(NameError::Separator));
        assert_eq!(check("Send"), Ok(()));
    }
}
