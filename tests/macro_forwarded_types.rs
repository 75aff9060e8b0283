//! Types handed to `#[lmms::operation]` by a `macro_rules!` `$t:ty` (which arrive wrapped
//! in an invisible group) or written in parentheses are seen as the types they are: a
//! cached `Result` caches only its `Ok` values, a `&State` is the module state and a
//! `Result` can be flattened.
#![allow(unused_parens)]

use lmms::{Init, InitError};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// A cached operation whose first call fails and later calls succeed, its return type
/// `$r` passed through `macro_rules!`.
macro_rules! fails_once {
    ($name:ident, $op:literal, $runs:ident, $r:ty) => {
        static $runs: AtomicUsize = AtomicUsize::new(0);
        #[lmms::operation(interface = "fwd", op = $op, cache_ttl = "1h")]
        pub fn $name(a: u8) -> $r {
            if $runs.fetch_add(1, SeqCst) == 0 {
                Err(format!("first call with {a}"))
            } else {
                Ok(a)
            }
        }
    };
}

fails_once!(forwarded, "forwarded", FORWARDED_RUNS, Result<u8, String>);

static PAREN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[lmms::operation(interface = "fwd", op = "paren", cache_ttl = "1h")]
pub fn paren(a: u8) -> (Result<u8, String>) {
    if PAREN_RUNS.fetch_add(1, SeqCst) == 0 {
        Err(format!("first call with {a}"))
    } else {
        Ok(a)
    }
}

/// The `Err` of the first call is returned, not stored; the `Ok` of the second is stored
/// and served by the third without running the body.
fn errors_are_not_cached(
    call: fn(u8) -> Result<Result<u8, String>, lmms::Error>,
    runs: &AtomicUsize,
) {
    assert_eq!(call(7).unwrap(), Err("first call with 7".to_string()));
    assert_eq!(
        call(7).unwrap(),
        Ok(7),
        "the error was served from the cache"
    );
    assert_eq!(runs.load(SeqCst), 2);
    assert_eq!(call(7).unwrap(), Ok(7));
    assert_eq!(runs.load(SeqCst), 2, "the `Ok` value is cached");
}

#[test]
fn a_forwarded_result_caches_only_ok() {
    errors_are_not_cached(forwarded, &FORWARDED_RUNS);
}

#[test]
fn a_parenthesized_result_caches_only_ok() {
    errors_are_not_cached(paren, &PAREN_RUNS);
}

#[lmms::module(name = "fwd_state")]
pub struct FwdState(u8);

impl Init for FwdState {
    fn init() -> Result<Self, InitError> {
        Ok(FwdState(40))
    }
}

/// The state parameter's type `$st` (`&FwdState`) and, with `flatten`, the return type
/// `$r` passed through `macro_rules!`.
macro_rules! with_state {
    ($name:ident, $flat:ident, $st:ty, $r:ty) => {
        #[lmms::operation(interface = "fwd", op = "state", module = FwdState)]
        pub fn $name(s: $st, a: u8) -> u8 {
            s.0 + a
        }

        #[lmms::operation(interface = "fwd", op = "flat", module = FwdState, flatten = true, dynamic = false)]
        pub fn $flat(s: $st, a: u8) -> $r {
            s.0.checked_add(a).ok_or_else(|| Overflow(None))
        }
    };
}

#[derive(Debug)]
pub struct Overflow(Option<lmms::Error>);

impl From<lmms::Error> for Overflow {
    fn from(e: lmms::Error) -> Self {
        Overflow(Some(e))
    }
}

with_state!(add, flat_add, &FwdState, Result<u8, Overflow>);

#[test]
fn a_forwarded_state_reference_and_flattened_result() {
    assert_eq!(add(2).unwrap(), 42);
    assert_eq!(flat_add(2).unwrap(), 42);
    assert!(matches!(flat_add(250), Err(Overflow(None))));
}
