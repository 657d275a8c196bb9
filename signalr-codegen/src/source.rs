//! Reading a contract file and the files its `mod` items point to, as rustc finds them.

use std::path::{Path, PathBuf};

use proc_macro2::Span;

/// A problem in a source file, with its position: printed as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct SourceError {
    /// The file.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
    /// What is wrong, naming the item.
    pub message: String,
}

impl SourceError {
    /// An error at `span` in `file`.
    pub fn at(file: &Path, span: Span, message: impl Into<String>) -> Self {
        let start = span.start();
        SourceError {
            file: file.to_owned(),
            line: start.line.max(1),
            column: start.column + 1,
            message: message.into(),
        }
    }

    /// An error about a whole file (it cannot be read).
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        SourceError {
            file: file.to_owned(),
            line: 1,
            column: 1,
            message: message.into(),
        }
    }
}

/// One parsed source file.
#[derive(Debug)]
pub struct SourceFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its syntax tree.
    pub syntax: syn::File,
}

/// The most files one contract may pull in through `mod` items (a guard against cycles
/// through `#[path]`).
const MAX_FILES: usize = 256;

/// Reads `root` and, recursively, every file its out-of-line `mod` items name.
pub fn load(root: &Path) -> Result<Vec<SourceFile>, Vec<SourceError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    // (path, directory that its own `mod x;` items resolve in)
    let mut pending = vec![(
        root.to_owned(),
        root.parent().map(Path::to_owned).unwrap_or_default(),
    )];
    while let Some((path, dir)) = pending.pop() {
        if files.len() >= MAX_FILES {
            errors.push(SourceError::file(
                &path,
                format!("more than {MAX_FILES} files through `mod` items"),
            ));
            break;
        }
        if files.iter().any(|f: &SourceFile| f.path == path) {
            continue;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(SourceError::file(&path, format!("cannot read: {e}")));
                continue;
            }
        };
        let syntax = match syn::parse_file(&text) {
            Ok(s) => s,
            Err(e) => {
                errors.push(SourceError::at(&path, e.span(), e.to_string()));
                continue;
            }
        };
        collect_mods(&syntax.items, &path, &dir, &mut pending, &mut errors);
        files.push(SourceFile { path, syntax });
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

fn path_attribute(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.path().is_ident("path"))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
}

fn collect_mods(
    items: &[syn::Item],
    file: &Path,
    dir: &Path,
    pending: &mut Vec<(PathBuf, PathBuf)>,
    errors: &mut Vec<SourceError>,
) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        let name = m.ident.to_string();
        match &m.content {
            // Inline modules: their own `mod x;` items resolve in `dir/name`.
            Some((_, inner)) => collect_mods(inner, file, &dir.join(&name), pending, errors),
            None => {
                if let Some(p) = path_attribute(&m.attrs) {
                    let target = dir.join(p);
                    let sub = target.parent().map(Path::to_owned).unwrap_or_default();
                    pending.push((target, sub));
                    continue;
                }
                let flat = dir.join(format!("{name}.rs"));
                let nested = dir.join(&name).join("mod.rs");
                let target = if flat.is_file() {
                    flat
                } else if nested.is_file() {
                    nested
                } else {
                    errors.push(SourceError::at(
                        file,
                        m.ident.span(),
                        format!(
                            "module `{name}`: neither {} nor {} exists",
                            flat.display(),
                            nested.display()
                        ),
                    ));
                    continue;
                };
                // `x.rs` and `x/mod.rs` both keep their submodules in `x/`.
                pending.push((target, dir.join(&name)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn follows_mod_items_like_rustc() {
        let dir = std::env::temp_dir().join(format!("signalr-codegen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(
            &dir,
            "contracts.rs",
            "mod dto; mod hubs; mod inline { mod deep; } #[path = \"odd/place.rs\"] mod other;",
        );
        write(&dir, "dto.rs", "mod person;");
        write(&dir, "dto/person.rs", "pub struct Person;");
        write(&dir, "hubs/mod.rs", "pub trait Chat {}");
        write(&dir, "inline/deep.rs", "pub struct Deep;");
        write(&dir, "odd/place.rs", "pub struct Odd;");
        let files = load(&dir.join("contracts.rs")).unwrap();
        let mut names: Vec<_> = files
            .iter()
            .map(|f| f.path.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "contracts.rs",
                "dto.rs",
                "dto/person.rs",
                "hubs/mod.rs",
                "inline/deep.rs",
                "odd/place.rs"
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn errors_name_the_file_line_and_column() {
        let dir = std::env::temp_dir().join(format!("signalr-codegen-err-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(&dir, "c.rs", "struct A;\n  mod missing;\nfn broken( {}");
        let errors = load(&dir.join("c.rs")).unwrap_err();
        let text = errors[0].to_string();
        assert!(
            text.starts_with(&format!("{}:", dir.join("c.rs").display())),
            "{text}"
        );
        assert!(text.contains(":3:"), "{text}");
        write(&dir, "c.rs", "struct A;\n  mod missing;\n");
        let errors = load(&dir.join("c.rs")).unwrap_err();
        assert!(
            errors[0].to_string().contains(":2:7: module `missing`"),
            "{}",
            errors[0]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
