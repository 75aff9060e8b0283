//! Looking at the shape of a type the user wrote.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::Type;

/// `ty` without the invisible group a `macro_rules!` `$t:ty` puts around it and without
/// parentheses (`(Result<u8, E>)`), however many there are: the checks on a type's shape
/// (a `Result`, a reference, an `impl Trait`) then see the type itself, as rustc does.
pub(crate) fn peel(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Group(g) => ty = &g.elem,
            Type::Paren(p) => ty = &p.elem,
            _ => return ty,
        }
    }
}

/// What a parameter's type holds, at any depth, that the top-level checks do not see.
#[derive(Debug)]
pub(crate) enum Inner {
    /// `impl Trait` (`Vec<impl Display>`): the function would be generic.
    ImplTrait(Span),
    /// A reference (`Option<&str>`).
    Reference(Span),
    /// A lifetime other than `'static` (`Cow<'_, str>`): the type borrows.
    Lifetime(Span),
}

/// The first `impl Trait` anywhere in `ty`, else its first borrow (a reference or a
/// lifetime other than `'static`), not counting the parameters of function types
/// (`fn(&str) -> u8`, `Box<dyn Fn(&str)>`), which borrow only for the call.
pub(crate) fn inner(ty: &Type) -> Option<Inner> {
    scan(ty.to_token_stream())
}

fn scan(tokens: TokenStream) -> Option<Inner> {
    let mut tokens = tokens.into_iter().peekable();
    let mut borrow = None;
    while let Some(token) = tokens.next() {
        let found = match &token {
            TokenTree::Ident(i) if i == "impl" => return Some(Inner::ImplTrait(i.span())),
            TokenTree::Ident(i) if ["fn", "Fn", "FnMut", "FnOnce"].iter().any(|f| i == f) => {
                if matches!(tokens.peek(), Some(TokenTree::Group(_))) {
                    tokens.next();
                }
                None
            }
            TokenTree::Punct(p) if p.as_char() == '&' => Some(Inner::Reference(p.span())),
            TokenTree::Punct(p) if p.as_char() == '\'' => match tokens.peek() {
                Some(TokenTree::Ident(l)) if l != "static" => Some(Inner::Lifetime(l.span())),
                _ => None,
            },
            TokenTree::Group(g) => match scan(g.stream()) {
                Some(Inner::ImplTrait(span)) => return Some(Inner::ImplTrait(span)),
                other => other,
            },
            _ => None,
        };
        if borrow.is_none() {
            borrow = found;
        }
    }
    borrow
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn of(ty: TokenStream) -> Option<&'static str> {
        let ty: Type = syn::parse2(ty).unwrap();
        inner(&ty).map(|i| match i {
            Inner::ImplTrait(_) => "impl",
            Inner::Reference(_) => "ref",
            Inner::Lifetime(_) => "lifetime",
        })
    }

    #[test]
    fn finds_what_a_type_holds_at_any_depth() {
        assert_eq!(of(quote!(Option<&str>)), Some("ref"));
        assert_eq!(of(quote!(Vec<(u8, &'static [u8])>)), Some("ref"));
        assert_eq!(of(quote!(Cow<'_, str>)), Some("lifetime"));
        assert_eq!(of(quote!(Vec<impl Display>)), Some("impl"));
        assert_eq!(
            of(quote!(HashMap<&str, Vec<impl Display>>)),
            Some("impl"),
            "impl wins"
        );
        assert_eq!(of(quote!(Cow<'static, str>)), None);
        assert_eq!(of(quote!(Vec<Option<String>>)), None);
        assert_eq!(
            of(quote!(fn(&str) -> u8)),
            None,
            "a function type's parameters"
        );
        assert_eq!(of(quote!(Box<dyn Fn(&str) -> bool + Send>)), None);
        assert_eq!(of(quote!([u8; 4])), None);
    }
}
