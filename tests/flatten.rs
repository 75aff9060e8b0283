//! `flatten = true`: an operation declared `-> Result<T, E>` whose `E` can hold an
//! `lmms::Error` returns `Result<T, E>` itself, so a call site needs one `?`; the
//! gateway's own errors arrive converted by `E::from`. Sync, async, stateless, with a
//! module, cached (only `Ok` values) and by name (`execute` keeps the nested form's JSON).

use lmms::{Init, InitError};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// The application's error, written by hand (no thiserror): it holds lmms's own.
#[derive(Debug)]
pub enum AppError {
    Lmms(lmms::Error),
    Negative(i64),
}

impl From<lmms::Error> for AppError {
    fn from(e: lmms::Error) -> Self {
        AppError::Lmms(e)
    }
}

/// By name, the error goes out as its text.
impl serde::Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AppError::Lmms(e) => s.serialize_str(&e.to_string()),
            AppError::Negative(n) => s.serialize_str(&format!("{n} is negative")),
        }
    }
}

#[lmms::module(name = "flat_roots")]
pub struct Roots;

impl Init for Roots {
    fn init() -> Result<Self, InitError> {
        Ok(Roots)
    }
}

#[lmms::operation(interface = "flat", op = "sqrt", module = Roots, flatten = true)]
pub fn sqrt(_r: &Roots, n: i64) -> Result<u32, AppError> {
    if n < 0 {
        return Err(AppError::Negative(n));
    }
    Ok((n as f64).sqrt() as u32)
}

#[lmms::operation(interface = "flat", op = "sqrt_async", module = Roots, flatten = true)]
pub async fn sqrt_async(r: &Roots, n: i64) -> std::result::Result<u32, AppError> {
    sqrt_body(r, n)
}

fn sqrt_body(_r: &Roots, n: i64) -> Result<u32, AppError> {
    if n < 0 {
        return Err(AppError::Negative(n));
    }
    Ok((n as f64).sqrt() as u32)
}

#[lmms::operation(interface = "flat", op = "half", flatten = true)]
pub async fn half(n: i64) -> core::result::Result<i64, AppError> {
    if n < 0 {
        Err(AppError::Negative(n))
    } else {
        Ok(n / 2)
    }
}

/// A module whose build fails: every call is a gateway error.
#[lmms::module(name = "flat_broken")]
pub struct Broken;

impl Init for Broken {
    fn init() -> Result<Self, InitError> {
        Err("no backend".into())
    }
}

#[lmms::operation(interface = "flat", op = "broken", module = Broken, flatten = true)]
pub fn broken(_b: &Broken) -> Result<u32, AppError> {
    Ok(1)
}

#[lmms::operation(interface = "flat", op = "broken_async", module = Broken, flatten = true)]
pub async fn broken_async(_b: &Broken) -> Result<u32, AppError> {
    Ok(1)
}

static CACHED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[lmms::operation(interface = "flat", op = "cached", module = Roots, cache_ttl = "1h", flatten = true)]
pub fn cached(_r: &Roots, n: i64) -> Result<i64, AppError> {
    CACHED_RUNS.fetch_add(1, SeqCst);
    if n < 0 {
        Err(AppError::Negative(n))
    } else {
        Ok(n * 10)
    }
}

/// One `?` at the call site: the operation's error and the gateway's share one type.
fn sum_of_roots(a: i64, b: i64) -> Result<u32, AppError> {
    Ok(sqrt(a)? + sqrt(b)?)
}

#[test]
fn a_flattened_result_needs_one_question_mark() {
    assert_eq!(sum_of_roots(16, 9).unwrap(), 7);
    assert!(matches!(sum_of_roots(16, -9), Err(AppError::Negative(-9))));
    let r: Result<u32, AppError> = sqrt(4);
    assert_eq!(r.unwrap(), 2);
}

#[test]
fn gateway_errors_arrive_through_from() {
    match broken() {
        Err(AppError::Lmms(lmms::Error::InitFailed { module, cause })) => {
            assert_eq!(module, "flat_broken");
            assert_eq!(cause.to_string(), "no backend");
        }
        other => panic!("expected the build error, got {other:?}"),
    }
}

#[tokio::test]
async fn async_operations_flatten_too() {
    assert_eq!(sqrt_async(81).await.unwrap(), 9);
    assert!(matches!(sqrt_async(-1).await, Err(AppError::Negative(-1))));
    assert_eq!(half(8).await.unwrap(), 4);
    assert!(matches!(half(-8).await, Err(AppError::Negative(-8))));
    assert!(matches!(
        broken_async().await,
        Err(AppError::Lmms(lmms::Error::InitFailed { .. }))
    ));
}

#[test]
fn only_ok_values_are_cached() {
    let before = CACHED_RUNS.load(SeqCst);
    assert_eq!(cached(3).unwrap(), 30);
    assert_eq!(cached(3).unwrap(), 30, "a hit");
    assert_eq!(
        CACHED_RUNS.load(SeqCst) - before,
        1,
        "the second call was a hit"
    );
    assert!(matches!(cached(-3), Err(AppError::Negative(-3))));
    assert!(matches!(cached(-3), Err(AppError::Negative(-3))));
    assert_eq!(
        CACHED_RUNS.load(SeqCst) - before,
        3,
        "errors are not cached"
    );
}

/// By name, a flattened operation answers as the nested form does: its own `Result` as
/// JSON, and a gateway error as an `lmms::Error` (not converted into the user's `E`).
#[test]
fn by_name_the_json_is_that_of_the_nested_form() {
    let ok = lmms::execute("flat", "sqrt", json!({"n": 9})).unwrap();
    assert_eq!(ok, json!({"Ok": 3}));
    let err = lmms::execute("flat", "sqrt", json!({"n": -4})).unwrap();
    assert_eq!(err, json!({"Err": "-4 is negative"}));
    let gateway = lmms::execute("flat", "broken", json!({})).unwrap_err();
    assert!(
        matches!(gateway, lmms::Error::InitFailed { .. }),
        "{gateway}"
    );
}

#[tokio::test]
async fn by_name_async() {
    let ok = lmms::execute_async("flat", "half", json!({"n": 10}))
        .await
        .unwrap();
    assert_eq!(ok, json!({"Ok": 5}));
    let err = lmms::execute_async("flat", "half", json!({"n": -1}))
        .await
        .unwrap();
    assert_eq!(err, json!({"Err": "-1 is negative"}));
}
