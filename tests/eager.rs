//! `LAZY_LOADING_ENABLED=false` (here through the builder): every module is built when the
//! gateway starts — the traditional baseline.

use lmms::{Config, Init, InitError};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

static BUILDS: AtomicUsize = AtomicUsize::new(0);

macro_rules! module {
    ($ty:ident, $name:literal) => {
        #[lmms::module(name = $name)]
        pub struct $ty;
        impl Init for $ty {
            fn init() -> Result<Self, InitError> {
                BUILDS.fetch_add(1, SeqCst);
                Ok($ty)
            }
        }
        #[lmms::operation(interface = $name, op = "get", module = $ty)]
        pub fn get(_m: &$ty) -> &'static str {
            $name
        }
    };
}

mod a {
    use super::*;
    module!(A, "a");
}
mod b {
    use super::*;
    module!(B, "b");
}
mod c {
    use super::*;
    module!(C, "c");
}

#[test]
fn eager_mode_builds_every_module_at_start() {
    lmms::configure(Config::builder().lazy_loading(false).build().unwrap()).unwrap();
    assert_eq!(BUILDS.load(SeqCst), 0, "configure builds nothing");
    let gw = lmms::gateway();
    assert_eq!(BUILDS.load(SeqCst), 3);
    assert!(gw.modules().iter().all(|m| m.resident));
    assert_eq!(a::get().unwrap(), "a");
    assert_eq!(BUILDS.load(SeqCst), 3);
    // And `configure` after start is an error.
    let err = lmms::configure(Config::default()).unwrap_err();
    assert!(matches!(err, lmms::Error::Config(_)), "{err}");
}
