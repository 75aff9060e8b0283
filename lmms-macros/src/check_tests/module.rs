//! `#[lmms::module]`: its misuses and the names it gives.

use proc_macro2::TokenStream;
use quote::quote;

fn module_errors(args: TokenStream, item: TokenStream) -> String {
    crate::module::expand(args, item).to_string()
}

#[test]
fn module_misuse() {
    let out = module_errors(
        quote!(),
        quote!(
            fn f() {}
        ),
    );
    assert!(out.contains("goes on a struct or an enum"), "{out}");
    let out = module_errors(
        quote!(),
        quote!(
            struct S<'a>(&'a u8);
        ),
    );
    assert!(out.contains("cannot be generic"), "{out}");
    let out = module_errors(
        quote!(name = ""),
        quote!(
            struct S;
        ),
    );
    assert!(out.contains("a module name must be"), "{out}");
    let out = module_errors(
        quote!(async_init = "yes"),
        quote!(
            struct S;
        ),
    );
    assert!(
        out.contains("`async_init` takes `true` or `false`"),
        "{out}"
    );
    let out = module_errors(
        quote!(policy = core),
        quote!(
            struct S;
        ),
    );
    assert!(out.contains("`policy` takes a string literal"), "{out}");
}

#[test]
fn module_names_are_ascii_also_by_default() {
    let out = module_errors(
        quote!(),
        quote!(
            struct Météo;
        ),
    );
    assert!(
        out.contains("defaults to the type name in snake case, \\\"météo\\\""),
        "{out}"
    );
    let out = module_errors(
        quote!(name = "meteo"),
        quote!(
            struct Météo;
        ),
    );
    assert!(
        !out.contains("compile_error"),
        "an explicit name is enough: {out}"
    );
    let out = module_errors(
        quote!(name = "météo"),
        quote!(
            struct S;
        ),
    );
    assert!(out.contains("ASCII letters"), "{out}");
}
