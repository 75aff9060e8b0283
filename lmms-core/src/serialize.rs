//! Hand-written serde impls of the report types. The runtime depends on serde's traits
//! only (`serde_core`), so no build of it waits for serde's derive macro (and `syn`); the
//! macros below make the calls `#[derive(Serialize)]` makes, so the output is unchanged
//! (`tests/json_shapes.rs` pins it). Each type's impl sits beside the type.

/// `impl Serialize` for a struct, as `#[derive(Serialize)]` writes it: a struct of the
/// fields listed, which must be all of them, in declaration order (the destructuring
/// fails to compile when one is missing). With `$line without { .. }`, also a view of it
/// without those (its last) fields, serialized under the struct's name.
macro_rules! serialize_struct {
    ($ty:ident { $($field:ident),+ $(,)? }) => {
        impl serde_core::Serialize for $ty {
            fn serialize<S: serde_core::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                let $ty { $($field),+ } = self;
                serialize_struct!(@fields serializer, $ty, $($field),+)
            }
        }
    };
    ($ty:ident { $($field:ident),+ $(,)? } $line:ident without { $($tail:ident),+ $(,)? }) => {
        serialize_struct!($ty { $($field,)+ $($tail),+ });

        #[doc = concat!("[`", stringify!($ty), "`] without its trailing lists.")]
        pub(crate) struct $line<'a>(pub(crate) &'a $ty);

        impl serde_core::Serialize for $line<'_> {
            fn serialize<S: serde_core::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                let $ty { $($field,)+ $($tail: _),+ } = self.0;
                serialize_struct!(@fields serializer, $ty, $($field),+)
            }
        }
    };
    (@fields $serializer:ident, $ty:ident, $($field:ident),+) => {{
        use serde_core::ser::SerializeStruct;
        let len = [$(stringify!($field)),+].len();
        let mut state = $serializer.serialize_struct(stringify!($ty), len)?;
        $(state.serialize_field(stringify!($field), $field)?;)+
        state.end()
    }};
}

/// `impl Serialize` for an enum of unit variants, as `#[derive(Serialize)]` writes it:
/// each variant (all of them, the match is exhaustive) with its index and its spelling.
macro_rules! serialize_unit_enum {
    ($ty:ident { $($variant:ident => $index:literal $name:literal),+ $(,)? }) => {
        impl serde_core::Serialize for $ty {
            fn serialize<S: serde_core::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                let (index, name) = match self {
                    $($ty::$variant => ($index, $name)),+
                };
                serializer.serialize_unit_variant(stringify!($ty), index, name)
            }
        }
    };
}
