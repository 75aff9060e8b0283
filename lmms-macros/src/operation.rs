//! `#[lmms::operation(interface = "...", op = "...", module = Type, cache_ttl = "300s",
//! dynamic = false, flatten = true)]` on a free function.

use crate::attr::{self, Errors};
use crate::duration;
use crate::ty::{peel, Inner};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
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
    match parse(args.clone(), item.clone()).map(|spec| generate(&spec)) {
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
            for a in pt
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
            {
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
