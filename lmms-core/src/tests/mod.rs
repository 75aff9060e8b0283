//! Unit tests of the runtime's hand-rolled synchronization: the module cell's
//! build/unload protocol and the fast path's pins. `cell` runs on std threads (and under
//! miri); `loom` explores every interleaving of the same code under `--cfg loom`.

#[cfg(not(loom))]
mod cell;
#[cfg(loom)]
mod loom;
