//! `#[lmms::operation(interface = "...", op = "...", module = Type, cache_ttl = "300s",
//! dynamic = false, flatten = true)]` on a free function.

use crate::attr::{self, Errors};
use crate::duration;
use crate::ty::{peel, Inner};
use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::{AttrStyle, Attribute, FnArg, ItemFn, LitStr, Meta, Pat, Path, ReturnType, Safety, Type};

/// The most arguments a `cache_ttl` operation takes: std's tuples are `Hash` and `Eq` up to
/// 12 elements.
const MAX_CACHED_ARGS: usize = 12;

pub(crate) const KEYS: &[&str] = &[
    "interface",
    "op",
    "module",
    "cache_ttl",
    "dynamic",
    "flatten",
    "crate",
];

const SELF_MSG: &str = "an operation is a free function and cannot take `self`: move it out of the `impl` block (state comes in through `module = Type` and a `&Type` parameter)";

/// Everything the attribute and the signature say, checked.
pub(crate) struct Spec {
    pub interface: LitStr,
    pub op: LitStr,
    pub module: Option<Path>,
    pub cache_ttl_ms: Option<u64>,
    pub dynamic: bool,
    /// `flatten = true`: the `T` and `E` of the declared `Result<T, E>`.
    pub flatten: Option<(Type, Type)>,
    pub func: ItemFn,
    /// Parameters after the state parameter: name and type.
    pub params: Vec<(syn::Ident, Type)>,
    /// The path generated code names the `lmms` crate by: `crate = "..."`, else `::lmms`.
    pub root: TokenStream,
}

/// Expands the attribute; on error, the errors plus a stand-in with the caller's view of
/// the signature (see [`crate::stand_in`]).
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match parse(args.clone(), item.clone()).map(|spec| crate::wrapper::generate(&spec)) {
        Ok(ts) => ts,
        Err(e) => {
            let err = e.to_compile_error();
            let stand_in = crate::stand_in::operation(args, item, KEYS);
            quote!(#stand_in #err)
        }
    }
}

pub(crate) fn parse(args: TokenStream, item: TokenStream) -> syn::Result<Spec> {
    let mut errors = Errors::default();
    let parsed = attr::parse(args, KEYS, &mut errors);
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let span = item
                .into_iter()
                .next()
                .map_or_else(Span::call_site, |t| t.span());
            const MSG: &str = "#[lmms::operation] goes on a free function";
            errors.at(span, MSG);
            return Err(errors
                .finish()
                .err()
                .unwrap_or_else(|| syn::Error::new(span, MSG)));
        }
    };
    // The attribute a second time, still to expand: it would wrap the wrapper (a nested
    // `Result`, the function registered twice).
    for a in func.attrs.iter().filter(|a| is_operation_attr(a)) {
        errors.spanned(
            a,
            format!(
                "`#[lmms::operation]` is applied twice: one function is one operation; write a second function for {}",
                operation_name(a)
            ),
        );
    }
    let (mut interface, mut op, mut module, mut cache_ttl_ms, mut dynamic) =
        (None, None, None, None, true);
    let mut flatten_key = None;
    for a in &parsed {
        match a.key.to_string().as_str() {
            "interface" => {
                interface = a
                    .str(&mut errors)
                    .inspect(|s| attr::check_name(s, "an interface name", &mut errors))
            }
            "op" => {
                op = a
                    .str(&mut errors)
                    .inspect(|s| attr::check_name(s, "an operation name", &mut errors))
            }
            "module" => module = a.path(&mut errors),
            "cache_ttl" => {
                if let Some(s) = a.str(&mut errors) {
                    match duration::parse_ms(&s.value()) {
                        Ok(ms) => cache_ttl_ms = Some(ms),
                        Err(msg) => errors.at(s.span(), msg),
                    }
                }
            }
            "flatten" => flatten_key = a.bool(&mut errors).filter(|b| b.value),
            "crate" => {} // read by `attr::root` below
            _ => dynamic = a.bool(&mut errors).is_none_or(|b| b.value),
        }
    }
    let root = attr::root(&parsed, &mut errors).unwrap_or_else(|| quote!(::lmms));
    let attr_span = Span::call_site();
    if interface.is_none() && !parsed.iter().any(|a| a.key == "interface") {
        errors.at(
            attr_span,
            "missing `interface = \"...\"`: the interface this operation belongs to",
        );
    }
    if op.is_none() && !parsed.iter().any(|a| a.key == "op") {
        errors.at(
            attr_span,
            "missing `op = \"...\"`: the operation's name within its interface",
        );
    }

    let sig = &func.sig;
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            "an operation cannot be generic: the gateway routes to exactly one function",
        );
    }
    if let Some(w) = &sig.generics.where_clause {
        errors.spanned(w, "an operation cannot have a where clause");
    }
    if let Some(c) = &sig.constness {
        errors.at(c.span, "an operation cannot be a `const fn`");
    }
    if let Safety::Unsafe(u) = &sig.safety {
        errors.at(u.span, "an operation cannot be an `unsafe fn`");
    }
    if let Some(abi) = &sig.abi {
        // The wrapper is a Rust function returning a `Result`: the ABI would be dropped.
        errors.at(
            abi.extern_token.span,
            format!(
                "an operation cannot have an ABI: the wrapper is a Rust function returning a `Result`, so `{abi}` would be lost; remove it, and call the operation from a separate `{abi} fn`",
                abi = quote!(#abi)
            ),
        );
    }
    if let Some(v) = &sig.variadic {
        errors.spanned(v, "an operation cannot be variadic");
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if let Type::ImplTrait(t) = peel(ty) {
            errors.spanned(t, "an operation cannot return `impl Trait`: name the type");
        }
    }

    // A `cfg` on one parameter would remove it from the user's body only: the wrapper, the
    // metadata, the JSON shim and the cache key list every parameter (E0061 inside the
    // expansion). Lint attributes stay on the body's parameters and are fine.
    for input in &sig.inputs {
        if let FnArg::Typed(pt) = input {
            for a in pt.attrs.iter().filter(|a| is_cfg(a)) {
                errors.spanned(
                    a,
                    "an operation's parameter cannot be conditional: put the `#[cfg(...)]` on the whole function, one version of it per configuration",
                );
            }
        }
    }

    let flatten = flatten_key.and_then(|key| crate::flatten::parts(&key, &sig.output, &mut errors));

    let mut inputs = sig.inputs.iter();
    // With a `module` key (even one whose value was rejected above) the first parameter is
    // the state: it is not checked as an argument, so one mistake gives one error.
    if parsed.iter().any(|a| a.key == "module") {
        match (inputs.next(), &module) {
            (None, Some(m)) => errors.spanned(
                m,
                format!(
                    "`module = {}` needs the module state as the first parameter, like `state: &{}`",
                    quote!(#m),
                    quote!(#m)
                ),
            ),
            (None, None) => {}
            (Some(FnArg::Receiver(r)), _) => errors.spanned(r, SELF_MSG),
            (Some(FnArg::Typed(pt)), Some(m)) => {
                if !matches!(peel(&pt.ty), Type::Reference(r) if r.mutability.is_none()) {
                    errors.spanned(
                        &pt.ty,
                        format!(
                            "the module state parameter must be a shared reference, `&{}`",
                            quote!(#m)
                        ),
                    );
                }
            }
            (Some(FnArg::Typed(_)), None) => {}
        }
    }
    let mut params = Vec::new();
    for input in inputs {
        match input {
            FnArg::Receiver(r) => errors.spanned(r, SELF_MSG),
            FnArg::Typed(pt) => {
                if let Type::ImplTrait(t) = peel(&pt.ty) {
                    errors.spanned(
                        t,
                        "an operation cannot take `impl Trait`: the gateway needs one concrete type",
                    );
                    continue;
                }
                if let Type::Reference(r) = peel(&pt.ty) {
                    if module.is_none() && params.is_empty() {
                        errors.spanned(
                            r,
                            "a reference parameter looks like module state: add `module = Type` to the attribute, or take the argument by value",
                        );
                    } else {
                        errors.spanned(
                            r,
                            "operation arguments are taken by value (they may come from JSON)",
                        );
                    }
                    continue;
                }
                // The same inside another type (`Option<&str>`, `Vec<impl Display>`): rustc
                // would report it deep in the expansion (serde's "not general enough", a
                // borrow escaping into the cache), naming neither the cause nor the fix.
                match crate::ty::inner(&pt.ty) {
                    Some(Inner::ImplTrait(span)) => {
                        errors.at(
                            span,
                            "an operation cannot take `impl Trait`, also inside another type: the gateway needs one concrete type",
                        );
                        continue;
                    }
                    Some(Inner::Reference(span) | Inner::Lifetime(span)) if cache_ttl_ms.is_some() => {
                        errors.at(
                            span,
                            "a cached operation's arguments are its cache key, kept after the call, so they cannot borrow: use an owned type (`String`, `Vec<T>`)",
                        );
                    }
                    Some(Inner::Reference(span)) if dynamic => errors.at(
                        span,
                        "operation arguments are taken by value (they may come from JSON), also inside another type: use an owned type (`String`, `Vec<T>`), or `dynamic = false` if the operation is never called by name",
                    ),
                    _ => {}
                }
                match &*pt.pat {
                    Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                        params.push((pi.ident.clone(), (*pt.ty).clone()))
                    }
                    other => errors.spanned(
                        other,
                        "operation parameters must be plain names (`city: String`)",
                    ),
                }
            }
        }
    }
    // The cache key is the tuple of the arguments; std implements `Hash` and `Eq` for
    // tuples of up to 12.
    if let (Some(_), Some((name, _))) = (cache_ttl_ms, params.get(MAX_CACHED_ARGS)) {
        errors.spanned(
            name,
            format!(
                "a cached operation takes at most {MAX_CACHED_ARGS} arguments (its cache key is their tuple): group some of them in a struct deriving `Hash, Eq, Clone`"
            ),
        );
    }
    errors.finish()?;
    // Both were checked above (missing, or an error already reported for a bad value).
    let (Some(interface), Some(op)) = (interface, op) else {
        return Err(syn::Error::new(
            attr_span,
            "`interface` and `op` are required",
        ));
    };
    Ok(Spec {
        interface,
        op,
        module,
        cache_ttl_ms,
        dynamic,
        flatten,
        func,
        params,
        root,
    })
}

/// Whether `attr` is written before the function (`#[...]`), not inside its body (`#![...]`).
pub(crate) fn is_outer(attr: &Attribute) -> bool {
    matches!(attr.style, AttrStyle::Outer)
}

/// Whether `attr` is `#[cfg(...)]` or `#[cfg_attr(...)]`.
pub(crate) fn is_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr")
}

/// Whether `attr` is (most likely) `#[lmms::operation]` again: `operation`, or a path
/// ending in `::operation`.
pub(crate) fn is_operation_attr(attr: &Attribute) -> bool {
    is_outer(attr)
        && attr
            .path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "operation")
}

/// `interface.op` of an operation attribute, as far as it says, for a message.
fn operation_name(attr: &Attribute) -> String {
    let Meta::List(list) = &attr.meta else {
        return "the other operation".into();
    };
    let parsed = attr::parse(list.tokens.clone(), KEYS, &mut Errors::default());
    let value = |key: &str| {
        parsed
            .iter()
            .find(|a| a.key == key)
            .and_then(|a| a.str(&mut Errors::default()))
            .map(|s| s.value())
    };
    match (value("interface"), value("op")) {
        (Some(i), Some(o)) => format!("`{i}.{o}`"),
        _ => "the other operation".into(),
    }
}

/// The user's body in its braces, with the inner attributes (`#![allow(...)]` at its top)
/// that syn keeps in `ItemFn::attrs`: they stay in the body, and only the outer ones go
/// on the wrapper (an inner attribute there would not compile).
pub(crate) fn body(func: &ItemFn) -> TokenStream {
    let mut tokens = TokenStream::new();
    func.block.brace_token.surround(&mut tokens, |t| {
        t.extend(
            func.attrs
                .iter()
                .filter(|a| !is_outer(a))
                .map(|a| a.to_token_stream()),
        );
        t.extend(func.block.stmts.iter().map(|s| s.to_token_stream()));
    });
    tokens
}
