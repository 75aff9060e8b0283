//! The function that replaces the user's: the generated wrapper, from a checked [`Spec`].
//! Its data path (cache lookup, fast path or slow path, body, cache store) reads top to
//! bottom in [`generate`]; the JSON shim, the cache and `flatten` add their parts.

use crate::operation::{body, is_outer, Spec};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, ReturnType};

pub(crate) fn generate(spec: &Spec) -> TokenStream {
    let lmms = &spec.root;
    let p = quote!(#lmms::__private::v1);
    let func = &spec.func;
    let sig = &func.sig;
    let attrs: Vec<_> = func.attrs.iter().filter(|a| is_outer(a)).collect();
    let (vis, name, block) = (&func.vis, &sig.ident, body(func));
    let is_async = sig.asyncness.is_some();
    let (interface, op) = (&spec.interface, &spec.op);
    // Names as text without a raw identifier's `r#` (`r#type` is the parameter `type`).
    let fn_name = name.unraw().to_string();
    let param_names: Vec<_> = spec.params.iter().map(|(n, _)| n).collect();
    let param_types: Vec<_> = spec.params.iter().map(|(_, t)| t).collect();
    let param_strs: Vec<_> = param_names.iter().map(|n| n.unraw().to_string()).collect();
    let ret = match &sig.output {
        ReturnType::Default => quote!(()),
        ReturnType::Type(_, t) => quote!(#t),
    };
    let body_inputs = &sig.inputs;
    let asyncness = &sig.asyncness;
    let body_fn = quote! {
        #[inline(always)]
        #[allow(clippy::needless_pass_by_value, clippy::inline_always)]
        #asyncness fn __lmms_body(#body_inputs) -> #ret #block
    };
    let await_ = is_async.then(|| quote!(.await));

    // With a module, the static names it only through a local tag (`__private::v1::OpState`
    // on the lmms side): a `T` without `#[lmms::module]` fails there, once, at the `T` the
    // user wrote, and the uses of the static below ask nothing more of `T`.
    let op_static = match &spec.module {
        Some(m) => quote! {
            enum __LmmsState {}
            impl #p::OpState for __LmmsState {
                type State = #m;
            }
            static __LMMS_OP: #p::ModuleOperation<__LmmsState> = #p::ModuleOperation::new(__LMMS_META);
        },
        None => {
            quote!(static __LMMS_OP: #p::StatelessOperation = #p::StatelessOperation::new(__LMMS_META);)
        }
    };

    let ttl = match spec.cache_ttl_ms {
        Some(ms) => quote!(::core::option::Option::Some(#ms)),
        None => quote!(::core::option::Option::None),
    };
    // The typed call the dynamic shim makes: with `flatten`, the nested form below, so a
    // call by name still returns the operation's own `Result` as JSON (`{"Ok": ...}` or
    // `{"Err": ...}`) and only the gateway's errors as an `lmms::Error`.
    //
    // The shim is an item nested in the wrapper, which has the user's parameters: one named
    // like the function (`fn count(count: u32)`) would be the local the shim's `count`
    // finds (E0434). Named with `macro_rules!` hygiene (`mixed_site`), the function's name
    // sees no local of the user's, and still finds the function as an item would.
    let typed = if spec.flatten.is_some() {
        quote!(__lmms_nested)
    } else {
        let mut unshadowed = name.clone();
        unshadowed.set_span(Span::mixed_site().located_at(name.span()));
        quote!(#unshadowed)
    };
    let (dynamic, dyn_fn) = crate::dynamic::shim(spec, &p, &typed);
    let meta_ident = format_ident!("__LMMS_META");
    let cache = spec
        .cache_ttl_ms
        .map(|_| crate::cache::parts(spec, &p))
        .unwrap_or_default();
    let (cache_items, cache_lookup, cache_store) = (&cache.items, &cache.lookup, &cache.store);
    // A blocking call on a module goes through `run`: the fast path inlined, the slow path
    // out of line, the body (and the cache store, while the module is still held) in a
    // closure both share. Async and stateless calls hold their module through a guard.
    let guarded = |enter: TokenStream, state_arg: Option<TokenStream>| {
        quote! {
            let __lmms_call = #enter?;
            let __lmms_result = __lmms_body(#state_arg #(#param_names),*) #await_;
            #cache_store
            ::core::mem::drop(__lmms_call);
            #p::Result::Ok(__lmms_result)
        }
    };
    // The state argument carries the span of the state parameter's type: a type that is
    // not the module's (`w: &Other` with `module = Weather`) is reported there, as rustc's
    // "expected `&Other`, found `&Weather`", not at the attribute.
    let state_span = match (&spec.module, sig.inputs.first()) {
        (Some(_), Some(FnArg::Typed(pt))) => pt.ty.span(),
        _ => Span::call_site(),
    };
    let call = match (&spec.module, is_async) {
        // `__LMMS_FAST`: this thread's fast-path pin and call count of the operation, at a
        // constant offset from the thread pointer, so the inlined fast path needs no lookup.
        (Some(_), false) => {
            let state_arg = quote_spanned!(state_span=> __lmms_state);
            quote! {
            ::std::thread_local! {
                static __LMMS_FAST: #p::FastWord = const { #p::FastWord::new() };
            }
            __LMMS_OP.run(&__LMMS_FAST, move |__lmms_state| {
                let __lmms_result = __lmms_body(#state_arg, #(#param_names),*);
                #cache_store
                __lmms_result
            })
            }
        }
        (Some(_), true) => guarded(
            quote!(__LMMS_OP.enter_async().await),
            Some(quote_spanned!(state_span=> &*__lmms_call,)),
        ),
        (None, _) => guarded(quote!(#p::enter_stateless(&__LMMS_OP)), None),
    };

    // A blocking call on a module is mostly its fast path, a few instructions around one
    // out-of-line call: `#[inline]` lets a caller in another crate inline it, as it would
    // a `LazyLock` read of its own (without it, each call from another crate also pays a
    // call, a prologue saving registers and the result returned through memory). A user's
    // own inline attribute wins.
    let blocking_with_module = spec.module.is_some() && !is_async;
    let inline = (blocking_with_module && !attrs.iter().any(|a| a.path().is_ident("inline")))
        .then(|| quote!(#[inline]));
    // `flatten`: the call as it is without the key, nested, and its result flattened by
    // `E::from` (the bound, spanned on the user's `E`, reports an `E` that cannot).
    let (wrapper_ret, call) = match &spec.flatten {
        None => (quote!(#p::Result<#ret, #lmms::Error>), call),
        Some((_, err)) => {
            let inline_nested = (!is_async).then(|| quote!(#[inline(always)]));
            let flatten = quote_spanned!(err.span()=> #p::flatten::<_, #err>);
            let call = quote! {
                #inline_nested
                #asyncness fn __lmms_nested(#(#param_names: #param_types),*) -> #p::Result<#ret, #lmms::Error> {
                    #cache_lookup
                    #call
                }
                #flatten(__lmms_nested(#(#param_names),*) #await_)
            };
            (ret.clone(), call)
        }
    };
    let cache_lookup = spec.flatten.is_none().then_some(cache_lookup);
    let unique = crate::marker::unique_marker(spec);
    quote! {
        #unique
        #(#attrs)*
        #inline
        #vis #asyncness fn #name(#(#param_names: #param_types),*) -> #wrapper_ret {
            #body_fn

            const #meta_ident: #p::OpMeta = #p::OpMeta {
                interface: #interface,
                op: #op,
                fn_name: #fn_name,
                file: ::core::file!(),
                line: ::core::line!(),
                params: &[#(#param_strs),*],
                is_async: #is_async,
                dynamic: #dynamic,
                cache_ttl_ms: #ttl,
            };
            #op_static
            #p::inventory::submit! {
                #p::OperationEntry(&__LMMS_OP)
            }
            #dyn_fn
            #cache_items

            #cache_lookup
            #call
        }
    }
}
