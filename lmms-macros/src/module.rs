//! `#[lmms::module(name = "...", policy = "...", async_init)]` on a struct or enum.

use crate::attr::{self, Errors};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Item, LitStr};

const KEYS: &[&str] = &["name", "policy", "async_init", "crate"];

/// Expands the attribute. On error, the errors plus the item; when the item is a plain
/// struct or enum, also its `Module` impl with the default for each rejected value, so the
/// operations that name the module do not report it as "not a module" as well.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let out = expand_into(args, item, &mut errors);
    match errors.finish() {
        Ok(()) => out,
        Err(e) => {
            let err = e.to_compile_error();
            quote!(#out #err)
        }
    }
}

/// The item and, unless it cannot have one, its `Module` impl; mistakes go to `errors`.
fn expand_into(args: TokenStream, item_tokens: TokenStream, errors: &mut Errors) -> TokenStream {
    let parsed = attr::parse(args, KEYS, errors);
    let item: Item = match syn::parse2(item_tokens.clone()) {
        Ok(item) => item,
        Err(e) => {
            errors.push(e);
            return item_tokens;
        }
    };
    let (ident, generics) = match &item {
        Item::Struct(s) => (&s.ident, &s.generics),
        Item::Enum(e) => (&e.ident, &e.generics),
        other => {
            errors.at(
                item_span(other),
                "#[lmms::module] goes on a struct or an enum that holds the module's state",
            );
            return item_tokens;
        }
    };
    // `r#Foo` is named `foo`.
    let mut name = LitStr::new(&snake_case(&ident.unraw().to_string()), ident.span());
    let mut policy = quote!(Utility);
    // `None`: the `async_init` value was rejected, so neither init trait is required.
    let mut is_async = Some(false);
    for a in &parsed {
        match a.key.to_string().as_str() {
            "name" => {
                if let Some(s) = a.str(errors) {
                    attr::check_name(&s, "a module name", errors);
                    name = s;
                }
            }
            "policy" => {
                if let Some(s) = a.str(errors) {
                    policy = match s.value().as_str() {
                        "core" => quote!(Core),
                        "utility" => quote!(Utility),
                        "feature" => quote!(Feature),
                        other => {
                            errors.at(s.span(), format!("unknown policy {other:?}; expected \"core\", \"utility\" or \"feature\""));
                            continue;
                        }
                    };
                }
            }
            "crate" => {} // read by `attr::root` below
            _ => is_async = a.flag(errors),
        }
    }
    let root = attr::root(&parsed, errors);
    if !parsed.iter().any(|a| a.key == "name") && !attr::is_valid_name(&name.value()) {
        // Rust allows non-ASCII type names; module names are ASCII (see `attr::NAME_RULE`).
        errors.at(
            ident.span(),
            format!(
                "the module name defaults to the type name in snake case, {:?}, which is not a name of {}: set one with `name = \"...\"`",
                name.value(),
                attr::NAME_RULE
            ),
        );
    }
    if !generics.params.is_empty() {
        // `impl Module for Name` would be one more error (missing generics): item alone.
        errors.at(
            generics.span(),
            "a module cannot be generic: the gateway holds exactly one value of it",
        );
        return item_tokens;
    }

    let lmms = root.clone().unwrap_or_else(|| quote!(::lmms));
    let p = quote!(#lmms::__private::v1);
    // The whole path spanned at the name: a missing `Init` is reported there.
    let lmms_at_name = root.unwrap_or_else(|| quote_spanned!(ident.span()=> ::lmms));
    let builder = match is_async {
        Some(true) => {
            quote_spanned!(ident.span()=> #lmms_at_name::__private::v1::Builder::<#ident>::asynchronous())
        }
        Some(false) => {
            quote_spanned!(ident.span()=> #lmms_at_name::__private::v1::Builder::<#ident>::blocking())
        }
        // Never runs: this is emitted only next to a `compile_error!`.
        None => quote!(#p::Builder::unbuildable()),
    };
    let module_impl = quote_spanned!(ident.span()=> impl #p::Module for #ident);
    quote! {
        #item

        const _: () = {
            // Through `module_cell`, which asks only `#ident: Module`: a state that is not
            // `Send + Sync` is reported once, at the `Module` impl below.
            static CELL: #p::ModuleCell<#ident> = #p::module_cell::<#ident>();

            #module_impl {
                const NAME: &'static str = #name;
                const POLICY: #lmms::Policy = #lmms::Policy::#policy;
                const FILE: &'static str = ::core::file!();
                const LINE: u32 = ::core::line!();

                fn builder() -> #p::Builder<Self> {
                    #builder
                }

                #[inline(always)]
                fn cell() -> &'static #p::ModuleCell<Self> {
                    &CELL
                }
            }

            #p::inventory::submit! {
                #p::ModuleEntry(&CELL)
            }
        };
    }
}

fn item_span(item: &Item) -> proc_macro2::Span {
    match item {
        Item::Fn(f) => f.sig.fn_token.span,
        Item::Impl(i) => i.impl_token.span,
        Item::Trait(t) => t.trait_token.span,
        Item::Union(u) => u.union_token.span,
        other => other.span(),
    }
}

/// `WeatherCore` → `weather_core`, `HTTPClient` → `http_client`.
pub(crate) fn snake_case(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_uppercase())) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake() {
        assert_eq!(snake_case("Weather"), "weather");
        assert_eq!(snake_case("WeatherCore"), "weather_core");
        assert_eq!(snake_case("HTTPClient"), "http_client");
        assert_eq!(snake_case("Cache2Core"), "cache2_core");
    }

    #[test]
    fn errors_are_combined() {
        let out = expand(
            quote!(name = 3, policy = "hot", color = "red"),
            quote!(
                struct S;
            ),
        )
        .to_string();
        assert!(out.contains("takes a string literal"), "{out}");
        assert!(out.contains("unknown policy"), "{out}");
        assert!(out.contains("unknown key `color`"), "{out}");
        // The item is still emitted, so the rest of the crate keeps compiling, and so is
        // its `Module` impl, so the operations of the module do not fail as well.
        assert!(out.contains("struct S"), "{out}");
        assert!(out.contains("Module for S"), "{out}");
        assert!(
            out.contains("Policy :: Utility"),
            "the default policy: {out}"
        );
    }

    #[test]
    fn a_rejected_async_init_requires_neither_init_trait() {
        let out = expand(
            quote!(async_init = "yes"),
            quote!(
                struct S;
            ),
        )
        .to_string();
        assert!(
            out.contains("`async_init` takes `true` or `false`"),
            "{out}"
        );
        assert!(out.contains("Module for S"), "{out}");
        assert!(!out.contains("Init"), "{out}");
    }

    #[test]
    fn a_generic_module_gets_no_impl() {
        let out = expand(
            quote!(),
            quote!(
                struct S<T>(T);
            ),
        )
        .to_string();
        assert!(out.contains("cannot be generic"), "{out}");
        assert!(!out.contains("Module for"), "{out}");
    }
}
