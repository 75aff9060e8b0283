//! The compile-time registry: `inventory` entries submitted by the attributes, gathered
//! once, lazily, into lookup tables (like `typetag`).

use crate::args::shorten;
use crate::error::Error;
use crate::handle::{ModuleHandle, OpHandle};
use crate::order::sorted_unique;
use rustc_hash::FxHashMap;
use std::sync::atomic::Ordering::Relaxed;

/// Submitted by `#[lmms::module]`.
#[doc(hidden)]
pub struct ModuleEntry(pub &'static dyn ModuleHandle);

/// Submitted by `#[lmms::operation]`.
#[doc(hidden)]
pub struct OperationEntry(pub &'static dyn OpHandle);

inventory::collect!(ModuleEntry);
inventory::collect!(OperationEntry);

/// Everything registered in this binary, indexed. Gathering it is linear in the number of
/// registrations with a small constant (no sorting, one hash insert each); the name lists
/// that error messages show are computed only when an error needs them.
pub(crate) struct Registry {
    pub modules: Vec<&'static dyn ModuleHandle>,
    pub ops: Vec<&'static dyn OpHandle>,
    /// `(interface, op)` → index into `ops`, without hashing either name.
    lookup: NameIndex,
    pub module_by_name: FxHashMap<&'static str, usize>,
    /// Operation indices of each module (by module index).
    pub ops_of_module: Vec<Vec<usize>>,
}

impl Registry {
    /// Gathers the `inventory` entries. An inconsistent registry (duplicate operation or
    /// module name) is returned with the error so that introspection still works while
    /// every call reports it.
    pub fn collect() -> (Registry, Option<Error>) {
        let modules: Vec<&'static dyn ModuleHandle> = inventory::iter::<ModuleEntry>
            .into_iter()
            .map(|e| e.0)
            .collect();
        let ops: Vec<&'static dyn OpHandle> = inventory::iter::<OperationEntry>
            .into_iter()
            .map(|e| e.0)
            .collect();
        let mut errors = Vec::new();

        let mut module_by_name =
            FxHashMap::with_capacity_and_hasher(modules.len(), Default::default());
        for (i, m) in modules.iter().enumerate() {
            m.set_index(i as u32);
            if let Some(prev) = module_by_name.insert(m.name(), i) {
                let (f1, l1) = modules[prev].location();
                let (f2, l2) = m.location();
                errors.push(format!(
                    "module name `{}` is registered twice: at {f1}:{l1} and at {f2}:{l2}",
                    m.name()
                ));
            }
        }
        let mut lookup = NameIndex::with_capacity(ops.len());
        let mut ops_of_module = vec![Vec::new(); modules.len()];
        for (i, op) in ops.iter().enumerate() {
            let c = op.common();
            c.index.store(i as u32, Relaxed);
            let meta = &c.meta;
            if let Some(prev) = lookup.find(meta.interface, meta.op) {
                let p = &ops[prev].common().meta;
                errors.push(format!(
                    "operation `{}.{}` is registered twice: `{}` at {}:{} and `{}` at {}:{}",
                    meta.interface,
                    meta.op,
                    p.fn_name,
                    p.file,
                    p.line,
                    meta.fn_name,
                    meta.file,
                    meta.line
                ));
            } else {
                lookup.insert(meta.interface, meta.op, i);
            }
            if let Some(m) = op.module() {
                ops_of_module[m.cell_index() as usize].push(i);
            }
        }
        crate::local::set_operations(
            ops.iter()
                .map(|op| op.module().map_or(u32::MAX, |m| m.cell_index()))
                .collect(),
        );
        let error = (!errors.is_empty()).then(|| Error::Registration(errors.join("; ")));
        (
            Registry {
                modules,
                ops,
                lookup,
                module_by_name,
                ops_of_module,
            },
            error,
        )
    }

    /// The operation registered under `(interface, op)`, if any ([`Registry::not_found`]
    /// says why not).
    #[inline(always)]
    pub fn find(&self, interface: &str, op: &str) -> Option<&'static dyn OpHandle> {
        self.lookup.find(interface, op).map(|i| self.ops[i])
    }

    /// The error for an `(interface, op)` that [`Registry::find`] does not know.
    #[cold]
    pub fn not_found(&self, interface: &str, op: &str) -> Error {
        let metas = || self.ops.iter().map(|o| &o.common().meta);
        let in_interface = sorted_unique(
            metas()
                .filter(|m| m.interface == interface)
                .map(|m| m.op)
                .collect(),
        );
        if in_interface.is_empty() {
            let interfaces = sorted_unique(metas().map(|m| m.interface).collect());
            Error::UnknownInterface {
                interface: shorten(interface),
                known: list(&interfaces),
            }
        } else {
            Error::UnknownOperation {
                interface: shorten(interface),
                op: shorten(op),
                known: list(&in_interface),
            }
        }
    }

    pub fn module(&self, name: &str) -> Result<&'static dyn ModuleHandle, Error> {
        match self.module_by_name.get(name) {
            Some(&i) => Ok(self.modules[i]),
            None => {
                let names = sorted_unique(self.modules.iter().map(|m| m.name()).collect());
                Err(Error::UnknownModule {
                    module: shorten(name),
                    known: list(&names),
                })
            }
        }
    }
}

/// Operation indices by `(interface, op)`, found without hashing either name: a table
/// keyed by a fingerprint of both (their lengths and first and last bytes), open
/// addressing with linear probing, and the names of a candidate compared in full.
struct NameIndex {
    /// A power of two at least twice the operations, so a probe always meets an empty slot.
    slots: Box<[Option<Named>]>,
}

#[derive(Clone, Copy)]
struct Named {
    fingerprint: u64,
    interface: &'static str,
    op: &'static str,
    index: usize,
}

impl NameIndex {
    fn with_capacity(ops: usize) -> Self {
        let len = ops.saturating_mul(2).max(1).next_power_of_two();
        Self {
            slots: vec![None; len].into_boxed_slice(),
        }
    }

    /// Lengths (16 bits each, which only groups the names: they are compared in full) and
    /// first and last bytes of both names.
    #[inline]
    fn fingerprint(interface: &str, op: &str) -> u64 {
        fn edges(s: &[u8]) -> u64 {
            let byte = |b: Option<&u8>| u64::from(b.copied().unwrap_or(0));
            byte(s.first()) | byte(s.last()) << 8
        }
        let (i, o) = (interface.as_bytes(), op.as_bytes());
        (i.len() as u64 & 0xffff)
            | (o.len() as u64 & 0xffff) << 16
            | edges(i) << 32
            | edges(o) << 48
    }

    /// The first slot to probe for `fingerprint` (before masking).
    #[inline]
    fn home(&self, fingerprint: u64) -> usize {
        // Fibonacci hashing: a multiply carries every input bit into the top bits (only
        // those: bit i of the input reaches bits i and up), so the slot is the top bits,
        // rotated down.
        let bits = self.slots.len().trailing_zeros();
        fingerprint
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(bits) as usize
    }

    /// Adds operation `index`, whose names [`NameIndex::find`] does not know yet.
    fn insert(&mut self, interface: &'static str, op: &'static str, index: usize) {
        let fingerprint = Self::fingerprint(interface, op);
        let mask = self.slots.len() - 1;
        let mut at = self.home(fingerprint);
        while self.slots[at & mask].is_some() {
            at = at.wrapping_add(1);
        }
        self.slots[at & mask] = Some(Named {
            fingerprint,
            interface,
            op,
            index,
        });
    }

    #[inline(always)]
    fn find(&self, interface: &str, op: &str) -> Option<usize> {
        let fingerprint = Self::fingerprint(interface, op);
        let mask = self.slots.len() - 1;
        let mut at = self.home(fingerprint);
        loop {
            let named = self.slots.get(at & mask).copied().flatten()?;
            if named.fingerprint == fingerprint
                && same(named.op.as_bytes(), op.as_bytes())
                && same(named.interface.as_bytes(), interface.as_bytes())
            {
                return Some(named.index);
            }
            at = at.wrapping_add(1);
        }
    }
}

/// `a == b`, without a call into `memcmp` for the short names operations have: up to 16
/// bytes are compared as two (overlapping) words.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    fn word(s: &[u8], at: usize) -> u64 {
        s.get(at..at + 8)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u64::from_le_bytes)
    }
    fn half(s: &[u8], at: usize) -> u32 {
        s.get(at..at + 4)
            .and_then(|w| w.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// A short list of names for error messages ("none" when empty, elided when long).
fn list(names: &[&str]) -> String {
    match names.len() {
        0 => "none (is the crate that registers them linked and referenced? see the docs on `lmms::operation`)".to_string(),
        n if n > 12 => format!("{}, … ({n} in all)", names[..12].join(", ")),
        _ => names.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::{same, NameIndex};

    #[test]
    fn names_are_found_exactly_whatever_their_fingerprints_share() {
        // Same lengths, first and last bytes: one fingerprint, told apart in full.
        let names = [
            ("weather", "get"),
            ("weather", "gut"),
            ("wxxxxxr", "get"),
            ("", ""),
            ("a", "b"),
            (
                "a_long_interface_name",
                "a_long_operation_name_past_sixteen",
            ),
            ("abcdefgh", "abcdefghi"),
        ];
        let mut index = NameIndex::with_capacity(names.len());
        for (i, (interface, op)) in names.iter().enumerate() {
            assert_eq!(index.find(interface, op), None);
            index.insert(interface, op, i);
        }
        for (i, (interface, op)) in names.iter().enumerate() {
            assert_eq!(index.find(interface, op), Some(i), "{interface}.{op}");
        }
        for (interface, op) in [
            ("weather", "gat"),
            ("weathes", "get"),
            ("wxxyxxr", "get"),
            ("a", ""),
            ("", "b"),
            (
                "a_long_interface_name",
                "a_long_operation_name_past_sixteeN",
            ),
            ("abcdefgh", "abcdxfghi"),
        ] {
            assert_eq!(index.find(interface, op), None, "{interface}.{op}");
        }
        assert_eq!(NameIndex::with_capacity(0).find("a", "b"), None);
    }

    #[test]
    fn names_differing_only_past_their_lengths_rarely_share_a_slot() {
        // One interface, operations of one length: their fingerprints differ only in the
        // top 16 bits, which a slot taken from the low bits of the product never sees.
        let ops: Vec<String> = (0..8u8)
            .map(|i| format!("{}op{}", (b'a' + i) as char, (b'a' + i) as char))
            .collect();
        let mut index = NameIndex::with_capacity(ops.len());
        for (i, op) in ops.iter().enumerate() {
            index.insert("user", Box::leak(op.clone().into_boxed_str()), i);
        }
        let homes: std::collections::BTreeSet<usize> = ops
            .iter()
            .map(|op| index.home(NameIndex::fingerprint("user", op)) & (index.slots.len() - 1))
            .collect();
        assert!(
            homes.len() >= ops.len() / 2,
            "{} distinct home slots for {} names",
            homes.len(),
            ops.len()
        );
    }

    #[test]
    fn short_comparison_sees_every_byte() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8).collect();
            assert!(same(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same(&a, &b), "length {n}, byte {i}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }
}
