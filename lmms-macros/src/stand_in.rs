//! What `#[lmms::operation]` expands to when the attribute or the signature has errors.
//!
//! Next to the `compile_error!`s comes a stand-in with the signature the expansion would
//! have had: the same name, visibility, generics and parameters, the module state removed
//! and the result wrapped in `Result<_, lmms::Error>`. Call sites then type-check as they
//! will once the attribute is fixed, so a mistake in the attribute is reported once, at
//! the attribute, and not again at every call as a wrong number of arguments or a `?` on
//! a value that is not a `Result`. The user's body is kept, renamed and nested in the
//! stand-in as in a real expansion, so its own errors are reported in the same build and
//! IDEs keep analysing it. (tracing-attributes and tokio-macros expand as far as they can
//! on bad input in the same spirit.)

use crate::attr::{self, Errors};
use crate::ty::Inner;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{FnArg, ItemFn, Pat, ReturnType};

/// The stand-in for `item` under `#[lmms::operation(args)]`, whose expansion failed.
///
/// `item` comes back unchanged when it is not a function, and when its return type holds
/// an `impl Trait`: no stand-in body could produce a value of that hidden type.
pub(crate) fn operation(args: TokenStream, item: TokenStream, keys: &[&str]) -> TokenStream {
    let Ok(func) = syn::parse2::<ItemFn>(item.clone()) else {
        return item;
    };
    let ItemFn { vis, sig, .. } = &func;
    // Inner attributes (`#![...]`) stay in the nested body; `#[lmms::operation]` a second
    // time (an error) is dropped, so it does not expand on the stand-in.
    let attrs = func
        .attrs
        .iter()
        .filter(|a| crate::operation::is_outer(a) && !crate::operation::is_operation_attr(a));
    let ret = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, t) if matches!(crate::ty::inner(t), Some(Inner::ImplTrait(_))) => {
            return item
        }
        ReturnType::Type(_, t) => quote!(#t),
    };
    // As in `operation::parse`: with a `module` key, even one whose value was rejected, the
    // first parameter is the state and callers do not pass it.
    let parsed = attr::parse(args, keys, &mut Errors::default());
    let takes_state = parsed.iter().any(|a| a.key == "module");
    // `flatten = true` on a `Result<T, E>`: callers get `Result<T, E>` itself.
    let flattened = parsed
        .iter()
        .any(|a| a.key == "flatten" && a.bool(&mut Errors::default()).is_some_and(|b| b.value))
        && matches!(&sig.output, ReturnType::Type(_, t) if crate::flatten::result_parts(t).is_some());
    let wrapper_ret = if flattened {
        ret.clone()
    } else {
        let lmms = attr::root(&parsed, &mut Errors::default()).unwrap_or_else(|| quote!(::lmms));
        quote!(::core::result::Result<#ret, #lmms::Error>)
    };
    let mut inputs: Vec<&FnArg> = sig.inputs.iter().collect();
    if takes_state && matches!(inputs.first(), Some(FnArg::Typed(_))) {
        inputs.remove(0);
    }
    // Plain names are kept (IDEs show them at call sites), other patterns become `_`; each
    // name is used once below so an unused parameter is no warning.
    // A parameter's `cfg` (an error) is kept, on it and on its use: callers see the
    // parameters the function has in this configuration.
    let mut used = Vec::new();
    let params = inputs.into_iter().map(|input| match input {
        FnArg::Receiver(r) => quote!(#r),
        FnArg::Typed(pt) => {
            let ty = &pt.ty;
            let cfgs: Vec<_> = pt
                .attrs
                .iter()
                .filter(|a| crate::operation::is_cfg(a))
                .collect();
            match &*pt.pat {
                Pat::Ident(pi) if pi.subpat.is_none() => {
                    let ident = &pi.ident;
                    used.push(quote!(#(#cfgs)* let _ = #ident;));
                    quote!(#(#cfgs)* #ident: #ty)
                }
                _ => quote!(#(#cfgs)* _: #ty),
            }
        }
    });
    let params: Vec<TokenStream> = params.collect();
    let body = nested_body(&func);
    let (asyncness, safety, name) = (&sig.asyncness, &sig.safety, &sig.ident);
    let (generics, where_clause) = (&sig.generics, &sig.generics.where_clause);
    // `const` is dropped (an error already, and a `const fn` could not drop its
    // parameters), and so is an `extern` ABI, as in the real expansion.
    quote! {
        #(#attrs)*
        #vis #asyncness #safety fn #name #generics(#(#params),*) -> #wrapper_ret #where_clause {
            #body
            #(#used)*
            // Never runs: the `compile_error!` beside this function fails the build.
            ::core::unreachable!()
        }
    }
}

/// The user's function renamed `__lmms_body`, to nest in the stand-in; nothing when it
/// cannot be nested (a method's `self`, a variadic).
fn nested_body(func: &ItemFn) -> Option<TokenStream> {
    if func.sig.receiver().is_some() || func.sig.variadic.is_some() {
        return None;
    }
    let mut sig = func.sig.clone();
    sig.ident = syn::Ident::new("__lmms_body", Span::call_site());
    let block = crate::operation::body(func);
    Some(quote! {
        #[allow(dead_code)]
        #sig #block
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::{Item, ItemFn};

    use crate::operation::KEYS;

    /// The stand-in's function item, parsed back.
    fn stand_in(args: proc_macro2::TokenStream, item: proc_macro2::TokenStream) -> ItemFn {
        let out = super::operation(args, item, KEYS);
        syn::parse2(out.clone()).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    fn sig(f: &ItemFn) -> String {
        let s = &f.sig;
        quote!(#s).to_string()
    }

    fn nested_names(f: &ItemFn) -> Vec<String> {
        f.block
            .stmts
            .iter()
            .filter_map(|s| match s {
                syn::Stmt::Item(Item::Fn(inner)) => Some(inner.sig.ident.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_callers_signature_without_the_state() {
        let f = stand_in(
            quote!(
                interface = "w",
                op = "f",
                module = Weather,
                cache_ttl = "often"
            ),
            quote!(
                /// Docs stay.
                pub async fn forecast(w: &Weather, mut city: String, (a, b): (u8, u8)) -> String {
                    w.get(city)
                }
            ),
        );
        assert_eq!(
            sig(&f),
            quote!(async fn forecast(city: String, _: (u8, u8)) -> ::core::result::Result<String, ::lmms::Error>)
                .to_string()
        );
        assert!(matches!(f.vis, syn::Visibility::Public(_)));
        assert!(f.attrs.iter().any(|a| a.path().is_ident("doc")));
        assert_eq!(nested_names(&f), ["__lmms_body"], "the body is kept");
    }

    #[test]
    fn inner_attributes_stay_in_the_nested_body() {
        let f = stand_in(
            quote!(interface = "w", op = "f", colour = "red"),
            quote!(
                #[inline]
                fn f(x: u8) -> u8 {
                    #![allow(unused_variables)]
                    let y = 1;
                    x
                }
            ),
        );
        assert!(
            f.attrs
                .iter()
                .all(|a| matches!(a.style, syn::AttrStyle::Outer)),
            "{}",
            quote!(#f)
        );
        assert!(f.attrs.iter().any(|a| a.path().is_ident("inline")));
        let Some(syn::Stmt::Item(Item::Fn(body))) = f.block.stmts.first() else {
            panic!("no nested body");
        };
        assert!(body
            .attrs
            .iter()
            .any(|a| matches!(a.style, syn::AttrStyle::Inner(_)) && a.path().is_ident("allow")));
    }

    #[test]
    fn a_rejected_module_value_still_removes_the_state() {
        let f = stand_in(
            quote!(interface = "w", op = "f", module = "Weather"),
            quote!(
                fn f(w: &Weather, x: u8) {}
            ),
        );
        assert_eq!(
            sig(&f),
            quote!(fn f(x: u8) -> ::core::result::Result<(), ::lmms::Error>).to_string()
        );
    }

    /// With `flatten = true` on a `Result<T, E>`, callers get `Result<T, E>` (as they will
    /// once the other mistake is fixed); on another return type, the nested form.
    #[test]
    fn a_flattened_result_keeps_its_declared_type() {
        let f = stand_in(
            quote!(interface = "w", op = "f", flatten = true, colour = "red"),
            quote!(
                fn f(x: u8) -> Result<u8, AppError> {
                    Ok(x)
                }
            ),
        );
        assert_eq!(
            sig(&f),
            quote!(fn f(x: u8) -> Result<u8, AppError>).to_string()
        );
        let f = stand_in(
            quote!(interface = "w", op = "f", flatten = true),
            quote!(
                fn f(x: u8) -> u8 {
                    x
                }
            ),
        );
        assert_eq!(
            sig(&f),
            quote!(fn f(x: u8) -> ::core::result::Result<u8, ::lmms::Error>).to_string()
        );
    }

    #[test]
    fn generics_and_unsafety_are_kept_const_is_not() {
        let f = stand_in(
            quote!(interface = "w", op = "f"),
            quote!(
                const unsafe fn f<T: Clone>(x: T) -> T
                where
                    T: Copy,
                {
                    x
                }
            ),
        );
        assert_eq!(
            sig(&f),
            quote!(unsafe fn f<T: Clone>(x: T) -> ::core::result::Result<T, ::lmms::Error> where T: Copy,)
                .to_string()
        );
    }

    #[test]
    fn a_method_keeps_its_receiver_and_has_no_nested_body() {
        let f = stand_in(
            quote!(interface = "w", op = "f"),
            quote!(
                fn f(&self, x: u8) -> u8 {
                    x
                }
            ),
        );
        assert_eq!(
            sig(&f),
            quote!(fn f(&self, x: u8) -> ::core::result::Result<u8, ::lmms::Error>).to_string()
        );
        assert!(nested_names(&f).is_empty());
    }

    #[test]
    fn what_has_no_stand_in_comes_back_unchanged() {
        for item in [
            quote!(
                fn f() -> impl Clone {}
            ),
            quote!(
                fn f() -> Result<Vec<impl Clone>, E> {}
            ),
            quote!(
                struct S;
            ),
            quote!(fn broken(),),
        ] {
            let out = super::operation(quote!(interface = "w"), item.clone(), KEYS);
            assert_eq!(out.to_string(), item.to_string());
        }
    }
}
