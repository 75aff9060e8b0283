//! Parsing `key = value` attribute arguments, with every error spanned on its token and
//! all errors of one attribute reported together.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitBool, LitStr, Meta, Path, Token};

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(e) => e.combine(err),
            None => self.0 = Some(err),
        }
    }

    pub fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// An error underlining all of `tokens` (from the first token to the last, also on
    /// stable Rust where spans cannot be joined).
    pub fn spanned(&mut self, tokens: impl quote::ToTokens, msg: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }

    pub fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// One `key = value` or bare `key` argument.
pub(crate) struct Arg {
    pub key: syn::Ident,
    pub value: Option<Expr>,
    pub span: Span,
}

/// Parses the attribute's arguments; keys not in `known` and repeated keys are errors.
///
/// A slip in the list's syntax (a missing comma, a stray token) is one error, and the
/// arguments around it are still read ([`recover`]): otherwise every key would look
/// missing, and each check that depends on one (`module = T`, `async_init`) would report
/// an error of its own.
pub(crate) fn parse(args: TokenStream, known: &[&str], errors: &mut Errors) -> Vec<Arg> {
    let metas: Vec<Meta> =
        match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args.clone()) {
            Ok(m) => m.into_iter().collect(),
            Err(e) => {
                errors.push(e);
                recover.parse2(args).unwrap_or_default()
            }
        };
    let mut out: Vec<Arg> = Vec::new();
    for meta in metas {
        let (path, value) = match meta {
            Meta::Path(p) => (p, None),
            Meta::NameValue(nv) => (nv.path, Some(nv.value)),
            Meta::List(l) => {
                errors.at(
                    l.delimiter.span().open(),
                    "expected `key = value`, not a list",
                );
                continue;
            }
        };
        let Some(key) = path.get_ident().cloned() else {
            errors.at(path.span(), "expected a plain key such as `interface`");
            continue;
        };
        let name = key.to_string();
        if !known.contains(&name.as_str()) {
            errors.at(
                key.span(),
                format!(
                    "unknown key `{name}`; expected one of: {}",
                    known.join(", ")
                ),
            );
            continue;
        }
        if out.iter().any(|a| a.key == key) {
            errors.at(key.span(), format!("duplicate key `{name}`"));
            continue;
        }
        let span = key.span();
        out.push(Arg { key, value, span });
    }
    out
}

/// Every `key`, `key = value` or `key(...)` that parses, skipping the tokens that do not
/// and treating commas as optional: `interface = "m" op = "f"` gives both keys.
fn recover(input: syn::parse::ParseStream) -> syn::Result<Vec<Meta>> {
    use syn::parse::discouraged::Speculative;
    let mut out = Vec::new();
    while !input.is_empty() {
        let fork = input.fork();
        match fork.parse::<Meta>() {
            Ok(meta) => {
                input.advance_to(&fork);
                out.push(meta);
            }
            Err(_) => {
                input.parse::<proc_macro2::TokenTree>()?;
            }
        }
        let _ = input.parse::<Option<Token![,]>>()?;
    }
    Ok(out)
}

impl Arg {
    fn value_or_err(&self, what: &str, errors: &mut Errors) -> Option<&Expr> {
        if self.value.is_none() {
            errors.at(
                self.span,
                format!("`{}` needs a value: `{} = {what}`", self.key, self.key),
            );
        }
        let mut value = self.value.as_ref();
        // `macro_rules!` wraps a forwarded `$x:literal` / `$x:expr` in an invisible group.
        while let Some(Expr::Group(g)) = value {
            value = Some(&*g.expr);
        }
        value
    }

    /// The value as a string literal.
    pub fn str(&self, errors: &mut Errors) -> Option<LitStr> {
        match self.value_or_err("\"...\"", errors)? {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.clone()),
            other => {
                errors.at(
                    other.span(),
                    format!(
                        "`{}` takes a string literal, like `{} = \"...\"`",
                        self.key, self.key
                    ),
                );
                None
            }
        }
    }

    /// The value as a boolean literal.
    pub fn bool(&self, errors: &mut Errors) -> Option<LitBool> {
        match self.value_or_err("true", errors)? {
            Expr::Lit(ExprLit {
                lit: Lit::Bool(b), ..
            }) => Some(b.clone()),
            other => {
                errors.at(
                    other.span(),
                    format!("`{}` takes `true` or `false`", self.key),
                );
                None
            }
        }
    }

    /// The value as a type path (`module = Weather`).
    pub fn path(&self, errors: &mut Errors) -> Option<Path> {
        match self.value_or_err("Type", errors)? {
            Expr::Path(p) if p.qself.is_none() => Some(p.path.clone()),
            other => {
                errors.at(
                    other.span(),
                    format!(
                        "`{}` takes the module's type, like `{} = Weather`",
                        self.key, self.key
                    ),
                );
                None
            }
        }
    }

    /// The value as a path to the `lmms` crate in a string (`crate = "platform::lmms"`),
    /// for a crate that depends on lmms under another name or through a re-export.
    pub fn crate_path(&self, errors: &mut Errors) -> Option<TokenStream> {
        let s = self.str(errors)?;
        match s.parse::<Path>() {
            Ok(path) => Some(quote::quote_spanned!(s.span()=> #path)),
            Err(_) => {
                errors.at(
                    s.span(),
                    "`crate` takes the path to the lmms crate as a string, like `crate = \"platform::lmms\"`",
                );
                None
            }
        }
    }

    /// A bare flag (`async_init`), or `flag = true/false`; `None` when the value was
    /// rejected.
    pub fn flag(&self, errors: &mut Errors) -> Option<bool> {
        match &self.value {
            None => Some(true),
            Some(_) => self.bool(errors).map(|b| b.value),
        }
    }
}

/// The path to the `lmms` crate given by `crate = "..."`, if any and valid (generated code
/// names `::lmms` otherwise).
pub(crate) fn root(parsed: &[Arg], errors: &mut Errors) -> Option<TokenStream> {
    let arg = parsed.iter().find(|a| a.key == "crate")?;
    arg.crate_path(errors)
}

/// What a module, interface or operation name may hold, for the messages.
pub(crate) const NAME_RULE: &str = "ASCII letters, digits, `_` or `-`";

/// Whether `name` is a valid module, interface or operation name: non-empty, of
/// [`NAME_RULE`]. ASCII only: names are typed into `execute` calls, JSON requests and
/// logs, where two spellings of one accented letter would look the same and differ.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reports `lit` unless it is a valid name (see [`is_valid_name`]).
pub(crate) fn check_name(lit: &LitStr, what: &str, errors: &mut Errors) {
    let v = lit.value();
    if !is_valid_name(&v) {
        errors.at(
            lit.span(),
            format!("{what} must be a non-empty name of {NAME_RULE}, got {v:?}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::{Delimiter, Group, Literal, TokenTree};
    use quote::quote;

    const KEYS: &[&str] = &["interface", "op", "dynamic", "async_init"];

    /// Parses `args`; returns the keys kept and every error message, in order.
    fn run(args: TokenStream) -> (Vec<String>, Vec<String>) {
        let mut errors = Errors::default();
        let parsed = parse(args, KEYS, &mut errors);
        let keys = parsed.iter().map(|a| a.key.to_string()).collect();
        (keys, messages(errors))
    }

    fn messages(errors: Errors) -> Vec<String> {
        match errors.finish() {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn known_keys_are_kept_in_order() {
        let (keys, errs) = run(quote!(op = "b", interface = "a", async_init));
        assert_eq!(keys, ["op", "interface", "async_init"]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(run(quote!()), (vec![], vec![]));
        assert_eq!(run(quote!(op = "b",)).0, ["op"], "a trailing comma is fine");
    }

    #[test]
    fn every_bad_key_is_reported_and_skipped() {
        let (keys, errs) = run(quote!(
            colour = "red",
            op = "a",
            op = "b",
            a::b = 1,
            interface(x),
            dynamic = false
        ));
        assert_eq!(keys, ["op", "dynamic"]);
        assert_eq!(
            errs,
            [
                "unknown key `colour`; expected one of: interface, op, dynamic, async_init",
                "duplicate key `op`",
                "expected a plain key such as `interface`",
                "expected `key = value`, not a list",
            ]
        );
    }

    #[test]
    fn unparsable_arguments_are_one_error() {
        let (keys, errs) = run(quote!(op = ));
        assert!(keys.is_empty());
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    #[test]
    fn a_syntax_slip_is_one_error_and_the_keys_around_it_are_read() {
        let (keys, errs) = run(quote!(interface = "m" op = "f", dynamic = false));
        assert_eq!(keys, ["interface", "op", "dynamic"]);
        assert_eq!(errs, ["expected `,`"]);
        let (keys, errs) = run(quote!(async_init op = "f"));
        assert_eq!(keys, ["async_init", "op"]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        let (keys, errs) = run(quote!(op = "f"; + dynamic = true));
        assert_eq!(keys, ["op", "dynamic"]);
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    /// The first argument of `args`, parsed with no error.
    fn arg(args: TokenStream) -> Arg {
        let mut errors = Errors::default();
        let mut parsed = parse(args, KEYS, &mut errors);
        assert!(messages(errors).is_empty());
        parsed.remove(0)
    }

    #[test]
    fn values_of_the_right_type() {
        let mut errors = Errors::default();
        let s = arg(quote!(op = "forecast")).str(&mut errors).unwrap();
        assert_eq!(s.value(), "forecast");
        assert!(
            !arg(quote!(dynamic = false))
                .bool(&mut errors)
                .unwrap()
                .value
        );
        let p = arg(quote!(op = crate::Weather)).path(&mut errors).unwrap();
        assert_eq!(quote!(#p).to_string(), "crate :: Weather");
        assert_eq!(arg(quote!(async_init)).flag(&mut errors), Some(true));
        assert_eq!(arg(quote!(async_init = true)).flag(&mut errors), Some(true));
        assert_eq!(
            arg(quote!(async_init = false)).flag(&mut errors),
            Some(false)
        );
        assert!(messages(errors).is_empty());
    }

    #[test]
    fn values_of_the_wrong_type() {
        let mut errors = Errors::default();
        assert!(arg(quote!(op = 3)).str(&mut errors).is_none());
        assert!(arg(quote!(dynamic = "no")).bool(&mut errors).is_none());
        assert!(arg(quote!(op = "Weather")).path(&mut errors).is_none());
        assert!(arg(quote!(op = <T as X>::Y)).path(&mut errors).is_none());
        assert_eq!(arg(quote!(async_init = 1)).flag(&mut errors), None);
        assert!(arg(quote!(op)).str(&mut errors).is_none());
        assert_eq!(
            messages(errors),
            [
                "`op` takes a string literal, like `op = \"...\"`",
                "`dynamic` takes `true` or `false`",
                "`op` takes the module's type, like `op = Weather`",
                "`op` takes the module's type, like `op = Weather`",
                "`async_init` takes `true` or `false`",
                "`op` needs a value: `op = \"...\"`",
            ]
        );
    }

    #[test]
    fn values_forwarded_by_macro_rules_are_unwrapped() {
        // `$x:literal` arrives wrapped in an invisible group.
        let lit = TokenTree::Literal(Literal::string("forecast"));
        let group = Group::new(Delimiter::None, lit.into());
        let mut errors = Errors::default();
        let s = arg(quote!(op = #group)).str(&mut errors).unwrap();
        assert_eq!(s.value(), "forecast");
        assert!(messages(errors).is_empty());
    }

    #[test]
    fn names() {
        let mut errors = Errors::default();
        for ok in ["weather", "weather_core", "reports-v2", "A1"] {
            check_name(&LitStr::new(ok, Span::call_site()), "a name", &mut errors);
        }
        assert!(messages(errors).is_empty());
        let mut errors = Errors::default();
        for bad in ["", "two words", "dot.ted", "émoji"] {
            check_name(&LitStr::new(bad, Span::call_site()), "a name", &mut errors);
        }
        let errs = messages(errors);
        assert_eq!(errs.len(), 4, "{errs:?}");
        assert_eq!(
            errs[1],
            "a name must be a non-empty name of ASCII letters, digits, `_` or `-`, got \"two words\""
        );
    }

    /// The message says ASCII, and means it: letters and digits of other scripts, and an
    /// accent written as a combining mark, are refused like punctuation.
    #[test]
    fn names_are_ascii() {
        for bad in ["météo", "e\u{301}t\u{e9}", "天气", "٣", "ß", "Ⅻ"] {
            assert!(!is_valid_name(bad), "{bad:?}");
            let mut errors = Errors::default();
            check_name(&LitStr::new(bad, Span::call_site()), "a name", &mut errors);
            let errs = messages(errors);
            assert_eq!(errs.len(), 1, "{bad:?}");
            assert!(errs[0].contains("ASCII letters"), "{errs:?}");
        }
        assert!(is_valid_name("Meteo-2_x"));
    }
}
