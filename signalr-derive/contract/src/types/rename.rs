//! serde's `rename_all` case rules, applied byte for byte as `serde_derive` applies them.

use std::fmt;

use serde::{Deserialize, Serialize};
use syn::Ident;

/// A serde `rename_all` case rule, applied exactly as `serde_derive` applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RenameRule {
    /// `"lowercase"`.
    #[serde(rename = "lowercase")]
    LowerCase,
    /// `"UPPERCASE"`.
    #[serde(rename = "UPPERCASE")]
    UpperCase,
    /// `"PascalCase"`.
    #[serde(rename = "PascalCase")]
    PascalCase,
    /// `"camelCase"`.
    #[serde(rename = "camelCase")]
    CamelCase,
    /// `"snake_case"`.
    #[serde(rename = "snake_case")]
    SnakeCase,
    /// `"SCREAMING_SNAKE_CASE"`.
    #[serde(rename = "SCREAMING_SNAKE_CASE")]
    ScreamingSnakeCase,
    /// `"kebab-case"`.
    #[serde(rename = "kebab-case")]
    KebabCase,
    /// `"SCREAMING-KEBAB-CASE"`.
    #[serde(rename = "SCREAMING-KEBAB-CASE")]
    ScreamingKebabCase,
}

/// What a name belongs to: serde's rules treat fields and variants differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A struct field (or a struct variant's field): written in snake_case in Rust.
    Field,
    /// An enum variant: written in PascalCase in Rust.
    Variant,
}

impl RenameRule {
    /// Every rule, in serde's order.
    pub const ALL: [RenameRule; 8] = [
        RenameRule::LowerCase,
        RenameRule::UpperCase,
        RenameRule::PascalCase,
        RenameRule::CamelCase,
        RenameRule::SnakeCase,
        RenameRule::ScreamingSnakeCase,
        RenameRule::KebabCase,
        RenameRule::ScreamingKebabCase,
    ];

    /// The rule a `rename_all = "..."` string names, if any.
    pub fn from_serde(s: &str) -> Option<RenameRule> {
        RenameRule::ALL.into_iter().find(|r| r.as_serde() == s)
    }

    /// The string serde spells the rule with.
    pub fn as_serde(self) -> &'static str {
        match self {
            RenameRule::LowerCase => "lowercase",
            RenameRule::UpperCase => "UPPERCASE",
            RenameRule::PascalCase => "PascalCase",
            RenameRule::CamelCase => "camelCase",
            RenameRule::SnakeCase => "snake_case",
            RenameRule::ScreamingSnakeCase => "SCREAMING_SNAKE_CASE",
            RenameRule::KebabCase => "kebab-case",
            RenameRule::ScreamingKebabCase => "SCREAMING-KEBAB-CASE",
        }
    }

    /// Applies the rule to a variant name (serde's `apply_to_variant`).
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            RenameRule::PascalCase => variant.to_owned(),
            RenameRule::LowerCase => variant.to_ascii_lowercase(),
            RenameRule::UpperCase => variant.to_ascii_uppercase(),
            RenameRule::CamelCase => lower_first_ascii(variant),
            RenameRule::SnakeCase => {
                let mut snake = String::new();
                for (i, ch) in variant.char_indices() {
                    if i > 0 && ch.is_uppercase() {
                        snake.push('_');
                    }
                    snake.push(ch.to_ascii_lowercase());
                }
                snake
            }
            RenameRule::ScreamingSnakeCase => RenameRule::SnakeCase
                .apply_to_variant(variant)
                .to_ascii_uppercase(),
            RenameRule::KebabCase => RenameRule::SnakeCase
                .apply_to_variant(variant)
                .replace('_', "-"),
            RenameRule::ScreamingKebabCase => RenameRule::ScreamingSnakeCase
                .apply_to_variant(variant)
                .replace('_', "-"),
        }
    }

    /// Applies the rule to a field name (serde's `apply_to_field`). Note serde's quirks:
    /// `lowercase` and `snake_case` leave field names as written.
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::LowerCase | RenameRule::SnakeCase => field.to_owned(),
            RenameRule::UpperCase | RenameRule::ScreamingSnakeCase => field.to_ascii_uppercase(),
            RenameRule::PascalCase => {
                let mut pascal = String::new();
                let mut capitalize = true;
                for ch in field.chars() {
                    if ch == '_' {
                        capitalize = true;
                    } else if capitalize {
                        pascal.push(ch.to_ascii_uppercase());
                        capitalize = false;
                    } else {
                        pascal.push(ch);
                    }
                }
                pascal
            }
            RenameRule::CamelCase => {
                lower_first_ascii(&RenameRule::PascalCase.apply_to_field(field))
            }
            RenameRule::KebabCase => field.replace('_', "-"),
            RenameRule::ScreamingKebabCase => field.to_ascii_uppercase().replace('_', "-"),
        }
    }

    /// Applies the rule to a field or a variant name.
    pub fn apply(self, name: &str, kind: NameKind) -> String {
        match kind {
            NameKind::Field => self.apply_to_field(name),
            NameKind::Variant => self.apply_to_variant(name),
        }
    }
}

impl fmt::Display for RenameRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_serde())
    }
}

/// serde lowercases the first byte (`s[..1].to_ascii_lowercase()`); for a non-ASCII first
/// character (where serde_derive itself would panic) the character is kept.
fn lower_first_ascii(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => {
            let mut out = String::with_capacity(s.len());
            out.push(first.to_ascii_lowercase());
            out.push_str(chars.as_str());
            out
        }
        None => String::new(),
    }
}

/// The wire name serde gives a field or variant named `rust_name` (a leading `r#` is
/// dropped) under an optional `rename_all` rule, when it has no `rename` of its own.
pub fn wire_name(rust_name: &str, rule: Option<RenameRule>, kind: NameKind) -> String {
    let name = unraw_str(rust_name);
    match rule {
        Some(rule) => rule.apply(name, kind),
        None => name.to_owned(),
    }
}

pub(crate) fn unraw_str(s: &str) -> &str {
    s.trim_start_matches("r#")
}

pub(crate) fn unraw(ident: &Ident) -> String {
    unraw_str(&ident.to_string()).to_owned()
}
