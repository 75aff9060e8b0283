//! The dynamic shim of an operation (unless `dynamic = false`): what `lmms::execute`
//! calls, reading the arguments from JSON and returning the result as JSON.

use crate::operation::Spec;
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::ReturnType;

/// The `Dynamic` value of the operation's metadata and the shim function it names.
/// `typed` is the typed call the shim makes (the wrapper, or its nested form).
///
/// Each argument is read, and the result written, through a function whose bound
/// (`DynamicArgument`, `DynamicResult` on the lmms side) carries the span of the type the
/// user wrote: a type without serde is one error at that type, naming `dynamic = false`.
pub(crate) fn shim(
    spec: &Spec,
    p: &TokenStream,
    typed: &TokenStream,
) -> (TokenStream, TokenStream) {
    if !spec.dynamic {
        return (quote!(#p::Dynamic::Off), quote!());
    }
    let sig = &spec.func.sig;
    let lmms = &spec.root;
    let names: Vec<_> = spec.params.iter().map(|(n, _)| n).collect();
    let takes = spec.params.iter().map(|(n, t)| {
        // `r#type` is read from the key `type`, as the metadata names it.
        let key = n.unraw().to_string();
        quote_spanned! {t.span()=>
            let #n: #t = #p::Args::take::<#t>(&mut __lmms_args, #key)?;
        }
    });
    let (ret, ret_span) = match &sig.output {
        ReturnType::Default => (quote!(()), Span::call_site()),
        ReturnType::Type(_, t) => (quote!(#t), t.span()),
    };
    let to_json = quote_spanned!(ret_span=> #p::to_json::<#ret>);
    let body = quote! {
        let mut __lmms_args = #p::Args::new(&__LMMS_OP.common.meta, __lmms_json)?;
        #(#takes)*
    };
    if sig.asyncness.is_some() {
        (
            quote!(#p::Dynamic::Async(__lmms_dyn)),
            quote! {
                fn __lmms_dyn(__lmms_json: #p::Value) -> #p::BoxFuture<#p::Result<#p::Value, #lmms::Error>> {
                    #p::box_dyn(async move {
                        #body
                        let __lmms_result = #typed(#(#names),*).await?;
                        #to_json(&__LMMS_OP.common.meta, &__lmms_result)
                    })
                }
            },
        )
    } else {
        (
            quote!(#p::Dynamic::Sync(__lmms_dyn)),
            quote! {
                fn __lmms_dyn(__lmms_json: #p::Value) -> #p::Result<#p::Value, #lmms::Error> {
                    #body
                    let __lmms_result = #typed(#(#names),*)?;
                    #to_json(&__LMMS_OP.common.meta, &__lmms_result)
                }
            },
        )
    }
}
