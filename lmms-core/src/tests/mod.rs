//! Unit tests of the runtime's hand-rolled synchronization — the module cell's
//! build/unload protocol, the fast path's pins and the per-thread records: `cell` and
//! `records` run on std threads (and under miri); `loom` explores every interleaving of the
//! same code under `--cfg loom` — and of the configuration's checks (`config`) and the
//! heat-profile reader's limits (`profile`).

#[cfg(not(loom))]
mod cell;
#[cfg(not(loom))]
mod config;
#[cfg(not(loom))]
mod error_messages;
#[cfg(not(loom))]
mod json_shapes;
#[cfg(loom)]
mod loom;
#[cfg(not(loom))]
mod profile;
#[cfg(not(loom))]
mod records;
