//! The drop thread: where the sweeps that run inside a user's call (end of call) or on the
//! background sweeper drop what they unloaded, and trim, after they have returned.
//!
//! Such a sweep decides and detaches (microseconds), then hands the detached values — and
//! the trim, with `trim_on_unload` — to one thread per process, `lmms-drops`, started on
//! first need. Dropping 100 MiB in a million allocations takes ~100 ms; the call that
//! happened to run the sweep no longer waits for it.
//!
//! * **Never two live instances** holds as for an inline drop: a handed-over module stays
//!   in its DROPPING phase until the drop thread has run its `Drop`, so a call that needs it
//!   meanwhile waits for that drop, then builds. The phase names the drop thread
//!   ([`Detached::hand_to`]) before the sweep returns: an operation of the module called
//!   from its own `Drop` there gets `Error::ModuleUnloading`, as does one of a module
//!   whose drop is queued behind it (waiting would be waiting on itself).
//! * **User code under no lock**: the queue's lock is never held while a `Drop` or a trim
//!   runs, so a `Drop` may call back into the gateway (an operation, `sweep()`, …).
//! * **Measured**: a drop runs under the counting allocator's attribution on the drop
//!   thread, so its reclaimed bytes are measured as inline; they, the drop time and the
//!   unload records are added when the drop finishes (`Stats`, and the `deferred` figures
//!   of the next [`Gateway::sweep`], which waits for pending drops first).
//! * **Waiting**: [`drain`] waits for every handed-over value to be dropped — except on a
//!   thread inside a module's `init` or `Drop`: a `Drop` on the drop thread might call that
//!   very module and wait for it, so there it returns at once (and a deferring sweep drops
//!   there itself when it must wait, under memory pressure).
//! * **Fork**: a forked child has no drop thread (only the forking thread is copied). The
//!   queue remembers the process id; in a child, the next hand-off, deferring sweep or
//!   wait ([`drain`]) starts a new thread and hands it the queued values (a call that
//!   needs one of their modules waits until then). A batch the parent's thread was
//!   dropping at the fork is lost to the child (its modules stay DROPPING there).

use super::report::{add_bytes, elapsed_ns};
use crate::cell::{Detached, Reclaimed};
use crate::gateway::Gateway;
use crate::memory;
use crate::strategy::Unload;
use crate::sync::{add_saturating, lock_std};
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Most unloads a [`DeferredDrops`] lists; past that they are counted in `not_listed`.
const MAX_LISTED: usize = 128;

/// How long after a hand-off the drop thread waits before dropping, unless a thread waits
/// for the drops: the call that handed over returns in microseconds and its caller goes
/// on with the response. Woken at once, the drop thread would share its core (the
/// scheduler favours a thread that slept) and its malloc arena (the freed chunks were
/// often allocated there) — measured: 2–12 ms added to the call, instead of ~0.1 ms.
const QUIET: Duration = Duration::from_millis(10);

/// Drops that sweeps at the end of calls or on the background sweeper handed to the drop
/// thread, finished since the previous [`Gateway::sweep`] collected them (which waits for
/// pending drops first, so after it returns these figures are complete).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct DeferredDrops {
    /// The unloads, in the order their drops finished, each with the bytes its drop gave
    /// back (at most 128; more are counted in `not_listed`).
    pub unloads: Vec<Unload>,
    /// Finished unloads left out of `unloads`.
    pub not_listed: u64,
    /// Heap bytes their drops gave back (counting allocator), if known.
    pub reclaimed_bytes: Option<u64>,
    /// What the deferring sweeps held their callers for these unloads (decide and detach),
    /// ns.
    pub blocking_ns: u64,
    /// Their full cost: deciding, dropping on the drop thread and trimming, ns.
    pub cost_ns: u64,
    /// RSS the trims after them gave back (with `trim_on_unload`), if known.
    pub trim_released_bytes: Option<u64>,
}

serialize_struct!(DeferredDrops {
    unloads,
    not_listed,
    reclaimed_bytes,
    blocking_ns,
    cost_ns,
    trim_released_bytes
});

/// What one deferring sweep hands over.
pub(crate) struct Batch {
    pub gw: &'static Gateway,
    pub values: Vec<(Detached, Unload)>,
    /// Return freed pages to the OS after the drops.
    pub trim: bool,
    /// What the sweep's caller waited before handing this over, ns.
    pub blocking_ns: u64,
    /// When it was handed over.
    pub handed: Instant,
}

struct Queue {
    /// The process the drop thread belongs to (0: none started yet).
    pid: u32,
    thread: Option<std::thread::ThreadId>,
    jobs: VecDeque<Batch>,
    /// Batches handed over and not finished (queued or being dropped).
    pending: usize,
    /// Values in those batches.
    pending_values: usize,
    /// The values of the batch the drop thread is dropping now, if any.
    running: Option<usize>,
    /// Threads in [`drain`].
    waiters: usize,
    finished: DeferredDrops,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    pid: 0,
    thread: None,
    jobs: VecDeque::new(),
    pending: 0,
    pending_values: 0,
    running: None,
    waiters: 0,
    finished: DeferredDrops {
        unloads: Vec::new(),
        not_listed: 0,
        reclaimed_bytes: None,
        blocking_ns: 0,
        cost_ns: 0,
        trim_released_bytes: None,
    },
});
/// Signalled when a batch is queued and when one finishes.
static CHANGED: Condvar = Condvar::new();

thread_local! {
    /// Drops running on this thread (a `Drop` is user code and may call back).
    static IN_DROP: Cell<u32> = const { Cell::new(0) };
}

/// Drops `value` here, marking this thread as inside a `Drop` meanwhile.
pub(crate) fn finish(value: Detached) -> Reclaimed {
    struct Mark;
    impl Drop for Mark {
        fn drop(&mut self) {
            let _ = IN_DROP.try_with(|d| d.set(d.get().saturating_sub(1)));
        }
    }
    let _ = IN_DROP.try_with(|d| d.set(d.get().saturating_add(1)));
    let _mark = Mark;
    value.finish()
}

/// Whether this thread may wait for the drop thread: not inside a module's `init` or
/// `Drop`, nor on the drop thread itself.
pub(crate) fn may_wait() -> bool {
    IN_DROP.try_with(|d| d.get() == 0).unwrap_or(false) && !crate::build::in_any_init()
}

/// Queues `batch` for the drop thread (started if this process has none). `Err` gives it
/// back when no thread can run it (loom, or the thread could not be spawned): the caller
/// drops it itself.
pub(crate) fn hand_off(batch: Batch) -> Result<(), Batch> {
    let mut q = lock_std(&QUEUE);
    let Some(thread) = drop_thread(&mut q) else {
        return Err(batch);
    };
    for (value, _) in &batch.values {
        value.hand_to(thread);
    }
    q.pending += 1;
    q.pending_values += batch.values.len();
    q.jobs.push_back(batch);
    drop(q);
    CHANGED.notify_all();
    Ok(())
}

/// [`hand_off`], then waits for it (and what was queued before it). `Err` where this thread
/// must not wait ([`may_wait`]) or no thread can run it: the caller runs it itself.
pub(crate) fn run_and_wait(batch: Batch) -> Result<(), Batch> {
    if !may_wait() {
        return Err(batch);
    }
    hand_off(batch)?;
    drain();
    Ok(())
}

/// Waits until every handed-over value is dropped. Returns `false` at once, with drops
/// still pending, where this thread must not wait ([`may_wait`]).
pub(crate) fn drain() -> bool {
    let mut q = lock_std(&QUEUE);
    this_process(&mut q);
    if q.pending == 0 {
        return true;
    }
    if !may_wait() {
        return false;
    }
    if drop_thread(&mut q).is_none() {
        // A forked child that cannot start a thread: drop what is queued here.
        while let Some(batch) = q.jobs.pop_front() {
            drop(q);
            let values = batch.values.len();
            let done = batch.run();
            q = lock_std(&QUEUE);
            q.done(values, Some(done));
        }
        return true;
    }
    // The drop thread skips its quiet time while anyone waits.
    q.waiters += 1;
    CHANGED.notify_all();
    while q.pending > 0 {
        q = CHANGED.wait(q).unwrap_or_else(|p| p.into_inner());
    }
    q.waiters -= 1;
    true
}

/// In a forked child, starts a drop thread for the values the parent queued (their modules
/// stay DROPPING, and calls that need them wait, until it runs). Every deferring sweep
/// calls it: cheap when nothing is pending.
pub(crate) fn resume() {
    let mut q = lock_std(&QUEUE);
    if q.pending > 0 {
        drop_thread(&mut q);
    }
}

/// Values handed over and not dropped yet.
pub(crate) fn pending() -> usize {
    let mut q = lock_std(&QUEUE);
    this_process(&mut q);
    q.pending_values
}

/// Takes the figures of the drops finished since the last call.
pub(crate) fn take_finished() -> DeferredDrops {
    std::mem::take(&mut lock_std(&QUEUE).finished)
}

/// Forgets a drop thread that belongs to another process (this one is a forked child).
fn this_process(q: &mut Queue) {
    let pid = std::process::id();
    if q.pid != pid {
        q.pid = pid;
        q.thread = None;
        if let Some(values) = q.running.take() {
            // The batch the parent's drop thread was dropping is lost to this process.
            q.pending -= 1;
            q.pending_values -= values;
        }
    }
}

/// This process's drop thread, started if needed (and given the values already queued).
fn drop_thread(q: &mut MutexGuard<'_, Queue>) -> Option<crate::sync::ThreadId> {
    // Under loom (whose model threads are not OS threads) every drop runs inline.
    #[cfg(loom)]
    {
        let _ = (q, run as fn());
        None
    }
    #[cfg(not(loom))]
    {
        this_process(q);
        if let Some(t) = q.thread {
            return Some(t);
        }
        let handle = std::thread::Builder::new()
            .name("lmms-drops".into())
            .spawn(run)
            .ok()?;
        let t = handle.thread().id();
        q.thread = Some(t);
        for (value, _) in q.jobs.iter().flat_map(|b| &b.values) {
            value.hand_to(t);
        }
        Some(t)
    }
}

/// The drop thread's loop.
fn run() {
    // Never waits for itself: a `tracing` subscriber called by `Gateway::account` here may
    // call `sweep()` too, outside any `Drop`.
    let _ = IN_DROP.try_with(|d| d.set(1));
    let mut q = lock_std(&QUEUE);
    loop {
        let Some(handed) = q.jobs.front().map(|b| b.handed) else {
            q = CHANGED.wait(q).unwrap_or_else(|p| p.into_inner());
            continue;
        };
        let quiet = QUIET.saturating_sub(handed.elapsed());
        if q.waiters == 0 && !quiet.is_zero() {
            q = CHANGED
                .wait_timeout(q, quiet)
                .map_or_else(|p| p.into_inner().0, |(q, _)| q);
            continue;
        }
        let Some(batch) = q.jobs.pop_front() else {
            continue;
        };
        q.running = Some(batch.values.len());
        drop(q);
        // Each `Drop` is contained in `Detached::finish`; this keeps the thread (and the
        // count `drain` waits on) alive whatever else unwinds.
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| batch.run()));
        q = lock_std(&QUEUE);
        let values = q.running.take().unwrap_or(0);
        q.done(values, done.ok());
        CHANGED.notify_all();
    }
}

impl Batch {
    /// Drops the values here and trims if asked; counts them as deferred drops.
    fn run(self) -> DeferredDrops {
        let t0 = Instant::now();
        let mut done = DeferredDrops::default();
        for (value, mut unload) in self.values {
            unload.reclaimed_bytes = self.gw.account(&unload.module, finish(value));
            done.reclaimed_bytes = add_bytes(done.reclaimed_bytes, unload.reclaimed_bytes);
            done.unloads.push(unload);
        }
        if self.trim {
            done.trim_released_bytes = memory::trim().rss_released();
        }
        let ns = elapsed_ns(t0);
        let c = &self.gw.counters;
        let n = done.unloads.len() as u64;
        add_saturating(&c.deferred_drops, n, Relaxed, Relaxed);
        add_saturating(&c.deferred_drop_ns, ns, Relaxed, Relaxed);
        done.blocking_ns = self.blocking_ns;
        done.cost_ns = self.blocking_ns.saturating_add(ns);
        done
    }
}

impl Queue {
    /// Counts a batch of `values` as finished, with its figures.
    fn done(&mut self, values: usize, done: Option<DeferredDrops>) {
        self.pending -= 1;
        self.pending_values -= values;
        if let Some(done) = done {
            self.finished.add(done);
        }
    }
}

impl DeferredDrops {
    /// Adds a finished batch.
    fn add(&mut self, done: DeferredDrops) {
        for u in done.unloads {
            if self.unloads.len() < MAX_LISTED {
                self.unloads.push(u);
            } else {
                self.not_listed = self.not_listed.saturating_add(1);
            }
        }
        self.reclaimed_bytes = add_bytes(self.reclaimed_bytes, done.reclaimed_bytes);
        self.blocking_ns = self.blocking_ns.saturating_add(done.blocking_ns);
        self.cost_ns = self.cost_ns.saturating_add(done.cost_ns);
        self.trim_released_bytes = add_bytes(self.trim_released_bytes, done.trim_released_bytes);
    }
}
