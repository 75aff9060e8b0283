//! The compile-time duplicate check of `#[lmms::operation]`: a hidden const per
//! `(interface, op)` pair, so two operations with the same pair in one Rust module do not
//! compile.

use crate::operation::Spec;
use proc_macro2::TokenStream;
use quote::quote_spanned;

/// A hidden const named after `(interface, op)`, emitted next to the function: a second
/// operation with the same pair in the same Rust module is then a compile error
/// ("the name `__lmms_operation__weather__forecast` is defined multiple times") pointing at
/// both `op = "..."` values. Across modules the gateway reports both locations at start.
///
/// The name is readable when both names are plain (letters, digits, single inner `_`);
/// otherwise (`-`, `__`, leading or trailing `_`) it carries a 64-bit hash of the
/// exact pair, so distinct pairs do not share a name in practice.
pub(crate) fn unique_marker(spec: &Spec) -> TokenStream {
    let (interface, op) = (spec.interface.value(), spec.op.value());
    // The whole item carries the span of `op = "..."`: rustc reports a duplicate at the
    // item's span, so both locations show the offending value.
    let span = spec.op.span();
    let ident = syn::Ident::new(&marker_name(&interface, &op), span);
    let cfgs = spec
        .func
        .attrs
        .iter()
        .filter(|a| crate::operation::is_outer(a) && a.path().is_ident("cfg"));
    quote_spanned! {span=>
        #(#cfgs)*
        #[doc(hidden)]
        #[allow(non_upper_case_globals, dead_code)]
        const #ident: () = ();
    }
}

/// See [`unique_marker`]: one name per `(interface, op)`.
pub(crate) fn marker_name(interface: &str, op: &str) -> String {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !s.starts_with('_')
            && !s.ends_with('_')
            && !s.contains("__")
    };
    if plain(interface) && plain(op) {
        return format!("__lmms_operation__{interface}__{op}");
    }
    // FNV-1a over the exact pair, with a separator no name contains.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in interface.bytes().chain([0]).chain(op.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    };
    format!(
        "__lmms_operation_x{h:016x}__{}__{}",
        clean(interface),
        clean(op)
    )
}
