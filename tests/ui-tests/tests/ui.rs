//! The compile-time behaviour of `#[hub_contract]`: contracts that must compile (`ui/pass`)
//! and contracts that must not, each with the exact diagnostic it gets (`ui/fail/*.stderr`);
//! and of the server's API (`ui-server`): authentication cannot be added to a server once it
//! is built, so a clone made before can never run without it. One test, so trybuild builds
//! the cases' dependencies once.
//!
//! The expected `.stderr` files were generated with rustc 1.95 (stable); rustc's wording and
//! layout change between releases, so on another compiler version these comparisons may fail
//! while the macro is fine (the `*_not_serializable` cases also list which types implement
//! serde's traits, so they move with the dependency graph too). Regenerate them with
//! `TRYBUILD=overwrite cargo test -p signalr-ui-tests --test ui`, then read every changed
//! `.stderr`: each error must point at the offending token and say what to do.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
    t.compile_fail("ui-server/*.rs");
}
