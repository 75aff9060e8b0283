//! Holds the trybuild UI tests of `lmms`; see `tests/`.
