//! A `tracing` subscriber that calls back into the gateway from the unload event the drop
//! thread sends (after a deferred drop, outside any `Drop`): its `sweep()` and
//! `drain_drops()` do not wait for the drop thread — which is the thread running them.
//!
//! Runs with the `tracing` feature: `cargo test -p lmms --features tracing --test
//! deferred_drop_tracing`.

#![cfg(feature = "tracing")]

use lmms::{Config, Init, InitError, UnloadStrategy};
use std::sync::Mutex;
use std::time::Duration;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// For each lmms event on the drop thread: whether `drain_drops` waited.
static SEEN: Mutex<Vec<bool>> = Mutex::new(Vec::new());

/// Sweeps and drains on every lmms event the drop thread sends.
struct Reentrant;

impl Subscriber for Reentrant {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, e: &Event<'_>) {
        if e.metadata().target() == "lmms" && std::thread::current().name() == Some("lmms-drops") {
            let gw = lmms::gateway();
            gw.sweep();
            let drained = gw.drain_drops();
            SEEN.lock().unwrap().push(drained);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[lmms::module(name = "traced", policy = "feature")]
pub struct Traced(Vec<u8>);
impl Init for Traced {
    fn init() -> Result<Self, InitError> {
        Ok(Traced(vec![1; 1024]))
    }
}
#[lmms::operation(interface = "traced", op = "len", module = Traced)]
pub fn traced_len(t: &Traced) -> usize {
    t.0.len()
}

#[lmms::operation(interface = "ping", op = "ping")]
pub fn ping() -> u8 {
    7
}

#[test]
fn a_subscriber_on_the_drop_thread_may_sweep_and_drain() {
    lmms::configure(
        Config::builder()
            .unload_strategy(UnloadStrategy::Idle)
            .sweep_interval(Duration::from_millis(1))
            .build()
            .unwrap(),
    )
    .unwrap();
    tracing::subscriber::set_global_default(Reentrant).unwrap();
    let fresh = |f: fn()| {
        std::thread::sleep(Duration::from_millis(10));
        std::thread::spawn(f).join().unwrap();
    };
    fresh(|| assert_eq!(traced_len().unwrap(), 1024));
    // This call's end-of-call sweep hands `traced` to the drop thread.
    fresh(|| assert_eq!(ping().unwrap(), 7));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(lmms::gateway().drain_drops()).unwrap());
    let drained = rx.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        drained,
        Ok(true),
        "the drop thread is stuck waiting for itself"
    );
    assert_eq!(*SEEN.lock().unwrap(), [false]);
}
