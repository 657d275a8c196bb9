//! The error context of one parse (serde_derive's `Ctxt`): every error found, each with
//! its span, handed over together by [`Ctxt::check`].

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// Collects the errors of a parse so that one pass reports all of them.
///
/// A context must be consumed by [`Ctxt::check`]: dropping one unchecked is a bug in this
/// crate (errors would be lost), and panics like serde_derive's.
#[derive(Debug)]
pub struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Default for Ctxt {
    fn default() -> Self {
        Self::new()
    }
}

impl Ctxt {
    /// An empty context.
    pub fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// An error spanning the tokens of `at`.
    pub fn error_spanned_by(&self, at: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(at.into_token_stream(), message));
    }

    /// An error at `span`.
    pub fn error_at(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// An error syn produced.
    pub fn syn_error(&self, error: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(error);
        }
    }

    /// How many errors were found so far.
    pub fn error_count(&self) -> usize {
        self.errors.borrow().as_ref().map_or(0, Vec::len)
    }

    /// Every error found, or `Ok` when there is none.
    pub fn check(self) -> Result<(), Errors> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Errors(errors))
        }
    }
}

impl Drop for Ctxt {
    #[allow(clippy::panic)] // A programming error of this crate, never caused by input.
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("signalr-contract: an error context was dropped without being checked");
        }
    }
}

/// Every problem found in a contract, each with its span, in the order found.
#[derive(Debug, Default)]
pub struct Errors(Vec<syn::Error>);

impl Errors {
    /// Whether no error was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors.
    pub fn iter(&self) -> impl Iterator<Item = &syn::Error> {
        self.0.iter()
    }

    /// The errors, in the order found.
    pub fn into_vec(self) -> Vec<syn::Error> {
        self.0
    }

    /// All errors as one `compile_error!` token stream.
    pub fn to_compile_errors(&self) -> TokenStream {
        self.0.iter().map(syn::Error::to_compile_error).collect()
    }
}

impl From<syn::Error> for Errors {
    fn from(e: syn::Error) -> Self {
        Errors(vec![e])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_error_in_order() {
        let cx = Ctxt::new();
        assert!(Ctxt::new().check().is_ok());
        cx.error_at(Span::call_site(), "first");
        cx.error_spanned_by(quote::quote!(a b), "second");
        assert_eq!(cx.error_count(), 2);
        let messages: Vec<String> = match cx.check() {
            Err(e) => e.iter().map(ToString::to_string).collect(),
            Ok(()) => Vec::new(),
        };
        assert_eq!(messages, ["first", "second"]);
    }
}
