//! Helpers shared by some test binaries.

#![allow(dead_code)]

pub(crate) mod child;
