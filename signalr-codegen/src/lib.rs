//! Generates clients and schemas from a hub contract file: everything comes from the
//! contract model in `signalr-contract`, the same one `#[hub_contract]` uses, so the
//! generated code cannot disagree with the Rust side on a wire name or a payload shape.
//!
//! Four emitters share that model: [`ts`] (TypeScript for `@microsoft/signalr`), [`cs`]
//! (C# for `Microsoft.AspNetCore.SignalR.Client`), [`schema`] (JSON Schema, draft 2020-12)
//! and [`asyncapi`] (AsyncAPI 3.0). The `signalr-codegen` command line wraps them; as a
//! library they serve `build.rs`:
//!
//! ```no_run
//! // build.rs
//! let contract = std::path::Path::new("src/contracts.rs");
//! println!("cargo::rerun-if-changed={}", contract.display());
//! let contracts = signalr_codegen::read(contract).map_err(signalr_codegen::report)?;
//! let ts = signalr_codegen::ts::generate(&contracts, &Default::default())
//!     .map_err(signalr_codegen::report)?;
//! signalr_codegen::write_if_changed("web/src/hub.ts".as_ref(), &ts)
//!     .map_err(|e| e.to_string())?;
//! std::fs::write("contract.schema.json", signalr_codegen::schema::to_string(&contracts))
//!     .map_err(|e| e.to_string())?;
//! # Ok::<(), String>(())
//! ```
//!
//! The command line sits behind the `cli` feature (on by default), the only user of `clap`;
//! a `build.rs` needs only the library:
//!
//! ```toml
//! [build-dependencies]
//! signalr-codegen = { version = "0.1", default-features = false }
//! ```

pub mod asyncapi;
mod authorize;
pub mod cs;
mod names;
pub mod schema;
pub mod source;
pub mod ts;
mod walk;

/// The hub protocol a generated client speaks: it decides how bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// The JSON hub protocol.
    #[default]
    Json,
    /// The MessagePack hub protocol.
    MessagePack,
}

use std::path::{Path, PathBuf};

use signalr_contract::{
    HubContract, Method, Param, TypeDef, TypeRef, collect_types, contracts_in_file,
};
use source::SourceError;

/// Every contract of a file (and its modules), and the types they use.
#[derive(Debug, Clone)]
pub struct Contracts {
    /// The file the contracts were read from (named in generated headers).
    pub root: PathBuf,
    /// The hub contracts, in the order the files declare them.
    pub hubs: Vec<Hub>,
    /// The user types defined in the files, by name.
    pub types: Vec<TypeDef>,
    /// Where each user type is declared, by name (for emitters' errors).
    pub type_locations: Vec<(String, Location)>,
}

/// One hub contract, and the file it is declared in.
#[derive(Debug, Clone)]
pub struct Hub {
    /// The validated contract (every parameter and result with its wire shape).
    pub contract: HubContract,
    /// The file the trait is declared in.
    pub file: PathBuf,
}

impl Hub {
    /// Where the trait is declared.
    pub fn location(&self) -> Location {
        Location::of(&self.file, self.contract.span())
    }

    /// Where a method of the trait is declared.
    pub fn method_location(&self, method: &Method) -> Location {
        Location::of(&self.file, method.span())
    }
}

/// A position in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
}

impl Location {
    fn of(file: &Path, span: proc_macro2::Span) -> Location {
        let start = span.start();
        Location {
            file: file.to_owned(),
            line: start.line.max(1),
            column: start.column + 1,
        }
    }

    /// An error at this position.
    pub fn error(&self, message: impl Into<String>) -> SourceError {
        SourceError {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }
}

impl Contracts {
    /// The user type named `name`, if the files define it.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// The user types the hubs reach, directly or through other types, in the order the
    /// files define them.
    pub fn reachable_types(&self) -> Vec<&TypeDef> {
        let mut seen: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        let mut pending: Vec<&str> = self
            .hubs
            .iter()
            .flat_map(|h| &h.contract.methods)
            .flat_map(|m| {
                m.params
                    .iter()
                    .filter_map(Param::wire)
                    .chain(m.output.wire())
            })
            .flat_map(TypeRef::named)
            .collect();
        while let Some(n) = pending.pop() {
            if seen.insert(n)
                && let Some(def) = self.type_def(n)
            {
                pending.extend(def.referenced_names());
            }
        }
        self.types
            .iter()
            .filter(|t| seen.contains(t.name.as_str()))
            .collect()
    }

    /// Where the user type `name` is declared (the root file if unknown).
    pub fn type_location(&self, name: &str) -> Location {
        self.type_locations
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| Location {
                file: self.root.clone(),
                line: 1,
                column: 1,
            })
    }
}

/// Every error on its own line (`file:line:col: message`), for `build.rs` and tools that
/// report one text.
pub fn report(errors: Vec<SourceError>) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes `text` to `path` only when the file's content differs, so its timestamp (and
/// builds that watch it) stay put.
pub fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text)
}

/// Trailing spaces off; at most one blank line in a row, none after an opening brace or
/// before a closing one; one newline at the end.
pub(crate) fn tidy(text: &str) -> String {
    let mut lines: Vec<&str> = Vec::new();
    let mut blank = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank = true;
            continue;
        }
        let after_open = lines.last().is_none_or(|l| l.ends_with('{'));
        let closing = line.trim_start().starts_with('}');
        if blank && !after_open && !closing {
            lines.push("");
        }
        blank = false;
        lines.push(line);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The struct and enum names of a file with their positions, inline modules included.
fn item_locations(file: &Path, items: &[syn::Item], out: &mut Vec<(String, Location)>) {
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                out.push((s.ident.to_string(), Location::of(file, s.ident.span())))
            }
            syn::Item::Enum(e) => {
                out.push((e.ident.to_string(), Location::of(file, e.ident.span())))
            }
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    item_locations(file, inner, out);
                }
            }
            _ => {}
        }
    }
}

/// Reads a contract file and the files its `mod` items name; every problem is reported as
/// `file:line:col: message` naming the item.
pub fn read(path: &Path) -> Result<Contracts, Vec<SourceError>> {
    let files = source::load(path)?;
    let mut errors = Vec::new();
    let mut parsed_hubs = Vec::new();
    let mut types = Vec::new();
    let mut type_locations = Vec::new();
    for file in &files {
        for parsed in contracts_in_file(&file.syntax) {
            match parsed {
                Ok(p) => parsed_hubs.push((file.path.as_path(), p)),
                Err(errs) => errors.extend(
                    errs.into_vec()
                        .into_iter()
                        .map(|e| SourceError::at(&file.path, e.span(), e.to_string())),
                ),
            }
        }
        let (defs, errs) = collect_types(&file.syntax);
        types.extend(defs);
        item_locations(&file.path, &file.syntax.items, &mut type_locations);
        errors.extend(
            errs.into_iter()
                .map(|e| SourceError::at(&file.path, e.span(), e.to_string())),
        );
    }
    // Every user type a contract mentions must be defined in the files read.
    let known: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    let mut hubs = Vec::new();
    for (path, contract) in parsed_hubs {
        let hub = Hub {
            contract,
            file: path.to_owned(),
        };
        for m in &hub.contract.methods {
            for name in m
                .params
                .iter()
                .filter_map(Param::wire)
                .chain(m.output.wire())
                .flat_map(TypeRef::named)
            {
                if !known.contains(&name) {
                    errors.push(hub.method_location(m).error(format!(
                        "`{}::{}` uses the type `{name}`, which is not defined in the contract file or its modules",
                        hub.contract.name, m.name
                    )));
                }
            }
        }
        hubs.push(hub);
    }
    if errors.is_empty() {
        Ok(Contracts {
            root: path.to_owned(),
            hubs,
            types,
            type_locations,
        })
    } else {
        Err(errors)
    }
}
