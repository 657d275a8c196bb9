//! TypeScript for `@microsoft/signalr`.

use crate::source::SourceError;
use crate::{Contracts, Protocol};

/// How to generate TypeScript.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The hub protocol the connection uses.
    pub protocol: Protocol,
}

/// The TypeScript module for every contract of `contracts`.
pub fn generate(contracts: &Contracts, options: &Options) -> Result<String, Vec<SourceError>> {
    let _ = options;
    Err(vec![SourceError::file(&contracts.root, "TypeScript generation is not available yet")])
}
