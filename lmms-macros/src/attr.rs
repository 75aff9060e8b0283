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
pub(crate) fn parse(args: TokenStream, known: &[&str], errors: &mut Errors) -> Vec<Arg> {
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args) {
        Ok(m) => m,
        Err(e) => {
            errors.push(e);
            return Vec::new();
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

    /// A bare flag (`async_init`), or `flag = true/false`.
    pub fn flag(&self, errors: &mut Errors) -> bool {
        match &self.value {
            None => true,
            Some(_) => self.bool(errors).is_some_and(|b| b.value),
        }
    }
}

/// Identifier that is a valid name in snake case (for module and operation names).
pub(crate) fn check_name(lit: &LitStr, what: &str, errors: &mut Errors) {
    let v = lit.value();
    if v.is_empty()
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.at(
            lit.span(),
            format!("{what} must be a non-empty name of letters, digits, `_` or `-`, got {v:?}"),
        );
    }
}
