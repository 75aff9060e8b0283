//! `#[lmms::module(name = "...", policy = "...", async_init)]` on a struct or enum.

use crate::attr::{self, Errors};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Item, LitStr};

const KEYS: &[&str] = &["name", "policy", "async_init"];

/// Expands the attribute; on error, the item unchanged plus the errors.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(args, item.clone()) {
        Ok(ts) => ts,
        Err(e) => {
            let err = e.to_compile_error();
            quote!(#item #err)
        }
    }
}

fn try_expand(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let parsed = attr::parse(args, KEYS, &mut errors);
    let item: Item = syn::parse2(item)?;
    let (ident, generics) = match &item {
        Item::Struct(s) => (&s.ident, &s.generics),
        Item::Enum(e) => (&e.ident, &e.generics),
        other => {
            return Err(syn::Error::new(
                item_span(other),
                "#[lmms::module] goes on a struct or an enum that holds the module's state",
            ))
        }
    };
    if !generics.params.is_empty() {
        errors.at(
            generics.span(),
            "a module cannot be generic: the gateway holds exactly one value of it",
        );
    }
    let mut name = LitStr::new(&snake_case(&ident.to_string()), ident.span());
    let mut policy = quote!(Utility);
    let mut is_async = false;
    for a in &parsed {
        match a.key.to_string().as_str() {
            "name" => {
                if let Some(s) = a.str(&mut errors) {
                    attr::check_name(&s, "a module name", &mut errors);
                    name = s;
                }
            }
            "policy" => {
                if let Some(s) = a.str(&mut errors) {
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
            _ => is_async = a.flag(&mut errors),
        }
    }
    errors.finish()?;

    let p = quote!(::lmms::__private::v1);
    let builder = if is_async {
        quote_spanned!(ident.span()=> #p::Builder::Async(|| #p::box_init(<#ident as ::lmms::AsyncInit>::init())))
    } else {
        quote_spanned!(ident.span()=> #p::Builder::Sync(<#ident as ::lmms::Init>::init))
    };
    let module_impl = quote_spanned!(ident.span()=> impl #p::Module for #ident);
    Ok(quote! {
        #item

        const _: () = {
            static CELL: #p::ModuleCell<#ident> = #p::ModuleCell::new();

            #module_impl {
                const NAME: &'static str = #name;
                const POLICY: ::lmms::Policy = ::lmms::Policy::#policy;
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
    })
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
        // The item is still emitted, so the rest of the crate keeps compiling.
        assert!(out.contains("struct S"), "{out}");
    }
}
