//! Per-thread records: recycled after their thread exits, clean when handed out again,
//! their counts folded into the totals exactly once.

use crate::fence::strong_fences;
use crate::local::{self, FastWord, ThreadRecord};
use crate::zafp::FastSlot;
use std::sync::Mutex;

/// Operations the records count in these tests (the unit-test binary builds no registry,
/// so nothing else sets another count).
const OPS: usize = 2;

/// The module of each operation these tests count: operation 1 is on [`FAST_MODULE`].
fn op_modules() -> Vec<u32> {
    vec![u32::MAX, FAST_MODULE]
}

/// A module index no other test pins, the module of operation 1.
const FAST_MODULE: u32 = 1_000_007;

/// A fast-path slot filled with `value`, for pinning operations on a record.
fn filled_slot(value: &mut u64) -> FastSlot<u64> {
    FastSlot::filled_with(value)
}

thread_local! {
    /// Each test thread's fast-path word of operation 1 (as `#[lmms::operation]` declares
    /// one per operation).
    static WORD: FastWord = const { FastWord::new() };
}

/// Runs `f` with this thread's [`WORD`].
fn with_word<R>(f: impl FnOnce(&FastWord) -> R) -> R {
    WORD.with(f)
}

/// The tests below count the records the process allocates: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn on_new_thread<R: Send + 'static>(
    f: impl FnOnce(&'static ThreadRecord) -> R + Send + 'static,
) -> R {
    std::thread::spawn(move || {
        f(local::current().expect("a thread that is not exiting has a record"))
    })
    .join()
    .unwrap()
}

#[test]
fn records_of_exited_threads_are_reused_clean_and_counted_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    local::set_operations(op_modules());
    const THREADS: u64 = 500;
    let allocated = local::allocated_records();
    let (calls, fast) = local::totals(OPS);
    for _ in 0..THREADS {
        on_new_thread(|rec| {
            assert!(rec.is_zeroed(), "a recycled record kept its pins or counts");
            rec.count(0);
            let mut value = 42;
            let slot = filled_slot(&mut value);
            with_word(|w| drop(slot.enter_out_of_line(w, 1).unwrap()));
            let d = rec.pin(7).unwrap();
            rec.unpin(d);
        });
    }
    // Other tests of this binary run threads at the same time and may take a record each,
    // but no more than run at once: far fewer than one per exited thread.
    let new = local::allocated_records() - allocated;
    assert!(
        new <= 64,
        "{new} records allocated for {THREADS} threads, one after another"
    );
    let (calls2, fast2) = local::totals(OPS);
    assert_eq!(
        calls2[0] - calls[0],
        THREADS,
        "slow-path calls of exited threads"
    );
    assert_eq!(
        calls2[1] - calls[1],
        THREADS,
        "fast-path calls in the per-op total"
    );
    assert_eq!(
        fast2[1] - fast[1],
        THREADS,
        "fast-path calls of exited threads"
    );
    assert_eq!(fast2[0], fast[0]);
}

#[test]
fn a_record_left_pinned_at_exit_stays_visible_and_is_never_handed_out() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    local::set_operations(op_modules());
    // A module index no other test pins.
    const MODULE: u32 = 1_000_003;
    let (rec, depth) = on_new_thread(|rec| (rec, rec.pin(MODULE).unwrap()));
    // Its thread is gone, but the pin may still protect a value: unloads must see it.
    assert!(local::any_pins(MODULE));
    assert_eq!(local::pins_of(MODULE), 1);
    for _ in 0..50 {
        let handed_out = on_new_thread(|r| {
            assert!(r.is_zeroed());
            r as *const ThreadRecord as usize
        });
        assert_ne!(handed_out, rec as *const ThreadRecord as usize);
    }
    rec.unpin(depth);
    assert!(!local::any_pins(MODULE));
}

#[test]
fn a_module_without_an_index_is_never_seen_pinned() {
    // `u32::MAX` marks a cell not yet in the registry; `+ 1` must not wrap onto the mark
    // of an empty pin slot (0), which every fresh record holds.
    let rec = crate::local::ThreadRecord::new(1);
    assert!(!rec.pins(u32::MAX));
    assert_eq!(crate::local::pins_of(u32::MAX), 0);
    assert!(!crate::local::any_pins(u32::MAX));
}

#[test]
fn a_fast_path_pin_counts_one_call_and_pins_its_operations_module_until_dropped() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    local::set_operations(op_modules());
    // As a promotion does: with membarrier, the registered word is then taken inline.
    crate::fence::register();
    on_new_thread(move |_| {
        with_word(|w| {
            let mut value = 42;
            let slot = filled_slot(&mut value);
            let (calls, fast) = local::totals(OPS);
            assert!(slot.enter(w).is_none(), "a fresh word is not taken inline");
            let pinned = slot.enter_out_of_line(w, 1).expect("a filled slot pins");
            assert_eq!(*pinned, 42);
            assert!(
                local::any_pins(FAST_MODULE),
                "an unload must see the fast-path pin"
            );
            assert_eq!(local::pins_of(FAST_MODULE), 1);
            assert!(
                slot.enter(w).is_none() && slot.enter_out_of_line(w, 1).is_none(),
                "a nested call of the same operation takes the slow path"
            );
            assert_eq!(
                local::totals(OPS).1[1],
                fast[1],
                "a call in progress is not counted yet"
            );
            drop(pinned);
            assert!(!local::any_pins(FAST_MODULE));
            let (calls2, fast2) = local::totals(OPS);
            assert_eq!((calls2[1] - calls[1], fast2[1] - fast[1]), (1, 1));
            assert_eq!(calls2[0], calls[0]);
            // Registered: the next call is inline, unless pins need a full fence here.
            match slot.enter(w) {
                Some(p) => {
                    assert!(!strong_fences(), "the inlined entry ran no full fence");
                    assert!(local::any_pins(FAST_MODULE));
                    drop(p);
                }
                None => assert!(strong_fences()),
            }
            // An emptied slot: nothing pinned, nothing counted, and the word is off the
            // inlined path until the slot is filled again.
            let counted = local::totals(OPS).1[1];
            assert!(slot.take());
            assert!(slot.enter(w).is_none() && slot.enter_out_of_line(w, 1).is_none());
            assert!(!local::any_pins(FAST_MODULE));
            assert_eq!(local::totals(OPS).1[1], counted);
            assert!(!slot.filled_for(w));
            let off = w.raw();
            assert_ne!(off & (1 << 63), 0, "an empty slot's word is flagged off");
            assert!(slot.enter(w).is_none());
            assert_eq!(
                w.raw(),
                off,
                "the inlined entry does not touch a word that is off"
            );
            // An operation the record does not count cannot pin.
            let other = filled_slot(&mut value);
            assert!(other.enter_out_of_line(w, OPS).is_none());
            drop(other.enter_out_of_line(w, 1).expect("filled again"));
            assert_eq!(local::totals(OPS).1[1], counted + 1);
        })
    });
}

#[test]
fn a_fast_path_word_whose_count_fills_up_is_drained_and_counts_on() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    local::set_operations(op_modules());
    on_new_thread(|_| {
        with_word(|w| {
            let mut value = 42;
            let slot = filled_slot(&mut value);
            let fast = local::totals(OPS).1[1];
            drop(slot.enter_out_of_line(w, 1).unwrap());
            // The last call the word can count: 2^30 - 2 counted, as the inlined entry sees
            // it (whichever entry this process takes).
            let off = w.raw() & (1 << 63);
            w.set_raw(off | FastWord::counting((1 << 30) - 2));
            let call = |w| slot.enter(w).or_else(|| slot.enter_out_of_line(w, 1));
            drop(call(w).expect("the last call below the limit is a fast-path call"));
            assert_eq!(w.calls(), (1 << 30) - 1);
            assert!(slot.enter(w).is_none(), "a full word is not taken inline");
            assert_eq!(local::totals(OPS).1[1] - fast, (1 << 30) - 1);
            // Drained on the next call: counted once, and the word counts on from zero.
            drop(call(w).expect("a drained word pins again"));
            assert_eq!(w.calls(), 1);
            assert_eq!(
                local::totals(OPS).1[1] - fast,
                1 << 30,
                "no call lost or doubled"
            );
            drop(call(w).unwrap());
            assert_eq!(local::totals(OPS).1[1] - fast, (1 << 30) + 1);
        })
    });
}

#[test]
fn an_exiting_thread_hands_its_words_back_before_its_thread_locals_go() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    local::set_operations(op_modules());
    /// Dropped after the record's registration (thread-local destructors run in reverse
    /// order of first use): sees the thread as the runtime left it.
    struct Late(std::sync::mpsc::Sender<(bool, bool, bool)>);
    impl Drop for Late {
        fn drop(&mut self) {
            let mut value = 42;
            let slot = filled_slot(&mut value);
            let seen = with_word(|w| {
                (
                    w.raw() == FastWord::new().raw(),
                    slot.enter(w).is_none(),
                    slot.enter_out_of_line(w, 1).is_none(),
                )
            });
            let _ = self.0.send(seen);
        }
    }
    thread_local! {
        static LATE: std::cell::RefCell<Option<Late>> = const { std::cell::RefCell::new(None) };
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let fast = local::totals(OPS).1[1];
    std::thread::spawn(move || {
        LATE.with(|l| *l.borrow_mut() = Some(Late(tx)));
        let _ = local::current().expect("a record");
        let mut value = 42;
        let slot = filled_slot(&mut value);
        with_word(|w| {
            for _ in 0..3 {
                drop(
                    slot.enter(w)
                        .or_else(|| slot.enter_out_of_line(w, 1))
                        .unwrap(),
                );
            }
        });
    })
    .join()
    .unwrap();
    let (fresh, inline_refused, out_of_line_refused) = rx.recv().unwrap();
    assert!(fresh, "the exiting thread's word was not handed back");
    assert!(
        inline_refused && out_of_line_refused,
        "a call after the exit pinned"
    );
    assert_eq!(
        local::totals(OPS).1[1] - fast,
        3,
        "the exited thread's calls"
    );
}

#[test]
fn pins_take_the_first_free_slot_and_run_out_at_the_limit() {
    let rec = ThreadRecord::new(1);
    assert_eq!(rec.pin(3), Some(0));
    assert_eq!(rec.pin(4), Some(1), "a nested pin takes the next slot");
    assert!(rec.pins(3) && rec.pins(4));
    rec.unpin(0);
    assert!(!rec.pins(3) && rec.pins(4));
    assert_eq!(rec.pin(5), Some(0), "slot 0 is free again");
    assert_eq!(
        rec.pin(u32::MAX),
        None,
        "a module without an index cannot pin"
    );
    let nested: Vec<_> = (0..local::MAX_PIN_DEPTH - 2)
        .map(|m| rec.pin(10 + m as u32))
        .collect();
    assert!(nested.iter().all(Option::is_some));
    assert_eq!(rec.pin(99), None, "all slots in use");
    for d in 0..local::MAX_PIN_DEPTH {
        rec.unpin(d);
    }
    assert!((0..100).all(|m| !rec.pins(m)));
}
