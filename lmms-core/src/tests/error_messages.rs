//! The message of every error variant, pinned: `Display` is written by hand, and callers
//! match on these texts in logs.

use crate::memory::RightSizeError;
use crate::{Error, InitError, Protection};
use std::error::Error as _;

fn s(text: &str) -> String {
    text.to_string()
}

#[test]
fn every_error_says_what_was_asked_for() {
    let errors = [
        Error::UnknownInterface {
            interface: s("i"),
            known: s("a, b"),
        },
        Error::UnknownOperation {
            interface: s("i"),
            op: s("o"),
            known: s("x"),
        },
        Error::ArgumentsNotObject {
            interface: s("i"),
            op: s("o"),
            got: s("an array"),
        },
        Error::MissingArgument {
            interface: s("i"),
            op: s("o"),
            param: s("p"),
        },
        Error::BadArgument {
            interface: s("i"),
            op: s("o"),
            param: s("p"),
            reason: s("r"),
        },
        Error::ArgumentTooDeep {
            interface: s("i"),
            op: s("o"),
            param: s("p"),
            limit: 64,
        },
        Error::ExtraArgument {
            interface: s("i"),
            op: s("o"),
            param: s("p"),
            expected: s("q"),
        },
        Error::BadResult {
            interface: s("i"),
            op: s("o"),
            reason: s("r"),
        },
        Error::NotDynamic {
            interface: s("i"),
            op: s("o"),
        },
        Error::AsyncOperation {
            interface: s("i"),
            op: s("o"),
        },
        Error::InitFailed {
            module: s("m"),
            cause: InitError::msg("boom"),
        },
        Error::AsyncInitRequired { module: s("m") },
        Error::Config(s("c")),
        Error::Registration(s("r")),
        Error::UnloadRefused {
            module: s("m"),
            protection: Protection::GracePeriod,
        },
        Error::ModuleUnloading { module: s("m") },
        Error::UnknownModule {
            module: s("m"),
            known: s("n"),
        },
    ];
    for e in &errors {
        assert!(e.source().is_none(), "{e:?}");
    }
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "unknown interface `i` (registered interfaces: a, b)",
            "unknown operation `o` on interface `i` (its operations: x)",
            "arguments of `i.o` must be a JSON object keyed by parameter name, got an array",
            "missing argument `p` for `i.o`",
            "argument `p` of `i.o` has the wrong type: r",
            "argument `p` of `i.o` nests arrays and objects deeper than 64 levels, the limit for dynamic arguments",
            "unexpected argument `p` for `i.o` (its parameters: q)",
            "result of `i.o` could not be serialized: r",
            "operation `i.o` is not dynamically callable (declared `dynamic = false`)",
            "operation `i.o` is async: call it through `execute_async`",
            "init of module `m` failed: boom",
            "module `m` has an async init: call one of its async operations or `preload_async` first",
            "configuration error: c",
            "registration error: r",
            "module `m` cannot be unloaded now: grace period",
            "module `m` is being unloaded: its operations cannot be called from its own `Drop`",
            "unknown module `m` (registered modules: n)",
        ]
    );
}

#[test]
fn right_size_errors_name_the_bad_option() {
    let errors = [
        RightSizeError::EmptyTrace,
        RightSizeError::SafetyMargin(0.5),
        RightSizeError::Price("price_per_gb_s", -1.0),
        RightSizeError::Sizes(64, 20000),
        RightSizeError::Step,
    ];
    for e in &errors {
        assert!(e.source().is_none(), "{e:?}");
    }
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "the trace has no invocations",
            "safety margin must be a finite number >= 1, got 0.5",
            "price_per_gb_s must be a finite number >= 0, got -1",
            "sizes 64..=20000 MB are not a range within 128..=10240 MB",
            "the size step must be at least 1 MB",
        ]
    );
}
