//! Unit tests of the checks in `operation::parse` and `module::expand`: which errors a
//! misuse gives, that independent mistakes are all reported at once, and that one mistake
//! gives one error. The spans are covered by the UI tests in `ui-tests/`.
//!
//! Here: the attribute's arguments and the function's shape (signature, attributes,
//! names). `module`: `#[lmms::module]`. `types`: what the checks see in a type (a
//! `Result` to flatten or cache, references, `impl Trait`, however wrapped).

use crate::marker::marker_name;
use crate::operation;
use proc_macro2::TokenStream;
use quote::quote;

mod module;
mod types;

/// The error messages of `#[lmms::operation(args)] item`, in order (empty when it is valid).
fn op_errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    match operation::parse(args, item) {
        Ok(_) => Vec::new(),
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

fn has(errs: &[String], needle: &str) -> bool {
    errs.iter().any(|e| e.contains(needle))
}

#[test]
fn valid_operation_parses() {
    let spec = operation::parse(
        quote!(
            interface = "weather",
            op = "forecast",
            module = Weather,
            cache_ttl = "5m",
            dynamic = false
        ),
        quote!(
            pub fn forecast(w: &Weather, mut city: String, days: u8) -> String {
                city
            }
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(spec.interface.value(), "weather");
    assert_eq!(spec.op.value(), "forecast");
    assert!(spec.module.is_some());
    assert_eq!(spec.cache_ttl_ms, Some(300_000));
    assert!(!spec.dynamic);
    let names: Vec<_> = spec.params.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(names, ["city", "days"], "the state is not an argument");
}

#[test]
fn a_missing_comma_is_the_one_error() {
    // Not also "missing `op`", nor "a reference parameter looks like module state".
    let errs = op_errors(
        quote!(interface = "weather" op = "forecast", module = Weather),
        quote!(
            pub fn forecast(w: &Weather, days: u8) -> u8 {
                days
            }
        ),
    );
    assert_eq!(errs, ["expected `,`"]);
}

#[test]
fn missing_interface_and_op_are_both_reported() {
    let errs = op_errors(
        quote!(),
        quote!(
            fn f() {}
        ),
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].starts_with("missing `interface"), "{errs:?}");
    assert!(errs[1].starts_with("missing `op"), "{errs:?}");
}

#[test]
fn a_rejected_value_is_not_also_reported_missing() {
    let errs = op_errors(
        quote!(interface = 3, op = "a b"),
        quote!(
            fn f() {}
        ),
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(has(&errs, "`interface` takes a string literal"), "{errs:?}");
    assert!(has(&errs, "an operation name must be"), "{errs:?}");
}

#[test]
fn independent_mistakes_are_reported_together() {
    let errs = op_errors(
        quote!(interface = "i", op = "o", colour = "red", cache_ttl = "0s"),
        quote!(
            unsafe fn f<T>(x: impl Clone, (a, b): (u8, u8), r: &str) {}
        ),
    );
    for needle in [
        "unknown key `colour`",
        "must be positive",
        "cannot be generic",
        "cannot be an `unsafe fn`",
        "cannot take `impl Trait`",
        "must be plain names",
        "a reference parameter",
    ] {
        assert!(has(&errs, needle), "{needle}: {errs:?}");
    }
    assert_eq!(errs.len(), 7, "{errs:?}");
}

#[test]
fn signature_misuse() {
    let base = || quote!(interface = "i", op = "o");
    let cases = [
        (
            quote!(
                const fn f() {}
            ),
            "`const fn`",
        ),
        (
            quote!(
                fn f<T>()
                where
                    T: Clone,
                {
                }
            ),
            "where clause",
        ),
        (
            quote!(
                fn f() -> impl Clone {}
            ),
            "cannot return `impl Trait`",
        ),
        (
            quote!(
                extern "C" fn f() {}
            ),
            "cannot have an ABI: the wrapper is a Rust function returning a `Result`, so `extern \"C\"` would be lost",
        ),
        (
            quote!(
                extern fn f() {}
            ),
            "so `extern` would be lost",
        ),
        (
            quote!(
                fn f(&self) {}
            ),
            "cannot take `self`",
        ),
        (
            quote!(
                fn f(s: &State) {}
            ),
            "looks like module state",
        ),
        (
            quote!(
                fn f(ref x: u8) {}
            ),
            "must be plain names",
        ),
        (
            quote!(
                fn f(x @ 1..=2: u8) {}
            ),
            "must be plain names",
        ),
        (
            quote!(
                struct S;
            ),
            "goes on a free function",
        ),
    ];
    for (item, needle) in cases {
        let errs = op_errors(base(), item.clone());
        assert!(has(&errs, needle), "{item}: {errs:?}");
    }
}

#[test]
fn module_state_parameter() {
    let args = || quote!(interface = "i", op = "o", module = State);
    let errs = op_errors(
        args(),
        quote!(
            fn f() {}
        ),
    );
    assert_eq!(
        errs,
        ["`module = State` needs the module state as the first parameter, like `state: &State`"]
    );
    let errs = op_errors(
        args(),
        quote!(
            fn f(s: &mut State) {}
        ),
    );
    assert_eq!(
        errs,
        ["the module state parameter must be a shared reference, `&State`"]
    );
    let errs = op_errors(
        args(),
        quote!(
            fn f(&self) {}
        ),
    );
    assert!(has(&errs, "cannot take `self`"), "{errs:?}");
    assert!(op_errors(
        args(),
        quote!(
            fn f(_: &State) {}
        )
    )
    .is_empty());
}

#[test]
fn a_rejected_module_value_does_not_cascade() {
    // The first parameter is still taken as the state: one mistake, one error.
    let errs = op_errors(
        quote!(interface = "i", op = "o", module = "State"),
        quote!(
            fn f(s: &State, x: u8) {}
        ),
    );
    assert_eq!(
        errs,
        ["`module` takes the module's type, like `module = Weather`"]
    );
}

#[test]
fn errors_keep_the_function() {
    let out = operation::expand(
        quote!(op = "o"),
        quote!(
            pub fn keep_me() {}
        ),
    )
    .to_string();
    assert!(out.contains("compile_error"), "{out}");
    assert!(out.contains("pub fn keep_me"), "{out}");
}

#[test]
fn duplicate_marker_names() {
    assert_eq!(
        marker_name("weather", "forecast"),
        "__lmms_operation__weather__forecast"
    );
    assert_eq!(marker_name("a-b", "c"), marker_name("a-b", "c"));
    // Pairs that would read the same once `-` and `__` are flattened stay apart.
    let pairs = [
        ("a-b", "c"),
        ("a_b", "c"),
        ("a__b", "c"),
        ("a", "b__c"),
        ("a_", "_b"),
        ("a", "b"),
    ];
    let names: std::collections::HashSet<_> =
        pairs.iter().map(|(i, o)| marker_name(i, o)).collect();
    assert_eq!(names.len(), pairs.len(), "{names:?}");
    for n in &names {
        assert!(syn::parse_str::<syn::Ident>(n).is_ok(), "{n}");
    }
}

#[test]
fn duplicate_marker_follows_cfg() {
    let out = operation::expand(
        quote!(interface = "i", op = "o"),
        quote!(
            #[cfg(feature = "x")]
            fn f() {}
        ),
    );
    let file = syn::parse2::<syn::File>(out).unwrap();
    let marker = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Const(c) if c.ident == "__lmms_operation__i__o" => Some(c),
            _ => None,
        })
        .expect("marker const");
    assert!(
        marker.attrs.iter().any(|a| a.path().is_ident("cfg")),
        "a cfg'd-out operation must not leave its marker behind"
    );
}

#[test]
fn raw_identifiers_are_named_without_their_prefix() {
    let out = operation::expand(
        quote!(interface = "i", op = "o"),
        quote!(
            fn r#match(r#type: u8) -> u8 {
                r#type
            }
        ),
    )
    .to_string();
    assert!(out.contains(r#"fn_name : "match""#), "{out}");
    assert!(out.contains(r#"params : & ["type"]"#), "{out}");
    assert!(!out.contains(r#""r#"#), "no name as text keeps `r#`: {out}");
    let out = crate::module::expand(
        quote!(),
        quote!(
            struct r#Kw;
        ),
    )
    .to_string();
    assert!(!out.contains("compile_error"), "{out}");
    assert!(out.contains(r#"NAME : & 'static str = "kw""#), "{out}");
}

#[test]
fn inner_attributes_stay_in_the_body() {
    let out = operation::expand(
        quote!(interface = "i", op = "o", module = S, cache_ttl = "1s"),
        quote!(
            #[inline(never)]
            pub fn f(s: &S, x: u8) -> u8 {
                #![allow(unused_variables)]
                let y = 1;
                x
            }
        ),
    );
    let file = syn::parse2::<syn::File>(out.clone()).unwrap_or_else(|e| panic!("{e}: {out}"));
    let wrapper = file
        .items
        .iter()
        .find_map(|i| match i {
            syn::Item::Fn(f) if f.sig.ident == "f" => Some(f),
            _ => None,
        })
        .expect("the wrapper");
    assert!(
        wrapper
            .attrs
            .iter()
            .all(|a| matches!(a.style, syn::AttrStyle::Outer)),
        "{out}"
    );
    assert!(wrapper.attrs.iter().any(|a| a.path().is_ident("inline")));
    let body = wrapper
        .block
        .stmts
        .iter()
        .find_map(|s| match s {
            syn::Stmt::Item(syn::Item::Fn(f)) if f.sig.ident == "__lmms_body" => Some(f),
            _ => None,
        })
        .expect("the body");
    assert!(
        body.attrs
            .iter()
            .any(|a| matches!(a.style, syn::AttrStyle::Inner(_)) && a.path().is_ident("allow")),
        "{out}"
    );
}

#[test]
fn the_attribute_applied_twice_is_one_error() {
    for second in [
        quote!(#[lmms::operation(interface = "m", op = "b")]),
        quote!(#[operation(interface = "m", op = "b", dynamic = false)]),
        quote!(#[::lmms::operation(interface = "m", op = "b")]),
    ] {
        let errs = op_errors(
            quote!(interface = "m", op = "a"),
            quote!(#second #[inline] fn f(x: u8) -> u8 { x }),
        );
        assert_eq!(
            errs,
            ["`#[lmms::operation]` is applied twice: one function is one operation; write a second function for `m.b`"],
            "{second}"
        );
    }
    // The stand-in does not carry it: it would expand again.
    let out = operation::expand(
        quote!(interface = "m", op = "a"),
        quote!(
            #[lmms::operation(interface = "m", op = "b")]
            fn f() {}
        ),
    )
    .to_string();
    assert_eq!(out.matches("operation (").count(), 0, "{out}");
}

#[test]
fn a_conditional_parameter_is_rejected_a_lint_attribute_is_not() {
    let errs = op_errors(
        quote!(interface = "i", op = "o", module = S),
        quote!(
            fn f(#[cfg(x)] s: &S, #[cfg_attr(x, cfg(y))] a: u8, #[allow(unused)] b: u8) {}
        ),
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs
        .iter()
        .all(|e| e.starts_with("an operation's parameter cannot be conditional")));
    assert!(op_errors(
        quote!(interface = "i", op = "o"),
        quote!(
            fn f(#[allow(unused_variables)] b: u8) {}
        )
    )
    .is_empty());
}
