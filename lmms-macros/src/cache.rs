//! The result cache of an operation with `cache_ttl`: the parts the wrapper in
//! `wrapper::generate` splices in.

use crate::operation::Spec;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

/// The result-cache parts of the wrapper (`cache_ttl`).
#[derive(Default)]
pub(crate) struct CacheParts {
    /// The cache static and the compile-time checks on the key and result types.
    pub items: TokenStream,
    /// Looks the arguments up before the call is entered; returns on a hit.
    pub lookup: TokenStream,
    /// Stores the result (only the `Ok` value of a `Result`) before the call ends.
    pub store: TokenStream,
}

/// The result cache: checked before the module is touched, filled on a miss. The key is
/// the argument tuple; each argument type and the cached type must implement the runtime's
/// `CacheKey` / `CacheValue`, whose `on_unimplemented` messages explain the requirement
/// at the offending type.
pub(crate) fn parts(spec: &Spec, p: &TokenStream) -> CacheParts {
    let sig = &spec.func.sig;
    let names: Vec<_> = spec.params.iter().map(|(n, _)| n).collect();
    let types: Vec<_> = spec.params.iter().map(|(_, t)| t).collect();
    let (ret, ret_span) = match &sig.output {
        ReturnType::Default => (quote!(()), Span::call_site()),
        ReturnType::Type(_, t) => (quote!(#t), t.span()),
    };
    // A return type whose last path segment is `Result` caches only its `Ok` value (also
    // through a `macro_rules!` `$t:ty` or parentheses).
    let is_result = matches!(&sig.output, ReturnType::Type(_, t)
        if matches!(crate::ty::peel(t), Type::Path(tp) if tp.qself.is_none()
            && tp.path.segments.last().is_some_and(|s| s.ident == "Result")));
    let value = if is_result {
        quote_spanned!(ret_span=> <#ret as #p::CacheOk>::Ok)
    } else {
        ret.clone()
    };
    let key_checks = types
        .iter()
        .map(|t| quote_spanned!(t.span()=> #p::assert_cache_key::<#t>();));
    let value_check = quote_spanned!(ret_span=> #p::assert_cache_value::<#value>(););
    let items = quote! {
        const _: () = {
            #(#key_checks)*
            #value_check
        };
        static __LMMS_CACHE: #p::OpCache<(#(#types,)*), #value> = #p::OpCache::new();
    };
    let hit = if is_result {
        quote!(<#ret as #p::CacheOk>::from_cached(__lmms_hit))
    } else {
        quote!(__lmms_hit)
    };
    let rebind = (!names.is_empty())
        .then(|| quote!(let (#(#names,)*) = ::core::clone::Clone::clone(&__lmms_key);));
    let lookup = quote! {
        let __lmms_key = (#(#names,)*);
        if let ::core::option::Option::Some(__lmms_hit) =
            #p::OpCache::get(&__LMMS_CACHE, &__LMMS_OP.common, &__lmms_key)?
        {
            return #p::Result::Ok(#hit);
        }
        #rebind
    };
    let store = if is_result {
        quote! {
            if let ::core::option::Option::Some(__lmms_ok) = #p::CacheOk::cached_ok(&__lmms_result) {
                #p::OpCache::insert(&__LMMS_CACHE, &__LMMS_OP, __lmms_key, ::core::clone::Clone::clone(__lmms_ok));
            }
        }
    } else {
        quote! {
            #p::OpCache::insert(&__LMMS_CACHE, &__LMMS_OP, __lmms_key, ::core::clone::Clone::clone(&__lmms_result));
        }
    };
    CacheParts {
        items,
        lookup,
        store,
    }
}
