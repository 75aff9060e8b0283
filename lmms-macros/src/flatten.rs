//! `flatten = true`: which return types it takes. (The wrapper it gives is in
//! `wrapper::generate`: the call nested as without the key, then `flatten::<_, E>`.)

use crate::attr::Errors;
use syn::{GenericArgument, LitBool, PathArguments, ReturnType, Type};

/// The `T` and `E` of the return type for `flatten = true` (`key`), or an error at the
/// return type (at `key` when there is none).
pub(crate) fn parts(
    key: &LitBool,
    output: &ReturnType,
    errors: &mut Errors,
) -> Option<(Type, Type)> {
    match output {
        ReturnType::Type(_, ty) => match result_parts(ty) {
            Some((t, e)) => Some((t.clone(), e.clone())),
            None => {
                errors.spanned(ty, MSG);
                None
            }
        },
        ReturnType::Default => {
            errors.at(key.span, MSG);
            None
        }
    }
}

const MSG: &str = "`flatten = true` needs a return type `Result<T, E>`: the wrapper then returns `Result<T, E>`, with lmms errors converted by `E::from`; return a `Result`, or remove `flatten = true`";

/// The `T` and `E` of a type written `Result<T, E>`, `std::result::Result<T, E>` or
/// `core::result::Result<T, E>` (an alias cannot be seen through: its arguments may mean
/// anything). A `macro_rules!` `$t:ty` or parentheses around it are seen through.
pub(crate) fn result_parts(ty: &Type) -> Option<(&Type, &Type)> {
    let Type::Path(tp) = crate::ty::peel(ty) else {
        return None;
    };
    if tp.qself.is_some() {
        return None;
    }
    let names: Vec<String> = tp
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let plain = tp.path.leading_colon.is_none() && names == ["Result"];
    let full = matches!(
        names.iter().map(String::as_str).collect::<Vec<_>>()[..],
        ["std" | "core", "result", "Result"]
    );
    if !(plain || full)
        || tp
            .path
            .segments
            .iter()
            .rev()
            .skip(1)
            .any(|s| !s.arguments.is_none())
    {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &tp.path.segments.last()?.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [GenericArgument::Type(t), GenericArgument::Type(e)] => Some((t, e)),
        _ => None,
    }
}
