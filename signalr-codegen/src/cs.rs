//! C# for `Microsoft.AspNetCore.SignalR.Client`.

use crate::Contracts;
use crate::source::SourceError;

/// How to generate C#.
#[derive(Debug, Clone)]
pub struct Options {
    /// The namespace of the generated types.
    pub namespace: String,
}

/// The C# file for every contract of `contracts`.
pub fn generate(contracts: &Contracts, options: &Options) -> Result<String, Vec<SourceError>> {
    let _ = (contracts, options);
    Err(vec![contracts.hubs.first().map_or_else(
        || SourceError::file(&contracts.root, "C# generation is not available yet"),
        |h| h.location.error("C# generation is not available yet"),
    )])
}
