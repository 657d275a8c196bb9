//! Errors about types: [`TypeError`] (public, attached to an item) and the detail before
//! it is attached.

use std::fmt;

use proc_macro2::{Span, TokenStream};

/// A type that cannot be represented, with the span of the offending item and a message
/// naming it.
#[derive(Debug, Clone)]
pub struct TypeError {
    pub(crate) span: Span,
    item: String,
    message: String,
}

impl TypeError {
    /// An error at `span` about `item`; the message is "`item`: detail".
    pub fn new(span: Span, item: impl Into<String>, detail: impl fmt::Display) -> TypeError {
        let item = item.into();
        let message = format!("`{item}`: {detail}");
        TypeError {
            span,
            item,
            message,
        }
    }

    /// Where the problem is.
    pub fn span(&self) -> Span {
        self.span
    }

    /// The item the problem is about: a type (`Order`), a field (`Order.lines`), a
    /// variant (`Shape::Circle`), or for [`type_ref`](super::type_ref) the type as written.
    pub fn item(&self) -> &str {
        &self.item
    }

    /// The whole message, which names the item.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// As a `syn::Error`, for `compile_error!` output.
    pub fn to_syn_error(&self) -> syn::Error {
        syn::Error::new(self.span, &self.message)
    }

    /// As a `compile_error!` token stream.
    pub fn to_compile_error(&self) -> TokenStream {
        self.to_syn_error().to_compile_error()
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TypeError {}

impl From<TypeError> for syn::Error {
    fn from(e: TypeError) -> syn::Error {
        e.to_syn_error()
    }
}

/// An error before it is attached to an item.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) span: Span,
    pub(crate) detail: String,
}

pub(crate) fn fail<T>(span: Span, detail: impl Into<String>) -> Result<T, Fail> {
    Err(Fail {
        span,
        detail: detail.into(),
    })
}

impl Fail {
    pub(crate) fn at(self, item: &str) -> TypeError {
        TypeError::new(self.span, item, self.detail)
    }
}
