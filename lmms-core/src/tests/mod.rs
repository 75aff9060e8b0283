//! Unit tests of the runtime's hand-rolled synchronization: the module cell's
//! build/unload protocol, the fast path's pins and the per-thread records. `cell` runs on
//! std threads (and under miri); `loom` explores every interleaving of the same code under
//! `--cfg loom`.

#[cfg(not(loom))]
mod cell;
#[cfg(loom)]
mod loom;
#[cfg(not(loom))]
mod records;
