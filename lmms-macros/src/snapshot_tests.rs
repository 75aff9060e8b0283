//! Snapshots of what the attributes expand to, pretty-printed. A change to an expansion
//! shows up as a reviewable diff in `src/snapshots/`; accept it with
//! `INSTA_UPDATE=always cargo test -p lmms-macros` after reading it.

use proc_macro2::TokenStream;
use quote::quote;

/// Checks the tokens parse as a file and pretty-prints them.
fn pretty(tokens: TokenStream) -> String {
    let file = syn::parse_file(&tokens.to_string())
        .unwrap_or_else(|e| panic!("does not parse as a file: {e}\n{tokens}"));
    prettyplease::unparse(&file)
}

/// Snapshots the annotated input followed by its expansion.
fn check(
    name: &str,
    attr: TokenStream,
    args: TokenStream,
    item: TokenStream,
    expand: fn(TokenStream, TokenStream) -> TokenStream,
) {
    let input = pretty(quote!(#[#attr(#args)] #item));
    let out = expand(args, item);
    assert!(
        !out.to_string().contains("compile_error"),
        "unexpected error: {out}"
    );
    let snapshot = format!("{input}\n// ---- expands to ----\n\n{}", pretty(out));
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!(name, snapshot);
    });
}

fn operation(name: &str, args: TokenStream, item: TokenStream) {
    check(
        name,
        quote!(lmms::operation),
        args,
        item,
        crate::operation::expand,
    );
}

fn module(name: &str, args: TokenStream, item: TokenStream) {
    check(
        name,
        quote!(lmms::module),
        args,
        item,
        crate::module::expand,
    );
}

#[test]
fn sync_operation_with_module() {
    operation(
        "sync_operation_with_module",
        quote!(interface = "weather", op = "forecast", module = Weather),
        quote! {
            /// The forecast for a city.
            pub fn forecast(w: &Weather, city: String, days: u8) -> String {
                w.lookup(&city, days)
            }
        },
    );
}

#[test]
fn async_operation_with_module() {
    operation(
        "async_operation_with_module",
        quote!(interface = "remote", op = "fetch", module = Remote),
        quote! {
            pub async fn fetch(r: &Remote, key: String) -> Option<String> {
                r.get(&key).await
            }
        },
    );
}

#[test]
fn stateless_operation() {
    operation(
        "stateless_operation",
        quote!(interface = "math", op = "add"),
        quote! {
            pub(crate) fn add(a: i64, b: i64) -> i64 {
                a + b
            }
        },
    );
}

#[test]
fn operation_not_dynamic() {
    operation(
        "operation_not_dynamic",
        quote!(interface = "local", op = "handle", dynamic = false),
        quote! {
            fn handle(n: u32) -> Handle {
                Handle::new(n)
            }
        },
    );
}

/// A cached operation returning `Result`: only the `Ok` value is cached (`CacheOk`), a hit
/// is rebuilt as `Ok`, and the cache is filled inside `run` while the module is held.
#[test]
fn cached_operation_returning_result() {
    operation(
        "cached_operation_returning_result",
        quote!(
            interface = "geo",
            op = "lookup",
            module = Geo,
            cache_ttl = "5m"
        ),
        quote! {
            pub fn lookup(g: &Geo, city: String, zoom: u8) -> Result<Place, GeoError> {
                g.find(&city, zoom)
            }
        },
    );
}

/// A cached async operation without a module, returning a plain value: the whole value is
/// cached, and the lookup comes before the call is entered.
#[test]
fn cached_async_stateless_operation() {
    operation(
        "cached_async_stateless_operation",
        quote!(interface = "rates", op = "convert", cache_ttl = "30s"),
        quote! {
            pub async fn convert(from: String, to: String) -> f64 {
                fetch_rate(&from, &to).await
            }
        },
    );
}

#[test]
fn module_with_default_keys() {
    module(
        "module_with_default_keys",
        quote!(),
        quote! {
            pub struct WeatherCore {
                stations: Vec<Station>,
            }
        },
    );
}

#[test]
fn module_with_name_policy_and_async_init() {
    module(
        "module_with_name_policy_and_async_init",
        quote!(name = "remote-store", policy = "feature", async_init),
        quote! {
            pub enum Remote {
                Connected(Client),
            }
        },
    );
}

/// `flatten = true` on a cached operation with a module: the call as without the key,
/// nested (`__lmms_nested`, which the dynamic shim calls, so a call by name answers as
/// before), and flattened by `E::from` through `flatten`, spanned on the user's `E`.
#[test]
fn flattened_cached_operation() {
    operation(
        "flattened_cached_operation",
        quote!(
            interface = "geo",
            op = "lookup",
            module = Geo,
            cache_ttl = "5m",
            flatten = true
        ),
        quote! {
            pub fn lookup(g: &Geo, city: String) -> Result<Place, GeoError> {
                g.find(&city)
            }
        },
    );
}

/// `flatten = true` on an async stateless operation returning `std::result::Result`.
#[test]
fn flattened_async_stateless_operation() {
    operation(
        "flattened_async_stateless_operation",
        quote!(interface = "rates", op = "convert", flatten = true),
        quote! {
            pub async fn convert(from: String, to: String) -> std::result::Result<f64, RateError> {
                fetch_rate(&from, &to).await
            }
        },
    );
}

/// With `crate = "..."`, no generated path names `::lmms`: a crate that depends on lmms
/// under another name, or reaches it through a re-export, expands to paths that exist.
#[test]
fn crate_path_replaces_every_lmms_path() {
    let krate = quote!(crate = "platform::runtime");
    let cases = [
        (
            quote!(interface = "w", op = "f", module = W, cache_ttl = "5s", #krate),
            quote!(
                pub fn f(w: &W, city: String) -> Result<String, String> {
                    Ok(city)
                }
            ),
        ),
        (
            quote!(interface = "w", op = "g", module = W, #krate),
            quote!(
                pub async fn g(w: &W, days: u8) -> u8 {
                    days
                }
            ),
        ),
        (
            quote!(interface = "w", op = "h", flatten = true, #krate),
            quote!(
                pub fn h(x: u8) -> Result<u8, MyError> {
                    Ok(x)
                }
            ),
        ),
    ];
    for (args, item) in cases {
        let out = crate::operation::expand(args, item).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(!out.contains(":: lmms ::"), "{out}");
        assert!(
            out.contains("platform :: runtime :: __private :: v1"),
            "{out}"
        );
    }
    let out = crate::module::expand(
        quote!(policy = "core", async_init, #krate),
        quote!(
            pub struct W;
        ),
    )
    .to_string();
    assert!(
        !out.contains("compile_error") && !out.contains(":: lmms ::"),
        "{out}"
    );
    assert!(
        out.contains("platform :: runtime :: Policy :: Core"),
        "{out}"
    );
    // Misused: one error at the value, and the stand-in names the given path too.
    let out = crate::operation::expand(
        quote!(interface = "w", op = "f", crate = "not a path", colour = 1),
        quote!(
            fn f() {}
        ),
    )
    .to_string();
    assert!(
        out.contains("`crate` takes the path to the lmms crate"),
        "{out}"
    );
    let out = crate::operation::expand(
        quote!(interface = "w", colour = 1, #krate),
        quote!(
            fn f() {}
        ),
    )
    .to_string();
    assert!(
        out.contains("platform :: runtime :: Error") && !out.contains(":: lmms ::"),
        "{out}"
    );
}
