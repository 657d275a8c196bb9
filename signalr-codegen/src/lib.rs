//! Generates clients and schemas from a hub contract file: everything comes from the
//! contract model in `signalr-contract`, the same one `#[hub_contract]` uses, so the
//! generated code cannot disagree with the Rust side on a wire name or a payload shape.
//!
//! Available now: JSON Schema (draft 2020-12). As a library, for `build.rs`:
//!
//! ```no_run
//! let contracts = signalr_codegen::read("src/contracts.rs".as_ref()).map_err(|errors| {
//!     errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
//! })?;
//! std::fs::write("contract.schema.json", signalr_codegen::schema::to_string(&contracts))
//!     .map_err(|e| e.to_string())?;
//! # Ok::<(), String>(())
//! ```

pub mod schema;
pub mod source;

use std::path::Path;

use signalr_contract::{
    HubContract, MethodTypes, TypeDef, TypeRef, collect_types, contracts_in_file, type_ref,
};
use source::SourceError;

/// Every contract of a file (and its modules), and the types they use.
#[derive(Debug, Clone)]
pub struct Contracts {
    /// The hub contracts with, per method, the types of its parameters and output.
    pub hubs: Vec<(HubContract, Vec<MethodTypes>)>,
    /// The user types defined in the files, by name.
    pub types: Vec<TypeDef>,
}

impl Contracts {
    /// The wire shape of each parameter and of the output of a method (`None` for markers
    /// and unit).
    pub fn method_types(
        types: &MethodTypes,
    ) -> Result<(Vec<Option<TypeRef>>, Option<TypeRef>), String> {
        let convert = |t: &syn::Type| type_ref(t, &[]).map_err(|e| e.to_string());
        let params = types
            .params
            .iter()
            .map(|t| t.as_ref().map(convert).transpose())
            .collect::<Result<Vec<_>, _>>()?;
        let output = types.output.as_ref().map(convert).transpose()?;
        Ok((params, output))
    }
}

/// Reads a contract file and the files its `mod` items name; every problem is reported as
/// `file:line:col: message` naming the item.
pub fn read(path: &Path) -> Result<Contracts, Vec<SourceError>> {
    let files = source::load(path)?;
    let mut errors = Vec::new();
    let mut hubs = Vec::new();
    let mut hub_files = Vec::new();
    let mut types = Vec::new();
    for file in &files {
        for parsed in contracts_in_file(&file.syntax) {
            match parsed {
                Ok(p) => {
                    hubs.push((p.contract, p.types));
                    hub_files.push(file.path.as_path());
                }
                Err(errs) => errors.extend(
                    errs.into_vec()
                        .into_iter()
                        .map(|e| SourceError::at(&file.path, e.span(), e.to_string())),
                ),
            }
        }
        let (defs, errs) = collect_types(&file.syntax);
        types.extend(defs);
        errors.extend(
            errs.into_iter()
                .map(|e| SourceError::at(&file.path, e.span(), e.to_string())),
        );
    }
    // Every user type a contract mentions must be defined in the files read.
    let known: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
    for (path, (contract, method_types)) in hub_files.iter().zip(&hubs) {
        for (m, t) in contract.methods.iter().zip(method_types) {
            match Contracts::method_types(t) {
                Err(e) => errors.push(SourceError::at(
                    path,
                    t.sig.ident.span(),
                    format!("`{}::{}`: {e}", contract.name, m.name),
                )),
                Ok((params, output)) => {
                    for name in params
                        .iter()
                        .flatten()
                        .chain(output.iter())
                        .flat_map(TypeRef::named)
                    {
                        if !known.contains(&name) {
                            errors.push(SourceError::at(
                                path,
                                t.sig.ident.span(),
                                format!(
                                    "`{}::{}` uses the type `{name}`, which is not defined in the contract file or its modules",
                                    contract.name, m.name
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(Contracts { hubs, types })
    } else {
        Err(errors)
    }
}
