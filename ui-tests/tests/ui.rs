//! Compile-time behaviour of `#[lmms::module]` and `#[lmms::operation]` (SPEC section 4):
//! every misuse is a compile error spanned on the offending token, and the documented
//! uses compile and run.
//!
//! Regenerate the expected `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p lmms-ui-tests`, then read the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
