//! Compile-time guarantees of the server's API: authentication cannot be added to a server
//! once it is built (so a clone made before can never run without it).
//!
//! Regenerate the expected output with
//! `TRYBUILD=overwrite cargo test -p signalr-ui-tests --test ui_server` (rustc 1.95).

#[test]
fn ui_server() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui-server/*.rs");
}
