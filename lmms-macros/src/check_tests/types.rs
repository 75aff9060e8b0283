//! What the checks see in a type: a `Result` to flatten or cache, a reference, an
//! `impl Trait`, also inside another type or wrapped (parentheses, `macro_rules!`).

use super::{has, op_errors};
use crate::operation;
use proc_macro2::TokenStream;
use quote::{quote, ToTokens};

#[test]
fn flatten_takes_the_parts_of_a_result() {
    // Also however it is wrapped: in parentheses, or in the invisible group of a
    // `macro_rules!` `$t:ty`.
    for ret in [
        quote!(Result<u8, E>),
        quote!(std::result::Result<u8, E>),
        quote!(::core::result::Result<u8, E>),
        group(quote!(Result<u8, E>)).into_token_stream(),
        quote!((Result<u8, E>)),
        group(quote!((Result<u8, E>))).into_token_stream(),
    ] {
        let spec = operation::parse(
            quote!(interface = "i", op = "o", flatten = true),
            quote!(fn f() -> #ret { Ok(1) }),
        )
        .unwrap_or_else(|e| panic!("{ret}: {e}"));
        let (t, e) = spec.flatten.expect("flattened");
        assert_eq!(quote!(#t).to_string(), "u8");
        assert_eq!(quote!(#e).to_string(), "E");
    }
    let spec = operation::parse(
        quote!(interface = "i", op = "o", flatten = false),
        quote!(
            fn f() -> Result<u8, E> {
                Ok(1)
            }
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        spec.flatten.is_none(),
        "`flatten = false` keeps the nested form"
    );
}

#[test]
fn flatten_refuses_what_is_not_a_result() {
    for ret in [
        quote!(-> u8),
        quote!(-> io::Result<u8>),
        quote!(-> my::Result<u8, E>),
        quote!(-> Result<u8>),
        quote!(),
    ] {
        let errs = op_errors(
            quote!(interface = "i", op = "o", flatten = true),
            quote!(fn f() #ret { todo!() }),
        );
        assert_eq!(errs.len(), 1, "{ret}: {errs:?}");
        assert!(
            errs[0].starts_with("`flatten = true` needs a return type `Result<T, E>`"),
            "{errs:?}"
        );
    }
    let errs = op_errors(
        quote!(interface = "i", op = "o", flatten = "yes"),
        quote!(
            fn f() -> u8 {
                1
            }
        ),
    );
    assert_eq!(errs, ["`flatten` takes `true` or `false`"]);
}

/// `ty` as a `macro_rules!` `$t:ty` hands it on: in an invisible group.
fn group(ty: TokenStream) -> proc_macro2::Group {
    proc_macro2::Group::new(proc_macro2::Delimiter::None, ty)
}

#[test]
fn types_from_macro_rules_or_in_parentheses_are_seen_through() {
    // (A wrapped `Result` for `flatten`: `flatten_takes_the_parts_of_a_result`.)
    // The module state, a shared reference however it is wrapped.
    let st = group(quote!(&State));
    let errs = op_errors(
        quote!(interface = "i", op = "o", module = State),
        quote!(fn f(s: #st, x: u8) {}),
    );
    assert!(errs.is_empty(), "{errs:?}");
    let st = group(quote!(&mut State));
    let errs = op_errors(
        quote!(interface = "i", op = "o", module = State),
        quote!(fn f(s: #st) {}),
    );
    assert!(has(&errs, "must be a shared reference"), "{errs:?}");
    // Arguments by value, no `impl Trait`.
    let (r, i) = (group(quote!(&str)), group(quote!(impl Clone)));
    let errs = op_errors(
        quote!(interface = "i", op = "o"),
        quote!(fn f(x: u8, s: #r, p: (&str), c: #i) -> #i { todo!() }),
    );
    assert_eq!(errs.len(), 4, "{errs:?}");
    assert!(has(&errs, "cannot return `impl Trait`"), "{errs:?}");
    assert!(has(&errs, "cannot take `impl Trait`"), "{errs:?}");
    assert_eq!(
        errs.iter()
            .filter(|e| e.starts_with("operation arguments are taken by value"))
            .count(),
        2,
        "{errs:?}"
    );
}

#[test]
fn a_cached_result_from_macro_rules_caches_only_ok() {
    for ret in [
        group(quote!(Result<u8, String>)).into_token_stream(),
        quote!((Result<u8, String>)),
    ] {
        let out = operation::expand(
            quote!(interface = "i", op = "o", cache_ttl = "1h"),
            quote!(fn f(x: u8) -> #ret { Ok(x) }),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("CacheOk"),
            "only the `Ok` value is cached: {out}"
        );
    }
}

#[test]
fn borrows_and_impl_trait_inside_an_argument_type_are_named() {
    let f = quote!(
        fn f(a: Option<&str>) {}
    );
    let errs = op_errors(quote!(interface = "w", op = "f"), f.clone());
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("taken by value") && errs[0].contains("dynamic = false"),
        "{errs:?}"
    );
    // Never called by name, not cached: the borrow is fine.
    assert!(op_errors(quote!(interface = "w", op = "f", dynamic = false), f).is_empty());

    let cow = quote!(
        fn f(a: std::borrow::Cow<'_, str>) {}
    );
    let errs = op_errors(
        quote!(interface = "w", op = "f", cache_ttl = "5s", dynamic = false),
        cow.clone(),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("cache key"), "{errs:?}");
    // A `Cow` deserializes owned: callable by name, uncached, it is fine.
    assert!(op_errors(quote!(interface = "w", op = "f"), cow).is_empty());

    let errs = op_errors(
        quote!(interface = "w", op = "f", dynamic = false),
        quote!(
            fn f(a: Vec<impl std::fmt::Display>) {}
        ),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("`impl Trait`, also inside"), "{errs:?}");
    // A function type's parameters borrow only for the call.
    assert!(op_errors(
        quote!(interface = "w", op = "f", cache_ttl = "5s", dynamic = false),
        quote!(
            fn f(a: fn(&str) -> bool) {}
        )
    )
    .is_empty());
}

#[test]
fn a_cached_operation_takes_at_most_twelve_arguments() {
    let twelve = quote!(
        fn f(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8, i: u8, j: u8, k: u8, l: u8) {}
    );
    assert!(op_errors(quote!(interface = "w", op = "f", cache_ttl = "1s"), twelve).is_empty());
    let thirteen = quote!(
        fn f(
            a: u8,
            b: u8,
            c: u8,
            d: u8,
            e: u8,
            f: u8,
            g: u8,
            h: u8,
            i: u8,
            j: u8,
            k: u8,
            l: u8,
            m: u8,
        ) {
        }
    );
    let errs = op_errors(
        quote!(interface = "w", op = "f", cache_ttl = "1s"),
        thirteen.clone(),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("at most 12 arguments"), "{errs:?}");
    assert!(
        op_errors(quote!(interface = "w", op = "f"), thirteen).is_empty(),
        "uncached: any number"
    );
}
