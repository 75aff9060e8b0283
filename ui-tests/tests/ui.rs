//! Compile-time behaviour of `#[lmms::module]` and `#[lmms::operation]`: every misuse is
//! a compile error spanned on the offending token, reported once (call sites of an
//! operation or module with a bad attribute report nothing more), and the documented uses
//! compile and run.
//!
//! Regenerate the expected `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p lmms-ui-tests`, then read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
