//! The compile-time registry: `inventory` entries submitted by the attributes, gathered
//! once, lazily, into lookup tables (like `typetag`).

use crate::error::Error;
use crate::handle::{ModuleHandle, OpHandle};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
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
    /// `(interface, op)` → index into `ops`.
    pub lookup: FxHashMap<(&'static str, &'static str), usize>,
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
        let mut lookup = FxHashMap::with_capacity_and_hasher(ops.len(), Default::default());
        let mut ops_of_module = vec![Vec::new(); modules.len()];
        for (i, op) in ops.iter().enumerate() {
            let c = op.common();
            c.index.store(i as u32, Relaxed);
            let meta = &c.meta;
            if let Some(prev) = lookup.insert((meta.interface, meta.op), i) {
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

    /// The operation registered under `(interface, op)`.
    #[inline]
    pub fn find(&self, interface: &str, op: &str) -> Result<&'static dyn OpHandle, Error> {
        match self.lookup.get(&(interface, op)) {
            Some(&i) => Ok(self.ops[i]),
            None => Err(self.not_found(interface, op)),
        }
    }

    #[cold]
    fn not_found(&self, interface: &str, op: &str) -> Error {
        let metas = || self.ops.iter().map(|o| &o.common().meta);
        let in_interface: BTreeSet<&str> = metas()
            .filter(|m| m.interface == interface)
            .map(|m| m.op)
            .collect();
        if in_interface.is_empty() {
            let interfaces: BTreeSet<&str> = metas().map(|m| m.interface).collect();
            Error::UnknownInterface {
                interface: interface.to_string(),
                known: list(interfaces.iter()),
            }
        } else {
            Error::UnknownOperation {
                interface: interface.to_string(),
                op: op.to_string(),
                known: list(in_interface.iter()),
            }
        }
    }

    pub fn module(&self, name: &str) -> Result<&'static dyn ModuleHandle, Error> {
        match self.module_by_name.get(name) {
            Some(&i) => Ok(self.modules[i]),
            None => {
                let names: BTreeSet<&str> = self.modules.iter().map(|m| m.name()).collect();
                Err(Error::UnknownModule {
                    module: name.to_string(),
                    known: list(names.iter()),
                })
            }
        }
    }
}

/// A short list of names for error messages ("none" when empty, elided when long).
fn list<'a>(names: impl Iterator<Item = &'a &'a str>) -> String {
    let names: Vec<&str> = names.copied().collect();
    match names.len() {
        0 => "none (is the crate that registers them linked and referenced? see the docs on `lmms::operation`)".to_string(),
        n if n > 12 => format!("{}, … ({n} in all)", names[..12].join(", ")),
        _ => names.join(", "),
    }
}
