//! The result cache (SPEC section 3). Placeholder until the cache issue lands: no
//! operation has a cache yet.

use crate::gateway::Gateway;
use crate::operation::OpHandle;

/// Drops expired entries; returns how many.
pub(crate) fn purge_expired(_gw: &Gateway, _now_ms: u64) -> usize {
    0
}

/// Live entries of one operation.
pub(crate) fn entries_of(_op: &dyn OpHandle) -> usize {
    0
}
