//! Cyclic inits: an init that would wait, directly or through other inits, for itself.
//!
//! * **On one thread** (or within one poll of an async init): the cells whose `init` runs
//!   on this thread right now are in a thread-local list ([`InInit`], pushed around a sync
//!   `init` and around each poll of an async one). An operation of one of them called from
//!   inside finds its cell there ([`in_init`]).
//! * **Across threads and tasks**: when code running inside the inits of cells `S` is about
//!   to wait for the running build of cell `Y`, it records "each of `S` waits for `Y`" in a
//!   process-wide wait-for list ([`wait_for`]) for as long as it waits. Before recording,
//!   it follows the list from `Y` (`Y`'s init waits for `Z`, `Z`'s for …): reaching a cell
//!   of `S` means the builds wait for each other in a ring, and this wait — the one that
//!   would close it — is refused with the cyclic-init error. The others go on: the refused
//!   init sees an error from the operation it called, and may fail or carry on.
//!
//! A build is named by its cell (one build per cell at a time), so one thread running two
//! tasks' inits by turns is covered like two threads. The check and the record happen under
//! one lock, so of two waits that would close a ring at once, the second sees the first.
//! Only code inside an init records anything: a plain caller cannot be waited for. Nothing
//! here runs on a call that finds the value resident; a waiter outside any init reads one
//! thread-local. The lock is held only over the list (no user code).
//!
//! Not covered: a ring through code an init hands to another thread or task and waits for
//! (a spawned task, a channel), which is not "inside the init" where it runs, and a ring
//! through a module's `Drop` (a drop waited for by an init).

#[cfg(not(loom))]
use super::init_failed;
use crate::cell::RawCell;
use crate::error::Error;

#[cfg(not(loom))]
thread_local! {
    /// Cells whose `init` is running on this thread right now, innermost last, with their
    /// module names.
    static IN_INIT: std::cell::RefCell<Vec<(usize, &'static str)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// "The init of `from` waits for the build of `to`", one per waiting init and cell.
#[cfg(not(loom))]
struct WaitFor {
    from: usize,
    to: usize,
    to_name: &'static str,
}

#[cfg(not(loom))]
static WAITS: std::sync::Mutex<Vec<WaitFor>> = std::sync::Mutex::new(Vec::new());

#[cfg(not(loom))]
fn key(cell: &RawCell) -> usize {
    cell as *const RawCell as usize
}

/// Marks a cell "in init" on this thread while alive.
pub(super) struct InInit;

impl InInit {
    pub(super) fn enter(_cell: &RawCell, _name: &'static str) -> InInit {
        #[cfg(not(loom))]
        let _ = IN_INIT.try_with(|v| v.borrow_mut().push((key(_cell), _name)));
        InInit
    }
}

impl Drop for InInit {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        let _ = IN_INIT.try_with(|v| v.borrow_mut().pop());
    }
}

/// Whether `cell`'s init runs on this thread (an operation of it called from inside).
pub(super) fn in_init(_cell: &RawCell) -> bool {
    #[cfg(loom)]
    return false;
    #[cfg(not(loom))]
    IN_INIT
        .try_with(|v| v.borrow().iter().any(|&(c, _)| c == key(_cell)))
        .unwrap_or(false)
}

/// Whether an `init` runs on this thread (a sync one, or a poll of an async one): a
/// thread there must not wait for other threads' drops, whose `Drop` may call the module
/// being built and wait for it.
pub(crate) fn in_any_init() -> bool {
    #[cfg(loom)]
    return false;
    #[cfg(not(loom))]
    IN_INIT
        .try_with(|v| !v.borrow().is_empty())
        .unwrap_or(false)
}

/// The waits this caller recorded; dropping it ends them.
pub(crate) struct Waiting {
    #[cfg(not(loom))]
    edges: Vec<(usize, usize)>,
}

/// Called under `cell`'s state lock, before waiting for its running build (module `name`):
/// the cyclic-init error if that build waits, through other inits, for one that runs here;
/// else the waits recorded (none outside an init).
pub(super) fn wait_for(_cell: &RawCell, _name: &'static str) -> Result<Waiting, Error> {
    #[cfg(not(loom))]
    {
        let ours = IN_INIT.try_with(|v| v.borrow().clone()).unwrap_or_default();
        if ours.is_empty() {
            return Ok(Waiting { edges: Vec::new() });
        }
        let to = key(_cell);
        let mut waits = crate::sync::lock_std(&WAITS);
        let mut path = vec![_name];
        if let Some(closer) = ring(&waits, to, &ours, &mut Vec::new(), &mut path) {
            let chain = path.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>();
            return Err(init_failed(
                _name,
                &format!(
                    "cyclic init: `{closer}` → {} (each init waits for the next, on other \
                     threads or tasks; this wait would never end)",
                    chain.join(" → ")
                ),
            ));
        }
        let edges: Vec<_> = ours.iter().map(|&(from, _)| (from, to)).collect();
        waits.extend(edges.iter().map(|&(from, to)| WaitFor {
            from,
            to,
            to_name: _name,
        }));
        Ok(Waiting { edges })
    }
    #[cfg(loom)]
    Ok(Waiting {})
}

/// Follows the waits from `cur`: the name of the cell of `ours` they reach, with the names
/// on the way appended to `path` (which starts with `cur`'s).
#[cfg(not(loom))]
fn ring(
    waits: &[WaitFor],
    cur: usize,
    ours: &[(usize, &'static str)],
    seen: &mut Vec<usize>,
    path: &mut Vec<&'static str>,
) -> Option<&'static str> {
    if let Some(&(_, name)) = ours.iter().find(|&&(c, _)| c == cur) {
        return Some(name);
    }
    if seen.contains(&cur) {
        return None;
    }
    seen.push(cur);
    for w in waits.iter().filter(|w| w.from == cur) {
        path.push(w.to_name);
        if let Some(found) = ring(waits, w.to, ours, seen, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

impl Drop for Waiting {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        if !self.edges.is_empty() {
            let mut waits = crate::sync::lock_std(&WAITS);
            for &(from, to) in &self.edges {
                if let Some(i) = waits.iter().position(|w| w.from == from && w.to == to) {
                    waits.swap_remove(i);
                }
            }
        }
    }
}
