//! Looking at the shape of a type the user wrote.

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
